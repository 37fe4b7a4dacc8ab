/* Chains of standard ops built by an import rewrite (onnx_rw_chain.h). */
#include "onnx_rw_chain.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"

void ng_chain_init(ng_rw_chain *c, ng_onnx_rewrite *r) {
    memset(c, 0, sizeof *c);
    c->r = r;
}

void ng_chain_free(ng_rw_chain *c) {
    for (int i = 0; i < c->n; i++) free(c->names[i]);
    free(c->names);
    c->names = NULL;
    c->n = c->cap = 0;
}

nngpu_status ng_chain_status(const ng_rw_chain *c) { return c->r->failed; }

static int ok(ng_rw_chain *c, nngpu_status s) {
    if (s != NNGPU_OK && c->r->failed == NNGPU_OK) c->r->failed = s;
    return c->r->failed == NNGPU_OK;
}

enum { NAME_CAP = 600 };

/* A fresh name "<node>/<what><k>" in the arena; NULL on OOM (recorded). */
static const char *fresh(ng_rw_chain *c, const char *what) {
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        char **names = realloc(c->names, (size_t)cap * sizeof *names);
        if (names) c->names = names, c->cap = cap;
    }
    char *name = c->n < c->cap ? malloc(NAME_CAP) : NULL;
    if (!name) {
        ok(c, ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of memory", c->r->name));
        return NULL;
    }
    c->names[c->n++] = name;
    return ng_rw_tmp(c->r, what, name, NAME_CAP);
}

const char *ng_chain_name(ng_rw_chain *c, const char *what) {
    return c->r->failed == NNGPU_OK ? fresh(c, what) : NULL;
}

const char *ng_chain_op_to(ng_rw_chain *c, const char *type, int n_in, const char *const *ins,
                           const char *out, int main) {
    if (c->r->failed != NNGPU_OK) return NULL;
    for (int i = 0; i < n_in; i++)
        if (!ins[i])
            return ok(c, ng_error(NNGPU_ERR_INTERNAL, "node '%s' (%s): rewrite lost an operand of %s",
                                  c->r->name, c->r->nd->op_type, type)),
                   NULL;
    if (!out && !(out = fresh(c, type))) return NULL;
    const char *copy[16];
    if (n_in > 16) return ok(c, NNGPU_ERR_INTERNAL), NULL;
    memcpy(copy, ins, (size_t)n_in * sizeof *ins);
    return ok(c, ng_rw_add(c->r, type, main, n_in, copy, out)) ? out : NULL;
}

const char *ng_chain_op(ng_rw_chain *c, const char *type, int n_in, const char *const *ins) {
    return ng_chain_op_to(c, type, n_in, ins, NULL, 0);
}

void ng_chain_attr_int(ng_rw_chain *c, const char *name, int64_t v) {
    if (c->r->failed == NNGPU_OK) ok(c, nngpu_graph_set_attr_int(c->r->g, name, v));
}

void ng_chain_attr_ints(ng_rw_chain *c, const char *name, int n, const int64_t *v) {
    if (c->r->failed == NNGPU_OK) ok(c, nngpu_graph_set_attr_ints(c->r->g, name, n, v));
}

void ng_chain_attr_float(ng_rw_chain *c, const char *name, float v) {
    if (c->r->failed == NNGPU_OK) ok(c, nngpu_graph_set_attr_float(c->r->g, name, v));
}

static const char *constant(ng_rw_chain *c, nngpu_dtype dt, int rank, int64_t n, const void *v) {
    if (c->r->failed != NNGPU_OK) return NULL;
    const char *name = fresh(c, "const");
    return name && ok(c, nngpu_graph_add_constant(c->r->g, name, dt, rank, &n, v)) ? name : NULL;
}

const char *ng_chain_ints(ng_rw_chain *c, int n, const int64_t *v) {
    static const int64_t none = 0;
    return constant(c, NNGPU_DTYPE_INT64, 1, n, n ? v : &none);
}

const char *ng_chain_int(ng_rw_chain *c, int64_t v) { return constant(c, NNGPU_DTYPE_INT64, 0, 1, &v); }

const char *ng_chain_float(ng_rw_chain *c, float v) {
    return constant(c, NNGPU_DTYPE_FLOAT32, 0, 1, &v);
}

const char *ng_chain_slice(ng_rw_chain *c, const char *x, int64_t axis, int64_t start, int64_t end) {
    return NG_OP(c, "Slice", x, ng_chain_ints(c, 1, &start), ng_chain_ints(c, 1, &end),
                 ng_chain_ints(c, 1, &axis));
}

const char *ng_chain_dims(ng_rw_chain *c, const char *x, int64_t from, int64_t to) {
    return ng_chain_slice(c, NG_OP(c, "Shape", x), 0, from, to ? to : INT64_MAX);
}

const char *ng_chain_reshape(ng_rw_chain *c, const char *x, int n, const int64_t *shape) {
    return NG_OP(c, "Reshape", x, ng_chain_ints(c, n, shape));
}

const char *ng_chain_cast(ng_rw_chain *c, const char *x, int64_t to) {
    const char *y = NG_OP(c, "Cast", x);
    ng_chain_attr_int(c, "to", to);
    return y;
}

const char *ng_chain_clip(ng_rw_chain *c, const char *x, float lo, float hi) {
    if (c->r->failed != NNGPU_OK || !x) return NULL;
    const char *y = fresh(c, "Clip");
    return y && ok(c, ng_rw_clip(c->r, x, lo, hi, y)) ? y : NULL;
}

const char *ng_chain_concat(ng_rw_chain *c, int64_t axis, int n, const char *const *ins) {
    const char *y = ng_chain_op(c, "Concat", n, ins);
    ng_chain_attr_int(c, "axis", axis);
    return y;
}

const char *ng_chain_transpose(ng_rw_chain *c, const char *x, int n, const int64_t *perm) {
    const char *t = NG_OP(c, "Transpose", x);
    ng_chain_attr_ints(c, "perm", n, perm);
    return t;
}
