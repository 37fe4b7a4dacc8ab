/* Conv (NCHW, 2-D; 1-D as H=1): 1x1 stride-1 as GEMM; other ungrouped ones
 * as implicit GEMM where parameter IGEMM is set (default on CPU devices:
 * lavapipe), the rest by the direct shader shaders/vulkan/conv.comp
 * (depthwise = OC_T 1). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "vk_gemm.h"

typedef struct conv_geom {
    int N, C, H, W, K, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW, G;
    int bias; /* tensor id, -1: none */
} conv_geom;

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

static int f32(const ng_tensor *t) { return t && t->dtype == NNGPU_DTYPE_FLOAT32 && t->rank >= 0; }

/* Reads the node into cg; 0 when it is not a convolution we run. */
static int conv_geom_of(const ng_graph *g, const ng_node *n, conv_geom *cg) {
    memset(cg, 0, sizeof *cg);
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!f32(x) || !f32(w) || !f32(y) || !w->data) return 0;
    int r = x->rank;
    if ((r != 4 && r != 3) || w->rank != r || y->rank != r) return 0;
    if (ng_numel(x) > INT_MAX || ng_numel(y) > INT_MAX || ng_numel(w) > INT_MAX) return 0;
    int sp = r - 2;
    cg->N = (int)x->dims[0];
    cg->C = (int)x->dims[1];
    cg->H = sp == 2 ? (int)x->dims[2] : 1;
    cg->W = (int)x->dims[r - 1];
    cg->K = (int)w->dims[0];
    cg->KH = sp == 2 ? (int)w->dims[2] : 1;
    cg->KW = (int)w->dims[r - 1];
    cg->OH = sp == 2 ? (int)y->dims[2] : 1;
    cg->OW = (int)y->dims[r - 1];
    cg->G = (int)ng_attr_int(n, "group", 1);
    if (cg->G < 1 || cg->C % cg->G || cg->K % cg->G || w->dims[1] != cg->C / cg->G) return 0;
    if (y->dims[0] != cg->N || y->dims[1] != cg->K) return 0;
    const int64_t *v;
    int64_t s[2] = {1, 1}, d[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    int cnt = ng_attr_ints(n, "strides", &v);
    if (cnt && cnt != sp) return 0;
    for (int i = 0; i < cnt; i++) s[2 - sp + i] = v[i];
    cnt = ng_attr_ints(n, "dilations", &v);
    if (cnt && cnt != sp) return 0;
    for (int i = 0; i < cnt; i++) d[2 - sp + i] = v[i];
    cnt = ng_attr_ints(n, "pads", &v);
    if (cnt && cnt != 2 * sp) return 0;
    if (cnt == 4) {
        p[0] = v[0]; p[1] = v[1]; p[2] = v[2]; p[3] = v[3];
    } else if (cnt == 2) {
        p[1] = v[0]; p[3] = v[1];
    }
    const ng_attr *ks = ng_attr_find(n, "kernel_shape");
    if (ks && (ks->n != sp || ks->ints[sp - 1] != cg->KW || (sp == 2 && ks->ints[0] != cg->KH)))
        return 0;
    if (s[0] < 1 || s[1] < 1 || d[0] < 1 || d[1] < 1 || s[0] > INT_MAX || s[1] > INT_MAX ||
        d[0] > INT_MAX || d[1] > INT_MAX)
        return 0;
    cg->SH = (int)s[0]; cg->SW = (int)s[1]; cg->DH = (int)d[0]; cg->DW = (int)d[1];
    const char *ap = ng_attr_string(n, "auto_pad", "NOTSET");
    int in[2] = {cg->H, cg->W}, out[2] = {cg->OH, cg->OW}, kk[2] = {cg->KH, cg->KW};
    if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
        for (int i = 0; i < 2; i++) {
            int64_t total = (int64_t)(out[i] - 1) * s[i] + (int64_t)(kk[i] - 1) * d[i] + 1 - in[i];
            if (total < 0) total = 0;
            p[i] = ap[5] == 'U' ? total / 2 : total - total / 2;
            p[i + 2] = total - p[i];
        }
    } else if (strcmp(ap, "VALID") == 0) {
        p[0] = p[1] = p[2] = p[3] = 0;
    } else if (strcmp(ap, "NOTSET") != 0) {
        return 0;
    }
    for (int i = 0; i < 4; i++)
        if (p[i] < 0 || p[i] > INT_MAX / 2) return 0;
    cg->PT = (int)p[0];
    cg->PL = (int)p[1];
    for (int i = 0; i < 2; i++) { /* the output size must be what these attributes give */
        int64_t span = (int64_t)(kk[i] - 1) * d[i] + 1;
        int64_t o = (in[i] + p[i] + p[i + 2] - span) / s[i] + 1;
        if (in[i] + p[i] + p[i + 2] < span || o != out[i]) return 0;
    }
    cg->bias = -1;
    if (n->n_main_inputs > 2 && n->in[2] >= 0) {
        const ng_tensor *b = ng_in(g, n, 2);
        if (!f32(b) || ng_numel(b) != cg->K) return 0;
        cg->bias = n->in[2];
    }
    return cg->N > 0 && cg->K > 0 && cg->OH > 0 && cg->OW > 0 && cg->C > 0;
}

static int is_1x1(const conv_geom *cg) {
    return cg->KH == 1 && cg->KW == 1 && cg->SH == 1 && cg->SW == 1 && cg->PT == 0 &&
           cg->PL == 0 && cg->G == 1 && cg->OH == cg->H && cg->OW == cg->W;
}

static int conv_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    conv_geom cg;
    if (n->op != NG_OP_CONV || !conv_geom_of(g, n, &cg)) return 0;
    if (cg.G == 1 && (uint32_t)cg.N > c->limits.maxComputeWorkGroupCount[2]) return 0;
    return ng_vk_epilogue_supported(g, n);
}

static int oc_tile_for(int kg) { return kg >= 8 ? 8 : kg >= 4 ? 4 : kg >= 2 ? 2 : 1; }

/* Weights as [group][oc block][c][kh][kw][oct], zero padded (oct 1 and one
 * channel per group: the original layout). */
static float *relayout_weights(const conv_geom *cg, const float *w, int oct, size_t *bytes) {
    int cgc = cg->C / cg->G, kg = cg->K / cg->G, nkb = (kg + oct - 1) / oct;
    size_t taps = (size_t)cg->KH * cg->KW;
    size_t total = (size_t)cg->G * nkb * cgc * taps * oct;
    float *out = calloc(total ? total : 1, sizeof(float));
    if (!out) return NULL;
    for (int gi = 0; gi < cg->G; gi++)
        for (int kl = 0; kl < kg; kl++) {
            int kb = kl / oct, j = kl % oct, k = gi * kg + kl;
            for (int ci = 0; ci < cgc; ci++)
                for (size_t t = 0; t < taps; t++)
                    out[((((size_t)gi * nkb + kb) * cgc + ci) * taps + t) * oct + j] =
                        w[((size_t)k * cgc + ci) * taps + t];
        }
    *bytes = total * sizeof(float);
    return out;
}

static nngpu_status conv_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    conv_geom cg;
    if (!conv_geom_of(g, n, &cg))
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
    char sig[160];
    snprintf(sig, sizeof sig, "N=%d,C=%d,H=%d,W=%d,K=%d,k=%dx%d,s=%dx%d,d=%dx%d,g=%d", cg.N, cg.C,
             cg.H, cg.W, cg.K, cg.KH, cg.KW, cg.SH, cg.SW, cg.DH, cg.DW, cg.G);
    ng_params_lookup(&c->info, c->opts.tuning_db, depthwise ? "vk_conv_depthwise" : "vk_conv",
                     sig, &p);
    k->params_source = p.source;
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
        NG_CHECK(ng_vk_upload(c, k, wt->data, ng_nbytes(wt), &buf[1]));
    } else {
        size_t bytes = 0;
        float *w2 = relayout_weights(&cg, wt->data, oct, &bytes);
        if (!w2) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
        nngpu_status s = ng_vk_upload(c, k, w2, bytes, &buf[1]);
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
