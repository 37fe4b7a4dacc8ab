/* Calibration inputs (calib_data.h). Minimal version for the FP16 guard
 * until the q-ptq branch's full loader lands: NULL path gives deterministic
 * standard-normal samples; a path is one .npy file for a single-input model,
 * cut into samples along its leading elements. */
#include "calib_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "core/status.h"

static nngpu_status alloc_samples(ng_calib_inputs *c, const ng_graph *g, int n) {
    c->n_inputs = g->n_inputs;
    c->data = calloc((size_t)(n ? n : 1), sizeof *c->data);
    if (!c->data) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration samples");
    for (int s = 0; s < n; s++) {
        c->n_samples++;
        c->data[s] = calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof(void *));
        if (!c->data[s]) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration samples");
        for (int i = 0; i < g->n_inputs; i++) {
            const ng_tensor *t = &g->tensors[g->inputs[i]];
            c->data[s][i] = calloc(ng_nbytes(t) ? ng_nbytes(t) : 1, 1);
            if (!c->data[s][i]) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration samples");
        }
    }
    return NNGPU_OK;
}

static double normal(uint64_t *state) {
    double u[2];
    for (int k = 0; k < 2; k++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        u[k] = ((double)(*state >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static nngpu_status random_samples(const ng_graph *g, int n, ng_calib_inputs *c) {
    NG_CHECK(alloc_samples(c, g, n));
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (int s = 0; s < n; s++)
        for (int i = 0; i < g->n_inputs; i++) {
            const ng_tensor *t = &g->tensors[g->inputs[i]];
            int64_t cnt = ng_numel(t);
            if (t->dtype == NNGPU_DTYPE_FLOAT32)
                for (int64_t j = 0; j < cnt; j++) ((float *)c->data[s][i])[j] = (float)normal(&state);
        }
    return NNGPU_OK;
}

static nngpu_status file_samples(const char *path, const ng_graph *g, int max, ng_calib_inputs *c) {
    if (g->n_inputs != 1)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "calibration file '%s': one input expected", path);
    const ng_tensor *x = &g->tensors[g->inputs[0]];
    if (x->dtype != NNGPU_DTYPE_FLOAT32)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "calibration file '%s': input '%s' is not float32",
                        path, x->name);
    nngpu_tensor f;
    NG_CHECK(ng_npy_read(path, &f));
    int64_t total = 1, per = ng_numel(x);
    for (int i = 0; i < f.rank; i++) total *= f.dims[i];
    nngpu_status st = NNGPU_OK;
    if (f.dtype != NNGPU_DTYPE_FLOAT32 && f.dtype != NNGPU_DTYPE_FLOAT64)
        st = ng_error(NNGPU_ERR_INVALID_ARG, "calibration file '%s': float32/float64 expected", path);
    else if (per <= 0 || total < per || total % per)
        st = ng_error(NNGPU_ERR_INVALID_ARG,
                      "calibration file '%s': %lld values do not split into samples of input '%s' "
                      "(%lld values)", path, (long long)total, x->name, (long long)per);
    int n = st == NNGPU_OK ? (int)(total / per < max ? total / per : max) : 0;
    if (st == NNGPU_OK) st = alloc_samples(c, g, n);
    for (int s = 0; s < n && st == NNGPU_OK; s++)
        for (int64_t j = 0; j < per; j++) {
            int64_t k = (int64_t)s * per + j;
            ((float *)c->data[s][0])[j] = f.dtype == NNGPU_DTYPE_FLOAT32
                                              ? ((const float *)f.data)[k]
                                              : (float)((const double *)f.data)[k];
        }
    free(f.data);
    return st;
}

nngpu_status ng_calib_inputs_load(const char *path, const ng_graph *g, int max_samples,
                                  ng_calib_inputs *out) {
    memset(out, 0, sizeof *out);
    if (max_samples < 1) max_samples = 1;
    nngpu_status st = path ? file_samples(path, g, max_samples, out)
                           : random_samples(g, max_samples, out);
    if (st != NNGPU_OK) ng_calib_inputs_free(out);
    return st;
}

void ng_calib_inputs_free(ng_calib_inputs *c) {
    for (int s = 0; c->data && s < c->n_samples; s++) {
        for (int i = 0; c->data[s] && i < c->n_inputs; i++) free(c->data[s][i]);
        free(c->data[s]);
    }
    free(c->data);
    memset(c, 0, sizeof *c);
}
