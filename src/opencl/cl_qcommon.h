/* What the quantized-layer families (cl_qconv.c, cl_qgemm.c) share: the
 * output check, the type options and the per-channel output constants of an
 * ng_qlayer (src/runtime/lower_quant.h). */
#ifndef NG_CL_QCOMMON_H
#define NG_CL_QCOMMON_H

#include "cl_util.h"
#include "runtime/lower_quant.h"

/* 1 when the node's output and epilogue are ones the kernels write: int32
 * outputs take no epilogue, others an epilogue the encoding expresses. */
int ng_cl_qlayer_output_ok(const ng_graph *g, const ng_node *n, const ng_qlayer *q);

/* "-DXT=char -DWT=uchar -DYT=char -DQ_OUT=0": element types and output mode. */
void ng_cl_qlayer_options(const ng_qlayer *q, char *buf, size_t cap);

/* The output stage's per-channel constants, uploaded once. */
typedef struct ng_cl_qconsts {
    cl_mem mult, bias;
} ng_cl_qconsts;

nngpu_status ng_cl_qconsts_upload(ng_context *c, ng_kernel *k, const ng_qlayer *q,
                                  ng_cl_qconsts *out);
/* Binds mult, bias, y_scale, y_zp at the next arguments (NG_Q_OUT's names). */
void ng_cl_qconsts_args(ng_cl_args *a, const ng_cl_qconsts *qc, const ng_qlayer *q);
/* The kernels' last arguments: the output stage's constants, y and the
 * epilogue; returns the arguments' status. */
nngpu_status ng_cl_qlayer_out_args(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g,
                                   const ng_node *n, const ng_binding *bind,
                                   const ng_cl_qconsts *qc, const ng_qlayer *q);
/* Build options: the parameters, `extra`, the layer's types and output
 * mode, the epilogue. */
void ng_cl_qlayer_build_options(const ng_params *p, const ng_qlayer *q, const ng_graph *g,
                                const ng_node *n, const char *extra, char *opts, size_t cap);
/* The convolution geometry qconv.cl's kernels read, uploaded. */
nngpu_status ng_cl_qconv_geometry(ng_context *c, ng_kernel *k, const ng_conv_geom *cg,
                                  cl_mem *out);

/* Exact float multiply-adds (QMAC 1 in qconv.cl): integer products and
 * sums below 2^24 are exact in float. For products of at most wmax * xmax,
 * taps per channel: the channels per float partial sum, 0 when all fit,
 * -1 when not even one does (then int32 arithmetic). */
int ng_cl_qmac_chunk(int wmax, int xmax, int taps, int channels);

/* 1x1, stride 1, unpadded, one group: the GEMM path (cl_qconv1x1.c). */
int ng_cl_qconv_is_1x1(const ng_qlayer *q);
nngpu_status ng_cl_qconv1x1_build(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const ng_qlayer *q);
/* Depthwise with a small square kernel, equal strides <= 2, no dilation:
 * compiled-in geometry (cl_qconv_dw.c). */
int ng_cl_qconv_is_dw(const ng_qlayer *q);
nngpu_status ng_cl_qconv_dw_build(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const ng_qlayer *q);

#endif
