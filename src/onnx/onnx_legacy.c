/* Old forms rewritten at import into ops nngpu runs.
 *
 * Deprecated experimental ops old model-zoo models still carry: ImageScaler
 * (tiny-YOLOv2 and other opset 7-8 converters' models) -> Mul by scale, Add of
 * the per-channel bias.
 *
 * Models of opsets 1-6 are imported as opset 7 (onnx_import.c): every op nngpu
 * runs means the same there but for the nodes rewritten here into their
 * opset-7 form:
 *   Add, Sub, Mul, Div, Pow, And, Or, Xor, Equal, Greater, Less with
 *     broadcast=1 and axis: B aligned with A from `axis` -> B reshaped to end
 *     in ones (Shape, ConstantOfShape, Concat, Reshape: folded at compile time)
 *   PRelu: a slope of C values meant one per channel -> reshaped the same way
 *     with axis 1
 *   Concat without axis (opsets 1-3): axis 1
 *   Reshape with the `shape` attribute (opsets 1-4) -> a constant input
 *   Pad with `paddings` (opset 1) -> `pads`
 *   Cast with `to` a type name (opsets 1-5) -> the type's number
 *   Upsample with height_scale / width_scale (opset 1) -> `scales`
 * Tile with tiles and axis inputs (opsets 1-5), Split with a split input
 * (opset 1) and BatchNormalization with spatial=0 are refused by name. */
#include <stdint.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

#define LEGACY_OPSET 7 /* the opset older models are imported as */

static int is_op(const Onnx__NodeProto *nd, const char *name) { return strcmp(nd->op_type, name) == 0; }

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *nd, const char *name) {
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i] && nd->attribute[i]->name && strcmp(nd->attribute[i]->name, name) == 0)
            return nd->attribute[i];
    return NULL;
}

/* Binary ops whose B had the broadcast / axis attributes before opset 7. */
static int is_axis_broadcast(const Onnx__NodeProto *nd) {
    static const char *const ops[] = {"Add",   "Sub", "Mul",   "Div",     "Pow", "And",
                                      "Or",    "Xor", "Equal", "Greater", "Less"};
    const Onnx__AttributeProto *b = attr(nd, "broadcast");
    if (!b || b->i == 0 || !attr(nd, "axis")) return 0;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (is_op(nd, ops[i])) return 1;
    return 0;
}

int ng_onnx_is_legacy_node(const Onnx__NodeProto *nd, int opset) {
    if (is_op(nd, "ImageScaler")) return 1;
    if (opset >= LEGACY_OPSET) return 0;
    const Onnx__AttributeProto *to = attr(nd, "to");
    return is_axis_broadcast(nd) || is_op(nd, "PRelu") || is_op(nd, "Tile") ||
           (is_op(nd, "Concat") && !attr(nd, "axis")) || (is_op(nd, "Reshape") && attr(nd, "shape")) ||
           (is_op(nd, "Pad") && attr(nd, "paddings")) ||
           (is_op(nd, "Cast") && to && to->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) ||
           (is_op(nd, "Upsample") && !attr(nd, "scales")) || (is_op(nd, "Split") && nd->n_input > 1);
}

int ng_onnx_legacy_opset(int opset) { return opset < LEGACY_OPSET ? LEGACY_OPSET : opset; }

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

/* b reshaped to its dims followed by rank(a) - axis - rank(b) ones, into out:
 * Reshape(b, Concat(Shape(b), ConstantOfShape(rank(a) - axis - rank(b), 1))). */
static nngpu_status align_at_axis(ng_onnx_rewrite *r, const char *a, const char *b, int64_t axis,
                                  char *out, size_t cap) {
    char sa[600], ra[600], sb[600], rb[600], ax[600], pad0[600], pad[600], ones[600], shape[600];
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &a, ng_rw_tmp(r, "shape_a", sa, sizeof sa)));
    const char *sa_in = sa, *sb_in = sb;
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &sa_in, ng_rw_tmp(r, "rank_a", ra, sizeof ra)));
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &b, ng_rw_tmp(r, "shape_b", sb, sizeof sb)));
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &sb_in, ng_rw_tmp(r, "rank_b", rb, sizeof rb)));
    NG_CHECK(ng_rw_i64(r, "axis", 1, 1, &axis, ax, sizeof ax));
    const char *sub0[] = {ra, ax}, *sub1[] = {pad0, rb};
    NG_CHECK(ng_rw_add(r, "Sub", 0, 2, sub0, ng_rw_tmp(r, "after_axis", pad0, sizeof pad0)));
    NG_CHECK(ng_rw_add(r, "Sub", 0, 2, sub1, ng_rw_tmp(r, "n_ones", pad, sizeof pad)));
    const char *pad_in = pad;
    NG_CHECK(ng_rw_add(r, "ConstantOfShape", 0, 1, &pad_in, ng_rw_tmp(r, "ones", ones, sizeof ones)));
    const int64_t one = 1, one_dims[1] = {1};
    NG_CHECK(nngpu_graph_set_attr_tensor(r->g, "value", NNGPU_DTYPE_INT64, 1, one_dims, &one));
    const char *cat[] = {sb, ones};
    NG_CHECK(ng_rw_add(r, "Concat", 0, 2, cat, ng_rw_tmp(r, "aligned_shape", shape, sizeof shape)));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", 0));
    const char *rs[] = {b, shape};
    return ng_rw_add(r, "Reshape", 0, 2, rs, ng_rw_tmp(r, "aligned", out, cap));
}

/* A op B (or PRelu(X, slope)) with B aligned at `axis`. */
static nngpu_status broadcast_at_axis(ng_onnx_rewrite *r, int64_t axis) {
    const char *a = ng_rw_input(r, 0), *b = ng_rw_input(r, 1), *y = ng_rw_output(r, 0);
    if (!a || !b || !y || r->nd->n_output != 1)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): needs two inputs and one output", r->name,
                        r->nd->op_type);
    if (axis < 0)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): negative broadcast axis %lld", r->name,
                        r->nd->op_type, (long long)axis);
    char aligned[600];
    NG_CHECK(align_at_axis(r, a, b, axis, aligned, sizeof aligned));
    const char *ins[] = {a, aligned};
    return ng_rw_add(r, r->nd->op_type, 1, 2, ins, y);
}

/* The node as it is, its attributes but those starting with skip (the old
 * form's, NULL: none) copied: the opset-7 form then sets the new ones. */
static nngpu_status with_attrs(ng_onnx_rewrite *r, int n_in, const char *skip) {
    const Onnx__NodeProto *nd = r->nd;
    const char *ins[8] = {0}, *outs[8] = {0};
    if (n_in > 8 || nd->n_output > 8)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (%s): too many inputs or outputs", r->name,
                        nd->op_type);
    for (int i = 0; i < n_in; i++) ins[i] = ng_rw_input(r, (size_t)i) ? ng_rw_input(r, (size_t)i) : "";
    for (size_t i = 0; i < nd->n_output; i++) outs[i] = ng_rw_output(r, i) ? ng_rw_output(r, i) : "";
    NG_CHECK(nngpu_graph_add_node(r->g, nd->op_type, r->name, n_in, ins, (int)nd->n_output, outs));
    return ng_rw_copy_attrs(r, skip);
}

static nngpu_status reshape_attr(ng_onnx_rewrite *r) {
    const Onnx__AttributeProto *s = ng_rw_attr(r, "shape");
    const char *x = ng_rw_input(r, 0), *y = ng_rw_output(r, 0);
    if (!x || !y || s->n_ints > NNGPU_MAX_DIMS || (s->n_ints && !s->ints))
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (Reshape): bad input, output or 'shape'", r->name);
    char shape[600];
    NG_CHECK(ng_rw_i64(r, "shape", 1, (int64_t)s->n_ints, s->ints, shape, sizeof shape));
    const char *ins[] = {x, shape};
    return ng_rw_add(r, "Reshape", 1, 2, ins, y);
}

/* Cast's `to` as a name ("FLOAT", "INT64", ...; opsets 1-5). */
static nngpu_status cast_name(ng_onnx_rewrite *r) {
    static const struct { const char *name; int64_t type; } types[] = {
        {"FLOAT", 1}, {"UINT8", 2}, {"INT8", 3}, {"UINT16", 4}, {"INT16", 5}, {"INT32", 6},
        {"INT64", 7}, {"BOOL", 9}, {"FLOAT16", 10}, {"DOUBLE", 11}, {"UINT32", 12}, {"UINT64", 13}};
    const Onnx__AttributeProto *to = ng_rw_attr(r, "to");
    const char *name = to->s.data && to->s.len < 16 ? (const char *)to->s.data : "";
    size_t len = to->s.data ? to->s.len : 0;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strlen(types[i].name) == len && strncmp(types[i].name, name, len) == 0) {
            NG_CHECK(with_attrs(r, 1, "to"));
            return nngpu_graph_set_attr_int(r->g, "to", types[i].type);
        }
    return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (Cast): unknown type name '%.*s'", r->name,
                    (int)(len < 32 ? len : 32), name);
}

/* Upsample of opset 1: height_scale, width_scale of an NCHW tensor. */
static nngpu_status upsample_hw(ng_onnx_rewrite *r) {
    const Onnx__AttributeProto *h = ng_rw_attr(r, "height_scale"), *w = ng_rw_attr(r, "width_scale");
    if (!h || !w)
        return ng_error(NNGPU_ERR_PARSE, "node '%s' (Upsample): needs 'scales' or 'height_scale' "
                        "and 'width_scale'", r->name);
    NG_CHECK(with_attrs(r, 1, "height_scale")); /* width_scale is copied, unread */
    const float scales[4] = {1.0f, 1.0f, h->f, w->f};
    return nngpu_graph_set_attr_floats(r->g, "scales", 4, scales);
}

nngpu_status ng_onnx_add_legacy_node(ng_onnx_rewrite *r) {
    const Onnx__NodeProto *nd = r->nd;
    int n_in = (int)nd->n_input;
    if (is_op(nd, "ImageScaler")) return image_scaler(r);
    if (is_axis_broadcast(nd)) return broadcast_at_axis(r, ng_rw_attr_int(r, "axis", 0));
    if (is_op(nd, "PRelu")) return broadcast_at_axis(r, 1);
    if (is_op(nd, "Concat")) {
        NG_CHECK(with_attrs(r, n_in, NULL));
        return nngpu_graph_set_attr_int(r->g, "axis", 1);
    }
    if (is_op(nd, "Reshape")) return reshape_attr(r);
    if (is_op(nd, "Pad")) {
        const Onnx__AttributeProto *p = ng_rw_attr(r, "paddings");
        NG_CHECK(with_attrs(r, n_in, "paddings"));
        return nngpu_graph_set_attr_ints(r->g, "pads", (int)p->n_ints, p->ints);
    }
    if (is_op(nd, "Cast")) return cast_name(r);
    if (is_op(nd, "Upsample")) return upsample_hw(r);
    return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): the opset %d form (%s) is not supported",
                    r->name, nd->op_type, r->source_opset,
                    is_op(nd, "Tile") ? "tiles and axis inputs" : "a split input");
}
