/* Helpers for import-time rewrites of one ONNX node into standard ones
 * (onnx_contrib.c, onnx_contrib_float.c). */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "nngpu/graph.h"
#include "onnx_internal.h"

const char *ng_rw_input(const ng_onnx_rewrite *r, size_t i) {
    const Onnx__NodeProto *nd = r->nd;
    return i < nd->n_input && nd->input[i] && *nd->input[i] ? nd->input[i] : NULL;
}

const char *ng_rw_output(const ng_onnx_rewrite *r, size_t i) {
    const Onnx__NodeProto *nd = r->nd;
    return i < nd->n_output && nd->output[i] && *nd->output[i] ? nd->output[i] : NULL;
}

const Onnx__AttributeProto *ng_rw_attr(const ng_onnx_rewrite *r, const char *name) {
    for (size_t i = 0; i < r->nd->n_attribute; i++) {
        const Onnx__AttributeProto *a = r->nd->attribute[i];
        if (a && a->name && strcmp(a->name, name) == 0) return a;
    }
    return NULL;
}

float ng_rw_attr_float(const ng_onnx_rewrite *r, const char *name, float def) {
    const Onnx__AttributeProto *a = ng_rw_attr(r, name);
    return a ? a->f : def;
}

int64_t ng_rw_attr_int(const ng_onnx_rewrite *r, const char *name, int64_t def) {
    const Onnx__AttributeProto *a = ng_rw_attr(r, name);
    return a ? a->i : def;
}

nngpu_status ng_rw_copy_attrs(ng_onnx_rewrite *r, const char *skip_prefix) {
    for (size_t i = 0; i < r->nd->n_attribute; i++) {
        const Onnx__AttributeProto *a = r->nd->attribute[i];
        if (skip_prefix && a && a->name && strncmp(a->name, skip_prefix, strlen(skip_prefix)) == 0)
            continue;
        NG_CHECK(ng_onnx_add_attr(r->g, r->base_dir, a, r->name));
    }
    return NNGPU_OK;
}

const char *ng_rw_tmp(ng_onnx_rewrite *r, const char *what, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s%d", r->name, what, r->n_tmp++);
    return buf;
}

nngpu_status ng_rw_add(ng_onnx_rewrite *r, const char *op, int main, int n_in, const char **ins,
                       const char *out) {
    char node[600];
    const char *name = main ? r->name : ng_rw_tmp(r, op, node, sizeof node);
    return nngpu_graph_add_node(r->g, op, name, n_in, ins, 1, &out);
}

nngpu_status ng_rw_scalar(ng_onnx_rewrite *r, const char *what, float v, char *buf, size_t cap) {
    return nngpu_graph_add_constant(r->g, ng_rw_tmp(r, what, buf, cap), NNGPU_DTYPE_FLOAT32, 0,
                                    NULL, &v);
}

nngpu_status ng_rw_i64(ng_onnx_rewrite *r, const char *what, int rank, int64_t n, const int64_t *v,
                       char *buf, size_t cap) {
    return nngpu_graph_add_constant(r->g, ng_rw_tmp(r, what, buf, cap), NNGPU_DTYPE_INT64, rank, &n, v);
}

nngpu_status ng_rw_cast(ng_onnx_rewrite *r, const char *x, int64_t to, const char *out) {
    NG_CHECK(ng_rw_add(r, "Cast", 0, 1, &x, out));
    return nngpu_graph_set_attr_int(r->g, "to", to);
}

nngpu_status ng_rw_clip(ng_onnx_rewrite *r, const char *x, float lo, float hi, const char *out) {
    if (r->opset < 11) { /* min and max were attributes */
        NG_CHECK(ng_rw_add(r, "Clip", 0, 1, &x, out));
        NG_CHECK(nngpu_graph_set_attr_float(r->g, "min", lo));
        return nngpu_graph_set_attr_float(r->g, "max", hi);
    }
    char lo_name[600], hi_name[600];
    NG_CHECK(ng_rw_scalar(r, "min", lo, lo_name, sizeof lo_name));
    NG_CHECK(ng_rw_scalar(r, "max", hi, hi_name, sizeof hi_name));
    const char *ins[3] = {x, lo_name, hi_name};
    return ng_rw_add(r, "Clip", 0, 3, ins, out);
}
