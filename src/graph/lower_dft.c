/* DFT and STFT as products with a constant matrix, so that audio front-ends
 * (spectrograms) and FNet's token mixing run on the device GEMM and
 * convolution kernels instead of the CPU reference.
 *
 * A transform of fixed length is linear in its input: for samples t (and
 * their real / imaginary part c) and bins k (re / im part c'),
 *   y[k, c'] = sum over t, c of x[t, c] * M[t, c, k, c']
 * with M from cos and sin of 2 pi k t / L (and the sign, 1/L scale, zero
 * padding, truncation and the inverse one-sided mirror as ref_dft.c has them).
 *   DFT:  x moved to [lines, S * C] (a Transpose when the signal axis is not
 *         the second last), MatMul by M [S * C, bins * C'], moved back.
 *   STFT: a convolution of the signal [B, C, 1, S] with M times the window as
 *         the weight [bins * 2, C, 1, L] and stride frame_step; then
 *         [B, bins, 2, frames] -> [B, frames, bins, 2].
 * Device sessions only, float32, constant window; a matrix over 32M values
 * keeps the reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "node_builder.h"
#include "passes.h"
#include "ref/ref.h"

#define MAX_MATRIX (32 << 20) /* values: a one-sided 4096-point DFT takes 16.8M */

typedef struct dft_shape {
    ng_dft_params p;
    int64_t span;   /* samples on the signal axis (STFT: a frame's) */
    int complex_in; /* x's last dim is 2 */
    int c_out;      /* y's last dim: 1 (inverse one-sided) or 2 */
} dft_shape;

static int lowerable(const ng_graph *g, const ng_node *n, dft_shape *s) {
    if (n->dead || (n->op != NG_OP_DFT && n->op != NG_OP_STFT) || n->n_epi) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (x->dtype != NNGPU_DTYPE_FLOAT32 || y->dtype != NNGPU_DTYPE_FLOAT32 || x->is_dynamic ||
        x->rt_shape || x->rank < 2 || ng_numel(x) == 0)
        return 0;
    for (int i = 1; i < n->n_in; i++)
        if (n->in[i] >= 0 && !g->tensors[n->in[i]].data) return 0; /* a window computed per run */
    if (ng_ref_dft_params(g, n, &s->p) != NNGPU_OK) return 0;
    s->complex_in = s->p.complex_in;
    s->c_out = s->p.real_out ? 1 : 2;
    s->span = n->op == NG_OP_STFT ? s->p.length : x->dims[s->p.axis];
    int64_t cells = s->span * (s->complex_in + 1) * s->p.bins * s->c_out;
    return cells > 0 && cells <= MAX_MATRIX;
}

/* M[(t * C + c) * cols + k * C' + c'] (times window[t] when given). */
static float *dft_matrix(const dft_shape *s, const ng_tensor *window) {
    const ng_dft_params *p = &s->p;
    int64_t C = s->complex_in + 1, cols = p->bins * s->c_out, L = p->length;
    float *m = calloc((size_t)(s->span * C * cols), sizeof *m);
    if (!m) return NULL;
    double sign = p->inverse ? 1 : -1, scale = p->inverse ? 1.0 / (double)L : 1;
    for (int64_t t = 0; t < s->span; t++) {
        double w = window ? ng_const_double(window, t) : 1;
        float *re = m + t * C * cols, *im = re + cols; /* rows of x[t].re and x[t].im */
        for (int64_t k = 0; k < p->bins; k++) {
            double th = 2 * M_PI * (double)((k * t) % L) / (double)L;
            double cs = w * scale * cos(th), sn = w * scale * sign * sin(th);
            if (p->real_out) { /* y[k] = Re(sum of X[j] e^(i th)), X past the input mirrored */
                int64_t mirror = L - t; /* X[L - t] = conj(x[t]) */
                int mirrored = t > 0 && mirror >= s->span && mirror < L;
                double th2 = 2 * M_PI * (double)((k * mirror) % L) / (double)L;
                if (t < L) re[k] += (float)cs, im[k] -= (float)sn;
                if (mirrored) re[k] += (float)(scale * cos(th2)), im[k] += (float)(scale * sin(th2));
                continue;
            }
            if (t >= L) continue; /* truncated by dft_length */
            re[2 * k] = (float)cs, re[2 * k + 1] = (float)sn;
            if (s->complex_in) im[2 * k] = (float)-sn, im[2 * k + 1] = (float)cs;
        }
    }
    return m;
}

/* DFT over axis a of x [..., S, ..., C]: lines of S * C values times M. */
static int lower_dft(ng_builder *l, const ng_node *n, const dft_shape *s, int matrix) {
    const ng_tensor *x = ng_in(l->g, n, 0), *y = ng_out(l->g, n, 0);
    int r = x->rank, a = s->p.axis, xt = n->in[0], moved = a != r - 2;
    int64_t perm[NNGPU_MAX_DIMS], back[NNGPU_MAX_DIMS], lines = ng_numel(x) / (s->span * x->dims[r - 1]);
    int64_t ydims[NNGPU_MAX_DIMS], yr = y->rank;
    memcpy(ydims, y->dims, sizeof ydims);
    for (int k = 0, j = 0; k < r; k++) /* the signal axis next to the last */
        if (k != a && k != r - 1) perm[j++] = k;
    perm[r - 2] = a, perm[r - 1] = r - 1;
    for (int k = 0; k < r; k++) back[perm[k]] = k;
    if (moved) xt = ng_nb_transpose_to(l, "signal_last", xt, r, perm, -1);
    const int64_t rows[2] = {lines, s->span * x->dims[r - 1]}, bins[2] = {lines, s->p.bins * s->c_out};
    int in[2] = {ng_nb_reshape_to(l, "lines", xt, 2, rows, -1), matrix};
    int t = ng_nb_node_shaped(l, NG_OP_MATMUL, "dft", 2, in, -1, 2, bins);
    if (t >= 0) ng_node_note_fused(&l->g->nodes[l->g->n_nodes - 1], ng_op_name(n->op));
    if (!moved) return ng_nb_reshape_to(l, "bins", t, (int)yr, ydims, n->out[0]);
    int64_t tdims[NNGPU_MAX_DIMS];
    for (int k = 0; k < r; k++) tdims[k] = ydims[perm[k]];
    t = ng_nb_reshape_to(l, "bins", t, r, tdims, -1);
    return ng_nb_transpose_to(l, "signal_back", t, r, back, n->out[0]);
}

/* STFT of x [B, S, C] (or [B, S]): a strided convolution over the frames. */
static int lower_stft(ng_builder *l, const ng_node *n, const dft_shape *s, int weight) {
    const ng_tensor *x = ng_in(l->g, n, 0);
    int64_t B = x->dims[0], S = x->dims[1], C = s->complex_in + 1, bins = s->p.bins, frames = s->p.frames;
    int xt = n->in[0];
    if (C == 2) {
        const int64_t to_channels[3] = {0, 2, 1};
        xt = ng_nb_transpose_to(l, "channels", xt, 3, to_channels, -1);
    }
    const int64_t planes[4] = {B, C, 1, S}, convd[4] = {B, bins * 2, 1, frames};
    int in[2] = {ng_nb_reshape_to(l, "planes", xt, 4, planes, -1), weight};
    int t = ng_nb_node_shaped(l, NG_OP_CONV, "frames_dft", 2, in, -1, 4, convd);
    if (t >= 0) {
        const int64_t kernel[2] = {1, s->p.length}, strides[2] = {1, s->p.step};
        ng_nb_attr_ints(l, "kernel_shape", 2, kernel);
        ng_nb_attr_ints(l, "strides", 2, strides);
        ng_node_note_fused(&l->g->nodes[l->g->n_nodes - 1], "STFT");
    }
    const int64_t split[4] = {B, bins, 2, frames}, to_frames[4] = {0, 3, 1, 2};
    t = ng_nb_reshape_to(l, "bins", t, 4, split, -1);
    return ng_nb_transpose_to(l, "frames", t, 4, to_frames, n->out[0]);
}

nngpu_status ng_pass_lower_dft(ng_graph *g, ng_report *r) {
    ng_builder l = {g, {g->n_nodes, NULL, 0, 0}, "", 13, 1}; /* opset 13: Reshape's input form */
    for (int i = 0; i < l.app.n_old && l.ok; i++) {
        dft_shape s;
        if (!lowerable(g, &g->nodes[i], &s)) continue;
        ng_nb_before(&l, i);
        const ng_node n = g->nodes[i]; /* a copy: building may move the node array */
        int stft = n.op == NG_OP_STFT;
        const ng_tensor *window = stft && n.n_in > 2 && n.in[2] >= 0 ? &g->tensors[n.in[2]] : NULL;
        float *m = dft_matrix(&s, window);
        if (!m) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lower_dft: the matrix of '%s'", n.name);
        int64_t C = s.complex_in + 1, cols = s.p.bins * s.c_out;
        int matrix;
        if (stft) { /* [t, c, k, c'] -> [k * 2 + c', c, 1, t] */
            float *w = malloc(sizeof *w * (size_t)(s.span * C * cols));
            if (!w) return free(m), ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lower_dft: '%s'", n.name);
            for (int64_t t = 0; t < s.span; t++)
                for (int64_t c = 0; c < C; c++)
                    for (int64_t o = 0; o < cols; o++) w[(o * C + c) * s.span + t] = m[(t * C + c) * cols + o];
            const int64_t wd[4] = {cols, C, 1, s.span};
            matrix = ng_nb_const_f(&l, "stft_weight", NNGPU_DTYPE_FLOAT32, 4, wd, w);
            free(w);
        } else {
            const int64_t md[2] = {s.span * C, cols};
            matrix = ng_nb_const_f(&l, "dft_matrix", NNGPU_DTYPE_FLOAT32, 2, md, m);
        }
        free(m);
        int y = n.out[0];
        g->nodes[i].dead = 1; /* its output now comes from the last node built */
        g->tensors[y].producer = -1;
        int done = stft ? lower_stft(&l, &n, &s, matrix) : lower_dft(&l, &n, &s, matrix);
        if (!l.ok || done < 0) break;
        ng_report_add(r, "lower_dft: %s '%s' as a %s by a %lldx%lld matrix", ng_op_name(n.op), n.name,
                      stft ? "strided convolution" : "MatMul", (long long)(s.span * C), (long long)cols);
    }
    nngpu_status placed = ng_appender_finish(g, &l.app);
    return !l.ok ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lower_dft: new nodes") : placed;
}
