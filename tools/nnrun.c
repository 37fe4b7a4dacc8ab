/* nnrun: runs an ONNX model on a device and reports what it did.
 *   nnrun MODEL.onnx --device SEL --input NAME=FILE.npy ... --output-dir DIR
 *         --runs N --json
 * With no MODEL: the bundled digits model on its held-out test set. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/driver_env.h"
#include "core/half.h"
#include "core/npy.h"
#include "nnrun.h"

#define DEFAULT_MODEL "digits_cnn.onnx"
#define DEFAULT_X "digits_test_x.npy"
#define DEFAULT_Y "digits_test_y.npy"

static int fail(const char *what) {
    fprintf(stderr, "nnrun: error: %s\n", what);
    return 1;
}

static int fail_status(void) { return fail(nngpu_last_error()); }

static void usage(FILE *f) {
    fprintf(f,
            "usage: nnrun [MODEL.onnx] [--device SEL] [--input NAME=FILE.npy]... [--output-dir DIR]\n"
            "             [--runs N] [--warmup N] [--json] [--precision fp32|fp16|int8]\n"
            "             [--tuning-db FILE] [--no-fusion] [--no-cpu-fallback] [--tail-on-host]\n"
            "             [--verbose]\n"
            "             [--require-precision] [--calibration PATH]\n"
            "             [--calibration-method minmax|percentile|entropy] [--percentile P]\n"
            "             [--no-bias-correction] [--fp16-tolerance X] [--int8-tolerance X]\n"
            "             [--weight-bits 4|8] [--weight-group N]\n"
            "       nnrun --list-devices [--json]\n"
            "SEL: an index from --list-devices, opencl:N, vulkan:N, or cpu (the reference).\n"
            "Without MODEL, runs the bundled digits model on its held-out test set.\n"
            "Reduced precision:\n"
            "  --precision int8      post-training INT8 (Conv/Gemm/MatMul with constant weights)\n"
            "  --calibration PATH    representative inputs: an .npy file (a stack along dim 0 is\n"
            "                        cut into batches) or a folder of .npy files (<input>.npy per\n"
            "                        input for several inputs); results are cached per model\n"
            "  --calibration-method  minmax (default), percentile (both tails at --percentile,\n"
            "                        default 99.99) or entropy (KL divergence, TensorRT's)\n"
            "  --no-bias-correction  keep int8 layers' biases as they are\n"
            "  --int8-tolerance X    int8: over this relative error vs fp32 on calibration samples,\n"
            "                        the most sensitive layers stay fp32 (default 0.05; 0: off)\n"
            "  --require-precision   fail when the device cannot run --precision\n"
            "  --fp16-tolerance X    fp16: a layer whose relative error exceeds X stays fp32\n"
            "  --weight-bits 4|8     weight-only quantization of MatMul/Gemm weights\n"
            "  --weight-group N      --weight-bits: one scale per N input rows (even; 0: per column)\n"
            "Run-time tail (nodes after NonZero, NonMaxSuppression, ...: shapes known per run):\n"
            "  --tail-on-host        always evaluate it on the CPU reference (default: compiled\n"
            "                        for a run's extents on the device once they repeat)\n");
}

/* A number in [lo, hi] for option arg; 0 on success. */
static int parse_number(const char *arg, const char *val, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (end == val || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "nnrun: error: %s: '%s' is not a number in [%g, %g]\n", arg, val, lo, hi);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, nnrun_args *a) {
    memset(a, 0, sizeof *a);
    a->device = "0";
    a->runs = 10;
    a->warmup = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE                                                                            \
    if (!val) {                                                                                \
        fprintf(stderr, "nnrun: error: %s needs a value\n", arg);                             \
        return 2;                                                                              \
    }                                                                                          \
    i++
        if (!strcmp(arg, "--device")) { NEEDS_VALUE; a->device = val; }
        else if (!strcmp(arg, "--output-dir")) { NEEDS_VALUE; a->output_dir = val; }
        else if (!strcmp(arg, "--tuning-db")) { NEEDS_VALUE; a->tuning_db = val; }
        else if (!strcmp(arg, "--runs") || !strcmp(arg, "--warmup")) {
            NEEDS_VALUE;
            char *end;
            long v = strtol(val, &end, 10);
            if (*end || v < 0 || v > 1000000 || (!strcmp(arg, "--runs") && v < 1)) {
                fprintf(stderr, "nnrun: error: %s: '%s' is not a valid count\n", arg, val);
                return 2;
            }
            *(!strcmp(arg, "--runs") ? &a->runs : &a->warmup) = (int)v;
        } else if (!strcmp(arg, "--precision")) {
            NEEDS_VALUE;
            if (!strcmp(val, "fp32")) a->precision = NNGPU_PRECISION_FP32;
            else if (!strcmp(val, "fp16")) a->precision = NNGPU_PRECISION_FP16;
            else if (!strcmp(val, "int8")) a->precision = NNGPU_PRECISION_INT8;
            else {
                fprintf(stderr, "nnrun: error: --precision: '%s' is not fp32, fp16 or int8\n", val);
                return 2;
            }
        } else if (!strcmp(arg, "--calibration")) {
            NEEDS_VALUE;
            a->calibration = val;
        } else if (!strcmp(arg, "--calibration-method")) {
            NEEDS_VALUE;
            if (!strcmp(val, "minmax")) a->calibration_method = NNGPU_CALIBRATION_MINMAX;
            else if (!strcmp(val, "percentile")) a->calibration_method = NNGPU_CALIBRATION_PERCENTILE;
            else if (!strcmp(val, "entropy")) a->calibration_method = NNGPU_CALIBRATION_ENTROPY;
            else {
                fprintf(stderr, "nnrun: error: --calibration-method: '%s' is not minmax, "
                                "percentile or entropy\n", val);
                return 2;
            }
        } else if (!strcmp(arg, "--percentile") || !strcmp(arg, "--fp16-tolerance") ||
                   !strcmp(arg, "--weight-bits") || !strcmp(arg, "--weight-group")) {
            NEEDS_VALUE;
            double v;
            int pct = !strcmp(arg, "--percentile"), tol = !strcmp(arg, "--fp16-tolerance");
            int bits = !strcmp(arg, "--weight-bits");
            if (parse_number(arg, val, pct ? 50 : 0, pct ? 100 : tol ? 1e30 : bits ? 8 : 1 << 20, &v))
                return 2;
            if (pct) a->percentile = (float)v;
            else if (tol) {
                a->fp16_tolerance = (float)v;
                a->fp16_tolerance_set = 1;
            }
            else if ((bits && v != 4 && v != 8) || v != (int)v || (!bits && (int)v % 2)) {
                fprintf(stderr, "nnrun: error: %s: '%s' is not %s\n", arg, val,
                        bits ? "4 or 8" : "an even count");
                return 2;
            } else *(bits ? &a->weight_bits : &a->weight_group) = (int)v;
        } else if (!strcmp(arg, "--int8-tolerance")) {
            NEEDS_VALUE;
            double v;
            if (parse_number(arg, val, 0, 1e30, &v)) return 2;
            a->int8_tolerance = (float)v;
            a->int8_tolerance_set = 1;
        } else if (!strcmp(arg, "--no-bias-correction")) a->no_bias_correction = 1;
        else if (!strcmp(arg, "--require-precision")) a->require_precision = 1;
        else if (!strcmp(arg, "--input")) {
            NEEDS_VALUE;
            const char *eq = strchr(val, '=');
            if (!eq || eq == val || !eq[1]) {
                fprintf(stderr, "nnrun: error: --input wants NAME=FILE.npy, got '%s'\n", val);
                return 2;
            }
            if (a->n_inputs == NNRUN_MAX_INPUTS) {
                fprintf(stderr, "nnrun: error: more than %d inputs\n", NNRUN_MAX_INPUTS);
                return 2;
            }
            a->input_name[a->n_inputs] = strndup(val, (size_t)(eq - val));
            a->input_file[a->n_inputs++] = eq + 1;
        } else if (!strcmp(arg, "--json")) a->json = 1;
        else if (!strcmp(arg, "--verbose")) a->verbose = 1;
        else if (!strcmp(arg, "--list-devices")) a->list_devices = 1;
        else if (!strcmp(arg, "--no-fusion")) a->no_fusion = 1;
        else if (!strcmp(arg, "--tail-on-host")) a->tail_on_host = 1;
        else if (!strcmp(arg, "--no-cpu-fallback")) a->no_cpu_fallback = 1;
        else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(0);
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "nnrun: error: unknown option '%s'\n", arg);
            usage(stderr);
            return 2;
        } else if (!a->model) a->model = arg;
        else {
            fprintf(stderr, "nnrun: error: a second model '%s' (one model per run)\n", arg);
            return 2;
        }
#undef NEEDS_VALUE
    }
    return 0;
}

/* The bundled models folder: $NNGPU_MODELS_DIR, or models/ beside the source
 * tree the tool was built from, or ./models. */
static int find_models_dir(char *out, size_t cap) {
    const char *env = getenv("NNGPU_MODELS_DIR");
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *candidates[4] = {env, NULL, NULL, "models"};
    char c1[PATH_MAX + 16], c2[PATH_MAX + 16];
    if (len > 0) {
        exe[len] = '\0';
        char *dir = dirname(exe);
        snprintf(c1, sizeof c1, "%s/../models", dir);
        snprintf(c2, sizeof c2, "%s/models", dir);
        candidates[1] = c1;
        candidates[2] = c2;
    }
    for (int i = 0; i < 4; i++) {
        if (!candidates[i]) continue;
        char probe[PATH_MAX + 64];
        snprintf(probe, sizeof probe, "%s/%s", candidates[i], DEFAULT_MODEL);
        if (access(probe, R_OK) == 0) {
            snprintf(out, cap, "%s", candidates[i]);
            return 1;
        }
    }
    return 0;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Sorts v and returns its median. */
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}


/* Floats uniform in [-1, 1]; integers and booleans zero (a valid token id,
 * index or mask for any model). Returns what it wrote. */
static const char *fill_random(nngpu_tensor *t, unsigned *seed) {
    size_t n = t->size_bytes / (nngpu_dtype_size(t->dtype) ? nngpu_dtype_size(t->dtype) : 1);
    for (size_t i = 0; i < n; i++) {
        float v = (float)rand_r(seed) / RAND_MAX * 2.0f - 1.0f;
        if (t->dtype == NNGPU_DTYPE_FLOAT32) ((float *)t->data)[i] = v;
        else if (t->dtype == NNGPU_DTYPE_FLOAT16) ((uint16_t *)t->data)[i] = ng_half_from_float(v);
    }
    if (t->dtype == NNGPU_DTYPE_FLOAT32 || t->dtype == NNGPU_DTYPE_FLOAT16) return "random values";
    memset(t->data, 0, t->size_bytes);
    return "zeros";
}

/* Writes every output to DIR/<name>.npy: all or none. */
static int write_outputs(const char *dir, int n, const nngpu_tensor *outs) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "nnrun: error: cannot create output folder '%s': %s\n", dir,
                strerror(errno));
        return 1;
    }
    char (*tmp)[PATH_MAX] = calloc((size_t)n, sizeof *tmp);
    char (*dst)[PATH_MAX] = calloc((size_t)n, sizeof *dst);
    int rc = (!tmp || !dst) ? fail("out of memory") : 0;
    int written = 0;
    for (int i = 0; i < n && !rc; i++) {
        char safe[256];
        snprintf(safe, sizeof safe, "%s", outs[i].name);
        for (char *c = safe; *c; c++)
            if (*c == '/' || *c == '\\') *c = '_';
        snprintf(dst[i], PATH_MAX, "%s/%s.npy", dir, safe);
        snprintf(tmp[i], PATH_MAX, "%s/.%s.npy.partial", dir, safe);
        if (ng_npy_write(tmp[i], &outs[i]) != NNGPU_OK) rc = fail_status();
        else written++;
    }
    for (int i = 0; i < written && !rc; i++)
        if (rename(tmp[i], dst[i]) != 0) {
            fprintf(stderr, "nnrun: error: cannot write '%s': %s\n", dst[i], strerror(errno));
            rc = 1;
        }
    if (rc)
        for (int i = 0; i < written; i++) unlink(tmp[i]);
    free(tmp);
    free(dst);
    return rc;
}

typedef struct run_state {
    nngpu_model *model;
    nngpu_session *session;
    nngpu_tensor inputs[NNRUN_MAX_INPUTS];
    int n_in;
    nngpu_tensor *outputs;
    int n_out;
    nngpu_tensor labels;
    unsigned char *per_run; /* per_run[i]: output i's shape is known per run only */
    void **held;            /* their buffers while a run gives the shape only */
} run_state;

/* One run; outputs whose shape each run decides are read after it into
 * buffers grown to fit. */
static nngpu_status run_once(run_state *r) {
    for (int i = 0; i < r->n_out; i++)
        if (r->per_run[i]) { /* data NULL: the shape only */
            r->held[i] = r->outputs[i].data;
            r->outputs[i].data = NULL;
        }
    nngpu_status st = nngpu_session_run(r->session, r->n_in, r->inputs, r->n_out, r->outputs);
    for (int i = 0; i < r->n_out; i++)
        if (r->per_run[i]) r->outputs[i].data = r->held[i];
    for (int i = 0; i < r->n_out && st == NNGPU_OK; i++) {
        nngpu_tensor *o = &r->outputs[i];
        if (!r->per_run[i]) continue;
        size_t bytes = nngpu_dtype_size(o->dtype);
        for (int j = 0; j < o->rank; j++) bytes *= (size_t)o->dims[j];
        void *p = realloc(o->data, bytes ? bytes : 1);
        if (!p) return NNGPU_ERR_OUT_OF_MEMORY;
        o->data = p;
        o->size_bytes = bytes;
        st = nngpu_session_read_output(r->session, i, o);
    }
    return st;
}

/* Per-layer device times: the median over a few profiled runs after the
 * latency runs (timers off there), so one noisy run does not decide. */
static int profile_runs(int runs) { return runs < 1 ? 1 : runs > 10 ? 10 : runs; }

static int profile_layers(run_state *r, nnrun_timing *t) {
    int n = nngpu_session_layer_count(r->session), p = t->profile_runs;
    double *samples = calloc((size_t)(n ? n : 1) * (size_t)p, sizeof *samples);
    t->layer_ms = calloc((size_t)(n ? n : 1), sizeof *t->layer_ms);
    if (!samples || !t->layer_ms) {
        free(samples);
        return fail("out of memory");
    }
    nngpu_session_set_profiling(r->session, 1);
    for (int k = 0; k < p; k++) {
        if (run_once(r) != NNGPU_OK) {
            free(samples);
            return fail_status();
        }
        for (int i = 0; i < n; i++) {
            nngpu_layer_info l;
            samples[(size_t)i * p + k] =
                nngpu_session_layer(r->session, i, &l) == NNGPU_OK ? l.time_ms : -1.0;
        }
    }
    for (int i = 0; i < n; i++) {
        double *v = samples + (size_t)i * p;
        t->layer_ms[i] = v[0] < 0 ? -1.0 : median(v, p);
    }
    free(samples);
    return 0;
}

static void run_state_free(run_state *r) {
    for (int i = 0; i < r->n_in; i++) free(r->inputs[i].data);
    for (int i = 0; i < r->n_out; i++) free(r->outputs[i].data);
    free(r->outputs);
    free(r->per_run);
    free(r->held);
    free(r->labels.data);
    nngpu_session_destroy(r->session);
    nngpu_model_destroy(r->model);
}

/* Inputs from .npy files, or random ones of the model's shapes. */
static int load_inputs(const nnrun_args *a, run_state *r) {
    for (int i = 0; i < a->n_inputs; i++) {
        nngpu_tensor *t = &r->inputs[r->n_in];
        if (ng_npy_read(a->input_file[i], t) != NNGPU_OK) return fail_status();
        r->n_in++;
        t->name = a->input_name[i];
        if (nngpu_model_set_input_shape(r->model, t->name, t->rank, t->dims) != NNGPU_OK)
            return fail_status();
    }
    int n_model = nngpu_model_input_count(r->model);
    unsigned seed = 1234;
    for (int k = 0; k < n_model; k++) {
        nngpu_tensor_desc d;
        nngpu_model_input(r->model, k, &d);
        int given = 0;
        for (int i = 0; i < r->n_in; i++) given |= !strcmp(r->inputs[i].name, d.name);
        if (given) continue;
        if (r->n_in == NNRUN_MAX_INPUTS) return fail("too many inputs");
        nngpu_tensor *t = &r->inputs[r->n_in];
        memset(t, 0, sizeof *t);
        t->name = d.name;
        t->dtype = d.dtype;
        t->rank = d.rank;
        size_t count = 1;
        for (int j = 0; j < d.rank; j++) {
            t->dims[j] = d.dims[j] < 0 ? 1 : d.dims[j];
            count *= (size_t)t->dims[j];
        }
        t->size_bytes = count * nngpu_dtype_size(d.dtype);
        t->data = malloc(t->size_bytes ? t->size_bytes : 1);
        if (!t->data) return fail("out of memory for a random input");
        r->n_in++;
        const char *what = fill_random(t, &seed);
        if (!a->json) fprintf(stderr, "nnrun: input '%s' not given: %s\n", d.name, what);
    }
    return 0;
}

static int alloc_outputs(run_state *r) {
    r->n_out = nngpu_model_output_count(r->model);
    r->outputs = calloc((size_t)r->n_out, sizeof *r->outputs);
    r->per_run = calloc((size_t)r->n_out + 1, 1);
    r->held = calloc((size_t)r->n_out + 1, sizeof *r->held);
    if (!r->outputs || !r->per_run || !r->held) return fail("out of memory");
    for (int i = 0; i < r->n_out; i++) {
        nngpu_tensor_desc d;
        nngpu_session_output(r->session, i, &d);
        r->per_run[i] = d.rank < 0;
        size_t count = 1;
        for (int j = 0; j < d.rank; j++) count *= (size_t)d.dims[j];
        r->outputs[i].size_bytes = count * nngpu_dtype_size(d.dtype);
        r->outputs[i].data = malloc(r->outputs[i].size_bytes ? r->outputs[i].size_bytes : 1);
        if (!r->outputs[i].data) return fail("out of memory for outputs");
    }
    return 0;
}

/* Accuracy of argmax(output 0) against integer labels. */
static int accuracy(const run_state *r, int *correct, int *samples) {
    const nngpu_tensor *o = &r->outputs[0];
    const nngpu_tensor *y = &r->labels;
    if (o->dtype != NNGPU_DTYPE_FLOAT32 || o->rank != 2 || y->rank != 1 ||
        y->dims[0] != o->dims[0] || y->dtype != NNGPU_DTYPE_INT64)
        return fail("bundled model: output or labels have unexpected shapes");
    const float *p = o->data;
    const int64_t *lab = y->data;
    int64_t classes = o->dims[1];
    *correct = 0;
    *samples = (int)o->dims[0];
    for (int64_t i = 0; i < o->dims[0]; i++) {
        int64_t best = 0;
        for (int64_t c = 1; c < classes; c++)
            if (p[i * classes + c] > p[i * classes + best]) best = c;
        *correct += best == lab[i];
    }
    return 0;
}

int main(int argc, char **argv) {
    nnrun_args a;
    ng_driver_env_defaults();
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    if (a.list_devices) {
        nnrun_print_devices(a.json);
        return 0;
    }
    char models_dir[PATH_MAX], model_path[PATH_MAX + 64], x_path[PATH_MAX + 64],
        y_path[PATH_MAX + 64];
    int bundled = !a.model, owned_names = a.n_inputs; /* parse_args copied the NAMEs */
    if (bundled) {
        if (!find_models_dir(models_dir, sizeof models_dir))
            return fail("no MODEL given and the bundled models/" DEFAULT_MODEL
                        " was not found (set NNGPU_MODELS_DIR)");
        snprintf(model_path, sizeof model_path, "%s/%s", models_dir, DEFAULT_MODEL);
        snprintf(x_path, sizeof x_path, "%s/%s", models_dir, DEFAULT_X);
        snprintf(y_path, sizeof y_path, "%s/%s", models_dir, DEFAULT_Y);
        a.model = model_path;
        if (a.n_inputs == 0) {
            a.input_name[0] = "image";
            a.input_file[0] = x_path;
            a.n_inputs = 1;
        }
    }
    run_state r;
    memset(&r, 0, sizeof r);
    if (nngpu_model_load_file(a.model, &r.model) != NNGPU_OK) return fail_status();
    rc = load_inputs(&a, &r);
    if (!rc && bundled && ng_npy_read(y_path, &r.labels) != NNGPU_OK) rc = fail_status();
    nngpu_options o;
    nngpu_options_init(&o);
    o.precision = a.precision;
    o.tuning_db = a.tuning_db;
    o.profiling = 1;
    o.fusion = !a.no_fusion;
    o.tail_on_host = a.tail_on_host;
    o.allow_cpu_fallback = !a.no_cpu_fallback;
    o.verbose = a.verbose;
    o.precision_strict = a.require_precision;
    o.calibration = a.calibration;
    o.calibration_method = a.calibration_method;
    if (a.percentile > 0) o.calibration_percentile = a.percentile;
    o.bias_correction = !a.no_bias_correction;
    if (a.fp16_tolerance_set) o.fp16_tolerance = a.fp16_tolerance;
    if (a.int8_tolerance_set) o.int8_tolerance = a.int8_tolerance;
    o.weight_bits = a.weight_bits;
    o.weight_group_size = a.weight_group;
    if (!rc && nngpu_session_create(r.model, a.device, &o, &r.session) != NNGPU_OK)
        rc = fail_status();
    if (!rc) rc = alloc_outputs(&r);
    double *times = calloc((size_t)a.runs, sizeof *times);
    if (!rc && !times) rc = fail("out of memory");
    /* Latency with timing off (device timers cost time on some drivers),
     * then one more run with it on for the per-layer times. */
    if (!rc) nngpu_session_set_profiling(r.session, 0);
    for (int i = 0; !rc && i < a.warmup + a.runs; i++) {
        double t0 = now_ms();
        if (run_once(&r) != NNGPU_OK)
            rc = fail_status();
        else if (i >= a.warmup) times[i - a.warmup] = now_ms() - t0;
    }
    nnrun_timing t = {0, 0, 0, a.runs, NULL, profile_runs(a.runs)};
    if (!rc) rc = profile_layers(&r, &t);
    if (!rc) {
        t.median_ms = median(times, a.runs);
        t.min_ms = times[0];
        for (int i = 0; i < a.runs; i++) t.mean_ms += times[i] / a.runs;
    }
    int correct = 0, samples = 0;
    if (!rc && bundled) rc = accuracy(&r, &correct, &samples);
    if (!rc && a.output_dir) rc = write_outputs(a.output_dir, r.n_out, r.outputs);
    if (!rc) {
        double acc = samples ? (double)correct / samples : 0.0;
        if (a.json) nnrun_print_json(&a, r.session, &t, acc, correct, samples);
        else {
            nnrun_print_text(&a, r.session, &t);
            if (bundled)
                printf("accuracy %.2f%% (%d of %d held-out digits, scikit-learn digits data)\n",
                       100.0 * acc, correct, samples);
        }
    }
    free(times);
    free(t.layer_ms);
    run_state_free(&r);
    for (int i = 0; i < owned_names; i++) free((char *)a.input_name[i]);
    return rc;
}
