/* Cast between float32 and float16 tensors (the boundaries of fp16 layers),
 * by vstore_half (round to nearest even) / vload_half: no cl_khr_fp16 needed. */

__kernel void cast_f32_f16(__global half *y, int y_off, __global const float *x, int x_off,
                           int n) {
    int i = get_global_id(0);
    if (i < n) vstore_half(x[x_off + i], y_off + i, y);
}

__kernel void cast_f16_f32(__global float *y, int y_off, __global const half *x, int x_off,
                           int n) {
    int i = get_global_id(0);
    if (i < n) y[y_off + i] = vload_half(x_off + i, x);
}

/* Cast between float32, integer and bool tensors (cl_cast.c picks the pair):
 * SRC_T / DST_T are OpenCL types (bool as uchar); TO_BOOL writes x != 0.
 * Float to integer truncates toward zero; integers narrow by wrapping. */
#ifdef SRC_T
#ifndef TO_BOOL
#define TO_BOOL 0
#endif
__kernel void cast_convert(__global DST_T *y, int y_off, __global const SRC_T *x, int x_off,
                           int n) {
    int i = get_global_id(0);
    if (i >= n) return;
#if TO_BOOL
    y[y_off + i] = x[x_off + i] != (SRC_T)0;
#else
    y[y_off + i] = (DST_T)x[x_off + i];
#endif
}
#endif
