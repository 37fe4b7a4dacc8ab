/* The one list of Vulkan kernel op codes, operand index modes and the
 * epilogue's specialization-constant / meta layout. Plain #defines so that
 * GLSL (shaders/vulkan/epilogue.glsl) and C (src/vulkan/vk_epilogue.c,
 * vk_internal.h) include the same text. */
#ifndef NG_VK_EPILOGUE_OPS_H
#define NG_VK_EPILOGUE_OPS_H

/* Op codes. Unary: y = f(x; alpha, beta). Binary (>= NG_VK_OP_ADD): y = f(a, b). */
#define NG_VK_OP_NONE 0
#define NG_VK_OP_IDENTITY 1
#define NG_VK_OP_RELU 2
#define NG_VK_OP_LEAKYRELU 3
#define NG_VK_OP_CLIP 4
#define NG_VK_OP_SIGMOID 5
#define NG_VK_OP_HARDSIGMOID 6
#define NG_VK_OP_HARDSWISH 7
#define NG_VK_OP_TANH 8
#define NG_VK_OP_ELU 9
#define NG_VK_OP_SILU 10
#define NG_VK_OP_ERF 11
#define NG_VK_OP_SQRT 12
#define NG_VK_OP_EXP 13
#define NG_VK_OP_LOG 14
#define NG_VK_OP_NEG 15
#define NG_VK_OP_ABS 16
#define NG_VK_OP_RECIPROCAL 17
#define NG_VK_OP_FLOOR 18
#define NG_VK_OP_CEIL 19
#define NG_VK_OP_SIN 20
#define NG_VK_OP_COS 21
#define NG_VK_OP_SOFTPLUS 22
#define NG_VK_OP_SOFTSIGN 23
#define NG_VK_OP_SELU 24     /* alpha, beta = gamma */
#define NG_VK_OP_MISH 25
#define NG_VK_OP_SIGN 26
#define NG_VK_OP_ROUND 27    /* half to even */
#define NG_VK_OP_GELU 28     /* alpha != 0: the tanh approximation */
#define NG_VK_OP_ADD 32
#define NG_VK_OP_SUB 33
#define NG_VK_OP_MUL 34
#define NG_VK_OP_DIV 35
#define NG_VK_OP_POW 36
#define NG_VK_OP_PRELU 37
#define NG_VK_OP_MAX 38
#define NG_VK_OP_MIN 39

/* How an operand broadcast to the output is indexed from output index i:
 * SAME j = i; SCALAR j = 0; BLOCK j = (i / inner) % count (per-channel,
 * per-row, ...); GENERIC j = sum(coord_k * stride_k) from a meta buffer. */
#define NG_VK_IDX_SAME 0
#define NG_VK_IDX_SCALAR 1
#define NG_VK_IDX_BLOCK 2
#define NG_VK_IDX_GENERIC 3

/* Broadcast meta buffer (ints) for GENERIC operands: the output's rank and
 * dims (padded with 1), then 8 element strides per operand slot (0 on
 * broadcast dims). */
#define NG_VK_META_RANK 0
#define NG_VK_META_DIMS 1
#define NG_VK_META_STRIDES 9
#define NG_VK_META_SIZE(slots) (9 + 8 * (slots))

/* Epilogue specialization constants, relative to the shader's EPI_SPEC_BASE:
 * step count, the index mode of operand slots 0 and 1, then per step
 * op code, operand slot (-1 unary), operand_first, alpha and beta (float bits). */
#define NG_VK_EPI_MAX_STEPS 8
#define NG_VK_EPI_SPEC_N 0
#define NG_VK_EPI_SPEC_MODE0 1
#define NG_VK_EPI_SPEC_MODE1 2
#define NG_VK_EPI_SPEC_STEP(s) (3 + 5 * (s))
#define NG_VK_EPI_SPECS (3 + 5 * NG_VK_EPI_MAX_STEPS)
/* Its bindings, from the shader's EPI_BINDING_BASE: operand 0, operand 1
 * (float buffers), the broadcast meta (ints, NG_VK_META_SIZE(2)). */
#define NG_VK_EPI_BINDINGS 3

#ifdef VULKAN /* GLSL: the epilogue's push-constant fields, which the including
               * shader puts at the end of its push block; C: ng_vk_epi_push. */
#define NG_EPI_PUSH_FIELDS \
    uint epi_off0;         \
    uint epi_off1;         \
    uint epi_inner0;       \
    uint epi_inner1;       \
    uint epi_count0;       \
    uint epi_count1;
#endif

#endif
