/* Elementwise unary/binary ops with NumPy broadcasting, then the node's
 * epilogue (how elementwise chains run fused as one kernel). */

#ifndef OP
#define OP NG_CL_ADD /* op code (epilogue.cl) */
#endif
#ifndef BINARY
#define BINARY 1 /* 1: two inputs, ng_binary; 0: one input, ng_unary */
#endif
#ifndef IDX_A
#define IDX_A NG_IDX_SAME /* indexing of input a: NG_IDX_SAME, _BLOCK, _GENERIC */
#endif
#ifndef IDX_B
#define IDX_B NG_IDX_SAME /* indexing of input b */
#endif
#ifndef VEC
#define VEC 4 /* elements per work-item, strided by the global size */
#endif

/* A block-indexed input's inner size and count compiled in (INNER_A,
 * COUNT_A, INNER_B, COUNT_B; 0: read from meta). */
#ifndef INNER_A
#define INNER_A 0
#define COUNT_A 1
#endif
#ifndef INNER_B
#define INNER_B 0
#define COUNT_B 1
#endif
/* CONTIG: VEC consecutive outputs per work-item as one vector (vector math
 * on CPUs); every operand has the output's index, or is a block (scalar,
 * per channel) whose size VEC divides, so a vector lies in one block, or
 * repeats along the last axis (inner 1: a bias of NHWC or [B, S, D]) with a
 * count VEC divides, so a vector is a run of it; and the epilogue takes
 * vectors (EPI_VEC_OK). */
#ifndef CONTIG
#define CONTIG 0
#endif
#define VT NG_CAT(float, VEC)
#define LOAD_V(p, off, i, mode, inner, count)                                              \
    ((mode) == NG_IDX_SAME                           ? NG_LDV(VEC, 0, (p) + (off) + (i))      \
     : (inner) == 1 && (count) > 1 && (count) % VEC == 0 ? NG_LDV(VEC, 0, (p) + (off) + (i) % (count)) \
                                                     : (VT)(NG_LD(p, (off) + ((i) / max((inner), 1)) % (count))))
#define LOAD_S(p, off, i, mode, inner, count)                                              \
    NG_LD(p, (off) + ((mode) == NG_IDX_SAME ? (i) : ((i) / max((inner), 1)) % (count)))

/* The operand's index: epilogue.cl's, the meta layout being the same. */
#define NG_IDX(mode, i, meta, slot, inner, count) ng_epi_index((i), (meta), (slot), (mode), (inner), (count))

/* meta: output dims and the two input descriptors (epilogue.cl layout).
 * p0, p1: the unary op's parameters (alpha/beta, clip min/max). */
__kernel void eltwise(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *a, int a_off,
                      __global const NG_FLOAT *b, int b_off, __constant int *meta, float p0,
                      float p1, int n, NG_EPI_PARAMS) {
#if CONTIG
    const int i0 = get_global_id(0) * VEC;
    if (i0 + VEC <= n) {
        const VT xa = LOAD_V(a, a_off, i0, IDX_A, INNER_A, COUNT_A);
#if BINARY
        const VT r = ng_binary(OP, xa, LOAD_V(b, b_off, i0, IDX_B, INNER_B, COUNT_B));
#else
        const VT r = ng_unary(OP, xa, p0, p1);
#endif
        NG_STV(VEC, NG_EPI_APPLY(r, i0), 0, y + y_off + i0);
        return;
    }
    for (int i = i0; i < n; i++) { /* the last, partial vector */
        const float xa = LOAD_S(a, a_off, i, IDX_A, INNER_A, COUNT_A);
#if BINARY
        const float r = ng_binary(OP, xa, LOAD_S(b, b_off, i, IDX_B, INNER_B, COUNT_B));
#else
        const float r = ng_unary(OP, xa, p0, p1);
#endif
        NG_ST(y, y_off + i, NG_EPI_APPLY(r, i));
    }
#else
    int gsize = get_global_size(0);
    int i = get_global_id(0);
    for (int v = 0; v < VEC; v++, i += gsize) {
        if (i < n) {
            float xa = NG_LD(a, a_off + NG_IDX(IDX_A, i, meta, 0, INNER_A, COUNT_A));
#if BINARY
            float xb = NG_LD(b, b_off + NG_IDX(IDX_B, i, meta, 1, INNER_B, COUNT_B));
            float r = ng_binary(OP, xa, xb);
#else
            float r = ng_unary(OP, xa, p0, p1);
#endif
            NG_ST(y, y_off + i, NG_EPI_APPLY(r, i));
        }
    }
#endif
}

#ifndef IDX_C
#define IDX_C NG_IDX_SAME /* indexing of Where's condition */
#endif

/* Where(c, a, b) with NumPy broadcasting: c a bool tensor (one byte each);
 * meta slots 0, 1, 2 index c, a, b. */
__kernel void eltwise_where(__global NG_FLOAT *y, int y_off, __global const uchar *c, int c_off,
                            __global const NG_FLOAT *a, int a_off, __global const NG_FLOAT *b,
                            int b_off, __constant int *meta, int n) {
    int gsize = get_global_size(0);
    int i = get_global_id(0);
    for (int v = 0; v < VEC; v++, i += gsize) {
        if (i >= n) return;
        float r = c[c_off + NG_IDX(IDX_C, i, meta, 0, 0, 1)]
                      ? NG_LD(a, a_off + NG_IDX(IDX_A, i, meta, 1, 0, 1))
                      : NG_LD(b, b_off + NG_IDX(IDX_B, i, meta, 2, 0, 1));
        NG_ST(y, y_off + i, r);
    }
}
