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

#ifndef RV
#define RV 8 /* softmax_rowvec's vector width */
#endif
#define RV_FLOAT NG_SCAT(float, RV)

/* inner == 1 on CPUs: a work-item per row of rows, RV-wide loads, each exp
 * computed once and kept in y until the sum is known (fp16 storage computes
 * it again instead of rounding it twice). softmax_rows' work-group per row
 * costs POCL a barrier region per reduction step: 10x onnxruntime's time on
 * [1920, 480]. */
__kernel void softmax_rowvec(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                             int rows, int len, NG_EPI_PARAMS) {
    int row = get_global_id(0);
    if (row >= rows) return;
    const int base = row * len, nv = len / RV, keep = !NG_F16 && !LOG;
    __global const NG_FLOAT *xr = x + x_off + base;
    __global NG_FLOAT *yr = y + y_off + base;
    float part[RV];
    RV_FLOAT mv = (RV_FLOAT)(-INFINITY);
    for (int v = 0; v < nv; v++) mv = fmax(mv, NG_LDV(RV, v, xr));
    NG_SCAT(vstore, RV)(mv, 0, part);
    float m = -INFINITY;
    for (int i = 0; i < RV; i++) m = fmax(m, part[i]);
    for (int j = nv * RV; j < len; j++) m = fmax(m, NG_LD(xr, j));
    RV_FLOAT sv = (RV_FLOAT)(0.0f);
    for (int v = 0; v < nv; v++) {
        RV_FLOAT e = exp(NG_LDV(RV, v, xr) - m);
        if (keep) NG_STV(RV, e, v, yr);
        sv += e;
    }
    NG_SCAT(vstore, RV)(sv, 0, part);
    float sum = 0.0f;
    for (int i = 0; i < RV; i++) sum += part[i];
    for (int j = nv * RV; j < len; j++) {
        float e = exp(NG_LD(xr, j) - m);
        if (keep) NG_ST(yr, j, e);
        sum += e;
    }
    const float inv = 1.0f / sum, lse = m + log(sum);
    for (int j = 0; j < len; j++) {
        float v = LOG ? NG_LD(xr, j) - lse : (keep ? NG_LD(yr, j) : exp(NG_LD(xr, j) - m)) * inv;
        NG_ST(y, y_off + base + j, NG_EPI_APPLY(v, base + j));
    }
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
