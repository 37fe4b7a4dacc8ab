/* Quantized 1x1 convolutions (stride 1, no padding, one group) as a GEMM
 * (qconv1x1 in shaders/opencl/qconv.cl): weights minus their zero points packed once
 * as [K / TM][C][TM], the input zero point folded into a per-channel
 * starting value, and the float-exact chunk length bounded here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_internal.h"
#include "cl_qcommon.h"
#include "core/status.h"

int ng_cl_qconv_is_1x1(const ng_qlayer *q) {
    const ng_conv_geom *cg = &q->conv;
    return q->is_conv && cg->G == 1 && cg->KH == 1 && cg->KW == 1 && cg->SH == 1 &&
           cg->SW == 1 && cg->PT == 0 && cg->PL == 0 && cg->OH == cg->H && cg->OW == cg->W;
}

/* Packed wq = w - w_zp as [K / tm][C][tm] (char when every value fits, else
 * short), corr[k] = -x_zp * sum_c wq, and the largest |wq|. */
typedef struct packed1x1 {
    void *w;
    size_t w_bytes;
    int32_t *corr;
    int wide;  /* 1: short */
    int wmax;
} packed1x1;

static nngpu_status pack(const ng_qlayer *q, const uint8_t *w, int tm, packed1x1 *out) {
    int C = q->conv.C, K = q->conv.K, nkb = (K + tm - 1) / tm;
    size_t total = (size_t)nkb * C * tm;
    int16_t *wq = calloc(total ? total : 1, sizeof(int16_t));
    int32_t *corr = calloc((size_t)nkb * tm, sizeof(int32_t));
    if (!wq || !corr) {
        free(wq);
        free(corr);
        return NNGPU_ERR_OUT_OF_MEMORY;
    }
    int wmax = 0;
    for (int k = 0; k < K; k++) {
        int64_t sum = 0;
        for (int c = 0; c < C; c++) {
            uint8_t b = w[(size_t)k * C + c];
            int v = (q->w_signed ? (int)(int8_t)b : (int)b) - q->w_zp[k];
            wq[((size_t)(k / tm) * C + c) * tm + k % tm] = (int16_t)v;
            sum += v;
            wmax = abs(v) > wmax ? abs(v) : wmax;
        }
        corr[k] = (int32_t)(-(int64_t)q->x_zp * sum);
    }
    out->wide = wmax > 127;
    out->wmax = wmax;
    out->corr = corr;
    if (out->wide) {
        out->w = wq;
        out->w_bytes = total * sizeof(int16_t);
        return NNGPU_OK;
    }
    int8_t *narrow = malloc(total ? total : 1);
    if (!narrow) {
        free(wq);
        free(corr);
        return NNGPU_ERR_OUT_OF_MEMORY;
    }
    for (size_t i = 0; i < total; i++) narrow[i] = (int8_t)wq[i];
    free(wq);
    out->w = narrow;
    out->w_bytes = total;
    return NNGPU_OK;
}

/* Widest vector (16, 8, 4, 2, 1) of at most P pixels; two when 2*VEC fit. */
static void tile_defaults(const ng_context *c, const ng_qlayer *q, ng_params *p) {
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    int P = q->conv.H * q->conv.W, vmax = gpu ? 4 : 16, vec = 1;
    while (vec * 2 <= vmax && vec * 2 <= P) vec *= 2;
    memset(p, 0, sizeof *p);
    ng_params_set(p, "TM", gpu ? 4 : 8);
    ng_params_set(p, "VEC", vec);
    ng_params_set(p, "NV", !gpu && 2 * vec <= P ? 2 : 1);
    ng_params_set(p, "QMAC", 1);
    ng_params_set(p, "WG_M", 4);
}

nngpu_status ng_cl_qconv1x1_build(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const ng_qlayer *q) {
    const ng_conv_geom *cg = &q->conv;
    int P = cg->H * cg->W;
    ng_params p;
    tile_defaults(c, q, &p);
    char sig[128];
    snprintf(sig, sizeof sig, "N=%d,C=%d,P=%d,K=%d", cg->N, cg->C, P, cg->K);
    ng_params_lookup(&c->info, c->opts.tuning_db, "qconv1x1", sig, &p);
    k->params_source = p.source;
    int tm = ng_params_get(&p, "TM", 8), vec = ng_params_get(&p, "VEC", 16);
    int nv = ng_params_get(&p, "NV", 1), qmac = ng_params_get(&p, "QMAC", 1);
    if (tm < 1 || tm > 16 || (vec != 1 && vec != 2 && vec != 4 && vec != 8 && vec != 16) ||
        nv < 1 || nv > 4 || vec * nv > P || (qmac != 0 && qmac != 1))
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s': bad qconv1x1 parameters TM=%d VEC=%d NV=%d QMAC=%d for %d pixels",
                        k->node_name, tm, vec, nv, qmac, P);
    packed1x1 pk;
    if (pack(q, ng_in(g, n, q->w_input)->data, tm, &pk) != NNGPU_OK)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    int nkb = (cg->K + tm - 1) / tm;
    cl_mem wmem = NULL, cmem = NULL;
    nngpu_status st = ng_cl_upload(c, k, pk.w, pk.w_bytes, &wmem);
    if (st == NNGPU_OK) st = ng_cl_upload(c, k, pk.corr, (size_t)nkb * tm * sizeof(int32_t), &cmem);
    free(pk.w);
    free(pk.corr);
    NG_CHECK(st);
    ng_cl_qconsts consts;
    NG_CHECK(ng_cl_qconsts_upload(c, k, q, &consts));

    int chunk = ng_cl_qmac_chunk(pk.wmax, q->x_signed ? 128 : 255, 1, cg->C);
    if (chunk < 0) ng_params_set(&p, "QMAC", 0);
    char extra[48], opts[1500];
    snprintf(extra, sizeof extra, "-DWQT=%s -DCI_CHUNK=%d", pk.wide ? "short" : "char", chunk);
    ng_cl_qlayer_build_options(&p, q, g, n, extra, opts, sizeof opts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "qconv.cl", "qconv1x1", opts, 1, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_int(&a, cg->C);
    ng_cl_arg_int(&a, P);
    ng_cl_arg_int(&a, cg->K);
    ng_cl_arg_tensor(&a, c, k, g, n->in[q->x_input], bind);
    ng_cl_arg_mem(&a, wmem);
    ng_cl_arg_mem(&a, cmem);
    NG_CHECK(ng_cl_qlayer_out_args(&a, c, k, g, n, bind, &consts, q));
    ng_cl_launch *l = &k->launch[k->n_launches - 1];
    l->dims = 3;
    l->global[0] = (size_t)(P + vec * nv - 1) / (size_t)(vec * nv);
    l->global[1] = (size_t)nkb;
    l->global[2] = (size_t)cg->N;
    /* Work-groups of WG_M channel blocks (0: the driver picks). */
    int wg = ng_params_get(&p, "WG_M", 4);
    l->use_local = wg > 0;
    if (wg > 0) {
        l->global[1] = (l->global[1] + (size_t)wg - 1) / (size_t)wg * (size_t)wg;
        l->local[0] = 1;
        l->local[1] = (size_t)wg;
        l->local[2] = 1;
    }
    ng_cl_kernel_name(k, n, "qconv1x1");
    return NNGPU_OK;
}
