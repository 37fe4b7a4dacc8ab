/* 3-D MaxPool / AveragePool as two 2-D pools, so that video models (S3D,
 * MViT, I3D) pool on the device kernels instead of the CPU reference.
 *
 * A box window is separable: the max over (d, h, w) is the max over d of the
 * max over (h, w), and an average is the average over d of the averages over
 * (h, w), since the cells a window holds (inside the input, or inside the
 * padded input with count_include_pad) are a product of per-axis ranges.
 *   Y1 = Pool2d(Reshape(X, [N, C * D, H, W]); KH x KW, strides, pads, dilations)
 *   Y2 = Pool2d(Reshape(Y1, [N, C, D, OH * OW]); KD x 1 along D)
 *   Y  = Reshape(Y2, [N, C, OD, OH, OW])
 * ceil_mode and count_include_pad apply to both. Explicit pads or VALID only;
 * MaxPool's indices output keeps the reference. Device sessions only. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "node_builder.h"
#include "passes.h"

/* Node n as a pool this pass lowers: its 3 kernel, stride, dilation and 6 pads. */
static int pool3d_of(const ng_graph *g, const ng_node *n, int64_t *k, int64_t *s, int64_t *d,
                     int64_t *p) {
    if (n->dead || (n->op != NG_OP_MAXPOOL && n->op != NG_OP_AVGPOOL) || n->n_epi ||
        n->n_in != 1 || (n->n_out > 1 && n->out[1] >= 0 && ng_use_count(g, n->out[1])))
        return 0;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    const char *pad = ng_attr_string(n, "auto_pad", "NOTSET");
    const int64_t *v;
    if (x->rank != 5 || y->rank != 5 || x->dtype != NNGPU_DTYPE_FLOAT32 || x->is_dynamic ||
        x->rt_shape || (strcmp(pad, "NOTSET") && strcmp(pad, "VALID")) ||
        ng_attr_ints(n, "kernel_shape", &v) != 3)
        return 0;
    memcpy(k, v, 3 * sizeof *k);
    for (int a = 0; a < 3; a++) s[a] = d[a] = 1, p[a] = p[a + 3] = 0;
    if (ng_attr_ints(n, "strides", &v) == 3) memcpy(s, v, 3 * sizeof *s);
    if (ng_attr_ints(n, "dilations", &v) == 3) memcpy(d, v, 3 * sizeof *d);
    if (!strcmp(pad, "NOTSET") && ng_attr_ints(n, "pads", &v) == 6) memcpy(p, v, 6 * sizeof *p);
    return 1;
}

/* A 2-D pool like node src over kernel k, strides s, dilations d, pads p. */
static int pool2d(ng_builder *l, const ng_node *src, const char *what, int x, const int64_t *k,
                  const int64_t *s, const int64_t *d, const int64_t *p, const int64_t *dims) {
    int y = ng_nb_shape(l, ng_nb_node(l, src->op, what, 1, &x, -1), NNGPU_DTYPE_FLOAT32, 4, dims);
    if (y < 0) return -1;
    ng_nb_attr_ints(l, "kernel_shape", 2, k);
    ng_nb_attr_ints(l, "strides", 2, s);
    ng_nb_attr_ints(l, "dilations", 2, d);
    ng_nb_attr_ints(l, "pads", 4, p);
    ng_nb_attr_int(l, "ceil_mode", ng_attr_int(src, "ceil_mode", 0));
    if (src->op == NG_OP_AVGPOOL) ng_nb_attr_int(l, "count_include_pad", ng_attr_int(src, "count_include_pad", 0));
    if (l->ok) ng_node_note_fused(&l->g->nodes[l->g->n_nodes - 1], ng_op_name(src->op));
    return y;
}

nngpu_status ng_pass_lower_pool3d(ng_graph *g, ng_report *r) {
    ng_builder l = {g, {g->n_nodes, NULL, 0, 0}, "", 13, 1}; /* opset 13: Reshape's input form */
    for (int i = 0; i < l.app.n_old && l.ok; i++) {
        int64_t k[3], s[3], d[3], p[6];
        if (!pool3d_of(g, &g->nodes[i], k, s, d, p)) continue;
        ng_nb_before(&l, i);
        const ng_node n = g->nodes[i]; /* a copy: building may move the node array */
        int64_t xd[5], yd[5];
        memcpy(xd, g->tensors[n.in[0]].dims, sizeof xd);
        memcpy(yd, g->tensors[n.out[0]].dims, sizeof yd);
        const int64_t planes[4] = {xd[0], xd[1] * xd[2], xd[3], xd[4]};
        const int64_t hw_pooled[4] = {xd[0], xd[1] * xd[2], yd[3], yd[4]};
        const int64_t frames[4] = {xd[0], xd[1], xd[2], yd[3] * yd[4]};
        const int64_t d_pooled[4] = {xd[0], xd[1], yd[2], yd[3] * yd[4]};
        const int64_t kh[2] = {k[1], k[2]}, sh[2] = {s[1], s[2]}, dh[2] = {d[1], d[2]};
        const int64_t ph[4] = {p[1], p[2], p[4], p[5]};
        const int64_t kd[2] = {k[0], 1}, sd[2] = {s[0], 1}, dd[2] = {d[0], 1}, pd[4] = {p[0], 0, p[3], 0};
        int y = n.out[0];
        int t = ng_nb_reshape_to(&l, "planes", n.in[0], 4, planes, -1);
        t = pool2d(&l, &n, "pool_hw", t, kh, sh, dh, ph, hw_pooled);
        t = ng_nb_reshape_to(&l, "frames", t, 4, frames, -1);
        t = pool2d(&l, &n, "pool_d", t, kd, sd, dd, pd, d_pooled);
        if (!l.ok || t < 0) break;
        g->nodes[i].dead = 1; /* its output now comes from the last Reshape */
        g->tensors[y].producer = -1;
        ng_nb_reshape_to(&l, "volume", t, 5, yd, y);
        ng_report_add(r, "lower_pool3d: %s '%s' as a %lldx%lld pool, then %lld frames", ng_op_name(n.op),
                      n.name, (long long)k[1], (long long)k[2], (long long)k[0]);
    }
    nngpu_status placed = ng_appender_finish(g, &l.app);
    return !l.ok ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lower_pool3d: new nodes") : placed;
}
