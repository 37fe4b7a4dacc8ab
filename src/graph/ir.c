#include "ir.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/namemap.h"
#include "core/status.h"

static const struct {
    const char *name;
    ng_op_kind kind;
} op_table[NG_OP_COUNT] = {
#define X(e, n, k) [NG_OP_##e] = {n, k},
#include "ops.def"
#undef X
};

const char *ng_op_name(ng_op op) { return op < NG_OP_COUNT ? op_table[op].name : "?"; }
ng_op_kind ng_op_kind_of(ng_op op) { return op < NG_OP_COUNT ? op_table[op].kind : NG_KIND_OTHER; }
int ng_passes_dynamic(ng_op op) { return op == NG_OP_IDENTITY || op == NG_OP_DROPOUT; }

int ng_is_control_op(ng_op op) { return op == NG_OP_IF || op == NG_OP_LOOP || op == NG_OP_SCAN; }

ng_op ng_op_from_name(const char *name) {
    for (int i = 0; i < NG_OP_COUNT; i++)
        if (strcmp(op_table[i].name, name) == 0) return (ng_op)i;
    return NG_OP_COUNT;
}

/* ---- construction ---------------------------------------------------------- */

static void *grow_array(void *p, int *cap, int need, size_t elem) {
    if (need <= *cap) return p;
    int n = *cap ? *cap * 2 : 16;
    while (n < need) n *= 2;
    void *q = realloc(p, (size_t)n * elem);
    if (!q) return NULL;
    memset((char *)q + (size_t)*cap * elem, 0, (size_t)(n - *cap) * elem);
    *cap = n;
    return q;
}

nngpu_graph *nngpu_graph_create(void) {
    ng_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->opset = 17;
    g->names = (struct ng_name_map *)ng_name_map_create();
    if (!g->names) {
        free(g);
        return NULL;
    }
    return g;
}

static void attr_free(ng_attr *a) {
    free(a->name);
    free(a->ints);
    free(a->floats);
    free(a->s);
    free(a->t_data);
    nngpu_graph_destroy(a->g);
}

void nngpu_graph_destroy(nngpu_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        ng_tensor_drop_data(&g->tensors[i]);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *n = &g->nodes[i];
        free(n->name);
        free(n->in);
        free(n->out);
        free(n->fused);
        for (int a = 0; a < n->n_attr; a++) attr_free(&n->attrs[a]);
        free(n->attrs);
    }
    free(g->tensors);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    ng_name_map_destroy((ng_name_map *)g->names);
    free(g);
}

void nngpu_graph_set_opset(nngpu_graph *g, int opset) { g->opset = opset; }

int ng_tensor_find(const ng_graph *g, const char *name) {
    return ng_name_map_get((const ng_name_map *)g->names, name);
}

int ng_tensor_get_or_add(ng_graph *g, const char *name) {
    int id = ng_tensor_find(g, name);
    if (id >= 0) return id;
    ng_tensor *t = grow_array(g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *t);
    if (!t) return -1;
    g->tensors = t;
    id = g->n_tensors;
    ng_tensor *nt = &g->tensors[id];
    memset(nt, 0, sizeof *nt);
    nt->name = strdup(name);
    nt->rank = -1;
    nt->producer = -1;
    nt->view_of = -1;
    if (!nt->name || ng_name_map_put((ng_name_map *)g->names, name, id) != 0) {
        free(nt->name);
        return -1;
    }
    g->n_tensors++;
    return id;
}

int ng_tensor_add_unique(ng_graph *g, const char *base) {
    char name[256];
    for (int k = 0;; k++) {
        snprintf(name, sizeof name, "%s__%d", base, k);
        if (ng_tensor_find(g, name) < 0) return ng_tensor_get_or_add(g, name);
    }
}

int ng_node_add(ng_graph *g, ng_op op, const char *name, int n_in, const int *in, int n_out,
                const int *out) {
    ng_node *nodes = grow_array(g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *nodes);
    if (!nodes) return -1;
    g->nodes = nodes;
    int id = g->n_nodes;
    ng_node *n = &g->nodes[id];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->opset = g->opset;
    n->name = strdup(name ? name : "");
    n->in = malloc(sizeof(int) * (size_t)(n_in > 0 ? n_in : 1));
    n->out = malloc(sizeof(int) * (size_t)(n_out > 0 ? n_out : 1));
    if (!n->name || !n->in || !n->out) {
        free(n->name);
        free(n->in);
        free(n->out);
        return -1;
    }
    if (n_in) memcpy(n->in, in, sizeof(int) * (size_t)n_in);
    if (n_out) memcpy(n->out, out, sizeof(int) * (size_t)n_out);
    n->n_in = n->n_main_inputs = n_in;
    n->n_out = n_out;
    for (int i = 0; i < n_out; i++) g->tensors[out[i]].producer = id;
    g->n_nodes++;
    return id;
}

ng_attr *ng_node_add_attr(ng_node *n, const char *name, ng_attr_type type) {
    for (int i = 0; i < n->n_attr; i++)
        if (strcmp(n->attrs[i].name, name) == 0) {
            char *keep = n->attrs[i].name;
            n->attrs[i].name = NULL;
            attr_free(&n->attrs[i]);
            memset(&n->attrs[i], 0, sizeof n->attrs[i]);
            n->attrs[i].name = keep;
            n->attrs[i].type = type;
            return &n->attrs[i];
        }
    ng_attr *a = realloc(n->attrs, sizeof *a * (size_t)(n->n_attr + 1));
    if (!a) return NULL;
    n->attrs = a;
    ng_attr *na = &a[n->n_attr];
    memset(na, 0, sizeof *na);
    na->name = strdup(name);
    if (!na->name) return NULL;
    na->type = type;
    n->n_attr++;
    return na;
}

int ng_node_set_ints(ng_node *n, const char *name, int cnt, const int64_t *v) {
    ng_attr *a = ng_node_add_attr(n, name, NG_ATTR_INTS);
    if (!a || !(a->ints = malloc(sizeof *v * (size_t)(cnt > 0 ? cnt : 1)))) return 0;
    memcpy(a->ints, v, sizeof *v * (size_t)cnt);
    a->n = cnt;
    return 1;
}

int ng_node_set_graph(ng_node *n, const char *name, ng_graph *sub) {
    ng_attr *a = ng_node_add_attr(n, name, NG_ATTR_GRAPH);
    if (!a) {
        nngpu_graph_destroy(sub);
        return 0;
    }
    a->g = sub;
    return 1;
}

const ng_graph *ng_attr_graph(const ng_node *n, const char *name) {
    const ng_attr *a = ng_attr_find(n, name);
    return a && a->type == NG_ATTR_GRAPH ? a->g : NULL;
}

/* ---- tensors ------------------------------------------------------------------- */

int64_t ng_numel(const ng_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

int ng_const_all_finite(const ng_tensor *t) {
    const float *v = t->data;
    for (int64_t i = 0, n = ng_numel(t); i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

size_t ng_nbytes(const ng_tensor *t) {
    if (t->dtype == NNGPU_DTYPE_INT4 || t->dtype == NNGPU_DTYPE_UINT4)
        return ((size_t)ng_numel(t) + 1) / 2; /* packed two per byte */
    return (size_t)ng_numel(t) * nngpu_dtype_size(t->dtype);
}

int ng_is_const(const ng_graph *g, int tensor) {
    return tensor >= 0 && g->tensors[tensor].data != NULL;
}

nngpu_status ng_tensor_set_const(ng_graph *g, int t, nngpu_dtype dt, int rank,
                                 const int64_t *dims, const void *data) {
    if (rank < 0 || rank > NNGPU_MAX_DIMS)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "tensor '%s': rank %d is over %d",
                        g->tensors[t].name, rank, NNGPU_MAX_DIMS);
    ng_tensor *x = &g->tensors[t];
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return ng_error(NNGPU_ERR_INVALID_ARG, "constant '%s' has a negative dim", x->name);
        n *= dims[i];
    }
    size_t bytes = dt == NNGPU_DTYPE_INT4 || dt == NNGPU_DTYPE_UINT4
                       ? ((size_t)n + 1) / 2 /* packed two per byte */
                       : (size_t)n * nngpu_dtype_size(dt);
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "constant '%s': %zu bytes", x->name, bytes);
    if (bytes && data) memcpy(copy, data, bytes);
    else if (bytes) memset(copy, 0, bytes);
    ng_tensor_adopt_const(g, t, dt, rank, dims, copy);
    return NNGPU_OK;
}

void ng_tensor_adopt_const(ng_graph *g, int t, nngpu_dtype dt, int rank, const int64_t *dims,
                           void *data) {
    ng_tensor *x = &g->tensors[t];
    ng_tensor_drop_data(x);
    x->data = data;
    x->dtype = dt;
    x->rank = rank;
    for (int i = 0; i < rank; i++) x->dims[i] = dims[i];
}

void ng_tensor_drop_data(ng_tensor *t) {
    if (!t->borrowed) free(t->data);
    t->data = NULL;
    t->borrowed = 0;
}

int64_t ng_const_int(const ng_tensor *t, int64_t i) {
    switch (t->dtype) {
    case NNGPU_DTYPE_INT64: return ((const int64_t *)t->data)[i];
    case NNGPU_DTYPE_INT32: return ((const int32_t *)t->data)[i];
    case NNGPU_DTYPE_INT8: return ((const int8_t *)t->data)[i];
    case NNGPU_DTYPE_UINT8:
    case NNGPU_DTYPE_BOOL: return ((const uint8_t *)t->data)[i];
    case NNGPU_DTYPE_FLOAT32: return (int64_t)((const float *)t->data)[i];
    case NNGPU_DTYPE_FLOAT64: return (int64_t)((const double *)t->data)[i];
    case NNGPU_DTYPE_FLOAT16: return (int64_t)ng_half_to_float(((const uint16_t *)t->data)[i]);
    case NNGPU_DTYPE_INT4:
    case NNGPU_DTYPE_UINT4: { /* packed two per byte, low nibble first */
        int v = (((const uint8_t *)t->data)[i >> 1] >> (4 * (i & 1))) & 15;
        return t->dtype == NNGPU_DTYPE_INT4 && v > 7 ? v - 16 : v;
    }
    default: return 0;
    }
}

double ng_const_double(const ng_tensor *t, int64_t i) {
    switch (t->dtype) {
    case NNGPU_DTYPE_FLOAT32: return ((const float *)t->data)[i];
    case NNGPU_DTYPE_FLOAT64: return ((const double *)t->data)[i];
    case NNGPU_DTYPE_FLOAT16: return ng_half_to_float(((const uint16_t *)t->data)[i]);
    default: return (double)ng_const_int(t, i);
    }
}

/* ---- attributes ------------------------------------------------------------------ */

const ng_attr *ng_attr_find(const ng_node *n, const char *name) {
    for (int i = 0; i < n->n_attr; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

int64_t ng_attr_int(const ng_node *n, const char *name, int64_t def) {
    const ng_attr *a = ng_attr_find(n, name);
    if (!a) return def;
    return a->type == NG_ATTR_FLOAT ? (int64_t)a->f : a->i;
}

float ng_attr_float(const ng_node *n, const char *name, float def) {
    const ng_attr *a = ng_attr_find(n, name);
    if (!a) return def;
    return a->type == NG_ATTR_INT ? (float)a->i : a->f;
}

const char *ng_attr_string(const ng_node *n, const char *name, const char *def) {
    const ng_attr *a = ng_attr_find(n, name);
    return a && a->type == NG_ATTR_STRING && a->s ? a->s : def;
}

int ng_attr_ints(const ng_node *n, const char *name, const int64_t **v) {
    const ng_attr *a = ng_attr_find(n, name);
    if (!a || a->type != NG_ATTR_INTS) {
        *v = NULL;
        return 0;
    }
    *v = a->ints;
    return a->n;
}

int ng_node_ints(const ng_graph *g, const ng_node *n, const char *attr, int input, int64_t *out,
                 int max) {
    const int64_t *v;
    int cnt = attr ? ng_attr_ints(n, attr, &v) : 0;
    if (cnt > 0) {
        if (cnt > max) cnt = max;
        memcpy(out, v, sizeof *v * (size_t)cnt);
        return cnt;
    }
    if (input < 0 || input >= n->n_main_inputs || n->in[input] < 0) return 0;
    const ng_tensor *t = &g->tensors[n->in[input]];
    if (!t->data) return -1;
    int64_t total = ng_numel(t);
    if (total > max) total = max;
    for (int64_t i = 0; i < total; i++) out[i] = ng_const_int(t, i);
    return (int)total;
}

ng_tensor *ng_in(const ng_graph *g, const ng_node *n, int i) {
    return i < n->n_in && n->in[i] >= 0 ? &g->tensors[n->in[i]] : NULL;
}

ng_tensor *ng_out(const ng_graph *g, const ng_node *n, int i) {
    return i < n->n_out && n->out[i] >= 0 ? &g->tensors[n->out[i]] : NULL;
}

int ng_axis(int64_t axis, int rank) {
    if (axis < 0) axis += rank;
    return axis >= 0 && axis < rank ? (int)axis : -1;
}
