/* OpenCL INT8 matrix products (shaders/opencl/qgemm.cl, cl_qgemm.c): qgemm
 * (QLinearMatMul, MatMulInteger) and gemm_qw (MatMulQuantW: float x, 4- or
 * 8-bit weights, VEC at least 4). A work-item owns a TM x (VEC*NV) register
 * tile; no work-groups (the runtime picks them). Signature M,N,K,B[,bits,block].
 * The quantized convolutions (qconv) are being reworked (q-cl-perf): no space yet. */
#include <string.h>

#include "space.h"

static void cl_qgemm_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "TM", 1, 2, 4, 8, 16);
    if (!strcmp(sp->fam->name, "gemm_qw")) NG_SPACE_ADD(sp, "VEC", 4, 8, 16);
    else NG_SPACE_ADD(sp, "VEC", 1, 2, 4, 8, 16);
    NG_SPACE_ADD(sp, "NV", 1, 2, 4);
}

static int cl_qgemm_valid(const ng_space *sp, const ng_params *c) {
    const ng_params *d = &sp->defaults;
    long long M = ng_sig_get(&sp->sig, "M", 0, 1), N = ng_sig_get(&sp->sig, "N", 0, 1);
    int tm = ng_params_get(c, "TM", 1), vec = ng_params_get(c, "VEC", 1), nv = ng_params_get(c, "NV", 1);
    int min_vec = !strcmp(sp->fam->name, "gemm_qw") ? 4 : 1;
    /* cl_qgemm.c's tile_check */
    if (tm < 1 || tm > 16 || (vec & (vec - 1)) || vec > 16 || vec < min_vec || nv < 1 || nv > 4)
        return 0;
    if (tm * vec * nv > (ng_space_is_gpu(sp) ? 64 : 256)) return 0; /* accumulators */
    int dtn = ng_params_get(d, "VEC", 1) * ng_params_get(d, "NV", 1);
    return ng_space_tile_fits(tm, M, ng_params_get(d, "TM", 1)) && ng_space_tile_fits((long long)vec * nv, N, dtn);
}

static double cl_qgemm_flops(const ng_sig *s) {
    return 2.0 * ng_sig_get(s, "M", 0, 1) * ng_sig_get(s, "N", 0, 1) * ng_sig_get(s, "K", 0, 1) *
           ng_sig_get(s, "B", 0, 1);
}

static double cl_qgemm_bytes(const ng_sig *s) {
    double M = ng_sig_get(s, "M", 0, 1), N = ng_sig_get(s, "N", 0, 1), K = ng_sig_get(s, "K", 0, 1);
    return (M * K + K * N + M * N) * ng_sig_get(s, "B", 0, 1);
}

static double cl_gemm_qw_bytes(const ng_sig *s) {
    double M = ng_sig_get(s, "M", 0, 1), N = ng_sig_get(s, "N", 0, 1), K = ng_sig_get(s, "K", 0, 1);
    return (4.0 * (M * K + M * N) + K * N * ng_sig_get(s, "bits", 0, 8) / 8.0) * ng_sig_get(s, "B", 0, 1);
}

const ng_tune_family ng_tune_qgemm = {"qgemm", 1, cl_qgemm_declare, cl_qgemm_valid, NULL,
                                      cl_qgemm_flops, cl_qgemm_bytes};
const ng_tune_family ng_tune_gemm_qw = {"gemm_qw", 1, cl_qgemm_declare, cl_qgemm_valid, NULL,
                                        cl_qgemm_flops, cl_gemm_qw_bytes};
