/* OpenCL op codes and the broadcast-meta layout. The one list lives in
 * shaders/opencl/epilogue.cl (kernels need it, and every program gets that
 * file prepended); the host includes the same text here, so the codes cannot
 * drift apart. */
#ifndef NG_CL_OPCODES_H
#define NG_CL_OPCODES_H

#include "graph/ir.h"

#define NG_CL_HOST 1
#include "../../shaders/opencl/epilogue.cl"
#undef NG_CL_HOST

/* The kernel op code of an elementwise ng_op; NG_CL_NONE when there is none. */
enum ng_cl_opcode ng_cl_opcode_of(ng_op op);
/* 1 for codes ng_binary handles, 0 for ng_unary's. */
int ng_cl_opcode_is_binary(enum ng_cl_opcode code);

#endif
