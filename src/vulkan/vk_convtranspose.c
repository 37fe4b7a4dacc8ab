/* The convtranspose family: ConvTranspose with 1..3 spatial dims as a
 * direct gather (shaders/vulkan/convtranspose.comp, geometry from
 * src/runtime/convt_plan.h). */
#include <limits.h>
#include <stdio.h>

#include "core/status.h"
#include "runtime/convt_plan.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_MB, SPEC_BIAS, EPI_SPEC = 3 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 5 };

typedef struct ct_push {
    uint32_t y_off, x_off, w_off, b_off, total;
    ng_vk_epi_push epi;
} ct_push;

static int ct_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    int32_t geo[NG_CONVT_GEO];
    const ng_tensor *b = n->n_main_inputs > 2 ? ng_in(g, n, 2) : NULL;
    return n->op == NG_OP_CONVTRANSPOSE && ng_vk_float_tensor_ok(ng_in(g, n, 0)) &&
           ng_vk_float_tensor_ok(ng_in(g, n, 1)) && ng_vk_float_tensor_ok(ng_out(g, n, 0)) &&
           (!b || ng_vk_float_tensor_ok(b)) && ng_convt_geometry(g, n, geo) &&
           (!b || ng_numel(b) >= geo[2]) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status ct_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k) {
    int32_t geo[NG_CONVT_GEO];
    if (!ng_convt_geometry(g, n, geo))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': ConvTranspose geometry", n->name);
    int has_bias = n->n_main_inputs > 2 && n->in[2] >= 0;
    int64_t mg = geo[2] / geo[3];
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    ng_params_set(&p, "MB", 8); /* output channels per invocation */
    char sig[96];
    snprintf(sig, sizeof sig, "%dx%dx%dx%d:%d:k%dx%d:s%dx%d", geo[0], geo[1], geo[8], geo[9], geo[2],
             geo[11], geo[12], geo[14], geo[15]);
    ng_params_lookup(&c->info, c->opts.tuning_db, "convtranspose", sig, &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);
    int mb = ng_params_get(&p, "MB", 8);
    if (mb < 1 || mb > 32) mb = 8;
    if (mb > mg) mb = (int)mg;
    if (mb < 1) mb = 1;
    ng_vk_kernel_name(k, n, "convtranspose");
    /* invocations: N x groups x channel blocks x phases x outputs per phase */
    int64_t total = (int64_t)geo[0] * geo[3] * ((mg + mb - 1) / mb);
    for (int i = 0; i < 3; i++) total *= (int64_t)geo[13 + i] * geo[22 + i];
    if (total > INT_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': ConvTranspose too large", n->name);
    if (total == 0 || ng_numel(ng_out(g, n, 0)) == 0) return NNGPU_OK;

    int32_t spec[N_SPEC] = {0};
    ct_push push = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_MB] = mb;
    spec[SPEC_BIAS] = has_bias;
    push.total = (uint32_t)total;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.x_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[1], bind, &buf[2], &push.w_off));
    if (has_bias) NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[2], bind, &buf[3], &push.b_off));
    else buf[3] = buf[2]; /* never read */
    NG_CHECK(ng_vk_upload(c, k, geo, sizeof geo, &buf[4]));
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "convtranspose", spec, N_SPEC, buf,
                                EPI_BINDING + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[3 + NG_MAX_EPI] = {n->in[0], n->in[1]}, n_reads = 2;
    if (has_bias) reads[n_reads++] = n->in[2];
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_convtranspose = {"convtranspose", ct_supports, ct_prepare};
