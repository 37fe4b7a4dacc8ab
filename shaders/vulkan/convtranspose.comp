#version 450
/* ConvTranspose (NC + up to 3 spatial dims, 1-D/2-D padded with leading 1s)
 * as a gather, then the epilogue: output pixel o gets input i through tap k
 * when o = i * s - p + k * d (src/runtime/convt_plan.h). No atomics.
 * Invocations are grouped by output phase (o mod s per dim), so every lane
 * of a phase takes the same taps, and walk q = o / s fastest. Each
 * invocation computes MB output channels of one pixel. Weights
 * [C, M/G, KD, KH, KW]. geo: N C M G, ID IH IW, OD OH OW, KD KH KW,
 * SD SH SW, DD DH DW, PD PH PW, QD QH QW (ceil(O / s)). */
#extension GL_GOOGLE_include_directive : require
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int MB = 4;       /* output channels per invocation */
layout(constant_id = 2) const int HAS_BIAS = 0;
#define EPI_SPEC_BASE 3

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer W { float w[]; };
layout(std430, binding = 3) readonly buffer B { float b[]; };
layout(std430, binding = 4) readonly buffer Geo { int geo[]; };
#define EPI_BINDING_BASE 5

layout(push_constant) uniform Push {
    uint y_off, x_off, w_off, b_off, total;
    NG_EPI_PUSH_FIELDS
} p;

#include "epilogue.glsl"

void main() {
    uint gid = ng_global_id();
    if (gid >= p.total) return;
    const int C = geo[1], M = geo[2], G = geo[3];
    const int ID = geo[4], IH = geo[5], IW = geo[6], OD = geo[7], OH = geo[8], OW = geo[9];
    const int KD = geo[10], KH = geo[11], KW = geo[12];
    const int SD = geo[13], SH = geo[14], SW = geo[15], DD = geo[16], DH = geo[17], DW = geo[18];
    const int PD = geo[19], PH = geo[20], PW = geo[21], QD = geo[22], QH = geo[23], QW = geo[24];
    const int CG = C / G, MG = M / G, NB = (MG + MB - 1) / MB;
    int q = int(gid);
    int qw = q % QW; q /= QW;
    int qh = q % QH; q /= QH;
    int qd = q % QD; q /= QD;
    int pw = q % SW; q /= SW;
    int ph = q % SH; q /= SH;
    int pd = q % SD; q /= SD;
    int blk = q % (G * NB);
    int nb = q / (G * NB);
    int gi = blk / NB, m0 = (blk - gi * NB) * MB;
    int od = pd + qd * SD, oh = ph + qh * SH, ow = pw + qw * SW;
    if (od >= OD || oh >= OH || ow >= OW) return;
    int ksz = KD * KH * KW, isz = ID * IH * IW;
    float acc[MB];
    for (int j = 0; j < MB; j++) acc[j] = 0.0;
    int xg = int(p.x_off) + (nb * C + gi * CG) * isz;
    int wgb = int(p.w_off) + (gi * CG) * MG * ksz;
    for (int kd = 0; kd < KD; kd++) {
        int td = od + PD - kd * DD;
        if (td < 0 || td % SD != 0) continue;
        int id = td / SD;
        if (id >= ID) continue;
        for (int kh = 0; kh < KH; kh++) {
            int th = oh + PH - kh * DH;
            if (th < 0 || th % SH != 0) continue;
            int ih = th / SH;
            if (ih >= IH) continue;
            for (int kw = 0; kw < KW; kw++) {
                int tw = ow + PW - kw * DW;
                if (tw < 0 || tw % SW != 0) continue;
                int iw = tw / SW;
                if (iw >= IW) continue;
                int ip = (id * IH + ih) * IW + iw, kk = (kd * KH + kh) * KW + kw;
                for (int c = 0; c < CG; c++) {
                    float xv = x[xg + c * isz + ip];
                    int wc = wgb + c * MG * ksz + kk;
                    for (int j = 0; j < MB; j++) acc[j] += xv * w[wc + min(m0 + j, MG - 1) * ksz];
                }
            }
        }
    }
    int m = gi * MG + m0, opix = (od * OH + oh) * OW + ow, osz = OD * OH * OW;
    for (int j = 0; j < MB; j++) {
        if (m0 + j >= MG) break;
        float v = acc[j];
        if (HAS_BIAS != 0) v += b[p.b_off + uint(m + j)];
        uint o = uint((nb * M + m + j) * osz + opix);
        y[p.y_off + o] = ng_epilogue(v, o);
    }
}
