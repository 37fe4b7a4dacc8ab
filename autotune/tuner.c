/* The tuner's driver: measures and verifies candidates through the public
 * session API, runs a strategy over the space, stores the result. */
#include "autotune/tuner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/half.h"
#include "core/status.h"
#include "runtime/runtime.h"


#define CLOSE 1.05 /* contenders within 5% of the best are re-measured */
#define MIN_TIMED_MS 20.0 /* a measurement times at least this much device time... */
#define MAX_RUNS 64       /* ...in at most this many runs */
#define KEEP 6            /* sessions kept open for the final comparison */
#define TOL 1e-4   /* normalized error bound */
#define TOL_HALF 1e-2 /* float16 outputs: fp16 storage of values in [-1, 1] */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void ng_tune_opts_init(ng_tune_opts *o) {
    memset(o, 0, sizeof *o);
    o->device = "opencl:0";
    o->auto_exhaustive_max = 24;
    o->warmup = 1;
    o->runs = 5;
    o->seed = (unsigned)time(NULL);
}

void ng_tune_key(const nngpu_device_info *dev, const ng_tune_job *job, int space_version,
                 ng_db_key *key) {
    memset(key, 0, sizeof *key);
    ng_db_device_of(dev, &key->dev);
    key->family = job->family;
    key->source_hash = ng_params_source_hash(dev, job->family);
    key->signature = job->signature;
    key->space_version = space_version;
}

/* ---- the job's fixed inputs and reference outputs -------------------------- */

typedef struct tune_ctx {
    const ng_tune_job *job;
    const ng_tune_opts *o;
    nngpu_device_info dev;
    ng_space sp;
    ng_db_key key;
    int n_in, n_out;
    nngpu_tensor in[16], out[16];
    float *ref[16];
    double ref_norm[16];
    unsigned rng;
    double t0;
    int rejected;
} tune_ctx;

static float rnd(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f; /* [-1, 1) */
}

static void ctx_free(tune_ctx *t) {
    for (int i = 0; i < t->n_in; i++) free(t->in[i].data);
    for (int i = 0; i < t->n_out; i++) {
        free(t->out[i].data);
        free(t->ref[i]);
    }
}

/* Element i of a host buffer of dtype dt as a double (NAN: not comparable). */
static double elem(const void *data, nngpu_dtype dt, size_t i) {
    switch (dt) {
    case NNGPU_DTYPE_FLOAT32: return ((const float *)data)[i];
    case NNGPU_DTYPE_FLOAT16: return ng_half_to_float(((const uint16_t *)data)[i]);
    case NNGPU_DTYPE_INT8: return ((const int8_t *)data)[i];
    case NNGPU_DTYPE_UINT8: return ((const uint8_t *)data)[i];
    case NNGPU_DTYPE_INT32: return ((const int32_t *)data)[i];
    default: return NAN;
    }
}

static int dtype_tunable(nngpu_dtype dt) {
    return dt == NNGPU_DTYPE_FLOAT32 || dt == NNGPU_DTYPE_FLOAT16 || dt == NNGPU_DTYPE_INT8 ||
           dt == NNGPU_DTYPE_UINT8 || dt == NNGPU_DTYPE_INT32;
}

/* Random values of dt: floats in [-1, 1), 8-bit integers over their whole
 * range, int32 in [-2^15, 2^15). */
static void fill_random(void *data, nngpu_dtype dt, size_t n, unsigned *rng) {
    for (size_t k = 0; k < n; k++) {
        float f = rnd(rng);
        switch (dt) {
        case NNGPU_DTYPE_FLOAT16: ((uint16_t *)data)[k] = ng_half_from_float(f); break;
        case NNGPU_DTYPE_INT8: ((int8_t *)data)[k] = (int8_t)floorf(f * 128.0f); break;
        case NNGPU_DTYPE_UINT8: ((uint8_t *)data)[k] = (uint8_t)floorf((f + 1.0f) * 128.0f); break;
        case NNGPU_DTYPE_INT32: ((int32_t *)data)[k] = (int32_t)floorf(f * 32768.0f); break;
        default: ((float *)data)[k] = f; break;
        }
    }
}

/* Fresh random inputs and the CPU reference's outputs. */
static nngpu_status ctx_init(tune_ctx *t) {
    const nngpu_model *m = t->job->model;
    t->n_in = nngpu_model_input_count(m);
    t->n_out = nngpu_model_output_count(m);
    if (t->n_in > 16 || t->n_out > 16)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "layer '%s': too many inputs or outputs to tune", t->job->layer);
    for (int i = 0; i < t->n_in; i++) {
        nngpu_tensor_desc d;
        NG_CHECK(nngpu_model_input(m, i, &d));
        if (!dtype_tunable(d.dtype))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "layer '%s': input '%s' of dtype %s", t->job->layer,
                            d.name, nngpu_dtype_name(d.dtype));
        nngpu_tensor *x = &t->in[i];
        x->name = d.name;
        x->dtype = d.dtype;
        x->rank = d.rank;
        memcpy(x->dims, d.dims, sizeof x->dims);
        size_t n = 1;
        for (int k = 0; k < d.rank; k++) n *= (size_t)(d.dims[k] > 0 ? d.dims[k] : 1);
        x->size_bytes = n * nngpu_dtype_size(d.dtype);
        if (!(x->data = malloc(x->size_bytes + 1)))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "tuning input '%s'", d.name);
        fill_random(x->data, d.dtype, n, &t->rng);
    }
    nngpu_session *cpu;
    NG_CHECK(nngpu_session_create(m, "cpu", NULL, &cpu));
    nngpu_status st = NNGPU_OK;
    for (int i = 0; i < t->n_out && st == NNGPU_OK; i++) {
        nngpu_tensor_desc d;
        st = nngpu_session_output(cpu, i, &d);
        if (st != NNGPU_OK) break;
        size_t n = 1;
        for (int k = 0; k < d.rank; k++) n *= (size_t)d.dims[k];
        t->out[i].name = d.name;
        t->out[i].dtype = d.dtype;
        t->out[i].size_bytes = n * nngpu_dtype_size(d.dtype);
        t->out[i].data = malloc(t->out[i].size_bytes + 1);
        t->ref[i] = malloc(t->out[i].size_bytes + 1);
        if (!t->out[i].data || !t->ref[i]) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "tuning outputs");
        if (!dtype_tunable(d.dtype) && st == NNGPU_OK)
            st = ng_error(NNGPU_ERR_UNSUPPORTED, "layer '%s': output '%s' of dtype %s",
                          t->job->layer, d.name, nngpu_dtype_name(d.dtype));
    }
    if (st == NNGPU_OK) st = nngpu_session_run(cpu, t->n_in, t->in, t->n_out, t->out);
    for (int i = 0; i < t->n_out && st == NNGPU_OK; i++) {
        memcpy(t->ref[i], t->out[i].data, t->out[i].size_bytes);
        double s = 0;
        size_t n = t->out[i].size_bytes / nngpu_dtype_size(t->out[i].dtype);
        for (size_t k = 0; k < n; k++) {
            double r = elem(t->ref[i], t->out[i].dtype, k);
            s += r * r;
        }
        t->ref_norm[i] = sqrt(s);
    }
    nngpu_session_destroy(cpu);
    return st;
}

/* Output i against the reference: float outputs within a normalized error,
 * integer ones (quantized kernels: exact arithmetic) within one unit, a tie
 * rounded the other way. 0 when it matches, else why says how. */
static int check_output(const tune_ctx *t, int i, char *why, size_t cap) {
    nngpu_dtype dt = t->out[i].dtype;
    size_t n = t->out[i].size_bytes / nngpu_dtype_size(dt);
    double e = 0, worst = 0;
    for (size_t k = 0; k < n; k++) {
        double d = elem(t->out[i].data, dt, k) - elem(t->ref[i], dt, k);
        e += d * d;
        if (fabs(d) > worst) worst = fabs(d);
    }
    if (dt == NNGPU_DTYPE_FLOAT32 || dt == NNGPU_DTYPE_FLOAT16) {
        double err = sqrt(e) / (t->ref_norm[i] > 0 ? t->ref_norm[i] : 1.0);
        if (err <= (dt == NNGPU_DTYPE_FLOAT16 ? TOL_HALF : TOL)) return 0; /* NaN fails too */
        snprintf(why, cap, "wrong output '%s': normalized error %.3g", t->out[i].name, err);
        return 1;
    }
    if (worst <= 1) return 0;
    snprintf(why, cap, "wrong output '%s': an element off by %.0f", t->out[i].name, worst);
    return 1;
}

/* ---- one candidate --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Creates a session with `override` and checks its outputs (one run after
 * warm-up). Returns 0 with *out, 1 when the candidate is rejected (why says
 * how); resolved (may be NULL) receives what the job family's lookup
 * resolved to (the kernel's own or its algorithm choice). */
static int open_candidate(tune_ctx *t, const char *override, const ng_params *cand,
                          nngpu_session **out, ng_params *resolved, char *why, size_t cap) {
    nngpu_options opts;
    nngpu_options_init(&opts);
    opts.profiling = 1;
    opts.params_override = override;
    nngpu_session *s = NULL;
    if (nngpu_session_create(t->job->model, t->o->device, &opts, &s) != NNGPU_OK) {
        snprintf(why, cap, "build: %s", nngpu_last_error());
        return 1;
    }
    int rc = 0, found = 0;
    for (int i = 0; i < s->n_steps; i++) {
        if (!s->steps[i].kernel || !s->dev->backend->kernel_params) continue;
        const ng_params_record *r = s->dev->backend->kernel_params(s->steps[i].kernel);
        if (!r) continue;
        const ng_tune_job *j = t->job;
        if (!strcmp(r->family, j->family) && !strcmp(r->signature, j->signature)) {
            if (resolved) *resolved = r->params;
            found = 1;
        } else if (!strcmp(r->algo_family, j->family) && !strcmp(r->algo_signature, j->signature)) {
            if (resolved) *resolved = r->algo_params;
            found = 1;
        }
    }
    if (!found) {
        snprintf(why, cap, "the layer no longer compiles to %s(%s)", t->job->family, t->job->signature);
        rc = 1;
    }
    /* Outputs poisoned with NaN, one run, compared with the reference. */
    for (int i = 0; i < t->n_out && !rc; i++) memset(t->out[i].data, 0xFF, t->out[i].size_bytes);
    if (!rc && nngpu_session_run(s, t->n_in, t->in, t->n_out, t->out) != NNGPU_OK) {
        snprintf(why, cap, "run: %s", nngpu_last_error());
        rc = 1;
    }
    for (int i = 0; i < t->n_out && !rc; i++) {
        if (t->o->corrupt && cand)
            t->o->corrupt(cand, t->out[i].data, t->out[i].size_bytes / nngpu_dtype_size(t->out[i].dtype),
                          t->out[i].dtype, t->o->corrupt_user);
        rc = check_output(t, i, why, cap);
    }
    for (int w = 1; w < t->o->warmup && !rc; w++)
        if (nngpu_session_run(s, t->n_in, t->in, t->n_out, t->out) != NNGPU_OK) rc = 1;
    if (rc) nngpu_session_destroy(s);
    else *out = s;
    return rc;
}

/* One run's device time (the layers' sum); < 0 on failure. */
static double timed_run(tune_ctx *t, nngpu_session *s) {
    if (nngpu_session_run(s, t->n_in, t->in, t->n_out, t->out) != NNGPU_OK) return -1;
    double sum = 0;
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        if (nngpu_session_layer(s, i, &li) == NNGPU_OK && !li.on_cpu && li.time_ms > 0) sum += li.time_ms;
    }
    return sum;
}

/* Runs per measurement: at least `runs`, more while they add up to less
 * than MIN_TIMED_MS (short kernels: noise shrinks with runs that cost
 * far less than a candidate's program build), at most MAX_RUNS. */
static int enough_runs(int done, int runs, double total_ms) {
    return done >= MAX_RUNS || (done >= runs && total_ms >= MIN_TIMED_MS);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n ? v[n / 2] : 0;
}

/* The median device time of enough_runs runs of open session s in *ms;
 * 1 when a run fails (why says how). */
static int time_session(tune_ctx *t, nngpu_session *s, int runs, double *ms, char *why, size_t cap) {
    double times[MAX_RUNS], total = 0;
    int n = 0;
    while (!enough_runs(n, runs, total)) {
        if ((times[n] = timed_run(t, s)) < 0) {
            snprintf(why, cap, "run: %s", nngpu_last_error());
            return 1;
        }
        total += times[n++];
    }
    *ms = median(times, n);
    return 0;
}

/* Times open sessions side by side, runs in turn (A, B, C, A, B, C, ...)
 * so that load changes hit each alike: ms[i] is the median, INFINITY for a
 * NULL session or one that failed. Past the deadline `end` (0: none) the
 * runs stop early (3 at least). */
static void measure_interleaved(tune_ctx *t, int n, nngpu_session **s, int runs, double end,
                                double *ms) {
    double times[KEEP][MAX_RUNS], total[KEEP] = {0};
    int ok[KEEP];
    for (int i = 0; i < n; i++) {
        ms[i] = INFINITY;
        ok[i] = s[i] != NULL;
    }
    int done = 0, more = 1;
    while (more && !(end > 0 && done >= 3 && now_s() >= end)) {
        more = 0;
        for (int i = 0; i < n; i++) {
            if (!ok[i]) continue;
            if ((times[i][done] = timed_run(t, s[i])) < 0) {
                ok[i] = 0;
                continue;
            }
            total[i] += times[i][done];
            more |= !enough_runs(done + 1, runs, total[i]);
        }
        done++;
    }
    for (int i = 0; i < n; i++)
        if (ok[i]) ms[i] = median(times[i], done);
}

/* ---- strategies ------------------------------------------------------------ */

typedef struct search {
    tune_ctx *t;
    ng_params *cand;
    int n;
    double *ms;     /* < 0: not measured; INFINITY: rejected */
    int best;       /* index, -1 before any */
    int evals, limit;
    double deadline; /* wall clock, 0: none */
    int stopped;
    /* Sessions of the default and the fastest candidates so far, kept open
     * for the final side-by-side comparison (no rebuild, no re-JIT). */
    int n_kept;
    int kept[KEEP];
    nngpu_session *kept_session[KEEP];
} search;

/* Keeps candidate i's session when it is the default or among the fastest
 * KEEP - 1 others so far, else destroys it (or the slowest kept one). */
static void keep(search *s, int i, nngpu_session *ses) {
    if (s->n_kept < KEEP) {
        s->kept[s->n_kept] = i;
        s->kept_session[s->n_kept++] = ses;
        return;
    }
    int worst = -1;
    for (int k = 0; k < s->n_kept; k++)
        if (s->kept[k] != 0 && (worst < 0 || s->ms[s->kept[k]] > s->ms[s->kept[worst]])) worst = k;
    if (worst < 0 || s->ms[i] >= s->ms[s->kept[worst]]) {
        nngpu_session_destroy(ses);
        return;
    }
    nngpu_session_destroy(s->kept_session[worst]);
    s->kept[worst] = i;
    s->kept_session[worst] = ses;
}

/* Candidate i's kept session, NULL when not kept. */
static nngpu_session *kept_session(const search *s, int i) {
    for (int k = 0; k < s->n_kept; k++)
        if (s->kept[k] == i) return s->kept_session[k];
    return NULL;
}

static int out_of_budget(search *s) {
    if (s->t->o->stop && *s->t->o->stop) return 1;
    if (s->limit && s->evals >= s->limit) return 1;
    return s->deadline > 0 && now_s() >= s->deadline;
}

/* Measures candidate i once; 0 when the budget ran out first. */
static int eval(search *s, int i) {
    if (s->ms[i] >= 0) return 1;
    if (out_of_budget(s)) {
        s->stopped = 1;
        return 0;
    }
    tune_ctx *t = s->t;
    char ovr[512], why[512], txt[256];
    ng_space_override(&t->sp, &s->cand[i], ovr, sizeof ovr);
    double ms = 0;
    nngpu_session *ses = NULL;
    int rc = open_candidate(t, ovr, &s->cand[i], &ses, NULL, why, sizeof why);
    if (!rc && (rc = time_session(t, ses, t->o->runs, &ms, why, sizeof why)) != 0)
        nngpu_session_destroy(ses);
    s->evals++;
    ng_params_format(&s->cand[i], txt, sizeof txt);
    if (rc) {
        s->ms[i] = INFINITY;
        t->rejected++;
        if (t->o->db) ng_db_reject(t->o->db, &t->key, &s->cand[i], why);
        if (t->o->verbose) fprintf(stderr, "  rejected %s: %s\n", txt, why);
        return 1;
    }
    s->ms[i] = ms;
    keep(s, i, ses);
    if (t->o->verbose) fprintf(stderr, "  %-60s %9.4f ms\n", txt, ms);
    if (s->best < 0 || ms < s->ms[s->best]) s->best = i;
    return 1;
}

static int find(const search *s, const ng_params *p) {
    for (int i = 0; i < s->n; i++)
        if (ng_params_equal(&s->cand[i], p)) return i;
    return -1;
}

static unsigned next_rand(unsigned *r) {
    *r = *r * 1103515245u + 12345u;
    return (*r >> 16) & 0x7FFF;
}

/* A random candidate not measured yet, -1 when none. */
static int random_unmeasured(search *s) {
    int left = 0;
    for (int i = 0; i < s->n; i++) left += s->ms[i] < 0;
    if (!left) return -1;
    int k = (int)(next_rand(&s->t->rng) % (unsigned)left);
    for (int i = 0; i < s->n; i++)
        if (s->ms[i] < 0 && k-- == 0) return i;
    return -1;
}

/* Candidates one step away from c in one parameter (the next smaller or
 * larger value), canonical and valid; returns their count. */
static int neighbours(const search *s, int c, int *out, int cap) {
    const ng_space *sp = &s->t->sp;
    int n = 0;
    for (int p = 0; p < sp->n_params; p++) {
        const ng_space_param *pp = &sp->param[p];
        int v = ng_params_get(&s->cand[c], pp->name, 0), at = -1;
        for (int j = 0; j < pp->n; j++)
            if (pp->values[j] == v) at = j;
        for (int d = -1; d <= 1; d += 2) {
            /* Step until a valid candidate (constraints may exclude the next value). */
            for (int j = at + d; j >= 0 && j < pp->n; j += d) {
                ng_params q = s->cand[c];
                ng_params_set(&q, pp->name, pp->values[j]);
                if (sp->fam->canonical) sp->fam->canonical(sp, &q);
                int k = find(s, &q);
                if (k < 0) continue;
                int dup = k == c;
                for (int i = 0; i < n; i++) dup |= out[i] == k;
                if (!dup && n < cap) out[n++] = k;
                break;
            }
        }
    }
    return n;
}

static void run_exhaustive(search *s) {
    for (int i = 0; i < s->n; i++)
        if (!eval(s, i)) return;
}

/* Hill climbing from the default (the backend's hand-tuned choice, already
 * measured; large spaces add a few random starts): neighbours of the
 * current point in random order, moving to the first that beats it (a short
 * search takes several steps instead of sweeping one neighbourhood); at a
 * local optimum restart from a random candidate. Stops at the evaluation
 * limit (default: 15% of the space, at least 6) or the deadline. */
static void run_search(search *s) {
    int starts = s->n > 200 ? 4 : 0;
    for (int i = 0; i < starts; i++) {
        int r = random_unmeasured(s);
        if (r < 0 || !eval(s, r)) return;
    }
    int cur = s->best;
    while (cur >= 0) {
        int nb[2 * NG_MAX_PARAMS];
        int k = neighbours(s, cur, nb, 2 * NG_MAX_PARAMS);
        for (int i = k - 1; i > 0; i--) { /* shuffle */
            int j = (int)(next_rand(&s->t->rng) % (unsigned)(i + 1)), x = nb[i];
            nb[i] = nb[j];
            nb[j] = x;
        }
        int moved = 0;
        for (int i = 0; i < k && !moved; i++) {
            int measured = s->ms[nb[i]] >= 0;
            if (!eval(s, nb[i])) return;
            if (!measured && s->ms[nb[i]] < s->ms[cur]) {
                cur = nb[i];
                moved = 1;
            }
        }
        if (moved) continue;
        /* Local optimum: restart from an unexplored point. */
        int before = cur;
        int r = random_unmeasured(s);
        if (r < 0 || !eval(s, r)) return;
        cur = s->ms[r] < INFINITY ? r : s->best;
        if (cur == before) { /* its neighbours are measured: try another point */
            r = random_unmeasured(s);
            if (r < 0 || !eval(s, r)) return;
            if (s->ms[r] < INFINITY) cur = r;
        }
    }
}

/* ---- the driver ------------------------------------------------------------ */

static double elapsed(const tune_ctx *t) { return now_s() - t->t0; }

nngpu_status ng_tune_run(const ng_tune_job *job, const ng_tune_opts *o, ng_tune_result *r) {
    memset(r, 0, sizeof *r);
    tune_ctx t;
    memset(&t, 0, sizeof t);
    t.job = job;
    t.o = o;
    t.rng = o->seed * 2654435761u + 1;
    t.t0 = now_s();
    int idx;
    NG_CHECK(nngpu_device_find(o->device, &idx));
    NG_CHECK(nngpu_device_get(idx, &t.dev));
    nngpu_status st = ctx_init(&t);
    if (st != NNGPU_OK) {
        ctx_free(&t);
        return st;
    }
    /* The default first: it must run, and tells the defaults. */
    char why[512];
    double def_ms = 0;
    ng_params def_params;
    nngpu_session *def_session = NULL;
    int failed = open_candidate(&t, "", NULL, &def_session, &def_params, why, sizeof why);
    if (!failed && (failed = time_session(&t, def_session, o->runs, &def_ms, why, sizeof why)) != 0)
        nngpu_session_destroy(def_session);
    if (failed) {
        ctx_free(&t);
        return ng_error(NNGPU_ERR_DEVICE, "layer '%s' (%s %s) fails with default parameters: %s",
                        job->layer, job->family, job->signature, why);
    }
    st = ng_space_init(&t.sp, job->family, job->signature, &t.dev, &def_params);
    if (st != NNGPU_OK) {
        nngpu_session_destroy(def_session);
        ctx_free(&t);
        return st;
    }
    ng_tune_key(&t.dev, job, t.sp.fam->version, &t.key);
    search s;
    memset(&s, 0, sizeof s);
    s.t = &t;
    s.best = -1;
    s.n = ng_space_enumerate(&t.sp, &s.cand);
    s.ms = malloc(sizeof(double) * (size_t)(s.n ? s.n : 1));
    if (!s.n || !s.ms) {
        nngpu_session_destroy(def_session);
        free(s.cand);
        free(s.ms);
        ctx_free(&t);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "search space of %s", job->family);
    }
    for (int i = 0; i < s.n; i++) s.ms[i] = -1;
    s.ms[0] = def_ms; /* candidate 0 is the default */
    s.best = 0;
    s.evals = 1;
    keep(&s, 0, def_session);
    r->space_size = s.n;
    r->defaults = def_params;
    ng_tune_strategy strat = o->strategy;
    if (strat == NG_TUNE_AUTO)
        strat = s.n <= (o->auto_exhaustive_max ? o->auto_exhaustive_max : 24) ? NG_TUNE_EXHAUSTIVE
                                                                              : NG_TUNE_SEARCH;
    s.limit = o->max_evals;
    if (!s.limit && strat == NG_TUNE_SEARCH) s.limit = s.n * 15 / 100 > 6 ? s.n * 15 / 100 : 6;
    if (o->budget_s > 0) s.deadline = t.t0 + o->budget_s * 0.85; /* room to re-measure */
    snprintf(r->space_note, sizeof r->space_note, "%s, %d of %.0f", strat == NG_TUNE_EXHAUSTIVE ? "exhaustive" : "search", s.n,
             ng_space_raw_size(&t.sp));
    if (strat == NG_TUNE_EXHAUSTIVE) run_exhaustive(&s);
    else run_search(&s);
    r->complete = !s.stopped && !(o->stop && *o->stop);

    /* The default and up to 5 contenders within CLOSE of the best (the
     * fastest first), timed again side by side while the budget lasts: in
     * the sessions kept open, so this costs runs, not builds. */
    int close[KEEP], nc = 0;
    close[nc++] = 0;
    for (int pick = 0; pick < KEEP - 1; pick++) {
        int c = -1;
        for (int i = 1; i < s.n; i++) {
            int taken = 0;
            for (int k = 1; k < nc; k++) taken |= close[k] == i;
            if (!taken && s.ms[i] >= 0 && s.ms[i] < INFINITY && s.ms[i] <= s.ms[s.best] * CLOSE &&
                (c < 0 || s.ms[i] < s.ms[c]))
                c = i;
        }
        if (c < 0) break;
        close[nc++] = c;
    }
    double best_ms = s.ms[s.best], end = o->budget_s > 0 ? t.t0 + o->budget_s : 0;
    int best = s.best;
    if (nc > 1 && !(o->stop && *o->stop) && !(end > 0 && now_s() >= end)) {
        nngpu_session *ses[KEEP], *opened[KEEP] = {NULL};
        double again[KEEP];
        for (int i = 0; i < nc; i++) {
            char ovr[512];
            if (!(ses[i] = kept_session(&s, close[i])) && !(end > 0 && now_s() >= end)) {
                ng_space_override(&t.sp, &s.cand[close[i]], ovr, sizeof ovr);
                if (!open_candidate(&t, ovr, NULL, &opened[i], NULL, why, sizeof why)) ses[i] = opened[i];
            }
        }
        measure_interleaved(&t, nc, ses, o->runs * 2, end, again);
        for (int i = 0; i < nc; i++) nngpu_session_destroy(opened[i]);
        if (again[0] < INFINITY) def_ms = again[0];
        best_ms = INFINITY;
        for (int i = 0; i < nc; i++)
            if (again[i] < best_ms) {
                best_ms = again[i];
                best = close[i];
            }
        if (best_ms == INFINITY) { /* nothing ran again: the first pass decides */
            best = s.best;
            best_ms = s.ms[best];
        }
    }
    for (int k = 0; k < s.n_kept; k++) nngpu_session_destroy(s.kept_session[k]);
    if (best == 0) best_ms = def_ms;
    r->best = s.cand[best];
    r->best_ms = best_ms;
    r->default_ms = def_ms;
    r->tried = s.evals;
    r->rejected = t.rejected;
    if (o->db) { /* partial results too: a later run resumes from them with --retune */
        ng_db_entry e;
        memset(&e, 0, sizeof e);
        ng_params all = def_params; /* every parameter the kernel reads, best values */
        for (int i = 0; i < r->best.n; i++) ng_params_set(&all, r->best.name[i], r->best.value[i]);
        ng_db_entry_set_params(&e, &all);
        e.best_ms = best_ms;
        e.default_ms = def_ms;
        e.candidates_tried = s.evals;
        st = ng_db_store(o->db, &t.key, &e);
        r->stored = st == NNGPU_OK;
    }
    r->seconds = elapsed(&t);
    free(s.cand);
    free(s.ms);
    ctx_free(&t);
    return st;
}
