/* Per-layer precision as run, read from the compiled graph. */
#include "runtime.h"

const char *ng_node_precision(const ng_graph *g, const ng_node *n) {
    switch (n->op) {
    case NG_OP_QLINEARCONV:
    case NG_OP_QLINEARMATMUL:
    case NG_OP_CONVINTEGER:
    case NG_OP_MATMULINTEGER:
    case NG_OP_QUANTIZELINEAR:
    case NG_OP_DEQUANTIZELINEAR:
    case NG_OP_DYNAMICQUANTIZELINEAR: return "int8";
    case NG_OP_MATMULQW: {
        const ng_tensor *w = ng_in(g, n, 1);
        return w && (w->dtype == NNGPU_DTYPE_INT4 || w->dtype == NNGPU_DTYPE_UINT4) ? "int4w"
                                                                                     : "int8w";
    }
    default: break;
    }
    for (int i = 0; i < n->n_out; i++) {
        const ng_tensor *y = ng_out(g, n, i);
        if (y && y->dtype == NNGPU_DTYPE_FLOAT16) return "fp16";
    }
    return "fp32";
}
