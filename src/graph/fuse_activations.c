/* Activations that exporters spell out in elementwise ops, GELU as
 * x * 0.5 * (1 + erf(x / sqrt 2)), HardSwish as x * relu6(x + 3) / 6, SiLU,
 * Mish, become the one op: their input is read twice, so neither epilogue nor
 * chain fusion could absorb them, and a Conv / MatMul before them kept its
 * own kernel.
 *
 * An island is a run of elementwise nodes reading only x, each other and
 * scalar constants, closed (nothing outside reads its inner values or x)
 * but for its last node's output. It is matched by value rather than by
 * spelling: evaluated with the reference's scalar functions on dense probe
 * points, it must agree with a candidate everywhere within float rounding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "ref/ref_math.h"

#define MAX_ISLAND 12 /* nodes */
#define WINDOW 32     /* nodes scanned after x's first reader */
#define PROBES 601    /* points in [-12, 12] */

static const struct candidate {
    ng_op op;
    float alpha; /* Gelu: 1 for approximate="tanh" */
    const char *name;
} CANDIDATES[] = {{NG_OP_GELU, 0, "Gelu"},
                  {NG_OP_GELU, 1, "Gelu(tanh)"},
                  {NG_OP_HARDSWISH, 0, "HardSwish"},
                  {NG_OP_SILU, 0, "Sigmoid+Mul"},
                  {NG_OP_MISH, 0, "Mish"}};

typedef struct island {
    const ng_graph *g;
    int x, n, node[MAX_ISLAND];
} island;

static int scalar_const(const ng_graph *g, int t) {
    const ng_tensor *c = &g->tensors[t];
    return c->data && ng_numel(c) == 1 &&
           (c->dtype == NNGPU_DTYPE_FLOAT32 || c->dtype == NNGPU_DTYPE_FLOAT64);
}

static int produced_inside(const island *is, int t) {
    int p = is->g->tensors[t].producer;
    for (int i = 0; i < is->n; i++)
        if (is->node[i] == p) return 1;
    return 0;
}

/* Whether node n can join: a plain elementwise op on x, island values and scalars. */
static int can_join(const island *is, const ng_node *n) {
    const ng_graph *g = is->g;
    ng_op_kind k = ng_op_kind_of(n->op);
    if (n->dead || n->n_out != 1 || n->n_epi || n->n_in != n->n_main_inputs ||
        (k != NG_KIND_ELTWISE_UNARY && k != NG_KIND_ELTWISE_BINARY && n->op != NG_OP_MAX &&
         n->op != NG_OP_MIN) ||
        n->op == NG_OP_PRELU || n->op == NG_OP_SILU)
        return 0;
    if (g->tensors[n->out[0]].dtype != NNGPU_DTYPE_FLOAT32) return 0;
    if (k == NG_KIND_ELTWISE_UNARY && n->op != NG_OP_CLIP && n->n_in != 1) return 0;
    if (k != NG_KIND_ELTWISE_UNARY && n->n_in != 2) return 0;
    int reads = 0;
    for (int j = 0; j < n->n_in; j++) {
        int t = n->in[j];
        if (t < 0) continue;
        if (t == is->x || produced_inside(is, t)) reads++;
        else if (!scalar_const(g, t)) return 0;
    }
    return reads > 0 && (n->op != NG_OP_CLIP || n->in[0] == is->x || produced_inside(is, n->in[0]));
}

/* Closed: x and every island value but the last node's are read only inside. */
static int closed(const island *is, const ng_readers *rd) {
    const ng_graph *g = is->g;
    int x_reads = 0;
    for (int i = 0; i < is->n; i++) {
        int t = i < is->n - 1 ? g->nodes[is->node[i]].out[0] : is->x;
        if (g->tensors[t].is_output) return 0;
        for (int e = rd->start[t]; e < rd->start[t + 1]; e++) {
            int inside = 0;
            for (int j = 0; j < is->n; j++) inside |= is->node[j] == rd->node[e];
            if (!inside) return 0;
            x_reads += t == is->x;
        }
    }
    return x_reads >= 2; /* read once, chain fusion takes it as it is */
}

static float value_of(const island *is, const float *vals, int t, float x) {
    if (t == is->x) return x;
    for (int i = 0; i < is->n; i++)
        if (is->g->nodes[is->node[i]].out[0] == t) return vals[i];
    return (float)ng_const_double(&is->g->tensors[t], 0);
}

/* The island's output at x. */
static float evaluate(const island *is, float x) {
    float vals[MAX_ISLAND];
    for (int i = 0; i < is->n; i++) {
        const ng_node *n = &is->g->nodes[is->node[i]];
        float a = value_of(is, vals, n->in[0], x);
        if (ng_op_kind_of(n->op) == NG_KIND_ELTWISE_UNARY) {
            float alpha, beta;
            ng_ref_unary_attrs(n, &alpha, &beta);
            if (n->op == NG_OP_CLIP && n->opset >= 11) {
                alpha = n->n_in > 1 && n->in[1] >= 0 ? value_of(is, vals, n->in[1], x) : -INFINITY;
                beta = n->n_in > 2 && n->in[2] >= 0 ? value_of(is, vals, n->in[2], x) : INFINITY;
            } else if (n->op == NG_OP_CLIP) {
                alpha = ng_attr_float(n, "min", -INFINITY);
                beta = ng_attr_float(n, "max", INFINITY);
            }
            vals[i] = ng_ref_unary(n->op, a, alpha, beta);
        } else {
            vals[i] = ng_ref_binary(n->op, a, value_of(is, vals, n->in[1], x));
        }
    }
    return vals[is->n - 1];
}

static const struct candidate *match(const island *is) {
    for (size_t c = 0; c < sizeof CANDIDATES / sizeof *CANDIDATES; c++) {
        int ok = 1;
        for (int i = 0; i < PROBES && ok; i++) {
            float x = -12.0f + 24.0f * (float)i / (PROBES - 1);
            float want = ng_ref_unary(CANDIDATES[c].op, x, CANDIDATES[c].alpha, 0);
            float got = evaluate(is, x);
            ok = fabsf(got - want) <= 2e-6f * fmaxf(1.0f, fabsf(want));
        }
        if (ok) return &CANDIDATES[c];
    }
    return NULL;
}

/* The smallest closed island from x's readers that matches a candidate:
 * its node count, 0 when none. */
static int find_island(island *is, const ng_readers *rd, const struct candidate **found) {
    const ng_graph *g = is->g;
    int first = g->n_nodes;
    for (int e = rd->start[is->x]; e < rd->start[is->x + 1]; e++)
        if (rd->node[e] < first) first = rd->node[e];
    is->n = 0;
    for (int i = first; i < g->n_nodes && i < first + WINDOW && is->n < MAX_ISLAND; i++) {
        if (!can_join(is, &g->nodes[i])) continue;
        is->node[is->n++] = i;
        if (is->n >= 2 && closed(is, rd) && (*found = match(is))) return is->n;
    }
    return 0;
}

nngpu_status ng_pass_fuse_activations(ng_graph *g, ng_report *r) {
    ng_readers rd;
    if (!ng_readers_build(g, &rd)) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fusing activations");
    ng_appender app = {.n_old = g->n_nodes};
    nngpu_status st = NNGPU_OK;
    for (int x = 0; x < g->n_tensors && st == NNGPU_OK; x++) {
        const ng_tensor *t = &g->tensors[x];
        if (t->data || t->dtype != NNGPU_DTYPE_FLOAT32 || t->rt_shape ||
            rd.start[x + 1] - rd.start[x] < 2)
            continue;
        island is = {.g = g, .x = x};
        const struct candidate *c = NULL;
        if (!find_island(&is, &rd, &c)) continue;
        const ng_node *last = &g->nodes[is.node[is.n - 1]];
        int y = last->out[0];
        if (!ng_out(g, last, 0) || g->tensors[y].rank != t->rank) continue; /* broadcast grew it */
        char name[256];
        snprintf(name, sizeof name, "%s", g->nodes[is.node[0]].name);
        app.at = is.node[is.n - 1];
        int id = ng_appender_add(g, &app, c->op, name, 1, &x, y);
        if (id < 0) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fusing activations");
            break;
        }
        if (c->op == NG_OP_GELU && c->alpha != 0) {
            ng_attr *a = ng_node_add_attr(&g->nodes[id], "approximate", NG_ATTR_STRING);
            if (!a || !(a->s = strdup("tanh"))) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fusing activations");
        }
        for (int i = 0; i < is.n; i++) { /* the ONNX ops it covers, as fusion reports them */
            g->nodes[is.node[i]].dead = 1;
            ng_node_note_fused(&g->nodes[id], ng_op_name(g->nodes[is.node[i]].op));
        }
        g->tensors[y].producer = id;
        ng_report_add(r, "fuse_activations: %d nodes from '%s' are %s", is.n, name, c->name);
    }
    ng_readers_free(&rd);
    nngpu_status fin = ng_appender_finish(g, &app);
    return st != NNGPU_OK ? st : fin;
}
