/* The Gather and GatherElements plans, shared by the backends.
 *
 * Gather: output element (o, i, r) of the (outer, n_idx, inner) view reads
 * input (o, idx[i], r) of (outer, len, inner).
 * GatherElements: output element c (indices' shape) reads x at c with its
 * axis coordinate replaced by idx[c].
 *
 * Indices are int32 or int64, constant or computed at run time. Constant ones
 * are checked here (an out-of-range index is a compile error) and uploaded as
 * int32. Runtime ones are read on the device: int64 as two little-endian
 * words, taken as the low word when the high word is its sign extension;
 * negative indices count from the end. A runtime index out of range reads as
 * 0 (ONNX calls it an error; the kernels never read out of bounds and report
 * nothing, so runs pay nothing for the check). */
#ifndef NG_LOWER_GATHER_H
#define NG_LOWER_GATHER_H

#include "graph/ir.h"

typedef struct ng_gather_view {
    int axis;
    int64_t outer, len, inner, n_idx;
} ng_gather_view;

/* GatherElements as a strided walk over the output: element c reads x at
 * sum(c[k] * xs[k]) + idx[c] * axis_stride, xs[axis] being 0. */
typedef struct ng_gather_elements_view {
    int rank;
    int64_t len, axis_stride, n_idx;
    int64_t dims[NNGPU_MAX_DIMS], xs[NNGPU_MAX_DIMS];
} ng_gather_elements_view;

/* 1 when Gather node n has float32 data and output (ng_lower_f32_ok), rank
 * >= 1, an axis in range and int32 or int64 indices. */
int ng_gather_supported(const ng_graph *g, const ng_node *n);

/* The view of Gather node n; an error naming the node when the output has
 * the wrong size. */
nngpu_status ng_gather_plan(const ng_graph *g, const ng_node *n, ng_gather_view *v);

/* 1 when GatherElements node n has float32 data and output, int32 or int64
 * indices of the data's rank and the output's shape, and an axis in range. */
int ng_gather_elements_supported(const ng_graph *g, const ng_node *n);

/* The view of GatherElements node n; an error naming the node when the
 * shapes do not agree. */
nngpu_status ng_gather_elements_plan(const ng_graph *g, const ng_node *n,
                                     ng_gather_elements_view *v);

/* The constant indices of n (input 1) checked against an axis of len and
 * made non-negative, as a new int32 array of max(numel, 1) values (free()
 * it); an error naming the node for an index out of range or no memory. */
nngpu_status ng_gather_indices(const ng_graph *g, const ng_node *n, int64_t len, int32_t **out);

/* 32-bit words per index as the kernels read input 1 of n: 2 for runtime
 * int64 indices, 1 for int32 ones and for constants (ng_gather_indices). */
int ng_gather_index_words(const ng_graph *g, const ng_node *n);

#endif
