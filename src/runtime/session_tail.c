/* The run-time tail (ng_pass_extract_runtime) in a session: the values it
 * reads come out of the arena with this run's extents, its subgraph runs on
 * a device session made for those extents (tail_sessions.c) or is evaluated
 * on the reference, and the outputs it makes stay in the session until the
 * next run (ng_session_read_outputs copies them out). */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime.h"

void ng_session_tail_free(nngpu_session *s) {
    for (int k = 0; k < s->n_tail_values; k++) ng_value_free(&s->tail_values[k]);
    free(s->tail_values);
    s->tail_values = NULL;
    s->n_tail_values = 0;
    s->tail_node = -1;
}

/* Tensor t of the device graph as a host value, dynamic extent applied. */
static nngpu_status read_value(nngpu_session *s, const ng_tensor *t, ng_value *v) {
    v->dtype = t->dtype;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, sizeof v->dims);
    if (t->is_dynamic) v->dims[t->dyn_axis] = t->dyn_len;
    size_t bytes = ng_value_bytes(v);
    v->data = malloc(bytes ? bytes : 1);
    if (!v->data) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail: '%s'", t->name);
    if (!t->data) return ng_session_read(s, t->offset, bytes, v->data);
    if (bytes) memcpy(v->data, t->data, bytes);
    return NNGPU_OK;
}

nngpu_status ng_session_run_tail(nngpu_session *s, const ng_node *n) {
    const ng_graph *body = ng_attr_graph(n, "body");
    if (!body || body->n_inputs != n->n_in || body->n_outputs != n->n_out)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': malformed run-time tail", n->name);
    ng_session_tail_free(s);
    ng_value *in = calloc((size_t)n->n_in + 1, sizeof *in);
    s->tail_values = calloc((size_t)n->n_out + 1, sizeof *s->tail_values);
    nngpu_status st = NNGPU_OK;
    if (!in || !s->tail_values) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
    for (int k = 0; k < n->n_in && st == NNGPU_OK; k++) st = read_value(s, ng_in(s->g, n, k), &in[k]);
    if (st == NNGPU_OK) st = ng_tail_sessions_eval(s, body, in, s->tail_values);
    if (st == NNGPU_OK) {
        s->n_tail_values = n->n_out;
        s->tail_node = (int)(n - s->g->nodes);
    }
    for (int k = 0; in && k < n->n_in; k++) ng_value_free(&in[k]);
    free(in);
    return st;
}

const ng_value *ng_session_tail_value(const nngpu_session *s, int t) {
    if (s->tail_node < 0 || s->n_tail_values == 0) return NULL;
    const ng_node *n = &s->g->nodes[s->tail_node];
    for (int k = 0; k < s->n_tail_values; k++)
        if (n->out[k] == t) return &s->tail_values[k];
    return NULL;
}
