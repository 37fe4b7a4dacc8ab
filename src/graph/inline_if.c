/* An If whose condition is a constant but whose branch reads values of the
 * run is replaced by the chosen branch's nodes (exporters write such Ifs for
 * checks like "no boxes?" that a fixed shape decides). Otherwise the If
 * could run only on the host, and everything after it with it. */
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "passes.h"
#include "subgraph.h"

/* A new tensor of g for branch tensor t, named "<if>/<name>". */
static int new_tensor(ng_graph *g, const ng_node *n, const ng_tensor *t) {
    char name[512];
    snprintf(name, sizeof name, "%s/%s", n->name, t->name ? t->name : "");
    for (int k = 1; ng_tensor_find(g, name) >= 0; k++)
        snprintf(name, sizeof name, "%s/%s#%d", n->name, t->name ? t->name : "", k);
    int id = ng_tensor_get_or_add(g, name);
    if (id < 0) return -1;
    g->tensors[id].dtype = t->dtype;
    if (t->data && ng_tensor_set_const(g, id, t->dtype, t->rank, t->dims, t->data) != NNGPU_OK) return -1;
    return id;
}

/* map[t]: g's tensor for branch tensor t; outputs of the If where the branch
 * makes them, -2 for those still to make. */
static int *map_tensors(ng_graph *g, const ng_node *n, const ng_graph *br) {
    int *map = malloc(sizeof *map * (size_t)(br->n_tensors + 1));
    if (!map) return NULL;
    for (int t = 0; t < br->n_tensors; t++) map[t] = -2;
    for (int k = 0; k < br->n_inputs; k++) map[br->inputs[k]] = n->in[k + 1];
    for (int k = 0; k < br->n_outputs; k++) {
        int t = br->outputs[k];
        if (map[t] == -2 && !br->tensors[t].data && br->tensors[t].producer >= 0 && n->out[k] >= 0)
            map[t] = n->out[k]; /* made by a branch node: that node writes the If's output */
    }
    for (int t = 0; t < br->n_tensors; t++)
        if (map[t] == -2 && (map[t] = new_tensor(g, n, &br->tensors[t])) < 0) {
            free(map);
            return NULL;
        }
    return map;
}

static int copy_nodes(ng_graph *g, ng_appender *a, const ng_graph *br, const int *map) {
    for (int i = 0; i < br->n_nodes; i++) {
        const ng_node *src = &br->nodes[i];
        if (src->dead) continue;
        int *io = malloc(sizeof *io * (size_t)(src->n_in + src->n_out + 1));
        if (!io) return 0;
        for (int k = 0; k < src->n_in; k++) io[k] = src->in[k] < 0 ? -1 : map[src->in[k]];
        for (int k = 0; k < src->n_out; k++) io[src->n_in + k] = src->out[k] < 0 ? -1 : map[src->out[k]];
        int id = ng_appender_copy(g, a, src, io, io + src->n_in);
        free(io);
        if (id < 0) return 0;
    }
    return 1;
}

/* Outputs the branch passes through (an input, a constant, one value twice): Identity. */
static int copy_passed_outputs(ng_graph *g, ng_appender *a, const ng_node *n, const ng_graph *br,
                               const int *map) {
    for (int k = 0; k < br->n_outputs; k++) {
        int from = map[br->outputs[k]];
        if (n->out[k] < 0 || from == n->out[k]) continue;
        char name[300];
        snprintf(name, sizeof name, "%s/output%d", n->name, k);
        if (ng_appender_add(g, a, NG_OP_IDENTITY, name, 1, &from, n->out[k]) < 0) return 0;
    }
    return 1;
}

nngpu_status ng_inline_if(ng_graph *g, int i) {
    ng_node n = g->nodes[i]; /* appending moves g->nodes */
    const ng_tensor *cond = ng_in(g, &n, 0);
    const char *which = ng_const_double(cond, 0) != 0 ? "then_branch" : "else_branch";
    const ng_graph *br = ng_attr_graph(&n, which);
    if (!br || br->n_inputs != n.n_in - 1 || br->n_outputs != n.n_out)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (If): %s does not match the node", n.name, which);
    ng_appender a = {g->n_nodes, NULL, 0, i};
    int *map = map_tensors(g, &n, br);
    int ok = map && copy_nodes(g, &a, br, map) && copy_passed_outputs(g, &a, &n, br, map);
    free(map);
    if (ok) g->nodes[i].dead = 1;
    else
        for (int k = a.n_old; k < g->n_nodes; k++) g->nodes[k].dead = 1;
    nngpu_status placed = ng_appender_finish(g, &a);
    if (!ok) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (If): inlining its %s", n.name, which);
    return placed;
}
