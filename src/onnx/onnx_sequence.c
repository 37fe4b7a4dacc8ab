/* Sequences whose elements are known at import become plain tensors:
 *   SplitToSequence(x, split; axis, keepdims) read by SequenceAt(seq, k) with
 *       constant k: Slice(x, the k-th chunk on axis) [-> Squeeze(axis)]
 *       (torch's nonzero(as_tuple=True) / unbind in TorchScript exports)
 *   SequenceConstruct(a, b, ...) read by SequenceAt(seq, k) -> element k, by
 *       ConcatFromSequence(seq; axis, new_axis) -> [Unsqueeze each ->] Concat,
 *       by SequenceLength -> a constant
 * The sequence node itself adds nothing; a sequence read any other way (a
 * Loop's state, SequenceInsert) is refused by name. Chunks are squeezed when
 * keepdims is 0 and each holds one slice (no split, or a scalar split of 1),
 * as onnxruntime does. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "graph/ir.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

static const Onnx__NodeProto *producer(const ng_onnx_rewrite *r, const char *name) {
    for (size_t i = 0; i < r->gp->n_node; i++) {
        const Onnx__NodeProto *nd = r->gp->node[i];
        for (size_t o = 0; nd && o < nd->n_output; o++)
            if (nd->output[o] && !strcmp(nd->output[o], name)) return nd;
    }
    return NULL;
}

static int64_t attr_int(const Onnx__NodeProto *nd, const char *name, int64_t def) {
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i] && nd->attribute[i]->name && !strcmp(nd->attribute[i]->name, name))
            return nd->attribute[i]->i;
    return def;
}

/* The constant integer tensor `name` of the graph built so far, NULL when it is not one. */
static const ng_tensor *const_ints(const ng_onnx_rewrite *r, const char *name) {
    int t = name && *name ? ng_tensor_find(r->g, name) : -1;
    if (t < 0 || !r->g->tensors[t].data) return NULL;
    nngpu_dtype dt = r->g->tensors[t].dtype;
    return dt == NNGPU_DTYPE_INT64 || dt == NNGPU_DTYPE_INT32 ? &r->g->tensors[t] : NULL;
}

static nngpu_status refuse(const ng_onnx_rewrite *r, const char *why) {
    return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s' (%s): %s", r->name, r->nd->op_type, why);
}

/* Every reader of the sequence this node makes must be one the rewrite handles. */
nngpu_status ng_onnx_sequence_source(ng_onnx_rewrite *r) {
    const char *seq = ng_rw_output(r, 0);
    int split = !strcmp(r->nd->op_type, "SplitToSequence");
    if (!seq || (split && !ng_rw_input(r, 0))) return refuse(r, "wrong inputs or outputs");
    for (size_t i = 0; i < r->gp->n_node; i++) {
        const Onnx__NodeProto *nd = r->gp->node[i];
        for (size_t k = 0; nd && k < nd->n_input; k++) {
            if (!nd->input[k] || strcmp(nd->input[k], seq)) continue;
            int ok = k == 0 && (!strcmp(nd->op_type, "SequenceAt") ||
                                (!split && (!strcmp(nd->op_type, "ConcatFromSequence") ||
                                            !strcmp(nd->op_type, "SequenceLength"))));
            if (!ok) {
                char why[300];
                snprintf(why, sizeof why, "its sequence is read by %s '%s', which is not supported",
                         nd->op_type, nd->name ? nd->name : "");
                return refuse(r, why);
            }
        }
    }
    return NNGPU_OK; /* nothing to add: the readers take the elements */
}

/* SequenceAt(SplitToSequence(x, split), k). */
static nngpu_status split_at(ng_onnx_rewrite *r, const Onnx__NodeProto *sp, int64_t k) {
    const char *x = sp->input[0];
    const ng_tensor *s = sp->n_input > 1 ? const_ints(r, sp->input[1]) : NULL;
    if (sp->n_input > 1 && sp->input[1] && *sp->input[1] && !s) return refuse(r, "split must be constant");
    int64_t axis = attr_int(sp, "axis", 0), start, len;
    int squeeze = attr_int(sp, "keepdims", 1) == 0;
    if (!s || s->rank == 0) { /* chunks of one size */
        len = s ? ng_const_int(s, 0) : 1;
        if (len < 1) return refuse(r, "split must be positive");
        if (k < 0 && len != 1) return refuse(r, "a negative index into chunks of a scalar split over 1");
        squeeze &= len == 1;
        start = k * len;
    } else { /* listed sizes */
        int64_t count = ng_numel(s);
        if (k < 0) k += count;
        if (k < 0 || k >= count) return refuse(r, "index out of range");
        start = 0;
        for (int64_t i = 0; i < k; i++) start += ng_const_int(s, i);
        len = ng_const_int(s, k);
        squeeze = 0;
    }
    int64_t end = start == -1 ? INT64_MAX : start + len; /* k = -1 of unit chunks: to the end */
    char st[600], en[600], ax[600], piece[600];
    NG_CHECK(ng_rw_i64(r, "start", 1, 1, &start, st, sizeof st));
    NG_CHECK(ng_rw_i64(r, "end", 1, 1, &end, en, sizeof en));
    NG_CHECK(ng_rw_i64(r, "axis", 1, 1, &axis, ax, sizeof ax));
    const char *out = ng_rw_output(r, 0);
    const char *sl[] = {x, st, en, ax};
    NG_CHECK(ng_rw_add(r, "Slice", !squeeze, 4, sl, squeeze ? ng_rw_tmp(r, "chunk", piece, sizeof piece) : out));
    if (!squeeze) return NNGPU_OK;
    if (r->opset < 13) {
        const char *p = piece;
        NG_CHECK(ng_rw_add(r, "Squeeze", 1, 1, &p, out));
        return nngpu_graph_set_attr_ints(r->g, "axes", 1, &axis);
    }
    const char *sq[] = {piece, ax};
    return ng_rw_add(r, "Squeeze", 1, 2, sq, out);
}

/* ConcatFromSequence(SequenceConstruct(...)). */
static nngpu_status concat_construct(ng_onnx_rewrite *r, const Onnx__NodeProto *sc) {
    int64_t axis = ng_rw_attr_int(r, "axis", 0);
    int new_axis = ng_rw_attr_int(r, "new_axis", 0) != 0;
    const char *ins[1024];
    char names[64][600];
    if (sc->n_input < 1 || sc->n_input > 1024 || (new_axis && sc->n_input > 64))
        return refuse(r, "between 1 and 1024 elements (64 with new_axis)");
    for (size_t i = 0; i < sc->n_input; i++) {
        ins[i] = sc->input[i];
        if (!new_axis) continue;
        char ax[600]; /* Unsqueeze at axis: negative axes count in the output's rank */
        NG_CHECK(ng_rw_i64(r, "axis", 1, 1, &axis, ax, sizeof ax));
        const char *u[] = {sc->input[i], ax};
        NG_CHECK(ng_rw_add(r, "Unsqueeze", 0, r->opset < 13 ? 1 : 2, u,
                           ng_rw_tmp(r, "element", names[i], sizeof names[i])));
        if (r->opset < 13) NG_CHECK(nngpu_graph_set_attr_ints(r->g, "axes", 1, &axis));
        ins[i] = names[i];
    }
    NG_CHECK(ng_rw_add(r, "Concat", 1, (int)sc->n_input, ins, ng_rw_output(r, 0)));
    return nngpu_graph_set_attr_int(r->g, "axis", axis);
}

nngpu_status ng_onnx_sequence_reader(ng_onnx_rewrite *r) {
    const char *seq = ng_rw_input(r, 0), *out = ng_rw_output(r, 0);
    const Onnx__NodeProto *src = seq ? producer(r, seq) : NULL;
    if (!out) return refuse(r, "no output");
    if (!src || (strcmp(src->op_type, "SplitToSequence") && strcmp(src->op_type, "SequenceConstruct")))
        return refuse(r, "only sequences made by SplitToSequence or SequenceConstruct are supported");
    int construct = !strcmp(src->op_type, "SequenceConstruct");
    if (!strcmp(r->nd->op_type, "ConcatFromSequence")) return concat_construct(r, src);
    if (!strcmp(r->nd->op_type, "SequenceLength")) {
        int64_t n = (int64_t)src->n_input;
        return nngpu_graph_add_constant(r->g, out, NNGPU_DTYPE_INT64, 0, NULL, &n);
    }
    const ng_tensor *k = const_ints(r, ng_rw_input(r, 1));
    if (!k || ng_numel(k) != 1) return refuse(r, "the position must be a constant");
    int64_t at = ng_const_int(k, 0);
    if (!construct) return split_at(r, src, at);
    if (at < 0) at += (int64_t)src->n_input;
    if (at < 0 || at >= (int64_t)src->n_input) return refuse(r, "position out of range");
    const char *e = src->input[at];
    return ng_rw_add(r, "Identity", 1, 1, &e, out);
}
