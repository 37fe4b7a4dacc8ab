/* Buffers a layer owns (uploaded constants, metadata) and tensor arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/status.h"
#include "vk_device.h"

/* Constants from this size on are shared between the device's contexts
 * (vk_consts.c); smaller ones (biases, metadata) are the layer's own. */
#define SHARE_MIN ((size_t)64 << 10)

/* A buffer of k's own, filled. */
static nngpu_status upload_own(ng_context *c, size_t bytes, void (*fill)(void *, void *),
                               void *arg, ng_buffer **out) {
    ng_buffer *b;
    NG_CHECK(ng_vk_buffer_create(c, bytes, &b));
    nngpu_status s = ng_vk_buffer_fill(c, b, bytes, fill, arg);
    if (s != NNGPU_OK) {
        ng_vk_buffer_destroy(c, b);
        return s;
    }
    *out = b;
    return NNGPU_OK;
}

nngpu_status ng_vk_upload_with(ng_context *c, ng_kernel *k, size_t bytes,
                               void (*fill)(void *arg, void *dst), void *arg,
                               const ng_vk_const_source *from, ng_buffer **out) {
    if (k->n_owned >= NG_VK_MAX_OWNED)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': more than %d owned buffers",
                        k->node_name, NG_VK_MAX_OWNED);
    ng_buffer *b;
    nngpu_status s = NNGPU_ERR_UNSUPPORTED;
    if (from && bytes >= SHARE_MIN)
        s = ng_vk_const_acquire(c, from->src, from->src_bytes, from->recipe, bytes, fill, arg, &b);
    /* unshared, also when sharing failed (e.g. the driver's allocation count):
     * a real shortage fails here too, with this upload's own error */
    if (s != NNGPU_OK) s = upload_own(c, bytes, fill, arg, &b);
    if (s != NNGPU_OK) return ng_error_context(s, "node '%s': uploading constants", k->node_name);
    k->owned[k->n_owned++] = b;
    c->weight_bytes += bytes;
    *out = b;
    return NNGPU_OK;
}

typedef struct copy_arg {
    const void *data;
    size_t bytes;
} copy_arg;

static void copy_fill(void *arg, void *dst) {
    const copy_arg *a = arg;
    memcpy(dst, a->data, a->bytes);
}

static void half_fill(void *arg, void *dst) { /* a->bytes: of float32 */
    const copy_arg *a = arg;
    const float *f = a->data;
    uint16_t *h = dst;
    for (size_t i = 0; i < a->bytes / sizeof(float); i++) h[i] = ng_half_from_float(f[i]);
}

nngpu_status ng_vk_upload(ng_context *c, ng_kernel *k, const void *data, size_t bytes,
                          ng_buffer **out) {
    copy_arg a = {data, bytes};
    ng_vk_const_source from = {data, bytes, "copy"};
    return ng_vk_upload_with(c, k, bytes, copy_fill, &a, &from, out);
}

nngpu_status ng_vk_upload_floats(ng_context *c, ng_kernel *k, const float *data, size_t bytes,
                                 ng_buffer **out) {
    if (!c->half) return ng_vk_upload(c, k, data, bytes, out);
    copy_arg a = {data, bytes};
    ng_vk_const_source from = {data, bytes, "half"};
    size_t cnt = bytes / sizeof(float);
    return ng_vk_upload_with(c, k, cnt ? cnt * sizeof(uint16_t) : 2, half_fill, &a, &from, out);
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
