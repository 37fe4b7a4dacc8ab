#version 450
/* ReduceSum / Mean / Max / Min / Prod / L1 / L2 / SumSquare / LogSumExp,
 * then the epilogue. KIND 0 (rows):
 * contiguous rows of len, one work-group per output with a shared-memory
 * reduction; 1 (strided): (outer, len, inner), one invocation per output;
 * 2 (generic): any axes, kept dims give the output index and reduced dims
 * are walked as an odometer (dims/strides in the meta buffer). */
#extension GL_GOOGLE_include_directive : require
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;       /* work-group size (a power of two for rows) */
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int KIND = 1;
/* 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 l1, 6 l2, 7 sum of squares, 8 log-sum-exp */
layout(constant_id = 2) const int RED = 0;
#define EPI_SPEC_BASE 3

layout(std430, binding = 0) writeonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
/* generic: kept dims [0..8), their strides [8..16), reduced dims [16..24), strides [24..32) */
layout(std430, binding = 2) readonly buffer Meta { int meta[]; };
#define EPI_BINDING_BASE 3

layout(push_constant) uniform Push {
    uint y_off, x_off, outer, len, inner, n_out, nk, nr;
    NG_EPI_PUSH_FIELDS
} p;

#include "epilogue.glsl"

shared float red[gl_WorkGroupSize.x];

float red_init() { return RED == 2 ? -NG_INF : RED == 3 ? NG_INF : RED == 4 ? 1.0 : 0.0; }
/* what each element contributes */
float red_map(float v) {
    return RED == 5 ? abs(v) : (RED == 6 || RED == 7) ? v * v : RED == 8 ? exp(v) : v;
}
/* combines contributions and partial results */
float red_add(float acc, float v) {
    return RED == 2 ? max(acc, v) : RED == 3 ? min(acc, v) : RED == 4 ? acc * v : acc + v;
}
float red_final(float acc) {
    return RED == 1 ? acc / float(p.len) : RED == 6 ? sqrt(acc) : RED == 8 ? log(acc) : acc;
}

/* Each kind sets oi and acc, output oi's accumulated value, and returns
 * whether this invocation stores it; main applies the epilogue once. */
bool reduce_rows(out uint oi, out float acc) {
    uint row = ng_group_id(), lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    oi = row;
    acc = 0.0;
    if (row >= p.n_out) return false; /* uniform per work-group */
    uint xb = p.x_off + row * p.len;
    acc = red_init();
    for (uint j = lid; j < p.len; j += wg) acc = red_add(acc, red_map(x[xb + j]));
    red[lid] = acc;
    barrier();
    for (uint s = wg / 2u; s > 0u; s >>= 1) {
        if (lid < s) red[lid] = red_add(red[lid], red[lid + s]);
        barrier();
    }
    acc = red[0];
    return lid == 0u;
}

bool reduce_strided(out uint oi, out float acc) {
    uint gid = ng_global_id();
    oi = gid;
    acc = 0.0;
    if (gid >= p.n_out) return false;
    uint o = gid / p.inner, in_ = gid - o * p.inner;
    uint xb = p.x_off + o * p.len * p.inner + in_;
    acc = red_init();
    for (uint j = 0u; j < p.len; j++) acc = red_add(acc, red_map(x[xb + j * p.inner]));
    return true;
}

bool reduce_generic(out uint oi, out float acc) {
    uint gid = ng_global_id();
    oi = gid;
    acc = 0.0;
    if (gid >= p.n_out) return false;
    uint base = 0u, q = gid;
    for (int k = int(p.nk) - 1; k >= 0; k--) {
        uint d = uint(meta[k]);
        base += (q % d) * uint(meta[8 + k]);
        q /= d;
    }
    uint c[8] = uint[8](0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);
    uint off = p.x_off + base;
    acc = red_init();
    for (uint j = 0u; j < p.len; j++) {
        acc = red_add(acc, red_map(x[off]));
        for (int k = int(p.nr) - 1; k >= 0; k--) { /* next reduced coordinate */
            uint rs = uint(meta[24 + k]);
            off += rs;
            if (++c[k] < uint(meta[16 + k])) break;
            off -= rs * uint(meta[16 + k]);
            c[k] = 0u;
        }
    }
    return true;
}

void main() {
    uint oi;
    float acc;
    bool store;
    if (KIND == 0) store = reduce_rows(oi, acc);
    else if (KIND == 1) store = reduce_strided(oi, acc);
    else store = reduce_generic(oi, acc);
    if (store) y[p.y_off + oi] = ng_epilogue(red_final(acc), oi);
}
