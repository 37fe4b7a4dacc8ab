/* The data family: copies (Reshape/Flatten/Squeeze/Unsqueeze/Identity/
 * Dropout/Cast), Transpose, Slice, Expand, Tile, DepthToSpace, SpaceToDepth,
 * Concat, Split as strided copies;
 * Gather, Pad, Resize/Upsample in vk_data_index.c. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "graph/infer.h"
#include "runtime/remap.h"
#include "vk_data.h"

enum { SPEC_WG, SPEC_KIND, SPEC_TAPS, SPEC_PAD_MODE, EPI_SPEC = 4 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 4 };

nngpu_status ng_vk_data_dispatch(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_binding *bind, const ng_node *epi, ng_vk_data_call *d) {
    if (d->items <= 0) return NNGPU_OK;
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    ng_params_lookup(&c->info, c->opts.tuning_db, "data", "", &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);
    int32_t spec[N_SPEC] = {0};
    spec[SPEC_WG] = wg;
    spec[SPEC_KIND] = d->kind;
    spec[SPEC_TAPS] = d->taps > 0 ? d->taps : 1;
    spec[SPEC_PAD_MODE] = d->pad_mode;
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS] = {d->y, d->x, d->meta ? d->meta : d->y,
                                                         d->idx ? d->idx : d->y};
    d->push.n = (uint32_t)d->items;
    NG_CHECK(ng_vk_epilogue_args(c, k, g, epi && epi->n_epi ? epi : NULL, bind, d->y,
                                 spec + EPI_SPEC, buf + EPI_BINDING, &d->push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)d->items, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "data", spec, N_SPEC, buf, EPI_BINDING + NG_VK_EPI_BINDINGS,
                                &d->push, sizeof d->push, groups));
    int reads[2 + NG_MAX_EPI], n_reads = 0;
    if (d->read >= 0) reads[n_reads++] = d->read;
    n_reads += ng_vk_epilogue_reads(epi, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, d->write);
    return NNGPU_OK;
}

/* ---- strided copies ------------------------------------------------------- */

/* One copy: iterates dims (rank), reading tensor xt at x_extra + sum(c*xs)
 * and writing tensor yt at y_extra + sum(c*ys). */
typedef struct copy_desc {
    int xt, yt;
    int64_t x_extra, y_extra;
    int rank;
    int64_t dims[NNGPU_MAX_DIMS], xs[NNGPU_MAX_DIMS], ys[NNGPU_MAX_DIMS];
} copy_desc;

#define MAX_COPIES NG_VK_MAX_DISPATCHES

/* Runs the copies, one dispatch each; the strided ones share one meta
 * buffer (dims, x strides, y strides: 24 ints each). epi: the node whose
 * epilogue applies (NULL: none). */
static nngpu_status copies_run(ng_context *c, ng_kernel *k, const ng_graph *g,
                               const ng_binding *bind, copy_desc *cp, int n_cp, const ng_node *epi) {
    int32_t meta[24 * MAX_COPIES];
    int n_meta = 0, strided[MAX_COPIES];
    memset(meta, 0, sizeof meta);
    for (int j = 0; j < n_cp; j++) {
        copy_desc *d = &cp[j];
        d->rank = ng_vk_collapse(d->rank, d->dims, d->xs, d->ys);
        strided[j] = !(d->rank == 1 && d->xs[0] == 1 && d->ys[0] == 1);
        if (!strided[j]) continue;
        int32_t *m = meta + 24 * n_meta++;
        for (int r = 0; r < d->rank; r++) {
            m[r] = (int32_t)d->dims[r];
            m[8 + r] = (int32_t)d->xs[r];
            m[16 + r] = (int32_t)d->ys[r];
        }
    }
    ng_buffer *meta_buf = NULL;
    if (n_meta) NG_CHECK(ng_vk_upload(c, k, meta, sizeof(int32_t) * 24 * (size_t)n_meta, &meta_buf));
    for (int j = 0, at = 0; j < n_cp; j++) {
        copy_desc *d = &cp[j];
        ng_vk_data_call call;
        memset(&call, 0, sizeof call);
        call.kind = strided[j] ? NG_VK_DATA_STRIDED : NG_VK_DATA_CONTIG;
        call.items = 1;
        for (int r = 0; r < d->rank; r++) call.items *= d->dims[r];
        NG_CHECK(ng_vk_tensor_arg(c, k, g, d->yt, bind, &call.y, &call.push.y_off));
        NG_CHECK(ng_vk_tensor_arg(c, k, g, d->xt, bind, &call.x, &call.push.x_off));
        call.push.y_off += (uint32_t)d->y_extra;
        call.push.x_off += (uint32_t)d->x_extra;
        call.push.y_base = (uint32_t)d->y_extra;
        call.push.rank = (uint32_t)d->rank;
        if (strided[j]) {
            call.meta = meta_buf;
            call.push.meta_off = (uint32_t)(24 * at++);
        }
        call.read = d->xt;
        call.write = d->yt;
        NG_CHECK(ng_vk_data_dispatch(c, k, g, bind, epi, &call));
    }
    return NNGPU_OK;
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
        if (!ng_vk_float_tensor_ok(ng_in(g, n, j))) return 0;
    for (int j = 0; j < n_out; j++)
        if (!ng_vk_float_tensor_ok(ng_out(g, n, j))) return 0;
    return 1;
}

static int data_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (n->op == NG_OP_GATHER) return ng_vk_gather_supports(g, n);
    if (n->op == NG_OP_PAD) return ng_vk_pad_supports(g, n);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_vk_resize_supports(g, n);
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!x || !y) return 0;
    if (is_plain_copy(n->op)) {
        if (n->op == NG_OP_DROPOUT && n->n_out > 1 && n->out[1] >= 0) return 0; /* mask */
        return all_float(g, n, 1, 1) && ng_numel(x) == ng_numel(y) &&
               ng_vk_epilogue_supported(g, n);
    }
    int64_t a[NNGPU_MAX_DIMS], b[NNGPU_MAX_DIMS];
    int perm[NNGPU_MAX_DIMS];
    switch (n->op) {
    case NG_OP_TRANSPOSE:
        return all_float(g, n, 1, 1) && x->rank == y->rank && transpose_perm(n, x->rank, perm) &&
               ng_vk_epilogue_supported(g, n);
    case NG_OP_SLICE:
        return all_float(g, n, 1, 1) && x->rank == y->rank && slice_plan(g, n, a, b) &&
               ng_vk_epilogue_supported(g, n);
    case NG_OP_EXPAND: {
        ng_bcast bc;
        return all_float(g, n, 1, 1) && ng_bcast_plan(y->rank, y->dims, x->rank, x->dims, &bc) &&
               ng_vk_epilogue_supported(g, n);
    }
    case NG_OP_TILE:
    case NG_OP_DEPTHTOSPACE:
    case NG_OP_SPACETODEPTH: {
        int r;
        return all_float(g, n, 1, 1) && ng_remap_plan(g, n, &r, a, b) &&
               ng_vk_epilogue_supported(g, n);
    }
    case NG_OP_CONCAT: {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), y->rank);
        if (n->n_epi || axis < 0 || n->n_main_inputs > MAX_COPIES ||
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
        if (n->n_epi || axis < 0 || n->n_out > MAX_COPIES || !all_float(g, n, 1, n->n_out))
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
    if (n->op == NG_OP_GATHER) return ng_vk_gather_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_PAD) return ng_vk_pad_prepare(c, g, n, bind, k);
    if (n->op == NG_OP_RESIZE || n->op == NG_OP_UPSAMPLE) return ng_vk_resize_prepare(c, g, n, bind, k);
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t xs[NNGPU_MAX_DIMS], ys[NNGPU_MAX_DIMS];
    ng_vk_strides(x->rank, x->dims, xs);
    ng_vk_strides(y->rank, y->dims, ys);
    copy_desc cp[MAX_COPIES];
    int n_cp = 0;
    const ng_node *epi = n;
    const char *name = "copy";
    memset(cp, 0, sizeof(copy_desc));
    cp[0].xt = n->in[0];
    cp[0].yt = n->out[0];
    if (is_plain_copy(n->op)) {
        cp[0].rank = 1;
        cp[0].dims[0] = ng_numel(y);
        cp[0].xs[0] = cp[0].ys[0] = 1;
        n_cp = 1;
    } else if (n->op == NG_OP_TRANSPOSE) {
        int perm[NNGPU_MAX_DIMS];
        if (!transpose_perm(n, x->rank, perm))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad Transpose perm", n->name);
        cp[0].rank = y->rank;
        for (int j = 0; j < y->rank; j++) {
            cp[0].dims[j] = y->dims[j];
            cp[0].xs[j] = xs[perm[j]];
            cp[0].ys[j] = ys[j];
        }
        n_cp = 1;
        name = "transpose";
    } else if (n->op == NG_OP_SLICE) {
        int64_t start[NNGPU_MAX_DIMS], step[NNGPU_MAX_DIMS];
        if (!slice_plan(g, n, start, step))
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "node '%s': Slice parameters must be constant and in range", n->name);
        cp[0].rank = y->rank;
        for (int j = 0; j < x->rank; j++) {
            cp[0].x_extra += start[j] * xs[j];
            cp[0].dims[j] = y->dims[j];
            cp[0].xs[j] = xs[j] * step[j];
            cp[0].ys[j] = ys[j];
        }
        if (cp[0].x_extra < 0) /* only with an empty output */
            cp[0].x_extra = 0;
        n_cp = 1;
        name = "slice";
    } else if (n->op == NG_OP_EXPAND) {
        ng_bcast bc;
        if (!ng_bcast_plan(y->rank, y->dims, x->rank, x->dims, &bc))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': '%s' does not expand to '%s'",
                            n->name, x->name, y->name);
        cp[0].rank = y->rank;
        for (int j = 0; j < y->rank; j++) {
            cp[0].dims[j] = y->dims[j];
            cp[0].xs[j] = bc.strides[j];
            cp[0].ys[j] = ys[j];
        }
        n_cp = 1;
        name = "expand";
    } else if (n->op == NG_OP_TILE || n->op == NG_OP_DEPTHTOSPACE || n->op == NG_OP_SPACETODEPTH) {
        if (!ng_remap_plan(g, n, &cp[0].rank, cp[0].dims, cp[0].xs))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': no copy plan", n->name);
        ng_vk_strides(cp[0].rank, cp[0].dims, cp[0].ys);
        n_cp = 1;
        name = n->op == NG_OP_TILE ? "tile" : n->op == NG_OP_DEPTHTOSPACE ? "depth_to_space" : "space_to_depth";
    } else if (n->op == NG_OP_CONCAT) {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), y->rank);
        int64_t at = 0;
        for (int j = 0; j < n->n_main_inputs; j++) {
            const ng_tensor *t = ng_in(g, n, j);
            copy_desc *d = &cp[n_cp++];
            memset(d, 0, sizeof *d);
            d->xt = n->in[j];
            d->yt = n->out[0];
            d->y_extra = at * ys[axis];
            d->rank = t->rank;
            memcpy(d->dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
            ng_vk_strides(t->rank, t->dims, d->xs);
            memcpy(d->ys, ys, sizeof(int64_t) * (size_t)t->rank);
            at += t->dims[axis];
        }
        epi = NULL;
        name = "concat";
    } else if (n->op == NG_OP_SPLIT) {
        int axis = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
        int64_t at = 0;
        for (int j = 0; j < n->n_out; j++) {
            const ng_tensor *t = ng_out(g, n, j);
            copy_desc *d = &cp[n_cp++];
            memset(d, 0, sizeof *d);
            d->xt = n->in[0];
            d->yt = n->out[j];
            d->x_extra = at * xs[axis];
            d->rank = t->rank;
            memcpy(d->dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
            memcpy(d->xs, xs, sizeof(int64_t) * (size_t)t->rank);
            ng_vk_strides(t->rank, t->dims, d->ys);
            at += t->dims[axis];
        }
        epi = NULL;
        name = "split";
    }
    ng_vk_kernel_name(k, n, name);
    return copies_run(c, k, g, bind, cp, n_cp, epi);
}

const ng_vk_family ng_vk_family_data = {"data", data_supports, data_prepare};
