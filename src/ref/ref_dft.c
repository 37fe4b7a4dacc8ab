/* DFT and STFT (ONNX opsets 17 and 20) on the reference: a direct transform
 * per signal line in double, from a table of the L roots of unity (O(L^2)
 * per line: fine for the lengths models use, FNet's 16-512 and audio frames'
 * 400-512). Real input is [..., 1], complex [..., 2]; the output is complex.
 * Devices fall back to it. */
#include <math.h>
#include <stdlib.h>

#include "ref_internal.h"

/* A scalar integer input i (a constant: shape inference needs its value), or def. */
static nngpu_status scalar_input(const ng_graph *g, const ng_node *n, int i, int64_t def, int64_t *v) {
    *v = def;
    if (n->n_in <= i || n->in[i] < 0) return NNGPU_OK;
    const ng_tensor *t = &g->tensors[n->in[i]];
    if (!t->data || ng_numel(t) != 1 || !ng_ref_is_int(t->dtype))
        return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "'%s' must be a constant integer scalar", t->name);
    *v = ng_ref_ldi(t->dtype, t->data, 0);
    return NNGPU_OK;
}

nngpu_status ng_ref_dft_params(const ng_graph *g, const ng_node *n, ng_dft_params *p) {
    const ng_tensor *x = ng_in(g, n, 0);
    int stft = n->op == NG_OP_STFT;
    p->onesided = (int)ng_attr_int(n, "onesided", stft);
    p->inverse = stft ? 0 : (int)ng_attr_int(n, "inverse", 0);
    if (!ng_ref_is_float(x->dtype)) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "input '%s' must be float", x->name);
    int plain = stft && x->rank == 2; /* [batch, samples]: real */
    if ((stft ? x->rank != 3 && !plain : x->rank < 2) ||
        (!plain && x->dims[x->rank - 1] != 1 && x->dims[x->rank - 1] != 2))
        return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "input '%s' must be [..., signal, 1 or 2]%s", x->name,
                          stft ? " of rank 3, or [batch, signal]" : "");
    p->complex_in = !plain && x->dims[x->rank - 1] == 2;
    p->real_out = p->inverse && p->onesided;
    if (p->real_out && x->dims[x->rank - 1] != 2)
        return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "an inverse one-sided DFT takes complex bins");
    int64_t axis;
    if (stft) {
        int64_t step, frame;
        const ng_tensor *w = n->n_in > 2 && n->in[2] >= 0 ? ng_in(g, n, 2) : NULL;
        NG_CHECK(scalar_input(g, n, 1, 0, &step));
        NG_CHECK(scalar_input(g, n, 3, w ? w->dims[0] : 0, &frame));
        if (w && (w->rank != 1 || w->dims[0] != frame))
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "window '%s' must be [frame_length]", w->name);
        if (step < 1 || frame < 1 || frame > x->dims[1])
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "frame_step %lld and frame_length %lld do not fit a signal of %lld",
                              (long long)step, (long long)frame, (long long)x->dims[1]);
        p->axis = 1;
        p->length = frame;
        p->step = step;
        p->frames = (x->dims[1] - frame) / step + 1;
    } else {
        if (n->opset >= 20) NG_CHECK(scalar_input(g, n, 2, -2, &axis));
        else axis = ng_attr_int(n, "axis", 1);
        if (axis < 0) axis += x->rank;
        if (axis < 0 || axis > x->rank - 2)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "axis must name a signal axis (not the last)");
        p->axis = (int)axis;
        NG_CHECK(scalar_input(g, n, 1, p->real_out ? 2 * (x->dims[axis] - 1) : x->dims[axis], &p->length));
        if (p->length < 1) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "dft_length must be at least 1");
        p->step = p->frames = 0;
    }
    p->bins = p->onesided && !p->real_out ? p->length / 2 + 1 : p->length;
    return NNGPU_OK;
}

/* out[k] (re, im pairs) for k < bins of the length-L transform of the n
 * samples s (re, im pairs; zero past n), roots cs/sn of 2 pi j / L. */
static void transform(const double *s, int64_t n, int64_t L, int64_t bins, int inverse, const double *cs,
                      const double *sn, double *out) {
    double sign = inverse ? 1 : -1, scale = inverse ? 1.0 / (double)L : 1;
    if (n > L) n = L;
    for (int64_t k = 0; k < bins; k++) {
        double re = 0, im = 0;
        int64_t j = 0; /* k * t mod L */
        for (int64_t t = 0; t < n; t++, j = (j + k) % L) {
            double c = cs[j], si = sign * sn[j];
            re += s[2 * t] * c - s[2 * t + 1] * si;
            im += s[2 * t] * si + s[2 * t + 1] * c;
        }
        out[2 * k] = re * scale;
        out[2 * k + 1] = im * scale;
    }
}

nngpu_status ng_ref_dft(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    ng_dft_params p;
    NG_CHECK(ng_ref_dft_params(g, n, &p));
    int stft = n->op == NG_OP_STFT;
    int64_t complex_in = p.complex_in, L = p.length;
    int64_t span = stft ? L : x->dims[p.axis]; /* samples a line reads */
    int64_t n_s = p.real_out ? L : span;      /* samples transformed (irfft: the whole spectrum) */
    int64_t outer = 1, inner = 1;
    for (int a = 0; a < p.axis; a++) outer *= x->dims[a];
    for (int a = p.axis + 1; a < x->rank - 1; a++) inner *= x->dims[a];
    int64_t lines = stft ? p.frames : 1; /* per outer index */
    int64_t room = span > n_s ? span : n_s; /* samples held */
    double *cs = malloc(sizeof(double) * (size_t)(2 * L + 2 * room + 2 * p.bins));
    if (!cs) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "tables");
    double *sn = cs + L, *s = sn + L, *o = s + 2 * room;
    for (int64_t j = 0; j < L; j++) {
        cs[j] = cos(2 * M_PI * (double)j / (double)L);
        sn[j] = sin(2 * M_PI * (double)j / (double)L);
    }
    const ng_tensor *w = stft && n->n_in > 2 && n->in[2] >= 0 ? ng_in(g, n, 2) : NULL;
    int64_t y_c = p.real_out ? 1 : 2, x_axis_stride = inner * (complex_in + 1), y_axis_stride = inner * y_c;
    for (int64_t b = 0; b < outer; b++)
        for (int64_t f = 0; f < lines; f++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t x0 = (b * x->dims[p.axis] + f * p.step) * x_axis_stride + i * (complex_in + 1);
                int64_t y0 = ((b * lines + f) * p.bins) * y_axis_stride + i * y_c;
                for (int64_t t = 0; t < span; t++) {
                    double win = w ? ng_ref_ldd(w->dtype, in[2], t) : 1;
                    s[2 * t] = win * ng_ref_ldd(x->dtype, in[0], x0 + t * x_axis_stride);
                    s[2 * t + 1] = complex_in ? win * ng_ref_ldd(x->dtype, in[0], x0 + t * x_axis_stride + 1) : 0;
                }
                for (int64_t k = span; k < n_s; k++) { /* irfft: X[L - k] = conj(X[k]) */
                    int64_t m = L - k;
                    s[2 * k] = m < span ? s[2 * m] : 0;
                    s[2 * k + 1] = m < span ? -s[2 * m + 1] : 0;
                }
                transform(s, n_s, L, p.bins, p.inverse, cs, sn, o);
                for (int64_t k = 0; k < p.bins; k++) {
                    ng_ref_std(y->dtype, out[0], y0 + k * y_axis_stride, o[2 * k]);
                    if (!p.real_out) ng_ref_std(y->dtype, out[0], y0 + k * y_axis_stride + 1, o[2 * k + 1]);
                }
            }
    free(cs);
    return NNGPU_OK;
}
