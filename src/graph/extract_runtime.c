/* ng_pass_extract_runtime: the nodes whose shapes only a run decides
 * (ng_tensor.rt_shape: If/Loop on run-time values, readers of a dynamic
 * extent) move into one host subgraph, the "body" of a RuntimeTail node that
 * reads the values they need from the rest of the graph and writes the graph
 * outputs they make. The device graph keeps static shapes; each run
 * evaluates the body on the host (ng_subgraph_eval) with the run's values. */
#include <stdlib.h>

#include "core/status.h"
#include "passes.h"

typedef struct tail_builder {
    ng_graph *g, *body;
    int *map;             /* g tensor -> body tensor, -1 */
    int n_bound, *bound;  /* g tensors the body reads as inputs */
} tail_builder;

static int is_tail_node(const ng_graph *g, const ng_node *n) {
    for (int k = 0; k < n->n_out; k++) {
        const ng_tensor *t = ng_out(g, n, k);
        if (t && t->rt_shape) return 1;
    }
    return 0;
}

/* The body tensor for g's tensor t: made by a tail node, a copied constant, or
 * a new input bound to t. */
static nngpu_status body_tensor(tail_builder *b, int t, int *out) {
    if (t < 0) {
        *out = -1;
        return NNGPU_OK;
    }
    if (b->map[t] >= 0) {
        *out = b->map[t];
        return NNGPU_OK;
    }
    const ng_tensor *src = &b->g->tensors[t];
    int id = ng_tensor_get_or_add(b->body, src->name);
    if (id < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
    b->map[t] = *out = id;
    ng_tensor *d = &b->body->tensors[id];
    d->dtype = src->dtype;
    if (src->data) return ng_tensor_set_const(b->body, id, src->dtype, src->rank, src->dims, src->data);
    if (src->rt_shape) return NNGPU_OK; /* made by a tail node */
    int *ins = realloc(b->body->inputs, sizeof *ins * (size_t)(b->body->n_inputs + 1));
    int *bound = realloc(b->bound, sizeof *bound * (size_t)(b->n_bound + 1));
    if (ins) b->body->inputs = ins;
    if (bound) b->bound = bound;
    if (!ins || !bound) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
    b->body->inputs[b->body->n_inputs++] = id;
    b->bound[b->n_bound++] = t;
    d->is_input = 1;
    return NNGPU_OK;
}

static nngpu_status copy_node(tail_builder *b, ng_node *n) {
    int *ids = malloc(sizeof *ids * (size_t)(n->n_in + n->n_out + 1));
    if (!ids) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail: node '%s'", n->name);
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in && st == NNGPU_OK; k++) st = body_tensor(b, n->in[k], &ids[k]);
    for (int k = 0; k < n->n_out && st == NNGPU_OK; k++)
        st = body_tensor(b, n->out[k], &ids[n->n_in + k]);
    if (st == NNGPU_OK && ng_node_copy_into(b->body, n, ids, ids + n->n_in) < 0)
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail: node '%s'", n->name);
    if (st == NNGPU_OK) n->dead = 1;
    free(ids);
    return st;
}

/* The RuntimeTail node: bound tensors in, the tail's graph outputs out. */
static nngpu_status add_tail_node(tail_builder *b) {
    ng_graph *g = b->g;
    int n_out = 0, *outs = malloc(sizeof *outs * (size_t)(g->n_outputs + 1));
    if (!outs) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
    for (int k = 0; k < g->n_outputs; k++) {
        int t = g->outputs[k];
        if (!g->tensors[t].rt_shape || b->map[t] < 0) continue;
        int *bo = realloc(b->body->outputs, sizeof *bo * (size_t)(b->body->n_outputs + 1));
        if (!bo) {
            free(outs);
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
        }
        b->body->outputs = bo;
        b->body->outputs[b->body->n_outputs++] = b->map[t];
        b->body->tensors[b->map[t]].is_output = 1;
        outs[n_out++] = t;
    }
    nngpu_status st = NNGPU_OK;
    if (n_out) {
        int id = ng_node_add(g, NG_OP_RUNTIME_TAIL, "runtime_tail", b->n_bound, b->bound, n_out, outs);
        b->body->n_captured = b->body->n_inputs;
        if (id < 0 || !ng_node_set_graph(&g->nodes[id], "body", b->body))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
        if (id < 0) nngpu_graph_destroy(b->body);
    } else {
        nngpu_graph_destroy(b->body); /* its values reach no output */
    }
    b->body = NULL;
    free(outs);
    return st;
}

nngpu_status ng_pass_extract_runtime(ng_graph *g, ng_report *r) {
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++) count += !g->nodes[i].dead && is_tail_node(g, &g->nodes[i]);
    if (!count) return NNGPU_OK;
    tail_builder b = {g, nngpu_graph_create(), malloc(sizeof(int) * (size_t)g->n_tensors), 0, NULL};
    nngpu_status st = NNGPU_OK;
    if (!b.body || !b.map) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
    else {
        nngpu_graph_set_opset(b.body, g->opset);
        for (int i = 0; i < g->n_tensors; i++) b.map[i] = -1;
    }
    int n_nodes = g->n_nodes; /* the tail node goes after them */
    for (int i = 0; i < n_nodes && st == NNGPU_OK; i++)
        if (!g->nodes[i].dead && is_tail_node(g, &g->nodes[i])) st = copy_node(&b, &g->nodes[i]);
    if (st == NNGPU_OK) st = add_tail_node(&b);
    nngpu_graph_destroy(b.body);
    free(b.map);
    free(b.bound);
    if (st == NNGPU_OK)
        ng_report_add(r, "runtime_tail: %d nodes run on the host after the device graph, with "
                         "each run's shapes", count);
    return st;
}
