/* Conv (1-3 spatial dims, groups, dilations, pads), float64 accumulation. */
#include <stdlib.h>

#include "core/jobs.h"
#include "ref_internal.h"

nngpu_status ng_ref_window3(const ng_graph *g, const ng_node *n, ng_window *w) {
    ng_window v;
    NG_CHECK(ng_infer_window(g, n, &v));
    if (v.ns > 3) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "%d spatial dims (at most 3)", v.ns);
    int lead = 3 - v.ns;
    *w = v;
    w->ns = 3;
    for (int i = 0; i < 3; i++) {
        int k = i - lead;
        w->in[i] = k < 0 ? 1 : v.in[k];
        w->out[i] = k < 0 ? 1 : v.out[k];
        w->k[i] = k < 0 ? 1 : v.k[k];
        w->s[i] = k < 0 ? 1 : v.s[k];
        w->d[i] = k < 0 ? 1 : v.d[k];
        w->pb[i] = k < 0 ? 0 : v.pb[k];
        w->pe[i] = k < 0 ? 0 : v.pe[k];
    }
    return NNGPU_OK;
}

/* First and one-past-last output index o with o*s - pad + k*d inside [0, len). */
static void inside_range(int64_t len, int64_t out, int64_t s, int64_t pad, int64_t kd,
                         int64_t *lo, int64_t *hi) {
    int64_t first = pad - kd, last = len - 1 + pad - kd; /* o*s must lie in [first, last] */
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = last < 0 ? 0 : last / s + 1;
    if (*hi > out) *hi = out;
    if (*lo > *hi) *lo = *hi;
}

/* float32 tensors: the same sums in float64, ordered so that the innermost
 * loop runs along an output row (tens of times faster than the generic loop;
 * the fp16 guard and the tests run whole networks through it). Output planes
 * (image, channel) [lo, hi) of conv_f32's job; they split across threads. */
typedef struct {
    const ng_window *w;
    int64_t C, M, G;
    const float *x, *wt, *b;
    float *y;
    _Atomic int out_of_memory;
} conv_job;

static void conv_planes(void *arg, int64_t lo, int64_t hi) {
    conv_job *j = arg;
    const ng_window *w = j->w;
    int64_t C = j->C, M = j->M, Cg = C / j->G, Mg = M / j->G;
    int64_t isz = w->in[0] * w->in[1] * w->in[2], osz = w->out[0] * w->out[1] * w->out[2];
    int64_t ksz = w->k[0] * w->k[1] * w->k[2];
    double *acc = malloc(sizeof(double) * (size_t)(osz ? osz : 1));
    if (!acc) {
        j->out_of_memory = 1;
        return;
    }
    for (int64_t plane = lo; plane < hi; plane++) {
        int64_t bn = plane / M, m = plane % M, grp = m / Mg;
        for (int64_t o = 0; o < osz; o++) acc[o] = j->b ? j->b[m] : 0.0;
        for (int64_t c = 0; c < Cg; c++) {
            const float *xp = j->x + (bn * C + grp * Cg + c) * isz;
            const float *wp = j->wt + (m * Cg + c) * ksz;
            for (int64_t k0 = 0; k0 < w->k[0]; k0++)
                for (int64_t k1 = 0; k1 < w->k[1]; k1++)
                    for (int64_t k2 = 0; k2 < w->k[2]; k2++) {
                        double wv = wp[(k0 * w->k[1] + k1) * w->k[2] + k2];
                        int64_t lo0, hi0, lo1, hi1, lo2, hi2;
                        inside_range(w->in[0], w->out[0], w->s[0], w->pb[0], k0 * w->d[0], &lo0, &hi0);
                        inside_range(w->in[1], w->out[1], w->s[1], w->pb[1], k1 * w->d[1], &lo1, &hi1);
                        inside_range(w->in[2], w->out[2], w->s[2], w->pb[2], k2 * w->d[2], &lo2, &hi2);
                        for (int64_t o0 = lo0; o0 < hi0; o0++)
                            for (int64_t o1 = lo1; o1 < hi1; o1++) {
                                int64_t i0 = o0 * w->s[0] - w->pb[0] + k0 * w->d[0];
                                int64_t i1 = o1 * w->s[1] - w->pb[1] + k1 * w->d[1];
                                const float *xr = xp + (i0 * w->in[1] + i1) * w->in[2] +
                                                  k2 * w->d[2] - w->pb[2];
                                double *ar = acc + (o0 * w->out[1] + o1) * w->out[2];
                                for (int64_t o2 = lo2; o2 < hi2; o2++)
                                    ar[o2] += wv * (double)xr[o2 * w->s[2]];
                            }
                    }
        }
        float *yp = j->y + plane * osz;
        for (int64_t o = 0; o < osz; o++) yp[o] = (float)acc[o];
    }
    free(acc);
}

static nngpu_status conv_f32(const ng_window *w, int64_t N, int64_t C, int64_t M, int64_t G,
                             const float *x, const float *wt, const float *b, float *y) {
    conv_job j = {.w = w, .C = C, .M = M, .G = G, .x = x, .wt = wt, .b = b, .y = y};
    double macs = (double)N * M * (C / G) * w->k[0] * w->k[1] * w->k[2] * w->out[0] * w->out[1] *
                  w->out[2];
    ng_parallel_for(N * M, ng_ref_threads(macs), conv_planes, &j);
    if (j.out_of_memory) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "reference convolution");
    return NNGPU_OK;
}

nngpu_status ng_ref_conv(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    ng_window w;
    NG_CHECK(ng_ref_window3(g, n, &w));
    const ng_tensor *x = ng_in(g, n, 0), *wt = ng_in(g, n, 1), *b = ng_in(g, n, 2), *y = ng_out(g, n, 0);
    if (n->n_main_inputs < 3) b = NULL;
    int64_t N = x->dims[0], C = x->dims[1], M = wt->dims[0];
    if (x->dtype == NNGPU_DTYPE_FLOAT32 && wt->dtype == NNGPU_DTYPE_FLOAT32 &&
        y->dtype == NNGPU_DTYPE_FLOAT32 && (!b || b->dtype == NNGPU_DTYPE_FLOAT32))
        return conv_f32(&w, N, C, M, ng_attr_int(n, "group", 1), in[0], in[1], b ? in[2] : NULL,
                        out[0]);
    int64_t G = ng_attr_int(n, "group", 1), Cg = C / G, Mg = M / G;
    int64_t isz = w.in[0] * w.in[1] * w.in[2], osz = w.out[0] * w.out[1] * w.out[2];
    int64_t ksz = w.k[0] * w.k[1] * w.k[2];
    for (int64_t bn = 0; bn < N; bn++)
        for (int64_t m = 0; m < M; m++) {
            int64_t grp = m / Mg;
            double bias = b ? ng_ref_ldd(b->dtype, in[2], m) : 0.0;
            for (int64_t o0 = 0; o0 < w.out[0]; o0++)
                for (int64_t o1 = 0; o1 < w.out[1]; o1++)
                    for (int64_t o2 = 0; o2 < w.out[2]; o2++) {
                        double acc = bias;
                        for (int64_t c = 0; c < Cg; c++) {
                            int64_t xoff = (bn * C + grp * Cg + c) * isz;
                            int64_t woff = (m * Cg + c) * ksz;
                            for (int64_t k0 = 0; k0 < w.k[0]; k0++) {
                                int64_t i0 = o0 * w.s[0] - w.pb[0] + k0 * w.d[0];
                                if (i0 < 0 || i0 >= w.in[0]) continue;
                                for (int64_t k1 = 0; k1 < w.k[1]; k1++) {
                                    int64_t i1 = o1 * w.s[1] - w.pb[1] + k1 * w.d[1];
                                    if (i1 < 0 || i1 >= w.in[1]) continue;
                                    for (int64_t k2 = 0; k2 < w.k[2]; k2++) {
                                        int64_t i2 = o2 * w.s[2] - w.pb[2] + k2 * w.d[2];
                                        if (i2 < 0 || i2 >= w.in[2]) continue;
                                        acc += ng_ref_ldd(x->dtype, in[0], xoff + (i0 * w.in[1] + i1) * w.in[2] + i2) *
                                               ng_ref_ldd(wt->dtype, in[1], woff + (k0 * w.k[1] + k1) * w.k[2] + k2);
                                    }
                                }
                            }
                        }
                        ng_ref_std(y->dtype, out[0], (bn * M + m) * osz + (o0 * w.out[1] + o1) * w.out[2] + o2, acc);
                    }
        }
    return NNGPU_OK;
}
