/* FP16 precision (options.precision = FP16): the device check, the accuracy
 * guard and the graph rewrite.
 *
 * Candidates are the live float nodes the backend claims with their float
 * tensors flipped to FLOAT16. The guard runs the fp32 graph on the CPU
 * reference over a few calibration samples and, per candidate, the node again
 * on fp16-rounded inputs and constants with its output rounded: a relative L2
 * error over options.fp16_tolerance (or a non-finite value) keeps it fp32.
 * With the end-to-end guard on (fp16_guard.c) the errors stay in s->fp16,
 * so its recompiles skip the simulation, and the layers it marks there stay
 * fp32 too.
 * Nodes that only move values (Transpose, Concat, Reshape copies, ...) are
 * not checked: they run fp16 only when what they read is written fp16.
 * The rewrite makes fp16 nodes' tensors FLOAT16, gives them fp16 copies of
 * float constants and inserts one Cast per tensor at every fp32/fp16
 * boundary; graph inputs and outputs keep float32 and their names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/status.h"
#include "fp16_sim.h"
#include "graph/passes.h"
#include "runtime.h"

/* "" when the device runs fp16, else why not. */
static const char *missing_fp16(const nngpu_session *s) {
    if (!s->dev) return "has no fp16 kernels";
    const nngpu_device_info *d = &s->dev->info;
    if (s->dev->backend->kind == NNGPU_BACKEND_VULKAN)
        return d->has_fp16_storage ? ""
                                                  : "has no 16-bit storage buffers";
    const char *env = getenv("NNGPU_OPENCL_FP16_STORAGE");
    return d->has_fp16 || (env && strcmp(env, "1") == 0) ? "" : "has no cl_khr_fp16";
}

static int output_is_view(const ng_graph *g, const ng_node *n) {
    return n->n_out == 1 && g->tensors[n->out[0]].view_of >= 0;
}

/* Ops that only move values: run fp16 they round nothing themselves, only
 * what they read, so they take the precision of what they read. */
static int moves_values(const ng_node *n) {
    switch (n->op) {
    case NG_OP_IDENTITY: case NG_OP_DROPOUT: case NG_OP_RESHAPE: case NG_OP_FLATTEN:
    case NG_OP_SQUEEZE: case NG_OP_UNSQUEEZE: case NG_OP_TRANSPOSE: case NG_OP_CONCAT:
    case NG_OP_SPLIT: case NG_OP_SLICE: case NG_OP_GATHER: case NG_OP_GATHERELEMENTS:
    case NG_OP_TILE: case NG_OP_EXPAND: case NG_OP_DEPTHTOSPACE: case NG_OP_SPACETODEPTH:
    case NG_OP_PAD:
        return n->n_epi == 0;
    default: return 0;
    }
}

/* 1 when tensor t is written by an fp16 node (through views). */
static int written_fp16(const ng_graph *g, const unsigned char *fp16, int t) {
    int p = g->tensors[t].producer;
    while (p >= 0 && output_is_view(g, &g->nodes[p])) p = g->tensors[g->nodes[p].in[0]].producer;
    return p >= 0 && fp16[p];
}

/* Claimed value-moving nodes (follow[i]) run fp16 only when every float
 * tensor they read that is not a constant is written fp16: an fp32 input
 * would be rounded for nothing. In node order, so chains follow too. */
static void follow_inputs(const ng_graph *g, const unsigned char *follow, unsigned char *fp16) {
    for (int i = 0; i < g->n_nodes; i++) {
        if (!follow[i]) continue;
        const ng_node *n = &g->nodes[i];
        int half = 0, single = 0;
        for (int k = 0; k < n->n_in; k++) {
            const ng_tensor *x = ng_in(g, n, k);
            if (!x || x->data || x->dtype != NNGPU_DTYPE_FLOAT32) continue;
            if (written_fp16(g, fp16, n->in[k])) half = 1;
            else single = 1;
        }
        fp16[i] = (unsigned char)(half && !single);
    }
}

/* ---- candidates: does the backend claim the node with fp16 tensors? ---- */

/* Swaps tensor t to FLOAT16 for a trial, constants with fp16 copies of
 * their data (the backend may read them); *saved keeps the float data. */
static nngpu_status trial_fp16(ng_tensor *x, void **saved) {
    *saved = x->data;
    if (x->data) {
        int64_t cnt = ng_numel(x);
        uint16_t *h = malloc(sizeof(uint16_t) * (size_t)(cnt ? cnt : 1));
        if (!h) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 trial of '%s'", x->name);
        for (int64_t i = 0; i < cnt; i++) h[i] = ng_half_from_float(((const float *)x->data)[i]);
        x->data = h;
    }
    x->dtype = NNGPU_DTYPE_FLOAT16;
    return NNGPU_OK;
}

static nngpu_status claims_fp16(nngpu_session *s, const ng_node *n, int *claims) {
    ng_graph *g = s->g;
    *claims = 0;
    if (n->dead || n->op == NG_OP_CAST || n->op == NG_OP_RUNTIME_TAIL || n->n_out < 1 ||
        output_is_view(g, n))
        return NNGPU_OK;
    for (int i = 0; i < n->n_out; i++)
        if (g->tensors[n->out[i]].dtype != NNGPU_DTYPE_FLOAT32) return NNGPU_OK;
    int ids[64], n_ids = 0;
    void *data[64];
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in + n->n_out && n_ids < 64 && st == NNGPU_OK; k++) {
        int t = k < n->n_in ? n->in[k] : n->out[k - n->n_in], seen = 0;
        if (t < 0 || g->tensors[t].dtype != NNGPU_DTYPE_FLOAT32) continue;
        for (int j = 0; j < n_ids; j++) seen |= ids[j] == t;
        if (seen) continue;
        st = trial_fp16(&g->tensors[t], &data[n_ids]);
        if (st == NNGPU_OK) ids[n_ids++] = t;
    }
    if (st == NNGPU_OK) *claims = s->dev->backend->node_supported(s->ctx, g, n);
    for (int j = 0; j < n_ids; j++) { /* every swapped tensor back, also after a failure */
        ng_tensor *x = &g->tensors[ids[j]];
        if (x->data != data[j]) free(x->data);
        x->data = data[j];
        x->dtype = NNGPU_DTYPE_FLOAT32;
    }
    return st;
}

/* ---- the guard ---- */

/* Per tensor of s->fp16: the value v[i] of the node writing it (its first
 * output), NaN for others; *out allocated. */
static nngpu_status keep_by_tensor(nngpu_session *s, const unsigned char *fp16, const double *v,
                                   double **out) {
    const ng_graph *g = s->g;
    if (!(*out = malloc(sizeof(double) * (size_t)(g->n_tensors ? g->n_tensors : 1))))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard state");
    for (int t = 0; t < g->n_tensors; t++) (*out)[t] = NAN;
    for (int i = 0; i < g->n_nodes; i++)
        if (fp16[i]) (*out)[g->nodes[i].out[0]] = v[i];
    return NNGPU_OK;
}

/* err[node]: s->fp16's when an earlier compile simulated them, else
 * simulated (and kept there when s->fp16 exists). */
static nngpu_status layer_errors(nngpu_session *s, const unsigned char *fp16, double *err) {
    const ng_graph *g = s->g;
    ng_fp16_state *fs = s->fp16;
    if (fs && fs->error) {
        for (int i = 0; i < g->n_nodes; i++) err[i] = fp16[i] ? fs->error[g->nodes[i].out[0]] : 0;
        return NNGPU_OK;
    }
    int n_samples = 0;
    NG_CHECK(ng_fp16_layer_errors(s, fp16, err, &n_samples));
    if (!fs) return NNGPU_OK;
    fs->n_samples = n_samples;
    return keep_by_tensor(s, fp16, err, &fs->error);
}

/* s->fp16's list of the fp16 layers, for the end-to-end guard: each scored by
 * the share of the fp16 error accumulated at its output that it adds itself
 * (simulated once, the first time). An early layer whose error the rest of the
 * network amplifies scores high; a late one, mostly carrying earlier errors,
 * low. */
static nngpu_status record_layers(nngpu_session *s, const unsigned char *fp16, const double *err) {
    const ng_graph *g = s->g;
    ng_fp16_state *fs = s->fp16;
    double *acc = NULL;
    if (!fs->accumulated) {
        if (!(acc = malloc(sizeof(double) * (size_t)(g->n_nodes ? g->n_nodes : 1))))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
        nngpu_status st = ng_fp16_accumulated_errors(s, fp16, acc);
        if (st == NNGPU_OK) st = keep_by_tensor(s, fp16, acc, &fs->accumulated);
        free(acc);
        NG_CHECK(st);
    }
    for (int i = 0; i < fs->n_layers; i++) free(fs->layers[i].name);
    fs->n_layers = 0;
    free(fs->layers);
    if (!(fs->layers = calloc((size_t)g->n_nodes + 1, sizeof *fs->layers)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard state");
    for (int i = 0; i < g->n_nodes; i++) {
        if (!fp16[i]) continue;
        ng_guard_layer *l = &fs->layers[fs->n_layers];
        if (!(l->name = strdup(g->nodes[i].name)))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard state");
        double a = fs->accumulated[g->nodes[i].out[0]];
        l->y = g->nodes[i].out[0];
        l->score = a > 0 ? err[i] / a : 1; /* no error accumulated: its own is none either */
        snprintf(l->detail, sizeof l->detail, "error %.3g of %.3g accumulated", err[i], a);
        fs->n_layers++;
    }
    return NNGPU_OK;
}

/* Clears fp16[i] for candidates over the tolerance, reporting each, and for
 * those the end-to-end guard keeps fp32 (s->fp16, which records the rest). */
static nngpu_status guard(nngpu_session *s, unsigned char *fp16) {
    ng_graph *g = s->g;
    double *err = malloc(sizeof(double) * (size_t)(g->n_nodes ? g->n_nodes : 1));
    if (!err) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    nngpu_status st = layer_errors(s, fp16, err);
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        if (!fp16[i] || err[i] <= s->opts.fp16_tolerance) continue;
        fp16[i] = 0;
        ng_report_add(&s->report, "fp16: node '%s' (%s) stays fp32: relative error %.3g > %.3g",
                      g->nodes[i].name, ng_op_name(g->nodes[i].op), err[i], s->opts.fp16_tolerance);
    }
    const unsigned char *keep = s->fp16 ? s->fp16->keep_fp32 : NULL;
    for (int i = 0; keep && i < g->n_nodes; i++)
        if (keep[g->nodes[i].out[0]]) fp16[i] = 0; /* the end-to-end guard names them */
    if (st == NNGPU_OK && s->fp16) st = record_layers(s, fp16, err);
    free(err);
    return st;
}

/* ---- the rewrite ---- */

typedef struct rewrite {
    ng_graph *g;
    int n_orig;      /* nodes before Casts were appended */
    int *ver16;      /* per tensor: its fp16 version, -1 none */
    int *ver32;
    int *anchor;     /* per Cast node (index - n_orig): the node it goes next to */
    int *after;      /* 1: after the anchor, 0: before */
    int cap;
} rewrite;

static int grow(rewrite *r) {
    int need = r->g->n_tensors + 4;
    if (need <= r->cap) return 0;
    int cap = need * 2;
    int *a = realloc(r->ver16, sizeof(int) * (size_t)cap);
    if (a) r->ver16 = a;
    int *b = realloc(r->ver32, sizeof(int) * (size_t)cap);
    if (b) r->ver32 = b;
    int *c = realloc(r->anchor, sizeof(int) * (size_t)cap);
    if (c) r->anchor = c;
    int *d = realloc(r->after, sizeof(int) * (size_t)cap);
    if (d) r->after = d;
    if (!a || !b || !c || !d) return -1;
    for (int i = r->cap; i < cap; i++) r->ver16[i] = r->ver32[i] = -1;
    r->cap = cap;
    return 0;
}

/* A new tensor shaped like t with dtype dt; -1 on OOM. */
static int add_like(rewrite *r, int t, const char *suffix, nngpu_dtype dt) {
    char base[256];
    snprintf(base, sizeof base, "%s/%s", r->g->tensors[t].name, suffix);
    int id = ng_tensor_add_unique(r->g, base);
    if (id < 0 || grow(r)) return -1;
    ng_tensor *x = &r->g->tensors[id], *src = &r->g->tensors[t];
    x->dtype = dt;
    x->rank = src->rank;
    memcpy(x->dims, src->dims, sizeof x->dims);
    return id;
}

/* Cast src -> dst placed next to node anchor. */
static nngpu_status add_cast(rewrite *r, int src, int dst, int anchor, int after) {
    ng_graph *g = r->g;
    char name[300];
    const ng_tensor *named = g->tensors[dst].is_output ? &g->tensors[dst] : &g->tensors[src];
    snprintf(name, sizeof name, "%s/cast_%s", named->name,
             g->tensors[dst].dtype == NNGPU_DTYPE_FLOAT16 ? "fp16" : "fp32");
    int id = ng_node_add(g, NG_OP_CAST, name, 1, &src, 1, &dst);
    ng_attr *a = id >= 0 ? ng_node_add_attr(&g->nodes[id], "to", NG_ATTR_INT) : NULL;
    if (!a || grow(r) || id - r->n_orig >= r->cap)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 cast of '%s'", g->tensors[src].name);
    a->i = g->tensors[dst].dtype == NNGPU_DTYPE_FLOAT16 ? 10 : 1; /* ONNX FLOAT16 / FLOAT */
    r->anchor[id - r->n_orig] = anchor;
    r->after[id - r->n_orig] = after;
    return NNGPU_OK;
}

/* The fp16 version of input tensor t of node i. */
static nngpu_status need16(rewrite *r, int t, int i, int *out) {
    ng_graph *g = r->g;
    if (r->ver16[t] < 0) {
        int id = add_like(r, t, "fp16", NNGPU_DTYPE_FLOAT16);
        if (id < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 copy of '%s'", g->tensors[t].name);
        if (g->tensors[t].data) {
            int64_t cnt = ng_numel(&g->tensors[t]);
            uint16_t *h = malloc(sizeof(uint16_t) * (size_t)(cnt ? cnt : 1));
            if (!h) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 copy of '%s'", g->tensors[t].name);
            for (int64_t k = 0; k < cnt; k++)
                h[k] = ng_half_from_float(((const float *)g->tensors[t].data)[k]);
            nngpu_status st = ng_tensor_set_const(g, id, NNGPU_DTYPE_FLOAT16, g->tensors[t].rank,
                                                  g->tensors[t].dims, h);
            free(h);
            NG_CHECK(st);
        } else {
            NG_CHECK(add_cast(r, t, id, i, 0));
        }
        r->ver16[t] = id;
    }
    *out = r->ver16[t];
    return NNGPU_OK;
}

static nngpu_status rewrite_node(rewrite *r, int i, int fp16) {
    ng_graph *g = r->g;
    const ng_node *n = &g->nodes[i];
    if (output_is_view(g, n))
        fp16 = g->tensors[n->in[0]].dtype == NNGPU_DTYPE_FLOAT16 && r->ver16[n->in[0]] == n->in[0];
    for (int k = 0; k < g->nodes[i].n_in; k++) {
        int t = g->nodes[i].in[k], v = -1;
        if (t < 0) continue;
        nngpu_dtype dt = g->tensors[t].dtype;
        if (fp16 && dt == NNGPU_DTYPE_FLOAT32) {
            NG_CHECK(need16(r, t, i, &v));
            g->nodes[i].in[k] = v;
        } else if (!fp16 && dt == NNGPU_DTYPE_FLOAT16 && r->ver16[t] == t) {
            if (r->ver32[t] < 0) {
                int id = add_like(r, t, "fp32", NNGPU_DTYPE_FLOAT32);
                if (id < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp32 copy");
                NG_CHECK(add_cast(r, t, id, i, 0));
                r->ver32[t] = id;
            }
            g->nodes[i].in[k] = r->ver32[t];
        }
    }
    if (!fp16) return NNGPU_OK;
    for (int k = 0; k < g->nodes[i].n_out; k++) {
        int t = g->nodes[i].out[k];
        if (!g->tensors[t].is_output) {
            g->tensors[t].dtype = NNGPU_DTYPE_FLOAT16;
            r->ver16[t] = t;
            continue;
        }
        int id = add_like(r, t, "fp16", NNGPU_DTYPE_FLOAT16);
        if (id < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 output");
        g->nodes[i].out[k] = id;
        g->tensors[id].producer = i;
        NG_CHECK(add_cast(r, id, t, i, 1));
        r->ver16[t] = id;
        r->ver32[t] = t;
    }
    return NNGPU_OK;
}

static nngpu_status rewrite_graph(nngpu_session *s, const unsigned char *fp16) {
    rewrite r = {.g = s->g, .n_orig = s->g->n_nodes};
    nngpu_status st = grow(&r) ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 rewrite") : NNGPU_OK;
    for (int i = 0; i < r.n_orig && st == NNGPU_OK; i++)
        if (!s->g->nodes[i].dead) st = rewrite_node(&r, i, fp16[i]);
    if (st == NNGPU_OK) st = ng_place_appended(r.g, r.n_orig, r.anchor, r.after);
    free(r.ver16);
    free(r.ver32);
    free(r.anchor);
    free(r.after);
    return st;
}

nngpu_status ng_session_apply_fp16(nngpu_session *s) {
    if (s->opts.precision != NNGPU_PRECISION_FP16) return NNGPU_OK;
    const char *sel = s->dev ? s->dev->info.selector : "cpu", *why = missing_fp16(s);
    if (*why) {
        if (s->opts.precision_strict)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "fp16: %s %s (precision_strict)", sel, why);
        ng_report_add(&s->report, "fp16: %s %s: running fp32", sel, why);
        return NNGPU_OK;
    }
    ng_graph *g = s->g;
    if (!s->fp16 && ng_fp16_end_to_end_tolerance(&s->opts) > 0) {
        if (!(s->fp16 = calloc(1, sizeof *s->fp16)))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard state");
        s->fp16->n_tensors = g->n_tensors;
    }
    if (s->fp16 && s->fp16->n_tensors != g->n_tensors)
        return ng_error(NNGPU_ERR_INTERNAL, "fp16 guard: the graph changed between compiles");
    size_t n_nodes = (size_t)(g->n_nodes ? g->n_nodes : 1);
    unsigned char *fp16 = calloc(n_nodes, 2), *follow = fp16 + n_nodes;
    if (!fp16) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 candidates");
    nngpu_status st = NNGPU_OK;
    int n_cand = 0, n_computing = 0, n_fp16 = 0, n_layers = 0;
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        int c = 0;
        st = claims_fp16(s, &g->nodes[i], &c);
        follow[i] = (unsigned char)(c && moves_values(&g->nodes[i]));
        fp16[i] = (unsigned char)(c && !follow[i]); /* the guard checks the layers that compute */
        n_cand += c;
        n_computing += fp16[i];
        n_layers += !g->nodes[i].dead && !output_is_view(g, &g->nodes[i]);
    }
    if (st == NNGPU_OK && n_computing) st = guard(s, fp16);
    if (st == NNGPU_OK) follow_inputs(g, follow, fp16);
    for (int i = 0; i < g->n_nodes; i++) n_fp16 += fp16[i];
    if (st == NNGPU_OK && n_fp16) st = rewrite_graph(s, fp16);
    free(fp16);
    if (st != NNGPU_OK) return st;
    ng_report_add(&s->report, "fp16: %d of %d layers run fp16 on %s (%d claimed by the device)",
                  n_fp16, n_layers, sel, n_cand);
    if (n_fp16) snprintf(s->precision, sizeof s->precision, "fp16");
    return NNGPU_OK;
}
