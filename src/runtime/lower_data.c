/* The data family's copy plans (lower_data.h). */
#include "lower_data.h"

#include <string.h>

#include "core/status.h"
#include "graph/infer.h"
#include "lower_util.h"
#include "runtime/broadcast.h"
#include "runtime/remap.h"

static int is_plain_copy(ng_op op) {
    switch (op) {
    case NG_OP_RESHAPE: case NG_OP_FLATTEN: case NG_OP_SQUEEZE: case NG_OP_UNSQUEEZE:
    case NG_OP_IDENTITY: case NG_OP_DROPOUT: case NG_OP_CAST: return 1;
    default: return 0;
    }
}

/* Transpose's permutation; 0 when invalid. */
static int transpose_perm(const ng_node *n, int rank, int *perm) {
    const int64_t *v;
    int cnt = ng_attr_ints(n, "perm", &v);
    if (cnt == 0) {
        for (int k = 0; k < rank; k++) perm[k] = rank - 1 - k;
        return 1;
    }
    if (cnt != rank) return 0;
    int seen[NNGPU_MAX_DIMS] = {0};
    for (int k = 0; k < rank; k++) {
        if (v[k] < 0 || v[k] >= rank || seen[v[k]]) return 0;
        seen[v[k]] = 1;
        perm[k] = (int)v[k];
    }
    return 1;
}

/* Slice (ng_infer_slice): 0 when the parameters are not constant or do not
 * give the output's shape. */
static int slice_plan(const ng_graph *g, const ng_node *n, int64_t *start, int64_t *step) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t od[NNGPU_MAX_DIMS];
    if (ng_infer_slice(g, n, start, step, od) != NNGPU_OK) return 0;
    for (int k = 0; k < x->rank; k++)
        if (od[k] != y->dims[k]) return 0;
    return 1;
}

static int all_float(const ng_graph *g, const ng_node *n, int n_in, int n_out) {
    for (int j = 0; j < n_in; j++)
        if (!ng_lower_f32_ok(ng_in(g, n, j))) return 0;
    for (int j = 0; j < n_out; j++)
        if (!ng_lower_f32_ok(ng_out(g, n, j))) return 0;
    return 1;
}

int ng_copy_supported(const ng_graph *g, const ng_node *n, int max_parts) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!x || !y) return 0;
    if (is_plain_copy(n->op)) {
        if (n->op == NG_OP_DROPOUT && n->n_out > 1 && n->out[1] >= 0) return 0; /* mask */
        return all_float(g, n, 1, 1) && ng_numel(x) == ng_numel(y);
    }
    int64_t a[NNGPU_MAX_DIMS], b[NNGPU_MAX_DIMS];
    int perm[NNGPU_MAX_DIMS];
    switch (n->op) {
    case NG_OP_TRANSPOSE:
        return all_float(g, n, 1, 1) && x->rank == y->rank && transpose_perm(n, x->rank, perm);
    case NG_OP_SLICE: return all_float(g, n, 1, 1) && x->rank == y->rank && slice_plan(g, n, a, b);
    case NG_OP_EXPAND: {
        ng_bcast bc;
        return all_float(g, n, 1, 1) && ng_bcast_plan(y->rank, y->dims, x->rank, x->dims, &bc);
    }
    case NG_OP_TILE:
    case NG_OP_DEPTHTOSPACE:
    case NG_OP_SPACETODEPTH: {
        int r;
        return all_float(g, n, 1, 1) && ng_remap_plan(g, n, &r, a, b);
    }
    case NG_OP_CONCAT: {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), y->rank);
        if (n->n_epi || axis < 0 || n->n_main_inputs > max_parts ||
            !all_float(g, n, n->n_main_inputs, 1))
            return 0;
        int64_t sum = 0;
        for (int j = 0; j < n->n_main_inputs; j++) {
            if (ng_in(g, n, j)->rank != y->rank) return 0;
            sum += ng_in(g, n, j)->dims[axis];
        }
        return sum == y->dims[axis];
    }
    case NG_OP_SPLIT: {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
        if (n->n_epi || axis < 0 || n->n_out > max_parts || !all_float(g, n, 1, n->n_out))
            return 0;
        int64_t sum = 0;
        for (int j = 0; j < n->n_out; j++) {
            if (ng_out(g, n, j)->rank != x->rank) return 0;
            sum += ng_out(g, n, j)->dims[axis];
        }
        return sum <= x->dims[axis];
    }
    default: return 0;
    }
}

/* A part copying tensor xt to yt over dims (rank) with the given strides. */
static void part_set(ng_copy_part *d, int xt, int yt, int rank, const int64_t *dims,
                     const int64_t *xs, const int64_t *ys) {
    memset(d, 0, sizeof *d);
    d->xt = xt;
    d->yt = yt;
    d->rank = rank;
    memcpy(d->dims, dims, sizeof(int64_t) * (size_t)rank);
    memcpy(d->xs, xs, sizeof(int64_t) * (size_t)rank);
    memcpy(d->ys, ys, sizeof(int64_t) * (size_t)rank);
}

nngpu_status ng_copy_plan_make(const ng_graph *g, const ng_node *n, ng_copy_part *parts,
                               int max_parts, ng_copy_plan *plan) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t xs[NNGPU_MAX_DIMS], ys[NNGPU_MAX_DIMS], st[NNGPU_MAX_DIMS], d[NNGPU_MAX_DIMS];
    ng_lower_strides(x->rank, x->dims, xs);
    ng_lower_strides(y->rank, y->dims, ys);
    plan->n_parts = 1;
    plan->epilogue = 1;
    plan->name = "copy";
    if (is_plain_copy(n->op)) {
        int64_t total = ng_numel(y), one = 1;
        part_set(&parts[0], n->in[0], n->out[0], 1, &total, &one, &one);
    } else if (n->op == NG_OP_TRANSPOSE) {
        int perm[NNGPU_MAX_DIMS];
        if (!transpose_perm(n, x->rank, perm))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad Transpose perm", n->name);
        for (int j = 0; j < y->rank; j++) st[j] = xs[perm[j]];
        part_set(&parts[0], n->in[0], n->out[0], y->rank, y->dims, st, ys);
        plan->name = "transpose";
    } else if (n->op == NG_OP_SLICE) {
        int64_t start[NNGPU_MAX_DIMS], step[NNGPU_MAX_DIMS], base = 0;
        if (!slice_plan(g, n, start, step))
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "node '%s': Slice parameters must be constant and in range", n->name);
        for (int j = 0; j < x->rank; j++) {
            base += start[j] * xs[j];
            st[j] = xs[j] * step[j];
        }
        part_set(&parts[0], n->in[0], n->out[0], y->rank, y->dims, st, ys);
        parts[0].x_extra = base < 0 ? 0 : base; /* negative only with an empty output */
        plan->name = "slice";
    } else if (n->op == NG_OP_EXPAND) {
        ng_bcast bc;
        if (!ng_bcast_plan(y->rank, y->dims, x->rank, x->dims, &bc))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': '%s' does not expand to '%s'",
                            n->name, x->name, y->name);
        part_set(&parts[0], n->in[0], n->out[0], y->rank, y->dims, bc.strides, ys);
        plan->name = "expand";
    } else if (n->op == NG_OP_TILE || n->op == NG_OP_DEPTHTOSPACE || n->op == NG_OP_SPACETODEPTH) {
        int r;
        if (!ng_remap_plan(g, n, &r, d, st))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': no copy plan", n->name);
        int64_t os[NNGPU_MAX_DIMS];
        ng_lower_strides(r, d, os);
        part_set(&parts[0], n->in[0], n->out[0], r, d, st, os);
        plan->name = n->op == NG_OP_TILE ? "tile"
                     : n->op == NG_OP_DEPTHTOSPACE ? "depth_to_space"
                                                   : "space_to_depth";
    } else if (n->op == NG_OP_CONCAT || n->op == NG_OP_SPLIT) {
        int concat = n->op == NG_OP_CONCAT, count = concat ? n->n_main_inputs : n->n_out;
        int axis = ng_axis(ng_attr_int(n, "axis", 0), concat ? y->rank : x->rank);
        if (axis < 0 || count > max_parts)
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': no copy plan for axis or %d parts",
                            n->name, count);
        int64_t at = 0;
        for (int j = 0; j < count; j++) {
            const ng_tensor *t = concat ? ng_in(g, n, j) : ng_out(g, n, j);
            ng_lower_strides(t->rank, t->dims, st);
            if (concat) {
                part_set(&parts[j], n->in[j], n->out[0], t->rank, t->dims, st, ys);
                parts[j].y_extra = at * ys[axis];
            } else {
                part_set(&parts[j], n->in[0], n->out[j], t->rank, t->dims, xs, st);
                parts[j].x_extra = at * xs[axis];
            }
            at += t->dims[axis];
        }
        plan->n_parts = count;
        plan->epilogue = 0;
        plan->name = concat ? "concat" : "split";
    } else {
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s is not a copy", n->name,
                        ng_op_name(n->op));
    }
    return NNGPU_OK;
}
