/* Graph passes, run in this order by the session compiler. Each appends
 * one line per change to the report (when non-NULL) and can be switched off
 * (nngpu_options.disabled_passes, NNGPU_DISABLE_PASSES). */
#ifndef NG_PASSES_H
#define NG_PASSES_H

#include "ir.h"
#include "report.h"

/* Infers every node's output shapes in order and, with fold, evaluates
 * nodes whose inputs are all constant (Shape of a known shape included) on
 * the CPU reference, turning their outputs into constants; a
 * DequantizeLinear feeding a Conv/Gemm/MatMul weight or bias is kept
 * (fold 2, evaluating a subgraph: every node with constant inputs folds).
 * If/Loop with constant inputs are evaluated; otherwise they, and every
 * reader of a value whose shape only a run decides, get ng_tensor.rt_shape
 * outputs and no inference (ng_pass_extract_runtime moves them out). */
nngpu_status ng_pass_infer_fold(ng_graph *g, int fold, ng_report *r);
/* The rt_shape nodes ng_pass_infer_fold marked become the host subgraph of
 * one RuntimeTail node at the end of the graph (extract_runtime.c). */
nngpu_status ng_pass_extract_runtime(ng_graph *g, ng_report *r);
/* Pre-quantized models: DQ -> Conv/MatMul/Gemm(DQ weights) [-> Relu/Clip]
 * [-> Q] become QLinearConv / QLinearMatMul (float output without the Q). */
nngpu_status ng_pass_fold_qdq(ng_graph *g, ng_report *r);
/* DequantizeLinear(constant 4/8-bit W) -> MatMul/Gemm, activations float:
 * MatMulQuantW. */
nngpu_status ng_pass_fold_dq_matmul(ng_graph *g, ng_report *r);
/* ConvInteger / MatMulInteger with a run-time input zero point (dynamic
 * quantization) read only by a Cast to float: a float Conv / MatMul of the
 * centred integers, exact up to float rounding of the sums. */
nngpu_status ng_pass_fold_dynamic_int(ng_graph *g, ng_report *r);
/* Folds the DequantizeLinears of constants that ng_pass_infer_fold kept for
 * the two passes above (weights of layers they left float). */
nngpu_status ng_pass_fold_dequantize(ng_graph *g, ng_report *r);
/* Weight-only quantization (bits 4 or 8, scales per group of rows or per
 * column when group is 0): constant MatMul/Gemm weights become MatMulQuantW;
 * *count says how many. */
nngpu_status ng_pass_quantize_weights(ng_graph *g, int bits, int group, int *count, ng_report *r);
/* Common subexpressions: a node with the op, attributes and inputs of an
 * earlier one (equal small constants alike) goes; its readers read the
 * earlier node's outputs (cse.c). */
nngpu_status ng_pass_cse(ng_graph *g, ng_report *r);
/* Removes Identity, inference-mode Dropout and no-op Casts. */
nngpu_status ng_pass_eliminate(ng_graph *g, ng_report *r);
/* Rewrites regions of elementwise / Reduce / Softmax / Concat / Pad nodes
 * between layout Transposes (NHWC exports) to run untransposed, when that
 * moves fewer elements: the Transposes around them cancel
 * (sink_transposes.c). */
nngpu_status ng_pass_sink_transposes(ng_graph *g, ng_report *r);
/* Folds BatchNormalization, and Mul/Add/Sub/Div by per-channel constants,
 * into the preceding Conv / Gemm. */
nngpu_status ng_pass_fuse_batchnorm(ng_graph *g, ng_report *r);
/* Turns remaining BatchNormalizations into Mul + Add-epilogue nodes; with
 * absorb (the fuse_batchnorm pass on), per-channel Mul/Add/Sub/Div after one
 * join its coefficients first. */
nngpu_status ng_pass_lower_batchnorm(ng_graph *g, int absorb, ng_report *r);
/* Turns variadic Sum/Mean/Max/Min into a binary elementwise node with the
 * other inputs as epilogue steps (or Identity for one input). */
nngpu_status ng_pass_lower_variadic(ng_graph *g, ng_report *r);
/* The most inputs a device Concat takes (a launch / dispatch each; the
 * backends' per-node limits are at least this). */
#define NG_CONCAT_MAX_PARTS 32
/* Concats of more inputs as a tree of Concats of at most NG_CONCAT_MAX_PARTS
 * (device sessions). */
nngpu_status ng_pass_split_concat(ng_graph *g, ng_report *r);
/* 3-D convolutions (float, constant weights, explicit pads) as a 2-D Conv over
 * the stacked frames of each output frame, between Gather / Transpose /
 * Reshape nodes (device sessions: the device kernels are 2-D). */
nngpu_status ng_pass_lower_conv3d(ng_graph *g, ng_report *r);
/* 3-D MaxPool / AveragePool (float, explicit pads) as a 2-D pool over each
 * frame, then one along the frames (device sessions: separable windows). */
nngpu_status ng_pass_lower_pool3d(ng_graph *g, ng_report *r);
/* Devices: a ConvTranspose with stride == its square kernel, no pads or groups,
 * as a 1x1 Conv to Cout*k*k channels and DepthToSpace(k, CRD)
 * (lower_convtranspose.c). */
nngpu_status ng_pass_lower_convtranspose(ng_graph *g, ng_report *r);
/* Cuts Conv kernels to the taps that read some input, not only padding
 * (dilated convolutions on small maps; trim_conv_taps.c). Device sessions. */
nngpu_status ng_pass_trim_conv_taps(ng_graph *g, ng_report *r);
/* DFT / STFT (float, constant window) as a MatMul / strided Conv by a constant
 * transform matrix (device sessions: GEMM and convolution kernels). */
nngpu_status ng_pass_lower_dft(ng_graph *g, ng_report *r);
/* Folds zero constant Pad of spatial dims into the following Conv / AveragePool. */
nngpu_status ng_pass_fuse_pad(ng_graph *g, ng_report *r);
/* GELU, HardSwish, SiLU and Mish spelled out in elementwise ops (x read
 * twice) become the one op, so that they fuse (fuse_activations.c). */
nngpu_status ng_pass_fuse_activations(ng_graph *g, ng_report *r);
/* Appends bias, activations, residual Adds and other elementwise consumers
 * to Conv/Gemm/MatMul/ConvTranspose/normalizations (epilogue) and to
 * elementwise nodes (chains). */
nngpu_status ng_pass_fuse_epilogues(ng_graph *g, int anchors_conv_gemm, int anchors_eltwise,
                                    ng_report *r);
/* Marks Reshape/Flatten/Squeeze/Unsqueeze outputs as views of their input. */
void ng_pass_mark_views(ng_graph *g);

/* ---- INT8 post-training quantization (run after the passes above) ---- */
/* A calibrated activation range; mean[n_ch]: per-channel means along the
 * axis ng_quantize_int8_wanted asked for (n_ch 0: none). */
typedef struct ng_quant_range {
    int known;
    float lo, hi; /* contains 0 */
    int n_ch;
    const double *mean;
} ng_quant_range;
/* Marks need[t] for the tensors whose ranges the rewrite reads (inputs and
 * outputs of the layers it can quantize) and sets mean_axis[t] to the axis
 * whose channel means bias correction uses (-1: none). Both [n_tensors]. */
void ng_quantize_int8_wanted(const ng_graph *g, unsigned char *need, int *mean_axis);
/* Turns each float Conv (2-D, constant weights) and Gemm/MatMul with a
 * constant 2-D weight into QLinearConv / QLinearMatMul: per-channel
 * symmetric int8 weights, per-tensor asymmetric int8 activations from
 * ranges[n_tensors], a QuantizeLinear per float input tensor, int8 outputs
 * where every consumer is a quantized layer. Layers it cannot quantize
 * safely stay fp32 (a report line says why), and so does the layer whose
 * output is tensor t when keep_fp32[t] (keep_fp32 [n_tensors] or NULL: the
 * INT8 accuracy guard's choice). *n_int8, *n_fp32: the counts. */
nngpu_status ng_pass_quantize_int8(ng_graph *g, const ng_quant_range *ranges, int bias_correction,
                                   const unsigned char *keep_fp32, ng_report *r, int *n_int8,
                                   int *n_fp32);

/* ---- helpers shared by the passes ---- */
/* Number of live consumers of tensor t (graph outputs count as one more). */
int ng_use_count(const ng_graph *g, int t);
/* Moves the nodes appended after the first n_old next to their anchors:
 * appended node n_old + j goes just before node anchor[j] (just after it
 * when after && after[j]), in appended order; producers follow. */
nngpu_status ng_place_appended(ng_graph *g, int n_old, const int *anchor, const int *after);
/* Nodes a pass appends, each going just before the node that was `at` when it
 * was added: start with {g->n_nodes} (n_old), set at, add, finish. */
typedef struct ng_appender {
    int n_old, *anchor, cap, at;
} ng_appender;
/* Node op(in) -> out appended; its index, -1 when out < 0 or out of memory. */
int ng_appender_add(ng_graph *g, ng_appender *a, ng_op op, const char *name, int n_in, const int *in,
                    int out);
/* A copy of src (ng_node_copy_into) appended; its index, -1 when out of memory. */
int ng_appender_copy(ng_graph *g, ng_appender *a, const ng_node *src, const int *in, const int *out);
/* Moves the appended nodes next to their anchors (ng_place_appended), frees a. */
nngpu_status ng_appender_finish(ng_graph *g, ng_appender *a);
/* The only live node reading t, or -1. */
int ng_sole_consumer(const ng_graph *g, int t);
/* Replaces every use of tensor `from` by `to` in live nodes. */
void ng_replace_uses(ng_graph *g, int from, int to);
/* Transpose n's permutation over rank axes (none given: reversed); 0 when its
 * length is not rank. */
int ng_transpose_perm(const ng_node *n, int rank, int64_t *p);
/* The live readers of every tensor of g at one time (graph outputs not
 * included): readers of t are node[start[t] .. start[t + 1]), one entry per
 * input slot. Stale once nodes change. */
typedef struct ng_readers {
    int *start, *node;
} ng_readers;
int ng_readers_build(const ng_graph *g, ng_readers *r); /* 0 when out of memory */
void ng_readers_free(ng_readers *r);
/* Appends the ONNX op name of absorbed to the fused text of n. */
void ng_node_note_fused(ng_node *n, const char *op_name);
/* Index of tensor t in node n's inputs, appending it when absent; -1 on OOM. */
int ng_node_input_slot(ng_node *n, int t);

#endif
