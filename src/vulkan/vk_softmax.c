/* The softmax family: Softmax, LogSoftmax, Hardmax as (outer, len, inner); opset < 13 coerces to
 * 2-D at `axis` (default 1), opset >= 13 normalizes one axis (default -1)
 * (shaders/vulkan/softmax.comp). */
#include <stdio.h>

#include "core/status.h"
#include "runtime/lower_softmax.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_ROWS, SPEC_LOG, SPEC_HARD, EPI_SPEC = 4 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 2 };

typedef struct softmax_push {
    uint32_t y_off, x_off, outer, len, inner;
    ng_vk_epi_push epi;
} softmax_push;

static int softmax_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_softmax_supported(g, n) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status softmax_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k) {
    ng_softmax_view v;
    NG_CHECK(ng_softmax_lower(&c->info, c->opts.tuning_db, g, n, &v, &k->params_source));
    int64_t outer = v.outer, len = v.len, inner = v.inner;
    int wg = v.wg, rows = v.rows;
    static const char *names[2][2] = {{"softmax_strided", "softmax_rows"},
                                      {"logsoftmax_strided", "logsoftmax_rows"}};
    ng_vk_kernel_name(k, n, n->op == NG_OP_HARDMAX ? "hardmax" : names[n->op == NG_OP_LOGSOFTMAX][rows]);
    if (outer * inner == 0) return NNGPU_OK;

    int32_t spec[N_SPEC] = {0};
    softmax_push push = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_ROWS] = rows;
    spec[SPEC_LOG] = n->op == NG_OP_LOGSOFTMAX;
    spec[SPEC_HARD] = n->op == NG_OP_HARDMAX;
    push.outer = (uint32_t)outer;
    push.len = (uint32_t)len;
    push.inner = (uint32_t)inner;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.x_off));
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, rows ? (uint64_t)outer * (uint64_t)wg : (uint64_t)(outer * inner),
                    (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "softmax", spec, N_SPEC, buf,
                                EPI_BINDING + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[1 + NG_MAX_EPI] = {n->in[0]};
    int n_reads = 1 + ng_vk_epilogue_reads(n, reads + 1);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_softmax = {"softmax", softmax_supports, softmax_prepare};
