/* The unary/binary math of every elementwise op and the fused-epilogue
 * applier ng_epilogue(y, i), shared by the kernel families (GLSL 450).
 *
 * The including shader, before including this file, includes
 * "epilogue_ops.h", declares its push-constant block as `p` ending with
 * NG_EPI_PUSH_FIELDS, and defines
 *   EPI_SPEC_BASE     first constant_id of the epilogue's NG_VK_EPI_SPECS constants
 *   EPI_BINDING_BASE  first of its NG_VK_EPI_BINDINGS bindings.
 * Without EPI_SPEC_BASE only the math is defined. The host fills the
 * constants, bindings and push fields with ng_vk_epilogue_args. Every op
 * code, operand slot and mode is a specialization constant, so the steps fold
 * to straight-line code when the pipeline is created. The epilogue computes
 * in NG_REAL (storage.glsl): with NG_F16_MATH, float16_t, where ng_unary and
 * ng_binary have half overloads for the ops that are a few instructions
 * (ReLU, Clip, HardSwish, Add, Mul, ...) and evaluate the others in float. */
#ifndef NG_EPILOGUE_GLSL
#define NG_EPILOGUE_GLSL

#extension GL_EXT_control_flow_attributes : require

#include "epilogue_ops.h"
#include "storage.glsl"

#define NG_INF uintBitsToFloat(0x7f800000u)
#define NG_NAN uintBitsToFloat(0x7fc00000u)

/* erfc(z) for z >= 0 with relative error < 1.2e-7 (Numerical Recipes'
 * erfcc): the tails stay accurate, unlike 1 - erf. */
float ng_erfc_pos(float z) {
    float t = 1.0 / (1.0 + 0.5 * z);
    float p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
              t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
              t * (-0.82215223 + t * 0.17087277))))))));
    return t * exp(-z * z + p);
}

float ng_erf(float x) {
    float z = abs(x), r;
    if (z < 0.5) { /* Maclaurin series: relative error < 4e-7 here */
        float z2 = z * z;
        r = 1.1283791670955126 * z *
            (1.0 + z2 * (-1.0 / 3.0 + z2 * (0.1 + z2 * (-1.0 / 42.0 + z2 * (1.0 / 216.0)))));
    } else {
        r = 1.0 - ng_erfc_pos(z);
    }
    return x < 0.0 ? -r : r;
}

float ng_pow(float a, float b) { /* powf semantics for negative bases and zero */
    if (b == 0.0) return 1.0;
    if (a == 0.0) return b > 0.0 ? 0.0 : NG_INF;
    float r = exp2(b * log2(abs(a)));
    if (a < 0.0) {
        if (floor(b) != b) return NG_NAN;
        if (mod(b, 2.0) != 0.0) r = -r;
    }
    return r;
}

/* log(1 + e) for e in (0, 1]: the series where 1 + e would round e away */
float ng_log1p_small(float e) { return e < 0.01 ? e * (1.0 - e * (0.5 - e * (1.0 / 3.0))) : log(1.0 + e); }

float ng_softplus(float x) { return max(x, 0.0) + ng_log1p_small(exp(-abs(x))); }

/* tanh with the series near 0: llvmpipe's tanh errs by ~7e-8 absolute, so
 * 2e-3 relative at 1e-5 and 0.4 at 1e-7 (HiFiGAN's tiny outputs). Under
 * 1/16 the terms kept err by under 17 x^6 / 315 < 4e-9. */
float ng_tanh(float x) {
    if (abs(x) < 0.0625) {
        float x2 = x * x;
        return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0)));
    }
    return tanh(clamp(x, -15.0, 15.0));
}

float ng_unary(int op, float x, float a, float b) {
    switch (op) {
    case NG_VK_OP_RELU: return max(x, 0.0);
    case NG_VK_OP_LEAKYRELU: return x < 0.0 ? a * x : x;
    case NG_VK_OP_CLIP: return min(max(x, a), b);
    case NG_VK_OP_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case NG_VK_OP_HARDSIGMOID: return clamp(a * x + b, 0.0, 1.0);
    case NG_VK_OP_HARDSWISH: return x * clamp(x * (1.0 / 6.0) + 0.5, 0.0, 1.0);
    case NG_VK_OP_TANH: return ng_tanh(x);
    case NG_VK_OP_ELU: return x < 0.0 ? a * (exp(x) - 1.0) : x;
    case NG_VK_OP_SILU: return x / (1.0 + exp(-x));
    case NG_VK_OP_ERF: return ng_erf(x);
    case NG_VK_OP_SQRT: return sqrt(x);
    case NG_VK_OP_EXP: return exp(x);
    case NG_VK_OP_LOG: return log(x);
    case NG_VK_OP_NEG: return -x;
    case NG_VK_OP_ABS: return abs(x);
    case NG_VK_OP_RECIPROCAL: return 1.0 / x;
    case NG_VK_OP_FLOOR: return floor(x);
    case NG_VK_OP_CEIL: return ceil(x);
    case NG_VK_OP_SIN: return sin(x);
    case NG_VK_OP_COS: return cos(x);
    case NG_VK_OP_SOFTPLUS: return ng_softplus(x);
    case NG_VK_OP_SOFTSIGN: return x / (1.0 + abs(x));
    case NG_VK_OP_SELU: return x > 0.0 ? b * x : b * a * (exp(x) - 1.0);
    case NG_VK_OP_MISH: return x * ng_tanh(min(ng_softplus(x), 15.0));
    case NG_VK_OP_SIGN: return x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x;
    case NG_VK_OP_ROUND: return roundEven(x);
    case NG_VK_OP_GELU:
        if (a != 0.0) {
            float u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
            return 0.5 * x * (1.0 + tanh(clamp(u, -15.0, 15.0)));
        }
        /* 1 + erf(u) = erfc(-u): for x < 0 the tail without cancellation */
        return x < 0.0 ? 0.5 * x * ng_erfc_pos(-x * 0.7071067811865476)
                       : 0.5 * x * (1.0 + ng_erf(x * 0.7071067811865476));
    default: return x;
    }
}

/* ng_binary for float and (NG_F16_MATH) float16_t arguments. */
#define NG_DEFINE_BINARY(T)                                                                   \
    T ng_binary(int op, T a, T b) {                                                           \
        switch (op) {                                                                         \
        case NG_VK_OP_ADD: return a + b;                                                      \
        case NG_VK_OP_SUB: return a - b;                                                      \
        case NG_VK_OP_MUL: return a * b;                                                      \
        case NG_VK_OP_DIV: return a / b;                                                      \
        case NG_VK_OP_POW: return T(ng_pow(float(a), float(b)));                              \
        case NG_VK_OP_PRELU: return a < T(0.0) ? a * b : a;                                   \
        case NG_VK_OP_MAX: return max(a, b);                                                  \
        case NG_VK_OP_MIN: return min(a, b);                                                  \
        default: return a;                                                                    \
        }                                                                                     \
    }
NG_DEFINE_BINARY(float)

#ifdef NG_F16_MATH
float16_t ng_unary(int op, float16_t x, float a, float b) {
    const float16_t z = float16_t(0.0), one = float16_t(1.0);
    switch (op) {
    case NG_VK_OP_RELU: return max(x, z);
    case NG_VK_OP_LEAKYRELU: return x < z ? float16_t(a) * x : x;
    case NG_VK_OP_CLIP: return float16_t(min(max(float(x), a), b)); /* bounds may not fit fp16 */
    case NG_VK_OP_HARDSIGMOID: return clamp(float16_t(a) * x + float16_t(b), z, one);
    case NG_VK_OP_HARDSWISH: return x * clamp(x * float16_t(1.0 / 6.0) + float16_t(0.5), z, one);
    case NG_VK_OP_NEG: return -x;
    case NG_VK_OP_ABS: return abs(x);
    case NG_VK_OP_FLOOR: return floor(x);
    case NG_VK_OP_CEIL: return ceil(x);
    case NG_VK_OP_SIGN: return x > z ? one : x < z ? -one : x;
    case NG_VK_OP_ROUND: return roundEven(x);
    case NG_VK_OP_NONE: case NG_VK_OP_IDENTITY: return x;
    default: return float16_t(ng_unary(op, float(x), a, b));
    }
}
NG_DEFINE_BINARY(float16_t)
#endif

/* Defines uint fname(uint i, int slot): the GENERIC-mode operand index of
 * output index i, from int buffer array `meta` (NG_VK_META_* layout). */
#define NG_DEFINE_BCAST_GENERIC(fname, meta)                                                  \
    uint fname(uint i, int slot) {                                                            \
        uint j = 0u;                                                                          \
        for (int k = meta[NG_VK_META_RANK] - 1; k >= 0; k--) {                                \
            uint n = uint(meta[NG_VK_META_DIMS + k]);                                         \
            j += (i % n) * uint(meta[NG_VK_META_STRIDES + 8 * slot + k]);                     \
            i /= n;                                                                           \
        }                                                                                     \
        return j;                                                                             \
    }

/* Operand index of output index i for a mode (NG_VK_IDX_*). */
#define NG_BCAST_INDEX(mode, i, inner, count, generic_fn, slot)                               \
    ((mode) == NG_VK_IDX_SAME     ? (i)                                                       \
     : (mode) == NG_VK_IDX_SCALAR ? 0u                                                        \
     : (mode) == NG_VK_IDX_BLOCK  ? ((i) / (inner)) % (count)                                 \
                                  : generic_fn((i), (slot)))

/* ---- the epilogue's specialization constants and bindings ---- */

#ifdef EPI_SPEC_BASE
layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_N) const int EPI_N = 0;
layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_MODE0) const int EPI_MODE0 = 0;
layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_MODE1) const int EPI_MODE1 = 0;

#define NG_EPI_STEP_DECL(s)                                                                   \
    layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_STEP(s) + 0) const int EPI_OP##s = 0;  \
    layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_STEP(s) + 1) const int EPI_SLOT##s = -1; \
    layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_STEP(s) + 2) const int EPI_FIRST##s = 0; \
    layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_STEP(s) + 3) const float EPI_A##s = 0.0; \
    layout(constant_id = EPI_SPEC_BASE + NG_VK_EPI_SPEC_STEP(s) + 4) const float EPI_B##s = 0.0;
NG_EPI_STEP_DECL(0)
NG_EPI_STEP_DECL(1)
NG_EPI_STEP_DECL(2)
NG_EPI_STEP_DECL(3)
NG_EPI_STEP_DECL(4)
NG_EPI_STEP_DECL(5)
NG_EPI_STEP_DECL(6)
NG_EPI_STEP_DECL(7)

layout(std430, binding = EPI_BINDING_BASE + 0) readonly buffer NgEpiA { NG_FLOAT epi_a[]; };
layout(std430, binding = EPI_BINDING_BASE + 1) readonly buffer NgEpiB { NG_FLOAT epi_b[]; };
layout(std430, binding = EPI_BINDING_BASE + 2) readonly buffer NgEpiMeta { int epi_meta[]; };
NG_DEFINE_BCAST_GENERIC(ng_epi_generic, epi_meta)

NG_REAL ng_epi_operand(int slot, uint i) {
    if (slot == 0)
        return epi_a[p.epi_off0 + NG_BCAST_INDEX(EPI_MODE0, i, p.epi_inner0, p.epi_count0,
                                                 ng_epi_generic, 0)];
    return epi_b[p.epi_off1 + NG_BCAST_INDEX(EPI_MODE1, i, p.epi_inner1, p.epi_count1,
                                             ng_epi_generic, 1)];
}

/* Step s's constant `name`: a select chain that folds away once the loop
 * below is unrolled (s constant). */
#define NG_EPI_PICK(name, s)                                                                  \
    ((s) == 0 ? name##0 : (s) == 1 ? name##1 : (s) == 2 ? name##2 : (s) == 3 ? name##3       \
     : (s) == 4 ? name##4 : (s) == 5 ? name##5 : (s) == 6 ? name##6 : name##7)

/* The steps as one loop body that the compiler unrolls ([[unroll]]; EPI_N
 * iterations once specialized): the step's code is emitted and inlined once,
 * not eight times, which keeps pipeline creation short. */
NG_REAL ng_epilogue(NG_REAL y, uint i) {
    [[unroll]] for (int s = 0; s < min(EPI_N, 8); s++) {
        int op = NG_EPI_PICK(EPI_OP, s), slot = NG_EPI_PICK(EPI_SLOT, s);
        if (slot < 0) {
            y = ng_unary(op, y, NG_EPI_PICK(EPI_A, s), NG_EPI_PICK(EPI_B, s));
        } else {
            NG_REAL v = ng_epi_operand(slot, i);
            y = NG_EPI_PICK(EPI_FIRST, s) != 0 ? ng_binary(op, v, y) : ng_binary(op, y, v);
        }
    }
    return y;
}

#endif

#endif
