/* The GEMM family's entry for other families: 1x1 convolutions. */
#ifndef NG_VK_GEMM_H
#define NG_VK_GEMM_H

#include "vk_util.h"

/* Prepares node n (a 1x1, stride-1, unpadded, ungrouped Conv) as the batched
 * GEMM Y[b] (K x HW) = W (K x C) x X[b] (C x HW) + bias (tensor id, -1: none). */
nngpu_status ng_vk_gemm_conv1x1(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k, int batch, int channels,
                                int pixels, int out_channels, int bias);

#endif
