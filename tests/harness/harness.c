/* Op test harness: RNG, graph-building helpers, and th_check_graph, which
 * runs a case on the reference, on "cpu" with all passes, and on every device. */
#include "harness/harness.h"

#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TH_MAX_RANGES 16
#define TH_MAX_IO 16
#define TH_GUARD 64

static uint64_t rng_state;
static const char *filter;
static int verbose;
static int n_pass, n_fail, n_skip;

/* Pending state for the next th_check_graph. */
static struct {
    char build_error[512];
    int n_ranges;
    struct {
        char name[64];
        float lo, hi;
        int integer; /* th_input_int: integers uniform in [lo, hi] */
    } ranges[TH_MAX_RANGES];
    int cpu_fallback;
    char fallback_on[32]; /* selector prefix where CPU fallback is allowed ("" none) */
    int n_fused;
    char fused[4][128];
    char capped_op[32]; /* th_expect_at_most: at most capped_max layers cover this op */
    int capped_max;
    int node_count;
    int precision_set;      /* th_expect_precision: device sessions run at precision */
    nngpu_precision precision;
    double precision_tol;
} pend;

/* ---- random numbers (splitmix64) ------------------------------------------------- */

uint64_t th_rand(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int th_randint(int lo, int hi) { return lo + (int)(th_rand() % (uint64_t)(hi - lo + 1)); }

float th_randf(float lo, float hi) {
    return lo + (hi - lo) * (float)((double)(th_rand() >> 11) * (1.0 / 9007199254740992.0));
}

int th_pick(int n, const int *choices) { return choices[th_randint(0, n - 1)]; }

void th_fill(float *p, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) p[i] = th_randf(lo, hi);
}

void th_init(int argc, char **argv) {
    const char *s = getenv("NNGPU_TEST_SEED");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0)
                            : ((uint64_t)time(NULL) * 1000003u) ^ (uint64_t)getpid();
    seed &= 0xFFFFFFFFull;
    rng_state = seed;
    filter = argc > 1 ? argv[1] : getenv("NNGPU_TEST_FILTER");
    if (filter && !*filter) filter = NULL;
    const char *v = getenv("NNGPU_TEST_VERBOSE");
    verbose = v && *v && *v != '0';
    printf("seed %llu (rerun with NNGPU_TEST_SEED=%llu)%s%s\n", (unsigned long long)seed,
           (unsigned long long)seed, filter ? ", filter " : "", filter ? filter : "");
    int nd = nngpu_device_count();
    for (int i = 0; i < nd; i++) {
        nngpu_device_info info;
        if (nngpu_device_get(i, &info) == NNGPU_OK)
            printf("device %s: %s (%s)\n", info.selector, info.name, info.vendor);
    }
    if (!nd) printf("no devices: only the CPU reference with passes is checked\n");
    fflush(stdout);
}

int th_device(int i, nngpu_device_info *info) {
    if (nngpu_device_get(i, info) != NNGPU_OK) return 0;
    const char *want = getenv("NNGPU_TEST_DEVICES");
    if (!want || !*want) return 1;
    for (const char *p = want; *p;) {
        size_t n = strcspn(p, ",");
        if (n && strncmp(info->selector, p, n) == 0) return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

#define TH_MAX_HELD 8
static nngpu_session *held[TH_MAX_HELD];

void th_hold_devices(void) {
    static const int64_t dims[1] = {4};
    int nd = nngpu_device_count();
    for (int i = 0; i < nd && i < TH_MAX_HELD; i++) {
        nngpu_device_info info;
        if (!th_device(i, &info)) continue;
        nngpu_graph *g = nngpu_graph_create();
        nngpu_model *m = NULL;
        if (!g ||
            nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 1, dims) != NNGPU_OK ||
            nngpu_graph_add_node(g, "Relu", "hold", 1, (const char *[]){"x"}, 1,
                                 (const char *[]){"y"}) != NNGPU_OK ||
            nngpu_graph_add_output(g, "y") != NNGPU_OK || nngpu_model_from_graph(g, &m) != NNGPU_OK) {
            if (!m) nngpu_graph_destroy(g);
            nngpu_model_destroy(m);
            continue; /* only a speed-up: the cases report any real fault */
        }
        nngpu_session_create(m, info.selector, NULL, &held[i]);
        nngpu_model_destroy(m);
    }
}

/* float -> IEEE binary16 bits, round to nearest even (test inputs only). */
static uint16_t th_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int exp = (int)((x >> 23) & 0xff) - 127 + 15;
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) return (uint16_t)sign; /* inputs are O(1): no subnormals needed */
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13), rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)h;
}

/* ---- building ----------------------------------------------------------------- */

static void note(nngpu_status st, const char *what, const char *name) {
    if (st == NNGPU_OK || pend.build_error[0]) return;
    snprintf(pend.build_error, sizeof pend.build_error, "%s '%s': %s (%s)", what, name,
             nngpu_status_name(st), nngpu_last_error());
}

nngpu_graph *th_graph(int opset) {
    nngpu_graph *g = nngpu_graph_create();
    if (!g) {
        snprintf(pend.build_error, sizeof pend.build_error, "nngpu_graph_create failed");
        return NULL;
    }
    nngpu_graph_set_opset(g, opset);
    pend.node_count = 0;
    return g;
}

void th_input(nngpu_graph *g, const char *name, int rank, const int64_t *dims) {
    if (!g) return;
    note(nngpu_graph_add_input(g, name, NNGPU_DTYPE_FLOAT32, rank, dims), "input", name);
}

static void range_set(const char *name, float lo, float hi, int integer) {
    if (pend.n_ranges >= TH_MAX_RANGES) return;
    snprintf(pend.ranges[pend.n_ranges].name, sizeof pend.ranges[0].name, "%s", name);
    pend.ranges[pend.n_ranges].lo = lo;
    pend.ranges[pend.n_ranges].hi = hi;
    pend.ranges[pend.n_ranges].integer = integer;
    pend.n_ranges++;
}

void th_input_range(nngpu_graph *g, const char *name, int rank, const int64_t *dims, float lo,
                    float hi) {
    th_input(g, name, rank, dims);
    range_set(name, lo, hi, 0);
}

void th_input_int(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                  const int64_t *dims, int lo, int hi) {
    th_input_typed(g, name, dtype, rank, dims);
    range_set(name, (float)lo, (float)hi, 1);
}

static size_t numel(int rank, const int64_t *dims) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

void th_const_rand(nngpu_graph *g, const char *name, int rank, const int64_t *dims, float lo,
                   float hi) {
    if (!g) return;
    size_t n = numel(rank, dims);
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        note(NNGPU_ERR_OUT_OF_MEMORY, "constant", name);
        return;
    }
    th_fill(p, n, lo, hi);
    note(nngpu_graph_add_constant(g, name, NNGPU_DTYPE_FLOAT32, rank, dims, p), "constant", name);
    free(p);
}

void th_const_data(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                   const int64_t *dims, const void *data) {
    if (!g) return;
    note(nngpu_graph_add_constant(g, name, dtype, rank, dims, data), "constant", name);
}

/* Stores v as element i of an integer buffer of dtype t (4-bit: packed, low nibble first). */
static void put_int(nngpu_dtype t, void *p, size_t i, int64_t v) {
    switch (t) {
    case NNGPU_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case NNGPU_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case NNGPU_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case NNGPU_DTYPE_INT64: ((int64_t *)p)[i] = v; break;
    case NNGPU_DTYPE_INT4:
    case NNGPU_DTYPE_UINT4: {
        uint8_t *b = (uint8_t *)p + i / 2;
        int sh = 4 * (int)(i & 1);
        *b = (uint8_t)((*b & ~(15 << sh)) | ((v & 15) << sh));
        break;
    }
    default: break;
    }
}

void th_const_int(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                  const int64_t *dims, int lo, int hi) {
    if (!g) return;
    size_t n = numel(rank, dims);
    void *p = calloc(n ? n : 1, 8);
    if (!p) return;
    for (size_t i = 0; i < n; i++) put_int(dtype, p, i, th_randint(lo, hi));
    note(nngpu_graph_add_constant(g, name, dtype, rank, dims, p), "constant", name);
    free(p);
}

void th_const_scalar_f32(nngpu_graph *g, const char *name, float v) {
    if (g) note(nngpu_graph_add_constant(g, name, NNGPU_DTYPE_FLOAT32, 0, NULL, &v), "constant", name);
}

void th_const_scalar_int(nngpu_graph *g, const char *name, nngpu_dtype dtype, int v) {
    if (!g) return;
    int64_t buf = 0;
    put_int(dtype, &buf, 0, v);
    note(nngpu_graph_add_constant(g, name, dtype, 0, NULL, &buf), "constant", name);
}

void th_input_typed(nngpu_graph *g, const char *name, nngpu_dtype dtype, int rank,
                    const int64_t *dims) {
    if (!g) return;
    note(nngpu_graph_add_input(g, name, dtype, rank, dims), "input", name);
}

void th_expect_precision(nngpu_precision p, double tol) {
    pend.precision_set = 1;
    pend.precision = p;
    pend.precision_tol = tol;
}

void th_const_f32(nngpu_graph *g, const char *name, int rank, const int64_t *dims,
                  const float *data) {
    if (!g) return;
    note(nngpu_graph_add_constant(g, name, NNGPU_DTYPE_FLOAT32, rank, dims, data), "constant",
         name);
}

void th_const_i64(nngpu_graph *g, const char *name, int rank, const int64_t *dims,
                  const int64_t *data) {
    if (!g) return;
    note(nngpu_graph_add_constant(g, name, NNGPU_DTYPE_INT64, rank, dims, data), "constant",
         name);
}

/* Splits "a,,b" into up to max names in buf; returns the count. */
static int split_names(const char *list, char *buf, size_t cap, const char **names, int max) {
    snprintf(buf, cap, "%s", list);
    int n = 0;
    char *p = buf;
    while (n < max) {
        names[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

void th_node(nngpu_graph *g, const char *op, const char *inputs, const char *outputs) {
    if (!g) return;
    char ib[512], ob[512], name[64];
    const char *in[TH_MAX_IO], *out[TH_MAX_IO];
    int ni = *inputs ? split_names(inputs, ib, sizeof ib, in, TH_MAX_IO) : 0;
    int no = split_names(outputs, ob, sizeof ob, out, TH_MAX_IO);
    snprintf(name, sizeof name, "%s_%d", op, pend.node_count++);
    note(nngpu_graph_add_node(g, op, name, ni, in, no, out), "node", name);
}

void th_attr_int(nngpu_graph *g, const char *name, int64_t v) {
    if (g) note(nngpu_graph_set_attr_int(g, name, v), "attribute", name);
}
void th_attr_float(nngpu_graph *g, const char *name, float v) {
    if (g) note(nngpu_graph_set_attr_float(g, name, v), "attribute", name);
}
void th_attr_ints(nngpu_graph *g, const char *name, int n, const int64_t *v) {
    if (g) note(nngpu_graph_set_attr_ints(g, name, n, v), "attribute", name);
}
void th_attr_string(nngpu_graph *g, const char *name, const char *v) {
    if (g) note(nngpu_graph_set_attr_string(g, name, v), "attribute", name);
}
void th_output(nngpu_graph *g, const char *name) {
    if (g) note(nngpu_graph_add_output(g, name), "output", name);
}

void th_expect_cpu_fallback(void) { pend.cpu_fallback = 1; }
void th_expect_cpu_fallback_on(const char *sel_prefix) {
    snprintf(pend.fallback_on, sizeof pend.fallback_on, "%s", sel_prefix);
}
void th_expect_at_most(const char *op, int n) {
    snprintf(pend.capped_op, sizeof pend.capped_op, "%s", op);
    pend.capped_max = n;
}

void th_expect_fused(const char *fused) {
    if (pend.n_fused < 4) snprintf(pend.fused[pend.n_fused++], sizeof pend.fused[0], "%s", fused);
}

/* ---- running and comparing --------------------------------------------------------- */

typedef struct run_io {
    int n_in, n_out;
    nngpu_tensor in[TH_MAX_IO];
    nngpu_tensor out[TH_MAX_IO];
    char out_names[TH_MAX_IO][64]; /* the session's names die with it */
} run_io;

static void io_free_outputs(nngpu_tensor *t, int n) {
    for (int i = 0; i < n; i++) {
        free(t[i].data);
        t[i].data = NULL;
    }
}

static void range_of(const char *name, float *lo, float *hi, int *integer) {
    *lo = -1.0f;
    *hi = 1.0f;
    *integer = 0;
    for (int i = 0; i < pend.n_ranges; i++)
        if (strcmp(pend.ranges[i].name, name) == 0) {
            *lo = pend.ranges[i].lo;
            *hi = pend.ranges[i].hi;
            *integer = pend.ranges[i].integer;
        }
}

/* Random data for every model input (symbolic dims are 1). */
static int make_inputs(const nngpu_model *m, run_io *io, char *err, size_t cap) {
    io->n_in = nngpu_model_input_count(m);
    if (io->n_in > TH_MAX_IO) {
        snprintf(err, cap, "too many inputs");
        return 0;
    }
    for (int i = 0; i < io->n_in; i++) {
        nngpu_tensor_desc d;
        if (nngpu_model_input(m, i, &d) != NNGPU_OK) {
            snprintf(err, cap, "input %d: %s", i, nngpu_last_error());
            return 0;
        }
        nngpu_tensor *t = &io->in[i];
        t->name = d.name;
        t->dtype = d.dtype;
        t->rank = d.rank;
        size_t n = 1;
        for (int k = 0; k < d.rank; k++) {
            t->dims[k] = d.dims[k] < 0 ? 1 : d.dims[k];
            n *= (size_t)t->dims[k];
        }
        size_t es = nngpu_dtype_size(d.dtype);
        t->size_bytes = n * es;
        t->data = malloc(t->size_bytes ? t->size_bytes : 1);
        if (!t->data) {
            snprintf(err, cap, "out of memory");
            return 0;
        }
        float lo, hi;
        int integer;
        range_of(d.name, &lo, &hi, &integer);
        for (size_t k = 0; k < n; k++) {
            float v = integer ? (float)th_randint((int)lo, (int)hi) : th_randf(lo, hi);
            switch (d.dtype) {
            case NNGPU_DTYPE_FLOAT32: ((float *)t->data)[k] = v; break;
            case NNGPU_DTYPE_INT64: ((int64_t *)t->data)[k] = (int64_t)floorf(v); break;
            case NNGPU_DTYPE_INT32: ((int32_t *)t->data)[k] = (int32_t)floorf(v); break;
            case NNGPU_DTYPE_INT8: ((int8_t *)t->data)[k] = (int8_t)th_randint(-128, 127); break;
            case NNGPU_DTYPE_UINT8: ((uint8_t *)t->data)[k] = (uint8_t)th_randint(0, 255); break;
            case NNGPU_DTYPE_BOOL: ((uint8_t *)t->data)[k] = (uint8_t)th_randint(0, 1); break;
            case NNGPU_DTYPE_FLOAT16: ((uint16_t *)t->data)[k] = th_half(v); break;
            case NNGPU_DTYPE_INT4:
            case NNGPU_DTYPE_UINT4: ((uint8_t *)t->data)[k] = (uint8_t)th_rand(); break; /* bytes */
            default: memset((char *)t->data + k * es, 0x3C, es); break;
            }
        }
    }
    return 1;
}

/* Runs session s on io's inputs; outputs are allocated on the first run. */
static nngpu_status run_once(nngpu_session *s, const nngpu_model *m, run_io *io) {
    nngpu_status st = NNGPU_OK;
    io->n_out = nngpu_model_output_count(m);
    if (io->n_out > TH_MAX_IO) io->n_out = TH_MAX_IO;
    for (int i = 0; i < io->n_out && st == NNGPU_OK; i++) {
        if (io->out[i].data) continue;
        nngpu_tensor_desc d;
        st = nngpu_session_output(s, i, &d);
        if (st != NNGPU_OK) break;
        size_t n = nngpu_dtype_size(d.dtype);
        for (int k = 0; k < d.rank; k++) n *= (size_t)d.dims[k];
        memset(&io->out[i], 0, sizeof io->out[i]);
        io->out[i].size_bytes = n;
        io->out[i].data = malloc(n ? n : 1);
        if (!io->out[i].data) st = NNGPU_ERR_OUT_OF_MEMORY;
    }
    if (st == NNGPU_OK) st = nngpu_session_run(s, io->n_in, io->in, io->n_out, io->out);
    for (int i = 0; i < io->n_out && st == NNGPU_OK; i++) {
        snprintf(io->out_names[i], sizeof io->out_names[i], "%s",
                 io->out[i].name ? io->out[i].name : "?");
        io->out[i].name = io->out_names[i];
    }
    return st;
}

static double elem(const nngpu_tensor *t, size_t i) {
    switch (t->dtype) {
    case NNGPU_DTYPE_FLOAT32: return ((const float *)t->data)[i];
    case NNGPU_DTYPE_FLOAT64: return ((const double *)t->data)[i];
    case NNGPU_DTYPE_INT64: return (double)((const int64_t *)t->data)[i];
    case NNGPU_DTYPE_INT32: return ((const int32_t *)t->data)[i];
    case NNGPU_DTYPE_INT8: return ((const int8_t *)t->data)[i];
    case NNGPU_DTYPE_UINT8:
    case NNGPU_DTYPE_BOOL: return ((const uint8_t *)t->data)[i];
    case NNGPU_DTYPE_INT4:
    case NNGPU_DTYPE_UINT4: {
        int v = (((const uint8_t *)t->data)[i / 2] >> (4 * (int)(i & 1))) & 15;
        return t->dtype == NNGPU_DTYPE_INT4 && v > 7 ? v - 16 : v;
    }
    default: return NAN;
    }
}

static size_t count_of(const nngpu_tensor *t) {
    size_t n = 1;
    for (int k = 0; k < t->rank; k++) n *= (size_t)t->dims[k];
    return n;
}

static void shape_text(const nngpu_tensor *t, char *buf, size_t cap) {
    buf[0] = '\0';
    for (int k = 0; k < t->rank; k++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%lld", k ? "x" : "", (long long)t->dims[k]);
    if (!t->rank) snprintf(buf, cap, "scalar");
}

/* Compares one output; returns 1 when it matches, else writes why. */
static int compare(const nngpu_tensor *ref, const nngpu_tensor *out, double tol, double *nerr,
                   char *why, size_t cap) {
    char a[96], b[96];
    shape_text(ref, a, sizeof a);
    shape_text(out, b, sizeof b);
    *nerr = 0;
    if (ref->rank != out->rank || strcmp(a, b) != 0 || ref->dtype != out->dtype) {
        snprintf(why, cap, "output '%s': shape %s %s, the reference has %s %s", ref->name, b,
                 nngpu_dtype_name(out->dtype), a, nngpu_dtype_name(ref->dtype));
        return 0;
    }
    size_t n = count_of(ref), worst = 0;
    double diff2 = 0, ref2 = 0, worst_d = -1;
    for (size_t i = 0; i < n; i++) {
        double r = elem(ref, i), o = elem(out, i);
        if (!isfinite(r)) {
            int same = isnan(r) ? isnan(o) : o == r;
            if (!same) {
                snprintf(why, cap, "output '%s'[%zu] = %g where the reference has %g", ref->name,
                         i, o, r);
                return 0;
            }
            continue;
        }
        if (!isfinite(o)) {
            snprintf(why, cap, "output '%s'[%zu] = %g (not finite) where the reference has %g",
                     ref->name, i, o, r);
            return 0;
        }
        double d = o - r;
        diff2 += d * d;
        ref2 += r * r;
        if (fabs(d) > worst_d) {
            worst_d = fabs(d);
            worst = i;
        }
    }
    /* Normalized error; an absolute one when the reference is ~0. */
    *nerr = ref2 > 1e-12 ? sqrt(diff2 / ref2) : sqrt(diff2 / (double)(n ? n : 1));
    if (*nerr <= tol) return 1;
    snprintf(why, cap,
             "output '%s' %s: normalized error %.3g > %.1g; worst at [%zu]: %.7g, reference %.7g",
             ref->name, a, *nerr, tol, worst, elem(out, worst), elem(ref, worst));
    return 0;
}

/* Layers on the CPU, listed into buf; returns their count. */
static int cpu_layers(const nngpu_session *s, char *buf, size_t cap) {
    int n = 0;
    buf[0] = '\0';
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        if (nngpu_session_layer(s, i, &li) != NNGPU_OK || !li.on_cpu) continue;
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s (%s)", n ? ", " : "", li.name,
                 li.fused);
        n++;
    }
    return n;
}

/* Sorted '+'-separated op names, so "Conv+Pad" matches "Pad+Conv". */
static void op_set(const char *fused, char *out, size_t cap) {
    char buf[256], *ops[32];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", fused);
    for (char *p = strtok(buf, "+"); p && n < 32; p = strtok(NULL, "+")) ops[n++] = p;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(ops[j - 1], ops[j]) > 0; j--) {
            char *t = ops[j];
            ops[j] = ops[j - 1];
            ops[j - 1] = t;
        }
    out[0] = '\0';
    for (int i = 0; i < n; i++) snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "+" : "", ops[i]);
}

static int has_fused(const nngpu_session *s, const char *fused, char *seen, size_t cap) {
    char want[256], got[256];
    op_set(fused, want, sizeof want);
    seen[0] = '\0';
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        if (nngpu_session_layer(s, i, &li) != NNGPU_OK) continue;
        op_set(li.fused ? li.fused : "?", got, sizeof got);
        if (strcmp(want, got) == 0) return 1;
        snprintf(seen + strlen(seen), cap - strlen(seen), "%s%s", i ? ", " : "",
                 li.fused ? li.fused : "?");
    }
    return 0;
}

/* Layers of s whose ops include op. */
static int layers_with(const nngpu_session *s, const char *op) {
    int count = 0;
    for (int i = 0; i < nngpu_session_layer_count(s); i++) {
        nngpu_layer_info li;
        char buf[256];
        if (nngpu_session_layer(s, i, &li) != NNGPU_OK || !li.fused) continue;
        snprintf(buf, sizeof buf, "%s", li.fused);
        int has = 0;
        for (char *p = strtok(buf, "+"); p; p = strtok(NULL, "+")) has |= !strcmp(p, op);
        count += has;
    }
    return count;
}

/* One target: "cpu" with passes, or a device, run once on each input set
 * (a second run with other data catches state kept between runs). Returns 1
 * when it passed. */
static int check_target(const char *case_name, const nngpu_model *m, const char *sel,
                        int is_device, run_io *ref, double tol, char *line, size_t cap) {
    nngpu_options o;
    nngpu_options_init(&o);
    o.fusion = 1;
    o.guard_bytes = TH_GUARD;
    if (pend.precision_set && is_device) {
        o.precision = pend.precision;
        tol = pend.precision_tol;
    }
    run_io io;
    memset(&io, 0, sizeof io);
    nngpu_session *s = NULL;
    char why[1024] = "";
    double worst = 0;
    nngpu_status st = nngpu_session_create(m, sel, &o, &s);
    int ok = st == NNGPU_OK;
    if (!ok) snprintf(why, sizeof why, "creating the session: %s: %s", nngpu_status_name(st), nngpu_last_error());
    for (int r = 0; ok && r < 2; r++) {
        io.n_in = ref[r].n_in;
        memcpy(io.in, ref[r].in, sizeof io.in);
        st = run_once(s, m, &io);
        if (st != NNGPU_OK) {
            snprintf(why, sizeof why, "run %d: %s: %s", r + 1, nngpu_status_name(st), nngpu_last_error());
            ok = 0;
        }
        for (int i = 0; ok && i < io.n_out; i++) {
            double e;
            ok = compare(&ref[r].out[i], &io.out[i], tol, &e, why, sizeof why);
            if (!ok && r) snprintf(why + strlen(why), sizeof why - strlen(why), " (second run)");
            if (e > worst) worst = e;
        }
    }
    char buf[512];
    if (ok && is_device && cpu_layers(s, buf, sizeof buf)) {
        if (pend.cpu_fallback ||
            (pend.fallback_on[0] && !strncmp(sel, pend.fallback_on, strlen(pend.fallback_on)))) {
            printf("note %s on %s: ran on the CPU (allowed): %s\n", case_name, sel, buf);
        } else {
            snprintf(why, sizeof why, "UNSUPPORTED on the device, ran on the CPU: %s", buf);
            ok = 0;
        }
    }
    for (int f = 0; ok && f < pend.n_fused; f++)
        if (!has_fused(s, pend.fused[f], buf, sizeof buf)) {
            snprintf(why, sizeof why, "not fused: no layer covers %s (layers: %s)", pend.fused[f], buf);
            ok = 0;
        }
    int capped = ok && pend.capped_op[0] ? layers_with(s, pend.capped_op) : 0;
    if (capped > pend.capped_max) {
        snprintf(why, sizeof why, "%d layers run %s, at most %d expected", capped, pend.capped_op,
                 pend.capped_max);
        ok = 0;
    }
    nngpu_session_destroy(s);
    io_free_outputs(io.out, io.n_out);
    if (ok) snprintf(line + strlen(line), cap - strlen(line), "  %s %.1e", sel, worst);
    else printf("FAIL %s on %s: %s\n", case_name, sel, why);
    return ok;
}

static void reset_pending(void) { memset(&pend, 0, sizeof pend); }

static int selected(const char *case_name) { return !filter || strstr(case_name, filter); }

int th_selected(const char *case_name) { return selected(case_name); }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int th_check_graph(const char *case_name, nngpu_graph *g, double tol) {
    int ok = 1;
    double t0 = now_s();
    nngpu_model *m = NULL;
    run_io ref[2];
    memset(ref, 0, sizeof ref);
    char line[1024] = "", err[1024] = "";
    if (!selected(case_name)) {
        nngpu_graph_destroy(g);
        reset_pending();
        n_skip++;
        return 1;
    }
    if (pend.build_error[0] || !g) {
        printf("FAIL %s: building the graph: %s\n", case_name,
               pend.build_error[0] ? pend.build_error : "no graph");
        nngpu_graph_destroy(g);
        ok = 0;
        goto done;
    }
    nngpu_status st = nngpu_model_from_graph(g, &m);
    if (st != NNGPU_OK) {
        printf("FAIL %s: nngpu_model_from_graph: %s\n", case_name, nngpu_last_error());
        ok = 0;
        goto done;
    }
    if (!make_inputs(m, &ref[0], err, sizeof err) || !make_inputs(m, &ref[1], err, sizeof err)) {
        printf("FAIL %s: inputs: %s\n", case_name, err);
        ok = 0;
        goto done;
    }
    /* The reference: every pass off but constant folding. */
    nngpu_options ro;
    nngpu_options_init(&ro);
    ro.fusion = 0;
    ro.disabled_passes = ~(unsigned)NNGPU_PASS_FOLD_CONSTANTS;
    ro.guard_bytes = TH_GUARD;
    nngpu_session *rs = NULL;
    st = nngpu_session_create(m, "cpu", &ro, &rs);
    for (int r = 0; r < 2 && st == NNGPU_OK; r++) st = run_once(rs, m, &ref[r]);
    nngpu_session_destroy(rs);
    if (st != NNGPU_OK) {
        printf("FAIL %s: the reference: %s: %s\n", case_name, nngpu_status_name(st),
               nngpu_last_error());
        ok = 0;
        goto done;
    }
    ok &= check_target(case_name, m, "cpu", 0, ref, tol, line, sizeof line);
    int nd = nngpu_device_count();
    for (int d = 0; d < nd; d++) {
        nngpu_device_info info;
        if (!th_device(d, &info)) continue;
        ok &= check_target(case_name, m, info.selector, 1, ref, tol, line, sizeof line);
    }
    if (ok && verbose) printf("ok   %s%s  (%.2f s)\n", case_name, line, now_s() - t0);
done:
    for (int r = 0; r < 2; r++) {
        for (int i = 0; i < ref[r].n_in; i++) free(ref[r].in[i].data);
        io_free_outputs(ref[r].out, ref[r].n_out);
    }
    nngpu_model_destroy(m);
    reset_pending();
    if (ok) n_pass++;
    else n_fail++;
    fflush(stdout);
    return ok;
}

int th_summary(void) {
    for (int i = 0; i < TH_MAX_HELD; i++) {
        nngpu_session_destroy(held[i]);
        held[i] = NULL;
    }
    if (n_skip) printf("%d cases filtered out\n", n_skip);
    printf("%d passed, %d failed\n", n_pass, n_fail);
    fflush(stdout); /* before any at-exit report (LeakSanitizer) */
    return n_fail ? 1 : 0;
}

/* ---- plain unit checks ---- */

static int unit_failures;
static char scratch[256];

void th_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    unit_failures++;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (last error: %s)\n", nngpu_last_error());
}

int th_failures(void) { return unit_failures; }

const char *th_scratch_dir(const char *tag) {
    snprintf(scratch, sizeof scratch, "/tmp/%s_XXXXXX", tag);
    if (mkdtemp(scratch)) return scratch;
    perror("mkdtemp");
    scratch[0] = '\0';
    return NULL;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void th_scratch_remove(void) {
    if (scratch[0] && nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "could not remove %s\n", scratch);
    scratch[0] = '\0';
}
