/* GridSample: one work-item per output element, the plan's shapes and modes
 * compiled in (data.cl, grid_sample). */
#include <stdio.h>

#include "cl_data.h"
#include "core/status.h"
#include "runtime/lower_grid_sample.h"

int ng_cl_grid_sample_supports(const ng_context *c, const ng_graph *g, const ng_node *n) {
    /* fp16 layers (c->half) keep it: the grid's coordinates need float32 */
    return !c->half && ng_grid_sample_supported(g, n) && ng_cl_epilogue_supported(g, n);
}

nngpu_status ng_cl_grid_sample_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                       const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    ng_grid_sample_plan p;
    ng_grid_sample_plan_make(g, n, &p);
    ng_cl_kernel_name(k, n, p.name);
    if (ng_numel(y) == 0) return NNGPU_OK;
    char opts[256];
    snprintf(opts, sizeof opts,
             "-DGS_ND=%d -DTAPS=%d -DGS_PAD=%d -DGS_ALIGN=%d -DGS_C=%lld -DGS_OUT=%lld -DGS_IN=%lld "
             "-DGS_SIZE=%lld,%lld,%lld -DNG_EPI=%d",
             p.nd, p.taps, p.pad, p.align, (long long)p.channels, (long long)p.out_plane,
             (long long)p.in_plane, (long long)p.size[0], (long long)p.size[1], (long long)p.size[2],
             n->n_epi > 0);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "data.cl", "grid_sample", opts, (size_t)ng_numel(y), 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[1], bind);
    ng_cl_arg_int(&a, ng_numel(y));
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    return a.status;
}
