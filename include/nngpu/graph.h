/* Graph builder: how the ONNX importer, and any host runtime, hands nngpu a
 * graph. Tensors are named; nodes refer to tensors by name; op types and
 * attributes follow ONNX (https://onnx.ai/onnx/operators/). */
#ifndef NNGPU_GRAPH_H
#define NNGPU_GRAPH_H

#include "nngpu.h"

#ifdef __cplusplus
extern "C" {
#endif

nngpu_graph *nngpu_graph_create(void);
void nngpu_graph_destroy(nngpu_graph *g);

/* Default ONNX opset of the graph's ops (attribute/input layouts follow it). */
void nngpu_graph_set_opset(nngpu_graph *g, int opset);

/* A runtime input; dims < 0 are symbolic. */
nngpu_status nngpu_graph_add_input(nngpu_graph *g, const char *name, nngpu_dtype dtype,
                                   int rank, const int64_t *dims);
/* A constant (weights); data is copied. */
nngpu_status nngpu_graph_add_constant(nngpu_graph *g, const char *name, nngpu_dtype dtype,
                                      int rank, const int64_t *dims, const void *data);
/* A node; "" in inputs marks an omitted optional input. Outputs are created. */
nngpu_status nngpu_graph_add_node(nngpu_graph *g, const char *op_type, const char *name,
                                  int n_inputs, const char *const *inputs, int n_outputs,
                                  const char *const *outputs);
/* Attributes of the node added last. */
nngpu_status nngpu_graph_set_attr_int(nngpu_graph *g, const char *name, int64_t v);
nngpu_status nngpu_graph_set_attr_float(nngpu_graph *g, const char *name, float v);
nngpu_status nngpu_graph_set_attr_ints(nngpu_graph *g, const char *name, int n,
                                       const int64_t *v);
nngpu_status nngpu_graph_set_attr_floats(nngpu_graph *g, const char *name, int n,
                                         const float *v);
nngpu_status nngpu_graph_set_attr_string(nngpu_graph *g, const char *name, const char *v);
/* A tensor-valued attribute (Constant's value, ConstantOfShape's value). */
nngpu_status nngpu_graph_set_attr_tensor(nngpu_graph *g, const char *name, nngpu_dtype dtype,
                                         int rank, const int64_t *dims, const void *data);
/* Marks a tensor as a graph output (in order of calls). */
nngpu_status nngpu_graph_add_output(nngpu_graph *g, const char *name);

#ifdef __cplusplus
}
#endif
#endif
