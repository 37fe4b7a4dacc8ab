#include "cl_source_hash.h"

#include <string.h>

#include "cl_internal.h"
#include "core/hash.h"

/* The family names passed to ng_params_lookup by the cl_*.c files. */
static const struct {
    const char *family, *file;
} FILES[] = {
    {"gemm", "gemm.cl"},         {"conv_direct", "conv.cl"},
    {"conv_depthwise", "conv.cl"}, {"pool", "pool.cl"},
    {"global_pool", "pool.cl"},  {"eltwise", "eltwise.cl"},
    {"norm", "norm.cl"},         {"reduce", "reduce.cl"},
    {"copy", "data.cl"},         {"resize", "data.cl"},
    {"softmax", "softmax.cl"},   {"convtranspose", "convtranspose.cl"},
    {"qconv", "qconv.cl"},       {"qgemm", "qgemm.cl"},
    {"gemm_qw", "qgemm.cl"},
};

uint64_t ng_cl_family_source_hash(const char *family) {
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
        if (strcmp(FILES[i].family, family) == 0) {
            uint64_t h = ng_hash_str(NG_HASH_INIT, ng_cl_source("storage.cl"));
            h = ng_hash_str(h, ng_cl_source("epilogue.cl"));
            h = ng_hash_str(h, ng_cl_source("rows.cl"));
            return ng_hash_str(h, ng_cl_source(FILES[i].file));
        }
    return 0;
}
