/* ONNX AffineGrid (opset 20; torch's F.affine_grid, spatial transformers) as
 * standard ops once size is known: the output grid is the homogeneous base
 * grid of the output's points times each batch's theta,
 *   grid [N, (D,) H, W, nd] = base [P, nd + 1] x Transpose(theta) [N, nd + 1, nd]
 * base row p: the point's normalized (x, y, (z)) and 1, x along W; per axis of
 * n: -1 + 2i / (n - 1) with align_corners (-1 when n is 1), else
 * -1 + (2i + 1) / n. Reference: onnx/reference/ops/op_affine_grid.py. */
#include <stdlib.h>

#include "core/status.h"
#include "expand.h"

static nngpu_status bad(const ng_node *n, const char *what) {
    return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (AffineGrid): %s", n->name, what);
}

static double coord(int64_t i, int64_t n, int align) {
    if (align) return n > 1 ? -1.0 + 2.0 * (double)i / (double)(n - 1) : -1.0;
    return -1.0 + (2.0 * (double)i + 1.0) / (double)n;
}

nngpu_status ng_expand_affine_grid(ng_builder *e, const ng_node *n) {
    ng_graph *g = e->g;
    int theta = n->n_in > 0 ? n->in[0] : -1, size = n->n_in > 1 ? n->in[1] : -1;
    int y = n->n_out > 0 ? n->out[0] : -1;
    if (theta < 0 || size < 0 || y < 0) return bad(n, "theta, size and grid are required");
    const ng_tensor *T = &g->tensors[theta], *S = &g->tensors[size];
    if (T->dtype != NNGPU_DTYPE_FLOAT32) return bad(n, "theta must be float32");
    if (!S->data || S->dtype != NNGPU_DTYPE_INT64 || S->rank != 1 || (S->dims[0] != 4 && S->dims[0] != 5))
        return bad(n, "size must be a constant int64 [N, C, H, W] or [N, C, D, H, W]");
    const int64_t *sz = S->data;
    const int nd = (int)S->dims[0] - 2;
    if (T->rank != 3 || T->dims[0] != sz[0] || T->dims[1] != nd || T->dims[2] != nd + 1)
        return bad(n, nd == 2 ? "theta must be [N, 2, 3]" : "theta must be [N, 3, 4]");
    int64_t points = 1;
    for (int d = 0; d < nd; d++) {
        if (sz[2 + d] < 1) return bad(n, "size's spatial dims must be >= 1");
        points *= sz[2 + d];
    }
    const int align = ng_attr_int(n, "align_corners", 0) != 0;
    float *base = malloc(sizeof *base * (size_t)(points * (nd + 1)));
    if (!base) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (AffineGrid): base grid", n->name);
    for (int64_t p = 0; p < points; p++) {
        int64_t rest = p;
        for (int d = nd - 1; d >= 0; d--) { /* axis 2 + d; column nd - 1 - d (x first) */
            int64_t len = sz[2 + d];
            base[p * (nd + 1) + (nd - 1 - d)] = (float)coord(rest % len, len, align);
            rest /= len;
        }
        base[p * (nd + 1) + nd] = 1.0f;
    }
    const int64_t base_dims[2] = {points, nd + 1}, perm[3] = {0, 2, 1};
    int b = ng_nb_const_f(e, "base_grid", NNGPU_DTYPE_FLOAT32, 2, base_dims, base);
    free(base);
    int prod = ng_nb_binary(e, NG_OP_MATMUL, b, ng_nb_transpose(e, theta, 3, perm, -1), -1);
    int64_t out[5] = {sz[0]};
    for (int d = 0; d < nd; d++) out[1 + d] = sz[2 + d];
    out[1 + nd] = nd;
    ng_nb_binary(e, NG_OP_RESHAPE, prod, ng_nb_ints(e, "shape", nd + 2, out), y);
    return NNGPU_OK;
}
