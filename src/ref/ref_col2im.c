/* Col2Im (opset 18): the inverse of im2col, summing overlapping blocks.
 * input [N, C * prod(block), L] with L the block positions over the padded
 * image; output [N, C, image...]. Any number of spatial dims (PyTorch's
 * nn.Fold: 2). Devices fall back to it. */
#include <string.h>

#include "ref_internal.h"

nngpu_status ng_ref_col2im_params(const ng_graph *g, const ng_node *n, ng_col2im_params *p) {
    const ng_tensor *x = ng_in(g, n, 0), *im = ng_in(g, n, 1), *bl = ng_in(g, n, 2);
    if (!ng_ref_is_float(x->dtype)) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "input '%s' must be float", x->name);
    if (!im || !bl || !im->data || !bl->data || im->rank != 1 || bl->rank != 1 || im->dims[0] != bl->dims[0] ||
        im->dims[0] < 1 || im->dims[0] > NNGPU_MAX_DIMS - 2)
        return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "image_shape and block_shape must be constants of one length");
    int sp = p->spatial = (int)im->dims[0];
    const int64_t *v;
    int c;
    int64_t blocks = 1, positions = 1;
    for (int d = 0; d < sp; d++) {
        p->image[d] = ng_ref_ldi(im->dtype, im->data, d);
        p->block[d] = ng_ref_ldi(bl->dtype, bl->data, d);
        p->dil[d] = p->stride[d] = 1;
        p->pad[d] = p->pad[sp + d] = 0;
    }
    if ((c = ng_attr_ints(n, "dilations", &v)) == sp) memcpy(p->dil, v, sizeof(int64_t) * (size_t)sp);
    if ((c = ng_attr_ints(n, "strides", &v)) == sp) memcpy(p->stride, v, sizeof(int64_t) * (size_t)sp);
    if ((c = ng_attr_ints(n, "pads", &v)) == 2 * sp) memcpy(p->pad, v, sizeof(int64_t) * (size_t)(2 * sp));
    for (int d = 0; d < sp; d++) {
        int64_t span = p->dil[d] * (p->block[d] - 1) + 1;
        int64_t room = p->image[d] + p->pad[d] + p->pad[sp + d] - span;
        if (p->image[d] < 1 || p->block[d] < 1 || p->dil[d] < 1 || p->stride[d] < 1 || room < 0)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "block %lld does not fit image dim %d (%lld)",
                              (long long)p->block[d], d, (long long)p->image[d]);
        p->count[d] = room / p->stride[d] + 1;
        blocks *= p->block[d];
        positions *= p->count[d];
    }
    if (x->rank != 3 || x->dims[1] % blocks || x->dims[2] != positions)
        return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "input '%s' must be [N, C * %lld, %lld]", x->name,
                          (long long)blocks, (long long)positions);
    p->blocks = blocks;
    p->positions = positions;
    return NNGPU_OK;
}

nngpu_status ng_ref_col2im(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    ng_col2im_params p;
    NG_CHECK(ng_ref_col2im_params(g, n, &p));
    int sp = p.spatial;
    int64_t pixels = 1, planes = x->dims[0] * (x->dims[1] / p.blocks), row[NNGPU_MAX_DIMS];
    for (int d = sp - 1; d >= 0; d--) { /* the image's strides */
        row[d] = pixels;
        pixels *= p.image[d];
    }
    for (int64_t i = 0; i < planes * pixels; i++) ng_ref_std(y->dtype, out[0], i, 0);
    for (int64_t plane = 0; plane < planes; plane++)
        for (int64_t b = 0; b < p.blocks; b++)
            for (int64_t l = 0; l < p.positions; l++) {
                int64_t at = 0, rb = b, rl = l, inside = 1;
                for (int d = sp - 1; d >= 0; d--) { /* offsets of block element b, position l */
                    int64_t ob = rb % p.block[d], ol = rl % p.count[d];
                    rb /= p.block[d];
                    rl /= p.count[d];
                    int64_t pos = ol * p.stride[d] - p.pad[d] + ob * p.dil[d];
                    inside &= pos >= 0 && pos < p.image[d];
                    at += pos * row[d];
                }
                if (!inside) continue;
                int64_t yi = plane * pixels + at, xi = (plane * p.blocks + b) * p.positions + l;
                ng_ref_std(y->dtype, out[0], yi, ng_ref_ldd(y->dtype, out[0], yi) + ng_ref_ldd(x->dtype, in[0], xi));
            }
    return NNGPU_OK;
}
