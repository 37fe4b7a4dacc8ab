/* Shared by the quantized families (vk_quant.c, vk_qgemm.c, vk_qconv.c):
 * the per-channel table their shaders read and the implicit-GEMM entry for
 * ungrouped quantized convolutions. */
#ifndef NG_VK_QUANT_H
#define NG_VK_QUANT_H

#include "runtime/lower_quant.h"
#include "vk_util.h"

/* The output dtype code of shaders/vulkan/qcommon.glsl (NG_QOUT_*). */
static inline int ng_vk_qout_code(ng_qout o) {
    return o == NG_QOUT_INT8 ? 0 : o == NG_QOUT_UINT8 ? 1 : o == NG_QOUT_FLOAT ? 2 : 3;
}

/* The shader of a quantized family: stem, or its _i8 variant (8-bit storage
 * views) where the device has 8-bit storage and parameter I8 (default 1) is
 * set. */
static inline const char *ng_vk_qshader(const ng_context *c, const ng_params *p,
                                        const char *stem, const char *stem_i8) {
    return c->info.has_int8_storage && ng_params_get(p, "I8", 1) ? stem_i8 : stem;
}

/* Whether node n's layer q can run on the quantized shaders: its epilogue
 * encodes (none on int32 outputs) and its operands are 8-bit. */
int ng_vk_qlayer_ok(const ng_graph *g, const ng_node *n, const ng_qlayer *q);

/* Uploads q's per-channel table (ivec4: mult bits, int32 bias, weight zero
 * point, the weights' sum over k from ng_vk_qdot_pack or 0 when wsum is
 * NULL) into a buffer owned by k. */
nngpu_status ng_vk_qchannels_upload(ng_context *c, ng_kernel *k, const ng_qlayer *q,
                                    const int32_t *wsum, ng_buffer **out);

/* Whether a quantized layer with parameters p runs its _dot shader: the
 * device has the integer dot product and parameter IDOT is set (default:
 * ng_vk_qdot_default). */
int ng_vk_qdot_on(const ng_context *c, const ng_params *p);

/* IDOT's default: on where the device reports the packed 4x8 signed and
 * mixed-sign dot products accelerated (not lavapipe, which emulates them
 * and runs MobileNetV2 / ResNet-18 slower with them: bench/README.md). */
static inline int ng_vk_qdot_default(const ng_context *c) { return c->info.has_int8_dot_accel; }

/* 8-bit weights W(ch, c, t) = w[ch * s_ch + c * s_c + t * s_t] of n_ch output
 * channels, n_c input channels and taps kernel taps. */
typedef struct ng_vk_qdot_weights {
    const uint8_t *w;
    int n_ch, n_c, taps, is_signed;
    size_t s_ch, s_c, s_t;
} ng_vk_qdot_weights;

/* W as [ceil(n_ch / tile)][taps][ceil(n_c / 4)][tile] words of 4 channels
 * (the first in the low byte), zero padded, malloc'd (NULL: out of memory),
 * *bytes long; sums[ch] = sum over (c, t) of W(ch, c, t). */
uint8_t *ng_vk_qdot_pack(const ng_vk_qdot_weights *w, int tile, size_t *bytes, int32_t *sums);

/* Prepares the ungrouped quantized convolution q (QLinearConv, ConvInteger)
 * as an implicit GEMM (shaders/vulkan/qgemm.comp CONV=1). */
nngpu_status ng_vk_qgemm_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                              const ng_binding *bind, ng_kernel *k, const ng_qlayer *q);

#endif
