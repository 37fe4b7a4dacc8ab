/* The convtranspose family: ConvTranspose with 1..3 spatial dims as a
 * direct gather kernel (shaders/opencl/convtranspose.cl). */
#include <limits.h>
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/convt_plan.h"

/* The geometry (src/runtime/convt_plan.h) for float tensors the kernel indexes. */
static int ct_geometry(const ng_graph *g, const ng_node *n, cl_int *geo) {
    return ng_cl_float_tensor_ok(ng_in(g, n, 0)) && ng_cl_float_tensor_ok(ng_in(g, n, 1)) &&
           ng_cl_float_tensor_ok(ng_out(g, n, 0)) && ng_convt_geometry(g, n, (int32_t *)geo);
}

static int ct_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    cl_int geo[NG_CONVT_GEO];
    const ng_tensor *b = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    return n->op == NG_OP_CONVTRANSPOSE && ct_geometry(g, n, geo) && (!b || ng_cl_float_tensor_ok(b)) &&
           ng_cl_epilogue_supported(g, n);
}

static nngpu_status ct_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k) {
    cl_int geo[NG_CONVT_GEO];
    if (!ct_geometry(g, n, geo))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': ConvTranspose geometry", n->name);
    int has_bias = n->n_main_inputs > 2 && n->in[2] >= 0;
    int64_t mg = geo[2] / geo[3];
    ng_params p = {0};
    ng_params_set(&p, "MB", 8); /* output channels per work-item */
    char sig[96];
    snprintf(sig, sizeof sig, "%dx%dx%dx%d:%d:k%dx%d:s%dx%d", geo[0], geo[1], geo[8], geo[9], geo[2],
             geo[11], geo[12], geo[14], geo[15]);
    ng_params_lookup(&c->info, c->opts.tuning_db, "convtranspose", sig, &p);
    k->params_source = p.source;
    int mb = ng_params_get(&p, "MB", 8);
    if (mb < 1 || mb > 32) mb = 8;
    if (mb > mg) mb = (int)mg;
    /* work-items: N x groups x channel blocks x phases x outputs per phase */
    int64_t total = (int64_t)geo[0] * geo[3] * ((mg + mb - 1) / mb);
    for (int i = 0; i < 3; i++) total *= (int64_t)geo[13 + i] * geo[22 + i];
    if (total > INT_MAX) return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': ConvTranspose too large", n->name);
    char eopts[1024], opts[1100];
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    snprintf(opts, sizeof opts, "-DHAS_BIAS=%d -DMB=%d %s", has_bias, mb, eopts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "convtranspose.cl", "convtranspose", opts, (size_t)total, 0, &kern));
    cl_mem geo_mem;
    NG_CHECK(ng_cl_meta_upload(c, k, geo, sizeof geo, &geo_mem));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[1], bind);
    if (has_bias) {
        ng_cl_arg_tensor(&a, c, k, g, n->in[2], bind);
    } else { /* unused */
        ng_cl_arg_mem(&a, geo_mem);
        ng_cl_arg_int(&a, 0);
    }
    ng_cl_arg_mem(&a, geo_mem);
    ng_cl_arg_int(&a, total);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, "convtranspose");
    return a.status;
}

const ng_cl_family ng_cl_family_convtranspose = {"convtranspose", ct_supports, ct_prepare};
