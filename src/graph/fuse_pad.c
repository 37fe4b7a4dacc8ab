/* A zero, constant-mode Pad of the spatial dims folded into the pads of the
 * Conv (or AveragePool counting padding) that reads it. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"

static int pad_is_spatial_zero(const ng_graph *g, const ng_node *pad, int64_t pads[8]) {
    if (pad->dead || pad->op != NG_OP_PAD) return 0;
    if (ng_in(g, pad, 0)->rank != 4 || ng_in(g, pad, 0)->dtype != NNGPU_DTYPE_FLOAT32) return 0;
    if (ng_attr_string(pad, "mode", "constant")[0] != 'c') return 0;
    if (pad->n_in > 3 && pad->in[3] >= 0) return 0; /* axes input (opset 18) */
    if (ng_node_ints(g, pad, "pads", 1, pads, 8) != 8) return 0;
    if (pads[0] || pads[1] || pads[4] || pads[5]) return 0;
    for (int i = 0; i < 8; i++)
        if (pads[i] < 0) return 0;
    const ng_attr *value = ng_attr_find(pad, "value");
    if (value && value->f != 0.0f) return 0;
    if (pad->n_in > 2 && pad->in[2] >= 0) {
        const ng_tensor *v = ng_in(g, pad, 2);
        if (!v->data || ng_numel(v) != 1 || ng_const_double(v, 0) != 0.0) return 0;
    }
    return 1;
}

static int consumer_takes_pads(const ng_node *c) {
    if (c->op != NG_OP_CONV && c->op != NG_OP_AVGPOOL) return 0;
    const char *ap = ng_attr_string(c, "auto_pad", "NOTSET");
    if (ap[0] != 'N' && ap[0] != '\0') return 0;
    if (c->op == NG_OP_AVGPOOL && ng_attr_int(c, "count_include_pad", 0) != 1) return 0;
    return 1;
}

nngpu_status ng_pass_fuse_pad(ng_graph *g, ng_report *r) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *pad = &g->nodes[i];
        int64_t pp[8];
        if (!pad_is_spatial_zero(g, pad, pp)) continue;
        int ci = ng_sole_consumer(g, pad->out[0]);
        if (ci < 0 || !consumer_takes_pads(&g->nodes[ci]) || g->nodes[ci].in[0] != pad->out[0])
            continue;
        ng_node *c = &g->nodes[ci];
        int64_t cp[4] = {0, 0, 0, 0};
        const int64_t *old;
        int n_old = ng_attr_ints(c, "pads", &old);
        for (int k = 0; k < n_old && k < 4; k++) cp[k] = old[k];
        int64_t merged[4] = {cp[0] + pp[2], cp[1] + pp[3], cp[2] + pp[6], cp[3] + pp[7]};
        if (!ng_node_set_ints(c, "pads", 4, merged))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fuse_pad: node '%s'", c->name);
        c->in[0] = pad->in[0];
        pad->dead = 1;
        if (!c->fused) ng_node_note_fused(c, ng_op_name(c->op));
        ng_node_note_fused(c, "Pad");
        ng_report_add(r, "fuse_pad: '%s' into %s '%s'", pad->name, ng_op_name(c->op), c->name);
    }
    return NNGPU_OK;
}
