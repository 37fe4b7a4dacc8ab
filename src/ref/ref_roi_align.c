/* RoiAlign: each region of interest (x1, y1, x2, y2 in input pixels times
 * spatial_scale; half_pixel: shifted by -0.5 and not widened to 1) split into
 * output_height x output_width bins, each bin the average (or max) of a grid of
 * bilinear samples (sampling_ratio per side, 0: ceil(bin size)). Samples outside
 * [-1, size] count as 0; "max" takes the largest weighted corner term, as
 * onnxruntime and the ONNX reference do. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"

typedef struct corner4 {
    int64_t pos[4];
    double w[4];
} corner4;

/* The bilinear taps of sample (y, x) in an h x w plane. */
static corner4 taps(double y, double x, int64_t h, int64_t w) {
    corner4 c;
    memset(&c, 0, sizeof c);
    if (y < -1.0 || y > (double)h || x < -1.0 || x > (double)w) return c;
    y = y < 0 ? 0 : y;
    x = x < 0 ? 0 : x;
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;
    if (y0 >= h - 1) y1 = y0 = h - 1, y = (double)y0;
    else y1 = y0 + 1;
    if (x0 >= w - 1) x1 = x0 = w - 1, x = (double)x0;
    else x1 = x0 + 1;
    double ly = y - (double)y0, lx = x - (double)x0, hy = 1 - ly, hx = 1 - lx;
    c.pos[0] = y0 * w + x0, c.pos[1] = y0 * w + x1, c.pos[2] = y1 * w + x0, c.pos[3] = y1 * w + x1;
    c.w[0] = hy * hx, c.w[1] = hy * lx, c.w[2] = ly * hx, c.w[3] = ly * lx;
    return c;
}

nngpu_status ng_ref_roi_align(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out) {
    const ng_tensor *xt = ng_in(g, n, 0), *yt = ng_out(g, n, 0), *bt = ng_in(g, n, 2);
    const float *x = in[0], *rois = in[1];
    float *y = out[0];
    int64_t N = xt->dims[0], C = xt->dims[1], H = xt->dims[2], W = xt->dims[3];
    int64_t R = yt->dims[0], OH = yt->dims[2], OW = yt->dims[3];
    int half_pixel = strcmp(ng_attr_string(n, "coordinate_transformation_mode",
                                           n->opset >= 16 ? "half_pixel" : "output_half_pixel"),
                            "half_pixel") == 0;
    int max_mode = strcmp(ng_attr_string(n, "mode", "avg"), "max") == 0;
    int64_t ratio = ng_attr_int(n, "sampling_ratio", 0);
    double scale = ng_attr_float(n, "spatial_scale", 1.0f), shift = half_pixel ? 0.5 : 0.0;
    corner4 *tap = NULL;
    int64_t cap = 0;
    for (int64_t r = 0; r < R; r++) {
        int64_t b = ng_ref_ldi(bt->dtype, in[2], r);
        if (b < 0 || b >= N) {
            free(tap);
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (RoiAlign): batch index %lld of roi %lld is not in [0, %lld)",
                            n->name, (long long)b, (long long)r, (long long)N);
        }
        const float *box = rois + r * 4;
        double x0 = box[0] * scale - shift, y0 = box[1] * scale - shift;
        double rw = box[2] * scale - shift - x0, rh = box[3] * scale - shift - y0;
        if (!half_pixel) rw = rw > 1 ? rw : 1, rh = rh > 1 ? rh : 1;
        double bh = rh / (double)OH, bw = rw / (double)OW;
        int64_t gh = ratio > 0 ? ratio : (int64_t)ceil(rh / (double)OH);
        int64_t gw = ratio > 0 ? ratio : (int64_t)ceil(rw / (double)OW);
        int64_t count = gh * gw > 1 ? gh * gw : 1, per_bin = gh * gw, n_taps = OH * OW * per_bin;
        if (n_taps > cap) { /* the taps of every sample, the same for every channel */
            corner4 *grown = realloc(tap, sizeof *tap * (size_t)n_taps);
            if (!grown) {
                free(tap);
                return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (RoiAlign): %lld samples", n->name,
                                (long long)n_taps);
            }
            tap = grown, cap = n_taps;
        }
        corner4 *t = tap;
        for (int64_t ph = 0; ph < OH; ph++)
            for (int64_t pw = 0; pw < OW; pw++)
                for (int64_t iy = 0; iy < gh; iy++)
                    for (int64_t ix = 0; ix < gw; ix++)
                        *t++ = taps(y0 + (double)ph * bh + ((double)iy + 0.5) * bh / (double)gh,
                                    x0 + (double)pw * bw + ((double)ix + 0.5) * bw / (double)gw, H, W);
        for (int64_t c = 0; c < C; c++) {
            const float *plane = x + (b * C + c) * H * W;
            float *o = y + (r * C + c) * OH * OW;
            for (int64_t bin = 0; bin < OH * OW; bin++) {
                const corner4 *bt4 = tap + bin * per_bin;
                double acc = 0;
                for (int64_t k = 0; k < per_bin; k++) {
                    const corner4 *q = &bt4[k];
                    if (!max_mode) {
                        acc += q->w[0] * plane[q->pos[0]] + q->w[1] * plane[q->pos[1]] +
                               q->w[2] * plane[q->pos[2]] + q->w[3] * plane[q->pos[3]];
                        continue;
                    }
                    double v = q->w[0] * plane[q->pos[0]];
                    for (int j = 1; j < 4; j++) v = fmax(v, q->w[j] * plane[q->pos[j]]);
                    acc = k ? fmax(acc, v) : v;
                }
                o[bin] = (float)(max_mode ? acc : acc / (double)count);
            }
        }
    }
    free(tap);
    return NNGPU_OK;
}
