/* The INT8 policy of the end-to-end accuracy guard (options.int8_tolerance;
 * the shared machinery is precision_guard.c).
 *
 * The guard measures on held-out calibration samples when there are more
 * than calibration used, and on perturbed copies of its samples too.
 * A layer's score is its sensitivity, simulated on the CPU reference: the
 * layer as compiled (QLinearConv / QLinearMatMul, the kernels' exact
 * arithmetic) on its fp32 inputs quantized with its own scale, its output
 * dequantized when int8, against the fp32 output (a MAC budget bounds the
 * samples). Layers are kept fp32 through the INT8 state's keep_fp32, the
 * calibration table reused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "core/quant.h"
#include "core/status.h"
#include "precision_guard.h"
#include "ref/ref.h"

#define SIM_BUDGET_MACS 4e8 /* CPU reference work for the sensitivities, all samples */
/* Perturbed copies: inputs x 1.1 plus noise (precision_guard.h), values a
 * little outside the calibrated ranges as fresh inputs bring; measured in
 * bench/README.md ("INT8 guard on fresh inputs"). */
#define STRETCH 1.1

/* ---- sensitivities ---- */

static int is_qlayer(const ng_node *n) {
    return !n->dead && (n->op == NG_OP_QLINEARCONV || n->op == NG_OP_QLINEARMATMUL);
}

static double layer_macs(const ng_graph *g, const ng_node *n) {
    const ng_tensor *w = ng_in(g, n, 3), *y = ng_out(g, n, 0);
    double per = n->op == NG_OP_QLINEARCONV ? (double)ng_numel(w) / (double)w->dims[0]
                                            : (double)w->dims[0];
    return per * (double)ng_numel(y);
}

static float const_f(const ng_graph *g, const ng_node *n, int k) {
    return *(const float *)ng_in(g, n, k)->data;
}
static int const_zp(const ng_graph *g, const ng_node *n, int k) {
    return *(const int8_t *)ng_in(g, n, k)->data;
}

/* The float tensor an int8 layer input was quantized from. */
static const char *float_source(const ng_graph *g, int xq) {
    int p = g->tensors[xq].producer;
    if (p >= 0 && g->nodes[p].op == NG_OP_QUANTIZELINEAR) return g->tensors[g->nodes[p].in[0]].name;
    return g->tensors[xq].name; /* an int8 layer output: the fp32 graph holds it as float */
}

/* Layer n of the compiled graph on the fp32 run's values (see the top). */
static nngpu_status simulate(ng_guard *gd, const ng_node *n, ng_err_sum *e) {
    const ng_graph *g = gd->s->g;
    const void *in[64] = {0};
    void *out[1] = {0}, *owned[66] = {0};
    int n_owned = 0;
    if (n->n_in > 64 || n->n_out != 1)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "int8 guard: node '%s': too many tensors", n->name);
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in && st == NNGPU_OK; k++) {
        const ng_tensor *x = ng_in(g, n, k);
        if (!x || x->data) {
            in[k] = x ? x->data : NULL;
            continue;
        }
        int64_t cnt = ng_numel(x);
        float *f = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
        if (!f) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
            break;
        }
        owned[n_owned++] = f;
        in[k] = f;
        st = ng_guard_read_ref(gd, k == 0 ? float_source(g, n->in[0]) : x->name, f);
        if (st != NNGPU_OK || k != 0) continue;
        float scale = const_f(g, n, 1); /* quantized in place, as QuantizeLinear would */
        int zp = const_zp(g, n, 2);
        int8_t *q = (int8_t *)f;
        for (int64_t i = 0; i < cnt; i++) q[i] = (int8_t)ng_quantize_value(f[i], scale, zp, -128, 127);
    }
    const ng_tensor *y = ng_out(g, n, 0);
    int64_t cnt = ng_numel(y);
    float *want = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    out[0] = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (want) owned[n_owned++] = want;
    if (out[0]) owned[n_owned++] = out[0];
    if (st == NNGPU_OK && (!want || !out[0])) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
    if (st == NNGPU_OK) st = ng_ref_run(g, n, in, out);
    if (st == NNGPU_OK) st = ng_guard_read_ref(gd, y->name, want);
    if (st == NNGPU_OK && y->dtype == NNGPU_DTYPE_INT8) {
        float scale = const_f(g, n, 6), *got = out[0];
        int zp = const_zp(g, n, 7);
        for (int64_t i = cnt - 1; i >= 0; i--) got[i] = (float)(((int8_t *)got)[i] - zp) * scale;
    }
    if (st == NNGPU_OK) ng_err_add(e, out[0], want, cnt);
    for (int k = 0; k < n_owned; k++) free(owned[k]);
    if (st != NNGPU_OK) return ng_error_context(st, "int8 guard: simulating node '%s'", n->name);
    return NNGPU_OK;
}

/* Lists the session's int8 layers with their sensitivities. */
static nngpu_status sensitivities(ng_guard *gd, char *how, size_t cap) {
    const ng_graph *g = gd->s->g;
    int *node = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    gd->layers = calloc((size_t)g->n_nodes + 1, sizeof *gd->layers);
    ng_err_sum *e = calloc((size_t)g->n_nodes + 1, sizeof *e);
    nngpu_status st = node && gd->layers && e ? NNGPU_OK
                                              : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
    double macs = 0;
    for (int i = 0; i < g->n_nodes && st == NNGPU_OK; i++) {
        if (!is_qlayer(&g->nodes[i])) continue;
        ng_guard_layer *l = &gd->layers[gd->n_layers];
        l->y = g->nodes[i].out[0];
        if (!(l->name = strdup(g->nodes[i].name))) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
        node[gd->n_layers++] = i;
        macs += layer_macs(g, &g->nodes[i]);
    }
    int n_sim = macs > 0 ? (int)(SIM_BUDGET_MACS / macs) : gd->in.n_samples;
    if (n_sim < 1) n_sim = 1;
    if (n_sim > gd->in.n_samples) n_sim = gd->in.n_samples;
    snprintf(how, cap, "sensitivities simulated on %d sample%s", n_sim, n_sim == 1 ? "" : "s");
    for (int smp = 0; smp < n_sim && st == NNGPU_OK; smp++) {
        st = ng_guard_run_sample(gd, gd->ref, smp);
        for (int l = 0; l < gd->n_layers && st == NNGPU_OK; l++)
            st = simulate(gd, &g->nodes[node[l]], &e[l]);
    }
    for (int l = 0; l < gd->n_layers; l++) {
        gd->layers[l].score = ng_err_value(&e[l]);
        snprintf(gd->layers[l].detail, sizeof gd->layers[l].detail, "sensitivity %.3g",
                 gd->layers[l].score);
    }
    free(node);
    free(e);
    return st;
}

/* Marks the k most sensitive layers fp32 for the next compile. */
static nngpu_status keep_fp32(ng_guard *gd, int k) {
    ng_int8_state *st = gd->s->int8;
    size_t n = (size_t)st->table.n_tensors;
    if (!st->keep_fp32 && !(st->keep_fp32 = malloc(n ? n : 1)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard");
    memset(st->keep_fp32, 0, n);
    for (int i = 0; i < k; i++)
        if (gd->layers[i].y < (int)n) st->keep_fp32[gd->layers[i].y] = 1;
    return NNGPU_OK;
}

static int count_int8_layers(const nngpu_session *s) {
    int n = 0;
    for (int i = 0; i < s->g->n_nodes; i++) n += is_qlayer(&s->g->nodes[i]);
    return n;
}

nngpu_status ng_session_guard_int8(nngpu_session *s, const nngpu_model *m) {
    nngpu_status st = NNGPU_OK;
    if (s->opts.precision == NNGPU_PRECISION_INT8 && s->opts.int8_tolerance > 0 &&
        strcmp(s->precision, "int8") == 0 && s->int8) {
        const ng_guard_policy p = {.name = "int8", .tolerance = s->opts.int8_tolerance,
                                   .calibrated = NG_CALIB_MAX_SAMPLES, .stretch = STRETCH,
                                   .count = count_int8_layers, .rank = sensitivities,
                                   .keep = keep_fp32};
        st = ng_guard_run(s, m, &p);
    }
    ng_int8_state_free(s->int8);
    s->int8 = NULL;
    return st;
}
