/* Memory planning: every non-constant tensor gets a byte offset in one
 * arena, tensors whose lifetimes do not overlap sharing space. */
#ifndef NG_PLAN_H
#define NG_PLAN_H

#include "ir.h"

typedef struct ng_plan_stats {
    size_t arena_bytes;       /* planned size */
    size_t tensor_bytes;      /* sum of all planned tensors */
    size_t lower_bound_bytes; /* the most bytes live at one step */
} ng_plan_stats;

/* steps: the live nodes in execution order. share = 0 gives every tensor its
 * own slot. guard bytes are left free before and after each tensor. Sets
 * tensor->offset for planned tensors and views; *needs_storage[t] says which
 * (caller frees). */
nngpu_status ng_plan_memory(ng_graph *g, const int *steps, int n_steps, int share, size_t guard,
                            ng_plan_stats *stats, unsigned char **needs_storage);

#define NG_PLAN_ALIGN 64

#endif
