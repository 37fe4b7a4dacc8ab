/* Data movement: strided copies (reshape, transpose, slice, concat, split,
 * expand), gather, gather_elements, pad and resize. */

#ifndef VEC
#define VEC 4 /* elements per work-item of copy_contig, strided by the global size */
#endif

#define NG_INT8_ARRAY(name, v) \
    int name[8] = {(v).s0, (v).s1, (v).s2, (v).s3, (v).s4, (v).s5, (v).s6, (v).s7}

/* y[y_off + i] = x[x_off + i]; epilogue index y_base + i. */
__kernel void copy_contig(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                          int n, int y_base, NG_EPI_PARAMS) {
    int gsize = get_global_size(0);
    int i = get_global_id(0);
    for (int v = 0; v < VEC; v++, i += gsize) {
        if (i >= n) return;
        NG_ST(y, y_off + i, NG_EPI_APPLY(NG_LD(x, x_off + i), y_base + i));
    }
}

#ifndef ROWS
#define ROWS 0 /* copy_strided: 1 (CPUs): a work-item copies a whole innermost row */
#endif

/* Iterates dims d (rank of them); element strides xs in x and ys in y. A
 * work-item copies element gid (ROWS 0), or innermost row gid, its position
 * found once instead of per element (ROWS 1); n counts either. */
__kernel void copy_strided(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                           int n, int y_base, int rank, int8 d, int8 xs, int8 ys, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    NG_INT8_ARRAY(dim, d);
    NG_INT8_ARRAY(xst, xs);
    NG_INT8_ARRAY(yst, ys);
    int xi = 0, yi = 0, q = gid;
    for (int k = rank - 1 - ROWS; k >= 0; k--) {
        int c = q % dim[k];
        q /= dim[k];
        xi += c * xst[k];
        yi += c * yst[k];
    }
#if ROWS
    const int len = dim[rank - 1], xl = xst[rank - 1], yl = yst[rank - 1];
    for (int j = 0; j < len; j++)
        NG_ST(y, y_off + yi + j * yl,
              NG_EPI_APPLY(NG_LD(x, x_off + xi + j * xl), y_base + yi + j * yl));
#else
    NG_ST(y, y_off + yi, NG_EPI_APPLY(NG_LD(x, x_off + xi), y_base + yi));
#endif
}

#ifndef IDX64
#define IDX64 0 /* 1: indices are int64, two little-endian int words each */
#endif

/* Index j of idx (int32, or with IDX64 an int64 whose high word must be the
 * low word's sign extension) for an axis of len, negative ones counting from
 * the end; -1 when out of range. */
static inline int ng_index_at(__global const int *idx, int j, int len) {
#if IDX64
    int id = idx[2 * j];
    if (idx[2 * j + 1] != (id >> 31)) return -1;
#else
    int id = idx[j];
#endif
    if (id < 0) id += len;
    return id < len ? id : -1;
}

/* Output (outer, n_idx, inner) from x (outer, axis_len, inner); idx_off in
 * int words. Out-of-range indices give 0. */
__kernel void gather(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                     __global const int *idx, int idx_off, int n, int n_idx, int axis_len,
                     int inner, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    int in = gid % inner, t = gid / inner;
    int j = t % n_idx, o = t / n_idx;
    int id = ng_index_at(idx + idx_off, j, axis_len);
    float v = id >= 0 ? NG_LD(x, x_off + (o * axis_len + id) * inner + in) : 0.0f;
    NG_ST(y, y_off + gid, NG_EPI_APPLY(v, gid));
}

/* GatherElements: output element gid (dims d, rank of them) reads x at
 * sum(c * xs) + idx[gid] * axis_stride (xs is 0 along the axis); idx_off in
 * int words. Out-of-range indices give 0. */
__kernel void gather_elements(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x,
                              int x_off, __global const int *idx, int idx_off, int n, int rank,
                              int8 d, int8 xs, int axis_len, int axis_stride, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    NG_INT8_ARRAY(dim, d);
    NG_INT8_ARRAY(xst, xs);
    int xi = 0, q = gid;
    for (int k = rank - 1; k >= 0; k--) {
        xi += q % dim[k] * xst[k];
        q /= dim[k];
    }
    int id = ng_index_at(idx + idx_off, gid, axis_len);
    float v = id >= 0 ? NG_LD(x, x_off + xi + id * axis_stride) : 0.0f;
    NG_ST(y, y_off + gid, NG_EPI_APPLY(v, gid));
}

#ifdef PD_RANK
/* Pad with its shape compiled in: PD_RANK dims, output dims PD_OD, input dims
 * PD_XD, leading pads PD_PB (may be negative), PD_MODE 0 constant, 1 reflect,
 * 2 edge; the loops unroll and divide by constants. */

/* Coordinate c of an axis of len (c may lie outside) folded per PD_MODE;
 * *inside = 0 when constant padding fills it. */
int pad_fold(int c, int len, int *inside) {
    if (c >= 0 && c < len) return c;
    if (PD_MODE == 0 || len == 0) {
        *inside = 0;
        return 0;
    }
    if (PD_MODE == 2) return clamp(c, 0, len - 1);
    if (len == 1) return 0;
    while (c < 0 || c >= len) c = c < 0 ? -c : 2 * (len - 1) - c;
    return c;
}

/* The input offset of output element q's coordinates along dims [0, last),
 * inner: the input elements per step of dim last - 1; *inside as pad_fold. */
int pad_source(int q, int last, int inner, int *inside) {
    const int odim[8] = {PD_OD}, xdim[8] = {PD_XD}, pbeg[8] = {PD_PB};
    int xi = 0, xstride = inner;
    for (int k = last - 1; k >= 0; k--) {
        int c = pad_fold(q % odim[k] - pbeg[k], xdim[k], inside);
        q /= odim[k];
        xi += c * xstride;
        xstride *= xdim[k];
    }
    return xi;
}

/* An element per work-item (n of them). */
__kernel void pad(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off, int n,
                  float value, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    int inside = 1, xi = pad_source(gid, PD_RANK, 1, &inside);
    float v = inside ? NG_LD(x, x_off + xi) : value;
    NG_ST(y, y_off + gid, NG_EPI_APPLY(v, gid));
}

/* CPUs: a work-item per innermost output row (n of them), its outer
 * coordinates decoded once, then a plain loop along the row (an element per
 * work-item took 30x onnxruntime's time on a [1, 65, 65, 64] NHWC Pad). */
__kernel void pad_rows(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                       int n, float value, NG_EPI_PARAMS) {
    const int row = get_global_id(0);
    if (row >= n) return;
    const int odim[8] = {PD_OD}, xdim[8] = {PD_XD}, pbeg[8] = {PD_PB};
    const int last = PD_RANK - 1, ow = odim[last], xw = xdim[last], pw = pbeg[last];
    int inside = 1, xi = pad_source(row, last, xw, &inside);
    __global const NG_FLOAT *xr = x + x_off + xi;
    const int yb = row * ow;
    for (int j = 0; j < ow; j++) {
        int in = inside, c = pad_fold(j - pw, xw, &in);
        float v = in ? NG_LD(xr, c) : value;
        NG_ST(y, y_off + yb + j, NG_EPI_APPLY(v, yb + j));
    }
}
#endif

#ifndef TAPS
#define TAPS 2 /* taps per resized dim: 1 nearest, 2 linear, 4 cubic */
#endif

/* Resize from per-dim tables the host computed (exactly as the reference):
 * dim k with toff[k] >= 0 reads entry toff[k] + c: TAPS clamped source
 * indices, then TAPS weights (float bits). Other dims keep their coordinate.
 * With RS_RANK defined, RS_OD, RS_XD and RS_TOFF list od, xd and toff. */
__kernel void resize(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off, int n,
                     int rank, int8 od, int8 xd, int8 toff, __global const int *tab,
                     NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
#ifdef RS_RANK /* shapes compiled in: the loops unroll, divisors are constants */
    rank = RS_RANK;
    const int odim[8] = {RS_OD}, xdim[8] = {RS_XD}, toffs[8] = {RS_TOFF};
#else
    NG_INT8_ARRAY(odim, od);
    NG_INT8_ARRAY(xdim, xd);
    NG_INT8_ARRAY(toffs, toff);
#endif
    int ent[8], rstr[8];
    int q = gid, s = 1, n_res = 0, base = 0, combos = 1;
    for (int k = rank - 1; k >= 0; k--) {
        int c = q % odim[k];
        q /= odim[k];
        if (toffs[k] < 0) {
            base += c * s;
        } else {
            ent[n_res] = (toffs[k] + c) * 2 * TAPS;
            rstr[n_res++] = s;
            combos *= TAPS;
        }
        s *= xdim[k];
    }
    float v = 0.0f;
    for (int t = 0; t < combos; t++) {
        int r = t, xi = base;
        float wt = 1.0f;
        for (int j = 0; j < n_res; j++) {
            int tap = r % TAPS;
            r /= TAPS;
            __global const int *e = tab + ent[j];
            xi += e[tap] * rstr[j];
            wt *= as_float(e[TAPS + tap]);
        }
        if (wt != 0.0f) v += wt * NG_LD(x, x_off + xi);
    }
    NG_ST(y, y_off + gid, NG_EPI_APPLY(v, gid));
}

#ifdef RS_ROW
/* Only the last two dims resized (ng_resize_table_planar: a kept one has
 * identity entries), none before (NCHW up- or down-sampling): a work-item
 * computes RS_ROW consecutive outputs of one output row, reading the row taps
 * once; each output combines TAPS x TAPS inputs with compiled-in trip counts
 * (the generic kernel above decodes every dim of every output).
 * global: (ceil(RS_OW / RS_ROW), RS_OH, planes). */
__kernel void resize_rows(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                          __global const int *tab, NG_EPI_PARAMS) {
    const int ox0 = get_global_id(0) * RS_ROW, oy = get_global_id(1), plane = get_global_id(2);
    __global const int *ey = tab + (RS_TOFF_H + oy) * 2 * TAPS;
    int row[TAPS];
    float wy[TAPS];
#pragma unroll
    for (int t = 0; t < TAPS; t++) {
        row[t] = ey[t] * RS_W;
        wy[t] = as_float(ey[TAPS + t]);
    }
    const int xbase = x_off + plane * RS_H * RS_W, ybase = (plane * RS_OH + oy) * RS_OW;
    for (int ox = ox0; ox < min(ox0 + RS_ROW, RS_OW); ox++) {
        __global const int *ex = tab + (RS_TOFF_W + ox) * 2 * TAPS;
        float v = 0.0f;
#pragma unroll
        for (int ty = 0; ty < TAPS; ty++) {
            float acc = 0.0f;
#pragma unroll
            for (int tx = 0; tx < TAPS; tx++)
                acc += as_float(ex[TAPS + tx]) * NG_LD(x, xbase + row[ty] + ex[tx]);
            v += wy[ty] * acc;
        }
        NG_ST(y, y_off + ybase + ox, NG_EPI_APPLY(v, ybase + ox));
    }
}
#endif

#ifdef GS_ND
/* GridSample (src/runtime/lower_grid_sample.h): output element gid, plane
 * gid / GS_OUT of [N * C] and point gid % GS_OUT, samples its plane of x at
 * the grid point of its batch. Compiled in: GS_ND spatial axes (2, 3) of
 * sizes GS_SIZE, outermost first (GS_IN elements a plane); TAPS 1 nearest,
 * 2 linear, 4 cubic; GS_PAD 0 zeros, 1 reflection, 2 border; GS_ALIGN; GS_C
 * channels. Computed in float (the reference: double). */
__constant int gs_size[3] = {GS_SIZE};

/* Folds v into [lo, hi] by reflecting at the borders. */
float gs_reflect(float v, float lo, float hi) {
    float range = hi - lo;
    if (range <= 0.0f) return lo;
    if (v >= lo && v <= hi) return v;
    float d = v < lo ? lo - v : v - hi;
    float k = floor(d / range), r = d - k * range;
    return (fmod(k, 2.0f) == 0.0f) == (v < lo) ? lo + r : hi - r;
}

/* The value at index idx of the plane at base, padded per GS_PAD. */
float gs_voxel(__global const NG_FLOAT *x, int base, const int *idx) {
    int off = 0;
    for (int d = 0; d < GS_ND; d++) {
        int i = idx[d], n = gs_size[d];
#if GS_PAD == 0
        if (i < 0 || i >= n) return 0.0f;
#elif GS_PAD == 1
        i = (int)gs_reflect((float)i, GS_ALIGN ? 0.0f : -0.5f, GS_ALIGN ? n - 1.0f : n - 0.5f);
#endif
        off = off * n + clamp(i, 0, n - 1);
    }
    return NG_LD(x, base + off);
}

/* Normalized g in [-1, 1] to a pixel coordinate along an axis of n; NaN and
 * far values held at +-1e7, outside any image. */
float gs_coord(float g, int n) {
    float v = GS_ALIGN ? (g + 1.0f) * 0.5f * (float)(n - 1) : ((g + 1.0f) * (float)n - 1.0f) * 0.5f;
    return isnan(v) ? 1e7f : clamp(v, -1e7f, 1e7f);
}

/* Keys' cubic convolution weights (A = -0.75) for the 4 taps around t. */
void gs_cubic(float t, float *c) {
    const float a = -0.75f;
    float x = t + 1.0f;
    c[0] = ((a * x - 5.0f * a) * x + 8.0f * a) * x - 4.0f * a;
    c[1] = ((a + 2.0f) * t - (a + 3.0f)) * t * t + 1.0f;
    x = 1.0f - t;
    c[2] = ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
    x = 2.0f - t;
    c[3] = ((a * x - 5.0f * a) * x + 8.0f * a) * x - 4.0f * a;
}

__kernel void grid_sample(__global NG_FLOAT *y, int y_off, __global const NG_FLOAT *x, int x_off,
                          __global const float *grid, int grid_off, int n, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= n) return;
    int plane = gid / GS_OUT, point = gid % GS_OUT;
    __global const float *gp = grid + grid_off + ((plane / GS_C) * GS_OUT + point) * GS_ND;
    const int base = x_off + plane * GS_IN;
    float pos[3];
    int idx[3];
    for (int d = 0; d < GS_ND; d++) pos[d] = gs_coord(gp[GS_ND - 1 - d], gs_size[d]);
    float v = 0.0f;
#if TAPS == 1
    for (int d = 0; d < GS_ND; d++) idx[d] = (int)rint(pos[d]);
    v = gs_voxel(x, base, idx);
#else
    int lo[3];
    float frac[3];
    for (int d = 0; d < GS_ND; d++) {
        float f = floor(pos[d]);
        lo[d] = (int)f;
        frac[d] = pos[d] - f;
    }
#if TAPS == 2
    for (int corner = 0; corner < 1 << GS_ND; corner++) {
        float w = 1.0f;
        for (int d = 0; d < GS_ND; d++) {
            int up = corner >> (GS_ND - 1 - d) & 1;
            idx[d] = lo[d] + up;
            w *= up ? frac[d] : 1.0f - frac[d];
        }
        v += w * gs_voxel(x, base, idx);
    }
#else /* cubic, 2-D */
    float cy[4], cx[4];
    gs_cubic(frac[0], cy);
    gs_cubic(frac[1], cx);
    for (int i = 0; i < 4; i++) {
        float row = 0.0f;
        idx[0] = lo[0] - 1 + i;
        for (int j = 0; j < 4; j++) {
            idx[1] = lo[1] - 1 + j;
            row += cx[j] * gs_voxel(x, base, idx);
        }
        v += cy[i] * row;
    }
#endif
#endif
    NG_ST(y, y_off + gid, NG_EPI_APPLY(v, gid));
}
#endif
