/* Topological order of an ONNX graph's nodes (Kahn's algorithm); a graph
 * already in order keeps it. */
#include <stdlib.h>

#include "core/namemap.h"
#include "core/status.h"
#include "onnx_internal.h"

static const char *str_of(char *const *v, size_t n, size_t i) {
    return i < n && v && v[i] ? v[i] : "";
}

typedef struct sort_state {
    const Onnx__GraphProto *gp;
    const char *const *names;
    const ng_onnx_names *captures; /* per node, may be NULL */
    ng_name_map *producer; /* tensor name -> node index */
    int *indeg, *first, *edges, *queue;
    char *done;
} sort_state;

/* Node i's inputs: its own, then the values its subgraphs read. */
static size_t n_inputs(const sort_state *s, size_t i) {
    return s->gp->node[i]->n_input + (s->captures ? (size_t)s->captures[i].n : 0);
}

static const char *input_name(const sort_state *s, size_t i, size_t j) {
    const Onnx__NodeProto *nd = s->gp->node[i];
    if (j < nd->n_input) return str_of(nd->input, nd->n_input, j);
    return s->captures[i].v[j - nd->n_input];
}

static nngpu_status map_producers(sort_state *s) {
    const Onnx__GraphProto *gp = s->gp;
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *nd = gp->node[i];
        for (size_t j = 0; j < nd->n_output; j++) {
            const char *t = str_of(nd->output, nd->n_output, j);
            if (!*t) continue;
            int p = ng_name_map_get(s->producer, t);
            if (p >= 0)
                return ng_error(NNGPU_ERR_PARSE,
                                "tensor '%s' is produced by node '%s' and node '%s'", t,
                                s->names[p], s->names[i]);
            if (ng_name_map_put(s->producer, t, (int)i))
                return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "sorting nodes");
        }
    }
    return NNGPU_OK;
}

/* Checks every input has a source; *sorted says whether file order works. */
static nngpu_status check_inputs(sort_state *s, const ng_graph *g, int *sorted) {
    const Onnx__GraphProto *gp = s->gp;
    *sorted = 1;
    for (size_t i = 0; i < gp->n_node; i++) {
        for (size_t j = 0; j < n_inputs(s, i); j++) {
            const char *t = input_name(s, i, j);
            if (!*t) continue;
            int p = ng_name_map_get(s->producer, t);
            if (p >= (int)i) *sorted = 0;
            if (p < 0 && ng_tensor_find(g, t) < 0)
                return ng_error(NNGPU_ERR_PARSE,
                                "node '%s': input '%s' is not produced by any node, initializer "
                                "or graph input",
                                s->names[i], t);
        }
    }
    return NNGPU_OK;
}

static nngpu_status kahn(sort_state *s, int *order) {
    const Onnx__GraphProto *gp = s->gp;
    int n = (int)gp->n_node, n_edges = 0;
    /* edges p -> i, grouped by p (CSR: first[p] .. first[p+1]) */
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < n_inputs(s, i); j++) {
            const char *t = input_name(s, i, j);
            int p = *t ? ng_name_map_get(s->producer, t) : -1;
            if (p < 0) continue;
            s->indeg[i]++;
            s->first[p + 1]++;
            n_edges++;
        }
    }
    for (int p = 0; p < n; p++) s->first[p + 1] += s->first[p];
    s->edges = malloc(sizeof(int) * (size_t)(n_edges + 1));
    int *fill = malloc(sizeof(int) * (size_t)(n + 1));
    if (!s->edges || !fill) {
        free(fill);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "sorting nodes");
    }
    for (int p = 0; p < n; p++) fill[p] = s->first[p];
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < n_inputs(s, i); j++) {
            const char *t = input_name(s, i, j);
            int p = *t ? ng_name_map_get(s->producer, t) : -1;
            if (p >= 0) s->edges[fill[p]++] = i;
        }
    }
    free(fill);
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (s->indeg[i] == 0) s->queue[tail++] = i;
    while (head < tail) {
        int p = s->queue[head++];
        order[head - 1] = p;
        s->done[p] = 1;
        for (int e = s->first[p]; e < s->first[p + 1]; e++)
            if (--s->indeg[s->edges[e]] == 0) s->queue[tail++] = s->edges[e];
    }
    if (head == n) return NNGPU_OK;
    /* A cycle: name a node left over and the input that waits on another one. */
    for (int i = 0; i < n; i++) {
        if (s->done[i]) continue;
        for (size_t j = 0; j < n_inputs(s, i); j++) {
            const char *t = input_name(s, i, j);
            int p = *t ? ng_name_map_get(s->producer, t) : -1;
            if (p >= 0 && !s->done[p])
                return ng_error(NNGPU_ERR_PARSE,
                                "the graph has a cycle: node '%s' reads '%s' from node '%s'",
                                s->names[i], t, s->names[p]);
        }
    }
    return ng_error(NNGPU_ERR_PARSE, "the graph has a cycle");
}

nngpu_status ng_onnx_sort(const Onnx__GraphProto *gp, const ng_graph *g,
                          const char *const *names, const ng_onnx_names *captures, int *order) {
    sort_state s = {gp, names, captures, ng_name_map_create(), NULL, NULL, NULL, NULL, NULL};
    size_t n = gp->n_node;
    nngpu_status st;
    if (!s.producer) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "sorting nodes");
    int sorted;
    if ((st = map_producers(&s)) != NNGPU_OK || (st = check_inputs(&s, g, &sorted)) != NNGPU_OK)
        goto done;
    if (sorted) {
        for (size_t i = 0; i < n; i++) order[i] = (int)i;
        goto done;
    }
    s.indeg = calloc(n + 1, sizeof(int));
    s.first = calloc(n + 2, sizeof(int));
    s.queue = calloc(n + 1, sizeof(int));
    s.done = calloc(n + 1, 1);
    if (!s.indeg || !s.first || !s.queue || !s.done)
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "sorting nodes");
    else
        st = kahn(&s, order);
done:
    ng_name_map_destroy(s.producer);
    free(s.indeg);
    free(s.first);
    free(s.edges);
    free(s.queue);
    free(s.done);
    return st;
}
