/* Vulkan GEMM (shaders/vulkan/gemm.comp) as three families: vk_gemm (Gemm,
 * MatMul, 1x1 convolutions), vk_conv_gemm (implicit-GEMM convolutions: the
 * signature has k=KHxKW; SHARED=0 only) and vk_conv_wino (Winograd's batched
 * GEMMs, vk_winograd.c). WG_M x WG_N invocations own TM x TN outputs each;
 * SHARED=1 stages TK-deep slices of A and B in shared memory, SHARED=0 keeps
 * register tiles with vec4 reads (VEC) where TM or TN is a multiple of 4.
 * Signature: M,N,K,B[,...]. */
#include "space.h"

static void vk_gemm_declare(ng_space *sp) {
    int gpu = ng_space_is_gpu(sp), conv = ng_sig_get(&sp->sig, "k", 0, 0) != 0;
    if (gpu && !conv) NG_SPACE_ADD(sp, "SHARED", 0, 1);
    else NG_SPACE_ADD(sp, "SHARED", 0); /* lavapipe: barriers switch coroutines */
    if (gpu) {
        NG_SPACE_ADD(sp, "WG_M", 1, 4, 8, 16, 32, 64);
        NG_SPACE_ADD(sp, "WG_N", 1, 4, 8, 16, 32, 64);
    } else { /* one or a few AVX vectors of invocations */
        NG_SPACE_ADD(sp, "WG_M", 1, 2, 4);
        NG_SPACE_ADD(sp, "WG_N", 2, 4, 8, 16, 32);
    }
    NG_SPACE_ADD(sp, "TM", 1, 2, 4, 8);
    NG_SPACE_ADD(sp, "TN", 1, 2, 4, 8);
    NG_SPACE_ADD(sp, "TK", 8, 16, 32);
    NG_SPACE_ADD(sp, "VEC", 0, 1);
}

static int vk_gemm_valid(const ng_space *sp, const ng_params *c) {
    const ng_params *d = &sp->defaults;
    long long M = ng_sig_get(&sp->sig, "M", 0, 1), N = ng_sig_get(&sp->sig, "N", 0, 1);
    int wm = ng_params_get(c, "WG_M", 1), wn = ng_params_get(c, "WG_N", 1);
    int tm = ng_params_get(c, "TM", 1), tn = ng_params_get(c, "TN", 1), tk = ng_params_get(c, "TK", 16);
    int shared = ng_params_get(c, "SHARED", 0);
    /* vk_gemm.c's checks: tiles 1..16, the group within the device's limits */
    if (wm < 1 || wn < 1 || tm < 1 || tn < 1 || tk < 1 || tm > 16 || tn > 16) return 0;
    if (!ng_space_group_ok(sp, (long long)wm * wn,
                           (long long)ng_params_get(d, "WG_M", 1) * ng_params_get(d, "WG_N", 1)))
        return 0;
    if (shared && ng_sig_get(&sp->sig, "k", 0, 0)) return 0; /* implicit GEMM: registers only */
    if (shared && (unsigned long long)tk * ((unsigned long long)wm * tm + (unsigned long long)wn * tn) * 4 >
                      sp->dev.local_mem_bytes)
        return 0;
    if (tm * tn > 64) return 0; /* accumulators: 8x8 spills on lavapipe already */
    /* No block (or tile) much larger than the problem, unless the default's is. */
    if (!ng_space_tile_fits((long long)wm * tm, M, (long long)ng_params_get(d, "WG_M", 1) * ng_params_get(d, "TM", 1)) ||
        !ng_space_tile_fits((long long)wn * tn, N, (long long)ng_params_get(d, "WG_N", 1) * ng_params_get(d, "TN", 1)) ||
        !ng_space_tile_fits(tm, M, ng_params_get(d, "TM", 1)) || !ng_space_tile_fits(tn, N, ng_params_get(d, "TN", 1)))
        return 0;
    return 1;
}

/* TK only stages shared memory; VEC only reads register tiles of a multiple of 4. */
static void vk_gemm_canonical(const ng_space *sp, ng_params *c) {
    const ng_params *d = &sp->defaults;
    int shared = ng_params_get(c, "SHARED", 0);
    if (!shared) ng_params_set(c, "TK", ng_params_get(d, "TK", 16));
    if (shared || (ng_params_get(c, "TM", 1) % 4 && ng_params_get(c, "TN", 1) % 4))
        ng_params_set(c, "VEC", ng_params_get(d, "VEC", 1));
}

static double vk_gemm_flops(const ng_sig *s) {
    return 2.0 * ng_sig_get(s, "M", 0, 1) * ng_sig_get(s, "N", 0, 1) * ng_sig_get(s, "K", 0, 1) *
           ng_sig_get(s, "B", 0, 1);
}

static double vk_gemm_bytes(const ng_sig *s) {
    double M = ng_sig_get(s, "M", 0, 1), N = ng_sig_get(s, "N", 0, 1), K = ng_sig_get(s, "K", 0, 1);
    return 4.0 * (M * K + K * N + M * N) * ng_sig_get(s, "B", 0, 1);
}

/* Implicit GEMM: B is the input image (C x H x W per batch), not K x N. */
static double vk_conv_gemm_bytes(const ng_sig *s) {
    double M = ng_sig_get(s, "M", 0, 1), N = ng_sig_get(s, "N", 0, 1), K = ng_sig_get(s, "K", 0, 1);
    double taps = (double)ng_sig_get(s, "k", 0, 1) * ng_sig_get(s, "k", 1, 1);
    double image = K / taps * ng_sig_get(s, "HW", 0, 1) * ng_sig_get(s, "HW", 1, 1);
    return 4.0 * (M * K + (image + M * N) * ng_sig_get(s, "B", 0, 1));
}

const ng_tune_family ng_tune_vk_gemm = {"vk_gemm", 1, vk_gemm_declare, vk_gemm_valid,
                                        vk_gemm_canonical, vk_gemm_flops, vk_gemm_bytes};
const ng_tune_family ng_tune_vk_conv_gemm = {"vk_conv_gemm", 1, vk_gemm_declare, vk_gemm_valid,
                                             vk_gemm_canonical, vk_gemm_flops, vk_conv_gemm_bytes};
const ng_tune_family ng_tune_vk_conv_wino = {"vk_conv_wino", 1, vk_gemm_declare, vk_gemm_valid,
                                             vk_gemm_canonical, vk_gemm_flops, vk_gemm_bytes};
