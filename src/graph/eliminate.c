/* Removes nodes that compute nothing at inference: Identity, Dropout, a
 * Cast to the dtype it already has, and merges a Transpose of a Transpose
 * into one (none when they cancel). Reshape-like ops become views. */
#include <stdlib.h>
#include <string.h>

#include "passes.h"

/* Transpose(Transpose(x, p), q) reads x through the one permutation
 * p[q[i]] (tf2onnx leaves NHWC <-> NCHW pairs between ops it could not move
 * transposes through). Returns 1 when n now reads x directly. */
static int merge_transposes(ng_graph *g, ng_node *n) {
    int pi = g->tensors[n->in[0]].producer;
    if (n->op != NG_OP_TRANSPOSE || pi < 0 || g->nodes[pi].dead || g->nodes[pi].op != NG_OP_TRANSPOSE)
        return 0;
    ng_node *inner = &g->nodes[pi];
    int rank = ng_in(g, inner, 0)->rank;
    int64_t p[NNGPU_MAX_DIMS], q[NNGPU_MAX_DIMS];
    if (rank < 1 || rank > NNGPU_MAX_DIMS || !ng_transpose_perm(inner, rank, p) || !ng_transpose_perm(n, rank, q)) return 0;
    ng_attr *a = NULL;
    for (int k = 0; k < n->n_attr; k++)
        if (strcmp(n->attrs[k].name, "perm") == 0) a = &n->attrs[k];
    if (!a) a = ng_node_add_attr(n, "perm", NG_ATTR_INTS);
    int64_t *v = malloc(sizeof *v * (size_t)rank);
    if (!a || !v) {
        free(v);
        return 0; /* out of memory: left as it is */
    }
    for (int i = 0; i < rank; i++) v[i] = p[q[i]];
    free(a->ints);
    a->ints = v;
    a->n = rank;
    n->in[0] = inner->in[0];
    if (ng_use_count(g, inner->out[0]) == 0 && !g->tensors[inner->out[0]].is_output) inner->dead = 1;
    return 1;
}

static int is_identity_transpose(const ng_graph *g, const ng_node *n) {
    int rank = ng_in(g, n, 0)->rank;
    int64_t p[NNGPU_MAX_DIMS];
    if (rank < 0 || rank > NNGPU_MAX_DIMS || !ng_transpose_perm(n, rank, p)) return 0;
    for (int i = 0; i < rank; i++)
        if (p[i] != i) return 0;
    return 1;
}

static int is_noop(const ng_graph *g, const ng_node *n) {
    switch (n->op) {
    case NG_OP_IDENTITY: return 1;
    case NG_OP_DROPOUT: /* the mask output, if anyone reads it, keeps the node */
        return n->n_out < 2 || n->out[1] < 0 || ng_use_count(g, n->out[1]) == 0;
    case NG_OP_CAST: return ng_in(g, n, 0)->dtype == ng_out(g, n, 0)->dtype;
    case NG_OP_TRANSPOSE: return is_identity_transpose(g, n);
    default: return 0;
    }
}

/* No-op n writes graph output y from x: when x comes from a node that has
 * one output and n is x's only reader, that node writes y itself. */
static int retarget_producer(ng_graph *g, const ng_node *n) {
    int x = n->in[0], y = n->out[0], pi = g->tensors[x].producer;
    const ng_tensor *tx = &g->tensors[x], *ty = &g->tensors[y];
    if (pi < 0 || g->nodes[pi].n_out != 1 || tx->is_output || tx->is_input || tx->data ||
        tx->dtype != ty->dtype || tx->rank != ty->rank || tx->is_dynamic || tx->rt_shape ||
        memcmp(tx->dims, ty->dims, sizeof(int64_t) * (size_t)(tx->rank > 0 ? tx->rank : 0)) ||
        ng_use_count(g, x) != 1)
        return 0;
    g->nodes[pi].out[0] = y;
    g->tensors[y].producer = pi;
    g->tensors[x].producer = -1;
    return 1;
}

nngpu_status ng_pass_eliminate(ng_graph *g, ng_report *r) {
    int removed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (!n->dead && merge_transposes(g, n))
            ng_report_add(r, "eliminate: Transpose '%s' reads through the Transpose before it", n->name);
        if (n->dead || !is_noop(g, n)) continue;
        int x = n->in[0], y = n->out[0];
        if (g->tensors[y].is_output) {
            /* stays as a copy into the output, unless x's producer can write it */
            if (!retarget_producer(g, n)) continue;
            n->dead = 1;
            removed++;
            ng_report_add(r, "eliminate: %s '%s' (its input's producer writes the output)",
                          ng_op_name(n->op), n->name);
            continue;
        }
        ng_replace_uses(g, y, x);
        n->dead = 1;
        removed++;
        ng_report_add(r, "eliminate: %s '%s'", ng_op_name(n->op), n->name);
    }
    (void)removed;
    return NNGPU_OK;
}

void ng_pass_mark_views(ng_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (n->op != NG_OP_RESHAPE && n->op != NG_OP_FLATTEN && n->op != NG_OP_SQUEEZE &&
            n->op != NG_OP_UNSQUEEZE)
            continue;
        int x = n->in[0], y = n->out[0];
        if (ng_is_const(g, x) || g->tensors[y].is_output) continue;
        int root = g->tensors[x].view_of >= 0 ? g->tensors[x].view_of : x;
        g->tensors[y].view_of = root;
    }
}
