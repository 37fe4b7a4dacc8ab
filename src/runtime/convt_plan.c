/* ConvTranspose geometry for the direct kernels (convt_plan.h). */
#include "convt_plan.h"

#include <limits.h>

#include "graph/infer.h"

int ng_convt_geometry(const ng_graph *g, const ng_node *n, int32_t *geo) {
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (n->op != NG_OP_CONVTRANSPOSE || !x || !w || !y || x->rank < 3 || y->rank != x->rank ||
        w->rank != x->rank)
        return 0;
    ng_window win;
    if (ng_infer_convtranspose(g, n, &win) != NNGPU_OK || win.ns > 3) return 0;
    int64_t group = ng_attr_int(n, "group", 1);
    if (group < 1 || x->dims[1] % group || y->dims[1] % group || w->dims[0] != x->dims[1]) return 0;
    int64_t v[NG_CONVT_GEO] = {x->dims[0], x->dims[1], y->dims[1], group};
    int sh = 3 - win.ns;
    for (int i = 0; i < 3; i++) {
        int j = i - sh;
        v[4 + i] = j < 0 ? 1 : win.in[j];
        v[7 + i] = j < 0 ? 1 : win.out[j];
        v[10 + i] = j < 0 ? 1 : win.k[j];
        v[13 + i] = j < 0 ? 1 : win.s[j];
        v[16 + i] = j < 0 ? 1 : win.d[j];
        v[19 + i] = j < 0 ? 0 : win.pb[j];
        if (v[13 + i] < 1) return 0;
        v[22 + i] = (v[7 + i] + v[13 + i] - 1) / v[13 + i];
    }
    for (int i = 0; i < NG_CONVT_GEO; i++) {
        if (v[i] > INT_MAX / 4 || v[i] < -(INT_MAX / 4)) return 0;
        geo[i] = (int32_t)v[i];
    }
    return 1;
}
