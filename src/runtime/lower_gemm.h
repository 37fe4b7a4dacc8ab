/* Gemm and MatMul read as one batched GEMM, shared by the backends:
 * out[b] = alpha * op(A)[b] x op(B)[b] + beta * C, transposes as strides,
 * MatMul's broadcast batch dims as per-batch offset tables. */
#ifndef NG_LOWER_GEMM_H
#define NG_LOWER_GEMM_H

#include "graph/ir.h"

typedef struct ng_gemm_shape {
    int M, N, K, batch;
    int sam, sak, sbk, sbn; /* element strides of the (M,K) and (K,N) views */
    int trans_a, trans_b;
    float alpha, beta;
    int has_c, scm, scn;    /* C broadcast strides over (M,N) */
    int *a_boff, *b_boff;   /* per-batch element offsets (with tables) */
} ng_gemm_shape;

/* Fills s from a float32 Gemm or MatMul node: 1 when the GEMM kernels run
 * it, 0 when not, -1 when out of host memory. With want_tables the offset
 * tables are allocated (one entry per batch) and the caller frees them with
 * ng_gemm_shape_free; on 0 or -1 nothing is left allocated. */
int ng_gemm_shape_of(const ng_graph *g, const ng_node *n, ng_gemm_shape *s, int want_tables);

void ng_gemm_shape_free(ng_gemm_shape *s);

#endif
