#version 450
/* Cast between float32, int32, int64 and 8-bit integer / bool tensors, read
 * and written as 32-bit words, so it needs no 8- or 64-bit storage or
 * arithmetic features: int64 is two little-endian words, an 8-bit value a
 * byte of a word. Outputs are float32, int32 or int64 only (a byte store
 * would share its word with neighbouring elements). Float to integer
 * truncates toward zero; int64 beyond int32 converts to float through its
 * two words (a rounding of at most one unit in 2^-23 relative). */
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "grid.glsl"
/* kinds: 0 float32, 1 int32, 2 int64, 3 int8, 4 uint8 or bool */
layout(constant_id = 1) const int SRC = 2;
layout(constant_id = 2) const int DST = 0;

layout(std430, binding = 0) writeonly buffer Y { uint y[]; };
layout(std430, binding = 1) readonly buffer X { uint x[]; };

layout(push_constant) uniform Push { uint y_off, x_off, n; } p; /* offsets in elements */

/* Element i of x as (float value, int value, high word of the int64 value). */
void load(uint i, out float f, out int v, out int hi) {
    const uint e = p.x_off + i;
    if (SRC == 0) {
        f = uintBitsToFloat(x[e]);
        v = int(f);
        hi = v < 0 ? -1 : 0;
        if (abs(f) >= 2147483648.0) { /* an integer: split into words */
            const float h = floor(f / 4294967296.0);
            hi = int(h);
            v = int(uint(f - h * 4294967296.0));
        }
        return;
    }
    if (SRC == 1) v = int(x[e]);
    else if (SRC == 2) v = int(x[2u * e]);
    else v = bitfieldExtract(int(x[e >> 2]), int((e & 3u) * 8u), 8);
    if (SRC == 4) v &= 255;
    hi = SRC == 2 ? int(x[2u * e + 1u]) : (v < 0 ? -1 : 0);
    const bool fits = hi == (v < 0 ? -1 : 0);
    f = fits ? float(v) : float(hi) * 4294967296.0 + float(uint(v));
}

void main() {
    const uint i = ng_global_id();
    if (i >= p.n) return;
    float f;
    int v, hi;
    load(i, f, v, hi);
    const uint o = p.y_off + i;
    if (DST == 0) {
        y[o] = floatBitsToUint(f);
    } else if (DST == 1) {
        y[o] = uint(v);
    } else {
        y[2u * o] = uint(v);
        y[2u * o + 1u] = uint(hi);
    }
}
