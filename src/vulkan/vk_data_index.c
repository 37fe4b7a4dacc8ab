/* The data family's indexed ops: Gather, Pad (constant / reflect / edge /
 * wrap) and Resize / Upsample from the shared tap tables
 * (src/runtime/resize_table.c). */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "graph/infer.h"
#include "runtime/resize_table.h"
#include "vk_data.h"

/* ---- Gather ---------------------------------------------------------------- */

int ng_vk_gather_supports(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!ng_vk_float_tensor_ok(x) || !ng_vk_float_tensor_ok(y) || !idx || x->rank < 1) return 0;
    if (ng_axis(ng_attr_int(n, "axis", 0), x->rank) < 0) return 0;
    if (idx->dtype != NNGPU_DTYPE_INT32 && !(idx->dtype == NNGPU_DTYPE_INT64 && idx->data))
        return 0;
    return ng_vk_epilogue_supported(g, n);
}

nngpu_status ng_vk_gather_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0), *idx = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    int axis = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    int64_t outer = 1, inner = 1, len = x->dims[axis], n_idx = ng_numel(idx);
    for (int j = 0; j < axis; j++) outer *= x->dims[j];
    for (int j = axis + 1; j < x->rank; j++) inner *= x->dims[j];
    if (outer * n_idx * inner != ng_numel(y))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': Gather output '%s' has the wrong size",
                        n->name, y->name);
    ng_vk_kernel_name(k, n, "gather");
    if (ng_numel(y) == 0) return NNGPU_OK;
    ng_vk_data_call d;
    memset(&d, 0, sizeof d);
    d.kind = NG_VK_DATA_GATHER;
    d.read = n->in[0];
    d.write = n->out[0];
    if (idx->data) { /* constant indices: checked, normalized, uploaded as int32 */
        int32_t *v = malloc(sizeof(int32_t) * (size_t)n_idx);
        if (!v) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", n->name);
        for (int64_t j = 0; j < n_idx; j++) {
            int64_t id = ng_const_int(idx, j);
            if (id < 0) id += len;
            if (id < 0 || id >= len) {
                free(v);
                return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': index %lld of '%s' is out of range",
                                n->name, (long long)ng_const_int(idx, j), idx->name);
            }
            v[j] = (int32_t)id;
        }
        nngpu_status s = ng_vk_upload(c, k, v, sizeof(int32_t) * (size_t)n_idx, &d.idx);
        free(v);
        NG_CHECK(s);
    } else {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[1], bind, &d.idx, &d.push.idx_off));
    }
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &d.y, &d.push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &d.x, &d.push.x_off));
    d.items = ng_numel(y);
    d.push.n_idx = (uint32_t)n_idx;
    d.push.axis_len = (uint32_t)len;
    d.push.inner = (uint32_t)inner;
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
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    return ng_vk_float_tensor_ok(x) && ng_vk_float_tensor_ok(y) && x->rank == y->rank &&
           ng_numel(x) > 0 && ng_resize_supported(g, n) && ng_vk_epilogue_supported(g, n);
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
    nngpu_status s = NNGPU_OK;
    if (ng_numel(y) > 0) s = ng_vk_upload(c, k, t.tab, t.bytes, &d.idx);
    ng_resize_table_free(&t);
    NG_CHECK(s);
    if (ng_numel(y) == 0) return NNGPU_OK;
    int32_t meta[24] = {0}; /* output dims, input dims, table offsets */
    for (int j = 0; j < x->rank; j++) {
        meta[j] = (int32_t)y->dims[j];
        meta[8 + j] = (int32_t)x->dims[j];
        meta[16 + j] = (int32_t)t.toff[j];
    }
    d.kind = NG_VK_DATA_RESIZE;
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
