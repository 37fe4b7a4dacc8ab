/* The reference's entry points: dispatch by op, dtype support, epilogues. */
#include <stdlib.h>

#include "graph/half_view.h"
#include "ref_internal.h"
#include "ref_math.h"

static ng_ref_fn lookup(ng_op op) {
    switch (op) {
    case NG_OP_CONV: return ng_ref_conv;
    case NG_OP_GEMM: return ng_ref_gemm;
    case NG_OP_MATMUL: return ng_ref_matmul;
    case NG_OP_BATCHNORM: return ng_ref_batchnorm;
    case NG_OP_MAXPOOL:
    case NG_OP_AVGPOOL:
    case NG_OP_LPPOOL: return ng_ref_pool;
    case NG_OP_GLOBALAVGPOOL:
    case NG_OP_GLOBALMAXPOOL:
    case NG_OP_GLOBALLPPOOL: return ng_ref_global_pool;
    case NG_OP_ADD:
    case NG_OP_SUB:
    case NG_OP_MUL:
    case NG_OP_DIV:
    case NG_OP_POW:
    case NG_OP_PRELU:
    case NG_OP_EQUAL:
    case NG_OP_LESS:
    case NG_OP_GREATER:
    case NG_OP_LESSOREQUAL:
    case NG_OP_GREATEROREQUAL:
    case NG_OP_AND:
    case NG_OP_OR:
    case NG_OP_XOR: return ng_ref_binary_op;
    case NG_OP_NOT: return ng_ref_not;
    case NG_OP_MOD: return ng_ref_mod;
    case NG_OP_BITWISEAND:
    case NG_OP_BITWISEOR:
    case NG_OP_BITWISEXOR:
    case NG_OP_BITWISENOT:
    case NG_OP_BITSHIFT: return ng_ref_bitwise;
    case NG_OP_MAX:
    case NG_OP_MIN:
    case NG_OP_SUM:
    case NG_OP_MEAN: return ng_ref_variadic;
    case NG_OP_WHERE: return ng_ref_where;
    case NG_OP_SOFTMAX:
    case NG_OP_LOGSOFTMAX:
    case NG_OP_HARDMAX: return ng_ref_softmax;
    case NG_OP_REDUCEMEAN:
    case NG_OP_REDUCESUM:
    case NG_OP_REDUCEMAX:
    case NG_OP_REDUCEMIN:
    case NG_OP_REDUCEPROD:
    case NG_OP_REDUCEL1:
    case NG_OP_REDUCEL2:
    case NG_OP_REDUCESUMSQUARE:
    case NG_OP_REDUCELOGSUMEXP: return ng_ref_reduce;
    case NG_OP_ARGMAX:
    case NG_OP_ARGMIN: return ng_ref_argmax;
    case NG_OP_LAYERNORM: return ng_ref_layernorm;
    case NG_OP_INSTANCENORM:
    case NG_OP_GROUPNORM: return ng_ref_channel_norm;
    case NG_OP_CONVTRANSPOSE: return ng_ref_convtranspose;
    case NG_OP_LRN: return ng_ref_lrn;
    case NG_OP_EINSUM: return ng_ref_einsum;
    case NG_OP_LSTM:
    case NG_OP_GRU:
    case NG_OP_RNN:
    case NG_OP_RECURRENCE: return ng_ref_rnn;
    case NG_OP_GATHERND: return ng_ref_gather_nd;
    case NG_OP_SCATTERND:
    case NG_OP_SCATTERELEMENTS: return ng_ref_scatter;
    case NG_OP_TILE: return ng_ref_tile;
    case NG_OP_DEPTHTOSPACE:
    case NG_OP_SPACETODEPTH: return ng_ref_space_depth;
    case NG_OP_GATHERELEMENTS: return ng_ref_gather_elements;
    case NG_OP_TRILU: return ng_ref_trilu;
    case NG_OP_ONEHOT: return ng_ref_onehot;
    case NG_OP_SIZE: return ng_ref_size;
    case NG_OP_CUMSUM:
    case NG_OP_CUMPROD: return ng_ref_cumsum;
    case NG_OP_TOPK: return ng_ref_topk;
    case NG_OP_QUANTIZELINEAR: return ng_ref_quantize;
    case NG_OP_DEQUANTIZELINEAR: return ng_ref_dequantize;
    case NG_OP_DYNAMICQUANTIZELINEAR: return ng_ref_dynamic_quantize;
    case NG_OP_QLINEARCONV:
    case NG_OP_CONVINTEGER: return ng_ref_qconv;
    case NG_OP_QLINEARMATMUL:
    case NG_OP_MATMULINTEGER: return ng_ref_qmatmul;
    case NG_OP_MATMULQW: return ng_ref_matmul_quant_w;
    case NG_OP_CONCAT: return ng_ref_concat;
    case NG_OP_SPLIT: return ng_ref_split;
    case NG_OP_SLICE: return ng_ref_slice;
    case NG_OP_TRANSPOSE: return ng_ref_transpose;
    case NG_OP_RESHAPE:
    case NG_OP_FLATTEN:
    case NG_OP_SQUEEZE:
    case NG_OP_UNSQUEEZE:
    case NG_OP_IDENTITY: return ng_ref_copy;
    case NG_OP_DROPOUT: return ng_ref_dropout;
    case NG_OP_GATHER: return ng_ref_gather;
    case NG_OP_PAD: return ng_ref_pad;
    case NG_OP_EXPAND: return ng_ref_expand;
    case NG_OP_RESIZE:
    case NG_OP_UPSAMPLE: return ng_ref_resize;
    case NG_OP_GRIDSAMPLE: return ng_ref_grid_sample;
    case NG_OP_ROIALIGN: return ng_ref_roi_align;
    case NG_OP_REVERSESEQUENCE: return ng_ref_reverse_sequence;
    case NG_OP_STACKED_CONCAT: return ng_ref_stacked_concat;
    case NG_OP_COL2IM: return ng_ref_col2im;
    case NG_OP_DET: return ng_ref_det;
    case NG_OP_DFT:
    case NG_OP_STFT: return ng_ref_dft;
    case NG_OP_HANNWINDOW:
    case NG_OP_HAMMINGWINDOW:
    case NG_OP_BLACKMANWINDOW: return ng_ref_window;
    case NG_OP_MELWEIGHTMATRIX: return ng_ref_mel_weight_matrix;
    case NG_OP_MAXUNPOOL: return ng_ref_max_unpool;
    case NG_OP_CAST: return ng_ref_cast;
    case NG_OP_ISNAN:
    case NG_OP_ISINF: return ng_ref_float_test;
    case NG_OP_CONSTANT: return ng_ref_constant;
    case NG_OP_SHAPE: return ng_ref_shape;
    case NG_OP_CONSTANTOFSHAPE: return ng_ref_constant_of_shape;
    case NG_OP_EYELIKE: return ng_ref_eye_like;
    case NG_OP_RANGE: return ng_ref_range;
    case NG_OP_FLOOR:
    case NG_OP_CEIL: return ng_ref_unary_op;
    default: {
        ng_op_kind k = ng_op_kind_of(op);
        return k == NG_KIND_ELTWISE_UNARY || k == NG_KIND_UNARY_REF ? ng_ref_unary_op : NULL;
    }
    }
}

/* QLinearConv / QLinearMatMul apply their epilogue to the real value, before requantizing. */
static int epilogue_inside(ng_op op) { return op == NG_OP_QLINEARCONV || op == NG_OP_QLINEARMATMUL; }

/* Ops that read or write packed 4-bit tensors (others see bytes, not elements). */
static int handles_4bit(ng_op op) {
    switch (op) {
    case NG_OP_QUANTIZELINEAR:
    case NG_OP_DEQUANTIZELINEAR:
    case NG_OP_MATMULQW:
    case NG_OP_CAST:
    case NG_OP_CONSTANT:
    case NG_OP_SHAPE:
    case NG_OP_SIZE:
    case NG_OP_RESHAPE:
    case NG_OP_FLATTEN:
    case NG_OP_SQUEEZE:
    case NG_OP_UNSQUEEZE:
    case NG_OP_IDENTITY: return 1;
    default: return 0;
    }
}

static int touches_4bit(const ng_graph *g, const ng_node *n) {
    for (int i = 0; i < n->n_in; i++) {
        const ng_tensor *t = ng_in(g, n, i);
        if (t && ng_ref_is_4bit(t->dtype)) return 1;
    }
    for (int i = 0; i < n->n_out; i++) {
        const ng_tensor *t = ng_out(g, n, i);
        if (t && ng_ref_is_4bit(t->dtype)) return 1;
    }
    return 0;
}

static int numeric(nngpu_dtype t) { return ng_ref_is_float(t) || (ng_ref_is_int(t) && t != NNGPU_DTYPE_BOOL); }

int ng_ref_supported(const ng_graph *g, const ng_node *n) {
    if (ng_ref_is_dynamic_op(n->op)) return 1; /* shape inference checked the dtypes */
    if (!lookup(n->op)) return 0;
    if (n->op != NG_OP_CAST && ng_node_has_half(g, n)) return ng_ref_half_supported(g, n);
    const ng_tensor *x = n->n_main_inputs > 0 ? ng_in(g, n, 0) : NULL;
    nngpu_dtype t = x ? x->dtype : NNGPU_DTYPE_UNDEFINED;
    const ng_tensor *y = ng_out(g, n, 0);
    if (n->n_epi && !epilogue_inside(n->op) && (!y || !ng_ref_is_float(y->dtype))) return 0;
    if (!handles_4bit(n->op) && touches_4bit(g, n)) return 0;
    switch (n->op) {
    case NG_OP_QUANTIZELINEAR:
    case NG_OP_DEQUANTIZELINEAR:
    case NG_OP_DYNAMICQUANTIZELINEAR:
    case NG_OP_QLINEARCONV:
    case NG_OP_QLINEARMATMUL:
    case NG_OP_CONVINTEGER:
    case NG_OP_MATMULINTEGER:
    case NG_OP_MATMULQW: return 1; /* shape inference checked the dtypes */
    case NG_OP_CONV:
    case NG_OP_BATCHNORM:
    case NG_OP_AVGPOOL:
    case NG_OP_GLOBALAVGPOOL:
    case NG_OP_LPPOOL:
    case NG_OP_GLOBALLPPOOL:
    case NG_OP_SOFTMAX:
    case NG_OP_LOGSOFTMAX:
    case NG_OP_HARDMAX:
    case NG_OP_LAYERNORM:
    case NG_OP_INSTANCENORM:
    case NG_OP_GROUPNORM:
    case NG_OP_CONVTRANSPOSE:
    case NG_OP_LRN:
    case NG_OP_LSTM:
    case NG_OP_GRU:
    case NG_OP_RNN:
    case NG_OP_RECURRENCE:
    case NG_OP_REDUCEL2:
    case NG_OP_REDUCELOGSUMEXP: return ng_ref_is_float(t);
    case NG_OP_AND:
    case NG_OP_OR:
    case NG_OP_XOR:
    case NG_OP_NOT: return t == NNGPU_DTYPE_BOOL;
    case NG_OP_BITWISEAND:
    case NG_OP_BITWISEOR:
    case NG_OP_BITWISEXOR:
    case NG_OP_BITWISENOT:
    case NG_OP_BITSHIFT: return ng_ref_is_int(t) && t != NNGPU_DTYPE_BOOL;
    case NG_OP_REDUCEMAX:
    case NG_OP_REDUCEMIN: return numeric(t) || t == NNGPU_DTYPE_BOOL;
    case NG_OP_RESIZE:
    case NG_OP_UPSAMPLE: return numeric(t);
    case NG_OP_GEMM:
    case NG_OP_MATMUL:
    case NG_OP_MAXPOOL:
    case NG_OP_GLOBALMAXPOOL:
    case NG_OP_REDUCEMEAN:
    case NG_OP_REDUCESUM:
    case NG_OP_REDUCEPROD:
    case NG_OP_REDUCEL1:
    case NG_OP_REDUCESUMSQUARE:
    case NG_OP_ARGMAX:
    case NG_OP_ARGMIN:
    case NG_OP_TOPK:
    case NG_OP_CUMSUM:
    case NG_OP_CUMPROD:
    case NG_OP_EINSUM:
    case NG_OP_SUM:
    case NG_OP_MEAN:
    case NG_OP_ADD:
    case NG_OP_SUB:
    case NG_OP_MUL:
    case NG_OP_DIV:
    case NG_OP_POW:
    case NG_OP_MOD:
    case NG_OP_PRELU:
    case NG_OP_MAX:
    case NG_OP_MIN:
    case NG_OP_RANGE: return numeric(t);
    case NG_OP_EQUAL:
    case NG_OP_LESS:
    case NG_OP_GREATER:
    case NG_OP_LESSOREQUAL:
    case NG_OP_GREATEROREQUAL: return numeric(t) || (n->op == NG_OP_EQUAL && t == NNGPU_DTYPE_BOOL);
    case NG_OP_NEG:
    case NG_OP_ABS:
    case NG_OP_RELU:
    case NG_OP_CLIP:
    case NG_OP_FLOOR:
    case NG_OP_CEIL:
    case NG_OP_SIGN:
    case NG_OP_ROUND: return numeric(t);
    case NG_OP_CAST: return t != NNGPU_DTYPE_UNDEFINED;
    case NG_OP_DET:
    case NG_OP_ISNAN:
    case NG_OP_ISINF:
    case NG_OP_MAXUNPOOL: return ng_ref_is_float(t);
    default:
        if (ng_op_kind_of(n->op) == NG_KIND_ELTWISE_UNARY || ng_op_kind_of(n->op) == NG_KIND_UNARY_REF)
            return ng_ref_is_float(t);
        return 1; /* data movement and shape ops: any dtype */
    }
}

void ng_ref_apply_epilogue(const ng_graph *g, const ng_node *n, float *y, const void *const *in) {
    const ng_tensor *ty = ng_out(g, n, 0);
    int64_t cnt = ng_numel(ty);
    for (int e = 0; e < n->n_epi; e++) {
        const ng_epi_step *st = &n->epi[e];
        if (st->operand < 0) {
            for (int64_t i = 0; i < cnt; i++) y[i] = ng_ref_unary(st->op, y[i], st->alpha, st->beta);
            continue;
        }
        const ng_tensor *t = ng_in(g, n, st->operand);
        const void *p = in[st->operand];
        int64_t s[NNGPU_MAX_DIMS];
        ng_ref_bcast_strides(ty->rank, ty->dims, t->rank, t->dims, s);
        for (int64_t i = 0; i < cnt; i++) {
            float v = ng_ref_ldf(t->dtype, p, ng_ref_bcast_offset(ty->rank, ty->dims, s, i));
            y[i] = st->operand_first ? ng_ref_binary(st->op, v, y[i]) : ng_ref_binary(st->op, y[i], v);
        }
    }
}

nngpu_status ng_ref_run(const ng_graph *g, const ng_node *n, const void *const *in,
                        void *const *out) {
    int64_t extent;
    if (ng_ref_is_dynamic_op(n->op)) return ng_ref_run_dynamic(g, n, in, out, &extent);
    ng_ref_fn fn = lookup(n->op);
    if (!fn) return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "the reference has no kernel");
    if (n->op != NG_OP_CAST && ng_node_has_half(g, n)) return ng_ref_half_run(g, n, in, out);
    if (!ng_ref_supported(g, n)) {
        const ng_tensor *x = n->n_main_inputs > 0 ? ng_in(g, n, 0) : NULL;
        return ng_ref_err(n, NNGPU_ERR_UNSUPPORTED, "the reference does not run dtype %s",
                          x ? nngpu_dtype_name(x->dtype) : "?");
    }
    for (int i = 0; i < n->n_main_inputs; i++)
        if (n->in[i] >= 0 && !in[i] && ng_numel(&g->tensors[n->in[i]]) > 0)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "input %d has no data", i);
    NG_CHECK(fn(g, n, in, out));
    if (!n->n_epi || epilogue_inside(n->op)) return NNGPU_OK;
    const ng_tensor *y = ng_out(g, n, 0);
    if (y->dtype == NNGPU_DTYPE_FLOAT32) {
        ng_ref_apply_epilogue(g, n, out[0], in);
        return NNGPU_OK;
    }
    int64_t cnt = ng_numel(y);
    float *tmp = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
    if (!tmp) return ng_ref_err(n, NNGPU_ERR_OUT_OF_MEMORY, "epilogue buffer");
    for (int64_t i = 0; i < cnt; i++) tmp[i] = ng_ref_ldf(y->dtype, out[0], i);
    ng_ref_apply_epilogue(g, n, tmp, in);
    for (int64_t i = 0; i < cnt; i++) ng_ref_stf(y->dtype, out[0], i, tmp[i]);
    free(tmp);
    return NNGPU_OK;
}
