/* Nodes that stand for others, rewritten during shape inference (expand.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "expand.h"

int ng_is_expanded(const ng_node *n) {
    return n->op == NG_OP_ATTENTION || n->op == NG_OP_MULTIHEADATTENTION || n->op == NG_OP_ROTARYEMBEDDING || n->op == NG_OP_DEFORMCONV ||
           n->op == NG_OP_AFFINEGRID || n->op == NG_OP_LSTM || n->op == NG_OP_GRU || n->op == NG_OP_RNN ||
           (n->op == NG_OP_BATCHNORM && ng_attr_int(n, "training_mode", 0));
}

nngpu_status ng_expand_node(ng_graph *g, int i) {
    ng_builder e = {g, {g->n_nodes, NULL, 0, i}, "", 18, 1}; /* opset 18 input forms */
    snprintf(e.base, sizeof e.base, "%s", g->nodes[i].name);
    ng_node n = g->nodes[i]; /* appending nodes moves g->nodes */
    nngpu_status st = n.op == NG_OP_ATTENTION   ? ng_expand_attention(&e, &n)
                      : n.op == NG_OP_MULTIHEADATTENTION ? ng_expand_mha(&e, &n)
                      : n.op == NG_OP_BATCHNORM ? ng_expand_bn_training(&e, &n)
                      : n.op == NG_OP_DEFORMCONV ? ng_expand_deform_conv(&e, &n)
                      : n.op == NG_OP_AFFINEGRID ? ng_expand_affine_grid(&e, &n)
                      : n.op == NG_OP_LSTM || n.op == NG_OP_GRU || n.op == NG_OP_RNN ? ng_expand_rnn(&e, &n)
                                                : ng_expand_rotary(&e, &n);
    if (st == NNGPU_OK && !e.ok)
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (%s): expanding it", n.name, ng_op_name(n.op));
    if (st == NNGPU_OK) {
        g->nodes[i].dead = 1; /* its outputs now come from the last new nodes */
    } else {
        for (int k = e.app.n_old; k < g->n_nodes; k++) g->nodes[k].dead = 1;
    }
    nngpu_status placed = ng_appender_finish(g, &e.app);
    return st != NNGPU_OK ? st : placed;
}
