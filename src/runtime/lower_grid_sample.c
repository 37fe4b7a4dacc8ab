/* The GridSample plan (lower_grid_sample.h). */
#include <string.h>

#include "lower_grid_sample.h"
#include "lower_util.h"

int ng_grid_sample_supported(const ng_graph *g, const ng_node *n) {
    if (n->op != NG_OP_GRIDSAMPLE || n->n_in < 2) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *grid = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!ng_lower_f32_ok(x) || !ng_lower_f32_ok(grid) || !ng_lower_f32_ok(y)) return 0;
    /* shape inference checked the ranks, modes and paddings */
    return (x->rank == 4 || x->rank == 5) && y->rank == x->rank && grid->rank == x->rank;
}

void ng_grid_sample_plan_make(const ng_graph *g, const ng_node *n, ng_grid_sample_plan *p) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    const char *mode = ng_attr_string(n, "mode", "bilinear");
    const char *pad = ng_attr_string(n, "padding_mode", "zeros");
    memset(p, 0, sizeof *p);
    p->nd = x->rank - 2;
    p->taps = mode[0] == 'n' ? 1 : strstr(mode, "cubic") ? 4 : 2;
    p->name = p->taps == 1 ? "grid_sample_nearest" : p->taps == 2 ? "grid_sample_linear" : "grid_sample_cubic";
    p->pad = pad[0] == 'b' ? NG_GS_BORDER : pad[0] == 'r' ? NG_GS_REFLECT : NG_GS_ZEROS;
    p->align = ng_attr_int(n, "align_corners", 0) != 0;
    p->in_plane = p->out_plane = 1;
    for (int d = 0; d < p->nd; d++) {
        p->size[d] = x->dims[2 + d];
        p->in_plane *= x->dims[2 + d];
        p->out_plane *= y->dims[2 + d];
    }
    p->channels = x->dims[1];
}
