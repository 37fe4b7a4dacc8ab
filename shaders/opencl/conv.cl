/* 2-D convolution, NCHW. Shapes are arguments; tunables are macros.
 *   conv2d_direct:    a work-item computes OC_T output channels x PX_T
 *                     output pixels of one row, with weights re-laid out
 *                     as [group][oc block][c][kh][kw][OC_T] (zero padded).
 *   conv2d_depthwise: group == C == K; a work-item computes PX_T pixels
 *                     (or DW_VEC pixels as one vector, see below).
 *   im2col:           ungrouped convolutions as GEMM (conv_direct ALGO=1):
 *                     the patch matrix col[n][c*KH*KW + kh*KW + kw][oh*OW + ow]
 *                     for gemm.cl's gemm_tiled.
 * (1x1 stride-1 convolutions run as GEMM: gemm.cl.) */

#ifndef OC_T
#define OC_T 8 /* output channels per work-item (vector width: 1, 2, 4, 8, 16) */
#endif
#ifndef PX_T
#define PX_T 4 /* output pixels per work-item along the row */
#endif
#ifndef HAS_BIAS
#define HAS_BIAS 1
#endif

#if OC_T == 1
#define WTYPE float
#define WLOAD(i, p) NG_LD((p), (i))
#else
#define WTYPE NG_CAT(float, OC_T)
#define WLOAD(i, p) NG_LDV(OC_T, (i), (p))
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

#if defined(CV_K) && defined(ROW_VEC) && ROW_VEC > 1
/* CPUs (ROW_VEC > 1, geometry compiled in: CV_K square kernel, CV_S
 * stride, no dilation): a work-item computes one whole output row for OC_T
 * output channels, its interior pixels (all taps inside the input row) as
 * ROW_VEC-wide pixel vectors, one accumulator vector per channel, each
 * input vector loaded once for all OC_T channels (stride 2: even lanes of
 * two loads; the last vector shifted back to end at the interior's end);
 * the padding pixels one at a time. Every store is a channel's vector.
 * global: (1, OH, N * G * ceil(K/G / OC_T)). */
#define RVT NG_CAT(float, ROW_VEC)
__kernel void conv2d_direct(__constant int *geom, __global const NG_FLOAT *x, const int x_off,
                            __global const NG_FLOAT *w, __global const NG_FLOAT *bias,
                            const int bias_off, __global NG_FLOAT *y, const int y_off,
                            NG_EPI_PARAMS) {
    const int cg = C_ / G_, kg = K_ / G_;
    const int nkb = (kg + OC_T - 1) / OC_T;
    const int oh = get_global_id(1), z = get_global_id(2);
    const int kb = z % nkb, gi = (z / nkb) % G_, n = z / (nkb * G_);
    if (oh >= OH_) return;
    __global const NG_FLOAT *xg = x + x_off + ((n * C_) + gi * cg) * H_ * W_;
    __global const NG_FLOAT *wg = w + ((gi * nkb + kb) * cg) * CV_K * CV_K * OC_T;
    const int ih0 = oh * CV_S - PT_;
    ROW_INTERIOR(CV_K, CV_S, ROW_VEC);
    const int oplane = OH_ * OW_;
    const int nk = min(OC_T, kg - kb * OC_T); /* channels of this block */
    float b[OC_T];
#pragma unroll
    for (int j = 0; j < OC_T; j++)
#if HAS_BIAS
        b[j] = j < nk ? NG_LD(bias, bias_off + gi * kg + kb * OC_T + j) : 0.0f;
#else
        b[j] = 0.0f;
#endif
    for (int v = 0; v < nvec; v++) {
        const int o = min(il + v * ROW_VEC, ir - ROW_VEC);
        RVT acc[OC_T];
#pragma unroll
        for (int j = 0; j < OC_T; j++) acc[j] = (RVT)(b[j]);
        for (int ci = 0; ci < cg; ci++) {
            __global const NG_FLOAT *xc = xg + ci * H_ * W_;
            __global const NG_FLOAT *wc = wg + ci * CV_K * CV_K * OC_T;
            for (int kh = 0; kh < CV_K; kh++) {
                const int ih = ih0 + kh;
                if (ih < 0 || ih >= H_) continue;
                __global const NG_FLOAT *xr = xc + ih * W_ + o * CV_S - PL_;
#pragma unroll
                for (int kw = 0; kw < CV_K; kw++) {
                    const RVT xv = ROW_TAP(ROW_VEC, CV_S, xr + kw);
                    __global const NG_FLOAT *wt = wc + (kh * CV_K + kw) * OC_T;
#pragma unroll
                    for (int j = 0; j < OC_T; j++) acc[j] = NG_MAD(xv, (RVT)(NG_LD(wt, j)), acc[j]);
                }
            }
        }
#pragma unroll
        for (int j = 0; j < OC_T; j++)
            if (j < nk)
                ROW_STORE(ROW_VEC, acc[j], (n * K_ + gi * kg + kb * OC_T + j) * oplane + oh * OW_ + o);
    }
    /* Padding pixels, and short rows' interiors, one at a time. */
    for (int ow = 0; ow < OW_; ow++) {
        if (nvec && ow == il) ow = ir;
        if (ow >= OW_) break;
        const int iw0 = ow * CV_S - PL_;
        float acc[OC_T];
#pragma unroll
        for (int j = 0; j < OC_T; j++) acc[j] = b[j];
        for (int ci = 0; ci < cg; ci++) {
            __global const NG_FLOAT *xc = xg + ci * H_ * W_;
            __global const NG_FLOAT *wc = wg + ci * CV_K * CV_K * OC_T;
            for (int kh = 0; kh < CV_K; kh++) {
                const int ih = ih0 + kh;
                if (ih < 0 || ih >= H_) continue;
                for (int kw = 0; kw < CV_K; kw++) {
                    const int iw = iw0 + kw;
                    if (iw < 0 || iw >= W_) continue;
                    const float xv = NG_LD(xc, ih * W_ + iw);
#pragma unroll
                    for (int j = 0; j < OC_T; j++)
                        acc[j] = mad(xv, NG_LD(wc, (kh * CV_K + kw) * OC_T + j), acc[j]);
                }
            }
        }
#pragma unroll
        for (int j = 0; j < OC_T; j++) {
            const int oi = (n * K_ + gi * kg + kb * OC_T + j) * oplane + oh * OW_ + ow;
            if (j < nk) NG_ST(y, y_off + oi, NG_EPI_APPLY(acc[j], oi));
        }
    }
}
#undef RVT
#else
__kernel void conv2d_direct(__constant int *geom, __global const NG_FLOAT *x, const int x_off,
                            __global const NG_FLOAT *w, __global const NG_FLOAT *bias,
                            const int bias_off, __global NG_FLOAT *y, const int y_off,
                            NG_EPI_PARAMS) {
    const int cg = C_ / G_, kg = K_ / G_;
    const int nkb = (kg + OC_T - 1) / OC_T;
    const int ow0 = get_global_id(0) * PX_T, oh = get_global_id(1);
    const int z = get_global_id(2); /* (n, g, kb) */
    const int kb = z % nkb, gi = (z / nkb) % G_, n = z / (nkb * G_);
    if (ow0 >= OW_ || oh >= OH_) return;

    WTYPE acc[PX_T];
#pragma unroll
    for (int p = 0; p < PX_T; p++) acc[p] = (WTYPE)(0.0f);

    __global const NG_FLOAT *xg = x + x_off + ((n * C_) + gi * cg) * H_ * W_;
    __global const NG_FLOAT *wg = w + ((gi * nkb + kb) * cg) * KH_ * KW_ * OC_T;
    const int ih0 = oh * SH_ - PT_;
    const int iw0 = ow0 * SW_ - PL_;
    /* Row reads of this work-item stay inside the image: no column checks. */
    const int inside = iw0 >= 0 && iw0 + (PX_T - 1) * SW_ + (KW_ - 1) * DW_ < W_;
    for (int ci = 0; ci < cg; ci++) {
        __global const NG_FLOAT *xc = xg + ci * H_ * W_;
        __global const NG_FLOAT *wc = wg + ci * KH_ * KW_ * OC_T;
        for (int kh = 0; kh < KH_; kh++) {
            const int ih = ih0 + kh * DH_;
            if (ih < 0 || ih >= H_) continue;
            __global const NG_FLOAT *xr = xc + ih * W_;
            for (int kw = 0; kw < KW_; kw++) {
                const WTYPE wv = WLOAD(0, wc + (kh * KW_ + kw) * OC_T);
                const int iw = iw0 + kw * DW_;
                if (inside) {
#pragma unroll
                    for (int p = 0; p < PX_T; p++)
                        acc[p] = NG_MAD((WTYPE)(NG_LD(xr, iw + p * SW_)), wv, acc[p]);
                } else {
#pragma unroll
                    for (int p = 0; p < PX_T; p++) {
                        const int xi = iw + p * SW_;
                        const float xv = (xi >= 0 && xi < W_) ? NG_LD(xr, xi) : 0.0f;
                        acc[p] = NG_MAD((WTYPE)(xv), wv, acc[p]);
                    }
                }
            }
        }
    }

    /* Transpose the tile so each channel's PX_T pixels store as one run. */
    float t[PX_T][OC_T];
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
#if HAS_BIAS
        const float b = NG_LD(bias, bias_off + k);
#else
        const float b = 0.0f;
#endif
        const int obase = (n * K_ + k) * oplane + oh * OW_ + ow0;
        if (full) {
            float o[PX_T];
#pragma unroll
            for (int p = 0; p < PX_T; p++) o[p] = NG_EPI_APPLY(t[p][j] + b, obase + p);
#pragma unroll
            for (int p = 0; p < PX_T; p++) NG_ST(y, y_off + obase + p, o[p]);
        } else {
            for (int p = 0; p < PX_T; p++)
                if (ow0 + p < OW_) NG_ST(y, y_off + obase + p, NG_EPI_APPLY(t[p][j] + b, obase + p));
        }
    }
}

#endif /* ROW_VEC */

/* Depthwise geometry can be compiled in: DW_K (square kernel size) and
 * DW_S (stride, both axes; dilation 1). Then the taps unroll, and a
 * work-item reads its row segment once (unchecked inside the image) and
 * stores its PX_T pixels as one vector. */
#ifdef DW_K
#define DKH DW_K
#define DKW DW_K
#define DSH DW_S
#define DSW DW_S
#define DDH 1
#define DDW 1
#else
#define DKH KH_
#define DKW KW_
#define DSH SH_
#define DSW SW_
#define DDH DH_
#define DDW DW_
#endif

#if defined(DW_K) && defined(DW_ROWS) && DW_ROWS > 0
/* CPUs (DW_ROWS > 0): a work-item computes DW_ROWS whole output rows of one
 * channel. A row's interior pixels (every tap inside the input row) go as
 * DW_VEC-wide vectors loaded straight from global memory (stride 2: the
 * even lanes of two loads), the last vector shifted left to end at the
 * interior's end; the few edge pixels (padding) as scalars. Per-work-item
 * overhead dominates PoCL's depthwise kernels, so each does a lot of work;
 * the taps' weights are read once. global: (1, ceil(OH / DW_ROWS), N*C). */
#ifndef DW_VEC
#define DW_VEC 16
#endif
#ifndef DW_PAD
#define DW_PAD 0 /* 1: read a zero-padded private copy of the input window (the host
                    sets its size, DW_WROWS x DW_WCOLS; needs OW, W >= DW_VEC) */
#endif
#define DVT NG_CAT(float, DW_VEC)
__kernel void conv2d_depthwise(__constant int *geom, __global const NG_FLOAT *x, const int x_off,
                               __global const NG_FLOAT *w, __global const NG_FLOAT *bias,
                               const int bias_off, __global NG_FLOAT *y, const int y_off,
                               NG_EPI_PARAMS) {
    const int oh0 = get_global_id(1) * DW_ROWS, z = get_global_id(2), c = z % C_;
    if (oh0 >= OH_) return;
    __global const NG_FLOAT *xc = x + x_off + z * H_ * W_;
    float wk[DW_K * DW_K];
#pragma unroll
    for (int t = 0; t < DW_K * DW_K; t++) wk[t] = NG_LD(w, c * DW_K * DW_K + t);
#if HAS_BIAS
    const float b = NG_LD(bias, bias_off + c);
#else
    const float b = 0.0f;
#endif
#if DW_PAD
    /* The rows' input window, zero padded, in a private buffer: column j
     * holds input column j - PL; then every output vector reads the buffer
     * unchecked (the row's last vector shifted left to end at OW). */
    float win[DW_WROWS][DW_WCOLS];
    const int ih0 = oh0 * DW_S - PT_;
    const int wrows = (min(DW_ROWS, OH_ - oh0) - 1) * DW_S + DW_K; /* <= DW_WROWS */
    for (int r = 0; r < wrows; r++) {
        const int ih = ih0 + r;
        if (ih < 0 || ih >= H_) {
            for (int j = 0; j < DW_WCOLS; j++) win[r][j] = 0.0f;
            continue;
        }
        for (int j = 0; j < PL_; j++) win[r][j] = 0.0f;
        for (int j = PL_ + W_; j < DW_WCOLS; j++) win[r][j] = 0.0f;
        __global const NG_FLOAT *xr = xc + ih * W_;
        for (int j = 0; j < W_; j += DW_VEC) {
            const int o = min(j, W_ - DW_VEC);
            NG_CAT(vstore, DW_VEC)(NG_LDV(DW_VEC, 0, xr + o), 0, &win[r][PL_ + o]);
        }
    }
    for (int oh = oh0; oh < min(oh0 + DW_ROWS, OH_); oh++) {
        const int r0 = (oh - oh0) * DW_S, obase = z * OH_ * OW_ + oh * OW_;
        for (int ow = 0; ow < OW_; ow += DW_VEC) {
            const int o = min(ow, OW_ - DW_VEC);
            DVT acc = (DVT)(b);
#pragma unroll
            for (int kh = 0; kh < DW_K; kh++) {
                const float *wr = &win[r0 + kh][o * DW_S];
#pragma unroll
                for (int kw = 0; kw < DW_K; kw++) {
#if DW_S == 1
                    const DVT xv = NG_CAT(vload, DW_VEC)(0, wr + kw);
#else
                    const DVT xv = (DVT)(NG_CAT(vload, DW_VEC)(0, wr + kw).even,
                                         NG_CAT(vload, DW_VEC)(0, wr + kw + DW_VEC - 1).odd);
#endif
                    acc = NG_MAD(xv, (DVT)(wk[kh * DW_K + kw]), acc);
                }
            }
            ROW_STORE(DW_VEC, acc, obase + o);
        }
    }
#else
    ROW_INTERIOR(DW_K, DW_S, DW_VEC);
    for (int oh = oh0; oh < min(oh0 + DW_ROWS, OH_); oh++) {
        const int ih0 = oh * DW_S - PT_;
        const int obase = z * OH_ * OW_ + oh * OW_;
        for (int v = 0; v < nvec; v++) {
            const int o = min(il + v * DW_VEC, ir - DW_VEC);
            DVT acc = (DVT)(b);
#pragma unroll
            for (int kh = 0; kh < DW_K; kh++) {
                const int ih = ih0 + kh;
                if (ih < 0 || ih >= H_) continue;
                __global const NG_FLOAT *xr = xc + ih * W_ + o * DW_S - PL_;
#pragma unroll
                for (int kw = 0; kw < DW_K; kw++) {
                    const DVT xv = ROW_TAP(DW_VEC, DW_S, xr + kw);
                    acc = NG_MAD(xv, (DVT)(wk[kh * DW_K + kw]), acc);
                }
            }
            ROW_STORE(DW_VEC, acc, obase + o);
        }
        /* Edge pixels, and short rows' interiors, one at a time. */
        for (int ow = 0; ow < OW_; ow++) {
            if (nvec && ow == il) ow = ir;
            if (ow >= OW_) break;
            const int iw0 = ow * DW_S - PL_;
            float acc = b;
#pragma unroll
            for (int kh = 0; kh < DW_K; kh++) {
                const int ih = ih0 + kh;
                if (ih < 0 || ih >= H_) continue;
#pragma unroll
                for (int kw = 0; kw < DW_K; kw++) {
                    const int iw = iw0 + kw;
                    if (iw >= 0 && iw < W_) acc = mad(NG_LD(xc, ih * W_ + iw), wk[kh * DW_K + kw], acc);
                }
            }
            NG_ST(y, y_off + obase + ow, NG_EPI_APPLY(acc, obase + ow));
        }
    }
#endif /* DW_PAD */
}
#elif defined(DW_K) && defined(DW_VEC) && DW_VEC > 1
/* DW_VEC (4, 8, 16) pixels of a row per work-item as one vector, each tap
 * loaded straight from global memory when the segment is inside the image
 * (stride 2: two vectors, even lanes); a private copy only at the edges.
 * The row's last vector is shifted left to end at OW (when OW >= DW_VEC):
 * it recomputes pixels of its neighbour and stores the same values.
 * Faster on PoCL for stride 2 and for short rows only (cl_conv.c picks). */
#define DVT NG_CAT(float, DW_VEC)
#define DVLOAD(i, p) NG_CAT(vload, DW_VEC)((i), (p)) /* private arrays */
#define DVLOADG(i, p) NG_LDV(DW_VEC, (i), (p))      /* global x */
#define DSPAN ((DW_VEC - 1) * DW_S + DW_K)
__kernel void conv2d_depthwise(__constant int *geom, __global const NG_FLOAT *x, const int x_off,
                               __global const NG_FLOAT *w, __global const NG_FLOAT *bias,
                               const int bias_off, __global NG_FLOAT *y, const int y_off,
                               NG_EPI_PARAMS) {
    int ow0 = get_global_id(0) * DW_VEC;
    const int oh = get_global_id(1), z = get_global_id(2), c = z % C_;
    if (ow0 >= OW_ || oh >= OH_) return;
    if (OW_ >= DW_VEC && ow0 + DW_VEC > OW_) ow0 = OW_ - DW_VEC;
    __global const NG_FLOAT *xc = x + x_off + z * H_ * W_;
    __global const NG_FLOAT *wc = w + c * DW_K * DW_K;
    const int ih0 = oh * DW_S - PT_, iw0 = ow0 * DW_S - PL_;
    const int inside = iw0 >= 0 && iw0 + DSPAN + DW_S <= W_;
    DVT acc = (DVT)(0.0f);
#pragma unroll
    for (int kh = 0; kh < DW_K; kh++) {
        const int ih = ih0 + kh;
        if (ih < 0 || ih >= H_) continue;
        __global const NG_FLOAT *xr = xc + ih * W_ + iw0;
        if (inside) {
#pragma unroll
            for (int kw = 0; kw < DW_K; kw++) {
#if DW_S == 1
                const DVT xv = DVLOADG(0, xr + kw);
#else
                const DVT lo = DVLOADG(0, xr + kw), hi = DVLOADG(0, xr + kw + DW_VEC);
                const DVT xv = (DVT)(lo.even, hi.even);
#endif
                acc = NG_MAD(xv, (DVT)(NG_LD(wc, kh * DW_K + kw)), acc);
            }
        } else {
            float seg[DSPAN];
#pragma unroll
            for (int e = 0; e < DSPAN; e++)
                seg[e] = (iw0 + e >= 0 && iw0 + e < W_) ? NG_LD(xr, e) : 0.0f;
#pragma unroll
            for (int kw = 0; kw < DW_K; kw++) {
                float t[DW_VEC];
#pragma unroll
                for (int p = 0; p < DW_VEC; p++) t[p] = seg[p * DW_S + kw];
                acc = NG_MAD(DVLOAD(0, t), (DVT)(NG_LD(wc, kh * DW_K + kw)), acc);
            }
        }
    }
#if HAS_BIAS
    acc += NG_LD(bias, bias_off + c);
#endif
    const int obase = z * OH_ * OW_ + oh * OW_ + ow0;
#ifdef EPI_VEC_OK
    if (ow0 + DW_VEC <= OW_) { /* a whole vector: the epilogue on it as one */
        NG_STV(DW_VEC, NG_EPI_APPLY(acc, obase), 0, y + y_off + obase);
        return;
    }
#endif
    float o[DW_VEC];
    NG_CAT(vstore, DW_VEC)(acc, 0, o);
#pragma unroll
    for (int p = 0; p < DW_VEC; p++) o[p] = NG_EPI_APPLY(o[p], obase + p);
    if (ow0 + DW_VEC <= OW_) {
        NG_STV(DW_VEC, DVLOAD(0, o), 0, y + y_off + obase);
    } else {
        for (int p = 0; p < DW_VEC; p++)
            if (ow0 + p < OW_) NG_ST(y, y_off + obase + p, o[p]);
    }
}
#undef DSPAN
#else
__kernel void conv2d_depthwise(__constant int *geom, __global const NG_FLOAT *x, const int x_off,
                               __global const NG_FLOAT *w, __global const NG_FLOAT *bias,
                               const int bias_off, __global NG_FLOAT *y, const int y_off,
                               NG_EPI_PARAMS) {
    const int ow0 = get_global_id(0) * PX_T, oh = get_global_id(1);
    const int z = get_global_id(2); /* (n, c) */
    const int c = z % C_;
    if (ow0 >= OW_ || oh >= OH_) return;
    float acc[PX_T];
#pragma unroll
    for (int p = 0; p < PX_T; p++) acc[p] = 0.0f;
    __global const NG_FLOAT *xc = x + x_off + z * H_ * W_;
    __global const NG_FLOAT *wc = w + c * DKH * DKW;
    const int ih0 = oh * DSH - PT_, iw0 = ow0 * DSW - PL_;
#ifdef DW_K
    /* The row segment a work-item reads: SPAN inputs from iw0, copied
     * unchecked when inside the image. Scalar code on purpose: PoCL
     * vectorizes it across the work-items of a group (explicit vectors
     * here measured 2x slower). */
#define SPAN ((PX_T - 1) * DW_S + DW_K)
    const int inside = iw0 >= 0 && iw0 + SPAN <= W_;
#pragma unroll
    for (int kh = 0; kh < DW_K; kh++) {
        const int ih = ih0 + kh;
        if (ih < 0 || ih >= H_) continue;
        __global const NG_FLOAT *xr = xc + ih * W_ + iw0;
        float seg[SPAN];
        if (inside) {
#pragma unroll
            for (int e = 0; e < SPAN; e++) seg[e] = NG_LD(xr, e);
        } else {
#pragma unroll
            for (int e = 0; e < SPAN; e++)
                seg[e] = (iw0 + e >= 0 && iw0 + e < W_) ? NG_LD(xr, e) : 0.0f;
        }
#pragma unroll
        for (int kw = 0; kw < DW_K; kw++) {
            const float wv = NG_LD(wc, kh * DW_K + kw);
#pragma unroll
            for (int p = 0; p < PX_T; p++) acc[p] = mad(seg[p * DW_S + kw], wv, acc[p]);
        }
    }
#undef SPAN
#else
    for (int kh = 0; kh < DKH; kh++) {
        const int ih = ih0 + kh * DDH;
        if (ih < 0 || ih >= H_) continue;
        __global const NG_FLOAT *xr = xc + ih * W_;
        for (int kw = 0; kw < DKW; kw++) {
            const float wv = NG_LD(wc, kh * DKW + kw);
            const int iw = iw0 + kw * DDW;
#pragma unroll
            for (int p = 0; p < PX_T; p++) {
                const int xi = iw + p * DSW;
                acc[p] = mad((xi >= 0 && xi < W_) ? NG_LD(xr, xi) : 0.0f, wv, acc[p]);
            }
        }
    }
#endif
#if HAS_BIAS
    const float b = NG_LD(bias, bias_off + c);
#else
    const float b = 0.0f;
#endif
    const int obase = z * OH_ * OW_ + oh * OW_ + ow0;
    if (ow0 + PX_T <= OW_) { /* whole segment: straight-line, one vector store */
#pragma unroll
        for (int p = 0; p < PX_T; p++) acc[p] = NG_EPI_APPLY(acc[p] + b, obase + p);
#pragma unroll
        for (int p = 0; p < PX_T; p++) NG_ST(y, y_off + obase + p, acc[p]);
    } else {
        for (int p = 0; p < PX_T; p++)
            if (ow0 + p < OW_) NG_ST(y, y_off + obase + p, NG_EPI_APPLY(acc[p] + b, obase + p));
    }
}
#endif /* DW_VEC */

/* One work-item per (row of col, output row oh): OW patch values, zero
 * outside the image. global: (OH, N*C*KH*KW). */
__kernel void im2col(__constant int *geom, __global const NG_FLOAT *x, const int x_off,
                     __global NG_FLOAT *col) {
    const int oh = get_global_id(0), z = get_global_id(1);
    const int taps = KH_ * KW_, r = z % (C_ * taps), n = z / (C_ * taps);
    const int ci = r / taps, kh = (r % taps) / KW_, kw = r % KW_;
    const int ih = oh * SH_ - PT_ + kh * DH_, iw0 = kw * DW_ - PL_;
    __global NG_FLOAT *out = col + (z * OH_ + oh) * OW_;
    if (ih < 0 || ih >= H_) {
        for (int ow = 0; ow < OW_; ow++) NG_ST(out, ow, 0.0f);
        return;
    }
    __global const NG_FLOAT *xr = x + x_off + ((n * C_ + ci) * H_ + ih) * W_;
    for (int ow = 0; ow < OW_; ow++) {
        const int iw = iw0 + ow * SW_;
        NG_ST(out, ow, (iw >= 0 && iw < W_) ? NG_LD(xr, iw) : 0.0f);
    }
}
