/* Search strategy vs exhaustive search: for conv and GEMM layers of
 * MobileNetV2 and ResNet-18, the speed the budgeted search reaches
 * (exhaustive optimum's time / search's choice's time) and the time it
 * takes (fraction of exhaustive). Target: >= 95% speed in <= 20% time.
 *   tune_strategies [--device opencl:0] [--max-space N] [--evals-pct P]
 * Exhaustive search is run only on spaces of at most --max-space
 * candidates (default 400): the rest are skipped and listed as such. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
    const char *dev = "opencl:0";
    int max_space = 400;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--device")) dev = argv[++i];
        else if (!strcmp(argv[i], "--max-space")) max_space = atoi(argv[++i]);
    }
    printf("%-12s %-16s %-48s %6s %9s %9s %7s %7s %7s\n", "net", "family", "signature", "space",
           "exh_ms", "search_ms", "speed", "evals", "time");
    double sum_speed = 0, sum_time = 0;
    int counted = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        nngpu_model *m = model_of(&shapes[i]);
        ng_tune_jobs jobs = {0};
        if (!m || ng_tune_collect(m, dev, &jobs) != NNGPU_OK || jobs.n == 0) {
            printf("%s: %s\n", shapes[i].net, nngpu_last_error());
            nngpu_model_destroy(m);
            continue;
        }
        nngpu_model_destroy(m);
        ng_tune_job *job = &jobs.job[0];
        ng_tune_opts o;
        ng_tune_result ex, se;
        ng_tune_opts_init(&o);
        o.device = dev;
        o.seed = 42 + (unsigned)i;
        o.strategy = NG_TUNE_SEARCH;
        if (ng_tune_run(job, &o, &se) != NNGPU_OK) {
            printf("%s %s: %s\n", job->family, job->signature, nngpu_last_error());
            ng_tune_jobs_free(&jobs);
            continue;
        }
        if (se.space_size > max_space) {
            printf("%-12s %-16s %-48.48s %6d %9s %9.4f %7s %7d %6.1fs (exhaustive skipped)\n",
                   shapes[i].net, job->family, job->signature, se.space_size, "-", se.best_ms, "-",
                   se.tried, se.seconds);
            ng_tune_jobs_free(&jobs);
            continue;
        }
        o.strategy = NG_TUNE_EXHAUSTIVE;
        if (ng_tune_run(job, &o, &ex) != NNGPU_OK) {
            ng_tune_jobs_free(&jobs);
            continue;
        }
        double speed = ex.best_ms / se.best_ms, tfrac = se.seconds / ex.seconds;
        printf("%-12s %-16s %-48.48s %6d %9.4f %9.4f %6.1f%% %7d %6.1f%% (%.1fs vs %.1fs)\n",
               shapes[i].net, job->family, job->signature, ex.space_size, ex.best_ms, se.best_ms,
               100 * speed, se.tried, 100 * tfrac, se.seconds, ex.seconds);
        fflush(stdout);
        sum_speed += speed > 1 ? 1 : speed;
        sum_time += tfrac;
        counted++;
        ng_tune_jobs_free(&jobs);
    }
    if (counted)
        printf("mean over %d shapes: search reaches %.1f%% of the exhaustive optimum's speed in "
               "%.1f%% of its time\n", counted, 100 * sum_speed / counted, 100 * sum_time / counted);
    return 0;
}
