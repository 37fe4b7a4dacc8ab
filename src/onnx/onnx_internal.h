/* Helpers shared by the ONNX importer's files. */
#ifndef NG_ONNX_INTERNAL_H
#define NG_ONNX_INTERNAL_H

#include "graph/ir.h"
#include "onnx/onnx.pb-c.h"

/* A decoded TensorProto. data points either into the proto (raw_data) or at
 * owned memory (freed by ng_onnx_tensor_free). */
typedef struct ng_onnx_tensor {
    nngpu_dtype dtype;
    int rank;
    int64_t dims[NNGPU_MAX_DIMS];
    const void *data;
    size_t bytes;
    void *owned;
} ng_onnx_tensor;

/* Decodes tp; what names it in errors ("initializer 'w'", "node 'c': attribute
 * 'value'"). base_dir: folder of external-data files, may be NULL. */
nngpu_status ng_onnx_tensor_decode(const Onnx__TensorProto *tp, const char *base_dir,
                                   const char *what, ng_onnx_tensor *out);
void ng_onnx_tensor_free(ng_onnx_tensor *t);

/* nngpu dtype of an ONNX TensorProto.DataType, UNDEFINED when unsupported. */
nngpu_dtype ng_onnx_dtype(int32_t onnx_type);
const char *ng_onnx_dtype_name(int32_t onnx_type);

/* Reads length bytes at offset of base_dir/location (validated: relative, no
 * '..') into a new buffer. */
nngpu_status ng_onnx_read_external(const char *base_dir, const char *location, uint64_t offset,
                                   size_t length, const char *what, void **out);

/* Topological order of gp's nodes into order[n_node]; the tensors of g
 * (initializers, graph inputs) exist before any node runs.
 * Errors (NNGPU_ERR_PARSE) name the node and tensor: a cycle, an input no one
 * produces, a tensor produced twice. names[i] is node i's display name. */
nngpu_status ng_onnx_sort(const Onnx__GraphProto *gp, const ng_graph *g,
                          const char *const *names, int *order);

/* Deprecated ops rewritten at import (onnx_legacy.c): 1 when op_type is one, and
 * the rewrite adding node nd (display name `name`) to g. */
int ng_onnx_is_legacy_op(const char *op_type);
nngpu_status ng_onnx_add_legacy_node(nngpu_graph *g, const Onnx__NodeProto *nd, const char *name);

/* Copies attribute a onto the node added last to g (node: its display name). */
nngpu_status ng_onnx_add_attr(ng_graph *g, const char *base_dir, const Onnx__AttributeProto *a,
                              const char *node);

/* onnxruntime's com.microsoft quantized ops rewritten at import (onnx_contrib.c):
 * 1 when (domain, op_type) is one, and the rewrite adding node nd to g. */
int ng_onnx_is_contrib_op(const char *domain, const char *op_type);
nngpu_status ng_onnx_add_contrib_node(ng_graph *g, const char *base_dir, int opset,
                                      const Onnx__NodeProto *nd, const char *name);

#endif
