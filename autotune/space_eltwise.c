/* Elementwise kernels: VEC elements per work-item (shaders/opencl/eltwise.cl),
 * WG invocations per group (shaders/vulkan/eltwise.comp, a power of two).
 * Each backend looks up only its own: ng_space_init drops the other.
 * Signature: "Op:elements". */
#include "space.h"

static void elt_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "VEC", 1, 2, 4, 8, 16, 32);
    NG_SPACE_ADD(sp, "WG", 16, 32, 64, 128, 256);
}

static int elt_valid(const ng_space *sp, const ng_params *c) {
    int v = ng_params_get(c, "VEC", 1), wg = ng_params_get(c, "WG", 64);
    long long n = ng_sig_get(&sp->sig, "0", 0, 1);
    if (ng_params_get(&sp->defaults, "WG", 0) &&
        ((wg & (wg - 1)) || !ng_space_group_ok(sp, wg, ng_params_get(&sp->defaults, "WG", 0)) ||
         !ng_space_tile_fits(wg, n, ng_params_get(&sp->defaults, "WG", 0))))
        return 0;
    return v >= 1 && v <= 64 && (v <= n || v == ng_params_get(&sp->defaults, "VEC", 0));
}

static double elt_flops(const ng_sig *s) { return (double)ng_sig_get(s, "0", 0, 1); }
static double elt_bytes(const ng_sig *s) { return 12.0 * ng_sig_get(s, "0", 0, 1); }

const ng_tune_family ng_tune_eltwise = {"eltwise", 1, elt_declare, elt_valid, NULL, elt_flops, elt_bytes};
