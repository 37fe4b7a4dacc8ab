/* Convolution geometry shared by the backends: a Conv node (NCHW, 2-D; 1-D
 * as H=1) read into plain ints, with auto_pad resolved and every attribute
 * checked against the inferred output shape. */
#ifndef NG_LOWER_CONV_H
#define NG_LOWER_CONV_H

#include <stddef.h>

#include "graph/ir.h"

typedef struct ng_conv_geom {
    int N, C, H, W, K, OH, OW, KH, KW, SH, SW, PT, PL, DH, DW, G; /* kernels' order after N */
    int bias; /* tensor id, -1: none */
} ng_conv_geom;

/* Reads node n into cg; 0 when it is not a float32 convolution with constant
 * weights that the device kernels run (the node then goes to the CPU). */
int ng_conv_geom_of(const ng_graph *g, const ng_node *n, ng_conv_geom *cg);

/* The geometry alone, with the weight at input w_input and any dtypes
 * (QLinearConv, ConvInteger); bias is -1. 0 when the device kernels cannot
 * run it. */
int ng_conv_geom_read(const ng_graph *g, const ng_node *n, int w_input, ng_conv_geom *cg);

/* Weights (K, C/G, KH, KW) of elem-byte elements as [group][oc block][c]
 * [kh][kw][oct], output channels zero padded to whole blocks of oct (the
 * direct kernels' vector of output channels). NULL when out of memory. */
void *ng_conv_weights_blocked(const ng_conv_geom *cg, const void *w, size_t elem, int oct,
                              size_t *bytes);

#endif
