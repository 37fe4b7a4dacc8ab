/* Storage type of float tensors: float, or with NG_F16 (the _f16 variants of
 * variants.cmake) float16_t, read with implicit widening to float and written
 * through NG_ST(v); arithmetic stays float32. Four neighbouring values as
 * NG_FLOAT4 (vec4, or with NG_F16 two packed words: lavapipe loads and stores
 * those as two 32-bit components, not four 16-bit ones), read through
 * NG_LD4(w) into a vec4 and written as NG_ST4(v). */
#ifndef NG_STORAGE_GLSL
#define NG_STORAGE_GLSL

#ifdef NG_F16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define NG_FLOAT float16_t
#define NG_FLOAT4 uvec2
#define NG_LD4(v) vec4(unpackHalf2x16((v).x), unpackHalf2x16((v).y))
#define NG_ST4(v) uvec2(packHalf2x16((v).xy), packHalf2x16((v).zw))
#else
#define NG_FLOAT float
#define NG_FLOAT4 vec4
#define NG_LD4(v) (v)
#define NG_ST4(v) (v)
#endif
#define NG_ST(v) NG_FLOAT(v)

#endif
