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


/* Vectors of width W (1, 2, 4, 8, 16) by name: NG_VT(float, 1) is float. */
#define NG_VT_1(t) t
#define NG_VT_2(t) t##2
#define NG_VT_4(t) t##4
#define NG_VT_8(t) t##8
#define NG_VT_16(t) t##16
#define NG_VT(t, w) NG_CAT(NG_VT_, w)(t)
#define NG_VLOAD_1(p) ((p)[0])
#define NG_VLOAD_2(p) vload2(0, (p))
#define NG_VLOAD_4(p) vload4(0, (p))
#define NG_VLOAD_8(p) vload8(0, (p))
#define NG_VLOAD_16(p) vload16(0, (p))
#define NG_VLOAD(w, p) NG_CAT(NG_VLOAD_, w)(p)
#define NG_VSTORE_1(v, p) ((p)[0] = (v))
#define NG_VSTORE_2(v, p) vstore2((v), 0, (p))
#define NG_VSTORE_4(v, p) vstore4((v), 0, (p))
#define NG_VSTORE_8(v, p) vstore8((v), 0, (p))
#define NG_VSTORE_16(v, p) vstore16((v), 0, (p))
#define NG_VSTORE(w, v, p) NG_CAT(NG_VSTORE_, w)((v), (p))
#define NG_VCVT(t, w, v) NG_CAT(convert_, NG_VT(t, w))(v)

/* NG_Q_OUT (epilogue.cl) for W outputs of channel k at once: acc (an int
 * vector) to y[y_off + i0 ...]. The same arithmetic as lower_quant.h,
 * vectorized: per-element saturating conversions measured 20x slower than
 * the arithmetic on PoCL. NaN stores Q_LO, as the reference does. The
 * epilogue, when there is one, runs per element on a private copy. */
#if Q_OUT == 0
#define Q_LO -128.0f
#define Q_HI 127.0f
#else
#define Q_LO 0.0f
#define Q_HI 255.0f
#endif
#if NG_EPI
#define Q_EPI_V(w, real, i0)                                                     \
    do {                                                                         \
        float e_[w];                                                             \
        NG_VSTORE(w, real, e_);                                                  \
        _Pragma("unroll") for (int j_ = 0; j_ < (w); j_++)                       \
            e_[j_] = NG_EPI_APPLY(e_[j_], (i0) + j_);                            \
        real = NG_VLOAD(w, e_);                                                  \
    } while (0)
#else
#define Q_EPI_V(w, real, i0) ((void)0)
#endif
#if Q_OUT == 3
#define Q_STORE_V(w, acc, k, i0) NG_VSTORE(w, acc, y + y_off + (i0))
#else
#define Q_STORE_V(w, acc, k, i0)                                                 \
    do {                                                                         \
        NG_VT(float, w) real_ = mult[k] * NG_VCVT(float, w, (acc) + bias[k]);    \
        Q_EPI_V(w, real_, i0);                                                   \
        Q_STORE_REAL(w, real_, i0);                                              \
    } while (0)
#if Q_OUT == 2
#define Q_STORE_REAL(w, real, i0) NG_VSTORE(w, real, y + y_off + (i0))
#else
#define Q_STORE_REAL(w, real, i0)                                                \
    do {                                                                         \
        NG_VT(float, w) r_ = rint(real / y_scale) + (float)y_zp;                 \
        r_ = select(r_, (NG_VT(float, w))(Q_LO), isnan(r_));                     \
        r_ = clamp(r_, Q_LO, Q_HI);                                              \
        NG_VSTORE(w, NG_VCVT(YT, w, NG_VCVT(int, w, r_)), y + y_off + (i0));     \
    } while (0)
#endif
#endif

#ifndef QMAC
#define QMAC 0 /* 1: exact float multiply-adds (see qconv1x1) */
#endif
#ifndef CI_CHUNK
#define CI_CHUNK 0 /* QMAC 1: input channels per float partial sum; 0: all */
#endif
#if QMAC == 1
#define MACS float
#define MACT NG_VT(float, OC_T)
#define TO_MAC(v) NG_VCVT(float, OC_T, v)
#define TO_ACC(v) NG_VCVT(int, OC_T, v)
#else
#define MACS int
#define MACT ACCT
#define TO_MAC(v) (v)
#define TO_ACC(v) (v)
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
    /* QMAC 1: float partial sums over CI_CHUNK input channels (exact, see
     * qconv1x1 below), moved to the int32 acc after each chunk. */
    const int chunk = QMAC && CI_CHUNK ? CI_CHUNK : cg;
    for (int c0 = 0; c0 < cg; c0 += chunk) {
        MACT f[PX_T];
#pragma unroll
        for (int p = 0; p < PX_T; p++) f[p] = (MACT)(0);
        const int c1 = min(c0 + chunk, cg);
        for (int ci = c0; ci < c1; ci++) {
            __global const XT *xc = xg + ci * H_ * W_;
            __global const WT *wc = wg + ci * KH_ * KW_ * OC_T;
            for (int kh = 0; kh < KH_; kh++) {
                const int ih = ih0 + kh * DH_;
                if (ih < 0 || ih >= H_) continue;
                __global const XT *xr = xc + ih * W_;
                for (int kw = 0; kw < KW_; kw++) {
                    const MACT wv = TO_MAC(WLOAD(wc + (kh * KW_ + kw) * OC_T) - wz);
                    const int iw = iw0 + kw * DW_;
                    if (inside) {
#pragma unroll
                        for (int p = 0; p < PX_T; p++)
                            f[p] += (MACT)((MACS)((int)xr[iw + p * SW_] - x_zp)) * wv;
                    } else {
#pragma unroll
                        for (int p = 0; p < PX_T; p++) {
                            const int xi = iw + p * SW_;
                            const int xv = (xi >= 0 && xi < W_) ? (int)xr[xi] - x_zp : 0;
                            f[p] += (MACT)((MACS)(xv)) * wv;
                        }
                    }
                }
            }
        }
#pragma unroll
        for (int p = 0; p < PX_T; p++) acc[p] += TO_ACC(f[p]);
    }

    /* Transpose the tile so each channel's PX_T pixels store as one run. */
    int t[OC_T][PX_T];
#pragma unroll
    for (int p = 0; p < PX_T; p++) {
#if OC_T == 1
        t[0][p] = acc[p];
#else
        int a_[OC_T];
        NG_CAT(vstore, OC_T)(acc[p], 0, a_);
#pragma unroll
        for (int j = 0; j < OC_T; j++) t[j][p] = a_[j];
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
#if PX_T == 1 || PX_T == 2 || PX_T == 4 || PX_T == 8 || PX_T == 16
        if (full) {
            Q_STORE_V(PX_T, NG_VLOAD(PX_T, t[j]), k, obase);
            continue;
        }
#endif
        for (int p = 0; p < PX_T; p++)
            if (ow0 + p < OW_) y[y_off + obase + p] = NG_Q_OUT(t[j][p], k, obase + p);
    }
}

/* qconv1x1: 1x1 convolutions (stride 1, no padding, one group) as a GEMM
 * per image (cl_qconv1x1.c):
 *   acc[k][p] = corr[k] + sum_c wq[k][c] * x[c][p]
 * with wq = w - w_zp[k] and corr[k] = -x_zp * sum_c wq[k][c] folded on the
 * host: the same int32 acc as sum (x - x_zp)(w - w_zp), read from the raw
 * bytes of x. A work-item computes TM output channels x TN = VEC * NV
 * pixels; the weights are packed as [K / TM][C][TM] of WQT (char when every
 * wq fits, else short), rows past K zero. The host keeps TN <= P: the last
 * tile of a row is shifted left to end at P (it recomputes pixels of its
 * neighbour and stores the same values).
 * QMAC picks the multiply-add:
 *   0: int32 vectors;
 *   1: float vectors, exact: products and partial sums of integers below 2^24
 *      are exact in float. The host bounds CI_CHUNK * max|wq| * max|x| below
 *      2^24; partial sums move to the int32 acc every CI_CHUNK channels
 *      (CI_CHUNK 0: all C channels fit). */
#ifndef TM
#define TM 8 /* output channels per work-item */
#endif
#ifndef VEC
#define VEC 16 /* pixels per vector (1, 2, 4, 8, 16) */
#endif
#ifndef NV
#define NV 2 /* vectors per work-item */
#endif
#ifndef WQT
#define WQT char
#endif
#define TN (VEC * NV)
#define IVT NG_VT(int, VEC)
#define FVT NG_VT(float, VEC)
#define XLOAD(v, p) NG_VLOAD(VEC, (p) + (v) * VEC)
#define CVT_I(v) NG_VCVT(int, VEC, v)
#define CVT_F(v) NG_VCVT(float, VEC, v)

__kernel void qconv1x1(const int C, const int P, const int K, __global const XT *x,
                       const int x_off, __global const WQT *w, __global const int *corr,
                       __global const float *mult, __global const int *bias, const float y_scale,
                       const int y_zp, __global YT *y, const int y_off, NG_EPI_PARAMS) {
    int p0 = get_global_id(0) * TN;
    const int kb = get_global_id(1), n = get_global_id(2);
    if (p0 >= P || kb * TM >= K) return;
    if (p0 + TN > P) p0 = P - TN;
    __global const XT *xp = x + x_off + n * C * P + p0;
    __global const WQT *wp = w + kb * C * TM;

    IVT acc[TM][NV];
#pragma unroll
    for (int r = 0; r < TM; r++)
#pragma unroll
        for (int v = 0; v < NV; v++) acc[r][v] = (IVT)(corr[kb * TM + r]);
#if QMAC == 1
#if CI_CHUNK
    for (int c0 = 0; c0 < C; c0 += CI_CHUNK) {
        const int c1 = min(c0 + CI_CHUNK, C);
#else
    {
        const int c0 = 0, c1 = C;
#endif
        FVT f[TM][NV];
#pragma unroll
        for (int r = 0; r < TM; r++)
#pragma unroll
            for (int v = 0; v < NV; v++) f[r][v] = (FVT)(0.0f);
        for (int c = c0; c < c1; c++) {
            FVT bv[NV];
#pragma unroll
            for (int v = 0; v < NV; v++) bv[v] = CVT_F(XLOAD(v, xp + c * P));
#pragma unroll
            for (int r = 0; r < TM; r++) {
                const float wv = (float)wp[c * TM + r];
#pragma unroll
                for (int v = 0; v < NV; v++) f[r][v] = NG_MAD((FVT)(wv), bv[v], f[r][v]);
            }
        }
#pragma unroll
        for (int r = 0; r < TM; r++)
#pragma unroll
            for (int v = 0; v < NV; v++) acc[r][v] += CVT_I(f[r][v]);
    }
#else
    for (int c = 0; c < C; c++) {
        IVT bv[NV];
#pragma unroll
        for (int v = 0; v < NV; v++) bv[v] = CVT_I(XLOAD(v, xp + c * P));
#pragma unroll
        for (int r = 0; r < TM; r++) {
            const int wv = (int)wp[c * TM + r];
#pragma unroll
            for (int v = 0; v < NV; v++) acc[r][v] += (IVT)(wv) * bv[v];
        }
    }
#endif

#pragma unroll
    for (int r = 0; r < TM; r++) {
        const int k = kb * TM + r;
        if (k >= K) break;
#pragma unroll
        for (int v = 0; v < NV; v++) Q_STORE_V(VEC, acc[r][v], k, (n * K + k) * P + p0 + v * VEC);
    }
}

/* qconv_dw: depthwise convolutions (group == C == K) with their geometry
 * compiled in: DW_K (square kernel), DW_S (stride, both axes), dilation 1
 * (cl_qconv_dw.c). A work-item computes PX_T pixels of one row of one
 * channel, reading each input row segment once (unchecked inside the
 * image), in exact float arithmetic: at most 49 products of at most
 * 255 * 255 stay below 2^24. w holds (w - w_zp[c]) as float [C][DW_K^2].
 * Scalar code: PoCL vectorizes it across the work-items of a group. */
#ifdef DW_K
#define DW_SPAN ((PX_T - 1) * DW_S + DW_K)
__kernel void qconv_dw(__constant int *geom, __global const XT *x, const int x_off,
                       const int x_zp, __global const float *w, __global const float *mult,
                       __global const int *bias, const float y_scale, const int y_zp,
                       __global YT *y, const int y_off, NG_EPI_PARAMS) {
    int ow0 = get_global_id(0) * PX_T;
    const int oh = get_global_id(1), z = get_global_id(2), c = z % C_; /* z: (n, c) */
    if (ow0 >= OW_ || oh >= OH_) return;
    /* The row's last segment ends at OW (recomputing pixels of its neighbour). */
    if (OW_ >= PX_T && ow0 + PX_T > OW_) ow0 = OW_ - PX_T;
    __global const XT *xc = x + x_off + z * H_ * W_;
    __global const float *wc = w + c * DW_K * DW_K;
    const int ih0 = oh * DW_S - PT_, iw0 = ow0 * DW_S - PL_;
    const int inside = iw0 >= 0 && iw0 + DW_SPAN <= W_;
    float acc[PX_T];
#pragma unroll
    for (int p = 0; p < PX_T; p++) acc[p] = 0.0f;
#pragma unroll
    for (int kh = 0; kh < DW_K; kh++) {
        const int ih = ih0 + kh;
        if (ih < 0 || ih >= H_) continue;
        __global const XT *xr = xc + ih * W_ + iw0;
        float seg[DW_SPAN];
        if (inside) {
#pragma unroll
            for (int e = 0; e < DW_SPAN; e++) seg[e] = (float)((int)xr[e] - x_zp);
        } else {
#pragma unroll
            for (int e = 0; e < DW_SPAN; e++)
                seg[e] = iw0 + e >= 0 && iw0 + e < W_ ? (float)((int)xr[e] - x_zp) : 0.0f;
        }
#pragma unroll
        for (int kw = 0; kw < DW_K; kw++) {
            const float wv = wc[kh * DW_K + kw];
#pragma unroll
            for (int p = 0; p < PX_T; p++) acc[p] = mad(seg[p * DW_S + kw], wv, acc[p]);
        }
    }
    const int obase = z * OH_ * OW_ + oh * OW_ + ow0;
#if PX_T == 2 || PX_T == 4 || PX_T == 8 || PX_T == 16
    if (ow0 + PX_T <= OW_) { /* one vector store (per-pixel stores are much slower) */
        Q_STORE_V(PX_T, NG_VCVT(int, PX_T, NG_VLOAD(PX_T, acc)), c, obase);
        return;
    }
#endif
#pragma unroll
    for (int p = 0; p < PX_T; p++)
        if (ow0 + p < OW_) Q_STORE_V(1, (int)acc[p], c, obase + p);
}
#undef DW_SPAN
#endif
