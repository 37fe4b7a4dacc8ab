/* Search strategy vs exhaustive search: for conv and GEMM layers of
 * MobileNetV2 and ResNet-18, the speed the budgeted search reaches
 * (exhaustive optimum's time / search's choice's time) and the time it
 * takes (fraction of exhaustive). Target: >= 95% speed in <= 20% time.
 *   POCL_KERNEL_CACHE=0 tune_strategies [--device opencl:0] [--max-space N]
 *                                       [--only I,J,...] [--seeds N] [--list] [--verbose]
 * Per shape: exhaustive search once, then the search with N seeds (default
 * 3), each compared with the exhaustive winner; a summary line gives the
 * minimum and median speed and the median and worst time over the seeds,
 * with the load average at each run. Exhaustive search is run only on
 * spaces of at most --max-space candidates (default 400): the rest are
 * skipped and listed as such. The first job of a shape is tuned: the
 * algorithm choice where the layer has one (conv_direct, vk_conv).
 * --list prints each shape's index, kernel and space size, measuring
 * nothing; --only runs the listed indices. The winners of the two
 * strategies are re-measured side by side (interleaved runs) for the speed
 * ratio ("?" marks a ratio from the strategies' own, separate measurements). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autotune/tuner.h"
#include "nngpu/graph.h"

typedef struct shape { const char *net; int c, h, k, ks, s, g; } shape;

/* Gemm as ks == 0: x[c, h] x w[h, k]. Conv 1x1 layers run as GEMMs. */
static const shape shapes[] = {
    {"mobilenetv2", 3, 224, 32, 3, 2, 1},    {"mobilenetv2", 32, 112, 32, 3, 1, 32},
    {"mobilenetv2", 96, 112, 96, 3, 2, 96},  {"mobilenetv2", 144, 56, 144, 3, 1, 144},
    {"mobilenetv2", 32, 112, 16, 1, 1, 1},   {"mobilenetv2", 144, 56, 24, 1, 1, 1},
    {"mobilenetv2", 1, 1280, 1000, 0, 1, 1}, {"resnet18", 64, 56, 64, 3, 1, 1},
    {"resnet18", 128, 28, 128, 3, 1, 1},     {"resnet18", 256, 14, 256, 3, 1, 1},
    {"resnet18", 64, 56, 128, 1, 1, 1},      {"resnet18", 1, 512, 1000, 0, 1, 1},
};

static nngpu_model *model_of(const shape *s) {
    nngpu_graph *g = nngpu_graph_create();
    int64_t xd[4] = {1, s->c, s->h, s->h}, wd[4] = {s->k, s->c / s->g, s->ks, s->ks}, bd[1] = {s->k};
    size_t nw = s->ks ? (size_t)(s->k * s->c / s->g * s->ks * s->ks) : (size_t)s->h * s->k;
    float *w = malloc(nw * sizeof(float)), *b = calloc((size_t)s->k, sizeof(float));
    for (size_t i = 0; i < nw; i++) w[i] = (float)rand() / RAND_MAX - 0.5f;
    const char *in[3] = {"x", "w", "b"}, *y[1] = {"y"}, *z[1] = {"z"};
    if (s->ks == 0) {
        int64_t ad[2] = {s->c, s->h}, gw[2] = {s->h, s->k};
        nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 2, ad);
        nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 2, gw, w);
        nngpu_graph_add_constant(g, "b", NNGPU_DTYPE_FLOAT32, 1, bd, b);
        nngpu_graph_add_node(g, "Gemm", "fc", 3, in, 1, y);
    } else {
        int64_t pads[4] = {s->ks / 2, s->ks / 2, s->ks / 2, s->ks / 2}, st[2] = {s->s, s->s};
        nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, xd);
        nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 4, wd, w);
        nngpu_graph_add_constant(g, "b", NNGPU_DTYPE_FLOAT32, 1, bd, b);
        nngpu_graph_add_node(g, "Conv", "conv", 3, in, 1, y);
        nngpu_graph_set_attr_ints(g, "pads", 4, pads);
        nngpu_graph_set_attr_ints(g, "strides", 2, st);
        nngpu_graph_set_attr_int(g, "group", s->g);
    }
    nngpu_graph_add_node(g, "Relu", "relu", 1, y, 1, z);
    nngpu_graph_add_output(g, "z");
    free(w);
    free(b);
    nngpu_model *m = NULL;
    return nngpu_model_from_graph(g, &m) == NNGPU_OK ? m : NULL;
}

/* Each strategy run starts with its own empty program-binary cache, so
 * neither profits from builds the other did (run with POCL_KERNEL_CACHE=0
 * so that POCL's own cache does not either). */
static void fresh_cache(int idx, const char *strategy) {
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/tune_strategies.%d/%d-%s", (int)getpid(), idx, strategy);
    setenv("NNGPU_CACHE_DIR", dir, 1);
}

/* Device time of one run (sum of the layers' times). */
static double run_ms(nngpu_session *s, nngpu_tensor *in, nngpu_tensor *out) {
    if (nngpu_session_run(s, 1, in, 1, out) != NNGPU_OK) return -1;
    double sum = 0;
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        if (nngpu_session_layer(s, i, &li) == NNGPU_OK && !li.on_cpu) sum += li.time_ms;
    }
    return sum;
}

static int cmp_ms(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The two winners measured again side by side (runs alternate A, B, A, ...,
 * so load changes hit both alike): medians into ms[0], ms[1]. At least 31
 * runs each and 200 ms of device time (tiny kernels: up to 601 runs). 0 on
 * success. */
static int interleaved(const ng_tune_job *job, const ng_params *a, const ng_params *b,
                       const char *dev, double ms[2]) {
    enum { MIN_RUNS = 31, RUNS = 601 };
    const ng_params *p[2] = {a, b};
    nngpu_session *s[2] = {NULL, NULL};
    char ovr[2][512];
    int rc = 1;
    for (int k = 0; k < 2; k++) {
        nngpu_options opts;
        nngpu_options_init(&opts);
        opts.profiling = 1;
        int len = snprintf(ovr[k], sizeof ovr[k], "%s:", job->family);
        ng_params_format(p[k], ovr[k] + len, sizeof ovr[k] - (size_t)len);
        opts.params_override = ovr[k];
        if (nngpu_session_create(job->model, dev, &opts, &s[k]) != NNGPU_OK) goto done;
    }
    nngpu_tensor_desc di, dout;
    if (nngpu_model_input(job->model, 0, &di) != NNGPU_OK || nngpu_session_output(s[0], 0, &dout) != NNGPU_OK)
        goto done;
    size_t ni = 1, no = 1;
    for (int k = 0; k < di.rank; k++) ni *= (size_t)di.dims[k];
    for (int k = 0; k < dout.rank; k++) no *= (size_t)dout.dims[k];
    nngpu_tensor in = {di.name, di.dtype, di.rank, {0}, calloc(ni, sizeof(float)), ni * sizeof(float)};
    nngpu_tensor out = {dout.name, dout.dtype, dout.rank, {0}, malloc(no * sizeof(float)), no * sizeof(float)};
    memcpy(in.dims, di.dims, sizeof in.dims);
    memcpy(out.dims, dout.dims, sizeof out.dims);
    double t[2][RUNS];
    rc = !in.data || !out.data;
    for (int k = 0; k < 2 && !rc; k++) rc = run_ms(s[k], &in, &out) < 0; /* warm-up */
    double total = 0;
    int runs = 0;
    for (; runs < RUNS && !rc && (runs < MIN_RUNS || total < 200.0); runs++)
        for (int k = 0; k < 2 && !rc; k++) {
            rc = (t[k][runs] = run_ms(s[k], &in, &out)) < 0;
            total += k == 0 ? t[k][runs] : 0;
        }
    for (int k = 0; k < 2 && !rc; k++) {
        qsort(t[k], (size_t)runs, sizeof(double), cmp_ms);
        ms[k] = t[k][runs / 2];
    }
    free(in.data);
    free(out.data);
done:
    for (int k = 0; k < 2; k++) nngpu_session_destroy(s[k]);
    return rc;
}

/* 1 when i is one of the comma-separated numbers in list. */
static int in_list(const char *list, int i) {
    for (const char *p = list; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) return 0;
        if (v == i) return 1;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

static double load_average(void) {
    double l[1] = {-1};
    return getloadavg(l, 1) == 1 ? l[0] : -1;
}

static int cmp_double(const void *a, const void *b) { return cmp_ms(a, b); }

int main(int argc, char **argv) {
    const char *dev = "opencl:0";
    int max_space = 400, list = 0, verbose = 0, seeds = 3;
    const char *only = NULL; /* "4,6,9": shape indices (--list shows them) */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--list")) list = 1;
        else if (!strcmp(argv[i], "--verbose")) verbose = 1;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--device")) dev = argv[++i];
        else if (!strcmp(argv[i], "--max-space")) max_space = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only")) only = argv[++i];
        else if (!strcmp(argv[i], "--seeds")) seeds = atoi(argv[++i]);
    }
    if (seeds < 1 || seeds > 16) seeds = 3;
    if (!list)
        printf("%-12s %-12s %-44s %5s %4s %9s %9s %7s %9s %7s %5s\n", "net", "family", "signature",
               "space", "seed", "exh_ms", "search_ms", "speed", "evals s/e", "time", "load");
    int shapes_met = 0, counted = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (only && !in_list(only, (int)i)) continue;
        nngpu_model *m = model_of(&shapes[i]);
        ng_tune_jobs jobs = {0};
        if (!m || ng_tune_collect(m, dev, &jobs) != NNGPU_OK || jobs.n == 0) {
            printf("%s: %s\n", shapes[i].net, nngpu_last_error());
            nngpu_model_destroy(m);
            continue;
        }
        nngpu_model_destroy(m);
        ng_tune_job *job = &jobs.job[0]; /* the algorithm choice where there is one */
        ng_space sp;
        nngpu_device_info di;
        int idx, n = 0;
        ng_params *c = NULL;
        if (nngpu_device_find(dev, &idx) == NNGPU_OK && nngpu_device_get(idx, &di) == NNGPU_OK &&
            ng_space_init(&sp, job->family, job->signature, &di, &job->defaults) == NNGPU_OK)
            n = ng_space_enumerate(&sp, &c);
        free(c);
        if (list || n > max_space) {
            printf("%2zu %-12s %-16s %-60s %6d%s\n", i, shapes[i].net, job->family, job->signature, n,
                   list ? "" : " (exhaustive skipped: over --max-space)");
            ng_tune_jobs_free(&jobs);
            continue;
        }
        ng_tune_opts o;
        ng_tune_result ex, se;
        ng_tune_opts_init(&o);
        o.device = dev;
        o.verbose = verbose;
        o.seed = 42 + (unsigned)i;
        o.strategy = NG_TUNE_EXHAUSTIVE;
        fresh_cache((int)i, "exhaustive");
        double load0 = load_average();
        if (ng_tune_run(job, &o, &ex) != NNGPU_OK) {
            printf("%s %s: %s\n", job->family, job->signature, nngpu_last_error());
            ng_tune_jobs_free(&jobs);
            continue;
        }
        char best[256];
        ng_params_format(&ex.best, best, sizeof best);
        printf("%-12s %-12s %-44.44s %5d %4s %9.4f %9s %7s %9d %6.1fs %5.1f best %s\n",
               shapes[i].net, job->family, job->signature, ex.space_size, "exh", ex.best_ms, "-",
               "-", ex.tried, ex.seconds, load0, best);
        double speed[16], tfrac[16];
        int met = 0;
        for (int k = 0; k < seeds; k++) {
            char tag[32];
            snprintf(tag, sizeof tag, "search%d", k);
            o.strategy = NG_TUNE_SEARCH;
            o.seed = 1000u * (unsigned)(k + 1) + (unsigned)i;
            fresh_cache((int)i, tag);
            double load = load_average();
            if (ng_tune_run(job, &o, &se) != NNGPU_OK) {
                printf("%s %s: %s\n", job->family, job->signature, nngpu_last_error());
                speed[k] = 0;
                tfrac[k] = 1;
                continue;
            }
            /* The winners again, side by side: the speed ratio from these. */
            double both[2] = {ex.best_ms, se.best_ms};
            int side = !interleaved(job, &ex.best, &se.best, dev, both);
            speed[k] = both[0] / both[1];
            tfrac[k] = se.seconds / ex.seconds;
            int ok = speed[k] >= 0.95 && tfrac[k] <= 0.20;
            met += ok;
            printf("%-12s %-12s %-44.44s %5d %4d %9.4f %9.4f %6.1f%%%s %4d/%-4d %6.1f%% %5.1f %s\n",
                   shapes[i].net, job->family, job->signature, ex.space_size, k, both[0], both[1],
                   100 * speed[k], side ? "" : "?", se.tried, ex.tried, 100 * tfrac[k], load,
                   ok ? "MET" : "missed");
            fflush(stdout);
        }
        qsort(speed, (size_t)seeds, sizeof(double), cmp_double);
        qsort(tfrac, (size_t)seeds, sizeof(double), cmp_double);
        printf("  -> %d seeds: speed min %.1f%% median %.1f%%, time median %.1f%% max %.1f%%, "
               "criterion met on %d of %d\n", seeds, 100 * speed[0], 100 * speed[seeds / 2],
               100 * tfrac[seeds / 2], 100 * tfrac[seeds - 1], met, seeds);
        shapes_met += speed[seeds / 2] >= 0.95 && tfrac[seeds / 2] <= 0.20;
        counted++;
        ng_tune_jobs_free(&jobs);
    }
    if (counted)
        printf("criterion met (median over seeds) on %d of %d shapes\n", shapes_met, counted);
    return 0;
}
