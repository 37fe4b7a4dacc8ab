/* The graph IR: tensors, nodes, attributes, fused epilogues.
 * Nodes are kept in topological order; removed nodes are marked dead. */
#ifndef NG_IR_H
#define NG_IR_H

#include <stddef.h>
#include <stdint.h>

#include "nngpu/graph.h"
#include "nngpu/nngpu.h"

/* NG_KIND_UNARY_REF: elementwise y = f(x) that only the reference runs (never fused). */
typedef enum ng_op_kind {
    NG_KIND_OTHER, NG_KIND_ELTWISE_UNARY, NG_KIND_ELTWISE_BINARY, NG_KIND_UNARY_REF
} ng_op_kind;

typedef enum ng_op {
#define X(e, name, kind) NG_OP_##e,
#include "ops.def"
#undef X
    NG_OP_COUNT
} ng_op;

const char *ng_op_name(ng_op op);
ng_op_kind ng_op_kind_of(ng_op op);
/* Ops whose output is their input (Identity, Dropout): a dynamic input
 * (ng_tensor.is_dynamic) makes a dynamic output of the same extent. */
int ng_passes_dynamic(ng_op op);
/* If, Loop, Scan: ops with subgraphs, evaluated on the host (graph/subgraph.c). */
int ng_is_control_op(ng_op op);
/* NG_OP_COUNT when unknown. */
ng_op ng_op_from_name(const char *onnx_name);

typedef struct ng_tensor {
    char *name;
    nngpu_dtype dtype;
    int rank;                 /* -1: shape not known yet */
    int64_t dims[NNGPU_MAX_DIMS];
    void *data;               /* non-NULL: a constant */
    int borrowed;             /* data belongs to another graph (a clone's source): never
                                 freed or written here */
    int producer;             /* node index, -1 for inputs and constants */
    int is_input, is_output;
    int view_of;              /* -1, or the tensor whose storage this one shares */
    size_t offset;            /* set by the memory planner: byte offset in the arena */
    /* A data-dependent extent (NonMaxSuppression, NonZero of non-constant data):
     * dims[dyn_axis] holds its upper bound, which sizes the buffer; a run sets
     * dyn_len, the extent the values gave, the data packed to that shape. */
    int is_dynamic, dyn_axis;
    int64_t dyn_len;
    /* Shape known only per run: made by a node of the run-time tail (an If or
     * Loop on non-constant values, or a consumer of a dynamic extent); such
     * tensors live in the host subgraph (ng_pass_extract_runtime), never in
     * the arena. rank is -1 until a run. */
    int rt_shape;
} ng_tensor;

typedef enum ng_attr_type {
    NG_ATTR_INT, NG_ATTR_FLOAT, NG_ATTR_INTS, NG_ATTR_FLOATS, NG_ATTR_STRING, NG_ATTR_TENSOR,
    NG_ATTR_GRAPH /* If's branches, Loop's body: an owned ng_graph */
} ng_attr_type;

typedef struct ng_attr {
    char *name;
    ng_attr_type type;
    int64_t i;
    float f;
    int n;             /* count of ints / floats; tensor element count */
    int64_t *ints;
    float *floats;
    char *s;
    /* NG_ATTR_TENSOR */
    nngpu_dtype t_dtype;
    int t_rank;
    int64_t t_dims[NNGPU_MAX_DIMS];
    void *t_data;
    struct nngpu_graph *g; /* NG_ATTR_GRAPH */
} ng_attr;

/* One step of a fused epilogue, applied elementwise to the node's result y:
 *   unary:  y = op(y; alpha, beta)
 *   binary: y = op(y, operand)   or op(operand, y) when operand_first
 * operand is an index into the node's inputs (>= n_main_inputs), broadcast
 * to the output shape. */
typedef struct ng_epi_step {
    ng_op op;
    int operand;        /* -1 for unary */
    int operand_first;
    float alpha, beta;  /* LeakyRelu alpha, Clip min/max, HardSigmoid alpha/beta, Elu alpha */
} ng_epi_step;

#define NG_MAX_EPI 8

typedef struct ng_node {
    char *name;
    ng_op op;
    int opset;
    int n_in;            /* inputs; -1 marks an omitted optional input */
    int *in;
    int n_main_inputs;   /* inputs of the op itself; the rest are epilogue operands */
    int n_out;
    int *out;
    int n_attr;
    ng_attr *attrs;
    int dead;
    int n_epi;
    ng_epi_step epi[NG_MAX_EPI];
    char *fused;         /* "Conv+BatchNormalization+Relu": the ONNX ops this covers */
} ng_node;

struct nngpu_graph {
    int opset;
    int n_tensors, cap_tensors;
    ng_tensor *tensors;
    int n_nodes, cap_nodes;
    ng_node *nodes;
    int n_inputs, *inputs;     /* runtime inputs (not initializers) */
    int n_outputs, *outputs;
    struct ng_name_map *names; /* name -> tensor id */
    int n_imported_nodes;      /* node count right after import */
    /* A subgraph (If branch, Loop body): its last n_captured inputs are values
     * of the enclosing graph it reads by name, bound to the last n_captured
     * inputs of the node that owns it. */
    int n_captured;
};
typedef struct nngpu_graph ng_graph;

/* ---- construction and lookup ---- */
int ng_tensor_find(const ng_graph *g, const char *name);  /* -1 when absent */
/* Creates a tensor (unknown shape) or returns the existing one. -1 on OOM. */
int ng_tensor_get_or_add(ng_graph *g, const char *name);
/* A fresh tensor with a unique name derived from base. */
int ng_tensor_add_unique(ng_graph *g, const char *base);
int ng_node_add(ng_graph *g, ng_op op, const char *name, int n_in, const int *in, int n_out,
                const int *out);
ng_attr *ng_node_add_attr(ng_node *n, const char *name, ng_attr_type type);
/* An INTS attribute holding a copy of v[0..cnt-1] (replacing one of that name); 0 on OOM. */
int ng_node_set_ints(ng_node *n, const char *name, int cnt, const int64_t *v);
/* A GRAPH attribute taking ownership of sub (destroyed on failure); 0 on OOM. */
int ng_node_set_graph(ng_node *n, const char *name, ng_graph *sub);
/* The subgraph of GRAPH attribute name, NULL when absent. */
const ng_graph *ng_attr_graph(const ng_node *n, const char *name);
ng_graph *ng_graph_clone(const ng_graph *g);
/* A copy of g's nodes, tensors and subgraphs whose constants borrow g's data
 * (tensor.borrowed): g's constants must outlive it, and passes on it replace
 * a constant's data rather than write into it. For sessions of a model. */
ng_graph *ng_graph_clone_sharing_data(const ng_graph *g);
/* A clone whose constants and subgraphs are g's (no copy; g must outlive it
 * and they stay untouched); ng_graph_release_borrowed(c, g) before
 * destroying it. For evaluating a subgraph per run without copying weights. */
ng_graph *ng_graph_clone_borrowing(const ng_graph *g);
/* A copy that may outlive g: g's own constants are copied, those g borrows
 * are borrowed again (their owner must outlive the copy, as it outlives g). */
ng_graph *ng_graph_clone_detached(const ng_graph *g);
void ng_graph_release_borrowed(ng_graph *c, const ng_graph *g);
/* Adds to dst a copy of src (attributes, epilogue) reading tensors in[] and
 * writing out[] of dst; the new node's index, -1 on OOM. */
int ng_node_copy_into(ng_graph *dst, const ng_node *src, const int *in, const int *out);

/* ---- tensor helpers ---- */
int64_t ng_numel(const ng_tensor *t);
size_t ng_nbytes(const ng_tensor *t);
int ng_is_const(const ng_graph *g, int tensor);
/* Sets tensor t to a constant with the given data (copied). */
nngpu_status ng_tensor_set_const(ng_graph *g, int t, nngpu_dtype dt, int rank,
                                 const int64_t *dims, const void *data);
/* The same, taking ownership of data (malloc'd, of the shape's size). */
void ng_tensor_adopt_const(ng_graph *g, int t, nngpu_dtype dt, int rank, const int64_t *dims,
                           void *data);
/* Frees t's data unless borrowed; t is then no constant. */
void ng_tensor_drop_data(ng_tensor *t);
/* 1 when every element of float32 constant t is finite. */
int ng_const_all_finite(const ng_tensor *t);
/* Reads element i of a constant integer or float tensor as int64 / double. */
int64_t ng_const_int(const ng_tensor *t, int64_t i);
double ng_const_double(const ng_tensor *t, int64_t i);

/* ---- attribute access ---- */
const ng_attr *ng_attr_find(const ng_node *n, const char *name);
int64_t ng_attr_int(const ng_node *n, const char *name, int64_t def);
float ng_attr_float(const ng_node *n, const char *name, float def);
const char *ng_attr_string(const ng_node *n, const char *name, const char *def);
/* Count of ints (0 when absent); *v points at them. */
int ng_attr_ints(const ng_node *n, const char *name, const int64_t **v);
/* An int list given either as attribute `attr` (older opsets) or as constant
 * input `input` (newer): copies up to max into out; returns the count,
 * 0 when neither is present, -1 when the input exists but is not constant. */
int ng_node_ints(const ng_graph *g, const ng_node *n, const char *attr, int input, int64_t *out,
                 int max);
/* Input i's tensor, or NULL when omitted. */
ng_tensor *ng_in(const ng_graph *g, const ng_node *n, int i);
ng_tensor *ng_out(const ng_graph *g, const ng_node *n, int i);

/* Normalizes a possibly negative axis for rank r; -1 if out of range. */
int ng_axis(int64_t axis, int rank);

#endif
