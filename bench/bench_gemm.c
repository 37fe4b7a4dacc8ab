/* bench_gemm: our GEMM (a one-node MatMul graph run by an nngpu session)
 * beside CLBlast's SGEMM with its default parameters, on the same OpenCL
 * device, in the same process.
 *   bench_gemm [--device opencl:N] [--m M] [--n N] [--k K] [--runs R]
 *              [--warmup W] [--json]
 * Both sides: W warm-up runs, then R timed runs; medians and minima of device
 * time (OpenCL profiling events) are reported. Ours: the layer's time_ms from
 * nngpu_session_layer. CLBlast: on a profiling queue of its own, from the
 * start of a marker enqueued just before the call to the end of the event
 * CLBlast returns: its default path enqueues several kernels (transposes
 * around Xgemm) and its event covers only the last. The two results are
 * compared (relative error), and sampled entries are checked in float64; a
 * wrong result fails the run (exit status 1).
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CL/cl.h>
#include <clblast_c.h>

#include "core/driver_env.h"
#include "nngpu/graph.h"
#include "nngpu/nngpu.h"

typedef struct args {
    const char *device;
    int m, n, k, runs, warmup, json;
} args;

typedef struct stats {
    double median, min;
} stats;

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static stats stats_of(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    stats s = {n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), v[0]};
    return s;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int parse_int(const char *opt, const char *val, int lo, int *out) {
    char *end;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || *end || v < lo || v > 1 << 20) {
        fprintf(stderr, "bench_gemm: error: %s wants an integer >= %d, got '%s'\n", opt, lo,
                val ? val : "");
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int parse_args(int argc, char **argv, args *a) {
    *a = (args){"opencl:0", 1024, 1024, 1024, 10, 2, 0};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (!strcmp(o, "--json")) { a->json = 1; continue; }
        if (!strcmp(o, "--device") && v) a->device = v;
        else if (!strcmp(o, "--m")) ok = parse_int(o, v, 1, &a->m);
        else if (!strcmp(o, "--n")) ok = parse_int(o, v, 1, &a->n);
        else if (!strcmp(o, "--k")) ok = parse_int(o, v, 1, &a->k);
        else if (!strcmp(o, "--runs")) ok = parse_int(o, v, 1, &a->runs);
        else if (!strcmp(o, "--warmup")) ok = parse_int(o, v, 0, &a->warmup);
        else {
            fprintf(stderr, "usage: bench_gemm [--device opencl:N] [--m M] [--n N] [--k K] "
                            "[--runs R] [--warmup W] [--json]\n");
            return 0;
        }
        if (!ok) return 0;
        i++;
    }
    return 1;
}

static void fill_random(float *p, size_t n, unsigned *seed) {
    for (size_t i = 0; i < n; i++) p[i] = (float)rand_r(seed) / RAND_MAX * 2.0f - 1.0f;
}

static int fail_ng(const char *what) {
    fprintf(stderr, "bench_gemm: error: %s: %s\n", what, nngpu_last_error());
    return 0;
}

/* ---- ours: a one-node MatMul graph ----------------------------------------- */

typedef struct ours_result {
    stats dev, host;     /* device time of the layer; host time of session_run */
    char kernel[96], params_source[32];
} ours_result;

static int run_ours(const args *a, const float *A, const float *B, float *Y, ours_result *r) {
    nngpu_graph *g = nngpu_graph_create();
    if (!g) return fail_ng("graph");
    int64_t da[2] = {a->m, a->k}, db[2] = {a->k, a->n};
    const char *ins[2] = {"A", "B"}, *outs[1] = {"Y"};
    nngpu_graph_set_opset(g, 13);
    if (nngpu_graph_add_input(g, "A", NNGPU_DTYPE_FLOAT32, 2, da) != NNGPU_OK ||
        nngpu_graph_add_input(g, "B", NNGPU_DTYPE_FLOAT32, 2, db) != NNGPU_OK ||
        nngpu_graph_add_node(g, "MatMul", "matmul", 2, ins, 1, outs) != NNGPU_OK ||
        nngpu_graph_add_output(g, "Y") != NNGPU_OK) {
        nngpu_graph_destroy(g);
        return fail_ng("building the MatMul graph");
    }
    nngpu_model *m = NULL;
    nngpu_session *s = NULL;
    if (nngpu_model_from_graph(g, &m) != NNGPU_OK) return fail_ng("model");
    nngpu_options o;
    nngpu_options_init(&o);
    o.profiling = 1;
    o.allow_cpu_fallback = 0;
    int ok = 0;
    double *dev = calloc((size_t)a->runs, sizeof *dev), *host = calloc((size_t)a->runs, sizeof *host);
    if (!dev || !host) {
        fprintf(stderr, "bench_gemm: error: out of memory\n");
        goto done;
    }
    if (nngpu_session_create(m, a->device, &o, &s) != NNGPU_OK) {
        fail_ng("session on the device");
        goto done;
    }
    nngpu_tensor in[2] = {
        {"A", NNGPU_DTYPE_FLOAT32, 2, {a->m, a->k}, (void *)A, sizeof(float) * (size_t)a->m * a->k},
        {"B", NNGPU_DTYPE_FLOAT32, 2, {a->k, a->n}, (void *)B, sizeof(float) * (size_t)a->k * a->n}};
    nngpu_tensor out = {"Y", NNGPU_DTYPE_FLOAT32, 0, {0}, Y, sizeof(float) * (size_t)a->m * a->n};
    for (int i = 0; i < a->warmup + a->runs; i++) {
        double t0 = now_ms();
        if (nngpu_session_run(s, 2, in, 1, &out) != NNGPU_OK) {
            fail_ng("session run");
            goto done;
        }
        double t1 = now_ms();
        double t = 0.0;
        int nl = nngpu_session_layer_count(s);
        for (int l = 0; l < nl; l++) {
            nngpu_layer_info li;
            if (nngpu_session_layer(s, l, &li) != NNGPU_OK || li.time_ms < 0 || li.on_cpu) {
                fprintf(stderr, "bench_gemm: error: layer %d has no device time (on_cpu=%d)\n", l,
                        li.on_cpu);
                goto done;
            }
            t += li.time_ms;
            if (l == 0) {
                snprintf(r->kernel, sizeof r->kernel, "%s", li.kernel);
                snprintf(r->params_source, sizeof r->params_source, "%s", li.params_source);
            }
        }
        if (i >= a->warmup) {
            dev[i - a->warmup] = t;
            host[i - a->warmup] = t1 - t0;
        }
    }
    r->dev = stats_of(dev, a->runs);
    r->host = stats_of(host, a->runs);
    ok = 1;
done:
    free(dev);
    free(host);
    nngpu_session_destroy(s);
    nngpu_model_destroy(m);
    return ok;
}

/* ---- CLBlast on the same device ------------------------------------------------ */

/* The OpenCL device behind "opencl:N": nngpu lists every platform's devices
 * (CL_DEVICE_TYPE_ALL) in order; the name is checked too. */
static cl_device_id find_cl_device(const args *a, cl_platform_id *plat) {
    int idx;
    nngpu_device_info info;
    if (nngpu_device_find(a->device, &idx) != NNGPU_OK || nngpu_device_get(idx, &info) != NNGPU_OK ||
        info.backend != NNGPU_BACKEND_OPENCL) {
        fprintf(stderr, "bench_gemm: error: '%s' is not an OpenCL device\n", a->device);
        return NULL;
    }
    cl_platform_id plats[8];
    cl_uint np = 0;
    if (clGetPlatformIDs(8, plats, &np) != CL_SUCCESS) return NULL;
    int seen = 0;
    for (cl_uint p = 0; p < np && p < 8; p++) {
        cl_device_id devs[16];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 16, devs, &nd) != CL_SUCCESS) continue;
        for (cl_uint d = 0; d < nd && d < 16; d++, seen++) {
            if (seen != info.backend_index) continue;
            char name[128] = "";
            clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof name, name, NULL);
            if (strcmp(name, info.name) != 0) {
                fprintf(stderr, "bench_gemm: error: device order differs ('%s' vs '%s')\n", name,
                        info.name);
                return NULL;
            }
            *plat = plats[p];
            return devs[d];
        }
    }
    fprintf(stderr, "bench_gemm: error: no OpenCL device %d\n", info.backend_index);
    return NULL;
}

typedef struct clblast_result {
    stats dev;   /* device span: a marker before the call .. the end of its event */
    stats last;  /* its event alone: the last of the kernels CLBlast enqueues */
    stats span;  /* host span: enqueue .. completion */
    char device[128];
} clblast_result;

static double event_ms(cl_event e) {
    cl_ulong t0 = 0, t1 = 0;
    clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
    clGetEventProfilingInfo(e, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    return (double)(t1 - t0) * 1e-6;
}

/* Device time from the start of `first` to the end of `last`. */
static double span_ms(cl_event first, cl_event last) {
    cl_ulong t0 = 0, t1 = 0;
    clGetEventProfilingInfo(first, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
    clGetEventProfilingInfo(last, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
    return (double)(t1 - t0) * 1e-6;
}

static int run_clblast(const args *a, const float *A, const float *B, float *Y,
                       clblast_result *r) {
    cl_platform_id plat;
    cl_device_id dev = find_cl_device(a, &plat);
    if (!dev) return 0;
    clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof r->device, r->device, NULL);
    cl_int err;
    cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        fprintf(stderr, "bench_gemm: error: clCreateContext failed (%d)\n", (int)err);
        return 0;
    }
    cl_command_queue q = clCreateCommandQueue(ctx, dev, CL_QUEUE_PROFILING_ENABLE, &err);
    size_t sa = sizeof(float) * (size_t)a->m * a->k, sb = sizeof(float) * (size_t)a->k * a->n,
           sy = sizeof(float) * (size_t)a->m * a->n;
    cl_mem ba = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sa, (void *)A, &err);
    cl_mem bb = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sb, (void *)B, &err);
    cl_mem by = clCreateBuffer(ctx, CL_MEM_READ_WRITE, sy, NULL, &err);
    double *devt = calloc((size_t)a->runs, sizeof *devt), *span = calloc((size_t)a->runs, sizeof *span);
    double *last = calloc((size_t)a->runs, sizeof *last);
    int ok = q && ba && bb && by && devt && span && last;
    if (!ok) fprintf(stderr, "bench_gemm: error: OpenCL set-up for CLBlast failed\n");
    for (int i = 0; ok && i < a->warmup + a->runs; i++) {
        cl_event e = NULL, pre = NULL;
        clFinish(q);
        double t0 = now_ms();
        clEnqueueMarkerWithWaitList(q, 0, NULL, &pre);
        CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo,
                                            CLBlastTransposeNo, (size_t)a->m, (size_t)a->n,
                                            (size_t)a->k, 1.0f, ba, 0, (size_t)a->k, bb, 0,
                                            (size_t)a->n, 0.0f, by, 0, (size_t)a->n, &q, &e);
        if (st != CLBlastSuccess) {
            fprintf(stderr, "bench_gemm: error: CLBlastSgemm failed with status %d\n", (int)st);
            ok = 0;
            break;
        }
        clWaitForEvents(1, &e);
        clFinish(q);
        double t1 = now_ms();
        if (i >= a->warmup) {
            last[i - a->warmup] = event_ms(e);
            span[i - a->warmup] = t1 - t0;
            devt[i - a->warmup] = span_ms(pre, e);
        }
        clReleaseEvent(e);
        clReleaseEvent(pre);
    }
    if (ok && clEnqueueReadBuffer(q, by, CL_TRUE, 0, sy, Y, 0, NULL, NULL) != CL_SUCCESS) {
        fprintf(stderr, "bench_gemm: error: reading CLBlast's result failed\n");
        ok = 0;
    }
    if (ok) {
        r->dev = stats_of(devt, a->runs);
        r->span = stats_of(span, a->runs);
        r->last = stats_of(last, a->runs);
    }
    free(last);
    free(devt);
    free(span);
    if (by) clReleaseMemObject(by);
    if (bb) clReleaseMemObject(bb);
    if (ba) clReleaseMemObject(ba);
    if (q) clReleaseCommandQueue(q);
    clReleaseContext(ctx);
    return ok;
}

/* ---- checks -------------------------------------------------------------------- */

static double rel_err(const float *y, const float *ref, size_t n) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - ref[i];
        if (isnan(y[i])) return INFINITY;
        num += d * d;
        den += (double)ref[i] * ref[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* Relative error of y against float64 dot products at sampled entries. */
static double sampled_err(const args *a, const float *A, const float *B, const float *y) {
    double num = 0.0, den = 0.0;
    unsigned seed = 99;
    for (int s = 0; s < 1024; s++) {
        int i = rand_r(&seed) % a->m, j = rand_r(&seed) % a->n;
        double ref = 0.0;
        for (int k = 0; k < a->k; k++) ref += (double)A[(size_t)i * a->k + k] * B[(size_t)k * a->n + j];
        double d = y[(size_t)i * a->n + j] - ref;
        if (isnan(y[(size_t)i * a->n + j])) return INFINITY;
        num += d * d;
        den += ref * ref;
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

int main(int argc, char **argv) {
    args a;
    ng_driver_env_defaults();
    if (!parse_args(argc, argv, &a)) return 2;
    size_t na = (size_t)a.m * a.k, nb = (size_t)a.k * a.n, ny = (size_t)a.m * a.n;
    float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B);
    float *yo = malloc(ny * sizeof *yo), *yc = malloc(ny * sizeof *yc);
    if (!A || !B || !yo || !yc) {
        fprintf(stderr, "bench_gemm: error: out of memory\n");
        return 1;
    }
    unsigned seed = 1234;
    fill_random(A, na, &seed);
    fill_random(B, nb, &seed);
    for (size_t i = 0; i < ny; i++) yo[i] = yc[i] = NAN; /* poison */

    ours_result ours;
    clblast_result cb;
    memset(&ours, 0, sizeof ours);
    memset(&cb, 0, sizeof cb);
    if (!run_ours(&a, A, B, yo, &ours) || !run_clblast(&a, A, B, yc, &cb)) return 1;

    double err_vs_clblast = rel_err(yo, yc, ny);
    double err_ours = sampled_err(&a, A, B, yo), err_cb = sampled_err(&a, A, B, yc);
    int correct = err_vs_clblast < 1e-4 && err_ours < 1e-4;
    double flop = 2.0 * a.m * a.n * a.k;
    double g_ours = flop / (ours.dev.median * 1e6), g_cb = flop / (cb.dev.median * 1e6);
    double speedup = cb.dev.median / ours.dev.median;
    double speedup_min = cb.dev.min / ours.dev.min;

    if (a.json) {
        printf("{\"benchmark\": \"sgemm\", \"m\": %d, \"n\": %d, \"k\": %d, \"runs\": %d, "
               "\"warmup\": %d, \"device\": \"%s\", \"device_name\": \"%s\",\n"
               " \"ours\": {\"kernel\": \"%s\", \"params_source\": \"%s\", "
               "\"device_ms\": {\"median\": %.4f, \"min\": %.4f}, "
               "\"session_run_ms\": {\"median\": %.4f, \"min\": %.4f}, \"gflops\": %.2f},\n"
               " \"clblast\": {\"device_ms\": {\"median\": %.4f, \"min\": %.4f}, "
               "\"last_kernel_ms\": {\"median\": %.4f, \"min\": %.4f}, "
               "\"host_span_ms\": {\"median\": %.4f, \"min\": %.4f}, \"gflops\": %.2f},\n"
               " \"speedup_vs_clblast\": %.3f, \"speedup_vs_clblast_min\": %.3f, "
               "\"target_speedup\": 2.5, \"target_met\": %s,\n"
               " \"rel_err_vs_clblast\": %.3e, \"rel_err_ours_fp64\": %.3e, "
               "\"rel_err_clblast_fp64\": %.3e, \"correct\": %s}\n",
               a.m, a.n, a.k, a.runs, a.warmup, a.device, cb.device, ours.kernel,
               ours.params_source, ours.dev.median, ours.dev.min, ours.host.median, ours.host.min,
               g_ours, cb.dev.median, cb.dev.min, cb.last.median, cb.last.min, cb.span.median,
               cb.span.min, g_cb, speedup, speedup_min, speedup >= 2.5 && correct ? "true" : "false",
               err_vs_clblast, err_ours, err_cb, correct ? "true" : "false");
    } else {
        printf("SGEMM %dx%dx%d on %s (%s), %d warm-up + %d timed runs; device times, median (min)\n",
               a.m, a.n, a.k, a.device, cb.device, a.warmup, a.runs);
        printf("  ours     %-24s %9.3f ms (%9.3f)  %7.2f GFLOP/s   session_run on host %.3f ms, "
               "params %s\n",
               ours.kernel, ours.dev.median, ours.dev.min, g_ours, ours.host.median,
               ours.params_source);
        printf("  CLBlast  %-24s %9.3f ms (%9.3f)  %7.2f GFLOP/s   its last kernel %.3f ms, host "
               "span %.3f ms\n",
               "SGEMM, default params", cb.dev.median, cb.dev.min, g_cb, cb.last.median,
               cb.span.median);
        printf("  ratio    CLBlast / ours = %.2fx (medians), %.2fx (minima); target >= 2.5x: %s\n",
               speedup, speedup_min, speedup >= 2.5 && correct ? "met" : "NOT met");
        printf("  check    rel. error ours vs CLBlast %.2e; vs float64 at 1024 sampled entries: "
               "ours %.2e, CLBlast %.2e -> %s\n",
               err_vs_clblast, err_ours, err_cb, correct ? "ok" : "WRONG");
    }
    free(A);
    free(B);
    free(yo);
    free(yc);
    return correct ? 0 : 1;
}
