/* Conv (NCHW, 2-D; 1-D as H=1): 1x1 stride-1 as GEMM; 3x3 stride-1 ones
 * with constant weights as Winograd where parameter WINO (output tile 2 or
 * 4) is set (vk_winograd.c); other ungrouped ones as implicit GEMM where
 * parameter IGEMM is set (default on CPU devices: lavapipe), the rest by the
 * direct shader shaders/vulkan/conv.comp (depthwise = OC_T 1). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime/lower_conv.h"
#include "vk_winograd.h"

typedef ng_conv_geom conv_geom;

/* The GEMM family's view of an ungrouped convolution. */
static ng_vk_conv_gemm gemm_view(const conv_geom *cg) {
    ng_vk_conv_gemm v = {cg->N, cg->C, cg->H, cg->W, cg->K, cg->OH, cg->OW, cg->KH, cg->KW,
                         cg->SH, cg->SW, cg->PT, cg->PL, cg->DH, cg->DW, cg->bias};
    return v;
}

enum { SPEC_N = 8, BIND_N = 4 };

typedef struct conv_push {
    int32_t C, H, W, K, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW, G;
    int32_t total, x_off, bias_off, y_off;
    ng_vk_epi_push epi;
} conv_push;

static int is_1x1(const conv_geom *cg) {
    return cg->KH == 1 && cg->KW == 1 && cg->SH == 1 && cg->SW == 1 && cg->PT == 0 &&
           cg->PL == 0 && cg->G == 1 && cg->OH == cg->H && cg->OW == cg->W;
}

static int conv_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    conv_geom cg;
    if (n->op != NG_OP_CONV || !ng_conv_geom_of(g, n, &cg)) return 0;
    if (cg.G == 1 && (uint32_t)cg.N > c->limits.maxComputeWorkGroupCount[2]) return 0;
    return ng_vk_epilogue_supported(g, n);
}

static int oc_tile_for(int kg) { return kg >= 8 ? 8 : kg >= 4 ? 4 : kg >= 2 ? 2 : 1; }

static nngpu_status conv_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    conv_geom cg;
    if (!ng_conv_geom_of(g, n, &cg))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Conv attributes not supported by vulkan",
                        k->node_name);
    ng_vk_conv_gemm view = gemm_view(&cg);
    if (is_1x1(&cg)) return ng_vk_gemm_conv(c, g, n, bind, k, &view);
    int depthwise = cg.G == cg.C && cg.G == cg.K;
    int kg = cg.K / cg.G;
    ng_params p;
    memset(&p, 0, sizeof p);
    ng_params_set(&p, "WG", 64);
    ng_params_set(&p, "OC_T", depthwise ? 1 : oc_tile_for(kg));
    ng_params_set(&p, "PX_T", depthwise ? (cg.OW >= 8 ? 8 : cg.OW) : (cg.OW >= 4 ? 4 : cg.OW));
    ng_params_set(&p, "IGEMM", cg.G == 1 && strcmp(c->info.device_type, "gpu") != 0);
    int wino = cg.G == 1 && ng_in(g, n, 1)->data && ng_vk_winograd_fits(&view);
    if (wino) ng_params_set(&p, "WINO", ng_vk_winograd_default(c, &view));
    char sig[160];
    snprintf(sig, sizeof sig, "N=%d,C=%d,H=%d,W=%d,K=%d,k=%dx%d,s=%dx%d,d=%dx%d,g=%d", cg.N, cg.C,
             cg.H, cg.W, cg.K, cg.KH, cg.KW, cg.SH, cg.SW, cg.DH, cg.DW, cg.G);
    ng_params_lookup(&c->info, c->opts.tuning_db, depthwise ? "vk_conv_depthwise" : "vk_conv",
                     sig, &p);
    k->params_source = p.source;
    if (wino && ng_params_get(&p, "WINO", 0))
        return ng_vk_winograd_conv(c, g, n, bind, k, &view, ng_params_get(&p, "WINO", 0));
    if (cg.G == 1 && ng_params_get(&p, "IGEMM", 0)) return ng_vk_gemm_conv(c, g, n, bind, k, &view);
    int wg = ng_vk_wg(c, &p, 64);
    int oct = ng_params_get(&p, "OC_T", 4), pxt = ng_params_get(&p, "PX_T", 4);
    if (oct < 1 || oct > 16 || pxt < 1 || pxt > 32)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad conv parameters OC_T=%d PX_T=%d",
                        k->node_name, oct, pxt);

    ng_buffer *buf[BIND_N + NG_VK_EPI_BINDINGS];
    conv_push push;
    memset(&push, 0, sizeof push);
    uint32_t off;
    const ng_tensor *wt = ng_in(g, n, 1);
    if (oct == 1 && cg.C == cg.G) {
        NG_CHECK(ng_vk_upload_floats(c, k, wt->data, ng_nbytes(wt), &buf[1]));
    } else {
        size_t bytes = 0;
        float *w2 = ng_conv_weights_blocked(&cg, wt->data, sizeof(float), oct, &bytes);
        if (!w2) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
        nngpu_status s = ng_vk_upload_floats(c, k, w2, bytes, &buf[1]);
        free(w2);
        NG_CHECK(s);
    }
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[0], &off));
    push.x_off = (int32_t)off;
    if (cg.bias >= 0) {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, cg.bias, bind, &buf[2], &off));
        push.bias_off = (int32_t)off;
    } else {
        buf[2] = buf[1];
    }
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[3], &off));
    push.y_off = (int32_t)off;
    push.C = cg.C; push.H = cg.H; push.W = cg.W; push.K = cg.K; push.OH = cg.OH; push.OW = cg.OW;
    push.KH = cg.KH; push.KW = cg.KW; push.SH = cg.SH; push.SW = cg.SW; push.PT = cg.PT;
    push.PL = cg.PL; push.DH = cg.DH; push.DW = cg.DW; push.G = cg.G;
    int nkb = (kg + oct - 1) / oct, segs = (cg.OW + pxt - 1) / pxt;
    int64_t total = (int64_t)cg.N * cg.G * nkb * cg.OH * segs;
    if (total > INT_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': convolution too large", k->node_name);
    push.total = (int32_t)total;

    int32_t spec[SPEC_N + NG_VK_EPI_SPECS];
    memset(spec, 0, sizeof spec);
    spec[0] = wg; spec[1] = oct; spec[2] = pxt; spec[3] = cg.bias >= 0;
    if (ng_params_get(&p, "FIXED", 1)) { /* geometry along W compiled in */
        spec[4] = cg.KW; spec[5] = cg.SW; spec[6] = cg.DW;
    }
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + SPEC_N, buf + BIND_N, &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "conv", spec, SPEC_N + NG_VK_EPI_SPECS, buf,
                                BIND_N + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[2 + NG_MAX_EPI], n_reads = 0;
    reads[n_reads++] = n->in[0];
    if (cg.bias >= 0) reads[n_reads++] = cg.bias;
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    ng_vk_kernel_name(k, n, depthwise ? "conv2d_depthwise" : "conv2d_direct");
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_conv = {"conv", conv_supports, conv_prepare};
