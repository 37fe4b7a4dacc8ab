/* LayerNormalization, InstanceNormalization, GroupNormalization: one
 * work-group per normalized row of len elements (mean, then the variance of
 * x - mean, in local memory), then y = (x - mean) * invstd * scale + bias,
 * then the epilogue. Scale/bias element of row r, position j:
 * (r % R) * CG + j / SP (LayerNorm: R 1, CG 0, SP 1 -> j; InstanceNorm:
 * R = C, CG 1, SP = spatial -> channel; GroupNorm: R = groups, CG = C/groups). */

#ifndef WG
#define WG 64 /* work-group size (a power of two) */
#endif

/* The sum of v over the work-group (every item gets it). */
static inline float ng_wg_sum(float v, __local float *red) {
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void norm_rows(__global float *y, int y_off, __global const float *x, int x_off,
               __global const float *scale, __global const float *bias, int len, int R, int CG,
               int SP, float eps, NG_EPI_PARAMS) {
    __local float red[WG];
    int row = get_group_id(0), lid = get_local_id(0);
    int base = row * len;
    __global const float *xr = x + x_off + base;
    float s = 0.0f;
    for (int j = lid; j < len; j += WG) s += xr[j];
    float mean = ng_wg_sum(s, red) / (float)len;
    float q = 0.0f;
    for (int j = lid; j < len; j += WG) {
        float d = xr[j] - mean;
        q += d * d;
    }
    float inv = rsqrt(ng_wg_sum(q, red) / (float)len + eps);
    int sbase = (row % R) * CG;
    for (int j = lid; j < len; j += WG) {
        int si = sbase + j / SP;
        y[y_off + base + j] = NG_EPI_APPLY((xr[j] - mean) * inv * scale[si] + bias[si], base + j);
    }
}

/* LRN across channels: one work-item per element of an (N, C, SP) view;
 * y = x / (bias + alpha / size * sum of x^2 over channels c-lo..c+hi)^beta. */
__kernel void lrn(__global float *y, int y_off, __global const float *x, int x_off, int total,
                  int C, int SP, int lo, int hi, float alpha_n, float beta, float bias,
                  NG_EPI_PARAMS) {
    int i = get_global_id(0);
    if (i >= total) return;
    int c = (i / SP) % C, base = x_off + i - c * SP;
    int c0 = max(c - lo, 0), c1 = min(c + hi, C - 1);
    float sq = 0.0f;
    for (int k = c0; k <= c1; k++) {
        float v = x[base + k * SP];
        sq += v * v;
    }
    y[y_off + i] = NG_EPI_APPLY(x[x_off + i] * pow(bias + alpha_n * sq, -beta), i);
}

#ifdef LRN_VEC
/* LRN on CPUs: a work-item computes LRN_VEC neighbouring positions of one
 * (n, c) plane as a vector (the plane's last vector shifted back to end at
 * SP; planes shorter than a vector one position at a time), each window
 * channel one vector load. global: (ceil(SP / LRN_VEC), C, N). */
#define LVT NG_CAT(float, LRN_VEC)
__kernel void lrn_vec(__global float *y, int y_off, __global const float *x, int x_off, int total,
                      int C, int SP, int lo, int hi, float alpha_n, float beta, float bias,
                      NG_EPI_PARAMS) {
    const int c = get_global_id(1), n = get_global_id(2);
    const int c0 = max(c - lo, 0), c1 = min(c + hi, C - 1);
    const int plane = (n * C + c) * SP;
    if (SP < LRN_VEC) {
        for (int p = get_global_id(0); p < SP; p++) { /* global size 1 along SP */
            float sq = 0.0f;
            for (int k = c0; k <= c1; k++) {
                const float v = x[x_off + (n * C + k) * SP + p];
                sq += v * v;
            }
            y[y_off + plane + p] =
                NG_EPI_APPLY(x[x_off + plane + p] * pow(bias + alpha_n * sq, -beta), plane + p);
        }
        return;
    }
    const int p = min((int)get_global_id(0) * LRN_VEC, SP - LRN_VEC);
    LVT sq = (LVT)(0.0f);
    for (int k = c0; k <= c1; k++) {
        const LVT v = NG_CAT(vload, LRN_VEC)(0, x + x_off + (n * C + k) * SP + p);
        sq = mad(v, v, sq);
    }
    /* bias + alpha_n * sq > 0: x^-beta as exp2(-beta * log2(x)) */
    const LVT r = NG_CAT(vload, LRN_VEC)(0, x + x_off + plane + p) *
                  exp2(-beta * log2((LVT)(bias) + alpha_n * sq));
    ROW_STORE(LRN_VEC, r, plane + p);
}
#endif
