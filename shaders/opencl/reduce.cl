/* Reduce{Sum,Mean,Max,Min,Prod,L1,L2,SumSquare,LogSumExp}, then the epilogue. */

#ifndef RED
#define RED 0 /* 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 L1, 6 L2, 7 sum square, 8 log-sum-exp */
#endif
#ifndef WG
#define WG 64 /* work-group size of reduce_rows (a power of two) */
#endif

/* RED_MAP: each input element; RED_ADD: combines partials; RED_FINAL: the result. */
#if RED == 2
#define RED_INIT (-INFINITY)
#define RED_ADD(acc, v) fmax((acc), (v))
#elif RED == 3
#define RED_INIT INFINITY
#define RED_ADD(acc, v) fmin((acc), (v))
#elif RED == 4
#define RED_INIT 1.0f
#define RED_ADD(acc, v) ((acc) * (v))
#else
#define RED_INIT 0.0f
#define RED_ADD(acc, v) ((acc) + (v))
#endif
#if RED == 5
#define RED_MAP(v) fabs(v)
#elif RED == 6 || RED == 7
#define RED_MAP(v) ((v) * (v))
#elif RED == 8
#define RED_MAP(v) exp(v)
#else
#define RED_MAP(v) (v)
#endif
#if RED == 1
#define RED_FINAL(acc, n) ((acc) / (float)(n))
#elif RED == 6
#define RED_FINAL(acc, n) sqrt(acc)
#elif RED == 8
#define RED_FINAL(acc, n) log(acc)
#else
#define RED_FINAL(acc, n) (acc)
#endif

/* Contiguous rows of len: one work-group per output, local-memory reduction. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void reduce_rows(__global float *y, int y_off, __global const float *x, int x_off, int len,
                 NG_EPI_PARAMS) {
    __local float red[WG];
    int row = get_group_id(0), lid = get_local_id(0);
    __global const float *xr = x + x_off + row * len;
    float acc = RED_INIT;
    for (int j = lid; j < len; j += WG) acc = RED_ADD(acc, RED_MAP(xr[j]));
    red[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] = RED_ADD(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) y[y_off + row] = NG_EPI_APPLY(RED_FINAL(red[0], len), row);
}

/* (outer, len, inner): one work-item per (outer, inner) output. */
__kernel void reduce_strided(__global float *y, int y_off, __global const float *x, int x_off,
                             int outer, int len, int inner, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= outer * inner) return;
    int o = gid / inner, in = gid - o * inner;
    __global const float *xr = x + x_off + o * len * inner + in;
    float acc = RED_INIT;
    for (int j = 0; j < len; j++) acc = RED_ADD(acc, RED_MAP(xr[j * inner]));
    y[y_off + gid] = NG_EPI_APPLY(RED_FINAL(acc, len), gid);
}

/* Any axes: kept dims kd (input strides ks) give the output index, reduced
 * dims rd (strides rs) are walked as an odometer. */
__kernel void reduce_generic(__global float *y, int y_off, __global const float *x, int x_off,
                             int n_out, int nk, int8 kd, int8 ks, int nr, int8 rd, int8 rs,
                             int len, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n_out) return;
    int kdim[8] = {kd.s0, kd.s1, kd.s2, kd.s3, kd.s4, kd.s5, kd.s6, kd.s7};
    int kstr[8] = {ks.s0, ks.s1, ks.s2, ks.s3, ks.s4, ks.s5, ks.s6, ks.s7};
    int rdim[8] = {rd.s0, rd.s1, rd.s2, rd.s3, rd.s4, rd.s5, rd.s6, rd.s7};
    int rstr[8] = {rs.s0, rs.s1, rs.s2, rs.s3, rs.s4, rs.s5, rs.s6, rs.s7};
    int base = 0, q = gid;
    for (int k = nk - 1; k >= 0; k--) {
        base += (q % kdim[k]) * kstr[k];
        q /= kdim[k];
    }
    int c[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int off = 0;
    float acc = RED_INIT;
    for (int j = 0; j < len; j++) {
        acc = RED_ADD(acc, RED_MAP(x[x_off + base + off]));
        for (int k = nr - 1; k >= 0; k--) { /* next reduced coordinate */
            off += rstr[k];
            if (++c[k] < rdim[k]) break;
            off -= rstr[k] * rdim[k];
            c[k] = 0;
        }
    }
    y[y_off + gid] = NG_EPI_APPLY(RED_FINAL(acc, len), gid);
}

/* ArgMax (IS_MAX 1) / ArgMin over the middle axis of (outer, len, inner):
 * one work-item per (outer, inner); the first extreme wins, or the last with
 * LAST 1; a NaN wins at once. int64 output (no epilogue). */
#ifndef IS_MAX
#define IS_MAX 1
#endif
#ifndef LAST
#define LAST 0
#endif
__kernel void arg_strided(__global long *y, int y_off, __global const float *x, int x_off,
                          int outer, int len, int inner) {
    int gid = get_global_id(0);
    if (gid >= outer * inner) return;
    int o = gid / inner, in = gid - o * inner;
    __global const float *xr = x + x_off + o * len * inner + in;
    float best = xr[0];
    int arg = 0;
    for (int j = 1; j < len && best == best; j++) {
        float v = xr[j * inner];
#if IS_MAX
        int better = LAST ? v >= best : v > best;
#else
        int better = LAST ? v <= best : v < best;
#endif
        if (better || v != v) {
            best = v;
            arg = j;
        }
    }
    y[y_off + gid] = arg;
}
