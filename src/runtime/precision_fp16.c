/* FP16 precision (options.precision = FP16): the device check, the accuracy
 * guard and the graph rewrite.
 *
 * Candidates are the live float nodes the backend claims with their float
 * tensors flipped to FLOAT16. The guard runs the fp32 graph on the CPU
 * reference over a few calibration samples and, per candidate, the node again
 * on fp16-rounded inputs and constants with its output rounded: a relative L2
 * error over options.fp16_tolerance (or a non-finite value) keeps it fp32.
 * The rewrite makes fp16 nodes' tensors FLOAT16, gives them fp16 copies of
 * float constants and inserts one Cast per tensor at every fp32/fp16
 * boundary; graph inputs and outputs keep float32 and their names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib_data.h"
#include "core/half.h"
#include "core/status.h"
#include "ref/ref.h"
#include "runtime.h"

#define GUARD_SAMPLES 4
#define GUARD_BUDGET_MACS 1e9 /* reference work per sample: the fp32 pass and the simulation */

static float round_half(float v) { return ng_half_to_float(ng_half_from_float(v)); }

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

/* ---- candidates: does the backend claim the node with fp16 tensors? ---- */

static nngpu_status claims_fp16(nngpu_session *s, const ng_node *n, int *claims) {
    ng_graph *g = s->g;
    *claims = 0;
    if (n->dead || n->op == NG_OP_CAST || n->n_out < 1 || output_is_view(g, n)) return NNGPU_OK;
    for (int i = 0; i < n->n_out; i++)
        if (g->tensors[n->out[i]].dtype != NNGPU_DTYPE_FLOAT32) return NNGPU_OK;
    int ids[64], n_ids = 0;
    void *data[64];
    for (int k = 0; k < n->n_in + n->n_out && n_ids < 64; k++) {
        int t = k < n->n_in ? n->in[k] : n->out[k - n->n_in], seen = 0;
        if (t < 0 || g->tensors[t].dtype != NNGPU_DTYPE_FLOAT32) continue;
        for (int j = 0; j < n_ids; j++) seen |= ids[j] == t;
        if (seen) continue;
        ng_tensor *x = &g->tensors[t];
        data[n_ids] = x->data;
        if (x->data) { /* the backend may read constants: give it fp16 data */
            int64_t cnt = ng_numel(x);
            uint16_t *h = malloc(sizeof(uint16_t) * (size_t)(cnt ? cnt : 1));
            if (!h) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': fp16 trial", n->name);
            for (int64_t i = 0; i < cnt; i++) h[i] = ng_half_from_float(((const float *)x->data)[i]);
            x->data = h;
        }
        x->dtype = NNGPU_DTYPE_FLOAT16;
        ids[n_ids++] = t;
    }
    *claims = s->dev->backend->node_supported(s->ctx, g, n);
    for (int j = 0; j < n_ids; j++) {
        ng_tensor *x = &g->tensors[ids[j]];
        if (x->data) free(x->data);
        x->data = data[j];
        x->dtype = NNGPU_DTYPE_FLOAT32;
    }
    return NNGPU_OK;
}

/* ---- the guard ---- */

typedef struct guard_err {
    double num, den;
    int nonfinite;
} guard_err;

static void free_values(const ng_graph *g, void **val) {
    for (int t = 0; t < g->n_tensors; t++)
        if (!g->tensors[t].data) free(val[t]);
    free(val);
}

/* One sample through the fp32 graph; val[t] the value of every tensor. */
static nngpu_status run_reference(const ng_graph *g, void *const *inputs, void ***out_val) {
    void **val = calloc((size_t)g->n_tensors, sizeof *val);
    if (!val) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    nngpu_status st = NNGPU_OK;
    for (int t = 0; t < g->n_tensors && st == NNGPU_OK; t++) {
        const ng_tensor *x = &g->tensors[t];
        if (x->data) val[t] = x->data;
        else if (x->rank >= 0 && !(val[t] = calloc(ng_nbytes(x) ? ng_nbytes(x) : 1, 1)))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    }
    for (int i = 0; i < g->n_inputs && st == NNGPU_OK; i++)
        memcpy(val[g->inputs[i]], inputs[i], ng_nbytes(&g->tensors[g->inputs[i]]));
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        const void *in[64] = {0};
        void *out[16] = {0};
        if (n->n_in > 64 || n->n_out > 16) {
            st = ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': too many tensors", n->name);
            break;
        }
        for (int k = 0; k < n->n_in; k++) in[k] = n->in[k] >= 0 ? val[n->in[k]] : NULL;
        for (int k = 0; k < n->n_out; k++) out[k] = val[n->out[k]];
        st = ng_ref_run(g, n, in, out);
    }
    if (st != NNGPU_OK) {
        free_values(g, val);
        return st;
    }
    *out_val = val;
    return NNGPU_OK;
}

/* Node n on fp16-rounded float inputs, its outputs rounded, against val. */
static nngpu_status simulate(const ng_graph *g, const ng_node *n, void **val, guard_err *e) {
    if (n->n_in > 64 || n->n_out > 16) return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': too many tensors", n->name);
    const void *in[64] = {0};
    void *out[16] = {0}, *owned[80] = {0};
    int n_owned = 0;
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in && st == NNGPU_OK; k++) {
        in[k] = n->in[k] >= 0 ? val[n->in[k]] : NULL;
        const ng_tensor *x = n->in[k] >= 0 ? &g->tensors[n->in[k]] : NULL;
        if (!x || x->dtype != NNGPU_DTYPE_FLOAT32 || !in[k]) continue;
        int64_t cnt = ng_numel(x);
        float *r = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
        if (!r) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
            break;
        }
        for (int64_t i = 0; i < cnt; i++) r[i] = round_half(((const float *)in[k])[i]);
        in[k] = owned[n_owned++] = r;
    }
    for (int k = 0; k < n->n_out && st == NNGPU_OK; k++) {
        size_t b = ng_nbytes(&g->tensors[n->out[k]]);
        if (!(out[k] = owned[n_owned++] = malloc(b ? b : 1)))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    }
    if (st == NNGPU_OK) st = ng_ref_run(g, n, in, out);
    for (int k = 0; k < n->n_out && st == NNGPU_OK; k++) {
        const ng_tensor *y = &g->tensors[n->out[k]];
        const float *ref = val[n->out[k]], *got = out[k];
        for (int64_t i = 0; i < ng_numel(y); i++) {
            if (!isfinite(ref[i])) continue;
            double v = round_half(got[i]);
            if (!isfinite(v)) e->nonfinite = 1;
            else e->num += (v - ref[i]) * (v - ref[i]);
            e->den += (double)ref[i] * ref[i];
        }
    }
    for (int k = 0; k < n_owned; k++) free(owned[k]);
    return st;
}

static double relative_error(const guard_err *e) {
    if (e->nonfinite) return INFINITY;
    if (e->den > 0) return sqrt(e->num / e->den);
    return e->num > 0 ? INFINITY : 0.0;
}

/* Multiply-adds of one run of the graph's Conv/Gemm/MatMul nodes (the bulk
 * of the reference's work). */
static double graph_macs(const ng_graph *g) {
    double macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        const ng_tensor *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
        if (n->dead || !w || !y || w->rank < 1) continue;
        if (n->op == NG_OP_CONV) macs += (double)ng_numel(w) / (double)w->dims[0] * (double)ng_numel(y);
        else if (n->op == NG_OP_GEMM || n->op == NG_OP_MATMUL)
            macs += (double)ng_numel(y) * (double)ng_in(g, n, 0)->dims[ng_in(g, n, 0)->rank - 1];
    }
    return macs;
}

/* Clears fp16[i] for candidates over the tolerance, reporting each. */
static nngpu_status guard(nngpu_session *s, unsigned char *fp16) {
    ng_graph *g = s->g;
    ng_calib_inputs ci;
    double macs = graph_macs(g);
    int samples = macs * GUARD_SAMPLES > GUARD_BUDGET_MACS ? (int)(GUARD_BUDGET_MACS / macs) : GUARD_SAMPLES;
    NG_CHECK(ng_calib_inputs_load(s->opts.calibration, g, samples < 1 ? 1 : samples, &ci));
    guard_err *err = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *err);
    nngpu_status st = err ? NNGPU_OK : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    for (int smp = 0; smp < ci.n_samples && st == NNGPU_OK; smp++) {
        void **val;
        st = run_reference(g, ci.data[smp], &val);
        for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++)
            if (fp16[i]) st = simulate(g, &g->nodes[i], val, &err[i]);
        if (st == NNGPU_OK) free_values(g, val);
    }
    ng_calib_inputs_free(&ci);
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        double e = relative_error(&err[i]);
        if (!fp16[i] || e <= s->opts.fp16_tolerance) continue;
        fp16[i] = 0;
        ng_report_add(&s->report, "fp16: node '%s' (%s) stays fp32: relative error %.3g > %.3g",
                      g->nodes[i].name, ng_op_name(g->nodes[i].op), e, s->opts.fp16_tolerance);
    }
    free(err);
    if (st != NNGPU_OK) return ng_error_context(st, "fp16 guard");
    return NNGPU_OK;
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

/* Puts each Cast next to its anchor; producers follow the new order. */
static nngpu_status reorder(rewrite *r) {
    ng_graph *g = r->g;
    int total = g->n_nodes, n_cast = total - r->n_orig, at = 0;
    ng_node *nodes = malloc(sizeof *nodes * (size_t)(total ? total : 1));
    int *where = malloc(sizeof(int) * (size_t)(total ? total : 1));
    if (!nodes || !where) {
        free(nodes);
        free(where);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 rewrite");
    }
    for (int i = 0; i < r->n_orig; i++) {
        for (int c = 0; c < n_cast; c++)
            if (r->anchor[c] == i && !r->after[c]) where[r->n_orig + c] = at++;
        where[i] = at++;
        for (int c = 0; c < n_cast; c++)
            if (r->anchor[c] == i && r->after[c]) where[r->n_orig + c] = at++;
    }
    for (int i = 0; i < total; i++) nodes[where[i]] = g->nodes[i];
    memcpy(g->nodes, nodes, sizeof *nodes * (size_t)total);
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].producer >= 0) g->tensors[t].producer = where[g->tensors[t].producer];
    free(nodes);
    free(where);
    return NNGPU_OK;
}

static nngpu_status rewrite_graph(nngpu_session *s, const unsigned char *fp16) {
    rewrite r = {.g = s->g, .n_orig = s->g->n_nodes};
    nngpu_status st = grow(&r) ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 rewrite") : NNGPU_OK;
    for (int i = 0; i < r.n_orig && st == NNGPU_OK; i++)
        if (!s->g->nodes[i].dead) st = rewrite_node(&r, i, fp16[i]);
    if (st == NNGPU_OK) st = reorder(&r);
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
    unsigned char *fp16 = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    if (!fp16) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 candidates");
    nngpu_status st = NNGPU_OK;
    int n_cand = 0, n_fp16 = 0, n_layers = 0;
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        int c = 0;
        st = claims_fp16(s, &g->nodes[i], &c);
        fp16[i] = (unsigned char)c;
        n_cand += c;
        n_layers += !g->nodes[i].dead && !output_is_view(g, &g->nodes[i]);
    }
    if (st == NNGPU_OK && n_cand) st = guard(s, fp16);
    for (int i = 0; i < g->n_nodes; i++) n_fp16 += fp16[i];
    if (st == NNGPU_OK && n_fp16) st = rewrite_graph(s, fp16);
    free(fp16);
    if (st != NNGPU_OK) return st;
    ng_report_add(&s->report, "fp16: %d of %d layers run fp16 on %s (%d claimed by the device)",
                  n_fp16, n_layers, sel, n_cand);
    if (n_fp16) snprintf(s->precision, sizeof s->precision, "fp16");
    return NNGPU_OK;
}
