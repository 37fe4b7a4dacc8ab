/* Softmax (LogSoftmax with LOG=1, Hardmax with HARD=1) over the middle axis
 * of an (outer, len, inner) view, max-subtracted. */

#ifndef LOG
#define LOG 0 /* 1: log(softmax) = x - max - log(sum) */
#endif
#ifndef HARD
#define HARD 0 /* 1: Hardmax, 1 at the first maximum, else 0 (softmax_strided only) */
#endif
#ifndef WG
#define WG 64 /* work-group size of softmax_rows (a power of two) */
#endif

/* inner == 1: one work-group per row, local-memory reductions. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void softmax_rows(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off, int len,
                  NG_EPI_PARAMS) {
    __local float red[WG];
    int row = get_group_id(0), lid = get_local_id(0);
    int base = row * len;
    __global const NG_FLOAT *xr = x + x_off + base;
    float m = -INFINITY;
    for (int j = lid; j < len; j += WG) m = fmax(m, NG_LD(xr, j));
    red[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] = fmax(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float sum = 0.0f;
    for (int j = lid; j < len; j += WG) sum += exp(NG_LD(xr, j) - m);
    red[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float inv = 1.0f / red[0], lse = m + log(red[0]);
    for (int j = lid; j < len; j += WG)
        NG_ST(y, y_off + base + j,
              NG_EPI_APPLY(LOG ? NG_LD(xr, j) - lse : exp(NG_LD(xr, j) - m) * inv, base + j));
}

/* Any inner: one work-item per (outer, inner) row, stride inner. */
__kernel void softmax_strided(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                              int outer, int len, int inner, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= outer * inner) return;
    int o = gid / inner, in = gid - o * inner;
    int base = o * len * inner + in;
    __global const NG_FLOAT *xr = x + x_off + base;
    float m = -INFINITY;
#if HARD
    int arg = 0;
    for (int j = 0; j < len; j++)
        if (NG_LD(xr, j * inner) > m) {
            m = NG_LD(xr, j * inner);
            arg = j;
        }
    for (int j = 0; j < len; j++)
        NG_ST(y, y_off + base + j * inner, NG_EPI_APPLY(j == arg ? 1.0f : 0.0f, base + j * inner));
    return;
#endif
    for (int j = 0; j < len; j++) m = fmax(m, NG_LD(xr, j * inner));
    float sum = 0.0f;
    for (int j = 0; j < len; j++) sum += exp(NG_LD(xr, j * inner) - m);
    float inv = 1.0f / sum, lse = m + log(sum);
    for (int j = 0; j < len; j++)
        NG_ST(y, y_off + base + j * inner,
              NG_EPI_APPLY(LOG ? NG_LD(xr, j * inner) - lse : exp(NG_LD(xr, j * inner) - m) * inv,
                           base + j * inner));
}
