/* Unique: the distinct elements (no axis) or slices along an axis, sorted
 * ascending (lexicographically for slices) or in order of first occurrence,
 * with each one's first index, the inverse map and the counts. Values compare
 * as float64 for float dtypes (NaN equals no value, so each NaN is its own
 * entry) and exactly as int64 for integer ones. */
#include <stdlib.h>
#include <string.h>

#include "ref_internal.h"

typedef struct slices {
    int64_t n, len;   /* slices, values per slice */
    int is_float;
    double *f;        /* n x len keys, float dtypes */
    int64_t *i;       /* n x len keys, integer dtypes */
} slices;

/* -1, 0, 1 as slice a orders before, equal to, after slice b. */
static int cmp(const slices *s, int64_t a, int64_t b) {
    for (int64_t k = 0; k < s->len; k++) {
        if (s->is_float) {
            double x = s->f[a * s->len + k], y = s->f[b * s->len + k];
            if (x < y) return -1;
            if (x > y) return 1;
            if (x != y) return x != x ? (y != y ? (a > b) - (a < b) : 1) : -1; /* NaNs last, apart */
        } else {
            int64_t x = s->i[a * s->len + k], y = s->i[b * s->len + k];
            if (x != y) return x < y ? -1 : 1;
        }
    }
    return 0;
}

/* Stable merge sort of idx[0..n) by cmp (tmp: room for n). */
static void sort_slices(const slices *s, int64_t *idx, int64_t *tmp, int64_t n) {
    if (n < 2) return;
    int64_t h = n / 2;
    sort_slices(s, idx, tmp, h);
    sort_slices(s, idx + h, tmp, n - h);
    int64_t a = 0, b = h, o = 0;
    while (a < h && b < n) tmp[o++] = cmp(s, idx[b], idx[a]) < 0 ? idx[b++] : idx[a++];
    while (a < h) tmp[o++] = idx[a++];
    while (b < n) tmp[o++] = idx[b++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

/* x's slices along axis (axis < 0: its elements), as keys. */
static int load(const ng_tensor *x, const void *data, int axis, slices *s) {
    int64_t numel = ng_numel(x), outer = 1, inner = 1;
    s->n = axis < 0 ? numel : x->dims[axis];
    if (axis >= 0) {
        for (int d = 0; d < axis; d++) outer *= x->dims[d];
        for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
    }
    s->len = axis < 0 ? 1 : outer * inner;
    s->is_float = ng_ref_is_float(x->dtype);
    size_t cells = (size_t)(numel ? numel : 1);
    s->f = s->is_float ? malloc(cells * sizeof *s->f) : NULL;
    s->i = s->is_float ? NULL : malloc(cells * sizeof *s->i);
    if (!s->f && !s->i) return 0;
    for (int64_t e = 0; e < numel; e++) { /* element e = (o, j, in) goes to slice j, key o * inner + in */
        int64_t j = axis < 0 ? e : (e / inner) % s->n, k = axis < 0 ? 0 : (e / (inner * s->n)) * inner + e % inner;
        if (s->is_float) s->f[j * s->len + k] = ng_ref_ldd(x->dtype, data, e);
        else s->i[j * s->len + k] = ng_ref_ldi(x->dtype, data, e);
    }
    return 1;
}

/* Groups the slices: first[u] (u in output order), count[u], inverse[j];
 * returns the number of distinct slices, -1 out of memory. */
static int64_t group(const slices *s, int sorted, int64_t *first, int64_t *count, int64_t *inverse) {
    int64_t n = s->n, nu = 0;
    int64_t *idx = malloc(sizeof *idx * (size_t)(n ? n : 1)), *tmp = malloc(sizeof *tmp * (size_t)(n ? n : 1));
    int64_t *rank = malloc(sizeof *rank * (size_t)(n ? n : 1)); /* group of slice j, sorted order */
    if (!idx || !tmp || !rank) {
        free(idx);
        free(tmp);
        free(rank);
        return -1;
    }
    for (int64_t j = 0; j < n; j++) idx[j] = j;
    sort_slices(s, idx, tmp, n);
    for (int64_t k = 0; k < n; k++) { /* stable: a group's first slice is its first occurrence */
        if (k == 0 || cmp(s, idx[k - 1], idx[k]) != 0) {
            first[nu] = idx[k];
            count[nu++] = 0;
        }
        count[nu - 1]++;
        rank[idx[k]] = nu - 1;
    }
    int64_t *old = sorted ? NULL : malloc(sizeof *old * (size_t)(nu ? nu : 1));
    if (!sorted && !old) nu = -1;
    if (old) { /* order of first occurrence: renumber the groups */
        int64_t *slot = tmp, *newid = idx, v = 0; /* slot[j]: the group first seen at j */
        memcpy(old, count, (size_t)nu * sizeof *old);
        for (int64_t j = 0; j < n; j++) slot[j] = -1;
        for (int64_t u = 0; u < nu; u++) slot[first[u]] = u;
        for (int64_t j = 0; j < n; j++)
            if (slot[j] >= 0) {
                newid[slot[j]] = v;
                first[v] = j;
                count[v++] = old[slot[j]];
            }
        for (int64_t j = 0; j < n; j++) rank[j] = newid[rank[j]];
        free(old);
    }
    if (nu >= 0) memcpy(inverse, rank, (size_t)n * sizeof *rank);
    free(idx);
    free(tmp);
    free(rank);
    return nu;
}

static int axis_of(const ng_node *n, const ng_tensor *x) {
    if (!ng_attr_find(n, "axis")) return -1;
    int64_t a = ng_attr_int(n, "axis", 0);
    return (int)(a < 0 ? a + x->rank : a);
}

/* Node n's grouping of x's entries (data: its values). */
typedef struct unique_groups {
    int axis;
    int64_t cells, nu;               /* entries, distinct ones (-1: out of memory) */
    int64_t *first, *count, *inverse;
} unique_groups;

static void groups_free(unique_groups *u) {
    free(u->first);
    free(u->count);
    free(u->inverse);
}

static unique_groups groups_of(const ng_node *n, const ng_tensor *x, const void *data, int sorted) {
    unique_groups u = {.axis = axis_of(n, x), .nu = -1};
    u.cells = u.axis < 0 ? ng_numel(x) : x->dims[u.axis];
    size_t bytes = sizeof(int64_t) * (size_t)(u.cells ? u.cells : 1);
    u.first = malloc(bytes), u.count = malloc(bytes), u.inverse = malloc(bytes);
    slices s = {0};
    if (u.first && u.count && u.inverse && load(x, data, u.axis, &s))
        u.nu = group(&s, sorted, u.first, u.count, u.inverse);
    free(s.f);
    free(s.i);
    return u;
}

int64_t ng_ref_unique_count(const ng_node *n, const ng_tensor *x) {
    unique_groups u = groups_of(n, x, x->data, 1);
    groups_free(&u);
    return u.nu;
}

nngpu_status ng_ref_unique(const ng_graph *g, const ng_node *n, const void *const *in, void *const *out,
                           int64_t *extent) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    unique_groups u = groups_of(n, x, in[0], (int)ng_attr_int(n, "sorted", 1));
    int axis = u.axis, dyn_axis = axis < 0 ? 0 : axis;
    int64_t nu = u.nu, cells = u.cells;
    nngpu_status st = NNGPU_OK;
    if (nu < 0) st = ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "grouping %lld slices", (long long)cells);
    else if (y->is_dynamic ? nu > y->dims[dyn_axis] : nu != y->dims[dyn_axis])
        st = ng_ref_err(n, NNGPU_ERR_INTERNAL, "%lld distinct, shape inference allowed %lld", (long long)nu,
                        (long long)y->dims[dyn_axis]);
    if (st == NNGPU_OK) {
        size_t es = nngpu_dtype_size(x->dtype);
        int64_t inner = 1, outer = 1;
        if (axis >= 0) {
            for (int d = 0; d < axis; d++) outer *= x->dims[d];
            for (int d = axis + 1; d < x->rank; d++) inner *= x->dims[d];
        }
        const char *xs = in[0];
        char *ys = out[0];
        for (int64_t o = 0; o < outer; o++) /* y packed as [outer, nu, inner] */
            for (int64_t v = 0; v < nu; v++)
                memcpy(ys + ((o * nu + v) * inner) * es, xs + ((o * cells + u.first[v]) * inner) * es,
                       (size_t)inner * es);
        if (n->n_out > 1 && out[1]) memcpy(out[1], u.first, (size_t)nu * sizeof *u.first);
        if (n->n_out > 2 && out[2]) memcpy(out[2], u.inverse, (size_t)cells * sizeof *u.inverse);
        if (n->n_out > 3 && out[3]) memcpy(out[3], u.count, (size_t)nu * sizeof *u.count);
        *extent = nu;
    }
    groups_free(&u);
    return st;
}
