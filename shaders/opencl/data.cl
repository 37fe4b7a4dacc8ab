/* Data movement: strided copies (reshape, transpose, slice, concat, split,
 * expand), gather, pad and resize. */

#ifndef VEC
#define VEC 4 /* elements per work-item of copy_contig, strided by the global size */
#endif

#define NG_INT8_ARRAY(name, v) \
    int name[8] = {(v).s0, (v).s1, (v).s2, (v).s3, (v).s4, (v).s5, (v).s6, (v).s7}

/* y[y_off + i] = x[x_off + i]; epilogue index y_base + i. */
__kernel void copy_contig(__global float *y, int y_off, __global const float *x, int x_off,
                          int n, int y_base, NG_EPI_PARAMS) {
    int gsize = get_global_size(0);
    int i = get_global_id(0);
    for (int v = 0; v < VEC; v++, i += gsize) {
        if (i >= n) return;
        y[y_off + i] = NG_EPI_APPLY(x[x_off + i], y_base + i);
    }
}

/* Iterates dims d (rank of them); element strides xs in x and ys in y. */
__kernel void copy_strided(__global float *y, int y_off, __global const float *x, int x_off,
                           int n, int y_base, int rank, int8 d, int8 xs, int8 ys, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    NG_INT8_ARRAY(dim, d);
    NG_INT8_ARRAY(xst, xs);
    NG_INT8_ARRAY(yst, ys);
    int xi = 0, yi = 0, q = gid;
    for (int k = rank - 1; k >= 0; k--) {
        int c = q % dim[k];
        q /= dim[k];
        xi += c * xst[k];
        yi += c * yst[k];
    }
    y[y_off + yi] = NG_EPI_APPLY(x[x_off + xi], y_base + yi);
}

/* Output (outer, n_idx, inner) from x (outer, axis_len, inner); negative
 * indices count from the end, out-of-range ones give 0. */
__kernel void gather(__global float *y, int y_off, __global const float *x, int x_off,
                     __global const int *idx, int idx_off, int n, int n_idx, int axis_len,
                     int inner, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    int in = gid % inner, t = gid / inner;
    int j = t % n_idx, o = t / n_idx;
    int id = idx[idx_off + j];
    if (id < 0) id += axis_len;
    float v = (id >= 0 && id < axis_len) ? x[x_off + (o * axis_len + id) * inner + in] : 0.0f;
    y[y_off + gid] = NG_EPI_APPLY(v, gid);
}

/* mode 0 constant, 1 reflect, 2 edge; pb: leading pads (may be negative). */
__kernel void pad(__global float *y, int y_off, __global const float *x, int x_off, int n,
                  int rank, int8 od, int8 xd, int8 pb, int mode, float value, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    NG_INT8_ARRAY(odim, od);
    NG_INT8_ARRAY(xdim, xd);
    NG_INT8_ARRAY(pbeg, pb);
    int xi = 0, xstride = 1, q = gid, inside = 1;
    for (int k = rank - 1; k >= 0; k--) {
        int c = q % odim[k] - pbeg[k], len = xdim[k];
        q /= odim[k];
        if (c < 0 || c >= len) {
            if (mode == 0 || len == 0) {
                inside = 0;
            } else if (mode == 2) {
                c = clamp(c, 0, len - 1);
            } else if (len == 1) {
                c = 0;
            } else {
                while (c < 0 || c >= len) c = c < 0 ? -c : 2 * (len - 1) - c;
            }
        }
        xi += c * xstride;
        xstride *= len;
    }
    float v = inside ? x[x_off + xi] : value;
    y[y_off + gid] = NG_EPI_APPLY(v, gid);
}

/* coordinate modes */
#define NG_CTM_HALF_PIXEL 0
#define NG_CTM_ASYMMETRIC 1
#define NG_CTM_ALIGN_CORNERS 2
#define NG_CTM_PYTORCH_HALF_PIXEL 3
#define NG_CTM_HALF_PIXEL_SYMMETRIC 4

float ng_resize_coord(int ctm, float o, float scale, int in_len, int out_len) {
    switch (ctm) {
    case NG_CTM_ASYMMETRIC: return o / scale;
    case NG_CTM_ALIGN_CORNERS:
        return out_len == 1 ? 0.0f : o * (float)(in_len - 1) / (float)(out_len - 1);
    case NG_CTM_PYTORCH_HALF_PIXEL: return out_len == 1 ? -0.5f : (o + 0.5f) / scale - 0.5f;
    case NG_CTM_HALF_PIXEL_SYMMETRIC: {
        float adj = (float)out_len / (scale * (float)in_len);
        return (float)in_len * 0.5f * (1.0f - adj) + (o + 0.5f) / scale - 0.5f;
    }
    default: return (o + 0.5f) / scale - 0.5f;
    }
}

/* nearest modes: 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil */
int ng_nearest(float xf, int nearest_mode) {
    float f = floor(xf);
    float r = xf - f;
    if (r == 0.0f) return (int)f;
    switch (nearest_mode) {
    case 1: return (int)(r >= 0.5f ? f + 1.0f : f);
    case 2: return (int)f;
    case 3: return (int)f + 1;
    default: return (int)(r > 0.5f ? f + 1.0f : f);
    }
}

/* linear: 0 nearest, 1 (N-)linear over the resized dims. Dims in `ident`
 * (a bit mask) keep their coordinate. */
__kernel void resize(__global float *y, int y_off, __global const float *x, int x_off, int n,
                     int rank, int8 od, int8 xd, float8 sc, int ident, int linear, int ctm,
                     int nearest_mode, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    NG_INT8_ARRAY(odim, od);
    NG_INT8_ARRAY(xdim, xd);
    float scale[8] = {sc.s0, sc.s1, sc.s2, sc.s3, sc.s4, sc.s5, sc.s6, sc.s7};
    int i0[8], i1[8];
    float w[8];
    int xstr[8];
    int q = gid, s = 1, n_lin = 0, lin_dim[8];
    for (int k = rank - 1; k >= 0; k--) {
        int c = q % odim[k], len = xdim[k];
        q /= odim[k];
        xstr[k] = s;
        s *= len;
        i0[k] = i1[k] = c;
        w[k] = 0.0f;
        if (ident & (1 << k)) continue;
        float xf = ng_resize_coord(ctm, (float)c, scale[k], len, odim[k]);
        if (linear) {
            float f = floor(xf);
            w[k] = xf - f;
            i0[k] = clamp((int)f, 0, len - 1);
            i1[k] = clamp((int)f + 1, 0, len - 1);
            lin_dim[n_lin++] = k;
        } else {
            i0[k] = clamp(ng_nearest(xf, nearest_mode), 0, len - 1);
        }
    }
    int base = 0;
    for (int k = 0; k < rank; k++) base += i0[k] * xstr[k];
    float v;
    if (n_lin == 0) {
        v = x[x_off + base];
    } else {
        v = 0.0f;
        for (int corner = 0; corner < (1 << n_lin); corner++) {
            float wt = 1.0f;
            int xi = base;
            for (int j = 0; j < n_lin; j++) {
                int k = lin_dim[j];
                if (corner & (1 << j)) {
                    wt *= w[k];
                    xi += (i1[k] - i0[k]) * xstr[k];
                } else {
                    wt *= 1.0f - w[k];
                }
            }
            if (wt != 0.0f) v += wt * x[x_off + xi];
        }
    }
    y[y_off + gid] = NG_EPI_APPLY(v, gid);
}
