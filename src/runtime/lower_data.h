/* The data family's copies, shared by the backends: Reshape / Flatten /
 * Squeeze / Unsqueeze / Identity / Dropout / Cast, Transpose, Slice, Expand,
 * Tile, DepthToSpace, SpaceToDepth, Concat and Split as lists of strided
 * copies. */
#ifndef NG_LOWER_DATA_H
#define NG_LOWER_DATA_H

#include "graph/ir.h"

/* One strided copy: walks dims (rank), reading tensor xt at
 * x_extra + sum(c*xs) and writing tensor yt at y_extra + sum(c*ys). */
typedef struct ng_copy_part {
    int xt, yt;
    int64_t x_extra, y_extra;
    int rank;
    int64_t dims[NNGPU_MAX_DIMS], xs[NNGPU_MAX_DIMS], ys[NNGPU_MAX_DIMS];
} ng_copy_part;

typedef struct ng_copy_plan {
    int n_parts;
    int epilogue;     /* 1 when the node's epilogue applies to the copies */
    const char *name; /* kernel name: "copy", "transpose", "concat", ... */
} ng_copy_plan;

/* 1 when n is one of the copy ops above over float32 tensors
 * (ng_lower_f32_ok) with constant parameters, and Concat / Split need at
 * most max_parts copies. The backend checks its epilogue. */
int ng_copy_supported(const ng_graph *g, const ng_node *n, int max_parts);

/* Fills parts[0..max_parts) and *plan for copy node n; an error naming the
 * node when its parameters do not give a plan. */
nngpu_status ng_copy_plan_make(const ng_graph *g, const ng_node *n, ng_copy_part *parts,
                               int max_parts, ng_copy_plan *plan);

#endif
