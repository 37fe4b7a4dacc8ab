/* Deprecated experimental ops old model-zoo models still carry, rewritten at
 * import into ops nngpu runs: ImageScaler (tiny-YOLOv2 and other opset 7-8
 * converters' models) -> Mul by scale, Add of the per-channel bias. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

int ng_onnx_is_legacy_op(const char *op_type) { return strcmp(op_type, "ImageScaler") == 0; }

static nngpu_status image_scaler(nngpu_graph *g, const Onnx__NodeProto *nd, const char *name) {
    if (nd->n_input != 1 || nd->n_output != 1 || !*nd->input[0] || !*nd->output[0])
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (ImageScaler): needs one input and one output", name);
    float scale = 1.0f;
    const float *bias = NULL;
    size_t channels = 0;
    for (size_t i = 0; i < nd->n_attribute; i++) {
        const Onnx__AttributeProto *a = nd->attribute[i];
        if (a && a->name && strcmp(a->name, "scale") == 0) scale = a->f;
        if (a && a->name && strcmp(a->name, "bias") == 0) {
            bias = a->floats;
            channels = a->n_floats;
        }
    }
    if (!bias || channels == 0 || channels > INT32_MAX)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (ImageScaler): attribute 'bias' is missing", name);
    char sc[512], bi[512], mid[512], mul[512];
    snprintf(sc, sizeof sc, "%s/scale", name);
    snprintf(bi, sizeof bi, "%s/bias", name);
    snprintf(mid, sizeof mid, "%s/scaled", name);
    snprintf(mul, sizeof mul, "%s/mul", name);
    const int64_t one[1] = {1}, bdims[4] = {1, (int64_t)channels, 1, 1};
    NG_CHECK(nngpu_graph_add_constant(g, sc, NNGPU_DTYPE_FLOAT32, 1, one, &scale));
    NG_CHECK(nngpu_graph_add_constant(g, bi, NNGPU_DTYPE_FLOAT32, 4, bdims, bias));
    const char *mul_in[] = {nd->input[0], sc}, *mul_out[] = {mid}, *add_in[] = {mid, bi},
               *add_out[] = {nd->output[0]};
    NG_CHECK(nngpu_graph_add_node(g, "Mul", mul, 2, mul_in, 1, mul_out));
    return nngpu_graph_add_node(g, "Add", name, 2, add_in, 1, add_out);
}

nngpu_status ng_onnx_add_legacy_node(nngpu_graph *g, const Onnx__NodeProto *nd, const char *name) {
    return image_scaler(g, nd, name);
}
