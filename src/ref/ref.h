/* The CPU reference: plain C for every op nngpu knows, float64 accumulation
 * where it matters. The oracle for tests, the fallback for unclaimed nodes
 * and the evaluator of constant folding. */
#ifndef NG_REF_H
#define NG_REF_H

#include "graph/ir.h"

/* 1 when the reference runs node n with its input dtypes. */
int ng_ref_supported(const ng_graph *g, const ng_node *n);

/* Runs node n (its epilogue included). in[i]: data of input i (NULL when
 * omitted), out[i]: room for output i, whose dtype and shape g already holds
 * (shape inference ran). Errors name the node. */
nngpu_status ng_ref_run(const ng_graph *g, const ng_node *n, const void *const *in,
                        void *const *out);

/* Ops whose output extent the values decide (NonZero, NonMaxSuppression, Unique):
 * ng_ref_run_dynamic runs one and sets *extent, the length of the output's
 * dynamic axis (ng_tensor.dyn_axis; its dims there: the bound the buffer holds).
 * The data is packed to the actual shape. */
int ng_ref_is_dynamic_op(ng_op op);
nngpu_status ng_ref_run_dynamic(const ng_graph *g, const ng_node *n, const void *const *in,
                                void *const *out, int64_t *extent);
/* Unique's number of distinct entries in constant x (node n's axis); -1: out of memory. */
int64_t ng_ref_unique_count(const ng_node *n, const ng_tensor *x);

/* MaxUnpool's inferred output shape from x and the kernel_shape/strides/pads
 * attributes (MaxPool's input shape; its Indices count in it). */
nngpu_status ng_ref_max_unpool_shape(const ng_node *n, const ng_tensor *x, int64_t *dims);

/* DFT / STFT geometry from the node's attributes and constant inputs: the
 * signal axis, transform length, output bins (L / 2 + 1 when one-sided),
 * STFT's frame step and count. An inverse one-sided DFT (irfft) takes the
 * L / 2 + 1 bins and gives the L real samples (real_out). complex_in: the
 * input's last dim is 2 (re, im); an STFT signal of rank 2 [batch, samples]
 * is real (torch's TorchScript exporter writes it; onnxruntime takes it).
 * Errors name the node. */
typedef struct ng_dft_params {
    int axis, inverse, onesided, real_out, complex_in;
    int64_t length, bins, step, frames;
} ng_dft_params;
nngpu_status ng_ref_dft_params(const ng_graph *g, const ng_node *n, ng_dft_params *p);

/* Col2Im geometry: spatial dims, image, block, dilations, pads (begins then
 * ends), strides, block positions per dim and in all. Errors name the node. */
typedef struct ng_col2im_params {
    int spatial;
    int64_t image[NNGPU_MAX_DIMS], block[NNGPU_MAX_DIMS], dil[NNGPU_MAX_DIMS], stride[NNGPU_MAX_DIMS];
    int64_t pad[2 * NNGPU_MAX_DIMS], count[NNGPU_MAX_DIMS], blocks, positions;
} ng_col2im_params;
nngpu_status ng_ref_col2im_params(const ng_graph *g, const ng_node *n, ng_col2im_params *p);

/* Applies one epilogue step y = op(y[, operand]) over a float32 output of
 * shape out_dims; operand has its own shape, broadcast (NumPy rules). */
void ng_ref_apply_epilogue(const ng_graph *g, const ng_node *n, float *y, const void *const *in);

#endif
