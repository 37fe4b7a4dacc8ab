/* Building nodes in a pass (node_builder.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "node_builder.h"
#include "qdq.h"

void ng_nb_before(ng_builder *b, int i) {
    b->app.at = i;
    snprintf(b->base, sizeof b->base, "%s", b->g->nodes[i].name);
}

int ng_nb_node(ng_builder *b, ng_op op, const char *what, int n_in, const int *in, int out) {
    for (int k = 0; k < n_in; k++)
        if (in[k] < 0) return b->ok = 0, -1; /* a helper before failed */
    char name[320];
    snprintf(name, sizeof name, "%s/%s", b->base, what);
    if (out < 0) out = ng_tensor_add_unique(b->g, name);
    int id = out < 0 ? -1 : ng_appender_add(b->g, &b->app, op, name, n_in, in, out);
    if (id < 0) return b->ok = 0, -1;
    b->g->nodes[id].opset = b->opset;
    return out;
}

int ng_nb_unary(ng_builder *b, ng_op op, int a, int out) {
    return ng_nb_node(b, op, ng_op_name(op), 1, &a, out);
}

int ng_nb_binary(ng_builder *b, ng_op op, int a, int c, int out) {
    const int in[2] = {a, c};
    return ng_nb_node(b, op, ng_op_name(op), 2, in, out);
}

int ng_nb_shape(ng_builder *b, int t, nngpu_dtype dt, int rank, const int64_t *dims) {
    if (t < 0) return -1;
    ng_tensor *x = &b->g->tensors[t];
    x->dtype = dt;
    x->rank = rank;
    memcpy(x->dims, dims, sizeof(int64_t) * (size_t)rank);
    return t;
}

void ng_nb_attr_int(ng_builder *b, const char *name, int64_t v) {
    ng_attr *a = b->ok ? ng_node_add_attr(&b->g->nodes[b->g->n_nodes - 1], name, NG_ATTR_INT) : NULL;
    if (!a) b->ok = 0;
    else a->i = v;
}

void ng_nb_attr_float(ng_builder *b, const char *name, float v) {
    ng_attr *a = b->ok ? ng_node_add_attr(&b->g->nodes[b->g->n_nodes - 1], name, NG_ATTR_FLOAT) : NULL;
    if (!a) b->ok = 0;
    else a->f = v;
}

void ng_nb_attr_ints(ng_builder *b, const char *name, int n, const int64_t *v) {
    if (b->ok && !ng_node_set_ints(&b->g->nodes[b->g->n_nodes - 1], name, n, v)) b->ok = 0;
}

void ng_nb_attr_string(ng_builder *b, const char *name, const char *v) {
    if (b->ok && nngpu_graph_set_attr_string(b->g, name, v) != NNGPU_OK) b->ok = 0;
}

static int add_const(ng_builder *b, const char *what, nngpu_dtype dt, int rank, const int64_t *dims,
                     const void *v) {
    char name[320];
    snprintf(name, sizeof name, "%s/%s", b->base, what);
    int t = ng_const_add(b->g, name, dt, rank, dims, v);
    if (t < 0) b->ok = 0;
    return t;
}

int ng_nb_const_f(ng_builder *b, const char *what, nngpu_dtype dt, int rank, const int64_t *dims,
                  const float *v) {
    if (dt != NNGPU_DTYPE_FLOAT16) return add_const(b, what, NNGPU_DTYPE_FLOAT32, rank, dims, v);
    int64_t n = 1;
    for (int k = 0; k < rank; k++) n *= dims[k];
    uint16_t *h = malloc(sizeof *h * (size_t)(n ? n : 1));
    if (!h) return b->ok = 0, -1;
    for (int64_t k = 0; k < n; k++) h[k] = ng_half_from_float(v[k]);
    int t = add_const(b, what, dt, rank, dims, h);
    free(h);
    return t;
}

int ng_nb_scalar(ng_builder *b, const char *what, nngpu_dtype dt, float v) {
    return ng_nb_const_f(b, what, dt, 0, NULL, &v);
}

int ng_nb_i64(ng_builder *b, const char *what, int rank, const int64_t *dims, const int64_t *v) {
    return add_const(b, what, NNGPU_DTYPE_INT64, rank, dims, v);
}

int ng_nb_ints(ng_builder *b, const char *what, int n, const int64_t *v) {
    const int64_t dims[1] = {n};
    return ng_nb_i64(b, what, 1, dims, v);
}

int ng_nb_reshape(ng_builder *b, int x, int rank, const int64_t *dims) {
    return ng_nb_binary(b, NG_OP_RESHAPE, x, ng_nb_ints(b, "shape", rank, dims), -1);
}

int ng_nb_reshape_to(ng_builder *b, const char *what, int x, int rank, const int64_t *dims, int out) {
    char shape_name[64];
    snprintf(shape_name, sizeof shape_name, "%s_shape", what);
    int in[2] = {x, ng_nb_ints(b, shape_name, rank, dims)};
    int y = ng_nb_node(b, NG_OP_RESHAPE, what, 2, in, out);
    return out >= 0 ? y : ng_nb_shape(b, y, NNGPU_DTYPE_FLOAT32, rank, dims);
}

int ng_nb_transpose(ng_builder *b, int x, int rank, const int64_t *perm, int out) {
    int y = ng_nb_unary(b, NG_OP_TRANSPOSE, x, out);
    if (y >= 0) ng_nb_attr_ints(b, "perm", rank, perm);
    return y;
}

int ng_nb_node_shaped(ng_builder *b, ng_op op, const char *what, int n_in, const int *in, int out,
                      int rank, const int64_t *dims) {
    if (out >= 0) return ng_nb_node(b, op, what, n_in, in, out);
    return ng_nb_shape(b, ng_nb_node(b, op, what, n_in, in, -1), NNGPU_DTYPE_FLOAT32, rank, dims);
}

int ng_nb_transpose_to(ng_builder *b, const char *what, int x, int rank, const int64_t *perm, int out) {
    if (x < 0) return b->ok = 0, -1;
    const ng_tensor *t = &b->g->tensors[x];
    int64_t dims[NNGPU_MAX_DIMS];
    for (int k = 0; k < rank; k++) dims[k] = t->dims[perm[k]];
    int y = ng_nb_node_shaped(b, NG_OP_TRANSPOSE, what, 1, &x, out, rank, dims);
    if (y >= 0) ng_nb_attr_ints(b, "perm", rank, perm);
    return y;
}

int ng_nb_slice(ng_builder *b, int x, int64_t axis, int64_t start, int64_t end) {
    const int in[4] = {x, ng_nb_ints(b, "starts", 1, &start), ng_nb_ints(b, "ends", 1, &end),
                       ng_nb_ints(b, "axes", 1, &axis)};
    return ng_nb_node(b, NG_OP_SLICE, "Slice", 4, in, -1);
}

int ng_nb_concat(ng_builder *b, int a, int c, int64_t axis, int out) {
    int y = ng_nb_binary(b, NG_OP_CONCAT, a, c, out);
    if (y >= 0) ng_nb_attr_int(b, "axis", axis);
    return y;
}
