/* Integer quantization arithmetic shared by the reference, the graph passes
 * and the INT8 guard, with onnxruntime's conventions: round half to even,
 * saturate to the integer type's range, and NaN gives the type's lowest
 * value (as onnxruntime's x86 kernels store it; ONNX leaves NaN open). The
 * kernels do the same: shaders/opencl/quant.cl, NG_Q_OUT in epilogue.cl,
 * shaders/vulkan/qcommon.glsl and quant.comp. */
#ifndef NG_QUANT_H
#define NG_QUANT_H

#include <math.h>
#include <stdint.h>

/* r (already rounded) saturated to [lo, hi]; NaN gives lo. */
static inline int64_t ng_quant_saturate(double r, int64_t lo, int64_t hi) {
    if (!(r >= (double)lo)) return lo; /* NaN too */
    return r > (double)hi ? hi : (int64_t)r;
}

/* saturate(round_half_even(x / scale) + zp), the division and rounding in
 * float as onnxruntime does them. */
static inline int64_t ng_quantize_value(float x, float scale, int64_t zp, int64_t lo, int64_t hi) {
    return ng_quant_saturate((double)nearbyintf(x / scale) + (double)zp, lo, hi);
}

/* The symmetric scale of the n values x[at + k * step]: max |x| / qmax, 1
 * when they are all 0. */
static inline float ng_quant_symmetric_scale(const float *x, int64_t n, int64_t at, int64_t step,
                                             int qmax) {
    float amax = 0.0f;
    for (int64_t k = 0; k < n; k++) amax = fmaxf(amax, fabsf(x[at + k * step]));
    return amax > 0.0f ? amax / (float)qmax : 1.0f;
}

#endif
