/* The norm family: LayerNormalization (Y only), InstanceNormalization and
 * GroupNormalization as one kernel, a work-group per normalized row; LRN. Scale and
 * bias must be constants; they are uploaded expanded to one value per
 * (row-class, position) so the kernel indexes them without broadcasting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/norm_plan.h"

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
    /* CPUs: vectors of neighbouring positions (one position per work-item
     * was ~10x slower on POCL: per-item index arithmetic and scalar pow). */
    int vec = strcmp(c->info.device_type, "gpu") == 0 ? 0 : 16;
    char eopts[1024], opts[1100];
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    cl_kernel kern;
    if (vec) {
        snprintf(opts, sizeof opts, "%s -DLRN_VEC=%d", eopts, vec);
        NG_CHECK(ng_cl_launch_add(c, k, "norm.cl", "lrn_vec", opts, 1, 0, &kern));
        ng_cl_launch *l = &k->launch[k->n_launches - 1];
        l->dims = 3;
        l->global[0] = sp >= vec ? (size_t)((sp + vec - 1) / vec) : 1;
        l->global[1] = (size_t)x->dims[1];
        l->global[2] = (size_t)x->dims[0];
    } else {
        NG_CHECK(ng_cl_launch_add(c, k, "norm.cl", "lrn", eopts, (size_t)total, 0, &kern));
    }
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
    ng_norm_plan p;
    const ng_tensor *s = ng_in(g, n, 1), *b = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    return ng_cl_float_tensor_ok(ng_in(g, n, 0)) && ng_cl_float_tensor_ok(ng_out(g, n, 0)) &&
           s && s->data && (!b || b->data) && ng_norm_plan_of(g, n, &p) && p.len > 0 &&
           ng_cl_epilogue_supported(g, n);
}

static nngpu_status norm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_LRN) return lrn_prepare(c, g, n, bind, k);
    ng_norm_plan p;
    if (!ng_norm_plan_of(g, n, &p))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad normalization parameters", n->name);
    float *sv = ng_norm_param_expand(g, n, 1, &p), *bv = ng_norm_param_expand(g, n, n->n_main_inputs > 2 ? 2 : -1, &p);
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
