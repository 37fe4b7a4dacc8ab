/* Helpers shared by the shape-inference files (infer.c and the op-family
 * files beside it); not part of the graph interface. */
#ifndef NG_INFER_INTERNAL_H
#define NG_INFER_INTERNAL_H

#include "core/status.h"
#include "infer.h"

/* An error naming the node and its op. */
nngpu_status ng_infer_err(const ng_node *n, nngpu_status s, const char *fmt, ...) NG_PRINTF(3, 4);
/* Required input i with a known shape. */
nngpu_status ng_infer_need(const ng_graph *g, const ng_node *n, int i, const ng_tensor **t);
/* Optional input i; NULL when omitted. */
const ng_tensor *ng_infer_opt(const ng_graph *g, const ng_node *n, int i);
void ng_infer_set_out(ng_graph *g, ng_node *n, int i, nngpu_dtype dt, int rank,
                      const int64_t *dims);
/* An int list from attribute attr or constant input `input` (see ng_node_ints);
 * a non-constant input fails. */
nngpu_status ng_infer_ints(const ng_graph *g, const ng_node *n, const char *attr, int input,
                           const char *what, int64_t *out, int max, int *cnt);
/* NumPy broadcast of inputs first..first+count-1. */
nngpu_status ng_infer_bcast(const ng_graph *g, const ng_node *n, int first, int count, int *r,
                            int64_t *dims);

/* Ops of the families in infer_nn.c / infer_data.c / infer_quant.c / infer_rnn.c /
 * infer_scatter.c / infer_dynamic.c: 1 when n is one of
 * theirs (its status in *st), 0 otherwise. */
int ng_infer_nn(ng_graph *g, ng_node *n, nngpu_status *st);
int ng_infer_data(ng_graph *g, ng_node *n, nngpu_status *st);
int ng_infer_quant(ng_graph *g, ng_node *n, nngpu_status *st);
int ng_infer_rnn_op(ng_graph *g, ng_node *n, nngpu_status *st);
int ng_infer_scatter(ng_graph *g, ng_node *n, nngpu_status *st);
int ng_infer_dynamic(ng_graph *g, ng_node *n, nngpu_status *st);

/* ONNX TensorProto data type -> dtype; UNDEFINED when not supported. */
nngpu_dtype ng_infer_onnx_dtype(int64_t t);
/* Conv's output shape with the weight at input wi and the bias at bi (-1: none). */
nngpu_status ng_infer_conv_shape(const ng_graph *g, const ng_node *n, int wi, int bi, int *rank,
                                 int64_t *dims);
/* MatMul's output shape for inputs ia (A) and ib (B): NumPy batch broadcast. */
nngpu_status ng_infer_matmul_shape(const ng_graph *g, const ng_node *n, int ia, int ib, int *rank,
                                   int64_t *dims);

#endif
