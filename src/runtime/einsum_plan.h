/* Einsum of one or two inputs as a direct walk, shared by the backends:
 * one invocation per output element sums, over every combination of the
 * summed labels, the product of the inputs. */
#ifndef NG_EINSUM_PLAN_H
#define NG_EINSUM_PLAN_H

#include "graph/ir.h"

/* meta: [n_out, n_sum, then per output label (size, stride a, stride b),
 * then per summed label (size, stride a, stride b)] (stride 0 where an
 * input lacks or broadcasts the label; b mirrors a for one input). */
#define NG_EINSUM_PLAN_MAX_SUM 8
#define NG_EINSUM_META (2 + 3 * (NNGPU_MAX_DIMS + NG_EINSUM_PLAN_MAX_SUM))

/* The plan of node n in meta[NG_EINSUM_META] and the count of summed
 * combinations; 0 when it is not an Einsum of 1-2 inputs the kernels run
 * (more than 8 summed labels, 2^31 summed elements). Tensor dtypes are the
 * caller's to check. */
int ng_einsum_plan(const ng_graph *g, const ng_node *n, int32_t *meta, int64_t *n_sum);

#endif
