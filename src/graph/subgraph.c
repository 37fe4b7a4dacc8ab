/* Host evaluation of subgraphs on constant inputs: a clone of the subgraph
 * with its inputs made constants goes through shape inference and constant
 * folding, which evaluates every node on the reference. If picks a branch;
 * Loop runs its body once per iteration (Scan: scan.c). */
#include "subgraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"

#define MAX_LOOP_ITERATIONS 100000000LL

void ng_value_free(ng_value *v) {
    free(v->data);
    v->data = NULL;
}

size_t ng_value_bytes(const ng_value *v) {
    ng_tensor t = {0};
    t.dtype = v->dtype;
    t.rank = v->rank;
    memcpy(t.dims, v->dims, sizeof t.dims);
    return ng_nbytes(&t);
}

void ng_value_view(const ng_tensor *t, ng_value *v) {
    v->dtype = t->dtype;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, sizeof v->dims);
    v->data = t->data;
}

nngpu_status ng_value_dup(const ng_value *from, ng_value *v) {
    size_t bytes = ng_value_bytes(from);
    *v = *from;
    v->data = malloc(bytes ? bytes : 1);
    if (!v->data) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "a subgraph value");
    if (bytes) memcpy(v->data, from->data, bytes);
    return NNGPU_OK;
}

nngpu_status ng_value_copy(const ng_tensor *t, ng_value *v) {
    ng_value view;
    ng_value_view(t, &view);
    nngpu_status st = ng_value_dup(&view, v);
    return st == NNGPU_OK ? st : ng_error_context(st, "value '%s'", t->name);
}

/* Why output t did not become a constant: the first node left unevaluated. */
static nngpu_status unevaluated(const ng_graph *c, const ng_tensor *t, const char *owner) {
    for (int i = 0; i < c->n_nodes; i++)
        if (!c->nodes[i].dead)
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "%s: subgraph output '%s' was not computed: node '%s' (%s) could not "
                            "run on the reference",
                            owner, t->name, c->nodes[i].name, ng_op_name(c->nodes[i].op));
    return ng_error(NNGPU_ERR_INVALID_ARG, "%s: subgraph output '%s' has no value", owner, t->name);
}

/* Output k of c as a value: its data taken over when c owns it and no
 * later output is the same tensor (c is destroyed next), else copied. */
static nngpu_status take_output(ng_graph *c, int k, ng_value *v) {
    ng_tensor *t = &c->tensors[c->outputs[k]];
    int again = 0;
    for (int j = k + 1; j < c->n_outputs; j++) again |= c->outputs[j] == c->outputs[k];
    if (t->borrowed || again) return ng_value_copy(t, v);
    v->dtype = t->dtype;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, sizeof v->dims);
    v->data = t->data;
    t->data = NULL;
    return NNGPU_OK;
}

nngpu_status ng_subgraph_eval(const ng_graph *body, const ng_value *in, ng_value *out,
                              const char *owner) {
    ng_graph *c = ng_graph_clone_borrowing(body); /* weights are read, never copied */
    if (!c) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: subgraph", owner);
    nngpu_status st = NNGPU_OK;
    for (int i = 0; i < c->n_inputs && st == NNGPU_OK; i++) {
        int t = c->inputs[i];
        if (in[i].data) { /* lent: the caller's values outlive c (a Loop's growing state is large) */
            ng_tensor_adopt_const(c, t, in[i].dtype, in[i].rank, in[i].dims, (void *)in[i].data);
            c->tensors[t].borrowed = 1;
        } else {
            st = ng_tensor_set_const(c, t, in[i].dtype, in[i].rank, in[i].dims, NULL);
        }
        c->tensors[t].is_input = 0;
    }
    c->n_inputs = 0;
    if (st == NNGPU_OK) st = ng_pass_infer_fold(c, 2, NULL);
    int k = 0;
    for (; k < c->n_outputs && st == NNGPU_OK; k++)
        st = c->tensors[c->outputs[k]].data ? take_output(c, k, &out[k])
                                            : unevaluated(c, &c->tensors[c->outputs[k]], owner);
    if (st != NNGPU_OK)
        while (k-- > 0) ng_value_free(&out[k]);
    ng_graph_release_borrowed(c, body);
    nngpu_graph_destroy(c);
    return st;
}


nngpu_status ng_control_set_outputs(ng_graph *g, ng_node *n, int count, ng_value *v) {
    for (int k = 0; k < count; k++)
        if (n->out[k] >= 0) {
            NG_CHECK(ng_tensor_set_const(g, n->out[k], v[k].dtype, v[k].rank, v[k].dims, v[k].data));
            g->tensors[n->out[k]].producer = -1;
        }
    n->dead = 1;
    return NNGPU_OK;
}

static nngpu_status fold_if(ng_graph *g, ng_node *n) {
    const ng_tensor *cond = ng_in(g, n, 0);
    if (!cond || ng_numel(cond) != 1)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (If): cond must hold one value", n->name);
    const char *which = ng_const_double(cond, 0) != 0 ? "then_branch" : "else_branch";
    const ng_graph *body = ng_attr_graph(n, which);
    if (!body) return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (If): no %s", n->name, which);
    if (body->n_inputs != n->n_in - 1 || body->n_outputs != n->n_out)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (If): %s has %d outputs, the node %d",
                        n->name, which, body->n_outputs, n->n_out);
    ng_value in[64], out[64];
    if (n->n_in - 1 > 64 || n->n_out > 64)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (If): over 64 values", n->name);
    for (int k = 1; k < n->n_in; k++) ng_value_view(ng_in(g, n, k), &in[k - 1]);
    char owner[300];
    snprintf(owner, sizeof owner, "node '%.200s' (If, %s)", n->name, which);
    NG_CHECK(ng_subgraph_eval(body, in, out, owner));
    nngpu_status st = ng_control_set_outputs(g, n, n->n_out, out);
    for (int k = 0; k < n->n_out; k++) ng_value_free(&out[k]);
    return st;
}

static int value_true(const ng_value *v) {
    ng_tensor t = {0};
    t.dtype = v->dtype;
    t.rank = v->rank;
    memcpy(t.dims, v->dims, sizeof t.dims);
    t.data = v->data;
    return ng_numel(&t) > 0 && ng_const_double(&t, 0) != 0;
}

/* Scan output k: the per-iteration values stacked on a new first axis. */
typedef struct scan_acc {
    ng_value v; /* dims[0] counts iterations */
    size_t bytes, cap;
} scan_acc;

static nngpu_status scan_append(scan_acc *a, const ng_value *it, const char *node) {
    size_t b = ng_value_bytes(it);
    if (a->v.dims[0] == 0) {
        if (it->rank + 1 > NNGPU_MAX_DIMS)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (Loop): scan output rank", node);
        a->v.dtype = it->dtype;
        a->v.rank = it->rank + 1;
        memcpy(a->v.dims + 1, it->dims, sizeof(int64_t) * (size_t)it->rank);
    } else if (it->dtype != a->v.dtype || it->rank + 1 != a->v.rank ||
               memcmp(a->v.dims + 1, it->dims, sizeof(int64_t) * (size_t)it->rank) != 0) {
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s' (Loop): a scan output changes shape or type between iterations",
                        node);
    }
    if (a->bytes + b > a->cap) {
        size_t cap = (a->cap ? a->cap : 64) * 2;
        while (cap < a->bytes + b) cap *= 2;
        void *p = realloc(a->v.data, cap);
        if (!p) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (Loop): scan output", node);
        a->v.data = p;
        a->cap = cap;
    }
    if (b) memcpy((char *)a->v.data + a->bytes, it->data, b);
    a->bytes += b;
    a->v.dims[0]++;
    return NNGPU_OK;
}

/* The scan outputs of a Loop that ran no iteration: [0, element shape...],
 * the element shapes those of one trial run of the body on the initial
 * states (a stacked list's readers concatenate it with elements of that
 * shape); an empty [0] of the declared type when that run fails. */
static void empty_scans(const ng_graph *body, int n_state, ng_value *in, const ng_value *state,
                        scan_acc *scan, const char *owner) {
    int n_scan = body->n_outputs - 1 - n_state;
    ng_value out[64];
    for (int k = 0; k < n_state; k++) in[2 + k] = state[k];
    int ran = ng_subgraph_eval(body, in, out, owner) == NNGPU_OK;
    if (!ran) ng_error_clear();
    for (int k = 0; k < n_scan; k++) {
        ng_value *v = &scan[k].v, *it = &out[1 + n_state + k];
        if (ran && it->rank < NNGPU_MAX_DIMS) {
            v->dtype = it->dtype;
            v->rank = it->rank + 1;
            memcpy(v->dims + 1, it->dims, sizeof(int64_t) * (size_t)it->rank);
        } else {
            nngpu_dtype dt = body->tensors[body->outputs[1 + n_state + k]].dtype;
            v->dtype = dt != NNGPU_DTYPE_UNDEFINED ? dt : NNGPU_DTYPE_FLOAT32;
            v->rank = 1;
        }
        v->dims[0] = 0;
    }
    for (int k = 0; ran && k < body->n_outputs; k++) ng_value_free(&out[k]);
}

/* Loop(M, cond, v_initial..., captures...): body(iteration, cond, v..., captures...) ->
 * (cond, v..., scan...); outputs v_final..., scan outputs.... */
static nngpu_status fold_loop(ng_graph *g, ng_node *n) {
    const ng_graph *body = ng_attr_graph(n, "body");
    if (!body) return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Loop): no body", n->name);
    int n_state = body->n_inputs - 2 - body->n_captured;
    int n_scan = body->n_outputs - 1 - n_state;
    if (n_state < 0 || n_scan < 0 || n->n_in != 2 + n_state + body->n_captured ||
        n->n_out != n_state + n_scan || body->n_inputs > 64 || body->n_outputs > 64)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s' (Loop): body inputs/outputs (%d/%d) do not match the node's "
                        "(%d/%d)",
                        n->name, body->n_inputs, body->n_outputs, n->n_in, n->n_out);
    const ng_tensor *m = ng_in(g, n, 0), *c0 = ng_in(g, n, 1);
    int64_t trips = m && ng_numel(m) > 0 ? ng_const_int(m, 0) : MAX_LOOP_ITERATIONS;
    int8_t cond = c0 && ng_numel(c0) > 0 ? ng_const_double(c0, 0) != 0 : 1;
    int64_t iter = 0;
    ng_value in[64], out[64], state[64];
    scan_acc scan[64];
    memset(scan, 0, sizeof scan);
    memset(state, 0, sizeof state);
    in[0] = (ng_value){NNGPU_DTYPE_INT64, 0, {0}, &iter};
    in[1] = (ng_value){NNGPU_DTYPE_BOOL, 0, {0}, &cond};
    for (int k = 0; k < body->n_captured; k++)
        ng_value_view(ng_in(g, n, 2 + n_state + k), &in[2 + n_state + k]);
    ng_growth grow;
    nngpu_status st = ng_growth_start(&grow, body, n_state);
    for (int k = 0; k < n_state && st == NNGPU_OK; k++) st = ng_value_copy(ng_in(g, n, 2 + k), &state[k]);
    char owner[300];
    snprintf(owner, sizeof owner, "node '%.200s' (Loop body)", n->name);
    for (; st == NNGPU_OK && iter < trips && cond; iter++) {
        if (iter >= MAX_LOOP_ITERATIONS) {
            st = ng_error(NNGPU_ERR_UNSUPPORTED, "%s: over %lld iterations", owner,
                          MAX_LOOP_ITERATIONS);
            break;
        }
        for (int k = 0; k < n_state; k++) in[2 + k] = state[k];
        if ((st = ng_subgraph_eval(grow.body ? grow.body : body, in, out, owner)) != NNGPU_OK) break;
        cond = value_true(&out[0]);
        st = ng_growth_take(&grow, n_state, state, &out[1]);
        for (int k = 0; k < n_scan && st == NNGPU_OK; k++)
            st = scan_append(&scan[k], &out[1 + n_state + k], n->name);
        ng_value_free(&out[0]);
        for (int k = 0; k < n_scan; k++) ng_value_free(&out[1 + n_state + k]);
    }
    nngpu_status grown = ng_growth_finish(&grow, body, n_state, state, owner);
    if (st == NNGPU_OK) st = grown;
    if (st == NNGPU_OK && iter == 0 && n_scan) empty_scans(body, n_state, in, state, scan, owner);
    ng_value res[64];
    for (int k = 0; k < n_state; k++) res[k] = state[k];
    for (int k = 0; k < n_scan; k++) res[n_state + k] = scan[k].v;
    if (st == NNGPU_OK) st = ng_control_set_outputs(g, n, n_state + n_scan, res);
    for (int k = 0; k < n_state + n_scan; k++) ng_value_free(&res[k]);
    return st;
}

nngpu_status ng_fold_control(ng_graph *g, ng_node *n) {
    if (n->op == NG_OP_SCAN) return ng_fold_scan(g, n);
    return n->op == NG_OP_IF ? fold_if(g, n) : fold_loop(g, n);
}
