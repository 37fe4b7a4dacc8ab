/* Vulkan pooling (shaders/vulkan/pool.comp, vk_pool.c): vk_pool (windowed:
 * one output per invocation, WG per group) and vk_global_pool (WG
 * invocations reduce one plane). WG is a power of two. Signatures:
 * planes,H,W,k,s,max and planes,size,max. */
#include "space.h"

static void vk_pool_declare(ng_space *sp) { NG_SPACE_ADD(sp, "WG", 16, 32, 64, 128, 256); }

static void vk_gp_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "WG", 1, 2, 4, 8, 16, 32, 64, 128, 256);
}

static int vk_pool_valid(const ng_space *sp, const ng_params *c) {
    int wg = ng_params_get(c, "WG", 64), def = ng_params_get(&sp->defaults, "WG", 64);
    if (wg < 1 || (wg & (wg - 1)) || !ng_space_group_ok(sp, wg, def)) return 0;
    /* global: no more lanes than the plane has values */
    long long size = ng_sig_get(&sp->sig, "size", 0, 0);
    return !size || ng_space_tile_fits(wg, size, def);
}

static double pool_window(const ng_sig *s) {
    return (double)ng_sig_get(s, "k", 0, 1) * ng_sig_get(s, "k", 1, 1);
}

static double pool_outputs(const ng_sig *s) {
    double oh = (double)(ng_sig_get(s, "H", 0, 1) / ng_sig_get(s, "s", 0, 1));
    double ow = (double)(ng_sig_get(s, "W", 0, 1) / ng_sig_get(s, "s", 1, 1));
    return (double)ng_sig_get(s, "planes", 0, 1) * (oh > 1 ? oh : 1) * (ow > 1 ? ow : 1);
}

static double vk_pool_flops(const ng_sig *s) { return pool_outputs(s) * pool_window(s); }

static double vk_pool_bytes(const ng_sig *s) {
    return 4.0 * ((double)ng_sig_get(s, "planes", 0, 1) * ng_sig_get(s, "H", 0, 1) * ng_sig_get(s, "W", 0, 1) +
                  pool_outputs(s));
}

static double vk_gp_flops(const ng_sig *s) {
    return (double)ng_sig_get(s, "planes", 0, 1) * ng_sig_get(s, "size", 0, 1);
}

static double vk_gp_bytes(const ng_sig *s) { return 4.0 * (vk_gp_flops(s) + ng_sig_get(s, "planes", 0, 1)); }

const ng_tune_family ng_tune_vk_pool = {"vk_pool", 1, vk_pool_declare, vk_pool_valid, NULL,
                                        vk_pool_flops, vk_pool_bytes};
const ng_tune_family ng_tune_vk_global_pool = {"vk_global_pool", 1, vk_gp_declare, vk_pool_valid,
                                               NULL, vk_gp_flops, vk_gp_bytes};
