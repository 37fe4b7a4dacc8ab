/* Prepared graphs: a model's graph after the device-independent passes
 * (folding, BatchNorm, fusion), kept while sessions of the same input shapes
 * and pass options use it, so that a second session copies the result
 * (borrowing its constants) instead of running the passes again. */
#ifndef NG_PREPARED_H
#define NG_PREPARED_H

#include "graph/ir.h"

typedef struct ng_prepared {
    char *key;            /* input shapes and the options the passes read */
    ng_graph *g;          /* after the passes; constants borrow the model's or are its own */
    char *report;         /* the passes' report lines */
    int folded_nodes;
    char precision[24];   /* what the passes made of it: "fp32", "fp32+int4w" */
    int refs;             /* sessions holding it, under the model's lock */
    struct ng_prepared *next;
    struct nngpu_model *model; /* whose list holds it; NULL: unlisted */
} ng_prepared;

/* The model's entry for key with a reference held, or NULL. Models with
 * refs 0 (built inside the library) keep none. */
ng_prepared *ng_prepared_find(struct nngpu_model *m, const char *key);
/* Lists a new entry taking g and copies of key and report (NULL on OOM: g
 * is then destroyed). If another thread listed key meanwhile, that one is
 * returned instead. One reference held. */
ng_prepared *ng_prepared_add(struct nngpu_model *m, const char *key, ng_graph *g,
                             const char *report, int folded_nodes, const char *precision);
void ng_prepared_release(ng_prepared *p);
/* Process-wide counts, for tests: entries made, found again, alive. */
typedef struct ng_prepared_stats {
    int made, reused, live;
} ng_prepared_stats;
ng_prepared_stats ng_prepared_stats_get(void);

#endif
