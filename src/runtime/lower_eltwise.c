/* The eltwise family's decisions (lower_eltwise.h). */
#include "lower_eltwise.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "lower_util.h"

int ng_eltwise_is(const ng_node *n) {
    switch (ng_op_kind_of(n->op)) {
    case NG_KIND_ELTWISE_UNARY:
    case NG_KIND_ELTWISE_BINARY: return 1;
    default: return n->op == NG_OP_MAX || n->op == NG_OP_MIN || n->op == NG_OP_FLOOR ||
                    n->op == NG_OP_CEIL;
    }
}

int ng_eltwise_params(const ng_graph *g, const ng_node *n, float *p0, float *p1) {
    *p0 = *p1 = 0.0f;
    switch (n->op) {
    case NG_OP_LEAKYRELU: *p0 = ng_attr_float(n, "alpha", 0.01f); return 1;
    case NG_OP_ELU: *p0 = ng_attr_float(n, "alpha", 1.0f); return 1;
    case NG_OP_SELU:
        *p0 = ng_attr_float(n, "alpha", 1.67326319217681884765625f);
        *p1 = ng_attr_float(n, "gamma", 1.05070102214813232421875f);
        return 1;
    case NG_OP_GELU: *p0 = ng_attr_string(n, "approximate", "none")[0] == 't'; return 1;
    case NG_OP_HARDSIGMOID:
        *p0 = ng_attr_float(n, "alpha", 0.2f);
        *p1 = ng_attr_float(n, "beta", 0.5f);
        return 1;
    case NG_OP_CLIP:
        if (n->opset < 11) {
            *p0 = ng_attr_float(n, "min", -FLT_MAX);
            *p1 = ng_attr_float(n, "max", FLT_MAX);
            return 1;
        }
        *p0 = -INFINITY;
        *p1 = INFINITY;
        for (int j = 1; j <= 2; j++) {
            const ng_tensor *t = ng_in(g, n, j);
            if (!t || j >= n->n_main_inputs) continue;
            if (!t->data || ng_numel(t) != 1) return 0;
            float v = (float)ng_const_double(t, 0);
            if (j == 1) *p0 = v;
            else *p1 = v;
        }
        return 1;
    default: return 1;
    }
}

int ng_eltwise_supported(const ng_graph *g, const ng_node *n, int nin) {
    if (!ng_eltwise_is(n)) return 0;
    const ng_tensor *y = ng_out(g, n, 0);
    if (!ng_lower_f32_ok(y) || (nin == 2 && n->n_main_inputs != 2)) return 0;
    for (int j = 0; j < nin; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        ng_bcast b;
        if (!ng_lower_f32_ok(t) || !ng_bcast_plan(y->rank, y->dims, t->rank, t->dims, &b))
            return 0;
    }
    float p0, p1;
    return ng_eltwise_params(g, n, &p0, &p1);
}

int ng_where_supported(const ng_graph *g, const ng_node *n) {
    if (n->op != NG_OP_WHERE || n->n_epi || n->n_main_inputs != 3 || n->n_in != 3) return 0;
    const ng_tensor *y = ng_out(g, n, 0), *c = ng_in(g, n, 0);
    if (!ng_lower_f32_ok(y) || !c || c->dtype != NNGPU_DTYPE_BOOL || c->rank < 0) return 0;
    ng_bcast b;
    for (int j = 0; j < 3; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        if ((j && !ng_lower_f32_ok(t)) || !ng_bcast_plan(y->rank, y->dims, t->rank, t->dims, &b))
            return 0;
    }
    return 1;
}

nngpu_status ng_where_plan(const ng_graph *g, const ng_node *n, ng_bcast bc[3]) {
    const ng_tensor *y = ng_out(g, n, 0);
    for (int j = 0; j < 3; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        if (!ng_bcast_plan(y->rank, y->dims, t->rank, t->dims, &bc[j]))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': input '%s' does not broadcast to '%s'",
                            n->name, t->name, y->name);
    }
    return NNGPU_OK;
}

nngpu_status ng_eltwise_plan(const ng_graph *g, const ng_node *n, int nin, ng_eltwise_view *v) {
    const ng_tensor *y = ng_out(g, n, 0);
    memset(v, 0, sizeof *v);
    v->nin = nin;
    for (int j = 0; j < nin; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        if (!ng_bcast_plan(y->rank, y->dims, t->rank, t->dims, &v->bc[j]))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': input '%s' does not broadcast to '%s'",
                            n->name, t->name, y->name);
    }
    if (!ng_eltwise_params(g, n, &v->p0, &v->p1))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Clip bounds must be constant scalars",
                        n->name);
    v->total = ng_numel(y);
    snprintf(v->name, sizeof v->name, "eltwise_%s", ng_op_name(n->op));
    for (char *s = v->name; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
    return NNGPU_OK;
}
