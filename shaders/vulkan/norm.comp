#version 450
/* The norm family, then the epilogue. KIND 0 (rows): LayerNormalization,
 * InstanceNormalization, GroupNormalization — one work-group per
 * normalized row of len elements (the mean, then the variance of x - mean,
 * in shared memory), y = (x - mean) * invstd * scale[si] + bias[si] with
 * si = (row % R) * CG + j / SP (src/runtime/norm_plan.h), scale read at
 * s_off + si / s_div (bias alike); STATS also writes LayerNorm's Mean and / or
 * InvStdDev per row. KIND 1 (lrn): LRN
 * across channels, one invocation per element of an (N, C, SP) view,
 * y = x * (bias + alpha / size * sum of x^2 over channels c-lo..c+hi)^-beta. */
#extension GL_GOOGLE_include_directive : require
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;         /* work-group size (a power of two for rows) */
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int KIND = 0;
layout(constant_id = 2) const int STATS = 0; /* bit 0: Mean, bit 1: InvStdDev written */
#define EPI_SPEC_BASE 3

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) readonly buffer Scale { float scale[]; };
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
layout(std430, binding = 4) writeonly buffer Mean { float mean_out[]; };
layout(std430, binding = 5) writeonly buffer InvStd { float invstd_out[]; };
#define EPI_BINDING_BASE 6

layout(push_constant) uniform Push {
    uint y_off, x_off;
    uint rows, len, R, CG, SP; /* rows: the rows, their length, the scale index */
    float eps;
    uint s_off, s_div, b_off, b_div, mean_off, inv_off;
    uint total, C, lo, hi;     /* lrn: elements, channels, window below / above */
    float alpha_n, beta, k;    /* lrn: alpha / size, beta, bias */
    NG_EPI_PUSH_FIELDS
} p;

#include "epilogue.glsl"

shared float red[gl_WorkGroupSize.x];

/* The sum of v over the work-group (every invocation gets it). */
float wg_sum(float v) {
    uint lid = gl_LocalInvocationID.x;
    red[lid] = v;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier();
    }
    float r = red[0];
    barrier();
    return r;
}

/* A row's mean and inverse standard deviation (written out with STATS). */
void row_stats(uint row, uint xb, out float mean, out float inv) {
    uint lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    float s = 0.0;
    for (uint j = lid; j < p.len; j += wg) s += x[xb + j];
    mean = wg_sum(s) / float(p.len);
    float q = 0.0;
    for (uint j = lid; j < p.len; j += wg) {
        float d = x[xb + j] - mean;
        q += d * d;
    }
    inv = inversesqrt(wg_sum(q) / float(p.len) + p.eps);
    if ((STATS & 1) != 0 && lid == 0u) mean_out[p.mean_off + row] = mean;
    if ((STATS & 2) != 0 && lid == 0u) invstd_out[p.inv_off + row] = inv;
}

float lrn(uint i) {
    uint c = (i / p.SP) % p.C, base = p.x_off + i - c * p.SP;
    uint c0 = c >= p.lo ? c - p.lo : 0u, c1 = min(c + p.hi, p.C - 1u);
    float sq = 0.0;
    for (uint ch = c0; ch <= c1; ch++) {
        float v = x[base + ch * p.SP];
        sq += v * v;
    }
    return x[p.x_off + i] * ng_pow(p.k + p.alpha_n * sq, -p.beta);
}

/* Rows: the work-group's row, strided over its invocations; lrn: one element.
 * One store loop, so the epilogue is inlined once. */
void main() {
    uint base, j0, step, n, sbase = 0u;
    float mean = 0.0, inv = 0.0;
    if (KIND == 0) {
        uint row = ng_group_id();
        if (row >= p.rows) return; /* uniform per work-group */
        base = row * p.len;
        j0 = gl_LocalInvocationID.x;
        step = gl_WorkGroupSize.x;
        n = p.len;
        sbase = (row % p.R) * p.CG;
        row_stats(row, p.x_off + base, mean, inv);
    } else {
        base = ng_global_id();
        if (base >= p.total) return;
        j0 = 0u;
        step = 1u;
        n = 1u;
    }
    for (uint j = j0; j < n; j += step) {
        float v;
        if (KIND == 0) {
            uint si = sbase + j / p.SP;
            v = (x[p.x_off + base + j] - mean) * inv * scale[p.s_off + si / p.s_div] +
                bias[p.b_off + si / p.b_div];
        } else {
            v = lrn(base);
        }
        y[p.y_off + base + j] = ng_epilogue(v, base + j);
    }
}
