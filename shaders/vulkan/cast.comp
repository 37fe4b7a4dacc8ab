#version 450
/* Cast between float32 and float16 (the boundaries of fp16 layers). VEC = 4:
 * four elements per invocation, float32 as vec4 and float16 as two packed
 * words (the host sets it when n and both offsets are multiples of 4): on
 * lavapipe every buffer access runs lane by lane, so fewer, wider ones win.
 * Each binding is declared once per direction, readonly or writeonly. */
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require

layout(local_size_x_id = 0) in;
#include "grid.glsl"
layout(constant_id = 1) const int TO_F16 = 1; /* 1: float32 -> float16; 0: back */
layout(constant_id = 2) const int VEC = 1;    /* elements per invocation: 1 or 4 */

layout(std430, binding = 0) readonly buffer F32In { float f32_in[]; };
layout(std430, binding = 0) writeonly buffer F32Out { float f32_out[]; };
layout(std430, binding = 0) readonly buffer F32In4 { vec4 f32_in4[]; };
layout(std430, binding = 0) writeonly buffer F32Out4 { vec4 f32_out4[]; };
layout(std430, binding = 1) readonly buffer F16In { float16_t f16_in[]; };
layout(std430, binding = 1) writeonly buffer F16Out { float16_t f16_out[]; };
layout(std430, binding = 1) readonly buffer F16In4 { uvec2 f16_in4[]; };
layout(std430, binding = 1) writeonly buffer F16Out4 { uvec2 f16_out4[]; };

layout(push_constant) uniform Push { uint f32_off, f16_off, n; } p; /* n: invocations */

void main() {
    uint i = ng_global_id();
    if (i >= p.n) return;
    if (VEC == 4) {
        const uint a = p.f32_off / 4 + i, h = p.f16_off / 4 + i;
        if (TO_F16 != 0) {
            const vec4 v = f32_in4[a];
            f16_out4[h] = uvec2(packHalf2x16(v.xy), packHalf2x16(v.zw));
        } else {
            const uvec2 w = f16_in4[h];
            f32_out4[a] = vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
        }
    } else if (TO_F16 != 0) {
        f16_out[p.f16_off + i] = float16_t(f32_in[p.f32_off + i]);
    } else {
        f32_out[p.f32_off + i] = float(f16_in[p.f16_off + i]);
    }
}
