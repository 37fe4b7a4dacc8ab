#version 450
/* The recurrence of LSTM, GRU and RNN (ops.def Recurrence; the plan in
 * src/runtime/lower_rnn.h): one work-group per (direction, BT batch
 * samples) walks the sequence; invocation i owns hidden units i + WG * u,
 * u < UNITS, of each sample. Per step, unit j's gate g sums
 * h[k] * R^T[d, k, g*H + j] over k (neighbouring units read neighbouring
 * weights, each read once for the BT samples) onto X.W^T and the biases,
 * then applies the cell. The state h is double-buffered in shared memory
 * (one barrier a step; GRU without linear_before_reset stages r (.) h first,
 * a second barrier); c and z stay in registers. H sizes the shared arrays,
 * so it is a specialization constant; the sequence and batch are pushed.
 * The rnn_v4 variant (NG_RNN_VEC4, variants.cmake; for CPU devices such as
 * lavapipe, H and R^T's offset multiples of 4): an invocation owns 4
 * neighbouring units as a vec4 and reads R^T as vec4s. */
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int GATES = 4;     /* 4 LSTM i o f c, 3 GRU z r h, 1 RNN */
layout(constant_id = 2) const int H = 1;
layout(constant_id = 3) const int DIRS = 1;
layout(constant_id = 4) const int REVERSE = 0;
layout(constant_id = 5) const int LAYOUT = 0;    /* 1: batch first */
layout(constant_id = 6) const int LBR = 0;       /* GRU linear_before_reset */
layout(constant_id = 7) const int INPUT_FORGET = 0;
layout(constant_id = 8) const int FLAGS = 0;     /* bit s: slot s of lower_rnn.h present */
layout(constant_id = 9) const int ACT0 = 0;      /* ng_rnn_act numbering */
layout(constant_id = 10) const int ACT1 = 1;
layout(constant_id = 11) const int ACT2 = 1;
layout(constant_id = 12) const int UNITS = 1;
layout(constant_id = 13) const int RH_LEN = 1;   /* H when GRU stages r (.) h, else 1 */
layout(constant_id = 14) const int BT = 1;       /* batch samples per work-group */

const int GH = GATES * H;
#ifdef NG_RNN_VEC4
#define VEC 4
#define VT vec4
#define LD(a, i) vec4(a[(i)], a[(i) + 1], a[(i) + 2], a[(i) + 3])
#define ST(a, i, v) a[(i)] = (v).x, a[(i) + 1] = (v).y, a[(i) + 2] = (v).z, a[(i) + 3] = (v).w
#define LDR(i) rt4[(i) >> 2]
#else
#define VEC 1
#define VT float
#define LD(a, i) a[(i)]
#define ST(a, i, v) a[(i)] = (v)
#define LDR(i) rt[(i)]
#endif
const bool TWO_PHASE = GATES == 3 && LBR == 0;
#define HAS(bit) ((FLAGS & (bit)) != 0)
#define HAS_Y 1 /* bit s: slot s of lower_rnn.h present */
#define HAS_YH 2
#define HAS_YC 4
#define HAS_B 32
#define HAS_LENS 64
#define HAS_H0 128
#define HAS_C0 256
#define HAS_P 512

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) writeonly buffer YH { float yh[]; };
layout(std430, binding = 2) writeonly buffer YC { float yc[]; };
layout(std430, binding = 3) readonly buffer XW { float xw[]; };
layout(std430, binding = 4) readonly buffer RT { float rt[]; };
layout(std430, binding = 4) readonly buffer RT4 { vec4 rt4[]; }; /* the same buffer */
layout(std430, binding = 5) readonly buffer Bias { float bias[]; };
layout(std430, binding = 6) readonly buffer Lens { int lens[]; };
layout(std430, binding = 7) readonly buffer H0 { float h0[]; };
layout(std430, binding = 8) readonly buffer C0 { float c0[]; };
layout(std430, binding = 9) readonly buffer Peep { float peep[]; };

layout(push_constant) uniform Push {
    uint y_off, yh_off, yc_off, xw_off, rt_off, b_off, lens_off, h0_off, c0_off, p_off;
    int T, B;
    float clip; /* 0: none */
    float alpha0, alpha1, alpha2, beta0, beta1, beta2;
} p;

shared float hbuf[2 * BT * H]; /* sample bb's h: [2 * bb + cur[bb]] (double-buffered) */
shared float rh[BT * RH_LEN];

/* ng_rnn_act; kind is a specialization constant. Branch-free forms serve
 * float and vec4 alike (step(e, x): 1 where x >= e). */
VT act(int kind, VT x, float a, float b) {
    switch (kind) {
    case 0: return 1.0 / (1.0 + exp(-x));
    case 1: return tanh(x);
    case 2: return max(x, 0.0);
    case 3: return clamp(a * x + b, 0.0, 1.0);
    case 4: return mix(a * x, x, step(0.0, x));
    case 5: return x * (1.0 - step(x, VT(a)));
    case 6: return a * tanh(b * x);
    case 7: return a * x + b;
    case 8: return mix(a * (exp(min(x, 0.0)) - 1.0), x, step(0.0, x));
    case 9: return x / (1.0 + abs(x));
    default: return mix(log(1.0 + exp(min(x, 20.0))), x, step(20.0, x));
    }
}

VT clipped(VT v) { return p.clip > 0.0 ? clamp(v, -p.clip, p.clip) : v; }
VT f0(VT v) { return act(ACT0, clipped(v), p.alpha0, p.beta0); }
VT f1(VT v) { return act(ACT1, clipped(v), p.alpha1, p.beta1); }

/* Element offsets of Y[t, d, b, :] and Y_h[d, b, :] (batch first with LAYOUT 1). */
int y_at(int t, int d, int b) {
    return (LAYOUT != 0 ? (b * p.T + t) * DIRS + d : (t * DIRS + d) * p.B + b) * H;
}
int h_at(int d, int b) { return (LAYOUT != 0 ? b * DIRS + d : d * p.B + b) * H; }

void main() {
    const int lid = int(gl_LocalInvocationID.x), WG = int(gl_WorkGroupSize.x);
    const int sets = (p.B + BT - 1) / BT, grp = int(ng_group_id()), d = grp / sets, bs = grp % sets * BT;
    const uint r0 = p.rt_off + uint(d * H * GH), b0 = p.b_off + uint(d * 2 * GH), p0 = p.p_off + uint(d * 3 * H);
    int len[BT], cur[BT];
    for (int bb = 0; bb < BT; bb++) { /* samples past B: no steps, no stores */
        len[bb] = bs + bb >= p.B ? 0 : HAS(HAS_LENS) ? clamp(lens[p.lens_off + bs + bb], 0, p.T) : p.T;
        cur[bb] = 0;
    }
    VT c[UNITS * BT], z[UNITS * BT];
    for (int u = 0; u < UNITS; u++) {
        const int j = (lid + u * WG) * VEC;
        for (int bb = 0; bb < BT; bb++) {
            const int b = bs + bb;
            c[u * BT + bb] = VT(0.0);
            z[u * BT + bb] = VT(0.0);
            if (j < H) {
                ST(hbuf, 2 * bb * H + j, HAS(HAS_H0) && b < p.B ? LD(h0, p.h0_off + h_at(d, b) + j) : VT(0.0));
                if (HAS(HAS_C0) && b < p.B) c[u * BT + bb] = LD(c0, p.c0_off + h_at(d, b) + j);
            }
        }
    }
    barrier();
    for (int s = 0; s < p.T; s++) { /* every barrier reached by all; steps past a sample's len idle */
        for (int u = 0; u < UNITS; u++) {
            const int j = (lid + u * WG) * VEC;
            if (j >= H) continue;
            VT acc[4 * BT];
            for (int a = 0; a < 4 * BT; a++) acc[a] = VT(0.0);
            const int ng = TWO_PHASE ? 2 : GATES;
            for (int k = 0; k < H; k++) {
                const uint row = r0 + uint(k * GH + j);
                for (int g = 0; g < ng; g++) {
                    const VT w = LDR(row + g * H);
                    for (int bb = 0; bb < BT; bb++) acc[bb * 4 + g] += hbuf[(2 * bb + cur[bb]) * H + k] * w;
                }
            }
            for (int bb = 0; bb < BT; bb++) {
                if (s >= len[bb]) continue;
                const int b = bs + bb, t = d == 1 || REVERSE != 0 ? len[bb] - 1 - s : s, cu = u * BT + bb;
                const uint x0 = p.xw_off + uint((LAYOUT != 0 ? b * p.T + t : t * p.B + b) * DIRS * GH + d * GH);
                const int hc = (2 * bb + cur[bb]) * H, hn = (2 * bb + (cur[bb] ^ 1)) * H;
                VT xg[4];
                for (int g = 0; g < GATES; g++) {
                    xg[g] = LD(xw, x0 + g * H + j);
                    if (HAS(HAS_B)) xg[g] += LD(bias, b0 + g * H + j);
                    if (HAS(HAS_B) && !(GATES == 3 && g == 2 && LBR != 0)) xg[g] += LD(bias, b0 + GH + g * H + j);
                }
                const VT hp = LD(hbuf, hc + j);
                VT h;
                if (GATES == 4) {
                    VT pi = VT(0.0), po = VT(0.0), pf = VT(0.0);
                    if (HAS(HAS_P)) pi = LD(peep, p0 + j), po = LD(peep, p0 + H + j), pf = LD(peep, p0 + 2 * H + j);
                    const VT i = f0(xg[0] + acc[bb * 4] + pi * c[cu]);
                    const VT f = INPUT_FORGET != 0 ? 1.0 - i : f0(xg[2] + acc[bb * 4 + 2] + pf * c[cu]);
                    c[cu] = f * c[cu] + i * f1(xg[3] + acc[bb * 4 + 3]);
                    const VT o = f0(xg[1] + acc[bb * 4 + 1] + po * c[cu]);
                    h = o * act(ACT2, c[cu], p.alpha2, p.beta2);
                } else if (GATES == 3) {
                    z[cu] = f0(xg[0] + acc[bb * 4]);
                    const VT r = f0(xg[1] + acc[bb * 4 + 1]);
                    if (TWO_PHASE) {
                        ST(rh, bb * RH_LEN + j, r * hp);
                        continue;
                    }
                    const VT rb = HAS(HAS_B) ? LD(bias, b0 + GH + 2 * H + j) : VT(0.0);
                    h = (1.0 - z[cu]) * f1(xg[2] + r * (acc[bb * 4 + 2] + rb)) + z[cu] * hp;
                } else {
                    h = f0(xg[0] + acc[bb * 4]);
                }
                ST(hbuf, hn + j, h);
                if (HAS(HAS_Y)) ST(y, p.y_off + y_at(t, d, b) + j, h);
            }
        }
        if (TWO_PHASE) {
            barrier();
            for (int u = 0; u < UNITS; u++) {
                const int j = (lid + u * WG) * VEC;
                if (j >= H) continue;
                VT acc[BT];
                for (int bb = 0; bb < BT; bb++) acc[bb] = VT(0.0);
                for (int k = 0; k < H; k++) {
                    const VT w = LDR(r0 + uint(k * GH + 2 * H + j));
                    for (int bb = 0; bb < BT; bb++) acc[bb] += rh[bb * RH_LEN + k] * w;
                }
                for (int bb = 0; bb < BT; bb++) {
                    if (s >= len[bb]) continue;
                    const int b = bs + bb, t = d == 1 || REVERSE != 0 ? len[bb] - 1 - s : s, cu = u * BT + bb;
                    const uint x0 = p.xw_off + uint((LAYOUT != 0 ? b * p.T + t : t * p.B + b) * DIRS * GH + d * GH);
                    VT a = acc[bb] + LD(xw, x0 + 2 * H + j);
                    if (HAS(HAS_B)) a += LD(bias, b0 + 2 * H + j) + LD(bias, b0 + GH + 2 * H + j);
                    const VT h = (1.0 - z[cu]) * f1(a) + z[cu] * LD(hbuf, (2 * bb + cur[bb]) * H + j);
                    ST(hbuf, (2 * bb + (cur[bb] ^ 1)) * H + j, h);
                    if (HAS(HAS_Y)) ST(y, p.y_off + y_at(t, d, b) + j, h);
                }
            }
        }
        barrier();
        for (int bb = 0; bb < BT; bb++)
            if (s < len[bb]) cur[bb] ^= 1;
    }
    for (int u = 0; u < UNITS; u++) {
        const int j = (lid + u * WG) * VEC;
        for (int bb = 0; bb < BT; bb++) {
            const int b = bs + bb;
            if (j >= H || b >= p.B) continue;
            if (HAS(HAS_Y))
                for (int t = len[bb]; t < p.T; t++) ST(y, p.y_off + y_at(t, d, b) + j, VT(0.0));
            if (HAS(HAS_YH)) ST(yh, p.yh_off + h_at(d, b) + j, LD(hbuf, (2 * bb + cur[bb]) * H + j));
            if (HAS(HAS_YC)) ST(yc, p.yc_off + h_at(d, b) + j, c[u * BT + bb]);
        }
    }
}
