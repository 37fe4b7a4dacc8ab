/* The eltwise family: every elementwise unary/binary op (plus two-input
 * Max/Min, Floor, Ceil) with NumPy broadcasting and the fused epilogue. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "cl_util.h"
#include "core/status.h"

static int is_eltwise(const ng_node *n) {
    switch (ng_op_kind_of(n->op)) {
    case NG_KIND_ELTWISE_UNARY:
    case NG_KIND_ELTWISE_BINARY: return 1;
    default: return n->op == NG_OP_MAX || n->op == NG_OP_MIN || n->op == NG_OP_FLOOR ||
                    n->op == NG_OP_CEIL;
    }
}

/* The unary op's parameters; 0 when they come from non-constant inputs. */
static int unary_params(const ng_graph *g, const ng_node *n, float *p0, float *p1) {
    *p0 = *p1 = 0.0f;
    switch (n->op) {
    case NG_OP_LEAKYRELU: *p0 = ng_attr_float(n, "alpha", 0.01f); return 1;
    case NG_OP_ELU: *p0 = ng_attr_float(n, "alpha", 1.0f); return 1;
    case NG_OP_SELU:
        *p0 = ng_attr_float(n, "alpha", 1.67326319217681884765625f);
        *p1 = ng_attr_float(n, "gamma", 1.05070102214813232421875f);
        return 1;
    case NG_OP_GELU: *p0 = ng_attr_string(n, "approximate", "none")[0] == 't'; return 1;
    case NG_OP_HARDSIGMOID:
        *p0 = ng_attr_float(n, "alpha", 0.2f);
        *p1 = ng_attr_float(n, "beta", 0.5f);
        return 1;
    case NG_OP_CLIP:
        if (n->opset < 11) {
            *p0 = ng_attr_float(n, "min", -FLT_MAX);
            *p1 = ng_attr_float(n, "max", FLT_MAX);
            return 1;
        }
        *p0 = -INFINITY;
        *p1 = INFINITY;
        for (int j = 1; j <= 2; j++) {
            const ng_tensor *t = ng_in(g, n, j);
            if (!t || j >= n->n_main_inputs) continue;
            if (!t->data || ng_numel(t) != 1) return 0;
            float v = (float)ng_const_double(t, 0);
            if (j == 1) *p0 = v;
            else *p1 = v;
        }
        return 1;
    default: return 1;
    }
}

static int n_operands(const ng_node *n) {
    return ng_cl_opcode_is_binary(ng_cl_opcode_of(n->op)) ? 2 : 1;
}

static int eltwise_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (!is_eltwise(n) || ng_cl_opcode_of(n->op) == NG_CL_NONE) return 0;
    const ng_tensor *y = ng_out(g, n, 0);
    if (!ng_cl_float_tensor_ok(y) || !ng_cl_epilogue_supported(g, n)) return 0;
    int nin = n_operands(n);
    if (nin == 2 && n->n_main_inputs != 2) return 0;
    for (int j = 0; j < nin; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        cl_int desc[NG_META_OPND_SIZE];
        if (!ng_cl_float_tensor_ok(t) || !ng_cl_bcast_desc(y->rank, y->dims, t->rank, t->dims, desc))
            return 0;
    }
    float p0, p1;
    return unary_params(g, n, &p0, &p1);
}

static nngpu_status eltwise_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    int nin = n_operands(n);
    cl_int meta[NG_META_SIZE] = {0};
    ng_cl_meta_dims(meta, y->rank, y->dims);
    for (int j = 0; j < nin; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        if (!ng_cl_bcast_desc(y->rank, y->dims, t->rank, t->dims, meta + NG_META_OPND + j * NG_META_OPND_SIZE))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': input '%s' does not broadcast to '%s'",
                            n->name, t->name, y->name);
    }
    float p0, p1;
    if (!unary_params(g, n, &p0, &p1))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Clip bounds must be constant scalars",
                        n->name);

    ng_params p = {0};
    ng_params_set(&p, "VEC", 4);
    char sig[64];
    snprintf(sig, sizeof sig, "%s:%lld", ng_op_name(n->op), (long long)ng_numel(y));
    ng_params_lookup(&c->info, c->opts.tuning_db, "eltwise", sig, &p);
    k->params_source = p.source;
    int vec = ng_params_get(&p, "VEC", 4);
    if (vec < 1) vec = 1;

    char opts[160];
    snprintf(opts, sizeof opts, "-DOP=%d -DBINARY=%d -DIDX_A=%d -DIDX_B=%d -DVEC=%d -DNG_EPI=%d",
             (int)ng_cl_opcode_of(n->op), nin == 2, meta[NG_META_OPND],
             nin == 2 ? meta[NG_META_OPND + NG_META_OPND_SIZE] : 0, vec, n->n_epi > 0);
    int64_t total = ng_numel(y);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "eltwise.cl", "eltwise", opts, (size_t)((total + vec - 1) / vec),
                              0, &kern));
    cl_mem meta_mem;
    NG_CHECK(ng_cl_meta_upload(c, k, meta, sizeof meta, &meta_mem));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    if (nin == 2) {
        ng_cl_arg_tensor(&a, c, k, g, n->in[1], bind);
    } else { /* unused */
        ng_cl_arg_mem(&a, meta_mem);
        ng_cl_arg_int(&a, 0);
    }
    ng_cl_arg_mem(&a, meta_mem);
    ng_cl_arg_float(&a, p0);
    ng_cl_arg_float(&a, p1);
    ng_cl_arg_int(&a, total);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    char base[48];
    snprintf(base, sizeof base, "eltwise_%s", ng_op_name(n->op));
    for (char *s = base; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
    ng_cl_kernel_name(k, n, base);
    return a.status;
}

const ng_cl_family ng_cl_family_eltwise = {"eltwise", eltwise_supports, eltwise_prepare};
