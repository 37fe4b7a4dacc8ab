/* case_runner: runs ONNX test cases (a folder with model.onnx, input_<i>.npy,
 * output_<i>.npy) on one or more devices and compares against the expected
 * outputs with a normalized error bound and an elementwise tolerance.
 *
 *   case_runner --device SEL [--device SEL...] [--rtol R] [--atol A]
 *               [--max-rel-err E] [--guard-bytes G] [--repeat N] [--quiet] CASE_DIR...
 * --repeat N runs each session N times, every run checked: a model's run-time
 * tail moves to the device when its extents repeat (the report's
 * tail_kernels), and with N >= 2 at least one case of a device must do so.
 * A CASE_DIR without model.onnx stands for its sub-folders (sorted by name).
 * A case's optional "tolerance" file ("RTOL ATOL") loosens --rtol/--atol for it;
 * float16 outputs are held to a normalized error of 1e-3 (their own rounding).
 *
 * Prints one line per case and device, then "cases: P passed, F failed,
 * U unsupported"; exits 1 when any case failed, 2 on a usage error. */
#include "core/dims.h"
#include "core/npy.h"
#include "nngpu/nngpu.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEVICES 8

typedef struct runner_config {
    const char *devices[MAX_DEVICES];
    int n_devices;
    double rtol, atol, max_rel_err;
    size_t guard_bytes;
    int quiet, repeat;
} runner_config;

typedef enum case_result { CASE_PASS, CASE_FAIL, CASE_UNSUPPORTED } case_result;

typedef struct case_report {
    case_result result;
    char msg[1024];      /* why it failed / was unsupported */
    double worst_rel;    /* largest normalized error over the outputs */
    double worst_abs;    /* largest |out - ref| over the outputs */
    int cpu_nodes;
    int tail_kernels;    /* most kernels a run's tail ran on the device */
} case_report;

static case_result report_set(case_report *r, case_result res, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->result = res;
    return res;
}

/* ---- element access ------------------------------------------------------ */

static double half_to_double(uint16_t h) {
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp(man, -24);
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexp(man + 1024, exp - 25);
    return sign ? -v : v;
}

static double element(const nngpu_tensor *t, size_t i) {
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case NNGPU_DTYPE_FLOAT32: { float v; memcpy(&v, p + 4 * i, 4); return v; }
    case NNGPU_DTYPE_FLOAT64: { double v; memcpy(&v, p + 8 * i, 8); return v; }
    case NNGPU_DTYPE_FLOAT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return half_to_double(v); }
    case NNGPU_DTYPE_INT8: return (int8_t)p[i];
    case NNGPU_DTYPE_UINT8: return p[i];
    case NNGPU_DTYPE_BOOL: return p[i] != 0;
    case NNGPU_DTYPE_INT32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case NNGPU_DTYPE_INT64: { int64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    default: return NAN;
    }
}

static int is_float(nngpu_dtype t) {
    return t == NNGPU_DTYPE_FLOAT32 || t == NNGPU_DTYPE_FLOAT64 || t == NNGPU_DTYPE_FLOAT16;
}

static size_t elem_count(int rank, const int64_t *dims) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

static void shape_str(char *buf, size_t cap, int rank, const int64_t *dims) {
    char d[140];
    snprintf(buf, cap, "[%s]", ng_dims_format(dims, rank, ",", d, sizeof d));
}

/* ---- comparison ------------------------------------------------------------ */

/* Compares one output; returns 0 and fills r->msg on a mismatch. */
static int compare_output(const runner_config *cfg, const char *name, const nngpu_tensor *out,
                          const nngpu_tensor *ref, case_report *r) {
    char so[160], sr[160];
    shape_str(so, sizeof so, out->rank, out->dims);
    shape_str(sr, sizeof sr, ref->rank, ref->dims);
    if (out->dtype != ref->dtype) {
        report_set(r, CASE_FAIL, "output '%s': dtype %s, expected %s", name,
                   nngpu_dtype_name(out->dtype), nngpu_dtype_name(ref->dtype));
        return 0;
    }
    if (out->rank != ref->rank || strcmp(so, sr) != 0) {
        report_set(r, CASE_FAIL, "output '%s': shape %s, expected %s", name, so, sr);
        return 0;
    }
    size_t n = elem_count(ref->rank, ref->dims);
    double diff2 = 0, ref2 = 0, max_abs = 0, worst_excess = 0;
    size_t bad = 0, first_bad = 0;
    int exact = !is_float(ref->dtype);
    for (size_t i = 0; i < n; i++) {
        double o = element(out, i), e = element(ref, i);
        if (isnan(e) || isnan(o)) {
            if (isnan(e) != isnan(o)) {
                report_set(r, CASE_FAIL, "output '%s': element %zu is %g, expected %g", name, i,
                           o, e);
                return 0;
            }
            continue;
        }
        if (isinf(e) || isinf(o)) {
            if (o != e) {
                report_set(r, CASE_FAIL, "output '%s': element %zu is %g, expected %g", name, i,
                           o, e);
                return 0;
            }
            continue;
        }
        double d = fabs(o - e);
        diff2 += d * d;
        ref2 += e * e;
        if (d > max_abs) max_abs = d;
        double excess = exact ? d : d - (cfg->atol + cfg->rtol * fabs(e));
        if (excess > 0) {
            if (!bad || excess > worst_excess) {
                worst_excess = excess;
                first_bad = i;
            }
            bad++;
        }
    }
    double rel = ref2 > 0 ? sqrt(diff2 / ref2) : sqrt(diff2);
    if (rel > r->worst_rel) r->worst_rel = rel;
    if (max_abs > r->worst_abs) r->worst_abs = max_abs;
    /* float16 outputs: the bound of their own rounding (eps 2^-10), since the
     * expected values round every intermediate to float16 too */
    double max_rel = ref->dtype == NNGPU_DTYPE_FLOAT16 && cfg->max_rel_err < 1e-3 ? 1e-3
                                                                                 : cfg->max_rel_err;
    if (bad && (exact || rel > max_rel)) {
        report_set(r, CASE_FAIL,
                   "output '%s': rel err %.3g > %.3g and %zu/%zu elements outside tolerance "
                   "(worst at %zu: %.9g, expected %.9g)",
                   name, rel, max_rel, bad, n, first_bad, element(out, first_bad),
                   element(ref, first_bad));
        return 0;
    }
    return 1;
}

/* ---- one case ------------------------------------------------------------------ */

typedef struct case_data {
    double rtol, atol; /* from the case's "tolerance" file ("RTOL ATOL"), else 0 */
    nngpu_model *model;
    int n_in, n_out;
    nngpu_tensor *inputs, *expected;
} case_data;

static void case_data_free(case_data *c) {
    for (int i = 0; c->inputs && i < c->n_in; i++) free(c->inputs[i].data);
    for (int i = 0; c->expected && i < c->n_out; i++) free(c->expected[i].data);
    free(c->inputs);
    free(c->expected);
    if (c->model) nngpu_model_destroy(c->model);
    memset(c, 0, sizeof *c);
}

static int status_is_unsupported(nngpu_status s) { return s == NNGPU_ERR_UNSUPPORTED; }

/* Loads model and data and fixes the input shapes; 0 on success. */
static int case_load(const char *dir, case_data *c, case_report *r) {
    char path[4096];
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/tolerance", dir);
    FILE *tol = fopen(path, "r");
    if (tol) {
        int ok = fscanf(tol, "%lf %lf", &c->rtol, &c->atol) == 2 && c->rtol >= 0 && c->atol >= 0;
        fclose(tol);
        if (!ok) {
            report_set(r, CASE_FAIL, "%s: want two non-negative numbers \"RTOL ATOL\"", path);
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    nngpu_status s = nngpu_model_load_file(path, &c->model);
    if (s != NNGPU_OK) {
        report_set(r, status_is_unsupported(s) ? CASE_UNSUPPORTED : CASE_FAIL, "load: %s: %s",
                   nngpu_status_name(s), nngpu_last_error());
        return -1;
    }
    c->n_in = nngpu_model_input_count(c->model);
    c->n_out = nngpu_model_output_count(c->model);
    c->inputs = calloc((size_t)c->n_in + 1, sizeof *c->inputs);
    c->expected = calloc((size_t)c->n_out + 1, sizeof *c->expected);
    if (!c->inputs || !c->expected) {
        report_set(r, CASE_FAIL, "out of memory");
        return -1;
    }
    for (int i = 0; i < c->n_in; i++) {
        nngpu_tensor_desc d;
        snprintf(path, sizeof path, "%s/input_%d.npy", dir, i);
        if ((s = nngpu_model_input(c->model, i, &d)) != NNGPU_OK ||
            (s = ng_npy_read(path, &c->inputs[i])) != NNGPU_OK) {
            report_set(r, CASE_FAIL, "input %d: %s", i, nngpu_last_error());
            return -1;
        }
        c->inputs[i].name = d.name;
        s = nngpu_model_set_input_shape(c->model, d.name, c->inputs[i].rank, c->inputs[i].dims);
        if (s != NNGPU_OK) {
            report_set(r, status_is_unsupported(s) ? CASE_UNSUPPORTED : CASE_FAIL,
                       "set shape of input '%s': %s", d.name, nngpu_last_error());
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s/input_%d.npy", dir, c->n_in);
    if (access(path, F_OK) == 0) {
        report_set(r, CASE_FAIL, "the model has %d inputs but %s exists", c->n_in, path);
        return -1;
    }
    for (int i = 0; i < c->n_out; i++) {
        nngpu_tensor_desc d;
        snprintf(path, sizeof path, "%s/output_%d.npy", dir, i);
        if ((s = nngpu_model_output(c->model, i, &d)) != NNGPU_OK ||
            (s = ng_npy_read(path, &c->expected[i])) != NNGPU_OK) {
            report_set(r, CASE_FAIL, "expected output %d: %s", i, nngpu_last_error());
            return -1;
        }
        c->expected[i].name = d.name;
    }
    return 0;
}

/* Runs a loaded case on one device. The session is kept in *held until the
 * device's next session exists, so that a device shared by the sessions of a
 * process (Vulkan's pipelines) stays open from case to case, as in a host
 * that keeps a session: each distinct pipeline compiles once per run. */
static case_result case_run(const runner_config *cfg, case_data *c, const char *device,
                            nngpu_session **held, case_report *r) {
    nngpu_options o;
    nngpu_options_init(&o);
    o.guard_bytes = cfg->guard_bytes;
    nngpu_session *sess = NULL;
    nngpu_status s = nngpu_session_create(c->model, device, &o, &sess);
    if (s != NNGPU_OK)
        return report_set(r, status_is_unsupported(s) ? CASE_UNSUPPORTED : CASE_FAIL,
                          "session: %s: %s", nngpu_status_name(s), nngpu_last_error());
    nngpu_session_stats st;
    nngpu_session_get_stats(sess, &st);
    r->cpu_nodes = st.cpu_nodes;
    nngpu_session_destroy(*held);
    *held = sess;

    nngpu_tensor *outs = calloc((size_t)c->n_out + 1, sizeof *outs);
    if (!outs)
        return report_set(r, CASE_FAIL, "out of memory");
    r->result = CASE_PASS;
    for (int i = 0; i < c->n_out && r->result == CASE_PASS; i++) {
        nngpu_tensor_desc d;
        if ((s = nngpu_session_output(sess, i, &d)) != NNGPU_OK) {
            report_set(r, CASE_FAIL, "output %d: %s", i, nngpu_last_error());
            break;
        }
        /* Room for whatever the session reports, and at least the expected size. */
        size_t want = elem_count(d.rank, d.dims) * 8;
        if (want < c->expected[i].size_bytes) want = c->expected[i].size_bytes;
        outs[i].name = d.name;
        outs[i].size_bytes = want;
        outs[i].data = malloc(want ? want : 1);
        if (!outs[i].data) report_set(r, CASE_FAIL, "out of memory");
    }
    runner_config case_cfg = *cfg; /* a case's own tolerance may be looser */
    if (c->rtol > case_cfg.rtol) case_cfg.rtol = c->rtol;
    if (c->atol > case_cfg.atol) case_cfg.atol = c->atol;
    for (int run = 0; run < (cfg->repeat > 1 ? cfg->repeat : 1) && r->result == CASE_PASS; run++) {
        s = nngpu_session_run(sess, c->n_in, c->inputs, c->n_out, outs);
        if (s != NNGPU_OK) {
            report_set(r, status_is_unsupported(s) ? CASE_UNSUPPORTED : CASE_FAIL, "run %d: %s: %s",
                       run + 1, nngpu_status_name(s), nngpu_last_error());
            break;
        }
        nngpu_session_get_stats(sess, &st);
        if (st.tail_kernels > r->tail_kernels) r->tail_kernels = st.tail_kernels;
        for (int i = 0; i < c->n_out && r->result == CASE_PASS; i++)
            compare_output(&case_cfg, c->expected[i].name, &outs[i], &c->expected[i], r);
        if (r->result != CASE_PASS && run > 0) {
            char why[sizeof r->msg + 64];
            snprintf(why, sizeof why, "run %d (tail_kernels=%d): %s", run + 1, st.tail_kernels, r->msg);
            snprintf(r->msg, sizeof r->msg, "%.1000s", why);
        }
    }
    for (int i = 0; i < c->n_out; i++) free(outs[i].data);
    free(outs);
    return r->result;
}

/* ---- main ---------------------------------------------------------------------- */

typedef struct dir_list {
    char **items;
    int n, cap;
} dir_list;

static int dir_list_push(dir_list *l, const char *a, const char *b) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items) return -1;
        l->items = items;
        l->cap = cap;
    }
    size_t len = strlen(a) + (b ? strlen(b) + 1 : 0) + 1;
    char *s = malloc(len);
    if (!s) return -1;
    snprintf(s, len, "%s%s%s", a, b ? "/" : "", b ? b : "");
    l->items[l->n++] = s;
    return 0;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Adds arg as a case, or its sub-folders when it holds no model.onnx. */
static int dir_list_add(dir_list *l, const char *arg) {
    char model[4096];
    snprintf(model, sizeof model, "%s/model.onnx", arg);
    if (!is_dir(arg) || access(model, F_OK) == 0) return dir_list_push(l, arg, NULL);
    struct dirent **ents;
    int n = scandir(arg, &ents, NULL, alphasort);
    if (n < 0) return dir_list_push(l, arg, NULL);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", arg, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.' && is_dir(sub) && rc == 0)
            rc = dir_list_push(l, arg, ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    return rc;
}

static void dir_list_free(dir_list *l) {
    for (int i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
}

static const char *case_name(const char *dir) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    const char *slash = strrchr(buf, '/');
    return slash ? slash + 1 : buf;
}

static void usage(FILE *f) {
    fprintf(f, "usage: case_runner --device SEL [--device SEL...] [--rtol R] [--atol A]\n"
               "                   [--max-rel-err E] [--guard-bytes G] [--repeat N] [--quiet]\n"
               "                   CASE_DIR...\n"
               "  SEL: a device index, \"opencl:N\" or \"cpu\"\n"
               "  a case passes when every output has the expected dtype and shape, no NaN\n"
               "  where none is expected, and ||out-ref||/||ref|| <= E (default 1e-4) or\n"
               "  every |out-ref| <= A + R*|ref| (defaults 1e-5, 1e-4); integers must match\n"
               "  G: guard bytes around every tensor, checked after each run (default 256)\n"
               "  N: runs per session, each checked (default 1); with N >= 2 a device must\n"
               "  run some case's run-time tail as kernels (its extents repeat)\n"
               "  a CASE_DIR without model.onnx stands for its sub-folders; a case's file\n"
               "  \"tolerance\" (\"RTOL ATOL\") loosens R and A for that case\n");
}

static int parse_double(const char *arg, const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= 0)) {
        fprintf(stderr, "case_runner: error: %s needs a non-negative number, got '%s'\n", arg,
                s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv) {
    runner_config cfg = {.rtol = 1e-4, .atol = 1e-5, .max_rel_err = 1e-4, .guard_bytes = 256};
    dir_list dirs = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            dir_list_free(&dirs);
            return 0;
        } else if (strcmp(a, "--quiet") == 0) {
            cfg.quiet = 1;
        } else if (strcmp(a, "--device") == 0 && has_val) {
            if (cfg.n_devices == MAX_DEVICES) {
                fprintf(stderr, "case_runner: error: at most %d devices\n", MAX_DEVICES);
                dir_list_free(&dirs);
                return 2;
            }
            cfg.devices[cfg.n_devices++] = argv[++i];
        } else if (strcmp(a, "--guard-bytes") == 0 && has_val) {
            double g;
            if (parse_double(a, argv[++i], &g) != 0) {
                dir_list_free(&dirs);
                return 2;
            }
            cfg.guard_bytes = (size_t)g;
        } else if (strcmp(a, "--repeat") == 0 && has_val) {
            double n;
            if (parse_double(a, argv[++i], &n) != 0 || n < 1 || n > 100) {
                fprintf(stderr, "case_runner: error: --repeat needs 1 to 100\n");
                dir_list_free(&dirs);
                return 2;
            }
            cfg.repeat = (int)n;
        } else if ((strcmp(a, "--rtol") == 0 || strcmp(a, "--atol") == 0 ||
                    strcmp(a, "--max-rel-err") == 0) && has_val) {
            double *dst = a[2] == 'r' ? &cfg.rtol : a[2] == 'a' ? &cfg.atol : &cfg.max_rel_err;
            if (parse_double(a, argv[++i], dst) != 0) {
                dir_list_free(&dirs);
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "case_runner: error: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            dir_list_free(&dirs);
            return 2;
        } else if (dir_list_add(&dirs, a) != 0) {
            fprintf(stderr, "case_runner: error: out of memory\n");
            dir_list_free(&dirs);
            return 2;
        }
    }
    if (!cfg.n_devices || !dirs.n) {
        usage(stderr);
        dir_list_free(&dirs);
        return 2;
    }

    int passed = 0, failed = 0, unsupported = 0, device_tails[MAX_DEVICES] = {0};
    nngpu_session *held[MAX_DEVICES] = {0};
    for (int d = 0; d < dirs.n; d++) {
        case_data c;
        case_report load_r = {0};
        int loaded = case_load(dirs.items[d], &c, &load_r) == 0;
        for (int k = 0; k < cfg.n_devices; k++) {
            case_report r = load_r;
            if (loaded) case_run(&cfg, &c, cfg.devices[k], &held[k], &r);
            const char *tag = r.result == CASE_PASS ? "PASS"
                              : r.result == CASE_FAIL ? "FAIL" : "UNSUPPORTED";
            passed += r.result == CASE_PASS;
            failed += r.result == CASE_FAIL;
            unsupported += r.result == CASE_UNSUPPORTED;
            device_tails[k] += r.result == CASE_PASS && r.tail_kernels > 0;
            if (r.result == CASE_PASS && cfg.quiet) continue;
            char tail[40] = "";
            if (r.tail_kernels) snprintf(tail, sizeof tail, " tail_kernels=%d", r.tail_kernels);
            printf("%-11s %s [%s] rel_err=%.3g max_abs_err=%.3g cpu_nodes=%d%s%s%s\n", tag,
                   case_name(dirs.items[d]), cfg.devices[k], r.worst_rel, r.worst_abs, r.cpu_nodes,
                   tail, r.msg[0] ? ": " : "", r.msg);
            fflush(stdout);
        }
        case_data_free(&c);
    }
    for (int k = 0; k < cfg.n_devices; k++) nngpu_session_destroy(held[k]);
    printf("cases: %d passed, %d failed, %d unsupported\n", passed, failed, unsupported);
    for (int k = 0; k < cfg.n_devices && cfg.repeat > 1; k++) {
        int is_cpu = strcmp(cfg.devices[k], "cpu") == 0;
        printf("%s: %d cases ran their run-time tail on the device\n", cfg.devices[k], device_tails[k]);
        if (!is_cpu && device_tails[k] == 0) {
            printf("FAIL        no case's run-time tail ran on %s over %d runs\n", cfg.devices[k], cfg.repeat);
            failed++;
        }
    }
    dir_list_free(&dirs);
    return failed ? 1 : 0;
}
