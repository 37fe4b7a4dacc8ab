/* Buffers a layer owns (weights, scratch) and kernel arguments. */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "cl_internal.h"
#include "core/half.h"
#include "core/status.h"

static nngpu_status own(ng_kernel *k, cl_mem m, cl_mem *out) {
    if (k->n_owned >= NG_CL_MAX_OWNED) {
        clReleaseMemObject(m);
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': more than %d owned buffers",
                        k->node_name, NG_CL_MAX_OWNED);
    }
    k->owned[k->n_owned++] = m;
    *out = m;
    return NNGPU_OK;
}

nngpu_status ng_cl_upload(ng_context *c, ng_kernel *k, const void *data, size_t bytes,
                          cl_mem *out) {
    cl_int err;
    size_t size = bytes ? bytes : 4; /* zero-sized buffers are invalid */
    cl_mem m = clCreateBuffer(c->ctx, CL_MEM_READ_ONLY, size, NULL, &err);
    if (err != CL_SUCCESS) return ng_cl_check(err, "uploading weights", k->node_name);
    if (bytes) {
        err = clEnqueueWriteBuffer(c->queue, m, CL_TRUE, 0, bytes, data, 0, NULL, NULL);
        if (err != CL_SUCCESS) {
            clReleaseMemObject(m);
            return ng_cl_check(err, "uploading weights", k->node_name);
        }
    }
    c->weight_bytes += bytes;
    return own(k, m, out);
}

nngpu_status ng_cl_upload_floats(ng_context *c, ng_kernel *k, const float *data, size_t bytes,
                                 cl_mem *out) {
    if (!c->half) return ng_cl_upload(c, k, data, bytes, out);
    size_t cnt = bytes / sizeof(float);
    uint16_t *h = malloc(cnt ? cnt * sizeof *h : 2);
    if (!h) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    for (size_t i = 0; i < cnt; i++) h[i] = ng_half_from_float(data[i]);
    nngpu_status s = ng_cl_upload(c, k, h, cnt * sizeof *h, out);
    free(h);
    return s;
}

nngpu_status ng_cl_alloc_owned(ng_context *c, ng_kernel *k, size_t bytes, cl_mem *out) {
    cl_int err;
    cl_mem m = clCreateBuffer(c->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
    if (err != CL_SUCCESS) return ng_cl_check(err, "allocating scratch", k->node_name);
    return own(k, m, out);
}

nngpu_status ng_cl_set_arg(cl_kernel kern, cl_uint index, size_t size, const void *value,
                           const char *node_name) {
    cl_int err = clSetKernelArg(kern, index, size, value);
    if (err == CL_SUCCESS) return NNGPU_OK;
    char what[64];
    snprintf(what, sizeof what, "setting kernel argument %u", (unsigned)index);
    return ng_cl_check(err, what, node_name);
}

nngpu_status ng_cl_tensor_arg(ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                              const ng_binding *bind, cl_mem *mem, cl_int *offset_elems) {
    const ng_tensor *tt = &g->tensors[t];
    if (tt->data) {
        *offset_elems = 0;
        if (tt->dtype == NNGPU_DTYPE_FLOAT32)
            return ng_cl_upload_floats(c, k, tt->data, ng_nbytes(tt), mem);
        return ng_cl_upload(c, k, tt->data, ng_nbytes(tt), mem);
    }
    if (!bind || !bind[t].buf)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': tensor '%s' has no device storage",
                        k->node_name, tt->name);
    size_t es = c->half && tt->dtype == NNGPU_DTYPE_FLOAT32 ? 2 : nngpu_dtype_size(tt->dtype);
    if (es == 0) es = 4;
    *mem = bind[t].buf->mem;
    *offset_elems = (cl_int)(bind[t].offset / es);
    return NNGPU_OK;
}
