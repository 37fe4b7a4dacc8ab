/* Kernel taps that only ever read padding are dropped from a convolution.
 *
 * With dilation, a tap can lie in the padding for every output position: the
 * atrous branches of DeepLabV3's ASPP (3x3, dilation 24 and 36, padding equal
 * to the dilation) on a 20x20 map read nothing but zeros outside the centre
 * tap, yet an im2col GEMM or implicit GEMM multiplies them all. Per spatial
 * dim a, tap k is live when some output o reads inside the input:
 *     0 <= o * S - P_begin + k * D < I   for an o in [0, O)
 * The kernel is cut to the live taps [lo, hi] of each dim, and the pads move
 * so that every output keeps its taps:
 *     P_begin' = P_begin - lo * D,   P_end' = P_end - (K - 1 - hi) * D
 * (taken only when both stay >= 0). The result is exact: a dropped tap's
 * products are all with padding zeros (weights must be finite, else 0 * inf
 * would have been NaN). A 3x3 whose centre alone is live becomes a 1x1 and
 * runs as a GEMM. Conv with a constant float32 weight and explicit pads, 1-3
 * spatial dims, any group; device sessions only (the CPU reference keeps the
 * whole kernel, so the tests compare against it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "qdq.h"

enum { MAX_SP = 3 };

typedef struct conv_taps {
    int sp;                                   /* spatial dims */
    int64_t in[MAX_SP], out[MAX_SP], k[MAX_SP], s[MAX_SP], d[MAX_SP], pads[2 * MAX_SP];
    int64_t lo[MAX_SP], hi[MAX_SP];           /* live taps per dim */
} conv_taps;

/* Fills c for a Conv this pass can look at; 0 otherwise. */
static int conv_of(const ng_graph *g, const ng_node *n, conv_taps *c) {
    if (n->dead || n->op != NG_OP_CONV || n->n_epi || n->n_in < 2 || n->n_out != 1) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!x || !w || !y || !w->data || w->dtype != NNGPU_DTYPE_FLOAT32 || x->is_dynamic ||
        x->rt_shape || x->rank < 3 || x->rank > 2 + MAX_SP || w->rank != x->rank ||
        y->rank != x->rank)
        return 0;
    if (strcmp(ng_attr_string(n, "auto_pad", "NOTSET"), "NOTSET")) return 0; /* VALID: all live */
    memset(c, 0, sizeof *c);
    c->sp = x->rank - 2;
    const int64_t *v;
    int strides = ng_attr_ints(n, "strides", &v);
    for (int a = 0; a < c->sp; a++) {
        c->in[a] = x->dims[a + 2], c->out[a] = y->dims[a + 2], c->k[a] = w->dims[a + 2];
        c->s[a] = strides == c->sp ? v[a] : 1;
    }
    int dil = ng_attr_ints(n, "dilations", &v);
    for (int a = 0; a < c->sp; a++) c->d[a] = dil == c->sp ? v[a] : 1;
    if (ng_attr_ints(n, "pads", &v) == 2 * c->sp) memcpy(c->pads, v, sizeof(int64_t) * 2 * c->sp);
    for (int a = 0; a < c->sp; a++)
        if (c->in[a] < 1 || c->out[a] < 1 || c->k[a] < 1 || c->s[a] < 1 || c->d[a] < 1) return 0;
    return 1;
}

/* Live taps of each dim into c->lo / c->hi; 1 when some dim loses taps and
 * the moved pads stay non-negative. */
static int trimmable(conv_taps *c) {
    int fewer = 0;
    for (int a = 0; a < c->sp; a++) {
        c->lo[a] = -1;
        for (int64_t k = 0; k < c->k[a]; k++) {
            /* the inputs tap k reads: first = k * D - P_begin, then every S */
            int64_t first = k * c->d[a] - c->pads[a], last = first + (c->out[a] - 1) * c->s[a];
            int64_t lo_o = first >= 0 ? 0 : (-first + c->s[a] - 1) / c->s[a]; /* first o inside */
            int live = last >= 0 && first < c->in[a] && lo_o < c->out[a] &&
                       first + lo_o * c->s[a] < c->in[a];
            if (!live) continue;
            if (c->lo[a] < 0) c->lo[a] = k;
            c->hi[a] = k;
        }
        if (c->lo[a] < 0) return 0; /* nothing live: leave it to the kernels */
        if (c->lo[a] > 0 || c->hi[a] < c->k[a] - 1) fewer = 1;
        if (c->pads[a] - c->lo[a] * c->d[a] < 0 ||
            c->pads[a + c->sp] - (c->k[a] - 1 - c->hi[a]) * c->d[a] < 0)
            return 0;
    }
    return fewer;
}

/* w [K, C/G, k...] cut to the live taps; NULL on OOM. */
static float *cut_weights(const ng_tensor *w, const conv_taps *c, int64_t *dims) {
    int64_t rows = w->dims[0] * w->dims[1], kept = 1, full = 1;
    dims[0] = w->dims[0], dims[1] = w->dims[1];
    for (int a = 0; a < c->sp; a++) {
        dims[a + 2] = c->hi[a] - c->lo[a] + 1;
        kept *= dims[a + 2];
        full *= c->k[a];
    }
    float *out = malloc(sizeof *out * (size_t)(rows * kept));
    if (!out) return NULL;
    const float *src = w->data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t t = 0; t < kept; t++) { /* kept tap t -> its index in the full kernel */
            int64_t q = t, idx = 0, stride = 1;
            for (int a = c->sp - 1; a >= 0; a--) {
                idx += (c->lo[a] + q % dims[a + 2]) * stride;
                q /= dims[a + 2];
                stride *= c->k[a];
            }
            out[r * kept + t] = src[r * full + idx];
        }
    return out;
}

nngpu_status ng_pass_trim_conv_taps(ng_graph *g, ng_report *r) {
    for (int i = 0; i < g->n_nodes; i++) {
        conv_taps c;
        ng_node *n = &g->nodes[i];
        if (!conv_of(g, n, &c) || !trimmable(&c) || !ng_const_all_finite(ng_in(g, n, 1))) continue;
        int64_t dims[2 + MAX_SP], kshape[MAX_SP], pads[2 * MAX_SP];
        float *w = cut_weights(ng_in(g, n, 1), &c, dims);
        if (!w) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': trimming kernel taps", n->name);
        char name[320];
        snprintf(name, sizeof name, "%s/live_taps", n->name);
        int t = ng_const_add(g, name, NNGPU_DTYPE_FLOAT32, 2 + c.sp, dims, w);
        free(w);
        n = &g->nodes[i];
        for (int a = 0; a < c.sp; a++) {
            kshape[a] = dims[a + 2];
            pads[a] = c.pads[a] - c.lo[a] * c.d[a];
            pads[a + c.sp] = c.pads[a + c.sp] - (c.k[a] - 1 - c.hi[a]) * c.d[a];
        }
        if (t < 0 || !ng_node_set_ints(n, "kernel_shape", c.sp, kshape) ||
            !ng_node_set_ints(n, "pads", 2 * c.sp, pads))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': trimming kernel taps", n->name);
        n->in[1] = t;
        ng_report_add(r, "trim_conv_taps: '%s' keeps %lldx%lld%s of its taps (the rest read only padding)",
                      n->name, (long long)kshape[0], (long long)(c.sp > 1 ? kshape[1] : 1),
                      c.sp > 2 ? "x.." : "");
    }
    return NNGPU_OK;
}
