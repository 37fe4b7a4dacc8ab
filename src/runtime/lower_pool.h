/* The pool family's geometry, shared by the backends: MaxPool, AveragePool,
 * GlobalAveragePool and GlobalMaxPool over NCHW float32 (2-D; 1-D as H=1). */
#ifndef NG_LOWER_POOL_H
#define NG_LOWER_POOL_H

#include <stddef.h>

#include "graph/ir.h"

typedef struct ng_pool_geom {
    int planes;                 /* N*C */
    int H, W, OH, OW;           /* global: H=1, W the plane size, OH=OW=0 */
    int KH, KW, SH, SW;         /* window and strides */
    int PT, PL, PB, PR, DH, DW; /* pads (auto_pad resolved), dilations */
    int is_max, count_pad, global;
} ng_pool_geom;

/* Fills *pg for pool node n; 0 when n is not a pool op the kernels run
 * (other dtypes, MaxPool indices, 3-D, unknown auto_pad, an output shape
 * that disagrees with the attributes, sizes past 32-bit ints). The backend
 * checks its epilogue. */
int ng_pool_geom_of(const ng_graph *g, const ng_node *n, ng_pool_geom *pg);

/* 1 when ng_pool_geom_of accepts n. */
int ng_pool_supported(const ng_graph *g, const ng_node *n);

/* ng_pool_geom_of for kernel node_name on backend; an error naming the node
 * when the kernels do not run it. */
nngpu_status ng_pool_lower(const ng_graph *g, const ng_node *n, const char *node_name,
                           const char *backend, ng_pool_geom *pg);

/* The problem's signature in the tuning DB (families "pool" / "global_pool"
 * and their Vulkan twins). */
void ng_pool_signature(const ng_pool_geom *pg, char *sig, size_t size);

#endif
