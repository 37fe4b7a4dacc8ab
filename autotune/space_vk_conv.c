/* Vulkan convolutions that are not 1x1 (vk_conv.c): vk_conv picks the
 * algorithm of an ungrouped one (IGEMM=1: implicit GEMM, family
 * vk_conv_gemm; WINO=2 or 4: Winograd F(2,3)/F(4,3) for 3x3 stride 1,
 * family vk_conv_wino; those families tune their own tiles) and tiles the
 * direct shader (shaders/vulkan/conv.comp) that runs grouped ones and the
 * rest, like vk_conv_depthwise: an invocation computes OC_T output channels
 * x PX_T neighbouring pixels of a row; WG invocations per group (a power of
 * two). Signature: N,C,H,W,K,k=KHxKW,s=SHxSW,d=DHxDW,g (space_conv.c's
 * work model). */
#include "space.h"

static void vk_direct_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "WG", 16, 32, 64, 128, 256);
    NG_SPACE_ADD(sp, "OC_T", 1, 2, 4, 8, 16);
    NG_SPACE_ADD(sp, "PX_T", 1, 2, 4, 8, 16);
    NG_SPACE_ADD(sp, "IGEMM", 0, 1);
    NG_SPACE_ADD(sp, "WINO", 0, 2, 4); /* kept only where vk_conv.c sets it (Winograd fits) */
}

/* Another algorithm leaves the direct tiles unused, Winograd the IGEMM choice too. */
static void vk_conv_canonical(const ng_space *sp, ng_params *c) {
    const ng_params *d = &sp->defaults;
    int wino = ng_params_get(c, "WINO", 0);
    if (wino) ng_params_set(c, "IGEMM", ng_params_get(d, "IGEMM", 0));
    if (!wino && !ng_params_get(c, "IGEMM", 0)) return;
    ng_params_set(c, "WG", ng_params_get(d, "WG", 64));
    ng_params_set(c, "OC_T", ng_params_get(d, "OC_T", 1));
    ng_params_set(c, "PX_T", ng_params_get(d, "PX_T", 1));
}

/* Depthwise: one output channel per group (OC_T 1); PX_T also along 7-wide maps. */
static void vk_dw_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "WG", 16, 32, 64, 128, 256);
    NG_SPACE_ADD(sp, "OC_T", 1);
    NG_SPACE_ADD(sp, "PX_T", 1, 2, 4, 7, 8, 14, 16, 28, 32);
}

/* Output width, 'same' padding assumed as in space_conv.c. */
static long long out_width(const ng_sig *s) {
    long long w = ng_sig_get(s, "W", 0, 1), sw = ng_sig_get(s, "s", 1, 1);
    return (w + sw - 1) / (sw > 0 ? sw : 1);
}

static int vk_direct_valid(const ng_space *sp, const ng_params *c) {
    const ng_params *d = &sp->defaults;
    int wg = ng_params_get(c, "WG", 64), oct = ng_params_get(c, "OC_T", 1), pxt = ng_params_get(c, "PX_T", 1);
    long long kg = ng_sig_get(&sp->sig, "K", 0, 1) / ng_sig_get(&sp->sig, "g", 0, 1);
    /* vk_conv.c's checks (OC_T 1..16, PX_T 1..32); WG a power of two (ng_vk_wg) */
    if (oct < 1 || oct > 16 || pxt < 1 || pxt > 32 || wg < 1 || (wg & (wg - 1))) return 0;
    if (!ng_space_group_ok(sp, wg, ng_params_get(d, "WG", 64))) return 0;
    if (oct * pxt > 64) return 0; /* accumulators */
    if (ng_params_get(c, "IGEMM", 0) && ng_sig_get(&sp->sig, "g", 0, 1) != 1) return 0;
    if (!ng_space_tile_fits(oct, kg, ng_params_get(d, "OC_T", 1)) ||
        !ng_space_tile_fits(pxt, out_width(&sp->sig), ng_params_get(d, "PX_T", 1)))
        return 0;
    return 1;
}

const ng_tune_family ng_tune_vk_conv = {"vk_conv", 2, vk_direct_declare, vk_direct_valid, vk_conv_canonical,
                                        ng_space_conv_flops, ng_space_conv_bytes};
const ng_tune_family ng_tune_vk_conv_depthwise = {"vk_conv_depthwise", 1, vk_dw_declare,
                                                  vk_direct_valid, NULL, ng_space_conv_flops,
                                                  ng_space_conv_bytes};
