/* ONNX DeformConv (opset 19, 2-D) as standard ops, its input shapes known.
 * Output point (oy, ox) of kernel tap k = (i, j) reads X at
 *   (oy * stride_h - pad_top + i * dilation_h + offset[.., 2k, oy, ox],
 *    ox * stride_w - pad_left + j * dilation_w + offset[.., 2k + 1, oy, ox])
 * bilinearly, zero outside the image, scaled by mask[.., k, oy, ox]; each
 * offset group's channels read its own offsets. That is a GridSample (zeros,
 * align_corners 0) of X seen as [N * G, C / G, H, W] on a grid of
 * [N * G, K * OH, OW] points, which gives the im2col columns; the
 * convolution is then a (grouped) MatMul of the weights with them:
 *   grid = Transpose(offset (x, y swapped)) * 2 / size + base   (base: constant)
 *   cols = GridSample(X, grid) [* mask]   -> [N, group, C / group * K, OH * OW]
 *   Y = MatMul(W [group, M / group, C / group * K], cols) + B
 * Device kernels run every piece (the sampling is the data family's
 * grid_sample). Reference: onnx/reference/ops/op_deform_conv.py. */
#include <stdlib.h>

#include "core/status.h"
#include "expand.h"

static nngpu_status bad(const ng_node *n, const char *what) {
    return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (DeformConv): %s", n->name, what);
}

/* 2 ints of attribute name (default dflt), or pads' 4. */
static int attr2(const ng_node *n, const char *name, int count, int64_t dflt, int64_t *v) {
    for (int k = 0; k < count; k++) v[k] = dflt;
    const int64_t *a;
    int have = ng_attr_ints(n, name, &a);
    if (have == 0) return 1;
    if (have != count) return 0;
    for (int k = 0; k < count; k++) v[k] = a[k];
    return 1;
}

/* The grid's constant part [K, OH, OW, 2] (x, y): each tap's undeformed
 * position, normalized for align_corners 0 (g = (2p + 1) / size - 1). */
static int base_grid(ng_builder *e, const int64_t *kernel, const int64_t *out, const int64_t *in,
                     const int64_t *stride, const int64_t *pad, const int64_t *dil) {
    int64_t K = kernel[0] * kernel[1], dims[4] = {K, out[0], out[1], 2};
    float *v = malloc(sizeof *v * (size_t)(K * out[0] * out[1] * 2));
    if (!v) return e->ok = 0, -1;
    float *p = v;
    for (int64_t i = 0; i < kernel[0]; i++)
        for (int64_t j = 0; j < kernel[1]; j++)
            for (int64_t oy = 0; oy < out[0]; oy++)
                for (int64_t ox = 0; ox < out[1]; ox++) {
                    double y = (double)(oy * stride[0] - pad[0] + i * dil[0]);
                    double x = (double)(ox * stride[1] - pad[1] + j * dil[1]);
                    *p++ = (float)((2 * x + 1) / (double)in[1] - 1);
                    *p++ = (float)((2 * y + 1) / (double)in[0] - 1);
                }
    int t = ng_nb_const_f(e, "base_grid", NNGPU_DTYPE_FLOAT32, 4, dims, v);
    free(v);
    return t;
}

nngpu_status ng_expand_deform_conv(ng_builder *e, const ng_node *n) {
    ng_graph *g = e->g;
    int x = n->n_in > 0 ? n->in[0] : -1, w = n->n_in > 1 ? n->in[1] : -1;
    int off = n->n_in > 2 ? n->in[2] : -1, b = n->n_in > 3 ? n->in[3] : -1;
    int mask = n->n_in > 4 ? n->in[4] : -1, y = n->n_out > 0 ? n->out[0] : -1;
    if (x < 0 || w < 0 || off < 0 || y < 0) return bad(n, "X, W, offset and Y are required");
    const ng_tensor *X = &g->tensors[x], *W = &g->tensors[w], *O = &g->tensors[off];
    if (X->dtype != NNGPU_DTYPE_FLOAT32 || W->dtype != X->dtype || O->dtype != X->dtype)
        return bad(n, "X, W and offset must be float32");
    if (X->rank != 4 || W->rank != 4 || O->rank != 4) return bad(n, "X, W and offset must be 4-D (2-D convolution)");
    int64_t N = X->dims[0], C = X->dims[1], in[2] = {X->dims[2], X->dims[3]};
    int64_t M = W->dims[0], group = ng_attr_int(n, "group", 1), G = ng_attr_int(n, "offset_group", 1);
    int64_t kernel[2], stride[2], dil[2], pads[4];
    if (!attr2(n, "kernel_shape", 2, 0, kernel) || !attr2(n, "strides", 2, 1, stride) ||
        !attr2(n, "dilations", 2, 1, dil) || !attr2(n, "pads", 4, 0, pads))
        return bad(n, "kernel_shape, strides and dilations need 2 values, pads 4");
    if (!ng_attr_find(n, "kernel_shape")) kernel[0] = W->dims[2], kernel[1] = W->dims[3];
    if (kernel[0] != W->dims[2] || kernel[1] != W->dims[3]) return bad(n, "kernel_shape differs from W's");
    if (group < 1 || G < 1 || C % group || M % group || C % G || W->dims[1] != C / group)
        return bad(n, "W must be [M, C / group, kH, kW] with group and offset_group dividing C (and group M)");
    int64_t out[2], K = kernel[0] * kernel[1];
    for (int a = 0; a < 2; a++) {
        if (stride[a] < 1 || dil[a] < 1) return bad(n, "strides and dilations must be >= 1");
        int64_t span = dil[a] * (kernel[a] - 1) + 1, room = in[a] + pads[a] + pads[a + 2] - span;
        if (room < 0) return bad(n, "the kernel is larger than the padded input");
        out[a] = room / stride[a] + 1;
    }
    const int64_t want_off[4] = {N, G * K * 2, out[0], out[1]};
    for (int a = 0; a < 4; a++)
        if (O->dims[a] != want_off[a]) return bad(n, "offset must be [N, offset_group * kH * kW * 2, oH, oW]");
    if (mask >= 0) {
        const ng_tensor *Mk = &g->tensors[mask];
        const int64_t want[4] = {N, G * K, out[0], out[1]};
        if (Mk->dtype != X->dtype || Mk->rank != 4) return bad(n, "mask must be float32 [N, offset_group * kH * kW, oH, oW]");
        for (int a = 0; a < 4; a++)
            if (Mk->dims[a] != want[a]) return bad(n, "mask must be [N, offset_group * kH * kW, oH, oW]");
    }
    if (b >= 0 && (g->tensors[b].rank != 1 || g->tensors[b].dims[0] != M)) return bad(n, "B must be [M]");
    const int64_t L = out[0] * out[1];
    /* grid [N * G, K * OH, OW, 2]: offsets (dy, dx) swapped to (x, y), moved
     * last, scaled to the normalized range, plus the taps' base positions */
    const int64_t pairs[6] = {N, G, K, 2, out[0], out[1]}, swap[2] = {1, 0}, to_last[6] = {0, 1, 2, 4, 5, 3};
    const int gather_in[2] = {ng_nb_reshape(e, off, 6, pairs), ng_nb_ints(e, "xy", 2, swap)};
    int xy = ng_nb_node(e, NG_OP_GATHER, "offset_xy", 2, gather_in, -1);
    ng_nb_attr_int(e, "axis", 3);
    const float scale[2] = {2.0f / (float)in[1], 2.0f / (float)in[0]};
    const int64_t two = 2;
    int moved = ng_nb_transpose(e, xy, 6, to_last, -1);
    int scaled = ng_nb_binary(e, NG_OP_MUL, moved, ng_nb_const_f(e, "scale", NNGPU_DTYPE_FLOAT32, 1, &two, scale), -1);
    int grid = ng_nb_binary(e, NG_OP_ADD, scaled, base_grid(e, kernel, out, in, stride, pads, dil), -1);
    const int64_t grid_dims[4] = {N * G, K * out[0], out[1], 2}, planes[4] = {N * G, C / G, in[0], in[1]};
    const int sample_in[2] = {ng_nb_reshape(e, x, 4, planes), ng_nb_reshape(e, grid, 4, grid_dims)};
    int cols = ng_nb_node(e, NG_OP_GRIDSAMPLE, "columns", 2, sample_in, -1); /* [N*G, C/G, K*OH, OW] */
    if (mask >= 0) {
        const int64_t cd[5] = {N, G, C / G, K, L}, md[5] = {N, G, 1, K, L};
        cols = ng_nb_binary(e, NG_OP_MUL, ng_nb_reshape(e, cols, 5, cd), ng_nb_reshape(e, mask, 5, md), -1);
    }
    const int64_t cols_dims[4] = {N, group, C / group * K, L}, wd[3] = {group, M / group, C / group * K};
    int prod = ng_nb_binary(e, NG_OP_MATMUL, ng_nb_reshape(e, w, 3, wd), ng_nb_reshape(e, cols, 4, cols_dims), -1);
    const int64_t yd[4] = {N, M, out[0], out[1]}, bd[3] = {M, 1, 1};
    if (b < 0) {
        ng_nb_binary(e, NG_OP_RESHAPE, prod, ng_nb_ints(e, "shape", 4, yd), y);
        return NNGPU_OK;
    }
    ng_nb_binary(e, NG_OP_ADD, ng_nb_reshape(e, prod, 4, yd), ng_nb_reshape(e, b, 3, bd), y);
    return NNGPU_OK;
}
