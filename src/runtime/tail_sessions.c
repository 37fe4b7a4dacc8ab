/* Device sessions for the run-time tail. The tail's extents are known only
 * per run, and kernels are compiled for fixed shapes, so the first run with
 * given input extents evaluates the tail on the host; when the same extents
 * come again, the tail's body is compiled as a session of its own on the
 * device, with those shapes, and kept for the runs that repeat them (a
 * detector's proposal count saturates; a benchmark repeats its input). It is
 * dropped again when it proves slower than the host or fails to compile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime.h"

#define TAIL_SESSIONS 4 /* input-extent sets remembered per session */
#define SETTLE_RUNS 8   /* device runs after which a nested tail still settling is judged */

typedef struct tail_entry {
    int64_t *dims;          /* n_in x KEY_WORDS: the key (extents, shape values) */
    unsigned long last_use; /* for replacement */
    int host_only;          /* compiling failed or the device was slower */
    double host_ms;         /* the host evaluation of these extents */
    double device_ms;       /* fastest device run judged; 0: none yet */
    int device_runs, judged;
    int kernels;            /* inner's own kernels */
    nngpu_session *inner;
} tail_entry;

struct ng_tail_sessions {
    int n_in;
    int heavy; /* heavy_body() of the body */
    unsigned long clock;
    tail_entry e[TAIL_SESSIONS];
};

/* A body holding network layers (a detector's box, mask or keypoint head: a
 * convolution or matrix product with over a MB of weights, or tens of MB of
 * constants in all) is a network, not post-processing: the host reference
 * takes minutes over it (Keypoint R-CNN's eight 512-channel convolutions on
 * 100 RoIs: over 10 min; Mask R-CNN's four 256-channel ones: 30 s) where a
 * device session compiles and runs in seconds. Its session is made on the
 * first sight of its extents and not judged against the host, which would
 * cost one host evaluation per nesting level. */
#define HEAVY_BODY_BYTES ((size_t)16 << 20)
#define HEAVY_LAYER_BYTES ((size_t)1 << 20)

static int heavy_body(const ng_graph *body) {
    size_t bytes = 0, layer_bytes = 0;
    for (int i = 0; i < body->n_tensors; i++)
        if (body->tensors[i].data) bytes += ng_nbytes(&body->tensors[i]);
    for (int i = 0; i < body->n_nodes; i++) {
        const ng_node *n = &body->nodes[i];
        int layer = n->op == NG_OP_CONV || n->op == NG_OP_CONVTRANSPOSE || n->op == NG_OP_GEMM ||
                    n->op == NG_OP_MATMUL;
        if (!n->dead && layer && n->n_in > 1 && n->in[1] >= 0 && body->tensors[n->in[1]].data)
            layer_bytes += ng_nbytes(&body->tensors[n->in[1]]);
    }
    return bytes >= HEAVY_BODY_BYTES || layer_bytes >= HEAVY_LAYER_BYTES;
}

static void entry_clear(tail_entry *e) {
    nngpu_session_destroy(e->inner);
    free(e->dims);
    memset(e, 0, sizeof *e);
}

void ng_tail_sessions_free(ng_tail_sessions *t) {
    if (!t) return;
    for (int i = 0; i < TAIL_SESSIONS; i++) entry_clear(&t->e[i]);
    free(t);
}

/* Small integer inputs (scalars, shape vectors: a count, a k, a target shape
 * the device graph computed) decide the tail's shapes like extents do: the
 * session is compiled with their values as constants, and they are part of
 * the key. */
#define SHAPE_VALUE_MAX 8
#define KEY_WORDS (NNGPU_MAX_DIMS + SHAPE_VALUE_MAX)

static int is_shape_value(const ng_value *v) {
    if (v->dtype != NNGPU_DTYPE_INT64 && v->dtype != NNGPU_DTYPE_INT32) return 0;
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++) n *= v->dims[i];
    return v->rank <= 1 && n <= SHAPE_VALUE_MAX;
}

static void key_of(const ng_value *in, int n_in, int64_t *key) {
    memset(key, 0, sizeof *key * (size_t)n_in * KEY_WORDS);
    for (int k = 0; k < n_in; k++) {
        int64_t *w = &key[k * KEY_WORDS];
        memcpy(w, in[k].dims, sizeof in[k].dims);
        if (!is_shape_value(&in[k])) continue;
        size_t n = ng_value_bytes(&in[k]) / nngpu_dtype_size(in[k].dtype);
        for (size_t i = 0; i < n; i++)
            w[NNGPU_MAX_DIMS + i] = in[k].dtype == NNGPU_DTYPE_INT64 ? ((const int64_t *)in[k].data)[i]
                                                                   : ((const int32_t *)in[k].data)[i];
    }
}

/* The entry for in's extents; a new one (replacing the least recently used)
 * when none; NULL when out of memory. *fresh: 1 for a new entry. */
static tail_entry *find(ng_tail_sessions *t, const ng_value *in, int *fresh) {
    size_t bytes = sizeof(int64_t) * (size_t)t->n_in * KEY_WORDS;
    int64_t *key = malloc(bytes ? bytes : 1);
    if (!key) return NULL;
    key_of(in, t->n_in, key);
    tail_entry *hit = NULL, *old = &t->e[0];
    for (int i = 0; i < TAIL_SESSIONS && !hit; i++) {
        tail_entry *e = &t->e[i];
        if (e->dims && memcmp(e->dims, key, bytes) == 0) hit = e;
        else if (!e->dims || (old->dims && e->last_use < old->last_use)) old = e;
    }
    *fresh = !hit;
    if (hit) free(key);
    else {
        entry_clear(old);
        old->dims = key;
        hit = old;
    }
    hit->last_use = ++t->clock;
    return hit;
}

#define MAX_DEPTH 16 /* nested tail sessions (each holds fewer nodes); a safety net */

static int live_nodes(const ng_graph *g) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !g->nodes[i].dead;
    return n;
}

/* Nodes of x's own run-time tail; 0 when it has none. */
static int tail_nodes(const nngpu_session *x) {
    for (int i = 0; i < x->n_steps; i++) {
        const ng_node *n = &x->g->nodes[x->steps[i].node];
        if (n->op == NG_OP_RUNTIME_TAIL) {
            const ng_graph *b = ng_attr_graph(n, "body");
            return b ? live_nodes(b) : 0;
        }
    }
    return 0;
}

/* A session of body with input shapes from in, on s's device. */
static nngpu_status compile_inner(const nngpu_session *s, const ng_graph *body, const ng_value *in,
                                  nngpu_session **out, int *kernels) {
    ng_graph *g = ng_graph_clone_borrowing(body); /* the session copies what it keeps */
    if (!g) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail: graph");
    for (int k = 0; k < g->n_inputs; k++) {
        ng_tensor *x = &g->tensors[g->inputs[k]];
        x->rank = in[k].rank;
        memcpy(x->dims, in[k].dims, sizeof x->dims);
    }
    nngpu_model m = {.g = g};
    nngpu_status st = NNGPU_OK;
    for (int k = body->n_inputs - 1; k >= 0 && st == NNGPU_OK; k--)
        if (is_shape_value(&in[k])) {
            nngpu_tensor v = {.name = body->tensors[body->inputs[k]].name, .dtype = in[k].dtype,
                              .rank = in[k].rank, .data = in[k].data, .size_bytes = ng_value_bytes(&in[k])};
            memcpy(v.dims, in[k].dims, sizeof v.dims);
            st = nngpu_model_freeze_input(&m, &v);
        }
    nngpu_options o = s->opts;
    o.precision = NNGPU_PRECISION_FP32; /* the tail is small and decides shapes: exact */
    o.precision_strict = 0;
    o.calibration = NULL;
    o.weight_bits = 0;
    o.verbose = 0; /* its own tail, if any, gets device sessions in turn: each holds fewer nodes */
    if (st == NNGPU_OK) st = nngpu_session_create(&m, s->dev->info.selector, &o, out);
    if (st == NNGPU_OK) (*out)->tail_depth = s->tail_depth + 1;
    ng_graph_release_borrowed(g, body);
    nngpu_graph_destroy(g);
    if (st == NNGPU_OK) {
        nngpu_session_stats stats;
        nngpu_session_get_stats(*out, &stats);
        /* Nothing for the device, and no tail of its own smaller than body (one
         * that a later session may take further): the host is as good. */
        int rest = tail_nodes(*out);
        *kernels = stats.kernels;
        if (stats.kernels == 0 && (rest == 0 || rest >= live_nodes(body))) {
            nngpu_session_destroy(*out);
            *out = NULL;
            return ng_error(NNGPU_ERR_UNSUPPORTED, "run-time tail: no node of it runs on the device");
        }
    }
    return st;
}

/* Runs inner on in; out gets its outputs (allocated here). */
static nngpu_status run_inner(nngpu_session *inner, const ng_graph *body, const ng_value *in,
                              ng_value *out) {
    int n_in = body->n_inputs, n_out = body->n_outputs;
    nngpu_tensor *ti = calloc((size_t)n_in + 1, sizeof *ti), *to = calloc((size_t)n_out + 1, sizeof *to);
    nngpu_status st = ti && to ? NNGPU_OK : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail");
    int given = 0;
    for (int k = 0; k < n_in && st == NNGPU_OK; k++) {
        if (is_shape_value(&in[k])) continue; /* a constant of the session */
        nngpu_tensor *t = &ti[given++];
        t->name = body->tensors[body->inputs[k]].name;
        t->dtype = in[k].dtype;
        t->rank = in[k].rank;
        memcpy(t->dims, in[k].dims, sizeof t->dims);
        t->data = in[k].data;
        t->size_bytes = ng_value_bytes(&in[k]);
    }
    if (st == NNGPU_OK) st = nngpu_session_run(inner, given, ti, n_out, to); /* shapes only */
    int k = 0;
    for (; k < n_out && st == NNGPU_OK; k++) {
        out[k].dtype = to[k].dtype;
        out[k].rank = to[k].rank;
        memcpy(out[k].dims, to[k].dims, sizeof out[k].dims);
        size_t bytes = ng_value_bytes(&out[k]);
        out[k].data = malloc(bytes ? bytes : 1);
        if (!out[k].data) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "run-time tail: output '%s'", to[k].name);
        to[k].data = out[k].data;
        to[k].size_bytes = bytes;
    }
    if (st == NNGPU_OK) st = ng_session_read_outputs(inner, n_out, to);
    if (st != NNGPU_OK)
        for (int i = 0; i < k; i++) ng_value_free(&out[i]);
    free(ti);
    free(to);
    return st;
}

/* Runs body on the device session of e when it keeps or now makes one: 1 and
 * *st; 0 when the host should evaluate it. */
static int run_on_device(nngpu_session *s, tail_entry *e, int fresh, const ng_graph *body,
                         const ng_value *in, ng_value *out, nngpu_status *st) {
    if (e->host_only) return 0;
    /* A session is made when these extents come again, or at once inside a
     * tail session's first run (its outer extents just repeated: so will these). */
    int heavy = s->tail_sessions->heavy;
    if (fresh && !s->tail_eager && !heavy) {
        s->tail_settling = 1;
        return 0;
    }
    if (!e->inner && compile_inner(s, body, in, &e->inner, &e->kernels) != NNGPU_OK) {
        if (s->opts.verbose) fprintf(stderr, "nngpu: run-time tail stays on the host: %s\n", nngpu_last_error());
        ng_error_clear();
        e->host_only = 1;
        return 0;
    }
    /* Judged against the host once it runs as it will: not the first run (some
     * drivers compile then), not while its own tail is still finding its way
     * (unless that goes on for long). */
    int judging = !heavy && e->device_runs > 0 && !(e->inner->tail_settling && e->device_runs < SETTLE_RUNS);
    if (judging && e->host_ms == 0) return 0; /* made eagerly: the host's time is measured once */
    e->inner->tail_eager = e->device_runs == 0;
    double t0 = ng_now_ms();
    *st = run_inner(e->inner, body, in, out);
    double ms = ng_now_ms() - t0;
    e->inner->tail_eager = 0;
    if (*st != NNGPU_OK) return 1;
    s->tail_kernels = e->kernels + e->inner->tail_kernels;
    e->device_runs++;
    if (!judging) {
        s->tail_settling = 1;
        return 1;
    }
    if (e->device_ms == 0 || ms < e->device_ms) e->device_ms = ms;
    if (++e->judged >= 2 && e->device_ms > e->host_ms) { /* the host is faster: back to it */
        if (s->opts.verbose)
            fprintf(stderr, "nngpu: run-time tail back on the host: %.3f ms there, %.3f ms on the device\n",
                    e->host_ms, e->device_ms);
        nngpu_session_destroy(e->inner);
        e->inner = NULL;
        e->host_only = 1;
    }
    return 1;
}

nngpu_status ng_tail_sessions_eval(nngpu_session *s, const ng_graph *body, const ng_value *in, ng_value *out) {
    s->tail_kernels = 0;
    s->tail_settling = 0;
    tail_entry *e = NULL;
    int fresh = 0;
    if (s->dev && !s->opts.tail_on_host && s->tail_depth < MAX_DEPTH) {
        if (!s->tail_sessions && (s->tail_sessions = calloc(1, sizeof *s->tail_sessions))) {
            s->tail_sessions->n_in = body->n_inputs;
            s->tail_sessions->heavy = heavy_body(body);
        }
        e = s->tail_sessions ? find(s->tail_sessions, in, &fresh) : NULL; /* NULL: host, always */
    }
    nngpu_status st = NNGPU_OK;
    if (e && run_on_device(s, e, fresh, body, in, out, &st)) return st;
    double t0 = ng_now_ms();
    st = ng_subgraph_eval(body, in, out, "run-time tail");
    double ms = ng_now_ms() - t0;
    if (e && st == NNGPU_OK && (e->host_ms == 0 || ms < e->host_ms)) e->host_ms = ms;
    return st;
}
