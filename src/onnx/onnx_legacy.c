/* Deprecated experimental ops old model-zoo models still carry, rewritten at
 * import into ops nngpu runs: ImageScaler (tiny-YOLOv2 and other opset 7-8
 * converters' models) -> Mul by scale, Add of the per-channel bias. */
#include <stdint.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

int ng_onnx_is_legacy_op(const char *op_type) { return strcmp(op_type, "ImageScaler") == 0; }

static nngpu_status image_scaler(ng_onnx_rewrite *r) {
    const char *x = ng_rw_input(r, 0), *y = ng_rw_output(r, 0);
    if (r->nd->n_input != 1 || r->nd->n_output != 1 || !x || !y)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (ImageScaler): needs one input and one output",
                        r->name);
    const Onnx__AttributeProto *bias = ng_rw_attr(r, "bias");
    if (!bias || !bias->floats || bias->n_floats == 0 || bias->n_floats > INT32_MAX)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (ImageScaler): attribute 'bias' is missing",
                        r->name);
    char sc[600], bi[600], scaled[600];
    const int64_t bdims[4] = {1, (int64_t)bias->n_floats, 1, 1};
    NG_CHECK(ng_rw_scalar(r, "scale", ng_rw_attr_float(r, "scale", 1.0f), sc, sizeof sc));
    NG_CHECK(nngpu_graph_add_constant(r->g, ng_rw_tmp(r, "bias", bi, sizeof bi),
                                      NNGPU_DTYPE_FLOAT32, 4, bdims, bias->floats));
    const char *mul_in[] = {x, sc}, *add_in[] = {ng_rw_tmp(r, "scaled", scaled, sizeof scaled), bi};
    NG_CHECK(ng_rw_add(r, "Mul", 0, 2, mul_in, scaled));
    return ng_rw_add(r, "Add", 1, 2, add_in, y);
}

nngpu_status ng_onnx_add_legacy_node(ng_onnx_rewrite *r) { return image_scaler(r); }
