/* A Loop that grows a sequence by one tensor per iteration, TorchScript's
 * list.append in a scripted loop:
 *     s0 = SequenceEmpty() (or a list known at import: SequenceConstruct, ...)
 *     ..., s = Loop(M, cond, ..., s0, ...) with body
 *         (i, c, ..., s_in, ...) -> (..., SequenceInsert(s_in, x), ...)
 * keeps each iteration's x and nothing else, which is what a scan output is.
 * So the state is removed from the node and its body, the SequenceInsert
 * becomes Identity(x) and its output a scan output, and the Loop's result s is
 * the appended elements stacked on a new axis 0, after s0's. Its readers
 * (SequenceAt, SequenceLength, ConcatFromSequence) are rewritten on that
 * stacked tensor by onnx_sequence.c, which finds s and s0 in the list this
 * pass fills.
 *
 * Runs on the parsed protobuf before import, nested graphs included. Any
 * other use of a carried sequence (reading its elements inside the body,
 * inserting at a position) is left alone, and the import then refuses it by
 * name. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "onnx_internal.h"

static int is_op(const Onnx__NodeProto *nd, const char *op) {
    return nd && nd->op_type && !strcmp(nd->op_type, op) &&
           (!nd->domain || !*nd->domain || !strcmp(nd->domain, "ai.onnx"));
}

static int same(const char *a, const char *b) { return a && b && *a && !strcmp(a, b); }

static const Onnx__NodeProto *producer(const Onnx__GraphProto *gp, const char *name) {
    for (size_t i = 0; i < gp->n_node; i++)
        for (size_t o = 0; gp->node[i] && o < gp->node[i]->n_output; o++)
            if (same(gp->node[i]->output[o], name)) return gp->node[i];
    return NULL;
}

/* How many times nodes of gp, or subgraphs of those nodes, read name. */
static nngpu_status count_reads(const Onnx__GraphProto *gp, const char *name, int *reads) {
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        if (!nd || (nd->n_input && !nd->input) || (nd->n_attribute && !nd->attribute)) continue;
        for (size_t k = 0; k < nd->n_input; k++) *reads += same(nd->input[k], name);
        ng_onnx_names cap = {0};
        nngpu_status st = ng_onnx_node_captures(nd, &cap);
        for (int c = 0; st == NNGPU_OK && c < cap.n; c++) *reads += same(cap.v[c], name);
        ng_onnx_names_free(&cap);
        NG_CHECK(st);
    }
    return NNGPU_OK;
}

/* The body's SequenceInsert appending to carried state j, when that is all
 * the body does with it; NULL otherwise. */
static nngpu_status append_of(const Onnx__GraphProto *body, size_t j, Onnx__NodeProto **out) {
    *out = NULL;
    const Onnx__ValueInfoProto *in = body->input[2 + j], *res = body->output[1 + j];
    if (!in || !res || !in->name || !res->name) return NNGPU_OK;
    Onnx__NodeProto *append = NULL;
    for (size_t i = 0; i < body->n_node; i++) {
        Onnx__NodeProto *nd = body->node[i];
        if (nd && (!nd->input || !nd->output)) continue;
        if (is_op(nd, "SequenceInsert") && nd->n_input >= 2 && same(nd->input[0], in->name) &&
            (nd->n_input == 2 || !nd->input[2] || !*nd->input[2]) && nd->n_output == 1 &&
            same(nd->output[0], res->name) && nd->input[1] && *nd->input[1])
            append = nd;
    }
    if (!append) return NNGPU_OK;
    int reads_in = 0, reads_res = 0;
    NG_CHECK(count_reads(body, in->name, &reads_in));
    NG_CHECK(count_reads(body, res->name, &reads_res));
    int outputs = 0;
    for (size_t o = 0; o < body->n_output; o++)
        outputs += body->output[o] && (same(body->output[o]->name, in->name) ||
                                       same(body->output[o]->name, res->name));
    if (reads_in == 1 && reads_res == 0 && outputs == 1) *out = append;
    return NNGPU_OK;
}

/* Moves v[at] to the end of v[n]. */
static void move_last(void **v, size_t n, size_t at) {
    void *x = v[at];
    memmove(&v[at], &v[at + 1], sizeof *v * (n - at - 1));
    v[n - 1] = x;
}

/* Loop nd's carried state j becomes a scan output of its appends. */
static nngpu_status convert(Onnx__NodeProto *nd, Onnx__GraphProto *body, size_t j,
                            Onnx__NodeProto *append, ng_onnx_names *stacked) {
    char *op = strdup("Identity");
    if (!op) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "Loop '%s'", nd->name ? nd->name : "");
    free(append->op_type);
    append->op_type = op;
    free(append->input[0]);
    for (size_t k = 2; k < append->n_input; k++) free(append->input[k]);
    append->input[0] = append->input[1];
    append->n_input = 1;

    onnx__value_info_proto__free_unpacked(body->input[2 + j], NULL);
    memmove(&body->input[2 + j], &body->input[3 + j], sizeof *body->input * (body->n_input - 3 - j));
    body->n_input--;
    move_last((void **)body->output, body->n_output, 1 + j);

    char *start = nd->input[2 + j];
    memmove(&nd->input[2 + j], &nd->input[3 + j], sizeof *nd->input * (nd->n_input - 3 - j));
    nd->n_input--;
    move_last((void **)nd->output, nd->n_output, j);
    const char *result = nd->output[nd->n_output - 1];
    int oom = result && *result && (ng_onnx_names_push(stacked, result) || ng_onnx_names_push(stacked, start));
    free(start);
    return oom ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "Loop '%s'", nd->name ? nd->name : "") : NNGPU_OK;
}

static Onnx__GraphProto *body_of(const Onnx__NodeProto *nd) {
    for (size_t a = 0; a < nd->n_attribute; a++)
        if (ng_onnx_is_graph_attr(nd->attribute[a]) && same(nd->attribute[a]->name, "body"))
            return nd->attribute[a]->g;
    return NULL;
}

nngpu_status ng_onnx_sequence_loops(Onnx__GraphProto *gp, ng_onnx_names *stacked) {
    if ((gp->n_node && !gp->node) || (gp->n_input && !gp->input) || (gp->n_output && !gp->output))
        return NNGPU_OK; /* malformed: the import names it */
    for (size_t i = 0; i < gp->n_node; i++) {
        Onnx__NodeProto *nd = gp->node[i];
        if (!nd || (nd->n_input && !nd->input) || (nd->n_output && !nd->output) ||
            (nd->n_attribute && !nd->attribute))
            continue;
        for (size_t a = 0; a < nd->n_attribute; a++)
            if (ng_onnx_is_graph_attr(nd->attribute[a]))
                NG_CHECK(ng_onnx_sequence_loops(nd->attribute[a]->g, stacked));
        Onnx__GraphProto *body = is_op(nd, "Loop") ? body_of(nd) : NULL;
        if (!body || nd->n_input < 2 || body->n_input != nd->n_input ||
            body->n_output != nd->n_output + 1 || body->n_output < body->n_input - 1 ||
            (body->n_node && !body->node) || !body->input || !body->output)
            continue; /* the import checks the arity */
        for (size_t j = nd->n_input - 2; j-- > 0;) {
            const Onnx__NodeProto *start = producer(gp, nd->input[2 + j]);
            if (!is_op(start, "SequenceEmpty") && !is_op(start, "SequenceConstruct") &&
                !is_op(start, "SequenceInsert") && !is_op(start, "SequenceErase"))
                continue;
            Onnx__NodeProto *append;
            NG_CHECK(append_of(body, j, &append));
            if (append) NG_CHECK(convert(nd, body, j, append, stacked));
        }
    }
    return NNGPU_OK;
}
