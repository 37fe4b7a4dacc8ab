/* GridSample (2-D): output pixel (h, w) samples X at the grid's normalized
 * (x, y) in [-1, 1]; bilinear / nearest (round half to even) / bicubic
 * (A = -0.75), align_corners. Padding (zeros / border / reflection) applies
 * to each pixel index the interpolation reads, as in onnxruntime's kernel. */
#include <math.h>
#include <string.h>

#include "ref_internal.h"

enum { PAD_ZEROS, PAD_BORDER, PAD_REFLECT };

typedef struct plane {
    const float *p;
    int64_t h, w;
    int pad;
    double lo_x, hi_x, lo_y, hi_y; /* the borders reflection folds at */
} plane;

/* Folds x into [lo, hi] by reflecting at the borders. */
static double reflect(double x, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo) {
        double d = lo - x;
        int64_t k = (int64_t)(d / range);
        double r = d - (double)k * range;
        return k % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        double d = x - hi;
        int64_t k = (int64_t)(d / range);
        double r = d - (double)k * range;
        return k % 2 == 0 ? hi - r : lo + r;
    }
    return x;
}

static double pixel(const plane *pl, int64_t r, int64_t c) {
    if (pl->pad == PAD_ZEROS) return r >= 0 && r < pl->h && c >= 0 && c < pl->w ? pl->p[r * pl->w + c] : 0;
    if (pl->pad == PAD_BORDER) {
        r = r < 0 ? 0 : r >= pl->h ? pl->h - 1 : r;
        c = c < 0 ? 0 : c >= pl->w ? pl->w - 1 : c;
    } else { /* the clamp only guards against rounding */
        c = (int64_t)reflect((double)c, pl->lo_x, pl->hi_x);
        r = (int64_t)reflect((double)r, pl->lo_y, pl->hi_y);
        r = r < 0 ? 0 : r >= pl->h ? pl->h - 1 : r;
        c = c < 0 ? 0 : c >= pl->w ? pl->w - 1 : c;
    }
    return pl->p[r * pl->w + c];
}

static void cubic_coeffs(double t, double c[4]) {
    const double a = -0.75;
    double x = fabs(t);
    c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
    c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
    c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
    c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

static double sample(const plane *pl, int mode, double x, double y) {
    if (mode == 'n') return pixel(pl, (int64_t)y, (int64_t)x); /* already rounded */
    if (mode == 'l') {
        int64_t x0 = (int64_t)floor(x), y0 = (int64_t)floor(y);
        double dx = x - (double)x0, dy = y - (double)y0;
        return (1 - dy) * ((1 - dx) * pixel(pl, y0, x0) + dx * pixel(pl, y0, x0 + 1)) +
               dy * ((1 - dx) * pixel(pl, y0 + 1, x0) + dx * pixel(pl, y0 + 1, x0 + 1));
    }
    int64_t x0 = (int64_t)floor(x) - 1, y0 = (int64_t)floor(y) - 1;
    double cx[4], cy[4], v = 0;
    cubic_coeffs(x - (double)x0 - 1, cx);
    cubic_coeffs(y - (double)y0 - 1, cy);
    for (int i = 0; i < 4; i++) {
        double row = 0;
        for (int j = 0; j < 4; j++) row += cx[j] * pixel(pl, y0 + i, x0 + j);
        v += cy[i] * row;
    }
    return v;
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
    const int64_t nb = xt->dims[0], nc = xt->dims[1], h = xt->dims[2], w = xt->dims[3];
    const int64_t ho = yt->dims[2], wo = yt->dims[3];
    const float *x = in[0], *grid = in[1];
    float *y = out[0];
    plane pl = {NULL, h, w, p[0] == 'b' ? PAD_BORDER : p[0] == 'r' ? PAD_REFLECT : PAD_ZEROS,
                align ? 0 : -0.5, align ? (double)w - 1 : (double)w - 0.5,
                align ? 0 : -0.5, align ? (double)h - 1 : (double)h - 0.5};
    for (int64_t b = 0; b < nb; b++)
        for (int64_t i = 0; i < ho * wo; i++) {
            const float *gp = grid + (b * ho * wo + i) * 2;
            double sx = denormalize(gp[0], w, align), sy = denormalize(gp[1], h, align);
            if (mode == 'n') {
                sx = nearbyint(sx);
                sy = nearbyint(sy);
            }

            for (int64_t c = 0; c < nc; c++) {
                pl.p = x + (b * nc + c) * h * w;
                y[(b * nc + c) * ho * wo + i] = (float)sample(&pl, mode, sx, sy);
            }
        }
    return NNGPU_OK;
}
