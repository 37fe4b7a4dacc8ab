/* Buffers a layer owns (uploaded constants, metadata) and tensor arguments. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include <stdlib.h>

#include "core/half.h"
#include "vk_device.h"

nngpu_status ng_vk_upload(ng_context *c, ng_kernel *k, const void *data, size_t bytes,
                          ng_buffer **out) {
    if (k->n_owned >= NG_VK_MAX_OWNED)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': more than %d owned buffers",
                        k->node_name, NG_VK_MAX_OWNED);
    ng_buffer *b;
    nngpu_status s = ng_vk_buffer_create(c, bytes, &b);
    if (s != NNGPU_OK) return ng_error_context(s, "node '%s': uploading constants", k->node_name);
    s = ng_vk_transfer(c, b, 0, bytes, (void *)data, 1);
    if (s != NNGPU_OK) {
        ng_vk_buffer_destroy(c, b);
        return ng_error_context(s, "node '%s': uploading constants", k->node_name);
    }
    k->owned[k->n_owned++] = b;
    c->weight_bytes += bytes;
    *out = b;
    return NNGPU_OK;
}

nngpu_status ng_vk_upload_floats(ng_context *c, ng_kernel *k, const float *data, size_t bytes,
                                 ng_buffer **out) {
    if (!c->half) return ng_vk_upload(c, k, data, bytes, out);
    size_t cnt = bytes / sizeof(float);
    uint16_t *h = malloc(cnt ? cnt * sizeof *h : 2);
    if (!h) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    for (size_t i = 0; i < cnt; i++) h[i] = ng_half_from_float(data[i]);
    nngpu_status s = ng_vk_upload(c, k, h, cnt ? cnt * sizeof *h : 2, out);
    free(h);
    return s;
}

size_t ng_vk_tensor_bytes(const ng_context *c, const ng_tensor *t) {
    if (c->half && t->dtype == NNGPU_DTYPE_FLOAT32) return (size_t)ng_numel(t) * 2;
    return ng_nbytes(t);
}

nngpu_status ng_vk_tensor_arg(ng_context *c, ng_kernel *k, const ng_graph *g, int t,
                              const ng_binding *bind, ng_buffer **buf, uint32_t *offset_elems) {
    const ng_tensor *tt = &g->tensors[t];
    if (tt->data) {
        *offset_elems = 0;
        if (tt->dtype == NNGPU_DTYPE_FLOAT32) return ng_vk_upload_floats(c, k, tt->data, ng_nbytes(tt), buf);
        return ng_vk_upload(c, k, tt->data, ng_nbytes(tt), buf);
    }
    if (!bind || !bind[t].buf)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': tensor '%s' has no device storage",
                        k->node_name, tt->name);
    size_t es = c->half && tt->dtype == NNGPU_DTYPE_FLOAT32 ? 2 : nngpu_dtype_size(tt->dtype);
    if (es == 0) es = 4;
    if (bind[t].offset % es)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': tensor '%s' is misaligned", k->node_name,
                        tt->name);
    *buf = bind[t].buf;
    *offset_elems = (uint32_t)(bind[t].offset / es);
    return NNGPU_OK;
}
