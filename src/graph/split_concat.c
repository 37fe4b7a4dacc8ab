/* Concats of more inputs than a device copies in one node (NG_CONCAT_MAX_PARTS:
 * one launch or dispatch per input) as a tree of Concats: the inputs in runs
 * of NG_CONCAT_MAX_PARTS concatenated first, the node joining the runs. SSD's
 * anchor heads and detection post-processing concatenate ~90 tensors; without
 * this such a node ran on the CPU reference. Device sessions only. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "node_builder.h"
#include "passes.h"

static int wide_concat(const ng_graph *g, const ng_node *n) {
    if (n->dead || n->op != NG_OP_CONCAT || n->n_out != 1 || n->n_epi ||
        n->n_in != n->n_main_inputs || n->n_in <= NG_CONCAT_MAX_PARTS)
        return 0;
    const ng_tensor *y = ng_out(g, n, 0);
    if (!y || y->is_dynamic || y->rank < 1) return 0;
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] < 0 || g->tensors[n->in[k]].is_dynamic) return 0;
    return 1;
}

/* One level: node i's inputs in runs of NG_CONCAT_MAX_PARTS, each run (of 2
 * or more) replaced by its Concat's output. */
static void join_runs(ng_builder *b, int i, int axis) {
    ng_node *n = &b->g->nodes[i];
    int k = n->n_in, *in = n->in, m = 0;
    for (int j = 0; j < k && b->ok; j += NG_CONCAT_MAX_PARTS) {
        int cnt = k - j < NG_CONCAT_MAX_PARTS ? k - j : NG_CONCAT_MAX_PARTS;
        if (cnt == 1) {
            in[m++] = in[j];
            continue;
        }
        const ng_tensor *first = &b->g->tensors[in[j]];
        int64_t dims[NNGPU_MAX_DIMS];
        memcpy(dims, first->dims, sizeof dims);
        dims[axis] = 0;
        for (int q = j; q < j + cnt; q++) dims[axis] += b->g->tensors[in[q]].dims[axis];
        nngpu_dtype dt = first->dtype;
        int rank = first->rank;
        char what[32];
        snprintf(what, sizeof what, "part%d", j / NG_CONCAT_MAX_PARTS);
        int part = ng_nb_node(b, NG_OP_CONCAT, what, cnt, &in[j], -1); /* may move nodes */
        ng_nb_attr_int(b, "axis", axis);
        ng_nb_shape(b, part, dt, rank, dims);
        n = &b->g->nodes[i];
        in = n->in;
        in[m++] = part;
    }
    n->n_in = n->n_main_inputs = m;
}

nngpu_status ng_pass_split_concat(ng_graph *g, ng_report *r) {
    ng_builder b = {g, {g->n_nodes, NULL, 0, 0}, "", 13, 1};
    for (int i = 0; i < b.app.n_old && b.ok; i++) {
        if (!wide_concat(g, &g->nodes[i])) continue;
        int k = g->nodes[i].n_in, made = g->n_nodes;
        int axis = ng_axis(ng_attr_int(&g->nodes[i], "axis", 0), ng_out(g, &g->nodes[i], 0)->rank);
        if (axis < 0) continue;
        b.app.at = i;
        b.opset = g->nodes[i].opset;
        snprintf(b.base, sizeof b.base, "%s", g->nodes[i].name);
        while (b.ok && g->nodes[i].n_in > NG_CONCAT_MAX_PARTS) join_runs(&b, i, axis);
        if (b.ok)
            ng_report_add(r, "split_concat: '%s' of %d inputs as %d Concats of at most %d",
                          g->nodes[i].name, k, 1 + g->n_nodes - made, NG_CONCAT_MAX_PARTS);
    }
    nngpu_status placed = ng_appender_finish(g, &b.app);
    return !b.ok ? ng_error(NNGPU_ERR_OUT_OF_MEMORY, "split_concat: new nodes") : placed;
}
