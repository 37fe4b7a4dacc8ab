/* A 2-D ConvTranspose whose kernel is a multiple m of its stride s (the same
 * along both dims), without dilation, groups or output_padding, is s*s
 * ordinary convolutions, one per output phase (r, c), interleaved:
 *     y_full[n, co, q*s + r, ...] = sum_ci sum_j x[n, ci, q - j, ...] W[ci, co, r + s*j, ...]
 * (j < m per dim, x zero outside). That is one Conv to Cout*s*s channels,
 * (co, r, c) in CRD order, with an m x m kernel (taps flipped) and m - 1
 * zero pads per side, followed by DepthToSpace(s, CRD) and, where the node
 * had pads or m > 1, a Slice cropping them:
 *     y = Slice(DepthToSpace(Conv(x, W'[(co, r, c), ci, jh, jw]
 *                 = W[ci, co, r + s*(m-1-jh), c + s*(m-1-jw)], b' = b[co])))
 * U-Net / FPN decoders and Mask R-CNN's mask head (2x2, stride 2: m = 1, a
 * 1x1 Conv; its 256->256 head on 100 RoIs about 1.7 s -> 0.2 s a run on
 * POCL) and GAN / VAE decoders (4x4, stride 2, pad 1: m = 2) then run as the
 * tuned convolution kernels plus copies instead of the transposed-convolution
 * kernel. DepthToSpace and Slice only move values, so what follows alone
 * still fuses into the Conv: an Add of a per-channel or scalar constant joins
 * b', and unary activations after it (Relu, ...) move before the
 * DepthToSpace, where fuse_epilogue takes them. Device sessions only. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "node_builder.h"
#include "passes.h"

/* Node n as a ConvTranspose this pass lowers: its kernel size *k, stride *s
 * (k = m * s) and pads (begin H, W, end H, W). */
static int lowerable(const ng_graph *g, const ng_node *n, int64_t *k, int64_t *s, int64_t *pads) {
    if (n->dead || n->op != NG_OP_CONVTRANSPOSE || n->n_epi || n->n_in < 2 || n->n_out != 1)
        return 0;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *b = n->n_in > 2 ? ng_in(g, n, 2) : NULL;
    const ng_tensor *y = ng_out(g, n, 0);
    const int64_t *v;
    if (x->rank != 4 || y->rank != 4 || x->dtype != NNGPU_DTYPE_FLOAT32 || x->is_dynamic ||
        x->rt_shape || !w->data || w->dtype != NNGPU_DTYPE_FLOAT32 || w->rank != 4 ||
        (b && (!b->data || b->dtype != NNGPU_DTYPE_FLOAT32)) || ng_attr_int(n, "group", 1) != 1 ||
        strcmp(ng_attr_string(n, "auto_pad", "NOTSET"), "NOTSET"))
        return 0;
    *k = w->dims[2];
    int c = ng_attr_ints(n, "strides", &v);
    if (c != 2 || v[0] != v[1] || v[0] < 2) return 0;
    *s = v[0];
    memset(pads, 0, 4 * sizeof *pads);
    if ((c = ng_attr_ints(n, "pads", &v)) && c != 4) return 0;
    for (int i = 0; i < c; i++) pads[i] = v[i];
    if (w->dims[3] != *k || *k % *s || w->dims[0] != x->dims[1] || y->dims[1] != w->dims[1])
        return 0;
    for (int d = 0; d < 2; d++) /* the output size of output_padding 0 */
        if (y->dims[2 + d] != (x->dims[2 + d] - 1) * *s + *k - pads[d] - pads[d + 2] ||
            pads[d] < 0 || pads[d + 2] < 0)
            return 0;
    if ((c = ng_attr_ints(n, "dilations", &v)) && (c != 2 || v[0] != 1 || v[1] != 1)) return 0;
    if ((c = ng_attr_ints(n, "output_padding", &v)))
        for (int i = 0; i < c; i++)
            if (v[i]) return 0;
    return 1;
}

/* W[ci, co, kh, kw] as W'[(co, r, c), ci, jh, jw] = W[ci, co, r + s*(m-1-jh),
 * c + s*(m-1-jw)] (m = k / s); b' repeats b[co] s*s times. */
static nngpu_status rearrange(const ng_tensor *w, const ng_tensor *b, int64_t k, int64_t s,
                              float **wp, float **bp) {
    int64_t cin = w->dims[0], cout = w->dims[1], m = k / s, ss = s * s;
    *wp = malloc(sizeof **wp * (size_t)(cin * cout * k * k));
    *bp = calloc((size_t)(cout * ss), sizeof **bp);
    if (!*wp || !*bp) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lower_convtranspose: weights");
    const float *src = w->data;
    for (int64_t o = 0; o < cout * ss; o++) { /* o = (co, r, c) */
        int64_t co = o / ss, r = o / s % s, c = o % s;
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t jh = 0; jh < m; jh++)
                for (int64_t jw = 0; jw < m; jw++)
                    (*wp)[((o * cin + ci) * m + jh) * m + jw] =
                        src[((ci * cout + co) * k + r + s * (m - 1 - jh)) * k + c + s * (m - 1 - jw)];
    }
    for (int64_t o = 0; b && o < cout * ss; o++) (*bp)[o] = ((const float *)b->data)[o / ss];
    return NNGPU_OK;
}

/* The per-channel value of constant c (rank <= 4, broadcast to [N, C, H, W])
 * for channel co, when c is one: else 0 and *ok 0. */
static float channel_value(const ng_tensor *c, int64_t cout, int64_t co, int *ok) {
    int64_t n = ng_numel(c);
    for (int d = 0; d < c->rank; d++)
        if (c->dims[d] != 1 && !(d == c->rank - 3 && c->dims[d] == cout)) *ok = 0;
    if (!*ok || c->dtype != NNGPU_DTYPE_FLOAT32) return *ok = 0, 0.0f;
    return ((const float *)c->data)[n == 1 ? 0 : co];
}

/* Starting at y, the constant Adds the bias takes (folded into bp, their
 * nodes into adds) and the unary activations that move (into moved), until a
 * reader that fits neither; *last: the tensor the chain ends in. */
static void absorb(const ng_graph *g, int y, int64_t cout, int64_t kk, float *bp, int *adds,
                   int *n_adds, int *moved, int *n_moved, int *last) {
    *n_adds = *n_moved = 0;
    for (*last = y; *n_adds + *n_moved < 8;) {
        int c = ng_sole_consumer(g, *last);
        if (c < 0) return;
        const ng_node *n = &g->nodes[c];
        if (n->n_out != 1 || n->n_epi || n->out[0] < 0) return;
        if (n->op == NG_OP_ADD && !*n_moved && n->n_in == 2) {
            const ng_tensor *k = ng_in(g, n, n->in[0] == *last ? 1 : 0);
            int ok = k->data && k->rank <= 4;
            for (int64_t co = 0; co < cout && ok; co++) channel_value(k, cout, co, &ok);
            if (!ok) return;
            for (int64_t r = 0; r < cout * kk; r++) bp[r] += channel_value(k, cout, r / kk, &ok);
            adds[(*n_adds)++] = c;
        } else if (ng_op_kind_of(n->op) == NG_KIND_ELTWISE_UNARY && n->in[0] == *last) {
            for (int k = 1; k < n->n_in; k++)
                if (n->in[k] >= 0 && !g->tensors[n->in[k]].data) return;
            moved[(*n_moved)++] = c;
        } else {
            return;
        }
        *last = n->out[0];
    }
}

nngpu_status ng_pass_lower_convtranspose(ng_graph *g, ng_report *r) {
    ng_builder l = {g, {g->n_nodes, NULL, 0, 0}, "", 13, 1};
    nngpu_status st = NNGPU_OK;
    for (int i = 0; i < l.app.n_old && l.ok && st == NNGPU_OK; i++) {
        int64_t k, s, pads[4];
        if (!lowerable(g, &g->nodes[i], &k, &s, pads)) continue;
        ng_nb_before(&l, i);
        const ng_node n = g->nodes[i]; /* a copy: building may move the node array */
        const ng_tensor *w = ng_in(g, &n, 1), *b = n.n_in > 2 ? ng_in(g, &n, 2) : NULL;
        int64_t cin = w->dims[0], cout = w->dims[1], m = k / s, ss = s * s, xd[4], yd[4];
        memcpy(xd, ng_in(g, &n, 0)->dims, sizeof xd);
        memcpy(yd, ng_out(g, &n, 0)->dims, sizeof yd);
        float *wp = NULL, *bp = NULL;
        int adds[8], moved[8], n_adds, n_moved, last;
        if ((st = rearrange(w, b, k, s, &wp, &bp)) == NNGPU_OK) {
            absorb(g, n.out[0], cout, ss, bp, adds, &n_adds, moved, &n_moved, &last);
            const int64_t wd[4] = {cout * ss, cin, m, m}, bd[1] = {cout * ss}, mm[2] = {m, m},
                          ones[2] = {1, 1}, cpad[4] = {m - 1, m - 1, m - 1, m - 1};
            /* the phases' planes, the interleaved full output, the crop */
            const int64_t planes[4] = {xd[0], cout * ss, xd[2] + m - 1, xd[3] + m - 1},
                          full[4] = {yd[0], cout, planes[2] * s, planes[3] * s};
            int crop = m > 1 || pads[0] || pads[1] || pads[2] || pads[3];
            int in[3] = {n.in[0], ng_nb_const_f(&l, "weight", NNGPU_DTYPE_FLOAT32, 4, wd, wp),
                         ng_nb_const_f(&l, "bias", NNGPU_DTYPE_FLOAT32, 1, bd, bp)};
            int t = ng_nb_node_shaped(&l, NG_OP_CONV, "phases", 3, in, -1, 4, planes);
            ng_nb_attr_ints(&l, "kernel_shape", 2, mm);
            ng_nb_attr_ints(&l, "strides", 2, ones);
            ng_nb_attr_ints(&l, "pads", 4, cpad);
            if (l.ok) {
                ng_node_note_fused(&g->nodes[g->n_nodes - 1], "ConvTranspose");
                for (int a = 0; a < n_adds; a++) ng_node_note_fused(&g->nodes[g->n_nodes - 1], "Add");
            }
            for (int q = 0; q < n_moved && l.ok && t >= 0; q++) { /* the activation, on the planes */
                const ng_node u = g->nodes[moved[q]];
                int ins[8], out = ng_nb_shape(&l, ng_tensor_add_unique(g, u.name), NNGPU_DTYPE_FLOAT32, 4, planes);
                for (int e = 0; e < u.n_in && e < 8; e++) ins[e] = e ? u.in[e] : t;
                if (out < 0 || u.n_in > 8 || ng_appender_copy(g, &l.app, &u, ins, &out) < 0) l.ok = 0;
                t = out;
            }
            if (l.ok && t >= 0) {
                g->nodes[i].dead = 1; /* its result now comes from the DepthToSpace (and Slice) */
                for (int a = 0; a < n_adds; a++) g->nodes[adds[a]].dead = 1;
                for (int q = 0; q < n_moved; q++) g->nodes[moved[q]].dead = 1;
                g->tensors[last].producer = -1;
                int d2s = ng_nb_node_shaped(&l, NG_OP_DEPTHTOSPACE, "pixels", 1, &t, crop ? -1 : last,
                                            4, full);
                ng_nb_attr_int(&l, "blocksize", s);
                ng_nb_attr_string(&l, "mode", "CRD");
                if (crop) {
                    const int64_t starts[2] = {pads[0], pads[1]},
                                  ends[2] = {pads[0] + yd[2], pads[1] + yd[3]}, axes[2] = {2, 3};
                    int sl[4] = {d2s, ng_nb_ints(&l, "starts", 2, starts), ng_nb_ints(&l, "ends", 2, ends),
                                 ng_nb_ints(&l, "axes", 2, axes)};
                    ng_nb_node_shaped(&l, NG_OP_SLICE, "crop", 4, sl, last, 4, yd);
                }
                ng_report_add(r, "lower_convtranspose: '%s' (%lldx%lld, stride %lld) as a %lldx%lld "
                              "Conv to %lld channels and DepthToSpace%s%s", n.name, (long long)k,
                              (long long)k, (long long)s, (long long)m, (long long)m,
                              (long long)(cout * ss), crop ? " and Slice" : "",
                              n_adds + n_moved ? ", with the ops after it" : "");
            }
        }
        free(wp);
        free(bp);
    }
    nngpu_status placed = ng_appender_finish(g, &l.app);
    if (st != NNGPU_OK) return st;
    return !l.ok ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lower_convtranspose: new nodes") : placed;
}
