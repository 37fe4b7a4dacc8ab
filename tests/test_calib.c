/* INT8 calibration pieces: the ranges each method picks on known
 * distributions, channel means, .npy calibration inputs (a stack cut into
 * batches, a folder, one file per input, wrong shapes), and the cache file
 * (round trip, corrupt and foreign files), and the layers the INT8 guard
 * keeps fp32 in the rewrite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/npy.h"
#include "harness/harness.h"
#include "runtime/calib_data.h"
#include "runtime/calib_stats.h"
#include "runtime/calibrate.h"

static const char *dir; /* scratch folder */

/* ---- distributions (fresh seed each run, printed) ---- */

static unsigned seed;

static double uniform01(void) { return ((double)rand_r(&seed) + 0.5) / ((double)RAND_MAX + 1.0); }

static double gaussian(void) {
    return sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

enum { N = 200000 };

/* Observes x in four batches (so the histogram widens as it goes) and picks each method's range. */
static void ranges_of(const float *x, float lo[3], float hi[3]) {
    ng_calib_observer o;
    ng_calib_observer_init(&o, -1, 0);
    int64_t dims[1] = {N / 4};
    for (int b = 0; b < 4; b++) ng_calib_observe(&o, x + b * (N / 4), N / 4, 1, dims);
    ng_calib_range(&o, NNGPU_CALIBRATION_MINMAX, 99.99f, &lo[0], &hi[0]);
    ng_calib_range(&o, NNGPU_CALIBRATION_PERCENTILE, 99.9f, &lo[1], &hi[1]);
    ng_calib_range(&o, NNGPU_CALIBRATION_ENTROPY, 99.99f, &lo[2], &hi[2]);
    ng_calib_observer_free(&o);
}

static void test_methods(void) {
    float *x = malloc(sizeof(float) * N), lo[3], hi[3], mn = INFINITY, mx = -INFINITY;
    /* uniform [-1, 2]: nothing to clip much; percentile keeps 99.9% */
    for (int i = 0; i < N; i++) x[i] = (float)(-1.0 + 3.0 * uniform01());
    for (int i = 0; i < N; i++) mn = fminf(mn, x[i]), mx = fmaxf(mx, x[i]);
    ranges_of(x, lo, hi);
    TH_EXPECT(lo[0] == mn && hi[0] == mx, "uniform minmax [%g, %g], data [%g, %g]", lo[0], hi[0], mn, mx);
    TH_EXPECT(lo[1] > -1.0f && lo[1] < -0.99f && hi[1] < 2.0f && hi[1] > 1.99f,
           "uniform percentile [%g, %g]", lo[1], hi[1]);
    TH_EXPECT(lo[2] < -0.9f && hi[2] > 1.8f && lo[2] >= mn && hi[2] <= mx, "uniform entropy [%g, %g]",
           lo[2], hi[2]);

    /* gaussian with outliers at +-60: percentile and entropy clip well below them */
    for (int i = 0; i < N; i++) x[i] = (float)gaussian();
    for (int i = 0; i < 10; i++) x[rand_r(&seed) % N] = i % 2 ? 60.0f : -60.0f;
    ranges_of(x, lo, hi);
    TH_EXPECT(lo[0] == -60.0f && hi[0] == 60.0f, "outliers minmax [%g, %g]", lo[0], hi[0]);
    TH_EXPECT(hi[1] > 2.5f && hi[1] < 6.0f && lo[1] < -2.5f && lo[1] > -6.0f,
           "outliers percentile [%g, %g]", lo[1], hi[1]);
    TH_EXPECT(hi[2] > 2.0f && hi[2] < 15.0f && lo[2] < -2.0f && lo[2] > -15.0f,
           "outliers entropy [%g, %g]", lo[2], hi[2]);

    /* ReLU-like: half zeros, a long positive tail; lo stays 0 */
    mx = 0;
    for (int i = 0; i < N; i++) x[i] = fmaxf(0.0f, (float)gaussian()), mx = fmaxf(mx, x[i]);
    ranges_of(x, lo, hi);
    for (int m = 0; m < 3; m++) TH_EXPECT(lo[m] == 0.0f, "relu method %d lo %g", m, lo[m]);
    TH_EXPECT(hi[0] == mx, "relu minmax hi %g, max %g", hi[0], mx);
    TH_EXPECT(hi[1] > 2.5f && hi[1] < mx, "relu percentile hi %g", hi[1]);
    TH_EXPECT(hi[2] > 2.0f && hi[2] <= mx, "relu entropy hi %g (max %g)", hi[2], mx);

    /* all positive, away from 0: the range still contains 0 */
    for (int i = 0; i < N; i++) x[i] = (float)(1.0 + uniform01());
    ranges_of(x, lo, hi);
    for (int m = 0; m < 3; m++)
        TH_EXPECT(lo[m] == 0.0f && hi[m] > 1.5f, "positive method %d [%g, %g]", m, lo[m], hi[m]);
    free(x);
}

/* Channel means over random [2, 3, 4] values with NaN and infinities mixed
 * in: the means, the range and the count see only the finite values. */
static void test_channel_means(void) {
    ng_calib_observer o;
    ng_calib_observer_init(&o, 1, 3);
    int64_t dims[3] = {2, 3, 4};
    float x[24];
    double sum[3] = {0}, lo = INFINITY, hi = -INFINITY;
    int n[3] = {0}, finite = 0;
    const float odd[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 24; i++) {
        int c = (i / 4) % 3;
        x[i] = (float)(10.0 * c + 4.0 * gaussian());
        if (i % 5 == c) x[i] = odd[i % 3]; /* every channel gets some */
        if (!isfinite(x[i])) continue;
        sum[c] += x[i], n[c]++, finite++;
        lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
    }
    ng_calib_observe(&o, x, 24, 3, dims);
    for (int c = 0; c < 3; c++) {
        double mean = ng_calib_channel_mean(&o, c);
        TH_EXPECT(n[c] < 8 && fabs(mean - sum[c] / n[c]) < 1e-9, "channel %d mean %g, finite values' %g",
               c, mean, sum[c] / n[c]);
    }
    TH_EXPECT(o.count == finite && o.min == lo && o.max == hi, "count %lld of %d, range [%g, %g]",
           (long long)o.count, finite, o.min, o.max);
    ng_calib_observer_free(&o);
}

/* ---- calibration inputs ---- */

static void save(const char *name, nngpu_dtype dt, int rank, const int64_t *dims, const void *data) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    nngpu_tensor t = {NULL, dt, rank, {0}, (void *)data, 0};
    size_t n = nngpu_dtype_size(dt);
    for (int i = 0; i < rank; i++) t.dims[i] = dims[i], n *= (size_t)dims[i];
    t.size_bytes = n;
    TH_EXPECT(ng_npy_write(path, &t) == NNGPU_OK, "writing %s", path);
}

static ng_graph *graph_with_inputs(int n, const char *const *names, int64_t batch) {
    ng_graph *g = nngpu_graph_create();
    int64_t dims[2] = {batch, 3};
    for (int i = 0; i < n; i++) nngpu_graph_add_input(g, names[i], NNGPU_DTYPE_FLOAT32, 2, dims);
    return g;
}

static void test_inputs(void) {
    char path[256], sub[256];
    float rows[5][3];
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 3; c++) rows[r][c] = (float)(10 * r + c);
    const char *one[] = {"x"};
    ng_graph *g = graph_with_inputs(1, one, 2);
    ng_calib_inputs ci;

    /* a stack of 5 rows, batch 2: two samples (rows 0-1, 2-3) */
    int64_t d53[2] = {5, 3};
    save("stack.npy", NNGPU_DTYPE_FLOAT32, 2, d53, rows);
    snprintf(path, sizeof path, "%s/stack.npy", dir);
    TH_EXPECT(ng_calib_inputs_load(path, g, 32, &ci) == NNGPU_OK && ci.n_samples == 2,
           "stack: %d samples", ci.n_samples);
    if (ci.n_samples == 2) {
        const float *s1 = ci.data[1][0];
        TH_EXPECT(s1[0] == 20.0f && s1[5] == 32.0f, "stack sample 1 holds rows 2-3");
    }
    ng_calib_inputs_free(&ci);
    TH_EXPECT(ng_calib_inputs_load(path, g, 1, &ci) == NNGPU_OK && ci.n_samples == 1, "max_samples");
    ng_calib_inputs_free(&ci);
    /* held out (the guard's): after sample 1 there is sample 1 (rows 2-3);
     * after sample 2 nothing, so from sample 0 */
    int held = -1;
    TH_EXPECT(ng_calib_inputs_load_after(path, g, 1, 4, &ci, &held) == NNGPU_OK && held == 1 &&
               ci.n_samples == 1 && ((const float *)ci.data[0][0])[0] == 20.0f,
           "held out after 1: %d samples, held %d", ci.n_samples, held);
    ng_calib_inputs_free(&ci);
    TH_EXPECT(ng_calib_inputs_load_after(path, g, 2, 4, &ci, &held) == NNGPU_OK && held == 0 &&
               ci.n_samples == 2 && ((const float *)ci.data[0][0])[0] == 0.0f,
           "nothing after 2: %d samples, held %d", ci.n_samples, held);
    ng_calib_inputs_free(&ci);

    /* a folder: a float64 stack of 3 rows and a single row: 4 rows, 2 samples */
    snprintf(sub, sizeof sub, "%s/folder", dir);
    mkdir(sub, 0755);
    double rows64[3][3];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) rows64[r][c] = rows[r][c];
    int64_t d33[2] = {3, 3}, d3[1] = {3};
    save("folder/a.npy", NNGPU_DTYPE_FLOAT64, 2, d33, rows64);
    save("folder/b.npy", NNGPU_DTYPE_FLOAT32, 1, d3, rows[4]);
    TH_EXPECT(ng_calib_inputs_load(sub, g, 32, &ci) == NNGPU_OK && ci.n_samples == 2,
           "folder: %d samples", ci.n_samples);
    if (ci.n_samples == 2) {
        const float *s1 = ci.data[1][0];
        TH_EXPECT(s1[0] == 20.0f && s1[3] == 40.0f, "folder sample 1: rows a[2], b");
    }
    ng_calib_inputs_free(&ci);

    /* wrong shape: the error names the file */
    int64_t d24[2] = {2, 4};
    save("wrong.npy", NNGPU_DTYPE_FLOAT32, 2, d24, rows);
    snprintf(path, sizeof path, "%s/wrong.npy", dir);
    TH_EXPECT(ng_calib_inputs_load(path, g, 32, &ci) == NNGPU_ERR_INVALID_ARG &&
               strstr(nngpu_last_error(), "wrong.npy"),
           "wrong shape");
    snprintf(path, sizeof path, "%s/missing.npy", dir);
    TH_EXPECT(ng_calib_inputs_load(path, g, 32, &ci) != NNGPU_OK &&
               strstr(nngpu_last_error(), "missing.npy"),
           "missing file");
    /* no path: deterministic normal samples */
    TH_EXPECT(ng_calib_inputs_load(NULL, g, 3, &ci) == NNGPU_OK && ci.n_samples == 3, "random");
    ng_calib_inputs_free(&ci);
    nngpu_graph_destroy(g);

    /* two inputs: <name>.npy each; fewer rows of one limit the samples */
    const char *two[] = {"a", "b"};
    g = graph_with_inputs(2, two, 1);
    snprintf(sub, sizeof sub, "%s/two", dir);
    mkdir(sub, 0755);
    save("two/a.npy", NNGPU_DTYPE_FLOAT32, 2, d53, rows);
    save("two/b.npy", NNGPU_DTYPE_FLOAT32, 2, d33, rows);
    TH_EXPECT(ng_calib_inputs_load(sub, g, 32, &ci) == NNGPU_OK && ci.n_samples == 3,
           "two inputs: %d samples", ci.n_samples);
    ng_calib_inputs_free(&ci);
    snprintf(path, sizeof path, "%s/stack.npy", dir);
    TH_EXPECT(ng_calib_inputs_load(path, g, 32, &ci) == NNGPU_ERR_INVALID_ARG,
           "two inputs want a folder");
    nngpu_graph_destroy(g);
}

/* ---- the cache file ---- */

static void test_cache(void) {
    const char *names[] = {"x"};
    ng_graph *g = graph_with_inputs(1, names, 1);
    ng_calib_table t = {0};
    t.n_tensors = g->n_tensors;
    t.ranges = calloc((size_t)t.n_tensors, sizeof *t.ranges);
    double *mean = malloc(3 * sizeof(double));
    mean[0] = 0.25, mean[1] = -1.0 / 3.0, mean[2] = 1e-7;
    t.ranges[0] = (ng_quant_range){1, -1.25f, 3.5f, 3, mean};
    t.n_samples = 7;
    char path[256], why[256];
    snprintf(path, sizeof path, "%s/cache.txt", dir);
    TH_EXPECT(ng_calib_cache_write(path, 0x1234abcdull, g, &t) == NNGPU_OK, "cache write");
    ng_calib_table back = {0};
    back.n_tensors = g->n_tensors;
    back.ranges = calloc((size_t)back.n_tensors, sizeof *back.ranges);
    TH_EXPECT(ng_calib_cache_read(path, 0x1234abcdull, g, &back, why, sizeof why), "read: %s", why);
    const ng_quant_range *r = &back.ranges[0];
    TH_EXPECT(r->known && r->lo == -1.25f && r->hi == 3.5f && r->n_ch == 3 && r->mean &&
               r->mean[1] == -1.0 / 3.0 && back.n_samples == 7,
           "round trip");
    TH_EXPECT(!ng_calib_cache_read(path, 0x999ull, g, &back, why, sizeof why) && why[0],
           "another key is foreign");
    snprintf(path, sizeof path, "%s/no_such_cache.txt", dir);
    TH_EXPECT(!ng_calib_cache_read(path, 1, g, &back, why, sizeof why) && !why[0], "missing file");
    /* corrupt files: garbage, truncated, an unknown tensor */
    const char *bad[] = {"garbage\x01\x02", "nngpu-calibration 1\nkey 1234abcd\nsamples 7\ntensor 1 x",
                         "nngpu-calibration 1\nkey 1234abcd\nsamples 7\ntensor 1 y 0 1 0\nend\n"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/bad%d.txt", dir, i);
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        TH_EXPECT(!ng_calib_cache_read(path, 0x1234abcdull, g, &back, why, sizeof why) && why[0],
               "corrupt file %d accepted", i);
    }
    ng_calib_table_free(&t);
    ng_calib_table_free(&back);
    nngpu_graph_destroy(g);
}

/* ng_pass_quantize_int8's keep_fp32 (the INT8 guard's choice): x -> MatMul -> h -> MatMul -> y
 * with h's writer kept fp32: only the second layer becomes QLinearMatMul. */
static void test_keep_fp32(void) {
    for (int keep = 0; keep < 2; keep++) {
        ng_graph *g = nngpu_graph_create();
        int64_t xd[2] = {2, 4}, w1d[2] = {4, 3}, w2d[2] = {3, 2};
        float w1[12], w2[6];
        for (int i = 0; i < 12; i++) w1[i] = (float)gaussian();
        for (int i = 0; i < 6; i++) w2[i] = (float)gaussian();
        nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 2, xd);
        nngpu_graph_add_constant(g, "w1", NNGPU_DTYPE_FLOAT32, 2, w1d, w1);
        nngpu_graph_add_constant(g, "w2", NNGPU_DTYPE_FLOAT32, 2, w2d, w2);
        const char *in1[] = {"x", "w1"}, *out1[] = {"h"}, *in2[] = {"h", "w2"}, *out2[] = {"y"};
        nngpu_graph_add_node(g, "MatMul", "first", 2, in1, 1, out1);
        nngpu_graph_add_node(g, "MatMul", "second", 2, in2, 1, out2);
        nngpu_graph_add_output(g, "y");
        ng_report r = {0};
        TH_EXPECT(ng_pass_infer_fold(g, 0, &r) == NNGPU_OK, "shape inference");
        ng_quant_range *ranges = calloc((size_t)g->n_tensors, sizeof *ranges);
        unsigned char *kept = calloc((size_t)g->n_tensors, 1);
        for (int t = 0; t < g->n_tensors; t++) ranges[t] = (ng_quant_range){1, -4.0f, 4.0f, 0, NULL};
        kept[ng_tensor_find(g, "h")] = (unsigned char)keep;
        int n8 = 0, n32 = 0;
        TH_EXPECT(ng_pass_quantize_int8(g, ranges, 0, kept, &r, &n8, &n32) == NNGPU_OK, "rewrite");
        int first = -1, second = -1;
        for (int i = 0; i < g->n_nodes; i++) {
            if (g->nodes[i].dead) continue;
            if (!strcmp(g->nodes[i].name, "first")) first = g->nodes[i].op;
            if (!strcmp(g->nodes[i].name, "second")) second = g->nodes[i].op;
        }
        TH_EXPECT(n8 == 2 - keep && n32 == keep, "keep %d: %d int8, %d fp32", keep, n8, n32);
        TH_EXPECT(first == (keep ? NG_OP_MATMUL : NG_OP_QLINEARMATMUL) && second == NG_OP_QLINEARMATMUL,
               "keep %d: ops %d %d", keep, first, second);
        TH_EXPECT(!keep || (r.text && strstr(r.text, "'first' stays fp32: kept fp32 by the int8 guard")),
               "keep %d: report %s", keep, r.text ? r.text : "");
        ng_report_free(&r);
        free(ranges);
        free(kept);
        nngpu_graph_destroy(g);
    }
}

int main(void) {
    seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    printf("test_calib: seed %u\n", seed);
    if (!(dir = th_scratch_dir("nngpu_test_calib"))) return 1;
    test_methods();
    test_channel_means();
    test_inputs();
    test_cache();
    test_keep_fp32();
    th_scratch_remove();
    printf("test_calib: %s\n", th_failures() ? "FAILED" : "ok");
    return th_failures() ? 1 : 0;
}
