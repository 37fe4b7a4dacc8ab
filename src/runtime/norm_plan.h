/* LayerNormalization, InstanceNormalization and GroupNormalization as rows
 * normalized on their own, shared by the backends: row r of len elements is
 * normalized, then scaled by scale[si] and shifted by bias[si] with
 * si = (r % R) * CG + j / SP for position j (LayerNorm: R 1, CG 0, SP 1 ->
 * j; InstanceNorm: R = C, CG 1, SP = spatial; GroupNorm: R = groups,
 * CG = C / groups). */
#ifndef NG_NORM_PLAN_H
#define NG_NORM_PLAN_H

#include "graph/ir.h"

typedef struct ng_norm_plan {
    int64_t rows, len, R, CG, SP;
    int64_t n_par; /* expanded scale / bias length */
} ng_norm_plan;

/* The plan of node n; 0 for other ops or attributes it cannot express. */
int ng_norm_plan_of(const ng_graph *g, const ng_node *n, ng_norm_plan *p);

/* Input i of n (a constant; i < 0: a missing bias, all zeros) expanded to
 * p->n_par floats indexed by si (malloc'd, the caller frees); NULL when the
 * input is not constant or memory runs out. */
float *ng_norm_param_expand(const ng_graph *g, const ng_node *n, int i, const ng_norm_plan *p);

/* 1 when input i of n (scale or bias) can be read in place as t[si / *div]
 * (float32, one value per si, or GroupNorm's one per group), so it need not
 * be constant. */
int ng_norm_param_direct(const ng_graph *g, const ng_node *n, int i, const ng_norm_plan *p,
                         int64_t *div);

#endif
