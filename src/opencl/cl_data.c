/* The data family: copies (Reshape/Flatten/Squeeze/Unsqueeze/Identity/
 * Dropout/Cast), Transpose, Slice, Expand, Concat, Split as strided copies
 * (Tile, DepthToSpace, SpaceToDepth planned in cl_data_map.c);
 * Gather, Pad, Resize/Upsample in cl_data_index.c. */
#include <stdio.h>
#include <string.h>

#include "cl_data.h"
#include "core/status.h"

nngpu_status ng_cl_copy_launch(ng_context *c, ng_kernel *k, const ng_graph *g,
                               const ng_binding *bind, int xt, int64_t x_extra, int yt,
                               int64_t y_extra, int rank, const int64_t *dims, const int64_t *xs,
                               const int64_t *ys, const ng_node *epi) {
    int64_t d[NNGPU_MAX_DIMS], xst[NNGPU_MAX_DIMS], yst[NNGPU_MAX_DIMS], total = 1;
    for (int j = 0; j < rank; j++) {
        d[j] = dims[j];
        xst[j] = xs[j];
        yst[j] = ys[j];
        total *= dims[j];
    }
    if (total == 0) return NNGPU_OK;
    int r = ng_cl_collapse(rank, d, xst, yst);
    int contig = r == 1 && xst[0] == 1 && yst[0] == 1;
    int has_epi = epi && epi->n_epi > 0;
    ng_params p = {0};
    ng_params_set(&p, "VEC", 4);
    ng_params_lookup(&c->info, c->opts.tuning_db, "copy", "", &p);
    int vec = ng_params_get(&p, "VEC", 4);
    if (vec < 1) vec = 1;
    char opts[64];
    snprintf(opts, sizeof opts, "-DVEC=%d -DNG_EPI=%d", vec, has_epi);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "data.cl", contig ? "copy_contig" : "copy_strided", opts,
                              contig ? (size_t)((total + vec - 1) / vec) : (size_t)total, 0,
                              &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor_at(&a, c, k, g, yt, bind, y_extra);
    ng_cl_arg_tensor_at(&a, c, k, g, xt, bind, x_extra);
    ng_cl_arg_int(&a, total);
    ng_cl_arg_int(&a, y_extra);
    if (!contig) {
        ng_cl_arg_int(&a, r);
        ng_cl_arg_int8(&a, d, r);
        ng_cl_arg_int8(&a, xst, r);
        ng_cl_arg_int8(&a, yst, r);
    }
    ng_cl_arg_epilogue(&a, c, k, g, has_epi ? epi : NULL, bind);
    return a.status;
}

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

/* Slice: per input dim the first element and the step; 0 when the
 * parameters are not constant or do not match the output shape. */
static int slice_plan(const ng_graph *g, const ng_node *n, int64_t *start, int64_t *step) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t st[NNGPU_MAX_DIMS], en[NNGPU_MAX_DIMS], ax[NNGPU_MAX_DIMS], sp[NNGPU_MAX_DIMS];
    int ns = ng_node_ints(g, n, "starts", 1, st, NNGPU_MAX_DIMS);
    int ne = ng_node_ints(g, n, "ends", 2, en, NNGPU_MAX_DIMS);
    int na = ng_node_ints(g, n, "axes", 3, ax, NNGPU_MAX_DIMS);
    int np = n->opset >= 10 ? ng_node_ints(g, n, NULL, 4, sp, NNGPU_MAX_DIMS) : 0;
    if (ns < 0 || ne != ns || na < 0 || np < 0 || (na && na != ns) || (np && np != ns)) return 0;
    for (int k = 0; k < x->rank; k++) {
        start[k] = 0;
        step[k] = 1;
    }
    for (int j = 0; j < ns; j++) {
        int a = ng_axis(na ? ax[j] : j, x->rank);
        int64_t s = np ? sp[j] : 1, dim = x->dims[a], b = st[j];
        if (a < 0 || s == 0) return 0;
        if (b < 0) b += dim;
        if (s > 0) b = b < 0 ? 0 : b > dim ? dim : b;
        else b = b < 0 ? 0 : b > dim - 1 ? dim - 1 : b;
        start[a] = b;
        step[a] = s;
    }
    for (int k = 0; k < x->rank; k++) { /* every read in range */
        int64_t cnt = y->dims[k];
        if (cnt == 0) continue;
        int64_t last = start[k] + (cnt - 1) * step[k];
        if (start[k] < 0 || start[k] >= x->dims[k] || last < 0 || last >= x->dims[k]) return 0;
    }
    return 1;
}

static int all_float(const ng_graph *g, const ng_node *n, int n_in, int n_out) {
    for (int j = 0; j < n_in; j++)
        if (!ng_cl_float_tensor_ok(ng_in(g, n, j))) return 0;
    for (int j = 0; j < n_out; j++)
        if (!ng_cl_float_tensor_ok(ng_out(g, n, j))) return 0;
    return 1;
}

static int data_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (n->op == NG_OP_GATHER) return ng_cl_gather_supports(g, n);
    if (n->op == NG_OP_PAD) return ng_cl_pad_supports(g, n);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_cl_resize_supports(g, n);
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!x || !y) return 0;
    if (is_plain_copy(n->op)) {
        if (n->op == NG_OP_DROPOUT && n->n_out > 1 && n->out[1] >= 0) return 0; /* mask */
        return all_float(g, n, 1, 1) && ng_numel(x) == ng_numel(y) &&
               ng_cl_epilogue_supported(g, n);
    }
    int64_t a[NNGPU_MAX_DIMS], b[NNGPU_MAX_DIMS];
    int perm[NNGPU_MAX_DIMS], r;
    switch (n->op) {
    case NG_OP_TILE:
    case NG_OP_DEPTHTOSPACE:
    case NG_OP_SPACETODEPTH: return ng_cl_remap_plan(g, n, &r, a, b) && ng_cl_epilogue_supported(g, n);
    case NG_OP_TRANSPOSE:
        return all_float(g, n, 1, 1) && x->rank == y->rank && transpose_perm(n, x->rank, perm) &&
               ng_cl_epilogue_supported(g, n);
    case NG_OP_SLICE:
        return all_float(g, n, 1, 1) && x->rank == y->rank && slice_plan(g, n, a, b) &&
               ng_cl_epilogue_supported(g, n);
    case NG_OP_EXPAND: {
        cl_int desc[NG_META_OPND_SIZE];
        return all_float(g, n, 1, 1) && ng_cl_bcast_desc(y->rank, y->dims, x->rank, x->dims, desc) &&
               ng_cl_epilogue_supported(g, n);
    }
    case NG_OP_CONCAT: {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), y->rank);
        if (n->n_epi || axis < 0 || n->n_main_inputs > NG_CL_MAX_LAUNCHES ||
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
        if (n->n_epi || axis < 0 || n->n_out > NG_CL_MAX_LAUNCHES || !all_float(g, n, 1, n->n_out))
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

static nngpu_status data_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_GATHER) return ng_cl_gather_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_PAD) return ng_cl_pad_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_cl_resize_prepare(c, g, n, bind, k);
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t xs[NNGPU_MAX_DIMS], ys[NNGPU_MAX_DIMS], st[NNGPU_MAX_DIMS], d[NNGPU_MAX_DIMS];
    ng_cl_strides(x->rank, x->dims, xs);
    ng_cl_strides(y->rank, y->dims, ys);
    const char *name = "copy";
    if (is_plain_copy(n->op)) {
        int64_t total = ng_numel(y), one = 1;
        NG_CHECK(ng_cl_copy_launch(c, k, g, bind, n->in[0], 0, n->out[0], 0, 1, &total, &one, &one, n));
    } else if (n->op == NG_OP_TRANSPOSE) {
        int perm[NNGPU_MAX_DIMS];
        if (!transpose_perm(n, x->rank, perm))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad Transpose perm", n->name);
        for (int j = 0; j < y->rank; j++) st[j] = xs[perm[j]];
        name = "transpose";
        NG_CHECK(ng_cl_copy_launch(c, k, g, bind, n->in[0], 0, n->out[0], 0, y->rank, y->dims, st, ys, n));
    } else if (n->op == NG_OP_SLICE) {
        int64_t start[NNGPU_MAX_DIMS], step[NNGPU_MAX_DIMS], base = 0;
        if (!slice_plan(g, n, start, step))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Slice parameters must be constant and in range",
                            n->name);
        for (int j = 0; j < x->rank; j++) {
            base += start[j] * xs[j];
            st[j] = xs[j] * step[j];
        }
        name = "slice";
        NG_CHECK(ng_cl_copy_launch(c, k, g, bind, n->in[0], base, n->out[0], 0, y->rank, y->dims, st, ys, n));
    } else if (n->op == NG_OP_EXPAND) {
        cl_int desc[NG_META_OPND_SIZE];
        ng_cl_bcast_desc(y->rank, y->dims, x->rank, x->dims, desc);
        for (int j = 0; j < y->rank; j++) st[j] = desc[4 + j];
        name = "expand";
        NG_CHECK(ng_cl_copy_launch(c, k, g, bind, n->in[0], 0, n->out[0], 0, y->rank, y->dims, st, ys, n));
    } else if (n->op == NG_OP_TILE || n->op == NG_OP_DEPTHTOSPACE || n->op == NG_OP_SPACETODEPTH) {
        int r;
        if (!ng_cl_remap_plan(g, n, &r, d, st))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': no copy plan", n->name);
        int64_t os[NNGPU_MAX_DIMS];
        ng_cl_strides(r, d, os);
        name = n->op == NG_OP_TILE ? "tile" : n->op == NG_OP_DEPTHTOSPACE ? "depth_to_space" : "space_to_depth";
        NG_CHECK(ng_cl_copy_launch(c, k, g, bind, n->in[0], 0, n->out[0], 0, r, d, st, os, n));
    } else if (n->op == NG_OP_CONCAT) {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), y->rank);
        int64_t at = 0;
        for (int j = 0; j < n->n_main_inputs; j++) {
            const ng_tensor *t = ng_in(g, n, j);
            ng_cl_strides(t->rank, t->dims, st);
            NG_CHECK(ng_cl_copy_launch(c, k, g, bind, n->in[j], 0, n->out[0], at * ys[axis], t->rank,
                                       t->dims, st, ys, NULL));
            at += t->dims[axis];
        }
        name = "concat";
    } else if (n->op == NG_OP_SPLIT) {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
        int64_t at = 0;
        for (int j = 0; j < n->n_out; j++) {
            const ng_tensor *t = ng_out(g, n, j);
            ng_cl_strides(t->rank, t->dims, d);
            NG_CHECK(ng_cl_copy_launch(c, k, g, bind, n->in[0], at * xs[axis], n->out[j], 0, t->rank,
                                       t->dims, xs, d, NULL));
            at += t->dims[axis];
        }
        name = "split";
    }
    ng_cl_kernel_name(k, n, name);
    return NNGPU_OK;
}

const ng_cl_family ng_cl_family_data = {"data", data_supports, data_prepare};
