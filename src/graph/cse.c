/* Common subexpression elimination: a node computing what an earlier live
 * node computes (same op, attributes and inputs; equal small constants count
 * as the same input) is dropped and its readers read the earlier node's
 * outputs. Import rewrites repeat such work per layer (GroupQueryAttention's
 * key masks and cache positions), and so do exporters.
 * Left alone: control ops and their subgraphs' captures, Dropout (random in
 * training mode), nodes with subgraph attributes or fused steps, nodes
 * writing graph outputs, and outputs whose shape only a run decides. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"

enum { SMALL_CONSTANT = 4096 }; /* bytes: constants compared by content */

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0x100000001b3ull;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static int is_small_constant(const ng_tensor *t) {
    return t->data && t->rank >= 0 && ng_nbytes(t) <= SMALL_CONSTANT;
}

static int same_tensor(const ng_graph *g, int a, int b) {
    if (a == b) return 1;
    if (a < 0 || b < 0) return 0;
    const ng_tensor *x = &g->tensors[a], *y = &g->tensors[b];
    if (!is_small_constant(x) || !is_small_constant(y) || x->dtype != y->dtype || x->rank != y->rank)
        return 0;
    if (memcmp(x->dims, y->dims, sizeof(int64_t) * (size_t)x->rank)) return 0;
    return !memcmp(x->data, y->data, ng_nbytes(x));
}

static uint64_t hash_input(const ng_graph *g, int t) {
    if (t < 0) return 0x5bd1e995;
    const ng_tensor *x = &g->tensors[t];
    if (!is_small_constant(x)) return mix(1, (uint64_t)t);
    uint64_t h = mix(2, (uint64_t)x->dtype);
    h = hash_bytes(h, x->dims, sizeof(int64_t) * (size_t)x->rank);
    return hash_bytes(h, x->data, ng_nbytes(x));
}

static int same_attr(const ng_attr *a, const ng_attr *b) {
    if (strcmp(a->name, b->name) || a->type != b->type) return 0;
    switch (a->type) {
    case NG_ATTR_INT: return a->i == b->i;
    case NG_ATTR_FLOAT: return !memcmp(&a->f, &b->f, sizeof a->f);
    case NG_ATTR_INTS: return a->n == b->n && !memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->n);
    case NG_ATTR_FLOATS: return a->n == b->n && !memcmp(a->floats, b->floats, sizeof(float) * (size_t)a->n);
    case NG_ATTR_STRING: return !strcmp(a->s ? a->s : "", b->s ? b->s : "");
    case NG_ATTR_TENSOR: {
        size_t bytes = (size_t)a->n * nngpu_dtype_size(a->t_dtype);
        return a->t_dtype == b->t_dtype && a->t_rank == b->t_rank && a->n == b->n &&
               !memcmp(a->t_dims, b->t_dims, sizeof(int64_t) * (size_t)a->t_rank) &&
               (!bytes || !memcmp(a->t_data, b->t_data, bytes));
    }
    default: return 0;
    }
}

static int same_attrs(const ng_node *a, const ng_node *b) {
    if (a->n_attr != b->n_attr) return 0;
    for (int i = 0; i < a->n_attr; i++) {
        int found = 0;
        for (int j = 0; j < b->n_attr && !found; j++) found = same_attr(&a->attrs[i], &b->attrs[j]);
        if (!found) return 0;
    }
    return 1;
}

static int same_node(const ng_graph *g, const ng_node *a, const ng_node *b) {
    if (a->op != b->op || a->n_in != b->n_in || a->n_out != b->n_out) return 0;
    for (int k = 0; k < a->n_in; k++)
        if (!same_tensor(g, a->in[k], b->in[k])) return 0;
    return same_attrs(a, b);
}

static uint64_t hash_node(const ng_graph *g, const ng_node *n) {
    uint64_t h = mix((uint64_t)n->op, (uint64_t)n->n_out);
    for (int k = 0; k < n->n_in; k++) h = mix(h, hash_input(g, n->in[k]));
    return h;
}

/* Whether n may be merged into an equal earlier node, or serve as one. */
static int candidate(const ng_graph *g, const ng_node *n, const unsigned char *captured) {
    if (n->dead || ng_is_control_op(n->op) || n->op == NG_OP_RUNTIME_TAIL || n->op == NG_OP_DROPOUT ||
        n->n_epi || n->n_out < 1)
        return 0;
    for (int a = 0; a < n->n_attr; a++)
        if (n->attrs[a].type == NG_ATTR_GRAPH) return 0;
    for (int o = 0; o < n->n_out; o++) {
        int t = n->out[o];
        if (t < 0 || g->tensors[t].is_output || g->tensors[t].rt_shape || g->tensors[t].is_dynamic ||
            captured[t])
            return 0;
    }
    return 1;
}

nngpu_status ng_pass_cse(ng_graph *g, ng_report *r) {
    size_t cap = 16;
    while (cap < 2 * (size_t)g->n_nodes) cap *= 2;
    int *table = malloc(cap * sizeof *table), *remap = malloc((size_t)g->n_tensors * sizeof *remap);
    unsigned char *captured = calloc((size_t)g->n_tensors, 1);
    if (!table || !remap || !captured) {
        free(table), free(remap), free(captured);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "common subexpressions: out of memory");
    }
    for (size_t i = 0; i < cap; i++) table[i] = -1;
    for (int t = 0; t < g->n_tensors; t++) remap[t] = t;
    for (int i = 0; i < g->n_nodes; i++) /* what control ops read stays as it is */
        if (!g->nodes[i].dead && ng_is_control_op(g->nodes[i].op))
            for (int k = 0; k < g->nodes[i].n_in; k++)
                if (g->nodes[i].in[k] >= 0) captured[g->nodes[i].in[k]] = 1;
    int merged = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) n->in[k] = remap[n->in[k]];
        if (!candidate(g, n, captured)) continue;
        size_t slot = hash_node(g, n) & (cap - 1);
        for (; table[slot] >= 0; slot = (slot + 1) & (cap - 1)) {
            const ng_node *e = &g->nodes[table[slot]];
            if (!same_node(g, e, n)) continue;
            for (int o = 0; o < n->n_out; o++) remap[n->out[o]] = e->out[o];
            n->dead = 1;
            merged++;
            break;
        }
        if (!n->dead) table[slot] = i;
    }
    for (int k = 0; k < g->n_outputs; k++) g->outputs[k] = remap[g->outputs[k]];
    if (merged) ng_report_add(r, "cse: %d nodes repeated an earlier one's work", merged);
    free(table), free(remap), free(captured);
    return NNGPU_OK;
}
