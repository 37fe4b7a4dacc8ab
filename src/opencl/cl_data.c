/* The data family: copies (Reshape/Flatten/Squeeze/Unsqueeze/Identity/
 * Dropout/Cast), Transpose, Slice, Expand, Tile, DepthToSpace, SpaceToDepth,
 * Concat, Split as strided copies planned in src/runtime/lower_data.c;
 * Gather, GatherElements, Pad in cl_data_index.c, Resize/Upsample in
 * cl_resize.c, GridSample in cl_grid_sample.c. */
#include <stdio.h>
#include <string.h>

#include "cl_data.h"
#include "core/status.h"
#include "graph/passes.h"
#include "runtime/lower_data.h"

/* One copy launch for part cp; epi: the node whose epilogue applies (NULL: none). */
static nngpu_status copy_launch(ng_context *c, ng_kernel *k, const ng_graph *g,
                                const ng_binding *bind, const ng_copy_part *cp,
                                const ng_node *epi) {
    int64_t d[NNGPU_MAX_DIMS], xst[NNGPU_MAX_DIMS], yst[NNGPU_MAX_DIMS], total = 1;
    for (int j = 0; j < cp->rank; j++) {
        d[j] = cp->dims[j];
        xst[j] = cp->xs[j];
        yst[j] = cp->ys[j];
        total *= cp->dims[j];
    }
    if (total == 0) return NNGPU_OK;
    int r = ng_cl_collapse(cp->rank, d, xst, yst);
    int contig = r == 1 && xst[0] == 1 && yst[0] == 1;
    int has_epi = epi && epi->n_epi > 0;
    ng_params p = {0};
    ng_params_set(&p, "VEC", 4);
    ng_params_lookup(&c->info, c->opts.tuning_db, "copy", "", &p);
    int vec = ng_params_get(&p, "VEC", 4);
    if (vec < 1) vec = 1;
    /* CPUs: strided copies by innermost rows of 8+ elements (per-element
     * index arithmetic made PoCL's transposes 5-10x slower). */
    int by_rows = !contig && r >= 2 && d[r - 1] >= 8 && strcmp(c->info.device_type, "gpu") != 0;
    char opts[64];
    snprintf(opts, sizeof opts, "-DVEC=%d -DNG_EPI=%d -DROWS=%d", vec, has_epi, by_rows);
    const char *kname = contig ? "copy_contig" : "copy_strided";
    int64_t items = contig ? (total + vec - 1) / vec : by_rows ? total / d[r - 1] : total;
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "data.cl", kname, opts, (size_t)items, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor_at(&a, c, k, g, cp->yt, bind, cp->y_extra);
    ng_cl_arg_tensor_at(&a, c, k, g, cp->xt, bind, cp->x_extra);
    ng_cl_arg_int(&a, by_rows ? items : total);
    ng_cl_arg_int(&a, cp->y_extra);
    if (!contig) {
        ng_cl_arg_int(&a, r);
        ng_cl_arg_int8(&a, d, r);
        ng_cl_arg_int8(&a, xst, r);
        ng_cl_arg_int8(&a, yst, r);
    }
    ng_cl_arg_epilogue(&a, c, k, g, has_epi ? epi : NULL, bind);
    return a.status;
}

_Static_assert(NG_CL_MAX_LAUNCHES >= NG_CONCAT_MAX_PARTS, "a split Concat must fit one node");

static int data_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (n->op == NG_OP_GATHER || n->op == NG_OP_GATHERELEMENTS) return ng_cl_gather_supports(g, n);
    if (n->op == NG_OP_PAD) return ng_cl_pad_supports(g, n);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_cl_resize_supports(g, n);
    if (n->op == NG_OP_GRIDSAMPLE) return ng_cl_grid_sample_supports(c, g, n);
    return ng_copy_supported(g, n, NG_CL_MAX_LAUNCHES) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status data_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_GATHER || n->op == NG_OP_GATHERELEMENTS)
        return ng_cl_gather_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_PAD) return ng_cl_pad_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_cl_resize_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_GRIDSAMPLE) return ng_cl_grid_sample_prepare(c, g, n, bind, k);
    ng_copy_part parts[NG_CL_MAX_LAUNCHES];
    ng_copy_plan plan;
    NG_CHECK(ng_copy_plan_make(g, n, parts, NG_CL_MAX_LAUNCHES, &plan));
    for (int j = 0; j < plan.n_parts; j++)
        NG_CHECK(copy_launch(c, k, g, bind, &parts[j], plan.epilogue ? n : NULL));
    ng_cl_kernel_name(k, n, plan.name);
    return NNGPU_OK;
}

const ng_cl_family ng_cl_family_data = {"data", data_supports, data_prepare};
