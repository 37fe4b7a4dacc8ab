/* Pooling, NCHW.
 *   GLOBAL = 0: MaxPool / AveragePool (2-D; 1-D as H = 1), one output per
 *               invocation, all attributes (pads, strides, dilations for
 *               max, count_include_pad, ceil_mode via the output size).
 *   GLOBAL = 1: GlobalAveragePool / GlobalMaxPool, one work-group of WG
 *               invocations per (n, c) plane, reduced in shared memory.
 * The window math is float (max is exact either way, sums are reductions);
 * the epilogue computes in NG_REAL. */
#version 450
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "epilogue_ops.h"

layout(constant_id = 0) const int WG = 64;        /* invocations per work-group (power of two) */
layout(constant_id = 1) const int IS_MAX = 1;     /* 1: max, 0: average */
layout(constant_id = 2) const int COUNT_PAD = 0;  /* average: divide by the window inside pads */
layout(constant_id = 3) const int GLOBAL = 0;
layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer X_ { NG_FLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y_ { NG_FLOAT y[]; };

layout(push_constant) uniform Push {
    int H, W, OH, OW, KH, KW, SH, SW;
    int PT, PL, PB, PR, DH, DW;
    int total;     /* outputs (GLOBAL: planes) */
    int x_off, y_off;
    NG_EPI_PUSH_FIELDS
} p;

#include "grid.glsl"
#define EPI_SPEC_BASE 8
#define EPI_BINDING_BASE 2
#include "epilogue.glsl"

shared float part[WG];

/* One output's window (GLOBAL = 0) or one plane (GLOBAL = 1, stored by its
 * first invocation); main applies the epilogue once for both. */
float pool_window(int i) {
    const int ow = i % p.OW, oh = (i / p.OW) % p.OH, plane = i / (p.OW * p.OH);
    const int hs = oh * p.SH - p.PT, ws = ow * p.SW - p.PL;
    const int xb = p.x_off + plane * p.H * p.W;
    float acc;
    if (IS_MAX != 0) {
        acc = uintBitsToFloat(0xff800000u); /* -inf */
        for (int kh = 0; kh < p.KH; kh++) {
            const int ih = hs + kh * p.DH;
            if (ih < 0 || ih >= p.H) continue;
            for (int kw = 0; kw < p.KW; kw++) {
                const int iw = ws + kw * p.DW;
                if (iw >= 0 && iw < p.W) acc = max(acc, float(x[xb + ih * p.W + iw]));
            }
        }
    } else {
        const int h0 = max(hs, 0), w0 = max(ws, 0);
        const int h1 = min(hs + p.KH, p.H), w1 = min(ws + p.KW, p.W);
        acc = 0.0;
        for (int ih = h0; ih < h1; ih++)
            for (int iw = w0; iw < w1; iw++) acc += x[xb + ih * p.W + iw];
        int cnt;
        if (COUNT_PAD != 0)
            cnt = (min(hs + p.KH, p.H + p.PB) - hs) * (min(ws + p.KW, p.W + p.PR) - ws);
        else
            cnt = (h1 - h0) * (w1 - w0);
        acc = cnt > 0 ? acc / float(cnt) : 0.0;
    }
    return acc;
}

/* global: plane = work-group, plane size in p.W */
bool pool_plane(out int plane, out float v) {
    plane = int(ng_group_id());
    v = 0.0;
    const int lid = int(gl_LocalInvocationID.x);
    if (plane >= p.total) return false; /* uniform per work-group */
    const int xb = p.x_off + plane * p.W;
    float acc = IS_MAX != 0 ? uintBitsToFloat(0xff800000u) : 0.0;
    for (int j = lid; j < p.W; j += WG)
        acc = IS_MAX != 0 ? max(acc, float(x[xb + j])) : acc + x[xb + j];
    part[lid] = acc;
    barrier();
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s)
            part[lid] = IS_MAX != 0 ? max(part[lid], part[lid + s]) : part[lid] + part[lid + s];
        barrier();
    }
    v = part[0];
    if (IS_MAX == 0) v /= float(p.W);
    return lid == 0;
}

void main() {
    int o;
    float v;
    bool store;
    if (GLOBAL == 0) {
        o = int(ng_global_id());
        store = o < p.total;
        v = store ? pool_window(o) : 0.0;
    } else {
        store = pool_plane(o, v);
    }
    if (store) y[p.y_off + o] = NG_ST(ng_epilogue(NG_REAL(v), uint(o)));
}
