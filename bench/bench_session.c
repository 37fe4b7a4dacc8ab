/* Session creation time (bench/README.md, "Program binary cache"): loads a
 * model, then times nngpu_session_create on a device, once per process so
 * the in-memory program cache never helps; the caller controls the on-disk
 * cache (NNGPU_CACHE_DIR, NNGPU_NO_CACHE) and POCL's own (POCL_KERNEL_CACHE).
 * Usage: bench_session MODEL.onnx [SEL]   prints {"create_ms": x, "loaded": n, "stored": n} */
#include <stdio.h>
#include <time.h>

#include "nngpu/nngpu.h"
#include "opencl/cl_binary_cache.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_session MODEL.onnx [SEL]\n");
        return 2;
    }
    nngpu_model *m = NULL;
    if (nngpu_model_load_file(argv[1], &m) != NNGPU_OK) {
        fprintf(stderr, "bench_session: %s\n", nngpu_last_error());
        return 1;
    }
    nngpu_options o;
    nngpu_options_init(&o);
    nngpu_session *s = NULL;
    double t0 = now_ms();
    nngpu_status st = nngpu_session_create(m, argc > 2 ? argv[2] : "opencl:0", &o, &s);
    double t1 = now_ms();
    if (st != NNGPU_OK) {
        fprintf(stderr, "bench_session: %s\n", nngpu_last_error());
        return 1;
    }
    ng_cl_binary_stats bs = ng_cl_binary_stats_get();
    printf("{\"create_ms\": %.1f, \"loaded\": %d, \"stored\": %d, \"rejected\": %d}\n", t1 - t0,
           bs.loaded, bs.stored, bs.rejected);
    nngpu_session_destroy(s);
    nngpu_model_destroy(m);
    return 0;
}
