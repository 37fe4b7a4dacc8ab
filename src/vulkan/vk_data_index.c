/* The data family's indexed ops: Gather, GatherElements, Pad (constant / reflect / edge /
 * wrap) and Resize / Upsample from the shared tap tables
 * (src/runtime/resize_table.c). */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "graph/infer.h"
#include "runtime/lower_gather.h"
#include "runtime/resize_table.h"
#include "vk_data.h"

/* ---- Gather, GatherElements ------------------------------------------------ */

/* Binds the indices of n as the shader reads them: constants checked,
 * normalized and uploaded as int32; runtime ones in place (offset in int
 * words, IDX64 for int64, read for hazard tracking). */
static nngpu_status indices_arg(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k, int64_t len,
                                ng_vk_data_call *d) {
    const ng_tensor *idx = ng_in(g, n, 1);
    if (!idx->data) {
        int words = ng_gather_index_words(g, n);
        NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[1], bind, &d->idx, &d->push.idx_off));
        d->push.idx_off *= (uint32_t)words;
        d->idx64 = words == 2;
        d->read_idx = n->in[1] + 1;
        return NNGPU_OK;
    }
    int32_t *ids;
    NG_CHECK(ng_gather_indices(g, n, len, &ids));
    nngpu_status s = ng_vk_upload(c, k, ids, sizeof(int32_t) * (size_t)ng_numel(idx), &d->idx);
    free(ids);
    return s;
}

int ng_vk_gather_supports(const ng_graph *g, const ng_node *n) {
    if (n->op == NG_OP_GATHERELEMENTS)
        return ng_gather_elements_supported(g, n) && ng_vk_epilogue_supported(g, n);
    return ng_gather_supported(g, n) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status gather_elements_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                            const ng_binding *bind, ng_kernel *k) {
    ng_gather_elements_view v;
    NG_CHECK(ng_gather_elements_plan(g, n, &v));
    ng_vk_kernel_name(k, n, "gather_elements");
    if (v.n_idx == 0) return NNGPU_OK;
    int32_t meta[24] = {0}; /* output dims, x strides (0 along the axis) */
    for (int j = 0; j < v.rank; j++) {
        meta[j] = (int32_t)v.dims[j];
        meta[8 + j] = (int32_t)v.xs[j];
    }
    ng_vk_data_call d;
    memset(&d, 0, sizeof d);
    d.kind = NG_VK_DATA_GATHER_ELEMENTS;
    d.read = n->in[0];
    d.write = n->out[0];
    d.items = v.n_idx;
    d.push.rank = (uint32_t)v.rank;
    d.push.axis_len = (uint32_t)v.len;
    d.push.inner = (uint32_t)v.axis_stride;
    NG_CHECK(indices_arg(c, g, n, bind, k, v.len, &d));
    NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &d.meta));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &d.y, &d.push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &d.x, &d.push.x_off));
    return ng_vk_data_dispatch(c, k, g, bind, n, &d);
}

nngpu_status ng_vk_gather_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_GATHERELEMENTS) return gather_elements_prepare(c, g, n, bind, k);
    const ng_tensor *y = ng_out(g, n, 0);
    ng_gather_view v;
    NG_CHECK(ng_gather_plan(g, n, &v));
    ng_vk_kernel_name(k, n, "gather");
    if (ng_numel(y) == 0) return NNGPU_OK;
    ng_vk_data_call d;
    memset(&d, 0, sizeof d);
    d.kind = NG_VK_DATA_GATHER;
    d.read = n->in[0];
    d.write = n->out[0];
    NG_CHECK(indices_arg(c, g, n, bind, k, v.len, &d));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &d.y, &d.push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &d.x, &d.push.x_off));
    d.items = ng_numel(y);
    d.push.n_idx = (uint32_t)v.n_idx;
    d.push.axis_len = (uint32_t)v.len;
    d.push.inner = (uint32_t)v.inner;
    return ng_vk_data_dispatch(c, k, g, bind, n, &d);
}

/* ---- Pad ---------------------------------------------------------------------- */

static int pad_mode_of(const ng_node *n) {
    static const char *const modes[] = {"constant", "reflect", "edge", "wrap"};
    const char *m = ng_attr_string(n, "mode", "constant");
    for (int j = 0; j < 4; j++)
        if (strcmp(m, modes[j]) == 0) return j;
    return -1;
}

int ng_vk_pad_supports(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t pb[NNGPU_MAX_DIMS], pe[NNGPU_MAX_DIMS];
    double value;
    return ng_vk_float_tensor_ok(x) && ng_vk_float_tensor_ok(y) && x->rank == y->rank &&
           pad_mode_of(n) >= 0 && ng_infer_pad(g, n, pb, pe, &value) == NNGPU_OK &&
           ng_vk_epilogue_supported(g, n);
}

nngpu_status ng_vk_pad_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t pb[NNGPU_MAX_DIMS], pe[NNGPU_MAX_DIMS];
    double value;
    int mode = pad_mode_of(n);
    NG_CHECK(ng_infer_pad(g, n, pb, pe, &value));
    if (mode < 0)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Pad mode '%s' not supported", n->name,
                        ng_attr_string(n, "mode", "constant"));
    static const char *names[] = {"pad_constant", "pad_reflect", "pad_edge", "pad_wrap"};
    ng_vk_kernel_name(k, n, names[mode]);
    if (ng_numel(y) == 0) return NNGPU_OK;
    int32_t meta[24] = {0}; /* output dims, input dims, leading pads */
    for (int j = 0; j < x->rank; j++) {
        meta[j] = (int32_t)y->dims[j];
        meta[8 + j] = (int32_t)x->dims[j];
        meta[16 + j] = (int32_t)pb[j];
    }
    ng_vk_data_call d;
    memset(&d, 0, sizeof d);
    d.kind = NG_VK_DATA_PAD;
    d.pad_mode = mode;
    d.read = n->in[0];
    d.write = n->out[0];
    d.items = ng_numel(y);
    d.push.rank = (uint32_t)x->rank;
    d.push.value = (float)value;
    NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &d.meta));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &d.y, &d.push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &d.x, &d.push.x_off));
    return ng_vk_data_dispatch(c, k, g, bind, n, &d);
}

/* ---- Resize / Upsample ------------------------------------------------------------ */

int ng_vk_resize_supports(const ng_graph *g, const ng_node *n) {
    return ng_resize_supported(g, n) && ng_vk_epilogue_supported(g, n);
}

nngpu_status ng_vk_resize_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    ng_resize_table t;
    NG_CHECK(ng_resize_table_build(g, n, &t));
    static const char *names[] = {"resize_nearest", "resize_linear", "resize_cubic"};
    ng_vk_kernel_name(k, n, names[t.mode]);
    ng_vk_data_call d;
    memset(&d, 0, sizeof d);
    int planar = 0;
    nngpu_status s = ng_resize_table_planar(g, n, &t, &planar);
    if (s == NNGPU_OK && ng_numel(y) > 0) s = ng_vk_upload(c, k, t.tab, t.bytes, &d.idx);
    ng_resize_table_free(&t);
    NG_CHECK(s);
    if (ng_numel(y) == 0) return NNGPU_OK;
    int32_t meta[24] = {0}; /* output dims, input dims, table offsets */
    for (int j = 0; j < x->rank; j++) {
        meta[j] = (int32_t)y->dims[j];
        meta[8 + j] = (int32_t)x->dims[j];
        meta[16 + j] = (int32_t)t.toff[j];
    }
    d.kind = planar ? NG_VK_DATA_RESIZE_PLANE : NG_VK_DATA_RESIZE;
    d.taps = t.taps;
    d.read = n->in[0];
    d.write = n->out[0];
    d.items = ng_numel(y);
    d.push.rank = (uint32_t)x->rank;
    NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &d.meta));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &d.y, &d.push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &d.x, &d.push.x_off));
    return ng_vk_data_dispatch(c, k, g, bind, n, &d);
}
