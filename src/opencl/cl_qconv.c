/* QLinearConv and ConvInteger (shaders/opencl/qconv.cl) from the shared plan
 * ng_qlayer_of (src/runtime/lower_quant.h): int8/uint8 weights re-laid out
 * once for the register-tiled kernel, per-channel constants uploaded. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_internal.h"
#include "cl_qcommon.h"
#include "core/status.h"
#include "runtime/lower_quant.h"

static int qconv_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (n->op != NG_OP_QLINEARCONV && n->op != NG_OP_CONVINTEGER) return 0;
    ng_qlayer q;
    if (!ng_qlayer_of(g, n, &q)) return 0;
    int ok = q.is_conv && q.w_const && ng_cl_qlayer_output_ok(g, n, &q);
    ng_qlayer_free(&q);
    return ok;
}

/* Weights as [group][oc block][c][kh][kw][oct] bytes, zero padded; w_zp as
 * [group][oc block][oct] (padding 0). */
static nngpu_status relayout(const ng_qlayer *q, const uint8_t *w, int oct, uint8_t **w_out,
                             size_t *w_bytes, int32_t **zp_out, size_t *zp_bytes, int *wmax) {
    const ng_conv_geom *cg = &q->conv;
    int cgc = cg->C / cg->G, kg = cg->K / cg->G, nkb = (kg + oct - 1) / oct;
    size_t taps = (size_t)cg->KH * cg->KW, blocks = (size_t)cg->G * nkb;
    size_t total = blocks * cgc * taps * oct;
    uint8_t *out = calloc(total ? total : 1, 1);
    int32_t *zp = calloc(blocks * oct, sizeof(int32_t));
    if (!out || !zp) {
        free(out);
        free(zp);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (int gi = 0; gi < cg->G; gi++)
        for (int kl = 0; kl < kg; kl++) {
            int kb = kl / oct, j = kl % oct, k = gi * kg + kl;
            zp[((size_t)gi * nkb + kb) * oct + j] = q->w_zp[k];
            for (int ci = 0; ci < cgc; ci++)
                for (size_t t = 0; t < taps; t++) {
                    uint8_t b = w[((size_t)k * cgc + ci) * taps + t];
                    int d = abs((q->w_signed ? (int)(int8_t)b : (int)b) - q->w_zp[k]);
                    *wmax = d > *wmax ? d : *wmax;
                    out[((((size_t)gi * nkb + kb) * cgc + ci) * taps + t) * oct + j] = b;
                }
        }
    *w_out = out;
    *w_bytes = total;
    *zp_out = zp;
    *zp_bytes = blocks * oct * sizeof(int32_t);
    return NNGPU_OK;
}

static nngpu_status qconv_build(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k, const ng_qlayer *q) {
    const ng_conv_geom *cg = &q->conv;
    int kg = cg->K / cg->G;
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    ng_params p;
    memset(&p, 0, sizeof p);
    ng_params_set(&p, "OC_T", kg >= 16 && !gpu ? 16 : kg >= 8 ? 8 : kg >= 3 ? 4 : kg >= 2 ? 2 : 1);
    /* CPUs: 8-pixel rows (measured 1.5-2x faster than 4 on PoCL for 3x3 and depthwise) */
    int px = gpu ? 4 : 8;
    ng_params_set(&p, "PX_T", cg->OW >= px ? px : cg->OW);
    ng_params_set(&p, "QMAC", 1);
    char sig[160];
    snprintf(sig, sizeof sig, "N=%d,C=%d,H=%d,W=%d,K=%d,k=%dx%d,s=%dx%d,d=%dx%d,g=%d", cg->N,
             cg->C, cg->H, cg->W, cg->K, cg->KH, cg->KW, cg->SH, cg->SW, cg->DH, cg->DW, cg->G);
    ng_params_lookup(&c->info, c->opts.tuning_db, "qconv", sig, &p);
    k->params_source = p.source;
    int oct = ng_params_get(&p, "OC_T", 8), pxt = ng_params_get(&p, "PX_T", 4);
    if ((oct != 1 && oct != 2 && oct != 4 && oct != 8 && oct != 16) || pxt < 1 || pxt > 64)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad qconv parameters OC_T=%d PX_T=%d",
                        k->node_name, oct, pxt);

    uint8_t *w2 = NULL;
    int32_t *zp2 = NULL;
    size_t wb = 0, zb = 0;
    int wmax = 0;
    nngpu_status st = relayout(q, ng_in(g, n, q->w_input)->data, oct, &w2, &wb, &zp2, &zb, &wmax);
    if (st != NNGPU_OK) return ng_error(st, "node '%s': out of host memory", k->node_name);
    cl_mem wmem = NULL, zmem = NULL, geom = NULL;
    st = ng_cl_upload(c, k, w2, wb, &wmem);
    if (st == NNGPU_OK) st = ng_cl_upload(c, k, zp2, zb, &zmem);
    free(w2);
    free(zp2);
    NG_CHECK(st);
    ng_cl_qconsts consts;
    NG_CHECK(ng_cl_qconsts_upload(c, k, q, &consts));
    NG_CHECK(ng_cl_qconv_geometry(c, k, cg, &geom));

    /* |x - x_zp| is at most the distance from x_zp to the far end of x's range. */
    int lo = q->x_signed ? -128 : 0, xmax = q->x_zp - lo > lo + 255 - q->x_zp ? q->x_zp - lo
                                                                               : lo + 255 - q->x_zp;
    int chunk = ng_cl_qmac_chunk(wmax, xmax, cg->KH * cg->KW, cg->C / cg->G);
    if (chunk < 0) ng_params_set(&p, "QMAC", 0);
    char extra[32], opts[1500];
    snprintf(extra, sizeof extra, "-DCI_CHUNK=%d", chunk);
    ng_cl_qlayer_build_options(&p, q, g, n, extra, opts, sizeof opts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "qconv.cl", "qconv2d", opts, 1, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_mem(&a, geom);
    ng_cl_arg_tensor(&a, c, k, g, n->in[q->x_input], bind);
    ng_cl_arg_int(&a, q->x_zp);
    ng_cl_arg_mem(&a, wmem);
    ng_cl_arg_mem(&a, zmem);
    NG_CHECK(ng_cl_qlayer_out_args(&a, c, k, g, n, bind, &consts, q));
    ng_cl_launch *l = &k->launch[k->n_launches - 1];
    int nkb = (kg + oct - 1) / oct;
    l->dims = 3;
    l->global[0] = (size_t)(cg->OW + pxt - 1) / (size_t)pxt;
    l->global[1] = (size_t)cg->OH;
    l->global[2] = (size_t)cg->N * cg->G * nkb;
    l->use_local = 0;
    ng_cl_kernel_name(k, n, cg->G == cg->C && cg->G == cg->K ? "qconv2d_depthwise" : "qconv2d");
    return NNGPU_OK;
}

static nngpu_status qconv_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    ng_qlayer q;
    if (!ng_qlayer_of(g, n, &q))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s not supported by opencl",
                        k->node_name, ng_op_name(n->op));
    nngpu_status st = ng_cl_qconv_is_1x1(&q) ? ng_cl_qconv1x1_build(c, g, n, bind, k, &q)
                      : ng_cl_qconv_is_dw(&q) ? ng_cl_qconv_dw_build(c, g, n, bind, k, &q)
                                              : qconv_build(c, g, n, bind, k, &q);
    ng_qlayer_free(&q);
    return st;
}

const ng_cl_family ng_cl_family_qconv = {"qconv", qconv_supports, qconv_prepare};
