/* Calibration observers and range choice (see calib_stats.h). */
#include "calib_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

nngpu_status ng_calib_observer_init(ng_calib_observer *o, int axis, int n_ch) {
    memset(o, 0, sizeof *o);
    o->min = INFINITY;
    o->max = -INFINITY;
    o->axis = axis >= 0 && n_ch > 0 ? axis : -1;
    o->pos = calloc(NG_CALIB_BINS, sizeof *o->pos);
    o->neg = calloc(NG_CALIB_BINS, sizeof *o->neg);
    if (o->axis >= 0) {
        o->n_ch = n_ch;
        o->ch_sum = calloc((size_t)n_ch, sizeof *o->ch_sum);
        o->ch_n = calloc((size_t)n_ch, sizeof *o->ch_n);
    }
    if (!o->pos || !o->neg || (o->axis >= 0 && (!o->ch_sum || !o->ch_n))) {
        ng_calib_observer_free(o);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration histograms");
    }
    return NNGPU_OK;
}

void ng_calib_observer_free(ng_calib_observer *o) {
    free(o->pos);
    free(o->neg);
    free(o->ch_sum);
    free(o->ch_n);
    memset(o, 0, sizeof *o);
}

/* Doubles hist_max until it covers m, merging bins in pairs. */
static void widen(ng_calib_observer *o, double m) {
    if (o->hist_max <= 0) {
        o->hist_max = m;
        return;
    }
    while (o->hist_max < m) {
        for (int i = 0; i < NG_CALIB_BINS / 2; i++) {
            o->pos[i] = o->pos[2 * i] + o->pos[2 * i + 1];
            o->neg[i] = o->neg[2 * i] + o->neg[2 * i + 1];
        }
        memset(o->pos + NG_CALIB_BINS / 2, 0, sizeof(double) * NG_CALIB_BINS / 2);
        memset(o->neg + NG_CALIB_BINS / 2, 0, sizeof(double) * NG_CALIB_BINS / 2);
        o->hist_max *= 2;
    }
}

void ng_calib_observe(ng_calib_observer *o, const float *x, int64_t n, int rank,
                      const int64_t *dims) {
    double absmax = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) continue;
        if (v < o->min) o->min = v;
        if (v > o->max) o->max = v;
        if (fabs(v) > absmax) absmax = fabs(v);
    }
    if (absmax > o->hist_max) widen(o, absmax);
    double per_bin = o->hist_max > 0 ? NG_CALIB_BINS / o->hist_max : 0;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) continue;
        int b = (int)(fabs(v) * per_bin);
        if (b >= NG_CALIB_BINS) b = NG_CALIB_BINS - 1;
        if (v >= 0) o->pos[b] += 1;
        else o->neg[b] += 1;
        o->count++;
    }
    if (o->axis < 0 || o->axis >= rank || dims[o->axis] != o->n_ch) return;
    int64_t inner = 1;
    for (int d = o->axis + 1; d < rank; d++) inner *= dims[d];
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) continue;
        int64_t c = (i / inner) % o->n_ch;
        o->ch_sum[c] += x[i];
        o->ch_n[c]++;
    }
}

double ng_calib_channel_mean(const ng_calib_observer *o, int c) {
    return o->ch_n[c] ? o->ch_sum[c] / (double)o->ch_n[c] : 0.0;
}

/* The value below which all but `tail` of the counts in h lie (a bin's upper edge). */
static double tail_edge(const double *h, double bin_width, double tail) {
    double seen = 0;
    for (int b = NG_CALIB_BINS - 1; b >= 0; b--) {
        seen += h[b];
        if (seen > tail) return (b + 1) * bin_width;
    }
    return 0;
}

static double kl_at(const double *hist, int i, int levels, double outliers, double *p, double *q) {
    /* P: the first i bins, the clipped mass added to the last one */
    double p_sum = 0;
    for (int k = 0; k < i; k++) p[k] = hist[k];
    p[i - 1] += outliers;
    for (int k = 0; k < i; k++) p_sum += p[k];
    /* Q: the first i bins merged into `levels` levels, spread back evenly
     * over the bins that were nonzero */
    int merged = i / levels;
    for (int j = 0; j < levels; j++) {
        int start = j * merged, stop = j == levels - 1 ? i : start + merged;
        double level = 0;
        int nonzero = 0;
        for (int k = start; k < stop; k++) {
            level += hist[k];
            nonzero += hist[k] != 0;
        }
        for (int k = start; k < stop; k++) q[k] = hist[k] != 0 ? level / nonzero : 0;
    }
    double q_sum = 0;
    for (int k = 0; k < i; k++) q_sum += q[k];
    if (p_sum <= 0 || q_sum <= 0) return INFINITY;
    double kl = 0;
    for (int k = 0; k < i; k++) {
        if (p[k] == 0) continue;
        double pk = p[k] / p_sum, qk = q[k] > 0 ? q[k] / q_sum : 1e-9 / i;
        kl += pk * log(pk / qk);
    }
    return kl;
}

double ng_calib_entropy_threshold(const double *hist, int n_bins, double bin_width, int levels) {
    if (n_bins <= levels) return n_bins * bin_width;
    double *p = malloc(sizeof(double) * (size_t)n_bins * 2);
    if (!p) return n_bins * bin_width; /* no memory: no clipping */
    double *q = p + n_bins;
    double outliers = 0;
    for (int k = levels; k < n_bins; k++) outliers += hist[k];
    double best = INFINITY;
    int best_i = n_bins;
    for (int i = levels; i <= n_bins; i++) {
        if (i > levels) outliers -= hist[i - 1];
        if (hist[i - 1] == 0 && i < n_bins) continue; /* same P as a smaller clip, worse Q */
        double kl = kl_at(hist, i, levels, outliers, p, q);
        if (kl < best) {
            best = kl;
            best_i = i;
        }
    }
    free(p);
    return best_i * bin_width;
}

void ng_calib_range(const ng_calib_observer *o, nngpu_calibration_method method,
                    float percentile, float *lo, float *hi) {
    double l = o->count ? o->min : 0, h = o->count ? o->max : 0;
    double w = o->hist_max / NG_CALIB_BINS;
    if (o->count && o->hist_max > 0 && method == NNGPU_CALIBRATION_PERCENTILE) {
        double p = percentile > 0 && percentile <= 100 ? percentile : 99.99;
        double tail = o->count * (100.0 - p) / 200.0;
        double up = tail_edge(o->pos, w, tail), down = tail_edge(o->neg, w, tail);
        if (up < h) h = up;
        if (-down > l) l = -down;
    } else if (o->count && o->hist_max > 0 && method == NNGPU_CALIBRATION_ENTROPY) {
        double *mag = malloc(sizeof(double) * NG_CALIB_BINS);
        if (mag) {
            for (int b = 0; b < NG_CALIB_BINS; b++) mag[b] = o->pos[b] + o->neg[b];
            /* robustness: never clip more than 1% of the values (the KL search
             * alone clips everything of data far from 0 into one bin) */
            double floor_t = tail_edge(mag, w, 0.01 * (double)o->count);
            /* the spike of exact zeros (ReLU outputs) is not part of the shape
             * to fit; one-signed tensors get all 256 levels over [0, T] */
            mag[0] = mag[1];
            int levels = o->min >= 0 || o->max <= 0 ? 2 * NG_CALIB_LEVELS : NG_CALIB_LEVELS;
            double t = ng_calib_entropy_threshold(mag, NG_CALIB_BINS, w, levels);
            free(mag);
            if (t < floor_t) t = floor_t;
            if (t < h) h = t;
            if (-t > l) l = -t;
        }
    }
    *lo = (float)(l < 0 ? l : 0);
    *hi = (float)(h > 0 ? h : 0);
}
