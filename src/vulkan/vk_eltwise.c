/* The eltwise family: every elementwise unary/binary op (plus two-input
 * Max/Min, Floor, Ceil) with NumPy broadcasting and the fused epilogue
 * (shaders/vulkan/eltwise.comp); which nodes and their plans come from
 * src/runtime/lower_eltwise.c. */
#include <stdio.h>

#include "core/status.h"
#include "runtime/lower_eltwise.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_OP, SPEC_BINARY, SPEC_MODE_A, SPEC_MODE_B, SPEC_P0, SPEC_P1, EPI_SPEC = 8 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 4 };

typedef struct eltwise_push {
    uint32_t y_off, a_off, b_off, n;
    uint32_t inner_a, count_a, inner_b, count_b;
    ng_vk_epi_push epi;
} eltwise_push;

static int n_operands(const ng_node *n) {
    return ng_vk_opcode_is_binary(ng_vk_opcode_of(n->op)) ? 2 : 1;
}

static int eltwise_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_vk_opcode_of(n->op) != NG_VK_OP_NONE &&
           ng_eltwise_supported(g, n, n_operands(n)) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status eltwise_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    ng_eltwise_view v;
    NG_CHECK(ng_eltwise_plan(g, n, n_operands(n), &v));
    int nin = v.nin;
    int64_t total = v.total;
    ng_vk_kernel_name(k, n, v.name);
    if (total == 0) return NNGPU_OK;

    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%s:%lld", ng_op_name(n->op), (long long)total);
    ng_params_lookup(&c->info, c->opts.tuning_db, "eltwise", sig, &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);

    int32_t spec[N_SPEC] = {0};
    eltwise_push push = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_OP] = ng_vk_opcode_of(n->op);
    spec[SPEC_BINARY] = nin == 2;
    spec[SPEC_P0] = ng_vk_float_bits(v.p0);
    spec[SPEC_P1] = ng_vk_float_bits(v.p1);
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.a_off));
    buf[2] = buf[1];
    if (nin == 2) NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[1], bind, &buf[2], &push.b_off));
    buf[3] = buf[0];
    int generic = 0;
    for (int j = 0; j < nin; j++) {
        int mode = ng_vk_bcast_mode(&v.bc[j]);
        spec[SPEC_MODE_A + j] = mode;
        generic |= mode == NG_VK_IDX_GENERIC;
    }
    push.inner_a = (uint32_t)(v.bc[0].inner > 0 ? v.bc[0].inner : 1);
    push.count_a = (uint32_t)(v.bc[0].count > 0 ? v.bc[0].count : 1);
    push.inner_b = (uint32_t)(nin == 2 && v.bc[1].inner > 0 ? v.bc[1].inner : 1);
    push.count_b = (uint32_t)(nin == 2 && v.bc[1].count > 0 ? v.bc[1].count : 1);
    push.n = (uint32_t)total;
    if (generic) {
        int32_t meta[NG_VK_META_SIZE(2)];
        const ng_bcast *plans[2] = {&v.bc[0], nin == 2 ? &v.bc[1] : NULL};
        ng_vk_bcast_meta(meta, y->rank, y->dims, plans, 2);
        NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &buf[3]));
    }
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "eltwise", spec, N_SPEC, buf, EPI_BINDING + NG_VK_EPI_BINDINGS,
                                &push, sizeof push, groups));
    int reads[2 + NG_MAX_EPI];
    int n_reads = 0;
    for (int j = 0; j < nin; j++) reads[n_reads++] = n->in[j];
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_eltwise = {"eltwise", eltwise_supports, eltwise_prepare};
