/* Shared by the quantized-layer families: see cl_qcommon.h. */
#include "cl_qcommon.h"

#include <limits.h>
#include <stdio.h>

#include "core/status.h"

int ng_cl_qlayer_output_ok(const ng_graph *g, const ng_node *n, const ng_qlayer *q) {
    const ng_tensor *y = ng_out(g, n, 0);
    if (!y || y->rank < 0 || ng_numel(y) > INT_MAX) return 0;
    if (q->out == NG_QOUT_INT32) return n->n_epi == 0;
    return ng_cl_epilogue_supported(g, n);
}

void ng_cl_qlayer_options(const ng_qlayer *q, char *buf, size_t cap) {
    static const char *const YT[] = {"char", "uchar", "float", "int"};
    snprintf(buf, cap, "-DXT=%s -DWT=%s -DYT=%s -DQ_OUT=%d", q->x_signed ? "char" : "uchar",
             q->w_signed ? "char" : "uchar", YT[q->out], (int)q->out);
}

nngpu_status ng_cl_qconsts_upload(ng_context *c, ng_kernel *k, const ng_qlayer *q,
                                  ng_cl_qconsts *out) {
    size_t nc = (size_t)q->n_ch;
    if (q->out == NG_QOUT_INT32) { /* unread: placeholders */
        static const cl_int zero = 0;
        NG_CHECK(ng_cl_meta_upload(c, k, &zero, sizeof zero, &out->mult));
        out->bias = out->mult;
        return NNGPU_OK;
    }
    NG_CHECK(ng_cl_upload(c, k, q->mult, nc * sizeof(float), &out->mult));
    return ng_cl_upload(c, k, q->bias, nc * sizeof(int32_t), &out->bias);
}

void ng_cl_qconsts_args(ng_cl_args *a, const ng_cl_qconsts *qc, const ng_qlayer *q) {
    ng_cl_arg_mem(a, qc->mult);
    ng_cl_arg_mem(a, qc->bias);
    ng_cl_arg_float(a, q->y_scale);
    ng_cl_arg_int(a, q->y_zp);
}

int ng_cl_qmac_chunk(int wmax, int xmax, int taps, int channels) {
    long bound = (long)wmax * xmax * taps;
    if (bound <= 0) return 0;
    long chunk = ((1L << 24) - 1) / bound;
    return chunk < 1 ? -1 : chunk >= channels ? 0 : (int)chunk;
}

nngpu_status ng_cl_qlayer_out_args(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g,
                                   const ng_node *n, const ng_binding *bind,
                                   const ng_cl_qconsts *qc, const ng_qlayer *q) {
    ng_cl_qconsts_args(a, qc, q);
    ng_cl_arg_tensor(a, c, k, g, n->out[0], bind);
    ng_cl_arg_epilogue(a, c, k, g, n, bind);
    return a->status;
}

void ng_cl_qlayer_build_options(const ng_params *p, const ng_qlayer *q, const ng_graph *g,
                                const ng_node *n, const char *extra, char *opts, size_t cap) {
    char popts[200], qopts[128], eopts[1024];
    ng_cl_params_options(p, popts, sizeof popts);
    ng_cl_qlayer_options(q, qopts, sizeof qopts);
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    snprintf(opts, cap, "%s %s %s %s", popts, extra, qopts, eopts);
}

nngpu_status ng_cl_qconv_geometry(ng_context *c, ng_kernel *k, const ng_conv_geom *cg,
                                  cl_mem *out) {
    cl_int gm[15] = {cg->C, cg->H, cg->W, cg->K, cg->OH, cg->OW, cg->KH, cg->KW,
                     cg->SH, cg->SW, cg->PT, cg->PL, cg->DH, cg->DW, cg->G};
    return ng_cl_meta_upload(c, k, gm, sizeof gm, out);
}
