/* The graph builder (include/nngpu/graph.h) on top of the IR: every check a
 * caller can fail is an error naming the tensor or node, never a crash.
 * nngpu_graph_create / _destroy / _set_opset live in ir.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "ir.h"

static int bad_name(const char *s) { return !s || !s[0]; }

static int valid_dtype(nngpu_dtype dt) {
    return dt > NNGPU_DTYPE_UNDEFINED && dt < NNGPU_DTYPE_COUNT;
}

/* Checks rank, dims and dtype; *bytes gets the data size (constants only:
 * symbolic dims are rejected when allow_symbolic is 0). */
static nngpu_status check_shape(const char *what, const char *name, nngpu_dtype dt, int rank,
                                const int64_t *dims, int allow_symbolic, size_t *bytes) {
    if (!valid_dtype(dt))
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': invalid dtype %d", what, name, (int)dt);
    if (rank < 0 || rank > NNGPU_MAX_DIMS)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "%s '%s': rank %d is outside 0..%d", what, name,
                        rank, NNGPU_MAX_DIMS);
    if (rank > 0 && !dims)
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': rank %d but no dims", what, name, rank);
    uint64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) {
            if (allow_symbolic) continue;
            return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': dim %d is negative (%lld)", what,
                            name, i, (long long)dims[i]);
        }
        if (__builtin_mul_overflow(n, (uint64_t)dims[i], &n))
            return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': element count overflows", what,
                            name);
    }
    uint64_t b;
    if (dt == NNGPU_DTYPE_INT4 || dt == NNGPU_DTYPE_UINT4) n = n / 2 + n % 2; /* packed two per byte */
    if (__builtin_mul_overflow(n, (uint64_t)nngpu_dtype_size(dt), &b) || b > SIZE_MAX / 2)
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': size overflows", what, name);
    if (bytes) *bytes = (size_t)b;
    return NNGPU_OK;
}

/* A name not yet used by any tensor. */
static nngpu_status check_new_tensor(const ng_graph *g, const char *what, const char *name) {
    if (bad_name(name)) return ng_error(NNGPU_ERR_INVALID_ARG, "%s with an empty name", what);
    int t = ng_tensor_find(g, name);
    if (t < 0) return NNGPU_OK;
    const ng_tensor *x = &g->tensors[t];
    const char *as = x->data ? "a constant" : x->is_input ? "a graph input"
                     : x->producer >= 0 ? "a node output" : "a tensor";
    if (x->producer >= 0 && x->producer < g->n_nodes)
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': name already used by %s (node '%s')",
                        what, name, as, g->nodes[x->producer].name);
    return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': name already used by %s", what, name, as);
}

nngpu_status nngpu_graph_add_input(nngpu_graph *g, const char *name, nngpu_dtype dtype,
                                   int rank, const int64_t *dims) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "add_input: graph is NULL");
    NG_CHECK(check_new_tensor(g, "input", name));
    NG_CHECK(check_shape("input", name, dtype, rank, dims, 1, NULL));
    int *ins = realloc(g->inputs, sizeof *ins * (size_t)(g->n_inputs + 1));
    if (!ins) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "input '%s'", name);
    g->inputs = ins;
    int t = ng_tensor_get_or_add(g, name);
    if (t < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "input '%s'", name);
    ng_tensor *x = &g->tensors[t];
    x->dtype = dtype;
    x->rank = rank;
    for (int i = 0; i < rank; i++) x->dims[i] = dims[i] < 0 ? -1 : dims[i];
    x->is_input = 1;
    g->inputs[g->n_inputs++] = t;
    return NNGPU_OK;
}

nngpu_status nngpu_graph_add_constant(nngpu_graph *g, const char *name, nngpu_dtype dtype,
                                      int rank, const int64_t *dims, const void *data) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "add_constant: graph is NULL");
    NG_CHECK(check_new_tensor(g, "constant", name));
    size_t bytes;
    NG_CHECK(check_shape("constant", name, dtype, rank, dims, 0, &bytes));
    if (bytes && !data)
        return ng_error(NNGPU_ERR_INVALID_ARG, "constant '%s': data is NULL", name);
    int t = ng_tensor_get_or_add(g, name);
    if (t < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "constant '%s'", name);
    return ng_tensor_set_const(g, t, dtype, rank, dims, data);
}

nngpu_status nngpu_graph_add_node(nngpu_graph *g, const char *op_type, const char *name,
                                  int n_inputs, const char *const *inputs, int n_outputs,
                                  const char *const *outputs) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "add_node: graph is NULL");
    if (bad_name(op_type))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': empty op type", name ? name : "");
    ng_op op = ng_op_from_name(op_type);
    char auto_name[128];
    if (bad_name(name)) { /* unnamed nodes get "<OpType>_<index>" */
        snprintf(auto_name, sizeof auto_name, "%.100s_%d", op_type, g->n_nodes);
        name = auto_name;
    }
    if (op == NG_OP_COUNT)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "unsupported op '%s' (node '%s')", op_type, name);
    if (n_inputs < 0 || n_outputs < 0 || (n_inputs && !inputs) || (n_outputs && !outputs))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad input/output lists", name);
    /* Trailing omitted outputs are dropped; at least one output stays. */
    while (n_outputs > 0 && bad_name(outputs[n_outputs - 1])) n_outputs--;
    if (n_outputs == 0)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': no outputs", name);

    int *in = malloc(sizeof(int) * (size_t)(n_inputs + 1));
    int *out = malloc(sizeof(int) * (size_t)(n_outputs + 1));
    nngpu_status st = NNGPU_OK;
    if (!in || !out) {
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", name);
        goto done;
    }
    for (int i = 0; i < n_inputs; i++) {
        if (bad_name(inputs[i])) {
            in[i] = -1;
            continue;
        }
        in[i] = ng_tensor_find(g, inputs[i]);
        if (in[i] < 0) {
            st = ng_error(NNGPU_ERR_INVALID_ARG,
                          "node '%s': input '%s' is not a known tensor (add nodes in "
                          "topological order)",
                          name, inputs[i]);
            goto done;
        }
    }
    for (int i = 0; i < n_outputs; i++) {
        if (bad_name(outputs[i])) continue;
        for (int j = 0; j < i; j++)
            if (!bad_name(outputs[j]) && strcmp(outputs[i], outputs[j]) == 0) {
                st = ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': output '%s' listed twice",
                              name, outputs[i]);
                goto done;
            }
        char what[160];
        snprintf(what, sizeof what, "node '%.100s': output", name);
        if ((st = check_new_tensor(g, what, outputs[i])) != NNGPU_OK) goto done;
    }
    /* All checks passed: create the outputs (a placeholder for an omitted one). */
    for (int i = 0; i < n_outputs; i++) {
        out[i] = bad_name(outputs[i]) ? ng_tensor_add_unique(g, name)
                                      : ng_tensor_get_or_add(g, outputs[i]);
        if (out[i] < 0) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': outputs", name);
            goto done;
        }
    }
    if (ng_node_add(g, op, name, n_inputs, in, n_outputs, out) < 0)
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", name);
done:
    free(in);
    free(out);
    return st;
}

/* The node attributes go to (the one added last). */
static nngpu_status attr_target(nngpu_graph *g, const char *name, ng_attr_type type,
                                ng_attr **out) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "set_attr: graph is NULL");
    if (bad_name(name)) return ng_error(NNGPU_ERR_INVALID_ARG, "attribute with an empty name");
    if (g->n_nodes == 0)
        return ng_error(NNGPU_ERR_INVALID_ARG, "attribute '%s' set before any node was added",
                        name);
    ng_node *n = &g->nodes[g->n_nodes - 1];
    *out = ng_node_add_attr(n, name, type);
    if (!*out)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': attribute '%s'", n->name, name);
    return NNGPU_OK;
}

static const char *last_node_name(const ng_graph *g) {
    return g->n_nodes ? g->nodes[g->n_nodes - 1].name : "";
}

nngpu_status nngpu_graph_set_attr_int(nngpu_graph *g, const char *name, int64_t v) {
    ng_attr *a;
    NG_CHECK(attr_target(g, name, NG_ATTR_INT, &a));
    a->i = v;
    return NNGPU_OK;
}

nngpu_status nngpu_graph_set_attr_float(nngpu_graph *g, const char *name, float v) {
    ng_attr *a;
    NG_CHECK(attr_target(g, name, NG_ATTR_FLOAT, &a));
    a->f = v;
    return NNGPU_OK;
}

/* Copies n elements of size sz (n may be 0) into *dst. */
static nngpu_status copy_list(nngpu_graph *g, const char *name, int n, const void *v, size_t sz,
                              void **dst) {
    if (n < 0 || (n > 0 && !v))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': attribute '%s': bad list (n=%d)",
                        last_node_name(g), name, n);
    *dst = malloc(sz * (size_t)(n ? n : 1));
    if (!*dst) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "attribute '%s'", name);
    if (n) memcpy(*dst, v, sz * (size_t)n);
    return NNGPU_OK;
}

/* attr_target for an attribute that will own copy; frees copy on failure. */
static nngpu_status attr_take(nngpu_graph *g, const char *name, ng_attr_type type, void *copy,
                              ng_attr **out) {
    nngpu_status st = attr_target(g, name, type, out);
    if (st != NNGPU_OK) free(copy);
    return st;
}

/* An INTS or FLOATS attribute: a copy of the n elements of size sz at v. */
static nngpu_status set_list(nngpu_graph *g, const char *name, ng_attr_type type, int n,
                             const void *v, size_t sz) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "set_attr: graph is NULL");
    void *copy;
    NG_CHECK(copy_list(g, name ? name : "", n, v, sz, &copy));
    ng_attr *a;
    NG_CHECK(attr_take(g, name, type, copy, &a));
    if (type == NG_ATTR_INTS)
        a->ints = copy;
    else
        a->floats = copy;
    a->n = n;
    return NNGPU_OK;
}

nngpu_status nngpu_graph_set_attr_ints(nngpu_graph *g, const char *name, int n,
                                       const int64_t *v) {
    return set_list(g, name, NG_ATTR_INTS, n, v, sizeof *v);
}

nngpu_status nngpu_graph_set_attr_floats(nngpu_graph *g, const char *name, int n,
                                         const float *v) {
    return set_list(g, name, NG_ATTR_FLOATS, n, v, sizeof *v);
}

nngpu_status nngpu_graph_set_attr_string(nngpu_graph *g, const char *name, const char *v) {
    if (!v) v = "";
    char *copy = strdup(v);
    if (!copy) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "attribute '%s'", name ? name : "");
    ng_attr *a;
    NG_CHECK(attr_take(g, name, NG_ATTR_STRING, copy, &a));
    a->s = copy;
    return NNGPU_OK;
}

nngpu_status nngpu_graph_set_attr_tensor(nngpu_graph *g, const char *name, nngpu_dtype dtype,
                                         int rank, const int64_t *dims, const void *data) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "set_attr: graph is NULL");
    char what[160];
    snprintf(what, sizeof what, "node '%.100s': attribute", last_node_name(g));
    size_t bytes;
    NG_CHECK(check_shape(what, name ? name : "", dtype, rank, dims, 0, &bytes));
    if (bytes && !data)
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s '%s': data is NULL", what, name ? name : "");
    uint64_t n = 1;
    for (int i = 0; i < rank; i++) n *= (uint64_t)dims[i];
    if (n > INT32_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "%s '%s': tensor too large", what, name);
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s '%s'", what, name);
    if (bytes) memcpy(copy, data, bytes);
    ng_attr *a;
    NG_CHECK(attr_take(g, name, NG_ATTR_TENSOR, copy, &a));
    a->t_dtype = dtype;
    a->t_rank = rank;
    for (int i = 0; i < rank; i++) a->t_dims[i] = dims[i];
    a->t_data = copy;
    a->n = (int)n;
    return NNGPU_OK;
}

nngpu_status nngpu_graph_add_output(nngpu_graph *g, const char *name) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "add_output: graph is NULL");
    if (bad_name(name)) return ng_error(NNGPU_ERR_INVALID_ARG, "output with an empty name");
    int t = ng_tensor_find(g, name);
    if (t < 0)
        return ng_error(NNGPU_ERR_INVALID_ARG, "output '%s' is not a known tensor", name);
    if (g->tensors[t].is_output)
        return ng_error(NNGPU_ERR_INVALID_ARG, "output '%s' is listed twice", name);
    int *outs = realloc(g->outputs, sizeof *outs * (size_t)(g->n_outputs + 1));
    if (!outs) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "output '%s'", name);
    g->outputs = outs;
    g->outputs[g->n_outputs++] = t;
    g->tensors[t].is_output = 1;
    return NNGPU_OK;
}
