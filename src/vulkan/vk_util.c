/* Helpers shared by the eltwise, softmax, reduce and data families. */
#include "vk_util.h"

#include <stdio.h>
#include <string.h>

int ng_vk_bcast_mode(const ng_bcast *b) {
    switch (b->mode) {
    case NG_BCAST_SAME: return NG_VK_IDX_SAME;
    case NG_BCAST_BLOCK: return b->count == 1 ? NG_VK_IDX_SCALAR : NG_VK_IDX_BLOCK;
    default: return NG_VK_IDX_GENERIC;
    }
}

void ng_vk_bcast_meta(int32_t *meta, int rank, const int64_t *dims, const ng_bcast *const *plans,
                      int slots) {
    memset(meta, 0, sizeof(int32_t) * NG_VK_META_SIZE(slots));
    meta[NG_VK_META_RANK] = rank;
    for (int k = 0; k < 8; k++) meta[NG_VK_META_DIMS + k] = k < rank ? (int32_t)dims[k] : 1;
    for (int s = 0; s < slots; s++)
        for (int k = 0; plans[s] && k < rank; k++)
            meta[NG_VK_META_STRIDES + 8 * s + k] = (int32_t)plans[s]->strides[k];
}

int ng_vk_wg(const ng_context *c, const ng_params *p, int def) {
    int wg = ng_params_get(p, "WG", def);
    if (wg < 1 || (wg & (wg - 1))) wg = def;
    while (c->info.max_work_group_size > 0 && (size_t)wg > c->info.max_work_group_size && wg > 1)
        wg >>= 1;
    return wg;
}

void ng_vk_kernel_name(ng_kernel *k, const ng_node *n, const char *base) {
    snprintf(k->name, sizeof k->name, "%s", base);
    ng_vk_epilogue_name(n, k->name, sizeof k->name);
}

int32_t ng_vk_float_bits(float f) {
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}
