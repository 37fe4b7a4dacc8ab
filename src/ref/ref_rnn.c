/* LSTM, GRU and RNN (ONNX semantics, float64 arithmetic): gates in ONNX order
 * (LSTM i o f c, GRU z r h), per-batch sequence_lens (steps past a sample's
 * length write zeros and leave its state alone), clip on the activations'
 * inputs, layout 0 or 1. Also the internal Recurrence (ops.def), whose X
 * holds X . W^T already. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"

static double act(ng_rnn_act a, double x, double alpha, double beta) {
    switch (a) {
    case NG_RNN_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case NG_RNN_TANH: return tanh(x);
    case NG_RNN_RELU: return x > 0 ? x : 0;
    case NG_RNN_HARDSIGMOID: return fmax(0.0, fmin(1.0, alpha * x + beta));
    case NG_RNN_LEAKYRELU: return x >= 0 ? x : alpha * x;
    case NG_RNN_THRESHOLDEDRELU: return x > alpha ? x : 0;
    case NG_RNN_SCALEDTANH: return alpha * tanh(beta * x);
    case NG_RNN_AFFINE: return alpha * x + beta;
    case NG_RNN_ELU: return x >= 0 ? x : alpha * (exp(x) - 1);
    case NG_RNN_SOFTSIGN: return x / (1 + fabs(x));
    case NG_RNN_SOFTPLUS: return log1p(exp(x));
    }
    return x;
}

typedef struct rnn_run {
    const ng_graph *g;
    const ng_node *n;
    const void *const *in;
    void *const *out;
    ng_rnn r;
    nngpu_dtype dt;
    const void *src[8]; /* inputs 0-7, NULL when omitted */
} rnn_run;

/* Element offsets of X[t, b, :], Y[t, d, b, :] and Y_h[d, b, :] for either layout. */
static int64_t x_at(const ng_rnn *r, int64_t t, int64_t b) {
    return (r->layout ? b * r->seq + t : t * r->batch + b) * r->input;
}
static int64_t y_at(const ng_rnn *r, int64_t t, int d, int64_t b) {
    return (r->layout ? (b * r->seq + t) * r->dirs + d : (t * r->dirs + d) * r->batch + b) * r->hidden;
}
static int64_t h_at(const ng_rnn *r, int d, int64_t b) {
    return (r->layout ? b * r->dirs + d : d * r->batch + b) * r->hidden;
}

static double ld(const rnn_run *u, int i, int64_t k) {
    return u->src[i] ? ng_ref_ldd(u->dt, u->src[i], k) : 0.0;
}

/* sum_k X[t,b,k] W[d, row, k] + sum_k h[k] R[d, row, k] split in its two
 * parts; Recurrence reads the first from X . W^T and R transposed. */
static double dot_x(const rnn_run *u, int d, int64_t row, int64_t xo) {
    const ng_rnn *r = &u->r;
    int64_t gh = r->gates * r->hidden;
    if (r->projected) return ld(u, 0, xo + d * gh + row);
    double s = 0;
    int64_t wo = (d * gh + row) * r->input;
    for (int64_t k = 0; k < r->input; k++) s += ld(u, 0, xo + k) * ld(u, 1, wo + k);
    return s;
}
static double dot_h(const rnn_run *u, int d, int64_t row, const double *h) {
    const ng_rnn *r = &u->r;
    double s = 0;
    int64_t gh = r->gates * r->hidden;
    if (r->projected) {
        for (int64_t k = 0; k < r->hidden; k++) s += h[k] * ld(u, 2, (d * r->hidden + k) * gh + row);
        return s;
    }
    int64_t ro = (d * gh + row) * r->hidden;
    for (int64_t k = 0; k < r->hidden; k++) s += h[k] * ld(u, 2, ro + k);
    return s;
}

static double clipped(const ng_rnn *r, double v) {
    return r->clip > 0 ? fmax(-r->clip, fmin(r->clip, v)) : v;
}

/* One time step of one sample in direction d: h (and c) updated in place. */
static void step(const rnn_run *u, int d, int64_t xo, double *h, double *c, double *tmp) {
    const ng_rnn *r = &u->r;
    int64_t H = r->hidden, G = r->gates * H, bo = d * 2 * G;
    const ng_rnn_act *a = r->act[d];
    const float *al = r->alpha[d], *be = r->beta[d];
#define F(k, v) act(a[k], clipped(r, v), al[k], be[k])
    if (r->gates == 1) {
        for (int64_t j = 0; j < H; j++)
            tmp[j] = F(0, dot_x(u, d, j, xo) + dot_h(u, d, j, h) + ld(u, 3, bo + j) + ld(u, 3, bo + G + j));
        memcpy(h, tmp, sizeof *h * (size_t)H);
        return;
    }
    for (int64_t j = 0; j < G; j++) { /* pre-activations; GRU's h gate done below */
        tmp[j] = dot_x(u, d, j, xo) + ld(u, 3, bo + j);
        if (r->gates == 4 || j < 2 * H) tmp[j] += dot_h(u, d, j, h) + ld(u, 3, bo + G + j);
    }
    if (r->gates == 4) {
        int64_t po = d * 3 * H;
        for (int64_t j = 0; j < H; j++) {
            double i = F(0, tmp[j] + ld(u, 7, po + j) * c[j]);
            double f = r->input_forget ? 1 - i : F(0, tmp[2 * H + j] + ld(u, 7, po + 2 * H + j) * c[j]);
            c[j] = f * c[j] + i * F(1, tmp[3 * H + j]);
            double o = F(0, tmp[H + j] + ld(u, 7, po + H + j) * c[j]);
            tmp[G + j] = o * act(a[2], c[j], al[2], be[2]);
        }
    } else {
        double *rh = tmp + G; /* r (.) h, or r (.) (R_h h + Rb_h) */
        for (int64_t j = 0; j < H; j++) rh[j] = F(0, tmp[H + j]) * h[j];
        for (int64_t j = 0; j < H; j++) {
            double hh;
            if (r->linear_before_reset)
                hh = F(0, tmp[H + j]) * (dot_h(u, d, 2 * H + j, h) + ld(u, 3, bo + G + 2 * H + j));
            else
                hh = dot_h(u, d, 2 * H + j, rh) + ld(u, 3, bo + G + 2 * H + j);
            tmp[3 * H + H + j] = F(1, tmp[2 * H + j] + hh);
        }
        for (int64_t j = 0; j < H; j++) {
            double z = F(0, tmp[j]);
            tmp[G + j] = (1 - z) * tmp[4 * H + j] + z * h[j];
        }
    }
#undef F
    memcpy(h, tmp + G, sizeof *h * (size_t)H);
}

nngpu_status ng_ref_rnn(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out) {
    rnn_run u = {g, n, in, out, {0}, ng_in(g, n, 0)->dtype, {NULL}};
    for (int i = 0; i < 8; i++) u.src[i] = ng_in(g, n, i) ? in[i] : NULL;
    NG_CHECK(ng_infer_rnn(g, n, &u.r));
    const ng_rnn *r = &u.r;
    int64_t H = r->hidden;
    /* h, c, and scratch for the gates (G), the new state (H) and GRU's candidate (H) */
    double *h = malloc(sizeof *h * (size_t)(H * (2 + r->gates + 2)));
    if (!h) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "state buffers");
    double *c = h + H, *tmp = c + H;
    const ng_tensor *ty = ng_out(g, n, 0), *th = ng_out(g, n, 1), *tc = ng_out(g, n, 2);
    if (ty) memset(out[0], 0, ng_nbytes(ty));
    for (int d = 0; d < r->dirs; d++)
        for (int64_t b = 0; b < r->batch; b++) {
            int64_t len = ng_in(g, n, 4) && in[4] ? ng_ref_ldi(NNGPU_DTYPE_INT32, in[4], b) : r->seq;
            if (len < 0 || len > r->seq) {
                free(h);
                return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "sequence_lens[%lld] = %lld is out of 0..%lld",
                                  (long long)b, (long long)len, (long long)r->seq);
            }
            for (int64_t j = 0; j < H; j++) {
                h[j] = ld(&u, 5, h_at(r, d, b) + j);
                c[j] = r->gates == 4 ? ld(&u, 6, h_at(r, d, b) + j) : 0;
            }
            int back = d == 1 || r->reverse;
            for (int64_t s = 0; s < len; s++) {
                int64_t t = back ? len - 1 - s : s;
                step(&u, d, x_at(r, t, b), h, c, tmp);
                if (ty)
                    for (int64_t j = 0; j < H; j++) ng_ref_std(u.dt, out[0], y_at(r, t, d, b) + j, h[j]);
            }
            for (int64_t j = 0; j < H; j++) {
                if (th) ng_ref_std(u.dt, out[1], h_at(r, d, b) + j, h[j]);
                if (tc) ng_ref_std(u.dt, out[2], h_at(r, d, b) + j, c[j]);
            }
        }
    free(h);
    return NNGPU_OK;
}
