/* ONNX import: a serialized ModelProto to a graph, through the builder. */
#ifndef NG_ONNX_IMPORT_H
#define NG_ONNX_IMPORT_H

#include <stddef.h>

#include "graph/ir.h"

/* Opsets of the default domain nngpu follows (1-6 are imported as opset 7,
 * onnx_legacy.c); newer ones up to NG_ONNX_OPSET_NEWEST load with a warning on
 * stderr. */
#define NG_ONNX_OPSET_MIN 1
#define NG_ONNX_OPSET_MAX 21
#define NG_ONNX_OPSET_NEWEST 28

/* Parses data (size bytes). base_dir resolves external-data files (NULL: a
 * model with external data fails); display_name names the model in errors.
 * On success *out is a new graph the caller destroys. */
nngpu_status ng_onnx_import(const void *data, size_t size, const char *base_dir,
                            const char *display_name, ng_graph **out);

#endif
