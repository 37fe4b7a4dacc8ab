#version 450
/* Elementwise unary/binary ops with NumPy broadcasting, then the node's
 * epilogue (how elementwise chains run fused as one kernel). */
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;                  /* work-group size */
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int OP = NG_VK_OP_ADD; /* op code (epilogue_ops.h) */
layout(constant_id = 2) const int BINARY = 1;    /* 1: two inputs, ng_binary; 0: ng_unary */
layout(constant_id = 3) const int MODE_A = NG_VK_IDX_SAME; /* indexing of a (NG_VK_IDX_*) */
layout(constant_id = 4) const int MODE_B = NG_VK_IDX_SAME; /* indexing of b */
layout(constant_id = 5) const float P0 = 0.0;    /* unary parameters: alpha/beta, clip min/max */
layout(constant_id = 6) const float P1 = 0.0;
#define EPI_SPEC_BASE 8

layout(std430, binding = 0) writeonly buffer Y { NG_FLOAT y[]; };
layout(std430, binding = 1) readonly buffer A { NG_FLOAT a[]; };
layout(std430, binding = 2) readonly buffer B { NG_FLOAT b[]; };
layout(std430, binding = 3) readonly buffer Meta { int meta[]; }; /* GENERIC inputs, slots 0/1 */
#define EPI_BINDING_BASE 4

layout(push_constant) uniform Push {
    uint y_off, a_off, b_off, n;
    uint inner_a, count_a, inner_b, count_b;
    NG_EPI_PUSH_FIELDS
} p;

#include "epilogue.glsl"

NG_DEFINE_BCAST_GENERIC(input_generic, meta)

void main() {
    uint i = ng_global_id();
    if (i >= p.n) return;
    NG_REAL xa = a[p.a_off + NG_BCAST_INDEX(MODE_A, i, p.inner_a, p.count_a, input_generic, 0)];
    NG_REAL r;
    if (BINARY != 0) {
        NG_REAL xb = b[p.b_off + NG_BCAST_INDEX(MODE_B, i, p.inner_b, p.count_b, input_generic, 1)];
        r = ng_binary(OP, xa, xb);
    } else {
        r = ng_unary(OP, xa, P0, P1);
    }
    y[p.y_off + i] = NG_ST(ng_epilogue(r, i));
}
