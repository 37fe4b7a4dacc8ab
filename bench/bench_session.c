/* Session creation time (bench/README.md, "Program binary cache" and
 * "Session creation, vulkan:0"): loads a model, then times
 * nngpu_session_create on a device, once per process so the in-memory
 * program cache never helps; the caller controls the on-disk caches
 * (NNGPU_CACHE_DIR, NNGPU_NO_CACHE, POCL_KERNEL_CACHE, MESA_SHADER_CACHE_DIR)
 * and the compile threads (NNGPU_THREADS). With --run it also times the
 * first run (zero inputs; lavapipe JIT-compiles its shaders there) and a
 * second one. With --second it then creates (and with --run runs) a second
 * session of the model while the first lives: warm in-process (Vulkan
 * shares the device and its pipelines, src/vulkan/vk_shared.c).
 * Usage: bench_session MODEL.onnx [SEL] [--run] [--second]
 * prints {"create_ms": x, ["first_run_ms": y, "second_run_ms": z,]
 *         ["second_session": {"create_ms": ..., ...},] "loaded": n, ...,
 *         "vk_compiled": n, "vk_reused": n} */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nngpu/nngpu.h"
#include "opencl/cl_binary_cache.h"
#include "vulkan/vk_stats.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t tensor_bytes(nngpu_dtype t, int rank, const int64_t *dims) {
    size_t n = nngpu_dtype_size(t);
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

/* Runs s twice on zero inputs; the two times in ms. Returns 0 on success. */
static int time_runs(const nngpu_model *m, nngpu_session *s, double ms[2]) {
    int ni = nngpu_model_input_count(m), no = nngpu_model_output_count(m), ok = 1;
    nngpu_tensor *in = calloc((size_t)ni + 1, sizeof *in), *out = calloc((size_t)no + 1, sizeof *out);
    for (int i = 0; ok && in && i < ni; i++) {
        nngpu_tensor_desc d;
        ok = nngpu_model_input(m, i, &d) == NNGPU_OK;
        for (int k = 0; ok && k < d.rank; k++)
            if (d.dims[k] < 1) d.dims[k] = 1; /* symbolic: the session's default */
        in[i] = (nngpu_tensor){.name = d.name, .dtype = d.dtype, .rank = d.rank};
        memcpy(in[i].dims, d.dims, sizeof d.dims);
        in[i].size_bytes = tensor_bytes(d.dtype, d.rank, d.dims);
        ok = ok && (in[i].data = calloc(1, in[i].size_bytes + 1)) != NULL;
    }
    for (int i = 0; ok && out && i < no; i++) {
        nngpu_tensor_desc d;
        ok = nngpu_session_output(s, i, &d) == NNGPU_OK;
        out[i].size_bytes = ok ? tensor_bytes(d.dtype, d.rank, d.dims) : 0;
        ok = ok && (out[i].data = malloc(out[i].size_bytes + 1)) != NULL;
    }
    for (int r = 0; ok && in && out && r < 2; r++) {
        double t0 = now_ms();
        ok = nngpu_session_run(s, ni, in, no, out) == NNGPU_OK;
        ms[r] = now_ms() - t0;
    }
    for (int i = 0; in && i < ni; i++) free(in[i].data);
    for (int i = 0; out && i < no; i++) free(out[i].data);
    ok = ok && in && out;
    free(in);
    free(out);
    return ok ? 0 : -1;
}

typedef struct timing {
    double create_ms, runs_ms[2];
} timing;

/* Creates a session of m on sel and, with run, runs it twice; NULL on failure. */
static nngpu_session *timed_session(const nngpu_model *m, const char *sel, int run, timing *t) {
    nngpu_options o;
    nngpu_options_init(&o);
    nngpu_session *s = NULL;
    double t0 = now_ms();
    nngpu_status st = nngpu_session_create(m, sel, &o, &s);
    t->create_ms = now_ms() - t0;
    if (st == NNGPU_OK && run && time_runs(m, s, t->runs_ms) != 0) st = NNGPU_ERR_INTERNAL;
    if (st != NNGPU_OK) {
        fprintf(stderr, "bench_session: %s\n", nngpu_last_error());
        nngpu_session_destroy(s);
        return NULL;
    }
    return s;
}

static void print_timing(const timing *t, int run) {
    printf("\"create_ms\": %.1f, ", t->create_ms);
    if (run) printf("\"first_run_ms\": %.1f, \"second_run_ms\": %.1f, ", t->runs_ms[0], t->runs_ms[1]);
}

int main(int argc, char **argv) {
    const char *model = NULL, *sel = "opencl:0";
    int run = 0, second = 0, n_pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--run") == 0) run = 1;
        else if (strcmp(argv[i], "--second") == 0) second = 1;
        else if (n_pos++ == 0) model = argv[i];
        else sel = argv[i];
    }
    if (!model) {
        fprintf(stderr, "usage: bench_session MODEL.onnx [SEL] [--run] [--second]\n");
        return 2;
    }
    nngpu_model *m = NULL;
    if (nngpu_model_load_file(model, &m) != NNGPU_OK) {
        fprintf(stderr, "bench_session: %s\n", nngpu_last_error());
        return 1;
    }
    timing t1 = {0}, t2 = {0};
    nngpu_session *s = timed_session(m, sel, run, &t1);
    ng_vk_pipeline_stats first = ng_vk_pipeline_stats_get();
    nngpu_session *s2 = s && second ? timed_session(m, sel, run, &t2) : NULL;
    int ok = s && (!second || s2);
    if (ok) {
        ng_cl_binary_stats bs = ng_cl_binary_stats_get();
        ng_vk_pipeline_stats vs = ng_vk_pipeline_stats_get();
        printf("{");
        print_timing(&t1, run);
        if (second) {
            printf("\"second_session\": {");
            print_timing(&t2, run);
            printf("\"vk_compiled\": %d}, ", vs.compiled - first.compiled);
        }
        printf("\"loaded\": %d, \"stored\": %d, \"rejected\": %d, \"vk_compiled\": %d, "
               "\"vk_reused\": %d}\n",
               bs.loaded, bs.stored, bs.rejected, vs.compiled, vs.reused);
    }
    nngpu_session_destroy(s2);
    nngpu_session_destroy(s);
    nngpu_model_destroy(m);
    return ok ? 0 : 1;
}
