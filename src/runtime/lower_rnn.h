/* The recurrence plan (ops.def Recurrence: LSTM, GRU, RNN after their input
 * projection), shared by the backends' rnn kernels.
 *
 * One work-group per (direction, `bt` batch samples) walks the sequence; each
 * of its `wg` work-items owns `vec` neighbouring hidden units per round,
 * `units` rounds, so wg * vec * units >= hidden, for each of the samples (one
 * read of R^T per step serves them all). The state h lives in shared memory
 * (read whole by every unit's dot product with R^T, double-buffered: one
 * barrier a step; GRU without linear_before_reset needs r (.) h first, a
 * second barrier), c (LSTM) and z (GRU) in registers. Gate order, biases,
 * peepholes, clip, sequence_lens and layouts as src/ref/ref_rnn.c; the
 * kernels compute in float, the reference in double. */
#ifndef NG_LOWER_RNN_H
#define NG_LOWER_RNN_H

#include "graph/infer.h"
#include "nngpu/nngpu.h"

/* Tensor slots of the kernels' buffer arguments, in kernel order: outputs
 * Y, Y_h, Y_c, then XW, R^T, B, sequence_lens, initial_h, initial_c, P. */
enum { NG_RNN_SLOTS = 10 };

typedef struct ng_rnn_plan {
    ng_rnn r;      /* shape inference's view: gates, dirs, layout, sizes, activations */
    int flags;     /* bit s: slot s's tensor is present (the kernels' HAS_*) */
    int wg, vec, units;
    int bt;     /* batch samples per work-group */
    int groups; /* work-groups: dirs x ceil(batch / bt) */
    int tensor[NG_RNN_SLOTS]; /* graph tensor ids, -1 when absent */
} ng_rnn_plan;

/* 1 when Recurrence node n has float32 tensors (int32 sequence_lens) of
 * known shapes within 32-bit indexing, the same activations in both
 * directions and a hidden size whose state fits the device's shared memory;
 * vec_max: the widest units-per-work-item the backend's kernel takes. */
int ng_rnn_supported(const nngpu_device_info *dev, const ng_graph *g, const ng_node *n, int vec_max);

/* The plan of a supported node: vec_max units per work-item on CPUs when the
 * hidden size divides (explicit vectors: POCL does not vectorize across
 * work-items around a loop), 1 on GPUs; up to bt_max samples per work-group
 * on CPUs (as many as fill the compute units), 1 on GPUs. */
void ng_rnn_plan_make(const nngpu_device_info *dev, const ng_graph *g, const ng_node *n, int vec_max,
                      int bt_max, ng_rnn_plan *p);

#endif
