/* The where family: Where(cond, x, y) with NumPy broadcasting
 * (shaders/vulkan/where.comp); which nodes and their plans come from
 * src/runtime/lower_eltwise.c. */
#include "core/status.h"
#include "runtime/lower_eltwise.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_MODE_C, N_SPEC = SPEC_MODE_C + 3, N_BUFFERS = 5 };

typedef struct where_push {
    uint32_t y_off, off[3], n;
    uint32_t inner_count[3][2]; /* c, x, y: BLOCK mode's inner and count */
} where_push;

static int where_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_where_supported(g, n);
}

static nngpu_status where_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    ng_bcast bc[3];
    NG_CHECK(ng_where_plan(g, n, bc));
    int64_t total = ng_numel(y);
    ng_vk_kernel_name(k, n, "where");
    if (total == 0) return NNGPU_OK;
    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    int32_t spec[N_SPEC] = {ng_vk_wg(c, &p, 64)};
    where_push push = {0};
    ng_buffer *buf[N_BUFFERS];
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    int generic = 0;
    for (int j = 0; j < 3; j++) {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[j], bind, &buf[1 + j], &push.off[j]));
        spec[SPEC_MODE_C + j] = ng_vk_bcast_mode(&bc[j]);
        generic |= spec[SPEC_MODE_C + j] == NG_VK_IDX_GENERIC;
        push.inner_count[j][0] = (uint32_t)(bc[j].inner > 0 ? bc[j].inner : 1);
        push.inner_count[j][1] = (uint32_t)(bc[j].count > 0 ? bc[j].count : 1);
    }
    push.n = (uint32_t)total;
    buf[4] = buf[0];
    if (generic) {
        int32_t meta[NG_VK_META_SIZE(3)];
        const ng_bcast *plans[3] = {&bc[0], &bc[1], &bc[2]};
        ng_vk_bcast_meta(meta, y->rank, y->dims, plans, 3);
        NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &buf[4]));
    }
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)spec[SPEC_WG], groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "where", spec, N_SPEC, buf, N_BUFFERS, &push, sizeof push,
                                groups));
    ng_vk_dispatch_tensors(c, k, g, bind, n->in, 3, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_where = {"where", where_supports, where_prepare};
