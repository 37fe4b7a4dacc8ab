/* Quantized GEMM, register-tiled, batched (src/runtime/lower_quant.h):
 *   acc[b](m, n) = sum_k (A(m, k) - a_zp) * (B(k, n) - b_zp)     (int32)
 *   Y = the output stage of qcommon.glsl on acc, per output channel
 * QLinearMatMul and MatMulInteger (A = x, B = w: channel n) and ungrouped
 * QLinearConv / ConvInteger as implicit GEMM (CONV=1: A = w, M = output
 * channels, K = C*KH*KW; B(k, n) = input tap k of output pixel n, im2col
 * indices computed here, padding reads the zero point: channel m).
 * QW=1 is MatMulQuantW: float A, B 4- or 8-bit, dequantized per element as
 * (q - zp[g][n]) * scale[g][n] for row group g = k / block, float
 * accumulation, float output.
 * Each invocation owns a TM x TN block of outputs in registers and reads A
 * and B straight from memory (the CPU-device shape of gemm.comp SHARED=0):
 * 8-bit values come as 32-bit words; constant operands are prepacked by the
 * host so that one k step of a tile is whole words. */
#version 450
#extension GL_GOOGLE_include_directive : require
#include "qbytes.glsl"
#include "epilogue_ops.h"

layout(constant_id = 0) const int WG_M = 1;     /* invocations along M */
layout(constant_id = 1) const int WG_N = 16;    /* invocations along N */
layout(constant_id = 2) const int TM = 4;       /* outputs per invocation along M */
layout(constant_id = 3) const int TN = 4;       /* outputs per invocation along N */
layout(constant_id = 4) const int QW = 0;       /* 1: MatMulQuantW */
/* A prepacked as [ceil(M/TM)][K][TM] bytes (TM a multiple of 4). */
layout(constant_id = 5) const int A_PACKED = 0;
/* B prepacked as [ceil(N/TN)][K][TN] elements of BITS bits (whole words). */
layout(constant_id = 6) const int B_PACKED = 0;
layout(constant_id = 7) const int SIGNS = 3;    /* bit 0: A signed, bit 1: B signed */
const int A_SIGNED = SIGNS & 1, B_SIGNED = (SIGNS >> 1) & 1;
/* Products summed in float, exact: |a - a_zp|, |b - b_zp| <= 255, so up to
 * FLUSH = 256 products stay below 2^24; every FLUSH k steps the float sums
 * move into the int32 accumulators. Faster where int32 multiplies are slow
 * (llvmpipe) and on GPUs with more float than integer throughput. */
layout(constant_id = 8) const int FACC = 1;
const int FLUSH = 256;
layout(constant_id = 9) const int BITS = 8;     /* B_PACKED: 8 or 4 */
layout(constant_id = 10) const int OUT = 0;     /* NG_QOUT_* */
layout(constant_id = 11) const int CH_M = 0;    /* 1: output channel = m, else n */
layout(constant_id = 12) const int CONV = 0;
layout(constant_id = 13) const int CKH = 1;
layout(constant_id = 14) const int CKW = 1;
layout(constant_id = 15) const int CSH = 1;
layout(constant_id = 16) const int CSW = 1;
layout(constant_id = 17) const int CDH = 1;
layout(constant_id = 18) const int CDW = 1;
/* Not packed A rows read 4 k at a time as words (sak 1; a_off, sam, a_bs and
 * K multiples of 4). CONV: 1: an invocation's TN columns are neighbouring
 * pixels of one output row (ceil(OW/TN) segments per row), each kernel row's
 * input span read once. */
layout(constant_id = 19) const int VEC_A = 0;
layout(constant_id = 20) const int ROWS = 0;
const int SPAN = ROWS != 0 ? (TN - 1) * CSW + (CKW - 1) * CDW + 1 : 1;
const int BW = B_PACKED != 0 ? TN * BITS / 32 : 1; /* words of B per k */
const int BPW = 32 / BITS;                         /* B elements per word */
const int TMN = TM * TN;                           /* outputs per invocation */
layout(local_size_x_id = 1, local_size_y_id = 0, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer A_ { uint a[]; };
layout(std430, binding = 1) readonly buffer B_ { uint b[]; };
layout(std430, binding = 2) buffer Y_ { uint y[]; };
layout(std430, binding = 3) readonly buffer Ch_ { ivec4 ch[]; };
layout(std430, binding = 4) readonly buffer AF_ { float af[]; }; /* A's buffer again (QW) */

NG_BYTE_VIEWS(0, a)
NG_BYTE_VIEWS(1, b)
NG_BYTE_VIEWS(2, y)

layout(push_constant) uniform Push {
    int M, N, K;
    int a_off, sam, sak, a_bs; /* elements; a_bs, b_bs: per batch */
    int b_off, sbk, sbn, b_bs;
    int y_off;
    int x_zp;
    float y_scale;
    int y_zp;
    int block;                 /* QW: rows of B per scale */
    int H, W, OW, PT, PL;      /* CONV: input size, output width, padding */
    NG_EPI_PUSH_FIELDS
} p;

#include "grid.glsl"
#define EPI_SPEC_BASE 21
#define EPI_BINDING_BASE 5
#include "epilogue.glsl"
#define NG_QSTORE
#include "qcommon.glsl"

/* av[0..TM) at k: packed words (advancing from a4) or strided bytes. */
#define NG_LOAD_A(k)                                                                  \
    if (A_PACKED != 0) {                                                              \
        for (int q = 0; q < TM / 4; q++) {                                            \
            const uint w = a[a4 + (k) * (TM / 4) + q];                                \
            for (int t = 0; t < 4; t++)                                               \
                av[4 * q + t] = ng_word_byte(w, t, A_SIGNED != 0) - azp[4 * q + t];   \
        }                                                                             \
    } else {                                                                          \
        for (int i = 0; i < TM; i++)                                                  \
            av[i] = NG_BYTE(a, aidx[i] + (k) * p.sak, A_SIGNED != 0) - azp[i];        \
    }

/* bv[0..TN) at k, before the zero point: packed words or strided bytes. */
#define NG_LOAD_B_RAW(k)                                                              \
    if (B_PACKED != 0) {                                                              \
        for (int q = 0; q < BW; q++) {                                                \
            const uint w = b[b4 + (k) * BW + q];                                      \
            for (int t = 0; t < BPW; t++)                                             \
                bv[q * BPW + t] = BITS == 8 ? ng_word_byte(w, t, B_SIGNED != 0)       \
                                            : ng_word_nibble(w, t, B_SIGNED != 0);    \
        }                                                                             \
    } else {                                                                          \
        for (int j = 0; j < TN; j++) bv[j] = NG_BYTE(b, bidx[j] + (k) * p.sbk, B_SIGNED != 0); \
    }

/* acc(i, j) += AV[i] * BV[j] over the tile, in float with FACC. */
#define NG_MACS(AV, BV)                                                               \
    for (int i = 0; i < TM; i++)                                                      \
        for (int j = 0; j < TN; j++) {                                                \
            if (FACC != 0) accf[i * TN + j] += float(AV[i]) * float(BV[j]);           \
            else acc[i * TN + j] += (AV[i]) * (BV[j]);                                \
        }
#define NG_FMA() NG_MACS(av, bv)

/* Moves the float partial sums into acc (FACC). */
#define NG_FLUSH()                                                                    \
    if (FACC != 0)                                                                    \
        for (int i = 0; i < TM * TN; i++) {                                           \
            acc[i] += int(accf[i]);                                                   \
            accf[i] = 0.0;                                                            \
        }

/* The accumulators of an invocation's TM x TN outputs: int32 sums (main_int,
 * main_dot) or MatMulQuantW's float sums (main_qw). */
int acc[TMN];
float accq[TMN];

/* Stores row i (matrix row m) of the tile: ncols columns from n0, elements
 * from e0. Every variant's outputs pass the one ng_epilogue call here (it is
 * inlined once); 8-bit outputs are stored 4 to a word where they fill one. */
void store_row(const int i, const int m, const int n0, const int ncols, const uint e0) {
    float v[TN];
    for (int j = 0; j < TN; j++) {
        if (j >= ncols) break;
        v[j] = 0.0;
        if (QW == 0 && OUT == NG_QOUT_INT32) continue; /* the raw sums */
        const float real = QW != 0 ? accq[i * TN + j] : ng_q_dequant(acc[i * TN + j], CH_M != 0 ? m : n0 + j);
        v[j] = ng_epilogue(real, e0 + uint(j));
    }
    const int words = QW == 0 && OUT <= NG_QOUT_UINT8 && TN % 4 == 0 ? ncols / 4 : 0;
    for (int q = 0; q < TN / 4; q++)
        if (q < words) ng_q_store4(e0 + uint(4 * q), vec4(v[4 * q], v[4 * q + 1], v[4 * q + 2], v[4 * q + 3]));
    for (int j = 0; j < TN; j++) {
        if (j >= ncols) break;
        if (j < 4 * words) continue;
        if (QW != 0) y[uint(p.y_off) + e0 + uint(j)] = floatBitsToUint(v[j]);
        else ng_q_store(e0 + uint(j), acc[i * TN + j], v[j]);
    }
}

/* Stores the tile: rows m0.. below M, ncols columns from n0, of batch z. */
void store_tile(const int m0, const int n0, const int ncols, const int z) {
    for (int i = 0; i < TM; i++) {
        const int m = m0 + i;
        if (m >= p.M || ncols <= 0) break;
        store_row(i, m, n0, ncols, uint(z * p.M * p.N + m * p.N + n0));
    }
}

/* ROWS moves the tile's columns to its output row segment: ncol0, ncols. */
void main_int(inout int ncol0, inout int ncols) {
    const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    const int nb = int(gl_WorkGroupID.x) * WG_N + tx, n0 = nb * TN;
    const int mb = int(gl_WorkGroupID.y) * WG_M + ty, m0 = mb * TM;
    const int z = int(gl_WorkGroupID.z);
    const int abase = p.a_off + z * p.a_bs, bbase = p.b_off + z * p.b_bs;

    /* zero points: the weight's per channel, the input's per tensor */
    int azp[TM], bzp[TN], aidx[TM], bidx[TN];
    for (int i = 0; i < TM; i++) {
        const int m = min(m0 + i, p.M - 1);
        azp[i] = CH_M != 0 ? ch[m].z : p.x_zp;
        aidx[i] = abase + m * p.sam;
    }
    for (int j = 0; j < TN; j++) {
        const int n = min(n0 + j, p.N - 1);
        bzp[j] = CH_M != 0 ? p.x_zp : ch[n].z;
        bidx[j] = bbase + n * p.sbn;
    }
    const int a4 = min(mb, (p.M - 1) / TM) * p.K * (TM / 4);
    const int b4 = min(nb, (p.N - 1) / TN) * p.K * BW;
    float accf[TM * TN];
    for (int i = 0; i < TM * TN; i++) {
        acc[i] = 0;
        accf[i] = 0.0;
    }
    /* convolutions flush every `chunk` input channels, GEMMs every FLUSH k */
    const int taps = CKH * CKW, chunk = max(1, FLUSH / taps);

    if (CONV != 0 && ROWS != 0) { /* implicit GEMM over row segments */
        const int segs = (p.OW + TN - 1) / TN, OH = p.N / p.OW;
        const int ohs = nb / segs, oh = min(ohs, OH - 1), ow0 = (nb - ohs * segs) * TN;
        const int iw0 = ow0 * CSW - p.PL;
        const int C = p.K / (CKH * CKW), plane = p.H * p.W;
        int xc = bbase, k = 0;
        for (int ci = 0; ci < C; ci++, xc += plane) {
            for (int kh = 0; kh < CKH; kh++) {
                const int ih = oh * CSH - p.PT + kh * CDH;
                const bool rowok = ih >= 0 && ih < p.H;
                const int xrow = xc + clamp(ih, 0, p.H - 1) * p.W;
                int xr[SPAN];
                for (int t = 0; t < SPAN; t++) { /* zero (the zero point) outside */
                    const int iw = iw0 + t;
                    const int v = NG_BYTE(b, xrow + clamp(iw, 0, p.W - 1), B_SIGNED != 0);
                    xr[t] = (rowok && iw >= 0 && iw < p.W) ? v - p.x_zp : 0;
                }
                for (int kw = 0; kw < CKW; kw++, k++) {
                    int av[TM], bv[TN];
                    NG_LOAD_A(k);
                    for (int j = 0; j < TN; j++) bv[j] = xr[j * CSW + kw * CDW];
                    NG_FMA();
                }
            }
            if (ci % chunk == chunk - 1) NG_FLUSH();
        }
        ncol0 = ohs * p.OW + ow0;
        ncols = ohs < OH ? min(TN, p.OW - ow0) : 0;
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
                    int av[TM], bv[TN];
                    NG_LOAD_A(k);
                    for (int j = 0; j < TN; j++) {
                        const int iw = iw0[j] + kw * CDW;
                        const int v = NG_BYTE(b, xrow[j] + clamp(iw, 0, p.W - 1), B_SIGNED != 0);
                        bv[j] = (rowok[j] && iw >= 0 && iw < p.W) ? v - bzp[j] : 0;
                    }
                    NG_FMA();
                }
            }
            if (ci % chunk == chunk - 1) NG_FLUSH();
        }
    } else if (VEC_A != 0) { /* A rows as words of 4 k */
        for (int k = 0; k < p.K; k += 4) {
            uint aw[TM];
            for (int i = 0; i < TM; i++) aw[i] = a[uint(aidx[i] + k) >> 2];
            for (int t = 0; t < 4; t++) {
                int av[TM], bv[TN];
                for (int i = 0; i < TM; i++) av[i] = ng_word_byte(aw[i], t, A_SIGNED != 0) - azp[i];
                NG_LOAD_B_RAW(k + t);
                for (int j = 0; j < TN; j++) bv[j] -= bzp[j];
                NG_FMA();
            }
            if (k % FLUSH == FLUSH - 4) NG_FLUSH();
        }
    } else {
        for (int k = 0; k < p.K; k++) {
            int av[TM], bv[TN];
            NG_LOAD_A(k);
            NG_LOAD_B_RAW(k);
            for (int j = 0; j < TN; j++) bv[j] -= bzp[j];
            NG_FMA();
            if (k % FLUSH == FLUSH - 1) NG_FLUSH();
        }
    }
    NG_FLUSH();
}

#ifdef NG_IDOT
/* Byte base + t * stride of buffer a or b for t < n (<= 4), packed into a
 * word (first in the low byte), zeros above n. */
#define NG_PACK4(buf)                                                                 \
    uint pack4_##buf(const int base, const int stride, const int n) {                 \
        uint w = 0u;                                                                  \
        for (int t = 0; t < 4; t++)                                                   \
            if (t < n) w |= uint(NG_BYTE(buf, base + t * stride, false)) << (8 * t);  \
        return w;                                                                     \
    }
NG_PACK4(a)
NG_PACK4(b)

/* The integer dot-product path (the _dot variants, vk_qgemm.c IDOT): 4 k
 * per word, one dot instruction per pair of words, the raw values summed in
 * int32 and the zero points applied once at the end,
 *   sum (a - azp)(b - bzp) = sum ab - azp sum b - bzp sum a + K azp bzp.
 * The weights (channel side: A with CH_M, else B) come prepacked by the host
 * (vk_qdot.c) as [tile block][tap][quad][TM or TN] words, k ordered (tap,
 * channel) so that a word holds 4 channels of one tap, zero padded, and
 * their sums over k in ch[c].w. The data side is packed here from byte loads
 * (whole words for VEC_A rows); a padding tap reads the input zero point,
 * channels past the last read zero, so both drop out of the sums. */
void main_dot() {
    const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    const int nb = int(gl_WorkGroupID.x) * WG_N + tx, n0 = nb * TN;
    const int mb = int(gl_WorkGroupID.y) * WG_M + ty, m0 = mb * TM;
    const int z = int(gl_WorkGroupID.z);
    const int abase = p.a_off + z * p.a_bs, bbase = p.b_off + z * p.b_bs;
    const int TC = CH_M != 0 ? TM : TN, TD = CH_M != 0 ? TN : TM; /* weight / data tile */
    const bool d_signed = (CH_M != 0 ? B_SIGNED : A_SIGNED) != 0;
    const int taps = CONV != 0 ? CKH * CKW : 1, C = p.K / taps, CQ = (C + 3) / 4;
    /* data element (d, channel c) at dbase[d] + c * stride */
    const int stride = CH_M == 0 ? p.sak : CONV != 0 ? p.H * p.W : p.sbk;
    int dfirst[TD], ih0[TD], iw0[TD];
    for (int d = 0; d < TD; d++) {
        if (CH_M == 0) {
            dfirst[d] = abase + min(m0 + d, p.M - 1) * p.sam;
        } else {
            const int n = min(n0 + d, p.N - 1), oh = n / max(p.OW, 1);
            dfirst[d] = bbase + n * p.sbn;
            ih0[d] = oh * CSH - p.PT;
            iw0[d] = (n - oh * p.OW) * CSW - p.PL;
        }
    }
    const uint zp4 = uint(p.x_zp & 0xff) * 0x01010101u;
    const int cb = CH_M != 0 ? min(mb, (p.M - 1) / TM) : min(nb, (p.N - 1) / TN);
    int wq = cb * taps * CQ * TC;
    int dsum[TD];
    for (int i = 0; i < TM * TN; i++) acc[i] = 0;
    for (int d = 0; d < TD; d++) dsum[d] = 0;
    for (int t = 0; t < taps; t++) {
        int dbase[TD];
        bool dok[TD];
        for (int d = 0; d < TD; d++) {
            dbase[d] = dfirst[d];
            dok[d] = true;
            if (CONV != 0) {
                const int kh = t / CKW, ih = ih0[d] + kh * CDH, iw = iw0[d] + (t - kh * CKW) * CDW;
                dok[d] = ih >= 0 && ih < p.H && iw >= 0 && iw < p.W;
                dbase[d] = bbase + clamp(ih, 0, p.H - 1) * p.W + clamp(iw, 0, p.W - 1);
            }
        }
        for (int q = 0; q < CQ; q++, wq += TC) {
            const int c0 = 4 * q, nc = min(4, C - c0);
            uint cw[TC], dw[TD];
            for (int c = 0; c < TC; c++) cw[c] = CH_M != 0 ? a[wq + c] : b[wq + c];
            for (int d = 0; d < TD; d++) {
                if (CH_M == 0 && VEC_A != 0) dw[d] = a[uint(dfirst[d] + c0) >> 2];
                else if (CH_M == 0) dw[d] = pack4_a(dfirst[d] + c0 * stride, stride, nc);
                else if (dok[d]) dw[d] = pack4_b(dbase[d] + c0 * stride, stride, nc);
                else dw[d] = nc == 4 ? zp4 : zp4 & ((1u << (8 * nc)) - 1u);
                dsum[d] += ng_dot4(dw[d], 0x01010101u, d_signed, false);
            }
            for (int i = 0; i < TM; i++)
                for (int j = 0; j < TN; j++)
                    acc[i * TN + j] += CH_M != 0 ? ng_dot4(cw[i], dw[j], A_SIGNED != 0, B_SIGNED != 0)
                                                 : ng_dot4(dw[i], cw[j], A_SIGNED != 0, B_SIGNED != 0);
        }
    }
    /* zero points: the weight's per channel (ch[c].z, its sum ch[c].w), x's per tensor */
    for (int i = 0; i < TM; i++)
        for (int j = 0; j < TN; j++) {
            const ivec4 cc = ch[CH_M != 0 ? min(m0 + i, p.M - 1) : min(n0 + j, p.N - 1)];
            const int azp = CH_M != 0 ? cc.z : p.x_zp, bzp = CH_M != 0 ? p.x_zp : cc.z;
            const int asum = CH_M != 0 ? cc.w : dsum[i], bsum = CH_M != 0 ? dsum[j] : cc.w;
            acc[i * TN + j] += p.K * azp * bzp - azp * bsum - bzp * asum;
        }
}
#endif

/* MatMulQuantW: ch[g * N + n] = (scale bits, 0, zero point, 0). */
void main_qw() {
    const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    const int nb = int(gl_WorkGroupID.x) * WG_N + tx, n0 = nb * TN;
    const int mb = int(gl_WorkGroupID.y) * WG_M + ty, m0 = mb * TM;
    const int z = int(gl_WorkGroupID.z);
    const int abase = p.a_off + z * p.a_bs;
    int aidx[TM], bidx[TN]; /* bidx: unused, B is always packed here */
    for (int i = 0; i < TM; i++) aidx[i] = abase + min(m0 + i, p.M - 1) * p.sam;
    for (int j = 0; j < TN; j++) bidx[j] = 0;
    const int b4 = min(nb, (p.N - 1) / TN) * p.K * BW;
    for (int i = 0; i < TM * TN; i++) accq[i] = 0.0;
    for (int k0 = 0, g = 0; k0 < p.K; k0 += p.block, g++) {
        float sc[TN];
        int zp[TN];
        for (int j = 0; j < TN; j++) {
            const ivec4 q = ch[g * p.N + min(n0 + j, p.N - 1)];
            sc[j] = intBitsToFloat(q.x);
            zp[j] = q.z;
        }
        const int k1 = min(k0 + p.block, p.K);
        for (int k = k0; k < k1; k++) {
            float av[TM], wv[TN];
            int bv[TN];
            for (int i = 0; i < TM; i++) av[i] = af[aidx[i] + k * p.sak];
            NG_LOAD_B_RAW(k);
            for (int j = 0; j < TN; j++) wv[j] = float(bv[j] - zp[j]) * sc[j];
            for (int i = 0; i < TM; i++)
                for (int j = 0; j < TN; j++) accq[i * TN + j] += av[i] * wv[j];
        }
    }
}

void main() {
    const int nb = int(gl_WorkGroupID.x) * WG_N + int(gl_LocalInvocationID.x);
    const int m0 = (int(gl_WorkGroupID.y) * WG_M + int(gl_LocalInvocationID.y)) * TM;
    int ncol0 = nb * TN, ncols = min(TN, p.N - ncol0);
    if (QW != 0) main_qw();
#ifdef NG_IDOT
    else main_dot();
#else
    else main_int(ncol0, ncols);
#endif
    store_tile(m0, ncol0, ncols, int(gl_WorkGroupID.z));
}
