/* ReduceSum / ReduceMean / ReduceMax, then the epilogue. */

#ifndef RED
#define RED 0 /* 0 sum, 1 mean, 2 max */
#endif
#ifndef WG
#define WG 64 /* work-group size of reduce_rows (a power of two) */
#endif

#if RED == 2
#define RED_INIT (-INFINITY)
#define RED_ADD(acc, v) fmax((acc), (v))
#else
#define RED_INIT 0.0f
#define RED_ADD(acc, v) ((acc) + (v))
#endif
#if RED == 1
#define RED_FINAL(acc, n) ((acc) / (float)(n))
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
    for (int j = lid; j < len; j += WG) acc = RED_ADD(acc, xr[j]);
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
    for (int j = 0; j < len; j++) acc = RED_ADD(acc, xr[j * inner]);
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
        acc = RED_ADD(acc, x[x_off + base + off]);
        for (int k = nr - 1; k >= 0; k--) { /* next reduced coordinate */
            off += rstr[k];
            if (++c[k] < rdim[k]) break;
            off -= rstr[k] * rdim[k];
            c[k] = 0;
        }
    }
    y[y_off + gid] = NG_EPI_APPLY(RED_FINAL(acc, len), gid);
}
