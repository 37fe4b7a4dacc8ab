/* The OpenCL kernel families, tried in order: the first whose supports()
 * accepts a node runs it. */
#include "cl_internal.h"

extern const ng_cl_family ng_cl_family_cast; /* f32 <-> f16, float <-> integers and bool */
extern const ng_cl_family ng_cl_family_conv, ng_cl_family_gemm, ng_cl_family_pool;
extern const ng_cl_family ng_cl_family_eltwise, ng_cl_family_softmax, ng_cl_family_reduce,
    ng_cl_family_data, ng_cl_family_norm, ng_cl_family_convtranspose, ng_cl_family_einsum,
    ng_cl_family_arg, ng_cl_family_where;
extern const ng_cl_family ng_cl_family_quant, ng_cl_family_qconv, ng_cl_family_qgemm, ng_cl_family_rnn;

const ng_cl_family *const ng_cl_families[] = {
    &ng_cl_family_cast,
    &ng_cl_family_conv,    &ng_cl_family_gemm,   &ng_cl_family_pool, &ng_cl_family_eltwise, &ng_cl_family_where,
    &ng_cl_family_softmax, &ng_cl_family_reduce, &ng_cl_family_data, &ng_cl_family_norm,
    &ng_cl_family_convtranspose, &ng_cl_family_einsum, &ng_cl_family_arg,
    &ng_cl_family_quant, &ng_cl_family_qconv, &ng_cl_family_qgemm, &ng_cl_family_rnn, NULL,
};
