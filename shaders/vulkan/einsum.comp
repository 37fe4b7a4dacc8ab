#version 450
/* Einsum of one or two inputs, then the epilogue: one invocation per output
 * element sums, over every combination of the summed labels, the product
 * of the inputs. meta (src/runtime/einsum_plan.h): [n_out, n_sum, then per
 * output label (size, stride a, stride b), then per summed label (size,
 * stride a, stride b)]; stride 0 where an input lacks or broadcasts the
 * label. A label in one input only is summed with stride 0 in the other. */
#extension GL_GOOGLE_include_directive : require
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int TWO = 1; /* 0: one input */
#define EPI_SPEC_BASE 2

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer A { float a[]; };
layout(std430, binding = 2) readonly buffer B { float b[]; };
layout(std430, binding = 3) readonly buffer Meta { int meta[]; };
#define EPI_BINDING_BASE 4

layout(push_constant) uniform Push {
    uint y_off, a_off, b_off, total, n_sum;
    NG_EPI_PUSH_FIELDS
} p;

#include "epilogue.glsl"

void main() {
    uint gid = ng_global_id();
    if (gid >= p.total) return;
    int no = meta[0], ns = meta[1], sm = 2 + 3 * no;
    uint pa = p.a_off, pb = p.b_off, q = gid;
    for (int j = no - 1; j >= 0; j--) {
        uint d = uint(meta[2 + 3 * j]), v = q % d;
        q /= d;
        pa += v * uint(meta[3 + 3 * j]);
        pb += v * uint(meta[4 + 3 * j]);
    }
    int c[8] = int[8](0, 0, 0, 0, 0, 0, 0, 0);
    float acc = 0.0;
    for (uint s = 0u; s < p.n_sum; s++) {
        acc += TWO != 0 ? a[pa] * b[pb] : a[pa];
        for (int j = ns - 1; j >= 0; j--) { /* next summed combination */
            int size = meta[sm + 3 * j];
            uint sa = uint(meta[sm + 3 * j + 1]), sb = uint(meta[sm + 3 * j + 2]);
            pa += sa;
            pb += sb;
            if (++c[j] < size) break;
            pa -= sa * uint(size);
            pb -= sb * uint(size);
            c[j] = 0;
        }
    }
    y[p.y_off + gid] = ng_epilogue(acc, gid);
}
