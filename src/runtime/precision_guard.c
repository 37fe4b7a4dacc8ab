/* The end-to-end accuracy guard's shared part: the fp32 session, the
 * calibration samples, the measurement and the rounds (see precision_guard.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "precision_guard.h"

#define TARGET 0.8 /* predictions aim at this fraction of the tolerance */

void ng_err_add(ng_err_sum *e, const float *got, const float *want, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(want[i])) continue;
        if (!isfinite(got[i])) e->nonfinite = 1;
        else e->num += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        e->den += (double)want[i] * want[i];
    }
}

double ng_err_value(const ng_err_sum *e) {
    if (e->nonfinite) return INFINITY;
    if (e->den > 0) return sqrt(e->num / e->den);
    return e->num > 0 ? INFINITY : 0.0;
}

/* ---- sessions on the calibration samples ---- */

nngpu_status ng_guard_run_sample(ng_guard *gd, nngpu_session *x, int smp) {
    const ng_graph *g = x->g;
    for (int k = 0; k < g->n_inputs; k++) {
        const ng_tensor *t = &g->tensors[g->inputs[k]];
        gd->feed[k] = (nngpu_tensor){.name = t->name, .dtype = t->dtype, .rank = t->rank,
                                     .data = gd->in.data[smp][k], .size_bytes = ng_nbytes(t)};
        memcpy(gd->feed[k].dims, t->dims, sizeof gd->feed[k].dims);
    }
    return nngpu_session_run(x, g->n_inputs, gd->feed, 0, NULL);
}

nngpu_status ng_guard_read_ref(ng_guard *gd, const char *name, float *dst) {
    nngpu_session *r = gd->ref;
    int t = ng_tensor_find(r->g, name);
    const ng_tensor *x = t >= 0 ? &r->g->tensors[t] : NULL;
    if (!x || x->dtype != NNGPU_DTYPE_FLOAT32)
        return ng_error(NNGPU_ERR_INTERNAL, "%s guard: no float tensor '%s' in fp32",
                        gd->policy->name, name);
    if (x->data) {
        memcpy(dst, x->data, ng_nbytes(x));
        return NNGPU_OK;
    }
    int root = x->view_of >= 0 ? x->view_of : t;
    if (!r->planned[root])
        return ng_error(NNGPU_ERR_INTERNAL, "%s guard: tensor '%s' has no storage",
                        gd->policy->name, name);
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

/* Sample `from`'s perturbed copy into `to` (see ng_guard_policy.stretch). */
static void perturb(const ng_graph *g, void *const *from, void **to, double stretch,
                    uint64_t *rng) {
    for (int k = 0; k < g->n_inputs; k++) {
        const ng_tensor *t = &g->tensors[g->inputs[k]];
        memcpy(to[k], from[k], ng_nbytes(t));
        if (t->dtype != NNGPU_DTYPE_FLOAT32) continue;
        const float *x = from[k];
        float *y = to[k];
        int64_t n = ng_numel(t);
        double ss = 0;
        for (int64_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
        double noise = NG_GUARD_NOISE * sqrt(ss / (double)(n ? n : 1));
        for (int64_t i = 0; i < n; i++)
            y[i] = (float)(stretch * x[i] + noise * ng_calib_normal(rng));
    }
}

/* Interleaves a perturbed copy after each sample of gd->in. */
static nngpu_status add_copies(ng_guard *gd, const ng_graph *g) {
    ng_calib_inputs both = {.n_samples = 2 * gd->in.n_samples, .n_inputs = gd->in.n_inputs};
    nngpu_status st = NNGPU_OK;
    if (!(both.data = calloc((size_t)both.n_samples + 1, sizeof *both.data)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s guard: samples", gd->policy->name);
    uint64_t rng = 0x5DEECE66Dull;
    for (int smp = 0; smp < gd->in.n_samples && st == NNGPU_OK; smp++) {
        void **copy = calloc((size_t)g->n_inputs + 1, sizeof *copy);
        both.data[2 * smp] = gd->in.data[smp];
        both.data[2 * smp + 1] = copy;
        gd->in.data[smp] = NULL; /* both owns it now */
        for (int k = 0; copy && k < g->n_inputs; k++)
            if (!(copy[k] = malloc(ng_nbytes(&g->tensors[g->inputs[k]]) + 1))) copy = NULL;
        if (!copy) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s guard: samples", gd->policy->name);
        else perturb(g, both.data[2 * smp], copy, gd->policy->stretch, &rng);
    }
    ng_calib_inputs_free(&gd->in);
    gd->in = both;
    gd->copies = 1;
    return st;
}

static nngpu_status setup(ng_guard *gd, const nngpu_model *m) {
    nngpu_session *s = gd->s;
    const ng_graph *g = s->g;
    const char *name = gd->policy->name;
    NG_CHECK(ng_calib_inputs_load_after(s->opts.calibration, g, gd->policy->calibrated,
                                        NG_GUARD_SAMPLES, &gd->in, &gd->held_out));
    if (gd->policy->stretch > 0 && gd->in.n_samples) NG_CHECK(add_copies(gd, g));
    gd->feed = calloc((size_t)g->n_inputs + 1, sizeof *gd->feed);
    gd->out_k = calloc((size_t)g->n_outputs + 1, sizeof *gd->out_k);
    gd->want = calloc((size_t)(gd->in.n_samples * g->n_outputs) + 1, sizeof *gd->want);
    if (!gd->feed || !gd->out_k || !gd->want)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s guard", name);
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
    if (st != NNGPU_OK) return ng_error_context(st, "%s guard: fp32 session", name);
    for (int smp = 0; smp < gd->in.n_samples; smp++) {
        NG_CHECK(ng_guard_run_sample(gd, gd->ref, smp));
        for (int j = 0; j < gd->n_out; j++) {
            const ng_tensor *t = &gd->ref->g->tensors[gd->ref->g->outputs[gd->out_k[j]]];
            float **w = &gd->want[smp * gd->n_out + j];
            if (!(*w = malloc(ng_nbytes(t) ? ng_nbytes(t) : 1)))
                return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s guard: fp32 outputs", name);
            NG_CHECK(read_output(gd->ref, gd->out_k[j], *w));
        }
    }
    return NNGPU_OK;
}

/* The session's worst relative L2 error against fp32 over the samples: on
 * each set (samples, perturbed copies) apart, the worse one; per set in
 * by_set[2] when not NULL. */
static nngpu_status measure(ng_guard *gd, double *out, double *by_set) {
    nngpu_session *s = gd->s;
    size_t cap = 0;
    for (int j = 0; j < gd->n_out; j++)
        if (ng_nbytes(&s->g->tensors[s->g->outputs[gd->out_k[j]]]) > cap)
            cap = ng_nbytes(&s->g->tensors[s->g->outputs[gd->out_k[j]]]);
    float *got = malloc(cap ? cap : 1);
    ng_err_sum *e = calloc((size_t)gd->n_out * 2, sizeof *e); /* [set][output] */
    if (!got || !e) {
        free(got);
        free(e);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s guard: outputs", gd->policy->name);
    }
    nngpu_status st = NNGPU_OK;
    *out = 0;
    for (int smp = 0; smp < gd->in.n_samples && st == NNGPU_OK; smp++) {
        st = ng_guard_run_sample(gd, s, smp);
        for (int j = 0; j < gd->n_out && st == NNGPU_OK; j++) {
            const ng_tensor *t = &s->g->tensors[s->g->outputs[gd->out_k[j]]];
            st = read_output(s, gd->out_k[j], got);
            ng_err_sum *ej = &e[(gd->copies ? smp % 2 : 0) * gd->n_out + j];
            if (st == NNGPU_OK) ng_err_add(ej, got, gd->want[smp * gd->n_out + j], ng_numel(t));
        }
    }
    for (int set = 0; set < 2; set++) {
        double worst = 0;
        for (int j = 0; j < gd->n_out; j++)
            if (ng_err_value(&e[set * gd->n_out + j]) > worst) worst = ng_err_value(&e[set * gd->n_out + j]);
        if (by_set) by_set[set] = worst;
        if (worst > *out) *out = worst;
    }
    free(got);
    free(e);
    return st;
}

/* ---- rounds ---- */

static int by_score(const void *a, const void *b) {
    const ng_guard_layer *x = a, *y = b;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : 0;
}

/* How many of the worst layers to keep fp32, given the error err measured
 * with `kept` of them fp32: the layers' errors taken to add up in squares,
 * scaled so the layers still reduced give err, the fewest that bring it
 * under TARGET * tol. Layers with non-finite scores are always kept. */
static int predict_keep(const ng_guard *gd, int kept, double err, double tol) {
    int n = gd->n_layers, k = kept;
    while (k < n && !isfinite(gd->layers[k].score)) k++;
    double rest = 0;
    for (int i = k; i < n; i++) rest += gd->layers[i].score * gd->layers[i].score;
    if (!(rest > 0)) return k > kept ? k : n;
    double target = (TARGET * tol) * (TARGET * tol) / (err * err) * rest;
    while (k < n && rest > target) {
        rest -= gd->layers[k].score * gd->layers[k].score;
        k++;
    }
    return k;
}

static nngpu_status check(ng_guard *gd, const nngpu_model *m) {
    const ng_guard_policy *p = gd->policy;
    nngpu_session *s = gd->s;
    double tol = p->tolerance, err;
    NG_CHECK(setup(gd, m));
    if (!gd->n_out || !gd->in.n_samples) {
        ng_report_add(&gd->lines, "%s guard: no float32 output to compare: not checked", p->name);
        return NNGPU_OK;
    }
    int all = p->count(s), kept = 0, compiles = 1;
    double sets[2];
    NG_CHECK(measure(gd, &err, sets));
    if (err > tol) {
        char how[128] = "";
        NG_CHECK(p->rank(gd, how, sizeof how));
        qsort(gd->layers, (size_t)gd->n_layers, sizeof *gd->layers, by_score);
        ng_report_add(&gd->lines, "%s guard: with all %d layers %s the error vs fp32 is %.4g > %g; %s",
                      p->name, all, p->name, err, tol, how);
        while (err > tol && kept < gd->n_layers) {
            int k = predict_keep(gd, kept, err, tol);
            if (k < 2 * kept) k = 2 * kept; /* at least doubling: a bounded number of compiles */
            kept = k < 1 ? 1 : k < gd->n_layers ? k : gd->n_layers;
            NG_CHECK(p->keep(gd, kept));
            NG_CHECK(ng_error_context(ng_session_rebuild(s, m), "%s guard: recompiling", p->name));
            compiles++;
            NG_CHECK(measure(gd, &err, sets));
            ng_report_add(&gd->lines, "%s guard: %d layer%s fp32: error %.4g", p->name, kept,
                          kept == 1 ? "" : "s", err);
        }
        for (int i = 0; i < kept; i++)
            ng_report_add(&gd->lines, "%s guard: node '%s' stays fp32: %s", p->name,
                          gd->layers[i].name, gd->layers[i].detail);
    }
    s->guard_measured = 1; /* s is the final compile: rebuilds swapped into it */
    s->guard_error = err;
    char on[160];
    int n = gd->in.n_samples / (gd->copies ? 2 : 1);
    snprintf(on, sizeof on, "%d%s sample%s", n, gd->held_out ? " held-out" : "", n == 1 ? "" : "s");
    if (gd->copies)
        snprintf(on + strlen(on), sizeof on - strlen(on), " %.4g, perturbed copies %.4g", sets[0],
                 sets[1]);
    ng_report_add(&gd->lines,
                  "%s guard: error vs fp32 %.4g (tolerance %g, %s): %d of %d layers "
                  "%s, %d kept fp32 in %d compile%s",
                  p->name, err, tol, on, p->count(s), all, p->name, kept, compiles,
                  compiles == 1 ? "" : "s");
    return NNGPU_OK;
}

nngpu_status ng_guard_run(nngpu_session *s, const nngpu_model *m, const ng_guard_policy *p) {
    ng_guard gd = {.policy = p, .s = s};
    nngpu_status st = check(&gd, m);
    if (st == NNGPU_OK) ng_report_add_lines(&s->report, gd.lines.text);
    ng_report_free(&gd.lines);
    nngpu_session_destroy(gd.ref);
    for (int i = 0; gd.want && i < gd.in.n_samples * gd.n_out; i++) free(gd.want[i]);
    free(gd.want);
    free(gd.out_k);
    free(gd.feed);
    for (int i = 0; i < gd.n_layers; i++) free(gd.layers[i].name);
    free(gd.layers);
    ng_calib_inputs_free(&gd.in);
    return st;
}
