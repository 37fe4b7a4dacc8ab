/* Quantized layers read into plain numbers that both backends upload and
 * their kernels compute with, so OpenCL, Vulkan and the tuner agree.
 *
 * Every quantized layer computes, per output element with output channel c,
 *   acc  = sum (x - x_zp) * (w - w_zp[c])             (int32)
 *   real = mult[c] * (acc + bias[c])                  (float; mult = x_scale * w_scale[c])
 *   real = epilogue(real)                             (the node's fused steps)
 *   y    = out INT8/UINT8: saturate(round_half_even(real / y_scale) + y_zp)
 *          out FLOAT: real;  out INT32 (ConvInteger, MatMulInteger): acc
 * "Output channel" is K of a convolution and the column N of a matmul. */
#ifndef NG_LOWER_QUANT_H
#define NG_LOWER_QUANT_H

#include <stdint.h>

#include "graph/ir.h"
#include "runtime/lower_conv.h"

typedef enum ng_qout { NG_QOUT_INT8, NG_QOUT_UINT8, NG_QOUT_FLOAT, NG_QOUT_INT32 } ng_qout;

typedef struct ng_qlayer {
    int is_conv;            /* QLinearConv, ConvInteger: conv is valid */
    ng_conv_geom conv;      /* conv.bias is unused: see bias[] */
    /* matmul (QLinearMatMul, MatMulInteger): batch x [M, K] . [K, N] */
    int batch, M, N, K;
    int64_t a_batch_stride, b_batch_stride; /* elements; 0: broadcast */
    int x_signed, w_signed; /* 1: int8, 0: uint8 */
    int x_input, w_input;   /* input indices of x (A) and w (B) in the node */
    int w_const;            /* 1: w is a constant (else a runtime tensor) */
    int32_t x_zp;           /* per tensor */
    int n_ch;               /* output channels: conv K, matmul N */
    int32_t *w_zp;          /* [n_ch] (a per-tensor zero point repeated) */
    float *mult;            /* [n_ch] x_scale * w_scale[c] (FLOAT and INT8 outputs) */
    int32_t *bias;          /* [n_ch] int32 bias, zeros when none */
    float y_scale;          /* INT8/UINT8 outputs */
    int32_t y_zp;
    ng_qout out;
} ng_qlayer;

/* Reads node n (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger) into
 * q; 0 when it is not one the device kernels run (scales or zero points not
 * constant, 3-D+ convolution, ...: the node then goes to the CPU). */
int ng_qlayer_of(const ng_graph *g, const ng_node *n, ng_qlayer *q);
void ng_qlayer_free(ng_qlayer *q);

/* QuantizeLinear / DequantizeLinear: y = saturate(round(x / scale) + zp) or
 * y = (x - zp) * scale, per tensor or per slice along axis (opset 13), or per
 * block of block_size along axis (opset 21). */
typedef struct ng_qconvert {
    int quantize;           /* 1: QuantizeLinear, 0: DequantizeLinear */
    nngpu_dtype x_dtype, y_dtype;
    int64_t n;              /* elements */
    int64_t outer, axis_len, inner; /* x viewed as [outer, axis_len, inner] */
    int block;              /* elements of axis per scale (axis_len when per tensor) */
    int n_scales;           /* outer scales count along axis: ceil(axis_len / block), 1: per tensor */
    float *scale;           /* [n_scales] */
    int32_t *zp;            /* [n_scales] */
} ng_qconvert;

int ng_qconvert_of(const ng_graph *g, const ng_node *n, ng_qconvert *q);
void ng_qconvert_free(ng_qconvert *q);

/* MatMulQuantW (ops.def): Y[batch, M, N] = X[batch, M, K] . dequant(W[K, N]);
 * W(k, n) = (q(k, n) - zp[k / block][n]) * scale[k / block][n] with q the
 * 4- or 8-bit constant, packed along N, two per byte for 4 bits (element
 * i = k * N + n, low nibble first). */
typedef struct ng_qweight {
    int batch, M, N, K;
    int bits;               /* 4 or 8 */
    int w_signed;
    int block;              /* rows per scale: K when per column */
    int n_groups;           /* ceil(K / block) */
    float *scale;           /* [n_groups * N] */
    int32_t *zp;            /* [n_groups * N] */
    const ng_tensor *w;     /* the packed constant */
} ng_qweight;

int ng_qweight_of(const ng_graph *g, const ng_node *n, ng_qweight *q);
void ng_qweight_free(ng_qweight *q);

#endif
