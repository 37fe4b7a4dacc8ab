/* Tile / DepthToSpace / SpaceToDepth views (remap.h). */
#include "remap.h"

int ng_remap_plan(const ng_graph *g, const ng_node *n, int *rank, int64_t *dims, int64_t *xs) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!x || !y || x->rank < 0 || y->rank < 0 || x->rank > NNGPU_MAX_DIMS) return 0;
    int64_t s[NNGPU_MAX_DIMS], acc = 1;
    for (int k = x->rank - 1; k >= 0; k--) {
        s[k] = acc;
        acc *= x->dims[k];
    }
    if (n->op == NG_OP_TILE) { /* per axis [repeat (stride 0), extent]; 1s left out */
        if (y->rank != x->rank) return 0;
        int r = 0;
        for (int k = 0; k < x->rank; k++) {
            if (x->dims[k] == 0 || y->dims[k] % x->dims[k]) return 0;
            int64_t rep = y->dims[k] / x->dims[k];
            if ((rep > 1) + (x->dims[k] > 1) + r > NNGPU_MAX_DIMS) return 0;
            if (rep > 1) dims[r] = rep, xs[r++] = 0;
            if (x->dims[k] > 1) dims[r] = x->dims[k], xs[r++] = s[k];
        }
        if (r == 0) dims[r] = 1, xs[r++] = 0;
        *rank = r;
        return 1;
    }
    if (n->op != NG_OP_DEPTHTOSPACE && n->op != NG_OP_SPACETODEPTH) return 0;
    if (x->rank != 4 || y->rank != 4) return 0;
    int64_t b = ng_attr_int(n, "blocksize", 0), N = x->dims[0];
    int crd = ng_attr_string(n, "mode", "DCR")[0] == 'C';
    if (b < 1) return 0;
    *rank = 6;
    if (n->op == NG_OP_DEPTHTOSPACE) { /* walk [N, C', H, b1, W, b2] */
        int64_t c2 = y->dims[1], H = x->dims[2], W = x->dims[3], hw = H * W;
        int64_t d[6] = {N, c2, H, b, W, b};
        int64_t st[6] = {s[0], crd ? b * b * hw : hw, W, crd ? b * hw : b * c2 * hw, 1, crd ? hw : c2 * hw};
        for (int k = 0; k < 6; k++) dims[k] = d[k], xs[k] = st[k];
    } else { /* walk [N, b1, b2, C, H', W'] (DCR) or [N, C, b1, b2, H', W'] (CRD) */
        int64_t C = x->dims[1], W = x->dims[3], h2 = y->dims[2], w2 = y->dims[3];
        int64_t d_dcr[6] = {N, b, b, C, h2, w2}, s_dcr[6] = {s[0], W, 1, s[1], b * W, b};
        int64_t d_crd[6] = {N, C, b, b, h2, w2}, s_crd[6] = {s[0], s[1], W, 1, b * W, b};
        for (int k = 0; k < 6; k++) {
            dims[k] = crd ? d_crd[k] : d_dcr[k];
            xs[k] = crd ? s_crd[k] : s_dcr[k];
        }
    }
    return 1;
}
