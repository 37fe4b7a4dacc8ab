/* Scan (opset 9 on) evaluated on the host, like Loop (subgraph.c): the body
 * runs once per step t of the scan axis, on the states and on slice t of
 * each scan input (slice L-1-t for a reversed input), and each scan output
 * y_t goes to position t (L-1-t reversed) along its output axis:
 *     Scan(states..., xs...; body, num_scan_inputs = M, scan_input_axes,
 *          scan_input_directions, scan_output_axes, scan_output_directions)
 *       -> final states..., stacked scan outputs...
 * Older TensorFlow and Keras converters write RNNs and cumulative loops this
 * way. Constant inputs fold at compile time; otherwise the node joins the
 * run-time tail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "subgraph.h"

/* Attribute ints[i] of n, or def when the list is absent. */
static int64_t attr_at(const ng_node *n, const char *name, int i, int64_t def) {
    const int64_t *v;
    int count = ng_attr_ints(n, name, &v);
    return i < count ? v[i] : def;
}

/* Tensor x viewed as [outer, len, inner] around axis a. */
typedef struct axis_split {
    int64_t outer, len, inner;
    size_t es;
} axis_split;

static axis_split split_at(nngpu_dtype dt, int rank, const int64_t *dims, int a) {
    axis_split s = {1, dims[a], 1, nngpu_dtype_size(dt)};
    for (int i = 0; i < a; i++) s.outer *= dims[i];
    for (int i = a + 1; i < rank; i++) s.inner *= dims[i];
    return s;
}

/* Slice t along the axis of a [outer, len, inner] view: [outer, inner] blocks. */
static void copy_slice(const axis_split *s, char *dst, const char *src, int64_t t, int to_slice) {
    size_t block = (size_t)s->inner * s->es;
    for (int64_t o = 0; o < s->outer; o++) {
        char *stacked = (char *)(to_slice ? src : dst) + ((size_t)(o * s->len + t)) * block;
        char *slice = (char *)(to_slice ? dst : src) + (size_t)o * block;
        if (to_slice) memcpy(slice, stacked, block);
        else memcpy(stacked, slice, block);
    }
}

typedef struct scan_state {
    const ng_graph *body;
    int n_state, n_scan_in, n_scan_out, first_state; /* first_state: node input of state 0 */
    int64_t steps;
    ng_value xs[64];                                 /* the scan inputs (views) */
    ng_value in[64], out[64], state[64], result[64]; /* result: stacked scan outputs */
    int in_axis[64], out_axis[64], in_reverse[64];
    char owner[300];
} scan_state;

/* Checks the node against its body; s->xs (views of the scan inputs), their
 * axes and directions, and s->steps. Opset 8 puts sequence_lens first and a
 * batch axis before the time axis (ng_fold_scan takes them apart). */
static nngpu_status prepare(ng_graph *g, ng_node *n, scan_state *s) {
    s->body = ng_attr_graph(n, "body");
    if (!s->body) return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Scan): no body", n->name);
    int v8 = n->opset < 9;
    s->first_state = v8;
    s->n_scan_in = (int)ng_attr_int(n, "num_scan_inputs", 0);
    s->n_state = n->n_in - s->body->n_captured - s->n_scan_in - v8;
    s->n_scan_out = s->body->n_outputs - s->n_state;
    snprintf(s->owner, sizeof s->owner, "node '%.200s' (Scan body)", n->name);
    if (s->n_scan_in < 1 || s->n_state < 0 || s->n_scan_out < 0 || n->n_out != s->body->n_outputs ||
        s->body->n_inputs != n->n_in - v8 || n->n_in > 64 || n->n_out > 64)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s' (Scan): body inputs/outputs (%d/%d) do not match the node's "
                        "(%d/%d) with %d scan inputs",
                        n->name, s->body->n_inputs, s->body->n_outputs, n->n_in, n->n_out, s->n_scan_in);
    s->steps = -1;
    for (int j = 0; j < s->n_scan_in; j++) {
        const ng_tensor *x = ng_in(g, n, v8 + s->n_state + j);
        int64_t a = v8 ? 1 : attr_at(n, "scan_input_axes", j, 0);
        if (!x || a < -x->rank || a >= x->rank)
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Scan): scan input %d has no axis %lld",
                            n->name, j, (long long)a);
        ng_value_view(x, &s->xs[j]);
        s->in_axis[j] = ng_axis(a, x->rank);
        s->in_reverse[j] = attr_at(n, v8 ? "directions" : "scan_input_directions", j, 0) != 0;
        if (s->steps >= 0 && x->dims[s->in_axis[j]] != s->steps)
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Scan): scan inputs of %lld and %lld steps",
                            n->name, (long long)s->steps, (long long)x->dims[s->in_axis[j]]);
        s->steps = x->dims[s->in_axis[j]];
    }
    return NNGPU_OK;
}

/* Scan output k of step t, y, into its stacked result (made at step 0). */
static nngpu_status place_output(ng_node *n, scan_state *s, int k, int64_t t, const ng_value *y) {
    ng_value *r = &s->result[k];
    if (t == 0) {
        int rank = y->rank + 1;
        int64_t a = attr_at(n, "scan_output_axes", k, 0);
        if (rank > NNGPU_MAX_DIMS || a < -rank || a >= rank)
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Scan): scan output %d has no axis %lld",
                            n->name, k, (long long)a);
        s->out_axis[k] = ng_axis(a, rank);
        r->dtype = y->dtype;
        r->rank = rank;
        for (int i = 0, e = 0; i < rank; i++) r->dims[i] = i == s->out_axis[k] ? s->steps : y->dims[e++];
        size_t bytes = ng_value_bytes(r);
        if (!(r->data = malloc(bytes ? bytes : 1)))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (Scan): scan output %d", n->name, k);
    }
    int a = s->out_axis[k];
    for (int i = 0, e = 0; i < r->rank; i++)
        if (i != a && (e >= y->rank || r->dims[i] != y->dims[e++]))
            return ng_error(NNGPU_ERR_INVALID_ARG,
                            "node '%s' (Scan): scan output %d changes shape between steps", n->name, k);
    if (y->dtype != r->dtype || y->rank + 1 != r->rank)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Scan): scan output %d changes type", n->name, k);
    int64_t at = attr_at(n, "scan_output_directions", k, 0) ? s->steps - 1 - t : t;
    axis_split v = split_at(r->dtype, r->rank, r->dims, a);
    copy_slice(&v, r->data, y->data, at, 0);
    return NNGPU_OK;
}

/* One step: slices of the scan inputs, the body, the states and outputs kept. */
static nngpu_status step(ng_node *n, scan_state *s, int64_t t) {
    nngpu_status st = NNGPU_OK;
    for (int j = 0; j < s->n_scan_in && st == NNGPU_OK; j++) {
        const ng_value *x = &s->xs[j];
        ng_value *v = &s->in[s->n_state + j];
        int a = s->in_axis[j];
        v->dtype = x->dtype;
        v->rank = x->rank - 1;
        for (int i = 0, e = 0; i < x->rank; i++)
            if (i != a) v->dims[e++] = x->dims[i];
        axis_split sp = split_at(x->dtype, x->rank, x->dims, a);
        if (!(v->data = malloc((size_t)(sp.outer * sp.inner) * sp.es + 1)))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (Scan): slice", n->name);
        else
            copy_slice(&sp, v->data, x->data, s->in_reverse[j] ? s->steps - 1 - t : t, 1);
    }
    for (int k = 0; k < s->n_state; k++) s->in[k] = s->state[k];
    if (st == NNGPU_OK) st = ng_subgraph_eval(s->body, s->in, s->out, s->owner);
    for (int j = 0; j < s->n_scan_in; j++) ng_value_free(&s->in[s->n_state + j]);
    if (st != NNGPU_OK) return st;
    for (int k = 0; k < s->n_state; k++) {
        ng_value_free(&s->state[k]);
        s->state[k] = s->out[k];
    }
    for (int k = 0; k < s->n_scan_out && st == NNGPU_OK; k++)
        st = place_output(n, s, k, t, &s->out[s->n_state + k]);
    for (int k = 0; k < s->n_scan_out; k++) ng_value_free(&s->out[s->n_state + k]);
    return st;
}

/* The scan of s->steps steps from states s->state; results in s->state and s->result. */
static nngpu_status run_steps(ng_node *n, scan_state *s) {
    if (s->steps == 0)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (Scan): a scan of no steps", n->name);
    for (int64_t t = 0; t < s->steps; t++) NG_CHECK(step(n, s, t));
    return NNGPU_OK;
}

/* Opset 8: each batch entry b scanned alone over its first sequence_lens[b]
 * steps (all when absent); states and outputs stacked on the batch axis, the
 * outputs' steps past a sequence's length zero. */
static nngpu_status scan_batches(ng_graph *g, ng_node *n, scan_state *s, ng_value *res) {
    const ng_tensor *lens = n->in[0] >= 0 ? ng_in(g, n, 0) : NULL;
    const ng_tensor *first = ng_in(g, n, 1); /* a state or the first scan input: [batch, ...] */
    int64_t batch = first->rank > 0 ? first->dims[0] : 0, steps = s->steps;
    ng_value whole[64];
    nngpu_status st = NNGPU_OK;
    for (int j = 0; j < s->n_scan_in; j++) whole[j] = s->xs[j];
    for (int64_t b = 0; b < batch && st == NNGPU_OK; b++) {
        for (int j = 0; j < s->n_scan_in; j++) { /* batch entry b: [time, ...] */
            axis_split sp = split_at(whole[j].dtype, whole[j].rank, whole[j].dims, 0);
            s->xs[j] = whole[j];
            s->xs[j].rank--;
            memmove(s->xs[j].dims, s->xs[j].dims + 1, sizeof(int64_t) * (size_t)s->xs[j].rank);
            s->xs[j].data = (char *)whole[j].data + (size_t)(b * sp.inner) * sp.es;
            s->in_axis[j] = 0;
        }
        s->steps = lens ? ng_const_int(lens, b) : steps;
        if (s->steps < 1 || s->steps > steps)
            st = ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Scan): sequence_lens[%lld] = %lld of %lld steps",
                          n->name, (long long)b, (long long)s->steps, (long long)steps);
        for (int k = 0; k < s->n_state && st == NNGPU_OK; k++) { /* state k of entry b */
            const ng_tensor *x = ng_in(g, n, 1 + k);
            ng_value v;
            ng_value_view(x, &v);
            axis_split sp = split_at(x->dtype, x->rank, x->dims, 0);
            v.rank--;
            memmove(v.dims, v.dims + 1, sizeof(int64_t) * (size_t)v.rank);
            v.data = (char *)x->data + (size_t)(b * sp.inner) * sp.es;
            st = ng_value_dup(&v, &s->state[k]);
        }
        if (st == NNGPU_OK) st = run_steps(n, s);
        for (int k = 0; k < s->n_state + s->n_scan_out; k++) { /* into [batch, ...] */
            ng_value *part = k < s->n_state ? &s->state[k] : &s->result[k - s->n_state], *r = &res[k];
            int64_t full = k < s->n_state ? 0 : steps; /* outputs: padded to every step */
            if (st == NNGPU_OK && b == 0) {
                r->dtype = part->dtype;
                r->rank = part->rank + 1;
                r->dims[0] = batch;
                memcpy(r->dims + 1, part->dims, sizeof(int64_t) * (size_t)part->rank);
                if (full) r->dims[1] = full;
                size_t bytes = ng_value_bytes(r);
                if (!(r->data = calloc(1, bytes ? bytes : 1)))
                    st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (Scan): output %d", n->name, k);
            }
            size_t part_bytes = ng_value_bytes(part), row = r->data ? ng_value_bytes(r) / (size_t)batch : 0;
            if (st == NNGPU_OK && part_bytes <= row) memcpy((char *)r->data + (size_t)b * row, part->data, part_bytes);
            else if (st == NNGPU_OK)
                st = ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (Scan): output %d changes shape", n->name, k);
            ng_value_free(part);
        }
    }
    return st;
}

nngpu_status ng_fold_scan(ng_graph *g, ng_node *n) {
    scan_state *s = calloc(1, sizeof *s);
    if (!s) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (Scan)", n->name);
    nngpu_status st = prepare(g, n, s);
    int n_res = s->n_state + s->n_scan_out;
    for (int k = 0; k < s->body->n_captured && st == NNGPU_OK; k++)
        ng_value_view(ng_in(g, n, n->n_in - s->body->n_captured + k),
                      &s->in[s->body->n_inputs - s->body->n_captured + k]);
    ng_value res[64];
    memset(res, 0, sizeof res);
    if (st == NNGPU_OK && s->first_state) {
        st = scan_batches(g, n, s, res);
    } else if (st == NNGPU_OK) {
        for (int k = 0; k < s->n_state && st == NNGPU_OK; k++) st = ng_value_copy(ng_in(g, n, k), &s->state[k]);
        if (st == NNGPU_OK) st = run_steps(n, s);
        for (int k = 0; k < s->n_state; k++) res[k] = s->state[k];
        for (int k = 0; k < s->n_scan_out; k++) res[s->n_state + k] = s->result[k];
    }
    if (st == NNGPU_OK) st = ng_control_set_outputs(g, n, n_res, res);
    for (int k = 0; k < n_res; k++) ng_value_free(&res[k]);
    free(s);
    return st;
}
