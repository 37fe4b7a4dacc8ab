/* The FP16 pass's simulation on the CPU reference (see fp16_sim.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib_data.h"
#include "core/half.h"
#include "core/status.h"
#include "fp16_sim.h"
#include "precision_guard.h"
#include "ref/ref.h"

#define MAX_SAMPLES 4
#define BUDGET_MACS 1e9 /* reference work per sample: the fp32 pass and the simulation */

static float round_half(float v) { return ng_half_to_float(ng_half_from_float(v)); }

static void free_values(const ng_graph *g, void **val) {
    for (int t = 0; val && t < g->n_tensors; t++)
        if (!g->tensors[t].data) free(val[t]);
    free(val);
}

static int is_float(const ng_tensor *x) { return x && x->dtype == NNGPU_DTYPE_FLOAT32; }

static void round_all(float *v, int64_t cnt) {
    for (int64_t i = 0; i < cnt; i++) v[i] = round_half(v[i]);
}

/* Node n with half arithmetic: its own result rounded to fp16, then each
 * epilogue step's (the kernels' accumulators and float functions stay fp32). */
static nngpu_status run_half_math(const ng_graph *g, const ng_node *n, const void **in, void **out) {
    ng_node m = *n;
    m.n_epi = 0;
    NG_CHECK(ng_ref_run(g, &m, in, out));
    int64_t cnt = ng_numel(ng_out(g, n, 0));
    round_all(out[0], cnt);
    m.n_epi = 1;
    for (int e = 0; e < n->n_epi; e++) {
        m.epi[0] = n->epi[e];
        ng_ref_apply_epilogue(g, &m, out[0], in);
        round_all(out[0], cnt);
    }
    return NNGPU_OK;
}

/* Node n, its float inputs rounded to fp16 first (copies), then its float
 * outputs; with half_math its epilogue steps too. */
static nngpu_status run_rounded(const ng_graph *g, const ng_node *n, int half_math, const void **in,
                                void **out) {
    void *owned[64] = {0};
    int n_owned = 0;
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in && st == NNGPU_OK; k++) {
        const ng_tensor *x = ng_in(g, n, k);
        if (!is_float(x) || !in[k]) continue;
        int64_t cnt = ng_numel(x);
        float *r = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
        if (!r) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard: node '%s'", n->name);
            break;
        }
        for (int64_t i = 0; i < cnt; i++) r[i] = round_half(((const float *)in[k])[i]);
        in[k] = owned[n_owned++] = r;
    }
    if (st == NNGPU_OK)
        st = half_math && n->n_epi && is_float(ng_out(g, n, 0)) ? run_half_math(g, n, in, out)
                                                                : ng_ref_run(g, n, in, out);
    for (int k = 0; k < n->n_out && st == NNGPU_OK; k++) {
        const ng_tensor *y = ng_out(g, n, k);
        if (is_float(y)) round_all(out[k], ng_numel(y));
    }
    for (int k = 0; k < n_owned; k++) free(owned[k]);
    return st;
}

/* One sample through g; (*val)[t] the value of every tensor. Nodes with
 * fp16[i] (fp16 NULL: none) run rounded. */
static nngpu_status run_graph(const ng_graph *g, void *const *inputs, const unsigned char *fp16,
                              int half_math, void ***out_val) {
    void **val = calloc((size_t)g->n_tensors + 1, sizeof *val);
    if (!val) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    nngpu_status st = NNGPU_OK;
    for (int t = 0; t < g->n_tensors && st == NNGPU_OK; t++) {
        const ng_tensor *x = &g->tensors[t];
        if (x->data) val[t] = x->data;
        else if (x->rank >= 0 && !(val[t] = calloc(ng_nbytes(x) ? ng_nbytes(x) : 1, 1)))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    }
    for (int i = 0; i < g->n_inputs && st == NNGPU_OK; i++)
        memcpy(val[g->inputs[i]], inputs[i], ng_nbytes(&g->tensors[g->inputs[i]]));
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead || n->op == NG_OP_RUNTIME_TAIL) continue; /* host, fp32, read by no layer */
        const void *in[64] = {0};
        void *out[16] = {0};
        if (n->n_in > 64 || n->n_out > 16) {
            st = ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': too many tensors", n->name);
            break;
        }
        for (int k = 0; k < n->n_in; k++) in[k] = n->in[k] >= 0 ? val[n->in[k]] : NULL;
        for (int k = 0; k < n->n_out; k++) out[k] = val[n->out[k]];
        st = fp16 && fp16[i] ? run_rounded(g, n, half_math, in, out) : ng_ref_run(g, n, in, out);
    }
    if (st != NNGPU_OK) {
        free_values(g, val);
        return st;
    }
    *out_val = val;
    return NNGPU_OK;
}

/* Node n alone run rounded on the fp32 values val, its outputs against val's. */
static nngpu_status simulate(const ng_graph *g, const ng_node *n, int half_math, void **val,
                             ng_err_sum *e) {
    if (n->n_in > 64 || n->n_out > 16)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': too many tensors", n->name);
    const void *in[64] = {0};
    void *out[16] = {0};
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in; k++) in[k] = n->in[k] >= 0 ? val[n->in[k]] : NULL;
    for (int k = 0; k < n->n_out && st == NNGPU_OK; k++) {
        size_t b = ng_nbytes(&g->tensors[n->out[k]]);
        if (!(out[k] = malloc(b ? b : 1))) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    }
    if (st == NNGPU_OK) st = run_rounded(g, n, half_math, in, out);
    for (int k = 0; k < n->n_out && st == NNGPU_OK; k++)
        if (is_float(ng_out(g, n, k)))
            ng_err_add(e, out[k], val[n->out[k]], ng_numel(ng_out(g, n, k)));
    for (int k = 0; k < n->n_out; k++) free(out[k]);
    return st;
}

/* Multiply-adds of one run of the graph's Conv/Gemm/MatMul nodes (the bulk
 * of the reference's work). */
static double graph_macs(const ng_graph *g) {
    double macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        const ng_tensor *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
        if (n->dead || !w || !y || w->rank < 1) continue;
        if (n->op == NG_OP_CONV) macs += (double)ng_numel(w) / (double)w->dims[0] * (double)ng_numel(y);
        else if (n->op == NG_OP_GEMM || n->op == NG_OP_MATMUL)
            macs += (double)ng_numel(y) * (double)ng_in(g, n, 0)->dims[ng_in(g, n, 0)->rank - 1];
    }
    return macs;
}

/* The session's device computes fp16 layers in half. */
static int half_math_of(const nngpu_session *s) {
    const ng_backend *b = s->dev ? s->dev->backend : NULL;
    return b && b->half_arithmetic && s->ctx && b->half_arithmetic(s->ctx);
}

nngpu_status ng_fp16_layer_errors(nngpu_session *s, const unsigned char *fp16, double *err,
                                  int *n_samples) {
    const ng_graph *g = s->g;
    int hm = half_math_of(s);
    ng_calib_inputs ci;
    double macs = graph_macs(g);
    int samples = macs * MAX_SAMPLES > BUDGET_MACS ? (int)(BUDGET_MACS / macs) : MAX_SAMPLES;
    NG_CHECK(ng_calib_inputs_load(s->opts.calibration, g, samples < 1 ? 1 : samples, &ci));
    *n_samples = ci.n_samples;
    ng_err_sum *e = calloc((size_t)g->n_nodes + 1, sizeof *e);
    nngpu_status st = e ? NNGPU_OK : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    for (int smp = 0; smp < ci.n_samples && st == NNGPU_OK; smp++) {
        void **val = NULL;
        st = run_graph(g, ci.data[smp], NULL, 0, &val);
        for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++)
            if (fp16[i]) st = simulate(g, &g->nodes[i], hm, val, &e[i]);
        free_values(g, val);
    }
    ng_calib_inputs_free(&ci);
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) err[i] = ng_err_value(&e[i]);
    free(e);
    if (st != NNGPU_OK) return ng_error_context(st, "fp16 guard");
    return NNGPU_OK;
}

nngpu_status ng_fp16_accumulated_errors(nngpu_session *s, const unsigned char *fp16, double *acc) {
    const ng_graph *g = s->g;
    ng_calib_inputs ci;
    NG_CHECK(ng_calib_inputs_load(s->opts.calibration, g, 1, &ci));
    void **want = NULL, **got = NULL;
    nngpu_status st = run_graph(g, ci.data[0], NULL, 0, &want);
    if (st == NNGPU_OK) st = run_graph(g, ci.data[0], fp16, half_math_of(s), &got);
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        const ng_node *n = &g->nodes[i];
        ng_err_sum e = {0};
        for (int k = 0; fp16[i] && k < n->n_out; k++)
            if (is_float(ng_out(g, n, k)))
                ng_err_add(&e, got[n->out[k]], want[n->out[k]], ng_numel(ng_out(g, n, k)));
        acc[i] = ng_err_value(&e);
    }
    free_values(g, want);
    free_values(g, got);
    ng_calib_inputs_free(&ci);
    if (st != NNGPU_OK) return ng_error_context(st, "fp16 guard");
    return NNGPU_OK;
}
