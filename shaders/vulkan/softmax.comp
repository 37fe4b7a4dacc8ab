#version 450
/* Softmax / LogSoftmax over the middle axis of an (outer, len, inner) view, max-subtracted,
 * or Hardmax (1 at the first maximum, else 0; strided only), then the epilogue. ROWS (inner == 1): one work-group per row with
 * shared-memory reductions, for long rows; otherwise one invocation per
 * (outer, inner) row. Float math; the epilogue computes in NG_REAL. */
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;         /* work-group size (a power of two for ROWS) */
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int ROWS = 0;
layout(constant_id = 2) const int LOG = 0; /* 1: LogSoftmax */
layout(constant_id = 3) const int HARD = 0; /* 1: Hardmax */
#define EPI_SPEC_BASE 4

layout(std430, binding = 0) writeonly buffer Y { NG_FLOAT y[]; };
layout(std430, binding = 1) readonly buffer X { NG_FLOAT x[]; };
#define EPI_BINDING_BASE 2

layout(push_constant) uniform Push {
    uint y_off, x_off, outer, len, inner;
    NG_EPI_PUSH_FIELDS
} p;

#include "epilogue.glsl"

shared float red[gl_WorkGroupSize.x];

/* The result for input v of a row with maximum m and sum(exp(x - m)) sum. */
float softmax_value(float v, float m, float sum) {
    return LOG != 0 ? (v - m) - log(sum) : exp(v - m) / sum;
}

void softmax_rows() {
    uint row = ng_group_id(), lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    if (row >= p.outer) return; /* uniform per work-group */
    uint base = row * p.len, xb = p.x_off + base;
    float m = -NG_INF;
    for (uint j = lid; j < p.len; j += wg) m = max(m, float(x[xb + j]));
    red[lid] = m;
    barrier();
    for (uint s = wg / 2u; s > 0u; s >>= 1) {
        if (lid < s) red[lid] = max(red[lid], red[lid + s]);
        barrier();
    }
    m = red[0];
    barrier();
    float part = 0.0;
    for (uint j = lid; j < p.len; j += wg) part += exp(x[xb + j] - m);
    red[lid] = part;
    barrier();
    for (uint s = wg / 2u; s > 0u; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier();
    }
    float sum = red[0];
    for (uint j = lid; j < p.len; j += wg)
        y[p.y_off + base + j] = NG_ST(ng_epilogue(NG_REAL(softmax_value(x[xb + j], m, sum)), base + j));
}

void softmax_strided() {
    uint gid = ng_global_id();
    if (gid >= p.outer * p.inner) return;
    uint o = gid / p.inner, in_ = gid - o * p.inner;
    uint base = o * p.len * p.inner + in_, xb = p.x_off + base;
    float m = -NG_INF;
    if (HARD != 0) {
        uint arg = 0u;
        for (uint j = 0u; j < p.len; j++)
            if (float(x[xb + j * p.inner]) > m) {
                m = float(x[xb + j * p.inner]);
                arg = j;
            }
        for (uint j = 0u; j < p.len; j++) {
            uint k = base + j * p.inner;
            y[p.y_off + k] = NG_ST(ng_epilogue(NG_REAL(j == arg ? 1.0 : 0.0), k));
        }
        return;
    }
    for (uint j = 0u; j < p.len; j++) m = max(m, float(x[xb + j * p.inner]));
    float sum = 0.0;
    for (uint j = 0u; j < p.len; j++) sum += exp(x[xb + j * p.inner] - m);
    for (uint j = 0u; j < p.len; j++) {
        uint k = base + j * p.inner;
        y[p.y_off + k] = NG_ST(ng_epilogue(NG_REAL(softmax_value(x[xb + j * p.inner], m, sum)), k));
    }
}

void main() {
    if (ROWS != 0) softmax_rows();
    else softmax_strided();
}
