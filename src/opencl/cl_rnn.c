/* The rnn family: the Recurrence of LSTM, GRU and RNN (rnn.cl), one
 * work-group per (direction, BT batch samples); the plan is runtime/lower_rnn.h. */
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_rnn.h"

static int rnn_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    return !c->half && ng_rnn_supported(&c->info, g, n, 16);
}

static nngpu_status rnn_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k) {
    ng_rnn_plan p;
    ng_rnn_plan_make(&c->info, g, n, 16, 8, &p);
    const ng_rnn *r = &p.r;
    static const char *cells[] = {"", "rnn", "", "gru", "lstm"};
    ng_cl_kernel_name(k, n, cells[r->gates]);
    if (r->batch == 0) return NNGPU_OK;
    char opts[768];
    int len = snprintf(opts, sizeof opts,
                       "-DGATES=%d -DH=%lld -DT=%lld -DB=%lld -DDIRS=%d -DREVERSE=%d -DLAYOUT=%d -DLBR=%d "
                       "-DINPUT_FORGET=%d -DFLAGS=%d -DHAS_CLIP=%d -DCLIP=(float)(%.9g) -DWG=%d -DVEC=%d -DUNITS=%d -DBT=%d",
                       r->gates, (long long)r->hidden, (long long)r->seq, (long long)r->batch, r->dirs,
                       r->reverse, r->layout, r->linear_before_reset, r->input_forget, p.flags,
                       r->clip > 0, (double)r->clip, p.wg, p.vec, p.units, p.bt);
    for (int a = 0; a < 3; a++)
        len += snprintf(opts + len, sizeof opts - (size_t)len, " -DACT%d=%d -DALPHA%d=(float)(%.9g) -DBETA%d=(float)(%.9g)",
                        a, a < r->n_act ? (int)r->act[0][a] : 0, a, (double)r->alpha[0][a], a, (double)r->beta[0][a]);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "rnn.cl", "recurrence", opts, (size_t)p.groups * (size_t)p.wg,
                              (size_t)p.wg, &kern));
    cl_mem mem[NG_RNN_SLOTS];
    cl_int off[NG_RNN_SLOTS];
    for (int s = 0; s < NG_RNN_SLOTS; s++) /* absent slots: X.W^T's buffer, never touched */
        if (p.tensor[s] >= 0) NG_CHECK(ng_cl_tensor_arg(c, k, g, p.tensor[s], bind, &mem[s], &off[s]));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    for (int s = 0; s < NG_RNN_SLOTS; s++) {
        int t = p.tensor[s] >= 0 ? s : 3;
        ng_cl_arg_mem(&a, mem[t]);
        ng_cl_arg(&a, sizeof off[t], &off[t]);
    }
    return a.status;
}

const ng_cl_family ng_cl_family_rnn = {"rnn", rnn_supports, rnn_prepare};
