/* LSTM, GRU and RNN as the input projection for every step at once and the
 * recurrence that must go step by step:
 *   XW = MatMul(X, Reshape(Transpose(W, [2, 0, 1]), [input, dirs*gates*hidden]))
 *   Recurrence(XW, -, Transpose(R, [0, 2, 1]), B, sequence_lens, initial_h, initial_c, P)
 * The projection is a GEMM over seq*batch rows (a device kernel, tuned,
 * quantized in INT8 sessions like any MatMul); the transposes fold into the
 * constant weights. Recurrence keeps the node's name, attributes and outputs
 * (ops.def; the reference and the rnn kernels run it). */
#include "core/status.h"
#include "expand.h"
#include "infer.h"

nngpu_status ng_expand_rnn(ng_builder *e, const ng_node *n) {
    ng_graph *g = e->g;
    ng_rnn r;
    NG_CHECK(ng_infer_rnn(g, n, &r)); /* the node's inputs and attributes are valid */
    const int64_t cols = r.dirs * r.gates * r.hidden;
    const int64_t w_perm[3] = {2, 0, 1}, w_dims[2] = {r.input, cols}, r_perm[3] = {0, 2, 1};
    int wt = ng_nb_node(e, NG_OP_TRANSPOSE, "W_transposed", 1, &n->in[1], -1);
    ng_nb_attr_ints(e, "perm", 3, w_perm);
    const int proj_in[2] = {n->in[0], ng_nb_reshape(e, wt, 2, w_dims)};
    int xw = ng_nb_node(e, NG_OP_MATMUL, "input_projection", 2, proj_in, -1);
    int rt = ng_nb_node(e, NG_OP_TRANSPOSE, "R_transposed", 1, &n->in[2], -1);
    ng_nb_attr_ints(e, "perm", 3, r_perm);
    if (!e->ok) return NNGPU_OK; /* ng_expand_node reports it */
    int in[8] = {xw, -1, rt, -1, -1, -1, -1, -1};
    for (int i = 3; i < n->n_in && i < 8; i++) in[i] = n->in[i];
    int id = ng_appender_copy(g, &e->app, n, in, n->out);
    if (id < 0) return e->ok = 0, NNGPU_OK;
    ng_node *rec = &g->nodes[id];
    rec->op = NG_OP_RECURRENCE;
    ng_attr *a = ng_node_add_attr(rec, "gates", NG_ATTR_INT);
    if (!a) return e->ok = 0, NNGPU_OK;
    a->i = r.gates;
    return NNGPU_OK;
}
