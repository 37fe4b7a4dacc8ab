/* Ops that shape inference expands into standard ones once their inputs'
 * shapes are known (ONNX Attention, RotaryEmbedding): their layout (3-D or
 * 4-D), head counts and masks decide which nodes they stand for, so the
 * pieces run as device kernels, fuse and fold like any other node. */
#ifndef NG_EXPAND_H
#define NG_EXPAND_H

#include "passes.h"

/* Whether nodes of op are expanded (ng_expand_node) instead of inferred. */
int ng_is_expanded_op(ng_op op);

/* Replaces node i, whose inputs' shapes are known, by the nodes it stands
 * for, placed at index i (the node now at i is the first of them; node i
 * itself ends after them, dead). Its output tensors keep their ids. Errors
 * name the node. */
nngpu_status ng_expand_node(ng_graph *g, int i);

/* ---- for the expansions (expand_*.c) ---- */
typedef struct ng_expander {
    ng_graph *g;
    ng_appender app;
    char base[256]; /* the expanded node's name: new names are "<base>/<what>" */
    int opset;      /* the expanded node's opset */
    int ok;         /* 0 once a helper ran out of memory */
} ng_expander;

/* Node op(in[0..n_in)) appended, writing `out` or, when out < 0, a new
 * tensor; returns the tensor written (-1 when an input is < 0 or on failure).
 * New nodes get opset 18 (Reduce axes, Pad and Split sizes as inputs). */
int ng_ex_node(ng_expander *e, ng_op op, const char *what, int n_in, const int *in, int out);
int ng_ex_unary(ng_expander *e, ng_op op, int a, int out);
int ng_ex_binary(ng_expander *e, ng_op op, int a, int b, int out);
/* Attributes of the node appended last. */
void ng_ex_attr_int(ng_expander *e, const char *name, int64_t v);
void ng_ex_attr_ints(ng_expander *e, const char *name, int n, const int64_t *v);
/* Constants: float values stored as dtype dt (FLOAT32 or FLOAT16); int64. */
int ng_ex_const_f(ng_expander *e, const char *what, nngpu_dtype dt, int rank, const int64_t *dims,
                  const float *v);
int ng_ex_scalar(ng_expander *e, const char *what, nngpu_dtype dt, float v);
int ng_ex_i64(ng_expander *e, const char *what, int rank, const int64_t *dims, const int64_t *v);
int ng_ex_ints(ng_expander *e, const char *what, int n, const int64_t *v); /* rank 1 */
/* Reshape(x, dims); Transpose(x, perm); Slice(x, [start, end) on axis). */
int ng_ex_reshape(ng_expander *e, int x, int rank, const int64_t *dims);
int ng_ex_transpose(ng_expander *e, int x, int rank, const int64_t *perm, int out);
int ng_ex_slice(ng_expander *e, int x, int64_t axis, int64_t start, int64_t end);
int ng_ex_concat(ng_expander *e, int a, int b, int64_t axis, int out);

/* The expansions: nodes appended through e for node n (a copy: appending
 * moves g->nodes). */
nngpu_status ng_expand_attention(ng_expander *e, const ng_node *n);
nngpu_status ng_expand_rotary(ng_expander *e, const ng_node *n);

#endif
