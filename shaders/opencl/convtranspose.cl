/* ConvTranspose (NC + up to 3 spatial dims, 1-D/2-D padded with leading 1s)
 * as a gather: output pixel o gets input i through tap k when
 * o = i * s - p + k * d. No atomics. Work-items are grouped by output phase
 * (o mod s per dim), so every lane of a phase takes the same taps, and walk
 * q = o / s fastest (neighbouring lanes read neighbouring inputs). Each
 * work-item computes MB output channels of one pixel. Weights [C, M/G, KD,
 * KH, KW]. geo: N C M G, ID IH IW, OD OH OW, KD KH KW, SD SH SW, DD DH DW,
 * PD PH PW, QD QH QW (ceil(O / s)). */

#ifndef HAS_BIAS
#define HAS_BIAS 1
#endif
#ifndef MB
#define MB 4 /* output channels per work-item */
#endif

__kernel void convtranspose(__global float *y, int y_off, __global const float *x, int x_off,
                            __global const float *w, int w_off, __global const float *b,
                            int b_off, __constant int *geo, int total, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= total) return;
    const int C = geo[1], M = geo[2], G = geo[3];
    const int ID = geo[4], IH = geo[5], IW = geo[6], OD = geo[7], OH = geo[8], OW = geo[9];
    const int KD = geo[10], KH = geo[11], KW = geo[12];
    const int SD = geo[13], SH = geo[14], SW = geo[15], DD = geo[16], DH = geo[17], DW = geo[18];
    const int PD = geo[19], PH = geo[20], PW = geo[21], QD = geo[22], QH = geo[23], QW = geo[24];
    const int CG = C / G, MG = M / G, NB = (MG + MB - 1) / MB;
    int q = gid;
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
    for (int j = 0; j < MB; j++) acc[j] = 0.0f;
    __global const float *xg = x + x_off + (nb * C + gi * CG) * isz;
    __global const float *wg = w + w_off + (gi * CG) * MG * ksz;
    for (int kd = 0; kd < KD; kd++) {
        int td = od + PD - kd * DD;
        if (td < 0 || td % SD) continue;
        int id = td / SD;
        if (id >= ID) continue;
        for (int kh = 0; kh < KH; kh++) {
            int th = oh + PH - kh * DH;
            if (th < 0 || th % SH) continue;
            int ih = th / SH;
            if (ih >= IH) continue;
            for (int kw = 0; kw < KW; kw++) {
                int tw = ow + PW - kw * DW;
                if (tw < 0 || tw % SW) continue;
                int iw = tw / SW;
                if (iw >= IW) continue;
                int ip = (id * IH + ih) * IW + iw, kk = (kd * KH + kh) * KW + kw;
                for (int c = 0; c < CG; c++) {
                    float xv = xg[c * isz + ip];
                    __global const float *wc = wg + c * MG * ksz + kk;
                    for (int j = 0; j < MB; j++) acc[j] += xv * wc[min(m0 + j, MG - 1) * ksz];
                }
            }
        }
    }
    int m = gi * MG + m0, opix = (od * OH + oh) * OW + ow, osz = OD * OH * OW;
    for (int j = 0; j < MB; j++) {
        if (m0 + j >= MG) break;
        float v = acc[j];
#if HAS_BIAS
        v += b[b_off + m + j];
#endif
        int o = (nb * M + m + j) * osz + opix;
        y[y_off + o] = NG_EPI_APPLY(v, o);
    }
}
