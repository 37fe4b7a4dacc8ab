/* GatherND, ScatterND, ScatterElements (reduction none/add/mul/max/min). */
#include <string.h>

#include "ref_internal.h"

/* Index v into an axis of size len (negative from the end); -1 when out of range. */
static int64_t wrap(int64_t v, int64_t len) {
    if (v < 0) v += len;
    return v >= 0 && v < len ? v : -1;
}

static nngpu_status bad_index(const ng_node *n, int64_t v, int axis, int64_t len) {
    return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "index %lld is out of range for axis %d of size %lld",
                      (long long)v, axis, (long long)len);
}

nngpu_status ng_ref_gather_nd(const ng_graph *g, const ng_node *n, const void *const *in,
                              void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *t = ng_in(g, n, 1);
    int64_t b = ng_attr_int(n, "batch_dims", 0), k = t->dims[t->rank - 1], xs[NNGPU_MAX_DIMS];
    ng_ref_strides(x->rank, x->dims, xs);
    int64_t batch = 1, tuples = 1, slice = xs[b + k - 1];
    for (int i = 0; i < b; i++) batch *= x->dims[i];
    for (int i = (int)b; i < t->rank - 1; i++) tuples *= t->dims[i];
    size_t es = nngpu_dtype_size(x->dtype), bytes = (size_t)slice * es;
    for (int64_t bi = 0; bi < batch; bi++)
        for (int64_t j = 0; j < tuples; j++) {
            int64_t src = b ? bi * xs[b - 1] : 0, ti = (bi * tuples + j) * k;
            for (int64_t a = 0; a < k; a++) {
                int64_t v = ng_ref_ldi(t->dtype, in[1], ti + a), w = wrap(v, x->dims[b + a]);
                if (w < 0) return bad_index(n, v, (int)(b + a), x->dims[b + a]);
                src += w * xs[b + a];
            }
            memcpy((char *)out[0] + (size_t)(bi * tuples + j) * bytes, (const char *)in[0] + (size_t)src * es, bytes);
        }
    return NNGPU_OK;
}

/* y[o] = reduce(y[o], u[i]) in the output's dtype. */
static void combine(nngpu_dtype dt, const char *red, void *y, int64_t o, const void *u, int64_t i) {
    if (red[0] == 'n') {
        size_t es = nngpu_dtype_size(dt);
        memcpy((char *)y + (size_t)o * es, (const char *)u + (size_t)i * es, es);
    } else if (ng_ref_is_float(dt)) {
        double a = ng_ref_ldd(dt, y, o), v = ng_ref_ldd(dt, u, i);
        double r = red[0] == 'a' ? a + v : red[1] == 'u' ? a * v : red[1] == 'a' ? (a > v ? a : v) : (a < v ? a : v);
        ng_ref_std(dt, y, o, r);
    } else {
        int64_t a = ng_ref_ldi(dt, y, o), v = ng_ref_ldi(dt, u, i);
        int64_t r = red[0] == 'a' ? a + v : red[1] == 'u' ? a * v : red[1] == 'a' ? (a > v ? a : v) : (a < v ? a : v);
        ng_ref_sti(dt, y, o, r);
    }
}

nngpu_status ng_ref_scatter(const ng_graph *g, const ng_node *n, const void *const *in,
                            void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *t = ng_in(g, n, 1), *u = ng_in(g, n, 2);
    const char *red = ng_attr_string(n, "reduction", "none");
    int64_t xs[NNGPU_MAX_DIMS];
    ng_ref_strides(x->rank, x->dims, xs);
    memcpy(out[0], in[0], ng_nbytes(x));
    if (n->op == NG_OP_SCATTERELEMENTS) {
        int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
        int64_t cnt = ng_numel(u);
        for (int64_t i = 0; i < cnt; i++) {
            int64_t v = ng_ref_ldi(t->dtype, in[1], i), w = wrap(v, x->dims[ax]), r = i, o = 0;
            if (w < 0) return bad_index(n, v, ax, x->dims[ax]);
            for (int d = u->rank - 1; d >= 0; d--) {
                o += (d == ax ? w : r % u->dims[d]) * xs[d];
                r /= u->dims[d];
            }
            combine(x->dtype, red, out[0], o, in[2], i);
        }
        return NNGPU_OK;
    }
    int64_t k = t->dims[t->rank - 1], tuples = ng_numel(t) / k, slice = xs[k - 1];
    for (int64_t j = 0; j < tuples; j++) {
        int64_t o = 0;
        for (int64_t a = 0; a < k; a++) {
            int64_t v = ng_ref_ldi(t->dtype, in[1], j * k + a), w = wrap(v, x->dims[a]);
            if (w < 0) return bad_index(n, v, (int)a, x->dims[a]);
            o += w * xs[a];
        }
        for (int64_t e = 0; e < slice; e++) combine(x->dtype, red, out[0], o + e, in[2], j * slice + e);
    }
    return NNGPU_OK;
}
