/* 1-D work spread over a 2-D grid of work-groups (group counts per dimension
 * are limited to 65535): the host sizes it with ng_vk_groups_1d. Include it
 * after the shader's local-size layout: gl_WorkGroupSize is bound where used. */
#ifndef NG_GRID_GLSL
#define NG_GRID_GLSL

uint ng_group_id() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }
uint ng_global_id() { return ng_group_id() * gl_WorkGroupSize.x + gl_LocalInvocationID.x; }

#endif
