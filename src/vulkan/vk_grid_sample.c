/* GridSample: data.comp's KIND 6, one invocation per output element; the
 * grid is read through the index binding as float bits. */
#include <string.h>

#include "core/status.h"
#include "runtime/lower_grid_sample.h"
#include "vk_data.h"

int ng_vk_grid_sample_supports(const ng_context *c, const ng_graph *g, const ng_node *n) {
    /* fp16 layers (c->half) keep it: the grid's coordinates need float32 */
    return !c->half && ng_grid_sample_supported(g, n) && ng_vk_epilogue_supported(g, n);
}

nngpu_status ng_vk_grid_sample_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                       const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    ng_grid_sample_plan p;
    ng_grid_sample_plan_make(g, n, &p);
    ng_vk_kernel_name(k, n, p.name);
    if (ng_numel(y) == 0) return NNGPU_OK;
    int32_t meta[24] = {0}; /* spatial sizes; then align_corners */
    for (int d = 0; d < p.nd; d++) meta[d] = (int32_t)p.size[d];
    meta[8] = p.align;
    ng_vk_data_call d;
    memset(&d, 0, sizeof d);
    d.kind = NG_VK_DATA_GRID_SAMPLE;
    d.taps = p.taps;
    d.pad_mode = p.pad;
    d.read = n->in[0];
    d.write = n->out[0];
    d.items = ng_numel(y);
    d.push.rank = (uint32_t)p.nd;
    d.push.n_idx = (uint32_t)p.out_plane;
    d.push.inner = (uint32_t)p.in_plane;
    d.push.axis_len = (uint32_t)p.channels;
    if (!ng_in(g, n, 1)->data) d.read_idx = n->in[1] + 1;
    NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &d.meta));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[1], bind, &d.idx, &d.push.idx_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &d.y, &d.push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &d.x, &d.push.x_off));
    return ng_vk_data_dispatch(c, k, g, bind, n, &d);
}
