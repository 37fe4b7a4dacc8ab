/* Building nodes in a pass: appended through an ng_appender (each placed before
 * the node the pass is replacing), named "<base>/<what>", constants beside
 * them. Used by the shape-time expansions (expand_*.c) and the device lowerings (lower_*.c). */
#ifndef NG_NODE_BUILDER_H
#define NG_NODE_BUILDER_H

#include "passes.h"

typedef struct ng_builder {
    ng_graph *g;
    ng_appender app;
    char base[256]; /* the replaced node's name: new names are "<base>/<what>" */
    int opset;      /* of the new nodes (the input forms of Reshape, Pad, Reduce*) */
    int ok;         /* 0 once a helper failed (out of memory, or an input < 0) */
} ng_builder;

/* Node op(in[0..n_in)) appended, writing `out` or, when out < 0, a new tensor
 * (its shape left to inference, or set with ng_nb_shape); returns the tensor
 * written, -1 when an input is < 0 or on failure. */
/* New nodes go before node i and are named after it ("<node i>/<what>"). */
void ng_nb_before(ng_builder *b, int i);
int ng_nb_node(ng_builder *b, ng_op op, const char *what, int n_in, const int *in, int out);
int ng_nb_unary(ng_builder *b, ng_op op, int a, int out);
int ng_nb_binary(ng_builder *b, ng_op op, int a, int c, int out);
/* Sets tensor t's dtype and shape (passes after inference); returns t. */
int ng_nb_shape(ng_builder *b, int t, nngpu_dtype dt, int rank, const int64_t *dims);
/* Attributes of the node appended last. */
void ng_nb_attr_int(ng_builder *b, const char *name, int64_t v);
void ng_nb_attr_ints(ng_builder *b, const char *name, int n, const int64_t *v);
void ng_nb_attr_float(ng_builder *b, const char *name, float v);
void ng_nb_attr_string(ng_builder *b, const char *name, const char *v);
/* Constants: float values stored as dtype dt (FLOAT32 or FLOAT16); int64. */
int ng_nb_const_f(ng_builder *b, const char *what, nngpu_dtype dt, int rank, const int64_t *dims,
                  const float *v);
int ng_nb_scalar(ng_builder *b, const char *what, nngpu_dtype dt, float v);
int ng_nb_i64(ng_builder *b, const char *what, int rank, const int64_t *dims, const int64_t *v);
int ng_nb_ints(ng_builder *b, const char *what, int n, const int64_t *v); /* rank 1 */
/* Reshape(x, dims); Transpose(x, perm); Slice(x, [start, end) on axis); Concat. */
int ng_nb_reshape(ng_builder *b, int x, int rank, const int64_t *dims);
/* Reshape(x, dims) named <what>, writing `out` or, when out < 0, a new float32
 * tensor of that shape (passes after inference). */
int ng_nb_reshape_to(ng_builder *b, const char *what, int x, int rank, const int64_t *dims, int out);
int ng_nb_transpose(ng_builder *b, int x, int rank, const int64_t *perm, int out);
/* Passes after inference: node op(in) named <what> writing `out`, or when
 * out < 0 a new float32 tensor of shape dims; Transpose likewise (its shape
 * from x's and perm). */
int ng_nb_node_shaped(ng_builder *b, ng_op op, const char *what, int n_in, const int *in, int out,
                      int rank, const int64_t *dims);
int ng_nb_transpose_to(ng_builder *b, const char *what, int x, int rank, const int64_t *perm, int out);
int ng_nb_slice(ng_builder *b, int x, int64_t axis, int64_t start, int64_t end);
int ng_nb_concat(ng_builder *b, int a, int c, int64_t axis, int out);

#endif
