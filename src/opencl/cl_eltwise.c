/* The eltwise family: every elementwise unary/binary op (plus two-input
 * Max/Min, Floor, Ceil) with NumPy broadcasting and the fused epilogue; which
 * nodes and their plans come from src/runtime/lower_eltwise.c. */
#include <stdio.h>
#include <string.h>

#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_eltwise.h"

static int n_operands(const ng_node *n) {
    return ng_cl_opcode_is_binary(ng_cl_opcode_of(n->op)) ? 2 : 1;
}

static int eltwise_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_cl_opcode_of(n->op) != NG_CL_NONE &&
           ng_eltwise_supported(g, n, n_operands(n)) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status eltwise_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    ng_eltwise_view v;
    NG_CHECK(ng_eltwise_plan(g, n, n_operands(n), &v));
    int nin = v.nin;
    int64_t total = v.total;
    cl_int meta[NG_META_SIZE] = {0};
    ng_cl_meta_dims(meta, y->rank, y->dims);
    for (int j = 0; j < nin; j++)
        ng_cl_bcast_desc_of(&v.bc[j], y->rank, meta + NG_META_OPND + j * NG_META_OPND_SIZE);

    /* CPUs: 16 consecutive outputs as one vector (AVX-512 wide; POCL's vector
     * math: Sigmoid 14 -> 0.5 ms on 4M elements); GPUs: 4 */
    const int vec_default = strcmp(c->info.device_type, "gpu") == 0 ? 4 : 16;
    ng_params p = {0};
    ng_params_set(&p, "VEC", vec_default);
    char sig[64];
    snprintf(sig, sizeof sig, "%s:%lld", ng_op_name(n->op), (long long)ng_numel(y));
    ng_params_lookup(&c->info, c->opts.tuning_db, "eltwise", sig, &p);
    k->params_source = p.source;
    int vec = ng_params_get(&p, "VEC", vec_default);
    if (vec < 1) vec = 1;

    char opts[1300], eopts[1024]; /* the epilogue compiled in, as conv and gemm do */
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    /* VEC consecutive outputs as one vector (CONTIG) when each operand has the
     * output's index, is a block that whole vectors lie in, or repeats along
     * the last axis in runs whole vectors are part of: VEC halves until it
     * divides every block's size or run. */
    int cvec = vec == 2 || vec == 4 || vec == 8 || vec == 16 ? vec : 0;
    for (; cvec >= 2; cvec /= 2) {
        int ok = ng_cl_epilogue_vec_ok(g, n, cvec);
        for (int j = 0; j < nin; j++) {
            const cl_int *d = meta + NG_META_OPND + j * NG_META_OPND_SIZE;
            ok &= d[0] == NG_IDX_SAME ||
                  (d[0] == NG_IDX_BLOCK && (d[2] == 1 || d[1] % cvec == 0 || (d[1] == 1 && d[2] % cvec == 0)));
        }
        if (ok) break;
    }
    int contig = cvec >= 2;
    if (contig) vec = cvec;
    int len = snprintf(opts, sizeof opts, "-DOP=%d -DBINARY=%d -DIDX_A=%d -DIDX_B=%d -DVEC=%d %s%s%s",
                       (int)ng_cl_opcode_of(n->op), nin == 2, meta[NG_META_OPND],
                       nin == 2 ? meta[NG_META_OPND + NG_META_OPND_SIZE] : 0, vec, eopts,
                       contig ? " -DCONTIG=1" : "",
                       contig && !ng_cl_epilogue_vec_ok(g, n, 0) ? " -DEPI_VEC_OK=1" : "");
    for (int j = 0; j < nin; j++) { /* block operands: divisions by constants */
        const cl_int *d = meta + NG_META_OPND + j * NG_META_OPND_SIZE;
        if (d[0] == NG_IDX_BLOCK && len > 0 && (size_t)len < sizeof opts)
            len += snprintf(opts + len, sizeof opts - (size_t)len, " -DINNER_%c=%d -DCOUNT_%c=%d",
                            'A' + j, d[1], 'A' + j, d[2]);
    }
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
    ng_cl_arg_float(&a, v.p0);
    ng_cl_arg_float(&a, v.p1);
    ng_cl_arg_int(&a, total);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    ng_cl_kernel_name(k, n, v.name);
    return a.status;
}

const ng_cl_family ng_cl_family_eltwise = {"eltwise", eltwise_supports, eltwise_prepare};
