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
