/* Sequences become plain tensors at import; the IR has no sequence type.
 *
 * Sequences whose elements are known at import are lists of tensor names:
 *   SequenceConstruct(a, b, ...), SequenceEmpty, and chains of
 *   SequenceInsert(seq, t[, position]) / SequenceErase(seq[, position]) on
 *   them with constant positions (TorchScript's list literals and appends),
 * read by SequenceAt(seq, k) with constant k -> element k, by
 * ConcatFromSequence(seq; axis, new_axis) -> [Unsqueeze each ->] Concat, and
 * by SequenceLength -> a constant.
 *   SplitToSequence(x, split; axis, keepdims) read by SequenceAt(seq, k) with
 * constant k: Slice(x, the k-th chunk on axis) [-> Squeeze(axis)] (torch's
 * nonzero(as_tuple=True) / unbind), and by SequenceLength: the chunk count. Chunks are squeezed when keepdims is 0
 * and each holds one slice (no split, or a scalar split of 1), as onnxruntime
 * does.
 *
 * A Loop's sequence that onnx_sequence_loop.c turned into a scan output is a
 * tensor of its appends stacked on axis 0 (ng_onnx_rewrite.stacked), after
 * the elements of the list it started from (Unsqueeze + Concat); its readers
 * become Gather(T, k), Shape(T)[0] and StackedConcat(T; axis, new_axis).
 *
 * The sequence nodes themselves add nothing; a sequence read any other way is
 * refused, naming the reader. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "graph/ir.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

enum { MAX_ELEMENTS = 1024 };

static const Onnx__NodeProto *producer(const ng_onnx_rewrite *r, const char *name) {
    for (size_t i = 0; i < r->gp->n_node; i++) {
        const Onnx__NodeProto *nd = r->gp->node[i];
        for (size_t o = 0; nd && o < nd->n_output; o++)
            if (nd->output[o] && !strcmp(nd->output[o], name)) return nd;
    }
    return NULL;
}

static int is_op(const Onnx__NodeProto *nd, const char *op) {
    return nd && nd->op_type && !strcmp(nd->op_type, op);
}

/* The sequence a Loop whose result seq holds its appends started from, NULL
 * when seq is not one. */
static const char *stacked_start(const ng_onnx_rewrite *r, const char *seq) {
    for (int i = 0; r->stacked && i + 1 < r->stacked->n; i += 2)
        if (!strcmp(r->stacked->v[i], seq)) return r->stacked->v[i + 1];
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

/* Whether nd may read, as input k, a sequence made by SplitToSequence (split)
 * or held as a list. */
static int reader_ok(const Onnx__NodeProto *nd, size_t k, int split) {
    if (k != 0) return 0;
    if (is_op(nd, "SequenceAt") || is_op(nd, "SequenceLength")) return 1;
    return !split && (is_op(nd, "ConcatFromSequence") || is_op(nd, "SequenceInsert") ||
                      is_op(nd, "SequenceErase"));
}

/* Every reader of the sequence this node makes must be one the rewrite handles. */
nngpu_status ng_onnx_sequence_source(ng_onnx_rewrite *r) {
    const char *seq = ng_rw_output(r, 0);
    int split = is_op(r->nd, "SplitToSequence");
    if (!seq || (split && !ng_rw_input(r, 0))) return refuse(r, "wrong inputs or outputs");
    for (size_t i = 0; i < r->gp->n_output; i++)
        if (r->gp->output[i] && r->gp->output[i]->name && !strcmp(r->gp->output[i]->name, seq))
            return refuse(r, "its sequence is an output of the graph, which is not supported (a "
                             "Loop may carry a sequence only to append one tensor per iteration)");
    for (size_t i = 0; i < r->gp->n_node; i++) {
        const Onnx__NodeProto *nd = r->gp->node[i];
        for (size_t k = 0; nd && k < nd->n_input; k++) {
            if (!nd->input[k] || strcmp(nd->input[k], seq) || reader_ok(nd, k, split)) continue;
            char why[300];
            snprintf(why, sizeof why, "its sequence is read by %s '%s', which is not supported",
                     nd->op_type, nd->name ? nd->name : "");
            return refuse(r, why);
        }
    }
    return NNGPU_OK; /* nothing to add: the readers take the elements */
}

/* A constant position (input `name`, def when absent) into *pos, checked
 * against [lo, hi] after negative values count from n. */
static nngpu_status position(const ng_onnx_rewrite *r, const Onnx__NodeProto *nd, const char *name,
                             int64_t def, int64_t n, int64_t hi, int64_t *pos) {
    *pos = def;
    if (name && *name) {
        const ng_tensor *p = const_ints(r, name);
        if (!p || ng_numel(p) != 1) return refuse(r, "a sequence position must be a constant");
        *pos = ng_const_int(p, 0);
    }
    if (*pos < 0) *pos += n;
    if (*pos < 0 || *pos > hi) {
        char why[300];
        snprintf(why, sizeof why, "position out of range at %s '%s'", nd->op_type,
                 nd->name ? nd->name : "");
        return refuse(r, why);
    }
    return NNGPU_OK;
}

/* The elements of the list sequence seq into el[*n]: its SequenceConstruct or
 * SequenceEmpty, then the inserts and erasures on it in order. */
static nngpu_status elements(const ng_onnx_rewrite *r, const char *seq, const char **el, int *n) {
    const Onnx__NodeProto *chain[MAX_ELEMENTS];
    int depth = 0;
    const Onnx__NodeProto *nd = producer(r, seq);
    while (is_op(nd, "SequenceInsert") || is_op(nd, "SequenceErase")) {
        if (depth == MAX_ELEMENTS || !nd->n_input || !nd->input[0])
            return refuse(r, "a chain of over 1024 sequence edits, or one without a sequence");
        chain[depth++] = nd;
        nd = producer(r, nd->input[0]);
    }
    *n = 0;
    if (is_op(nd, "SequenceConstruct")) {
        if (nd->n_input > MAX_ELEMENTS) return refuse(r, "over 1024 elements");
        for (size_t i = 0; i < nd->n_input; i++) el[(*n)++] = nd->input[i];
    } else if (!is_op(nd, "SequenceEmpty")) {
        return refuse(r, "only sequences made by SplitToSequence, SequenceConstruct or "
                         "SequenceEmpty (and edits of them), or a Loop's appends, are supported");
    }
    while (depth--) {
        nd = chain[depth];
        int64_t p, count = *n;
        const char *at = nd->n_input > (is_op(nd, "SequenceInsert") ? 2u : 1u)
                             ? nd->input[is_op(nd, "SequenceInsert") ? 2 : 1] : NULL;
        if (is_op(nd, "SequenceInsert")) {
            if (nd->n_input < 2 || !nd->input[1] || !*nd->input[1]) return refuse(r, "an insert without a tensor");
            if (count == MAX_ELEMENTS) return refuse(r, "over 1024 elements");
            NG_CHECK(position(r, nd, at, count, count, count, &p));
            memmove(&el[p + 1], &el[p], sizeof *el * (size_t)(count - p));
            el[p] = nd->input[1];
            (*n)++;
        } else {
            NG_CHECK(position(r, nd, at, count - 1, count, count - 1, &p));
            memmove(&el[p], &el[p + 1], sizeof *el * (size_t)(count - p - 1));
            (*n)--;
        }
    }
    return NNGPU_OK;
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

/* SequenceLength(SplitToSequence(x, split)): the count of listed sizes, else
 * ceil(x.shape[axis] / chunk), chunk 1 without split; split may be a run-time
 * value. */
static nngpu_status split_length(ng_onnx_rewrite *r, const Onnx__NodeProto *sp, const char *out) {
    const char *split = sp->n_input > 1 && sp->input[1] && *sp->input[1] ? sp->input[1] : NULL;
    int t = split ? ng_tensor_find(r->g, split) : -1;
    if (split && t < 0) return refuse(r, "split is not known");
    const ng_tensor *s = split ? &r->g->tensors[t] : NULL;
    char shape[600], zero[600], ax[600], dim[600], one[600], round[600], sum[600];
    int64_t axis = attr_int(sp, "axis", 0), z = 0, u = 1;
    NG_CHECK(ng_rw_i64(r, "zero", 0, 1, &z, zero, sizeof zero));
    if (s && s->rank == 1) { /* listed sizes: their count */
        const char *g[] = {ng_rw_tmp(r, "shape", shape, sizeof shape), zero};
        NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &split, shape));
        return ng_rw_add(r, "Gather", 1, 2, g, out);
    }
    const char *x = sp->input[0], *g[] = {shape, ax};
    NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &x, ng_rw_tmp(r, "shape", shape, sizeof shape)));
    NG_CHECK(ng_rw_i64(r, "axis", 0, 1, &axis, ax, sizeof ax));
    if (!s) return ng_rw_add(r, "Gather", 1, 2, g, out); /* chunks of one */
    NG_CHECK(ng_rw_add(r, "Gather", 0, 2, g, ng_rw_tmp(r, "dim", dim, sizeof dim)));
    NG_CHECK(ng_rw_i64(r, "one", 0, 1, &u, one, sizeof one));
    const char *m[] = {split, one}, *a[] = {dim, round}, *d[] = {sum, split};
    NG_CHECK(ng_rw_add(r, "Sub", 0, 2, m, ng_rw_tmp(r, "round", round, sizeof round)));
    NG_CHECK(ng_rw_add(r, "Add", 0, 2, a, ng_rw_tmp(r, "sum", sum, sizeof sum)));
    return ng_rw_add(r, "Div", 1, 2, d, out);
}

/* ConcatFromSequence of the list el[n]. */
static nngpu_status concat_list(ng_onnx_rewrite *r, const char **el, int n) {
    int64_t axis = ng_rw_attr_int(r, "axis", 0);
    int new_axis = ng_rw_attr_int(r, "new_axis", 0) != 0;
    const char *ins[MAX_ELEMENTS];
    char names[64][600];
    if (n < 1 || (new_axis && n > 64))
        return refuse(r, "between 1 and 1024 elements (64 with new_axis)");
    for (int i = 0; i < n; i++) {
        ins[i] = el[i];
        if (!new_axis) continue;
        char ax[600]; /* Unsqueeze at axis: negative axes count in the output's rank */
        NG_CHECK(ng_rw_i64(r, "axis", 1, 1, &axis, ax, sizeof ax));
        const char *u[] = {el[i], ax};
        NG_CHECK(ng_rw_add(r, "Unsqueeze", 0, r->opset < 13 ? 1 : 2, u,
                           ng_rw_tmp(r, "element", names[i], sizeof names[i])));
        if (r->opset < 13) NG_CHECK(nngpu_graph_set_attr_ints(r->g, "axes", 1, &axis));
        ins[i] = names[i];
    }
    NG_CHECK(ng_rw_add(r, "Concat", 1, n, ins, ng_rw_output(r, 0)));
    return nngpu_graph_set_attr_int(r->g, "axis", axis);
}

/* A reader of a Loop's appends, stacked on axis 0 in tensor seq, after the
 * elements of the sequence start (stacked in front of them). */
static nngpu_status stacked_reader(ng_onnx_rewrite *r, const char *seq, const char *start,
                                   const char *out) {
    const char *el[MAX_ELEMENTS + 1];
    int n = 0;
    NG_CHECK(elements(r, start, el, &n));
    char full[600], names[64][600];
    if (n > 64) return refuse(r, "a Loop appending to a list of over 64 elements");
    if (n) { /* Concat(Unsqueeze(start's elements), appends) */
        int64_t zero = 0;
        char ax[600];
        NG_CHECK(ng_rw_i64(r, "axis", 1, 1, &zero, ax, sizeof ax));
        for (int i = 0; i < n; i++) {
            const char *u[] = {el[i], ax};
            NG_CHECK(ng_rw_add(r, "Unsqueeze", 0, r->opset < 13 ? 1 : 2, u,
                               ng_rw_tmp(r, "element", names[i], sizeof names[i])));
            if (r->opset < 13) NG_CHECK(nngpu_graph_set_attr_ints(r->g, "axes", 1, &zero));
            el[i] = names[i];
        }
        el[n] = seq;
        NG_CHECK(ng_rw_add(r, "Concat", 0, n + 1, el, seq = ng_rw_tmp(r, "elements", full, sizeof full)));
        NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", 0));
    }
    if (is_op(r->nd, "SequenceAt")) {
        const char *at = ng_rw_input(r, 1);
        if (!at) return refuse(r, "no position");
        const char *g[] = {seq, at};
        return ng_rw_add(r, "Gather", 1, 2, g, out);
    }
    if (is_op(r->nd, "SequenceLength")) {
        char shape[600], zero[600];
        int64_t z = 0;
        NG_CHECK(ng_rw_add(r, "Shape", 0, 1, &seq, ng_rw_tmp(r, "shape", shape, sizeof shape)));
        NG_CHECK(ng_rw_i64(r, "zero", 0, 1, &z, zero, sizeof zero));
        const char *g[] = {shape, zero};
        return ng_rw_add(r, "Gather", 1, 2, g, out);
    }
    NG_CHECK(ng_rw_add(r, "StackedConcat", 1, 1, &seq, out));
    NG_CHECK(nngpu_graph_set_attr_int(r->g, "axis", ng_rw_attr_int(r, "axis", 0)));
    return nngpu_graph_set_attr_int(r->g, "new_axis", ng_rw_attr_int(r, "new_axis", 0) != 0);
}

nngpu_status ng_onnx_sequence_reader(ng_onnx_rewrite *r) {
    const char *seq = ng_rw_input(r, 0), *out = ng_rw_output(r, 0);
    if (!seq || !out) return refuse(r, "wrong inputs or outputs");
    const char *start = stacked_start(r, seq);
    if (start) return stacked_reader(r, seq, start, out);
    const Onnx__NodeProto *src = producer(r, seq);
    const ng_tensor *k = NULL;
    if (is_op(r->nd, "SequenceAt")) {
        k = const_ints(r, ng_rw_input(r, 1));
        if (!k || ng_numel(k) != 1) return refuse(r, "the position must be a constant");
        if (is_op(src, "SplitToSequence")) return split_at(r, src, ng_const_int(k, 0));
    }
    if (is_op(src, "SplitToSequence")) return split_length(r, src, out);
    const char *el[MAX_ELEMENTS];
    int n = 0;
    NG_CHECK(elements(r, seq, el, &n));
    if (is_op(r->nd, "ConcatFromSequence")) return concat_list(r, el, n);
    if (is_op(r->nd, "SequenceLength")) {
        int64_t count = n;
        return nngpu_graph_add_constant(r->g, out, NNGPU_DTYPE_INT64, 0, NULL, &count);
    }
    int64_t at = ng_const_int(k, 0);
    if (at < 0) at += n;
    if (at < 0 || at >= n) return refuse(r, "position out of range");
    return ng_rw_add(r, "Identity", 1, 1, &el[at], out);
}
