/* ONNX ModelProto -> graph IR, through the builder (include/nngpu/graph.h).
 * Every count and pointer of the parsed protobuf is checked: a malformed
 * file gives an error naming the file and the tensor or node, never a crash. */
#include "onnx_import.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "onnx_internal.h"

typedef struct importer {
    const Onnx__GraphProto *gp;
    const char *base_dir;
    ng_graph *g;
    char **names; /* display name of each node: its name or "<OpType>_<index>" */
    int opset;        /* of the default domain, as imported (at least 7) */
    int source_opset; /* of the default domain, as the model says */
    int is_subgraph;  /* an If branch or Loop body: inputs need no shape */
    const ng_onnx_names *captured; /* a subgraph's values of enclosing graphs */
    ng_onnx_names *node_captures;  /* per node: what its subgraphs capture */
    const ng_onnx_names *stacked;  /* Loop results of stacked appends (onnx_sequence_loop.c) */
} importer;

static nngpu_status import_body(importer *im);

static const char *nz(const char *s) { return s ? s : ""; }

static int is_default_domain(const char *d) {
    return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

static nngpu_status read_opset(const Onnx__ModelProto *m, int *opset) {
    int64_t v = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (o && is_default_domain(o->domain) && o->has_version && o->version > v) v = o->version;
    }
    if (v < 0)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "no opset_import for the default ONNX domain");
    if (v < NG_ONNX_OPSET_MIN || v > NG_ONNX_OPSET_NEWEST)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "opset %lld is not supported (supported: %d..%d)",
                        (long long)v, NG_ONNX_OPSET_MIN, NG_ONNX_OPSET_MAX);
    if (v > NG_ONNX_OPSET_MAX && getenv("NNGPU_VERBOSE"))
        fprintf(stderr, "nngpu: warning: opset %lld is newer than %d, the newest nngpu was "
                        "checked against; loading it as if ops were unchanged\n",
                (long long)v, NG_ONNX_OPSET_MAX);
    *opset = (int)v;
    return NNGPU_OK;
}

static nngpu_status add_tensor_const(importer *im, const char *name, const Onnx__TensorProto *tp,
                                     const char *what) {
    ng_onnx_tensor t;
    nngpu_status st = ng_onnx_tensor_decode(tp, im->base_dir, what, &t);
    if (st == NNGPU_OK)
        st = nngpu_graph_add_constant(im->g, name, t.dtype, t.rank, t.dims, t.data);
    ng_onnx_tensor_free(&t);
    return st;
}

static nngpu_status add_initializers(importer *im) {
    const Onnx__GraphProto *gp = im->gp;
    if (gp->n_sparse_initializer)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        if (!tp || !tp->name || !*tp->name)
            return ng_error(NNGPU_ERR_PARSE, "initializer #%zu has no name", i);
        char what[300];
        snprintf(what, sizeof what, "initializer '%.256s'", tp->name);
        NG_CHECK(add_tensor_const(im, tp->name, tp, what));
    }
    return NNGPU_OK;
}

/* An input of an If branch or Loop body: its value (and shape) is bound when
 * the subgraph is evaluated. */
static nngpu_status add_subgraph_input(ng_graph *g, const char *name) {
    int t = ng_tensor_get_or_add(g, name);
    int *ins = t >= 0 ? realloc(g->inputs, sizeof *ins * (size_t)(g->n_inputs + 1)) : NULL;
    if (!ins) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "subgraph input '%s'", name);
    g->inputs = ins;
    g->inputs[g->n_inputs++] = t;
    g->tensors[t].is_input = 1;
    return NNGPU_OK;
}

static nngpu_status add_inputs(importer *im) {
    const Onnx__GraphProto *gp = im->gp;
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi || !vi->name || !*vi->name)
            return ng_error(NNGPU_ERR_PARSE, "graph input #%zu has no name", i);
        int t = ng_tensor_find(im->g, vi->name);
        if (t >= 0 && ng_is_const(im->g, t)) continue; /* an initializer: a constant */
        if (im->is_subgraph) {
            NG_CHECK(add_subgraph_input(im->g, vi->name));
            continue;
        }
        const Onnx__TypeProto *tp = vi->type;
        if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "input '%s': only tensor inputs are supported",
                            vi->name);
        const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
        int32_t et = tt->has_elem_type ? tt->elem_type : 0;
        nngpu_dtype dt = ng_onnx_dtype(et);
        if (dt == NNGPU_DTYPE_UNDEFINED)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "input '%s': data type %s (%d) is not supported",
                            vi->name, ng_onnx_dtype_name(et), (int)et);
        const Onnx__TensorShapeProto *sp = tt->shape;
        if (!sp)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "input '%s' has no shape (unknown rank)",
                            vi->name);
        if (sp->n_dim > NNGPU_MAX_DIMS)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "input '%s': rank %zu is over %d", vi->name,
                            sp->n_dim, NNGPU_MAX_DIMS);
        int64_t dims[NNGPU_MAX_DIMS];
        for (size_t d = 0; d < sp->n_dim; d++) {
            const Onnx__TensorShapeProto__Dimension *dm = sp->dim ? sp->dim[d] : NULL;
            int known =
                dm && dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dims[d] = known && dm->dim_value >= 0 ? dm->dim_value : -1;
        }
        NG_CHECK(nngpu_graph_add_input(im->g, vi->name, dt, (int)sp->n_dim, dims));
    }
    for (int i = 0; im->captured && i < im->captured->n; i++)
        NG_CHECK(add_subgraph_input(im->g, im->captured->v[i]));
    im->g->n_captured = im->captured ? im->captured->n : 0;
    return NNGPU_OK;
}

/* The value of a Constant node as a constant tensor named out. */
static nngpu_status add_constant_node(importer *im, const Onnx__NodeProto *nd, int idx) {
    const char *name = im->names[idx];
    if (nd->n_output < 1 || !nd->output || !nd->output[0] || !*nd->output[0])
        return ng_error(NNGPU_ERR_PARSE, "Constant node '%s' has no output", name);
    const char *out = nd->output[0];
    char what[300];
    snprintf(what, sizeof what, "Constant node '%.200s'", name);
    for (size_t i = 0; i < nd->n_attribute; i++) {
        const Onnx__AttributeProto *a = nd->attribute[i];
        if (!a || !a->name) continue;
        int64_t n1 = 1;
        if (strcmp(a->name, "value") == 0)
            return add_tensor_const(im, out, a->t, what);
        if (strcmp(a->name, "value_float") == 0)
            return nngpu_graph_add_constant(im->g, out, NNGPU_DTYPE_FLOAT32, 0, NULL, &a->f);
        if (strcmp(a->name, "value_int") == 0)
            return nngpu_graph_add_constant(im->g, out, NNGPU_DTYPE_INT64, 0, NULL, &a->i);
        if (strcmp(a->name, "value_floats") == 0) {
            n1 = (int64_t)a->n_floats;
            return nngpu_graph_add_constant(im->g, out, NNGPU_DTYPE_FLOAT32, 1, &n1, a->floats);
        }
        if (strcmp(a->name, "value_ints") == 0) {
            n1 = (int64_t)a->n_ints;
            return nngpu_graph_add_constant(im->g, out, NNGPU_DTYPE_INT64, 1, &n1, a->ints);
        }
        if (strncmp(a->name, "value_string", 12) == 0 || strcmp(a->name, "sparse_value") == 0)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "%s: attribute '%s' is not supported", what,
                            a->name);
    }
    return ng_error(NNGPU_ERR_PARSE, "%s has no value attribute", what);
}

/* The attribute's type; old files (IR < 2) may leave it out. */
static int attr_type(const Onnx__AttributeProto *a) {
    if (a->has_type) return a->type;
    if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

nngpu_status ng_onnx_add_attr(ng_graph *g, const char *base_dir, const Onnx__AttributeProto *a,
                              const char *node) {
    if (!a || !a->name || !*a->name)
        return ng_error(NNGPU_ERR_PARSE, "node '%s': an attribute has no name", node);
    switch (attr_type(a)) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        return nngpu_graph_set_attr_int(g, a->name, a->i);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        return nngpu_graph_set_attr_float(g, a->name, a->f);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        if (a->n_ints > INT_MAX) break;
        return nngpu_graph_set_attr_ints(g, a->name, (int)a->n_ints, a->ints);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        if (a->n_floats > INT_MAX) break;
        return nngpu_graph_set_attr_floats(g, a->name, (int)a->n_floats, a->floats);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
        char *s = malloc(a->s.len + 1);
        if (!s)
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': attribute '%s'", node, a->name);
        if (a->s.len && a->s.data) memcpy(s, a->s.data, a->s.len);
        s[a->s.data ? a->s.len : 0] = '\0';
        nngpu_status st = nngpu_graph_set_attr_string(g, a->name, s);
        free(s);
        return st;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: { /* one comma-separated string */
        size_t len = 1;
        for (size_t i = 0; i < a->n_strings; i++) len += a->strings[i].len + 1;
        char *s = malloc(len), *p = s;
        if (!s)
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': attribute '%s'", node, a->name);
        for (size_t i = 0; i < a->n_strings; i++) {
            if (i) *p++ = ',';
            if (a->strings[i].len) memcpy(p, a->strings[i].data, a->strings[i].len);
            p += a->strings[i].len;
        }
        *p = '\0';
        nngpu_status st = nngpu_graph_set_attr_string(g, a->name, s);
        free(s);
        return st;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
        char what[400];
        snprintf(what, sizeof what, "node '%.200s': attribute '%.150s'", node, a->name);
        ng_onnx_tensor t;
        nngpu_status st = ng_onnx_tensor_decode(a->t, base_dir, what, &t);
        if (st == NNGPU_OK)
            st = nngpu_graph_set_attr_tensor(g, a->name, t.dtype, t.rank, t.dims, t.data);
        ng_onnx_tensor_free(&t);
        return st;
    }
    default: return NNGPU_OK; /* graphs, ...: no op nngpu runs needs them */
    }
    return ng_error(NNGPU_ERR_PARSE, "node '%s': attribute '%s' is too long", node, a->name);
}

/* A subgraph's inputs and outputs against its node's: If's branches give
 * the node's outputs; Loop's body takes (iteration, cond, state...) and gives
 * (cond, state..., scans...) for inputs (M, cond, state...). */
static nngpu_status check_subgraph(const Onnx__NodeProto *nd, const char *attr, const ng_graph *sub,
                                   const char *name, int opset) {
    int formal = sub->n_inputs - sub->n_captured;
    if (strcmp(nd->op_type, "If") == 0 && (formal != 0 || sub->n_outputs != (int)nd->n_output))
        return ng_error(NNGPU_ERR_PARSE,
                        "node '%s' (If): %s has %d inputs and %d outputs; it needs none and %zu",
                        name, attr, formal, sub->n_outputs, nd->n_output);
    if (strcmp(nd->op_type, "Loop") == 0 &&
        (formal < 2 || (int)nd->n_input != formal || sub->n_outputs < formal - 1 ||
         (int)nd->n_output != sub->n_outputs - 1))
        return ng_error(NNGPU_ERR_PARSE,
                        "node '%s' (Loop): body has %d inputs and %d outputs for a node of %zu "
                        "inputs and %zu outputs (body: iteration, cond, N states -> cond, N "
                        "states, scans)",
                        name, formal, sub->n_outputs, nd->n_input, nd->n_output);
    if (strcmp(nd->op_type, "Scan") == 0 && /* opset 8: sequence_lens first */
        (formal != (int)nd->n_input - (opset < 9) || sub->n_outputs != (int)nd->n_output))
        return ng_error(NNGPU_ERR_PARSE,
                        "node '%s' (Scan): body has %d inputs and %d outputs for a node of %zu "
                        "inputs and %zu outputs (body: N states, M slices -> N states, scans)",
                        name, formal, sub->n_outputs, nd->n_input, nd->n_output);
    return NNGPU_OK;
}

/* An If, Loop or Scan: its subgraphs' captures become trailing inputs of the node,
 * and each subgraph a GRAPH attribute. */
static nngpu_status add_control_node(importer *im, int idx) {
    const Onnx__NodeProto *nd = im->gp->node[idx];
    const ng_onnx_names *cap = &im->node_captures[idx];
    size_t n_in = nd->n_input + (size_t)cap->n;
    const char **ins = calloc(n_in + 1, sizeof *ins);
    const char **outs = calloc(nd->n_output + 1, sizeof *outs);
    nngpu_status st = NNGPU_OK;
    if (!ins || !outs) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", im->names[idx]);
    for (size_t i = 0; st == NNGPU_OK && i < n_in; i++)
        ins[i] = i < nd->n_input ? nz(nd->input[i]) : cap->v[i - nd->n_input];
    for (size_t i = 0; st == NNGPU_OK && i < nd->n_output; i++) outs[i] = nz(nd->output[i]);
    if (st == NNGPU_OK)
        st = nngpu_graph_add_node(im->g, nd->op_type, im->names[idx], (int)n_in, ins,
                                  (int)nd->n_output, outs);
    for (size_t a = 0; st == NNGPU_OK && a < nd->n_attribute; a++) {
        const Onnx__AttributeProto *at = nd->attribute[a];
        if (!ng_onnx_is_graph_attr(at)) {
            st = ng_onnx_add_attr(im->g, im->base_dir, at, im->names[idx]);
            continue;
        }
        importer sub = {at->g, im->base_dir, nngpu_graph_create(), NULL, im->opset,
                        im->source_opset, 1, cap, NULL, im->stacked};
        if (!sub.g) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", im->names[idx]);
        else st = import_body(&sub);
        if (st != NNGPU_OK) {
            nngpu_graph_destroy(sub.g);
            st = ng_error_context(st, "node '%s' (%s), subgraph '%s'", im->names[idx],
                                  nd->op_type, at->name);
        } else if ((st = check_subgraph(nd, at->name, sub.g, im->names[idx], im->opset)) != NNGPU_OK) {
            nngpu_graph_destroy(sub.g);
        } else if (!ng_node_set_graph(&im->g->nodes[im->g->n_nodes - 1], at->name, sub.g)) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", im->names[idx]);
        }
    }
    free(ins);
    free(outs);
    return st;
}

static nngpu_status add_node(importer *im, int idx) {
    const Onnx__NodeProto *nd = im->gp->node[idx];
    const char *name = im->names[idx];
    if (strcmp(nd->op_type, "Constant") == 0) return add_constant_node(im, nd, idx);
    if (im->node_captures[idx].n || strcmp(nd->op_type, "If") == 0 ||
        strcmp(nd->op_type, "Loop") == 0 || strcmp(nd->op_type, "Scan") == 0)
        return add_control_node(im, idx);
    ng_onnx_rewrite r = {im->g,     im->base_dir,   name, nd, im->opset, 0, im->gp, NNGPU_OK,
                         im->source_opset, im->stacked};
    if (is_default_domain(nd->domain) && ng_onnx_is_legacy_node(nd, im->source_opset))
        return ng_onnx_add_legacy_node(&r);
    if (is_default_domain(nd->domain) && ng_onnx_is_function_op(nd->op_type))
        return ng_onnx_add_function_node(&r);
    if (ng_onnx_is_contrib_op(nd->domain, nd->op_type)) return ng_onnx_add_contrib_node(&r);
    const char **ins = calloc(nd->n_input + 1, sizeof *ins);
    const char **outs = calloc(nd->n_output + 1, sizeof *outs);
    nngpu_status st;
    if (!ins || !outs) {
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", name);
        goto done;
    }
    for (size_t i = 0; i < nd->n_input; i++) ins[i] = nz(nd->input[i]);
    for (size_t i = 0; i < nd->n_output; i++) outs[i] = nz(nd->output[i]);
    st = nngpu_graph_add_node(im->g, nd->op_type, name, (int)nd->n_input, ins, (int)nd->n_output,
                              outs);
    for (size_t a = 0; st == NNGPU_OK && a < nd->n_attribute; a++)
        st = ng_onnx_add_attr(im->g, im->base_dir, nd->attribute[a], name);
done:
    free(ins);
    free(outs);
    return st;
}

/* Pointers, counts, domain and op type of every node; fills im->names. */
static nngpu_status check_nodes(importer *im) {
    const Onnx__GraphProto *gp = im->gp;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        if (!nd) return ng_error(NNGPU_ERR_PARSE, "node #%zu is missing", i);
        int named = nd->name && *nd->name;
        char label[64];
        snprintf(label, sizeof label, "#%zu", i);
        const char *shown = named ? nd->name : label;
        if (!nd->op_type || !*nd->op_type)
            return ng_error(NNGPU_ERR_PARSE, "node '%s' has no op type", shown);
        if ((nd->n_input && !nd->input) || (nd->n_output && !nd->output) ||
            (nd->n_attribute && !nd->attribute) || nd->n_input > INT_MAX / 2 ||
            nd->n_output > INT_MAX / 2)
            return ng_error(NNGPU_ERR_PARSE, "node '%s': malformed input/output lists", shown);
        if (ng_onnx_is_contrib_op(nd->domain, nd->op_type)) {
            /* rewritten into standard ops at import */
        } else if (!is_default_domain(nd->domain))
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "op '%s' of domain '%s' is not supported (node '%s')", nd->op_type,
                            nd->domain, shown);
        if (ng_op_from_name(nd->op_type) == NG_OP_COUNT && !ng_onnx_is_legacy_node(nd, im->source_opset) &&
            !ng_onnx_is_function_op(nd->op_type) && !ng_onnx_is_contrib_op(nd->domain, nd->op_type))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "unsupported op '%s' (node '%s')", nd->op_type,
                            shown);
        if (named) {
            im->names[i] = strdup(nd->name);
        } else {
            size_t len = strlen(nd->op_type) + 24;
            im->names[i] = malloc(len);
            if (im->names[i]) snprintf(im->names[i], len, "%s_%zu", nd->op_type, i);
        }
        if (!im->names[i]) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node names");
        nngpu_status st = ng_onnx_node_captures(nd, &im->node_captures[i]);
        if (st != NNGPU_OK) return ng_error_context(st, "node '%s'", im->names[i]);
    }
    return NNGPU_OK;
}

static nngpu_status add_outputs(importer *im) {
    const Onnx__GraphProto *gp = im->gp;
    if (gp->n_output == 0) return ng_error(NNGPU_ERR_PARSE, "the graph has no outputs");
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        if (!vi || !vi->name || !*vi->name)
            return ng_error(NNGPU_ERR_PARSE, "graph output #%zu has no name", i);
        const char *name = vi->name;
        char again[600];
        int t0 = ng_tensor_find(im->g, name);
        if (im->is_subgraph && t0 >= 0 && im->g->tensors[t0].is_output) {
            /* a body may return one value twice (a Scan's state as a scan output too) */
            snprintf(again, sizeof again, "%s/output%zu", name, i);
            NG_CHECK(nngpu_graph_add_node(im->g, "Identity", again, 1, &name, 1,
                                          (const char *[]){again}));
            name = again;
        }
        NG_CHECK(nngpu_graph_add_output(im->g, name));
        /* the declared type: what an output whose shape only a run decides reports */
        ng_tensor *t = &im->g->tensors[ng_tensor_find(im->g, name)];
        const Onnx__TypeProto *tp = vi->type;
        if (t->dtype == NNGPU_DTYPE_UNDEFINED && tp &&
            tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type &&
            tp->tensor_type->has_elem_type)
            t->dtype = ng_onnx_dtype(tp->tensor_type->elem_type);
    }
    return NNGPU_OK;
}

/* Nodes, initializers, inputs and outputs of im->gp into im->g. */
static nngpu_status import_body(importer *im) {
    const Onnx__GraphProto *gp = im->gp;
    if ((gp->n_node && !gp->node) || (gp->n_initializer && !gp->initializer) ||
        (gp->n_input && !gp->input) || (gp->n_output && !gp->output) || gp->n_node > INT_MAX / 2)
        return ng_error(NNGPU_ERR_PARSE, "malformed graph lists");
    nngpu_graph_set_opset(im->g, im->opset);
    im->names = calloc(gp->n_node + 1, sizeof *im->names);
    im->node_captures = calloc(gp->n_node + 1, sizeof *im->node_captures);
    int *order = calloc(gp->n_node + 1, sizeof *order);
    nngpu_status st;
    if (!im->names || !order || !im->node_captures) {
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "importing %zu nodes", gp->n_node);
        goto done;
    }
    if ((st = check_nodes(im)) != NNGPU_OK || (st = add_initializers(im)) != NNGPU_OK ||
        (st = add_inputs(im)) != NNGPU_OK ||
        (st = ng_onnx_sort(gp, im->g, (const char *const *)im->names, im->node_captures,
                           order)) != NNGPU_OK)
        goto done;
    for (size_t i = 0; i < gp->n_node && st == NNGPU_OK; i++) st = add_node(im, order[i]);
    if (st == NNGPU_OK) st = add_outputs(im);
    im->g->n_imported_nodes = im->g->n_nodes;
done:
    for (size_t i = 0; i < gp->n_node; i++) {
        if (im->names) free(im->names[i]);
        if (im->node_captures) ng_onnx_names_free(&im->node_captures[i]);
    }
    free(im->names);
    free(im->node_captures);
    free(order);
    return st;
}

static nngpu_status import_graph(importer *im, Onnx__ModelProto *m) {
    im->gp = m->graph;
    if (!im->gp) return ng_error(NNGPU_ERR_PARSE, "the model has no graph");
    NG_CHECK(read_opset(m, &im->source_opset));
    im->opset = ng_onnx_legacy_opset(im->source_opset);
    ng_onnx_names stacked = {0};
    nngpu_status st = ng_onnx_sequence_loops(m->graph, &stacked);
    im->stacked = &stacked;
    if (st == NNGPU_OK) st = import_body(im);
    im->stacked = NULL;
    ng_onnx_names_free(&stacked);
    return st;
}

nngpu_status ng_onnx_import(const void *data, size_t size, const char *base_dir,
                            const char *display_name, ng_graph **out) {
    const char *file = display_name ? display_name : "<memory>";
    if (!out) return ng_error(NNGPU_ERR_INVALID_ARG, "'%s': no output pointer", file);
    *out = NULL;
    if (!data && size)
        return ng_error(NNGPU_ERR_INVALID_ARG, "'%s': data is NULL", file);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, data);
    if (!m)
        return ng_error(NNGPU_ERR_PARSE,
                        "'%s': not a valid ONNX model (truncated or corrupt protobuf)", file);
    importer im = {NULL, base_dir, nngpu_graph_create(), NULL, 0, 0, 0, NULL, NULL, NULL};
    nngpu_status st;
    if (!im.g) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "'%s': graph", file);
    else st = import_graph(&im, m);
    onnx__model_proto__free_unpacked(m, NULL);
    if (st != NNGPU_OK) {
        nngpu_graph_destroy(im.g);
        /* a malformed graph in a file is a parse error, not a caller's mistake */
        if (st == NNGPU_ERR_INVALID_ARG) st = NNGPU_ERR_PARSE;
        return ng_error_context(st, "'%s'", file);
    }
    *out = im.g;
    return NNGPU_OK;
}
