/* The GEMM family's entry for other families: 1x1 convolutions. */
#ifndef NG_VK_GEMM_H
#define NG_VK_GEMM_H

#include "vk_util.h"

/* A convolution run as a GEMM: NCHW, one group, output channels K. */
typedef struct ng_vk_conv_gemm {
    int N, C, H, W, K, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW;
    int bias; /* tensor id, -1: none */
} ng_vk_conv_gemm;

/* Prepares Conv node n as the batched GEMM Y[b] (K x OH*OW) = W (K x C*KH*KW)
 * x im2col(X[b]) + bias: a plain GEMM for 1x1 stride-1 unpadded convolutions,
 * otherwise the implicit-GEMM variant (gemm.comp CONV=1, register tiles). */
nngpu_status ng_vk_gemm_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                             const ng_binding *bind, ng_kernel *k, const ng_vk_conv_gemm *cv);

#endif
