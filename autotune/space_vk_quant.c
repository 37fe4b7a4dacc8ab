/* Vulkan INT8 kernels. shaders/vulkan/qgemm.comp: vk_qgemm (QLinearMatMul,
 * MatMulInteger), vk_qmatmulw (float x, 4- or 8-bit weights: bits=) and
 * vk_qconv_gemm (ungrouped quantized convolutions as implicit GEMM), WG_M x
 * WG_N invocations of TM x TN outputs. shaders/vulkan/qconv.comp: vk_qconv
 * (grouped) and vk_qconv_depthwise, OC_T x PX_T outputs per invocation, WG per
 * group. All: FACC (exact float partial sums) and I8 (8-bit storage views,
 * where the device has them); all but vk_qmatmulw and vk_qconv_depthwise
 * (one channel per group: a quarter of each word) IDOT, the integer
 * dot-product shader, where the device has it. IGEMM picks another family:
 * not tuned. */
#include <string.h>

#include "space.h"

static void vk_qgemm_declare(ng_space *sp) {
    if (ng_space_is_gpu(sp)) {
        NG_SPACE_ADD(sp, "WG_M", 1, 2, 4, 8, 16);
        NG_SPACE_ADD(sp, "WG_N", 4, 8, 16, 32, 64);
    } else {
        NG_SPACE_ADD(sp, "WG_M", 1, 2, 4);
        NG_SPACE_ADD(sp, "WG_N", 2, 4, 8, 16, 32);
    }
    NG_SPACE_ADD(sp, "TM", 1, 2, 4, 8);
    NG_SPACE_ADD(sp, "TN", 1, 2, 4, 8, 16);
    NG_SPACE_ADD(sp, "FACC", 0, 1);
    NG_SPACE_ADD(sp, "I8", 0, 1);
    if (strcmp(sp->fam->name, "vk_qmatmulw") != 0) NG_SPACE_ADD(sp, "IDOT", 0, 1);
}

static int vk_qgemm_valid(const ng_space *sp, const ng_params *c) {
    const ng_params *d = &sp->defaults;
    long long M = ng_sig_get(&sp->sig, "M", 0, 1), N = ng_sig_get(&sp->sig, "N", 0, 1);
    int wm = ng_params_get(c, "WG_M", 1), wn = ng_params_get(c, "WG_N", 1);
    int tm = ng_params_get(c, "TM", 1), tn = ng_params_get(c, "TN", 1);
    /* vk_qgemm.c's checks: tiles 1..16, group limits, whole words of packed weights */
    if (wm < 1 || wn < 1 || tm < 1 || tn < 1 || tm > 16 || tn > 16) return 0;
    if (!ng_space_group_ok(sp, (long long)wm * wn,
                           (long long)ng_params_get(d, "WG_M", 1) * ng_params_get(d, "WG_N", 1)))
        return 0;
    long long bits = ng_sig_get(&sp->sig, "bits", 0, 0);
    if (!strcmp(sp->fam->name, "vk_qmatmulw") && tn * bits % 32) return 0;
    if (tm * tn > 64) return 0; /* int and float accumulators */
    if (!ng_space_tile_fits((long long)wm * tm, M, (long long)ng_params_get(d, "WG_M", 1) * ng_params_get(d, "TM", 1)) ||
        !ng_space_tile_fits((long long)wn * tn, N, (long long)ng_params_get(d, "WG_N", 1) * ng_params_get(d, "TN", 1)) ||
        !ng_space_tile_fits(tm, M, ng_params_get(d, "TM", 1)) || !ng_space_tile_fits(tn, N, ng_params_get(d, "TN", 1)))
        return 0;
    return 1;
}

/* I8 without 8-bit storage, IDOT without the integer dot product, FACC on
 * kernels over 256 taps or with IDOT (integer sums): no effect. */
static void vk_quant_canonical(const ng_space *sp, ng_params *c) {
    const ng_params *d = &sp->defaults;
    if (!sp->dev.has_int8_storage) ng_params_set(c, "I8", ng_params_get(d, "I8", 1));
    if (!sp->dev.has_int8_dot && ng_params_get(c, "IDOT", -1) >= 0)
        ng_params_set(c, "IDOT", ng_params_get(d, "IDOT", 0));
    if (ng_sig_get(&sp->sig, "k", 0, 1) * ng_sig_get(&sp->sig, "k", 1, 1) > 256 ||
        (sp->dev.has_int8_dot && ng_params_get(c, "IDOT", 0)))
        ng_params_set(c, "FACC", ng_params_get(d, "FACC", 1));
}

static void vk_qdirect_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "WG", 16, 32, 64, 128, 256);
    NG_SPACE_ADD(sp, "OC_T", 1, 2, 4, 8, 16);
    NG_SPACE_ADD(sp, "PX_T", 1, 2, 4, 8, 16);
    NG_SPACE_ADD(sp, "FACC", 0, 1);
    NG_SPACE_ADD(sp, "I8", 0, 1);
    NG_SPACE_ADD(sp, "IDOT", 0, 1);
}

static void vk_qdw_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "WG", 16, 32, 64, 128, 256);
    NG_SPACE_ADD(sp, "OC_T", 1);
    NG_SPACE_ADD(sp, "PX_T", 1, 2, 4, 7, 8, 14, 16, 28, 32);
    NG_SPACE_ADD(sp, "FACC", 0, 1);
    NG_SPACE_ADD(sp, "I8", 0, 1);
}

static int vk_qdirect_valid(const ng_space *sp, const ng_params *c) {
    const ng_params *d = &sp->defaults;
    int wg = ng_params_get(c, "WG", 64), oct = ng_params_get(c, "OC_T", 1), pxt = ng_params_get(c, "PX_T", 1);
    long long kg = ng_sig_get(&sp->sig, "K", 0, 1) / ng_sig_get(&sp->sig, "g", 0, 1);
    long long sw = ng_sig_get(&sp->sig, "s", 1, 1), ow = (ng_sig_get(&sp->sig, "W", 0, 1) + sw - 1) / (sw > 0 ? sw : 1);
    /* vk_qconv.c's checks (OC_T 1..16, PX_T 1..32); WG a power of two (ng_vk_wg) */
    if (oct < 1 || oct > 16 || pxt < 1 || pxt > 32 || wg < 1 || (wg & (wg - 1))) return 0;
    if (!ng_space_group_ok(sp, wg, ng_params_get(d, "WG", 64))) return 0;
    if (oct * pxt > 64) return 0;
    return ng_space_tile_fits(oct, kg, ng_params_get(d, "OC_T", 1)) &&
           ng_space_tile_fits(pxt, ow, ng_params_get(d, "PX_T", 1));
}

static double qgemm_flops(const ng_sig *s) {
    return 2.0 * ng_sig_get(s, "M", 0, 1) * ng_sig_get(s, "N", 0, 1) * ng_sig_get(s, "K", 0, 1) *
           ng_sig_get(s, "B", 0, 1);
}

/* Bytes: 8-bit operands and outputs (weight-only: float x and y, bits-wide weights). */
static double qgemm_bytes(const ng_sig *s) {
    double M = ng_sig_get(s, "M", 0, 1), N = ng_sig_get(s, "N", 0, 1), K = ng_sig_get(s, "K", 0, 1);
    return (M * K + K * N + M * N) * ng_sig_get(s, "B", 0, 1);
}

static double qmatmulw_bytes(const ng_sig *s) {
    double M = ng_sig_get(s, "M", 0, 1), N = ng_sig_get(s, "N", 0, 1), K = ng_sig_get(s, "K", 0, 1);
    return (4.0 * (M * K + M * N) + K * N * ng_sig_get(s, "bits", 0, 8) / 8.0) * ng_sig_get(s, "B", 0, 1);
}

static double qconv_bytes(const ng_sig *s) { return ng_space_conv_bytes(s) / 4.0; }

const ng_tune_family ng_tune_vk_qgemm = {"vk_qgemm", 2, vk_qgemm_declare, vk_qgemm_valid,
                                         vk_quant_canonical, qgemm_flops, qgemm_bytes};
const ng_tune_family ng_tune_vk_qmatmulw = {"vk_qmatmulw", 1, vk_qgemm_declare, vk_qgemm_valid,
                                            vk_quant_canonical, qgemm_flops, qmatmulw_bytes};
const ng_tune_family ng_tune_vk_qconv_gemm = {"vk_qconv_gemm", 2, vk_qgemm_declare, vk_qgemm_valid,
                                              vk_quant_canonical, qgemm_flops, qgemm_bytes};
const ng_tune_family ng_tune_vk_qconv = {"vk_qconv", 2, vk_qdirect_declare, vk_qdirect_valid,
                                         vk_quant_canonical, ng_space_conv_flops, qconv_bytes};
const ng_tune_family ng_tune_vk_qconv_depthwise = {"vk_qconv_depthwise", 1, vk_qdw_declare,
                                                   vk_qdirect_valid, vk_quant_canonical,
                                                   ng_space_conv_flops, qconv_bytes};
