/* ng_graph_clone: a copy of a graph (tensors with their constant data,
 * nodes with attributes, epilogues and fused strings, the name map), deep or
 * borrowing the source's constants (and subgraphs). */
#include <stdlib.h>
#include <string.h>

#include "core/namemap.h"
#include "ir.h"

/* malloc + memcpy; NULL src gives NULL (not a failure). */
static int dup_mem(void **dst, const void *src, size_t bytes) {
    *dst = NULL;
    if (!src) return 0;
    *dst = malloc(bytes ? bytes : 1);
    if (!*dst) return -1;
    if (bytes) memcpy(*dst, src, bytes);
    return 0;
}

static int dup_str(char **dst, const char *src) {
    *dst = NULL;
    if (!src) return 0;
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

static size_t attr_tensor_bytes(const ng_attr *a) {
    size_t n = 1;
    for (int i = 0; i < a->t_rank; i++) n *= (size_t)a->t_dims[i];
    if (a->t_dtype == NNGPU_DTYPE_INT4 || a->t_dtype == NNGPU_DTYPE_UINT4) return (n + 1) / 2;
    return n * nngpu_dtype_size(a->t_dtype);
}

typedef enum clone_mode {
    CLONE_DEEP,
    CLONE_SHARE_DATA, /* constants' data borrowed, subgraphs copied the same way */
    CLONE_BORROW,     /* constants' data and subgraphs borrowed */
    CLONE_DETACH      /* what g borrows borrowed again, the rest copied */
} clone_mode;

static ng_graph *clone_graph(const ng_graph *g, clone_mode mode);

static int clone_attr(ng_attr *d, const ng_attr *s, clone_mode mode) {
    *d = *s;
    d->name = NULL;
    d->ints = NULL;
    d->floats = NULL;
    d->s = NULL;
    d->t_data = NULL;
    d->g = NULL;
    if (s->g && mode == CLONE_BORROW) d->g = s->g;
    else if (s->g && !(d->g = clone_graph(s->g, mode))) return -1;
    size_t cnt = s->n > 0 ? (size_t)s->n : 0;
    if (dup_str(&d->name, s->name) || dup_str(&d->s, s->s)) return -1;
    if (dup_mem((void **)&d->ints, s->ints, cnt * sizeof *s->ints)) return -1;
    if (dup_mem((void **)&d->floats, s->floats, cnt * sizeof *s->floats)) return -1;
    if (dup_mem(&d->t_data, s->t_data, attr_tensor_bytes(s))) return -1;
    return 0;
}

/* s's attributes onto d (which has none yet). */
static int clone_attrs(ng_node *d, const ng_node *s, clone_mode mode) {
    if (s->n_attr <= 0) return 0;
    d->attrs = calloc((size_t)s->n_attr, sizeof *d->attrs);
    if (!d->attrs) return -1;
    for (int a = 0; a < s->n_attr; a++) {
        d->n_attr = a + 1; /* so destroy frees what was copied so far */
        if (clone_attr(&d->attrs[a], &s->attrs[a], mode)) return -1;
    }
    return 0;
}

static int clone_node(ng_node *d, const ng_node *s, clone_mode mode) {
    *d = *s; /* scalars and the epilogue array */
    d->name = d->fused = NULL;
    d->in = d->out = NULL;
    d->attrs = NULL;
    d->n_attr = 0;
    if (dup_str(&d->name, s->name) || dup_str(&d->fused, s->fused)) return -1;
    if (dup_mem((void **)&d->in, s->in, sizeof(int) * (size_t)(s->n_in > 0 ? s->n_in : 0)))
        return -1;
    if (dup_mem((void **)&d->out, s->out, sizeof(int) * (size_t)(s->n_out > 0 ? s->n_out : 0)))
        return -1;
    return clone_attrs(d, s, mode);
}

int ng_node_copy_into(ng_graph *dst, const ng_node *src, const int *in, const int *out) {
    int id = ng_node_add(dst, src->op, src->name, src->n_in, in, src->n_out, out);
    if (id < 0) return -1;
    ng_node *d = &dst->nodes[id];
    d->opset = src->opset;
    d->n_main_inputs = src->n_main_inputs;
    d->n_epi = src->n_epi;
    memcpy(d->epi, src->epi, sizeof d->epi);
    if (dup_str(&d->fused, src->fused) || clone_attrs(d, src, CLONE_DEEP)) return -1;
    return id;
}

static ng_graph *clone_graph(const ng_graph *g, clone_mode mode) {
    if (!g) return NULL;
    ng_graph *c = nngpu_graph_create();
    if (!c) return NULL;
    c->opset = g->opset;
    c->n_imported_nodes = g->n_imported_nodes;
    c->n_captured = g->n_captured;

    if (g->n_tensors > 0) {
        c->tensors = calloc((size_t)g->n_tensors, sizeof *c->tensors);
        if (!c->tensors) goto fail;
        c->cap_tensors = g->n_tensors;
        for (int i = 0; i < g->n_tensors; i++) {
            const ng_tensor *s = &g->tensors[i];
            ng_tensor *d = &c->tensors[i];
            *d = *s;
            d->name = NULL;
            d->data = NULL;
            d->borrowed = 0;
            c->n_tensors = i + 1;
            if (dup_str(&d->name, s->name)) goto fail;
            if (mode == CLONE_SHARE_DATA || mode == CLONE_BORROW ||
                (mode == CLONE_DETACH && s->borrowed)) {
                d->data = s->data;
                d->borrowed = s->data != NULL;
            } else if (dup_mem(&d->data, s->data, ng_nbytes(s))) {
                goto fail;
            }
            /* the name map: first tensor of a name wins, as in ng_tensor_get_or_add */
            if (s->name && ng_tensor_find(c, s->name) < 0 &&
                ng_name_map_put((ng_name_map *)c->names, s->name, i) != 0)
                goto fail;
        }
    }
    if (g->n_nodes > 0) {
        c->nodes = calloc((size_t)g->n_nodes, sizeof *c->nodes);
        if (!c->nodes) goto fail;
        c->cap_nodes = g->n_nodes;
        for (int i = 0; i < g->n_nodes; i++) {
            c->n_nodes = i + 1;
            if (clone_node(&c->nodes[i], &g->nodes[i], mode)) goto fail;
        }
    }
    if (dup_mem((void **)&c->inputs, g->inputs, sizeof(int) * (size_t)g->n_inputs)) goto fail;
    c->n_inputs = g->n_inputs;
    if (dup_mem((void **)&c->outputs, g->outputs, sizeof(int) * (size_t)g->n_outputs)) goto fail;
    c->n_outputs = g->n_outputs;
    return c;
fail:
    if (mode == CLONE_BORROW) ng_graph_release_borrowed(c, g);
    nngpu_graph_destroy(c);
    return NULL;
}

ng_graph *ng_graph_clone(const ng_graph *g) { return clone_graph(g, CLONE_DEEP); }

ng_graph *ng_graph_clone_sharing_data(const ng_graph *g) {
    return clone_graph(g, CLONE_SHARE_DATA);
}

ng_graph *ng_graph_clone_borrowing(const ng_graph *g) { return clone_graph(g, CLONE_BORROW); }

ng_graph *ng_graph_clone_detached(const ng_graph *g) { return clone_graph(g, CLONE_DETACH); }

/* Whether sub is a subgraph attribute of one of g's nodes. */
static int owns_subgraph(const ng_graph *g, const ng_graph *sub) {
    for (int i = 0; i < g->n_nodes; i++)
        for (int a = 0; a < g->nodes[i].n_attr; a++)
            if (g->nodes[i].attrs[a].g == sub) return 1;
    return 0;
}

/* The borrowed constants are marked (tensor.borrowed); the subgraphs are not. */
void ng_graph_release_borrowed(ng_graph *c, const ng_graph *g) {
    for (int i = 0; i < c->n_nodes; i++) /* nodes may have moved: match subgraphs by pointer */
        for (int a = 0; a < c->nodes[i].n_attr; a++)
            if (c->nodes[i].attrs[a].g && owns_subgraph(g, c->nodes[i].attrs[a].g)) c->nodes[i].attrs[a].g = NULL;
}
