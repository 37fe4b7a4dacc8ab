/* Quantized direct 2-D convolution, NCHW (1-D as H = 1), any group: the
 * grouped and depthwise QLinearConv / ConvInteger (ungrouped ones run as
 * implicit GEMM in qgemm.comp). The shape of conv.comp on 8-bit data: an
 * invocation computes PX_T neighbouring output pixels of one row for OC_T
 * output channels of one group; weights are laid out by the host as
 * [group][oc block][c][kh][kw][OC_T] bytes (zero padded; OC_T 4 or 8: whole
 * words per tap). acc = sum (x - x_zp) * (w - w_zp[k]) in int32, padding
 * reads x_zp; the output stage is qcommon.glsl's. NG_IDOT (the _dot
 * variants): main_dot, 4 channels per word and the integer dot product. */
#version 450
#extension GL_GOOGLE_include_directive : require
#include "qbytes.glsl"
#include "epilogue_ops.h"

layout(constant_id = 0) const int WG = 64;     /* invocations per work-group */
layout(constant_id = 1) const int OC_T = 1;    /* output channels per invocation */
layout(constant_id = 2) const int PX_T = 8;    /* output pixels per invocation */
/* Geometry along W compiled in (0: from push constants); with all three
 * set each kernel row's input span is read once per invocation. */
layout(constant_id = 3) const int CKW = 0;
layout(constant_id = 4) const int CSW = 0;
layout(constant_id = 5) const int CDW = 0;
layout(constant_id = 6) const int X_SIGNED = 1;
layout(constant_id = 7) const int W_SIGNED = 1;
layout(constant_id = 8) const int OUT = 0;     /* NG_QOUT_* */
/* Products summed in float, exact up to FLUSH = 256 of them (see qgemm.comp
 * FACC), moved into the int32 accumulators every 256 / taps channels. */
layout(constant_id = 9) const int FACC = 1;
const int FLUSH = 256;
const bool ROWC = CKW > 0 && CSW > 0 && CDW > 0;
const int SPAN = ROWC ? (PX_T - 1) * CSW + (CKW - 1) * CDW + 1 : 1;
const int PXOC = PX_T * OC_T; /* outputs per invocation */
layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer X_ { uint x[]; };
layout(std430, binding = 1) readonly buffer W_ { uint w[]; };
layout(std430, binding = 2) readonly buffer Ch_ { ivec4 ch[]; };
layout(std430, binding = 3) buffer Y_ { uint y[]; };

NG_BYTE_VIEWS(0, x)
NG_BYTE_VIEWS(1, w)
NG_BYTE_VIEWS(3, y)

layout(push_constant) uniform Push {
    int C, H, W, K, OH, OW, KH, KW;
    int SH, SW, PT, PL, DH, DW, G;
    int total;    /* invocations */
    int x_off, y_off, x_zp, y_zp;
    float y_scale;
    NG_EPI_PUSH_FIELDS
} p;

#include "grid.glsl"
#define EPI_SPEC_BASE 10
#define EPI_BINDING_BASE 4
#include "epilogue.glsl"
#define NG_QSTORE
#include "qcommon.glsl"

/* wv[0..OC_T) of tap index t (in OC_T units from the block's start). */
#define NG_LOAD_W(t)                                                                  \
    if (OC_T % 4 == 0) {                                                              \
        for (int q = 0; q < OC_T / 4; q++) {                                          \
            const uint ww = w[(wbase + (t) * OC_T) / 4 + q];                          \
            for (int s = 0; s < 4; s++)                                               \
                wv[4 * q + s] = ng_word_byte(ww, s, W_SIGNED != 0) - wzp[4 * q + s];  \
        }                                                                             \
    } else {                                                                          \
        for (int j = 0; j < OC_T; j++)                                                \
            wv[j] = NG_BYTE(w, wbase + (t) * OC_T + j, W_SIGNED != 0) - wzp[j];       \
    }

/* acc[px * OC_T + j] += XV * wv[j] over the invocation's channels. */
#define NG_MACS(px, XV)                                                               \
    for (int j = 0; j < OC_T; j++) {                                                  \
        if (FACC != 0) accf[(px) * OC_T + j] += float(XV) * float(wv[j]);             \
        else acc[(px) * OC_T + j] += (XV) * wv[j];                                    \
    }

/* Moves the float partial sums into acc (FACC). */
#define NG_FLUSH()                                                                    \
    if (FACC != 0)                                                                    \
        for (int i = 0; i < PX_T * OC_T; i++) {                                       \
            acc[i] += int(accf[i]);                                                   \
            accf[i] = 0.0;                                                            \
        }

/* Stores the invocation's outputs: channels kb * OC_T.. of group gi, pixels
 * ow0.. of row oh of image nb. */
void store_tile(const int acc[PXOC], const int gi, const int kb, const int nb, const int oh,
                const int ow0) {
    const int kg = p.K / p.G, npx = min(PX_T, p.OW - ow0);
    for (int j = 0; j < OC_T; j++) {
        const int kl = kb * OC_T + j;
        if (kl >= kg) break;
        const int k = gi * kg + kl;
        const uint e0 = uint(((nb * p.K + k) * p.OH + oh) * p.OW + ow0);
        /* the values first, through one inlined epilogue; 8-bit outputs 4 to a word */
        float v[PX_T];
        for (int px = 0; px < PX_T; px++) {
            if (px >= npx) break;
            v[px] = OUT == NG_QOUT_INT32 ? 0.0 : ng_q_real(acc[px * OC_T + j], k, e0 + uint(px));
        }
        const int words = OUT <= NG_QOUT_UINT8 ? npx / 4 : 0;
        for (int q = 0; q < PX_T / 4; q++)
            if (q < words)
                ng_q_store4(e0 + uint(4 * q), vec4(v[4 * q], v[4 * q + 1], v[4 * q + 2], v[4 * q + 3]));
        for (int px = 0; px < PX_T; px++) {
            if (px >= npx) break;
            if (px >= 4 * words) ng_q_store(e0 + uint(px), acc[px * OC_T + j], v[px]);
        }
    }
}

void main_int() {
    const int item = int(ng_global_id());
    if (item >= p.total) return;
    const int cg = p.C / p.G, kg = p.K / p.G, nkb = (kg + OC_T - 1) / OC_T;
    const int segs = (p.OW + PX_T - 1) / PX_T;
    int r = item;
    const int seg = r % segs; r /= segs;
    const int oh = r % p.OH; r /= p.OH;
    const int kb = r % nkb; r /= nkb;
    const int gi = r % p.G;
    const int nb = r / p.G;
    const int ow0 = seg * PX_T;
    const int taps = p.KH * p.KW;

    int wzp[OC_T];
    for (int j = 0; j < OC_T; j++) wzp[j] = ch[gi * kg + min(kb * OC_T + j, kg - 1)].z;
    int acc[PXOC];
    float accf[PX_T * OC_T];
    for (int i = 0; i < PX_T * OC_T; i++) {
        acc[i] = 0;
        accf[i] = 0.0;
    }
    const int chunk = max(1, FLUSH / taps);

    const int xplane = p.H * p.W;
    int xbase = p.x_off + (nb * p.C + gi * cg) * xplane;
    int wbase = (gi * nkb + kb) * cg * taps * OC_T;
    const int ih0 = oh * p.SH - p.PT;
    if (ROWC) {
        const int iw0 = ow0 * CSW - p.PL;
        for (int ci = 0; ci < cg; ci++) {
            for (int kh = 0; kh < p.KH; kh++) {
                const int ih = ih0 + kh * p.DH;
                const bool rowok = ih >= 0 && ih < p.H;
                const int xrow = xbase + clamp(ih, 0, p.H - 1) * p.W;
                int xr[SPAN];
                for (int t = 0; t < SPAN; t++) { /* zero (the zero point) outside */
                    const int iw = iw0 + t;
                    const int v = NG_BYTE(x, xrow + clamp(iw, 0, p.W - 1), X_SIGNED != 0);
                    xr[t] = (rowok && iw >= 0 && iw < p.W) ? v - p.x_zp : 0;
                }
                for (int kw = 0; kw < CKW; kw++) {
                    int wv[OC_T];
                    NG_LOAD_W(kh * CKW + kw);
                    for (int px = 0; px < PX_T; px++) NG_MACS(px, xr[px * CSW + kw * CDW]);
                }
            }
            if (ci % chunk == chunk - 1) NG_FLUSH();
            xbase += xplane;
            wbase += taps * OC_T;
        }
    } else {
        for (int ci = 0; ci < cg; ci++) {
            for (int kh = 0; kh < p.KH; kh++) {
                const int ih = ih0 + kh * p.DH;
                if (ih < 0 || ih >= p.H) continue;
                const int xrow = xbase + ih * p.W;
                for (int kw = 0; kw < p.KW; kw++) {
                    int wv[OC_T];
                    NG_LOAD_W(kh * p.KW + kw);
                    for (int px = 0; px < PX_T; px++) {
                        const int iw = (ow0 + px) * p.SW - p.PL + kw * p.DW;
                        const int xv = (iw >= 0 && iw < p.W)
                                           ? NG_BYTE(x, xrow + iw, X_SIGNED != 0) - p.x_zp : 0;
                        NG_MACS(px, xv);
                    }
                }
            }
            if (ci % chunk == chunk - 1) NG_FLUSH();
            xbase += xplane;
            wbase += taps * OC_T;
        }
    }

    NG_FLUSH();
    store_tile(acc, gi, kb, nb, oh, ow0);
}

#ifdef NG_IDOT
/* The integer dot-product path (vk_qconv.c IDOT), as qgemm.comp main_dot:
 * weights [group][oc block][tap][channel quad][OC_T] words of 4 channels
 * (vk_qdot.c), their sums over the group's channels and taps in ch[k].w; x
 * packed here from 4 byte loads a plane apart, the zero points applied at
 * the end. */
void main_dot() {
    const int item = int(ng_global_id());
    if (item >= p.total) return;
    const int cg = p.C / p.G, kg = p.K / p.G, nkb = (kg + OC_T - 1) / OC_T;
    const int segs = (p.OW + PX_T - 1) / PX_T;
    int r = item;
    const int seg = r % segs; r /= segs;
    const int oh = r % p.OH; r /= p.OH;
    const int kb = r % nkb; r /= nkb;
    const int gi = r % p.G;
    const int nb = r / p.G;
    const int ow0 = seg * PX_T;
    const int taps = p.KH * p.KW, CQ = (cg + 3) / 4, plane = p.H * p.W;
    const int xbase = p.x_off + (nb * p.C + gi * cg) * plane;
    const uint zp4 = uint(p.x_zp & 0xff) * 0x01010101u;
    int acc[PXOC], xsum[PX_T];
    for (int i = 0; i < PXOC; i++) acc[i] = 0;
    for (int px = 0; px < PX_T; px++) xsum[px] = 0;
    int wq = (gi * nkb + kb) * taps * CQ * OC_T;
    for (int t = 0; t < taps; t++) {
        const int kh = t / p.KW, kw = t - kh * p.KW, ih = oh * p.SH - p.PT + kh * p.DH;
        int xb[PX_T];
        bool ok[PX_T];
        for (int px = 0; px < PX_T; px++) {
            const int iw = (ow0 + px) * p.SW - p.PL + kw * p.DW;
            ok[px] = ih >= 0 && ih < p.H && iw >= 0 && iw < p.W;
            xb[px] = xbase + clamp(ih, 0, p.H - 1) * p.W + clamp(iw, 0, p.W - 1);
        }
        for (int q = 0; q < CQ; q++, wq += OC_T) {
            const int nc = min(4, cg - 4 * q);
            uint wv[OC_T];
            for (int j = 0; j < OC_T; j++) wv[j] = w[wq + j];
            for (int px = 0; px < PX_T; px++) {
                uint xw = nc == 4 ? zp4 : zp4 & ((1u << (8 * nc)) - 1u);
                if (ok[px]) {
                    xw = 0u;
                    for (int s = 0; s < nc; s++)
                        xw |= uint(NG_BYTE(x, xb[px] + (4 * q + s) * plane, false)) << (8 * s);
                }
                xsum[px] += ng_dot4(xw, 0x01010101u, X_SIGNED != 0, false);
                for (int j = 0; j < OC_T; j++)
                    acc[px * OC_T + j] += ng_dot4(xw, wv[j], X_SIGNED != 0, W_SIGNED != 0);
            }
        }
    }
    const int K = cg * taps;
    for (int j = 0; j < OC_T; j++) {
        const ivec4 cc = ch[gi * kg + min(kb * OC_T + j, kg - 1)];
        for (int px = 0; px < PX_T; px++)
            acc[px * OC_T + j] += K * p.x_zp * cc.z - p.x_zp * cc.w - cc.z * xsum[px];
    }
    store_tile(acc, gi, kb, nb, oh, ow0);
}
#endif

void main() {
#ifdef NG_IDOT
    main_dot();
#else
    main_int();
#endif
}
