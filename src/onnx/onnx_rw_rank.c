/* What the importer can tell of a tensor's rank before shape inference
 * (rewrites whose form depends on it: com.microsoft Attention's mask_index). */
#include <string.h>

#include "onnx_internal.h"

/* The length of 1-D constant `name` (an initializer or a Constant node's
 * value), -1 when it is none. */
static int64_t const_length(const ng_onnx_rewrite *r, const char *name) {
    for (size_t i = 0; i < r->gp->n_initializer; i++) {
        const Onnx__TensorProto *t = r->gp->initializer[i];
        if (t->name && !strcmp(t->name, name)) return t->n_dims == 1 ? t->dims[0] : -1;
    }
    for (size_t i = 0; i < r->gp->n_node; i++) {
        const Onnx__NodeProto *nd = r->gp->node[i];
        if (strcmp(nd->op_type, "Constant") || nd->n_output != 1 || strcmp(nd->output[0], name)) continue;
        for (size_t a = 0; a < nd->n_attribute; a++) {
            const Onnx__TensorProto *t = nd->attribute[a]->t;
            if (!strcmp(nd->attribute[a]->name, "value") && t) return t->n_dims == 1 ? t->dims[0] : -1;
        }
    }
    return -1;
}

/* The rank after ReduceSum nd of a rank-`in` input: fewer by its axes unless
 * keepdims (axes as an attribute or a 1-D constant); -1 when unknown. */
static int reduced_rank(const ng_onnx_rewrite *r, const Onnx__NodeProto *nd, int in) {
    const Onnx__AttributeProto *keep = NULL, *axes = NULL;
    for (size_t a = 0; a < nd->n_attribute; a++) {
        if (!strcmp(nd->attribute[a]->name, "keepdims")) keep = nd->attribute[a];
        if (!strcmp(nd->attribute[a]->name, "axes")) axes = nd->attribute[a];
    }
    if (in < 0 || !keep || keep->i) return in; /* keepdims (its default): unchanged */
    if (axes) return in - (int)axes->n_ints;
    if (nd->n_input < 2 || !nd->input[1] || !*nd->input[1]) return 0; /* every axis */
    int64_t n = const_length(r, nd->input[1]);
    return n < 0 ? -1 : in - (int)n;
}

/* The rank of tensor `name`: a graph input's or value_info's, through Casts;
 * EmbedLayerNormalization's mask_index is 1-D. -1 when unknown. */
static int rank_of(const ng_onnx_rewrite *r, const char *name, int depth) {
    const Onnx__GraphProto *gp = r->gp;
    if (!gp || depth > 8) return -1;
    const Onnx__ValueInfoProto *const *lists[2] = {
        (const Onnx__ValueInfoProto *const *)gp->input,
        (const Onnx__ValueInfoProto *const *)gp->value_info};
    size_t counts[2] = {gp->n_input, gp->n_value_info};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            const Onnx__ValueInfoProto *vi = lists[l][i];
            if (vi && vi->name && !strcmp(vi->name, name) && vi->type && vi->type->tensor_type &&
                vi->type->tensor_type->shape)
                return (int)vi->type->tensor_type->shape->n_dim;
        }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        for (size_t o = 0; nd && o < nd->n_output; o++) {
            if (!nd->output[o] || strcmp(nd->output[o], name)) continue;
            if (!strcmp(nd->op_type, "EmbedLayerNormalization") && o == 1) return 1;
            if (!strcmp(nd->op_type, "Cast") && nd->n_input == 1)
                return rank_of(r, nd->input[0], depth + 1);
            if (!strcmp(nd->op_type, "ReduceSum") && nd->n_input >= 1) /* the optimizer's MaskReduceSum */
                return reduced_rank(r, nd, rank_of(r, nd->input[0], depth + 1));
            return -1;
        }
    }
    return -1;
}

int ng_rw_rank(const ng_onnx_rewrite *r, const char *name) { return rank_of(r, name, 0); }
