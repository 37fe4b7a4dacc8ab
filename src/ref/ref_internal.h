/* Helpers shared by the reference kernels (not part of the interface). */
#ifndef NG_REF_INTERNAL_H
#define NG_REF_INTERNAL_H

#include "core/status.h"
#include "graph/infer.h"
#include "ref.h"

typedef nngpu_status (*ng_ref_fn)(const ng_graph *g, const ng_node *n, const void *const *in,
                                  void *const *out);

/* An error naming the node and its op. */
nngpu_status ng_ref_err(const ng_node *n, nngpu_status s, const char *fmt, ...) NG_PRINTF(3, 4);

int ng_ref_is_float(nngpu_dtype t);
int ng_ref_is_int(nngpu_dtype t); /* int8/uint8/int32/int64/bool */
int ng_ref_is_4bit(nngpu_dtype t); /* int4/uint4: packed, read and written by ldi/sti */

/* Element i of a buffer of dtype t, as float / double / int64, and back. */
float ng_ref_ldf(nngpu_dtype t, const void *p, int64_t i);
double ng_ref_ldd(nngpu_dtype t, const void *p, int64_t i);
int64_t ng_ref_ldi(nngpu_dtype t, const void *p, int64_t i);
void ng_ref_stf(nngpu_dtype t, void *p, int64_t i, float v);
void ng_ref_std(nngpu_dtype t, void *p, int64_t i, double v);
void ng_ref_sti(nngpu_dtype t, void *p, int64_t i, int64_t v);

/* Strides (in elements) of shape din read broadcast over shape dout (0 where broadcast). */
void ng_ref_bcast_strides(int rout, const int64_t *dout, int rin, const int64_t *din,
                          int64_t *strides);
/* Offset into the broadcast input of output element i. */
int64_t ng_ref_bcast_offset(int rout, const int64_t *dout, const int64_t *strides, int64_t i);
/* Row-major strides of a shape. */
void ng_ref_strides(int r, const int64_t *d, int64_t *s);

/* The window of Conv/MaxPool/AveragePool padded to 3 spatial dims (leading 1s);
 * fails (naming the node) on over 3 spatial dims. */
nngpu_status ng_ref_window3(const ng_graph *g, const ng_node *n, ng_window *w);

/* FLOAT16 nodes (ref_half.c): run on their float32 view. */
int ng_ref_half_supported(const ng_graph *g, const ng_node *n);
nngpu_status ng_ref_half_run(const ng_graph *g, const ng_node *n, const void *const *in,
                             void *const *out);

/* Threads for a float32 Conv/Gemm/MatMul of `macs` multiply-adds: the idle
 * CPUs (ng_jobs_default_threads) for large ones, else 1. Each output element
 * is summed by one thread in the same order, so results never depend on it. */
int ng_ref_threads(double macs);

/* Families. */
nngpu_status ng_ref_conv(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_pool(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_global_pool(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_gemm(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_matmul(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_batchnorm(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_unary_op(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_binary_op(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_bitwise(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_variadic(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_where(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_softmax(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_reduce(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_copy(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_concat(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_stacked_concat(const ng_graph *g, const ng_node *n, const void *const *in,
                                   void *const *out);
nngpu_status ng_ref_split(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_reverse_sequence(const ng_graph *g, const ng_node *n, const void *const *in,
                                     void *const *out);
nngpu_status ng_ref_col2im(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_window(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_mel_weight_matrix(const ng_graph *g, const ng_node *n, const void *const *in,
                                      void *const *out);
nngpu_status ng_ref_det(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_dft(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_max_unpool(const ng_graph *g, const ng_node *n, const void *const *in,
                               void *const *out);
nngpu_status ng_ref_unique(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out,
                           int64_t *extent);
nngpu_status ng_ref_slice(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_transpose(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_gather(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_pad(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_expand(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_dropout(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_resize(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_roi_align(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_grid_sample(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_cast(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_constant(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_shape(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_eye_like(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_constant_of_shape(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_range(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_mod(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_not(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_argmax(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_layernorm(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_einsum(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_lrn(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_channel_norm(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_convtranspose(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_tile(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_space_depth(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_gather_elements(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_trilu(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_onehot(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_size(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_cumsum(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_quantize(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_float_test(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_dynamic_quantize(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_dequantize(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_qconv(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_qmatmul(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_matmul_quant_w(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_rnn(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_gather_nd(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_scatter(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);
nngpu_status ng_ref_topk(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out);

#endif
