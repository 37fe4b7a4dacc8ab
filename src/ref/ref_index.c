/* Index-mapping ops: Tile, DepthToSpace, SpaceToDepth, GatherElements, Trilu,
 * OneHot, Size; and the per-axis scans CumSum and TopK. */
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"

/* Element i of y = element src(i) of x, copied byte-wise (any dtype). */
#define COPY_EL(y, i, x, j, es) memcpy((char *)(y) + (size_t)(i) * (es), (const char *)(x) + (size_t)(j) * (es), (es))

nngpu_status ng_ref_tile(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    size_t es = nngpu_dtype_size(y->dtype);
    int64_t cnt = ng_numel(y), xs[NNGPU_MAX_DIMS];
    ng_ref_strides(x->rank, x->dims, xs);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t r = i, j = 0;
        for (int k = y->rank - 1; k >= 0; k--) {
            j += (r % y->dims[k]) % x->dims[k] * xs[k];
            r /= y->dims[k];
        }
        COPY_EL(out[0], i, in[0], j, es);
    }
    return NNGPU_OK;
}

/* DepthToSpace and SpaceToDepth (modes DCR / CRD), as out-index -> in-index maps. */
nngpu_status ng_ref_space_depth(const ng_graph *g, const ng_node *n, const void *const *in,
                                void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    size_t es = nngpu_dtype_size(y->dtype);
    int64_t b = ng_attr_int(n, "blocksize", 1), cnt = ng_numel(y);
    int d2s = n->op == NG_OP_DEPTHTOSPACE, crd = ng_attr_string(n, "mode", "DCR")[0] == 'C';
    int64_t C = y->dims[1], H = y->dims[2], W = y->dims[3];
    int64_t XC = x->dims[1], XH = x->dims[2], XW = x->dims[3];
    for (int64_t i = 0; i < cnt; i++) {
        int64_t w = i % W, h = (i / W) % H, c = (i / (W * H)) % C, nb = i / (W * H * C), j;
        if (d2s) {
            int64_t bi = h % b, bj = w % b, xc = crd ? c * b * b + bi * b + bj : (bi * b + bj) * C + c;
            j = ((nb * XC + xc) * XH + h / b) * XW + w / b;
        } else {
            int64_t xc = crd ? c / (b * b) : c % XC, blk = crd ? c % (b * b) : c / XC;
            int64_t bi = blk / b, bj = blk % b;
            j = ((nb * XC + xc) * XH + h * b + bi) * XW + w * b + bj;
        }
        COPY_EL(out[0], i, in[0], j, es);
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_gather_elements(const ng_graph *g, const ng_node *n, const void *const *in,
                                    void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *t = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    size_t es = nngpu_dtype_size(y->dtype);
    int64_t cnt = ng_numel(y), xs[NNGPU_MAX_DIMS];
    ng_ref_strides(x->rank, x->dims, xs);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t r = i, j = 0, v = ng_ref_ldi(t->dtype, in[1], i);
        if (v < 0) v += x->dims[ax];
        if (v < 0 || v >= x->dims[ax])
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "index %lld is out of range for axis %d of size %lld",
                              (long long)ng_ref_ldi(t->dtype, in[1], i), ax, (long long)x->dims[ax]);
        for (int k = y->rank - 1; k >= 0; k--) {
            int64_t q = r % y->dims[k];
            r /= y->dims[k];
            j += (k == ax ? v : q) * xs[k];
        }
        COPY_EL(out[0], i, in[0], j, es);
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_trilu(const ng_graph *g, const ng_node *n, const void *const *in,
                          void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *tk = ng_in(g, n, 1);
    size_t es = nngpu_dtype_size(x->dtype);
    int64_t k = tk && in[1] && n->n_main_inputs > 1 ? ng_ref_ldi(tk->dtype, in[1], 0) : 0;
    int upper = (int)ng_attr_int(n, "upper", 1);
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1], cnt = ng_numel(x);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t c = i % cols, r = (i / cols) % (rows ? rows : 1);
        int keep = upper ? c - r >= k : c - r <= k;
        if (keep) COPY_EL(out[0], i, in[0], i, es);
        else memset((char *)out[0] + (size_t)i * es, 0, es);
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_onehot(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *t = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int ax = ng_axis(ng_attr_int(n, "axis", -1), y->rank);
    size_t es = nngpu_dtype_size(y->dtype);
    int64_t depth = y->dims[ax], inner = 1, cnt = ng_numel(y);
    for (int i = ax + 1; i < y->rank; i++) inner *= y->dims[i];
    for (int64_t i = 0; i < cnt; i++) {
        int64_t d = (i / inner) % depth, src = i / (inner * depth) * inner + i % inner;
        int64_t v = (int64_t)ng_ref_ldd(t->dtype, in[0], src);
        if (v < 0) v += depth;
        COPY_EL(out[0], i, in[2], v == d ? 1 : 0, es);
    }
    return NNGPU_OK;
}

nngpu_status ng_ref_size(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    (void)in;
    *(int64_t *)out[0] = ng_numel(ng_in(g, n, 0));
    return NNGPU_OK;
}

/* [outer, len, inner] around axis ax of x. */
static void split_axis(const ng_tensor *x, int ax, int64_t *outer, int64_t *len, int64_t *inner) {
    *outer = *inner = 1;
    *len = x->dims[ax];
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) *outer *= x->dims[i];
        else if (i > ax) *inner *= x->dims[i];
    }
}

/* CumSum and CumProd along the axis input; exclusive starts from the identity. */
nngpu_status ng_ref_cumsum(const ng_graph *g, const ng_node *n, const void *const *in,
                           void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *ta = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    int ax = ng_axis(ng_ref_ldi(ta->dtype, in[1], 0), x->rank);
    if (ax < 0) return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "axis is out of range");
    int excl = (int)ng_attr_int(n, "exclusive", 0), rev = (int)ng_attr_int(n, "reverse", 0);
    int ints = ng_ref_is_int(x->dtype), prod = n->op == NG_OP_CUMPROD;
    int64_t outer, len, inner;
    split_axis(x, ax, &outer, &len, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            double acc = prod;
            int64_t iacc = prod;
            for (int64_t s = 0; s < len; s++) {
                int64_t k = rev ? len - 1 - s : s, at = (o * len + k) * inner + j;
                if (excl) {
                    if (ints) ng_ref_sti(y->dtype, out[0], at, iacc);
                    else ng_ref_std(y->dtype, out[0], at, acc);
                }
                if (ints) {
                    int64_t v = ng_ref_ldi(x->dtype, in[0], at);
                    iacc = prod ? (int64_t)((uint64_t)iacc * (uint64_t)v) : iacc + v;
                } else {
                    double v = ng_ref_ldd(x->dtype, in[0], at);
                    acc = prod ? acc * v : acc + v;
                }
                if (!excl) {
                    if (ints) ng_ref_sti(y->dtype, out[0], at, iacc);
                    else ng_ref_std(y->dtype, out[0], at, acc);
                }
            }
        }
    return NNGPU_OK;
}

typedef struct topk_item {
    double v;
    int64_t i;
} topk_item;

/* Largest first (values negated for smallest), ties by lower index. */
static int topk_cmp(const void *pa, const void *pb) {
    const topk_item *a = pa, *b = pb;
    if (a->v != b->v) return a->v > b->v ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

nngpu_status ng_ref_topk(const ng_graph *g, const ng_node *n, const void *const *in,
                         void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0), *yi = ng_out(g, n, 1);
    int ax = ng_axis(ng_attr_int(n, "axis", -1), x->rank);
    int largest = (int)ng_attr_int(n, "largest", 1);
    int64_t outer, len, inner, k = y->dims[ax];
    split_axis(x, ax, &outer, &len, &inner);
    topk_item *it = malloc(sizeof *it * (size_t)(len ? len : 1));
    if (!it) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "TopK buffer");
    size_t es = nngpu_dtype_size(x->dtype);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            for (int64_t s = 0; s < len; s++) {
                double v = ng_ref_ldd(x->dtype, in[0], (o * len + s) * inner + j);
                it[s].v = largest ? v : -v;
                it[s].i = s;
            }
            qsort(it, (size_t)len, sizeof *it, topk_cmp);
            for (int64_t s = 0; s < k; s++) {
                int64_t at = (o * k + s) * inner + j;
                COPY_EL(out[0], at, in[0], (o * len + it[s].i) * inner + j, es);
                if (yi && out[1]) ((int64_t *)out[1])[at] = it[s].i;
            }
        }
    free(it);
    return NNGPU_OK;
}
