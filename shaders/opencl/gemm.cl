/* Tiled GEMM: C[b] = alpha * A[b] x B[b] + beta * Cin, then the epilogue.
 * A element (m,k) is at a[a_off + a_boff[b] + m*sam + k*sak]; strides encode
 * transposes, batch broadcasting comes from the per-batch offset tables.
 * A work-group computes a (WG_M*TM) x (WG_N*TN) block of C, staging TK-deep
 * slices of A and B in local memory; each work-item keeps a TM x TN
 * register tile, TN = VEC * NV columns as float vectors. With USE_LOCAL=0
 * (CPUs: POCL keeps the tile in registers only without barriers) each
 * work-item streams A and B from global memory. */

#ifndef TM
#define TM 8 /* rows of C per work-item */
#endif
#ifndef VEC
#define VEC 8 /* vector width along N */
#endif
#ifndef NV
#define NV 2 /* vectors along N per work-item: TN = VEC * NV */
#endif
#ifndef WG_M
#define WG_M 4 /* work-items per group along M */
#endif
#ifndef WG_N
#define WG_N 4 /* work-items per group along N */
#endif
#ifndef TK
#define TK 32 /* depth of the local-memory slices */
#endif
#ifndef USE_LOCAL
#define USE_LOCAL 1 /* 0: read A and B straight from global memory (CPUs) */
#endif
#ifndef HAS_C
#define HAS_C 0 /* 1: add beta * Cin (broadcast by strides) */
#endif

#define TN (VEC * NV)
#define BM (WG_M * TM)
#define BN (WG_N * TN)
#define NWI (WG_M * WG_N)

#define NG_CAT_(a, b) a##b
#define NG_CAT(a, b) NG_CAT_(a, b)
/* VLOADL: private/local float arrays; VLOADG/VSTOREG: global tensors (storage.cl). */
#if VEC == 1
#define VTYPE float
#define VLOADL(i, p) ((p)[(i)])
#define VLOADG(i, p) NG_LD((p), (i))
#define VSTOREG(v, i, p) NG_ST((p), (i), (v))
#else
#define VTYPE NG_CAT(float, VEC)
#define VLOADL(i, p) NG_CAT(vload, VEC)((i), (p))
#define VLOADG(i, p) NG_LDV(VEC, (i), (p))
#define VSTOREG(v, i, p) NG_STV(VEC, (v), (i), (p))
#endif


__kernel __attribute__((reqd_work_group_size(WG_N, WG_M, 1)))
void gemm_tiled(const int M, const int N, const int K,
                __global const NG_FLOAT *a, const int a_off, const int sam, const int sak,
                __global const int *a_boff,
                __global const NG_FLOAT *bm, const int b_off, const int sbk, const int sbn,
                __global const int *b_boff,
                __global NG_FLOAT *c, const int c_off,
                __global const NG_FLOAT *cin, const int cin_off, const int scm, const int scn,
                const float alpha, const float beta, NG_EPI_PARAMS) {
#if USE_LOCAL
    __local float as[TK][BM];
    __local float bs[TK][BN];
#endif
    const int wn = get_local_id(0), wm = get_local_id(1);
    const int lid = wm * WG_N + wn;
    const int m0 = get_group_id(1) * BM, n0 = get_group_id(0) * BN;
    const int batch = get_global_id(2);
    __global const NG_FLOAT *ap = a + a_off + a_boff[batch];
    __global const NG_FLOAT *bp = bm + b_off + b_boff[batch];

    /* lane0[v]: the column of lane 0 of vector v; edge vectors read the
     * last VEC columns instead (shifted, see below) and store only lanes at
     * or past their own column. */
    int lane0[NV];
#pragma unroll
    for (int v = 0; v < NV; v++) lane0[v] = n0 + wn * TN + v * VEC;

    VTYPE acc[TM][NV];
#pragma unroll
    for (int r = 0; r < TM; r++)
#pragma unroll
        for (int v = 0; v < NV; v++) acc[r][v] = (VTYPE)(0.0f);

#if USE_LOCAL
    for (int k0 = 0; k0 < K; k0 += TK) {
        /* Stage A[m0:m0+BM, k0:k0+TK] transposed, and B[k0:k0+TK, n0:n0+BN]. */
        for (int e = lid; e < TK * BM; e += NWI) {
            const int kk = e / BM, mm = e % BM;
            const int gm = m0 + mm, gk = k0 + kk;
            as[kk][mm] = (gm < M && gk < K) ? NG_LD(ap, gm * sam + gk * sak) : 0.0f;
        }
        for (int e = lid; e < TK * BN; e += NWI) {
            const int kk = e / BN, nn = e % BN;
            const int gn = n0 + nn, gk = k0 + kk;
            bs[kk][nn] = (gn < N && gk < K) ? NG_LD(bp, gk * sbk + gn * sbn) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TK; kk++) {
            VTYPE bv[NV];
#pragma unroll
            for (int v = 0; v < NV; v++) bv[v] = VLOADL(0, &bs[kk][wn * TN + v * VEC]);
#pragma unroll
            for (int r = 0; r < TM; r++) {
                const float av = as[kk][wm * TM + r];
#pragma unroll
                for (int v = 0; v < NV; v++) acc[r][v] = NG_MAD((VTYPE)(av), bv[v], acc[r][v]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#else
    /* Rows and columns past the edge are clamped (read, never stored). */
    const int rm0 = m0 + wm * TM, rn0 = n0 + wn * TN;
    int arow[TM];
#pragma unroll
    for (int r = 0; r < TM; r++) arow[r] = min(rm0 + r, M - 1) * sam;
    if (sbn == 1 && rn0 + TN <= N) {
        for (int k = 0; k < K; k++) {
            __global const NG_FLOAT *brow = bp + k * sbk + rn0;
            VTYPE bv[NV];
#pragma unroll
            for (int v = 0; v < NV; v++) bv[v] = VLOADG(v, brow);
#pragma unroll
            for (int r = 0; r < TM; r++) {
                const float av = NG_LD(ap, arow[r] + k * sak);
#pragma unroll
                for (int v = 0; v < NV; v++) acc[r][v] = NG_MAD((VTYPE)(av), bv[v], acc[r][v]);
            }
        }
    } else {
        /* Edge tiles (and strided B): whole vectors inside N still load as
         * vectors when B rows are contiguous; the rest are gathered. */
        const int nfull = sbn == 1 ? (N - rn0) / VEC : 0;
        const int shift = sbn == 1 && N >= VEC; /* edge vectors load [N-VEC, N) */
#pragma unroll
        for (int v = 0; v < NV; v++)
            if (v >= nfull && shift) lane0[v] = N - VEC;
        for (int k = 0; k < K; k++) {
            VTYPE bv[NV];
#pragma unroll
            for (int v = 0; v < NV; v++) {
                if (v < nfull || shift) {
                    bv[v] = VLOADG(0, bp + k * sbk + lane0[v]);
                } else {
                    float bt[VEC];
#pragma unroll
                    for (int j = 0; j < VEC; j++)
                        bt[j] = NG_LD(bp, k * sbk + min(rn0 + v * VEC + j, N - 1) * sbn);
                    bv[v] = VLOADL(0, bt);
                }
            }
#pragma unroll
            for (int r = 0; r < TM; r++) {
                const float av = NG_LD(ap, arow[r] + k * sak);
#pragma unroll
                for (int v = 0; v < NV; v++) acc[r][v] = NG_MAD((VTYPE)(av), bv[v], acc[r][v]);
            }
        }
    }
#endif

    const int cbase = c_off + batch * M * N;
    const int col0 = n0 + wn * TN;
#pragma unroll
    for (int r = 0; r < TM; r++) {
        const int gm = m0 + wm * TM + r;
        if (gm >= M) break;
#pragma unroll
        for (int v = 0; v < NV; v++) {
            const int col = col0 + v * VEC;
            const int i0 = batch * M * N + gm * N + col; /* epilogue index of element 0 */
            if (col + VEC <= N) { /* a whole vector: stored with vstore */
                VTYPE yv = alpha * acc[r][v];
#if HAS_C
                if (scn == 0)
                    yv += beta * NG_LD(cin, cin_off + gm * scm);
                else /* scn == 1 */
                    yv += beta * VLOADG(0, cin + cin_off + gm * scm + col);
#endif
#if NG_EPI && defined(EPI_VEC_OK)
                yv = NG_EPI_APPLY(yv, i0); /* as a vector: POCL's vector math */
#elif NG_EPI
                float vals[VEC];
#if VEC == 1
                vals[0] = yv;
#else
                NG_CAT(vstore, VEC)(yv, 0, vals);
#endif
#pragma unroll
                for (int j = 0; j < VEC; j++) vals[j] = NG_EPI_APPLY(vals[j], i0 + j);
                yv = VLOADL(0, vals);
#endif
                VSTOREG(yv, 0, c + cbase + gm * N + col);
                continue;
            }
            float vals[VEC];
#if VEC == 1
            vals[0] = acc[r][v];
#else
            NG_CAT(vstore, VEC)(acc[r][v], 0, vals);
#endif
            for (int j = 0; j < VEC; j++) {
                const int gn = lane0[v] + j;
                if (gn >= col && gn < N) {
                    float y = alpha * vals[j];
#if HAS_C
                    y += beta * NG_LD(cin, cin_off + gm * scm + gn * scn);
#endif
                    NG_ST(c, cbase + gm * N + gn, NG_EPI_APPLY(y, i0 - col + gn));
                }
            }
        }
    }
}
