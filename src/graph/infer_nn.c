/* Shape inference: normalizations (LRN too), ConvTranspose, Einsum, ArgMax/ArgMin, TopK, CumSum,
 * GridSample, RoiAlign, ReverseSequence, MaxUnpool. */
#include <string.h>

#include "infer_internal.h"
#include "ref/ref.h"

#define MAXD NNGPU_MAX_DIMS
#define ERR(...) ng_infer_err(n, __VA_ARGS__)

static int is_float(nngpu_dtype t) {
    return t == NNGPU_DTYPE_FLOAT32 || t == NNGPU_DTYPE_FLOAT16 || t == NNGPU_DTYPE_FLOAT64;
}

/* 1 when shape a broadcasts (unidirectionally) to shape b; extra leading
 * dims of a must be 1 (a LayerNorm scale [1, E] over rows of E). */
static int bcast_to(int ra, const int64_t *a, int rb, const int64_t *b) {
    for (; ra > rb; a++, ra--)
        if (a[0] != 1) return 0;
    for (int i = 0; i < ra; i++)
        if (a[i] != b[rb - ra + i] && a[i] != 1) return 0;
    return 1;
}

static nngpu_status infer_layernorm(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *s, *b = ng_infer_opt(g, n, 2);
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &s));
    if (!is_float(x->dtype)) return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    int ax = ng_axis(ng_attr_int(n, "axis", -1), x->rank);
    if (ax < 0) return ERR(NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    const int64_t *nd = x->dims + ax;
    int nr = x->rank - ax;
    if (!bcast_to(s->rank, s->dims, nr, nd))
        return ERR(NNGPU_ERR_INVALID_ARG, "scale '%s' does not broadcast to the normalized dims", s->name);
    if (b && (b->rank < 0 || !bcast_to(b->rank, b->dims, nr, nd)))
        return ERR(NNGPU_ERR_INVALID_ARG, "bias '%s' does not broadcast to the normalized dims", b->name);
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, x->dims);
    int64_t d[MAXD];
    for (int i = 0; i < x->rank; i++) d[i] = i < ax ? x->dims[i] : 1;
    nngpu_dtype st = ng_attr_int(n, "stash_type", 1) == 1 ? NNGPU_DTYPE_FLOAT32 : x->dtype;
    ng_infer_set_out(g, n, 1, st, x->rank, d);
    ng_infer_set_out(g, n, 2, st, x->rank, d);
    return NNGPU_OK;
}

/* InstanceNormalization (scale, B: [C]) and GroupNormalization (scale, bias:
 * [num_groups] before opset 21, [C] from 21; either is accepted). */
static nngpu_status infer_channel_norm(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *s, *b;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &s));
    NG_CHECK(ng_infer_need(g, n, 2, &b));
    if (x->rank < 2) return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs >= 2", x->name, x->rank);
    if (!is_float(x->dtype)) return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    int64_t c = x->dims[1];
    if (n->op == NG_OP_GROUPNORM) {
        int64_t ng = ng_attr_int(n, "num_groups", 0);
        if (ng < 1 || c % ng)
            return ERR(NNGPU_ERR_INVALID_ARG, "num_groups %lld does not divide %lld channels", (long long)ng, (long long)c);
        for (int i = 1; i <= 2; i++) {
            const ng_tensor *p = i == 1 ? s : b;
            if (p->rank != 1 || (p->dims[0] != c && p->dims[0] != ng))
                return ERR(NNGPU_ERR_INVALID_ARG, "parameter '%s' must be [%lld] or [%lld]", p->name, (long long)c, (long long)ng);
        }
    } else {
        for (int i = 1; i <= 2; i++) {
            const ng_tensor *p = i == 1 ? s : b;
            if (p->rank != 1 || p->dims[0] != c)
                return ERR(NNGPU_ERR_INVALID_ARG, "parameter '%s' must be [%lld]", p->name, (long long)c);
        }
    }
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

/* Python's floor division (the ONNX reference splits negative totals so). */
static int64_t floordiv2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

nngpu_status ng_infer_convtranspose(const ng_graph *g, const ng_node *n, ng_window *w) {
    const ng_tensor *x, *wt;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &wt));
    if (x->rank < 3) return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs >= 3", x->name, x->rank);
    if (wt->rank != x->rank)
        return ERR(NNGPU_ERR_INVALID_ARG, "weight '%s' has rank %d, input has %d", wt->name, wt->rank, x->rank);
    int ns = x->rank - 2;
    memset(w, 0, sizeof *w);
    w->ns = ns;
    int64_t op[MAXD] = {0}, os[MAXD];
    const int64_t *p;
    int c, n_os = 0;
    for (int i = 0; i < ns; i++) {
        w->in[i] = x->dims[2 + i];
        w->k[i] = wt->dims[2 + i];
        w->s[i] = w->d[i] = 1;
    }
    if ((c = ng_attr_ints(n, "kernel_shape", &p)) != 0) {
        if (c != ns) return ERR(NNGPU_ERR_INVALID_ARG, "kernel_shape has %d values for %d spatial dims", c, ns);
        for (int i = 0; i < ns; i++)
            if (p[i] != w->k[i]) return ERR(NNGPU_ERR_INVALID_ARG, "kernel_shape disagrees with weight '%s'", wt->name);
    }
    static const char *lists[] = {"strides", "dilations", "output_padding", "output_shape"};
    for (int l = 0; l < 4; l++) {
        if ((c = ng_attr_ints(n, lists[l], &p)) == 0) continue;
        if (l == 3 && c == ns + 2) { /* full shape given: keep the spatial part */
            p += 2;
            c = ns;
        }
        if (c != ns) return ERR(NNGPU_ERR_INVALID_ARG, "%s has %d values for %d spatial dims", lists[l], c, ns);
        for (int i = 0; i < ns; i++) {
            if (l == 0) w->s[i] = p[i];
            else if (l == 1) w->d[i] = p[i];
            else if (l == 2) op[i] = p[i];
            else os[i] = p[i];
        }
        if (l == 3) n_os = ns;
    }
    for (int i = 0; i < ns; i++)
        if (w->s[i] < 1 || w->d[i] < 1 || w->k[i] < 1 || op[i] < 0)
            return ERR(NNGPU_ERR_INVALID_ARG, "strides, dilations and kernel dims must be >= 1, output_padding >= 0");
    const char *ap = ng_attr_string(n, "auto_pad", "NOTSET");
    int same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");
    if (!same && strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) return ERR(NNGPU_ERR_UNSUPPORTED, "auto_pad '%s'", ap);
    if (!same && (c = ng_attr_ints(n, "pads", &p)) != 0) {
        if (c != 2 * ns) return ERR(NNGPU_ERR_INVALID_ARG, "pads has %d values for %d spatial dims", c, ns);
        for (int i = 0; i < ns; i++) {
            w->pb[i] = p[i];
            w->pe[i] = p[ns + i];
            if (p[i] < 0 || p[ns + i] < 0) return ERR(NNGPU_ERR_INVALID_ARG, "negative pads");
        }
    }
    for (int i = 0; i < ns; i++) {
        int64_t full = w->s[i] * (w->in[i] - 1) + op[i] + (w->k[i] - 1) * w->d[i] + 1;
        if (same) {
            int64_t o = n_os ? os[i] : w->in[i] * w->s[i];
            int64_t total = full - o;
            int64_t half = floordiv2(total);
            w->pb[i] = ap[5] == 'U' ? half : total - half;
            w->pe[i] = total - w->pb[i];
            w->out[i] = o;
        } else {
            w->out[i] = n_os ? os[i] : full - w->pb[i] - w->pe[i];
        }
        if (w->out[i] < 1) return ERR(NNGPU_ERR_INVALID_ARG, "output spatial dim %d would be %lld", i, (long long)w->out[i]);
    }
    return NNGPU_OK;
}

static nngpu_status infer_convtranspose(ng_graph *g, ng_node *n) {
    ng_window w;
    NG_CHECK(ng_infer_convtranspose(g, n, &w));
    const ng_tensor *x = ng_in(g, n, 0), *wt = ng_in(g, n, 1), *b = ng_infer_opt(g, n, 2);
    int64_t group = ng_attr_int(n, "group", 1);
    if (!is_float(x->dtype)) return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    if (group < 1 || x->dims[1] % group || wt->dims[0] != x->dims[1])
        return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has %lld channels, weight '%s' is [%lld, %lld, ...] with group %lld",
                   x->name, (long long)x->dims[1], wt->name, (long long)wt->dims[0], (long long)wt->dims[1], (long long)group);
    int64_t m = wt->dims[1] * group;
    if (b && (b->rank != 1 || b->dims[0] != m)) return ERR(NNGPU_ERR_INVALID_ARG, "bias '%s' must be [%lld]", b->name, (long long)m);
    int64_t d[MAXD] = {x->dims[0], m};
    for (int i = 0; i < w.ns; i++) d[2 + i] = w.out[i];
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

/* ArgMax / ArgMin: axis, keepdims; int64 output. */
static nngpu_status infer_arg(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (ax < 0) return ERR(NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    if (x->dims[ax] == 0) return ERR(NNGPU_ERR_INVALID_ARG, "cannot reduce the empty axis %d", ax);
    int keep = (int)ng_attr_int(n, "keepdims", 1), r = 0;
    int64_t d[MAXD];
    for (int i = 0; i < x->rank; i++)
        if (i != ax) d[r++] = x->dims[i];
        else if (keep) d[r++] = 1;
    ng_infer_set_out(g, n, 0, NNGPU_DTYPE_INT64, r, d);
    return NNGPU_OK;
}

/* TopK with k as attribute (opset < 10) or constant input. */
static nngpu_status infer_topk(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    int ax = ng_axis(ng_attr_int(n, "axis", -1), x->rank);
    if (ax < 0) return ERR(NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    int64_t k;
    if (n->opset < 10) {
        k = ng_attr_int(n, "k", -1);
    } else {
        int c;
        NG_CHECK(ng_infer_ints(g, n, NULL, 1, "K", &k, 1, &c));
        if (c != 1) return ERR(NNGPU_ERR_INVALID_ARG, "K must be one constant value");
    }
    if (k < 0 || k > x->dims[ax])
        return ERR(NNGPU_ERR_INVALID_ARG, "k = %lld for an axis of %lld", (long long)k, (long long)x->dims[ax]);
    int64_t d[MAXD];
    memcpy(d, x->dims, sizeof d);
    d[ax] = k;
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, d);
    ng_infer_set_out(g, n, 1, NNGPU_DTYPE_INT64, x->rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_einsum(ng_graph *g, ng_node *n) {
    ng_einsum e;
    NG_CHECK(ng_infer_einsum(g, n, &e));
    const ng_tensor *x = ng_in(g, n, 0);
    for (int k = 1; k < e.n_in; k++)
        if (ng_in(g, n, k)->dtype != x->dtype) return ERR(NNGPU_ERR_INVALID_ARG, "inputs differ in dtype");
    int64_t d[MAXD];
    for (int i = 0; i < e.out_rank; i++) d[i] = e.size[e.out_lab[i]];
    ng_infer_set_out(g, n, 0, x->dtype, e.out_rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_lrn(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (x->rank < 2) return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs >= 2", x->name, x->rank);
    if (!is_float(x->dtype)) return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    if (ng_attr_int(n, "size", 0) < 1) return ERR(NNGPU_ERR_INVALID_ARG, "attribute 'size' must be >= 1");
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

/* X [N, C, (D,) H, W], grid [N, (Do,) Ho, Wo, 2 or 3] -> [N, C, (Do,) Ho, Wo]. */
static nngpu_status infer_grid_sample(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *grid;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &grid));
    if (x->rank != 4 && x->rank != 5)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' has rank %d; 2-D and 3-D sampling (rank 4, 5) are supported",
                   x->name, x->rank);
    const int nd = x->rank - 2;
    if (grid->rank != x->rank || grid->dims[0] != x->dims[0] || grid->dims[nd + 1] != nd)
        return ERR(NNGPU_ERR_INVALID_ARG, "grid '%s' must be [%lld, output dims..., %d]", grid->name,
                   (long long)x->dims[0], nd);
    if (x->dtype != NNGPU_DTYPE_FLOAT32 || grid->dtype != NNGPU_DTYPE_FLOAT32)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input and grid must be float32");
    for (int d = 2; d < x->rank; d++)
        if (x->dims[d] < 1) return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has an empty image", x->name);
    const char *mode = ng_attr_string(n, "mode", "bilinear");
    const char *pad = ng_attr_string(n, "padding_mode", "zeros");
    static const char *const modes[] = {"bilinear", "linear", "nearest", "bicubic", "cubic"};
    int known = 0;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) known |= strcmp(mode, modes[i]) == 0;
    if (!known) return ERR(NNGPU_ERR_UNSUPPORTED, "mode '%s' is not supported", mode);
    if (strstr(mode, "cubic") && nd != 2)
        return ERR(NNGPU_ERR_INVALID_ARG, "mode '%s' samples 2-D inputs only", mode);
    if (strcmp(pad, "zeros") && strcmp(pad, "border") && strcmp(pad, "reflection"))
        return ERR(NNGPU_ERR_UNSUPPORTED, "padding_mode '%s' is not supported", pad);
    int64_t d[5] = {x->dims[0], x->dims[1], 0, 0, 0};
    for (int k = 0; k < nd; k++) d[2 + k] = grid->dims[1 + k];
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_roi_align(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *rois, *idx;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &rois));
    NG_CHECK(ng_infer_need(g, n, 2, &idx));
    if (x->rank != 4 || x->dtype != NNGPU_DTYPE_FLOAT32)
        return ERR(NNGPU_ERR_UNSUPPORTED, "input '%s' must be float32 [N, C, H, W]", x->name);
    if (rois->rank != 2 || rois->dims[1] != 4 || rois->dtype != NNGPU_DTYPE_FLOAT32)
        return ERR(NNGPU_ERR_INVALID_ARG, "rois '%s' must be float32 [num_rois, 4]", rois->name);
    if (idx->rank != 1 || idx->dims[0] != rois->dims[0] ||
        (idx->dtype != NNGPU_DTYPE_INT64 && idx->dtype != NNGPU_DTYPE_INT32))
        return ERR(NNGPU_ERR_INVALID_ARG, "batch_indices '%s' must be int64 [num_rois]", idx->name);
    const char *mode = ng_attr_string(n, "mode", "avg");
    const char *ctm = ng_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    if (strcmp(mode, "avg") && strcmp(mode, "max"))
        return ERR(NNGPU_ERR_UNSUPPORTED, "mode '%s' is not supported", mode);
    if (strcmp(ctm, "half_pixel") && strcmp(ctm, "output_half_pixel"))
        return ERR(NNGPU_ERR_UNSUPPORTED, "coordinate_transformation_mode '%s' is not supported", ctm);
    int64_t d[4] = {rois->dims[0], x->dims[1], ng_attr_int(n, "output_height", 1), ng_attr_int(n, "output_width", 1)};
    if (d[2] < 1 || d[3] < 1 || ng_attr_int(n, "sampling_ratio", 0) < 0 || x->dims[2] < 1 || x->dims[3] < 1)
        return ERR(NNGPU_ERR_INVALID_ARG, "output size and image must be non-empty, sampling_ratio at least 0");
    ng_infer_set_out(g, n, 0, x->dtype, 4, d);
    return NNGPU_OK;
}

static nngpu_status infer_cumsum(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *a;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &a));
    int64_t ax;
    int c;
    NG_CHECK(ng_infer_ints(g, n, NULL, 1, "axis", &ax, 1, &c));
    if (c != 1 || ng_axis(ax, x->rank) < 0) return ERR(NNGPU_ERR_INVALID_ARG, "axis must be one value in range for rank %d", x->rank);
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

/* x [.., batch, .., time, ..] and sequence_lens [batch] -> x's shape. */
static nngpu_status infer_reverse_sequence(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *lens;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &lens));
    int64_t ba = ng_attr_int(n, "batch_axis", 1), ta = ng_attr_int(n, "time_axis", 0);
    if (x->rank < 2 || ba < 0 || ta < 0 || ba > 1 || ta > 1 || ba == ta)
        return ERR(NNGPU_ERR_INVALID_ARG, "batch_axis %lld and time_axis %lld must be 0 and 1 (rank %d)",
                   (long long)ba, (long long)ta, x->rank);
    if (lens->rank != 1 || lens->dims[0] != x->dims[ba] ||
        (lens->dtype != NNGPU_DTYPE_INT64 && lens->dtype != NNGPU_DTYPE_INT32))
        return ERR(NNGPU_ERR_INVALID_ARG, "sequence_lens '%s' must be int32/int64 of shape [%lld]", lens->name,
                   (long long)x->dims[ba]);
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

/* X [N, C, spatial..] and indices of its shape -> [N, C, (in - 1) * stride +
 * kernel - pads], or the constant output_shape. */
static nngpu_status infer_max_unpool(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *idx;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &idx));
    if (x->rank < 3 || idx->rank != x->rank || memcmp(idx->dims, x->dims, sizeof(int64_t) * (size_t)x->rank) ||
        (idx->dtype != NNGPU_DTYPE_INT64 && idx->dtype != NNGPU_DTYPE_INT32))
        return ERR(NNGPU_ERR_INVALID_ARG, "X '%s' must be [N, C, spatial..] and I '%s' int64 of its shape",
                   x->name, idx->name);
    int64_t d[NNGPU_MAX_DIMS];
    NG_CHECK(ng_ref_max_unpool_shape(n, x, d));
    const ng_tensor *os = ng_infer_opt(g, n, 2);
    if (os) {
        if (!os->data || os->rank != 1 || os->dims[0] != x->rank)
            return ERR(NNGPU_ERR_UNSUPPORTED, "output_shape '%s' must be a constant of %d values", os->name,
                       x->rank);
        for (int k = 0; k < x->rank; k++) {
            int64_t v = (int64_t)ng_const_double(os, k);
            if (v < d[k] || (k < 2 && v != d[k]))
                return ERR(NNGPU_ERR_INVALID_ARG, "output_shape '%s'[%d] = %lld: must be at least the inferred %lld (N and C: equal)",
                           os->name, k, (long long)v, (long long)d[k]);
            d[k] = v;
        }
    }
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

/* DFT: the input's shape with the signal axis at its bins and a complex
 * last dim; STFT: [batch, frames, bins, 2]. */
static nngpu_status infer_dft(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    ng_dft_params p;
    NG_CHECK(ng_ref_dft_params(g, n, &p));
    int64_t d[NNGPU_MAX_DIMS];
    memcpy(d, x->dims, sizeof d);
    int r = x->rank;
    if (n->op == NG_OP_STFT) {
        d[1] = p.frames, d[2] = p.bins, d[3] = 2;
        r = 4;
    } else {
        d[p.axis] = p.bins;
        d[r - 1] = p.real_out ? 1 : 2;
    }
    ng_infer_set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

/* Col2Im: [N, C * prod(block), L] -> [N, C, image...]. */
static nngpu_status infer_col2im(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    ng_col2im_params p;
    NG_CHECK(ng_ref_col2im_params(g, n, &p));
    int64_t d[NNGPU_MAX_DIMS] = {x->dims[0], x->dims[1] / p.blocks};
    memcpy(d + 2, p.image, sizeof(int64_t) * (size_t)p.spatial);
    ng_infer_set_out(g, n, 0, x->dtype, 2 + p.spatial, d);
    return NNGPU_OK;
}

int ng_infer_nn(ng_graph *g, ng_node *n, nngpu_status *st) {
    switch (n->op) {
    case NG_OP_LAYERNORM: *st = infer_layernorm(g, n); return 1;
    case NG_OP_INSTANCENORM:
    case NG_OP_GROUPNORM: *st = infer_channel_norm(g, n); return 1;
    case NG_OP_CONVTRANSPOSE: *st = infer_convtranspose(g, n); return 1;
    case NG_OP_ARGMAX:
    case NG_OP_ARGMIN: *st = infer_arg(g, n); return 1;
    case NG_OP_TOPK: *st = infer_topk(g, n); return 1;
    case NG_OP_CUMSUM:
    case NG_OP_CUMPROD: *st = infer_cumsum(g, n); return 1;
    case NG_OP_LRN: *st = infer_lrn(g, n); return 1;
    case NG_OP_EINSUM: *st = infer_einsum(g, n); return 1;
    case NG_OP_GRIDSAMPLE: *st = infer_grid_sample(g, n); return 1;
    case NG_OP_ROIALIGN: *st = infer_roi_align(g, n); return 1;
    case NG_OP_REVERSESEQUENCE: *st = infer_reverse_sequence(g, n); return 1;
    case NG_OP_DFT:
    case NG_OP_STFT: *st = infer_dft(g, n); return 1;
    case NG_OP_COL2IM: *st = infer_col2im(g, n); return 1;
    case NG_OP_MAXUNPOOL: *st = infer_max_unpool(g, n); return 1;
    default: return 0;
    }
}
