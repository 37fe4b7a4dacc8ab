/* QuantizeLinear and DequantizeLinear (src/runtime/lower_quant.h
 * ng_qconvert), per tensor, per axis slice or per block along the axis:
 *   quantize:   y = saturate(round_half_even(x / scale) + zp)   float -> 8/4-bit
 *   dequantize: y = (x - zp) * scale                            8/4-bit, int32 -> float
 * x is viewed as [outer, axis_len, inner]; element e's scale is
 * scale[((e / inner) % axis_len) / block]. 4-bit data is packed two per
 * byte, low nibble first (tensor offsets count bytes). Quantize: each
 * invocation writes one whole word of y, no atomics (at the tensor's ends
 * merged with the word's other bits); dequantize: 4 elements. */
#version 450
#extension GL_GOOGLE_include_directive : require

layout(constant_id = 0) const int WG = 64;
layout(constant_id = 1) const int QUANTIZE = 1;
layout(constant_id = 2) const int SIGNED = 1;   /* the quantized side is signed */
layout(constant_id = 3) const int X_INT32 = 0;  /* dequantize an int32 x */
layout(constant_id = 4) const int BITS = 8;     /* the quantized side: 8 or 4 */
layout(constant_id = 5) const int PER_TENSOR = 0; /* one scale: no index arithmetic */
const int EPW = 32 / BITS;                      /* quantized elements per word */
const uint MASK = (1u << BITS) - 1u;
layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer X_ { uint x[]; };
layout(std430, binding = 1) buffer Y_ { uint y[]; };
layout(std430, binding = 2) readonly buffer S_ { float scale[]; };
layout(std430, binding = 3) readonly buffer Z_ { int zp[]; };

layout(push_constant) uniform Push {
    int n, x_off, y_off; /* elements of each tensor's dtype */
    int axis_len, inner, block;
    int total;           /* invocations */
} p;

#include "grid.glsl"
#include "qcommon.glsl"

int scale_index(int e) { return PER_TENSOR != 0 ? 0 : ((e / p.inner) % p.axis_len) / p.block; }

uint quantize_one(int e) {
    const int s = scale_index(e);
    const float lo = SIGNED != 0 ? -float(1 << (BITS - 1)) : 0.0;
    const float hi = SIGNED != 0 ? float((1 << (BITS - 1)) - 1) : float((1 << BITS) - 1);
    const float r = roundEven(uintBitsToFloat(x[p.x_off + e]) / scale[s]) + float(zp[s]);
    return uint(int(isnan(r) ? lo : clamp(r, lo, hi))) & MASK; /* NaN: lo (src/core/quant.h) */
}

void main() {
    const int t = int(ng_global_id());
    if (t >= p.total) return;
    if (QUANTIZE != 0) { /* word t of y, counted from the word of its first element */
        const int y0 = p.y_off * (8 / BITS), w = y0 / EPW + t, e0 = w * EPW - y0;
        const bool whole = e0 >= 0 && e0 + EPW <= p.n;
        /* the tensor's end words keep their other bits: no other invocation
         * writes them (tensors start 64-byte aligned: no other tensor either) */
        uint word = whole ? 0u : y[w];
        for (int i = 0; i < EPW; i++) {
            const int e = e0 + i;
            if (whole || (e >= 0 && e < p.n))
                word = bitfieldInsert(word, quantize_one(e), i * BITS, BITS);
        }
        y[w] = word;
        return;
    }
    const int x0 = p.x_off * (8 / BITS);
    for (int i = 0; i < 4; i++) {
        const int e = t * 4 + i;
        if (e >= p.n) break;
        const int s = scale_index(e), pos = x0 + e;
        const uint word = x[X_INT32 != 0 ? p.x_off + e : pos / EPW];
        const int off = (pos % EPW) * BITS;
        const int v = X_INT32 != 0 ? int(word)
                      : SIGNED != 0 ? bitfieldExtract(int(word), off, BITS)
                                    : int(bitfieldExtract(word, off, BITS));
        y[p.y_off + e] = floatBitsToUint(float(v - zp[s]) * scale[s]);
    }
}
