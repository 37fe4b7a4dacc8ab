#version 450
/* Cast between float32 and float16 (the boundaries of fp16 layers). */
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require

layout(local_size_x_id = 0) in;
#include "grid.glsl"
layout(constant_id = 1) const int TO_F16 = 1; /* 1: float32 -> float16; 0: back */

layout(std430, binding = 0) buffer F32 { float f32[]; };
layout(std430, binding = 1) buffer F16 { float16_t f16[]; };

layout(push_constant) uniform Push { uint f32_off, f16_off, n; } p;

void main() {
    uint i = ng_global_id();
    if (i >= p.n) return;
    if (TO_F16 != 0) f16[p.f16_off + i] = float16_t(f32[p.f32_off + i]);
    else f32[p.f32_off + i] = float(f16[p.f16_off + i]);
}
