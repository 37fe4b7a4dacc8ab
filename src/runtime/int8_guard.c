/* The INT8 accuracy guard (options.int8_tolerance).
 *
 * Once the INT8 session is compiled, its float outputs on up to GUARD_SAMPLES
 * calibration samples are compared with those of an fp32 session on the same
 * device (relative L2 error over the samples, the worst output). Over the
 * tolerance, each quantized layer's sensitivity is simulated on the CPU
 * reference: the layer as compiled (QLinearConv / QLinearMatMul, the kernels'
 * exact arithmetic) on its fp32 inputs quantized with its own scale, its
 * output dequantized when int8, against the fp32 output. The session is then
 * rebuilt with the k most sensitive layers fp32 (the calibration table
 * reused), k predicted from the sensitivities and the error measured (see
 * predict_keep) and at least doubled each round, until the error holds or no
 * layer is left int8: at most log2(layers) + 2 compiles. The summary gives the
 * error measured and each layer kept fp32 with its sensitivity. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib_data.h"
#include "calibrate.h"
#include "core/status.h"
#include "ref/ref.h"

#define GUARD_SAMPLES 4
#define SIM_BUDGET_MACS 4e8 /* CPU reference work for the sensitivities, all samples */
#define TARGET 0.8          /* predictions aim at this fraction of the tolerance */

typedef struct layer {
    char *name;   /* the node's */
    int y;        /* its output tensor: the same index in every compile */
    double sens;  /* simulated relative error */
} layer;

typedef struct guard {
    nngpu_session *s;
    nngpu_session *ref;   /* fp32, memory sharing off: every tensor readable after a run */
    ng_calib_inputs in;
    nngpu_tensor *feed;   /* [graph inputs] */
    int n_out;            /* float32 graph outputs compared */
    int *out_k;           /* [n_out]: their index among the graph outputs */
    float **want;         /* [sample * n_out]: fp32 outputs */
    layer *layers;
    int n_layers;
    ng_report lines;      /* what the guard says, added to the final summary */
} guard;

typedef struct err_sum {
    double num, den;
    int nonfinite;
} err_sum;

static void err_add(err_sum *e, const float *got, const float *want, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(want[i])) continue;
        if (!isfinite(got[i])) e->nonfinite = 1;
        else e->num += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        e->den += (double)want[i] * want[i];
    }
}

static double err_value(const err_sum *e) {
    if (e->nonfinite) return INFINITY;
    if (e->den > 0) return sqrt(e->num / e->den);
    return e->num > 0 ? INFINITY : 0.0;
}

/* ---- sessions on the calibration samples ---- */

static nngpu_status run_sample(guard *gd, nngpu_session *x, int smp) {
    const ng_graph *g = x->g;
    for (int k = 0; k < g->n_inputs; k++) {
        const ng_tensor *t = &g->tensors[g->inputs[k]];
        gd->feed[k] = (nngpu_tensor){.name = t->name, .dtype = t->dtype, .rank = t->rank,
                                     .data = gd->in.data[smp][k], .size_bytes = ng_nbytes(t)};
        memcpy(gd->feed[k].dims, t->dims, sizeof gd->feed[k].dims);
    }
    return nngpu_session_run(x, g->n_inputs, gd->feed, 0, NULL);
}

/* Float tensor `name` of the fp32 session after a run, into dst. */
static nngpu_status read_ref(guard *gd, const char *name, float *dst) {
    nngpu_session *r = gd->ref;
    int t = ng_tensor_find(r->g, name);
    const ng_tensor *x = t >= 0 ? &r->g->tensors[t] : NULL;
    if (!x || x->dtype != NNGPU_DTYPE_FLOAT32)
        return ng_error(NNGPU_ERR_INTERNAL, "int8 guard: no float tensor '%s' in fp32", name);
    if (x->data) {
        memcpy(dst, x->data, ng_nbytes(x));
        return NNGPU_OK;
    }
    int root = x->view_of >= 0 ? x->view_of : t;
    if (!r->planned[root])
        return ng_error(NNGPU_ERR_INTERNAL, "int8 guard: tensor '%s' has no storage", name);
    return ng_session_read(r, r->g->tensors[root].offset, ng_nbytes(x), dst);
}

static nngpu_status read_output(nngpu_session *x, int k, float *dst) {
    const ng_tensor *t = &x->g->tensors[x->g->outputs[k]];
    if (t->data) {
        memcpy(dst, t->data, ng_nbytes(t));
        return NNGPU_OK;
    }
    return ng_session_read(x, t->offset, ng_nbytes(t), dst);
}

static nngpu_status setup(guard *gd, const nngpu_model *m) {
    nngpu_session *s = gd->s;
    const ng_graph *g = s->g;
    NG_CHECK(ng_calib_inputs_load(s->opts.calibration, g, GUARD_SAMPLES, &gd->in));
    gd->feed = calloc((size_t)g->n_inputs + 1, sizeof *gd->feed);
    gd->out_k = calloc((size_t)g->n_outputs + 1, sizeof *gd->out_k);
    gd->want = calloc((size_t)(gd->in.n_samples * g->n_outputs) + 1, sizeof *gd->want);
    if (!gd->feed || !gd->out_k || !gd->want)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
    for (int k = 0; k < g->n_outputs; k++)
        if (g->tensors[g->outputs[k]].dtype == NNGPU_DTYPE_FLOAT32) gd->out_k[gd->n_out++] = k;
    if (!gd->n_out || !gd->in.n_samples) return NNGPU_OK;
    nngpu_options o = s->opts;
    o.precision = NNGPU_PRECISION_FP32;
    o.disabled_passes |= NNGPU_PASS_PLAN_MEMORY;
    o.profiling = 0;
    o.guard_bytes = 0;
    o.verbose = 0;
    nngpu_status st = nngpu_session_create(m, s->dev ? s->dev->info.selector : "cpu", &o, &gd->ref);
    if (st != NNGPU_OK) return ng_error_context(st, "int8 guard: fp32 session");
    for (int smp = 0; smp < gd->in.n_samples; smp++) {
        NG_CHECK(run_sample(gd, gd->ref, smp));
        for (int j = 0; j < gd->n_out; j++) {
            const ng_tensor *t = &gd->ref->g->tensors[gd->ref->g->outputs[gd->out_k[j]]];
            float **w = &gd->want[smp * gd->n_out + j];
            if (!(*w = malloc(ng_nbytes(t) ? ng_nbytes(t) : 1)))
                return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard: fp32 outputs");
            NG_CHECK(read_output(gd->ref, gd->out_k[j], *w));
        }
    }
    return NNGPU_OK;
}

/* The session's worst relative L2 error against fp32 over the samples. */
static nngpu_status measure(guard *gd, double *out) {
    nngpu_session *s = gd->s;
    size_t cap = 0;
    for (int j = 0; j < gd->n_out; j++)
        if (ng_nbytes(&s->g->tensors[s->g->outputs[gd->out_k[j]]]) > cap)
            cap = ng_nbytes(&s->g->tensors[s->g->outputs[gd->out_k[j]]]);
    float *got = malloc(cap ? cap : 1);
    err_sum *e = calloc((size_t)gd->n_out, sizeof *e);
    if (!got || !e) {
        free(got);
        free(e);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard: outputs");
    }
    nngpu_status st = NNGPU_OK;
    *out = 0;
    for (int smp = 0; smp < gd->in.n_samples && st == NNGPU_OK; smp++) {
        st = run_sample(gd, s, smp);
        for (int j = 0; j < gd->n_out && st == NNGPU_OK; j++) {
            const ng_tensor *t = &s->g->tensors[s->g->outputs[gd->out_k[j]]];
            st = read_output(s, gd->out_k[j], got);
            if (st == NNGPU_OK) err_add(&e[j], got, gd->want[smp * gd->n_out + j], ng_numel(t));
        }
    }
    for (int j = 0; j < gd->n_out; j++)
        if (err_value(&e[j]) > *out) *out = err_value(&e[j]);
    free(got);
    free(e);
    return st;
}

/* ---- sensitivities ---- */

static int is_qlayer(const ng_node *n) {
    return !n->dead && (n->op == NG_OP_QLINEARCONV || n->op == NG_OP_QLINEARMATMUL);
}

static double layer_macs(const ng_graph *g, const ng_node *n) {
    const ng_tensor *w = ng_in(g, n, 3), *y = ng_out(g, n, 0);
    double per = n->op == NG_OP_QLINEARCONV ? (double)ng_numel(w) / (double)w->dims[0]
                                            : (double)w->dims[0];
    return per * (double)ng_numel(y);
}

static float const_f(const ng_graph *g, const ng_node *n, int k) {
    return *(const float *)ng_in(g, n, k)->data;
}
static int const_zp(const ng_graph *g, const ng_node *n, int k) {
    return *(const int8_t *)ng_in(g, n, k)->data;
}

/* The float tensor an int8 layer input was quantized from. */
static const char *float_source(const ng_graph *g, int xq) {
    int p = g->tensors[xq].producer;
    if (p >= 0 && g->nodes[p].op == NG_OP_QUANTIZELINEAR) return g->tensors[g->nodes[p].in[0]].name;
    return g->tensors[xq].name; /* an int8 layer output: the fp32 graph holds it as float */
}

/* Layer n of the compiled graph on the fp32 run's values (see the top). */
static nngpu_status simulate(guard *gd, const ng_node *n, err_sum *e) {
    const ng_graph *g = gd->s->g;
    const void *in[64] = {0};
    void *out[1] = {0}, *owned[66] = {0};
    int n_owned = 0;
    if (n->n_in > 64 || n->n_out != 1)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "int8 guard: node '%s': too many tensors", n->name);
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in && st == NNGPU_OK; k++) {
        const ng_tensor *x = ng_in(g, n, k);
        if (!x || x->data) {
            in[k] = x ? x->data : NULL;
            continue;
        }
        int64_t cnt = ng_numel(x);
        float *f = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
        if (!f) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
            break;
        }
        owned[n_owned++] = f;
        in[k] = f;
        st = read_ref(gd, k == 0 ? float_source(g, n->in[0]) : x->name, f);
        if (st != NNGPU_OK || k != 0) continue;
        float scale = const_f(g, n, 1); /* quantized in place, as QuantizeLinear would */
        int zp = const_zp(g, n, 2);
        int8_t *q = (int8_t *)f;
        for (int64_t i = 0; i < cnt; i++) {
            double v = nearbyint(f[i] / scale) + zp;
            q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    }
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t cnt = ng_numel(y);
    float *want = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    out[0] = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (want) owned[n_owned++] = want;
    if (out[0]) owned[n_owned++] = out[0];
    if (st == NNGPU_OK && (!want || !out[0])) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
    if (st == NNGPU_OK) st = ng_ref_run(g, n, in, out);
    if (st == NNGPU_OK) st = read_ref(gd, y->name, want);
    if (st == NNGPU_OK && y->dtype == NNGPU_DTYPE_INT8) {
        float scale = const_f(g, n, 6), *got = out[0];
        int zp = const_zp(g, n, 7);
        for (int64_t i = cnt - 1; i >= 0; i--) got[i] = (float)(((int8_t *)got)[i] - zp) * scale;
    }
    if (st == NNGPU_OK) err_add(e, out[0], want, cnt);
    for (int k = 0; k < n_owned; k++) free(owned[k]);
    if (st != NNGPU_OK) return ng_error_context(st, "int8 guard: simulating node '%s'", n->name);
    return NNGPU_OK;
}

static int by_sensitivity(const void *a, const void *b) {
    const layer *x = a, *y = b;
    return x->sens < y->sens ? 1 : x->sens > y->sens ? -1 : 0;
}

/* Lists the session's int8 layers with their sensitivities, most sensitive first. */
static nngpu_status sensitivities(guard *gd, int *n_sim) {
    const ng_graph *g = gd->s->g;
    int *node = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    gd->layers = calloc((size_t)g->n_nodes + 1, sizeof *gd->layers);
    err_sum *e = calloc((size_t)g->n_nodes + 1, sizeof *e);
    nngpu_status st = node && gd->layers && e ? NNGPU_OK
                                              : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
    double macs = 0;
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        if (!is_qlayer(&g->nodes[i])) continue;
        layer *l = &gd->layers[gd->n_layers];
        l->y = g->nodes[i].out[0];
        if (!(l->name = strdup(g->nodes[i].name))) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
        node[gd->n_layers++] = i;
        macs += layer_macs(g, &g->nodes[i]);
    }
    *n_sim = macs > 0 ? (int)(SIM_BUDGET_MACS / macs) : gd->in.n_samples;
    if (*n_sim < 1) *n_sim = 1;
    if (*n_sim > gd->in.n_samples) *n_sim = gd->in.n_samples;
    for (int smp = 0; smp < *n_sim && st == NNGPU_OK; smp++) {
        st = run_sample(gd, gd->ref, smp);
        for (int l = 0; l < gd->n_layers && st == NNGPU_OK; l++)
            st = simulate(gd, &g->nodes[node[l]], &e[l]);
    }
    for (int l = 0; l < gd->n_layers; l++) gd->layers[l].sens = err_value(&e[l]);
    if (st == NNGPU_OK) qsort(gd->layers, (size_t)gd->n_layers, sizeof *gd->layers, by_sensitivity);
    free(node);
    free(e);
    return st;
}

/* ---- rounds ---- */

/* Rebuilds the session with the k most sensitive layers fp32. */
static nngpu_status keep_most_sensitive(guard *gd, const nngpu_model *m, int k) {
    ng_int8_state *st = gd->s->int8;
    size_t n = (size_t)st->table.n_tensors;
    if (!st->keep_fp32 && !(st->keep_fp32 = malloc(n ? n : 1)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
    memset(st->keep_fp32, 0, n);
    for (int i = 0; i < k; i++)
        if (gd->layers[i].y < (int)n) st->keep_fp32[gd->layers[i].y] = 1;
    return ng_error_context(ng_session_rebuild(gd->s, m), "int8 guard: recompiling");
}

/* How many of the most sensitive layers to keep fp32, given the error err
 * measured with `kept` of them fp32: int8 layers' errors taken to add up in
 * squares, scaled so the layers still int8 give err, the fewest that bring
 * it under TARGET * tol. Layers with non-finite results are always kept. */
static int predict_keep(const guard *gd, int kept, double err, double tol) {
    int n = gd->n_layers, k = kept;
    while (k < n && !isfinite(gd->layers[k].sens)) k++;
    double rest = 0;
    for (int i = k; i < n; i++) rest += gd->layers[i].sens * gd->layers[i].sens;
    if (!(rest > 0)) return k > kept ? k : n;
    double target = (TARGET * tol) * (TARGET * tol) / (err * err) * rest;
    while (k < n && rest > target) {
        rest -= gd->layers[k].sens * gd->layers[k].sens;
        k++;
    }
    return k;
}

static int count_int8_layers(const ng_graph *g) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += is_qlayer(&g->nodes[i]);
    return n;
}

static nngpu_status check(guard *gd, const nngpu_model *m) {
    nngpu_session *s = gd->s;
    double tol = s->opts.int8_tolerance, err;
    NG_CHECK(setup(gd, m));
    if (!gd->n_out || !gd->in.n_samples) {
        ng_report_add(&gd->lines, "int8 guard: no float32 output to compare: not checked");
        return NNGPU_OK;
    }
    int all = count_int8_layers(s->g), kept = 0, compiles = 1;
    NG_CHECK(measure(gd, &err));
    if (err > tol) {
        int n_sim = 0;
        NG_CHECK(sensitivities(gd, &n_sim));
        ng_report_add(&gd->lines,
                      "int8 guard: with all %d layers int8 the error vs fp32 is %.4g > %g; "
                      "sensitivities simulated on %d sample%s",
                      all, err, tol, n_sim, n_sim == 1 ? "" : "s");
        while (err > tol && kept < gd->n_layers) {
            int k = predict_keep(gd, kept, err, tol);
            if (k < 2 * kept) k = 2 * kept; /* at least doubling: a bounded number of compiles */
            kept = k < 1 ? 1 : k < gd->n_layers ? k : gd->n_layers;
            NG_CHECK(keep_most_sensitive(gd, m, kept));
            compiles++;
            NG_CHECK(measure(gd, &err));
            ng_report_add(&gd->lines, "int8 guard: %d layer%s fp32: error %.4g", kept,
                          kept == 1 ? "" : "s", err);
        }
        for (int i = 0; i < kept; i++)
            ng_report_add(&gd->lines, "int8 guard: node '%s' stays fp32: sensitivity %.3g",
                          gd->layers[i].name, gd->layers[i].sens);
    }
    ng_report_add(&gd->lines,
                  "int8 guard: error vs fp32 %.4g (tolerance %g, %d samples): %d of %d layers "
                  "int8, %d kept fp32 in %d compile%s",
                  err, tol, gd->in.n_samples, count_int8_layers(s->g), all, kept, compiles,
                  compiles == 1 ? "" : "s");
    return NNGPU_OK;
}

nngpu_status ng_session_guard_int8(nngpu_session *s, const nngpu_model *m) {
    if (s->opts.precision != NNGPU_PRECISION_INT8 || !(s->opts.int8_tolerance > 0) ||
        strcmp(s->precision, "int8") != 0 || !s->int8) {
        ng_int8_state_free(s->int8);
        s->int8 = NULL;
        return NNGPU_OK;
    }
    guard gd = {.s = s};
    nngpu_status st = check(&gd, m);
    for (const char *p = gd.lines.text; st == NNGPU_OK && p && *p;) {
        const char *end = strchr(p, '\n');
        int len = end ? (int)(end - p) : (int)strlen(p);
        ng_report_add(&s->report, "%.*s", len, p);
        p = end ? end + 1 : p + len;
    }
    ng_report_free(&gd.lines);
    nngpu_session_destroy(gd.ref);
    for (int i = 0; gd.want && i < gd.in.n_samples * gd.n_out; i++) free(gd.want[i]);
    free(gd.want);
    free(gd.out_k);
    free(gd.feed);
    for (int i = 0; i < gd.n_layers; i++) free(gd.layers[i].name);
    free(gd.layers);
    ng_calib_inputs_free(&gd.in);
    ng_int8_state_free(s->int8);
    s->int8 = NULL;
    return st;
}
