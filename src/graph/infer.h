/* Shape and dtype inference. */
#ifndef NG_INFER_H
#define NG_INFER_H

#include "ir.h"

/* Sets dtype and shape of node n's outputs from its inputs (which must be
 * known) and attributes. Fails, naming the node, on inconsistent shapes,
 * wrong dtypes, missing required inputs or unsupported attribute values. */
nngpu_status ng_infer_node(ng_graph *g, ng_node *n);
/* 1 when the last ng_infer_node failed for want of a value known only per
 * run that decides a shape (then cleared). */
int ng_infer_wanted_value(void);

/* NumPy broadcast of two shapes; fails when incompatible. */
nngpu_status ng_broadcast_shape(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                                int64_t *out);

/* ---- resolved parameters, shared by shape inference, the reference and lowering ---- */

/* Window geometry of Conv / MaxPool / AveragePool over the spatial dims
 * (auto_pad resolved; for ceil_mode the end pads stay as given). */
typedef struct ng_window {
    int ns; /* spatial dims */
    int64_t in[NNGPU_MAX_DIMS], out[NNGPU_MAX_DIMS], k[NNGPU_MAX_DIMS], s[NNGPU_MAX_DIMS],
        d[NNGPU_MAX_DIMS], pb[NNGPU_MAX_DIMS], pe[NNGPU_MAX_DIMS];
} ng_window;
nngpu_status ng_infer_window(const ng_graph *g, const ng_node *n, ng_window *w);

/* ConvTranspose: the window with in/out swapped in meaning: in = input
 * spatial dims, out = output dims, pb = begin pads (auto_pad / output_shape
 * resolved); output pixel o gets input i where o = i*s - pb + k*d. */
nngpu_status ng_infer_convtranspose(const ng_graph *g, const ng_node *n, ng_window *w);

/* Einsum: every dim of every input and of the output as a label id; ids
 * 0..n_ell-1 are the (right-aligned, broadcast) ellipsis dims. size: each
 * label's extent (dims of 1 broadcast). */
#define NG_EINSUM_MAX_IN 8
#define NG_EINSUM_MAX_LABELS 64
typedef struct ng_einsum {
    int n_in, n_labels, n_ell;
    int in_rank[NG_EINSUM_MAX_IN], in_lab[NG_EINSUM_MAX_IN][NNGPU_MAX_DIMS];
    int out_rank, out_lab[NNGPU_MAX_DIMS];
    int64_t size[NG_EINSUM_MAX_LABELS];
} ng_einsum;
nngpu_status ng_infer_einsum(const ng_graph *g, const ng_node *n, ng_einsum *e);

/* LSTM / GRU / RNN: sizes, layout and each direction's activations
 * (activations[d][k] with their alpha/beta; k: LSTM f, g, h; GRU f, g; RNN f). */
typedef enum ng_rnn_act {
    NG_RNN_SIGMOID, NG_RNN_TANH, NG_RNN_RELU, NG_RNN_HARDSIGMOID, NG_RNN_LEAKYRELU,
    NG_RNN_THRESHOLDEDRELU, NG_RNN_SCALEDTANH, NG_RNN_AFFINE, NG_RNN_ELU, NG_RNN_SOFTSIGN,
    NG_RNN_SOFTPLUS
} ng_rnn_act;
typedef struct ng_rnn {
    int gates;      /* 4 LSTM, 3 GRU, 1 RNN */
    int projected;  /* Recurrence: input 0 is X . W^T, input 2 R^T (ops.def) */
    int n_act;      /* activations per direction */
    int dirs;       /* 1 or 2 */
    int reverse;    /* direction "reverse" (one direction) */
    int layout;     /* 0: [seq, batch, ...]; 1: [batch, seq, ...] */
    int64_t seq, batch, input, hidden;
    float clip;     /* 0: none */
    int linear_before_reset, input_forget;
    ng_rnn_act act[2][3];
    float alpha[2][3], beta[2][3];
} ng_rnn;
nngpu_status ng_infer_rnn(const ng_graph *g, const ng_node *n, ng_rnn *r);

/* Slice: start and step per input dim (0 / 1 where untouched) and the output dims. */
nngpu_status ng_infer_slice(const ng_graph *g, const ng_node *n, int64_t *start, int64_t *step,
                            int64_t *out_dims);

/* Pad: begin / end pads per input dim (negative crops) and the constant value. */
nngpu_status ng_infer_pad(const ng_graph *g, const ng_node *n, int64_t *pb, int64_t *pe,
                          double *value);

/* Resize / Upsample: per-dim scale (the one the coordinate transform uses) and output dims;
 * roi[2*rank] (start..., end...) defaults to 0..1. */
nngpu_status ng_infer_resize(const ng_graph *g, const ng_node *n, double *scales,
                             int64_t *out_dims, double *roi);

/* QuantizeLinear / DequantizeLinear: x (input xi) viewed as [outer, axis_len,
 * inner] around the quantization axis; the scale (input si) of element
 * (o, a, i) is at (o * n_blocks + a / block) * inner + i when blocked, else at
 * a / block. Per tensor: one block covering everything. */
typedef struct ng_qaxis {
    int64_t outer, axis_len, inner;
    int64_t block;    /* axis elements per scale (>= 1) */
    int64_t n_blocks; /* scales along the axis */
    int blocked;      /* opset 21 block_size: the scale has x's rank */
} ng_qaxis;
nngpu_status ng_infer_qaxis(const ng_graph *g, const ng_node *n, int xi, int si, ng_qaxis *q);

#endif
