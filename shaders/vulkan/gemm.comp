/* Tiled GEMM with shared memory, batched:
 *   Y[b] (M x N) = epilogue(alpha * op(A)[b] x op(B)[b] + beta * C)
 * A and B are read through element strides (so transposes and 1x1
 * convolutions need no copies); per-batch element offsets come from the
 * a_boff / b_boff tables (MatMul broadcasting). A work-group of
 * WG_M x WG_N invocations computes a (WG_M*TM) x (WG_N*TN) tile of Y,
 * staging TK-deep slices of A and B in shared memory; each invocation owns
 * TM x TN outputs strided by the work-group size. */
#version 450
#extension GL_GOOGLE_include_directive : require
#include "epilogue_ops.h"

layout(constant_id = 0) const int WG_M = 8;  /* invocations along M */
layout(constant_id = 1) const int WG_N = 8;  /* invocations along N */
layout(constant_id = 2) const int TM = 4;    /* outputs per invocation along M */
layout(constant_id = 3) const int TN = 4;    /* outputs per invocation along N */
layout(constant_id = 4) const int TK = 16;   /* K slice staged in shared memory */
layout(constant_id = 5) const int HAS_C = 0; /* 1: add beta * C */
layout(local_size_x_id = 1, local_size_y_id = 0, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer A_ { float a[]; };
layout(std430, binding = 1) readonly buffer B_ { float b[]; };
layout(std430, binding = 2) writeonly buffer Y_ { float y[]; };
layout(std430, binding = 3) readonly buffer C_ { float c[]; };
layout(std430, binding = 4) readonly buffer AB_ { int a_boff[]; };
layout(std430, binding = 5) readonly buffer BB_ { int b_boff[]; };

layout(push_constant) uniform Push {
    int M, N, K;
    int a_off, sam, sak;
    int b_off, sbk, sbn;
    int y_off;
    int c_off, scm, scn;
    float alpha, beta;
    NG_EPI_PUSH_FIELDS
} p;

#include "grid.glsl"
#define EPI_SPEC_BASE 8
#define EPI_BINDING_BASE 6
#include "epilogue.glsl"

const int BM = WG_M * TM;
const int BN = WG_N * TN;
shared float As[TK * BM];
shared float Bs[TK * BN];

void main() {
    const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
    const int lid = ty * WG_N + tx, nthreads = WG_M * WG_N;
    const int m0 = int(gl_WorkGroupID.y) * BM, n0 = int(gl_WorkGroupID.x) * BN;
    const int batch = int(gl_WorkGroupID.z);
    const int abase = p.a_off + a_boff[batch], bbase = p.b_off + b_boff[batch];

    float acc[TM * TN];
    for (int i = 0; i < TM * TN; i++) acc[i] = 0.0;

    for (int k0 = 0; k0 < p.K; k0 += TK) {
        for (int e = lid; e < TK * BM; e += nthreads) {
            const int r = e / TK, kk = e - r * TK;
            const int gm = m0 + r, gk = k0 + kk;
            As[kk * BM + r] = (gm < p.M && gk < p.K) ? a[abase + gm * p.sam + gk * p.sak] : 0.0;
        }
        for (int e = lid; e < TK * BN; e += nthreads) {
            const int kk = e / BN, cc = e - kk * BN;
            const int gn = n0 + cc, gk = k0 + kk;
            Bs[kk * BN + cc] = (gn < p.N && gk < p.K) ? b[bbase + gk * p.sbk + gn * p.sbn] : 0.0;
        }
        barrier();
        for (int kk = 0; kk < TK; kk++) {
            float av[TM], bv[TN];
            for (int i = 0; i < TM; i++) av[i] = As[kk * BM + ty + i * WG_M];
            for (int j = 0; j < TN; j++) bv[j] = Bs[kk * BN + tx + j * WG_N];
            for (int i = 0; i < TM; i++)
                for (int j = 0; j < TN; j++) acc[i * TN + j] += av[i] * bv[j];
        }
        barrier();
    }

    const int ybase = batch * p.M * p.N;
    for (int i = 0; i < TM; i++) {
        const int m = m0 + ty + i * WG_M;
        if (m >= p.M) break;
        for (int j = 0; j < TN; j++) {
            const int n = n0 + tx + j * WG_N;
            if (n >= p.N) break;
            float v = p.alpha * acc[i * TN + j];
            if (HAS_C != 0) v += p.beta * c[p.c_off + m * p.scm + n * p.scn];
            const int idx = ybase + m * p.N + n;
            y[p.y_off + idx] = ng_epilogue(v, uint(idx));
        }
    }
}
