/* Quantized depthwise convolutions with compiled-in geometry (qconv_dw in
 * shaders/opencl/qconv.cl): small square kernels, equal strides up to 2,
 * no dilation. Weights minus their zero points are uploaded as float. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_internal.h"
#include "cl_qcommon.h"
#include "core/status.h"

int ng_cl_qconv_is_dw(const ng_qlayer *q) {
    const ng_conv_geom *cg = &q->conv;
    return q->is_conv && cg->G == cg->C && cg->G == cg->K && cg->KH == cg->KW && cg->KH <= 7 &&
           cg->SH == cg->SW && cg->SH <= 2 && cg->DH == 1 && cg->DW == 1;
}

/* Pixels per work-item on CPUs: a power of two in [4, 16] dividing the row
 * when there is one, else 8 (a last segment overlapping its neighbour), or
 * the whole row when shorter. */
static int row_tile(int ow) {
    for (int t = 16; t >= 4; t /= 2)
        if (ow % t == 0) return t;
    return ow < 8 ? ow : 8;
}

nngpu_status ng_cl_qconv_dw_build(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const ng_qlayer *q) {
    const ng_conv_geom *cg = &q->conv;
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    ng_params p;
    memset(&p, 0, sizeof p);
    ng_params_set(&p, "PX_T", gpu ? (cg->OW >= 4 ? 4 : cg->OW) : row_tile(cg->OW));
    ng_params_set(&p, "WG_DW", 64);
    char sig[160];
    snprintf(sig, sizeof sig, "N=%d,C=%d,H=%d,W=%d,k=%d,s=%d", cg->N, cg->C, cg->H, cg->W, cg->KH,
             cg->SH);
    ng_params_lookup(&c->info, c->opts.tuning_db, "qconv_dw", sig, &p);
    k->params_source = p.source;
    int pxt = ng_params_get(&p, "PX_T", 8), wg = ng_params_get(&p, "WG_DW", 64);
    if (pxt < 1 || pxt > 32 || wg < 0 || wg > 1024)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad qconv_dw parameters PX_T=%d WG_DW=%d",
                        k->node_name, pxt, wg);
    size_t taps = (size_t)cg->KH * cg->KW, nw = (size_t)cg->C * taps;
    float *wf = malloc(nw * sizeof(float));
    if (!wf) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    const uint8_t *w = ng_in(g, n, q->w_input)->data;
    for (size_t i = 0; i < nw; i++)
        wf[i] = (float)((q->w_signed ? (int)(int8_t)w[i] : (int)w[i]) - q->w_zp[i / taps]);
    cl_mem wmem = NULL, geom = NULL;
    nngpu_status st = ng_cl_upload(c, k, wf, nw * sizeof(float), &wmem);
    free(wf);
    NG_CHECK(st);
    ng_cl_qconsts consts;
    NG_CHECK(ng_cl_qconsts_upload(c, k, q, &consts));
    NG_CHECK(ng_cl_qconv_geometry(c, k, cg, &geom));
    char extra[48], opts[1500];
    snprintf(extra, sizeof extra, "-DDW_K=%d -DDW_S=%d", cg->KH, cg->SH);
    ng_cl_qlayer_build_options(&p, q, g, n, extra, opts, sizeof opts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "qconv.cl", "qconv_dw", opts, 1, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_mem(&a, geom);
    ng_cl_arg_tensor(&a, c, k, g, n->in[q->x_input], bind);
    ng_cl_arg_int(&a, q->x_zp);
    ng_cl_arg_mem(&a, wmem);
    NG_CHECK(ng_cl_qlayer_out_args(&a, c, k, g, n, bind, &consts, q));
    ng_cl_launch *l = &k->launch[k->n_launches - 1];
    l->dims = 3;
    l->global[0] = (size_t)(cg->OW + pxt - 1) / (size_t)pxt;
    l->global[1] = (size_t)cg->OH;
    l->global[2] = (size_t)cg->N * cg->C;
    l->use_local = wg > 0;
    if (wg > 0) { /* a group: a row's segments x rows dividing OH, about WG_DW items */
        size_t lx = l->global[0] < (size_t)wg ? l->global[0] : (size_t)wg;
        size_t ly = (size_t)wg / lx;
        while (ly > 1 && cg->OH % ly) ly--;
        l->global[0] = (l->global[0] + lx - 1) / lx * lx;
        l->local[0] = lx;
        l->local[1] = ly;
        l->local[2] = 1;
    }
    ng_cl_kernel_name(k, n, "qconv_dw");
    return NNGPU_OK;
}
