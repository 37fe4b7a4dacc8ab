/* Conv (NCHW, 2-D; 1-D as H=1): 1x1 stride-1 as GEMM, depthwise, and for
 * the rest a direct register-tiled kernel (shaders/opencl/conv.cl) or, with
 * parameter ALGO=1 on ungrouped ones, im2col into a scratch patch matrix and
 * the tiled GEMM (gemm family, cl_gemm.c), or with WINO=2|4 on 3x3 stride-1
 * ones Winograd F(2,3)|F(4,3) (cl_winograd.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_gemm.h"
#include "cl_internal.h"
#include "cl_util.h"
#include "cl_winograd.h"
#include "core/status.h"
#include "runtime/lower_conv.h"

typedef ng_conv_geom conv_geom;

static int conv_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    conv_geom cg;
    if (n->op != NG_OP_CONV || !ng_conv_geom_of(g, n, &cg)) return 0;
    return ng_cl_epilogue_supported(g, n);
}

static int is_1x1(const conv_geom *cg) {
    return cg->KH == 1 && cg->KW == 1 && cg->SH == 1 && cg->SW == 1 && cg->PT == 0 &&
           cg->PL == 0 && cg->G == 1 && cg->OH == cg->H && cg->OW == cg->W;
}

static int oc_tile_for(int kg) {
    return kg >= 16 ? 16 : kg >= 8 ? 8 : kg >= 3 ? 4 : kg;
}

/* Pixels per work-item for compiled-in depthwise rows on CPUs: a divisor
 * of the row in [4, 16] when there is one (no partial segment, whose
 * stores are per pixel), else 8 (the whole row when shorter). */
static int dw_row_tile(int ow) {
    for (int t = 16; t >= 4; t--)
        if (ow % t == 0) return t;
    return ow < 8 ? ow : 8;
}

/* Columns of conv.cl's padded depthwise window (DW_PAD): the left padding
 * and the row, and every column the row's (shifted) output vectors read. */
static int dw_window_cols(const conv_geom *cg) {
    int read = (cg->OW - 1) * cg->SW + cg->KW, copy = cg->PL + cg->W;
    return read > copy ? read : copy;
}

/* conv.cl's geometry argument: C, H, W, K, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW, G. */
static nngpu_status geometry_upload(ng_context *c, ng_kernel *k, const conv_geom *cg, cl_mem *out) {
    cl_int gm[15] = {cg->C, cg->H, cg->W, cg->K, cg->OH, cg->OW, cg->KH, cg->KW,
                     cg->SH, cg->SW, cg->PT, cg->PL, cg->DH, cg->DW, cg->G};
    return ng_cl_meta_upload(c, k, gm, sizeof gm, out);
}

/* ALGO=1: the patch matrix (conv.cl's im2col) into a scratch buffer, then
 * the GEMM Y[n] = W (K x C*KH*KW) x col[n] (C*KH*KW x OH*OW). */
static nngpu_status im2col_gemm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                        const ng_binding *bind, ng_kernel *k,
                                        const conv_geom *cg) {
    int rows = cg->C * cg->KH * cg->KW, pixels = cg->OH * cg->OW;
    size_t elems = (size_t)cg->N * rows * pixels;
    cl_mem cols, geom, x;
    cl_int xo;
    NG_CHECK(ng_cl_alloc_owned(c, k, elems * (c->half ? 2 : 4), &cols));
    NG_CHECK(geometry_upload(c, k, cg, &geom));
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->in[0], bind, &x, &xo));
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "conv.cl", "im2col", "", (size_t)cg->OH, 0, &kern));
    ng_cl_launch *l = &k->launch[k->n_launches - 1];
    l->dims = 2;
    l->global[1] = (size_t)cg->N * rows;
    cl_uint i = 0;
#define ARG(v) NG_CHECK(ng_cl_set_arg(kern, i++, sizeof(v), &(v), k->node_name))
    ARG(geom); ARG(x); ARG(xo); ARG(cols);
#undef ARG
    NG_CHECK(ng_cl_gemm_conv1x1(c, g, n, bind, k, cg->N, rows, pixels, cg->K, cg->bias, cols));
    ng_cl_kernel_name(k, n, "conv2d_im2col_gemm");
    return NNGPU_OK;
}

/* im2col's patch matrix stays within int indexing. */
static int im2col_fits(const conv_geom *cg) {
    return cg->G == 1 &&
           (int64_t)cg->N * cg->C * cg->KH * cg->KW * cg->OH * cg->OW <= INT_MAX;
}

static nngpu_status conv_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    conv_geom cg;
    if (!ng_conv_geom_of(g, n, &cg))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Conv attributes not supported by opencl",
                        k->node_name);
    if (is_1x1(&cg)) {
        NG_CHECK(ng_cl_gemm_conv1x1(c, g, n, bind, k, cg.N, cg.C, cg.H * cg.W, cg.K, cg.bias, NULL));
        return NNGPU_OK;
    }
    int depthwise = cg.G == cg.C && cg.G == cg.K;
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    ng_params p;
    memset(&p, 0, sizeof p);
    int kg = cg.K / cg.G;
    if (!depthwise) ng_params_set(&p, "OC_T", gpu ? (kg >= 4 ? 4 : oc_tile_for(kg)) : oc_tile_for(kg));
    /* A small square kernel, equal strides 1 or 2 and no dilation get their
     * geometry compiled in: depthwise DW_K/DW_S (and a longer row segment),
     * direct CV_K/CV_S (the ROW_VEC row kernel). */
    int fixed = cg.KH == cg.KW && cg.KH <= 7 && cg.SH == cg.SW && cg.SH <= 2 && cg.DH == 1 &&
                cg.DW == 1;
    int dw_fixed = depthwise && fixed, cv_fixed = !depthwise && fixed;
    /* CPU row kernels (DW_ROWS, ROW_VEC): vectors as wide as the row's
     * interior (the pixels whose taps are all inside) allows; 0: too short. */
    int interior = fixed ? ng_cl_row_interior(cg.W, cg.PL, cg.KW, cg.SW, cg.OW) : 0;
    int row_vec = gpu ? 0 : ng_cl_row_vec(interior);
    int px_def = cg.OW >= 4 ? 4 : cg.OW;
    if (!depthwise && !gpu && cg.OW >= 64) px_def = 8; /* long rows: 8 pixels per item */
    if (dw_fixed && !gpu) px_def = dw_row_tile(cg.OW);
    ng_params_set(&p, "PX_T", px_def);
    if (depthwise) ng_params_set(&p, "WG_DW", 64); /* work-items per group */
    /* Depthwise on CPUs: whole rows per work-item (DW_ROWS), about 128
     * pixels each: 1.5-2.5x faster than the segment kernels on PoCL's
     * MobileNetV2 layers but for 7x7 maps (equal). Rows too short for that
     * keep the segment kernel, with explicit float8 rows (DW_VEC) for stride
     * 2 on wide rows and for rows of at most 8 pixels (10-30% faster there). */
    if (dw_fixed) {
        /* Stride 1 up to 64-pixel rows: the whole plane per work-item from a
         * zero-padded private copy (DW_PAD), no edge pixels: 1.1-1.5x faster
         * on MobileNetV2's 56x56 to 7x7 layers; slower at stride 2 and on
         * 112-pixel rows, which read global memory (DW_PAD=0). */
        int pad = row_vec && cg.SH == 1 && cg.OW <= 64;
        int rows = pad ? cg.OH : 128 / cg.OW;
        rows = rows < 1 ? 1 : rows > cg.OH ? cg.OH : rows;
        int seg_vec = !gpu && ((cg.SH == 2 && cg.OW >= 28) || cg.OW <= 8) ? 8 : 0;
        ng_params_set(&p, "DW_ROWS", row_vec ? rows : 0);
        ng_params_set(&p, "DW_VEC", row_vec ? row_vec : seg_vec);
        ng_params_set(&p, "DW_PAD", pad);
    }
    /* ALGO 1 (im2col + GEMM) on CPUs from 16 input channels: 1.1-2.5x faster
     * per layer than direct on ResNet-18's 3x3 and strided 1x1 layers on
     * POCL (bench/README.md); direct for the 3-channel
     * stems (a thin patch matrix), for 3x3 kernels between few channels
     * (under 48 in, at most 64 out: 1.1-3x faster than im2col, whose patch
     * matrix costs as much as the GEMM there) and on GPUs (not measured).
     * Direct on CPUs runs whole rows of pixel vectors (ROW_VEC; MobileNetV2's
     * stem ~2x). */
    int few = cv_fixed && cg.KH == 3 && cg.C < 48 && cg.K <= 64;
    if (cg.G == 1) ng_params_set(&p, "ALGO", !gpu && cg.C >= 16 && !few);
    if (cv_fixed) ng_params_set(&p, "ROW_VEC", row_vec);
    int wino_fits = ng_cl_winograd_fits(c, &cg);
    if (wino_fits) ng_params_set(&p, "WINO", ng_cl_winograd_default(c, &cg));
    char sig[160];
    snprintf(sig, sizeof sig, "N=%d,C=%d,H=%d,W=%d,K=%d,k=%dx%d,s=%dx%d,d=%dx%d,g=%d", cg.N, cg.C,
             cg.H, cg.W, cg.K, cg.KH, cg.KW, cg.SH, cg.SW, cg.DH, cg.DW, cg.G);
    const char *family = depthwise ? "conv_depthwise" : "conv_direct";
    ng_params_lookup(&c->info, c->opts.tuning_db, family, sig, &p);
    k->params_source = p.source;
    int wino = wino_fits ? ng_params_get(&p, "WINO", 0) : 0;
    if (wino) {
        NG_CHECK(ng_cl_winograd_conv(c, g, n, bind, k, &cg, wino));
        k->params_source = p.source; /* the algorithm's; the GEMM's own lookup may differ */
        return NNGPU_OK;
    }
    if (ng_params_get(&p, "ALGO", 0) == 1 && im2col_fits(&cg)) {
        NG_CHECK(im2col_gemm_prepare(c, g, n, bind, k, &cg));
        k->params_source = p.source; /* the algorithm's; the GEMM's own lookup may differ */
        return NNGPU_OK;
    }
    int oct = depthwise ? 1 : ng_params_get(&p, "OC_T", 8);
    int pxt = ng_params_get(&p, "PX_T", 4);
    int dvec = dw_fixed ? ng_params_get(&p, "DW_VEC", 0) : 0;
    if (dvec && dvec != 4 && dvec != 8 && dvec != 16)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad depthwise DW_VEC=%d", k->node_name,
                        dvec);
    int dw_rows = dw_fixed ? ng_params_get(&p, "DW_ROWS", 0) : 0;
    if (dw_rows < 0 || (dw_rows && !dvec))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad depthwise DW_ROWS=%d (DW_VEC=%d)",
                        k->node_name, dw_rows, dvec);
    int dw_pad = dw_rows ? ng_params_get(&p, "DW_PAD", 0) : 0;
    if (dw_pad && (cg.OW < dvec || cg.W < dvec))
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s': bad depthwise DW_PAD=1 with DW_VEC=%d for %dx%d rows",
                        k->node_name, dvec, cg.W, cg.OW);
    if (dvec) pxt = dvec;
    int rvec = cv_fixed ? ng_params_get(&p, "ROW_VEC", 0) : 0;
    if (rvec && rvec != 4 && rvec != 8 && rvec != 16)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad conv ROW_VEC=%d", k->node_name, rvec);
    if ((oct != 1 && oct != 2 && oct != 4 && oct != 8 && oct != 16) || pxt < 1 || pxt > 64)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad conv parameters OC_T=%d PX_T=%d",
                        k->node_name, oct, pxt);

    /* Weights. */
    cl_mem wmem, geom, x, y, bias;
    cl_int xo, yo, bo = 0;
    const ng_tensor *wt = ng_in(g, n, 1);
    if (depthwise) {
        NG_CHECK(ng_cl_upload_floats(c, k, wt->data, ng_nbytes(wt), &wmem));
    } else {
        size_t bytes = 0;
        float *w2 = ng_conv_weights_blocked(&cg, wt->data, sizeof(float), oct, &bytes);
        if (!w2) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
        nngpu_status s = ng_cl_upload_floats(c, k, w2, bytes, &wmem);
        free(w2);
        NG_CHECK(s);
    }
    NG_CHECK(geometry_upload(c, k, &cg, &geom));
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->in[0], bind, &x, &xo));
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->out[0], bind, &y, &yo));
    if (cg.bias >= 0)
        NG_CHECK(ng_cl_tensor_arg(c, k, g, cg.bias, bind, &bias, &bo));
    else
        bias = wmem;

    char popts[300], eopts[1024], opts[1500];
    ng_cl_params_options(&p, popts, sizeof popts);
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    char dopts[96] = "";
    if (dw_pad) /* the padded input window of DW_ROWS output rows */
        snprintf(dopts, sizeof dopts, " -DDW_K=%d -DDW_S=%d -DDW_WROWS=%d -DDW_WCOLS=%d", cg.KH,
                 cg.SH, ((dw_rows < cg.OH ? dw_rows : cg.OH) - 1) * cg.SH + cg.KH,
                 dw_window_cols(&cg));
    else if (dw_fixed)
        snprintf(dopts, sizeof dopts, " -DDW_K=%d -DDW_S=%d", cg.KH, cg.SH);
    else if (rvec)
        snprintf(dopts, sizeof dopts, " -DCV_K=%d -DCV_S=%d", cg.KH, cg.SH);
    snprintf(opts, sizeof opts, "%s -DHAS_BIAS=%d%s %s", popts, cg.bias >= 0, dopts, eopts);
    const char *kname = depthwise ? "conv2d_depthwise" : "conv2d_direct";
    cl_kernel kern;
    NG_CHECK(ng_cl_kernel_create(c, "conv.cl", kname, opts, &kern));
    ng_cl_launch *l = &k->launch[k->n_launches++];
    l->kernel = kern;
    cl_uint i = 0;
    const char *nm = k->node_name;
#define ARG(v) NG_CHECK(ng_cl_set_arg(kern, i++, sizeof(v), &(v), nm))
    ARG(geom); ARG(x); ARG(xo); ARG(wmem); ARG(bias); ARG(bo); ARG(y); ARG(yo);
#undef ARG
    NG_CHECK(ng_cl_epilogue_args(c, k, g, n, bind, kern, i));
    int nkb = depthwise ? 1 : (kg + oct - 1) / oct;
    l->dims = 3;
    l->global[0] = (size_t)(cg.OW + pxt - 1) / (size_t)pxt;
    l->global[1] = (size_t)cg.OH;
    l->global[2] = depthwise ? (size_t)cg.N * cg.C : (size_t)cg.N * cg.G * nkb;
    l->use_local = 0;
    if (rvec) { /* one output row per work-item */
        l->global[0] = 1;
    } else if (dw_rows) { /* whole rows per work-item; a group: one channel's plane */
        ng_cl_launch_plane_rows(c, l, cg.OH, dw_rows, l->global[2]);
    } else if (depthwise) { /* a group: a row's segments x rows dividing OH, about WG_DW items */
        int wg = ng_params_get(&p, "WG_DW", 64);
        size_t lx = l->global[0] < (size_t)wg ? l->global[0] : (size_t)wg;
        size_t ly = (size_t)wg / lx;
        while (ly > 1 && cg.OH % ly) ly--;
        l->global[0] = (l->global[0] + lx - 1) / lx * lx;
        l->local[0] = lx;
        l->local[1] = ly;
        l->local[2] = 1;
        l->use_local = 1;
    }
    snprintf(k->name, sizeof k->name, "%s", kname);
    ng_cl_epilogue_name(n, k->name, sizeof k->name);
    return NNGPU_OK;
}

const ng_cl_family ng_cl_family_conv = {"conv", conv_supports, conv_prepare};
