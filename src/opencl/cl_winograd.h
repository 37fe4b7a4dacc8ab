/* Winograd F(m x m, 3 x 3) convolutions on OpenCL (cl_winograd.c), for cl_conv.c. */
#ifndef NG_CL_WINOGRAD_H
#define NG_CL_WINOGRAD_H

#include "cl_internal.h"
#include "runtime/lower_conv.h"

/* 1 when Conv cg can run as Winograd here: 3x3, stride 1, undilated,
 * ungrouped, float32 layer, buffers within 32-bit indices. */
int ng_cl_winograd_fits(const ng_context *c, const ng_conv_geom *cg);

/* The default of conv_direct's parameter WINO for cg on this device: 0
 * (off), 2 (F(2,3)) or 4 (F(4,3)). */
int ng_cl_winograd_default(const ng_context *c, const ng_conv_geom *cg);

/* Prepares Conv node n (ng_cl_winograd_fits) as output tiles of tile x tile
 * pixels (2 or 4): winograd.cl's data transform into a scratch buffer, the
 * (tile + 2)^2 GEMMs of gemm.cl (family gemm's tiles) into a second, and the
 * output transform with bias and the fused epilogue. Weights are transformed
 * once, here, in double precision. */
nngpu_status ng_cl_winograd_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k, const ng_conv_geom *cg,
                                 int tile);

#endif
