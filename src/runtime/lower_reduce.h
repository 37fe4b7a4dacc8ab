/* The reduce family's plan, shared by the backends: the input collapsed to
 * groups of neighbouring dims that are all kept or all reduced; one run of
 * reduced groups lowers to (outer, len, inner), more to a generic walk. */
#ifndef NG_LOWER_REDUCE_H
#define NG_LOWER_REDUCE_H

#include "graph/ir.h"

/* The reduce kernels (their order is the Vulkan shader's KIND constant). */
typedef enum ng_reduce_kind {
    NG_REDUCE_ROWS,    /* one work-group per output over a contiguous run */
    NG_REDUCE_STRIDED, /* (outer, len, inner), one work-item per output */
    NG_REDUCE_GENERIC  /* kept and reduced groups walked separately */
} ng_reduce_kind;

typedef struct ng_reduce_view {
    int code;                  /* the kernels' RED code (ng_reduce_code) */
    int runs;                  /* runs of neighbouring reduced groups */
    int64_t outer, len, inner; /* len: reduced elements per output */
    int64_t n_out;             /* output elements */
    int nk, nr;                /* kept / reduced groups */
    int64_t kd[NNGPU_MAX_DIMS], ks[NNGPU_MAX_DIMS]; /* kept sizes, input strides */
    int64_t rd[NNGPU_MAX_DIMS], rs[NNGPU_MAX_DIMS]; /* reduced sizes, input strides */
    ng_reduce_kind kind;       /* set by ng_reduce_lower */
    int wg;                    /* work-group size, set by ng_reduce_lower */
} ng_reduce_view;

/* The RED code of a reduce op (Sum 0, Mean 1, Max 2, Min 3, Prod 4, L1 5,
 * L2 6, SumSquare 7, LogSumExp 8); -1 for other ops. */
int ng_reduce_code(ng_op op);

/* Plans reduce node n; 0 when the axes are not constant or out of range. */
int ng_reduce_plan(const ng_graph *g, const ng_node *n, ng_reduce_view *v);

/* The plan of reduce node n with its kernel and work-group size (family
 * "reduce" in the tuning DB, ng_lower_rows_params; *source: where the
 * parameters came from); an error naming the node when the axes are not
 * constant or out of range. */
nngpu_status ng_reduce_lower(const nngpu_device_info *dev, const char *db_path, const ng_graph *g,
                             const ng_node *n, ng_reduce_view *v, const char **source);

/* 1 when n is a reduce op over float32 tensors (ng_lower_f32_ok), a non-empty
 * input and a plan whose output size matches. */
int ng_reduce_supported(const ng_graph *g, const ng_node *n);

#endif
