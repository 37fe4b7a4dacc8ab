/* GEMM (shaders/opencl/gemm.cl, also conv 1x1): register tile TM x (VEC*NV),
 * work-group WG_M x WG_N, local-memory slices of depth TK (USE_LOCAL=1),
 * algorithm ALGO 0 (ours) / 1 (CLBlast, plain GEMMs without C). */
#include <string.h>

#include "space.h"


static void gemm_declare(ng_space *sp) {
    int gpu = ng_space_is_gpu(sp);
    int has_c = (int)ng_sig_get(&sp->sig, "C", 0, 0);
    if (has_c) NG_SPACE_ADD(sp, "ALGO", 0);
    else NG_SPACE_ADD(sp, "ALGO", 0, 1);
    NG_SPACE_ADD(sp, "USE_LOCAL", 0, 1);
    NG_SPACE_ADD(sp, "TM", 1, 2, 4, 8);
    if (gpu) NG_SPACE_ADD(sp, "VEC", 1, 2, 4, 8);
    else NG_SPACE_ADD(sp, "VEC", 4, 8, 16); /* POCL vectorizes across work-items too */
    NG_SPACE_ADD(sp, "NV", 1, 2, 4);
    if (gpu) {
        NG_SPACE_ADD(sp, "WG_M", 4, 8, 16);
        NG_SPACE_ADD(sp, "WG_N", 4, 8, 16);
    } else { /* POCL: groups are loops over work-items; small ones suffice */
        NG_SPACE_ADD(sp, "WG_M", 1, 2, 4, 8);
        NG_SPACE_ADD(sp, "WG_N", 1, 2, 4);
    }
    NG_SPACE_ADD(sp, "TK", 16, 32);
}

static int gemm_valid(const ng_space *sp, const ng_params *c) {
    long long M = ng_sig_get(&sp->sig, "M", 0, 1), N = ng_sig_get(&sp->sig, "N", 0, 1);
    int tm = ng_params_get(c, "TM", 1), vec = ng_params_get(c, "VEC", 1), nv = ng_params_get(c, "NV", 1);
    int wm = ng_params_get(c, "WG_M", 1), wn = ng_params_get(c, "WG_N", 1), tk = ng_params_get(c, "TK", 16);
    int local = ng_params_get(c, "USE_LOCAL", 0), algo = ng_params_get(c, "ALGO", 0);
    if (algo == 1) return ng_sig_get(&sp->sig, "C", 0, 0) == 0;
    if ((size_t)(wm * wn) > sp->dev.max_work_group_size) return 0;
    /* Register tile: accumulators per work-item. */
    if (tm * vec * nv > (ng_space_is_gpu(sp) ? 64 : 256)) return 0;
    /* No tile much larger than the problem (the default may be). */
    const ng_params *d = &sp->defaults;
    long long bm = (long long)wm * tm, bn = (long long)wn * vec * nv;
    long long dbm = (long long)ng_params_get(d, "WG_M", 1) * ng_params_get(d, "TM", 1);
    long long dbn = (long long)ng_params_get(d, "WG_N", 1) * ng_params_get(d, "VEC", 1) * ng_params_get(d, "NV", 1);
    if (bm > ng_pow2_ceil(M) && bm > dbm) return 0;
    if (bn > ng_pow2_ceil(N) && bn > dbn) return 0;
    if (vec * nv > ng_pow2_ceil(N) && vec * nv > ng_params_get(d, "VEC", 1) * ng_params_get(d, "NV", 1)) return 0;
    if (local) {
        if (sp->dev.local_mem_bytes == 0) return 0;
        if ((unsigned long long)tk * (unsigned long long)(bm + bn) * 4 > sp->dev.local_mem_bytes) return 0;
    }
    return 1;
}

static void gemm_canonical(const ng_space *sp, ng_params *c) {
    const ng_params *d = &sp->defaults;
    if (ng_params_get(c, "ALGO", 0) == 1) { /* CLBlast: the rest is unused */
        for (int i = 0; i < d->n; i++)
            if (strcmp(d->name[i], "ALGO") != 0) ng_params_set(c, d->name[i], d->value[i]);
        return;
    }
    if (!ng_params_get(c, "USE_LOCAL", 0)) ng_params_set(c, "TK", ng_params_get(d, "TK", 16));
}

static double gemm_flops(const ng_sig *s) {
    return 2.0 * ng_sig_get(s, "M", 0, 1) * ng_sig_get(s, "N", 0, 1) * ng_sig_get(s, "K", 0, 1) *
           ng_sig_get(s, "B", 0, 1);
}

static double gemm_bytes(const ng_sig *s) {
    double M = ng_sig_get(s, "M", 0, 1), N = ng_sig_get(s, "N", 0, 1), K = ng_sig_get(s, "K", 0, 1);
    return 4.0 * (M * K + K * N + M * N) * ng_sig_get(s, "B", 0, 1);
}

const ng_tune_family ng_tune_gemm = {"gemm", 1, gemm_declare, gemm_valid, gemm_canonical,
                                     gemm_flops, gemm_bytes};
