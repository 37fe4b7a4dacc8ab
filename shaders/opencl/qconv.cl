/* Quantized 2-D convolution, NCHW (QLinearConv, ConvInteger; plans in
 * src/runtime/lower_quant.h): acc = sum (x - x_zp) * (w - w_zp[k]) in int32,
 * then the output stage NG_Q_OUT (epilogue.cl). A work-item computes OC_T
 * output channels x PX_T output pixels of one row, like conv2d_direct; the
 * weights are the int8/uint8 constant re-laid out as
 * [group][oc block][c][kh][kw][OC_T] (zero padded), w_zp padded to match.
 * Padding reads as x_zp (contributes 0). Groups and depthwise (OC_T = 1)
 * run the same kernel. XT, WT: char or uchar; YT: the output type. */

#ifndef OC_T
#define OC_T 8 /* output channels per work-item (1, 2, 4, 8, 16) */
#endif
#ifndef PX_T
#define PX_T 4 /* output pixels per work-item along the row */
#endif
#ifndef XT
#define XT char
#endif
#ifndef WT
#define WT char
#endif
#ifndef YT
#define YT char
#endif

#define NG_CAT_(a, b) a##b
#define NG_CAT(a, b) NG_CAT_(a, b)
#if OC_T == 1
#define ACCT int
#define WLOAD(p) ((int)(p)[0])
#define ZLOAD(p) ((p)[0])
#else
#define ACCT NG_CAT(int, OC_T)
#define WLOAD(p) NG_CAT(convert_int, OC_T)(NG_CAT(vload, OC_T)(0, (p)))
#define ZLOAD(p) NG_CAT(vload, OC_T)(0, (p))
#endif

/* geom: C, H, W, K, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW, G */
#define C_ geom[0]
#define H_ geom[1]
#define W_ geom[2]
#define K_ geom[3]
#define OH_ geom[4]
#define OW_ geom[5]
#define KH_ geom[6]
#define KW_ geom[7]
#define SH_ geom[8]
#define SW_ geom[9]
#define PT_ geom[10]
#define PL_ geom[11]
#define DH_ geom[12]
#define DW_ geom[13]
#define G_ geom[14]

__kernel void qconv2d(__constant int *geom, __global const XT *x, const int x_off, const int x_zp,
                      __global const WT *w, __global const int *w_zp,
                      __global const float *mult, __global const int *bias, const float y_scale,
                      const int y_zp, __global YT *y, const int y_off, NG_EPI_PARAMS) {
    const int cg = C_ / G_, kg = K_ / G_;
    const int nkb = (kg + OC_T - 1) / OC_T;
    const int ow0 = get_global_id(0) * PX_T, oh = get_global_id(1);
    const int z = get_global_id(2); /* (n, g, kb) */
    const int kb = z % nkb, gi = (z / nkb) % G_, n = z / (nkb * G_);
    if (ow0 >= OW_ || oh >= OH_) return;

    ACCT acc[PX_T];
#pragma unroll
    for (int p = 0; p < PX_T; p++) acc[p] = (ACCT)(0);

    const ACCT wz = ZLOAD(w_zp + (gi * nkb + kb) * OC_T);
    __global const XT *xg = x + x_off + ((n * C_) + gi * cg) * H_ * W_;
    __global const WT *wg = w + ((gi * nkb + kb) * cg) * KH_ * KW_ * OC_T;
    const int ih0 = oh * SH_ - PT_;
    const int iw0 = ow0 * SW_ - PL_;
    const int inside = iw0 >= 0 && iw0 + (PX_T - 1) * SW_ + (KW_ - 1) * DW_ < W_;
    for (int ci = 0; ci < cg; ci++) {
        __global const XT *xc = xg + ci * H_ * W_;
        __global const WT *wc = wg + ci * KH_ * KW_ * OC_T;
        for (int kh = 0; kh < KH_; kh++) {
            const int ih = ih0 + kh * DH_;
            if (ih < 0 || ih >= H_) continue;
            __global const XT *xr = xc + ih * W_;
            for (int kw = 0; kw < KW_; kw++) {
                const ACCT wv = WLOAD(wc + (kh * KW_ + kw) * OC_T) - wz;
                const int iw = iw0 + kw * DW_;
                if (inside) {
#pragma unroll
                    for (int p = 0; p < PX_T; p++)
                        acc[p] += (ACCT)((int)xr[iw + p * SW_] - x_zp) * wv;
                } else {
#pragma unroll
                    for (int p = 0; p < PX_T; p++) {
                        const int xi = iw + p * SW_;
                        const int xv = (xi >= 0 && xi < W_) ? (int)xr[xi] - x_zp : 0;
                        acc[p] += (ACCT)(xv) * wv;
                    }
                }
            }
        }
    }

    /* Transpose the tile so each channel's PX_T pixels store as one run. */
    int t[PX_T][OC_T];
#pragma unroll
    for (int p = 0; p < PX_T; p++) {
#if OC_T == 1
        t[p][0] = acc[p];
#else
        NG_CAT(vstore, OC_T)(acc[p], 0, t[p]);
#endif
    }
    const int oplane = OH_ * OW_;
    const int full = ow0 + PX_T <= OW_;
#pragma unroll
    for (int j = 0; j < OC_T; j++) {
        const int kl = kb * OC_T + j;
        if (kl >= kg) break;
        const int k = gi * kg + kl;
        const int obase = (n * K_ + k) * oplane + oh * OW_ + ow0;
        if (full) {
            YT o[PX_T];
#pragma unroll
            for (int p = 0; p < PX_T; p++) o[p] = NG_Q_OUT(t[p][j], k, obase + p);
#pragma unroll
            for (int p = 0; p < PX_T; p++) y[y_off + obase + p] = o[p];
        } else {
            for (int p = 0; p < PX_T; p++)
                if (ow0 + p < OW_) y[y_off + obase + p] = NG_Q_OUT(t[p][j], k, obase + p);
        }
    }
}
