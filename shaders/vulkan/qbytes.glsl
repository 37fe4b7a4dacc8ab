/* 8-bit tensors in uint buffers (GLSL 450), included before the buffers.
 * Portable path: a byte load is a word load and a bitfield extract, a byte
 * store two atomics on its word (neighbouring bytes may belong to other
 * invocations). With NG_I8 (the *_i8 variants of variants.cmake, for devices
 * with storageBuffer8BitAccess) a buffer also gets int8_t / uint8_t views of
 * its binding (NG_BYTE_VIEWS), read and written a byte at a time. With
 * NG_IDOT (the *_dot variants, for devices with shaderIntegerDotProduct)
 * ng_dot4 sums the products of two words' 4 bytes in one instruction. */
#ifndef NG_QBYTES_GLSL
#define NG_QBYTES_GLSL

#ifdef NG_I8
#extension GL_EXT_shader_8bit_storage : require
/* name_i8 / name_u8: signed and unsigned byte views of binding B. */
#define NG_BYTE_VIEWS(B, name)                                                         \
    layout(std430, binding = B) buffer name##I8_ { int8_t name##_i8[]; };              \
    layout(std430, binding = B) buffer name##U8_ { uint8_t name##_u8[]; };
/* Byte idx of buffer buf, sign- or zero-extended. */
#define NG_BYTE(buf, idx, sgn)                                                         \
    ((sgn) ? int(buf##_i8[uint(idx)]) : int(buf##_u8[uint(idx)]))
#else
#define NG_BYTE_VIEWS(B, name)
#define NG_BYTE(buf, idx, sgn)                                                         \
    ((sgn) ? bitfieldExtract(int(buf[uint(idx) >> 2]), int((uint(idx) & 3u) * 8u), 8)  \
           : int(bitfieldExtract(buf[uint(idx) >> 2], int((uint(idx) & 3u) * 8u), 8)))
#endif

#ifdef NG_IDOT
/* SPV_KHR_integer_dot_product through GL_EXT_spirv_intrinsics (glslang 12
 * has no GL_EXT_integer_dot_product): OpSDot, OpUDot, OpSUDot (first operand
 * signed, second unsigned) with capabilities DotProductKHR and
 * DotProductInput4x8BitPackedKHR; fmt 0 = PackedVectorFormat4x8Bit. */
#extension GL_EXT_spirv_intrinsics : require
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int ng_sdot4x8(uint a, uint b, spirv_literal int fmt);
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4451)
uint ng_udot4x8(uint a, uint b, spirv_literal int fmt);
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4452)
int ng_sudot4x8(uint a, uint b, spirv_literal int fmt);

/* sum over the 4 bytes s of a[s] * b[s], each byte signed or not. */
int ng_dot4(uint a, uint b, bool a_signed, bool b_signed) {
    if (a_signed && b_signed) return ng_sdot4x8(a, b, 0);
    if (a_signed) return ng_sudot4x8(a, b, 0);
    if (b_signed) return ng_sudot4x8(b, a, 0);
    return int(ng_udot4x8(a, b, 0));
}
#endif

#endif
