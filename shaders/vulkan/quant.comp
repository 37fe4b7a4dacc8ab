/* QuantizeLinear and DequantizeLinear (src/runtime/lower_quant.h
 * ng_qconvert), per tensor, per axis slice or per block along the axis:
 *   quantize:   y = saturate(round_half_even(x / scale) + zp)   float -> 8-bit
 *   dequantize: y = (x - zp) * scale                            8-bit/int32 -> float
 * x is viewed as [outer, axis_len, inner]; element e's scale is
 * scale[((e / inner) % axis_len) / block]. Each invocation converts 4
 * neighbouring elements: quantize one word of y (plain store when it holds
 * 4 outputs, byte atomics at the tensor's ends), dequantize 4 floats. */
#version 450
#extension GL_GOOGLE_include_directive : require

layout(constant_id = 0) const int WG = 64;
layout(constant_id = 1) const int QUANTIZE = 1;
layout(constant_id = 2) const int SIGNED = 1;   /* the 8-bit side is int8 (else uint8) */
layout(constant_id = 3) const int X_INT32 = 0;  /* dequantize an int32 x */
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

int scale_index(int e) { return ((e / p.inner) % p.axis_len) / p.block; }

uint quantize_byte(int e) {
    const int s = scale_index(e);
    const float lo = SIGNED != 0 ? -128.0 : 0.0, hi = SIGNED != 0 ? 127.0 : 255.0;
    const float v = uintBitsToFloat(x[p.x_off + e]);
    return uint(int(clamp(roundEven(v / scale[s]) + float(zp[s]), lo, hi))) & 0xffu;
}

void main() {
    const int t = int(ng_global_id());
    if (t >= p.total) return;
    if (QUANTIZE != 0) { /* word t of y's bytes, counted from y_off's word */
        const int b0 = ((p.y_off >> 2) + t) * 4, e0 = b0 - p.y_off;
        if (e0 >= 0 && e0 + 4 <= p.n) {
            y[b0 >> 2] = quantize_byte(e0) | (quantize_byte(e0 + 1) << 8) |
                         (quantize_byte(e0 + 2) << 16) | (quantize_byte(e0 + 3) << 24);
            return;
        }
        for (int i = 0; i < 4; i++) {
            const int e = e0 + i;
            if (e < 0 || e >= p.n) continue;
            const uint sh = uint(i) * 8u;
            atomicAnd(y[b0 >> 2], ~(0xffu << sh));
            atomicOr(y[b0 >> 2], quantize_byte(e) << sh);
        }
        return;
    }
    for (int i = 0; i < 4; i++) {
        const int e = t * 4 + i;
        if (e >= p.n) break;
        const int s = scale_index(e);
        const int v = X_INT32 != 0 ? int(x[p.x_off + e]) : NG_BYTE(x, p.x_off + e, SIGNED != 0);
        y[p.y_off + e] = floatBitsToUint(float(v - zp[s]) * scale[s]);
    }
}
