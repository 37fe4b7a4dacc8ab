/* The norm family: LayerNormalization (Y only), InstanceNormalization and
 * GroupNormalization as one kernel, a work-group per normalized row; LRN. Scale and
 * bias must be constants; they are uploaded expanded to one value per
 * (row-class, position) so the kernel indexes them without broadcasting. */
#include <stdio.h>
#include <stdlib.h>

#include "cl_util.h"
#include "core/status.h"

typedef struct norm_plan {
    int64_t rows, len, R, CG, SP, n_par; /* n_par: expanded scale/bias length */
} norm_plan;

static int norm_plan_of(const ng_graph *g, const ng_node *n, norm_plan *p) {
    const ng_tensor *x = ng_in(g, n, 0);
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
    if (x->rank < 2) return 0;
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

/* The constant parameter input i expanded to p->n_par floats (malloc'd); NULL when not constant. */
static float *expand_param(const ng_graph *g, const ng_node *n, int i, const norm_plan *p) {
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
        for (int64_t k = 0; k < p->n_par; k++) v[k] = (float)ng_const_double(t, per_group ? k / p->CG : k);
    }
    return v;
}

static int lrn_supports(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0);
    return ng_cl_float_tensor_ok(x) && ng_cl_float_tensor_ok(ng_out(g, n, 0)) && x->rank >= 2 &&
           ng_attr_int(n, "size", 0) >= 1 && ng_cl_epilogue_supported(g, n);
}

static nngpu_status lrn_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0);
    int64_t size = ng_attr_int(n, "size", 1), sp = 1, total = ng_numel(x);
    for (int i = 2; i < x->rank; i++) sp *= x->dims[i];
    char eopts[1024];
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "norm.cl", "lrn", eopts, (size_t)total, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_int(&a, total);
    ng_cl_arg_int(&a, x->dims[1]);
    ng_cl_arg_int(&a, sp);
    ng_cl_arg_int(&a, (size - 1) / 2);
    ng_cl_arg_int(&a, size - 1 - (size - 1) / 2);
    ng_cl_arg_float(&a, ng_attr_float(n, "alpha", 1e-4f) / (float)size);
    ng_cl_arg_float(&a, ng_attr_float(n, "beta", 0.75f));
    ng_cl_arg_float(&a, ng_attr_float(n, "bias", 1.0f));
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, "lrn");
    return a.status;
}

static int norm_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (n->op == NG_OP_LRN) return lrn_supports(g, n);
    if (n->op != NG_OP_LAYERNORM && n->op != NG_OP_INSTANCENORM && n->op != NG_OP_GROUPNORM) return 0;
    for (int i = 1; i < n->n_out; i++)
        if (n->out[i] >= 0) return 0; /* LayerNorm Mean / InvStdDev: the CPU */
    norm_plan p;
    const ng_tensor *s = ng_in(g, n, 1), *b = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    return ng_cl_float_tensor_ok(ng_in(g, n, 0)) && ng_cl_float_tensor_ok(ng_out(g, n, 0)) &&
           s && s->data && (!b || b->data) && norm_plan_of(g, n, &p) && p.len > 0 &&
           ng_cl_epilogue_supported(g, n);
}

static nngpu_status norm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_LRN) return lrn_prepare(c, g, n, bind, k);
    norm_plan p;
    if (!norm_plan_of(g, n, &p))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad normalization parameters", n->name);
    float *sv = expand_param(g, n, 1, &p), *bv = expand_param(g, n, n->n_main_inputs > 2 ? 2 : -1, &p);
    nngpu_status st = sv && bv ? NNGPU_OK
                               : ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': scale and bias must be constant", n->name);
    cl_mem ms = NULL, mb = NULL;
    if (st == NNGPU_OK) st = ng_cl_meta_upload(c, k, sv, sizeof(float) * (size_t)p.n_par, &ms);
    if (st == NNGPU_OK) st = ng_cl_meta_upload(c, k, bv, sizeof(float) * (size_t)p.n_par, &mb);
    free(sv);
    free(bv);
    NG_CHECK(st);

    ng_params prm = {0};
    ng_params_set(&prm, "WG", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lld", (long long)p.rows, (long long)p.len);
    ng_params_lookup(&c->info, c->opts.tuning_db, "norm", sig, &prm);
    k->params_source = prm.source;
    int wg = ng_params_get(&prm, "WG", 64);
    if (wg < 1 || (wg & (wg - 1))) wg = 64;
    while ((size_t)wg > c->info.max_work_group_size && wg > 1) wg >>= 1;
    while (wg > 1 && wg / 2 >= p.len) wg >>= 1; /* short rows: a smaller group */

    char eopts[1024], opts[1100];
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    snprintf(opts, sizeof opts, "-DWG=%d %s", wg, eopts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "norm.cl", "norm_rows", opts, (size_t)(p.rows * wg), (size_t)wg, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_mem(&a, ms);
    ng_cl_arg_mem(&a, mb);
    ng_cl_arg_int(&a, p.len);
    ng_cl_arg_int(&a, p.R);
    ng_cl_arg_int(&a, p.CG);
    ng_cl_arg_int(&a, p.SP);
    ng_cl_arg_float(&a, ng_attr_float(n, "epsilon", 1e-5f));
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, n->op == NG_OP_LAYERNORM ? "layernorm" : n->op == NG_OP_INSTANCENORM ? "instancenorm" : "groupnorm");
    return a.status;
}

const ng_cl_family ng_cl_family_norm = {"norm", norm_supports, norm_prepare};
