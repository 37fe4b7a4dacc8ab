/* The pool family's geometry (lower_pool.h). */
#include "lower_pool.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "graph/infer.h"

static int f32(const ng_tensor *t) { return t && t->dtype == NNGPU_DTYPE_FLOAT32 && t->rank >= 0; }

static int global_geom(const ng_tensor *x, const ng_tensor *y, ng_pool_geom *pg) {
    int r = x->rank;
    if (r < 3) return 0;
    int64_t plane = 1;
    for (int i = 2; i < r; i++) plane *= x->dims[i];
    pg->planes = (int)(x->dims[0] * x->dims[1]);
    pg->H = 1;
    pg->W = (int)plane;
    return ng_numel(y) == pg->planes && plane > 0 && pg->planes > 0;
}

int ng_pool_geom_of(const ng_graph *g, const ng_node *n, ng_pool_geom *pg) {
    memset(pg, 0, sizeof *pg);
    pg->global = n->op == NG_OP_GLOBALAVGPOOL || n->op == NG_OP_GLOBALMAXPOOL;
    pg->is_max = n->op == NG_OP_MAXPOOL || n->op == NG_OP_GLOBALMAXPOOL;
    if (!pg->global && n->op != NG_OP_MAXPOOL && n->op != NG_OP_AVGPOOL) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!f32(x) || !f32(y) || x->rank != y->rank || ng_numel(x) > INT_MAX) return 0;
    if (n->n_out > 1 && n->out[1] >= 0) return 0; /* MaxPool indices */
    if (pg->global) return global_geom(x, y, pg);
    int r = x->rank;
    if (r != 4 && r != 3) return 0;
    int sp = r - 2;
    pg->planes = (int)(x->dims[0] * x->dims[1]);
    pg->H = sp == 2 ? (int)x->dims[2] : 1;
    pg->W = (int)x->dims[r - 1];
    pg->OH = sp == 2 ? (int)y->dims[2] : 1;
    pg->OW = (int)y->dims[r - 1];
    if (y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1]) return 0;
    /* the window as shape inference resolved it (auto_pad, ceil_mode), the
     * spatial dims right-aligned in [H, W] */
    ng_window w;
    if (ng_infer_window(g, n, &w) != NNGPU_OK) {
        ng_error_clear(); /* inference accepted the node: not reached */
        return 0;
    }
    int64_t k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    for (int i = 0; i < sp; i++) {
        int j = 2 - sp + i;
        if (w.out[i] != y->dims[2 + i]) return 0;
        k[j] = w.k[i], s[j] = w.s[i], d[j] = w.d[i], p[j] = w.pb[i], p[j + 2] = w.pe[i];
    }
    if (!pg->is_max && (d[0] != 1 || d[1] != 1)) return 0;
    for (int i = 0; i < 2; i++)
        if (k[i] > INT_MAX || s[i] > INT_MAX || d[i] > INT_MAX || p[i] > INT_MAX / 2 || p[i + 2] > INT_MAX / 2)
            return 0;
    pg->KH = (int)k[0]; pg->KW = (int)k[1]; pg->SH = (int)s[0]; pg->SW = (int)s[1];
    pg->DH = (int)d[0]; pg->DW = (int)d[1];
    pg->PT = (int)p[0]; pg->PL = (int)p[1]; pg->PB = (int)p[2]; pg->PR = (int)p[3];
    pg->count_pad = (int)ng_attr_int(n, "count_include_pad", 0);
    return pg->OH > 0 && pg->OW > 0 && pg->planes > 0;
}

int ng_pool_supported(const ng_graph *g, const ng_node *n) {
    ng_pool_geom pg;
    return ng_pool_geom_of(g, n, &pg);
}

nngpu_status ng_pool_lower(const ng_graph *g, const ng_node *n, const char *node_name,
                           const char *backend, ng_pool_geom *pg) {
    if (!ng_pool_geom_of(g, n, pg))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s attributes not supported by %s",
                        node_name, ng_op_name(n->op), backend);
    return NNGPU_OK;
}

void ng_pool_signature(const ng_pool_geom *pg, char *sig, size_t size) {
    if (pg->global)
        snprintf(sig, size, "planes=%d,size=%d,max=%d", pg->planes, pg->W, pg->is_max);
    else
        snprintf(sig, size, "planes=%d,H=%d,W=%d,k=%dx%d,s=%dx%d,max=%d", pg->planes, pg->H,
                 pg->W, pg->KH, pg->KW, pg->SH, pg->SW, pg->is_max);
}
