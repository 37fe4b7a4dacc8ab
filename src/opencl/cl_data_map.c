/* Tile, DepthToSpace and SpaceToDepth as strided copies; the view comes from
 * src/runtime/remap.c (shared with Vulkan). */
#include "cl_data.h"
#include "runtime/remap.h"

int ng_cl_remap_plan(const ng_graph *g, const ng_node *n, int *rank, int64_t *dims, int64_t *xs) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!x || !y || !ng_cl_float_tensor_ok(x) || !ng_cl_float_tensor_ok(y)) return 0;
    return ng_remap_plan(g, n, rank, dims, xs);
}
