/* The expander: nodes that stand for others, rewritten during shape inference
 * (expand.h), and the helpers their expansions build with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/status.h"
#include "expand.h"
#include "qdq.h"

int ng_is_expanded_op(ng_op op) { return op == NG_OP_ATTENTION || op == NG_OP_ROTARYEMBEDDING; }

nngpu_status ng_expand_node(ng_graph *g, int i) {
    ng_expander e = {g, {g->n_nodes, NULL, 0, i}, "", g->nodes[i].opset, 1};
    snprintf(e.base, sizeof e.base, "%s", g->nodes[i].name);
    ng_node n = g->nodes[i]; /* appending nodes moves g->nodes */
    nngpu_status st = n.op == NG_OP_ATTENTION ? ng_expand_attention(&e, &n) : ng_expand_rotary(&e, &n);
    if (st == NNGPU_OK && !e.ok)
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (%s): expanding it", n.name, ng_op_name(n.op));
    if (st == NNGPU_OK) {
        g->nodes[i].dead = 1; /* its outputs now come from the last new nodes */
    } else {
        for (int k = e.app.n_old; k < g->n_nodes; k++) g->nodes[k].dead = 1;
    }
    nngpu_status placed = ng_appender_finish(g, &e.app);
    return st != NNGPU_OK ? st : placed;
}

int ng_ex_node(ng_expander *e, ng_op op, const char *what, int n_in, const int *in, int out) {
    for (int k = 0; k < n_in; k++)
        if (in[k] < 0) return e->ok = 0, -1; /* a helper before failed */
    char name[320];
    snprintf(name, sizeof name, "%s/%s", e->base, what);
    if (out < 0) out = ng_tensor_add_unique(e->g, name);
    int id = out < 0 ? -1 : ng_appender_add(e->g, &e->app, op, name, n_in, in, out);
    if (id < 0) return e->ok = 0, -1;
    e->g->nodes[id].opset = 18;
    return out;
}

int ng_ex_unary(ng_expander *e, ng_op op, int a, int out) {
    return ng_ex_node(e, op, ng_op_name(op), 1, &a, out);
}

int ng_ex_binary(ng_expander *e, ng_op op, int a, int b, int out) {
    const int in[2] = {a, b};
    return ng_ex_node(e, op, ng_op_name(op), 2, in, out);
}

void ng_ex_attr_int(ng_expander *e, const char *name, int64_t v) {
    ng_attr *a = e->ok ? ng_node_add_attr(&e->g->nodes[e->g->n_nodes - 1], name, NG_ATTR_INT) : NULL;
    if (!a) e->ok = 0;
    else a->i = v;
}

void ng_ex_attr_ints(ng_expander *e, const char *name, int n, const int64_t *v) {
    if (e->ok && !ng_node_set_ints(&e->g->nodes[e->g->n_nodes - 1], name, n, v)) e->ok = 0;
}

static int add_const(ng_expander *e, const char *what, nngpu_dtype dt, int rank, const int64_t *dims,
                     const void *v) {
    char name[320];
    snprintf(name, sizeof name, "%s/%s", e->base, what);
    int t = ng_const_add(e->g, name, dt, rank, dims, v);
    if (t < 0) e->ok = 0;
    return t;
}

int ng_ex_const_f(ng_expander *e, const char *what, nngpu_dtype dt, int rank, const int64_t *dims,
                  const float *v) {
    if (dt != NNGPU_DTYPE_FLOAT16) return add_const(e, what, NNGPU_DTYPE_FLOAT32, rank, dims, v);
    int64_t n = 1;
    for (int k = 0; k < rank; k++) n *= dims[k];
    uint16_t *h = malloc(sizeof *h * (size_t)(n ? n : 1));
    if (!h) return e->ok = 0, -1;
    for (int64_t k = 0; k < n; k++) h[k] = ng_half_from_float(v[k]);
    int t = add_const(e, what, dt, rank, dims, h);
    free(h);
    return t;
}

int ng_ex_scalar(ng_expander *e, const char *what, nngpu_dtype dt, float v) {
    return ng_ex_const_f(e, what, dt, 0, NULL, &v);
}

int ng_ex_i64(ng_expander *e, const char *what, int rank, const int64_t *dims, const int64_t *v) {
    return add_const(e, what, NNGPU_DTYPE_INT64, rank, dims, v);
}

int ng_ex_ints(ng_expander *e, const char *what, int n, const int64_t *v) {
    const int64_t dims[1] = {n};
    return ng_ex_i64(e, what, 1, dims, v);
}

int ng_ex_reshape(ng_expander *e, int x, int rank, const int64_t *dims) {
    return ng_ex_binary(e, NG_OP_RESHAPE, x, ng_ex_ints(e, "shape", rank, dims), -1);
}

int ng_ex_transpose(ng_expander *e, int x, int rank, const int64_t *perm, int out) {
    int y = ng_ex_unary(e, NG_OP_TRANSPOSE, x, out);
    if (y >= 0) ng_ex_attr_ints(e, "perm", rank, perm);
    return y;
}

int ng_ex_slice(ng_expander *e, int x, int64_t axis, int64_t start, int64_t end) {
    const int in[4] = {x, ng_ex_ints(e, "starts", 1, &start), ng_ex_ints(e, "ends", 1, &end),
                       ng_ex_ints(e, "axes", 1, &axis)};
    return ng_ex_node(e, NG_OP_SLICE, "Slice", 4, in, -1);
}

int ng_ex_concat(ng_expander *e, int a, int b, int64_t axis, int out) {
    int y = ng_ex_binary(e, NG_OP_CONCAT, a, b, out);
    if (y >= 0) ng_ex_attr_int(e, "axis", axis);
    return y;
}
