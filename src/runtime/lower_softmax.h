/* The softmax family's plan, shared by the backends: Softmax, LogSoftmax and
 * Hardmax as (outer, len, inner); opset < 13 coerces to 2-D at `axis`
 * (default 1), opset >= 13 normalizes one axis (default -1). */
#ifndef NG_LOWER_SOFTMAX_H
#define NG_LOWER_SOFTMAX_H

#include "graph/ir.h"

/* 0 when the axis is out of range or the normalized length is 0. */
int ng_softmax_plan(const ng_graph *g, const ng_node *n, int64_t *outer, int64_t *len,
                    int64_t *inner);

typedef struct ng_softmax_view {
    int64_t outer, len, inner;
    int rows; /* 1: one work-group of wg per row (inner 1, long rows, not Hardmax) */
    int wg;   /* work-group size */
} ng_softmax_view;

/* The plan of softmax node n with its kernel choice and work-group size
 * (family "softmax" in the tuning DB, ng_lower_rows_params; *source: where
 * the parameters came from); an error naming the node when the axis is out
 * of range. */
nngpu_status ng_softmax_lower(const nngpu_device_info *dev, const char *db_path,
                              const ng_graph *g, const ng_node *n, ng_softmax_view *v,
                              const char **source);

/* 1 when n is Softmax / LogSoftmax / Hardmax over float32 tensors
 * (ng_lower_f32_ok) of rank > 0 with the same size and a plan. The backend
 * checks its ops and epilogue. */
int ng_softmax_supported(const ng_graph *g, const ng_node *n);

#endif
