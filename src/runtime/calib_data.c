/* Calibration inputs: .npy files matched to the graph's inputs and cut into
 * samples of the session's input shapes (see calib_data.h).
 *
 * Each input gets one stream of rows (a row: the input's shape without its
 * first dim). A file adds all its rows when it has the input's rank and
 * trailing dims, or one row when it has one dim less. Samples take the rows
 * in order, dims[0] at a time; a stream shorter than one batch is repeated
 * to fill one sample. */
#include "calib_data.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/dims.h"
#include "core/half.h"
#include "core/npy.h"
#include "core/status.h"

typedef struct calib_stream {
    unsigned char *rows; /* converted to the input's dtype */
    int64_t n_rows;
    size_t row_bytes;
} calib_stream;

static int is_float_dtype(nngpu_dtype t) {
    return t == NNGPU_DTYPE_FLOAT32 || t == NNGPU_DTYPE_FLOAT16 || t == NNGPU_DTYPE_FLOAT64;
}

static double read_float(const void *p, nngpu_dtype t, int64_t i) {
    switch (t) {
    case NNGPU_DTYPE_FLOAT32: return ((const float *)p)[i];
    case NNGPU_DTYPE_FLOAT16: return ng_half_to_float(((const uint16_t *)p)[i]);
    default: return ((const double *)p)[i];
    }
}

static void write_float(void *p, nngpu_dtype t, int64_t i, double v) {
    switch (t) {
    case NNGPU_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case NNGPU_DTYPE_FLOAT16: ((uint16_t *)p)[i] = ng_half_from_float((float)v); break;
    default: ((double *)p)[i] = v; break;
    }
}

/* Rows of one file for input x, or an error naming both. */
static nngpu_status file_rows(const char *path, const ng_tensor *x, const nngpu_tensor *f,
                              int64_t *n_rows) {
    int row_rank = x->rank > 0 ? x->rank - 1 : 0;
    const int64_t *row_dims = x->rank > 0 ? x->dims + 1 : x->dims;
    int off = -1;
    if (x->rank == 0 && f->rank == 0) off = 0;
    else if (f->rank == row_rank + 1) off = 1;
    else if (f->rank == row_rank) off = 0;
    int ok = off >= 0;
    for (int i = 0; ok && i < row_rank; i++) ok = f->dims[i + off] == row_dims[i];
    if (!ok) {
        char want[200], got[200];
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "calibration file '%s' has shape [%s]; input '%s' needs [%s] "
                        "(or a stack of them along dim 0)",
                        path, ng_dims_format(f->dims, f->rank, ",", got, sizeof got), x->name,
                        ng_dims_format(x->dims, x->rank, ",", want, sizeof want));
    }
    *n_rows = x->rank == 0 ? 1 : (off == 1 ? f->dims[0] : 1);
    return NNGPU_OK;
}

/* Appends the rows of file `path` to input x's stream. */
static nngpu_status stream_add_file(calib_stream *s, const char *path, const ng_tensor *x) {
    nngpu_tensor f;
    memset(&f, 0, sizeof f);
    nngpu_status st = ng_npy_read(path, &f);
    if (st != NNGPU_OK) return ng_error_context(st, "calibration input '%s'", x->name);
    int64_t rows = 0;
    int convert = f.dtype != x->dtype;
    if (convert && !(is_float_dtype(f.dtype) && is_float_dtype(x->dtype)))
        st = ng_error(NNGPU_ERR_INVALID_ARG, "calibration file '%s' holds %s; input '%s' is %s",
                      path, nngpu_dtype_name(f.dtype), x->name, nngpu_dtype_name(x->dtype));
    if (st == NNGPU_OK) st = file_rows(path, x, &f, &rows);
    if (st == NNGPU_OK && rows > 0) {
        unsigned char *grown = realloc(s->rows, (size_t)(s->n_rows + rows) * s->row_bytes);
        if (!grown) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration rows of '%s'", path);
        else {
            s->rows = grown;
            unsigned char *dst = s->rows + (size_t)s->n_rows * s->row_bytes;
            size_t esz = nngpu_dtype_size(x->dtype);
            int64_t n = (int64_t)((size_t)rows * s->row_bytes / esz);
            if (!convert) memcpy(dst, f.data, (size_t)rows * s->row_bytes);
            else
                for (int64_t i = 0; i < n; i++)
                    write_float(dst, x->dtype, i, read_float(f.data, f.dtype, i));
            s->n_rows += rows;
        }
    }
    free(f.data);
    return st;
}

static int has_npy_suffix(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".npy") == 0;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .npy file names of folder dir, sorted; *n_out of them. */
nngpu_status ng_calib_list_npy(const char *dir, char ***out, int *n_out) {
    DIR *d = opendir(dir);
    if (!d) return ng_error(NNGPU_ERR_IO, "calibration folder '%s': %s", dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0;
    nngpu_status st = NNGPU_OK;
    struct dirent *e;
    while (st == NNGPU_OK && (e = readdir(d)) != NULL) {
        if (!has_npy_suffix(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **grown = realloc(names, sizeof *names * (size_t)cap);
            if (!grown) {
                st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "listing '%s'", dir);
                break;
            }
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "listing '%s'", dir);
        else n++;
    }
    closedir(d);
    if (st == NNGPU_OK && n == 0)
        st = ng_error(NNGPU_ERR_NOT_FOUND, "calibration folder '%s' holds no .npy file", dir);
    if (st != NNGPU_OK) {
        for (int i = 0; i < n; i++) free(names[i]);
        free(names);
        return st;
    }
    qsort(names, (size_t)n, sizeof *names, compare_names);
    *out = names;
    *n_out = n;
    return NNGPU_OK;
}

static nngpu_status join_path(char *buf, size_t cap, const char *dir, const char *name) {
    if ((size_t)snprintf(buf, cap, "%s/%s", dir, name) >= cap)
        return ng_error(NNGPU_ERR_INVALID_ARG, "calibration path '%s/%s' is too long", dir, name);
    return NNGPU_OK;
}

/* Fills the streams: every file for a single input, <name>.npy per input otherwise. */
static nngpu_status load_streams(const char *path, const ng_graph *g, calib_stream *s) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ng_error(NNGPU_ERR_IO, "calibration path '%s': %s", path, strerror(errno));
    int is_dir = S_ISDIR(sb.st_mode);
    char file[4096];
    if (g->n_inputs == 1) {
        const ng_tensor *x = &g->tensors[g->inputs[0]];
        if (!is_dir) return stream_add_file(&s[0], path, x);
        char **names = NULL;
        int n = 0;
        NG_CHECK(ng_calib_list_npy(path, &names, &n));
        nngpu_status st = NNGPU_OK;
        for (int i = 0; i < n && st == NNGPU_OK; i++) {
            st = join_path(file, sizeof file, path, names[i]);
            if (st == NNGPU_OK) st = stream_add_file(&s[0], file, x);
        }
        for (int i = 0; i < n; i++) free(names[i]);
        free(names);
        return st;
    }
    if (!is_dir)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "calibration path '%s': the model has %d inputs; give a folder with "
                        "one <input name>.npy per input",
                        path, g->n_inputs);
    for (int k = 0; k < g->n_inputs; k++) {
        const ng_tensor *x = &g->tensors[g->inputs[k]];
        char name[512];
        snprintf(name, sizeof name, "%s.npy", x->name);
        for (char *p = name; *p; p++)
            if (*p == '/' || *p == '\\' || *p == ':') *p = '_';
        NG_CHECK(join_path(file, sizeof file, path, name));
        if (stat(file, &sb) != 0)
            return ng_error(NNGPU_ERR_IO, "calibration file '%s' for input '%s': %s", file,
                            x->name, strerror(errno));
        NG_CHECK(stream_add_file(&s[k], file, x));
    }
    return NNGPU_OK;
}

double ng_calib_normal(uint64_t *state) {
    double u[2];
    for (int i = 0; i < 2; i++) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        u[i] = ((double)(*state >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static nngpu_status fill_random(const ng_graph *g, ng_calib_inputs *c) {
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < c->n_samples; i++)
        for (int k = 0; k < c->n_inputs; k++) {
            const ng_tensor *x = &g->tensors[g->inputs[k]];
            if (!is_float_dtype(x->dtype)) continue; /* integer inputs stay zero */
            for (int64_t e = 0; e < ng_numel(x); e++)
                write_float(c->data[i][k], x->dtype, e, ng_calib_normal(&state));
        }
    return NNGPU_OK;
}

static nngpu_status alloc_samples(const ng_graph *g, ng_calib_inputs *c) {
    c->data = calloc((size_t)c->n_samples, sizeof *c->data);
    if (!c->data) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration samples");
    for (int i = 0; i < c->n_samples; i++) {
        c->data[i] = calloc((size_t)(c->n_inputs ? c->n_inputs : 1), sizeof **c->data);
        if (!c->data[i]) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration samples");
        for (int k = 0; k < c->n_inputs; k++) {
            size_t b = ng_nbytes(&g->tensors[g->inputs[k]]);
            c->data[i][k] = calloc(b ? b : 1, 1);
            if (!c->data[i][k]) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration samples");
        }
    }
    return NNGPU_OK;
}

/* Sample i of input k: rows [i*batch, (i+1)*batch) of its stream, wrapping. */
static void copy_sample(const ng_tensor *x, const calib_stream *s, int i, void *dst) {
    int64_t batch = x->rank > 0 ? x->dims[0] : 1;
    for (int64_t r = 0; r < batch; r++) {
        int64_t src = ((int64_t)i * batch + r) % s->n_rows;
        memcpy((unsigned char *)dst + (size_t)r * s->row_bytes, s->rows + (size_t)src * s->row_bytes,
               s->row_bytes);
    }
}

nngpu_status ng_calib_inputs_load(const char *path, const ng_graph *g, int max_samples,
                                  ng_calib_inputs *out) {
    int held_out;
    return ng_calib_inputs_load_after(path, g, 0, max_samples, out, &held_out);
}

nngpu_status ng_calib_inputs_load_after(const char *path, const ng_graph *g, int first,
                                        int max_samples, ng_calib_inputs *out, int *held_out) {
    memset(out, 0, sizeof *out);
    *held_out = 0;
    if (max_samples < 1) max_samples = 1;
    out->n_inputs = g->n_inputs;
    if (!path) {
        out->n_samples = max_samples;
        nngpu_status st = alloc_samples(g, out);
        if (st == NNGPU_OK) st = fill_random(g, out);
        if (st != NNGPU_OK) ng_calib_inputs_free(out);
        return st;
    }
    calib_stream *s = calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof *s);
    if (!s) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration streams");
    int64_t n = INT64_MAX; /* full samples in every stream */
    for (int k = 0; k < g->n_inputs; k++) {
        const ng_tensor *x = &g->tensors[g->inputs[k]];
        int64_t batch = x->rank > 0 ? x->dims[0] : 1;
        s[k].row_bytes = batch > 0 ? ng_nbytes(x) / (size_t)batch : ng_nbytes(x);
    }
    nngpu_status st = load_streams(path, g, s);
    for (int k = 0; st == NNGPU_OK && k < g->n_inputs; k++) {
        const ng_tensor *x = &g->tensors[g->inputs[k]];
        int64_t batch = x->rank > 0 ? x->dims[0] : 1;
        if (s[k].n_rows == 0 || batch < 1)
            st = ng_error(NNGPU_ERR_INVALID_ARG, "calibration path '%s': no rows for input '%s'",
                          path, x->name);
        else {
            int64_t full = s[k].n_rows / batch;
            if (full < 1) full = 1;
            if (full < n) n = full;
        }
    }
    if (st == NNGPU_OK) {
        *held_out = first > 0 && n > first;
        if (*held_out) n -= first;
        else first = 0;
        out->n_samples = (int)(n < max_samples ? n : max_samples);
        st = alloc_samples(g, out);
    }
    for (int i = 0; st == NNGPU_OK && i < out->n_samples; i++)
        for (int k = 0; k < g->n_inputs; k++)
            copy_sample(&g->tensors[g->inputs[k]], &s[k], first + i, out->data[i][k]);
    for (int k = 0; k < g->n_inputs; k++) free(s[k].rows);
    free(s);
    if (st != NNGPU_OK) ng_calib_inputs_free(out);
    return st;
}

void ng_calib_inputs_free(ng_calib_inputs *c) {
    if (c->data) {
        for (int i = 0; i < c->n_samples; i++) {
            if (!c->data[i]) continue;
            for (int k = 0; k < c->n_inputs; k++) free(c->data[i][k]);
            free(c->data[i]);
        }
        free(c->data);
    }
    memset(c, 0, sizeof *c);
}
