/* Quantized matrix products, register-tiled: a work-item computes TM rows x
 * TN = VEC * NV columns of one batch's C, streaming A and B from global
 * memory (the CPU layout of gemm.cl's USE_LOCAL=0 path).
 *   qgemm:   QLinearMatMul, MatMulInteger (src/runtime/lower_quant.h):
 *            acc = sum (a - x_zp) * (b - w_zp[n]) in int32, then NG_Q_OUT
 *            (epilogue.cl). XT, WT: char/uchar; YT: the output type.
 *   gemm_qw: MatMulQuantW: float A times weights dequantized in the kernel,
 *            w = (q - zp) * scale per group of BLOCK rows; q unsigned BITS
 *            (4 or 8) as re-laid out by cl_qgemm.c: rows of NP (N padded to
 *            TN) columns; 4-bit rows hold VEC-column segments in VEC/2 bytes,
 *            byte j = column j (low nibble) and j + VEC/2 (high nibble). */

#ifndef TM
#define TM 4 /* rows of C per work-item */
#endif
#ifndef VEC
#define VEC 8 /* vector width along N */
#endif
#ifndef NV
#define NV 1 /* vectors along N per work-item */
#endif
#define TN (VEC * NV)

#define NG_CAT_(a, b) a##b
#define NG_CAT(a, b) NG_CAT_(a, b)
#if VEC == 1
#define IVT int
#define FVT float
#define VLOADV(i, p) ((p)[(i)])
#define TO_INTV(v) ((int)(v))
#define STOREV(v, p) ((p)[0] = (v))
#else
#define IVT NG_CAT(int, VEC)
#define FVT NG_CAT(float, VEC)
#define VLOADV(i, p) NG_CAT(vload, VEC)((i), (p))
#define TO_INTV(v) NG_CAT(convert_int, VEC)(v)
#define STOREV(v, p) NG_CAT(vstore, VEC)((v), 0, (p))
#endif

#ifdef Q_OUT
#ifndef XT
#define XT char
#endif
#ifndef WT
#define WT char
#endif
#ifndef YT
#define YT char
#endif

__kernel void qgemm(const int M, const int N, const int K, __global const XT *a, const int a_off,
                    const int a_bstride, const int x_zp, __global const WT *b, const int b_off,
                    const int b_bstride, __global const int *w_zp, __global const float *mult,
                    __global const int *bias, const float y_scale, const int y_zp,
                    __global YT *y, const int y_off, NG_EPI_PARAMS) {
    const int rn0 = get_global_id(0) * TN, rm0 = get_global_id(1) * TM, bi = get_global_id(2);
    if (rn0 >= N || rm0 >= M) return;
    __global const XT *ap = a + a_off + bi * a_bstride;
    __global const WT *bp = b + b_off + bi * b_bstride;
    /* Rows and columns past the edge are clamped (read, never stored). */
    int arow[TM];
#pragma unroll
    for (int r = 0; r < TM; r++) arow[r] = min(rm0 + r, M - 1) * K;
    IVT acc[TM][NV], wz[NV];
#pragma unroll
    for (int r = 0; r < TM; r++)
#pragma unroll
        for (int v = 0; v < NV; v++) acc[r][v] = (IVT)(0);
    if (rn0 + TN <= N) {
#pragma unroll
        for (int v = 0; v < NV; v++) wz[v] = VLOADV(0, w_zp + rn0 + v * VEC);
        for (int k = 0; k < K; k++) {
            IVT bv[NV];
#pragma unroll
            for (int v = 0; v < NV; v++) bv[v] = TO_INTV(VLOADV(0, bp + k * N + rn0 + v * VEC)) - wz[v];
#pragma unroll
            for (int r = 0; r < TM; r++) {
                const int av = (int)ap[arow[r] + k] - x_zp;
#pragma unroll
                for (int v = 0; v < NV; v++) acc[r][v] += (IVT)(av) * bv[v];
            }
        }
    } else {
        int col[TN];
#pragma unroll
        for (int j = 0; j < TN; j++) col[j] = min(rn0 + j, N - 1);
#pragma unroll
        for (int v = 0; v < NV; v++) {
            int t[VEC];
#pragma unroll
            for (int j = 0; j < VEC; j++) t[j] = w_zp[col[v * VEC + j]];
            wz[v] = VLOADV(0, t);
        }
        for (int k = 0; k < K; k++) {
            IVT bv[NV];
#pragma unroll
            for (int v = 0; v < NV; v++) {
                int t[VEC];
#pragma unroll
                for (int j = 0; j < VEC; j++) t[j] = (int)bp[k * N + col[v * VEC + j]];
                bv[v] = VLOADV(0, t) - wz[v];
            }
#pragma unroll
            for (int r = 0; r < TM; r++) {
                const int av = (int)ap[arow[r] + k] - x_zp;
#pragma unroll
                for (int v = 0; v < NV; v++) acc[r][v] += (IVT)(av) * bv[v];
            }
        }
    }
    const int cbase = bi * M * N;
#pragma unroll
    for (int r = 0; r < TM; r++) {
        const int gm = rm0 + r;
        if (gm >= M) break;
#pragma unroll
        for (int v = 0; v < NV; v++) {
            int t[VEC];
            STOREV(acc[r][v], t);
            const int c0 = rn0 + v * VEC, i0 = cbase + gm * N + c0;
            if (c0 + VEC <= N) {
                YT o[VEC];
#pragma unroll
                for (int j = 0; j < VEC; j++) o[j] = NG_Q_OUT(t[j], c0 + j, i0 + j);
#pragma unroll
                for (int j = 0; j < VEC; j++) y[y_off + i0 + j] = o[j];
            } else {
                for (int j = 0; j < VEC && c0 + j < N; j++)
                    y[y_off + i0 + j] = NG_Q_OUT(t[j], c0 + j, i0 + j);
            }
        }
    }
}
#endif /* Q_OUT */

#ifdef BITS
#ifndef BLOCK
#define BLOCK 0 /* rows per scale group; 0: run time (block argument) */
#endif
#if BITS == 4
#define HVT NG_CAT(uchar, HVEC) /* HVEC = VEC / 2 */
#define QLOAD(row, c) /* VEC weights of row from column c (a segment start) */      \
    NG_CAT(convert_float, VEC)((NG_CAT(uchar, VEC))(                                \
        NG_CAT(vload, HVEC)(0, (row) + (c) / 2) & (HVT)(15),                        \
        NG_CAT(vload, HVEC)(0, (row) + (c) / 2) >> (HVT)(4)))
#define ROW_BYTES (NP / 2)
#else
#define QLOAD(row, c) NG_CAT(convert_float, VEC)(VLOADV(0, (row) + (c)))
#define ROW_BYTES NP
#endif

__kernel void gemm_qw(const int M, const int N, const int K, const int NP, const int block,
                      __global const float *x, const int x_off, __global const uchar *w,
                      __global const float *scale, __global const float *zp,
                      __global float *y, const int y_off, NG_EPI_PARAMS) {
    const int rn0 = get_global_id(0) * TN, rm0 = get_global_id(1) * TM, bi = get_global_id(2);
    if (rn0 >= N || rm0 >= M) return;
    __global const float *xp = x + x_off + bi * M * K;
    int arow[TM];
#pragma unroll
    for (int r = 0; r < TM; r++) arow[r] = min(rm0 + r, M - 1) * K;
    FVT acc[TM][NV];
#pragma unroll
    for (int r = 0; r < TM; r++)
#pragma unroll
        for (int v = 0; v < NV; v++) acc[r][v] = (FVT)(0.0f);
#if BLOCK
    const int bk = BLOCK;
#else
    const int bk = block;
#endif
    for (int k0 = 0, gi = 0; k0 < K; k0 += bk, gi++) {
        FVT sc[NV], z[NV];
#pragma unroll
        for (int v = 0; v < NV; v++) {
            sc[v] = VLOADV(0, scale + gi * NP + rn0 + v * VEC);
            z[v] = VLOADV(0, zp + gi * NP + rn0 + v * VEC);
        }
        const int k1 = min(k0 + bk, K);
        for (int k = k0; k < k1; k++) {
            __global const uchar *row = w + k * ROW_BYTES;
            FVT bv[NV];
#pragma unroll
            for (int v = 0; v < NV; v++) bv[v] = (QLOAD(row, rn0 + v * VEC) - z[v]) * sc[v];
#pragma unroll
            for (int r = 0; r < TM; r++) {
                const float av = xp[arow[r] + k];
#pragma unroll
                for (int v = 0; v < NV; v++) acc[r][v] = NG_MAD((FVT)(av), bv[v], acc[r][v]);
            }
        }
    }
    const int cbase = bi * M * N;
#pragma unroll
    for (int r = 0; r < TM; r++) {
        const int gm = rm0 + r;
        if (gm >= M) break;
#pragma unroll
        for (int v = 0; v < NV; v++) {
            float t[VEC];
            STOREV(acc[r][v], t);
            const int c0 = rn0 + v * VEC, i0 = cbase + gm * N + c0;
            if (c0 + VEC <= N) {
#pragma unroll
                for (int j = 0; j < VEC; j++) t[j] = NG_EPI_APPLY(t[j], i0 + j);
                STOREV(VLOADV(0, t), y + y_off + i0);
            } else {
                for (int j = 0; j < VEC && c0 + j < N; j++)
                    y[y_off + i0 + j] = NG_EPI_APPLY(t[j], i0 + j);
            }
        }
    }
}
#endif /* BITS */
