/* Nodes that shape inference expands into standard ones once their inputs'
 * shapes are known (ONNX Attention, onnxruntime's MultiHeadAttention, RotaryEmbedding, BatchNormalization in
 * training mode, DeformConv, AffineGrid, LSTM / GRU / RNN): their layout (3-D or 4-D), head counts and masks decide
 * which nodes they stand for, so the pieces run as device kernels, fuse and
 * fold like any other node. */
#ifndef NG_EXPAND_H
#define NG_EXPAND_H

#include "node_builder.h"

/* Whether node n is expanded (ng_expand_node) instead of inferred. */
int ng_is_expanded(const ng_node *n);

/* Replaces node i, whose inputs' shapes are known, by the nodes it stands
 * for, placed at index i (the node now at i is the first of them; node i
 * itself ends after them, dead). Its output tensors keep their ids. Errors
 * name the node. */
nngpu_status ng_expand_node(ng_graph *g, int i);

/* The expansions: nodes appended through e for node n (a copy: appending
 * moves g->nodes). */
nngpu_status ng_expand_attention(ng_builder *e, const ng_node *n);
nngpu_status ng_expand_mha(ng_builder *e, const ng_node *n);
/* K or V [B, heads, L, d] after its past (Concat on axis 2), written to
 * `present` when that is an output (expand_attention.c; MultiHeadAttention too). */
int ng_expand_with_past(ng_builder *e, int past, int x, int present);
nngpu_status ng_expand_rotary(ng_builder *e, const ng_node *n);
nngpu_status ng_expand_bn_training(ng_builder *e, const ng_node *n);
nngpu_status ng_expand_deform_conv(ng_builder *e, const ng_node *n);
nngpu_status ng_expand_affine_grid(ng_builder *e, const ng_node *n);
nngpu_status ng_expand_rnn(ng_builder *e, const ng_node *n);

#endif
