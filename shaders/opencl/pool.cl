/* Pooling, NCHW.
 *   pool2d:      MaxPool / AveragePool, one output per work-item.
 *   global_pool: GlobalAveragePool / GlobalMaxPool, one work-group of LWS
 *                work-items per (n, c) plane, reduced in local memory. */

#ifndef IS_MAX
#define IS_MAX 1 /* 1: max, 0: average */
#endif
#ifndef COUNT_PAD
#define COUNT_PAD 0 /* average: 1 divides by the window size inside the padding */
#endif
#ifndef LWS
#define LWS 64 /* global_pool: work-items per plane (a power of two) */
#endif

/* geom: H, W, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW */
__kernel void pool2d(__constant int *geom, const int total, __global const NG_FLOAT *x,
                     const int x_off, __global NG_FLOAT *y, const int y_off, NG_EPI_PARAMS) {
    const int i = get_global_id(0);
    if (i >= total) return;
    const int H = geom[0], W = geom[1], OH = geom[2], OW = geom[3];
    const int KH = geom[4], KW = geom[5], SH = geom[6], SW = geom[7];
    const int ow = i % OW, oh = (i / OW) % OH, plane = i / (OW * OH);
    const int hs = oh * SH - geom[8], ws = ow * SW - geom[9];
    __global const NG_FLOAT *xp = x + x_off + plane * H * W;
#if IS_MAX
    const int DH = geom[12], DW = geom[13];
    float acc = -INFINITY;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = hs + kh * DH;
        if (ih < 0 || ih >= H) continue;
        for (int kw = 0; kw < KW; kw++) {
            const int iw = ws + kw * DW;
            if (iw >= 0 && iw < W) acc = fmax(acc, NG_LD(xp, ih * W + iw));
        }
    }
#else
    const int he_pad = min(hs + KH, H + geom[10]), we_pad = min(ws + KW, W + geom[11]);
    const int h0 = max(hs, 0), w0 = max(ws, 0), h1 = min(hs + KH, H), w1 = min(ws + KW, W);
    float acc = 0.0f;
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++) acc += NG_LD(xp, ih * W + iw);
#if COUNT_PAD
    const int cnt = (he_pad - hs) * (we_pad - ws);
#else
    const int cnt = (h1 - h0) * (w1 - w0);
#endif
    acc = cnt > 0 ? acc / (float)cnt : 0.0f;
#endif
    NG_ST(y, y_off + i, NG_EPI_APPLY(acc, i));
}

#if defined(POOL_K) && defined(POOL_ROWS) && POOL_ROWS > 0
/* CPUs (POOL_ROWS > 0; square POOL_K window, stride POOL_S 1 or 2, no
 * dilation, compiled in): a work-item computes POOL_ROWS whole output rows
 * of one plane, like conv.cl's depthwise rows: the row's interior (every
 * tap inside the input row) as POOL_VEC-wide vectors from global memory,
 * the padding columns one at a time as pool2d does them.
 * global: (1, ceil(OH / POOL_ROWS), planes). */
#define PL_ geom[9]
#define W_ geom[1]
#define OW_ geom[3]
#define PVT NG_CAT(float, POOL_VEC)
__kernel void pool2d_rows(__constant int *geom, __global const NG_FLOAT *x, const int x_off,
                          __global NG_FLOAT *y, const int y_off, NG_EPI_PARAMS) {
    const int H = geom[0], OH = geom[2], PT = geom[8], PB = geom[10], PR = geom[11];
    const int oh0 = get_global_id(1) * POOL_ROWS, z = get_global_id(2);
    if (oh0 >= OH) return;
    __global const NG_FLOAT *xp = x + x_off + z * H * W_;
    ROW_INTERIOR(POOL_K, POOL_S, POOL_VEC);
    for (int oh = oh0; oh < min(oh0 + POOL_ROWS, OH); oh++) {
        const int hs = oh * POOL_S - PT, h0 = max(hs, 0), h1 = min(hs + POOL_K, H);
        const int obase = (z * OH + oh) * OW_;
        for (int v = 0; v < nvec; v++) {
            const int o = min(il + v * POOL_VEC, ir - POOL_VEC);
            __global const NG_FLOAT *xr = xp + o * POOL_S - PL_;
#if IS_MAX
            PVT acc = (PVT)(-INFINITY);
            for (int ih = h0; ih < h1; ih++)
#pragma unroll
                for (int kw = 0; kw < POOL_K; kw++)
                    acc = fmax(acc, ROW_TAP(POOL_VEC, POOL_S, xr + ih * W_ + kw));
#else
            PVT acc = (PVT)(0.0f);
            for (int ih = h0; ih < h1; ih++)
#pragma unroll
                for (int kw = 0; kw < POOL_K; kw++) acc += ROW_TAP(POOL_VEC, POOL_S, xr + ih * W_ + kw);
#if COUNT_PAD
            const int rows = min(hs + POOL_K, H + PB) - hs;
#else
            const int rows = h1 - h0;
#endif
            acc = rows > 0 ? acc / (float)(rows * POOL_K) : (PVT)(0.0f);
#endif
            ROW_STORE(POOL_VEC, acc, obase + o);
        }
        /* Edge columns (and short rows' interiors) one at a time. */
        for (int ow = 0; ow < OW_; ow++) {
            if (nvec && ow == il) ow = ir;
            if (ow >= OW_) break;
            const int ws = ow * POOL_S - PL_, w0 = max(ws, 0), w1 = min(ws + POOL_K, W_);
#if IS_MAX
            float acc = -INFINITY;
            for (int ih = h0; ih < h1; ih++)
                for (int iw = w0; iw < w1; iw++) acc = fmax(acc, NG_LD(xp, ih * W_ + iw));
#else
            float acc = 0.0f;
            for (int ih = h0; ih < h1; ih++)
                for (int iw = w0; iw < w1; iw++) acc += NG_LD(xp, ih * W_ + iw);
#if COUNT_PAD
            const int cnt = (min(hs + POOL_K, H + PB) - hs) * (min(ws + POOL_K, W_ + PR) - ws);
#else
            const int cnt = (h1 - h0) * (w1 - w0);
#endif
            acc = cnt > 0 ? acc / (float)cnt : 0.0f;
#endif
            NG_ST(y, y_off + obase + ow, NG_EPI_APPLY(acc, obase + ow));
        }
    }
}
#undef PL_
#undef W_
#undef OW_
#endif

__kernel __attribute__((reqd_work_group_size(LWS, 1, 1)))
void global_pool(const int plane_size, __global const NG_FLOAT *x, const int x_off,
                 __global NG_FLOAT *y, const int y_off, NG_EPI_PARAMS) {
    const int plane = get_group_id(0), lid = get_local_id(0);
    __global const NG_FLOAT *xp = x + x_off + plane * plane_size;
#if IS_MAX
    float acc = -INFINITY;
    for (int j = lid; j < plane_size; j += LWS) acc = fmax(acc, NG_LD(xp, j));
#else
    float acc = 0.0f;
    for (int j = lid; j < plane_size; j += LWS) acc += NG_LD(xp, j);
#endif
#if LWS > 1
    __local float part[LWS];
    part[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = LWS / 2; s > 0; s >>= 1) {
        if (lid < s)
#if IS_MAX
            part[lid] = fmax(part[lid], part[lid + s]);
#else
            part[lid] += part[lid + s];
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    acc = part[0];
#endif
    if (lid == 0) {
#if !IS_MAX
        acc /= (float)plane_size;
#endif
        NG_ST(y, y_off + plane, NG_EPI_APPLY(acc, plane));
    }
}
