/* Storage type of float tensors: float, or with NG_F16 (the _f16 variants of
 * variants.cmake) float16_t, read with implicit widening to float and written
 * through NG_ST(v); arithmetic stays float32. */
#ifndef NG_STORAGE_GLSL
#define NG_STORAGE_GLSL

#ifdef NG_F16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define NG_FLOAT float16_t
#define NG_FLOAT4 f16vec4
#else
#define NG_FLOAT float
#define NG_FLOAT4 vec4
#endif
#define NG_ST(v) NG_FLOAT(v)

#endif
