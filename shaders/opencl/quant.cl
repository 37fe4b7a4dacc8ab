/* QuantizeLinear / DequantizeLinear, elementwise (src/runtime/lower_quant.h,
 * ng_qconvert): x viewed as [outer, axis_len, inner]; element i uses scale
 * and zero point s = (i / inner % axis_len) / block (0 when per tensor).
 *   quantize:   y = saturate(round_half_even(x / scale[s]) + zp[s])
 *   dequantize: y = (x - zp[s]) * scale[s]
 * XT, YT: the OpenCL element types of x and y (float, char, uchar, int). */

#ifndef XT
#define XT float
#endif
#ifndef YT
#define YT char
#endif
#ifndef QUANTIZE
#define QUANTIZE 1 /* 1: quantize_linear, 0: dequantize_linear */
#endif
#ifndef PER_TENSOR
#define PER_TENSOR 1 /* 1: one scale and zero point */
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

#if QUANTIZE
__kernel void quantize_linear(const int n, __global const XT *x, const int x_off,
                              __global YT *y, const int y_off, __global const float *scale,
                              __global const int *zp, const int inner, const int axis_len,
                              const int block) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int s = q_slot(i, inner, axis_len, block);
    y[y_off + i] = CONVERT_Y_SAT(rint(x[x_off + i] / scale[s]) + (float)zp[s]);
}
#else
__kernel void dequantize_linear(const int n, __global const XT *x, const int x_off,
                                __global float *y, const int y_off, __global const float *scale,
                                __global const int *zp, const int inner, const int axis_len,
                                const int block) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int s = q_slot(i, inner, axis_len, block);
    y[y_off + i] = convert_float((int)x[x_off + i] - zp[s]) * scale[s];
}
#endif
