/* Row plans and expanded scale / bias of the normalizations (norm_plan.h). */
#include "norm_plan.h"

#include <stdlib.h>

int ng_norm_plan_of(const ng_graph *g, const ng_node *n, ng_norm_plan *p) {
    const ng_tensor *x = ng_in(g, n, 0);
    if (!x || x->rank < 0) return 0;
    if (n->op == NG_OP_LAYERNORM) {
        int ax = ng_axis(ng_attr_int(n, "axis", -1), x->rank);
        if (ax < 0) return 0;
        p->rows = p->len = 1;
        for (int i = 0; i < x->rank; i++) *(i < ax ? &p->rows : &p->len) *= x->dims[i];
        p->R = 1;
        p->CG = 0;
        p->SP = 1;
        p->n_par = p->len;
        return 1;
    }
    if ((n->op != NG_OP_INSTANCENORM && n->op != NG_OP_GROUPNORM) || x->rank < 2) return 0;
    int64_t c = x->dims[1], sp = 1;
    for (int i = 2; i < x->rank; i++) sp *= x->dims[i];
    int64_t groups = n->op == NG_OP_GROUPNORM ? ng_attr_int(n, "num_groups", 0) : c;
    if (groups < 1 || c % groups) return 0;
    p->R = groups;
    p->CG = c / groups;
    p->SP = sp;
    p->len = p->CG * sp;
    p->rows = x->dims[0] * groups;
    p->n_par = c;
    return 1;
}

float *ng_norm_param_expand(const ng_graph *g, const ng_node *n, int i, const ng_norm_plan *p) {
    const ng_tensor *t = i >= 0 ? ng_in(g, n, i) : NULL, *x = ng_in(g, n, 0);
    float *v = malloc(sizeof(float) * (size_t)(p->n_par ? p->n_par : 1));
    if (!v) return NULL;
    if (!t) { /* LayerNorm without bias */
        for (int64_t k = 0; k < p->n_par; k++) v[k] = 0.0f;
        return v;
    }
    if (!t->data) {
        free(v);
        return NULL;
    }
    if (n->op == NG_OP_LAYERNORM) { /* broadcast t over the normalized dims */
        int ax = ng_axis(ng_attr_int(n, "axis", -1), x->rank), nr = x->rank - ax;
        const int64_t *nd = x->dims + ax;
        for (int64_t k = 0; k < p->n_par; k++) {
            int64_t q = k, off = 0, st = 1;
            for (int d = nr - 1; d >= 0; d--) {
                int64_t coord = q % nd[d];
                q /= nd[d];
                int td = d - (nr - t->rank);
                if (td < 0) continue;
                if (t->dims[td] != 1) off += coord * st;
                st *= t->dims[td];
            }
            v[k] = (float)ng_const_double(t, off);
        }
    } else {
        int per_group = ng_numel(t) != p->n_par; /* GroupNorm opset 18: [groups] */
        for (int64_t k = 0; k < p->n_par; k++)
            v[k] = (float)ng_const_double(t, per_group ? k / p->CG : k);
    }
    return v;
}

int ng_norm_param_direct(const ng_graph *g, const ng_node *n, int i, const ng_norm_plan *p,
                         int64_t *div) {
    const ng_tensor *t = ng_in(g, n, i);
    if (!t || t->dtype != NNGPU_DTYPE_FLOAT32 || t->rank < 0) return 0;
    int64_t cnt = ng_numel(t);
    if (n->op == NG_OP_LAYERNORM) { /* the normalized dims' shape (leading 1s allowed) */
        const ng_tensor *x = ng_in(g, n, 0);
        int ax = ng_axis(ng_attr_int(n, "axis", -1), x->rank);
        if (ax < 0 || cnt != p->n_par) return 0;
        for (int d = t->rank - 1, xd = x->rank - 1; d >= 0 && xd >= ax; d--, xd--)
            if (t->dims[d] != x->dims[xd]) return 0; /* broadcast: no plain index */
        *div = 1;
        return 1;
    }
    *div = cnt == p->n_par ? 1 : (n->op == NG_OP_GROUPNORM && cnt == p->R) ? p->CG : 0;
    return *div > 0;
}
