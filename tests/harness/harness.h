/* Op test harness (the ggml test-backend-ops idea): each case builds a small
 * graph; th_check_graph runs it on the CPU reference with every pass off but
 * constant folding, then on "cpu" with all passes and on every device, and
 * compares every output with a normalized error bound, NaN/Inf checks and
 * guard bytes around every tensor.
 *
 * Random data is fresh every run: the seed comes from the clock unless
 * NNGPU_TEST_SEED is set, and is printed so a failure can be replayed.
 * NNGPU_TEST_FILTER=substr (or argv[1]) runs only the cases whose name
 * contains substr; NNGPU_TEST_VERBOSE=1 prints every case's errors. */
#ifndef TH_HARNESS_H
#define TH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "nngpu/graph.h"
#include "nngpu/nngpu.h"

/* Seeds the RNG and reads the filter; call first. */
void th_init(int argc, char **argv);
/* Keeps one small session open on each device until th_summary, so that what
 * a device shares among a process's sessions (Vulkan's compiled pipelines)
 * lives from case to case, as in a host that keeps a session; each distinct
 * pipeline then compiles once per test program instead of once per case. */
void th_hold_devices(void);
/* 1 when device i exists (its info in *info) and NNGPU_TEST_DEVICES, a comma
 * list of selector prefixes ("vulkan", "opencl:0"), selects it (unset: all).
 * Runs that only change one backend's kernels (parameters forced through the
 * environment) check that backend alone. */
int th_device(int i, nngpu_device_info *info);

/* ---- random numbers ---- */
uint64_t th_rand(void);
int th_randint(int lo, int hi);                 /* uniform in [lo, hi] */
float th_randf(float lo, float hi);             /* uniform in [lo, hi) */
int th_pick(int n, const int *choices);         /* one of choices[0..n-1] */
void th_fill(float *p, size_t n, float lo, float hi);

/* ---- building a case's graph ----
 * Builder failures are remembered and reported by the next th_check_graph
 * (the case fails with the builder's message). */
nngpu_graph *th_graph(int opset);
/* A float32 runtime input, filled uniformly in [-1, 1]. */
void th_input(nngpu_graph *g, const char *name, int rank, const int64_t *dims);
/* The same, filled uniformly in [lo, hi]. */
void th_input_range(nngpu_graph *g, const char *name, int rank, const int64_t *dims, float lo,
                    float hi);
/* Constants: random float32 in [lo, hi], given float32 data, given int64 data. */
void th_const_rand(nngpu_graph *g, const char *name, int rank, const int64_t *dims, float lo,
                   float hi);
void th_const_f32(nngpu_graph *g, const char *name, int rank, const int64_t *dims,
                  const float *data);
void th_const_i64(nngpu_graph *g, const char *name, int rank, const int64_t *dims,
                  const int64_t *data);
/* A constant of any dtype (data copied; 4-bit types packed). */
void th_const_data(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                   const int64_t *dims, const void *data);
/* Random integer constants of an integer dtype (int8/uint8/int32/int64,
 * int4/uint4 packed) uniform in [lo, hi]; a float32 scale-like constant
 * uniform in [lo, hi] is th_const_rand. */
void th_const_int(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                  const int64_t *dims, int lo, int hi);
/* A one-value constant of shape [] (rank 0): float32 or integer dtype. */
void th_const_scalar_f32(nngpu_graph *g, const char *name, float v);
void th_const_scalar_int(nngpu_graph *g, const char *name, nngpu_dtype dtype, int v);
/* A runtime input of any dtype: int8/uint8/int4/uint4/bool uniform over their whole range,
 * float16/int32/int64 from the input's range (default [-1, 1]). */
void th_input_typed(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                    const int64_t *dims);
/* A runtime int32/int64 input (e.g. indices) uniform over the integers in
 * [lo, hi], |lo|, |hi| < 2^24. */
void th_input_int(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                  const int64_t *dims, int lo, int hi);
/* A node: inputs and outputs as comma-separated names ("x,,b": omitted input). */
void th_node(nngpu_graph *g, const char *op, const char *inputs, const char *outputs);
/* Attributes of the node added last. */
void th_attr_int(nngpu_graph *g, const char *name, int64_t v);
void th_attr_float(nngpu_graph *g, const char *name, float v);
void th_attr_ints(nngpu_graph *g, const char *name, int n, const int64_t *v);
void th_attr_string(nngpu_graph *g, const char *name, const char *v);
void th_output(nngpu_graph *g, const char *name);

/* ---- expectations for the next th_check_graph ---- */
/* Nodes may run on the CPU fallback on devices (ops OpenCL needn't cover). */
void th_expect_cpu_fallback(void);
/* The same, only on devices whose selector starts with sel_prefix ("vulkan"):
 * for ops one backend runs and another does not yet. */
void th_expect_cpu_fallback_on(const char *sel_prefix);
/* Some layer of every fused session must cover exactly these ops, in any
 * order, e.g. "Conv+BatchNormalization+Relu" (checked on "cpu" with passes and
 * on devices). Up to 4 calls per case, all required. */
void th_expect_fused(const char *fused);
/* Every fused session has at most n layers covering op (e.g. "Transpose"). */
void th_expect_at_most(const char *op, int n);

/* Device sessions run at precision p (options.precision) and are compared
 * with the fp32 reference at tolerance tol instead of the case's. */
void th_expect_precision(nngpu_precision p, double tol);

/* ---- running ---- */
/* Takes ownership of g; runs the case and counts it. Returns 1 when it passed
 * (or was filtered out), 0 when it failed. */
int th_check_graph(const char *case_name, nngpu_graph *g, double tol);
/* 1 when the filter selects case_name (for checks a case makes itself). */
int th_selected(const char *case_name);
/* Prints "N passed, M failed" last; returns the process exit code. */
int th_summary(void);

/* ---- plain unit checks (tests that build no graphs) ---- */
/* Counts a failure and prints where, the message and nngpu's last error. */
#define TH_EXPECT(cond, ...)                                                                   \
    do {                                                                                       \
        if (!(cond)) th_fail(__FILE__, __LINE__, __VA_ARGS__);                                 \
    } while (0)
void th_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int th_failures(void);
/* A fresh folder /tmp/<tag>_XXXXXX (NULL, said why, when it cannot be made);
 * th_scratch_remove deletes it with everything in it. */
const char *th_scratch_dir(const char *tag);
void th_scratch_remove(void);

#endif
