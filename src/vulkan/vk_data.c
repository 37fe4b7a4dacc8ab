/* The data family: copies (Reshape/Flatten/Squeeze/Unsqueeze/Identity/
 * Dropout/Cast), Transpose, Slice, Expand, Tile, DepthToSpace, SpaceToDepth,
 * Concat, Split as strided copies planned in src/runtime/lower_data.c;
 * Gather, GatherElements, Pad, Resize/Upsample in vk_data_index.c,
 * GridSample in vk_grid_sample.c. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "graph/passes.h"
#include "runtime/lower_data.h"
#include "vk_data.h"

enum { SPEC_WG, SPEC_KIND, SPEC_TAPS, SPEC_PAD_MODE, SPEC_IDX64, EPI_SPEC = 5 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 4 };

nngpu_status ng_vk_data_dispatch(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_binding *bind, const ng_node *epi, ng_vk_data_call *d) {
    if (d->items <= 0) return NNGPU_OK;
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    ng_params_lookup(&c->info, c->opts.tuning_db, "data", "", &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);
    int32_t spec[N_SPEC] = {0};
    spec[SPEC_WG] = wg;
    spec[SPEC_KIND] = d->kind;
    spec[SPEC_TAPS] = d->taps > 0 ? d->taps : 1;
    spec[SPEC_PAD_MODE] = d->pad_mode;
    spec[SPEC_IDX64] = d->idx64;
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS] = {d->y, d->x, d->meta ? d->meta : d->y,
                                                         d->idx ? d->idx : d->y};
    d->push.n = (uint32_t)d->items;
    NG_CHECK(ng_vk_epilogue_args(c, k, g, epi && epi->n_epi ? epi : NULL, bind, d->y,
                                 spec + EPI_SPEC, buf + EPI_BINDING, &d->push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)d->items, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "data", spec, N_SPEC, buf, EPI_BINDING + NG_VK_EPI_BINDINGS,
                                &d->push, sizeof d->push, groups));
    int reads[2 + NG_MAX_EPI], n_reads = 0;
    if (d->read >= 0) reads[n_reads++] = d->read;
    if (d->read_idx > 0) reads[n_reads++] = d->read_idx - 1;
    n_reads += ng_vk_epilogue_reads(epi, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, d->write);
    return NNGPU_OK;
}

/* ---- strided copies ------------------------------------------------------- */

#define MAX_COPIES NG_VK_MAX_DISPATCHES

/* Runs the copies, one dispatch each; the strided ones share one meta
 * buffer (dims, x strides, y strides: 24 ints each). epi: the node whose
 * epilogue applies (NULL: none). */
static nngpu_status copies_run(ng_context *c, ng_kernel *k, const ng_graph *g,
                               const ng_binding *bind, ng_copy_part *cp, int n_cp, const ng_node *epi) {
    int32_t meta[24 * MAX_COPIES];
    int n_meta = 0, strided[MAX_COPIES];
    memset(meta, 0, sizeof meta);
    for (int j = 0; j < n_cp; j++) {
        ng_copy_part *d = &cp[j];
        d->rank = ng_vk_collapse(d->rank, d->dims, d->xs, d->ys);
        strided[j] = !(d->rank == 1 && d->xs[0] == 1 && d->ys[0] == 1);
        if (!strided[j]) continue;
        int32_t *m = meta + 24 * n_meta++;
        for (int r = 0; r < d->rank; r++) {
            m[r] = (int32_t)d->dims[r];
            m[8 + r] = (int32_t)d->xs[r];
            m[16 + r] = (int32_t)d->ys[r];
        }
    }
    ng_buffer *meta_buf = NULL;
    if (n_meta) NG_CHECK(ng_vk_upload(c, k, meta, sizeof(int32_t) * 24 * (size_t)n_meta, &meta_buf));
    for (int j = 0, at = 0; j < n_cp; j++) {
        ng_copy_part *d = &cp[j];
        ng_vk_data_call call;
        memset(&call, 0, sizeof call);
        call.kind = strided[j] ? NG_VK_DATA_STRIDED : NG_VK_DATA_CONTIG;
        call.items = 1;
        for (int r = 0; r < d->rank; r++) call.items *= d->dims[r];
        NG_CHECK(ng_vk_tensor_arg(c, k, g, d->yt, bind, &call.y, &call.push.y_off));
        NG_CHECK(ng_vk_tensor_arg(c, k, g, d->xt, bind, &call.x, &call.push.x_off));
        call.push.y_off += (uint32_t)d->y_extra;
        call.push.x_off += (uint32_t)d->x_extra;
        call.push.y_base = (uint32_t)d->y_extra;
        call.push.rank = (uint32_t)d->rank;
        if (strided[j]) {
            call.meta = meta_buf;
            call.push.meta_off = (uint32_t)(24 * at++);
        }
        call.read = d->xt;
        call.write = d->yt;
        NG_CHECK(ng_vk_data_dispatch(c, k, g, bind, epi, &call));
    }
    return NNGPU_OK;
}

_Static_assert(MAX_COPIES >= NG_CONCAT_MAX_PARTS, "a split Concat must fit one node");

static int data_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (n->op == NG_OP_GATHER || n->op == NG_OP_GATHERELEMENTS) return ng_vk_gather_supports(g, n);
    if (n->op == NG_OP_PAD) return ng_vk_pad_supports(g, n);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_vk_resize_supports(g, n);
    if (n->op == NG_OP_GRIDSAMPLE) return ng_vk_grid_sample_supports(c, g, n);
    return ng_copy_supported(g, n, MAX_COPIES) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status data_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_GATHER || n->op == NG_OP_GATHERELEMENTS)
        return ng_vk_gather_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_PAD) return ng_vk_pad_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_vk_resize_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_GRIDSAMPLE) return ng_vk_grid_sample_prepare(c, g, n, bind, k);
    ng_copy_part cp[MAX_COPIES];
    ng_copy_plan plan;
    NG_CHECK(ng_copy_plan_make(g, n, cp, MAX_COPIES, &plan));
    ng_vk_kernel_name(k, n, plan.name);
    return copies_run(c, k, g, bind, cp, plan.n_parts, plan.epilogue ? n : NULL);
}

const ng_vk_family ng_vk_family_data = {"data", data_supports, data_prepare};
