/* The Vulkan kernel families, tried in order: the first whose supports()
 * accepts a node runs it. */
#include "vk_internal.h"

extern const ng_vk_family ng_vk_family_conv, ng_vk_family_gemm, ng_vk_family_pool;
extern const ng_vk_family ng_vk_family_eltwise, ng_vk_family_softmax, ng_vk_family_reduce,
    ng_vk_family_data, ng_vk_family_norm, ng_vk_family_convtranspose, ng_vk_family_einsum,
    ng_vk_family_arg, ng_vk_family_cast, ng_vk_family_quant, ng_vk_family_qgemm,
    ng_vk_family_qconv, ng_vk_family_where, ng_vk_family_rnn;

const ng_vk_family *const ng_vk_families[] = {
    &ng_vk_family_conv,    &ng_vk_family_gemm,   &ng_vk_family_pool, &ng_vk_family_eltwise,
    &ng_vk_family_where,
    &ng_vk_family_softmax, &ng_vk_family_reduce, &ng_vk_family_data,
    &ng_vk_family_norm,    &ng_vk_family_convtranspose, &ng_vk_family_einsum,
    &ng_vk_family_arg,     &ng_vk_family_cast, &ng_vk_family_quant, &ng_vk_family_qgemm,
    &ng_vk_family_qconv,   &ng_vk_family_rnn, NULL,
};
