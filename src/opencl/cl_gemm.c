/* Gemm and MatMul as one tiled GEMM family (shaders/opencl/gemm.cl), with
 * CLBlast as an alternative algorithm (parameter ALGO=1) for plain GEMMs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

#include "cl_internal.h"
#include "cl_gemm.h"
#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_gemm.h"

static int gemm_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (n->op != NG_OP_GEMM && n->op != NG_OP_MATMUL) return 0;
    ng_gemm_shape s;
    if (ng_gemm_shape_of(g, n, &s, 0) != 1) return 0;
    return ng_cl_epilogue_supported(g, n);
}

static void gemm_defaults(const ng_context *c, const ng_gemm_shape *s, ng_params *p) {
    memset(p, 0, sizeof *p);
    if (strcmp(c->info.device_type, "gpu") == 0) {
        ng_params_set(p, "USE_LOCAL", 1);
        ng_params_set(p, "TM", 4);
        ng_params_set(p, "VEC", 4);
        ng_params_set(p, "NV", 1);
        ng_params_set(p, "WG_M", 16);
        ng_params_set(p, "WG_N", 16);
        ng_params_set(p, "TK", 16);
    } else {
        /* POCL: no local memory; a large register tile of float16 vectors. */
        ng_params_set(p, "USE_LOCAL", 0);
        /* 8 rows x 2 vectors: 16 accumulators. (4-row tiles for 1x1 expand
         * layers were ~15% faster before fma(); now 0-15% slower.) */
        ng_params_set(p, "TM", s->M >= 8 ? 8 : s->M);
        ng_params_set(p, "VEC", s->N >= 16 ? 16 : s->N >= 8 ? 8 : s->N >= 4 ? 4 : 1);
        ng_params_set(p, "NV", s->N > 16 ? 2 : 1);
        ng_params_set(p, "WG_M", s->M >= 32 ? 4 : 1);
        ng_params_set(p, "WG_N", 1);
        ng_params_set(p, "TK", 32);
    }
    ng_params_set(p, "ALGO", 0);
}

/* ---- CLBlast path --------------------------------------------------------- */

typedef struct clblast_state {
    ng_gemm_shape s;
    cl_mem a, b, y;
    size_t a_off, b_off, y_off;
    size_t *a_offs, *b_offs, *y_offs; /* batched: per-batch offsets */
    float *alphas, *betas;
} clblast_state;

static nngpu_status clblast_enqueue(ng_context *c, ng_kernel *k, cl_event *event) {
    clblast_state *st = k->custom_state;
    const ng_gemm_shape *s = &st->s;
    CLBlastTranspose ta = s->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = s->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    size_t lda = s->trans_a ? (size_t)s->M : (size_t)s->K;
    size_t ldb = s->trans_b ? (size_t)s->K : (size_t)s->N;
    CLBlastStatusCode r;
    if (s->batch == 1)
        r = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, (size_t)s->M, (size_t)s->N, (size_t)s->K,
                         s->alpha, st->a, st->a_off, lda, st->b, st->b_off, ldb, 0.0f, st->y,
                         st->y_off, (size_t)s->N, &c->queue, event);
    else
        r = CLBlastSgemmBatched(CLBlastLayoutRowMajor, ta, tb, (size_t)s->M, (size_t)s->N,
                                (size_t)s->K, st->alphas, st->a, st->a_offs, lda, st->b,
                                st->b_offs, ldb, st->betas, st->y, st->y_offs, (size_t)s->N,
                                (size_t)s->batch, &c->queue, event);
    if (r != CLBlastSuccess)
        return ng_error(r == CLBlastOpenCLOutOfHostMemory || r == CLBlastOpenCLOutOfResources ||
                                r == CLBlastOpenCLOutOfResources
                            ? NNGPU_ERR_OUT_OF_MEMORY
                            : NNGPU_ERR_DEVICE,
                        "node '%s': CLBlast gemm failed with status %d", k->node_name, (int)r);
    return NNGPU_OK;
}

static nngpu_status prepare_clblast(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k, const ng_gemm_shape *s) {
    size_t nb = (size_t)s->batch;
    size_t extra = nb > 1 ? nb * (3 * sizeof(size_t) + 2 * sizeof(float)) : 0;
    clblast_state *st = calloc(1, sizeof *st + extra);
    if (!st) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    k->custom_state = st;
    st->s = *s;
    st->s.a_boff = st->s.b_boff = NULL;
    cl_int ao, bo, yo;
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->in[0], bind, &st->a, &ao));
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->in[1], bind, &st->b, &bo));
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->out[0], bind, &st->y, &yo));
    st->a_off = (size_t)ao;
    st->b_off = (size_t)bo;
    st->y_off = (size_t)yo;
    if (nb > 1) {
        st->a_offs = (size_t *)(st + 1);
        st->b_offs = st->a_offs + nb;
        st->y_offs = st->b_offs + nb;
        st->alphas = (float *)(st->y_offs + nb);
        st->betas = st->alphas + nb;
        for (size_t i = 0; i < nb; i++) {
            st->a_offs[i] = st->a_off + (size_t)s->a_boff[i];
            st->b_offs[i] = st->b_off + (size_t)s->b_boff[i];
            st->y_offs[i] = st->y_off + i * (size_t)s->M * (size_t)s->N;
            st->alphas[i] = s->alpha;
            st->betas[i] = 0.0f;
        }
    }
    k->custom_enqueue = clblast_enqueue;
    snprintf(k->name, sizeof k->name, "gemm_clblast");
    return NNGPU_OK;
}

/* ---- our kernel ------------------------------------------------------------ */

/* The buffers (and offsets in elements) a tiled GEMM reads and writes. */
typedef struct tiled_io {
    cl_mem a, b, y, cin;
    cl_int ao, bo, yo, co;
} tiled_io;

/* One gemm_tiled launch of shape s with parameters p over io, applying the
 * epilogue of node epi (NULL: none). */
static nngpu_status launch_tiled(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_node *epi, const ng_binding *bind,
                                 const ng_gemm_shape *s, const ng_params *p, const tiled_io *io) {
    char opts[1500], popts[400], eopts[1024];
    ng_cl_params_options(p, popts, sizeof popts);
    ng_cl_epilogue_options(g, epi, eopts, sizeof eopts);
    snprintf(opts, sizeof opts, "%s -DHAS_C=%d %s", popts, s->has_c, eopts);
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "gemm.cl", "gemm_tiled", opts, 0, 0, &kern));
    ng_cl_launch *l = &k->launch[k->n_launches - 1];
    cl_mem ab, bb;
    NG_CHECK(ng_cl_upload(c, k, s->a_boff, sizeof(int) * (size_t)s->batch, &ab));
    NG_CHECK(ng_cl_upload(c, k, s->b_boff, sizeof(int) * (size_t)s->batch, &bb));
    c->weight_bytes -= 2 * sizeof(int) * (size_t)s->batch; /* metadata, not weights */

    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    ng_cl_arg_int(&a, s->M); ng_cl_arg_int(&a, s->N); ng_cl_arg_int(&a, s->K);
    ng_cl_arg_mem(&a, io->a); ng_cl_arg_int(&a, io->ao);
    ng_cl_arg_int(&a, s->sam); ng_cl_arg_int(&a, s->sak); ng_cl_arg_mem(&a, ab);
    ng_cl_arg_mem(&a, io->b); ng_cl_arg_int(&a, io->bo);
    ng_cl_arg_int(&a, s->sbk); ng_cl_arg_int(&a, s->sbn); ng_cl_arg_mem(&a, bb);
    ng_cl_arg_mem(&a, io->y); ng_cl_arg_int(&a, io->yo);
    ng_cl_arg_mem(&a, io->cin); ng_cl_arg_int(&a, io->co);
    ng_cl_arg_int(&a, s->scm); ng_cl_arg_int(&a, s->scn);
    ng_cl_arg_float(&a, s->alpha); ng_cl_arg_float(&a, s->beta);
    ng_cl_arg_epilogue(&a, c, k, g, epi, bind);
    NG_CHECK(a.status);

    int tm = ng_params_get(p, "TM", 8), tn = ng_params_get(p, "VEC", 16) * ng_params_get(p, "NV", 1);
    int wm = ng_params_get(p, "WG_M", 1), wn = ng_params_get(p, "WG_N", 1);
    size_t gm = (size_t)(s->M + tm * wm - 1) / (size_t)(tm * wm);
    size_t gn = (size_t)(s->N + tn * wn - 1) / (size_t)(tn * wn);
    l->dims = 3;
    l->global[0] = gn * (size_t)wn;
    l->global[1] = gm * (size_t)wm;
    l->global[2] = (size_t)s->batch;
    l->local[0] = (size_t)wn;
    l->local[1] = (size_t)wm;
    l->local[2] = 1;
    l->use_local = 1;
    return NNGPU_OK;
}

/* ta, tb, ty, tc: the tensors playing A, B, Y and C (-1: none); b_pre, when
 * not NULL, replaces tb's storage (a pre-transposed constant B, offset 0). */
static nngpu_status prepare_tiled(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const ng_gemm_shape *s,
                                  ng_params *p, int ta, int tb, int ty, int tc, cl_mem b_pre) {
    tiled_io io;
    memset(&io, 0, sizeof io);
    NG_CHECK(ng_cl_tensor_arg(c, k, g, ta, bind, &io.a, &io.ao));
    if (b_pre)
        io.b = b_pre;
    else
        NG_CHECK(ng_cl_tensor_arg(c, k, g, tb, bind, &io.b, &io.bo));
    NG_CHECK(ng_cl_tensor_arg(c, k, g, ty, bind, &io.y, &io.yo));
    if (s->has_c)
        NG_CHECK(ng_cl_tensor_arg(c, k, g, tc, bind, &io.cin, &io.co));
    else
        io.cin = io.y;
    NG_CHECK(launch_tiled(c, k, g, n, bind, s, p, &io));
    snprintf(k->name, sizeof k->name, "%s", n->op == NG_OP_CONV ? "conv2d_1x1_gemm" : "gemm_tiled");
    ng_cl_epilogue_name(n, k->name, sizeof k->name);
    return NNGPU_OK;
}

/* Gemm with transB and a constant B: uploads B transposed (K x N) so the
 * kernel reads contiguous rows of B (its vector path); s becomes transB=0.
 * *out stays NULL when B is not such a constant. */
static nngpu_status pretranspose_b(ng_context *c, const ng_graph *g, const ng_node *n,
                                   ng_kernel *k, ng_gemm_shape *s, cl_mem *out) {
    const ng_tensor *b = ng_in(g, n, 1);
    *out = NULL;
    if (n->op != NG_OP_GEMM || !s->trans_b || !b->data || s->batch != 1) return NNGPU_OK;
    size_t K = (size_t)s->K, N = (size_t)s->N;
    float *bt = malloc(K * N * sizeof(float));
    if (!bt) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    const float *src = b->data; /* (N, K) */
    for (size_t nn = 0; nn < N; nn++)
        for (size_t kk = 0; kk < K; kk++) bt[kk * N + nn] = src[nn * K + kk];
    nngpu_status st = ng_cl_upload_floats(c, k, bt, K * N * sizeof(float), out);
    free(bt);
    NG_CHECK(st);
    s->trans_b = 0;
    s->sbk = s->N;
    s->sbn = 1;
    return NNGPU_OK;
}

static nngpu_status gemm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    ng_gemm_shape s;
    int ok = ng_gemm_shape_of(g, n, &s, 1);
    if (ok < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    if (ok == 0)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s shape not supported by opencl",
                        k->node_name, ng_op_name(n->op));
    ng_params p;
    gemm_defaults(c, &s, &p);
    char sig[128];
    snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d,tA=%d,tB=%d,C=%d", s.M, s.N, s.K, s.batch,
             s.trans_a, s.trans_b, s.has_c);
    ng_params_lookup(&c->info, c->opts.tuning_db, "gemm", sig, &p);
    k->params_source = p.source;
    nngpu_status st;
    cl_mem b_pre = NULL;
    if (ng_params_get(&p, "ALGO", 0) == 1 && !s.has_c && n->n_epi == 0 && !c->half) /* Sgemm: fp32 */
        st = prepare_clblast(c, g, n, bind, k, &s);
    else if ((st = pretranspose_b(c, g, n, k, &s, &b_pre)) == NNGPU_OK)
        st = prepare_tiled(c, g, n, bind, k, &s, &p, n->in[0], n->in[1], n->out[0],
                           s.has_c ? n->in[2] : -1, b_pre);
    ng_gemm_shape_free(&s);
    return st;
}

/* s as the plain batched GEMM Y[b] (M x N) = A (M x K) x B[b] (K x N), all
 * row-major and contiguous, A shared by the batches (a_boff 0); the caller
 * frees it with ng_gemm_shape_free. */
static nngpu_status plain_shape(ng_kernel *k, int M, int N, int K, int batch, ng_gemm_shape *s) {
    memset(s, 0, sizeof *s);
    s->M = M;
    s->N = N;
    s->K = K;
    s->batch = batch;
    s->sam = K;
    s->sak = 1;
    s->sbk = N;
    s->sbn = 1;
    s->alpha = s->beta = 1.0f;
    s->a_boff = calloc((size_t)batch, sizeof(int));
    s->b_boff = malloc(sizeof(int) * (size_t)batch);
    if (!s->a_boff || !s->b_boff)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    for (int i = 0; i < batch; i++) s->b_boff[i] = i * K * N;
    return NNGPU_OK;
}

/* The gemm family's parameters for s: defaults, then the tuning DB. */
static void tiled_params(ng_context *c, ng_kernel *k, const ng_gemm_shape *s, ng_params *p) {
    gemm_defaults(c, s, p);
    char sig[128];
    snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d,tA=0,tB=0,C=%d", s->M, s->N, s->K, s->batch,
             s->has_c);
    ng_params_lookup(&c->info, c->opts.tuning_db, "gemm", sig, p);
    k->params_source = p->source;
}

nngpu_status ng_cl_gemm_conv1x1(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k, int batch, int channels,
                                int pixels, int out_channels, int bias, cl_mem cols) {
    ng_gemm_shape s;
    nngpu_status st = plain_shape(k, out_channels, pixels, channels, batch, &s);
    if (st == NNGPU_OK) {
        s.has_c = bias >= 0;
        s.scm = 1;
        s.scn = 0;
        ng_params p;
        tiled_params(c, k, &s, &p);
        st = prepare_tiled(c, g, n, bind, k, &s, &p, n->in[1], n->in[0], n->out[0], bias, cols);
    }
    ng_gemm_shape_free(&s);
    return st;
}

nngpu_status ng_cl_gemm_scratch(ng_context *c, ng_kernel *k, int M, int N, int K, int batch,
                                cl_mem a, cl_mem b, cl_mem y) {
    ng_gemm_shape s;
    nngpu_status st = plain_shape(k, M, N, K, batch, &s);
    if (st == NNGPU_OK) {
        for (int i = 0; i < batch; i++) s.a_boff[i] = i * M * K;
        ng_params p;
        tiled_params(c, k, &s, &p);
        tiled_io io = {a, b, y, y, 0, 0, 0, 0};
        st = launch_tiled(c, k, NULL, NULL, NULL, &s, &p, &io);
    }
    ng_gemm_shape_free(&s);
    return st;
}

const ng_cl_family ng_cl_family_gemm = {"gemm", gemm_supports, gemm_prepare};
