/* Einsum walk plans for the direct kernels (einsum_plan.h). */
#include "einsum_plan.h"

#include <limits.h>
#include <string.h>

#include "graph/infer.h"

int ng_einsum_plan(const ng_graph *g, const ng_node *n, int32_t *meta, int64_t *n_sum) {
    ng_einsum e;
    if (n->op != NG_OP_EINSUM || n->n_main_inputs < 1 || n->n_main_inputs > 2 ||
        ng_infer_einsum(g, n, &e) != NNGPU_OK)
        return 0;
    memset(meta, 0, sizeof(int32_t) * NG_EINSUM_META);
    int64_t st[2][NG_EINSUM_MAX_LABELS] = {{0}};
    for (int k = 0; k < e.n_in && k < 2; k++) {
        const ng_tensor *x = ng_in(g, n, k);
        int64_t s = 1;
        for (int j = x->rank - 1; j >= 0; j--) {
            if (x->dims[j] != 1) st[k][e.in_lab[k][j]] += s;
            s *= x->dims[j];
        }
        if (s > INT_MAX) return 0;
    }
    if (e.n_in == 1) memcpy(st[1], st[0], sizeof st[0]);
    int is_out[NG_EINSUM_MAX_LABELS] = {0}, ns = 0;
    for (int i = 0; i < e.out_rank; i++) is_out[e.out_lab[i]] = 1;
    meta[0] = e.out_rank;
    for (int i = 0; i < e.out_rank; i++) {
        int l = e.out_lab[i];
        meta[2 + 3 * i] = (int32_t)e.size[l];
        meta[3 + 3 * i] = (int32_t)st[0][l];
        meta[4 + 3 * i] = (int32_t)st[1][l];
    }
    *n_sum = 1;
    int32_t *sm = meta + 2 + 3 * e.out_rank;
    for (int l = 0; l < e.n_labels; l++) {
        if (is_out[l] || e.size[l] == 1) continue;
        if (ns == NG_EINSUM_PLAN_MAX_SUM) return 0;
        sm[3 * ns] = (int32_t)e.size[l];
        sm[3 * ns + 1] = (int32_t)st[0][l];
        sm[3 * ns + 2] = (int32_t)st[1][l];
        *n_sum *= e.size[l];
        if (*n_sum >= INT_MAX) return 0;
        ns++;
    }
    meta[1] = ns;
    return 1;
}
