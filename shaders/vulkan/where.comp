#version 450
/* Where(c, x, y) with NumPy broadcasting: c a bool tensor, one byte each, read
 * from its word (no 8-bit storage needed); x, y and the output float. */
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;                  /* work-group size */
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int MODE_C = NG_VK_IDX_SAME; /* indexing of c, x, y (NG_VK_IDX_*) */
layout(constant_id = 2) const int MODE_A = NG_VK_IDX_SAME;
layout(constant_id = 3) const int MODE_B = NG_VK_IDX_SAME;

layout(std430, binding = 0) writeonly buffer Y { NG_FLOAT y[]; };
layout(std430, binding = 1) readonly buffer C { uint c[]; };
layout(std430, binding = 2) readonly buffer A { NG_FLOAT a[]; };
layout(std430, binding = 3) readonly buffer B { NG_FLOAT b[]; };
layout(std430, binding = 4) readonly buffer Meta { int meta[]; }; /* GENERIC operands, slots 0-2 */

layout(push_constant) uniform Push { /* offsets in elements of each tensor */
    uint y_off, c_off, a_off, b_off, n;
    uint inner_c, count_c, inner_a, count_a, inner_b, count_b;
} p;

#include "epilogue.glsl"

NG_DEFINE_BCAST_GENERIC(input_generic, meta)

void main() {
    uint i = ng_global_id();
    if (i >= p.n) return;
    const uint ci = p.c_off + NG_BCAST_INDEX(MODE_C, i, p.inner_c, p.count_c, input_generic, 0);
    const bool take_a = bitfieldExtract(c[ci >> 2], int((ci & 3u) * 8u), 8) != 0u;
    y[p.y_off + i] = take_a ? a[p.a_off + NG_BCAST_INDEX(MODE_A, i, p.inner_a, p.count_a, input_generic, 1)]
                            : b[p.b_off + NG_BCAST_INDEX(MODE_B, i, p.inner_b, p.count_b, input_generic, 2)];
}
