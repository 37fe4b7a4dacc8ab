/* Prepared graphs, listed per model while sessions hold them. */
#include "prepared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash_memo.h"
#include "runtime.h"

/* Constants this large get their content hash remembered (shared device
 * constants hash their sources): smaller ones cost little to hash again. */
#define MEMO_MIN_BYTES (64 * 1024)

/* The entry's constants stay as they are while it lives: register (1) or
 * unregister (0) the large ones. */
static void memo_constants(const ng_graph *g, int on) {
    for (int t = 0; t < g->n_tensors; t++) {
        const ng_tensor *x = &g->tensors[t];
        size_t n = x->data ? ng_nbytes(x) : 0;
        if (n < MEMO_MIN_BYTES) continue;
        if (on) ng_hash_memo_register(x->data, n);
        else ng_hash_memo_unregister(x->data, n);
    }
}

static atomic_int n_made, n_reused, n_live;

ng_prepared_stats ng_prepared_stats_get(void) {
    return (ng_prepared_stats){atomic_load(&n_made), atomic_load(&n_reused), atomic_load(&n_live)};
}

/* Models built inside the library (refs 0) list nothing and have no lock. */
static int lists(const nngpu_model *m) { return ng_model_counted(m); }

ng_prepared *ng_prepared_find(nngpu_model *m, const char *key) {
    if (!lists(m)) return NULL;
    pthread_mutex_lock(&m->mu);
    ng_prepared *p = m->prepared;
    while (p && strcmp(p->key, key) != 0) p = p->next;
    if (p) p->refs++;
    pthread_mutex_unlock(&m->mu);
    if (p) atomic_fetch_add(&n_reused, 1);
    return p;
}

/* p and its graph; `memo`: its constants were registered. */
static void entry_free(ng_prepared *p, int memo) {
    if (memo) {
        memo_constants(p->g, 0);
        atomic_fetch_sub(&n_live, 1);
    }
    nngpu_graph_destroy(p->g);
    free(p->key);
    free(p->report);
    free(p);
}

ng_prepared *ng_prepared_add(nngpu_model *m, const char *key, ng_graph *g, const char *report,
                             int folded_nodes, const char *precision) {
    ng_prepared *p = calloc(1, sizeof *p);
    if (!p) {
        nngpu_graph_destroy(g);
        return NULL;
    }
    p->g = g;
    p->key = strdup(key);
    p->report = strdup(report ? report : "");
    if (!p->key || !p->report) {
        entry_free(p, 0);
        return NULL;
    }
    p->folded_nodes = folded_nodes;
    snprintf(p->precision, sizeof p->precision, "%s", precision);
    p->refs = 1;
    if (!lists(m)) { /* p stays the session's alone: m may go before it */
        memo_constants(g, 1);
        atomic_fetch_add(&n_made, 1);
        atomic_fetch_add(&n_live, 1);
        return p;
    }
    pthread_mutex_lock(&m->mu);
    ng_prepared *had = m->prepared;
    while (had && strcmp(had->key, key) != 0) had = had->next;
    if (had) { /* another session prepared the same meanwhile: one copy */
        had->refs++;
        atomic_fetch_add(&n_reused, 1);
    } else {
        memo_constants(g, 1);
        atomic_fetch_add(&n_made, 1);
        atomic_fetch_add(&n_live, 1);
        p->model = m;
        p->next = m->prepared;
        m->prepared = p;
    }
    pthread_mutex_unlock(&m->mu);
    if (!had) return p;
    entry_free(p, 0);
    return had;
}

static void unlist(nngpu_model *m, ng_prepared *p) {
    ng_prepared **at = &m->prepared;
    while (*at && *at != p) at = &(*at)->next;
    if (*at) *at = p->next;
}

void ng_prepared_release(ng_prepared *p) {
    if (!p) return;
    nngpu_model *m = p->model;
    int last;
    if (m) {
        pthread_mutex_lock(&m->mu);
        last = --p->refs == 0;
        if (last) unlist(m, p);
        pthread_mutex_unlock(&m->mu);
    } else {
        last = --p->refs == 0;
    }
    if (last) entry_free(p, 1);
}
