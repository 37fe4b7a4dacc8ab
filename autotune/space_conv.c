/* Direct and depthwise convolution (shaders/opencl/conv.cl): OC_T output
 * channels (a vector) x PX_T pixels per work-item; depthwise work-groups of
 * about WG_DW items. ALGO (ungrouped only) picks the algorithm: 0 direct,
 * 1 im2col + the tiled GEMM (whose tiles are the gemm family's, tuned as
 * that family); WINO 2 or 4 (3x3 stride 1, where cl_conv.c sets it)
 * Winograd F(2,3) / F(4,3) instead, its GEMMs also the gemm family's.
 * Signature: N,C,H,W,K,k=KHxKW,s=SHxSW,d=DHxDW,g. */
#include "space.h"

static double out_pixels(const ng_sig *s) {
    double oh = (double)(ng_sig_get(s, "H", 0, 1) + ng_sig_get(s, "s", 0, 1) - 1) / ng_sig_get(s, "s", 0, 1);
    double ow = (double)(ng_sig_get(s, "W", 0, 1) + ng_sig_get(s, "s", 1, 1) - 1) / ng_sig_get(s, "s", 1, 1);
    return (double)(long long)oh * (double)(long long)ow; /* 'same' padding assumed */
}

double ng_space_conv_flops(const ng_sig *s) {
    double taps = (double)ng_sig_get(s, "k", 0, 1) * ng_sig_get(s, "k", 1, 1);
    double cin = (double)ng_sig_get(s, "C", 0, 1) / ng_sig_get(s, "g", 0, 1);
    return 2.0 * ng_sig_get(s, "N", 0, 1) * ng_sig_get(s, "K", 0, 1) * out_pixels(s) * cin * taps;
}

double ng_space_conv_bytes(const ng_sig *s) {
    double n = ng_sig_get(s, "N", 0, 1), c = ng_sig_get(s, "C", 0, 1), k = ng_sig_get(s, "K", 0, 1);
    double taps = (double)ng_sig_get(s, "k", 0, 1) * ng_sig_get(s, "k", 1, 1);
    return 4.0 * (n * c * ng_sig_get(s, "H", 0, 1) * ng_sig_get(s, "W", 0, 1) + n * k * out_pixels(s) +
                  k * c / ng_sig_get(s, "g", 0, 1) * taps);
}

/* The depthwise and direct row kernels compile their geometry in (and honour
 * DW_VEC, DW_ROWS, ROW_VEC) for square kernels up to 7, stride 1 or 2, no
 * dilation (src/opencl/cl_conv.c). */
static int fixed_geometry(const ng_space *sp) {
    long long kh = ng_sig_get(&sp->sig, "k", 0, 0), kw = ng_sig_get(&sp->sig, "k", 1, 0);
    long long sh = ng_sig_get(&sp->sig, "s", 0, 0), sw = ng_sig_get(&sp->sig, "s", 1, 0);
    long long dh = ng_sig_get(&sp->sig, "d", 0, 1), dw = ng_sig_get(&sp->sig, "d", 1, 1);
    return kh == kw && kh <= 7 && sh == sw && (sh == 1 || sh == 2) && dh == 1 && dw == 1;
}

static void direct_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "OC_T", 1, 2, 4, 8, 16);
    NG_SPACE_ADD(sp, "PX_T", 1, 2, 4, 8);
    NG_SPACE_ADD(sp, "ALGO", 0, 1);
    NG_SPACE_ADD(sp, "ROW_VEC", 0, 4, 8, 16); /* whole rows of pixel vectors (compiled geometry) */
    NG_SPACE_ADD(sp, "WINO", 0, 2, 4); /* kept only where cl_conv.c sets it (Winograd fits) */
}

/* OC_T, PX_T and ROW_VEC only tile the direct kernel; ROW_VEC replaces PX_T;
 * Winograd (WINO) replaces the algorithm ALGO picks. */
static void direct_canonical(const ng_space *sp, ng_params *c) {
    if (ng_params_get(c, "WINO", 0)) ng_params_set(c, "ALGO", ng_params_get(&sp->defaults, "ALGO", 0));
    if (ng_params_get(c, "ALGO", 0) == 0 && !ng_params_get(c, "WINO", 0)) {
        if (ng_params_get(c, "ROW_VEC", 0))
            ng_params_set(c, "PX_T", ng_params_get(&sp->defaults, "PX_T", 1));
        return;
    }
    ng_params_set(c, "OC_T", ng_params_get(&sp->defaults, "OC_T", 1));
    ng_params_set(c, "PX_T", ng_params_get(&sp->defaults, "PX_T", 1));
    ng_params_set(c, "ROW_VEC", ng_params_get(&sp->defaults, "ROW_VEC", 0));
}

static int direct_valid(const ng_space *sp, const ng_params *c) {
    int oct = ng_params_get(c, "OC_T", 1), pxt = ng_params_get(c, "PX_T", 1);
    long long kg = ng_sig_get(&sp->sig, "K", 0, 1) / ng_sig_get(&sp->sig, "g", 0, 1);
    long long ow = ng_sig_get(&sp->sig, "W", 0, 1);
    const ng_params *d = &sp->defaults;
    if (oct != 1 && oct != 2 && oct != 4 && oct != 8 && oct != 16) return 0; /* vector widths */
    if (ng_params_get(c, "ALGO", 0) && ng_sig_get(&sp->sig, "g", 0, 1) != 1) return 0;
    if (pxt < 1 || pxt > 64) return 0;
    if (oct * pxt > (ng_space_is_gpu(sp) ? 32 : 64)) return 0; /* accumulators */
    if (oct > ng_pow2_ceil(kg) && oct != ng_params_get(d, "OC_T", 0)) return 0;
    if (pxt > ng_pow2_ceil(ow) && pxt != ng_params_get(d, "PX_T", 0)) return 0;
    if (ng_params_get(c, "ROW_VEC", 0) && !fixed_geometry(sp))
        return 0; /* the row kernel needs the compiled-in geometry */
    return 1;
}

static void dw_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "PX_T", 1, 2, 4, 7, 8, 14, 16);
    NG_SPACE_ADD(sp, "WG_DW", 16, 32, 64, 128, 256);
    NG_SPACE_ADD(sp, "DW_VEC", 0, 4, 8, 16); /* explicit vector rows (compiled geometry only) */
    NG_SPACE_ADD(sp, "DW_ROWS", 0, 1, 2, 4, 8, 16, 32, 64); /* whole rows per work-item (needs DW_VEC) */
    NG_SPACE_ADD(sp, "DW_PAD", 0, 1); /* rows from a zero-padded private window (needs DW_ROWS) */
}


static int dw_valid(const ng_space *sp, const ng_params *c) {
    int pxt = ng_params_get(c, "PX_T", 1), wg = ng_params_get(c, "WG_DW", 64);
    long long ow = ng_sig_get(&sp->sig, "W", 0, 1);
    const ng_params *d = &sp->defaults;
    if (pxt < 1 || pxt > 64 || wg < 1 || (size_t)wg > sp->dev.max_work_group_size) return 0;
    if (pxt > ng_pow2_ceil(ow) && pxt != ng_params_get(d, "PX_T", 0)) return 0;
    int vec = ng_params_get(c, "DW_VEC", 0), rows = ng_params_get(c, "DW_ROWS", 0);
    if (vec) {
        /* DW_VEC replaces PX_T: one PX_T value avoids duplicate candidates */
        if (!fixed_geometry(sp) || pxt != ng_params_get(d, "PX_T", 0)) return 0;
    }
    if (rows) {
        long long oh = ng_sig_get(&sp->sig, "H", 0, 1);
        if (!vec || rows > ng_pow2_ceil(oh)) return 0;
        if (wg != ng_params_get(d, "WG_DW", 0)) return 0; /* a group is one channel's plane */
    }
    if (ng_params_get(c, "DW_PAD", 0)) {
        /* rows of at least DW_VEC output pixels, whatever the padding */
        long long w = ng_sig_get(&sp->sig, "W", 0, 1), k = ng_sig_get(&sp->sig, "k", 0, 1);
        long long s = ng_sig_get(&sp->sig, "s", 0, 1);
        if (!rows || w < k || (w - k) / s + 1 < vec) return 0;
    }
    return 1;
}

/* DW_ROWS runs one channel's plane per group: WG_DW and PX_T do nothing there. */
static void dw_canonical(const ng_space *sp, ng_params *c) {
    if (ng_params_get(c, "DW_ROWS", 0) == 0) return;
    ng_params_set(c, "WG_DW", ng_params_get(&sp->defaults, "WG_DW", 64));
    ng_params_set(c, "PX_T", ng_params_get(&sp->defaults, "PX_T", 1));
}

const ng_tune_family ng_tune_conv_direct = {"conv_direct", 4, direct_declare, direct_valid, direct_canonical,
                                            ng_space_conv_flops, ng_space_conv_bytes};
const ng_tune_family ng_tune_conv_depthwise = {"conv_depthwise", 4, dw_declare, dw_valid, dw_canonical,
                                               ng_space_conv_flops, ng_space_conv_bytes};
