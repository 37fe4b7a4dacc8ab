/* Per-tensor calibration observers and the range each calibration method
 * picks from them.
 *
 * An observer sees every value of a tensor over the calibration runs: its
 * min and max, histograms of the positive values and of the magnitudes of the
 * negative ones (NG_CALIB_BINS bins over [0, hist_max), hist_max doubling
 * with bins merged in pairs as larger values come), and optionally the mean
 * of each channel along one axis (bias correction); finite values only. */
#ifndef NG_CALIB_STATS_H
#define NG_CALIB_STATS_H

#include <stdint.h>

#include "nngpu/nngpu.h"

#define NG_CALIB_BINS 2048
#define NG_CALIB_LEVELS 128 /* quantized levels of the KL search (int8 magnitudes) */

typedef struct ng_calib_observer {
    double min, max;
    int64_t count;
    double hist_max;  /* 0 until a nonzero value was seen */
    double *pos, *neg; /* [NG_CALIB_BINS] counts of x >= 0 and of -x for x < 0 */
    int axis;         /* channel axis for means, -1: none */
    int n_ch;
    double *ch_sum;   /* [n_ch] over the finite values */
    int64_t *ch_n;    /* [n_ch] finite values seen per channel */
} ng_calib_observer;

/* axis < 0: no channel means; otherwise means along axis of a tensor whose
 * dims[axis] is n_ch. */
nngpu_status ng_calib_observer_init(ng_calib_observer *o, int axis, int n_ch);
void ng_calib_observer_free(ng_calib_observer *o);
/* Observes n float32 values of a tensor of the given rank and dims (the
 * channel axis is read from them). NaN and infinities are skipped: they
 * count in no range, histogram or mean. */
void ng_calib_observe(ng_calib_observer *o, const float *x, int64_t n, int rank,
                      const int64_t *dims);
/* The mean of channel c's finite values; 0 when it had none. */
double ng_calib_channel_mean(const ng_calib_observer *o, int c);

/* The range [lo, hi] (always containing 0) that method picks; percentile is
 * the kept fraction in percent for NNGPU_CALIBRATION_PERCENTILE (half of the
 * rest is clipped on each tail). ENTROPY: the KL threshold T over the |x|
 * histogram (the zero bin ignored), never below the magnitude 99% of the
 * values lie under, then [-T, T] intersected with [min, max]. */
void ng_calib_range(const ng_calib_observer *o, nngpu_calibration_method method,
                    float percentile, float *lo, float *hi);

/* The KL-optimal threshold over a magnitude histogram (TensorRT's entropy
 * calibration): hist[n_bins] counts over [0, n_bins * bin_width), each
 * candidate clip quantized to `levels` levels (128: signed int8 magnitudes,
 * 256: a one-signed tensor). */
double ng_calib_entropy_threshold(const double *hist, int n_bins, double bin_width, int levels);

#endif
