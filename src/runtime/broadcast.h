/* How an operand broadcast (NumPy rules) to an output shape is indexed from
 * the output's linear index; shared by the backends' elementwise kernels and
 * epilogues. */
#ifndef NG_BROADCAST_H
#define NG_BROADCAST_H

#include <stdint.h>

#include "nngpu/nngpu.h"

typedef enum ng_bcast_mode {
    NG_BCAST_SAME = 0,    /* j = i */
    NG_BCAST_BLOCK = 1,   /* j = (i / inner) % count: scalar, per-channel, per-row, ... */
    NG_BCAST_GENERIC = 2  /* j = sum(coord_k * strides[k]) */
} ng_bcast_mode;

typedef struct ng_bcast {
    ng_bcast_mode mode;
    int64_t inner, count;               /* BLOCK */
    int64_t strides[NNGPU_MAX_DIMS];    /* per output dim, 0 on broadcast dims */
} ng_bcast;

/* Plans a tensor of shape (r, d) broadcast to the output (ro, od). Returns 0
 * when the shapes do not broadcast. */
int ng_bcast_plan(int ro, const int64_t *od, int r, const int64_t *d, ng_bcast *b);

#endif
