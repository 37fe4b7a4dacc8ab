/* Helpers shared by the Vulkan eltwise, softmax, reduce and data families:
 * tensor checks, strides, broadcast plans, group counts, work-group sizes
 * and kernel names. */
#ifndef NG_VK_UTIL_H
#define NG_VK_UTIL_H

#include "runtime/broadcast.h"
#include "runtime/lower_util.h"
#include "vk_internal.h"

/* The backend-neutral shape helpers (runtime/lower_util.h) under the names
 * the Vulkan families use. */
static inline int ng_vk_float_tensor_ok(const ng_tensor *t) { return ng_lower_f32_ok(t); }
static inline void ng_vk_strides(int rank, const int64_t *dims, int64_t *strides) {
    ng_lower_strides(rank, dims, strides);
}
static inline int ng_vk_collapse(int rank, int64_t *dims, int64_t *xs, int64_t *ys) {
    return ng_lower_collapse(rank, dims, xs, ys);
}

/* The NG_VK_IDX_* mode of a broadcast plan (BLOCK with count 1 -> SCALAR). */
int ng_vk_bcast_mode(const ng_bcast *b);

/* Writes the output rank/dims and, for `slots` plans (NULL: skipped), their
 * strides into an int meta array of NG_VK_META_SIZE(slots). */
void ng_vk_bcast_meta(int32_t *meta, int rank, const int64_t *dims, const ng_bcast *const *plans,
                      int slots);

/* The work-group size: parameter "WG" of p (default def), a power of two
 * within the device limit. */
int ng_vk_wg(const ng_context *c, const ng_params *p, int def);

/* k->name = base + "+relu"-style suffix from the node's epilogue. */
void ng_vk_kernel_name(ng_kernel *k, const ng_node *n, const char *base);

/* The shader op code of an elementwise ng_op (NG_VK_OP_NONE when none);
 * 1 for binary codes. */
int ng_vk_opcode_of(ng_op op);
int ng_vk_opcode_is_binary(int code);

/* Appends the distinct epilogue operand tensors of n to reads; returns the
 * count (<= 2 for supported epilogues). */
int ng_vk_epilogue_reads(const ng_node *n, int *reads);

/* Float bits of f, for float specialization constants. */
int32_t ng_vk_float_bits(float f);

#endif
