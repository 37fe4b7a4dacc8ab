/* Winograd F(m x m, 3 x 3) convolution transforms, NCHW, stride 1, no
 * dilation, one group (src/opencl/cl_winograd.c; the math of
 * shaders/vulkan/winograd.comp). TILE = m (2 or 4), ALPHA = m + 2. Tiles are
 * numbered over images, then tile rows, then tile columns; NTP >= NT pads
 * their count for the GEMMs' vectors.
 *   winograd_input:  work-item (t, c) reads the ALPHA x ALPHA input patch of
 *                    tile t (zero outside the image) and writes B^T d B to
 *                    v[xi][c][t] (xi = row * ALPHA + col; padded tiles 0).
 *   winograd_output: work-item (t, k) reads m[xi][k][t] and writes
 *                    A^T M A + bias through the epilogue to its output tile.
 * The layer is float32 (the session does not pick Winograd in fp16). */

#ifndef TILE
#define TILE 4
#endif
#ifndef HAS_BIAS
#define HAS_BIAS 1
#endif
#define ALPHA (TILE + 2)
#define NG_CAT_(a, b) a##b
#define NG_CAT(a, b) NG_CAT_(a, b)

/* B^T applied to the ALPHA values v[o + s * i] in place. */
inline void bt_line(float *v, const int o, const int s) {
    const float d0 = v[o], d1 = v[o + s], d2 = v[o + 2 * s], d3 = v[o + 3 * s];
#if TILE == 2
    v[o] = d0 - d2;
    v[o + s] = d1 + d2;
    v[o + 2 * s] = d2 - d1;
    v[o + 3 * s] = d1 - d3;
#else
    const float d4 = v[o + 4 * s], d5 = v[o + 5 * s];
    v[o] = 4.0f * d0 - 5.0f * d2 + d4;
    v[o + s] = d3 + d4 - 4.0f * (d1 + d2);
    v[o + 2 * s] = d4 - d3 + 4.0f * (d1 - d2);
    v[o + 3 * s] = d4 - d2 + 2.0f * (d3 - d1);
    v[o + 4 * s] = d4 - d2 - 2.0f * (d3 - d1);
    v[o + 5 * s] = 4.0f * d1 - 5.0f * d3 + d5;
#endif
}

/* A^T applied to the ALPHA values v[o + s * i]: TILE results in v[o + s * i]. */
inline void at_line(float *v, const int o, const int s) {
    const float m0 = v[o], m1 = v[o + s], m2 = v[o + 2 * s], m3 = v[o + 3 * s];
#if TILE == 2
    v[o] = m0 + m1 + m2;
    v[o + s] = m1 - m2 - m3;
#else
    const float m4 = v[o + 4 * s], m5 = v[o + 5 * s];
    const float sp = m1 + m2, sm = m1 - m2, tp = m3 + m4, tm = m3 - m4;
    v[o] = m0 + sp + tp;
    v[o + s] = sm + 2.0f * tm;
    v[o + 2 * s] = sp + 4.0f * tp;
    v[o + 3 * s] = sm + 8.0f * tm + m5;
#endif
}

/* geom: C (input's or output's channels), H, W (input's or output's), TH,
 * TW, NT, NTP, PT, PL */
__kernel void winograd_input(__constant int *geom, __global const float *x, const int x_off,
                             __global float *v) {
    const int C = geom[0], H = geom[1], W = geom[2], TH = geom[3], TW = geom[4];
    const int NT = geom[5], NTP = geom[6], PT = geom[7], PL = geom[8];
    const int t = get_global_id(0), c = get_global_id(1);
    if (t >= NTP) return;
    float d[ALPHA * ALPHA];
    if (t < NT) {
        const int per = TH * TW, n = t / per, r = t - n * per, ty = r / TW;
        const int ih0 = ty * TILE - PT, iw0 = (r - ty * TW) * TILE - PL;
        __global const float *base = x + x_off + (n * C + c) * H * W;
        if (ih0 >= 0 && iw0 >= 0 && ih0 + ALPHA <= H && iw0 + ALPHA <= W) { /* interior */
            __global const float *p = base + ih0 * W + iw0;
#pragma unroll
            for (int i = 0; i < ALPHA; i++, p += W) {
                const float4 q = vload4(0, p);
                d[i * ALPHA] = q.s0; d[i * ALPHA + 1] = q.s1;
                d[i * ALPHA + 2] = q.s2; d[i * ALPHA + 3] = q.s3;
#if TILE == 4
                const float2 e = vload2(0, p + 4);
                d[i * ALPHA + 4] = e.s0; d[i * ALPHA + 5] = e.s1;
#endif
            }
        } else {
#pragma unroll
        for (int i = 0; i < ALPHA; i++) {
            const int ih = ih0 + i;
            const int rowok = ih >= 0 && ih < H;
            __global const float *row = base + clamp(ih, 0, H - 1) * W;
#pragma unroll
            for (int j = 0; j < ALPHA; j++) { /* clamped read, zero outside */
                const int iw = iw0 + j;
                const float e = row[clamp(iw, 0, W - 1)];
                d[i * ALPHA + j] = rowok && iw >= 0 && iw < W ? e : 0.0f;
            }
        }
        }
#pragma unroll
        for (int j = 0; j < ALPHA; j++) bt_line(d, j, ALPHA);
#pragma unroll
        for (int i = 0; i < ALPHA; i++) bt_line(d, i * ALPHA, 1);
    } else {
#pragma unroll
        for (int i = 0; i < ALPHA * ALPHA; i++) d[i] = 0.0f;
    }
    const int plane = C * NTP;
    __global float *o = v + c * NTP + t;
#pragma unroll
    for (int xi = 0; xi < ALPHA * ALPHA; xi++) o[xi * plane] = d[xi];
}

__kernel void winograd_output(__constant int *geom, __global const float *msrc,
                              __global const float *bias, const int bias_off,
                              __global float *y, const int y_off, NG_EPI_PARAMS) {
    const int C = geom[0], H = geom[1], W = geom[2], TH = geom[3], TW = geom[4];
    const int NT = geom[5], NTP = geom[6];
    const int t = get_global_id(0), k = get_global_id(1);
    if (t >= NT) return;
    float m[ALPHA * ALPHA];
    const int plane = C * NTP;
    __global const float *src = msrc + k * NTP + t;
#pragma unroll
    for (int xi = 0; xi < ALPHA * ALPHA; xi++) m[xi] = src[xi * plane];
#pragma unroll
    for (int j = 0; j < ALPHA; j++) at_line(m, j, ALPHA);
#pragma unroll
    for (int i = 0; i < TILE; i++) at_line(m, i * ALPHA, 1);
    const float b = HAS_BIAS ? bias[bias_off + k] : 0.0f;
    const int per = TH * TW, n = t / per, r = t - n * per, ty = r / TW;
    const int oh0 = ty * TILE, ow0 = (r - ty * TW) * TILE;
    const int base = (n * C + k) * H * W + oh0 * W + ow0;
    __global float *out = y + y_off + base;
    if (oh0 + TILE <= H && ow0 + TILE <= W) { /* a whole tile: a vector per row */
#pragma unroll
        for (int i = 0; i < TILE; i++) {
            const int o = i * ALPHA;
#if TILE == 2
            float2 row = (float2)(m[o], m[o + 1]) + b;
#else
            float4 row = (float4)(m[o], m[o + 1], m[o + 2], m[o + 3]) + b;
#endif
#if NG_EPI && defined(EPI_VEC_OK)
            row = NG_EPI_APPLY(row, base + i * W);
#elif NG_EPI
            float e[TILE];
            NG_CAT(vstore, TILE)(row, 0, e);
#pragma unroll
            for (int j = 0; j < TILE; j++) e[j] = NG_EPI_APPLY(e[j], base + i * W + j);
            row = NG_CAT(vload, TILE)(0, e);
#endif
            NG_CAT(vstore, TILE)(row, 0, out + i * W);
        }
        return;
    }
#pragma unroll
    for (int i = 0; i < TILE; i++) {
#pragma unroll
        for (int j = 0; j < TILE; j++) {
            if (oh0 + i < H && ow0 + j < W)
                out[i * W + j] = NG_EPI_APPLY(m[i * ALPHA + j] + b, base + i * W + j);
        }
    }
}
