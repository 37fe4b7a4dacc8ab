/* A Loop state grown by concatenation, torch's `acc = torch.cat((acc, y))` in
 * a scripted loop (torchvision's Mask R-CNN pastes its 100 masks this way):
 * the body's state output is Concat(state input, y) and nothing else reads the
 * state input. Run as written, iteration i copies the i pieces before it,
 * O(n^2) bytes (Mask R-CNN at 320: ~2 GB a run). fold_loop instead runs a
 * copy of the body whose Concat passes y through, keeps the pieces, and
 * concatenates them once after the last iteration. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "subgraph.h"

/* The Concat growing state k of body (inputs: iteration, cond, states...;
 * outputs: cond, states...), or -1. */
static int growth_node(const ng_graph *body, int k) {
    int s_in = body->inputs[2 + k], s_out = body->outputs[1 + k];
    const ng_tensor *out = &body->tensors[s_out];
    if (out->producer < 0) return -1;
    const ng_node *c = &body->nodes[out->producer];
    if (c->dead || c->op != NG_OP_CONCAT || c->n_epi || c->n_in != 2 || c->in[0] != s_in ||
        c->in[1] == s_in || c->in[1] < 0 || ng_use_count(body, s_in) != 1 ||
        ng_use_count(body, s_out) != 1)
        return -1;
    return out->producer;
}

nngpu_status ng_growth_start(ng_growth *gr, const ng_graph *body, int n_state) {
    memset(gr, 0, sizeof *gr);
    int any = 0;
    for (int k = 0; k < n_state; k++) any |= gr->grown[k] = growth_node(body, k) >= 0;
    if (!any) return NNGPU_OK;
    if (!(gr->body = ng_graph_clone_borrowing(body)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "Loop body");
    for (int k = 0; k < n_state; k++) {
        if (!gr->grown[k]) continue;
        ng_node *n = &gr->body->nodes[growth_node(body, k)];
        gr->axis[k] = (int)ng_attr_int(n, "axis", 0);
        n->op = NG_OP_IDENTITY; /* y passes through: the piece this iteration adds */
        n->in[0] = n->in[1];
        n->n_in = n->n_main_inputs = 1;
    }
    return NNGPU_OK;
}

nngpu_status ng_growth_take(ng_growth *gr, int n_state, ng_value *state, ng_value *out) {
    if (gr->body && gr->n == gr->cap) {
        int cap = gr->cap ? 2 * gr->cap : 16;
        for (int k = 0; k < n_state; k++) {
            if (!gr->grown[k]) continue;
            ng_value *p = realloc(gr->pieces[k], sizeof *p * (size_t)cap);
            if (!p) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "Loop: grown state");
            gr->pieces[k] = p;
        }
        gr->cap = cap;
    }
    for (int k = 0; k < n_state; k++) {
        if (gr->grown[k]) {
            gr->pieces[k][gr->n] = out[k];
            continue;
        }
        ng_value_free(&state[k]);
        state[k] = out[k];
    }
    gr->n += gr->body != NULL;
    return NNGPU_OK;
}

nngpu_status ng_growth_finish(ng_growth *gr, const ng_graph *body, int n_state, ng_value *state,
                              const char *owner) {
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n_state; k++) {
        if (!gr->grown[k]) continue;
        ng_value whole = {0};
        if (st == NNGPU_OK && gr->n) {
            st = ng_concat_values(&state[k], gr->pieces[k], gr->n, gr->axis[k], owner, &whole);
            ng_value_free(&state[k]);
            if (st == NNGPU_OK) state[k] = whole;
        }
        for (int p = 0; p < gr->n; p++) ng_value_free(&gr->pieces[k][p]);
        free(gr->pieces[k]);
    }
    if (gr->body) {
        ng_graph_release_borrowed(gr->body, body);
        nngpu_graph_destroy(gr->body);
    }
    memset(gr, 0, sizeof *gr);
    return st;
}

nngpu_status ng_concat_values(const ng_value *first, const ng_value *pieces, int count, int axis,
                              const char *owner, ng_value *out) {
    *out = *first;
    out->data = NULL;
    int rank = first->rank;
    if (axis < -rank || axis >= rank)
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s: Concat axis %d of rank %d", owner, axis, rank);
    int a = axis < 0 ? axis + rank : axis;
    for (int p = 0; p < count; p++) {
        const ng_value *v = &pieces[p];
        int same = v->dtype == first->dtype && v->rank == rank;
        for (int i = 0; same && i < rank; i++) same = i == a || v->dims[i] == first->dims[i];
        if (!same)
            return ng_error(NNGPU_ERR_INVALID_ARG, "%s: Concat of iteration %d does not match the "
                                                  "state off axis %d", owner, p, a);
        out->dims[a] += v->dims[a];
    }
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < a; i++) outer *= first->dims[i];
    for (int i = a + 1; i < rank; i++) inner *= first->dims[i];
    size_t es = nngpu_dtype_size(first->dtype), bytes = ng_value_bytes(out);
    if (!(out->data = malloc(bytes ? bytes : 1)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: grown state", owner);
    size_t row = (size_t)(out->dims[a] * inner) * es, at = 0;
    for (int p = -1; p < count; p++) { /* the start value, then the pieces */
        const ng_value *v = p < 0 ? first : &pieces[p];
        size_t len = (size_t)(v->dims[a] * inner) * es;
        for (int64_t o = 0; o < outer && len; o++)
            memcpy((char *)out->data + (size_t)o * row + at, (const char *)v->data + (size_t)o * len, len);
        at += len;
    }
    return NNGPU_OK;
}
