/* QuantizeLinear (float -> int8/uint8/int4/uint4) and DequantizeLinear
 * (those and int32 -> float) on shaders/vulkan/quant.comp, with the scales and zero points of
 * the shared plan (ng_qconvert_of) uploaded once. */
#include <limits.h>
#include <stdio.h>

#include "core/status.h"
#include "vk_quant.h"

enum { SPEC_WG, SPEC_QUANTIZE, SPEC_SIGNED, SPEC_X_INT32, SPEC_BITS, SPEC_PER_TENSOR, N_SPEC };

typedef struct quant_push {
    int32_t n, x_off, y_off, axis_len, inner, block, total;
} quant_push;

static int is_8bit(nngpu_dtype t) { return t == NNGPU_DTYPE_INT8 || t == NNGPU_DTYPE_UINT8; }
static int is_4bit(nngpu_dtype t) { return t == NNGPU_DTYPE_INT4 || t == NNGPU_DTYPE_UINT4; }
static int is_packed(nngpu_dtype t) { return is_8bit(t) || is_4bit(t); }

static int convert_ok(const ng_node *n, const ng_qconvert *q) {
    if (n->n_epi || q->n > INT_MAX - 8 || q->block < 1 || q->n_scales < 1 || q->inner < 1 ||
        q->axis_len < 1)
        return 0;
    if (q->quantize) return q->x_dtype == NNGPU_DTYPE_FLOAT32 && is_packed(q->y_dtype);
    return q->y_dtype == NNGPU_DTYPE_FLOAT32 &&
           (is_packed(q->x_dtype) || q->x_dtype == NNGPU_DTYPE_INT32);
}

static int quant_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (c->half) return 0; /* no float16 variants: fp16 layers go elsewhere */
    if (n->op != NG_OP_QUANTIZELINEAR && n->op != NG_OP_DEQUANTIZELINEAR) return 0;
    ng_qconvert q;
    if (!ng_qconvert_of(g, n, &q)) return 0;
    int ok = convert_ok(n, &q);
    ng_qconvert_free(&q);
    return ok;
}

static nngpu_status convert_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k, const ng_qconvert *q) {
    ng_vk_kernel_name(k, n, q->quantize ? "quantize_linear" : "dequantize_linear");
    if (q->n == 0) return NNGPU_OK;
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    int wg = ng_vk_wg(c, &p, 64);
    quant_push push = {0};
    ng_buffer *buf[4];
    uint32_t off;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[0], &off));
    push.x_off = (int32_t)off;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[1], &off));
    push.y_off = (int32_t)off;
    NG_CHECK(ng_vk_upload(c, k, q->scale, sizeof(float) * (size_t)q->n_scales, &buf[2]));
    NG_CHECK(ng_vk_upload(c, k, q->zp, sizeof(int32_t) * (size_t)q->n_scales, &buf[3]));
    push.n = (int32_t)q->n;
    push.axis_len = (int32_t)q->axis_len;
    push.inner = (int32_t)q->inner;
    push.block = q->block;
    nngpu_dtype tq = q->quantize ? q->y_dtype : q->x_dtype;
    int bits = is_4bit(tq) ? 4 : 8, epw = 32 / bits;
    /* quantize: the words y spans (offsets count bytes); dequantize: 4 elements each */
    int64_t y0 = (int64_t)push.y_off * (8 / bits);
    int64_t total = q->quantize ? (y0 + q->n + epw - 1) / epw - y0 / epw : (q->n + 3) / 4;
    push.total = (int32_t)total;
    int32_t spec[N_SPEC] = {wg, q->quantize, tq == NNGPU_DTYPE_INT8 || tq == NNGPU_DTYPE_INT4,
                            tq == NNGPU_DTYPE_INT32, bits, q->n_scales == 1};
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "quant", spec, N_SPEC, buf, 4, &push, sizeof push, groups));
    int reads[1] = {n->in[0]};
    ng_vk_dispatch_tensors(c, k, g, bind, reads, 1, n->out[0]);
    return NNGPU_OK;
}

static nngpu_status quant_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    ng_qconvert q;
    if (!ng_qconvert_of(g, n, &q))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s not supported by vulkan", k->node_name,
                        ng_op_name(n->op));
    nngpu_status st = convert_ok(n, &q) ? convert_prepare(c, g, n, bind, k, &q)
                                        : ng_error(NNGPU_ERR_UNSUPPORTED,
                                                   "node '%s': %s not supported by vulkan",
                                                   k->node_name, ng_op_name(n->op));
    ng_qconvert_free(&q);
    return st;
}

const ng_vk_family ng_vk_family_quant = {"quant", quant_supports, quant_prepare};
