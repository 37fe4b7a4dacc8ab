/* Tile, DepthToSpace and SpaceToDepth as strided copies, shared by the
 * backends: each is a walk over the output in row-major order of an (up to
 * 8-D) view whose input strides follow from the op. */
#ifndef NG_REMAP_H
#define NG_REMAP_H

#include "graph/ir.h"

/* The view of node n (Tile, DepthToSpace, SpaceToDepth): *rank dims and the
 * input element stride of each. Returns 0 for other ops, unknown shapes or
 * attributes the plan cannot express. */
int ng_remap_plan(const ng_graph *g, const ng_node *n, int *rank, int64_t *dims, int64_t *xs);

#endif
