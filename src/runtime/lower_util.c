/* Shape helpers for lowering (lower_util.h). */
#include "lower_util.h"

#include <limits.h>
#include <stdio.h>

#include "params.h"

int ng_lower_f32_ok(const ng_tensor *t) {
    if (!t || t->dtype != NNGPU_DTYPE_FLOAT32 || t->rank < 0 || t->rank > NNGPU_MAX_DIMS)
        return 0;
    for (int k = 0; k < t->rank; k++)
        if (t->dims[k] < 0) return 0;
    return ng_numel(t) < INT_MAX;
}

void ng_lower_strides(int rank, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        strides[k] = s;
        s *= dims[k];
    }
}

int ng_lower_collapse(int rank, int64_t *dims, int64_t *xs, int64_t *ys) {
    int r = 0;
    for (int k = 0; k < rank; k++) {
        if (dims[k] == 1) continue;
        if (r > 0 && xs[r - 1] == xs[k] * dims[k] && (!ys || ys[r - 1] == ys[k] * dims[k])) {
            dims[r - 1] *= dims[k];
            xs[r - 1] = xs[k];
            if (ys) ys[r - 1] = ys[k];
            continue;
        }
        dims[r] = dims[k];
        xs[r] = xs[k];
        if (ys) ys[r] = ys[k];
        r++;
    }
    if (r == 0) {
        dims[0] = 1;
        xs[0] = 1;
        if (ys) ys[0] = 1;
        r = 1;
    }
    return r;
}

int ng_lower_rows_params(const nngpu_device_info *dev, const char *db_path, const char *family,
                         int64_t outer, int64_t len, int64_t inner, int *wg,
                         const char **source) {
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    ng_params_set(&p, "ROWS_MIN_LEN", 64); /* rows at least this long use a work-group each */
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lldx%lld", (long long)outer, (long long)len, (long long)inner);
    ng_params_lookup(dev, db_path, family, sig, &p);
    *source = p.source;
    int w = ng_params_get(&p, "WG", 64);
    if (w < 1 || (w & (w - 1))) w = 64;
    while (dev->max_work_group_size > 0 && (size_t)w > dev->max_work_group_size && w > 1) w >>= 1;
    *wg = w;
    return len >= ng_params_get(&p, "ROWS_MIN_LEN", 64) && w > 1;
}
