/* The recurrence of LSTM, GRU and RNN (ops.def Recurrence; the plan in
 * src/runtime/lower_rnn.h): one work-group per (direction, batch sample)
 * walks the sequence; work-item i owns the VEC hidden units from
 * VEC * (i + WG * u), u < UNITS. Per step, unit j's gate g sums
 * h[k] * R^T[d, k, g*H + j] over k (neighbouring units read neighbouring
 * weights) onto X.W^T and the biases, then applies the cell.
 *
 * Compiled in: GATES (4 LSTM i o f c, 3 GRU z r h, 1 RNN), H, T, B, DIRS,
 * REVERSE, LAYOUT, LBR (GRU linear_before_reset), INPUT_FORGET, FLAGS (bit s:
 * slot s of lower_rnn.h present), ACT0..2 with ALPHA0..2 / BETA0..2
 * (ng_rnn_act numbering), HAS_CLIP and CLIP, WG, VEC, UNITS. */

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

/* sum over k of s[k] * R^T[d, k, gate*H + j ...], gates [g0, g1). */
#define DOT(acc, s, rt, g0, g1)                                      \
    for (int k = 0; k < H; k++) {                                    \
        float sk = (s)[k];                                           \
        __global const float *row = (rt) + k * GH + j;               \
        for (int g = (g0); g < (g1); g++) acc[g] += sk * LD(row, g * H); \
    }

__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void
recurrence(__global float *y, int y_off, __global float *yh, int yh_off, __global float *yc, int yc_off,
           __global const float *xw, int xw_off, __global const float *rt, int rt_off,
           __global const float *bias, int b_off, __global const int *lens, int lens_off,
           __global const float *h0, int h0_off, __global const float *c0, int c0_off,
           __global const float *peep, int p_off) {
    __local float hbuf[2 * H];
#if TWO_PHASE
    __local float rh[H]; /* r (.) h */
#endif
    const int lid = get_local_id(0), d = get_group_id(0) / B, b = get_group_id(0) % B;
    const int len = HAS(HAS_LENS) ? clamp(lens[lens_off + b], 0, T) : T; /* the reference rejects others */
    rt += rt_off + d * H * GH;
    bias += b_off + d * 2 * GH;
    peep += p_off + d * 3 * H;
    vec_t c[UNITS], z[UNITS];
    for (int u = 0; u < UNITS; u++) {
        const int j = (lid + u * WG) * VEC;
        c[u] = z[u] = 0.0f;
        if (j < H) {
            ST(HAS(HAS_H0) ? LD(h0, h0_off + H_AT(d, b) + j) : (vec_t)0.0f, hbuf, j);
            if (HAS(HAS_C0)) c[u] = LD(c0, c0_off + H_AT(d, b) + j);
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    int cur = 0;
    /* T steps with every barrier reached by all work-items; steps past len
     * idle. (POCL 3.1 dropped stores after a `continue` in loops around
     * barriers: the loops below use if-blocks.) */
    for (int s = 0; s < T; s++) {
        const int t = d == 1 || REVERSE ? len - 1 - s : s;
        __global const float *x = xw + xw_off + (LAYOUT ? b * T + t : t * B + b) * DIRS * GH + d * GH;
        __local float *hc = hbuf + cur * H, *hn = hbuf + (cur ^ 1) * H;
        for (int u = 0; u < UNITS; u++) {
            const int j = (lid + u * WG) * VEC;
            if (s < len && j < H) {
                vec_t acc[GATES], xg[GATES];
                for (int g = 0; g < GATES; g++) {
                    xg[g] = LD(x, g * H + j);
                    if (HAS(HAS_B)) xg[g] += LD(bias, g * H + j);
                    acc[g] = 0.0f;
                    if (HAS(HAS_B) && !(GATES == 3 && g == 2 && LBR)) xg[g] += LD(bias, GH + g * H + j);
                }
                DOT(acc, hc, rt, 0, TWO_PHASE ? 2 : GATES);
                const vec_t hp = LD(hc, j);
#if GATES == 4
                vec_t pi = 0.0f, po = 0.0f, pf = 0.0f;
                if (HAS(HAS_P)) pi = LD(peep, j), po = LD(peep, H + j), pf = LD(peep, 2 * H + j);
                const vec_t i = F(0, xg[0] + acc[0] + pi * c[u]);
                const vec_t f = INPUT_FORGET ? 1.0f - i : F(0, xg[2] + acc[2] + pf * c[u]);
                c[u] = f * c[u] + i * F(1, xg[3] + acc[3]);
                const vec_t o = F(0, xg[1] + acc[1] + po * c[u]);
                const vec_t h = o * act(ACT2, c[u], ALPHA2, BETA2);
#elif GATES == 3
                z[u] = F(0, xg[0] + acc[0]);
                const vec_t r = F(0, xg[1] + acc[1]);
#if TWO_PHASE
                ST(r * hp, rh, j);
#else
                const vec_t rb = HAS(HAS_B) ? LD(bias, GH + 2 * H + j) : (vec_t)0.0f;
                const vec_t h = (1.0f - z[u]) * F(1, xg[2] + r * (acc[2] + rb)) + z[u] * hp;
#endif
#else
                const vec_t h = F(0, xg[0] + acc[0]);
#endif
#if !TWO_PHASE
                ST(h, hn, j);
                if (HAS(HAS_Y)) ST(h, y, y_off + Y_AT(t, d, b) + j);
#endif
            }
        }
#if TWO_PHASE
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int u = 0; u < UNITS; u++) {
            const int j = (lid + u * WG) * VEC;
            if (s < len && j < H) {
                vec_t acc[GATES];
                acc[2] = LD(x, 2 * H + j);
                if (HAS(HAS_B)) acc[2] += LD(bias, 2 * H + j) + LD(bias, GH + 2 * H + j);
                DOT(acc, rh, rt, 2, 3);
                const vec_t h = (1.0f - z[u]) * F(1, acc[2]) + z[u] * LD(hc, j);
                ST(h, hn, j);
                if (HAS(HAS_Y)) ST(h, y, y_off + Y_AT(t, d, b) + j);
            }
        }
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
        if (s < len) cur ^= 1;
    }
    for (int u = 0; u < UNITS; u++) {
        const int j = (lid + u * WG) * VEC;
        if (j < H) {
            if (HAS(HAS_Y))
                for (int t = len; t < T; t++) ST((vec_t)0.0f, y, y_off + Y_AT(t, d, b) + j);
            if (HAS(HAS_YH)) ST(LD(hbuf + cur * H, j), yh, yh_off + H_AT(d, b) + j);
            if (HAS(HAS_YC)) ST(c[u], yc, yc_off + H_AT(d, b) + j);
        }
    }
}
