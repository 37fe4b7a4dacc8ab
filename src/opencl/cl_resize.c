/* Resize / Upsample: nearest, linear and cubic over any dims. The per-dim
 * tap tables come from src/runtime/resize_table.c (shared with Vulkan);
 * the kernel only combines them. */
#include <stdio.h>

#include "cl_data.h"
#include "core/dims.h"
#include "core/status.h"
#include "runtime/resize_table.h"

int ng_cl_resize_supports(const ng_graph *g, const ng_node *n) {
    return ng_resize_supported(g, n) && ng_cl_epilogue_supported(g, n);
}

/* "d0,d1,..." of the first n values into buf (the kernel's RS_* lists). */
nngpu_status ng_cl_resize_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    ng_resize_table t;
    NG_CHECK(ng_resize_table_build(g, n, &t));
    if (ng_numel(y) == 0) {
        ng_resize_table_free(&t);
        return NNGPU_OK;
    }
    cl_mem tab_mem;
    nngpu_status s = ng_cl_meta_upload(c, k, t.tab, t.bytes, &tab_mem);
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
    static const char *names[] = {"resize_nearest", "resize_linear", "resize_cubic"};
    ng_cl_kernel_name(k, n, names[t.mode]);
    return a.status;
}
