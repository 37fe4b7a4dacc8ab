/* MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (NCHW, 2-D; 1-D as
 * H=1) from shaders/vulkan/pool.comp. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "runtime/lower_pool.h"
#include "vk_util.h"

enum { SPEC_N = 8, BIND_N = 2 };

typedef struct pool_push {
    int32_t H, W, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW;
    int32_t total, x_off, y_off;
    ng_vk_epi_push epi;
} pool_push;

static int pool_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_pool_supported(g, n) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status pool_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    ng_pool_geom pg;
    NG_CHECK(ng_pool_lower(g, n, k->node_name, "vulkan", &pg));
    ng_params p;
    memset(&p, 0, sizeof p);
    char sig[160];
    ng_pool_signature(&pg, sig, sizeof sig);
    ng_params_set(&p, "WG", !pg.global ? 64 : pg.W >= 256 ? 64 : pg.W >= 32 ? 16 : 1);
    ng_params_lookup(&c->info, c->opts.tuning_db, pg.global ? "vk_global_pool" : "vk_pool", sig, &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);

    ng_buffer *buf[BIND_N + NG_VK_EPI_BINDINGS];
    pool_push push;
    memset(&push, 0, sizeof push);
    uint32_t off;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[0], &off));
    push.x_off = (int32_t)off;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[1], &off));
    push.y_off = (int32_t)off;
    push.H = pg.H; push.W = pg.W; push.OH = pg.OH; push.OW = pg.OW; push.KH = pg.KH;
    push.KW = pg.KW; push.SH = pg.SH; push.SW = pg.SW; push.PT = pg.PT; push.PL = pg.PL;
    push.PB = pg.PB; push.PR = pg.PR; push.DH = pg.DH; push.DW = pg.DW;
    int64_t total = pg.global ? pg.planes : (int64_t)pg.planes * pg.OH * pg.OW;
    if (total > INT_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': pooling too large", k->node_name);
    push.total = (int32_t)total;

    int32_t spec[SPEC_N + NG_VK_EPI_SPECS];
    memset(spec, 0, sizeof spec);
    spec[0] = wg; spec[1] = pg.is_max; spec[2] = pg.count_pad; spec[3] = pg.global;
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + SPEC_N, buf + BIND_N, &push.epi));
    uint32_t groups[3];
    /* global: one work-group per plane */
    ng_vk_groups_1d(c, pg.global ? (uint64_t)total * (uint64_t)wg : (uint64_t)total, (uint32_t)wg,
                    groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "pool", spec, SPEC_N + NG_VK_EPI_SPECS, buf,
                                BIND_N + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[1 + NG_MAX_EPI], n_reads = 0;
    reads[n_reads++] = n->in[0];
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    char base[32];
    snprintf(base, sizeof base, "%s_%s", pg.global ? "global_pool" : "pool2d",
             pg.is_max ? "max" : "avg");
    ng_vk_kernel_name(k, n, base);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_pool = {"pool", pool_supports, pool_prepare};
