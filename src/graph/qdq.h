/* Helpers the quantization passes share: constant scales and zero points
 * read from QuantizeLinear / DequantizeLinear nodes, 4-bit packing, new
 * constants, and the MatMulQuantW rewrite of a MatMul or Gemm. */
#ifndef NG_QDQ_H
#define NG_QDQ_H

#include "ir.h"

/* A Q or DQ node's constant quantization parameters. */
typedef struct ng_qparams {
    int64_t n;       /* scales: 1 per tensor */
    int axis;        /* the quantized tensor's axis the scales run along; -1 per tensor */
    int block;       /* opset 21 block_size along axis; 0 none */
    float *scale;    /* [n] */
    int32_t *zp;     /* [n], zeros when the zero point is omitted */
    nngpu_dtype q_dtype; /* the quantized side's dtype */
} ng_qparams;

/* Reads node n (QuantizeLinear or DequantizeLinear) into p; 0 when its scale
 * or zero point is not a constant or their shape does not fit. */
int ng_qparams_of(const ng_graph *g, const ng_node *n, ng_qparams *p);
void ng_qparams_free(ng_qparams *p);

/* Nibble i of packed 4-bit data (low nibble first), sign-extended when
 * is_signed; and its store. */
int ng_nibble_get(const void *data, int64_t i, int is_signed);
void ng_nibble_set(void *data, int64_t i, int v);
/* Element i of a constant int4/uint4/int8/uint8/int32 tensor. */
int32_t ng_qconst_get(const ng_tensor *t, int64_t i);
/* Stores v as element i of data of dtype dt (int4/uint4/int8/uint8/int32). */
void ng_qconst_set(nngpu_dtype dt, void *data, int64_t i, int32_t v);
int ng_is_quant_dtype(nngpu_dtype dt); /* int4, uint4, int8, uint8 */

/* A new constant named after base (a unique suffix added); -1 on failure. */
int ng_const_add(ng_graph *g, const char *base, nngpu_dtype dt, int rank, const int64_t *dims,
                 const void *data);

/* MatMul (W [K, N]) or Gemm (transA 0; W [K, N], or [N, K] with transB; C
 * constant or beta 1) node whose input 1 can become a quantized weight:
 * fills K, N, trans_b and alpha; 0 when it cannot. */
int ng_matmulqw_candidate(const ng_graph *g, const ng_node *n, int64_t *K, int64_t *N,
                          int *trans_b, float *alpha);
/* Rewrites candidate node ni into MatMulQuantW(X, w, scale, zp) with block
 * rows per scale (0: per column); a Gemm's C (times beta) becomes an Add
 * epilogue step. w is [K, N]; alpha must already be in the scales. */
nngpu_status ng_node_to_matmulqw(ng_graph *g, int ni, int w, int scale, int zp, int block);

#endif
