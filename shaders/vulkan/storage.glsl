/* Storage type of float tensors: float, or with NG_F16 (the _f16 and _h16
 * variants of variants.cmake) float16_t, written through NG_ST(v). Four
 * neighbouring values as NG_FLOAT4 (vec4, or with NG_F16 two packed words:
 * lavapipe loads and stores those as two 32-bit components, not four 16-bit
 * ones), read through NG_LD4(w) into an NG_REAL4 and written as NG_ST4(v).
 *
 * Math type NG_REAL (NG_REAL4): float, or with NG_F16_MATH (the _h16
 * variants) float16_t. Elementwise math, cheap activations and the fused
 * epilogue compute in it (epilogue.glsl); transcendental functions, softmax,
 * pooling averages and reductions stay float. Dot products (conv, gemm) add
 * products into NG_REAL partial sums `part` of at most a few terms that
 * NG_DOT_FLUSH adds into float accumulators `acc`, so a long K does not lose
 * precision: NG_DOT_ADD(i, a, b) and NG_DOT_FLUSH(n) over elements [0, n). */
#ifndef NG_STORAGE_GLSL
#define NG_STORAGE_GLSL

#ifdef NG_F16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define NG_FLOAT float16_t
#define NG_FLOAT4 uvec2
#else
#define NG_FLOAT float
#define NG_FLOAT4 vec4
#define NG_LD4(v) (v)
#define NG_ST4(v) (v)
#endif

#if defined(NG_F16) && defined(NG_F16_MATH)
#define NG_REAL float16_t
#define NG_REAL4 f16vec4
#define NG_LD4(v) f16vec4(unpackFloat2x16((v).x), unpackFloat2x16((v).y))
#define NG_ST4(v) uvec2(packFloat2x16(f16vec2((v).xy)), packFloat2x16(f16vec2((v).zw)))
#define NG_DOT_ADD(i, a, b) part[i] = fma(a, b, part[i])
#define NG_DOT_FLUSH(n)                                                                      \
    for (int f_ = 0; f_ < (n); f_++) {                                                       \
        acc[f_] += float(part[f_]);                                                          \
        part[f_] = float16_t(0.0);                                                           \
    }
#define NG_DOT_PARTS(n)                                                                      \
    float16_t part[n];                                                                       \
    for (int f_ = 0; f_ < (n); f_++) part[f_] = float16_t(0.0)
#else
#define NG_REAL float
#define NG_REAL4 vec4
#ifdef NG_F16
#define NG_LD4(v) vec4(unpackHalf2x16((v).x), unpackHalf2x16((v).y))
#define NG_ST4(v) uvec2(packHalf2x16((v).xy), packHalf2x16((v).zw))
#endif
#define NG_DOT_ADD(i, a, b) acc[i] += (a) * (b)
#define NG_DOT_FLUSH(n)
#define NG_DOT_PARTS(n)
#endif
#define NG_ST(v) NG_FLOAT(v)

#endif
