#version 450
/* ArgMax / ArgMin along the middle axis of an (outer, len, inner) view: one
 * invocation per (outer, inner); the first extreme wins, or the last with
 * LAST 1; a NaN wins at once. int64 output written as (low, high) words
 * (no epilogue). */
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int IS_MAX = 1;
layout(constant_id = 2) const int LAST = 0;

layout(std430, binding = 0) writeonly buffer Y { uint y[]; }; /* int64 as word pairs */
layout(std430, binding = 1) readonly buffer X { float x[]; };

layout(push_constant) uniform Push {
    uint y_off, x_off, outer, len, inner; /* y_off in int64 elements */
} p;

void main() {
    uint gid = ng_global_id();
    if (gid >= p.outer * p.inner) return;
    uint o = gid / p.inner, in_ = gid - o * p.inner;
    uint xb = p.x_off + o * p.len * p.inner + in_;
    float best = x[xb];
    uint arg = 0u;
    for (uint j = 1u; j < p.len && !isnan(best); j++) {
        float v = x[xb + j * p.inner];
        bool better = IS_MAX != 0 ? (LAST != 0 ? v >= best : v > best)
                                  : (LAST != 0 ? v <= best : v < best);
        if (better || isnan(v)) {
            best = v;
            arg = j;
        }
    }
    uint yi = 2u * (p.y_off + gid);
    y[yi] = arg;
    y[yi + 1u] = 0u;
}
