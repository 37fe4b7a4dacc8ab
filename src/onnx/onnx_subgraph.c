/* Control-flow subgraphs (If's branches, Loop's body): which values of the
 * enclosing graphs a subgraph reads by name (its captures). The importer
 * makes them explicit: extra inputs of the If/Loop node, and trailing inputs
 * of each subgraph (ng_graph.n_captured), so sorting, liveness and
 * evaluation see every dependency. */
#include <stdlib.h>
#include <string.h>

#include "core/namemap.h"
#include "core/status.h"
#include "onnx_internal.h"

void ng_onnx_names_free(ng_onnx_names *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int ng_onnx_names_push(ng_onnx_names *l, const char *name) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, sizeof *v * (size_t)cap);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(name))) return -1;
    l->n++;
    return 0;
}

int ng_onnx_names_add(ng_onnx_names *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], name) == 0) return 0;
    return ng_onnx_names_push(l, name);
}

int ng_onnx_is_graph_attr(const Onnx__AttributeProto *a) {
    return a && a->g && (!a->has_type || a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
}

static int defined_put(ng_name_map *m, const char *name) {
    return name && *name ? ng_name_map_put(m, name, 1) : 0;
}

/* Names gp defines: its inputs, initializers and node outputs. */
static nngpu_status map_defined(const Onnx__GraphProto *gp, ng_name_map *m) {
    int bad = 0;
    for (size_t i = 0; i < gp->n_input; i++)
        if (gp->input[i]) bad |= defined_put(m, gp->input[i]->name);
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]) bad |= defined_put(m, gp->initializer[i]->name);
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        if (!nd) return ng_error(NNGPU_ERR_PARSE, "subgraph '%s': node #%zu is missing",
                                 gp->name ? gp->name : "", i);
        for (size_t j = 0; j < nd->n_output && nd->output; j++) bad |= defined_put(m, nd->output[j]);
    }
    return bad ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "subgraph names") : NNGPU_OK;
}

/* Adds to out the names gp reads that it does not define (nested subgraphs
 * included). */
static nngpu_status graph_captures(const Onnx__GraphProto *gp, ng_onnx_names *out) {
    if ((gp->n_node && !gp->node) || (gp->n_input && !gp->input) ||
        (gp->n_initializer && !gp->initializer) || (gp->n_output && !gp->output))
        return ng_error(NNGPU_ERR_PARSE, "subgraph '%s': malformed lists", gp->name ? gp->name : "");
    ng_name_map *defined = ng_name_map_create();
    if (!defined) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "subgraph names");
    nngpu_status st = map_defined(gp, defined);
    ng_onnx_names inner = {0};
    for (size_t i = 0; i < gp->n_node && st == NNGPU_OK; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        for (size_t j = 0; j < nd->n_input && nd->input && st == NNGPU_OK; j++) {
            const char *t = nd->input[j];
            if (t && *t && ng_name_map_get(defined, t) < 0 && ng_onnx_names_add(out, t))
                st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "subgraph names");
        }
        if (st == NNGPU_OK) st = ng_onnx_node_captures(nd, &inner);
    }
    for (size_t i = 0; i < gp->n_output && st == NNGPU_OK; i++) { /* an output passed through */
        const char *t = gp->output[i] ? gp->output[i]->name : NULL;
        if (t && *t && ng_name_map_get(defined, t) < 0 && ng_onnx_names_add(out, t))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "subgraph names");
    }
    for (int i = 0; i < inner.n && st == NNGPU_OK; i++)
        if (ng_name_map_get(defined, inner.v[i]) < 0 && ng_onnx_names_add(out, inner.v[i]))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "subgraph names");
    ng_onnx_names_free(&inner);
    ng_name_map_destroy(defined);
    return st;
}

nngpu_status ng_onnx_node_captures(const Onnx__NodeProto *nd, ng_onnx_names *out) {
    for (size_t a = 0; a < nd->n_attribute && nd->attribute; a++)
        if (ng_onnx_is_graph_attr(nd->attribute[a]))
            NG_CHECK(graph_captures(nd->attribute[a]->g, out));
    return NNGPU_OK;
}
