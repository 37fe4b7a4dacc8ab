/* Sessions on one device in one process share the device and what it
 * compiled: Vulkan's pipelines (src/vulkan/vk_shared.c, vk_pipeline.c),
 * OpenCL's context and programs (src/opencl/cl_shared.c). On each of
 * opencl:0 and vulkan:0: a second session compiles nothing and gives the same
 * outputs as the first, sessions go in either order, the last one closes the
 * device, two threads create and run sessions at once. On vulkan:0 also: an
 * injected pipeline failure or allocation limit fails one session while the
 * healthy one next to it keeps running, the pipeline cache file is written,
 * and large constants (Winograd-transformed and GEMM weights) are made once
 * per model and shared, never between models whose weights differ. A
 * session outlives its model: it keeps the weights its graph borrows. The
 * sessions of a model share its graph after the passes (both backends).
 * Counters: vulkan/vk_stats.h, opencl/cl_stats.h. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/hash_memo.h"
#include "harness/harness.h"
#include "opencl/cl_stats.h"
#include "runtime/prepared.h"
#include "vulkan/vk_stats.h"

#define N_OUT 10
#define TOL 1e-4

static float input[1 * 4 * 16 * 16];
static float expect[N_OUT]; /* the CPU reference's output */

/* x[1,C,H,H] -> Conv 3x3 (pad 1, `stride`, C -> K) + Relu [-> MaxPool 2x2/2]
 * -> Flatten -> Gemm -> y[1,out], with fresh random weights. */
typedef struct conv_fc {
    int C, K, H, stride, pool, out;
} conv_fc;

static void add_random(nngpu_graph *g, const char *name, int rank, const int64_t *dims,
                       float scale) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    float *v = malloc(n * sizeof *v);
    TH_EXPECT(v != NULL, "out of memory");
    if (!v) return;
    th_fill(v, n, -scale, scale);
    nngpu_graph_add_constant(g, name, NNGPU_DTYPE_FLOAT32, rank, dims, v); /* copies v */
    free(v);
}

static nngpu_model *make_conv_fc(conv_fc m) {
    int64_t oh = (m.H - 1) / m.stride + 1, ph = m.pool ? oh / 2 : oh, feat = m.K * ph * ph;
    const int64_t xd[4] = {1, m.C, m.H, m.H}, wd[4] = {m.K, m.C, 3, 3}, bd[1] = {m.K},
                  fwd[2] = {feat, m.out}, fbd[1] = {m.out}, two[2] = {2, 2},
                  strides[2] = {m.stride, m.stride}, pads[4] = {1, 1, 1, 1};
    const char *conv_in[3] = {"x", "w", "b"}, *c[1] = {"c"}, *r[1] = {"r"}, *p[1] = {"p"},
               *f[1] = {"f"}, *fc_in[3] = {"f", "fw", "fb"}, *y[1] = {"y"};
    nngpu_graph *g = nngpu_graph_create();
    nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, xd);
    add_random(g, "w", 4, wd, 1.0f / sqrtf((float)m.C * 9));
    add_random(g, "b", 1, bd, 0.5f);
    add_random(g, "fw", 2, fwd, 1.0f / sqrtf((float)feat));
    add_random(g, "fb", 1, fbd, 0.5f);
    nngpu_graph_add_node(g, "Conv", "conv", 3, conv_in, 1, c);
    nngpu_graph_set_attr_ints(g, "strides", 2, strides);
    nngpu_graph_set_attr_ints(g, "pads", 4, pads);
    nngpu_graph_add_node(g, "Relu", "relu", 1, c, 1, r);
    if (m.pool) {
        nngpu_graph_add_node(g, "MaxPool", "pool", 1, r, 1, p);
        nngpu_graph_set_attr_ints(g, "kernel_shape", 2, two);
        nngpu_graph_set_attr_ints(g, "strides", 2, two);
    }
    nngpu_graph_add_node(g, "Flatten", "flatten", 1, m.pool ? p : r, 1, f);
    nngpu_graph_add_node(g, "Gemm", "fc", 3, fc_in, 1, y);
    nngpu_graph_add_output(g, "y");
    nngpu_model *model = NULL;
    TH_EXPECT(nngpu_model_from_graph(g, &model) == NNGPU_OK, "building the model");
    return model;
}

/* The sharing model: x[1,4,16,16] -> Conv 3x3/2 + Relu -> MaxPool 2x2/2 ->
 * Flatten -> Gemm -> y[1,10]: three pipelines on lavapipe (implicit GEMM,
 * pool, GEMM). */
static const conv_fc small_model = {4, 8, 16, 2, 1, N_OUT};

static nngpu_session *create(const nngpu_model *m, const char *sel) {
    nngpu_session *s = NULL;
    TH_EXPECT(nngpu_session_create(m, sel, NULL, &s) == NNGPU_OK, "creating a session on %s", sel);
    return s;
}

/* Runs s on `input`; 0 on failure. */
static int run(nngpu_session *s, float out[N_OUT]) {
    nngpu_tensor in = {.name = "x", .dtype = NNGPU_DTYPE_FLOAT32, .rank = 4,
                       .dims = {1, 4, 16, 16}, .data = input, .size_bytes = sizeof input};
    nngpu_tensor o = {.data = out, .size_bytes = N_OUT * sizeof(float)};
    return s && nngpu_session_run(s, 1, &in, 1, &o) == NNGPU_OK;
}

/* max |out - expect| over max |expect|. */
static double error(const float *out) {
    double e = 0, scale = 1e-30;
    for (int i = 0; i < N_OUT; i++) {
        e = fmax(e, fabs((double)out[i] - expect[i]));
        scale = fmax(scale, fabs((double)expect[i]));
    }
    return e / scale;
}

/* Runs s and checks its output against the reference and `same` (bit for
 * bit; NULL: none); the output goes to out. */
static void check_run(nngpu_session *s, const char *what, const float *same, float *out) {
    TH_EXPECT(run(s, out), "%s: run failed", what);
    TH_EXPECT(error(out) <= TOL, "%s: error %g vs the CPU reference", what, error(out));
    if (same) TH_EXPECT(memcmp(out, same, N_OUT * sizeof(float)) == 0, "%s: outputs differ", what);
}

typedef struct worker {
    const nngpu_model *m;
    const char *dev;
    float out[N_OUT];
    int ok;
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    nngpu_session *s = NULL;
    w->ok = nngpu_session_create(w->m, w->dev, NULL, &s) == NNGPU_OK;
    for (int i = 0; i < 4 && w->ok; i++) w->ok = run(s, w->out);
    nngpu_session_destroy(s);
    return NULL;
}

/* The pipeline cache file exists in dir. */
static int cache_file_in(const char *dir) {
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        found |= strncmp(e->d_name, "vk_pipelines_", 13) == 0;
    if (d) closedir(d);
    return found;
}

/* What a backend compiled (Vulkan pipelines, OpenCL programs), found
 * compiled, and the shared devices it has open; Vulkan: the pipelines held
 * (OpenCL: -1, its registry keeps programs while the device is open). */
typedef struct counts {
    int built, reused, devices, registered;
} counts;

static int is_vulkan(const char *dev) { return !strncmp(dev, "vulkan", 6); }

static counts counts_of(const char *dev) {
    if (is_vulkan(dev)) {
        ng_vk_pipeline_stats v = ng_vk_pipeline_stats_get();
        return (counts){v.compiled, v.reused, v.devices, v.registered};
    }
    ng_cl_share_stats c = ng_cl_share_stats_get();
    return (counts){c.built, c.reused, c.devices, -1};
}

/* Lookups a session of k compiled objects makes: Vulkan one per pipeline,
 * OpenCL one per layer, so at least k (programs are per source and options). */
static int reuse_ok(const char *dev, int reused, int k) { return is_vulkan(dev) ? reused == k : reused >= k; }

/* Vulkan only: an injected pipeline failure fails its session only and
 * leaves no entry; so does an allocation limit; `healthy` runs on. */
static void vulkan_faults(const nngpu_model *m, nngpu_session *healthy, const float *first) {
    const char *dev = "vulkan:0";
    float out[N_OUT];
    for (int rep = 0; rep < 2; rep++) {
        ng_vk_pipeline_stats a = ng_vk_pipeline_stats_get();
        setenv("NNGPU_VK_FAIL_PIPELINE", "pool", 1);
        nngpu_session *bad = NULL;
        nngpu_status st = nngpu_session_create(m, dev, NULL, &bad);
        unsetenv("NNGPU_VK_FAIL_PIPELINE");
        TH_EXPECT(st != NNGPU_OK && !bad && strstr(nngpu_last_error(), "shader 'pool'") &&
                      strstr(nngpu_last_error(), "node 'pool'"),
                  "injected pipeline failure: status %d, '%s'", (int)st, nngpu_last_error());
        nngpu_session_destroy(bad);
        ng_vk_pipeline_stats b = ng_vk_pipeline_stats_get();
        TH_EXPECT(b.compiled == a.compiled + 1 && b.registered == a.registered,
                  "injected failure %d: %d built, %d registered after (%d before)", rep,
                  b.compiled - a.compiled, b.registered, a.registered);
    }
    ng_vk_pipeline_stats before_oom = ng_vk_pipeline_stats_get();
    setenv("NNGPU_VK_ALLOC_LIMIT", "1024", 1);
    nngpu_session *oom = NULL;
    nngpu_status st = nngpu_session_create(m, dev, NULL, &oom);
    unsetenv("NNGPU_VK_ALLOC_LIMIT");
    TH_EXPECT(st == NNGPU_ERR_OUT_OF_MEMORY && strstr(nngpu_last_error(), "NNGPU_VK_ALLOC_LIMIT"),
              "allocation limit: status %d, '%s'", (int)st, nngpu_last_error());
    nngpu_session_destroy(oom);
    check_run(healthy, "healthy session next to failed ones", first, out);
    nngpu_session *after = create(m, dev);
    check_run(after, "session after the failures", first, out);
    TH_EXPECT(ng_vk_pipeline_stats_get().compiled == before_oom.compiled,
              "the allocation-limited session or the one after it compiled");
    nngpu_session_destroy(after);
}

static void share_on(const nngpu_model *m, const char *dev, const char *cache) {
    float first[N_OUT], out[N_OUT];
    /* one session compiles, the second shares everything */
    counts c0 = counts_of(dev);
    nngpu_session *s1 = create(m, dev);
    counts c1 = counts_of(dev);
    int k = c1.built - c0.built;
    TH_EXPECT(k > 0 && c1.devices == 1 && (!is_vulkan(dev) || c1.registered == k),
              "%s, first session: %d built, %d registered, %d devices", dev, k, c1.registered, c1.devices);
    nngpu_session *s2 = create(m, dev);
    counts c2 = counts_of(dev);
    TH_EXPECT(c2.built == c1.built && reuse_ok(dev, c2.reused - c1.reused, k) && c2.devices == 1,
              "%s, second session: %d built, %d reused (want 0, %s%d)", dev, c2.built - c1.built,
              c2.reused - c1.reused, is_vulkan(dev) ? "" : ">= ", k);
    check_run(s1, "first session", NULL, first);
    check_run(s2, "second session", first, out);

    /* either order: the newer goes first, then the older */
    nngpu_session_destroy(s2);
    check_run(s1, "first session after the second went", first, out);
    nngpu_session *s3 = create(m, dev);
    nngpu_session_destroy(s1);
    check_run(s3, "third session after the first went", first, out);
    TH_EXPECT(counts_of(dev).built == c1.built, "%s: the third session compiled", dev);
    if (is_vulkan(dev)) vulkan_faults(m, s3, first);
    nngpu_session_destroy(s3);
    counts gone = counts_of(dev);
    TH_EXPECT(gone.devices == 0, "%s, after the last session: %d devices open", dev, gone.devices);
    if (is_vulkan(dev)) {
        TH_EXPECT(gone.registered == 0, "pipelines left after the last session");
        if (cache) TH_EXPECT(cache_file_in(cache), "no pipeline cache file written in %s", cache);
    }

    /* two threads create (racing for the device and everything it builds) and
     * run; what one builds the other waits for */
    worker w[2] = {{.m = m, .dev = dev}, {.m = m, .dev = dev}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) TH_EXPECT(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0, "thread");
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    counts th = counts_of(dev);
    for (int i = 0; i < 2; i++) {
        TH_EXPECT(w[i].ok, "%s, thread %d: %s", dev, i, nngpu_last_error());
        TH_EXPECT(w[i].ok && memcmp(w[i].out, first, sizeof first) == 0, "%s, thread %d: outputs differ",
                  dev, i);
    }
    int built = th.built - gone.built;
    TH_EXPECT(built == k && reuse_ok(dev, th.reused - gone.reused, k) && th.devices == 0,
              "%s, two threads: %d built, %d reused (want %d each), %d devices left", dev, built,
              th.reused - gone.reused, k, th.devices);
    printf("%s: %d built per session, %d by two racing threads\n", dev, k, built);
}

/* ---- Vulkan: large constants shared between sessions of one model ---- */

/* x[1,48,12,12] -> Conv 3x3/1 (Winograd on CPU devices: transformed weights
 * 147 KB; else its 83 KB weights) + Relu -> Flatten -> Gemm (weights 221 KB)
 * -> y[1,8]. */
enum { WC = 48, WH = 12, W_OUT = 8 };
static const conv_fc wide_model = {WC, WC, WH, 1, 0, W_OUT};
static float w_input[WC * WH * WH];

/* Runs s on w_input into out; checks out against `ref` (relative max error)
 * and, when `same`, bit for bit against it. */
static void check_wide(nngpu_session *s, const char *what, const float *ref, const float *same,
                       float *out) {
    nngpu_tensor in = {.name = "x", .dtype = NNGPU_DTYPE_FLOAT32, .rank = 4,
                       .dims = {1, WC, WH, WH}, .data = w_input, .size_bytes = sizeof w_input};
    nngpu_tensor o = {.data = out, .size_bytes = W_OUT * sizeof(float)};
    TH_EXPECT(s && nngpu_session_run(s, 1, &in, 1, &o) == NNGPU_OK, "%s: run failed: %s", what,
              nngpu_last_error());
    double e = 0, scale = 1e-30;
    for (int i = 0; i < W_OUT; i++) {
        TH_EXPECT(isfinite(out[i]), "%s: output %d is %g", what, i, out[i]);
        e = fmax(e, fabs((double)out[i] - ref[i]));
        scale = fmax(scale, fabs((double)ref[i]));
    }
    TH_EXPECT(e / scale <= TOL, "%s: error %g vs the CPU reference", what, e / scale);
    if (same) TH_EXPECT(memcmp(out, same, W_OUT * sizeof(float)) == 0, "%s: outputs differ", what);
}

/* The content hash that keys shared constants: equal bytes hash equal;
 * every prefix length and every one-bit change gives another hash. */
static void content_hash(void) {
    unsigned char buf[72];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 37 + 11);
    uint64_t h[sizeof buf + 1][2], again[2];
    for (size_t n = 0; n <= sizeof buf; n++) {
        ng_hash128(buf, n, h[n]);
        ng_hash128(buf, n, again);
        TH_EXPECT(memcmp(h[n], again, sizeof again) == 0, "hash of %zu bytes not repeatable", n);
        for (size_t m = 0; m < n; m++)
            TH_EXPECT(memcmp(h[m], h[n], sizeof again) != 0, "prefixes %zu and %zu collide", m, n);
    }
    for (size_t i = 0; i < sizeof buf * 8; i++) {
        buf[i / 8] ^= (unsigned char)(1u << (i % 8));
        ng_hash128(buf, sizeof buf, again);
        buf[i / 8] ^= (unsigned char)(1u << (i % 8));
        TH_EXPECT(memcmp(h[sizeof buf], again, sizeof again) != 0, "bit %zu changes nothing", i);
    }
}

static void shared_constants(void) {
    const char *dev = "vulkan:0";
    nngpu_model *m = make_conv_fc(wide_model), *other = make_conv_fc(wide_model);
    float ref[W_OUT], ref_other[W_OUT], first[W_OUT], out[W_OUT];
    nngpu_session *cpu = create(m, "cpu");
    check_wide(cpu, "wide model on the CPU", ref, NULL, ref); /* fills ref */
    nngpu_session_destroy(cpu);
    cpu = create(other, "cpu");
    check_wide(cpu, "other wide model on the CPU", ref_other, NULL, ref_other);
    nngpu_session_destroy(cpu);

    ng_vk_const_stats c0 = ng_vk_const_stats_get();
    nngpu_session *a = create(m, dev);
    ng_vk_const_stats c1 = ng_vk_const_stats_get();
    int k = c1.made - c0.made;
    TH_EXPECT(k >= 2 && c1.reused == c0.reused && c1.live == c0.live + k,
              "first session: %d constants made (want >= 2: Conv and Gemm weights), %d "
              "reused, %d live", k, c1.reused - c0.reused, c1.live - c0.live);
    nngpu_session *b = create(m, dev);
    ng_vk_const_stats c2 = ng_vk_const_stats_get();
    TH_EXPECT(c2.made == c1.made && c2.reused == c1.reused + k && c2.live == c1.live,
              "second session of the model: %d made, %d reused (want 0, %d)", c2.made - c1.made,
              c2.reused - c1.reused, k);
    check_wide(a, "first session", ref, NULL, first);
    check_wide(b, "second session (shared constants)", ref, first, out);

    /* a model of the same shapes with other weights shares nothing */
    nngpu_session *o = create(other, dev);
    ng_vk_const_stats c3 = ng_vk_const_stats_get();
    TH_EXPECT(c3.made == c2.made + k && c3.reused == c2.reused,
              "other weights: %d made, %d reused (want %d, 0)", c3.made - c2.made,
              c3.reused - c2.reused, k);
    check_wide(o, "other model's session", ref_other, NULL, out);

    /* the maker goes first: the constants live on with the second session */
    nngpu_session_destroy(a);
    TH_EXPECT(ng_vk_const_stats_get().live == c3.live, "constants freed while still used");
    check_wide(b, "second session after the first went", ref, first, out);
    nngpu_session_destroy(b);
    nngpu_session_destroy(o);
    TH_EXPECT(ng_vk_const_stats_get().live == c0.live, "%d shared constants left",
              ng_vk_const_stats_get().live - c0.live);
    printf("%s: %d shared constants per session of a model\n", dev, k);
    nngpu_model_destroy(m);
    nngpu_model_destroy(other);
}

/* A session's graph borrows the model's weights (ng_graph_clone_sharing_data):
 * the model may be destroyed first. The CPU session reads them every run; the
 * freed model's 221 KB Gemm weights would be unmapped, smaller blocks reused. */
static void model_goes_first(void) {
    nngpu_model *m = make_conv_fc(wide_model);
    float ref[W_OUT], out[W_OUT];
    nngpu_session *s = create(m, "cpu");
    check_wide(s, "wide model on the CPU", ref, NULL, ref);
    nngpu_model_destroy(m);
    for (size_t bytes = 1024; bytes <= (1 << 20); bytes *= 2) { /* reuse freed memory */
        void *junk = malloc(bytes);
        TH_EXPECT(junk != NULL, "out of memory");
        if (junk) memset(junk, 0xff, bytes); /* NaN as float */
        free(junk);
    }
    check_wide(s, "CPU session after its model went", ref, ref, out);
    nngpu_session_destroy(s);
}

/* Sessions of one model, input shapes and pass options share its graph
 * after the passes (runtime/prepared.c) and the content hashes of its large
 * constants: the second compiles nothing, hashes nothing, reports the same. */
static void prepared_graphs(const char *dev) {
    nngpu_model *m = make_conv_fc(wide_model);
    float ref[W_OUT], first[W_OUT], out[W_OUT];
    ng_prepared_stats p0 = ng_prepared_stats_get();
    nngpu_session *cpu = create(m, "cpu");
    check_wide(cpu, "wide model on the CPU", ref, NULL, ref);
    nngpu_session *a = create(m, dev);
    ng_prepared_stats p1 = ng_prepared_stats_get();
    TH_EXPECT(p1.made == p0.made + 2 && p1.reused == p0.reused && p1.live == p0.live + 2,
              "%s: CPU and device sessions: %d prepared graphs made, %d reused (want 2, 0)", dev,
              p1.made - p0.made, p1.reused - p0.reused);
    int hits0, hits1, registered;
    ng_hash_memo_stats(&hits0, &registered);
    nngpu_session *b = create(m, dev);
    ng_prepared_stats p2 = ng_prepared_stats_get();
    ng_hash_memo_stats(&hits1, &registered);
    TH_EXPECT(p2.made == p1.made && p2.reused == p1.reused + 1 && p2.live == p1.live,
              "%s, second session: %d made, %d reused (want 0, 1)", dev, p2.made - p1.made,
              p2.reused - p1.reused);
    TH_EXPECT(!is_vulkan(dev) || hits1 >= hits0 + 2,
              "%s, second session: %d content hashes remembered (want >= 2)", dev, hits1 - hits0);
    TH_EXPECT(strcmp(nngpu_session_summary(a), nngpu_session_summary(b)) == 0,
              "%s: the second session's summary differs:\n%s---\n%s", dev,
              nngpu_session_summary(a), nngpu_session_summary(b));
    check_wide(a, "first session", ref, NULL, first);
    check_wide(b, "second session (prepared graph)", ref, first, out);

    /* other pass options: passes of its own */
    nngpu_options o;
    nngpu_options_init(&o);
    o.disabled_passes = NNGPU_PASS_FUSE_EPILOGUE;
    nngpu_session *c = NULL;
    TH_EXPECT(nngpu_session_create(m, dev, &o, &c) == NNGPU_OK, "%s: unfused session", dev);
    TH_EXPECT(ng_prepared_stats_get().made == p2.made + 1, "%s: other options reused a graph", dev);
    check_wide(c, "unfused session", ref, NULL, out);
    nngpu_model_destroy(m); /* the sessions keep what they use */
    nngpu_session_destroy(a);
    check_wide(b, "second session after the first and the model went", ref, first, out);
    nngpu_session_destroy(b);
    nngpu_session_destroy(c);
    nngpu_session_destroy(cpu);
    ng_hash_memo_stats(&hits1, &registered);
    TH_EXPECT(ng_prepared_stats_get().live == p0.live && registered == 0,
              "%s: %d prepared graphs and %d remembered hashes left", dev,
              ng_prepared_stats_get().live - p0.live, registered);
}

/* x [16, 1024] -> rows whose sum is positive (NonZero: a run-time tail) ->
 * MatMul by a 16 MiB weight: a tail that heavy (a detector's head) runs on
 * the device from its first run, not on the host reference first. Returns
 * the first run's output rows (y [K, 4096]) into y, K into *k. */
enum { HT_N = 16, HT_K = 1024, HT_M = 4096 };

static nngpu_model *make_heavy_tail(void) {
    const int64_t xd[2] = {HT_N, HT_K}, wd[2] = {HT_K, HT_M}, one[1] = {1}, zero[1] = {0};
    const int64_t axis1 = 1, axis0 = 0;
    float z = 0;
    nngpu_graph *g = nngpu_graph_create();
    nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 2, xd);
    add_random(g, "w", 2, wd, 1.0f / 32);
    nngpu_graph_add_constant(g, "axes1", NNGPU_DTYPE_INT64, 1, one, &axis1);
    nngpu_graph_add_constant(g, "axes0", NNGPU_DTYPE_INT64, 1, one, &axis0);
    nngpu_graph_add_constant(g, "zero", NNGPU_DTYPE_FLOAT32, 0, zero, &z);
    const char *sum_in[2] = {"x", "axes1"}, *gt_in[2] = {"s", "zero"}, *sq_in[2] = {"nz", "axes0"},
               *ga_in[2] = {"x", "idx"}, *mm_in[2] = {"rows", "w"};
    const char *s_[1] = {"s"}, *gt[1] = {"gt"}, *nz[1] = {"nz"}, *idx[1] = {"idx"}, *rows[1] = {"rows"},
               *y[1] = {"y"};
    nngpu_graph_add_node(g, "ReduceSum", "sum", 2, sum_in, 1, s_);
    nngpu_graph_set_attr_int(g, "keepdims", 0);
    nngpu_graph_add_node(g, "Greater", "positive", 2, gt_in, 1, gt);
    nngpu_graph_add_node(g, "NonZero", "which", 1, gt, 1, nz);
    nngpu_graph_add_node(g, "Squeeze", "squeeze", 2, sq_in, 1, idx);
    nngpu_graph_add_node(g, "Gather", "pick", 2, ga_in, 1, rows);
    nngpu_graph_add_node(g, "MatMul", "head", 2, mm_in, 1, y);
    nngpu_graph_add_output(g, "y");
    nngpu_model *model = NULL;
    TH_EXPECT(nngpu_model_from_graph(g, &model) == NNGPU_OK, "building the heavy-tail model");
    return model;
}

static int run_heavy(nngpu_session *s, const float *x, float *y, int64_t *k, int *tail_kernels) {
    nngpu_tensor in = {.name = "x", .dtype = NNGPU_DTYPE_FLOAT32, .rank = 2,
                       .dims = {HT_N, HT_K}, .data = (void *)x, .size_bytes = HT_N * HT_K * sizeof(float)};
    nngpu_tensor o = {0};
    if (nngpu_session_run(s, 1, &in, 1, &o) != NNGPU_OK || o.rank != 2) return 0;
    *k = o.dims[0];
    o.data = y;
    o.size_bytes = HT_N * HT_M * sizeof(float);
    nngpu_session_stats st;
    nngpu_session_get_stats(s, &st);
    *tail_kernels = st.tail_kernels;
    return nngpu_session_read_output(s, 0, &o) == NNGPU_OK;
}

static void heavy_tail(const char *dev) {
    nngpu_model *m = make_heavy_tail();
    float *x = malloc(sizeof(float) * HT_N * HT_K), *want = malloc(sizeof(float) * HT_N * HT_M),
          *got = malloc(sizeof(float) * HT_N * HT_M);
    TH_EXPECT(m && x && want && got, "heavy tail: out of memory");
    if (m && x && want && got) {
        th_fill(x, (size_t)HT_N * HT_K, -1, 1);
        nngpu_session *ref = create(m, "cpu"), *s = create(m, dev);
        int64_t k_ref = 0, k = 0;
        int ref_tail = 0, tail = 0;
        TH_EXPECT(ref && run_heavy(ref, x, want, &k_ref, &ref_tail), "heavy tail: the CPU run");
        TH_EXPECT(s && run_heavy(s, x, got, &k, &tail), "heavy tail: the %s run", dev);
        TH_EXPECT(k == k_ref && k > 0, "heavy tail: %lld rows on %s, %lld on the CPU", (long long)k,
                  dev, (long long)k_ref);
        TH_EXPECT(tail > 0, "heavy tail on %s: its first run ran %d device kernels", dev, tail);
        double err = 0, mag = 0;
        for (int64_t i = 0; i < k * HT_M && k == k_ref; i++) {
            err = fmax(err, fabs(got[i] - want[i]));
            mag = fmax(mag, fabs(want[i]));
        }
        TH_EXPECT(err <= 1e-4 * mag, "heavy tail on %s: error %g of %g", dev, err, mag);
        printf("%s: a heavy run-time tail ran %d kernels on its first run (%lld rows, error %.2g)\n", dev,
               tail, (long long)k, mag > 0 ? err / mag : err);
        nngpu_session_destroy(s);
        nngpu_session_destroy(ref);
    }
    free(x);
    free(want);
    free(got);
    nngpu_model_destroy(m);
}

int main(int argc, char **argv) {
    th_init(argc, argv);
    content_hash();
    const char *cache = th_scratch_dir("share");
    if (cache) setenv("NNGPU_CACHE_DIR", cache, 1);
    th_fill(w_input, sizeof w_input / 4, -1, 1);
    model_goes_first();
    nngpu_model *m = make_conv_fc(small_model);
    th_fill(input, sizeof input / 4, -1, 1);
    nngpu_session *ref = create(m, "cpu");
    TH_EXPECT(run(ref, expect), "the CPU reference run");
    nngpu_session_destroy(ref);
    const char *devs[2] = {"opencl:0", "vulkan:0"};
    for (int i = 0; i < 2; i++) {
        int idx;
        if (nngpu_device_find(devs[i], &idx) != NNGPU_OK) {
            printf("%s: none here\n", devs[i]);
            continue;
        }
        share_on(m, devs[i], cache);
        prepared_graphs(devs[i]);
        heavy_tail(devs[i]);
        if (is_vulkan(devs[i])) shared_constants();
    }
    nngpu_model_destroy(m);
    th_scratch_remove();
    printf("test_share: %s\n", th_failures() ? "FAILED" : "ok");
    fflush(stdout); /* before any at-exit report (LeakSanitizer) */
    return th_failures() ? 1 : 0;
}
