/* Quantized matrix products (shaders/opencl/qgemm.cl): QLinearMatMul and
 * MatMulInteger from ng_qlayer_of, and MatMulQuantW (float activations,
 * 4/8-bit weights dequantized in the kernel) from ng_qweight_of
 * (src/runtime/lower_quant.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_internal.h"
#include "cl_qcommon.h"
#include "core/status.h"
#include "runtime/lower_quant.h"

/* Tile defaults: on CPUs a tall register tile of wide vectors; on GPUs a
 * small one (more work-items). */
static void tile_defaults(const ng_context *c, int M, int N, int min_vec, ng_params *p) {
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    memset(p, 0, sizeof *p);
    int vec = N >= 16 && !gpu ? 16 : N >= 8 ? 8 : N >= 4 ? 4 : 1;
    if (vec < min_vec) vec = min_vec;
    ng_params_set(p, "TM", gpu ? 4 : M >= 8 ? 8 : M);
    ng_params_set(p, "VEC", vec);
    ng_params_set(p, "NV", !gpu && N > 32 && M >= 4 ? 2 : 1);
}

static nngpu_status tile_check(ng_kernel *k, const ng_params *p, int min_vec) {
    int tm = ng_params_get(p, "TM", 4), vec = ng_params_get(p, "VEC", 8), nv = ng_params_get(p, "NV", 1);
    if (tm < 1 || tm > 16 || (vec != 1 && vec != 2 && vec != 4 && vec != 8 && vec != 16) ||
        vec < min_vec || nv < 1 || nv > 4)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad parameters TM=%d VEC=%d NV=%d",
                        k->node_name, tm, vec, nv);
    return NNGPU_OK;
}

static void tile_launch(ng_kernel *k, const ng_params *p, int M, int N, int batch) {
    int tm = ng_params_get(p, "TM", 4), tn = ng_params_get(p, "VEC", 8) * ng_params_get(p, "NV", 1);
    ng_cl_launch *l = &k->launch[k->n_launches - 1];
    l->dims = 3;
    l->global[0] = (size_t)(N + tn - 1) / (size_t)tn;
    l->global[1] = (size_t)(M + tm - 1) / (size_t)tm;
    l->global[2] = (size_t)batch;
    l->use_local = 0;
}

/* ---- QLinearMatMul, MatMulInteger ------------------------------------------- */

static int qmatmul_ok(const ng_graph *g, const ng_node *n, const ng_qlayer *q) {
    int64_t mn = (int64_t)q->M * q->N;
    return !q->is_conv && q->M > 0 && q->N > 0 && q->K > 0 && q->batch > 0 &&
           mn * q->batch <= INT_MAX && q->a_batch_stride * q->batch <= INT_MAX &&
           q->b_batch_stride * q->batch <= INT_MAX && ng_cl_qlayer_output_ok(g, n, q);
}

static nngpu_status qmatmul_build(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const ng_qlayer *q) {
    if (!qmatmul_ok(g, n, q))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s shape not supported by opencl",
                        k->node_name, ng_op_name(n->op));
    ng_params p;
    tile_defaults(c, q->M, q->N, 1, &p);
    char sig[128];
    snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d", q->M, q->N, q->K, q->batch);
    ng_params_lookup(&c->info, c->opts.tuning_db, "qgemm", sig, &p);
    k->params_source = p.source;
    NG_CHECK(tile_check(k, &p, 1));
    cl_mem zmem;
    NG_CHECK(ng_cl_upload(c, k, q->w_zp, (size_t)q->n_ch * sizeof(int32_t), &zmem));
    ng_cl_qconsts consts;
    NG_CHECK(ng_cl_qconsts_upload(c, k, q, &consts));
    char opts[1500];
    ng_cl_qlayer_build_options(&p, q, g, n, "", opts, sizeof opts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "qgemm.cl", "qgemm", opts, 1, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_int(&a, q->M);
    ng_cl_arg_int(&a, q->N);
    ng_cl_arg_int(&a, q->K);
    ng_cl_arg_tensor(&a, c, k, g, n->in[q->x_input], bind);
    ng_cl_arg_int(&a, q->a_batch_stride);
    ng_cl_arg_int(&a, q->x_zp);
    ng_cl_arg_tensor(&a, c, k, g, n->in[q->w_input], bind);
    ng_cl_arg_int(&a, q->b_batch_stride);
    ng_cl_arg_mem(&a, zmem);
    NG_CHECK(ng_cl_qlayer_out_args(&a, c, k, g, n, bind, &consts, q));
    tile_launch(k, &p, q->M, q->N, q->batch);
    ng_cl_kernel_name(k, n, "qgemm");
    return NNGPU_OK;
}

/* ---- MatMulQuantW ----------------------------------------------------------- */

static int qweight_ok(const ng_graph *g, const ng_node *n, const ng_qweight *q) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    int64_t np = ((int64_t)q->N + 63) / 64 * 64;
    return (q->bits == 4 || q->bits == 8) && q->M > 0 && q->N > 0 && q->K > 0 && q->batch > 0 &&
           q->block > 0 && x && x->dtype == NNGPU_DTYPE_FLOAT32 && ng_numel(x) <= INT_MAX &&
           y && ng_numel(y) <= INT_MAX && np * q->K <= INT_MAX && ng_cl_epilogue_supported(g, n);
}

/* The constant's element i (k * N + col) as unsigned: signed values move up
 * by 2^(bits-1) (the zero points move with them). */
static int weight_at(const ng_qweight *q, const uint8_t *w, size_t i) {
    int v = q->bits == 8 ? w[i] : (w[i / 2] >> (4 * (i & 1))) & 15;
    return q->w_signed ? v ^ (q->bits == 8 ? 0x80 : 0x8) : v;
}

/* Weights as rows of np columns (zero padded), unsigned; 4-bit rows as
 * vec-column segments (qgemm.cl). Scales and zero points as float
 * [n_groups][np]. */
static nngpu_status qweight_relayout(const ng_qweight *q, int vec, int np, uint8_t **w_out,
                                     size_t *w_bytes, float **sz_out) {
    const uint8_t *w = q->w->data;
    size_t row = q->bits == 8 ? (size_t)np : (size_t)np / 2, gsz = (size_t)q->n_groups * np;
    uint8_t *out = calloc((size_t)q->K * row, 1);
    float *sz = calloc(2 * gsz, sizeof(float));
    if (!out || !sz) {
        free(out);
        free(sz);
        return NNGPU_ERR_OUT_OF_MEMORY;
    }
    for (size_t k = 0; k < (size_t)q->K; k++)
        for (size_t cn = 0; cn < (size_t)q->N; cn++) {
            int v = weight_at(q, w, k * (size_t)q->N + cn);
            if (q->bits == 8) {
                out[k * row + cn] = (uint8_t)v;
            } else {
                size_t seg = cn / (size_t)vec * (size_t)vec, j = cn - seg, h = (size_t)vec / 2;
                size_t byte = k * row + seg / 2 + (j % h);
                out[byte] |= (uint8_t)(j < h ? v : v << 4);
            }
        }
    int shift = q->w_signed ? (q->bits == 8 ? 128 : 8) : 0;
    for (size_t gi = 0; gi < (size_t)q->n_groups; gi++)
        for (size_t cn = 0; cn < (size_t)q->N; cn++) {
            sz[gi * np + cn] = q->scale[gi * q->N + cn];
            sz[gsz + gi * np + cn] = (float)(q->zp[gi * q->N + cn] + shift);
        }
    *w_out = out;
    *w_bytes = (size_t)q->K * row;
    *sz_out = sz;
    return NNGPU_OK;
}

static nngpu_status qweight_build(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const ng_qweight *q) {
    if (!qweight_ok(g, n, q))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': MatMulQuantW not supported by opencl",
                        k->node_name);
    ng_params p;
    tile_defaults(c, q->M, q->N, 4, &p);
    char sig[128];
    snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d,bits=%d,block=%d", q->M, q->N, q->K, q->batch,
             q->bits, q->block);
    ng_params_lookup(&c->info, c->opts.tuning_db, "gemm_qw", sig, &p);
    k->params_source = p.source;
    NG_CHECK(tile_check(k, &p, 4));
    int vec = ng_params_get(&p, "VEC", 8), tn = vec * ng_params_get(&p, "NV", 1);
    int np = (q->N + tn - 1) / tn * tn;
    uint8_t *w2 = NULL;
    float *sz = NULL;
    size_t wb = 0, gsz = (size_t)q->n_groups * np;
    if (qweight_relayout(q, vec, np, &w2, &wb, &sz) != NNGPU_OK)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    cl_mem wmem = NULL, smem = NULL, zmem = NULL;
    nngpu_status st = ng_cl_upload(c, k, w2, wb, &wmem);
    if (st == NNGPU_OK) st = ng_cl_upload(c, k, sz, gsz * sizeof(float), &smem);
    if (st == NNGPU_OK) st = ng_cl_upload(c, k, sz + gsz, gsz * sizeof(float), &zmem);
    free(w2);
    free(sz);
    NG_CHECK(st);
    char popts[200], eopts[1024], opts[1400];
    ng_cl_params_options(&p, popts, sizeof popts);
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    snprintf(opts, sizeof opts, "%s -DBITS=%d -DHVEC=%d %s", popts, q->bits, vec / 2, eopts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "qgemm.cl", "gemm_qw", opts, 1, 0, &kern));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_int(&a, q->M);
    ng_cl_arg_int(&a, q->N);
    ng_cl_arg_int(&a, q->K);
    ng_cl_arg_int(&a, np);
    ng_cl_arg_int(&a, q->block);
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_mem(&a, wmem);
    ng_cl_arg_mem(&a, smem);
    ng_cl_arg_mem(&a, zmem);
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    NG_CHECK(a.status);
    tile_launch(k, &p, q->M, q->N, q->batch);
    ng_cl_kernel_name(k, n, q->bits == 4 ? "gemm_q4w" : "gemm_q8w");
    return NNGPU_OK;
}

/* ---- the family ------------------------------------------------------------- */

static int qgemm_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    int ok = 0;
    if (n->op == NG_OP_QLINEARMATMUL || n->op == NG_OP_MATMULINTEGER) {
        ng_qlayer q;
        if (!ng_qlayer_of(g, n, &q)) return 0;
        ok = qmatmul_ok(g, n, &q);
        ng_qlayer_free(&q);
    } else if (n->op == NG_OP_MATMULQW) {
        ng_qweight q;
        if (!ng_qweight_of(g, n, &q)) return 0;
        ok = qweight_ok(g, n, &q);
        ng_qweight_free(&q);
    }
    return ok;
}

static nngpu_status qgemm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    nngpu_status st;
    if (n->op == NG_OP_MATMULQW) {
        ng_qweight q;
        if (!ng_qweight_of(g, n, &q))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': MatMulQuantW not supported by opencl",
                            k->node_name);
        st = qweight_build(c, g, n, bind, k, &q);
        ng_qweight_free(&q);
    } else {
        ng_qlayer q;
        if (!ng_qlayer_of(g, n, &q))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s not supported by opencl",
                            k->node_name, ng_op_name(n->op));
        st = qmatmul_build(c, g, n, bind, k, &q);
        ng_qlayer_free(&q);
    }
    return st;
}

const ng_cl_family ng_cl_family_qgemm = {"qgemm", qgemm_supports, qgemm_prepare};
