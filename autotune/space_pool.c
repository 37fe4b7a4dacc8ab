/* Pooling (shaders/opencl/pool.cl). Global pooling: LWS work-items per
 * plane (a power of two) reduce it; signature planes,size,max. Windowed
 * pooling on CPUs: POOL_ROWS whole output rows per work-item (0: one output
 * per work-item), POOL_VEC pixels per interior vector; signature
 * planes,H,W,k,s,max. */
#include "space.h"

static void gp_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "LWS", 1, 2, 4, 8, 16, 32, 64, 128, 256);
}

static int gp_valid(const ng_space *sp, const ng_params *c) {
    int lws = ng_params_get(c, "LWS", 1);
    long long size = ng_sig_get(&sp->sig, "size", 0, 1);
    if (lws < 1 || (lws & (lws - 1)) || (size_t)lws > sp->dev.max_work_group_size) return 0;
    return lws <= ng_pow2_ceil(size) || lws == ng_params_get(&sp->defaults, "LWS", 0);
}

static double gp_flops(const ng_sig *s) {
    return (double)ng_sig_get(s, "planes", 0, 1) * ng_sig_get(s, "size", 0, 1);
}

static double gp_bytes(const ng_sig *s) { return 4.0 * (gp_flops(s) + ng_sig_get(s, "planes", 0, 1)); }

static void pool_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "POOL_ROWS", 0, 1, 2, 4, 8, 16, 32);
    NG_SPACE_ADD(sp, "POOL_VEC", 4, 8, 16);
}

static int pool_valid(const ng_space *sp, const ng_params *c) {
    int rows = ng_params_get(c, "POOL_ROWS", 0), vec = ng_params_get(c, "POOL_VEC", 4);
    long long kh = ng_sig_get(&sp->sig, "k", 0, 0), kw = ng_sig_get(&sp->sig, "k", 1, 0);
    long long sh = ng_sig_get(&sp->sig, "s", 0, 0), sw = ng_sig_get(&sp->sig, "s", 1, 0);
    long long h = ng_sig_get(&sp->sig, "H", 0, 1), w = ng_sig_get(&sp->sig, "W", 0, 1);
    if (rows == 0) return vec == ng_params_get(&sp->defaults, "POOL_VEC", 4); /* VEC unused */
    if (kh != kw || kh > 7 || sh != sw || sh < 1 || sh > 2) return 0;  /* the row kernel's windows */
    return rows <= ng_pow2_ceil(h) && vec <= ng_pow2_ceil(w / sh);
}

static double pool_flops(const ng_sig *s) {
    double out = (double)ng_sig_get(s, "planes", 0, 1) * ng_sig_get(s, "H", 0, 1) *
                 ng_sig_get(s, "W", 0, 1) / ((double)ng_sig_get(s, "s", 0, 1) * ng_sig_get(s, "s", 1, 1));
    return out * ng_sig_get(s, "k", 0, 1) * ng_sig_get(s, "k", 1, 1);
}

static double pool_bytes(const ng_sig *s) {
    double in = (double)ng_sig_get(s, "planes", 0, 1) * ng_sig_get(s, "H", 0, 1) * ng_sig_get(s, "W", 0, 1);
    return 4.0 * (in + in / ((double)ng_sig_get(s, "s", 0, 1) * ng_sig_get(s, "s", 1, 1)));
}

const ng_tune_family ng_tune_pool = {"pool", 1, pool_declare, pool_valid, NULL, pool_flops, pool_bytes};
const ng_tune_family ng_tune_global_pool = {"global_pool", 1, gp_declare, gp_valid, NULL, gp_flops,
                                            gp_bytes};
