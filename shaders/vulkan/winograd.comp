/* Winograd F(m x m, 3 x 3) convolution transforms, NCHW, stride 1, no
 * dilation, one group (src/vulkan/vk_winograd.c). The data transform feeds
 * ALPHA^2 = (m + 2)^2 independent GEMMs (gemm.comp, batched), whose products
 * the output transform turns into m x m output tiles. STAGE selects:
 *  0 data transform: invocation (c, t) reads the ALPHA x ALPHA input patch
 *    of tile t (zero outside the image) and writes V = B^T d B to
 *    dst[xi][c][t] (xi = row * ALPHA + col; tile rows padded to NTP, padded
 *    tiles written as zeros);
 *  1 output transform: invocation (k, t) reads src[xi][k][t], writes
 *    A^T M A + bias through the fused epilogue to the output tile.
 * Tiles are numbered over images, then tile rows, then tile columns. The
 * matrices are Lavin's (points 0, +-1 for F(2,3); 0, +-1, +-2 for F(4,3)).
 * The layer's tensors (input, output, bias, epilogue operands) are stored as
 * NG_FLOAT (storage.glsl: float16_t in the _f16 variant); the scratch V and M
 * stay float32 (the GEMM between is the float32 gemm.comp), so bindings 0 and
 * 1 are declared twice, once per stage's type. The transforms are float
 * (F(4,3)'s coefficients amplify rounding); the epilogue computes in NG_REAL. */
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "epilogue_ops.h"
#include "storage.glsl"

layout(constant_id = 0) const int WG = 64;
layout(constant_id = 1) const int STAGE = 0;
layout(constant_id = 2) const int TILE = 2;   /* m: 2 or 4 */
layout(constant_id = 3) const int HAS_BIAS = 0;
const int ALPHA = TILE + 2;
layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer X_ { NG_FLOAT x[]; };    /* stage 0: input */
layout(std430, binding = 0) readonly buffer M_ { float msrc[]; };    /* stage 1: products M */
layout(std430, binding = 1) writeonly buffer V_ { float vdst[]; };   /* stage 0: transformed V */
layout(std430, binding = 1) writeonly buffer Y_ { NG_FLOAT y[]; };   /* stage 1: output */
layout(std430, binding = 2) readonly buffer Bias_ { NG_FLOAT bias[]; };

layout(push_constant) uniform Push {
    int C;        /* channels: input's (stage 0) or output's (stage 1) */
    int H, W;     /* image size: input (stage 0) or output (stage 1) */
    int TH, TW;   /* tiles per image along H and W */
    int NT, NTP;  /* tiles of all images; padded to a multiple of 4 */
    int PT, PL;   /* padding (stage 0) */
    int total;    /* invocations: C * NTP */
    int src_off, dst_off, bias_off;
    NG_EPI_PUSH_FIELDS
} p;

#include "grid.glsl"
#define EPI_SPEC_BASE 8
#define EPI_BINDING_BASE 3
#include "epilogue.glsl"

/* B^T applied to the ALPHA values v[o + s * i] in place. */
void bt_line(inout float v[36], const int o, const int s) {
    const float d0 = v[o], d1 = v[o + s], d2 = v[o + 2 * s], d3 = v[o + 3 * s];
    if (TILE == 2) {
        v[o] = d0 - d2;
        v[o + s] = d1 + d2;
        v[o + 2 * s] = d2 - d1;
        v[o + 3 * s] = d1 - d3;
    } else {
        const float d4 = v[o + 4 * s], d5 = v[o + 5 * s];
        v[o] = 4.0 * d0 - 5.0 * d2 + d4;
        v[o + s] = d3 + d4 - 4.0 * (d1 + d2);
        v[o + 2 * s] = d4 - d3 + 4.0 * (d1 - d2);
        v[o + 3 * s] = d4 - d2 + 2.0 * (d3 - d1);
        v[o + 4 * s] = d4 - d2 - 2.0 * (d3 - d1);
        v[o + 5 * s] = 4.0 * d1 - 5.0 * d3 + d5;
    }
}

/* A^T applied to the ALPHA values v[o + s * i]: TILE results in v[o + s * i]. */
void at_line(inout float v[36], const int o, const int s) {
    const float m0 = v[o], m1 = v[o + s], m2 = v[o + 2 * s], m3 = v[o + 3 * s];
    if (TILE == 2) {
        v[o] = m0 + m1 + m2;
        v[o + s] = m1 - m2 - m3;
    } else {
        const float m4 = v[o + 4 * s], m5 = v[o + 5 * s];
        const float sp = m1 + m2, sm = m1 - m2, tp = m3 + m4, tm = m3 - m4;
        v[o] = m0 + sp + tp;
        v[o + s] = sm + 2.0 * tm;
        v[o + 2 * s] = sp + 4.0 * tp;
        v[o + 3 * s] = sm + 8.0 * tm + m5;
    }
}

void data_transform(const int c, const int t) {
    float d[36];
    if (t < p.NT) {
        const int per = p.TH * p.TW, n = t / per, r = t - n * per, ty = r / p.TW;
        const int ih0 = ty * TILE - p.PT, iw0 = (r - ty * p.TW) * TILE - p.PL;
        const int base = p.src_off + (n * p.C + c) * p.H * p.W;
        [[unroll]] for (int i = 0; i < ALPHA; i++) {
            const int ih = ih0 + i;
            const bool rowok = ih >= 0 && ih < p.H;
            const int row = base + clamp(ih, 0, p.H - 1) * p.W;
            [[unroll]] for (int j = 0; j < ALPHA; j++) { /* clamped read, zero outside */
                const int iw = iw0 + j;
                const float v = float(x[row + clamp(iw, 0, p.W - 1)]);
                d[i * ALPHA + j] = rowok && iw >= 0 && iw < p.W ? v : 0.0;
            }
        }
        [[unroll]] for (int j = 0; j < ALPHA; j++) bt_line(d, j, ALPHA);
        [[unroll]] for (int i = 0; i < ALPHA; i++) bt_line(d, i * ALPHA, 1);
    } else {
        [[unroll]] for (int i = 0; i < ALPHA * ALPHA; i++) d[i] = 0.0;
    }
    const int plane = p.C * p.NTP;
    int o = p.dst_off + c * p.NTP + t;
    [[unroll]] for (int xi = 0; xi < ALPHA * ALPHA; xi++, o += plane) vdst[o] = d[xi];
}

void output_transform(const int k, const int t) {
    if (t >= p.NT) return;
    float m[36];
    const int plane = p.C * p.NTP;
    int o = p.src_off + k * p.NTP + t;
    [[unroll]] for (int xi = 0; xi < ALPHA * ALPHA; xi++, o += plane) m[xi] = msrc[o];
    [[unroll]] for (int j = 0; j < ALPHA; j++) at_line(m, j, ALPHA);
    [[unroll]] for (int i = 0; i < TILE; i++) at_line(m, i * ALPHA, 1);
    const float b = HAS_BIAS != 0 ? float(bias[p.bias_off + k]) : 0.0;
    const int per = p.TH * p.TW, n = t / per, r = t - n * per, ty = r / p.TW;
    const int oh0 = ty * TILE, ow0 = (r - ty * p.TW) * TILE;
    const int base = (n * p.C + k) * p.H * p.W;
    [[unroll]] for (int i = 0; i < TILE; i++) {
        if (oh0 + i >= p.H) break;
        [[unroll]] for (int j = 0; j < TILE; j++) {
            if (ow0 + j >= p.W) break;
            const int idx = base + (oh0 + i) * p.W + ow0 + j;
            y[p.dst_off + idx] = NG_ST(ng_epilogue(NG_REAL(m[i * ALPHA + j] + b), uint(idx)));
        }
    }
}

void main() {
    const int item = int(ng_global_id());
    if (item >= p.total) return;
    const int c = item / p.NTP, t = item - c * p.NTP;
    if (STAGE == 0) data_transform(c, t);
    else output_transform(c, t);
}
