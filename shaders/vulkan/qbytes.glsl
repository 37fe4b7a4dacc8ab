/* 8-bit tensors in uint buffers (GLSL 450), included before the buffers.
 * Portable path: a byte load is a word load and a bitfield extract, a byte
 * store two atomics on its word (neighbouring bytes may belong to other
 * invocations). With NG_I8 (the *_i8 variants of variants.cmake, for devices
 * with storageBuffer8BitAccess) a buffer also gets int8_t / uint8_t views of
 * its binding (NG_BYTE_VIEWS), read and written a byte at a time. */
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

#endif
