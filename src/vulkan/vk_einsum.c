/* The einsum family: Einsum of one or two float inputs as a direct kernel
 * (shaders/vulkan/einsum.comp, plan from src/runtime/einsum_plan.h). */
#include <stdio.h>

#include "core/status.h"
#include "runtime/einsum_plan.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_TWO, EPI_SPEC = 2 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 4 };

typedef struct einsum_push {
    uint32_t y_off, a_off, b_off, total, n_sum;
    ng_vk_epi_push epi;
} einsum_push;

static int einsum_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    int32_t meta[NG_EINSUM_META];
    int64_t ns;
    if (n->op != NG_OP_EINSUM || n->n_main_inputs < 1 || n->n_main_inputs > 2) return 0;
    for (int i = 0; i < n->n_main_inputs; i++)
        if (!ng_vk_float_tensor_ok(ng_in(g, n, i))) return 0;
    return ng_vk_float_tensor_ok(ng_out(g, n, 0)) && ng_einsum_plan(g, n, meta, &ns) &&
           ng_vk_epilogue_supported(g, n);
}

static nngpu_status einsum_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k) {
    int32_t meta[NG_EINSUM_META];
    int64_t n_sum;
    if (!ng_einsum_plan(g, n, meta, &n_sum))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Einsum plan", n->name);
    int two = n->n_main_inputs == 2;
    int64_t total = ng_numel(ng_out(g, n, 0));
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lld:%d", (long long)total, (long long)n_sum, two + 1);
    ng_params_lookup(&c->info, c->opts.tuning_db, "einsum", sig, &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);
    ng_vk_kernel_name(k, n, "einsum");
    if (total == 0) return NNGPU_OK;

    int32_t spec[N_SPEC] = {0};
    einsum_push push = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_TWO] = two;
    push.total = (uint32_t)total;
    push.n_sum = (uint32_t)n_sum;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.a_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[two], bind, &buf[2], &push.b_off));
    NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &buf[3]));
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "einsum", spec, N_SPEC, buf,
                                EPI_BINDING + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[2 + NG_MAX_EPI] = {n->in[0], n->in[two]};
    int n_reads = 1 + two;
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_einsum = {"einsum", einsum_supports, einsum_prepare};
