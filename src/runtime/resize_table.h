/* Resize / Upsample lowered to per-dim tap tables, shared by the backends:
 * per resized dim and output coordinate, the source indices and weights are
 * computed on the host in double exactly as the reference does
 * (src/ref/ref_resize.c), so kernels only combine them. */
#ifndef NG_RESIZE_TABLE_H
#define NG_RESIZE_TABLE_H

#include <stdint.h>

#include "graph/ir.h"

enum { NG_RESIZE_NEAREST, NG_RESIZE_LINEAR, NG_RESIZE_CUBIC };

typedef struct ng_resize_table {
    int mode;                       /* NG_RESIZE_* */
    int taps;                       /* taps per resized dim: 1 nearest, 2 linear, 4 cubic */
    int64_t toff[NNGPU_MAX_DIMS];   /* first entry of each input dim; -1 when not resized */
    int64_t entries;                /* sum of the resized dims' output sizes */
    /* entry e: taps clamped source indices, then taps weights (float bits);
     * max(entries, 1) * 2 * taps ints, malloc'd */
    int32_t *tab;
    size_t bytes;
} ng_resize_table;

/* 1 when the node's tensors are float32 (ng_lower_f32_ok) of one rank, the
 * input is not empty, and its mode, attributes and parameters can be
 * lowered. The backend checks its epilogue. */
int ng_resize_supported(const ng_graph *g, const ng_node *n);
/* Builds the table; errors name the node. Free with ng_resize_table_free. */
nngpu_status ng_resize_table_build(const ng_graph *g, const ng_node *n, ng_resize_table *t);
/* *planar = 1 when only the last two dims (rank >= 2) are resized, so a kernel
 * can interpolate planes; a last-two dim that keeps its size then gets
 * identity entries (index o, weights 1, 0, ...) so both always have one. */
nngpu_status ng_resize_table_planar(const ng_graph *g, const ng_node *n, ng_resize_table *t,
                                    int *planar);
void ng_resize_table_free(ng_resize_table *t);

#endif
