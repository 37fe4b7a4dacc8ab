/* A node's float32 view: the graph with the node's FLOAT16 tensors read as
 * FLOAT32 (constants converted), so a float32 kernel or check can run an fp16
 * node. Tensor ids are unchanged; the view shares nodes and names with g. */
#ifndef NG_HALF_VIEW_H
#define NG_HALF_VIEW_H

#include "graph/ir.h"

typedef struct ng_half_view {
    ng_graph g;      /* shallow copy of the graph with its own tensor array */
    void **owned;    /* converted constants */
    int n_owned;
} ng_half_view;

/* 1 when an input or output of n is FLOAT16. */
int ng_node_has_half(const ng_graph *g, const ng_node *n);
/* 1 when every float input and output of n is FLOAT16 (and at least one is). */
int ng_node_all_half(const ng_graph *g, const ng_node *n);
/* 1 when n is an fp16 layer (some tensor FLOAT16; Cast excluded: it converts). */
int ng_node_is_half_layer(const ng_graph *g, const ng_node *n);
/* 1 when the kernel family `name` has fp16-storage variants in both backends
 * (conv, gemm, pool, eltwise, softmax, data). */
int ng_family_has_half(const char *name);
/* Builds the view of node n. with_data: converts FLOAT16 constants to float32
 * (else their data pointers stay and only dtypes change: for support checks). */
nngpu_status ng_half_view_init(ng_half_view *v, const ng_graph *g, const ng_node *n, int with_data);
void ng_half_view_free(ng_half_view *v);

#endif
