/* Float32 views of fp16 nodes (graph/half_view.h). */
#include "half_view.h"

#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/status.h"

static int is_float(nngpu_dtype t) {
    return t == NNGPU_DTYPE_FLOAT32 || t == NNGPU_DTYPE_FLOAT16 || t == NNGPU_DTYPE_FLOAT64;
}

/* Counts n's tensors of dtype dt; *floats: its float tensors. */
static int count_tensors(const ng_graph *g, const ng_node *n, nngpu_dtype dt, int *floats) {
    int hits = 0;
    *floats = 0;
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        int t = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
        if (t < 0) continue;
        nngpu_dtype d = g->tensors[t].dtype;
        hits += d == dt;
        *floats += is_float(d);
    }
    return hits;
}

int ng_node_has_half(const ng_graph *g, const ng_node *n) {
    int f;
    return count_tensors(g, n, NNGPU_DTYPE_FLOAT16, &f) > 0;
}

int ng_node_all_half(const ng_graph *g, const ng_node *n) {
    int f, h = count_tensors(g, n, NNGPU_DTYPE_FLOAT16, &f);
    return h > 0 && h == f;
}

int ng_node_is_half_layer(const ng_graph *g, const ng_node *n) {
    return n->op != NG_OP_CAST && ng_node_has_half(g, n);
}

int ng_family_has_half(const char *name) {
    static const char *const names[] = {"conv", "gemm", "pool", "eltwise", "softmax", "data"};
    for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0) return 1;
    return 0;
}

nngpu_status ng_half_view_init(ng_half_view *v, const ng_graph *g, const ng_node *n, int with_data) {
    memset(v, 0, sizeof *v);
    v->g = *g;
    v->g.tensors = malloc(sizeof(ng_tensor) * (size_t)(g->n_tensors ? g->n_tensors : 1));
    v->owned = calloc((size_t)(n->n_in ? n->n_in : 1), sizeof(void *));
    if (!v->g.tensors || !v->owned) {
        ng_half_view_free(v);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': fp16 view", n->name);
    }
    memcpy(v->g.tensors, g->tensors, sizeof(ng_tensor) * (size_t)g->n_tensors);
    v->g.cap_tensors = g->n_tensors;
    for (int k = 0; k < n->n_in + n->n_out; k++) {
        int id = k < n->n_in ? n->in[k] : n->out[k - n->n_in];
        if (id < 0 || v->g.tensors[id].dtype != NNGPU_DTYPE_FLOAT16) continue;
        ng_tensor *t = &v->g.tensors[id];
        t->dtype = NNGPU_DTYPE_FLOAT32;
        if (!with_data || !t->data || g->tensors[id].data != t->data) continue;
        int64_t cnt = ng_numel(t);
        float *f = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
        if (!f) {
            ng_half_view_free(v);
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': fp16 view", n->name);
        }
        const uint16_t *h = g->tensors[id].data;
        for (int64_t i = 0; i < cnt; i++) f[i] = ng_half_to_float(h[i]);
        v->owned[v->n_owned++] = f;
        t->data = f;
    }
    return NNGPU_OK;
}

void ng_half_view_free(ng_half_view *v) {
    for (int i = 0; i < v->n_owned; i++) free(v->owned[i]);
    free(v->owned);
    free(v->g.tensors);
    memset(v, 0, sizeof *v);
}
