/* The integer dot-product weight layout of the quantized _dot shaders
 * (qgemm.comp main_dot): 4 input channels of one tap per 32-bit word. */
#include <stdlib.h>

#include "vk_quant.h"

int ng_vk_qdot_on(const ng_context *c, const ng_params *p) {
    return c->info.has_int8_dot && ng_params_get(p, "IDOT", 0);
}

uint8_t *ng_vk_qdot_pack(const ng_vk_qdot_weights *w, int tile, size_t *bytes, int32_t *sums) {
    size_t blocks = ((size_t)w->n_ch + (size_t)tile - 1) / (size_t)tile;
    size_t quads = ((size_t)w->n_c + 3) / 4, taps = (size_t)w->taps;
    *bytes = blocks * taps * quads * (size_t)tile * 4;
    uint8_t *out = calloc(*bytes ? *bytes : 1, 1);
    if (!out) return NULL;
    for (int ch = 0; ch < w->n_ch; ch++) {
        size_t cb = (size_t)ch / (size_t)tile, j = (size_t)ch % (size_t)tile;
        int32_t sum = 0;
        for (size_t t = 0; t < taps; t++)
            for (int ci = 0; ci < w->n_c; ci++) {
                uint8_t v = w->w[(size_t)ch * w->s_ch + (size_t)ci * w->s_c + t * w->s_t];
                sum += w->is_signed ? (int8_t)v : v;
                size_t word = ((cb * taps + t) * quads + (size_t)ci / 4) * (size_t)tile + j;
                out[word * 4 + (size_t)ci % 4] = v;
            }
        sums[ch] = sum;
    }
    return out;
}
