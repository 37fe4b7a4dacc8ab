/* Elementwise kernels (shaders/opencl/eltwise.cl): VEC elements per
 * work-item. Signature: "Op:elements". */
#include "space.h"

static void elt_declare(ng_space *sp) { NG_SPACE_ADD(sp, "VEC", 1, 2, 4, 8, 16, 32); }

static int elt_valid(const ng_space *sp, const ng_params *c) {
    int v = ng_params_get(c, "VEC", 1);
    return v >= 1 && v <= 64 && (v <= ng_sig_get(&sp->sig, "0", 0, 1) || v == ng_params_get(&sp->defaults, "VEC", 0));
}

static double elt_flops(const ng_sig *s) { return (double)ng_sig_get(s, "0", 0, 1); }
static double elt_bytes(const ng_sig *s) { return 12.0 * ng_sig_get(s, "0", 0, 1); }

const ng_tune_family ng_tune_eltwise = {"eltwise", 1, elt_declare, elt_valid, NULL, elt_flops, elt_bytes};
