/* The GEMM family's entry for other families: convolutions as GEMM. */
#ifndef NG_CL_GEMM_H
#define NG_CL_GEMM_H

#include "cl_internal.h"

/* Prepares node n (a 1x1, stride-1, unpadded, ungrouped Conv) as the batched
 * GEMM Y[b] (K x HW) = W (K x C) x X[b] (C x HW) + bias (tensor id, -1: none).
 * With cols (not NULL) X[b] is that buffer's patch matrix (im2col: C is then
 * C*KH*KW and W the weights read as [K][C*KH*KW]). */
nngpu_status ng_cl_gemm_conv1x1(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k, int batch, int channels,
                                int pixels, int out_channels, int bias, cl_mem cols);

/* The batched GEMM Y[b] (M x N) = A[b] (M x K) x B[b] (K x N) between
 * buffers another family owns (Winograd's transforms), row-major and
 * contiguous per batch, no bias or epilogue; tiles are the gemm family's for
 * that signature. */
nngpu_status ng_cl_gemm_scratch(ng_context *c, ng_kernel *k, int M, int N, int K, int batch,
                                cl_mem a, cl_mem b, cl_mem y);

#endif
