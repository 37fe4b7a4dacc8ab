/* Helpers shared by the eltwise, softmax, reduce and data families. */
#include "cl_util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "runtime/broadcast.h"

_Static_assert((int)NG_BCAST_SAME == (int)NG_IDX_SAME && (int)NG_BCAST_BLOCK == (int)NG_IDX_BLOCK &&
                   (int)NG_BCAST_GENERIC == (int)NG_IDX_GENERIC,
               "ng_bcast_mode doubles as the OpenCL index mode");

void ng_cl_bcast_desc_of(const ng_bcast *b, int ro, cl_int *desc) {
    memset(desc, 0, sizeof(cl_int) * NG_META_OPND_SIZE);
    desc[0] = (cl_int)b->mode;
    desc[1] = (cl_int)b->inner;
    desc[2] = (cl_int)b->count;
    for (int k = 0; k < ro; k++) desc[4 + k] = (cl_int)b->strides[k];
}

int ng_cl_bcast_desc(int ro, const int64_t *od, int r, const int64_t *d, cl_int *desc) {
    memset(desc, 0, sizeof(cl_int) * NG_META_OPND_SIZE);
    ng_bcast b;
    if (!ng_bcast_plan(ro, od, r, d, &b)) return 0;
    ng_cl_bcast_desc_of(&b, ro, desc);
    return 1;
}

void ng_cl_meta_dims(cl_int *meta, int rank, const int64_t *dims) {
    meta[NG_META_RANK] = rank;
    for (int k = 0; k < NNGPU_MAX_DIMS; k++) meta[NG_META_DIMS + k] = k < rank ? (cl_int)dims[k] : 1;
}

nngpu_status ng_cl_meta_upload(ng_context *c, ng_kernel *k, const void *data, size_t bytes,
                               cl_mem *out) {
    if (k->n_owned >= NG_CL_MAX_OWNED)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': more than %d owned buffers", k->node_name,
                        NG_CL_MAX_OWNED);
    cl_int err;
    cl_mem m = clCreateBuffer(c->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                              (void *)data, &err);
    if (err != CL_SUCCESS) return ng_cl_check(err, "uploading kernel metadata", k->node_name);
    k->owned[k->n_owned++] = m;
    *out = m;
    return NNGPU_OK;
}

void ng_cl_args_begin(ng_cl_args *a, cl_kernel kern, const char *node) {
    a->kern = kern;
    a->next = 0;
    a->node = node;
    a->status = NNGPU_OK;
}

void ng_cl_arg(ng_cl_args *a, size_t size, const void *value) {
    if (a->status == NNGPU_OK) a->status = ng_cl_set_arg(a->kern, a->next, size, value, a->node);
    a->next++;
}

void ng_cl_arg_int(ng_cl_args *a, int64_t v) {
    cl_int x = (cl_int)v;
    ng_cl_arg(a, sizeof x, &x);
}

void ng_cl_arg_float(ng_cl_args *a, float v) {
    cl_float x = v;
    ng_cl_arg(a, sizeof x, &x);
}

void ng_cl_arg_mem(ng_cl_args *a, cl_mem m) { ng_cl_arg(a, sizeof m, &m); }

void ng_cl_arg_tensor_at(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                         const ng_binding *bind, int64_t extra) {
    cl_mem m = NULL;
    cl_int off = 0;
    if (a->status == NNGPU_OK) a->status = ng_cl_tensor_arg(c, k, g, t, bind, &m, &off);
    off += (cl_int)extra;
    ng_cl_arg_mem(a, m);
    ng_cl_arg(a, sizeof off, &off);
}

void ng_cl_arg_tensor(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                      const ng_binding *bind) {
    ng_cl_arg_tensor_at(a, c, k, g, t, bind, 0);
}

void ng_cl_arg_int8(ng_cl_args *a, const int64_t *v, int n) {
    cl_int8 x;
    for (int i = 0; i < 8; i++) x.s[i] = i < n ? (cl_int)v[i] : 1;
    ng_cl_arg(a, sizeof x, &x);
}

void ng_cl_arg_float8(ng_cl_args *a, const float *v, int n) {
    cl_float8 x;
    for (int i = 0; i < 8; i++) x.s[i] = i < n ? v[i] : 1.0f;
    ng_cl_arg(a, sizeof x, &x);
}

void ng_cl_arg_epilogue(ng_cl_args *a, ng_context *c, ng_kernel *k, const ng_graph *g,
                        const ng_node *n, const ng_binding *bind) {
    if (!n || n->n_epi == 0) { /* compiled out (-DNG_EPI=0): NULL buffers */
        ng_cl_arg_mem(a, NULL);
        ng_cl_arg_mem(a, NULL);
        ng_cl_arg_int(a, 0);
        ng_cl_arg_mem(a, NULL);
        ng_cl_arg_int(a, 0);
        return;
    }
    if (a->status == NNGPU_OK) a->status = ng_cl_epilogue_args(c, k, g, n, bind, a->kern, a->next);
    a->next += 5;
}

nngpu_status ng_cl_launch_add(ng_context *c, ng_kernel *k, const char *file, const char *name,
                              const char *options, size_t global, size_t local,
                              cl_kernel *out) {
    if (k->n_launches >= NG_CL_MAX_LAUNCHES)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': needs more than %d launches",
                        k->node_name, NG_CL_MAX_LAUNCHES);
    cl_kernel kern;
    NG_CHECK(ng_cl_kernel_create(c, file, name, options, &kern));
    ng_cl_launch *l = &k->launch[k->n_launches++];
    memset(l, 0, sizeof *l);
    l->kernel = kern;
    l->dims = 1;
    if (global == 0) global = 1;
    if (local > 0) {
        global = (global + local - 1) / local * local;
        l->local[0] = local;
        l->use_local = 1;
    }
    l->global[0] = global;
    *out = kern;
    return NNGPU_OK;
}

void ng_cl_kernel_name(ng_kernel *k, const ng_node *n, const char *base) {
    snprintf(k->name, sizeof k->name, "%s", base);
    ng_cl_epilogue_name(n, k->name, sizeof k->name);
}

int ng_cl_row_interior(int w, int pl, int k, int s, int ow) {
    if (w + pl < k) return 0;
    int il = (pl + s - 1) / s, ir = (w + pl - k) / s + 1;
    if (ir > ow) ir = ow;
    return ir > il ? ir - il : 0;
}

int ng_cl_row_vec(int interior) {
    return interior >= 16 ? 16 : interior >= 8 ? 8 : interior >= 4 ? 4 : 0;
}

void ng_cl_launch_plane_rows(const ng_context *c, ng_cl_launch *l, int oh, int rows, size_t planes) {
    l->dims = 3;
    l->global[0] = 1;
    l->global[1] = (size_t)(oh + rows - 1) / (size_t)rows;
    l->global[2] = planes;
    l->local[0] = 1;
    l->local[1] = l->global[1];
    l->local[2] = 1;
    l->use_local = l->local[1] <= c->info.max_work_group_size;
}
