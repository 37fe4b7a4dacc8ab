/* Shape and dtype inference for every op in ops.def, opsets 7..21. */
#include "infer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "infer_internal.h"

#define MAXD NNGPU_MAX_DIMS

/* An error naming the node and its op. */
static nngpu_status nerr(const ng_node *n, nngpu_status s, const char *fmt, ...) NG_PRINTF(3, 4);
static nngpu_status nerr(const ng_node *n, nngpu_status s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ng_error(s, "node '%s' (%s): %s", n->name, ng_op_name(n->op), msg);
}

/* Set when inference stopped at a value known only per run that decides a
 * shape (Reshape's shape, Slice's starts, ...): the node joins the run-time
 * tail instead (ng_pass_infer_fold). */
static _Thread_local int wants_value;

static nngpu_status not_const(const ng_node *n, const char *what, const char *name) {
    wants_value = 1;
    return nerr(n, NNGPU_ERR_UNSUPPORTED, "%s%sinput '%s' is not constant", what, *what ? " " : "", name);
}

int ng_infer_wanted_value(void) {
    int w = wants_value;
    wants_value = 0;
    return w;
}

static int is_float(nngpu_dtype t) {
    return t == NNGPU_DTYPE_FLOAT32 || t == NNGPU_DTYPE_FLOAT16 || t == NNGPU_DTYPE_FLOAT64;
}

/* Input i, required: must exist and have a known shape. */
static nngpu_status need(const ng_graph *g, const ng_node *n, int i, const ng_tensor **t) {
    *t = NULL;
    const ng_tensor *x = i < n->n_main_inputs ? ng_in(g, n, i) : NULL;
    if (!x) return nerr(n, NNGPU_ERR_INVALID_ARG, "missing required input %d", i);
    if (x->rank < 0)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' has no known shape", x->name);
    *t = x;
    return NNGPU_OK;
}

/* Optional input i (NULL when omitted; also when an empty-named tensor of size 0). */
static const ng_tensor *opt(const ng_graph *g, const ng_node *n, int i) {
    return i < n->n_main_inputs ? ng_in(g, n, i) : NULL;
}

static void set_out(ng_graph *g, ng_node *n, int i, nngpu_dtype dt, int rank, const int64_t *dims) {
    ng_tensor *y = ng_out(g, n, i);
    if (!y) return;
    y->dtype = dt;
    y->rank = rank;
    y->is_dynamic = 0;
    for (int k = 0; k < rank; k++) y->dims[k] = dims[k];
}

static void copy_out(ng_graph *g, ng_node *n, int i, const ng_tensor *x) {
    set_out(g, n, i, x->dtype, x->rank, x->dims);
}

/* An int list from attribute or constant input; non-constant input fails. */
static nngpu_status ints(const ng_graph *g, const ng_node *n, const char *attr, int input,
                         const char *what, int64_t *out, int max, int *cnt) {
    int c = ng_node_ints(g, n, attr, input, out, max);
    if (c < 0)
        return not_const(n, what, g->tensors[n->in[input]].name);
    if (input >= 0 && c == 0) {
        const ng_tensor *t = opt(g, n, input);
        if (t && t->data && ng_numel(t) > max)
            return nerr(n, NNGPU_ERR_UNSUPPORTED, "%s input '%s' has over %d values", what,
                        t->name, max);
    }
    *cnt = c;
    return NNGPU_OK;
}

/* Float list from a constant input (0: absent or empty, -1: not constant). */
static int const_doubles(const ng_graph *g, const ng_node *n, int input, double *out, int max) {
    const ng_tensor *t = opt(g, n, input);
    if (!t) return 0;
    if (!t->data) return t->rank >= 0 && ng_numel(t) == 0 ? 0 : -1;
    int64_t c = ng_numel(t);
    if (c > max) c = max;
    for (int64_t i = 0; i < c; i++) out[i] = ng_const_double(t, i);
    return (int)c;
}

nngpu_status ng_broadcast_shape(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                                int64_t *out) {
    int r = ra > rb ? ra : rb;
    if (r > MAXD) return ng_error(NNGPU_ERR_UNSUPPORTED, "broadcast rank %d is over %d", r, MAXD);
    int64_t tmp[MAXD];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da == db || db == 1) tmp[i] = da;
        else if (da == 1) tmp[i] = db;
        else
            return ng_error(NNGPU_ERR_INVALID_ARG,
                            "shapes do not broadcast: dim %d is %lld vs %lld", i, (long long)da,
                            (long long)db);
    }
    memcpy(out, tmp, sizeof(int64_t) * (size_t)r);
    *rout = r;
    return NNGPU_OK;
}

/* 1 when shape a broadcasts (unidirectionally) to shape b. */
static int bcast_to(int ra, const int64_t *a, int rb, const int64_t *b) {
    if (ra > rb) return 0;
    for (int i = 0; i < ra; i++) {
        int64_t da = a[i], db = b[rb - ra + i];
        if (da != db && da != 1) return 0;
    }
    return 1;
}

static nngpu_status bcast_inputs(const ng_graph *g, const ng_node *n, int first, int count,
                                 int *r, int64_t *dims) {
    const ng_tensor *t;
    NG_CHECK(need(g, n, first, &t));
    *r = t->rank;
    memcpy(dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
    for (int i = first + 1; i < first + count; i++) {
        NG_CHECK(need(g, n, i, &t));
        if (ng_broadcast_shape(*r, dims, t->rank, t->dims, r, dims) != NNGPU_OK)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' does not broadcast: %s", t->name,
                        nngpu_last_error());
    }
    return NNGPU_OK;
}

/* Exported forms of the helpers above for the other inference files. */
nngpu_status ng_infer_err(const ng_node *n, nngpu_status s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nerr(n, s, "%s", msg);
}
nngpu_status ng_infer_need(const ng_graph *g, const ng_node *n, int i, const ng_tensor **t) {
    return need(g, n, i, t);
}
const ng_tensor *ng_infer_opt(const ng_graph *g, const ng_node *n, int i) { return opt(g, n, i); }
void ng_infer_set_out(ng_graph *g, ng_node *n, int i, nngpu_dtype dt, int rank,
                      const int64_t *dims) {
    set_out(g, n, i, dt, rank, dims);
}
nngpu_status ng_infer_ints(const ng_graph *g, const ng_node *n, const char *attr, int input,
                           const char *what, int64_t *out, int max, int *cnt) {
    return ints(g, n, attr, input, what, out, max, cnt);
}
nngpu_status ng_infer_bcast(const ng_graph *g, const ng_node *n, int first, int count, int *r,
                            int64_t *dims) {
    return bcast_inputs(g, n, first, count, r, dims);
}

/* ---- elementwise ------------------------------------------------------------------------ */

static nngpu_status infer_same(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    copy_out(g, n, 0, x);
    return NNGPU_OK;
}

static nngpu_status infer_binary(ng_graph *g, ng_node *n, nngpu_dtype out_dt) {
    const ng_tensor *a, *b;
    NG_CHECK(need(g, n, 0, &a));
    NG_CHECK(need(g, n, 1, &b));
    if (n->op != NG_OP_POW && a->dtype != b->dtype)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "inputs '%s' (%s) and '%s' (%s) differ in dtype",
                    a->name, nngpu_dtype_name(a->dtype), b->name, nngpu_dtype_name(b->dtype));
    int r;
    int64_t d[MAXD];
    NG_CHECK(bcast_inputs(g, n, 0, 2, &r, d));
    set_out(g, n, 0, out_dt == NNGPU_DTYPE_UNDEFINED ? a->dtype : out_dt, r, d);
    return NNGPU_OK;
}

static nngpu_status infer_prelu(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *s;
    NG_CHECK(need(g, n, 0, &x));
    NG_CHECK(need(g, n, 1, &s));
    if (!bcast_to(s->rank, s->dims, x->rank, x->dims))
        return nerr(n, NNGPU_ERR_INVALID_ARG, "slope '%s' does not broadcast to input '%s'",
                    s->name, x->name);
    copy_out(g, n, 0, x);
    return NNGPU_OK;
}

static nngpu_status infer_variadic(ng_graph *g, ng_node *n) {
    if (n->n_main_inputs < 1) return nerr(n, NNGPU_ERR_INVALID_ARG, "needs at least one input");
    int r;
    int64_t d[MAXD];
    NG_CHECK(bcast_inputs(g, n, 0, n->n_main_inputs, &r, d));
    const ng_tensor *a = ng_in(g, n, 0);
    for (int i = 1; i < n->n_main_inputs; i++)
        if (ng_in(g, n, i)->dtype != a->dtype)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' differs in dtype from '%s'",
                        ng_in(g, n, i)->name, a->name);
    set_out(g, n, 0, a->dtype, r, d);
    return NNGPU_OK;
}

static nngpu_status infer_where(ng_graph *g, ng_node *n) {
    const ng_tensor *c, *x, *y;
    NG_CHECK(need(g, n, 0, &c));
    NG_CHECK(need(g, n, 1, &x));
    NG_CHECK(need(g, n, 2, &y));
    if (c->dtype != NNGPU_DTYPE_BOOL)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "condition '%s' is %s, not bool", c->name,
                    nngpu_dtype_name(c->dtype));
    if (x->dtype != y->dtype)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "inputs '%s' and '%s' differ in dtype", x->name,
                    y->name);
    int r;
    int64_t d[MAXD];
    NG_CHECK(bcast_inputs(g, n, 0, 3, &r, d));
    set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

/* ---- windows: Conv / pools ------------------------------------------------------------------ */

nngpu_status ng_infer_window(const ng_graph *g, const ng_node *n, ng_window *w) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    if (x->rank < 3) return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs >= 3", x->name, x->rank);
    int ns = x->rank - 2;
    memset(w, 0, sizeof *w);
    w->ns = ns;
    const int64_t *ks;
    int c = ng_attr_ints(n, "kernel_shape", &ks);
    if (n->op == NG_OP_CONV || n->op == NG_OP_CONVINTEGER || n->op == NG_OP_QLINEARCONV) {
        const ng_tensor *wt; /* kernel dims from the weight */
        NG_CHECK(need(g, n, n->op == NG_OP_QLINEARCONV ? 3 : 1, &wt));
        if (wt->rank != x->rank)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "weight '%s' has rank %d, input has %d", wt->name,
                        wt->rank, x->rank);
        for (int i = 0; i < ns; i++) w->k[i] = wt->dims[2 + i];
        if (c && c != ns)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "kernel_shape has %d values for %d spatial dims", c, ns);
        for (int i = 0; i < c; i++)
            if (ks[i] != w->k[i])
                return nerr(n, NNGPU_ERR_INVALID_ARG, "kernel_shape disagrees with weight '%s'", wt->name);
    } else {
        if (c != ns)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "kernel_shape has %d values for %d spatial dims", c, ns);
        for (int i = 0; i < ns; i++) w->k[i] = ks[i];
    }
    for (int i = 0; i < ns; i++) {
        w->in[i] = x->dims[2 + i];
        w->s[i] = w->d[i] = 1;
        if (w->k[i] < 1) return nerr(n, NNGPU_ERR_INVALID_ARG, "kernel dim %d is %lld", i, (long long)w->k[i]);
    }
    const int64_t *p;
    if ((c = ng_attr_ints(n, "strides", &p)) != 0) {
        if (c != ns) return nerr(n, NNGPU_ERR_INVALID_ARG, "strides has %d values for %d spatial dims", c, ns);
        for (int i = 0; i < ns; i++) w->s[i] = p[i];
    }
    if ((c = ng_attr_ints(n, "dilations", &p)) != 0) {
        if (c != ns) return nerr(n, NNGPU_ERR_INVALID_ARG, "dilations has %d values for %d spatial dims", c, ns);
        for (int i = 0; i < ns; i++) w->d[i] = p[i];
    }
    for (int i = 0; i < ns; i++)
        if (w->s[i] < 1 || w->d[i] < 1)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "strides and dilations must be >= 1");
    const char *ap = ng_attr_string(n, "auto_pad", "NOTSET");
    int ceil_mode = (int)ng_attr_int(n, "ceil_mode", 0);
    if (!strcmp(ap, "NOTSET")) {
        if ((c = ng_attr_ints(n, "pads", &p)) != 0) {
            if (c != 2 * ns) return nerr(n, NNGPU_ERR_INVALID_ARG, "pads has %d values for %d spatial dims", c, ns);
            for (int i = 0; i < ns; i++) {
                w->pb[i] = p[i];
                w->pe[i] = p[ns + i];
                if (p[i] < 0 || p[ns + i] < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "negative pads");
            }
        }
        for (int i = 0; i < ns; i++) {
            int64_t span = w->in[i] + w->pb[i] + w->pe[i] - w->d[i] * (w->k[i] - 1) - 1;
            /* ceil_mode: a window past the end still gives one output (its
             * part inside the input: PyTorch's AvgPool2d(k, ceil_mode=True)
             * on a smaller map, as Hugging Face's EfficientNet pooler) */
            if (span < 0 && !(ceil_mode && span + w->s[i] > 0))
                return nerr(n, NNGPU_ERR_INVALID_ARG, "window (%lld) is larger than the padded input (%lld) in spatial dim %d",
                            (long long)(w->d[i] * (w->k[i] - 1) + 1), (long long)(w->in[i] + w->pb[i] + w->pe[i]), i);
            int64_t o = ceil_mode ? (span + w->s[i] - 1) / w->s[i] + 1 : span / w->s[i] + 1;
            if (ceil_mode && (o - 1) * w->s[i] >= w->in[i] + w->pb[i]) o--;
            w->out[i] = o;
        }
    } else if (!strcmp(ap, "VALID")) {
        for (int i = 0; i < ns; i++) {
            int64_t span = w->in[i] - w->d[i] * (w->k[i] - 1) - 1;
            if (span < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "window is larger than the input in spatial dim %d", i);
            w->out[i] = ceil_mode ? (span + w->s[i] - 1) / w->s[i] + 1 : span / w->s[i] + 1;
        }
    } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        for (int i = 0; i < ns; i++) {
            w->out[i] = (w->in[i] + w->s[i] - 1) / w->s[i];
            int64_t total = (w->out[i] - 1) * w->s[i] + w->d[i] * (w->k[i] - 1) + 1 - w->in[i];
            if (total < 0) total = 0;
            w->pb[i] = ap[5] == 'U' ? total / 2 : total - total / 2;
            w->pe[i] = total - w->pb[i];
        }
    } else {
        return nerr(n, NNGPU_ERR_UNSUPPORTED, "auto_pad '%s'", ap);
    }
    for (int i = 0; i < ns; i++)
        if (w->out[i] < 1 && w->in[i] > 0)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "output spatial dim %d would be %lld", i, (long long)w->out[i]);
    return NNGPU_OK;
}

nngpu_status ng_infer_conv_shape(const ng_graph *g, const ng_node *n, int wi, int bi, int *rank,
                                 int64_t *dims) {
    ng_window w;
    NG_CHECK(ng_infer_window(g, n, &w));
    const ng_tensor *x = ng_in(g, n, 0), *wt = ng_in(g, n, wi), *b = bi >= 0 ? opt(g, n, bi) : NULL;
    int64_t group = ng_attr_int(n, "group", 1);
    if (group < 1 || x->dims[1] % group || wt->dims[0] % group || wt->dims[1] * group != x->dims[1])
        return nerr(n, NNGPU_ERR_INVALID_ARG,
                    "input '%s' has %lld channels, weight '%s' is [%lld, %lld, ...] with group %lld",
                    x->name, (long long)x->dims[1], wt->name, (long long)wt->dims[0],
                    (long long)wt->dims[1], (long long)group);
    if (b && (b->rank != 1 || b->dims[0] != wt->dims[0]))
        return nerr(n, NNGPU_ERR_INVALID_ARG, "bias '%s' must be [%lld]", b->name, (long long)wt->dims[0]);
    dims[0] = x->dims[0];
    dims[1] = wt->dims[0];
    for (int i = 0; i < w.ns; i++) dims[2 + i] = w.out[i];
    *rank = x->rank;
    return NNGPU_OK;
}

static nngpu_status infer_conv(ng_graph *g, ng_node *n) {
    int r;
    int64_t d[MAXD];
    NG_CHECK(ng_infer_conv_shape(g, n, 1, 2, &r, d));
    const ng_tensor *x = ng_in(g, n, 0);
    if (!is_float(x->dtype))
        return nerr(n, NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

static nngpu_status infer_pool(ng_graph *g, ng_node *n) {
    ng_window w;
    NG_CHECK(ng_infer_window(g, n, &w));
    const ng_tensor *x = ng_in(g, n, 0);
    int64_t d[MAXD] = {x->dims[0], x->dims[1]};
    for (int i = 0; i < w.ns; i++) d[2 + i] = w.out[i];
    set_out(g, n, 0, x->dtype, x->rank, d);
    if (n->op == NG_OP_MAXPOOL) set_out(g, n, 1, NNGPU_DTYPE_INT64, x->rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_global_pool(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    if (x->rank < 3) return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs >= 3", x->name, x->rank);
    int64_t d[MAXD];
    for (int i = 0; i < x->rank; i++) d[i] = i < 2 ? x->dims[i] : 1;
    set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

/* ---- matrix ops ------------------------------------------------------------------------------ */

static nngpu_status infer_gemm(ng_graph *g, ng_node *n) {
    const ng_tensor *a, *b, *c = opt(g, n, 2);
    NG_CHECK(need(g, n, 0, &a));
    NG_CHECK(need(g, n, 1, &b));
    if (a->rank != 2 || b->rank != 2)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "inputs '%s' and '%s' must be 2-D (ranks %d, %d)",
                    a->name, b->name, a->rank, b->rank);
    int ta = (int)ng_attr_int(n, "transA", 0), tb = (int)ng_attr_int(n, "transB", 0);
    int64_t m = a->dims[ta ? 1 : 0], k = a->dims[ta ? 0 : 1];
    int64_t kb = b->dims[tb ? 1 : 0], nn = b->dims[tb ? 0 : 1];
    if (k != kb)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "inner dims differ: '%s' gives K=%lld, '%s' gives K=%lld",
                    a->name, (long long)k, b->name, (long long)kb);
    int64_t d[2] = {m, nn};
    if (c && c->rank >= 0 && !bcast_to(c->rank, c->dims, 2, d))
        return nerr(n, NNGPU_ERR_INVALID_ARG, "C '%s' does not broadcast to [%lld, %lld]", c->name,
                    (long long)m, (long long)nn);
    set_out(g, n, 0, a->dtype, 2, d);
    return NNGPU_OK;
}

nngpu_status ng_infer_matmul_shape(const ng_graph *g, const ng_node *n, int ia, int ib, int *rank,
                                   int64_t *dims) {
    const ng_tensor *a, *b;
    NG_CHECK(need(g, n, ia, &a));
    NG_CHECK(need(g, n, ib, &b));
    if (a->rank < 1 || b->rank < 1)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "inputs must have rank >= 1");
    int64_t ka = a->dims[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    if (ka != kb)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "inner dims differ: '%s' has %lld, '%s' has %lld",
                    a->name, (long long)ka, b->name, (long long)kb);
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0, r;
    int64_t d[MAXD + 2];
    if (ng_broadcast_shape(ra, a->dims, rb, b->dims, &r, d) != NNGPU_OK)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "batch dims of '%s' and '%s' do not broadcast",
                    a->name, b->name);
    if (a->rank >= 2) d[r++] = a->dims[a->rank - 2];
    if (b->rank >= 2) d[r++] = b->dims[b->rank - 1];
    if (r > MAXD) return nerr(n, NNGPU_ERR_UNSUPPORTED, "rank over %d", MAXD);
    *rank = r;
    memcpy(dims, d, sizeof(int64_t) * (size_t)r);
    return NNGPU_OK;
}

static nngpu_status infer_matmul(ng_graph *g, ng_node *n) {
    int r;
    int64_t d[MAXD];
    NG_CHECK(ng_infer_matmul_shape(g, n, 0, 1, &r, d));
    set_out(g, n, 0, ng_in(g, n, 0)->dtype, r, d);
    return NNGPU_OK;
}

static nngpu_status infer_batchnorm(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    if (x->rank < 2) return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d", x->name, x->rank);
    if (ng_attr_int(n, "training_mode", 0))
        return nerr(n, NNGPU_ERR_UNSUPPORTED, "training_mode=1");
    if (ng_attr_int(n, "spatial", 1) == 0) /* opsets 1-8: statistics per activation */
        return nerr(n, NNGPU_ERR_UNSUPPORTED, "spatial=0");
    for (int i = 1; i < 5; i++) {
        const ng_tensor *p;
        NG_CHECK(need(g, n, i, &p));
        if (p->rank != 1 || p->dims[0] != x->dims[1])
            return nerr(n, NNGPU_ERR_INVALID_ARG, "parameter '%s' must be [%lld]", p->name,
                        (long long)x->dims[1]);
    }
    copy_out(g, n, 0, x);
    for (int i = 1; i < n->n_out; i++) set_out(g, n, i, x->dtype, 1, &x->dims[1]);
    return NNGPU_OK;
}

static nngpu_status infer_softmax(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t ax = ng_attr_int(n, "axis", n->opset < 13 ? 1 : -1);
    if (ng_axis(ax, x->rank) < 0 && !(n->opset < 13 && ax == x->rank && x->rank == 0))
        return nerr(n, NNGPU_ERR_INVALID_ARG, "axis %lld is out of range for rank %d", (long long)ax, x->rank);
    copy_out(g, n, 0, x);
    return NNGPU_OK;
}

/* Reduce: the axes mask; returns the output shape. */
static nngpu_status infer_reduce(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t axes[MAXD];
    int c;
    NG_CHECK(ints(g, n, "axes", 1, "axes", axes, MAXD, &c));
    int keep = (int)ng_attr_int(n, "keepdims", 1);
    int noop = (int)ng_attr_int(n, "noop_with_empty_axes", 0);
    int mask[MAXD] = {0};
    if (c == 0) {
        if (noop) {
            copy_out(g, n, 0, x);
            return NNGPU_OK;
        }
        for (int i = 0; i < x->rank; i++) mask[i] = 1;
    }
    for (int i = 0; i < c; i++) {
        int a = ng_axis(axes[i], x->rank);
        if (a < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis %lld is out of range for rank %d", (long long)axes[i], x->rank);
        mask[a] = 1;
    }
    int r = 0;
    int64_t d[MAXD];
    for (int i = 0; i < x->rank; i++) {
        if (!mask[i]) d[r++] = x->dims[i];
        else if (keep) d[r++] = 1;
    }
    set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

/* ---- data movement ---------------------------------------------------------------------------- */

static nngpu_status infer_concat(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    if (!ng_attr_find(n, "axis")) return nerr(n, NNGPU_ERR_INVALID_ARG, "attribute 'axis' is required");
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (ax < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    int64_t d[MAXD];
    memcpy(d, x->dims, sizeof d);
    for (int i = 1; i < n->n_main_inputs; i++) {
        const ng_tensor *t;
        NG_CHECK(need(g, n, i, &t));
        int ok = t->rank == x->rank && t->dtype == x->dtype;
        for (int k = 0; ok && k < x->rank; k++)
            if (k != ax && t->dims[k] != x->dims[k]) ok = 0;
        if (!ok)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' does not match '%s' off axis %d", t->name, x->name, ax);
        d[ax] += t->dims[ax];
    }
    set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_split(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (ax < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    if (n->n_out < 1) return nerr(n, NNGPU_ERR_INVALID_ARG, "no outputs");
    int64_t sp[64];
    int c;
    NG_CHECK(ints(g, n, "split", 1, "split", sp, 64, &c));
    int64_t dim = x->dims[ax];
    if (c == 0) {
        int64_t no = ng_attr_int(n, "num_outputs", 0);
        if (no && no != n->n_out)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "num_outputs %lld but %d outputs", (long long)no, n->n_out);
        if (n->n_out > 64) return nerr(n, NNGPU_ERR_UNSUPPORTED, "over 64 outputs");
        c = n->n_out;
        if (no) {
            int64_t chunk = (dim + no - 1) / no;
            for (int i = 0; i < c; i++) {
                int64_t left = dim - chunk * i;
                sp[i] = left < 0 ? 0 : left < chunk ? left : chunk;
            }
        } else {
            if (dim % c) return nerr(n, NNGPU_ERR_INVALID_ARG, "dim %lld does not split evenly into %d", (long long)dim, c);
            for (int i = 0; i < c; i++) sp[i] = dim / c;
        }
    }
    if (c != n->n_out) return nerr(n, NNGPU_ERR_INVALID_ARG, "split has %d values for %d outputs", c, n->n_out);
    int64_t sum = 0;
    for (int i = 0; i < c; i++) {
        if (sp[i] < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "negative split");
        sum += sp[i];
    }
    if (sum != dim) return nerr(n, NNGPU_ERR_INVALID_ARG, "split sums to %lld, dim is %lld", (long long)sum, (long long)dim);
    for (int i = 0; i < c; i++) {
        int64_t d[MAXD];
        memcpy(d, x->dims, sizeof d);
        d[ax] = sp[i];
        set_out(g, n, i, x->dtype, x->rank, d);
    }
    return NNGPU_OK;
}

nngpu_status ng_infer_slice(const ng_graph *g, const ng_node *n, int64_t *start, int64_t *step,
                            int64_t *out_dims) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t st[MAXD], en[MAXD], ax[MAXD], sp[MAXD];
    int cs, ce, ca, cp;
    int old = n->opset < 10;
    NG_CHECK(ints(g, n, old ? "starts" : NULL, old ? -1 : 1, "starts", st, MAXD, &cs));
    NG_CHECK(ints(g, n, old ? "ends" : NULL, old ? -1 : 2, "ends", en, MAXD, &ce));
    NG_CHECK(ints(g, n, old ? "axes" : NULL, old ? -1 : 3, "axes", ax, MAXD, &ca));
    NG_CHECK(ints(g, n, NULL, old ? -1 : 4, "steps", sp, MAXD, &cp));
    if (cs != ce) return nerr(n, NNGPU_ERR_INVALID_ARG, "starts has %d values, ends %d", cs, ce);
    if (ca == 0) {
        ca = cs;
        for (int i = 0; i < cs; i++) ax[i] = i;
    }
    if (cp == 0) {
        cp = cs;
        for (int i = 0; i < cs; i++) sp[i] = 1;
    }
    if (ca != cs || cp != cs) return nerr(n, NNGPU_ERR_INVALID_ARG, "starts, ends, axes and steps differ in length");
    for (int i = 0; i < x->rank; i++) {
        start[i] = 0;
        step[i] = 1;
        out_dims[i] = x->dims[i];
    }
    int seen[MAXD] = {0};
    for (int i = 0; i < cs; i++) {
        int a = ng_axis(ax[i], x->rank);
        if (a < 0 || seen[a]) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis %lld is out of range or repeated", (long long)ax[i]);
        seen[a] = 1;
        int64_t dim = x->dims[a], s = st[i], e = en[i], k = sp[i];
        if (k == 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "step is 0 on axis %d", a);
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (k > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        }
        int64_t len = k > 0 ? (e - s + k - 1) / k : (s - e + (-k) - 1) / (-k);
        if (len < 0) len = 0;
        start[a] = len ? s : 0;
        step[a] = k;
        out_dims[a] = len;
    }
    return NNGPU_OK;
}

static nngpu_status infer_slice(ng_graph *g, ng_node *n) {
    int64_t s[MAXD], k[MAXD], d[MAXD];
    NG_CHECK(ng_infer_slice(g, n, s, k, d));
    const ng_tensor *x = ng_in(g, n, 0);
    set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_transpose(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    const int64_t *p;
    int c = ng_attr_ints(n, "perm", &p);
    if (c && c != x->rank) return nerr(n, NNGPU_ERR_INVALID_ARG, "perm has %d values for rank %d", c, x->rank);
    int64_t d[MAXD];
    int seen[MAXD] = {0};
    for (int i = 0; i < x->rank; i++) {
        int64_t a = c ? p[i] : x->rank - 1 - i;
        if (a < 0 || a >= x->rank || seen[a]) return nerr(n, NNGPU_ERR_INVALID_ARG, "perm is not a permutation");
        seen[a] = 1;
        d[i] = x->dims[a];
    }
    set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_reshape(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t s[MAXD + 1];
    int c = ng_node_ints(g, n, n->opset < 5 ? "shape" : NULL, n->opset < 5 ? -1 : 1, s, MAXD + 1);
    if (c < 0)
        return not_const(n, "shape", g->tensors[n->in[1]].name);
    const ng_tensor *st = opt(g, n, 1);
    if (c == 0 && !(st && st->data && ng_numel(st) == 0) && n->opset >= 5 && !st)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "missing shape input");
    if (c > MAXD || (st && st->data && ng_numel(st) > MAXD)) return nerr(n, NNGPU_ERR_UNSUPPORTED, "rank over %d", MAXD);
    int allowzero = (int)ng_attr_int(n, "allowzero", 0);
    int64_t known = 1, total = ng_numel(x);
    int neg = -1;
    for (int i = 0; i < c; i++) {
        if (s[i] == 0 && !allowzero) {
            if (i >= x->rank) return nerr(n, NNGPU_ERR_INVALID_ARG, "shape[%d]=0 copies a dim the input lacks", i);
            s[i] = x->dims[i];
        }
        if (s[i] == -1) {
            if (neg >= 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "more than one -1 in shape");
            neg = i;
        } else if (s[i] < 0) {
            return nerr(n, NNGPU_ERR_INVALID_ARG, "shape[%d] is %lld", i, (long long)s[i]);
        } else {
            known *= s[i];
        }
    }
    if (neg >= 0) {
        if (known == 0 || total % known)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "cannot infer -1: %lld elements into %lld", (long long)total, (long long)known);
        s[neg] = total / known;
    } else if (known != total) {
        return nerr(n, NNGPU_ERR_INVALID_ARG, "%lld elements cannot take a shape of %lld", (long long)total, (long long)known);
    }
    set_out(g, n, 0, x->dtype, c, s);
    return NNGPU_OK;
}

static nngpu_status infer_flatten(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t ax = ng_attr_int(n, "axis", 1);
    if (ax < 0) ax += x->rank;
    if (ax < 0 || ax > x->rank) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    int64_t d[2] = {1, 1};
    for (int i = 0; i < x->rank; i++) d[i < ax ? 0 : 1] *= x->dims[i];
    set_out(g, n, 0, x->dtype, 2, d);
    return NNGPU_OK;
}

static nngpu_status infer_squeeze(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t ax[MAXD];
    int c;
    NG_CHECK(ints(g, n, "axes", 1, "axes", ax, MAXD, &c));
    int mask[MAXD] = {0};
    for (int i = 0; i < c; i++) {
        int a = ng_axis(ax[i], x->rank);
        if (a < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis %lld is out of range for rank %d", (long long)ax[i], x->rank);
        if (x->dims[a] != 1) return nerr(n, NNGPU_ERR_INVALID_ARG, "dim %d of '%s' is %lld, not 1", a, x->name, (long long)x->dims[a]);
        mask[a] = 1;
    }
    if (c == 0)
        for (int i = 0; i < x->rank; i++) mask[i] = x->dims[i] == 1;
    int r = 0;
    int64_t d[MAXD];
    for (int i = 0; i < x->rank; i++)
        if (!mask[i]) d[r++] = x->dims[i];
    set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

static nngpu_status infer_unsqueeze(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t ax[MAXD + 1];
    int c;
    NG_CHECK(ints(g, n, "axes", 1, "axes", ax, MAXD + 1, &c));
    if (c == 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axes are required");
    int r = x->rank + c;
    if (r > MAXD) return nerr(n, NNGPU_ERR_UNSUPPORTED, "rank %d is over %d", r, MAXD);
    int mask[MAXD] = {0};
    for (int i = 0; i < c; i++) {
        int a = ng_axis(ax[i], r);
        if (a < 0 || mask[a]) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis %lld is out of range or repeated", (long long)ax[i]);
        mask[a] = 1;
    }
    int64_t d[MAXD];
    for (int i = 0, k = 0; i < r; i++) d[i] = mask[i] ? 1 : x->dims[k++];
    set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

static nngpu_status infer_gather(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *idx;
    NG_CHECK(need(g, n, 0, &x));
    NG_CHECK(need(g, n, 1, &idx));
    if (idx->dtype != NNGPU_DTYPE_INT32 && idx->dtype != NNGPU_DTYPE_INT64)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "indices '%s' are %s, not int32/int64", idx->name, nngpu_dtype_name(idx->dtype));
    int ax = ng_axis(ng_attr_int(n, "axis", 0), x->rank);
    if (ax < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis is out of range for rank %d", x->rank);
    int r = x->rank - 1 + idx->rank;
    if (r > MAXD) return nerr(n, NNGPU_ERR_UNSUPPORTED, "rank %d is over %d", r, MAXD);
    int64_t d[MAXD];
    int k = 0;
    for (int i = 0; i < ax; i++) d[k++] = x->dims[i];
    for (int i = 0; i < idx->rank; i++) d[k++] = idx->dims[i];
    for (int i = ax + 1; i < x->rank; i++) d[k++] = x->dims[i];
    if (idx->data) /* constant indices: check the range now */
        for (int64_t i = 0; i < ng_numel(idx); i++) {
            int64_t v = ng_const_int(idx, i);
            if (v < -x->dims[ax] || v >= x->dims[ax])
                return nerr(n, NNGPU_ERR_INVALID_ARG, "index %lld is out of range [%lld, %lld)", (long long)v,
                            (long long)-x->dims[ax], (long long)x->dims[ax]);
        }
    set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

nngpu_status ng_infer_pad(const ng_graph *g, const ng_node *n, int64_t *pb, int64_t *pe,
                          double *value) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t p[2 * MAXD], ax[MAXD];
    int c, ca = 0;
    *value = 0;
    if (n->opset < 11) {
        const int64_t *v;
        c = ng_attr_ints(n, "pads", &v);
        if (!c) c = ng_attr_ints(n, "paddings", &v);
        if (c > 2 * MAXD) c = 2 * MAXD;
        memcpy(p, v, sizeof(int64_t) * (size_t)c);
        *value = ng_attr_float(n, "value", 0.0f);
    } else {
        NG_CHECK(ints(g, n, NULL, 1, "pads", p, 2 * MAXD, &c));
        double v[1] = {0.0};
        int cv = const_doubles(g, n, 2, v, 1);
        if (cv < 0) return not_const(n, "constant_value", ng_in(g, n, 2)->name);
        if (cv == 1) *value = v[0];
        NG_CHECK(ints(g, n, NULL, 3, "axes", ax, MAXD, &ca));
    }
    if (ca == 0) {
        ca = x->rank;
        for (int i = 0; i < ca; i++) ax[i] = i;
    }
    if (c != 2 * ca)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "pads has %d values for %d axes", c, ca);
    for (int i = 0; i < x->rank; i++) pb[i] = pe[i] = 0;
    for (int i = 0; i < ca; i++) {
        int a = ng_axis(ax[i], x->rank);
        if (a < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis %lld is out of range", (long long)ax[i]);
        pb[a] = p[i];
        pe[a] = p[ca + i];
    }
    const char *mode = ng_attr_string(n, "mode", "constant");
    int known = !strcmp(mode, "constant") || !strcmp(mode, "reflect") || !strcmp(mode, "edge") || !strcmp(mode, "wrap");
    if (!known) return nerr(n, NNGPU_ERR_UNSUPPORTED, "mode '%s'", mode);
    for (int i = 0; i < x->rank; i++) {
        int64_t o = x->dims[i] + pb[i] + pe[i];
        if (o < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "pads crop dim %d below zero", i);
        if (strcmp(mode, "constant") && (pb[i] > 0 || pe[i] > 0) && x->dims[i] == 0)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "mode '%s' cannot pad an empty dim %d", mode, i);
        if (!strcmp(mode, "reflect") && (pb[i] >= x->dims[i] || pe[i] >= x->dims[i]) && (pb[i] > 0 || pe[i] > 0) && x->dims[i] < 2)
            return nerr(n, NNGPU_ERR_INVALID_ARG, "reflect pad of dim %d (size %lld) needs size >= 2", i, (long long)x->dims[i]);
    }
    return NNGPU_OK;
}

static nngpu_status infer_pad(ng_graph *g, ng_node *n) {
    int64_t pb[MAXD], pe[MAXD], d[MAXD];
    double v;
    NG_CHECK(ng_infer_pad(g, n, pb, pe, &v));
    const ng_tensor *x = ng_in(g, n, 0);
    for (int i = 0; i < x->rank; i++) d[i] = x->dims[i] + pb[i] + pe[i];
    set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

nngpu_status ng_infer_resize(const ng_graph *g, const ng_node *n, double *scales,
                             int64_t *out_dims, double *roi) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int r = x->rank;
    double sc[MAXD], rv[2 * MAXD];
    int64_t sz[MAXD], ax[MAXD];
    int cs = 0, cz = 0, cr = 0, ca = 0;
    for (int i = 0; i < r; i++) {
        roi[i] = 0;
        roi[r + i] = 1;
    }
    if (n->op == NG_OP_UPSAMPLE && n->opset < 9) {
        const ng_attr *a = ng_attr_find(n, "scales");
        if (!a || a->type != NG_ATTR_FLOATS) return nerr(n, NNGPU_ERR_INVALID_ARG, "attribute 'scales' is required");
        cs = a->n > MAXD ? MAXD : a->n;
        for (int i = 0; i < cs; i++) sc[i] = a->floats[i];
    } else {
        int si = n->op == NG_OP_UPSAMPLE || n->opset < 11 ? 1 : 2;
        cs = const_doubles(g, n, si, sc, MAXD);
        if (cs < 0) return not_const(n, "scales", ng_in(g, n, si)->name);
        if (n->op == NG_OP_RESIZE && n->opset >= 11) {
            NG_CHECK(ints(g, n, NULL, 3, "sizes", sz, MAXD, &cz));
            cr = const_doubles(g, n, 1, rv, 2 * MAXD);
            if (cr < 0) cr = 0; /* roi only matters for tf_crop_and_resize: checked below */
        }
    }
    if (n->op == NG_OP_RESIZE && n->opset >= 18) {
        const int64_t *v;
        ca = ng_attr_ints(n, "axes", &v);
        if (ca > MAXD) return nerr(n, NNGPU_ERR_INVALID_ARG, "too many axes");
        for (int i = 0; i < ca; i++) {
            int a = ng_axis(v[i], r);
            if (a < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "axis %lld is out of range", (long long)v[i]);
            ax[i] = a;
        }
    }
    if (ca == 0) {
        ca = r;
        for (int i = 0; i < r; i++) ax[i] = i;
    }
    if ((cs == 0) == (cz == 0)) return nerr(n, NNGPU_ERR_INVALID_ARG, "exactly one of scales and sizes must be given");
    if ((cs && cs != ca) || (cz && cz != ca))
        return nerr(n, NNGPU_ERR_INVALID_ARG, "scales/sizes have %d values for %d axes", cs ? cs : cz, ca);
    const char *ctm = ng_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    if (n->op == NG_OP_RESIZE && !strcmp(ctm, "tf_crop_and_resize")) {
        if (cr != 2 * ca) return nerr(n, NNGPU_ERR_UNSUPPORTED, "tf_crop_and_resize needs a constant roi of %d values", 2 * ca);
        for (int i = 0; i < ca; i++) {
            roi[ax[i]] = rv[i];
            roi[r + ax[i]] = rv[ca + i];
        }
    }
    for (int i = 0; i < r; i++) {
        scales[i] = 1.0;
        out_dims[i] = x->dims[i];
    }
    if (cs) {
        for (int i = 0; i < ca; i++) {
            if (!(sc[i] > 0)) return nerr(n, NNGPU_ERR_INVALID_ARG, "scale %g is not positive", sc[i]);
            scales[ax[i]] = sc[i];
            /* in float, as onnxruntime: tf2onnx's 17/9 scale (1.8888888f) times 9 is 17 */
            out_dims[ax[i]] = (int64_t)floorf((float)sc[i] * (float)x->dims[ax[i]]);
        }
    } else {
        const char *pol = ng_attr_string(n, "keep_aspect_ratio_policy", "stretch");
        for (int i = 0; i < ca; i++) {
            if (sz[i] < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "size %lld is negative", (long long)sz[i]);
            if (x->dims[ax[i]] == 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "cannot resize an empty dim");
            scales[ax[i]] = (double)sz[i] / (double)x->dims[ax[i]];
            out_dims[ax[i]] = sz[i];
        }
        if (strcmp(pol, "stretch")) {
            int larger = !strcmp(pol, "not_larger");
            if (!larger && strcmp(pol, "not_smaller")) return nerr(n, NNGPU_ERR_UNSUPPORTED, "keep_aspect_ratio_policy '%s'", pol);
            double s = scales[ax[0]];
            for (int i = 1; i < ca; i++) s = larger ? fmin(s, scales[ax[i]]) : fmax(s, scales[ax[i]]);
            for (int i = 0; i < ca; i++) {
                scales[ax[i]] = s;
                out_dims[ax[i]] = (int64_t)(s * (double)x->dims[ax[i]] + 0.5);
            }
        }
    }
    return NNGPU_OK;
}

static nngpu_status infer_resize(ng_graph *g, ng_node *n) {
    double s[MAXD], roi[2 * MAXD];
    int64_t d[MAXD];
    NG_CHECK(ng_infer_resize(g, n, s, d, roi));
    const ng_tensor *x = ng_in(g, n, 0);
    set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

/* ---- types and shape computation ------------------------------------------------------------ */

nngpu_dtype ng_infer_onnx_dtype(int64_t t) {
    switch (t) {
    case 1: return NNGPU_DTYPE_FLOAT32;
    case 2: return NNGPU_DTYPE_UINT8;
    case 3: return NNGPU_DTYPE_INT8;
    case 6: return NNGPU_DTYPE_INT32;
    case 7: return NNGPU_DTYPE_INT64;
    case 9: return NNGPU_DTYPE_BOOL;
    case 10: return NNGPU_DTYPE_FLOAT16;
    case 11: return NNGPU_DTYPE_FLOAT64;
    case 21: return NNGPU_DTYPE_UINT4;
    case 22: return NNGPU_DTYPE_INT4;
    default: return NNGPU_DTYPE_UNDEFINED;
    }
}

static nngpu_status infer_cast(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t to = ng_attr_int(n, "to", -1);
    nngpu_dtype dt = ng_infer_onnx_dtype(to);
    if (dt == NNGPU_DTYPE_UNDEFINED) return nerr(n, NNGPU_ERR_UNSUPPORTED, "cast to ONNX type %lld", (long long)to);
    set_out(g, n, 0, dt, x->rank, x->dims);
    return NNGPU_OK;
}

/* CastLike: rewritten in place into Cast(to = its second input's dtype). */
static nngpu_status infer_cast_like(ng_graph *g, ng_node *n) {
    const ng_tensor *t;
    NG_CHECK(need(g, n, 1, &t));
    int64_t code = 1;
    while (code <= 22 && ng_infer_onnx_dtype(code) != t->dtype) code++;
    if (code > 22) return nerr(n, NNGPU_ERR_UNSUPPORTED, "cast like %s", nngpu_dtype_name(t->dtype));
    ng_attr *a = ng_node_add_attr(n, "to", NG_ATTR_INT);
    if (!a) return nerr(n, NNGPU_ERR_OUT_OF_MEMORY, "attribute 'to'");
    a->i = code;
    n->op = NG_OP_CAST;
    n->n_in = n->n_main_inputs = 1;
    return infer_cast(g, n);
}

/* IsNaN / IsInf: a bool per element of a float tensor. */
static nngpu_status infer_float_test(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    if (x->dtype != NNGPU_DTYPE_FLOAT32 && x->dtype != NNGPU_DTYPE_FLOAT16 &&
        x->dtype != NNGPU_DTYPE_FLOAT64)
        return nerr(n, NNGPU_ERR_UNSUPPORTED, "input '%s' is %s", x->name, nngpu_dtype_name(x->dtype));
    set_out(g, n, 0, NNGPU_DTYPE_BOOL, x->rank, x->dims);
    return NNGPU_OK;
}

static nngpu_status infer_dropout(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    copy_out(g, n, 0, x);
    set_out(g, n, 1, n->opset >= 10 ? NNGPU_DTYPE_BOOL : x->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

static nngpu_status infer_constant(ng_graph *g, ng_node *n) {
    const ng_attr *a = ng_attr_find(n, "value");
    if (a && a->type == NG_ATTR_TENSOR) {
        set_out(g, n, 0, a->t_dtype, a->t_rank, a->t_dims);
        return NNGPU_OK;
    }
    int64_t one = 0;
    if ((a = ng_attr_find(n, "value_float")) != NULL) set_out(g, n, 0, NNGPU_DTYPE_FLOAT32, 0, &one);
    else if ((a = ng_attr_find(n, "value_int")) != NULL) set_out(g, n, 0, NNGPU_DTYPE_INT64, 0, &one);
    else if ((a = ng_attr_find(n, "value_floats")) != NULL) {
        one = a->n;
        set_out(g, n, 0, NNGPU_DTYPE_FLOAT32, 1, &one);
    } else if ((a = ng_attr_find(n, "value_ints")) != NULL) {
        one = a->n;
        set_out(g, n, 0, NNGPU_DTYPE_INT64, 1, &one);
    } else
        return nerr(n, NNGPU_ERR_UNSUPPORTED, "no supported value attribute (value, value_float(s), value_int(s))");
    return NNGPU_OK;
}

static nngpu_status infer_shape(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(need(g, n, 0, &x));
    int64_t s = ng_attr_int(n, "start", 0), e = ng_attr_int(n, "end", x->rank);
    if (s < 0) s += x->rank;
    if (e < 0) e += x->rank;
    s = s < 0 ? 0 : s > x->rank ? x->rank : s;
    e = e < 0 ? 0 : e > x->rank ? x->rank : e;
    int64_t len = e > s ? e - s : 0;
    set_out(g, n, 0, NNGPU_DTYPE_INT64, 1, &len);
    return NNGPU_OK;
}

static nngpu_status infer_constant_of_shape(ng_graph *g, ng_node *n) {
    const ng_tensor *s;
    NG_CHECK(need(g, n, 0, &s));
    int64_t d[MAXD];
    int c;
    if (ng_numel(s) > MAXD) return nerr(n, NNGPU_ERR_UNSUPPORTED, "rank over %d", MAXD);
    NG_CHECK(ints(g, n, NULL, 0, "shape", d, MAXD, &c));
    for (int i = 0; i < c; i++)
        if (d[i] < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "negative dim %lld", (long long)d[i]);
    const ng_attr *a = ng_attr_find(n, "value");
    nngpu_dtype dt = a && a->type == NG_ATTR_TENSOR ? a->t_dtype : NNGPU_DTYPE_FLOAT32;
    set_out(g, n, 0, dt, c, d);
    return NNGPU_OK;
}

static nngpu_status infer_range(ng_graph *g, ng_node *n) {
    const ng_tensor *t[3];
    for (int i = 0; i < 3; i++) {
        NG_CHECK(need(g, n, i, &t[i]));
        if (!t[i]->data) return not_const(n, "", t[i]->name);
        if (ng_numel(t[i]) != 1) return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' is not a scalar", t[i]->name);
    }
    int64_t len;
    if (is_float(t[0]->dtype)) {
        double s = ng_const_double(t[0], 0), l = ng_const_double(t[1], 0), d = ng_const_double(t[2], 0);
        if (d == 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "delta is 0");
        double c = ceil((l - s) / d);
        len = c > 0 ? (int64_t)c : 0;
    } else {
        int64_t s = ng_const_int(t[0], 0), l = ng_const_int(t[1], 0), d = ng_const_int(t[2], 0);
        if (d == 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "delta is 0");
        int64_t span = l - s;
        len = d > 0 ? (span > 0 ? (span + d - 1) / d : 0) : (span < 0 ? (-span + -d - 1) / -d : 0);
    }
    set_out(g, n, 0, t[0]->dtype, 1, &len);
    return NNGPU_OK;
}

static nngpu_status infer_expand(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *s;
    NG_CHECK(need(g, n, 0, &x));
    NG_CHECK(need(g, n, 1, &s));
    int64_t d[MAXD];
    int c, r;
    if (ng_numel(s) > MAXD) return nerr(n, NNGPU_ERR_UNSUPPORTED, "rank over %d", MAXD);
    NG_CHECK(ints(g, n, NULL, 1, "shape", d, MAXD, &c));
    if (ng_broadcast_shape(x->rank, x->dims, c, d, &r, d) != NNGPU_OK)
        return nerr(n, NNGPU_ERR_INVALID_ARG, "input '%s' does not broadcast to shape '%s'", x->name, s->name);
    set_out(g, n, 0, x->dtype, r, d);
    return NNGPU_OK;
}

/* ---- dispatch --------------------------------------------------------------------------------- */

static nngpu_status infer_main(ng_graph *g, ng_node *n) {
    switch (n->op) {
    case NG_OP_CONV: return infer_conv(g, n);
    case NG_OP_GEMM: return infer_gemm(g, n);
    case NG_OP_MATMUL: return infer_matmul(g, n);
    case NG_OP_BATCHNORM: return infer_batchnorm(g, n);
    case NG_OP_MAXPOOL:
    case NG_OP_AVGPOOL:
    case NG_OP_LPPOOL: return infer_pool(g, n);
    case NG_OP_GLOBALAVGPOOL:
    case NG_OP_GLOBALMAXPOOL:
    case NG_OP_GLOBALLPPOOL: return infer_global_pool(g, n);
    case NG_OP_ADD:
    case NG_OP_SUB:
    case NG_OP_MUL:
    case NG_OP_DIV:
    case NG_OP_POW:
    case NG_OP_MOD:
    case NG_OP_BITWISEAND:
    case NG_OP_BITWISEOR:
    case NG_OP_BITWISEXOR:
    case NG_OP_BITSHIFT: return infer_binary(g, n, NNGPU_DTYPE_UNDEFINED);
    case NG_OP_EQUAL:
    case NG_OP_LESS:
    case NG_OP_GREATER:
    case NG_OP_LESSOREQUAL:
    case NG_OP_GREATEROREQUAL:
    case NG_OP_AND:
    case NG_OP_OR:
    case NG_OP_XOR: return infer_binary(g, n, NNGPU_DTYPE_BOOL);
    case NG_OP_PRELU: return infer_prelu(g, n);
    case NG_OP_MAX:
    case NG_OP_MIN:
    case NG_OP_SUM:
    case NG_OP_MEAN: return infer_variadic(g, n);
    case NG_OP_WHERE: return infer_where(g, n);
    case NG_OP_SOFTMAX:
    case NG_OP_LOGSOFTMAX:
    case NG_OP_HARDMAX: return infer_softmax(g, n);
    case NG_OP_REDUCEMEAN:
    case NG_OP_REDUCESUM:
    case NG_OP_REDUCEMAX:
    case NG_OP_REDUCEMIN:
    case NG_OP_REDUCEPROD:
    case NG_OP_REDUCEL1:
    case NG_OP_REDUCEL2:
    case NG_OP_REDUCESUMSQUARE:
    case NG_OP_REDUCELOGSUMEXP: return infer_reduce(g, n);
    case NG_OP_CONCAT: return infer_concat(g, n);
    case NG_OP_SPLIT: return infer_split(g, n);
    case NG_OP_SLICE: return infer_slice(g, n);
    case NG_OP_TRANSPOSE: return infer_transpose(g, n);
    case NG_OP_RESHAPE: return infer_reshape(g, n);
    case NG_OP_FLATTEN: return infer_flatten(g, n);
    case NG_OP_SQUEEZE: return infer_squeeze(g, n);
    case NG_OP_UNSQUEEZE: return infer_unsqueeze(g, n);
    case NG_OP_GATHER: return infer_gather(g, n);
    case NG_OP_PAD: return infer_pad(g, n);
    case NG_OP_RESIZE:
    case NG_OP_UPSAMPLE: return infer_resize(g, n);
    case NG_OP_CAST: return infer_cast(g, n);
    case NG_OP_CASTLIKE: return infer_cast_like(g, n);
    case NG_OP_ISNAN:
    case NG_OP_ISINF: return infer_float_test(g, n);
    case NG_OP_DROPOUT: return infer_dropout(g, n);
    case NG_OP_CONSTANT: return infer_constant(g, n);
    case NG_OP_SHAPE: return infer_shape(g, n);
    case NG_OP_CONSTANTOFSHAPE: return infer_constant_of_shape(g, n);
    case NG_OP_RANGE: return infer_range(g, n);
    case NG_OP_EXPAND: return infer_expand(g, n);
    case NG_OP_IDENTITY:
    case NG_OP_FLOOR:
    case NG_OP_CEIL:
    case NG_OP_NOT:
    case NG_OP_BITWISENOT: return infer_same(g, n);
    default: {
        ng_op_kind kind = ng_op_kind_of(n->op);
        if (kind == NG_KIND_ELTWISE_UNARY || kind == NG_KIND_UNARY_REF) return infer_same(g, n);
        nngpu_status s;
        if (ng_infer_nn(g, n, &s) || ng_infer_data(g, n, &s) || ng_infer_quant(g, n, &s) ||
            ng_infer_rnn_op(g, n, &s) || ng_infer_scatter(g, n, &s) || ng_infer_dynamic(g, n, &s))
            return s;
        return nerr(n, NNGPU_ERR_UNSUPPORTED, "no shape inference");
    }
    }
}

nngpu_status ng_infer_node(ng_graph *g, ng_node *n) {
    wants_value = 0;
    NG_CHECK(infer_main(g, n));
    if (ng_passes_dynamic(n->op) && ng_in(g, n, 0) && ng_in(g, n, 0)->is_dynamic) {
        ng_tensor *o = ng_out(g, n, 0), *x = ng_in(g, n, 0);
        o->is_dynamic = 1;
        o->dyn_axis = x->dyn_axis;
        o->dyn_len = x->dyn_len;
    }
    const ng_tensor *y = ng_out(g, n, 0);
    if (y && y->rank > MAXD) return nerr(n, NNGPU_ERR_UNSUPPORTED, "output rank %d is over %d", y->rank, MAXD);
    for (int i = n->n_main_inputs; i < n->n_in; i++) {
        const ng_tensor *t = ng_in(g, n, i);
        if (!t || t->rank < 0) return nerr(n, NNGPU_ERR_INVALID_ARG, "epilogue operand %d has no known shape", i);
        if (!y || !bcast_to(t->rank, t->dims, y->rank, y->dims))
            return nerr(n, NNGPU_ERR_INVALID_ARG, "epilogue operand '%s' does not broadcast to the output", t->name);
    }
    for (int e = 0; e < n->n_epi; e++) {
        int o = n->epi[e].operand;
        if (o >= 0 && (o < n->n_main_inputs || o >= n->n_in))
            return nerr(n, NNGPU_ERR_INTERNAL, "epilogue step %d has operand index %d", e, o);
    }
    return NNGPU_OK;
}
