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

/* A batched GEMM between another family's intermediate buffers (Winograd):
 * Y[b] (M x N) = A[b] (M x K) x B[b] (K x N), row-major, contiguous per
 * batch; A is constant (fill_a writes it into a buffer k holds, shared with
 * other sessions when large: a_from), B and Y device buffers
 * read and written from element 0. Tile parameters: the GEMM defaults for
 * the shape, then ng_params_lookup(family, signature). Adds one dispatch
 * whose hazard ranges are all its bindings (the caller may narrow them). */
typedef struct ng_vk_gemm_batched {
    int M, N, K, batch;
    /* writes the constant A (M x K per batch): batch i from dst + i * stride,
     * in panels of `pack` rows (element (m, k) at ((m / pack) * K + k) * pack
     * + m % pack; rows padding M to a multiple of pack zeroed); into the
     * device buffer itself where it maps */
    void (*fill_a)(void *arg, float *dst, size_t stride, int pack);
    void *arg;
    ng_vk_const_source a_from; /* what A is made from (shared between sessions) */
    ng_buffer *b, *y;
} ng_vk_gemm_batched;

nngpu_status ng_vk_gemm_batched_add(ng_context *c, ng_kernel *k, const ng_vk_gemm_batched *gb,
                                    const char *family, const char *signature);

#endif
