/* Shape inference: GatherND, ScatterND, ScatterElements. */
#include <string.h>

#include "infer_internal.h"

#define MAXD NNGPU_MAX_DIMS
#define ERR(...) ng_infer_err(n, __VA_ARGS__)

static nngpu_status need_index(const ng_node *n, const ng_tensor *t) {
    if (t->dtype == NNGPU_DTYPE_INT32 || t->dtype == NNGPU_DTYPE_INT64) return NNGPU_OK;
    return ERR(NNGPU_ERR_INVALID_ARG, "indices '%s' are %s", t->name, nngpu_dtype_name(t->dtype));
}

static nngpu_status infer_gather_nd(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *idx;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &idx));
    NG_CHECK(need_index(n, idx));
    int64_t b = ng_attr_int(n, "batch_dims", 0);
    int64_t k = idx->rank ? idx->dims[idx->rank - 1] : 0;
    if (b < 0 || idx->rank < b + 1 || k < 1 || b + k > x->rank)
        return ERR(NNGPU_ERR_INVALID_ARG, "indices '%s' (rank %d, last dim %lld) do not fit data of rank %d with batch_dims %lld",
                   idx->name, idx->rank, (long long)k, x->rank, (long long)b);
    for (int i = 0; i < b; i++)
        if (idx->dims[i] != x->dims[i]) return ERR(NNGPU_ERR_INVALID_ARG, "batch dim %d differs between data and indices", i);
    int64_t d[MAXD];
    int r = 0;
    for (int i = 0; i < idx->rank - 1; i++) d[r++] = idx->dims[i];
    for (int64_t i = b + k; i < x->rank; i++) {
        if (r == MAXD) return ERR(NNGPU_ERR_UNSUPPORTED, "output rank is over %d", MAXD);
        d[r++] = x->dims[i];
    }
    ng_infer_set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

static nngpu_status check_reduction(const ng_node *n) {
    const char *red = ng_attr_string(n, "reduction", "none");
    static const char *known[] = {"none", "add", "mul", "max", "min"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(red, known[i]) == 0) return NNGPU_OK;
    return ERR(NNGPU_ERR_INVALID_ARG, "reduction '%s'", red);
}

static nngpu_status infer_scatter(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *idx, *upd;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &idx));
    NG_CHECK(ng_infer_need(g, n, 2, &upd));
    NG_CHECK(need_index(n, idx));
    NG_CHECK(check_reduction(n));
    if (upd->dtype != x->dtype) return ERR(NNGPU_ERR_INVALID_ARG, "updates '%s' differ from data in dtype", upd->name);
    int ok;
    if (n->op == NG_OP_SCATTERELEMENTS) {
        ok = idx->rank == x->rank && upd->rank == x->rank && ng_axis(ng_attr_int(n, "axis", 0), x->rank) >= 0;
        for (int i = 0; ok && i < idx->rank; i++) ok = idx->dims[i] == upd->dims[i];
    } else { /* updates: indices.shape[:-1] + data.shape[k:] */
        int64_t k = idx->rank ? idx->dims[idx->rank - 1] : 0;
        ok = idx->rank >= 1 && k >= 1 && k <= x->rank && upd->rank == idx->rank - 1 + x->rank - k;
        for (int i = 0; ok && i < upd->rank; i++)
            ok = upd->dims[i] == (i < idx->rank - 1 ? idx->dims[i] : x->dims[k + i - (idx->rank - 1)]);
    }
    if (!ok) return ERR(NNGPU_ERR_INVALID_ARG, "indices '%s' and updates '%s' do not fit data '%s'", idx->name, upd->name, x->name);
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

/* The output's length is the count of non-zero values: known only for a constant input. */
int ng_infer_scatter(ng_graph *g, ng_node *n, nngpu_status *st) {
    switch (n->op) {
    case NG_OP_GATHERND: *st = infer_gather_nd(g, n); return 1;
    case NG_OP_SCATTERND:
    case NG_OP_SCATTERELEMENTS: *st = infer_scatter(g, n); return 1;
    default: return 0;
    }
}
