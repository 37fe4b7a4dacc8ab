/* Resize (opset 10..19) and Upsample: nearest / linear / cubic, applied one axis
 * at a time in float64 like ONNX's reference (onnx/reference/ops/op_resize.py);
 * antialias widens linear / cubic filters by 1 / scale when downscaling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"

typedef enum { M_NEAREST, M_LINEAR, M_CUBIC } rmode;
typedef enum { C_HALF, C_ASYM, C_ALIGN, C_PYTORCH, C_TFNN, C_CROP, C_SYM } rcoord;
typedef enum { N_FLOOR_PREF, N_CEIL_PREF, N_FLOOR, N_CEIL, N_LEGACY } rnear;

typedef struct rparams {
    rmode mode;
    rcoord coord;
    rnear near;
    double cubic_a, extrap;
    int exclude, antialias;
} rparams;

static nngpu_status parse(const ng_node *n, rparams *p) {
    const char *m = ng_attr_string(n, "mode", "nearest");
    int legacy = n->op == NG_OP_UPSAMPLE || n->opset < 11;
    if (!strcmp(m, "nearest")) p->mode = M_NEAREST;
    else if (!strcmp(m, "linear") || !strcmp(m, "bilinear")) p->mode = M_LINEAR;
    else if (!strcmp(m, "cubic") && !legacy) p->mode = M_CUBIC;
    else return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "mode '%s'", m);
    p->antialias = ng_attr_int(n, "antialias", 0) != 0 && p->mode != M_NEAREST;
    p->cubic_a = ng_attr_float(n, "cubic_coeff_a", -0.75f);
    p->extrap = ng_attr_float(n, "extrapolation_value", 0.0f);
    p->exclude = (int)ng_attr_int(n, "exclude_outside", 0);
    if (legacy) {
        p->coord = C_ASYM;
        p->near = N_LEGACY;
        return NNGPU_OK;
    }
    const char *c = ng_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    static const char *const cn[] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                                     "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
    int ci = -1;
    for (int i = 0; i < 7; i++)
        if (!strcmp(c, cn[i])) ci = i;
    if (ci < 0) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "coordinate_transformation_mode '%s'", c);
    p->coord = (rcoord)ci;
    const char *nm = ng_attr_string(n, "nearest_mode", "round_prefer_floor");
    static const char *const nn[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    int ni = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(nm, nn[i])) ni = i;
    if (ni < 0) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "nearest_mode '%s'", nm);
    p->near = (rnear)ni;
    return NNGPU_OK;
}

/* Source coordinate of output index y along one axis; *extrap set when outside (crop). */
static double src_coord(const rparams *p, double y, double scale, int64_t in, int64_t out_int,
                        double r0, double r1, int *extrap) {
    double out_w = scale * (double)in, x;
    *extrap = 0;
    switch (p->coord) {
    case C_ALIGN: return out_w == 1 ? 0.0 : y * (double)(in - 1) / (out_w - 1);
    case C_ASYM: return y / scale;
    case C_CROP:
        x = out_w == 1 ? (r1 - r0) * (double)(in - 1) / 2 : y * (r1 - r0) * (double)(in - 1) / (out_w - 1);
        x += r0 * (double)(in - 1);
        *extrap = x < 0 || x > (double)(in - 1);
        return x;
    case C_PYTORCH: return out_w == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
    case C_TFNN: return (y + 0.5) / scale;
    case C_SYM: {
        double adj = (double)out_int / out_w, center = (double)in / 2;
        return center * (1 - adj) + (y + 0.5) / scale - 0.5;
    }
    case C_HALF:
    default: return (y + 0.5) / scale - 0.5;
    }
}

/* The first tap's offset from floor(x) with antialias: the filter's support
 * (1 for linear, 2 for cubic) stretched by 1 / scale when downscaling. */
static int64_t antialias_start(const rparams *p, double scale) {
    double s = scale > 1 ? 1 : scale;
    return (int64_t)floor((p->mode == M_CUBIC ? -2 : -1) / s) + 1;
}

/* Most taps of an axis. */
static int max_taps(const rparams *p, double scale) {
    return p->antialias ? (int)(2 - 2 * antialias_start(p, scale)) : 4;
}

static double cubic(double A, double x) {
    x = fabs(x);
    if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
    return x < 2 ? ((A * x - 5 * A) * x + 8 * A) * x - 4 * A : 0;
}

/* Taps (max_taps at most) for source coordinate x: indices (unclamped) and weights. */
static int taps(const rparams *p, double x, double scale, int64_t *idx, double *w) {
    double fl = floor(x);
    double ratio = x == fl ? 1.0 : x - fl;
    int cnt;
    if (p->antialias) { /* the filter at scale * distance, normalized */
        int64_t start = antialias_start(p, scale);
        double s = scale > 1 ? 1 : scale, sum = 0;
        cnt = (int)(2 - 2 * start);
        for (int i = 0; i < cnt; i++) {
            double d = s * ((double)(start + i) - ratio);
            w[i] = p->mode == M_CUBIC ? cubic(p->cubic_a, d) : fmax(0.0, 1 - fabs(d));
            sum += w[i];
        }
        for (int i = 0; i < cnt; i++) w[i] /= sum;
    } else if (p->mode == M_CUBIC) {
        double A = p->cubic_a, r = ratio, s = 1 - ratio;
        w[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
        w[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
        w[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
        w[3] = ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A;
        cnt = 4;
    } else {
        cnt = 2;
        if (p->mode == M_LINEAR) {
            w[0] = 1 - ratio;
            w[1] = ratio;
        } else if (x == fl) {
            w[0] = 0;
            w[1] = 1;
        } else {
            int up;
            switch (p->near) {
            case N_FLOOR_PREF: up = ratio > 0.5; break;
            case N_CEIL_PREF: up = ratio >= 0.5; break;
            case N_FLOOR: up = 0; break;
            case N_CEIL: up = 1; break;
            default: up = scale < 1; break; /* legacy: floor upsampling, ceil downsampling */
            }
            w[0] = !up;
            w[1] = up;
        }
    }
    /* first tap: the n nearest indices, preferring smaller ones */
    int64_t first = (int64_t)fl - (cnt / 2 - 1) - (x == fl ? 1 : 0);
    for (int i = 0; i < cnt; i++) idx[i] = first + i;
    return cnt;
}

nngpu_status ng_ref_resize(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    rparams p = {0};
    NG_CHECK(parse(n, &p));
    double scales[NNGPU_MAX_DIMS], roi[2 * NNGPU_MAX_DIMS];
    int64_t od[NNGPU_MAX_DIMS], cur[NNGPU_MAX_DIMS];
    NG_CHECK(ng_infer_resize(g, n, scales, od, roi));
    int r = x->rank;
    int64_t nx = ng_numel(x), cap = nx;
    memcpy(cur, x->dims, sizeof(int64_t) * (size_t)r);
    /* the largest intermediate size bounds both buffers */
    {
        int64_t t[NNGPU_MAX_DIMS], sz;
        memcpy(t, x->dims, sizeof t);
        for (int a = 0; a < r; a++) {
            t[a] = od[a];
            sz = 1;
            for (int k = 0; k < r; k++) sz *= t[k];
            if (sz > cap) cap = sz;
        }
    }
    double *buf = malloc(sizeof(double) * (size_t)(cap ? cap : 1));
    double *tmp = malloc(sizeof(double) * (size_t)(cap ? cap : 1));
    if (!buf || !tmp) {
        free(buf);
        free(tmp);
        return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "resize buffers");
    }
    for (int64_t i = 0; i < nx; i++) buf[i] = ng_ref_ldd(x->dtype, in[0], i);
    for (int a = 0; a < r; a++) {
        int def_roi = fabs(roi[a]) < 1e-9 && fabs(roi[r + a] - 1) < 1e-9;
        if (fabs(scales[a] - 1.0) <= 1e-9 && od[a] == cur[a] && (p.coord != C_CROP || def_roi)) continue;
        int64_t outer = 1, inner = 1, len = cur[a], olen = od[a];
        int cap_taps = max_taps(&p, scales[a]);
        int64_t *idx = malloc(sizeof *idx * (size_t)cap_taps);
        double *w = malloc(sizeof *w * (size_t)cap_taps);
        if (!idx || !w) {
            free(idx), free(w), free(buf), free(tmp);
            return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "resize filter of %d taps", cap_taps);
        }
        for (int k = 0; k < a; k++) outer *= cur[k];
        for (int k = a + 1; k < r; k++) inner *= cur[k];
        for (int64_t o = 0; o < olen; o++) {
            int ex;
            double xs = src_coord(&p, (double)o, scales[a], len, olen, roi[a], roi[r + a], &ex);
            int nt = taps(&p, xs, scales[a], idx, w);
            if (p.exclude) {
                double sum = 0;
                for (int t = 0; t < nt; t++) {
                    if (idx[t] < 0 || idx[t] >= len) w[t] = 0;
                    sum += w[t];
                }
                for (int t = 0; t < nt; t++) w[t] /= sum == 0 ? 1 : sum;
            }
            for (int t = 0; t < nt; t++) idx[t] = idx[t] < 0 ? 0 : idx[t] >= len ? len - 1 : idx[t];
            for (int64_t b = 0; b < outer; b++)
                for (int64_t i = 0; i < inner; i++) {
                    double v = 0;
                    if (ex) v = p.extrap;
                    else
                        for (int t = 0; t < nt; t++)
                            if (w[t] != 0) v += w[t] * buf[(b * len + idx[t]) * inner + i];
                    tmp[(b * olen + o) * inner + i] = v;
                }
        }
        free(idx);
        free(w);
        cur[a] = olen;
        double *sw = buf;
        buf = tmp;
        tmp = sw;
    }
    int64_t ny = ng_numel(y);
    for (int64_t i = 0; i < ny; i++) {
        double v = buf[i];
        if (ng_ref_is_int(y->dtype)) v = nearbyint(v); /* saturate_cast rounds */
        ng_ref_std(y->dtype, out[0], i, v);
    }
    free(buf);
    free(tmp);
    return NNGPU_OK;
}
