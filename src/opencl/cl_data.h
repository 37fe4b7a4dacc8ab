/* The data family's parts: copies (cl_data.c) and the indexed ops
 * gather/pad (cl_data_index.c), resize (cl_resize.c). */
#ifndef NG_CL_DATA_H
#define NG_CL_DATA_H

#include "cl_util.h"

/* One copy launch: iterates dims (rank), reading tensor xt at x_extra + sum(c*xs)
 * and writing tensor yt at y_extra + sum(c*ys). epi: the node whose epilogue
 * applies (NULL: none). */
nngpu_status ng_cl_copy_launch(ng_context *c, ng_kernel *k, const ng_graph *g,
                               const ng_binding *bind, int xt, int64_t x_extra, int yt,
                               int64_t y_extra, int rank, const int64_t *dims, const int64_t *xs,
                               const int64_t *ys, const ng_node *epi);

/* Tile / DepthToSpace / SpaceToDepth as a copy walking the output row-major
 * over dims (rank <= 8) with input strides xs; 0 when not expressible. */
int ng_cl_remap_plan(const ng_graph *g, const ng_node *n, int *rank, int64_t *dims, int64_t *xs);

int ng_cl_gather_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_cl_gather_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k);
int ng_cl_pad_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_cl_pad_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k);
int ng_cl_resize_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_cl_resize_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k);

#endif
