/* Quantized convolutions (QLinearConv, ConvInteger), NCHW 2-D (1-D as
 * H = 1): ungrouped ones as implicit GEMM (vk_qgemm.c, parameter IGEMM, on by
 * default), grouped and depthwise ones by the direct shader
 * shaders/vulkan/qconv.comp (depthwise: OC_T 1), with the integer dot
 * product where parameter IDOT is set (qconv.comp main_dot). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "vk_quant.h"

enum { SPEC_N = 10, BIND_N = 4 };

typedef struct qconv_push {
    int32_t C, H, W, K, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW, G;
    int32_t total, x_off, y_off, x_zp, y_zp;
    float y_scale;
    ng_vk_epi_push epi;
} qconv_push;

static int qconv_layer(ng_context *c, const ng_graph *g, const ng_node *n, ng_qlayer *q) {
    if (n->op != NG_OP_QLINEARCONV && n->op != NG_OP_CONVINTEGER) return 0;
    if (!ng_qlayer_of(g, n, q)) return 0;
    const ng_conv_geom *cg = &q->conv;
    int ok = q->is_conv && ng_in(g, n, q->w_input)->data && ng_vk_qlayer_ok(g, n, q) &&
             (uint32_t)cg->N <= c->limits.maxComputeWorkGroupCount[2] &&
             (int64_t)cg->N * cg->K * cg->OH * cg->OW <= INT_MAX &&
             (int64_t)cg->N * cg->C * cg->H * cg->W <= INT_MAX;
    if (!ok) ng_qlayer_free(q);
    return ok;
}

static int qconv_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (c->half) return 0; /* no float16 variants: fp16 layers go elsewhere */
    ng_qlayer q;
    if (!qconv_layer(c, g, n, &q)) return 0;
    ng_qlayer_free(&q);
    return 1;
}

/* The _dot shader's weights: each group's ng_vk_qdot_pack blocks in turn,
 * their sums into sums[K]. */
static uint8_t *pack_dot(const ng_conv_geom *cg, const uint8_t *w, int oct, size_t *bytes,
                         int32_t *sums, int w_signed) {
    int cgc = cg->C / cg->G, kg = cg->K / cg->G, taps = cg->KH * cg->KW;
    size_t wg = (size_t)kg * cgc * taps, part = 0;
    uint8_t *out = NULL;
    for (int gi = 0; gi < cg->G; gi++) {
        ng_vk_qdot_weights dw = {w + gi * wg, kg, cgc, taps, w_signed,
                                 (size_t)cgc * taps, (size_t)taps, 1};
        uint8_t *one = ng_vk_qdot_pack(&dw, oct, &part, sums + (size_t)gi * kg);
        if (one && gi == 0) out = malloc(part * (size_t)cg->G); /* part >= 4 */
        if (!one || !out) {
            free(one);
            free(out);
            return NULL;
        }
        memcpy(out + (size_t)gi * part, one, part);
        free(one);
    }
    *bytes = part * (size_t)cg->G;
    return out;
}

static int oc_tile_for(int kg) { return kg >= 8 ? 8 : kg >= 4 ? 4 : kg >= 2 ? 2 : 1; }

static nngpu_status direct_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k, const ng_qlayer *q,
                                   const ng_params *p) {
    const ng_conv_geom *cg = &q->conv;
    int wg = ng_vk_wg(c, p, 64);
    int oct = ng_params_get(p, "OC_T", 4), pxt = ng_params_get(p, "PX_T", 4);
    if (oct < 1 || oct > 16 || pxt < 1 || pxt > 32)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad qconv parameters OC_T=%d PX_T=%d",
                        k->node_name, oct, pxt);
    int kg = cg->K / cg->G, nkb = (kg + oct - 1) / oct, segs = (cg->OW + pxt - 1) / pxt;
    int64_t total = (int64_t)cg->N * cg->G * nkb * cg->OH * segs;
    if (total > INT_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': convolution too large", k->node_name);
    ng_buffer *buf[BIND_N + NG_VK_EPI_BINDINGS];
    qconv_push push;
    memset(&push, 0, sizeof push);
    uint32_t off;
    size_t bytes = 0;
    int dot = ng_vk_qdot_on(c, p);
    const uint8_t *w = ng_in(g, n, q->w_input)->data;
    int32_t *sums = dot ? calloc((size_t)cg->K, sizeof *sums) : NULL;
    uint8_t *w2 = !dot ? ng_conv_weights_blocked(cg, w, 1, oct, &bytes)
                  : sums ? pack_dot(cg, w, oct, &bytes, sums, q->w_signed) : NULL;
    nngpu_status st = w2 ? ng_vk_upload(c, k, w2, bytes, &buf[1])
                         : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    free(w2);
    if (st == NNGPU_OK) st = ng_vk_qchannels_upload(c, k, q, sums, &buf[2]);
    free(sums);
    NG_CHECK(st);
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[q->x_input], bind, &buf[0], &off));
    push.x_off = (int32_t)off;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[3], &off));
    push.y_off = (int32_t)off;
    push.C = cg->C; push.H = cg->H; push.W = cg->W; push.K = cg->K; push.OH = cg->OH;
    push.OW = cg->OW; push.KH = cg->KH; push.KW = cg->KW; push.SH = cg->SH; push.SW = cg->SW;
    push.PT = cg->PT; push.PL = cg->PL; push.DH = cg->DH; push.DW = cg->DW; push.G = cg->G;
    push.total = (int32_t)total;
    push.x_zp = q->x_zp; push.y_zp = q->y_zp; push.y_scale = q->y_scale;

    int32_t spec[SPEC_N + NG_VK_EPI_SPECS];
    memset(spec, 0, sizeof spec);
    spec[0] = wg; spec[1] = oct; spec[2] = pxt;
    if (ng_params_get(p, "FIXED", 1)) { /* geometry along W compiled in */
        spec[3] = cg->KW; spec[4] = cg->SW; spec[5] = cg->DW;
    }
    spec[6] = q->x_signed; spec[7] = q->w_signed; spec[8] = ng_vk_qout_code(q->out);
    /* float partial sums (qconv.comp FACC): whole kernels within one flush */
    spec[9] = ng_params_get(p, "FACC", 1) && cg->KH * cg->KW <= 256;
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + SPEC_N, buf + BIND_N, &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)wg, groups);
    const char *shader = dot ? ng_vk_qshader(c, p, "qconv_dot", "qconv_i8_dot")
                             : ng_vk_qshader(c, p, "qconv", "qconv_i8");
    NG_CHECK(ng_vk_dispatch_add(c, k, shader, spec, SPEC_N + NG_VK_EPI_SPECS, buf,
                                BIND_N + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[1 + NG_MAX_EPI], n_reads = 0;
    reads[n_reads++] = n->in[q->x_input];
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    int dw = cg->G == cg->C && cg->G == cg->K;
    ng_vk_kernel_name(k, n, dot ? (dw ? "qconv2d_depthwise_dot" : "qconv2d_direct_dot")
                                : (dw ? "qconv2d_depthwise" : "qconv2d_direct"));
    return NNGPU_OK;
}

static nngpu_status qconv_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    ng_qlayer q;
    if (!qconv_layer(c, g, n, &q))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s not supported by vulkan", k->node_name,
                        ng_op_name(n->op));
    const ng_conv_geom *cg = &q.conv;
    int depthwise = cg->G == cg->C && cg->G == cg->K;
    ng_params p;
    memset(&p, 0, sizeof p);
    ng_params_set(&p, "WG", 64);
    ng_params_set(&p, "OC_T", depthwise ? 1 : oc_tile_for(cg->K / cg->G));
    ng_params_set(&p, "PX_T", depthwise ? (cg->OW >= 8 ? 8 : cg->OW) : (cg->OW >= 4 ? 4 : cg->OW));
    ng_params_set(&p, "IGEMM", cg->G == 1);
    ng_params_set(&p, "FACC", 1);
    ng_params_set(&p, "I8", 1);
    /* one channel per group (depthwise) would fill a quarter of each word */
    ng_params_set(&p, "IDOT", ng_vk_qdot_default(c) && cg->C / cg->G >= 4);
    char sig[160];
    snprintf(sig, sizeof sig, "N=%d,C=%d,H=%d,W=%d,K=%d,k=%dx%d,s=%dx%d,d=%dx%d,g=%d", cg->N, cg->C,
             cg->H, cg->W, cg->K, cg->KH, cg->KW, cg->SH, cg->SW, cg->DH, cg->DW, cg->G);
    ng_params_lookup(&c->info, c->opts.tuning_db, depthwise ? "vk_qconv_depthwise" : "vk_qconv",
                     sig, &p);
    k->params_source = p.source;
    nngpu_status st = cg->G == 1 && ng_params_get(&p, "IGEMM", 1)
                          ? ng_vk_qgemm_conv(c, g, n, bind, k, &q)
                          : direct_prepare(c, g, n, bind, k, &q, &p);
    ng_qlayer_free(&q);
    return st;
}

const ng_vk_family ng_vk_family_qconv = {"qconv", qconv_supports, qconv_prepare};
