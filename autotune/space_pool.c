/* Global pooling (shaders/opencl/pool.cl): LWS work-items per plane (a
 * power of two) reduce it. Signature: planes,size,max. Windowed pooling
 * ("pool") has no tunables. */
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

const ng_tune_family ng_tune_global_pool = {"global_pool", 1, gp_declare, gp_valid, NULL, gp_flops,
                                            gp_bytes};
