/* QuantizeLinear / DequantizeLinear (shaders/opencl/quant.cl) from the
 * shared plan ng_qconvert_of (src/runtime/lower_quant.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_quant.h"

/* The OpenCL element type of dtype d, NULL when the kernels do not take it. */
static const char *cl_type_of(nngpu_dtype d) {
    switch (d) {
    case NNGPU_DTYPE_FLOAT32: return "float";
    case NNGPU_DTYPE_INT8: return "char";
    case NNGPU_DTYPE_UINT8: return "uchar";
    case NNGPU_DTYPE_INT32: return "int";
    case NNGPU_DTYPE_INT4:
    case NNGPU_DTYPE_UINT4: return "uchar"; /* packed, read and written by byte */
    default: return NULL;
    }
}

/* The range quantize_linear saturates y of dtype d to (NaN: lo). */
static void y_range(nngpu_dtype d, int *lo, int *hi) {
    *lo = d == NNGPU_DTYPE_INT8 ? -128 : d == NNGPU_DTYPE_INT4 ? -8 : 0;
    *hi = d == NNGPU_DTYPE_INT8 ? 127 : d == NNGPU_DTYPE_UINT8 ? 255 : d == NNGPU_DTYPE_INT4 ? 7 : 15;
}

static int quant_plan_ok(const ng_qconvert *q) {
    if (q->n <= 0 || q->n > INT_MAX || q->block <= 0) return 0;
    if (q->quantize)
        return q->x_dtype == NNGPU_DTYPE_FLOAT32 && q->y_dtype != NNGPU_DTYPE_INT32 &&
               q->y_dtype != NNGPU_DTYPE_FLOAT32 && cl_type_of(q->y_dtype) != NULL;
    return q->y_dtype == NNGPU_DTYPE_FLOAT32 && q->x_dtype != NNGPU_DTYPE_FLOAT32 &&
           cl_type_of(q->x_dtype) != NULL;
}

static int quant_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if ((n->op != NG_OP_QUANTIZELINEAR && n->op != NG_OP_DEQUANTIZELINEAR) || n->n_epi > 0)
        return 0;
    ng_qconvert q;
    if (!ng_qconvert_of(g, n, &q)) return 0;
    int ok = quant_plan_ok(&q);
    ng_qconvert_free(&q);
    return ok;
}

static nngpu_status quant_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    ng_qconvert q;
    if (!ng_qconvert_of(g, n, &q)) {
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s not supported by opencl",
                        k->node_name, ng_op_name(n->op));
    }
    nngpu_status st = NNGPU_OK;
    if (!quant_plan_ok(&q))
        st = ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s from %s to %s not supported by opencl",
                      k->node_name, ng_op_name(n->op), nngpu_dtype_name(q.x_dtype),
                      nngpu_dtype_name(q.y_dtype));
    cl_mem scale = NULL, zp = NULL;
    size_t ns = (size_t)q.n_scales;
    if (st == NNGPU_OK) st = ng_cl_upload(c, k, q.scale, ns * sizeof(float), &scale);
    if (st == NNGPU_OK) st = ng_cl_upload(c, k, q.zp, ns * sizeof(int32_t), &zp);
    const char *kname = q.quantize ? "quantize_linear" : "dequantize_linear";
    nngpu_dtype qt = q.quantize ? q.y_dtype : q.x_dtype; /* the integer side */
    int q4 = qt == NNGPU_DTYPE_INT4 ? 1 : qt == NNGPU_DTYPE_UINT4 ? 2 : 0;
    size_t items = q4 && q.quantize ? (size_t)(q.n + 1) / 2 : (size_t)q.n; /* a byte each */
    /* 8-bit outputs of one scale: 16 elements per work-item as a vector. */
    int vec = q.quantize && q.n_scales == 1 &&
              (q.y_dtype == NNGPU_DTYPE_INT8 || q.y_dtype == NNGPU_DTYPE_UINT8) && q.x_dtype == NNGPU_DTYPE_FLOAT32;
    if (vec) items = (size_t)(q.n + 15) / 16;
    cl_kernel kern = NULL;
    if (st == NNGPU_OK) {
        char opts[200], qopts[64] = "";
        int lo, hi;
        y_range(q.y_dtype, &lo, &hi);
        if (q.quantize)
            snprintf(qopts, sizeof qopts, " -DY_LO=%d -DY_HI=%d%s", lo, hi, vec ? " -DQV=16" : "");
        snprintf(opts, sizeof opts, "-DQUANTIZE=%d -DXT=%s -DYT=%s -DQ4=%d -DPER_TENSOR=%d%s",
                 q.quantize, cl_type_of(q.x_dtype), cl_type_of(q.y_dtype), q4, q.n_scales == 1, qopts);
        st = ng_cl_launch_add(c, k, "quant.cl", kname, opts, items, 64, &kern);
    }
    if (st == NNGPU_OK) {
        ng_cl_args a;
        ng_cl_args_begin(&a, kern, k->node_name);
        ng_cl_arg_int(&a, q.n);
        ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
        ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
        ng_cl_arg_mem(&a, scale);
        ng_cl_arg_mem(&a, zp);
        ng_cl_arg_int(&a, q.inner);
        ng_cl_arg_int(&a, q.axis_len);
        ng_cl_arg_int(&a, q.block);
        st = a.status;
    }
    ng_qconvert_free(&q);
    if (st == NNGPU_OK) snprintf(k->name, sizeof k->name, "%s", kname);
    return st;
}

const ng_cl_family ng_cl_family_quant = {"quant", quant_supports, quant_prepare};
