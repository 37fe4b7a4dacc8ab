/* Prepended to every OpenCL program after storage.cl (cl_program.c): the op
 * codes, the unary/binary math and the fused-epilogue applier (operands read
 * as NG_FLOAT storage). Helpers only, no kernels.
 * The op-code enum and the meta layout are the host's too:
 * src/opencl/cl_opcodes.h includes this file with NG_CL_HOST defined, so each
 * list exists once. */
#ifndef NG_EPILOGUE_CL
#define NG_EPILOGUE_CL

enum ng_cl_opcode {
    NG_CL_NONE = 0,
    /* unary: y = f(x; a, b) */
    NG_CL_IDENTITY, NG_CL_RELU, NG_CL_LEAKYRELU, NG_CL_CLIP, NG_CL_SIGMOID, NG_CL_HARDSIGMOID,
    NG_CL_HARDSWISH, NG_CL_TANH, NG_CL_ELU, NG_CL_SILU, NG_CL_ERF, NG_CL_SQRT, NG_CL_EXP,
    NG_CL_LOG, NG_CL_NEG, NG_CL_ABS, NG_CL_RECIPROCAL, NG_CL_FLOOR, NG_CL_CEIL,
    NG_CL_SIN, NG_CL_COS, NG_CL_SOFTPLUS, NG_CL_SOFTSIGN, NG_CL_SELU /* a, b = gamma */,
    NG_CL_MISH, NG_CL_SIGN, NG_CL_ROUND /* half to even */, NG_CL_GELU /* a != 0: tanh form */,
    /* binary: y = f(a, b) */
    NG_CL_ADD = 32, NG_CL_SUB, NG_CL_MUL, NG_CL_DIV, NG_CL_POW, NG_CL_PRELU, NG_CL_MAX, NG_CL_MIN
};

/* Broadcast meta (ints), shared by epilogues and the eltwise family:
 *   [NSTEPS]            epilogue step count
 *   [RANK], [DIMS..+8]  the output's rank and dims
 *   [OPND + s*OPND_SIZE] operand s (0, 1): mode, inner, count, unused, strides[8]
 *      mode 0: same index as the output; 1: block, j = (i / inner) % count
 *      (scalar, per-channel, per-row, full size); 2: generic, j = sum(coord_k *
 *      strides[k]) with stride 0 on broadcast dims
 *   [STEPS + s*STEP_SIZE] step s: op, operand slot (-1 unary), operand_first,
 *      alpha bits, beta bits */
enum ng_cl_meta_layout {
    NG_META_NSTEPS = 0, NG_META_RANK = 1, NG_META_DIMS = 2,
    NG_META_OPND = 10, NG_META_OPND_SIZE = 12,
    NG_META_STEPS = 34, NG_META_STEP_SIZE = 5,
    NG_META_MAX_STEPS = 8,
    NG_META_SIZE = 74
};
/* NG_IDX_SCALAR (j = 0) only in compiled-in epilogues (EPI_MODE<j>). */
enum ng_cl_index_mode { NG_IDX_SAME = 0, NG_IDX_BLOCK = 1, NG_IDX_GENERIC = 2, NG_IDX_SCALAR = 3 };

#ifndef NG_CL_HOST

/* Forced inline: with constant op codes each call folds to one expression.
 * Static: the compiler drops what a program does not call (the math exists for
 * six types; compiling all of it made POCL's cold builds of the model test
 * cases 10% slower: 86 s against 78 s). */
#define NG_INLINE static inline __attribute__((always_inline))
#define NG_OVL static inline __attribute__((overloadable, always_inline))

/* The math below is written once for a type T and defined for float and
 * float2, float3, float4, float8 and float16 (NG_DEF_MATH): kernels holding vectors apply ops to whole
 * vectors, and POCL then calls its vector exp/tanh/... (its scalar math is
 * not vectorized across work-items). Branches are select()s, so lanes never
 * diverge; select(else, then, cond) takes the comparisons of both kinds. */

/* erfc(z) for z >= 0, relative error < 1.2e-7 (Numerical Recipes' erfcc; the
 * same formula as shaders/vulkan/epilogue.glsl). POCL's erf/erfc cost ~25 ns
 * per element: GELU layers ran ~6x slower with them. */
#define NG_DEF_ERF(T)                                                                          \
    NG_OVL T ng_erfc_pos(T z) {                                                                \
        T t = 1.0f / (1.0f + 0.5f * z);                                                        \
        T p = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +          \
              t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +    \
              t * (-0.82215223f + t * 0.17087277f))))))));                                     \
        return t * exp(-z * z + p);                                                            \
    }                                                                                          \
    /* erf: the Maclaurin series below |x| = 0.5 (relative error < 4e-8), 1 - erfc above */    \
    NG_OVL T ng_erf(T x) {                                                                     \
        T z = fabs(x), z2 = z * z;                                                             \
        T series = 1.1283791671f * z * (1.0f + z2 * (-1.0f / 3.0f + z2 * (0.1f +              \
                   z2 * (-1.0f / 42.0f + z2 * (1.0f / 216.0f + z2 * (-1.0f / 1320.0f))))));   \
        return copysign(select(1.0f - ng_erfc_pos(z), series, z < 0.5f), x);                  \
    }                                                                                          \
    /* 1 + erf(x / sqrt2) from z = |x| / sqrt2 and x < 0: erfc(z) or 2 - erfc(z) */            \
    NG_OVL T ng_gelu_erfc(T z, NG_INT_OF(T) negative) {                                        \
        const T e = ng_erfc_pos(z);                                                            \
        return select(2.0f - e, e, negative);                                                  \
    }

#define NG_DEF_UNARY(T)                                                                        \
    NG_OVL T ng_unary(int op, T x, float a, float b) {                                         \
        const T zero = (T)(0.0f), one = (T)(1.0f);                                             \
        switch (op) {                                                                          \
        case NG_CL_RELU: return select(x, zero, x < 0.0f);                                     \
        case NG_CL_LEAKYRELU: return select(x, a * x, x < 0.0f);                               \
        case NG_CL_CLIP: return fmin(fmax(x, a), b);                                           \
        case NG_CL_SIGMOID: return 1.0f / (1.0f + exp(-x));                                    \
        case NG_CL_HARDSIGMOID: return clamp(a * x + b, 0.0f, 1.0f);                           \
        case NG_CL_HARDSWISH: return x * clamp(x * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);          \
        case NG_CL_TANH: return tanh(x);                                                       \
        case NG_CL_ELU: return select(x, a * expm1(x), x < 0.0f);                              \
        case NG_CL_SILU: return x / (1.0f + exp(-x));                                          \
        case NG_CL_ERF: return ng_erf(x);                                                      \
        case NG_CL_SQRT: return sqrt(x);                                                       \
        case NG_CL_EXP: return exp(x);                                                         \
        case NG_CL_LOG: return log(x);                                                         \
        case NG_CL_NEG: return -x;                                                             \
        case NG_CL_ABS: return fabs(x);                                                        \
        case NG_CL_RECIPROCAL: return 1.0f / x;                                                \
        case NG_CL_FLOOR: return floor(x);                                                     \
        case NG_CL_CEIL: return ceil(x);                                                       \
        case NG_CL_SIN: return sin(x);                                                         \
        case NG_CL_COS: return cos(x);                                                         \
        case NG_CL_SOFTPLUS: return fmax(x, 0.0f) + log1p(exp(-fabs(x)));                     \
        case NG_CL_SOFTSIGN: return x / (1.0f + fabs(x));                                      \
        case NG_CL_SELU: return select(b * a * expm1(x), b * x, x > 0.0f);                     \
        case NG_CL_MISH: return x * tanh(fmax(x, 0.0f) + log1p(exp(-fabs(x))));               \
        case NG_CL_SIGN: return select(select(x, -one, x < 0.0f), one, x > 0.0f);              \
        case NG_CL_ROUND: return rint(x);                                                      \
        case NG_CL_GELU: /* exact: 1 + erf(x/sqrt2) as erfc, tails without cancellation */     \
            return a != 0.0f ? 0.5f * x * (1.0f + tanh(0.7978845608f * (x + 0.044715f * x * x * x))) \
                             : 0.5f * x * ng_gelu_erfc(fabs(x) * 0.7071067812f, x < 0.0f);     \
        default: return x;                                                                     \
        }                                                                                      \
    }

#define NG_DEF_BINARY(T)                                                                       \
    NG_OVL T ng_binary(int op, T a, T b) {                                                     \
        switch (op) {                                                                          \
        case NG_CL_ADD: return a + b;                                                          \
        case NG_CL_SUB: return a - b;                                                          \
        case NG_CL_MUL: return a * b;                                                          \
        case NG_CL_DIV: return a / b;                                                          \
        case NG_CL_POW: return pow(a, b);                                                      \
        case NG_CL_PRELU: return select(a, a * b, a < 0.0f);                                   \
        case NG_CL_MAX: return fmax(a, b);                                                     \
        case NG_CL_MIN: return fmin(a, b);                                                     \
        default: return a;                                                                     \
        }                                                                                      \
    }

#define NG_DEF_MATH(T) NG_DEF_ERF(T) NG_DEF_UNARY(T) NG_DEF_BINARY(T)
#define NG_INT_OF_float int
#define NG_INT_OF_float2 int2
#define NG_INT_OF_float3 int3
#define NG_INT_OF_float4 int4
#define NG_INT_OF_float8 int8
#define NG_INT_OF_float16 int16
#define NG_INT_OF(T) NG_INT_OF_##T
NG_DEF_MATH(float)
NG_DEF_MATH(float2)
NG_DEF_MATH(float3)
NG_DEF_MATH(float4)
NG_DEF_MATH(float8)
NG_DEF_MATH(float16)

/* Index into an operand described by d (see the meta layout) for output
 * linear index i; dims/rank are the output's. */
static int ng_bcast_index(int i, __constant int *meta, __constant int *d) {
    int mode = d[0];
    if (mode == NG_IDX_SAME) return i;
    if (mode == NG_IDX_BLOCK) {
        int q = d[1] == 1 ? i : i / d[1];
        return d[2] == 1 ? 0 : q % d[2];
    }
    int j = 0;
    for (int k = meta[NG_META_RANK] - 1; k >= 0; k--) {
        int n = meta[NG_META_DIMS + k];
        j += (i % n) * d[4 + k];
        i /= n;
    }
    return j;
}

/* The node's epilogue, applied to y, the value at output index i.
 * Compiled in (the host's ng_cl_epilogue_options): EPI_N steps, step s
 * being EPI_OP<s> (op code), EPI_SLOT<s> (operand slot 0/1, -1 unary),
 * EPI_FIRST<s> (operand_first), EPI_A<s>/EPI_B<s> (alpha/beta); slot j's
 * indexing is EPI_MODE<j> (ng_cl_index_mode). Everything is a constant, so
 * the steps unroll into straight-line code; only operand sizes/strides come
 * from epi_meta at run time. Without EPI_N (families not yet passing the
 * options) the same steps are read from epi_meta and interpreted. */
NG_INLINE int ng_epi_index(int i, __constant int *meta, int slot, int mode, int inner, int count) {
    __constant int *d = meta + NG_META_OPND + slot * NG_META_OPND_SIZE;
    if (mode == NG_IDX_SAME) return i;
    if (mode == NG_IDX_SCALAR) return 0;
    if (mode == NG_IDX_BLOCK) return inner > 0 ? (i / inner) % count : (i / d[1]) % d[2];
    return ng_bcast_index(i, meta, d);
}
/* A block operand's inner size and count compiled in (EPI_INNER<j>,
 * EPI_COUNT<j>; 0: read from epi_meta): divisions by constants. */
#ifndef EPI_INNER0
#define EPI_INNER0 0
#define EPI_COUNT0 1
#endif
#ifndef EPI_INNER1
#define EPI_INNER1 0
#define EPI_COUNT1 1
#endif

#ifndef EPI_MODE0
#define EPI_MODE0 NG_IDX_SAME
#endif
#ifndef EPI_MODE1
#define EPI_MODE1 NG_IDX_SAME
#endif
/* Slot j's tensor and offset. */
#define NG_EPI_P0 epi_a
#define NG_EPI_OFF0 epi_a_off
#define NG_EPI_P1 epi_b
#define NG_EPI_OFF1 epi_b_off
/* Slot j's value at index i: one float, or N of them from i on (operands
 * of the output's index, scalars, or blocks all N lanes lie in: the host's
 * EPI_VEC_OK). */
#define NG_EPI_FETCH_S(N, j)                                                                   \
    NG_LD(NG_EPI_P##j, NG_EPI_OFF##j + ng_epi_index(i, epi_meta, j, EPI_MODE##j, EPI_INNER##j, EPI_COUNT##j))
#define NG_EPI_FETCH_V(N, j)                                                                   \
    (EPI_MODE##j == NG_IDX_SAME ? NG_LDV(N, 0, NG_EPI_P##j + NG_EPI_OFF##j + i)                 \
                                : (float##N)(NG_EPI_FETCH_S(1, j)))
/* Compiled-in step s on y of type T. */
#define NG_EPI_STEP(s, T, N, FETCH)                                                            \
    if (EPI_SLOT##s < 0) {                                                                     \
        y = ng_unary(EPI_OP##s, y, EPI_A##s, EPI_B##s);                                        \
    } else {                                                                                   \
        const T v = EPI_SLOT##s == 0 ? FETCH(N, 0) : FETCH(N, 1);                              \
        y = EPI_FIRST##s ? ng_binary(EPI_OP##s, v, y) : ng_binary(EPI_OP##s, y, v);            \
    }
#if defined(EPI_N) && EPI_N > 0
#define NG_EPI_S0(T, N, F) NG_EPI_STEP(0, T, N, F)
#else
#define NG_EPI_S0(T, N, F)
#endif
#if defined(EPI_N) && EPI_N > 1
#define NG_EPI_S1(T, N, F) NG_EPI_STEP(1, T, N, F)
#else
#define NG_EPI_S1(T, N, F)
#endif
#if defined(EPI_N) && EPI_N > 2
#define NG_EPI_S2(T, N, F) NG_EPI_STEP(2, T, N, F)
#else
#define NG_EPI_S2(T, N, F)
#endif
#if defined(EPI_N) && EPI_N > 3
#define NG_EPI_S3(T, N, F) NG_EPI_STEP(3, T, N, F)
#else
#define NG_EPI_S3(T, N, F)
#endif
#if defined(EPI_N) && EPI_N > 4
#define NG_EPI_S4(T, N, F) NG_EPI_STEP(4, T, N, F)
#else
#define NG_EPI_S4(T, N, F)
#endif
#if defined(EPI_N) && EPI_N > 5
#define NG_EPI_S5(T, N, F) NG_EPI_STEP(5, T, N, F)
#else
#define NG_EPI_S5(T, N, F)
#endif
#if defined(EPI_N) && EPI_N > 6
#define NG_EPI_S6(T, N, F) NG_EPI_STEP(6, T, N, F)
#else
#define NG_EPI_S6(T, N, F)
#endif
#if defined(EPI_N) && EPI_N > 7
#define NG_EPI_S7(T, N, F) NG_EPI_STEP(7, T, N, F)
#else
#define NG_EPI_S7(T, N, F)
#endif
#define NG_EPI_STEPS(T, N, F)                                                                  \
    NG_EPI_S0(T, N, F) NG_EPI_S1(T, N, F) NG_EPI_S2(T, N, F) NG_EPI_S3(T, N, F)                \
    NG_EPI_S4(T, N, F) NG_EPI_S5(T, N, F) NG_EPI_S6(T, N, F) NG_EPI_S7(T, N, F)

#define NG_EPI_FORMALS                                                                         \
    __constant int *epi_meta, __global const NG_FLOAT *epi_a, int epi_a_off,                  \
        __global const NG_FLOAT *epi_b, int epi_b_off

NG_OVL float ng_epilogue(float y, int i, NG_EPI_FORMALS) {
#ifdef EPI_N
    NG_EPI_STEPS(float, 1, NG_EPI_FETCH_S)
#else
    int n = epi_meta[NG_META_NSTEPS];
    for (int s = 0; s < n; s++) {
        __constant int *st = epi_meta + NG_META_STEPS + s * NG_META_STEP_SIZE;
        int slot = st[1];
        if (slot < 0) {
            y = ng_unary(st[0], y, as_float(st[3]), as_float(st[4]));
        } else {
            int j = ng_bcast_index(i, epi_meta, epi_meta + NG_META_OPND + slot * NG_META_OPND_SIZE);
            float v = slot == 0 ? NG_LD(epi_a, epi_a_off + j) : NG_LD(epi_b, epi_b_off + j);
            y = st[2] ? ng_binary(st[0], v, y) : ng_binary(st[0], y, v);
        }
    }
#endif
    return y;
}

/* The epilogue on N consecutive outputs i.. as one vector (kernels test
 * EPI_VEC_OK: compiled-in steps, every operand of the output's index, a
 * scalar, or a block holding all N outputs). */
#if defined(EPI_N) && defined(EPI_VEC_OK)
#define NG_DEF_EPILOGUE_V(N)                                                                   \
    NG_OVL float##N ng_epilogue(float##N y, int i, NG_EPI_FORMALS) {                           \
        NG_EPI_STEPS(float##N, N, NG_EPI_FETCH_V)                                              \
        return y;                                                                              \
    }
NG_DEF_EPILOGUE_V(2)
NG_DEF_EPILOGUE_V(3)
NG_DEF_EPILOGUE_V(4)
NG_DEF_EPILOGUE_V(8)
NG_DEF_EPILOGUE_V(16)
#endif

/* Kernels taking an epilogue end their parameter list with NG_EPI_PARAMS and
 * apply it with NG_EPI_APPLY; -DNG_EPI=0 compiles it out (no steps). */
#ifndef NG_EPI
#define NG_EPI 1 /* 1: the node may have epilogue steps */
#endif
#define NG_EPI_PARAMS NG_EPI_FORMALS
#if NG_EPI
#define NG_EPI_APPLY(y, i) ng_epilogue((y), (i), epi_meta, epi_a, epi_a_off, epi_b, epi_b_off)
#else
#define NG_EPI_APPLY(y, i) (y)
#endif

/* The output of a quantized layer (src/runtime/lower_quant.h) from its int32
 * accumulator for output channel c at output index i, for kernels built with
 * -DQ_OUT=<ng_qout> (0 int8, 1 uint8, 2 float, 3 int32) and -DYT=<output
 * type>; the kernel has mult, bias (per channel), y_scale and y_zp in scope:
 *   real = epilogue(mult[c] * (acc + bias[c])),
 *   y = saturate(round_half_even(real / y_scale) + y_zp), or real, or acc;
 * NaN gives y's lowest value (src/core/quant.h; fmax returns the other
 * operand of a NaN). */
#ifdef Q_OUT
#define NG_Q_CVT_(t) convert_##t##_sat
#define NG_Q_CVT(t) NG_Q_CVT_(t)
#define NG_Q_REAL(acc, c, i) NG_EPI_APPLY(mult[c] * (float)((acc) + bias[c]), (i))
#if Q_OUT == 3
#define NG_Q_OUT(acc, c, i) (acc)
#elif Q_OUT == 2
#define NG_Q_OUT(acc, c, i) NG_Q_REAL(acc, c, i)
#else
#define NG_Q_LO (Q_OUT == 0 ? -128.0f : 0.0f)
#define NG_Q_OUT(acc, c, i)                                                                  \
    NG_Q_CVT(YT)(fmax(rint(NG_Q_REAL(acc, c, i) / y_scale) + (float)y_zp, NG_Q_LO))
#endif
#endif

#endif /* NG_CL_HOST */
#endif /* NG_EPILOGUE_CL */
