/* The data family's indexed ops: Gather, GatherElements and Pad (Resize in
 * cl_resize.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_data.h"
#include "core/dims.h"
#include "core/status.h"
#include "runtime/lower_gather.h"

static size_t total_of(const ng_tensor *t) { return (size_t)ng_numel(t); }

/* ---- Gather, GatherElements ------------------------------------------------ */

/* The indices of n as the kernels read them: constants checked, normalized
 * and uploaded as int32; runtime ones bound in place (offset in int words).
 * Appends the -DIDX64 option to opts. */
static nngpu_status indices_arg(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k, int64_t len, cl_mem *mem,
                                cl_int *off, char *opts, size_t cap) {
    const ng_tensor *idx = ng_in(g, n, 1);
    int words = ng_gather_index_words(g, n);
    size_t at = strlen(opts);
    snprintf(opts + at, cap - at, " -DIDX64=%d", words == 2);
    if (!idx->data) {
        NG_CHECK(ng_cl_tensor_arg(c, k, g, n->in[1], bind, mem, off));
        *off *= words;
        return NNGPU_OK;
    }
    int32_t *ids;
    NG_CHECK(ng_gather_indices(g, n, len, &ids));
    int64_t cnt = ng_numel(idx);
    nngpu_status s = ng_cl_upload(c, k, ids, sizeof(int32_t) * (size_t)(cnt ? cnt : 1), mem);
    free(ids);
    *off = 0;
    return s;
}

int ng_cl_gather_supports(const ng_graph *g, const ng_node *n) {
    if (n->op == NG_OP_GATHERELEMENTS)
        return ng_gather_elements_supported(g, n) && ng_cl_epilogue_supported(g, n);
    return ng_gather_supported(g, n) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status gather_elements_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                            const ng_binding *bind, ng_kernel *k) {
    ng_gather_elements_view v;
    NG_CHECK(ng_gather_elements_plan(g, n, &v));
    ng_cl_kernel_name(k, n, "gather_elements");
    if (v.n_idx == 0) return NNGPU_OK;
    char opts[48];
    snprintf(opts, sizeof opts, "-DNG_EPI=%d", n->n_epi > 0);
    cl_mem idx_mem = NULL;
    cl_int idx_off = 0;
    NG_CHECK(indices_arg(c, g, n, bind, k, v.len, &idx_mem, &idx_off, opts, sizeof opts));
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "data.cl", "gather_elements", opts, (size_t)v.n_idx, 0,
                              &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_mem(&a, idx_mem);
    ng_cl_arg_int(&a, idx_off);
    ng_cl_arg_int(&a, v.n_idx);
    ng_cl_arg_int(&a, v.rank);
    ng_cl_arg_int8(&a, v.dims, v.rank);
    ng_cl_arg_int8(&a, v.xs, v.rank);
    ng_cl_arg_int(&a, v.len);
    ng_cl_arg_int(&a, v.axis_stride);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    return a.status;
}

nngpu_status ng_cl_gather_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_GATHERELEMENTS) return gather_elements_prepare(c, g, n, bind, k);
    const ng_tensor *y = ng_out(g, n, 0);
    ng_gather_view v;
    NG_CHECK(ng_gather_plan(g, n, &v));
    ng_cl_kernel_name(k, n, "gather");
    if (ng_numel(y) == 0) return NNGPU_OK;
    char opts[48];
    snprintf(opts, sizeof opts, "-DNG_EPI=%d", n->n_epi > 0);
    cl_mem idx_mem = NULL;
    cl_int idx_off = 0;
    NG_CHECK(indices_arg(c, g, n, bind, k, v.len, &idx_mem, &idx_off, opts, sizeof opts));
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "data.cl", "gather", opts, total_of(y), 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_mem(&a, idx_mem);
    ng_cl_arg_int(&a, idx_off);
    ng_cl_arg_int(&a, ng_numel(y));
    ng_cl_arg_int(&a, v.n_idx);
    ng_cl_arg_int(&a, v.len);
    ng_cl_arg_int(&a, v.inner);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    return a.status;
}

/* ---- Pad ---------------------------------------------------------------------- */

typedef struct pad_plan {
    int64_t begin[NNGPU_MAX_DIMS];
    int mode; /* 0 constant, 1 reflect, 2 edge */
    float value;
} pad_plan;

static int pad_plan_of(const ng_graph *g, const ng_node *n, pad_plan *p) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int r = x->rank;
    const char *mode = ng_attr_string(n, "mode", "constant");
    if (strcmp(mode, "constant") == 0) p->mode = 0;
    else if (strcmp(mode, "reflect") == 0) p->mode = 1;
    else if (strcmp(mode, "edge") == 0) p->mode = 2;
    else return 0;
    int64_t pads[2 * NNGPU_MAX_DIMS], axes[NNGPU_MAX_DIMS];
    int np = ng_node_ints(g, n, n->opset < 11 ? "pads" : NULL, 1, pads, 2 * NNGPU_MAX_DIMS);
    int na = n->opset >= 18 ? ng_node_ints(g, n, NULL, 3, axes, NNGPU_MAX_DIMS) : 0;
    if (np < 0 || na < 0) return 0;
    if (na == 0) {
        na = r;
        for (int k = 0; k < r; k++) axes[k] = k;
    }
    if (np != 2 * na) return 0;
    memset(p->begin, 0, sizeof p->begin);
    for (int j = 0; j < na; j++) {
        int a = ng_axis(axes[j], r);
        if (a < 0) return 0;
        p->begin[a] = pads[j];
    }
    p->value = 0.0f;
    if (n->opset < 11) {
        p->value = ng_attr_float(n, "value", 0.0f);
    } else {
        const ng_tensor *v = ng_in(g, n, 2);
        if (v && n->n_main_inputs > 2) {
            if (!v->data || ng_numel(v) != 1) return 0;
            p->value = (float)ng_const_double(v, 0);
        }
    }
    for (int k = 0; k < r; k++)
        if (x->dims[k] == 0 && y->dims[k] > 0 && p->mode != 0) return 0;
    return 1;
}

int ng_cl_pad_supports(const ng_graph *g, const ng_node *n) {
    pad_plan p;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    return ng_cl_float_tensor_ok(x) && ng_cl_float_tensor_ok(y) && x->rank == y->rank &&
           pad_plan_of(g, n, &p) && ng_cl_epilogue_supported(g, n);
}

nngpu_status ng_cl_pad_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    pad_plan p;
    if (!pad_plan_of(g, n, &p))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Pad parameters must be constant", n->name);
    if (ng_numel(y) == 0) return NNGPU_OK;
    char opts[768], od[192], xd[192], pb[192];
    ng_dims_format(y->dims, y->rank, ",", od, sizeof od);
    ng_dims_format(x->dims, x->rank, ",", xd, sizeof xd);
    ng_dims_format(p.begin, x->rank, ",", pb, sizeof pb);
    snprintf(opts, sizeof opts, "-DNG_EPI=%d -DPD_RANK=%d -DPD_MODE=%d -DPD_OD=%s -DPD_XD=%s -DPD_PB=%s",
             n->n_epi > 0, y->rank, p.mode, od, xd, pb);
    /* CPUs: by innermost rows of 8 or more */
    int64_t w = y->dims[y->rank - 1];
    int rows = y->rank >= 2 && w >= 8 && strcmp(c->info.device_type, "gpu") != 0;
    int64_t items = rows ? ng_numel(y) / w : ng_numel(y);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "data.cl", rows ? "pad_rows" : "pad", opts, (size_t)items, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_int(&a, items);
    ng_cl_arg_float(&a, p.value);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    static const char *names[] = {"pad_constant", "pad_reflect", "pad_edge"};
    ng_cl_kernel_name(k, n, names[p.mode]);
    return a.status;
}
