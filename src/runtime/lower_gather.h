/* The Gather plan, shared by the backends: output element (o, i, r) of the
 * (outer, n_idx, inner) view reads input (o, idx[i], r) of (outer, len, inner). */
#ifndef NG_LOWER_GATHER_H
#define NG_LOWER_GATHER_H

#include "graph/ir.h"

typedef struct ng_gather_view {
    int axis;
    int64_t outer, len, inner, n_idx;
} ng_gather_view;

/* 1 when Gather node n has float32 data and output (ng_lower_f32_ok), rank
 * >= 1, an axis in range and int32 indices or constant int64 ones. */
int ng_gather_supported(const ng_graph *g, const ng_node *n);

/* The view of Gather node n; an error naming the node when the output has
 * the wrong size. */
nngpu_status ng_gather_plan(const ng_graph *g, const ng_node *n, ng_gather_view *v);

/* The constant indices of n (input 1) checked and made non-negative, as a
 * new int32 array of max(n_idx, 1) values (free() it); an error naming the
 * node for an index out of range or no memory. */
nngpu_status ng_gather_indices(const ng_graph *g, const ng_node *n, const ng_gather_view *v,
                               int32_t **out);

#endif
