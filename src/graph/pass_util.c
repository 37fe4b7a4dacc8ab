/* Use counts, rewiring and node placement shared by the passes. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"

int ng_use_count(const ng_graph *g, int t) {
    int uses = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++) uses += n->in[k] == t;
    }
    for (int i = 0; i < g->n_outputs; i++) uses += g->outputs[i] == t;
    return uses;
}

int ng_sole_consumer(const ng_graph *g, int t) {
    if (g->tensors[t].is_output) return -1;
    int found = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == t) {
                if (found >= 0 && found != i) return -1;
                if (found == i) return -1; /* read twice by one node */
                found = i;
            }
    }
    return found;
}

void ng_replace_uses(ng_graph *g, int from, int to) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == from) n->in[k] = to;
    }
}

void ng_node_note_fused(ng_node *n, const char *op_name) {
    size_t old = n->fused ? strlen(n->fused) : 0;
    char *s = realloc(n->fused, old + strlen(op_name) + 2);
    if (!s) return;
    if (old == 0) strcpy(s, op_name);
    else {
        s[old] = '+';
        strcpy(s + old + 1, op_name);
    }
    n->fused = s;
}

int ng_node_input_slot(ng_node *n, int t) {
    for (int k = n->n_main_inputs; k < n->n_in; k++)
        if (n->in[k] == t) return k;
    int *in = realloc(n->in, sizeof(int) * (size_t)(n->n_in + 1));
    if (!in) return -1;
    n->in = in;
    n->in[n->n_in] = t;
    return n->n_in++;
}

nngpu_status ng_place_appended(ng_graph *g, int n_old, const int *anchor, const int *after) {
    int total = g->n_nodes, n_new = total - n_old, at = 0;
    ng_node *nodes = malloc(sizeof *nodes * (size_t)(total ? total : 1));
    int *where = malloc(sizeof(int) * (size_t)(total ? total : 1));
    if (!nodes || !where) {
        free(nodes);
        free(where);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "placing %d new nodes", n_new);
    }
    for (int i = 0; i < n_old; i++) {
        for (int j = 0; j < n_new; j++)
            if (anchor[j] == i && !(after && after[j])) where[n_old + j] = at++;
        where[i] = at++;
        for (int j = 0; after && j < n_new; j++)
            if (anchor[j] == i && after[j]) where[n_old + j] = at++;
    }
    for (int i = 0; i < total; i++) nodes[where[i]] = g->nodes[i];
    memcpy(g->nodes, nodes, sizeof *nodes * (size_t)total);
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].producer >= 0) g->tensors[t].producer = where[g->tensors[t].producer];
    free(nodes);
    free(where);
    return NNGPU_OK;
}

/* Room for one more appended node's anchor; 0 when out of memory. */
static int appender_room(ng_graph *g, ng_appender *a) {
    int k = g->n_nodes - a->n_old;
    if (k < a->cap) return 1;
    int cap = 2 * a->cap + 16, *anchor = realloc(a->anchor, sizeof *anchor * (size_t)cap);
    if (!anchor) return 0;
    a->anchor = anchor, a->cap = cap;
    return 1;
}

int ng_appender_add(ng_graph *g, ng_appender *a, ng_op op, const char *name, int n_in, const int *in,
                    int out) {
    if (out < 0 || !appender_room(g, a)) return -1;
    int id = ng_node_add(g, op, name, n_in, in, 1, &out);
    if (id >= 0) a->anchor[id - a->n_old] = a->at;
    return id;
}

int ng_appender_copy(ng_graph *g, ng_appender *a, const ng_node *src, const int *in, const int *out) {
    if (!appender_room(g, a)) return -1;
    int id = ng_node_copy_into(g, src, in, out);
    if (id >= 0) a->anchor[id - a->n_old] = a->at;
    return id;
}

nngpu_status ng_appender_finish(ng_graph *g, ng_appender *a) {
    nngpu_status st = g->n_nodes > a->n_old ? ng_place_appended(g, a->n_old, a->anchor, NULL) : NNGPU_OK;
    free(a->anchor);
    a->anchor = NULL;
    return st;
}

int ng_transpose_perm(const ng_node *n, int rank, int64_t *p) {
    const int64_t *v;
    int c = ng_attr_ints(n, "perm", &v);
    if (c != 0 && c != rank) return 0;
    for (int i = 0; i < rank; i++) p[i] = c ? v[i] : rank - 1 - i;
    return 1;
}

void ng_readers_free(ng_readers *r) {
    free(r->start);
    free(r->node);
    r->start = r->node = NULL;
}

int ng_readers_build(const ng_graph *g, ng_readers *r) {
    r->start = calloc((size_t)g->n_tensors + 2, sizeof *r->start);
    int total = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead) total += g->nodes[i].n_in;
    r->node = malloc(sizeof *r->node * (size_t)(total + 1));
    if (!r->start || !r->node) return ng_readers_free(r), 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) r->start[n->in[k] + 2]++;
    }
    for (int t = 0; t < g->n_tensors; t++) r->start[t + 2] += r->start[t + 1];
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0) r->node[r->start[n->in[k] + 1]++] = i;
    }
    return 1; /* readers of t: node[start[t] .. start[t + 1]) */
}
