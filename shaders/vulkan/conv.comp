/* Direct 2-D convolution, NCHW (1-D as H = 1), any kernel, stride, padding,
 * dilation and group. An invocation computes PX_T neighbouring output
 * pixels of one row for OC_T output channels of one group; weights are laid
 * out by the host as [group][oc block][c][kh][kw][OC_T] (zero padded), so
 * depthwise is the same shader with OC_T = 1 and the original layout.
 * Invocations are numbered along x then y of the dispatch (2-D to pass the
 * 65535-group limit). Products are summed in NG_REAL (storage.glsl: with
 * NG_F16_MATH half partial sums over one kernel row, added into float). */
#version 450
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "epilogue_ops.h"

layout(constant_id = 0) const int WG = 64;     /* invocations per work-group */
layout(constant_id = 1) const int OC_T = 4;    /* output channels per invocation */
layout(constant_id = 2) const int PX_T = 4;    /* output pixels per invocation */
layout(constant_id = 3) const int HAS_BIAS = 0;
/* Geometry compiled in (0: read from push constants): kernel width, stride
 * and dilation along W. With all three set, each kernel row's input span is
 * read once per invocation and reused across taps (CPUs: lavapipe pays for
 * every buffer read lane by lane). */
layout(constant_id = 4) const int CKW = 0;
layout(constant_id = 5) const int CSW = 0;
layout(constant_id = 6) const int CDW = 0;
const bool ROWC = CKW > 0 && CSW > 0 && CDW > 0;
const int SPAN = ROWC ? (PX_T - 1) * CSW + (CKW - 1) * CDW + 1 : 1;
layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer X_ { NG_FLOAT x[]; };
layout(std430, binding = 1) readonly buffer W_ { NG_FLOAT w[]; };
layout(std430, binding = 2) readonly buffer Bias_ { NG_FLOAT bias[]; };
layout(std430, binding = 3) writeonly buffer Y_ { NG_FLOAT y[]; };

layout(push_constant) uniform Push {
    int C, H, W, K, OH, OW, KH, KW;
    int SH, SW, PT, PL, DH, DW, G;
    int total;    /* invocations */
    int x_off, bias_off, y_off;
    NG_EPI_PUSH_FIELDS
} p;

#include "grid.glsl"
#define EPI_SPEC_BASE 8
#define EPI_BINDING_BASE 4
#include "epilogue.glsl"

void main() {
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

    float acc[PX_T * OC_T];
    for (int i = 0; i < PX_T * OC_T; i++) acc[i] = 0.0;
    NG_DOT_PARTS(PX_T * OC_T);

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
                NG_REAL xr[SPAN];
                for (int t = 0; t < SPAN; t++) { /* clamped reads, zero outside */
                    const int iw = iw0 + t;
                    const NG_REAL v = x[xrow + clamp(iw, 0, p.W - 1)];
                    xr[t] = (rowok && iw >= 0 && iw < p.W) ? v : NG_REAL(0.0);
                }
                const int wrow = wbase + kh * CKW * OC_T;
                for (int kw = 0; kw < CKW; kw++) {
                    NG_REAL wv[OC_T];
                    for (int j = 0; j < OC_T; j++) wv[j] = w[wrow + kw * OC_T + j];
                    for (int px = 0; px < PX_T; px++)
                        for (int j = 0; j < OC_T; j++)
                            NG_DOT_ADD(px * OC_T + j, xr[px * CSW + kw * CDW], wv[j]);
                }
                NG_DOT_FLUSH(PX_T * OC_T);
            }
            xbase += xplane;
            wbase += taps * OC_T;
        }
    } else {
        for (int ci = 0; ci < cg; ci++) {
            for (int kh = 0; kh < p.KH; kh++) {
                const int ih = ih0 + kh * p.DH;
                if (ih < 0 || ih >= p.H) continue;
                const int xrow = xbase + ih * p.W;
                const int wrow = wbase + kh * p.KW * OC_T;
                for (int kw = 0; kw < p.KW; kw++) {
                    NG_REAL wv[OC_T];
                    for (int j = 0; j < OC_T; j++) wv[j] = w[wrow + kw * OC_T + j];
                    for (int px = 0; px < PX_T; px++) {
                        const int iw = (ow0 + px) * p.SW - p.PL + kw * p.DW;
                        const NG_REAL xv = (iw >= 0 && iw < p.W) ? x[xrow + iw] : NG_REAL(0.0);
                        for (int j = 0; j < OC_T; j++) NG_DOT_ADD(px * OC_T + j, xv, wv[j]);
                    }
                }
                NG_DOT_FLUSH(PX_T * OC_T);
            }
            xbase += xplane;
            wbase += taps * OC_T;
        }
    }

    for (int j = 0; j < OC_T; j++) {
        const int kl = kb * OC_T + j;
        if (kl >= kg) break;
        const int k = gi * kg + kl;
        const float bv = HAS_BIAS != 0 ? bias[p.bias_off + k] : 0.0;
        const int obase = ((nb * p.K + k) * p.OH + oh) * p.OW;
        for (int px = 0; px < PX_T; px++) {
            const int ow = ow0 + px;
            if (ow >= p.OW) break;
            const int idx = obase + ow;
            y[p.y_off + idx] = NG_ST(ng_epilogue(NG_REAL(acc[px * OC_T + j] + bv), uint(idx)));
        }
    }
}
