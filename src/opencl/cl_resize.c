/* Resize / Upsample: nearest, linear and cubic over any dims. The per-dim
 * tap tables come from src/runtime/resize_table.c (shared with Vulkan);
 * the kernel only combines them. */
#include <stdio.h>
#include <string.h>

#include "cl_data.h"
#include "core/dims.h"
#include "core/status.h"
#include "runtime/resize_table.h"

int ng_cl_resize_supports(const ng_graph *g, const ng_node *n) {
    return ng_resize_supported(g, n) && ng_cl_epilogue_supported(g, n);
}

/* resize_rows: (ceil(OW / row), OH, planes) work-items, row outputs each. */
static nngpu_status prepare_rows(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k, const ng_resize_table *t,
                                 cl_mem tab_mem) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    const int r = y->rank;
    const int row = strcmp(c->info.device_type, "gpu") == 0 ? 1 : 16;
    char opts[512];
    snprintf(opts, sizeof opts,
             "-DTAPS=%d -DNG_EPI=%d -DRS_ROW=%d -DRS_OH=%lld -DRS_OW=%lld -DRS_H=%lld -DRS_W=%lld "
             "-DRS_TOFF_H=%lld -DRS_TOFF_W=%lld",
             t->taps, n->n_epi > 0, row, (long long)y->dims[r - 2], (long long)y->dims[r - 1],
             (long long)x->dims[r - 2], (long long)x->dims[r - 1], (long long)t->toff[r - 2],
             (long long)t->toff[r - 1]);
    cl_kernel kern;
    NG_CHECK(ng_cl_kernel_create(c, "data.cl", "resize_rows", opts, &kern));
    ng_cl_launch *l = &k->launch[k->n_launches++];
    l->kernel = kern;
    l->dims = 3;
    l->global[0] = (size_t)((y->dims[r - 1] + row - 1) / row);
    l->global[1] = (size_t)y->dims[r - 2];
    l->global[2] = (size_t)(ng_numel(y) / (y->dims[r - 2] * y->dims[r - 1]));
    l->use_local = 0;
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_mem(&a, tab_mem);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    return a.status;
}

nngpu_status ng_cl_resize_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    ng_resize_table t;
    NG_CHECK(ng_resize_table_build(g, n, &t));
    if (ng_numel(y) == 0) {
        ng_resize_table_free(&t);
        return NNGPU_OK;
    }
    /* only the last two dims resized (NCHW up- or down-sampling): resize_rows */
    int planar = 0;
    cl_mem tab_mem;
    nngpu_status s = ng_resize_table_planar(g, n, &t, &planar);
    if (s == NNGPU_OK) s = ng_cl_meta_upload(c, k, t.tab, t.bytes, &tab_mem);
    static const char *names[] = {"resize_nearest", "resize_linear", "resize_cubic"};
    ng_cl_kernel_name(k, n, names[t.mode]);
    if (s == NNGPU_OK && planar) {
        s = prepare_rows(c, g, n, bind, k, &t, tab_mem);
        ng_resize_table_free(&t);
        return s;
    }
    ng_resize_table_free(&t);
    NG_CHECK(s);
    char opts[768], od[192], xd[192], toff[192];
    ng_dims_format(y->dims, y->rank, ",", od, sizeof od);
    ng_dims_format(x->dims, x->rank, ",", xd, sizeof xd);
    ng_dims_format(t.toff, x->rank, ",", toff, sizeof toff);
    snprintf(opts, sizeof opts, "-DTAPS=%d -DNG_EPI=%d -DRS_RANK=%d -DRS_OD=%s -DRS_XD=%s -DRS_TOFF=%s",
             t.taps, n->n_epi > 0, y->rank, od, xd, toff);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "data.cl", "resize", opts, (size_t)ng_numel(y), 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_int(&a, ng_numel(y));
    ng_cl_arg_int(&a, y->rank);
    ng_cl_arg_int8(&a, y->dims, y->rank);
    ng_cl_arg_int8(&a, x->dims, x->rank);
    ng_cl_arg_int8(&a, t.toff, x->rank);
    ng_cl_arg_mem(&a, tab_mem);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    return a.status;
}
