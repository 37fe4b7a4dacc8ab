/* Greedy-by-size placement (as in TFLite's arena planner): largest tensors
 * first, each at the lowest offset not used by a tensor live at the same
 * time. */
#include "plan.h"

#include <stdlib.h>

#include "core/status.h"

typedef struct interval {
    int t;
    int first, last; /* steps during which the tensor must hold its value */
    size_t size, offset;
} interval;

static int root_of(const ng_graph *g, int t) {
    return g->tensors[t].view_of >= 0 ? g->tensors[t].view_of : t;
}

static int by_size_desc(const void *a, const void *b) {
    const interval *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->t - y->t;
}

static int by_offset(const void *a, const void *b) {
    const interval *const *x = a, *const *y = b;
    return (*x)->offset < (*y)->offset ? -1 : (*x)->offset > (*y)->offset;
}

static void touch(interval *iv, int step) {
    if (iv->first < 0 || step < iv->first) iv->first = step;
    if (step > iv->last) iv->last = step;
}

nngpu_status ng_plan_memory(ng_graph *g, const int *steps, int n_steps, int share, size_t guard,
                            ng_plan_stats *stats, unsigned char **needs_storage) {
    int nt = g->n_tensors;
    int *slot = malloc(sizeof(int) * (size_t)nt);
    interval *iv = calloc((size_t)nt, sizeof *iv);
    unsigned char *need = calloc((size_t)nt, 1);
    interval **placed = malloc(sizeof *placed * (size_t)(nt ? nt : 1));
    if (!slot || !iv || !need || !placed) {
        free(slot), free(iv), free(need), free(placed);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "memory planner: %d tensors", nt);
    }
    for (int t = 0; t < nt; t++) slot[t] = -1;
    int n = 0;
    /* A tensor (through its root) is live from its producer to its last reader. */
#define USE(tensor, step)                                                                      \
    do {                                                                                       \
        int r_ = root_of(g, (tensor));                                                         \
        if (ng_is_const(g, r_) || g->tensors[r_].rt_shape) break; /* rt: host values */      \
        if (slot[r_] < 0) {                                                                    \
            slot[r_] = n;                                                                      \
            iv[n].t = r_;                                                                      \
            iv[n].first = iv[n].last = -1;                                                     \
            iv[n].size = (ng_nbytes(&g->tensors[r_]) + NG_PLAN_ALIGN - 1) / NG_PLAN_ALIGN *    \
                             NG_PLAN_ALIGN + 2 * guard;                                        \
            n++;                                                                               \
        }                                                                                      \
        touch(&iv[slot[r_]], (step));                                                          \
        need[(tensor)] = 1;                                                                    \
    } while (0)
    for (int k = 0; k < g->n_inputs; k++) USE(g->inputs[k], 0);
    for (int s = 0; s < n_steps; s++) {
        const ng_node *nd = &g->nodes[steps[s]];
        for (int k = 0; k < nd->n_in; k++)
            if (nd->in[k] >= 0) USE(nd->in[k], s);
        for (int k = 0; k < nd->n_out; k++)
            if (nd->out[k] >= 0) USE(nd->out[k], s);
    }
    for (int k = 0; k < g->n_outputs; k++) USE(g->outputs[k], n_steps);
#undef USE

    size_t total = 0, bound = 0, arena = 0;
    for (int i = 0; i < n; i++) total += iv[i].size;
    for (int s = 0; s <= n_steps; s++) {
        size_t live = 0;
        for (int i = 0; i < n; i++)
            if (iv[i].first <= s && s <= iv[i].last) live += iv[i].size;
        if (live > bound) bound = live;
    }
    qsort(iv, (size_t)n, sizeof *iv, by_size_desc);
    int n_placed = 0;
    for (int i = 0; i < n; i++) {
        size_t offset = 0;
        if (share) {
            int m = 0;
            for (int j = 0; j < n_placed; j++)
                if (placed[j]->first <= iv[i].last && iv[i].first <= placed[j]->last)
                    placed[m++] = placed[j];
            /* placed[0..m) now overlap in time; restore the full list after. */
            qsort(placed, (size_t)m, sizeof *placed, by_offset);
            for (int j = 0; j < m; j++) {
                if (offset + iv[i].size <= placed[j]->offset) break;
                if (placed[j]->offset + placed[j]->size > offset)
                    offset = placed[j]->offset + placed[j]->size;
            }
            n_placed = 0;
            for (int j = 0; j < i; j++) placed[n_placed++] = &iv[j];
        } else {
            offset = arena;
        }
        iv[i].offset = offset;
        placed[n_placed++] = &iv[i];
        if (offset + iv[i].size > arena) arena = offset + iv[i].size;
    }
    for (int i = 0; i < n; i++) g->tensors[iv[i].t].offset = iv[i].offset + guard;
    for (int t = 0; t < nt; t++)
        if (need[t] && g->tensors[t].view_of >= 0)
            g->tensors[t].offset = g->tensors[g->tensors[t].view_of].offset;
    stats->arena_bytes = arena;
    stats->tensor_bytes = total;
    stats->lower_bound_bytes = bound;
    free(slot);
    free(iv);
    free(placed);
    *needs_storage = need;
    return NNGPU_OK;
}
