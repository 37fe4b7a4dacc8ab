/* The data family's parts: copies (cl_data.c) and the indexed ops
 * gather / gather_elements / pad (cl_data_index.c), resize (cl_resize.c),
 * grid_sample (cl_grid_sample.c). */
#ifndef NG_CL_DATA_H
#define NG_CL_DATA_H

#include "cl_util.h"

int ng_cl_gather_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_cl_gather_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k);
int ng_cl_pad_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_cl_pad_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k);
int ng_cl_resize_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_cl_resize_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k);
int ng_cl_grid_sample_supports(const ng_context *c, const ng_graph *g, const ng_node *n);
nngpu_status ng_cl_grid_sample_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                       const ng_binding *bind, ng_kernel *k);

#endif
