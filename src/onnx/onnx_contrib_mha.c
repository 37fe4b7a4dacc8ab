/* onnxruntime's com.microsoft MultiHeadAttention and RotaryEmbedding (its
 * transformers optimizer writes them for CLIP, ViT, BART, T5, Whisper, Phi),
 * imported as nodes that shape inference expands once their inputs' ranks
 * are known (graph/expand_mha.c, graph/expand_rotary.c):
 *   MultiHeadAttention  the node as it is (an nngpu op of that name)
 *   RotaryEmbedding(x, position_ids, cos, sin) -> the ONNX RotaryEmbedding(x,
 *       cos, sin, position_ids) with nngpu's attributes rotary_dim_from_cache
 *       (unset rotary_embedding_dim: twice the caches' width, heads of that
 *       size) and position_offset (one position_ids value: the first position)
 * Not supported (an error naming the node): MultiHeadAttention's
 * past_sequence_length / cache_indirection (beam search) and qk output,
 * RotaryEmbedding's is_packed_batching. Spec: onnxruntime docs/ContribOperators.md. */
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

int ng_onnx_is_contrib_mha_op(const char *op_type) {
    return !strcmp(op_type, "MultiHeadAttention") || !strcmp(op_type, "RotaryEmbedding");
}

static nngpu_status refuse(const ng_onnx_rewrite *r, const char *what) {
    return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): %s is not supported", r->name, r->nd->op_type, what);
}

static nngpu_status mha(ng_onnx_rewrite *r) {
    if (!ng_rw_input(r, 0) || !ng_rw_output(r, 0))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (MultiHeadAttention): query and the output are required", r->name);
    if (ng_rw_input(r, 8) || ng_rw_input(r, 9)) return refuse(r, "past_sequence_length / cache_indirection");
    if (ng_rw_output(r, 3)) return refuse(r, "the qk output");
    const char *ins[8], *outs[3];
    for (int i = 0; i < 8; i++) ins[i] = ng_rw_input(r, (size_t)i) ? ng_rw_input(r, (size_t)i) : "";
    for (int i = 0; i < 3; i++) outs[i] = ng_rw_output(r, (size_t)i) ? ng_rw_output(r, (size_t)i) : "";
    NG_CHECK(nngpu_graph_add_node(r->g, "MultiHeadAttention", r->name, 8, ins, 3, outs));
    return ng_rw_copy_attrs(r, NULL);
}

static nngpu_status rotary(ng_onnx_rewrite *r) {
    const char *x = ng_rw_input(r, 0), *pos = ng_rw_input(r, 1), *y = ng_rw_output(r, 0);
    const char *const ins[4] = {x, ng_rw_input(r, 2), ng_rw_input(r, 3), pos};
    if (!x || !pos || !ins[1] || !ins[2] || !y)
        return ng_error(NNGPU_ERR_PARSE,
                        "node '%s' (RotaryEmbedding): input, position_ids, cos_cache, sin_cache and the output are required",
                        r->name);
    if (ng_rw_attr_int(r, "is_packed_batching", 0)) return refuse(r, "is_packed_batching");
    NG_CHECK(nngpu_graph_add_node(r->g, "RotaryEmbedding", r->name, 4, ins, 1, &y));
    static const char *const kept[] = {"interleaved", "num_heads", "rotary_embedding_dim"};
    for (size_t a = 0; a < r->nd->n_attribute; a++)
        for (size_t k = 0; k < sizeof kept / sizeof *kept; k++)
            if (r->nd->attribute[a]->name && !strcmp(r->nd->attribute[a]->name, kept[k]))
                NG_CHECK(ng_onnx_add_attr(r->g, r->base_dir, r->nd->attribute[a], r->name));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "rotary_dim_from_cache", 1));
    return nngpu_graph_set_attr_int(r->g, "position_offset", 1);
}

nngpu_status ng_onnx_add_contrib_mha_node(ng_onnx_rewrite *r) {
    return !strcmp(r->nd->op_type, "MultiHeadAttention") ? mha(r) : rotary(r);
}
