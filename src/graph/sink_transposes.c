/* Moves layout Transposes across regions of layout-free nodes so that they
 * cancel (tf2onnx without its transpose optimizer, TFLite / Keras NHWC graphs:
 * Transpose -> Conv -> Transpose around every elementwise chain).
 *
 * A region is a connected set of nodes whose outputs all have rank R and
 * that compute the same values in any axis order: elementwise ops (operands
 * broadcast), and Reduce (keepdims) / Softmax / Concat / Pad with their axes
 * renamed. Grown from a Transpose(perm p) it reads, the region is rewritten
 * to run on the untransposed layout when that removes more than it adds:
 * every Transpose(p) it reads is bypassed (and dies when only the region read
 * it), constants are permuted, other inputs get a Transpose(p^-1), and its
 * results get a Transpose(p) for readers outside; a reader that is itself a
 * Transpose composes with it, and vanishes when the two cancel. Costs count
 * the elements each Transpose moves plus a launch's worth. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "passes.h"
#include "qdq.h"

#define LAUNCH_ELEMENTS 4096 /* a kernel launch, counted as this many moved elements */

static int is_pointwise(ng_op op) {
    ng_op_kind k = ng_op_kind_of(op);
    if (k == NG_KIND_ELTWISE_UNARY || k == NG_KIND_ELTWISE_BINARY || k == NG_KIND_UNARY_REF)
        return 1;
    switch (op) {
    case NG_OP_MAX: case NG_OP_MIN: case NG_OP_SUM: case NG_OP_MEAN: case NG_OP_CAST:
    case NG_OP_WHERE: case NG_OP_EQUAL: case NG_OP_LESS: case NG_OP_GREATER:
    case NG_OP_LESSOREQUAL: case NG_OP_GREATEROREQUAL: case NG_OP_AND: case NG_OP_OR:
    case NG_OP_XOR: case NG_OP_NOT: return 1;
    default: return 0;
    }
}

static int is_reduce(ng_op op) { return op >= NG_OP_REDUCEMEAN && op <= NG_OP_REDUCELOGSUMEXP; }

/* Whether input k of n carries the layout (else: an axes / pads / value operand). */
static int is_data_input(const ng_node *n, int k) {
    return is_pointwise(n->op) || n->op == NG_OP_CONCAT || k == 0;
}

static int tensor_plain(const ng_tensor *t) { return !t->is_dynamic && !t->rt_shape && t->rank >= 0; }

/* Whether n can join a region of rank R (its axis operands constant). */
static int layout_free(const ng_graph *g, const ng_node *n, int R) {
    if (n->dead || n->n_out != 1 || n->out[0] < 0) return 0;
    const ng_tensor *y = &g->tensors[n->out[0]];
    if (!tensor_plain(y) || y->rank != R) return 0;
    for (int k = 0; k < n->n_in; k++) {
        const ng_tensor *t = ng_in(g, n, k);
        if (t && (!tensor_plain(t) || t->rank > R)) return 0;
    }
    if (is_pointwise(n->op)) return 1;
    int64_t v[2 * NNGPU_MAX_DIMS];
    if (is_reduce(n->op))
        return ng_attr_int(n, "keepdims", 1) == 1 &&
               ng_node_ints(g, n, "axes", 1, v, NNGPU_MAX_DIMS) >= 0;
    switch (n->op) {
    case NG_OP_SOFTMAX: case NG_OP_LOGSOFTMAX: case NG_OP_HARDMAX: return n->opset >= 13;
    case NG_OP_CONCAT: return 1;
    case NG_OP_PAD:
        return (n->n_in < 4 || n->in[3] < 0) &&
               ng_node_ints(g, n, "pads", 1, v, 2 * NNGPU_MAX_DIMS) == 2 * R;
    default: return 0;
    }
}

typedef struct sinker {
    ng_graph *g;
    ng_readers rd;
    int R;
    int64_t p[NNGPU_MAX_DIMS], q[NNGPU_MAX_DIMS]; /* q = p^-1 */
    char *in_region;                              /* per node */
    int *list, n_list;
} sinker;

static int is_transpose_p(const sinker *s, int node) {
    const ng_node *t = &s->g->nodes[node];
    int64_t p[NNGPU_MAX_DIMS];
    if (t->dead || t->op != NG_OP_TRANSPOSE || ng_in(s->g, t, 0)->rank != s->R ||
        !ng_transpose_perm(t, s->R, p))
        return 0;
    return memcmp(p, s->p, sizeof(int64_t) * (size_t)s->R) == 0;
}

/* Whether reader node i reads tensor t only as region data. */
static int reads_as_region_data(const sinker *s, int i, int t) {
    if (!s->in_region[i]) return 0;
    const ng_node *n = &s->g->nodes[i];
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] == t && !is_data_input(n, k)) return 0;
    return 1;
}

static void region_add(sinker *s, int i) {
    if (s->in_region[i]) return;
    s->in_region[i] = 1;
    s->list[s->n_list++] = i;
}

/* The region reachable from the readers of tensor t (BFS over producers and readers). */
static void grow(sinker *s, int t) {
    ng_graph *g = s->g;
    for (int e = s->rd.start[t]; e < s->rd.start[t + 1]; e++)
        if (layout_free(g, &g->nodes[s->rd.node[e]], s->R)) region_add(s, s->rd.node[e]);
    for (int head = 0; head < s->n_list; head++) {
        const ng_node *n = &g->nodes[s->list[head]];
        for (int k = 0; k < n->n_in; k++) {
            int u = n->in[k];
            if (u < 0 || !is_data_input(n, k) || ng_is_const(g, u)) continue;
            int pi = g->tensors[u].producer;
            if (pi >= 0 && g->nodes[pi].op != NG_OP_TRANSPOSE && layout_free(g, &g->nodes[pi], s->R))
                region_add(s, pi);
        }
        int y = n->out[0];
        for (int e = s->rd.start[y]; e < s->rd.start[y + 1]; e++) {
            const ng_node *w = &g->nodes[s->rd.node[e]];
            if (w->op != NG_OP_TRANSPOSE && layout_free(g, w, s->R)) region_add(s, s->rd.node[e]);
        }
    }
}

static int64_t weight(const ng_tensor *t) { return ng_numel(t) + LAUNCH_ELEMENTS; }

/* Composed permutation of reader Transpose w applied after p: reads the
 * untransposed tensor through c[i] = p[w_perm[i]]; 1 when it is the identity. */
static int composed(const sinker *s, const ng_node *w, int64_t *c) {
    int64_t wp[NNGPU_MAX_DIMS];
    if (!ng_transpose_perm(w, s->R, wp)) return -1;
    int identity = 1;
    for (int i = 0; i < s->R; i++) {
        c[i] = s->p[wp[i]];
        identity &= c[i] == i;
    }
    return identity;
}

/* Whether reader Transpose w of region output y vanishes after the rewrite:
 * it composes to the identity and writes no graph output, or it is the first
 * such reader writing one (*taken): the region node writes that output. */
static int cancels(const sinker *s, int w, int id, int *taken) {
    if (id != 1) return 0;
    if (!s->g->tensors[s->g->nodes[w].out[0]].is_output) return 1;
    if (*taken) return 0;
    return *taken = 1;
}

/* The change in moved elements if the region were rewritten; INT64_MAX when
 * it cannot be (a non-constant lower-rank operand, a malformed Transpose). */
static int64_t region_cost(const sinker *s) {
    ng_graph *g = s->g;
    int64_t cost = 0;
    for (int a = 0; a < s->n_list; a++) {
        const ng_node *n = &g->nodes[s->list[a]];
        for (int k = 0; k < n->n_in; k++) {
            int u = n->in[k];
            if (u < 0 || !is_data_input(n, k)) continue;
            const ng_tensor *t = &g->tensors[u];
            int pi = t->producer;
            if (ng_is_const(g, u)) {
                if (nngpu_dtype_size(t->dtype) == 0 || t->dtype == NNGPU_DTYPE_INT4 ||
                    t->dtype == NNGPU_DTYPE_UINT4)
                    return INT64_MAX;
                continue;
            }
            if (pi >= 0 && s->in_region[pi]) continue;
            int first = 1; /* count each outside tensor once */
            for (int b = 0; b < a && first; b++)
                for (int j = 0; j < g->nodes[s->list[b]].n_in; j++)
                    first &= g->nodes[s->list[b]].in[j] != u;
            for (int j = 0; j < k; j++) first &= n->in[j] != u;
            if (!first) continue;
            if (pi >= 0 && is_transpose_p(s, pi)) {
                int all = !t->is_output;
                for (int e = s->rd.start[u]; e < s->rd.start[u + 1] && all; e++)
                    all = reads_as_region_data(s, s->rd.node[e], u);
                if (all) cost -= weight(t);
            } else if (t->rank == s->R) {
                cost += weight(t);
            } else if (ng_numel(t) != 1) {
                return INT64_MAX;
            }
        }
        int y = n->out[0];
        const ng_tensor *yt = &g->tensors[y];
        int needs_transpose = yt->is_output, taken = 0;
        for (int e = s->rd.start[y]; e < s->rd.start[y + 1]; e++) {
            int w = s->rd.node[e];
            if (reads_as_region_data(s, w, y)) continue;
            if (g->nodes[w].op != NG_OP_TRANSPOSE) {
                needs_transpose = 1;
                continue;
            }
            int64_t c[NNGPU_MAX_DIMS];
            int id = composed(s, &g->nodes[w], c);
            if (id < 0) return INT64_MAX;
            if (cancels(s, w, id, &taken)) cost -= weight(yt);
        }
        if (needs_transpose) cost += weight(yt);
    }
    return cost;
}

/* ---- the rewrite ---- */

/* data (dims of the region's layout, rank R after left-padding with 1s)
 * permuted to the untransposed layout: out dims[j] = dims[q[j]]. */
static void *permuted_copy(const sinker *s, const ng_tensor *t, int64_t *out_dims) {
    int R = s->R;
    int64_t dims[NNGPU_MAX_DIMS], stride[NNGPU_MAX_DIMS], src_stride[NNGPU_MAX_DIMS];
    for (int i = 0; i < R; i++) dims[i] = i < R - t->rank ? 1 : t->dims[i - (R - t->rank)];
    int64_t st = 1;
    for (int i = R - 1; i >= 0; i--) stride[i] = st, st *= dims[i];
    for (int j = 0; j < R; j++) out_dims[j] = dims[s->q[j]], src_stride[j] = stride[s->q[j]];
    size_t es = nngpu_dtype_size(t->dtype);
    int64_t n = ng_numel(t);
    char *out = malloc(es * (size_t)(n ? n : 1));
    if (!out) return NULL;
    int64_t idx[NNGPU_MAX_DIMS] = {0}, src = 0;
    for (int64_t o = 0; o < n; o++) {
        memcpy(out + (size_t)o * es, (const char *)t->data + (size_t)src * es, es);
        for (int j = R - 1; j >= 0; j--) { /* odometer over the output's index */
            src += src_stride[j];
            if (++idx[j] < out_dims[j]) break;
            src -= src_stride[j] * out_dims[j];
            idx[j] = 0;
        }
    }
    return out;
}

static int permuted_const(sinker *s, int u) {
    const ng_tensor *t = &s->g->tensors[u];
    if (ng_numel(t) == 1) return u; /* broadcasts the same in any layout */
    int64_t dims[NNGPU_MAX_DIMS];
    void *data = permuted_copy(s, t, dims);
    if (!data) return -1;
    char base[300];
    snprintf(base, sizeof base, "%s/untransposed", t->name);
    int c = ng_const_add(s->g, base, t->dtype, s->R, dims, data);
    free(data);
    return c;
}

static int set_int_attr(ng_node *n, const char *name, int64_t v) {
    ng_attr *a = NULL;
    for (int k = 0; k < n->n_attr; k++)
        if (strcmp(n->attrs[k].name, name) == 0) a = &n->attrs[k];
    if (!a) a = ng_node_add_attr(n, name, NG_ATTR_INT);
    if (!a) return 0;
    a->i = v;
    return 1;
}

/* Axis-carrying attributes and operands of region node n, renamed: the
 * region's axis a is the untransposed layout's axis p[a]. */
static nngpu_status rename_axes(sinker *s, int ni) {
    ng_graph *g = s->g;
    ng_node *n = &g->nodes[ni];
    int R = s->R;
    int64_t v[2 * NNGPU_MAX_DIMS], w[2 * NNGPU_MAX_DIMS];
    if (n->op == NG_OP_CONCAT || n->op == NG_OP_SOFTMAX || n->op == NG_OP_LOGSOFTMAX ||
        n->op == NG_OP_HARDMAX) {
        int a = ng_axis(ng_attr_int(n, "axis", n->op == NG_OP_CONCAT ? 0 : -1), R);
        if (a < 0 || !set_int_attr(n, "axis", s->p[a]))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': axis out of range", n->name);
        return NNGPU_OK;
    }
    int pad = n->op == NG_OP_PAD, cnt;
    if (!pad && !is_reduce(n->op)) return NNGPU_OK;
    cnt = ng_node_ints(g, n, pad ? "pads" : "axes", 1, v, 2 * NNGPU_MAX_DIMS);
    if (cnt <= 0) return NNGPU_OK; /* reduce over every axis */
    for (int i = 0; i < cnt; i++) {
        if (pad) {
            w[(i < R ? 0 : R) + s->p[i % R]] = v[i];
        } else {
            int a = ng_axis(v[i], R);
            if (a < 0) return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': axis %lld out of range",
                                       n->name, (long long)v[i]);
            w[i] = s->p[a];
        }
    }
    const char *attr = pad ? "pads" : "axes";
    if (ng_attr_find(n, attr)) {
        if (!ng_node_set_ints(n, attr, cnt, w)) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", n->name);
        return NNGPU_OK;
    }
    int64_t dims[1] = {cnt};
    char base[300];
    snprintf(base, sizeof base, "%s/%s", n->name, attr);
    int c = ng_const_add(g, base, NNGPU_DTYPE_INT64, 1, dims, w);
    if (c < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", n->name);
    g->nodes[ni].in[1] = c;
    return NNGPU_OK;
}

/* Transpose(x, perm) -> y appended, placed before / after node at. */
static int add_transpose(sinker *s, int x, int y, const int64_t *perm, int at, int after,
                         int **anchor, int **behind, int *n_new) {
    ng_graph *g = s->g;
    char name[300];
    snprintf(name, sizeof name, "%s/transpose", g->tensors[y].name);
    int *a = realloc(*anchor, sizeof(int) * (size_t)(*n_new + 1));
    if (a) *anchor = a;
    int *b = a ? realloc(*behind, sizeof(int) * (size_t)(*n_new + 1)) : NULL;
    if (b) *behind = b;
    int id = a && b ? ng_node_add(g, NG_OP_TRANSPOSE, name, 1, &x, 1, &y) : -1;
    if (id < 0 || !ng_node_set_ints(&g->nodes[id], "perm", s->R, perm)) return 0;
    (*anchor)[*n_new] = at, (*behind)[*n_new] = after, (*n_new)++;
    return 1;
}

/* A new tensor for t in the untransposed layout (dims[j] = t's dims[q[j]]); -1 on OOM. */
static int untransposed(sinker *s, int t) {
    char base[300];
    snprintf(base, sizeof base, "%s/untransposed", s->g->tensors[t].name);
    int u = ng_tensor_add_unique(s->g, base);
    if (u < 0) return -1;
    ng_tensor *from = &s->g->tensors[t], *to = &s->g->tensors[u];
    to->dtype = from->dtype;
    to->rank = s->R;
    for (int j = 0; j < s->R; j++) to->dims[j] = from->dims[s->q[j]];
    return u;
}

static nngpu_status rewrite(sinker *s) {
    ng_graph *g = s->g;
    int n_old = g->n_nodes, n_new = 0, *anchor = NULL, *behind = NULL, ok = 1;
    int n_t0 = g->n_tensors;
    /* map[t - 0]: the untransposed stand-in of outside tensor or region output t */
    int *map = malloc(sizeof(int) * (size_t)(n_t0 + 1));
    if (!map) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "moving transposes");
    for (int t = 0; t < n_t0; t++) map[t] = -1;
    /* 1. region outputs get untransposed tensors */
    for (int a = 0; a < s->n_list && ok; a++) {
        int y = g->nodes[s->list[a]].out[0];
        ok = (map[y] = untransposed(s, y)) >= 0;
    }
    /* 2. region inputs */
    for (int a = 0; a < s->n_list && ok; a++) {
        int ni = s->list[a];
        for (int k = 0; k < g->nodes[ni].n_in && ok; k++) {
            int u = g->nodes[ni].in[k];
            if (u < 0 || !is_data_input(&g->nodes[ni], k)) continue;
            if (map[u] < 0) {
                int pi = g->tensors[u].producer;
                if (ng_is_const(g, u)) map[u] = permuted_const(s, u);
                else if (pi >= 0 && is_transpose_p(s, pi)) map[u] = g->nodes[pi].in[0];
                else if (ng_numel(&g->tensors[u]) == 1 && g->tensors[u].rank < s->R) map[u] = u;
                else { /* Transpose(p^-1) in front of the region's first reader */
                    int u2 = untransposed(s, u);
                    if (u2 < 0 || !add_transpose(s, u, u2, s->q, ni, 0, &anchor, &behind, &n_new)) ok = 0;
                    map[u] = u2;
                }
                if (map[u] < 0) ok = 0;
            }
            if (ok) g->nodes[ni].in[k] = map[u];
        }
    }
    /* 3. readers outside, then the region writes the untransposed tensors */
    for (int a = 0; a < s->n_list && ok; a++) {
        int ni = s->list[a], y = g->nodes[ni].out[0], y2 = map[y], needs = g->tensors[y].is_output;
        int taken = 0;
        for (int e = s->rd.start[y]; e < s->rd.start[y + 1]; e++) {
            int w = s->rd.node[e];
            if (s->in_region[w]) continue; /* region readers were rewired in step 2 */
            ng_node *wn = &g->nodes[w];
            if (wn->op != NG_OP_TRANSPOSE) {
                needs = 1;
                continue;
            }
            int64_t c[NNGPU_MAX_DIMS];
            int id = composed(s, wn, c);
            if (!ng_node_set_ints(wn, "perm", s->R, c)) ok = 0;
            wn->in[0] = y2;
            if (!cancels(s, w, id, &taken)) continue;
            wn->dead = 1;
            if (g->tensors[wn->out[0]].is_output) { /* the region node writes it */
                ng_replace_uses(g, y2, wn->out[0]);
                y2 = map[y] = wn->out[0];
            } else {
                ng_replace_uses(g, wn->out[0], y2);
            }
        }
        g->nodes[ni].out[0] = y2;
        g->tensors[y2].producer = ni;
        g->tensors[y].producer = -1; /* the Transpose(p) below writes it, if anyone reads it */
        if (needs && !add_transpose(s, y2, y, s->p, ni, 1, &anchor, &behind, &n_new)) ok = 0;
    }
    /* 4. bypassed Transposes nobody reads any more */
    for (int t = 0; t < n_t0; t++) {
        int pi = map[t] >= 0 && !ng_is_const(g, t) ? g->tensors[t].producer : -1;
        if (pi >= 0 && !g->nodes[pi].dead && g->nodes[pi].op == NG_OP_TRANSPOSE &&
            g->nodes[pi].in[0] == map[t] && !g->tensors[t].is_output && ng_use_count(g, t) == 0)
            g->nodes[pi].dead = 1;
    }
    for (int a = 0; a < s->n_list && ok; a++) {
        nngpu_status st = rename_axes(s, s->list[a]);
        if (st != NNGPU_OK) {
            free(map), free(anchor), free(behind);
            return st;
        }
    }
    free(map);
    nngpu_status st = ok ? NNGPU_OK : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "moving transposes");
    if (ok && n_new) st = ng_place_appended(g, n_old, anchor, behind);
    free(anchor);
    free(behind);
    return st;
}

nngpu_status ng_pass_sink_transposes(ng_graph *g, ng_report *r) {
    sinker s = {.g = g};
    nngpu_status st = NNGPU_OK;
    int moved = 0, live_after = 0, live_before = 0, changed = 1;
    for (int i = 0; i < g->n_nodes; i++)
        live_before += !g->nodes[i].dead && g->nodes[i].op == NG_OP_TRANSPOSE;
    /* each rewrite lowers the elements Transposes move, so this ends; the cap guards it */
    for (int round = 0; changed && st == NNGPU_OK && round <= g->n_nodes; round++) {
        changed = 0;
        s.in_region = calloc((size_t)g->n_nodes + 1, 1);
        s.list = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
        s.n_list = 0;
        if (!s.in_region || !s.list || !ng_readers_build(g, &s.rd)) {
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "moving transposes");
            break;
        }
        for (int i = 0; i < g->n_nodes && !changed && st == NNGPU_OK; i++) {
            const ng_node *t = &g->nodes[i];
            if (t->dead || t->op != NG_OP_TRANSPOSE || !ng_in(g, t, 0) ||
                !tensor_plain(ng_in(g, t, 0)))
                continue;
            s.R = ng_in(g, t, 0)->rank;
            if (s.R < 2 || s.R > NNGPU_MAX_DIMS || !ng_transpose_perm(t, s.R, s.p)) continue;
            for (int j = 0; j < s.R; j++) s.q[s.p[j]] = j;
            for (int a = 0; a < s.n_list; a++) s.in_region[s.list[a]] = 0;
            s.n_list = 0;
            grow(&s, t->out[0]);
            if (s.n_list == 0 || region_cost(&s) >= 0) continue;
            char name[256];
            snprintf(name, sizeof name, "%s", t->name);
            st = rewrite(&s);
            changed = st == NNGPU_OK;
            moved += s.n_list;
            ng_report_add(r, "sink_transposes: %d nodes read around Transpose '%s' untransposed",
                          s.n_list, name);
        }
        ng_readers_free(&s.rd);
        free(s.in_region);
        free(s.list);
        s.in_region = NULL, s.list = NULL;
    }
    for (int i = 0; i < g->n_nodes; i++)
        live_after += !g->nodes[i].dead && g->nodes[i].op == NG_OP_TRANSPOSE;
    if (moved)
        ng_report_add(r, "sink_transposes: Transposes %d -> %d", live_before, live_after);
    return st;
}
