/* QuantizeLinear / DequantizeLinear, elementwise (src/runtime/lower_quant.h,
 * ng_qconvert): x viewed as [outer, axis_len, inner]; element i uses scale
 * and zero point s = (i / inner % axis_len) / block (0 when per tensor).
 *   quantize:   y = saturate(round_half_even(x / scale[s]) + zp[s])
 *   dequantize: y = (x - zp[s]) * scale[s]
 * XT, YT: the OpenCL element types of x and y (float, char, uchar, int);
 * 4-bit sides (Q4) are packed two per byte, low nibble first, as uchar.
 * Y_LO, Y_HI: y's range when quantizing; NaN gives Y_LO (src/core/quant.h). */

#ifndef XT
#define XT float
#endif
#ifndef YT
#define YT char
#endif
#ifndef QUANTIZE
#define QUANTIZE 1 /* 1: quantize_linear, 0: dequantize_linear */
#endif
#ifndef Q4
#define Q4 0 /* 4-bit side (y of quantize, x of dequantize): 1 int4, 2 uint4 */
#endif
#ifndef PER_TENSOR
#define PER_TENSOR 1 /* 1: one scale and zero point */
#endif
#ifndef Y_LO
#define Y_LO -128
#define Y_HI 127
#endif

#define NG_QCAT_(a, b) a##b
#define NG_QCAT(a, b) NG_QCAT_(a, b)
#define CONVERT_Y_SAT NG_QCAT(NG_QCAT(convert_, YT), _sat)

NG_INLINE int q_slot(int i, int inner, int axis_len, int block) {
#if PER_TENSOR
    return 0;
#else
    return (i / inner) % axis_len / block;
#endif
}

#if QUANTIZE && Q4
/* 4-bit y (Q4 = 1 signed, 2 unsigned), packed two per byte, low nibble
 * first: a work-item writes byte b (elements 2b, 2b + 1). */
__kernel void quantize_linear(const int n, __global const XT *x, const int x_off,
                              __global uchar *y, const int y_off, __global const float *scale,
                              __global const int *zp, const int inner, const int axis_len,
                              const int block) {
    const int b = get_global_id(0);
    if (2 * b >= n) return;
    int v[2] = {0, 0};
    for (int e = 0; e < 2 && 2 * b + e < n; e++) {
        const int i = 2 * b + e, s = q_slot(i, inner, axis_len, block);
        const float r = rint(x[x_off + i] / scale[s]) + (float)zp[s];
        v[e] = isnan(r) ? Y_LO : (int)clamp(r, (float)Y_LO, (float)Y_HI);
    }
    y[y_off + b] = (uchar)((v[0] & 15) | ((v[1] & 15) << 4));
}
#elif QUANTIZE && defined(QV)
/* 8-bit y, one scale: QV elements per work-item as one vector, saturated by
 * clamping (convert_*_sat per element measured several times slower on
 * PoCL). */
#define QFV NG_QCAT(float, QV)
__kernel void quantize_linear(const int n, __global const XT *x, const int x_off,
                              __global YT *y, const int y_off, __global const float *scale,
                              __global const int *zp, const int inner, const int axis_len,
                              const int block) {
    const int i0 = get_global_id(0) * QV;
    if (i0 >= n) return;
    const float s = scale[0], z = (float)zp[0];
    if (i0 + QV <= n) {
        QFV r = rint(NG_QCAT(vload, QV)(0, x + x_off + i0) / s) + z;
        r = select(clamp(r, (float)Y_LO, (float)Y_HI), (QFV)((float)Y_LO), isnan(r));
        NG_QCAT(vstore, QV)(NG_QCAT(convert_, NG_QCAT(YT, QV))(NG_QCAT(convert_int, QV)(r)), 0,
                            y + y_off + i0);
    } else {
        for (int i = i0; i < n; i++)
            y[y_off + i] = CONVERT_Y_SAT(fmax(rint(x[x_off + i] / s) + z, (float)Y_LO)); /* NaN: Y_LO */
    }
}
#elif QUANTIZE
__kernel void quantize_linear(const int n, __global const XT *x, const int x_off,
                              __global YT *y, const int y_off, __global const float *scale,
                              __global const int *zp, const int inner, const int axis_len,
                              const int block) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int s = q_slot(i, inner, axis_len, block);
    y[y_off + i] = CONVERT_Y_SAT(fmax(rint(x[x_off + i] / scale[s]) + (float)zp[s], (float)Y_LO));
}
#else
__kernel void dequantize_linear(const int n, __global const XT *x, const int x_off,
                                __global float *y, const int y_off, __global const float *scale,
                                __global const int *zp, const int inner, const int axis_len,
                                const int block) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int s = q_slot(i, inner, axis_len, block);
#if Q4 /* 4-bit x (Q4 = 1 signed, 2 unsigned), packed two per byte */
    const int nib = (x[x_off + i / 2] >> (4 * (i & 1))) & 15;
    const int xv = Q4 == 1 ? (nib ^ 8) - 8 : nib;
#else
    const int xv = (int)x[x_off + i];
#endif
    y[y_off + i] = convert_float(xv - zp[s]) * scale[s];
}
#endif
