/* The reduce family: ReduceSum / Mean / Max / Min / Prod / L1 / L2 /
 * SumSquare / LogSumExp over any axes
 * (shaders/vulkan/reduce.comp). The input is collapsed to groups of
 * neighbouring dims that are all kept or all reduced; one reduced group runs
 * as (outer, len, inner), more as generic. */
#include <stdio.h>

#include "core/status.h"
#include "runtime/lower_reduce.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_KIND, SPEC_RED, EPI_SPEC = 3 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 3 };

typedef struct reduce_push {
    uint32_t y_off, x_off, outer, len, inner, n_out, nk, nr;
    ng_vk_epi_push epi;
} reduce_push;

static int reduce_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_reduce_supported(g, n) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status reduce_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k) {
    ng_reduce_view v;
    NG_CHECK(ng_reduce_lower(&c->info, c->opts.tuning_db, g, n, &v, &k->params_source));
    int64_t outer = v.outer, inner = v.inner, n_out = v.n_out;
    int wg = v.wg;
    static const char *names[] = {"reduce_rows", "reduce_strided", "reduce_generic"};
    ng_vk_kernel_name(k, n, names[v.kind]);
    if (n_out == 0) return NNGPU_OK;

    int32_t spec[N_SPEC] = {0};
    reduce_push push = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_KIND] = (int32_t)v.kind;
    spec[SPEC_RED] = v.code;
    push.outer = (uint32_t)outer;
    push.len = (uint32_t)v.len;
    push.inner = (uint32_t)inner;
    push.n_out = (uint32_t)n_out;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.x_off));
    buf[2] = buf[0];
    if (v.kind == NG_REDUCE_GENERIC) { /* kept dims, strides; reduced dims, strides */
        int32_t meta[32] = {0};
        for (int j = 0; j < v.nk; j++) {
            meta[j] = (int32_t)v.kd[j];
            meta[8 + j] = (int32_t)v.ks[j];
        }
        for (int j = 0; j < v.nr; j++) {
            meta[16 + j] = (int32_t)v.rd[j];
            meta[24 + j] = (int32_t)v.rs[j];
        }
        push.nk = (uint32_t)v.nk;
        push.nr = (uint32_t)v.nr;
        NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &buf[2]));
    }
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, v.kind == NG_REDUCE_ROWS ? (uint64_t)n_out * (uint64_t)wg : (uint64_t)n_out,
                    (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "reduce", spec, N_SPEC, buf,
                                EPI_BINDING + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[1 + NG_MAX_EPI] = {n->in[0]};
    int n_reads = 1 + ng_vk_epilogue_reads(n, reads + 1);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_reduce = {"reduce", reduce_supports, reduce_prepare};
