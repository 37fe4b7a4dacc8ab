/* Tiled GEMM, batched:
 *   Y[b] (M x N) = epilogue(alpha * op(A)[b] x op(B)[b] + beta * C)
 * A and B are read through element strides (so transposes and 1x1
 * convolutions need no copies); per-batch element offsets come from the
 * a_boff / b_boff tables (MatMul broadcasting). A work-group of
 * WG_M x WG_N invocations computes a (WG_M*TM) x (WG_N*TN) tile of Y.
 * Two variants, chosen by the SHARED constant:
 *  SHARED=1 (GPUs): TK-deep slices of A and B staged in shared memory; each
 *    invocation owns TM x TN outputs strided by the work-group size.
 *  SHARED=0 (CPUs, lavapipe): no shared memory or barriers; each invocation
 *    owns a TM x TN block of neighbouring outputs in registers and reads
 *    A and B straight from memory, as vec4 where VEC allows (lavapipe runs
 *    every buffer access lane by lane, so fewer, wider loads per FMA win).
 * CONV=1 (SHARED=0 only): implicit-GEMM convolution, NCHW, one group:
 *    A = weights (M = out channels, K = C*KH*KW), B[k][n] = the input pixel
 *    tap k of output pixel n (N = OH*OW) reads, im2col indices computed
 *    here (no im2col buffer); kernel shape, stride and dilation are
 *    constants, the input size and padding push constants (see ROWS).
 * Products are summed in NG_REAL (storage.glsl: with NG_F16_MATH half partial
 * sums of 4 k, or one kernel row for CONV, added into float accumulators);
 * alpha, beta * C and the conversion for the epilogue are float. */
#version 450
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "epilogue_ops.h"

layout(constant_id = 0) const int WG_M = 8;  /* invocations along M */
layout(constant_id = 1) const int WG_N = 8;  /* invocations along N */
layout(constant_id = 2) const int TM = 4;    /* outputs per invocation along M */
layout(constant_id = 3) const int TN = 4;    /* outputs per invocation along N */
layout(constant_id = 4) const int TK = 16;   /* K slice staged in shared memory */
layout(constant_id = 5) const int HAS_C = 0; /* 1: add beta * C */
layout(constant_id = 6) const int SHARED = 1; /* 1: shared-memory tiles; 0: register tiles */
/* SHARED=0 only, bit flags: 1: B rows read as vec4 (sbn = 1; b_off, sbk,
 * b_boff and N multiples of 4; TN a multiple of 4); 2: A prepacked by the
 * host as [ceil(M/TM)][K][TM] per batch (TM, a_off and a_boff multiples of 4);
 * 4: Y rows written as vec4 (y_off and N multiples of 4, TN a multiple of 4,
 * not ROWS). */
layout(constant_id = 7) const int VEC = 0;
layout(constant_id = 8) const int CONV = 0;
layout(constant_id = 9) const int CKH = 1;
layout(constant_id = 10) const int CKW = 1;
layout(constant_id = 11) const int CSH = 1;
layout(constant_id = 12) const int CSW = 1;
layout(constant_id = 13) const int CDH = 1;
layout(constant_id = 14) const int CDW = 1;
/* CONV: 1: an invocation's TN columns are neighbouring pixels of one output
 * row (columns numbered by row segments of TN, ceil(OW/TN) per row), so
 * each kernel row's input span is read once and reused across taps. */
layout(constant_id = 15) const int ROWS = 0;
const int SPAN = ROWS != 0 ? (TN - 1) * CSW + (CKW - 1) * CDW + 1 : 1;
layout(local_size_x_id = 1, local_size_y_id = 0, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer A_ { NG_FLOAT a[]; };
layout(std430, binding = 1) readonly buffer B_ { NG_FLOAT b[]; };
layout(std430, binding = 2) writeonly buffer Y_ { NG_FLOAT y[]; };
layout(std430, binding = 3) readonly buffer C_ { NG_FLOAT c[]; };
layout(std430, binding = 4) readonly buffer AB_ { int a_boff[]; };
layout(std430, binding = 5) readonly buffer BB_ { int b_boff[]; };
layout(std430, binding = 6) readonly buffer A4_ { NG_FLOAT4 a4[]; }; /* A's buffer again */
layout(std430, binding = 7) readonly buffer B4_ { NG_FLOAT4 b4[]; }; /* B's buffer again */
layout(std430, binding = 2) writeonly buffer Y4_ { NG_FLOAT4 y4[]; }; /* Y's, as vec4 */

layout(push_constant) uniform Push {
    int M, N, K;
    int a_off, sam, sak;
    int b_off, sbk, sbn;
    int y_off;
    int c_off, scm, scn;
    float alpha, beta;
    int H, W, OW, PT, PL; /* CONV: input size, output width, padding */
    NG_EPI_PUSH_FIELDS
} p;

#include "grid.glsl"
#define EPI_SPEC_BASE 16
#define EPI_BINDING_BASE 8
#include "epilogue.glsl"

const int BM = WG_M * TM;
const int BN = WG_N * TN;
shared NG_REAL As[SHARED != 0 ? TK * BM : 1];
shared NG_REAL Bs[SHARED != 0 ? TK * BN : 1];

/* The accumulators of an invocation's TM x TN outputs (every variant). */
float acc[TM * TN];

/* The one store of every variant, so the epilogue is inlined once: outputs
 * (mstart + i * mstep, nstart + j * nstep) for i < TM with rows below M and
 * j < jcount, as alpha * acc + beta * C through the epilogue; with VEC & 4
 * (nstep 1; nstart, N and so jcount multiples of 4) a row's as vec4 stores. */
void store_block(int mstart, int mstep, int nstart, int nstep, int jcount, int batch) {
    for (int i = 0; i < TM; i++) {
        const int m = mstart + i * mstep;
        if (m >= p.M) break;
        const int row = batch * p.M * p.N + m * p.N + nstart;
        NG_REAL r[TN];
        for (int j = 0; j < TN; j++) {
            if (j >= jcount) break;
            const int n = nstart + j * nstep;
            float v = p.alpha * acc[i * TN + j];
            if (HAS_C != 0) v += p.beta * c[p.c_off + m * p.scm + n * p.scn];
            r[j] = ng_epilogue(NG_REAL(v), uint(row + j * nstep));
        }
        if ((VEC & 4) != 0) {
            for (int q = 0; q < TN / 4; q++)
                if (4 * q < jcount)
                    y4[((p.y_off + row) >> 2) + q] =
                        NG_ST4(NG_REAL4(r[4 * q], r[4 * q + 1], r[4 * q + 2], r[4 * q + 3]));
        } else {
            for (int j = 0; j < TN; j++) {
                if (j >= jcount) break;
                y[p.y_off + row + j * nstep] = NG_ST(r[j]);
            }
        }
    }
}

/* SHARED=0: A's row values av[0..TM) at k: packed vec4 reads (VEC & 2,
 * advancing a4i) or strided scalar ones. */
#define NG_LOAD_A(k)                                                                  \
    if ((VEC & 2) != 0) {                                                             \
        for (int q = 0; q < TM / 4; q++) {                                            \
            const NG_REAL4 v = NG_LD4(a4[a4i + q]);                                           \
            av[4 * q] = v.x; av[4 * q + 1] = v.y; av[4 * q + 2] = v.z; av[4 * q + 3] = v.w; \
        }                                                                             \
        a4i += TM / 4;                                                                \
    } else {                                                                          \
        for (int i = 0; i < TM; i++) av[i] = a[aidx[i] + (k) * p.sak];                \
    }

/* SHARED=0: a TM x TN block per invocation, invocations along N first.
 * Out-of-range rows and columns are read clamped (no divergent branches in
 * the K loop) and not stored. */
void main_registers(out int mstart, out int nstart, out int jcount, out int batch) {
    const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    const int n0 = (int(gl_WorkGroupID.x) * WG_N + tx) * TN;
    const int mb = int(gl_WorkGroupID.y) * WG_M + ty, m0 = mb * TM;
    batch = int(gl_WorkGroupID.z);
    const int abase = p.a_off + a_boff[batch], bbase = p.b_off + b_boff[batch];
    mstart = m0;
    nstart = n0;
    jcount = clamp(p.N - n0, 0, TN);

    for (int i = 0; i < TM * TN; i++) acc[i] = 0.0;
    NG_DOT_PARTS(TM * TN);
    int aidx[TM], bidx[TN];
    for (int i = 0; i < TM; i++) aidx[i] = abase + min(m0 + i, p.M - 1) * p.sam;
    for (int j = 0; j < TN; j++) bidx[j] = bbase + min(n0 + j, p.N - 1) * p.sbn;
    /* vec4 reads: A's block row clamped to the packed rows, B's vec4 index
     * clamped per vec4 to the last one in range. */
    int a4i = (abase >> 2) + min(mb, (p.M - 1) / TM) * p.K * (TM / 4);
    int b4i[TN / 4 > 0 ? TN / 4 : 1];
    for (int q = 0; q < TN / 4; q++) b4i[q] = (bbase >> 2) + min((n0 >> 2) + q, (p.N >> 2) - 1);
    const int sbk4 = p.sbk >> 2;

    if (CONV != 0 && ROWS != 0) { /* implicit GEMM over row segments */
        const int segs = (p.OW + TN - 1) / TN, OH = p.N / p.OW, col = n0 / TN;
        const int oh = min(col / segs, OH - 1), iw0 = (col - (col / segs) * segs) * TN * CSW - p.PL;
        const int C = p.K / (CKH * CKW), plane = p.H * p.W;
        int xc = bbase, k = 0;
        for (int ci = 0; ci < C; ci++, xc += plane) {
            for (int kh = 0; kh < CKH; kh++) {
                const int ih = oh * CSH - p.PT + kh * CDH;
                const bool rowok = ih >= 0 && ih < p.H;
                const int xrow = xc + clamp(ih, 0, p.H - 1) * p.W;
                NG_REAL xr[SPAN];
                for (int t = 0; t < SPAN; t++) { /* clamped reads, zero outside */
                    const int iw = iw0 + t;
                    const NG_REAL v = b[xrow + clamp(iw, 0, p.W - 1)];
                    xr[t] = (rowok && iw >= 0 && iw < p.W) ? v : NG_REAL(0.0);
                }
                for (int kw = 0; kw < CKW; kw++, k++) {
                    NG_REAL av[TM];
                    NG_LOAD_A(k);
                    for (int i = 0; i < TM; i++)
                        for (int j = 0; j < TN; j++)
                            NG_DOT_ADD(i * TN + j, av[i], xr[j * CSW + kw * CDW]);
                }
                NG_DOT_FLUSH(TM * TN);
            }
        }
        const int ohs = col / segs, ow0 = (col - ohs * segs) * TN;
        nstart = ohs * p.OW + ow0; /* the segment's pixels */
        jcount = ohs < OH ? clamp(p.OW - ow0, 0, TN) : 0;
    } else if (CONV != 0) { /* implicit GEMM: k = (c, kh, kw), n = (oh, ow) */
        int ih0[TN], iw0[TN];
        for (int j = 0; j < TN; j++) {
            const int n = min(n0 + j, p.N - 1), oh = n / p.OW;
            ih0[j] = oh * CSH - p.PT;
            iw0[j] = (n - oh * p.OW) * CSW - p.PL;
        }
        const int C = p.K / (CKH * CKW), plane = p.H * p.W;
        int xc = bbase, k = 0;
        for (int ci = 0; ci < C; ci++, xc += plane) {
            for (int kh = 0; kh < CKH; kh++) {
                int xrow[TN];
                bool rowok[TN];
                for (int j = 0; j < TN; j++) {
                    const int ih = ih0[j] + kh * CDH;
                    rowok[j] = ih >= 0 && ih < p.H;
                    xrow[j] = xc + clamp(ih, 0, p.H - 1) * p.W;
                }
                for (int kw = 0; kw < CKW; kw++, k++) {
                    NG_REAL av[TM], bv[TN];
                    NG_LOAD_A(k);
                    for (int j = 0; j < TN; j++) { /* clamped read, zero outside */
                        const int iw = iw0[j] + kw * CDW;
                        const NG_REAL v = b[xrow[j] + clamp(iw, 0, p.W - 1)];
                        bv[j] = (rowok[j] && iw >= 0 && iw < p.W) ? v : NG_REAL(0.0);
                    }
                    for (int i = 0; i < TM; i++)
                        for (int j = 0; j < TN; j++) NG_DOT_ADD(i * TN + j, av[i], bv[j]);
                }
                NG_DOT_FLUSH(TM * TN);
            }
        }
    } else {
      for (int k = 0; k < p.K; k++) {
        NG_REAL av[TM], bv[TN];
        NG_LOAD_A(k);
        if ((VEC & 1) != 0) {
            for (int q = 0; q < TN / 4; q++) {
                const NG_REAL4 v = NG_LD4(b4[b4i[q] + k * sbk4]);
                bv[4 * q] = v.x; bv[4 * q + 1] = v.y; bv[4 * q + 2] = v.z; bv[4 * q + 3] = v.w;
            }
        } else {
            for (int j = 0; j < TN; j++) bv[j] = b[bidx[j] + k * p.sbk];
        }
        for (int i = 0; i < TM; i++)
            for (int j = 0; j < TN; j++) NG_DOT_ADD(i * TN + j, av[i], bv[j]);
        if ((k & 3) == 3) { NG_DOT_FLUSH(TM * TN); }
      }
      NG_DOT_FLUSH(TM * TN);
    }
}

/* SHARED=1: invocation (ty, tx) owns rows m0 + ty + i * WG_M and columns
 * n0 + tx + j * WG_N of the work-group's tile. */
void main_shared(out int mstart, out int nstart, out int jcount, out int batch) {
    const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    const int lid = ty * WG_N + tx, nthreads = WG_M * WG_N;
    const int m0 = int(gl_WorkGroupID.y) * BM, n0 = int(gl_WorkGroupID.x) * BN;
    batch = int(gl_WorkGroupID.z);
    const int abase = p.a_off + a_boff[batch], bbase = p.b_off + b_boff[batch];
    mstart = m0 + ty;
    nstart = n0 + tx;
    jcount = clamp((p.N - nstart + WG_N - 1) / WG_N, 0, TN);

    for (int i = 0; i < TM * TN; i++) acc[i] = 0.0;
    NG_DOT_PARTS(TM * TN);

    for (int k0 = 0; k0 < p.K; k0 += TK) {
        for (int e = lid; e < TK * BM; e += nthreads) {
            const int r = e / TK, kk = e - r * TK;
            const int gm = m0 + r, gk = k0 + kk;
            As[kk * BM + r] = (gm < p.M && gk < p.K) ? a[abase + gm * p.sam + gk * p.sak] : NG_REAL(0.0);
        }
        for (int e = lid; e < TK * BN; e += nthreads) {
            const int kk = e / BN, cc = e - kk * BN;
            const int gn = n0 + cc, gk = k0 + kk;
            Bs[kk * BN + cc] = (gn < p.N && gk < p.K) ? b[bbase + gk * p.sbk + gn * p.sbn] : NG_REAL(0.0);
        }
        barrier();
        for (int kk = 0; kk < TK; kk++) {
            NG_REAL av[TM], bv[TN];
            for (int i = 0; i < TM; i++) av[i] = As[kk * BM + ty + i * WG_M];
            for (int j = 0; j < TN; j++) bv[j] = Bs[kk * BN + tx + j * WG_N];
            for (int i = 0; i < TM; i++)
                for (int j = 0; j < TN; j++) NG_DOT_ADD(i * TN + j, av[i], bv[j]);
            if ((kk & 3) == 3) { NG_DOT_FLUSH(TM * TN); }
        }
        NG_DOT_FLUSH(TM * TN);
        barrier();
    }
}

void main() {
    int mstart, nstart, jcount, batch;
    if (SHARED == 0) main_registers(mstart, nstart, jcount, batch);
    else main_shared(mstart, nstart, jcount, batch);
    store_block(mstart, SHARED == 0 ? 1 : WG_M, nstart, SHARED == 0 ? 1 : WG_N, jcount, batch);
}
