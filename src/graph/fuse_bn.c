/* BatchNormalization folded into the preceding Conv or Gemm:
 *   s = scale / sqrt(var + eps);  W' = W * s (per output channel);
 *   b' = (b - mean) * s + B.
 * The same for the per-channel affine ops exporters put after them (Caffe's
 * Scale as Mul and Add by [C,1,1] constants, Sub, Div): each is y = x * s +
 * shift per channel, folded into the Conv/Gemm before it, or into a
 * standalone BatchNormalization before it (which then runs as one
 * x * scale + shift kernel instead of one per op). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"

typedef struct bn_coeffs {
    int64_t c;
    double *s, *shift; /* y = x * s + shift */
} bn_coeffs;

static int bn_read(const ng_graph *g, const ng_node *bn, bn_coeffs *k) {
    for (int i = 1; i <= 4; i++)
        if (!ng_is_const(g, bn->in[i]) || ng_in(g, bn, i)->dtype != NNGPU_DTYPE_FLOAT32) return 0;
    const ng_tensor *scale = ng_in(g, bn, 1), *b = ng_in(g, bn, 2), *mean = ng_in(g, bn, 3),
                    *var = ng_in(g, bn, 4);
    k->c = ng_numel(scale);
    if (ng_numel(b) != k->c || ng_numel(mean) != k->c || ng_numel(var) != k->c) return 0;
    double eps = ng_attr_float(bn, "epsilon", 1e-5f);
    k->s = malloc(sizeof(double) * (size_t)k->c);
    k->shift = malloc(sizeof(double) * (size_t)k->c);
    if (!k->s || !k->shift) {
        free(k->s);
        free(k->shift);
        return 0;
    }
    for (int64_t i = 0; i < k->c; i++) {
        k->s[i] = ng_const_double(scale, i) / sqrt(ng_const_double(var, i) + eps);
        k->shift[i] = ng_const_double(b, i) - ng_const_double(mean, i) * k->s[i];
    }
    return 1;
}

/* Mul/Add/Sub/Div of tensor x (channels on axis 1, c of them) by a float32
 * constant that is per channel or a scalar, as y = x * s + shift. */
static int affine_read(const ng_graph *g, const ng_node *n, int x, int64_t c, bn_coeffs *k) {
    if ((n->op != NG_OP_MUL && n->op != NG_OP_ADD && n->op != NG_OP_SUB && n->op != NG_OP_DIV) ||
        n->n_in != 2 || n->n_epi > 0 || n->n_out != 1)
        return 0;
    int xi = n->in[0] == x ? 0 : n->in[1] == x ? 1 : -1;
    if (xi < 0 || (xi == 1 && n->op == NG_OP_DIV) || !ng_is_const(g, n->in[1 - xi])) return 0;
    const ng_tensor *t = ng_in(g, n, 1 - xi), *xt = &g->tensors[x];
    if (t->dtype != NNGPU_DTYPE_FLOAT32 || xt->rank < 2 || t->rank > xt->rank || xt->dims[1] != c)
        return 0;
    int64_t per = ng_numel(t);
    for (int d = 0; d < t->rank; d++) { /* right-aligned: only the channel axis may exceed 1 */
        int xa = d + xt->rank - t->rank;
        if (t->dims[d] != 1 && !(xa == 1 && t->dims[d] == c)) return 0;
    }
    if (per != 1 && per != c) return 0;
    k->c = c;
    k->s = malloc(sizeof(double) * (size_t)c);
    k->shift = malloc(sizeof(double) * (size_t)c);
    if (!k->s || !k->shift) {
        free(k->s);
        free(k->shift);
        return 0;
    }
    for (int64_t i = 0; i < c; i++) {
        double v = ng_const_double(t, per == 1 ? 0 : i);
        k->s[i] = n->op == NG_OP_MUL ? v : n->op == NG_OP_DIV ? 1.0 / v : n->op == NG_OP_SUB && xi == 1 ? -1.0 : 1.0;
        k->shift[i] = n->op == NG_OP_ADD ? v : n->op == NG_OP_SUB ? (xi == 0 ? -v : v) : 0.0;
    }
    return 1;
}

/* k, then `next` after it: k = next(k(x)). */
static void affine_then(bn_coeffs *k, const bn_coeffs *next) {
    for (int64_t i = 0; i < k->c; i++) {
        k->s[i] *= next->s[i];
        k->shift[i] = k->shift[i] * next->s[i] + next->shift[i];
    }
}

/* Node a (folded away) no longer runs: its producer p writes a's output. */
static void bypass(ng_graph *g, ng_node *a, int p) {
    int x = a->in[0] >= 0 && g->tensors[a->in[0]].producer == p ? a->in[0] : a->in[1];
    int y = a->out[0];
    ng_node *prev = &g->nodes[p];
    prev->out[0] = y;
    g->tensors[y].producer = p;
    g->tensors[x].producer = -1;
    a->dead = 1;
}

/* New constant named after tensor `like` (or "bn_bias" when -1) taking
 * data (float32, malloc'd; freed on failure), so weights shared with other
 * nodes stay untouched. Copies what it needs from `like` first: adding a
 * tensor may move g->tensors. */
static int add_const(ng_graph *g, int like, int rank, const int64_t *dims_in, float *data) {
    char base[256];
    int64_t dims[NNGPU_MAX_DIMS];
    snprintf(base, sizeof base, "%s", like >= 0 ? g->tensors[like].name : "bn_bias");
    memcpy(dims, dims_in, sizeof(int64_t) * (size_t)rank);
    int t = ng_tensor_add_unique(g, base);
    if (t < 0) {
        free(data);
        return -1;
    }
    ng_tensor_adopt_const(g, t, NNGPU_DTYPE_FLOAT32, rank, dims, data);
    return t;
}

/* Conv: W [K, C/g, kh, kw]; bias [K]. */
static int fold_into_conv(ng_graph *g, ng_node *conv, const bn_coeffs *k) {
    const ng_tensor *w = ng_in(g, conv, 1);
    if (!w->data || w->dtype != NNGPU_DTYPE_FLOAT32 || w->dims[0] != k->c) return 0;
    int64_t per = ng_numel(w) / k->c;
    float *nw = malloc(ng_nbytes(w)), *nb = malloc(sizeof(float) * (size_t)k->c);
    const ng_tensor *b = conv->n_in > 2 ? ng_in(g, conv, 2) : NULL;
    int ok = nw && nb && (!b || (b->data && ng_numel(b) == k->c));
    if (ok) {
        for (int64_t o = 0; o < k->c; o++) {
            for (int64_t j = 0; j < per; j++)
                nw[o * per + j] = (float)(((const float *)w->data)[o * per + j] * k->s[o]);
            double bias = b ? ng_const_double(b, o) : 0.0;
            nb[o] = (float)(bias * k->s[o] + k->shift[o]);
        }
        int64_t bdims[1] = {k->c};
        int w_id = conv->in[1], b_id = b ? conv->in[2] : -1;
        int tw = add_const(g, w_id, w->rank, w->dims, nw);
        int tb = add_const(g, b_id, 1, bdims, nb); /* w, b may move: not used below */
        nw = nb = NULL; /* the graph's now */
        ok = tw >= 0 && tb >= 0;
        if (ok && conv->n_in < 3) {
            int *in = realloc(conv->in, sizeof(int) * 3);
            ok = in != NULL;
            if (ok) {
                conv->in = in;
                conv->n_in = conv->n_main_inputs = 3;
            }
        }
        if (ok) {
            conv->in[1] = tw;
            conv->in[2] = tb;
        }
    }
    free(nw);
    free(nb);
    return ok;
}

/* Gemm: Y = alpha * A' B' + beta * C with B' of shape [K, N]: scale column n. */
static int fold_into_gemm(ng_graph *g, ng_node *gemm, const bn_coeffs *k) {
    const ng_tensor *bt = ng_in(g, gemm, 1);
    const ng_tensor *ct = gemm->n_in > 2 ? ng_in(g, gemm, 2) : NULL;
    if (!bt->data || bt->dtype != NNGPU_DTYPE_FLOAT32 || bt->rank != 2) return 0;
    if (ct && (!ct->data || (ng_numel(ct) != k->c && ng_numel(ct) != 1))) return 0;
    int trans_b = (int)ng_attr_int(gemm, "transB", 0);
    int64_t rows = bt->dims[0], cols = bt->dims[1];
    if ((trans_b ? rows : cols) != k->c) return 0;
    double alpha = ng_attr_float(gemm, "alpha", 1.0f), beta = ng_attr_float(gemm, "beta", 1.0f);
    float *nw = malloc(ng_nbytes(bt)), *nc = malloc(sizeof(float) * (size_t)k->c);
    int ok = nw && nc;
    if (ok) {
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                int64_t ch = trans_b ? i : j;
                nw[i * cols + j] = (float)(alpha * ((const float *)bt->data)[i * cols + j] * k->s[ch]);
            }
        for (int64_t o = 0; o < k->c; o++) {
            double c = ct ? beta * ng_const_double(ct, ng_numel(ct) == 1 ? 0 : o) : 0.0;
            nc[o] = (float)(c * k->s[o] + k->shift[o]);
        }
        int64_t cdims[1] = {k->c};
        int b_id = gemm->in[1], c_id = ct ? gemm->in[2] : -1;
        int64_t bdims[2] = {rows, cols};
        int tw = add_const(g, b_id, 2, bdims, nw);
        int tc = add_const(g, c_id, 1, cdims, nc); /* bt, ct may move: not used below */
        nw = nc = NULL; /* the graph's now */
        ok = tw >= 0 && tc >= 0;
        if (ok && gemm->n_in < 3) {
            int *in = realloc(gemm->in, sizeof(int) * 3);
            ok = in != NULL;
            if (ok) {
                gemm->in = in;
                gemm->n_in = gemm->n_main_inputs = 3;
            }
        }
        if (ok) {
            gemm->in[1] = tw;
            gemm->in[2] = tc;
            /* one at a time: adding an attribute may move gemm->attrs */
            ng_attr *a = ng_node_add_attr(gemm, "alpha", NG_ATTR_FLOAT);
            if (a) a->f = 1.0f;
            ng_attr *b = a ? ng_node_add_attr(gemm, "beta", NG_ATTR_FLOAT) : NULL;
            if (b) b->f = 1.0f;
            ok = a && b;
        }
    }
    free(nw);
    free(nc);
    return ok;
}

/* Channels of the Conv/Gemm output that an affine op after it scales. */
static int64_t out_channels(const ng_graph *g, const ng_node *prev) {
    const ng_tensor *y = ng_out(g, prev, 0);
    return y->rank >= 2 ? y->dims[1] : 0;
}

nngpu_status ng_pass_fuse_batchnorm(ng_graph *g, ng_report *r) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *bn = &g->nodes[i];
        int is_bn = bn->op == NG_OP_BATCHNORM && bn->n_in >= 5 && bn->n_out == 1;
        if (bn->dead || (!is_bn && bn->op != NG_OP_MUL && bn->op != NG_OP_ADD &&
                         bn->op != NG_OP_SUB && bn->op != NG_OP_DIV))
            continue;
        int x = -1, p = -1;
        for (int j = 0; j < (is_bn ? 1 : bn->n_in) && p < 0; j++) { /* the Conv/Gemm input */
            int t = bn->in[j], q = t >= 0 ? g->tensors[t].producer : -1;
            if (q >= 0 && !g->nodes[q].dead && g->nodes[q].n_epi == 0 &&
                (g->nodes[q].op == NG_OP_CONV || g->nodes[q].op == NG_OP_GEMM) &&
                g->nodes[q].n_out == 1 && ng_sole_consumer(g, t) == i) {
                x = t;
                p = q;
            }
        }
        if (p < 0) continue;
        ng_node *prev = &g->nodes[p];
        bn_coeffs k;
        if (is_bn ? !bn_read(g, bn, &k) : !affine_read(g, bn, x, out_channels(g, prev), &k))
            continue;
        int ok = prev->op == NG_OP_CONV ? fold_into_conv(g, prev, &k) : fold_into_gemm(g, prev, &k);
        free(k.s);
        free(k.shift);
        if (!ok) continue;
        bn = &g->nodes[i];
        prev = &g->nodes[p];
        bypass(g, bn, p); /* prev now produces the folded node's output */
        if (!prev->fused) ng_node_note_fused(prev, ng_op_name(prev->op));
        ng_node_note_fused(prev, ng_op_name(bn->op));
        ng_report_add(r, "fuse_batchnorm: '%s' (%s) into %s '%s'", bn->name, ng_op_name(bn->op),
                      ng_op_name(prev->op), prev->name);
    }
    return NNGPU_OK;
}

/* A BatchNormalization left standing becomes x * s + shift: a Mul with an
 * Add epilogue step, which every backend runs as one elementwise kernel. */
nngpu_status ng_pass_lower_batchnorm(ng_graph *g, int absorb, ng_report *r) {
    for (int i = 0; i < g->n_nodes; i++) {
        ng_node *bn = &g->nodes[i];
        if (bn->dead || bn->op != NG_OP_BATCHNORM || bn->n_in < 5 || bn->n_out > 1) continue;
        const ng_tensor *x = ng_in(g, bn, 0);
        if (x->dtype != NNGPU_DTYPE_FLOAT32 || x->rank < 2) continue;
        bn_coeffs k;
        if (!bn_read(g, bn, &k)) continue;
        /* Per-channel Mul/Add/Sub/Div after it join its coefficients. */
        if (!bn->fused) ng_node_note_fused(bn, "BatchNormalization");
        int absorbed = 0;
        for (int a; absorb && x->dims[1] == k.c && (a = ng_sole_consumer(g, bn->out[0])) >= 0;) {
            bn_coeffs next;
            if (!affine_read(g, &g->nodes[a], bn->out[0], k.c, &next)) break;
            affine_then(&k, &next);
            free(next.s);
            free(next.shift);
            bypass(g, &g->nodes[a], i);
            absorbed++;
            ng_node_note_fused(bn, ng_op_name(g->nodes[a].op));
            ng_report_add(r, "lower_batchnorm: '%s' (%s) into '%s'", g->nodes[a].name,
                          ng_op_name(g->nodes[a].op), bn->name);
            bn = &g->nodes[i];
            x = ng_in(g, bn, 0);
        }
        int64_t dims[NNGPU_MAX_DIMS];
        int rank = x->rank - 1; /* [C, 1, ...] broadcasts over [N, C, ...] */
        dims[0] = k.c;
        for (int d = 1; d < rank; d++) dims[d] = 1;
        float *sv = malloc(sizeof(float) * (size_t)k.c), *bv = malloc(sizeof(float) * (size_t)k.c);
        int ok = sv && bv && x->dims[1] == k.c;
        for (int64_t c = 0; ok && c < k.c; c++) {
            sv[c] = (float)k.s[c];
            bv[c] = (float)k.shift[c];
        }
        int ts = -1, tb = -1;
        if (ok) {
            ts = add_const(g, bn->in[1], rank, dims, sv);
            tb = add_const(g, bn->in[2], rank, dims, bv);
        } else {
            free(sv);
            free(bv);
        }
        if (ts < 0) tb = -1;
        free(k.s);
        free(k.shift);
        if (tb < 0 && absorbed) /* the absorbed nodes are gone: no way back */
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "lowering BatchNormalization '%s'",
                            g->nodes[i].name);
        if (tb < 0) continue;
        bn = &g->nodes[i];
        bn->op = NG_OP_MUL;
        bn->in[1] = ts;
        bn->n_in = bn->n_main_inputs = 2;
        int slot = ng_node_input_slot(bn, tb);
        if (slot < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", bn->name);
        bn->epi[0] = (ng_epi_step){.op = NG_OP_ADD, .operand = slot};
        bn->n_epi = 1;
        ng_report_add(r, "lower_batchnorm: '%s' as x * scale + shift", bn->name);
    }
    return NNGPU_OK;
}
