/* Helpers shared by the ONNX importer's files. */
#ifndef NG_ONNX_INTERNAL_H
#define NG_ONNX_INTERNAL_H

#include "graph/ir.h"
#include "onnx/onnx.pb-c.h"

/* A decoded TensorProto. data points either into the proto (raw_data) or at
 * owned memory (freed by ng_onnx_tensor_free). */
typedef struct ng_onnx_tensor {
    nngpu_dtype dtype;
    int rank;
    int64_t dims[NNGPU_MAX_DIMS];
    const void *data;
    size_t bytes;
    void *owned;
} ng_onnx_tensor;

/* Decodes tp; what names it in errors ("initializer 'w'", "node 'c': attribute
 * 'value'"). base_dir: folder of external-data files, may be NULL. */
nngpu_status ng_onnx_tensor_decode(const Onnx__TensorProto *tp, const char *base_dir,
                                   const char *what, ng_onnx_tensor *out);
void ng_onnx_tensor_free(ng_onnx_tensor *t);

/* nngpu dtype of an ONNX TensorProto.DataType, UNDEFINED when unsupported. */
nngpu_dtype ng_onnx_dtype(int32_t onnx_type);
const char *ng_onnx_dtype_name(int32_t onnx_type);

/* Reads length bytes at offset of base_dir/location (validated: relative, no
 * '..') into a new buffer. */
nngpu_status ng_onnx_read_external(const char *base_dir, const char *location, uint64_t offset,
                                   size_t length, const char *what, void **out);

/* A list of owned names. */
typedef struct ng_onnx_names {
    int n, cap;
    char **v;
} ng_onnx_names;
void ng_onnx_names_free(ng_onnx_names *l);
/* Appends a copy of name unless it is there already (add) or always (push); -1 on OOM. */
int ng_onnx_names_add(ng_onnx_names *l, const char *name);
int ng_onnx_names_push(ng_onnx_names *l, const char *name);
/* Whether attribute a holds a graph (If's branches, Loop's body). */
int ng_onnx_is_graph_attr(const Onnx__AttributeProto *a);
/* Adds to out (no repeats) the values of enclosing graphs that nd's subgraphs
 * read by name: nd's implicit inputs. */
nngpu_status ng_onnx_node_captures(const Onnx__NodeProto *nd, ng_onnx_names *out);

/* Topological order of gp's nodes into order[n_node]; the tensors of g
 * (initializers, graph inputs) exist before any node runs. captures[i]
 * (may be NULL): node i's implicit inputs, read by its subgraphs.
 * Errors (NNGPU_ERR_PARSE) name the node and tensor: a cycle, an input no one
 * produces, a tensor produced twice. names[i] is node i's display name. */
nngpu_status ng_onnx_sort(const Onnx__GraphProto *gp, const ng_graph *g,
                          const char *const *names, const ng_onnx_names *captures, int *order);

/* Copies attribute a onto the node added last to g (node: its display name). */
nngpu_status ng_onnx_add_attr(ng_graph *g, const char *base_dir, const Onnx__AttributeProto *a,
                              const char *node);

/* One node being rewritten at import into standard ones (onnx_rewrite.c). */
typedef struct ng_onnx_rewrite {
    ng_graph *g;
    const char *base_dir, *name; /* name: the node's display name */
    const Onnx__NodeProto *nd;
    int opset, n_tmp;            /* opset of the default domain; names made so far */
    const Onnx__GraphProto *gp;  /* the graph it is in */
    nngpu_status failed;         /* a helper's failure (its error is set), else NNGPU_OK */
    int source_opset;            /* the model's opset (opset: what it is imported as) */
    /* Loop results holding appends stacked on axis 0: v[2i] the result, v[2i + 1]
     * the sequence the Loop started from (onnx_sequence_loop.c) */
    const ng_onnx_names *stacked;
} ng_onnx_rewrite;
/* Input / output i, NULL when absent or empty. */
const char *ng_rw_input(const ng_onnx_rewrite *r, size_t i);
const char *ng_rw_output(const ng_onnx_rewrite *r, size_t i);
/* The node's attribute `name` (NULL when absent), and its value or def. */
const Onnx__AttributeProto *ng_rw_attr(const ng_onnx_rewrite *r, const char *name);
float ng_rw_attr_float(const ng_onnx_rewrite *r, const char *name, float def);
int64_t ng_rw_attr_int(const ng_onnx_rewrite *r, const char *name, int64_t def);
/* Copies the node's attributes onto the graph's last node, all but those
 * whose name starts with skip_prefix (NULL: all). */
nngpu_status ng_rw_copy_attrs(ng_onnx_rewrite *r, const char *skip_prefix);
/* A fresh name "<node>/<what><n>" into buf. */
const char *ng_rw_tmp(ng_onnx_rewrite *r, const char *what, char *buf, size_t cap);
/* Node op(ins) -> out, named as the rewritten node when main, else fresh. */
nngpu_status ng_rw_add(ng_onnx_rewrite *r, const char *op, int main, int n_in, const char **ins,
                       const char *out);
/* A float32 scalar constant v, its fresh name ("<node>/<what><n>") into buf. */
nngpu_status ng_rw_scalar(ng_onnx_rewrite *r, const char *what, float v, char *buf, size_t cap);
/* An int64 constant: a scalar (rank 0) or n values (rank 1); name as above. */
nngpu_status ng_rw_i64(ng_onnx_rewrite *r, const char *what, int rank, int64_t n, const int64_t *v,
                       char *buf, size_t cap);
/* Cast(x, to) -> out. */
nngpu_status ng_rw_cast(ng_onnx_rewrite *r, const char *x, int64_t to, const char *out);
/* Clip(x, lo, hi) -> out: bounds as attributes before opset 11, constants after. */
nngpu_status ng_rw_clip(ng_onnx_rewrite *r, const char *x, float lo, float hi, const char *out);

/* Old forms rewritten at import (onnx_legacy.c): deprecated ops, and the nodes
 * of opset 1-6 models whose meaning changed by opset 7, the opset such models
 * are imported as (ng_onnx_legacy_opset). 1 when node nd of a model of that
 * opset is one, and the rewrite adding node r->nd to r->g. */
int ng_onnx_is_legacy_node(const Onnx__NodeProto *nd, int opset);
int ng_onnx_legacy_opset(int opset);
nngpu_status ng_onnx_add_legacy_node(ng_onnx_rewrite *r);

/* Function ops of the default domain rewritten at import into the ops they
 * stand for (onnx_function_ops.c: MeanVarianceNormalization, LpNormalization,
 * ReduceLogSum, Scatter): 1 when op_type is one, and the rewrite. */
int ng_onnx_is_function_op(const char *op_type);
nngpu_status ng_onnx_add_function_node(ng_onnx_rewrite *r);
/* Sequences known at import (onnx_sequence.c): SplitToSequence,
 * SequenceConstruct, SequenceEmpty, SequenceInsert and SequenceErase add
 * nothing once their readers are checked; SequenceAt, ConcatFromSequence and
 * SequenceLength take the elements. */
nngpu_status ng_onnx_sequence_source(ng_onnx_rewrite *r);
nngpu_status ng_onnx_sequence_reader(ng_onnx_rewrite *r);
/* Loops appending one tensor per iteration to a carried sequence get a scan
 * output instead (onnx_sequence_loop.c, on the protobuf before import, nested
 * graphs included); each Loop result that now holds the stacked elements is
 * added to stacked, followed by the sequence the Loop started from. */
nngpu_status ng_onnx_sequence_loops(Onnx__GraphProto *gp, ng_onnx_names *stacked);
/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (onnx_loss_ops.c). */
nngpu_status ng_onnx_nll_loss(ng_onnx_rewrite *r);
nngpu_status ng_onnx_sce_loss(ng_onnx_rewrite *r);
/* RMS normalization of x over the axes from axis on, times scale, into out
 * (the rewritten node's name when main). */
nngpu_status ng_rw_rms_norm(ng_onnx_rewrite *r, const char *x, const char *scale, int64_t axis,
                           float epsilon, int main, const char *out);

/* onnxruntime's com.microsoft ops rewritten at import into standard ones
 * (onnx_contrib.c, onnx_contrib_float.c, onnx_contrib_attention.c): 1 when
 * (domain, op_type) is one, and the rewrite adding node r->nd to r->g. */
int ng_onnx_is_contrib_op(const char *domain, const char *op_type);
nngpu_status ng_onnx_add_contrib_node(ng_onnx_rewrite *r);

/* The float fusions among them (FusedConv, Gelu, SkipLayerNormalization, ...). */
int ng_onnx_is_contrib_float_op(const char *op_type);
nngpu_status ng_onnx_add_contrib_float_node(ng_onnx_rewrite *r);
/* The rank of tensor `name` from graph inputs / value_info, followed through
 * Cast and ReduceSum (onnx_rw_rank.c); -1 when unknown. */
int ng_rw_rank(const ng_onnx_rewrite *r, const char *name);
/* The transformer fusions (Attention, EmbedLayerNormalization). */
int ng_onnx_is_contrib_attention_op(const char *op_type);
nngpu_status ng_onnx_add_contrib_attention_node(ng_onnx_rewrite *r);
/* GroupQueryAttention (onnx_contrib_gqa.c). */
int ng_onnx_is_contrib_gqa_op(const char *op_type);
nngpu_status ng_onnx_add_contrib_gqa_node(ng_onnx_rewrite *r);
/* MultiHeadAttention, RotaryEmbedding (onnx_contrib_mha.c). */
int ng_onnx_is_contrib_mha_op(const char *op_type);
nngpu_status ng_onnx_add_contrib_mha_node(ng_onnx_rewrite *r);
/* MatMulNBits (onnx_contrib_nbits.c). */
int ng_onnx_is_contrib_nbits_op(const char *op_type);
nngpu_status ng_onnx_add_contrib_nbits_node(ng_onnx_rewrite *r);

#endif
