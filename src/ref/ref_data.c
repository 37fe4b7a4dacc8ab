/* Data movement for any dtype (element bytes are copied): Reshape-likes, Concat,
 * Split, Slice, Transpose, Gather, Pad, Expand, Dropout, StackedConcat. */
#include <string.h>

#include "ref_internal.h"

#define MAXD NNGPU_MAX_DIMS

/* Reshape / Flatten / Squeeze / Unsqueeze / Identity: the bytes unchanged. */
nngpu_status ng_ref_copy(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    size_t bytes = ng_nbytes(ng_out(g, n, 0));
    if (bytes && out[0] != in[0]) memmove(out[0], in[0], bytes);
    return NNGPU_OK;
}

nngpu_status ng_ref_dropout(const ng_graph *g, const ng_node *n, const void *const *in,
                            void *const *out) {
    NG_CHECK(ng_ref_copy(g, n, in, out));
    const ng_tensor *m = ng_out(g, n, 1);
    if (m && out[1]) { /* inference: keep everything */
        int64_t cnt = ng_numel(m);
        for (int64_t i = 0; i < cnt; i++) ng_ref_sti(m->dtype, out[1], i, 1);
    }
    return NNGPU_OK;
}

/* Tensor t seen as [outer, t->dims[ax], inner] blocks along n's "axis". */
typedef struct axis_view {
    int ax;
    size_t es; /* element bytes */
    int64_t outer, inner;
} axis_view;

static axis_view axis_view_of(const ng_node *n, const ng_tensor *t) {
    axis_view a = {ng_axis(ng_attr_int(n, "axis", 0), t->rank), nngpu_dtype_size(t->dtype), 1, 1};
    for (int i = 0; i < a.ax; i++) a.outer *= t->dims[i];
    for (int i = a.ax + 1; i < t->rank; i++) a.inner *= t->dims[i];
    return a;
}

/* Copies len slices along the axis, in each outer block: from src (axis size
 * src_dim) at src_pos to dst (axis size dst_dim) at dst_pos. */
static void axis_copy(const axis_view *a, int64_t len, void *dst, int64_t dst_dim,
                      int64_t dst_pos, const void *src, int64_t src_dim, int64_t src_pos) {
    size_t es = a->es;
    for (int64_t o = 0; o < a->outer; o++)
        memcpy((char *)dst + (size_t)((o * dst_dim + dst_pos) * a->inner) * es,
               (const char *)src + (size_t)((o * src_dim + src_pos) * a->inner) * es,
               (size_t)(len * a->inner) * es);
}

/* Copies along an axis: [outer, len, inner] blocks. */
nngpu_status ng_ref_concat(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *y = ng_out(g, n, 0);
    axis_view a = axis_view_of(n, y);
    int64_t pos = 0;
    for (int k = 0; k < n->n_main_inputs; k++) {
        int64_t len = ng_in(g, n, k)->dims[a.ax];
        axis_copy(&a, len, out[0], y->dims[a.ax], pos, in[k], len, 0);
        pos += len;
    }
    return NNGPU_OK;
}

/* Elements x[i] ([outer, block] around the axis) of a stacked sequence into
 * y[outer, i, block]: a stack (new_axis) or a concatenation on the axis. */
nngpu_status ng_ref_stacked_concat(const ng_graph *g, const ng_node *n, const void *const *in,
                                   void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0);
    int new_axis = ng_attr_int(n, "new_axis", 0) != 0;
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank - !new_axis) + 1;
    axis_view a = {ax, nngpu_dtype_size(x->dtype), 1, 1};
    for (int i = 1; i < ax; i++) a.outer *= x->dims[i];
    for (int i = ax; i < x->rank; i++) a.inner *= x->dims[i];
    for (int64_t i = 0; i < x->dims[0]; i++)
        axis_copy(&a, 1, out[0], x->dims[0], i,
                  (const char *)in[0] + (size_t)(i * a.outer * a.inner) * a.es, 1, 0);
    return NNGPU_OK;
}

nngpu_status ng_ref_split(const ng_graph *g, const ng_node *n, const void *const *in,
                          void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0);
    axis_view a = axis_view_of(n, x);
    int64_t pos = 0;
    for (int k = 0; k < n->n_out; k++) {
        const ng_tensor *y = ng_out(g, n, k);
        if (!y) continue;
        int64_t len = y->dims[a.ax];
        if (out[k]) axis_copy(&a, len, out[k], len, 0, in[0], x->dims[a.ax], pos);
        pos += len;
    }
    return NNGPU_OK;
}

/* Output element i's coordinates in dims. */
static void coords(int r, const int64_t *dims, int64_t i, int64_t *c) {
    for (int k = r - 1; k >= 0; k--) {
        c[k] = dims[k] ? i % dims[k] : 0;
        i = dims[k] ? i / dims[k] : 0;
    }
}

/* y[c] = x[base + sum c[k]*xs[k]] for every output coordinate c. */
static void strided_copy(const ng_tensor *y, const int64_t *xs, int64_t base, size_t es,
                         const void *x, void *out) {
    int64_t c[MAXD], cnt = ng_numel(y);
    for (int64_t i = 0; i < cnt; i++) {
        coords(y->rank, y->dims, i, c);
        int64_t off = base;
        for (int k = 0; k < y->rank; k++) off += c[k] * xs[k];
        memcpy((char *)out + (size_t)i * es, (const char *)x + (size_t)off * es, es);
    }
}

nngpu_status ng_ref_slice(const ng_graph *g, const ng_node *n, const void *const *in,
                          void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t st[MAXD], sp[MAXD], d[MAXD], xs[MAXD], base = 0;
    NG_CHECK(ng_infer_slice(g, n, st, sp, d));
    ng_ref_strides(x->rank, x->dims, xs);
    for (int k = 0; k < x->rank; k++) {
        base += st[k] * xs[k];
        xs[k] *= sp[k];
    }
    strided_copy(y, xs, base, nngpu_dtype_size(x->dtype), in[0], out[0]);
    return NNGPU_OK;
}

nngpu_status ng_ref_transpose(const ng_graph *g, const ng_node *n, const void *const *in,
                              void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    const int64_t *p;
    int np = ng_attr_ints(n, "perm", &p);
    int64_t xs[MAXD], ps[MAXD];
    ng_ref_strides(x->rank, x->dims, xs);
    for (int k = 0; k < y->rank; k++) ps[k] = xs[np ? p[k] : y->rank - 1 - k];
    strided_copy(y, ps, 0, nngpu_dtype_size(x->dtype), in[0], out[0]);
    return NNGPU_OK;
}

nngpu_status ng_ref_gather(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1);
    axis_view a = axis_view_of(n, x);
    int64_t dim = x->dims[a.ax], ni = ng_numel(idx);
    for (int64_t j = 0; j < ni; j++) {
        int64_t v = ng_ref_ldi(idx->dtype, in[1], j);
        if (v < -dim || v >= dim)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "index %lld is out of range [%lld, %lld)",
                              (long long)v, (long long)-dim, (long long)dim);
    }
    for (int64_t j = 0; j < ni; j++) {
        int64_t v = ng_ref_ldi(idx->dtype, in[1], j);
        axis_copy(&a, 1, out[0], ni, j, in[0], dim, v < 0 ? v + dim : v);
    }
    return NNGPU_OK;
}

/* Source index for padded coordinate p along a dim of size len, -1 for the constant. */
static int64_t pad_src(const char *mode, int64_t p, int64_t len) {
    if (p >= 0 && p < len) return p;
    if (mode[0] == 'c') return -1;
    if (mode[0] == 'e') return p < 0 ? 0 : len - 1;
    if (mode[0] == 'w') return ((p % len) + len) % len;
    /* reflect (edge not repeated), period 2*(len-1) */
    if (len == 1) return 0;
    int64_t per = 2 * (len - 1);
    int64_t q = ((p % per) + per) % per;
    return q < len ? q : per - q;
}

nngpu_status ng_ref_pad(const ng_graph *g, const ng_node *n, const void *const *in,
                        void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t pb[MAXD], pe[MAXD], xs[MAXD], c[MAXD];
    double value;
    NG_CHECK(ng_infer_pad(g, n, pb, pe, &value));
    const char *mode = ng_attr_string(n, "mode", "constant");
    ng_ref_strides(x->rank, x->dims, xs);
    size_t es = nngpu_dtype_size(x->dtype);
    char fill[16];
    ng_ref_std(x->dtype, fill, 0, value);
    if (ng_ref_is_int(x->dtype) && n->opset >= 11 && ng_in(g, n, 2) && n->n_main_inputs > 2 && in[2])
        ng_ref_sti(x->dtype, fill, 0, ng_ref_ldi(ng_in(g, n, 2)->dtype, in[2], 0)); /* exact ints */
    int64_t cnt = ng_numel(y);
    for (int64_t i = 0; i < cnt; i++) {
        coords(y->rank, y->dims, i, c);
        int64_t off = 0;
        for (int k = 0; k < x->rank && off >= 0; k++) {
            int64_t s = pad_src(mode, c[k] - pb[k], x->dims[k]);
            off = s < 0 ? -1 : off + s * xs[k];
        }
        memcpy((char *)out[0] + (size_t)i * es, off < 0 ? fill : (const char *)in[0] + (size_t)off * es, es);
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_expand(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t s[MAXD];
    ng_ref_bcast_strides(y->rank, y->dims, x->rank, x->dims, s);
    size_t es = nngpu_dtype_size(x->dtype);
    int64_t cnt = ng_numel(y);
    for (int64_t i = 0; i < cnt; i++)
        memcpy((char *)out[0] + (size_t)i * es,
               (const char *)in[0] + (size_t)ng_ref_bcast_offset(y->rank, y->dims, s, i) * es, es);
    return NNGPU_OK;
}
