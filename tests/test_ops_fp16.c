/* FP16 precision (options.precision = FP16) on every device against the fp32
 * reference at relative error 1e-2: convolutions with epilogues, GEMM/MatMul,
 * elementwise chains, pools, data movement, softmax, a small residual CNN.
 * OpenCL devices run their half-storage kernels through
 * NNGPU_OPENCL_FP16_STORAGE=1 (set in main; POCL has no cl_khr_fp16).
 * Then the policy: layers really run fp16 on a device with 16-bit storage (an
 * OpenCL one with the variable), a layer whose values overflow fp16 stays
 * fp32 (named in the summary), a device without fp16 (OpenCL without the
 * variable) runs fp32 or, with precision_strict, fails clearly, and the
 * end-to-end guard keeps fp32 the layers whose small fp16 errors a later
 * subtraction blows up (off with fp16_tolerance 1), and layers that only
 * move values take the precision of what they read.
 * Vulkan computes fp16 layers in half (the _h16 shaders, kernels tagged
 * ":f16math") where NNGPU_VULKAN_FP16_MATH=1 or, unset, on GPUs; ctest runs
 * this file twice, the second time (test_ops_fp16_math) with the variable 1, so
 * every case here also checks the half-arithmetic kernels on lavapipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

#define TOL 1e-2
#define D(...) ((const int64_t[]){__VA_ARGS__})

static int failures;

static void check(const char *name, nngpu_graph *g) {
    th_expect_precision(NNGPU_PRECISION_FP16, TOL);
    th_check_graph(name, g, TOL);
}

static nngpu_graph *conv_graph(int c, int k, int ks, int stride, int group, const char *epi) {
    nngpu_graph *g = th_graph(13);
    int64_t h = th_randint(6, 14), w = th_randint(6, 14);
    th_input(g, "x", 4, D(1, c, h, w));
    th_const_rand(g, "w", 4, D(k, c / group, ks, ks), -0.5f, 0.5f);
    th_const_rand(g, "b", 1, D(k), -0.5f, 0.5f);
    th_node(g, "Conv", "x,w,b", "y");
    th_attr_ints(g, "strides", 2, D(stride, stride));
    th_attr_ints(g, "pads", 4, D(ks / 2, ks / 2, ks / 2, ks / 2));
    th_attr_int(g, "group", group);
    if (!strcmp(epi, "relu")) {
        th_node(g, "Relu", "y", "z");
    } else if (!strcmp(epi, "residual")) {
        int64_t oh = (h + 2 * (ks / 2) - ks) / stride + 1, ow = (w + 2 * (ks / 2) - ks) / stride + 1;
        th_input(g, "r", 4, D(1, k, oh, ow));
        th_node(g, "Add", "y,r", "t");
        th_node(g, "Relu", "t", "z");
    } else {
        th_node(g, "Identity", "y", "z");
    }
    th_output(g, "z");
    return g;
}

/* The convolution's own result overflows fp16, its fused Mul brings it back:
 * fine with fp32 arithmetic; with half arithmetic the guard's simulation
 * rounds before the Mul and keeps the layer fp32 (expect_sim_models_math).
 * The Mul's constant varies along the width, so it stays an epilogue step (a
 * scalar or per-channel one would fold into the weights). */
static nngpu_graph *overflow_before_epilogue(void) {
    nngpu_graph *g = th_graph(13);
    float k[6];
    for (int i = 0; i < 6; i++) k[i] = 1e-3f * (1.0f + 0.1f * (float)i);
    th_input(g, "x", 4, D(1, 8, 6, 6));
    th_const_rand(g, "w", 4, D(8, 8, 3, 3), -3e4f, 3e4f);
    th_const_f32(g, "k", 4, D(1, 1, 1, 6), k);
    th_node(g, "Conv", "x,w", "c");
    th_attr_ints(g, "pads", 4, D(1, 1, 1, 1));
    th_node(g, "Mul", "c,k", "m");
    th_node(g, "MaxPool", "m", "y");
    th_attr_ints(g, "kernel_shape", 2, D(2, 2));
    th_output(g, "y");
    return g;
}

static void test_conv(void) {
    check("conv 1x1 relu", conv_graph(8, 16, 1, 1, 1, "relu"));
    check("conv 3x3 bias", conv_graph(4, 8, 3, 1, 1, "none"));
    check("conv 3x3 residual", conv_graph(8, 8, 3, 1, 1, "residual"));
    check("conv 3x3 stride 2", conv_graph(4, 12, 3, 2, 1, "relu"));
    check("conv depthwise", conv_graph(8, 8, 3, 1, 8, "relu"));
    check("conv depthwise stride 2", conv_graph(8, 8, 3, 2, 8, "residual")); /* float8 rows */
    check("conv overflowing fp16 before its fused Mul", overflow_before_epilogue());
}

static void test_gemm(void) {
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 2, D(3, 40));
    th_const_rand(g, "w", 2, D(24, 40), -0.5f, 0.5f);
    th_const_rand(g, "b", 1, D(24), -0.5f, 0.5f);
    th_node(g, "Gemm", "x,w,b", "y");
    th_attr_int(g, "transB", 1);
    th_node(g, "Relu", "y", "z");
    th_output(g, "z");
    check("gemm transB relu", g);
    g = th_graph(13);
    th_input(g, "a", 3, D(2, 9, 17));
    th_input(g, "b", 3, D(2, 17, 12));
    th_node(g, "MatMul", "a,b", "y");
    th_output(g, "y");
    check("matmul batched", g);
}

/* Long reductions: products summed in fp16 over a few terms, added in fp32,
 * keep ~5e-4 at K = 4096 where fp16 accumulation alone reaches ~9e-3 (numpy
 * model of both); the bound 2e-3 tells them apart. MatMul (GEMM K loop), a
 * 1x1 convolution (GEMM over channels), a 3x3 stride-2 one (implicit GEMM or
 * direct, partial sums per kernel row). */
#define LONG_K_TOL 2e-3

static void check_long_k(const char *name, nngpu_graph *g) {
    th_expect_precision(NNGPU_PRECISION_FP16, LONG_K_TOL);
    th_check_graph(name, g, LONG_K_TOL);
}

static void test_long_k(void) {
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 2, D(4, 4096));
    th_const_rand(g, "w", 2, D(4096, 16), -0.5f, 0.5f);
    th_node(g, "MatMul", "x,w", "y");
    th_output(g, "y");
    check_long_k("long K matmul 4x4096x16", g);
    for (int ks = 1; ks <= 3; ks += 2) {
        int c = ks == 1 ? 2048 : 384;
        g = th_graph(13);
        th_input(g, "x", 4, D(1, c, 7, 7));
        th_const_rand(g, "w", 4, D(8, c, ks, ks), -0.5f, 0.5f);
        th_node(g, "Conv", "x,w", "y");
        th_attr_ints(g, "strides", 2, D(ks == 1 ? 1 : 2, ks == 1 ? 1 : 2));
        th_attr_ints(g, "pads", 4, D(ks / 2, ks / 2, ks / 2, ks / 2));
        th_output(g, "y");
        char name[64];
        snprintf(name, sizeof name, "long K conv %dx%d c=%d (K=%d)", ks, ks, c, c * ks * ks);
        check_long_k(name, g);
    }
}

/* The unary and binary ops with half arithmetic (epilogue.glsl), fused into
 * one elementwise kernel's epilogue. */
static void test_half_ops(void) {
    nngpu_graph *g = th_graph(13);
    float lo = -0.75f, hi = 1.5f;
    th_input_range(g, "a", 4, D(1, 4, 5, 6), -4, 4);
    th_input(g, "b", 4, D(1, 4, 1, 6));
    th_const_rand(g, "slope", 3, D(4, 1, 1), 0.05f, 0.5f);
    th_const_f32(g, "lo", 0, NULL, &lo);
    th_const_f32(g, "hi", 0, NULL, &hi);
    th_node(g, "HardSwish", "a", "t0");
    th_node(g, "Sub", "t0,b", "t1");
    th_node(g, "LeakyRelu", "t1", "t2");
    th_attr_float(g, "alpha", 0.1f);
    th_node(g, "PRelu", "t2,slope", "t3");
    th_node(g, "HardSigmoid", "t3", "t4");
    th_node(g, "Mul", "t4,a", "t5");
    th_node(g, "Clip", "t5,lo,hi", "t6");
    th_node(g, "Max", "t6,b", "t7");
    th_node(g, "Neg", "t7", "t8");
    th_node(g, "Abs", "t8", "y");
    th_output(g, "y");
    check("eltwise half ops", g);
}

static void test_eltwise(void) {
    nngpu_graph *g = th_graph(13);
    th_input(g, "a", 4, D(2, 3, 5, 7));
    th_input(g, "b", 4, D(1, 3, 1, 7));
    th_node(g, "Mul", "a,b", "m");
    th_node(g, "Sigmoid", "m", "s");
    th_node(g, "Add", "s,a", "y");
    th_output(g, "y");
    check("eltwise chain broadcast", g);
}

static void test_pool(void) {
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 4, D(1, 6, 11, 9));
    th_node(g, "MaxPool", "x", "m");
    th_attr_ints(g, "kernel_shape", 2, D(3, 3));
    th_attr_ints(g, "strides", 2, D(2, 2));
    th_node(g, "AveragePool", "m", "a");
    th_attr_ints(g, "kernel_shape", 2, D(2, 2));
    th_node(g, "GlobalAveragePool", "a", "y");
    th_output(g, "y");
    check("pools", g);
}

static void test_data(void) {
    nngpu_graph *g = th_graph(13);
    th_input(g, "a", 4, D(1, 3, 4, 5));
    th_input(g, "b", 4, D(1, 2, 4, 5));
    th_node(g, "Concat", "a,b", "c");
    th_attr_int(g, "axis", 1);
    th_node(g, "Transpose", "c", "t");
    th_attr_ints(g, "perm", 4, D(0, 2, 3, 1));
    th_node(g, "Softmax", "t", "y");
    th_attr_int(g, "axis", -1);
    th_output(g, "y");
    check("concat transpose softmax", g);
}

/* Indexed data movement: Pad (constant value input), Gather, Resize (float
 * scales), then LogSoftmax over a strided axis. */
static void test_indexed(void) {
    nngpu_graph *g = th_graph(13);
    float value = th_randf(-1, 1);
    th_input(g, "x", 4, D(1, 4, 5, 6));
    th_const_i64(g, "pads", 1, D(8), D(0, 0, 1, 2, 0, 0, 2, 1));
    th_const_f32(g, "v", 0, NULL, &value);
    th_node(g, "Pad", "x,pads,v", "p");
    th_const_i64(g, "idx", 1, D(3), D(2, 0, -1));
    th_node(g, "Gather", "p,idx", "q");
    th_attr_int(g, "axis", 1);
    th_const_f32(g, "scales", 1, D(4), (const float[]){1, 1, 2, 1.5f});
    th_node(g, "Resize", "q,,scales", "r");
    th_attr_string(g, "mode", "linear");
    th_node(g, "LogSoftmax", "r", "y");
    th_attr_int(g, "axis", 1);
    th_output(g, "y");
    check("pad gather resize logsoftmax", g);
}

static nngpu_graph *residual_cnn(float scale) {
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 4, D(1, 3, 12, 12));
    th_const_rand(g, "w1", 4, D(8, 3, 3, 3), -0.5f, 0.5f);
    th_const_rand(g, "w2", 4, D(8, 8, 3, 3), -0.3f, 0.3f);
    th_const_rand(g, "wf", 2, D(8, 10), -0.5f, 0.5f);
    th_const_f32(g, "k", 0, NULL, &scale);
    th_node(g, "Conv", "x,w1", "c1");
    th_attr_ints(g, "pads", 4, D(1, 1, 1, 1));
    th_node(g, "Relu", "c1", "r1");
    th_node(g, "Conv", "r1,w2", "c2");
    th_attr_ints(g, "pads", 4, D(1, 1, 1, 1));
    th_node(g, "Add", "c2,r1", "s");
    th_node(g, "Mul", "s,k", "big");
    th_node(g, "GlobalAveragePool", "big", "p");
    th_node(g, "Flatten", "p", "f");
    th_node(g, "MatMul", "f,wf", "y");
    th_output(g, "y");
    return g;
}

/* y = x.W - x.V with V within 1e-3 of W (W exact in fp16): each MatMul's
 * fp16 error is small alone but not beside their difference. */
static nngpu_graph *cancelling_matmuls(void) {
    enum { K = 16, N = 32 };
    float w[K * N], v[K * N];
    for (int i = 0; i < K * N; i++) {
        w[i] = (float)(int)th_randf(-32, 32) / 64;
        v[i] = w[i] + th_randf(-1e-3f, 1e-3f);
    }
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 2, D(8, K));
    th_const_f32(g, "w", 2, D(K, N), w);
    th_const_f32(g, "v", 2, D(K, N), v);
    th_node(g, "MatMul", "x,w", "a");
    th_node(g, "MatMul", "x,v", "b");
    th_node(g, "Sub", "a,b", "y");
    th_output(g, "y");
    return g;
}

/* A session at FP16 on sel; NULL (and the error printed) when it fails. */
static nngpu_session *fp16_session_tol(nngpu_graph *g, const char *sel, int strict, float tol,
                                       nngpu_model **m) {
    nngpu_options o;
    nngpu_options_init(&o);
    o.precision = NNGPU_PRECISION_FP16;
    o.precision_strict = strict;
    if (tol > 0) o.fp16_tolerance = tol;
    nngpu_session *s = NULL;
    if (nngpu_model_from_graph(g, m) != NNGPU_OK) return NULL;
    if (nngpu_session_create(*m, sel, &o, &s) != NNGPU_OK) return NULL;
    return s;
}

static nngpu_session *fp16_session(nngpu_graph *g, const char *sel, int strict, nngpu_model **m) {
    return fp16_session_tol(g, sel, strict, 0, m);
}

static void expect(int cond, const char *what) {
    printf("%s %s\n", cond ? "ok  " : "FAIL", what);
    failures += !cond;
}

/* Layers stored fp16 and run by the device's half-storage kernels (":f16"). */
static int fp16_layers(const nngpu_session *s) {
    int n = 0;
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        if (nngpu_session_layer(s, i, &li) == NNGPU_OK && !strcmp(li.precision, "fp16") &&
            !li.on_cpu && li.kernel && strstr(li.kernel, ":f16"))
            n++;
    }
    return n;
}

#define CL_STORAGE_ENV "NNGPU_OPENCL_FP16_STORAGE"
#define VK_MATH_ENV "NNGPU_VULKAN_FP16_MATH"

/* Vulkan computes fp16 layers in half exactly when the variable is 1, or
 * unset on a GPU with shaderFloat16. */
static int vulkan_math(const nngpu_device_info *info) {
    const char *env = getenv(VK_MATH_ENV);
    return info->has_fp16 && (env ? !strcmp(env, "1") : !strcmp(info->device_type, "gpu"));
}

/* ... and tags those kernels ":f16math". */
static void expect_vulkan_math(const nngpu_session *s, const nngpu_device_info *info) {
    const char *env = getenv(VK_MATH_ENV);
    int math = vulkan_math(info);
    int tagged = 0, f16 = 0;
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        if (nngpu_session_layer(s, i, &li) != NNGPU_OK || !li.kernel) continue;
        f16 += strstr(li.kernel, ":f16") != NULL;
        tagged += strstr(li.kernel, ":f16math") != NULL;
    }
    char line[256];
    snprintf(line, sizeof line, "%s: %d of %d fp16 layers compute in half (%s=%s)",
             info->selector, tagged, f16, VK_MATH_ENV, env ? env : "unset");
    expect(f16 > 0 && tagged == (math ? f16 : 0), line);
}

/* The device itself has fp16: Vulkan 16-bit storage, OpenCL cl_khr_fp16. */
static int device_has_fp16(const nngpu_device_info *info) {
    return info->backend == NNGPU_BACKEND_VULKAN ? info->has_fp16_storage : info->has_fp16;
}

/* Without fp16 (and on OpenCL without the variable): the summary says it
 * runs fp32, and precision_strict fails naming the device. */
static void expect_fp32_fallback(const nngpu_device_info *info) {
    char line[256];
    const char *env = getenv(CL_STORAGE_ENV);
    char saved[16] = "";
    if (env) snprintf(saved, sizeof saved, "%s", env);
    unsetenv(CL_STORAGE_ENV);
    nngpu_model *m = NULL;
    nngpu_session *s = fp16_session(residual_cnn(1.0f), info->selector, 0, &m);
    const char *why = info->backend == NNGPU_BACKEND_OPENCL ? "no cl_khr_fp16: running fp32"
                                                             : "running fp32";
    snprintf(line, sizeof line, "%s: says '%s'", info->selector, why);
    expect(s && strstr(nngpu_session_summary(s), why) != NULL, line);
    nngpu_session_destroy(s);
    nngpu_model_destroy(m);
    nngpu_model *m2 = NULL;
    nngpu_session *s2 = fp16_session(residual_cnn(1.0f), info->selector, 1, &m2);
    snprintf(line, sizeof line, "%s: precision_strict fails clearly (%s)", info->selector,
             nngpu_last_error());
    expect(!s2 && strstr(nngpu_last_error(), "fp16") && strstr(nngpu_last_error(), info->selector), line);
    nngpu_session_destroy(s2);
    nngpu_model_destroy(m2);
    if (env) setenv(CL_STORAGE_ENV, saved, 1);
}

/* The end-to-end guard names what it keeps fp32 and reports its error;
 * fp16_tolerance 1 turns it off. */
static void expect_end_to_end_guard(const char *sel) {
    char line[512];
    for (int off = 0; off <= 1; off++) {
        nngpu_model *m = NULL;
        nngpu_session *s = fp16_session_tol(cancelling_matmuls(), sel, 0, off ? 1.0f : 0, &m);
        const char *sum = s ? nngpu_session_summary(s) : "";
        const char *at = strstr(sum, "fp16 guard: error vs fp32 ");
        double err = at ? strtod(at + strlen("fp16 guard: error vs fp32 "), NULL) : -1;
        if (getenv("NNGPU_TEST_VERBOSE")) printf("%s\n", sum);
        if (off) {
            snprintf(line, sizeof line, "%s: fp16_tolerance 1: no end-to-end check", sel);
            expect(s && !strstr(sum, "fp16 guard"), line);
        } else {
            snprintf(line, sizeof line, "%s: the end-to-end guard keeps a layer fp32: error %g "
                     "<= 5e-3", sel, err);
            expect(s && strstr(sum, "fp16 guard: node '") && err >= 0 && err <= 5e-3, line);
        }
        nngpu_session_destroy(s);
        nngpu_model_destroy(m);
    }
}

/* The precision of the layer named `name` ("" when there is none). */
static const char *layer_precision(const nngpu_session *s, const char *name) {
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        if (nngpu_session_layer(s, i, &li) == NNGPU_OK && !strcmp(li.name, name)) return li.precision;
    }
    return "";
}

/* Layers that only move values take the precision of what they read: a
 * Transpose of the graph input stays fp32 (fp16 would only round the input),
 * a Transpose of an fp16 Conv's output runs fp16. */
static void expect_pass_through(const char *sel) {
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 4, D(1, 4, 7, 9));
    th_node(g, "Transpose", "x", "t");
    th_attr_ints(g, "perm", 4, D(0, 1, 3, 2));
    th_const_rand(g, "w", 4, D(8, 4, 3, 3), -0.5f, 0.5f);
    th_node(g, "Conv", "t,w", "c");
    th_node(g, "Transpose", "c", "y");
    th_attr_ints(g, "perm", 4, D(0, 2, 3, 1));
    th_output(g, "y");
    nngpu_model *m = NULL;
    nngpu_session *s = fp16_session(g, sel, 0, &m);
    char line[256];
    const char *first = s ? layer_precision(s, "Transpose_0") : "?";
    const char *conv = s ? layer_precision(s, "Conv_1") : "?";
    const char *last = s ? layer_precision(s, "Transpose_2") : "?";
    snprintf(line, sizeof line, "%s: Transpose of the input %s, Conv %s, Transpose of the Conv %s",
             sel, first, conv, last);
    expect(!strcmp(first, "fp32") && !strcmp(conv, "fp16") && !strcmp(last, "fp16"), line);
    nngpu_session_destroy(s);
    nngpu_model_destroy(m);
}

/* The per-layer simulation rounds a half-arithmetic layer's result before its
 * epilogue: the overflowing convolution stays fp32 in the first compile (no
 * end-to-end recompile needed), and runs fp16 with fp32 arithmetic. */
static void expect_sim_models_math(const nngpu_device_info *info) {
    nngpu_model *m = NULL;
    nngpu_session *s = fp16_session(overflow_before_epilogue(), info->selector, 0, &m);
    const char *sum = s ? nngpu_session_summary(s) : "";
    int kept = strstr(sum, "node 'Conv_0' (Conv) stays fp32: relative error inf") != NULL;
    int math = vulkan_math(info);
    char line[256];
    snprintf(line, sizeof line, "%s: the simulation %s the conv fp32 (half arithmetic %s)",
             info->selector, math ? "keeps" : "does not keep", math ? "on" : "off");
    expect(s && kept == math && !strstr(sum, "fp16 guard: node"), line);
    nngpu_session_destroy(s);
    nngpu_model_destroy(m);
}

static void test_policy(void) {
    int n = nngpu_device_count();
    for (int d = 0; d < n; d++) {
        nngpu_device_info info;
        if (!th_device(d, &info)) continue;
        const char *env = getenv(CL_STORAGE_ENV);
        int runs_fp16 = device_has_fp16(&info) ||
                        (info.backend == NNGPU_BACKEND_OPENCL && env && !strcmp(env, "1"));
        if (!device_has_fp16(&info)) expect_fp32_fallback(&info);
        if (!runs_fp16) continue;
        char line[256];
        nngpu_model *m = NULL;
        nngpu_session *s = fp16_session(residual_cnn(1e5f), info.selector, 0, &m);
        if (!s) {
            snprintf(line, sizeof line, "%s: fp16 session: %s", info.selector, nngpu_last_error());
            expect(0, line);
            nngpu_model_destroy(m);
            continue;
        }
        const char *sum = nngpu_session_summary(s);
        if (getenv("NNGPU_TEST_VERBOSE")) printf("%s\n", sum);
        nngpu_session_stats st;
        nngpu_session_get_stats(s, &st);
        snprintf(line, sizeof line, "%s: runs fp16 layers (%d) with precision %s", info.selector,
                 fp16_layers(s), st.precision);
        expect(fp16_layers(s) > 0 && !strcmp(st.precision, "fp16"), line);
        snprintf(line, sizeof line, "%s: the overflowing layer stays fp32 and is named", info.selector);
        expect(strstr(sum, "'Conv_2' (Conv) stays fp32") != NULL, line); /* Mul fused in */
        if (info.backend == NNGPU_BACKEND_VULKAN) {
            expect_vulkan_math(s, &info);
            expect_sim_models_math(&info);
        }
        nngpu_session_destroy(s);
        nngpu_model_destroy(m);
        expect_end_to_end_guard(info.selector);
        expect_pass_through(info.selector);
    }
}

/* ---- Winograd in fp16 layers (vulkan: winograd_f16 transforms around the
 * float32 GEMM): 3x3 stride-1 convolutions with C, K >= 16, odd sizes, batch
 * 2, padding 0 or 1 per side, a residual epilogue; vk_conv's WINO forced to
 * F(2,3) and F(4,3) through NNGPU_PARAMS, then its default. */

typedef struct wino_cfg {
    int n, c, k, h, w, pads[4], residual;
} wino_cfg;

static nngpu_graph *wino_graph(const wino_cfg *q) {
    nngpu_graph *g = th_graph(13);
    int64_t oh = q->h + q->pads[0] + q->pads[2] - 2, ow = q->w + q->pads[1] + q->pads[3] - 2;
    th_input(g, "x", 4, D(q->n, q->c, q->h, q->w));
    th_const_rand(g, "w", 4, D(q->k, q->c, 3, 3), -0.3f, 0.3f);
    th_const_rand(g, "b", 1, D(q->k), -0.5f, 0.5f);
    th_node(g, "Conv", "x,w,b", "y");
    th_attr_ints(g, "pads", 4, D(q->pads[0], q->pads[1], q->pads[2], q->pads[3]));
    if (q->residual) {
        th_input(g, "r", 4, D(q->n, q->k, oh, ow));
        th_node(g, "Add", "r,y", "t");
        th_node(g, "Relu", "t", "z");
    } else {
        th_node(g, "Relu", "y", "z");
    }
    th_output(g, "z");
    return g;
}

/* On every Vulkan device with 16-bit storage the conv layer of q's graph runs
 * the fp16 Winograd kernel (`want`: "winograd_f2", "winograd_f4" or any). */
static void expect_wino_kernel(const char *name, const wino_cfg *q, const char *want) {
    for (int d = 0; d < nngpu_device_count(); d++) {
        nngpu_device_info info;
        if (!th_device(d, &info) || info.backend != NNGPU_BACKEND_VULKAN ||
            !info.has_fp16_storage)
            continue;
        nngpu_model *m = NULL;
        nngpu_session *s = fp16_session(wino_graph(q), info.selector, 1, &m);
        const char *kernel = "(no session)";
        for (int i = 0; s && i < nngpu_session_layer_count(s); i++) {
            nngpu_layer_info li;
            if (nngpu_session_layer(s, i, &li) == NNGPU_OK && li.kernel &&
                strstr(li.fused, "Conv"))
                kernel = li.kernel;
        }
        char line[320];
        snprintf(line, sizeof line, "%s: %s runs %s:f16 (%s)", info.selector, name, want, kernel);
        expect(strstr(kernel, want) && strstr(kernel, ":f16"), line);
        nngpu_session_destroy(s);
        nngpu_model_destroy(m);
    }
}

static void test_winograd(void) {
    static const char *forced[] = {"vk_conv:WINO=2", "vk_conv:WINO=4", NULL};
    static const char *kernels[] = {"winograd_f2", "winograd_f4", "winograd"};
    const char *prev = getenv("NNGPU_PARAMS");
    char saved[512];
    snprintf(saved, sizeof saved, "%s", prev ? prev : "");
    for (int f = 0; f < 3; f++) {
        if (forced[f]) setenv("NNGPU_PARAMS", forced[f], 1);
        else if (prev) setenv("NNGPU_PARAMS", saved, 1);
        else unsetenv("NNGPU_PARAMS");
        for (int i = 0; i < 3; i++) {
            wino_cfg q = {i == 1 ? 2 : 1, 16 + th_randint(0, 9), 16 + th_randint(0, 9),
                          2 * th_randint(2, 11) + 1, 2 * th_randint(2, 11) + 1, {0}, i == 2};
            for (int j = 0; j < 4; j++) q.pads[j] = i == 2 ? 1 : th_randint(0, 1);
            char name[160];
            snprintf(name, sizeof name, "winograd (%s) n=%d c=%d k=%d %dx%d pads=%d%d%d%d%s",
                     forced[f] ? forced[f] + 8 : "default", q.n, q.c, q.k, q.h, q.w, q.pads[0],
                     q.pads[1], q.pads[2], q.pads[3], q.residual ? " +residual+relu" : " +relu");
            if (q.residual) th_expect_fused("Conv+Add+Relu");
            check(name, wino_graph(&q));
            if (th_selected(name)) expect_wino_kernel(name, &q, kernels[f]);
        }
    }
    if (prev) setenv("NNGPU_PARAMS", saved, 1);
    else unsetenv("NNGPU_PARAMS");
}

int main(int argc, char **argv) {
    setenv(CL_STORAGE_ENV, "1", 1); /* before any session: OpenCL runs its fp16 kernels */
    th_init(argc, argv);
    th_hold_devices();
    test_conv();
    test_gemm();
    test_eltwise();
    test_half_ops();
    test_long_k();
    test_pool();
    test_data();
    test_indexed();
    check("residual cnn", residual_cnn(1.0f));
    check("residual cnn overflowing fp16", residual_cnn(1e5f));
    check("cancelling matmuls (end-to-end guard)", cancelling_matmuls());
    test_policy();
    test_winograd();
    int rc = th_summary();
    return rc ? rc : failures != 0;
}
