/* The recurrence of LSTM, GRU and RNN (ops.def Recurrence; the plan in
 * src/runtime/lower_rnn.h): one work-group per (direction, BT batch
 * samples) walks the sequence; work-item i owns the VEC hidden units from
 * VEC * (i + WG * u), u < UNITS, of each sample. Per step, unit j's gate g
 * sums h[k] * R^T[d, k, g*H + j] over k (neighbouring units read neighbouring
 * weights; each weight read once for the BT samples) onto X.W^T and the
 * biases, then applies the cell.
 *
 * Compiled in: GATES (4 LSTM i o f c, 3 GRU z r h, 1 RNN), H, T, B, DIRS,
 * REVERSE, LAYOUT, LBR (GRU linear_before_reset), INPUT_FORGET, FLAGS (bit s:
 * slot s of lower_rnn.h present), ACT0..2 with ALPHA0..2 / BETA0..2
 * (ng_rnn_act numbering), HAS_CLIP and CLIP, WG, VEC, UNITS, BT. */

#define GH (GATES * H)
#define HAS(bit) ((FLAGS & (bit)) != 0)
#define HAS_Y 1 /* bit s: slot s of lower_rnn.h present */
#define HAS_YH 2
#define HAS_YC 4
#define HAS_B 32
#define HAS_LENS 64
#define HAS_H0 128
#define HAS_C0 256
#define HAS_P 512
#define TWO_PHASE (GATES == 3 && !LBR) /* GRU: r (.) h before its dot product */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#if VEC > 1 /* 4, 8 or 16 neighbouring units as one vector */
typedef CAT(float, VEC) vec_t;
#define LD(p, i) CAT(vload, VEC)(0, (p) + (i))
#define ST(v, p, i) CAT(vstore, VEC)((v), 0, (p) + (i))
#else
typedef float vec_t;
#define LD(p, i) ((p)[i])
#define ST(v, p, i) ((p)[i] = (v))
#endif

/* ng_rnn_act; kind is a constant, so one case remains. */
static inline vec_t act(int kind, vec_t x, float a, float b) {
    switch (kind) {
    case 0: return 1.0f / (1.0f + exp(-x));
    case 1: return tanh(x);
    case 2: return fmax(x, (vec_t)0.0f);
    case 3: return clamp(a * x + b, 0.0f, 1.0f);
    case 4: return select(a * x, x, x >= 0.0f);
    case 5: return select((vec_t)0.0f, x, x > a);
    case 6: return a * tanh(b * x);
    case 7: return a * x + b;
    case 8: return select(a * (exp(x) - 1.0f), x, x >= 0.0f);
    case 9: return x / (1.0f + fabs(x));
    default: return log1p(exp(x));
    }
}

#if HAS_CLIP
#define CLIPPED(v) clamp((v), -(float)CLIP, (float)CLIP)
#else
#define CLIPPED(v) (v)
#endif
#define F(k, v) act(ACT##k, CLIPPED(v), ALPHA##k, BETA##k)

/* Element offsets of Y[t, d, b, :] and Y_h[d, b, :] (batch first with LAYOUT 1). */
#define Y_AT(t, d, b) ((LAYOUT ? ((b) * T + (t)) * DIRS + (d) : ((t) * DIRS + (d)) * B + (b)) * H)
#define H_AT(d, b) ((LAYOUT ? (b) * DIRS + (d) : (d) * B + (b)) * H)

/* acc[bb * GATES + g] += sum over k of src[off[bb] + k] * R^T[d, k, g*H + j ...]
 * for gates [g0, g1) and the BT samples bb. */
#define DOT(acc, src, off, g0, g1)                                          \
    for (int k = 0; k < H; k++) {                                           \
        float sk[BT];                                                       \
        for (int bb = 0; bb < BT; bb++) sk[bb] = (src)[(off)[bb] + k];      \
        __global const float *row = rt + k * GH + j;                        \
        for (int g = (g0); g < (g1); g++) {                                 \
            const vec_t w = LD(row, g * H);                                 \
            for (int bb = 0; bb < BT; bb++) acc[bb * GATES + g] += sk[bb] * w; \
        }                                                                   \
    }

__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void
recurrence(__global float *y, int y_off, __global float *yh, int yh_off, __global float *yc, int yc_off,
           __global const float *xw, int xw_off, __global const float *rt, int rt_off,
           __global const float *bias, int b_off, __global const int *lens, int lens_off,
           __global const float *h0, int h0_off, __global const float *c0, int c0_off,
           __global const float *peep, int p_off) {
    __local float hbuf[2 * BT * H]; /* sample bb's h: [2 * bb + cur[bb]] (double-buffered) */
#if TWO_PHASE
    __local float rh[BT * H]; /* r (.) h */
#endif
    const int lid = get_local_id(0), sets = (B + BT - 1) / BT;
    const int d = get_group_id(0) / sets, b0 = get_group_id(0) % sets * BT;
    int len[BT], cur[BT], hoff[BT], roff[BT];
    for (int bb = 0; bb < BT; bb++) { /* samples past B: no steps, no stores */
        len[bb] = b0 + bb >= B ? 0 : HAS(HAS_LENS) ? clamp(lens[lens_off + b0 + bb], 0, T) : T; /* the reference rejects others */
        cur[bb] = 0;
        roff[bb] = bb * H;
    }
    rt += rt_off + d * H * GH;
    bias += b_off + d * 2 * GH;
    peep += p_off + d * 3 * H;
    vec_t c[UNITS * BT], z[UNITS * BT];
    for (int u = 0; u < UNITS; u++) {
        const int j = (lid + u * WG) * VEC;
        for (int bb = 0; bb < BT; bb++) {
            const int b = b0 + bb;
            c[u * BT + bb] = z[u * BT + bb] = 0.0f;
            if (j < H) {
                ST(HAS(HAS_H0) && b < B ? LD(h0, h0_off + H_AT(d, b) + j) : (vec_t)0.0f, hbuf, 2 * bb * H + j);
                if (HAS(HAS_C0) && b < B) c[u * BT + bb] = LD(c0, c0_off + H_AT(d, b) + j);
            }
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    /* T steps with every barrier reached by all work-items; steps past a
     * sample's len idle for it. (POCL 3.1 dropped stores after a `continue`
     * in loops around barriers: the loops below use if-blocks.) */
    for (int s = 0; s < T; s++) {
        for (int bb = 0; bb < BT; bb++) hoff[bb] = (2 * bb + cur[bb]) * H;
        for (int u = 0; u < UNITS; u++) {
            const int j = (lid + u * WG) * VEC;
            if (j < H) {
                vec_t acc[BT * GATES];
                for (int a = 0; a < BT * GATES; a++) acc[a] = 0.0f;
                DOT(acc, hbuf, hoff, 0, TWO_PHASE ? 2 : GATES);
                for (int bb = 0; bb < BT; bb++) {
                    if (s < len[bb]) {
                        const int b = b0 + bb, t = d == 1 || REVERSE ? len[bb] - 1 - s : s, cu = u * BT + bb;
                        __global const float *x = xw + xw_off + (LAYOUT ? b * T + t : t * B + b) * DIRS * GH + d * GH;
                        __local float *hn = hbuf + (2 * bb + (cur[bb] ^ 1)) * H;
                        vec_t *a = acc + bb * GATES, xg[GATES];
                        for (int g = 0; g < GATES; g++) {
                            xg[g] = LD(x, g * H + j);
                            if (HAS(HAS_B)) xg[g] += LD(bias, g * H + j);
                            if (HAS(HAS_B) && !(GATES == 3 && g == 2 && LBR)) xg[g] += LD(bias, GH + g * H + j);
                        }
                        const vec_t hp = LD(hbuf, hoff[bb] + j);
#if GATES == 4
                        vec_t pi = 0.0f, po = 0.0f, pf = 0.0f;
                        if (HAS(HAS_P)) pi = LD(peep, j), po = LD(peep, H + j), pf = LD(peep, 2 * H + j);
                        const vec_t i = F(0, xg[0] + a[0] + pi * c[cu]);
                        const vec_t f = INPUT_FORGET ? 1.0f - i : F(0, xg[2] + a[2] + pf * c[cu]);
                        c[cu] = f * c[cu] + i * F(1, xg[3] + a[3]);
                        const vec_t o = F(0, xg[1] + a[1] + po * c[cu]);
                        const vec_t h = o * act(ACT2, c[cu], ALPHA2, BETA2);
#elif GATES == 3
                        z[cu] = F(0, xg[0] + a[0]);
                        const vec_t r = F(0, xg[1] + a[1]);
#if TWO_PHASE
                        ST(r * hp, rh, roff[bb] + j);
#else
                        const vec_t rb = HAS(HAS_B) ? LD(bias, GH + 2 * H + j) : (vec_t)0.0f;
                        const vec_t h = (1.0f - z[cu]) * F(1, xg[2] + r * (a[2] + rb)) + z[cu] * hp;
#endif
#else
                        const vec_t h = F(0, xg[0] + a[0]);
#endif
#if !TWO_PHASE
                        ST(h, hn, j);
                        if (HAS(HAS_Y)) ST(h, y, y_off + Y_AT(t, d, b) + j);
#endif
                    }
                }
            }
        }
#if TWO_PHASE
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int u = 0; u < UNITS; u++) {
            const int j = (lid + u * WG) * VEC;
            if (j < H) {
                vec_t acc[BT * GATES];
                for (int a = 0; a < BT * GATES; a++) acc[a] = 0.0f;
                DOT(acc, rh, roff, 2, 3);
                for (int bb = 0; bb < BT; bb++) {
                    if (s < len[bb]) {
                        const int b = b0 + bb, t = d == 1 || REVERSE ? len[bb] - 1 - s : s, cu = u * BT + bb;
                        __global const float *x = xw + xw_off + (LAYOUT ? b * T + t : t * B + b) * DIRS * GH + d * GH;
                        vec_t h2 = acc[bb * GATES + 2] + LD(x, 2 * H + j);
                        if (HAS(HAS_B)) h2 += LD(bias, 2 * H + j) + LD(bias, GH + 2 * H + j);
                        const vec_t h = (1.0f - z[cu]) * F(1, h2) + z[cu] * LD(hbuf, hoff[bb] + j);
                        ST(h, hbuf, (2 * bb + (cur[bb] ^ 1)) * H + j);
                        if (HAS(HAS_Y)) ST(h, y, y_off + Y_AT(t, d, b) + j);
                    }
                }
            }
        }
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int bb = 0; bb < BT; bb++)
            if (s < len[bb]) cur[bb] ^= 1;
    }
    for (int u = 0; u < UNITS; u++) {
        const int j = (lid + u * WG) * VEC;
        for (int bb = 0; bb < BT; bb++) {
            const int b = b0 + bb;
            if (j < H && b < B) {
                if (HAS(HAS_Y))
                    for (int t = len[bb]; t < T; t++) ST((vec_t)0.0f, y, y_off + Y_AT(t, d, b) + j);
                if (HAS(HAS_YH)) ST(LD(hbuf, (2 * bb + cur[bb]) * H + j), yh, yh_off + H_AT(d, b) + j);
                if (HAS(HAS_YC)) ST(c[u * BT + bb], yc, yc_off + H_AT(d, b) + j);
            }
        }
    }
}
