/* FLOAT16 nodes on the reference: inputs widened to float32, the float32
 * kernel run on the node's float32 view (graph/half_view.h), outputs rounded
 * back to fp16. */
#include <stdlib.h>

#include "core/half.h"
#include "graph/half_view.h"
#include "ref_internal.h"

int ng_ref_half_supported(const ng_graph *g, const ng_node *n) {
    ng_half_view v;
    if (ng_half_view_init(&v, g, n, 0) != NNGPU_OK) return 0;
    int ok = ng_ref_supported(&v.g, n);
    ng_half_view_free(&v);
    return ok;
}

static float *widen(const void *h, int64_t cnt) {
    float *f = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (f)
        for (int64_t i = 0; i < cnt; i++) f[i] = ng_half_to_float(((const uint16_t *)h)[i]);
    return f;
}

nngpu_status ng_ref_half_run(const ng_graph *g, const ng_node *n, const void *const *in,
                             void *const *out) {
    ng_half_view v;
    NG_CHECK(ng_half_view_init(&v, g, n, 1));
    const void **in2 = calloc((size_t)(n->n_in ? n->n_in : 1), sizeof *in2);
    void **out2 = calloc((size_t)(n->n_out ? n->n_out : 1), sizeof *out2);
    float **tmp = calloc((size_t)(n->n_in + n->n_out + 1), sizeof *tmp);
    nngpu_status st = in2 && out2 && tmp ? NNGPU_OK
                                         : ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "fp16 buffers");
    int nt = 0;
    for (int i = 0; i < n->n_in && st == NNGPU_OK; i++) {
        in2[i] = in[i];
        const ng_tensor *t = ng_in(g, n, i);
        if (!t || t->dtype != NNGPU_DTYPE_FLOAT16 || !in[i]) continue;
        if (!(tmp[nt] = widen(in[i], ng_numel(t))))
            st = ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "fp16 buffers");
        in2[i] = tmp[nt++];
    }
    for (int i = 0; i < n->n_out && st == NNGPU_OK; i++) {
        out2[i] = out[i];
        const ng_tensor *t = ng_out(g, n, i);
        if (!t || t->dtype != NNGPU_DTYPE_FLOAT16) continue;
        int64_t cnt = ng_numel(t);
        if (!(tmp[nt] = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1))))
            st = ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "fp16 buffers");
        out2[i] = tmp[nt++];
    }
    if (st == NNGPU_OK) st = ng_ref_run(&v.g, n, in2, out2);
    for (int i = 0; i < n->n_out && st == NNGPU_OK; i++) {
        const ng_tensor *t = ng_out(g, n, i);
        if (!t || t->dtype != NNGPU_DTYPE_FLOAT16) continue;
        int64_t cnt = ng_numel(t);
        for (int64_t j = 0; j < cnt; j++)
            ((uint16_t *)out[i])[j] = ng_half_from_float(((const float *)out2[i])[j]);
    }
    for (int i = 0; tmp && i < nt; i++) free(tmp[i]);
    free(tmp);
    free(in2);
    free(out2);
    ng_half_view_free(&v);
    return st;
}
