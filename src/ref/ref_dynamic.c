/* Ops whose output extent the values decide: NonZero and NonMaxSuppression
 * (Unique: ref_unique.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"

int ng_ref_is_dynamic_op(ng_op op) {
    return op == NG_OP_NONZERO || op == NG_OP_NONMAXSUPPRESSION || op == NG_OP_UNIQUE;
}

/* The output's extent must fit the bound its buffer was sized for. */
static nngpu_status check_bound(const ng_node *n, const ng_tensor *y, int axis, int64_t extent) {
    if (y->is_dynamic ? extent <= y->dims[axis] : extent == y->dims[axis]) return NNGPU_OK;
    return ng_ref_err(n, NNGPU_ERR_INTERNAL, "output '%s': %lld entries, shape inference allowed %lld",
                      y->name, (long long)extent, (long long)y->dims[axis]);
}

static nngpu_status nonzero(const ng_graph *g, const ng_node *n, const void *const *in,
                            void *const *out, int64_t *extent) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t cnt = ng_numel(x), nz = 0;
    for (int64_t i = 0; i < cnt; i++) nz += ng_ref_ldd(x->dtype, in[0], i) != 0;
    NG_CHECK(check_bound(n, y, 1, nz));
    for (int64_t i = 0, at = 0; i < cnt; i++) {
        if (ng_ref_ldd(x->dtype, in[0], i) == 0) continue;
        for (int64_t r = i, d = x->rank - 1; d >= 0; d--) {
            ((int64_t *)out[0])[d * nz + at] = r % x->dims[d];
            r /= x->dims[d];
        }
        at++;
    }
    *extent = nz;
    return NNGPU_OK;
}

/* ---- NonMaxSuppression ---------------------------------------------------------- */

typedef struct box {
    float x0, y0, x1, y1; /* corners, x0 <= x1, y0 <= y1 */
} box;

typedef struct candidate {
    float score;
    int64_t index;
} candidate;

static box box_at(const float *b, int center_point) {
    box r;
    if (center_point) { /* [x_center, y_center, width, height] */
        r.x0 = b[0] - b[2] / 2;
        r.x1 = b[0] + b[2] / 2;
        r.y0 = b[1] - b[3] / 2;
        r.y1 = b[1] + b[3] / 2;
    } else { /* [y1, x1, y2, x2], either diagonal */
        r.y0 = fminf(b[0], b[2]);
        r.y1 = fmaxf(b[0], b[2]);
        r.x0 = fminf(b[1], b[3]);
        r.x1 = fmaxf(b[1], b[3]);
    }
    return r;
}

/* Whether a and b surely do not overlap (then iou() is 0): a few float
 * compares instead of iou()'s, the common case once boxes are spread out
 * (batched NMS offsets each class's boxes apart). */
static int apart(box a, box b) {
    return a.x0 >= b.x1 || b.x0 >= a.x1 || a.y0 >= b.y1 || b.y0 >= a.y1;
}

static double iou(box a, box b) {
    double w = fmin(a.x1, b.x1) - fmax(a.x0, b.x0), h = fmin(a.y1, b.y1) - fmax(a.y0, b.y0);
    if (w <= 0 || h <= 0) return 0;
    double inter = w * h;
    double uni = (double)(a.x1 - a.x0) * (a.y1 - a.y0) + (double)(b.x1 - b.x0) * (b.y1 - b.y0) - inter;
    return uni > 0 ? inter / uni : 0;
}

/* The boxes kept so far, sorted by x0, and the widest one's width: only
 * those with x0 in (b.x0 - widest, b.x1) can overlap box b, so a candidate
 * is compared with those alone instead of every kept box (90 classes x 1000
 * proposals in a detector's batched NMS: thousands kept). Boxes with a NaN
 * corner do not sort: they sit at the array's end, compared with every
 * candidate. */
typedef struct kept_set {
    box *v;
    int64_t n, n_nan, cap;
    double widest;
} kept_set;

static int has_nan(box b) { return b.x0 != b.x0 || b.x1 != b.x1 || b.y0 != b.y0 || b.y1 != b.y1; }

/* First kept box with x0 > x (or n). */
static int64_t first_after(const kept_set *k, double x) {
    int64_t lo = 0, hi = k->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (k->v[mid].x0 > x) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static int overlaps(box a, box b, double iou_max) { return !apart(a, b) && iou(a, b) > iou_max; }

/* Whether a kept box overlaps b by more than iou_max (iou_max >= 0). */
static int suppressed(const kept_set *k, box b, double iou_max) {
    for (int64_t j = 0; j < k->n_nan; j++)
        if (overlaps(b, k->v[k->cap - 1 - j], iou_max)) return 1;
    if (has_nan(b)) { /* compares nothing in order */
        for (int64_t j = 0; j < k->n; j++)
            if (overlaps(b, k->v[j], iou_max)) return 1;
        return 0;
    }
    double from = b.x0 - (k->widest * (1 + 1e-6) + 1e-30); /* rounding: skip only sure misses */
    for (int64_t j = from == from ? first_after(k, from) : 0; j < k->n && k->v[j].x0 < b.x1; j++)
        if (overlaps(b, k->v[j], iou_max)) return 1;
    return 0;
}

static void keep_box(kept_set *k, box b) {
    if (has_nan(b)) {
        k->v[k->cap - 1 - k->n_nan++] = b;
        return;
    }
    int64_t at = first_after(k, b.x0);
    memmove(&k->v[at + 1], &k->v[at], sizeof *k->v * (size_t)(k->n - at));
    k->v[at] = b;
    k->n++;
    if ((double)b.x1 - b.x0 > k->widest) k->widest = (double)b.x1 - b.x0;
}

/* Higher score first; equal scores by box index. */
static int by_score(const void *pa, const void *pb) {
    const candidate *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static nngpu_status nms(const ng_graph *g, const ng_node *n, const void *const *in,
                        void *const *out, int64_t *extent) {
    const ng_tensor *bt = ng_in(g, n, 0), *st = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    const ng_tensor *mt = ng_in(g, n, 2), *it = ng_in(g, n, 3), *tt = ng_in(g, n, 4);
    const int64_t nb = bt->dims[0], nbox = bt->dims[1], nc = st->dims[1];
    int64_t max_out = mt && ng_numel(mt) ? ng_ref_ldi(mt->dtype, in[2], 0) : 0;
    const double iou_max = it && ng_numel(it) ? ng_ref_ldd(it->dtype, in[3], 0) : 0;
    const int has_min_score = tt && ng_numel(tt) > 0;
    const float min_score = has_min_score ? ng_ref_ldf(tt->dtype, in[4], 0) : 0;
    const int center = (int)ng_attr_int(n, "center_point_box", 0);
    if (max_out > nbox) max_out = nbox;
    candidate *cand = malloc(sizeof *cand * (size_t)(nbox ? nbox : 1));
    box *kept = malloc(sizeof *kept * (size_t)(nbox ? nbox : 1));
    if (!cand || !kept) {
        free(cand);
        free(kept);
        return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "candidate lists");
    }
    const float *boxes = in[0], *scores = in[1];
    int64_t *sel = out[0], n_sel = 0;
    for (int64_t b = 0; b < nb; b++)
        for (int64_t c = 0; c < nc && max_out > 0; c++) {
            const float *s = scores + (b * nc + c) * nbox;
            int64_t nk = 0, n_kept = 0;
            for (int64_t i = 0; i < nbox; i++)
                if (!has_min_score || s[i] > min_score) cand[nk++] = (candidate){s[i], i};
            qsort(cand, (size_t)nk, sizeof *cand, by_score);
            kept_set set = {kept, 0, 0, nbox, 0.0};
            for (int64_t k = 0; k < nk && n_kept < max_out; k++) {
                box bx = box_at(boxes + (b * nbox + cand[k].index) * 4, center);
                /* a negative threshold: every kept box suppresses, overlapping or not */
                if (iou_max < 0 ? n_kept > 0 : suppressed(&set, bx, iou_max)) continue;
                keep_box(&set, bx);
                n_kept++;
                if (n_sel < y->dims[0]) {
                    sel[n_sel * 3] = b;
                    sel[n_sel * 3 + 1] = c;
                    sel[n_sel * 3 + 2] = cand[k].index;
                }
                n_sel++;
            }
        }
    free(cand);
    free(kept);
    NG_CHECK(check_bound(n, y, 0, n_sel));
    *extent = n_sel;
    return NNGPU_OK;
}

nngpu_status ng_ref_run_dynamic(const ng_graph *g, const ng_node *n, const void *const *in,
                                void *const *out, int64_t *extent) {
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && !in[i] && ng_numel(&g->tensors[n->in[i]]) > 0)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "input %d has no data", i);
    switch (n->op) {
    case NG_OP_NONZERO: return nonzero(g, n, in, out, extent);
    case NG_OP_NONMAXSUPPRESSION: return nms(g, n, in, out, extent);
    case NG_OP_UNIQUE: return ng_ref_unique(g, n, in, out, extent);
    default: return ng_ref_err(n, NNGPU_ERR_INTERNAL, "not an op with a dynamic output");
    }
}
