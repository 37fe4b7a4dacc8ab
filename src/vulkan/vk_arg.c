/* The arg family: ArgMax / ArgMin of a float tensor along one axis into an
 * int64 tensor (shaders/vulkan/arg.comp). */
#include <stdio.h>

#include "core/status.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_MAX, SPEC_LAST, N_SPEC };

typedef struct arg_push {
    uint32_t y_off, x_off, outer, len, inner;
} arg_push;

/* (outer, len, inner) around the axis; 0 when not runnable. */
static int arg_view(const ng_graph *g, const ng_node *n, int64_t *outer, int64_t *len,
                    int64_t *inner) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if ((n->op != NG_OP_ARGMAX && n->op != NG_OP_ARGMIN) || n->n_epi || !ng_vk_float_tensor_ok(x) ||
        !y || y->dtype != NNGPU_DTYPE_INT64 || y->rank < 0)
        return 0;
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (ax < 0 || x->dims[ax] < 1) return 0;
    *outer = *inner = 1;
    *len = x->dims[ax];
    for (int i = 0; i < x->rank; i++) {
        if (i < ax) *outer *= x->dims[i];
        else if (i > ax) *inner *= x->dims[i];
    }
    return ng_numel(y) == *outer * *inner && ng_numel(y) < (int64_t)1 << 30;
}

static int arg_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    int64_t o, l, i;
    return arg_view(g, n, &o, &l, &i);
}

static nngpu_status arg_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k) {
    int64_t outer, len, inner;
    if (!arg_view(g, n, &outer, &len, &inner))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': ArgMax/ArgMin view", n->name);
    ng_vk_kernel_name(k, n, n->op == NG_OP_ARGMAX ? "argmax" : "argmin");
    if (outer * inner == 0) return NNGPU_OK;
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    int wg = ng_vk_wg(c, &p, 64);
    int32_t spec[N_SPEC] = {wg, n->op == NG_OP_ARGMAX, ng_attr_int(n, "select_last_index", 0) != 0};
    arg_push push = {0};
    push.outer = (uint32_t)outer;
    push.len = (uint32_t)len;
    push.inner = (uint32_t)inner;
    ng_buffer *buf[2];
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.x_off));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)(outer * inner), (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "arg", spec, N_SPEC, buf, 2, &push, sizeof push, groups));
    int reads[1] = {n->in[0]};
    ng_vk_dispatch_tensors(c, k, g, bind, reads, 1, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_arg = {"arg", arg_supports, arg_prepare};
