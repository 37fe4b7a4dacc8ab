/* Winograd F(m x m, 3 x 3) convolutions (vk_winograd.c), for vk_conv.c. */
#ifndef NG_VK_WINOGRAD_H
#define NG_VK_WINOGRAD_H

#include "vk_gemm.h"

/* 1 when v is a 3x3, stride-1, undilated convolution whose transformed
 * buffers fit 32-bit indices (the caller checks it is ungrouped). */
int ng_vk_winograd_fits(const ng_vk_conv_gemm *v);

/* The default of vk_conv's parameter WINO for v on this device: 0 (off),
 * 2 (F(2,3)) or 4 (F(4,3)). */
int ng_vk_winograd_default(const ng_context *c, const ng_vk_conv_gemm *v);

/* Prepares Conv node n (ng_vk_winograd_fits) as output tiles of tile x tile
 * pixels (2 or 4): data transform, (tile + 2)^2 GEMMs (gemm.comp), output
 * transform with bias and the fused epilogue. Weights are transformed here,
 * once, in double precision; the transformed data and products live in two
 * scratch buffers k owns. */
nngpu_status ng_vk_winograd_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k, const ng_vk_conv_gemm *v,
                                 int tile);

#endif
