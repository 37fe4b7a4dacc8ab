/* Generator ops of audio front-ends (opset 17): HannWindow, HammingWindow,
 * BlackmanWindow and MelWeightMatrix. Their inputs are constant scalars in the
 * models that use them, so fold evaluates them once at load and devices only
 * see the constants. Values follow the ONNX reference implementation. */
#include <math.h>
#include <string.h>

#include "ref_internal.h"

/* w[n] = a0 - a1 cos(2 pi n / N1) + a2 cos(4 pi n / N1), N1 = size (periodic) or size - 1. */
nngpu_status ng_ref_window(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    double a0 = 0.5, a1 = 0.5, a2 = 0;
    if (n->op == NG_OP_HAMMINGWINDOW) a0 = 25.0 / 46.0, a1 = 1 - a0;
    if (n->op == NG_OP_BLACKMANWINDOW) a0 = 0.42, a1 = 0.5, a2 = 0.08;
    (void)in;
    int64_t size = y->dims[0];
    double n1 = (double)(ng_attr_int(n, "periodic", 1) ? size : size - 1);
    for (int64_t i = 0; i < size; i++) {
        double t = 2 * M_PI * (double)i / n1;
        ng_ref_std(y->dtype, out[0], i, a0 - a1 * cos(t) + a2 * cos(2 * t));
    }
    return NNGPU_OK;
}

/* Triangular filters between mel-spaced edges: [dft_length / 2 + 1, num_mel_bins].
 * The edges divide the mel range into num_mel_bins + 2 steps and land on the
 * bins floor((dft_length + 1) * hz / sample_rate), as the ONNX reference does
 * (its mel arithmetic starts in float32, which the floor can notice). */
nngpu_status ng_ref_mel_weight_matrix(const ng_graph *g, const ng_node *n, const void *const *in,
                                      void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t mels = y->dims[1], spec_bins = y->dims[0];
    int64_t dft_length = ng_ref_ldi(ng_in(g, n, 1)->dtype, in[1], 0);
    double rate = ng_ref_ldd(ng_in(g, n, 2)->dtype, in[2], 0);
    float lo = (float)ng_ref_ldd(ng_in(g, n, 3)->dtype, in[3], 0);
    float hi = (float)ng_ref_ldd(ng_in(g, n, 4)->dtype, in[4], 0);
    if (rate <= 0) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "sample_rate must be positive");
    double lo_mel = (double)(2595.0f * log1pf(lo / 700.0f)) / log(10.0);
    double hi_mel = (double)(2595.0f * log1pf(hi / 700.0f)) / log(10.0);
    double step = (hi_mel - lo_mel) / (double)(mels + 2);
    memset(out[0], 0, (size_t)ng_numel(y) * nngpu_dtype_size(y->dtype));
    int64_t edge[3];
    for (int64_t m = 0; m < mels; m++) {
        for (int e = 0; e < 3; e++) {
            double hz = 700 * expm1(((double)(m + e) * step + lo_mel) / 2595 * log(10.0));
            edge[e] = (int64_t)floor((double)(dft_length + 1) * hz / rate);
        }
        if (edge[0] < 0 || edge[2] > spec_bins || edge[1] >= spec_bins)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG,
                              "the mel edges fall outside the %lld spectrum bins (upper_edge_hertz above "
                              "sample_rate / 2?)", (long long)spec_bins);
        int64_t rise = edge[1] - edge[0], fall = edge[2] - edge[1];
        if (rise == 0) ng_ref_std(y->dtype, out[0], edge[1] * mels + m, 1.0);
        for (int64_t j = edge[0]; rise && j <= edge[1]; j++)
            ng_ref_std(y->dtype, out[0], j * mels + m, (double)(j - edge[0]) / (double)rise);
        for (int64_t j = edge[1]; fall > 0 && j < edge[2]; j++)
            ng_ref_std(y->dtype, out[0], j * mels + m, (double)(edge[2] - j) / (double)fall);
    }
    return NNGPU_OK;
}
