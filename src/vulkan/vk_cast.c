/* The cast family: Cast between float32 and float16, the boundaries of fp16
 * layers (shaders/vulkan/cast.comp, needs 16-bit storage buffers), and from
 * float32, integer and bool tensors into float32, int32 and int64
 * (shaders/vulkan/convert.comp: attention masks, indices). */
#include "core/status.h"
#include "vk_util.h"

/* Offsets of bindings 0 and 1 (cast.comp: the float32 and float16 sides;
 * convert.comp: output and input), invocations. */
typedef struct cast_push {
    uint32_t off[2], n;
} cast_push;

static int shaped(const ng_tensor *t, nngpu_dtype dt) {
    return t && t->dtype == dt && t->rank >= 0 && ng_numel(t) < ((int64_t)1 << 31);
}

/* 1: float32 -> float16, 0: float16 -> float32, -1: not this family's. */
static int direction(ng_context *c, const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (n->op != NG_OP_CAST || n->n_epi || !c->info.has_fp16_storage || !x || !y) return -1;
    if (shaped(x, NNGPU_DTYPE_FLOAT32) && shaped(y, NNGPU_DTYPE_FLOAT16)) return 1;
    if (shaped(x, NNGPU_DTYPE_FLOAT16) && shaped(y, NNGPU_DTYPE_FLOAT32)) return 0;
    return -1;
}

/* convert.comp's kind of a dtype (-1: none); outputs only the 32/64-bit ones. */
static int kind(nngpu_dtype t, int output) {
    switch (t) {
    case NNGPU_DTYPE_FLOAT32: return 0;
    case NNGPU_DTYPE_INT32: return 1;
    case NNGPU_DTYPE_INT64: return 2;
    case NNGPU_DTYPE_INT8: return output ? -1 : 3;
    case NNGPU_DTYPE_UINT8:
    case NNGPU_DTYPE_BOOL: return output ? -1 : 4;
    default: return -1;
    }
}

/* Whether convert.comp runs node n (float32 tensors stored as float32). */
static int convertible(const ng_context *c, const ng_graph *g, const ng_node *n) {
    if (n->op != NG_OP_CAST || n->n_epi || n->n_in < 1 || n->n_out != 1) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!x || !y || !shaped(x, x->dtype) || kind(x->dtype, 0) < 0 || kind(y->dtype, 1) < 0)
        return 0;
    return !c->half || (x->dtype != NNGPU_DTYPE_FLOAT32 && y->dtype != NNGPU_DTYPE_FLOAT32);
}

static int cast_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    return direction(c, g, n) >= 0 || convertible(c, g, n);
}

static nngpu_status cast_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    int to16 = direction(c, g, n), conv = to16 < 0 && convertible(c, g, n);
    if (to16 < 0 && !conv)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': not a cast this device runs", n->name);
    ng_vk_kernel_name(k, n, conv ? "cast_convert" : to16 ? "cast_f32_f16" : "cast_f16_f32");
    int64_t total = ng_numel(ng_out(g, n, 0));
    if (total == 0) return NNGPU_OK;
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    int wg = ng_vk_wg(c, &p, 64);
    cast_push push = {0};
    ng_buffer *buf[2];
    int t[2] = {n->out[0], n->in[0]};
    if (to16 > 0) { /* float32 input on binding 0 */
        t[0] = n->in[0];
        t[1] = n->out[0];
    }
    for (int i = 0; i < 2; i++) NG_CHECK(ng_vk_tensor_arg(c, k, g, t[i], bind, &buf[i], &push.off[i]));
    /* float casts: four elements per invocation where vec4 / packed-pair indices line up */
    int vec = !conv && total % 4 == 0 && push.off[0] % 4 == 0 && push.off[1] % 4 == 0 ? 4 : 1;
    push.n = (uint32_t)(total / vec);
    int32_t spec[3] = {wg, to16, vec};
    if (conv) {
        spec[1] = kind(ng_in(g, n, 0)->dtype, 0);
        spec[2] = kind(ng_out(g, n, 0)->dtype, 1);
    }
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)push.n, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, conv ? "convert" : "cast", spec, 3, buf, 2, &push, sizeof push,
                                groups));
    int reads[1] = {n->in[0]};
    ng_vk_dispatch_tensors(c, k, g, bind, reads, 1, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_cast = {"cast", cast_supports, cast_prepare};
