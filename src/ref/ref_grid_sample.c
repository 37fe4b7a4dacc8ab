/* GridSample, 2-D and 3-D: each output point samples X at the grid's
 * normalized coordinates in [-1, 1] (x along the last axis, then y, z);
 * linear / nearest (round half to even) / cubic (2-D only, A = -0.75),
 * align_corners. Padding (zeros / border / reflection) applies to each voxel
 * index the interpolation reads, as in onnxruntime's kernel. */
#include <math.h>
#include <string.h>

#include "ref_internal.h"

enum { PAD_ZEROS, PAD_BORDER, PAD_REFLECT };

typedef struct volume {
    const float *p;
    int nd;                  /* spatial axes: 2 or 3 */
    int64_t size[3];         /* outermost first */
    int pad;
    double lo[3], hi[3];     /* the borders reflection folds at */
} volume;

/* Folds x into [lo, hi] by reflecting at the borders. */
static double reflect(double x, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo || x > hi) {
        double d = x < lo ? lo - x : x - hi;
        int64_t k = (int64_t)(d / range);
        double r = d - (double)k * range;
        return (k % 2 == 0) == (x < lo) ? lo + r : hi - r;
    }
    return x;
}

static double voxel(const volume *v, const int64_t *idx) {
    int64_t off = 0;
    for (int d = 0; d < v->nd; d++) {
        int64_t i = idx[d], n = v->size[d];
        if (v->pad == PAD_ZEROS && (i < 0 || i >= n)) return 0;
        if (v->pad == PAD_REFLECT) i = (int64_t)reflect((double)i, v->lo[d], v->hi[d]);
        i = i < 0 ? 0 : i >= n ? n - 1 : i; /* border; for reflection a guard against rounding */
        off = off * n + i;
    }
    return v->p[off];
}

static void cubic_coeffs(double t, double c[4]) {
    const double a = -0.75;
    double x = fabs(t);
    c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
    c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
    c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
    c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

/* The value at pixel coordinates pos[] (outermost axis first). */
static double sample(const volume *v, int mode, const double *pos) {
    int64_t idx[3] = {0, 0, 0};
    if (mode == 'n') {
        for (int d = 0; d < v->nd; d++) idx[d] = (int64_t)nearbyint(pos[d]);
        return voxel(v, idx);
    }
    int64_t base[3];
    double frac[3];
    for (int d = 0; d < v->nd; d++) {
        base[d] = (int64_t)floor(pos[d]);
        frac[d] = pos[d] - (double)base[d];
    }
    if (mode == 'l') { /* the 2^nd corners */
        double sum = 0;
        for (int corner = 0; corner < 1 << v->nd; corner++) {
            double w = 1;
            for (int d = 0; d < v->nd; d++) {
                int up = corner >> (v->nd - 1 - d) & 1;
                idx[d] = base[d] + up;
                w *= up ? frac[d] : 1 - frac[d];
            }
            sum += w * voxel(v, idx);
        }
        return sum;
    }
    double cy[4], cx[4], sum = 0; /* cubic: 2-D, 4x4 around the point */
    cubic_coeffs(frac[0], cy);
    cubic_coeffs(frac[1], cx);
    for (int i = 0; i < 4; i++) {
        double row = 0;
        for (int j = 0; j < 4; j++) {
            idx[0] = base[0] - 1 + i;
            idx[1] = base[1] - 1 + j;
            row += cx[j] * voxel(v, idx);
        }
        sum += cy[i] * row;
    }
    return sum;
}

/* Normalized g in [-1, 1] to a pixel coordinate of an axis of size n; far
 * (non-finite) values are held at +-1e7, outside any image, so that integer
 * conversions stay defined. */
static double denormalize(double g, int64_t n, int align) {
    double x = align ? (g + 1) / 2 * (double)(n - 1) : ((g + 1) * (double)n - 1) / 2;
    return isnan(x) ? 1e7 : fmin(fmax(x, -1e7), 1e7);
}

nngpu_status ng_ref_grid_sample(const ng_graph *g, const ng_node *n, const void *const *in,
                                void *const *out) {
    const ng_tensor *xt = ng_in(g, n, 0), *yt = ng_out(g, n, 0);
    const char *m = ng_attr_string(n, "mode", "bilinear"), *p = ng_attr_string(n, "padding_mode", "zeros");
    const int mode = m[0] == 'n' ? 'n' : strstr(m, "cubic") ? 'c' : 'l';
    const int align = ng_attr_int(n, "align_corners", 0) != 0;
    volume v = {NULL, xt->rank - 2, {0, 0, 0},
                p[0] == 'b' ? PAD_BORDER : p[0] == 'r' ? PAD_REFLECT : PAD_ZEROS,
                {0, 0, 0}, {0, 0, 0}};
    int64_t in_plane = 1, out_plane = 1;
    for (int d = 0; d < v.nd; d++) {
        v.size[d] = xt->dims[2 + d];
        v.lo[d] = align ? 0 : -0.5;
        v.hi[d] = align ? (double)v.size[d] - 1 : (double)v.size[d] - 0.5;
        in_plane *= v.size[d];
        out_plane *= yt->dims[2 + d];
    }
    const int64_t nb = xt->dims[0], nc = xt->dims[1];
    const float *x = in[0], *grid = in[1];
    float *y = out[0];
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < out_plane; i++) {
            const float *gp = grid + (b * out_plane + i) * v.nd;
            double pos[3];
            for (int d = 0; d < v.nd; d++) /* the grid lists x (last axis) first */
                pos[d] = denormalize(gp[v.nd - 1 - d], v.size[d], align);
            for (int64_t c = 0; c < nc; c++) {
                v.p = x + (b * nc + c) * in_plane;
                y[(b * nc + c) * out_plane + i] = (float)sample(&v, mode, pos);
            }
        }
    return NNGPU_OK;
}
