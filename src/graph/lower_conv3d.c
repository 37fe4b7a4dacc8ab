/* 3-D convolutions as 2-D ones, so that video models (R3D, R(2+1)D, ...) run on
 * the device kernels instead of the CPU reference.
 *
 * Conv(X [N, C, D, H, W], W [K, C/G, KD, KH, KW]) with explicit pads is, per
 * output frame od, the sum over kd of 2-D convolutions of input frame
 * od * SD - PD + kd * DD: one 2-D convolution whose channels are the KD frames
 * of each group stacked.
 *   Xp = Pad(X) along D                        [N, C, Dp, H, W]
 *   Xg = Gather(Reshape(Xp, [N, G, C/G, Dp, H, W]), frames [OD, KD], axis 3)
 *   X2 = Reshape(Transpose(Xg, [N, OD, G, KD, C/G, H, W]), [N*OD, G*KD*C/G, H, W])
 *   Y2 = Conv(X2, W as [K, KD * C/G, KH, KW] (kd-major), bias)   [N*OD, K, OH, OW]
 *   Y  = Transpose(Reshape(Y2, [N, OD, K, OH, OW]), [0, 2, 1, 3, 4])
 * auto_pad SAME_* becomes explicit pads. The input is copied KD times (a
 * partial im2col along D). Runs for device sessions only; the CPU device keeps
 * the reference's 3-D convolution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "node_builder.h"
#include "passes.h"
#include "qdq.h"

typedef struct conv3d {
    int64_t N, C, D, H, W, K, KD, KH, KW, OD, OH, OW, G;
    int64_t stride[3], dil[3], pads[6];
} conv3d;

/* Node n as a 3-D convolution this pass lowers; 0 when it is not one. */
static int conv3d_of(const ng_graph *g, const ng_node *n, conv3d *c) {
    if (n->dead || n->op != NG_OP_CONV || n->n_epi || n->n_in < 2 || n->n_out != 1) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    const ng_tensor *b = n->n_in > 2 && n->in[2] >= 0 ? ng_in(g, n, 2) : NULL;
    if (x->rank != 5 || w->rank != 5 || y->rank != 5 || !w->data || x->dtype != NNGPU_DTYPE_FLOAT32 ||
        w->dtype != NNGPU_DTYPE_FLOAT32 || x->is_dynamic || (b && !b->data))
        return 0;
    const char *pad = ng_attr_string(n, "auto_pad", "NOTSET");
    int same = strcmp(pad, "SAME_UPPER") == 0 || strcmp(pad, "SAME_LOWER") == 0;
    if (strcmp(pad, "NOTSET") != 0 && strcmp(pad, "VALID") != 0 && !same) return 0;
    memset(c, 0, sizeof *c);
    c->N = x->dims[0], c->C = x->dims[1], c->D = x->dims[2], c->H = x->dims[3], c->W = x->dims[4];
    c->K = w->dims[0], c->KD = w->dims[2], c->KH = w->dims[3], c->KW = w->dims[4];
    c->OD = y->dims[2], c->OH = y->dims[3], c->OW = y->dims[4];
    c->G = ng_attr_int(n, "group", 1);
    const int64_t *v;
    int cnt;
    for (int k = 0; k < 3; k++) c->stride[k] = c->dil[k] = 1;
    if ((cnt = ng_attr_ints(n, "strides", &v)) == 3) memcpy(c->stride, v, sizeof c->stride);
    if ((cnt = ng_attr_ints(n, "dilations", &v)) == 3) memcpy(c->dil, v, sizeof c->dil);
    if (strcmp(pad, "NOTSET") == 0 && (cnt = ng_attr_ints(n, "pads", &v)) == 6)
        memcpy(c->pads, v, sizeof c->pads);
    const int64_t in[3] = {c->D, c->H, c->W}, out[3] = {c->OD, c->OH, c->OW}, k[3] = {c->KD, c->KH, c->KW};
    for (int a = 0; a < 3 && same; a++) { /* the padding SAME_* asks for; the extra one at the end (UPPER) */
        int64_t total = (out[a] - 1) * c->stride[a] + (k[a] - 1) * c->dil[a] + 1 - in[a];
        total = total < 0 ? 0 : total;
        c->pads[a] = pad[5] == 'U' ? total / 2 : total - total / 2;
        c->pads[a + 3] = total - c->pads[a];
    }
    if (c->G < 1 || c->C % c->G || c->K % c->G || w->dims[1] != c->C / c->G || c->OD < 1) return 0;
    /* the last frame read lies inside the padded input */
    int64_t dp = c->D + c->pads[0] + c->pads[3];
    return (c->OD - 1) * c->stride[0] + (c->KD - 1) * c->dil[0] < dp;
}

/* The weight as [K, KD * C/G, KH, KW]: for each output channel, frame kd's
 * C/G channels after one another. */
static int weight_2d(ng_builder *l, const conv3d *c, const float *w) {
    int64_t cg = c->C / c->G, plane = c->KH * c->KW, dims[4] = {c->K, c->KD * cg, c->KH, c->KW};
    float *v = malloc(sizeof *v * (size_t)(c->K * c->KD * cg * plane));
    if (!v) return l->ok = 0, -1;
    for (int64_t k = 0; k < c->K; k++)
        for (int64_t ci = 0; ci < cg; ci++)
            for (int64_t kd = 0; kd < c->KD; kd++)
                memcpy(v + ((k * c->KD + kd) * cg + ci) * plane, w + ((k * cg + ci) * c->KD + kd) * plane,
                       sizeof *v * (size_t)plane);
    char name[300];
    snprintf(name, sizeof name, "%s/weight_2d", l->base);
    int t = ng_const_add(l->g, name, NNGPU_DTYPE_FLOAT32, 4, dims, v);
    free(v);
    if (t < 0) l->ok = 0;
    return t;
}

static void lower_one(ng_builder *l, int i, const conv3d *c) {
    ng_graph *g = l->g;
    int x = g->nodes[i].in[0], y = g->nodes[i].out[0];
    int bias = g->nodes[i].n_in > 2 ? g->nodes[i].in[2] : -1;
    int64_t cg = c->C / c->G, dp = c->D + c->pads[0] + c->pads[3];
    if (c->pads[0] || c->pads[3]) {
        const int64_t pads[10] = {0, 0, c->pads[0], 0, 0, 0, 0, c->pads[3], 0, 0};
        const int64_t dims[5] = {c->N, c->C, dp, c->H, c->W};
        int in[2] = {x, ng_nb_ints(l, "depth_pads", 10, pads)};
        x = ng_nb_node_shaped(l, NG_OP_PAD, "depth_padded", 2, in, -1, 5, dims);
    }
    const int64_t grouped[6] = {c->N, c->G, cg, dp, c->H, c->W};
    x = x < 0 ? -1 : ng_nb_reshape_to(l, "grouped", x, 6, grouped, -1);
    int64_t *frames = malloc(sizeof *frames * (size_t)(c->OD * c->KD));
    if (!frames) return (void)(l->ok = 0);
    for (int64_t od = 0; od < c->OD; od++)
        for (int64_t kd = 0; kd < c->KD; kd++) frames[od * c->KD + kd] = od * c->stride[0] + kd * c->dil[0];
    const int64_t fdims[2] = {c->OD, c->KD};
    int gin[2] = {x, ng_nb_i64(l, "frames", 2, fdims, frames)};
    free(frames);
    const int64_t gathered[7] = {c->N, c->G, cg, c->OD, c->KD, c->H, c->W};
    x = ng_nb_node_shaped(l, NG_OP_GATHER, "frames_gathered", 2, gin, -1, 7, gathered);
    if (x >= 0) ng_nb_attr_int(l, "axis", 3);
    const int64_t to_frames[7] = {0, 3, 1, 4, 2, 5, 6};
    const int64_t stacked[4] = {c->N * c->OD, c->G * c->KD * cg, c->H, c->W};
    x = ng_nb_reshape_to(l, "frames_stacked", ng_nb_transpose_to(l, "frames_major", x, 7, to_frames, -1), 4, stacked, -1);
    int cin[3] = {x, weight_2d(l, c, g->tensors[g->nodes[i].in[1]].data), bias};
    const int64_t y2dims[4] = {c->N * c->OD, c->K, c->OH, c->OW};
    int y2 = ng_nb_node_shaped(l, NG_OP_CONV, "conv2d", bias >= 0 ? 3 : 2, cin, -1, 4, y2dims);
    if (y2 >= 0) {
        const int64_t kernel[2] = {c->KH, c->KW}, strides[2] = {c->stride[1], c->stride[2]};
        const int64_t dil[2] = {c->dil[1], c->dil[2]};
        const int64_t pads[4] = {c->pads[1], c->pads[2], c->pads[4], c->pads[5]};
        ng_nb_attr_ints(l, "kernel_shape", 2, kernel);
        ng_nb_attr_ints(l, "strides", 2, strides);
        ng_nb_attr_ints(l, "dilations", 2, dil);
        ng_nb_attr_ints(l, "pads", 4, pads);
        ng_nb_attr_int(l, "group", c->G);
        ng_node_note_fused(&g->nodes[g->n_nodes - 1], "Conv");
    }
    const int64_t y5[5] = {c->N, c->OD, c->K, c->OH, c->OW}, to_channels[5] = {0, 2, 1, 3, 4};
    int y5t = y2 < 0 ? -1 : ng_nb_reshape_to(l, "frames_out", y2, 5, y5, -1);
    if (!l->ok || y5t < 0) return;
    g->nodes[i].dead = 1; /* its output now comes from the Transpose */
    g->tensors[y].producer = -1;
    ng_nb_transpose_to(l, "channels_major", y5t, 5, to_channels, y);
}

nngpu_status ng_pass_lower_conv3d(ng_graph *g, ng_report *r) {
    ng_builder l = {g, {g->n_nodes, NULL, 0, 0}, "", 13, 1}; /* opset 13: Pad's and Reshape's input forms */
    for (int i = 0; i < l.app.n_old && l.ok; i++) {
        conv3d c;
        if (!conv3d_of(g, &g->nodes[i], &c)) continue;
        ng_nb_before(&l, i);
        lower_one(&l, i, &c);
        if (l.ok)
            ng_report_add(r, "lower_conv3d: '%s' as a 2-D Conv over %lld stacked frames x %lld output frames",
                          g->nodes[i].name, (long long)c.KD, (long long)c.OD);
    }
    nngpu_status placed = ng_appender_finish(g, &l.app);
    return !l.ok ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lower_conv3d: new nodes") : placed;
}
