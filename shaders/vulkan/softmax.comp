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

/* Both layouts find their row's maximum m, sum(exp(x - m)) sum (Hardmax: the
 * first maximum's index arg) and return false when the invocation has no
 * row; main writes the row once, through one inlined epilogue. */
bool softmax_rows(uint row, out float m, out float sum) {
    uint lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    m = -NG_INF;
    sum = 0.0;
    if (row >= p.outer) return false; /* uniform per work-group */
    uint xb = p.x_off + row * p.len;
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
    for (uint j = lid; j < p.len; j += wg) part += exp(float(x[xb + j]) - m);
    red[lid] = part;
    barrier();
    for (uint s = wg / 2u; s > 0u; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier();
    }
    sum = red[0];
    return true;
}

bool softmax_strided(uint gid, uint xb, out float m, out float sum, out uint arg) {
    m = -NG_INF;
    sum = 0.0;
    arg = 0u;
    if (gid >= p.outer * p.inner) return false;
    for (uint j = 0u; j < p.len; j++) {
        float v = float(x[xb + j * p.inner]);
        if (v > m) {
            m = v;
            arg = j;
        }
    }
    if (HARD == 0)
        for (uint j = 0u; j < p.len; j++) sum += exp(float(x[xb + j * p.inner]) - m);
    return true;
}

void main() {
    float m, sum;
    uint arg = 0u, base, stride, j0, step;
    bool ok;
    if (ROWS != 0) {
        uint row = ng_group_id();
        base = row * p.len;
        stride = 1u;
        j0 = gl_LocalInvocationID.x;
        step = gl_WorkGroupSize.x;
        ok = softmax_rows(row, m, sum);
    } else {
        uint gid = ng_global_id();
        uint o = gid / p.inner, in_ = gid - o * p.inner;
        base = o * p.len * p.inner + in_;
        stride = p.inner;
        j0 = 0u;
        step = 1u;
        ok = softmax_strided(gid, p.x_off + base, m, sum, arg);
    }
    if (!ok) return;
    for (uint j = j0; j < p.len; j += step) {
        uint k = base + j * stride;
        float v = HARD != 0 ? (j == arg ? 1.0 : 0.0) : softmax_value(float(x[p.x_off + k]), m, sum);
        y[p.y_off + k] = NG_ST(ng_epilogue(NG_REAL(v), k));
    }
}
