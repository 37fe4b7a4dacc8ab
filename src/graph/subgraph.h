/* Subgraphs evaluated on the host with constant inputs: If's branches, Loop's
 * body, and the run-time tail of a session (ng_pass_extract_runtime). */
#ifndef NG_SUBGRAPH_H
#define NG_SUBGRAPH_H

#include "ir.h"

/* A host value: data owned (malloc). */
typedef struct ng_value {
    nngpu_dtype dtype;
    int rank;
    int64_t dims[NNGPU_MAX_DIMS];
    void *data;
} ng_value;

void ng_value_free(ng_value *v);
size_t ng_value_bytes(const ng_value *v);
/* t's value (or another value) copied into v (owned), or viewed (t's data,
 * not owned). */
nngpu_status ng_value_copy(const ng_tensor *t, ng_value *v);
nngpu_status ng_value_dup(const ng_value *from, ng_value *v);
void ng_value_view(const ng_tensor *t, ng_value *v);

/* Binds body's inputs to in[0..body->n_inputs-1], folds every node on the
 * reference and returns its outputs in out[0..body->n_outputs-1] (owned).
 * owner names the node in errors. */
nngpu_status ng_subgraph_eval(const ng_graph *body, const ng_value *in, ng_value *out,
                              const char *owner);

/* An If, Loop or Scan whose inputs are all constant: evaluated, its outputs
 * become constants. */
nngpu_status ng_fold_control(ng_graph *g, ng_node *n);
nngpu_status ng_fold_scan(ng_graph *g, ng_node *n); /* scan.c */
/* Loop states grown by Concat(state, y) in the body (loop_growth.c): the body
 * is run with y passed through, the pieces kept and concatenated once. */
typedef struct ng_growth {
    int grown[64], axis[64]; /* per state */
    ng_graph *body;          /* the body with those Concats as Identity; NULL: none grown */
    ng_value *pieces[64];    /* per grown state: n pieces */
    int n, cap;
} ng_growth;
nngpu_status ng_growth_start(ng_growth *gr, const ng_graph *body, int n_state);
/* One iteration's state outputs out[0..n_state): pieces of grown states, the
 * others replace state[k] (taken over). */
nngpu_status ng_growth_take(ng_growth *gr, int n_state, ng_value *state, ng_value *out);
/* Grown states become their start value and pieces concatenated; frees gr. */
nngpu_status ng_growth_finish(ng_growth *gr, const ng_graph *body, int n_state, ng_value *state,
                              const char *owner);
/* first, then pieces[0..count), concatenated along axis into out (owned). */
nngpu_status ng_concat_values(const ng_value *first, const ng_value *pieces, int count, int axis,
                              const char *owner, ng_value *out);

/* Control node n's outputs set to v[0..count) (taken over), n dead. */
nngpu_status ng_control_set_outputs(ng_graph *g, ng_node *n, int count, ng_value *v);
/* Replaces If node i, whose condition is a constant, by its chosen branch's
 * nodes, placed where it was (inline_if.c). */
nngpu_status ng_inline_if(ng_graph *g, int i);

#endif
