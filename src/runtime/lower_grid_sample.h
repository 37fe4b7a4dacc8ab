/* The GridSample plan, shared by the backends' kernels.
 *
 * Output element (b, c, p) of Y [N, C, (Do,) Ho, Wo] samples plane (b, c) of
 * X [N, C, (D,) H, W] at the normalized coordinates grid[b, p, :] (x, the
 * last axis, first), exactly as src/ref/ref_grid_sample.c: nearest rounds
 * half to even, linear reads the 2^nd corners, cubic (2-D) 4x4 with
 * A = -0.75; padding applies to each index read. The kernels compute in
 * float, the reference in double. Float32 only: fp16 sessions keep the node
 * fp32 (grid coordinates need the bits). */
#ifndef NG_LOWER_GRID_SAMPLE_H
#define NG_LOWER_GRID_SAMPLE_H

#include "graph/ir.h"

/* Padding, numbered as Pad's modes in the data kernels: constant (zeros),
 * reflect, edge (border). */
enum { NG_GS_ZEROS, NG_GS_REFLECT, NG_GS_BORDER };

typedef struct ng_grid_sample_plan {
    const char *name; /* the layer's kernel: grid_sample_nearest / _linear / _cubic */
    int nd;          /* spatial axes: 2 or 3 */
    int taps;        /* per axis: 1 nearest, 2 linear, 4 cubic */
    int pad;         /* NG_GS_* */
    int align;       /* align_corners */
    int64_t size[3]; /* X's spatial dims, outermost first */
    int64_t in_plane, out_plane, channels;
} ng_grid_sample_plan;

/* 1 when GridSample node n has float32 X, grid and Y of known shapes within
 * the kernels' int32 indexing, and a mode and padding shape inference took. */
int ng_grid_sample_supported(const ng_graph *g, const ng_node *n);

/* The plan of a supported node n. */
void ng_grid_sample_plan_make(const ng_graph *g, const ng_node *n, ng_grid_sample_plan *p);

#endif
