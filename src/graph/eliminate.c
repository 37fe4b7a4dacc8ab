/* Removes nodes that compute nothing at inference: Identity, Dropout, a
 * Cast to the dtype it already has. Reshape-like ops become views. */
#include "passes.h"

static int is_noop(const ng_graph *g, const ng_node *n) {
    switch (n->op) {
    case NG_OP_IDENTITY: return 1;
    case NG_OP_DROPOUT: /* the mask output, if anyone reads it, keeps the node */
        return n->n_out < 2 || n->out[1] < 0 || ng_use_count(g, n->out[1]) == 0;
    case NG_OP_CAST: return ng_in(g, n, 0)->dtype == ng_out(g, n, 0)->dtype;
    default: return 0;
    }
}

nngpu_status ng_pass_eliminate(ng_graph *g, ng_report *r) {
    int removed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead || !is_noop(g, n)) continue;
        int x = n->in[0], y = n->out[0];
        if (g->tensors[y].is_output) continue; /* stays as a copy into the output */
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
