/* The einsum family: Einsum of one or two float inputs as a direct kernel
 * (shaders/opencl/einsum.cl), labels resolved by ng_infer_einsum. */
#include <limits.h>
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"
#include "graph/infer.h"

#define NG_EINSUM_META (2 + 3 * (NNGPU_MAX_DIMS + 8))

/* The kernel's meta and the summed-element count; 0 when not runnable. */
static int einsum_plan(const ng_graph *g, const ng_node *n, cl_int *meta, int64_t *n_sum) {
    ng_einsum e;
    if (n->op != NG_OP_EINSUM || n->n_main_inputs < 1 || n->n_main_inputs > 2 ||
        ng_infer_einsum(g, n, &e) != NNGPU_OK)
        return 0;
    for (int k = 0; k < e.n_in; k++)
        if (!ng_cl_float_tensor_ok(ng_in(g, n, k))) return 0;
    if (!ng_cl_float_tensor_ok(ng_out(g, n, 0))) return 0;
    int64_t st[2][NG_EINSUM_MAX_LABELS] = {{0}};
    for (int k = 0; k < e.n_in; k++) {
        const ng_tensor *x = ng_in(g, n, k);
        int64_t s = 1;
        for (int j = x->rank - 1; j >= 0; j--) {
            if (x->dims[j] != 1) st[k][e.in_lab[k][j]] += s;
            s *= x->dims[j];
        }
    }
    int is_out[NG_EINSUM_MAX_LABELS] = {0}, ns = 0;
    for (int i = 0; i < e.out_rank; i++) is_out[e.out_lab[i]] = 1;
    meta[0] = e.out_rank;
    for (int i = 0; i < e.out_rank; i++) {
        int l = e.out_lab[i];
        meta[2 + 3 * i] = (cl_int)e.size[l];
        meta[3 + 3 * i] = (cl_int)st[0][l];
        meta[4 + 3 * i] = (cl_int)st[1][l];
    }
    *n_sum = 1;
    cl_int *sm = meta + 2 + 3 * e.out_rank;
    for (int l = 0; l < e.n_labels; l++) {
        if (is_out[l] || e.size[l] == 1) continue;
        if (ns == 8) return 0;
        sm[3 * ns] = (cl_int)e.size[l];
        sm[3 * ns + 1] = (cl_int)st[0][l];
        sm[3 * ns + 2] = (cl_int)st[1][l];
        *n_sum *= e.size[l];
        ns++;
    }
    meta[1] = ns;
    return *n_sum < INT_MAX;
}

static int einsum_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    cl_int meta[NG_EINSUM_META];
    int64_t ns;
    return einsum_plan(g, n, meta, &ns) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status einsum_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k) {
    cl_int meta[NG_EINSUM_META] = {0};
    int64_t n_sum;
    if (!einsum_plan(g, n, meta, &n_sum))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Einsum plan", n->name);
    int two = n->n_main_inputs == 2;
    int64_t total = ng_numel(ng_out(g, n, 0));
    char eopts[1024], opts[1100];
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    snprintf(opts, sizeof opts, "-DTWO=%d %s", two, eopts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "einsum.cl", "einsum", opts, (size_t)total, 0, &kern));
    cl_mem meta_mem;
    NG_CHECK(ng_cl_meta_upload(c, k, meta, sizeof meta, &meta_mem));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[two ? 1 : 0], bind);
    ng_cl_arg_mem(&a, meta_mem);
    ng_cl_arg_int(&a, total);
    ng_cl_arg_int(&a, n_sum);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, "einsum");
    return a.status;
}

const ng_cl_family ng_cl_family_einsum = {"einsum", einsum_supports, einsum_prepare};
