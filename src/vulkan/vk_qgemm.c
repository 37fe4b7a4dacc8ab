/* Quantized GEMMs on shaders/vulkan/qgemm.comp: QLinearMatMul and
 * MatMulInteger (x = A, w = B, output channel = column), MatMulQuantW (float
 * x, 4- or 8-bit weights dequantized in the shader) and, for vk_qconv.c,
 * ungrouped quantized convolutions as implicit GEMM (w = A, channel = row).
 * Constant weights are uploaded once, prepacked so that one k step of an
 * invocation's tile is whole 32-bit words, or, with the integer dot product
 * (IDOT, the _dot shaders), 4 k per word (vk_qdot.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "vk_quant.h"

enum { SPEC_N = 21, BIND_N = 5 };

typedef struct qgemm_push {
    int32_t M, N, K, a_off, sam, sak, a_bs, b_off, sbk, sbn, b_bs, y_off, x_zp;
    float y_scale;
    int32_t y_zp, block, H, W, OW, PT, PL;
    ng_vk_epi_push epi;
} qgemm_push;

/* A quantized GEMM: Y[z] (M x N) from A[z] (M x K) and B[z] (K x N). */
typedef struct qgemm_shape {
    int M, N, K, batch;
    int sam, sak, a_bs, sbk, sbn, b_bs; /* element strides */
    const ng_conv_geom *conv;           /* implicit-GEMM convolution, NULL: none */
    int ch_m;                           /* 1: output channel = row (convolutions) */
    int qw_bits;                        /* MatMulQuantW: 4 or 8; 0: integer GEMM */
} qgemm_shape;

/* Register tiles for every device type (the CPU shape of gemm.comp):
 * 16 invocations along N; TM x TN 8x4 (4x8 on wide stride-1 convolution
 * rows, TN 8 on 4-bit weights: one word per k). */
static void qgemm_defaults(const ng_context *c, const qgemm_shape *s, ng_params *p) {
    memset(p, 0, sizeof *p);
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    ng_params_set(p, "WG_M", gpu ? 4 : 1);
    ng_params_set(p, "WG_N", gpu ? 16 : s->conv ? 8 : 16);
    ng_params_set(p, "TM", s->M < 8 ? (s->M < 4 ? s->M : 4) : 8);
    ng_params_set(p, "TN", s->M < 4 || s->qw_bits == 4 ? 8 : 4);
    ng_params_set(p, "FACC", 1);
    ng_params_set(p, "I8", 1);
    if (!s->qw_bits) ng_params_set(p, "IDOT", ng_vk_qdot_default(c));
    if (s->conv && s->conv->SW == 1 && s->conv->OW >= 32 && s->M >= 4) {
        ng_params_set(p, "TM", 4);
        ng_params_set(p, "TN", 8);
    }
}

/* Conv weights [M][K] bytes as [ceil(M/tm)][K][tm], zero padded. */
static uint8_t *pack_a(const qgemm_shape *s, const uint8_t *w, int tm, size_t *bytes) {
    size_t nmb = ((size_t)s->M + (size_t)tm - 1) / (size_t)tm, K = (size_t)s->K;
    *bytes = nmb * K * (size_t)tm;
    uint8_t *out = calloc(*bytes ? *bytes : 1, 1);
    if (!out) return NULL;
    for (size_t m = 0; m < (size_t)s->M; m++)
        for (size_t k = 0; k < K; k++)
            out[((m / (size_t)tm) * K + k) * (size_t)tm + m % (size_t)tm] = w[m * K + k];
    return out;
}

/* Weights [K][N] of `bits` bits (4: two per byte, low nibble first) as
 * [ceil(N/tn)][K][tn] of the same bits, zero padded. */
static uint8_t *pack_b(const qgemm_shape *s, const uint8_t *w, int bits, int tn, size_t *bytes) {
    size_t nnb = ((size_t)s->N + (size_t)tn - 1) / (size_t)tn, K = (size_t)s->K, N = (size_t)s->N;
    *bytes = nnb * K * (size_t)tn * (size_t)bits / 8;
    uint8_t *out = calloc(*bytes ? *bytes : 1, 1);
    if (!out) return NULL;
    for (size_t k = 0; k < K; k++)
        for (size_t n = 0; n < N; n++) {
            size_t i = k * N + n, o = ((n / (size_t)tn) * K + k) * (size_t)tn + n % (size_t)tn;
            if (bits == 8) {
                out[o] = w[i];
            } else {
                unsigned v = (w[i >> 1] >> (4 * (i & 1))) & 0xfu;
                out[o >> 1] |= (uint8_t)(v << (4 * (o & 1)));
            }
        }
    return out;
}

/* Uploads and frees packed data (NULL: out of host memory) of `bytes`. */
static nngpu_status upload_packed(ng_context *c, ng_kernel *k, uint8_t *data, size_t bytes,
                                  ng_buffer **out) {
    if (!data) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    nngpu_status st = ng_vk_upload(c, k, data, bytes, out);
    free(data);
    return st;
}

static void lookup(ng_context *c, const qgemm_shape *s, ng_params *p, ng_kernel *k) {
    qgemm_defaults(c, s, p);
    char sig[192];
    const ng_conv_geom *cv = s->conv;
    if (cv)
        snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d,HW=%dx%d,k=%dx%d,s=%dx%d,d=%dx%d,p=%dx%d",
                 s->M, s->N, s->K, s->batch, cv->H, cv->W, cv->KH, cv->KW, cv->SH, cv->SW, cv->DH,
                 cv->DW, cv->PT, cv->PL);
    else
        snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d,bits=%d", s->M, s->N, s->K, s->batch,
                 s->qw_bits ? s->qw_bits : 8);
    ng_params_lookup(&c->info, c->opts.tuning_db,
                     cv ? "vk_qconv_gemm" : s->qw_bits ? "vk_qmatmulw" : "vk_qgemm", sig, p);
    k->params_source = p->source;
}

/* The operands: ta (A) and tb (B) tensors; a_pre / b_pre, when not NULL,
 * replace their storage (prepacked, offset 0). ch: the channel table. dot:
 * the _dot shader, the weights packed by ng_vk_qdot_pack. */
typedef struct qgemm_args {
    int ta, tb, ty, dot;
    ng_buffer *a_pre, *b_pre, *ch;
    int a_signed, b_signed, out; /* out: NG_QOUT_* code */
    int32_t x_zp, y_zp, block;
    float y_scale;
} qgemm_args;

static nngpu_status dispatch(ng_context *c, const ng_graph *g, const ng_node *n,
                             const ng_binding *bind, ng_kernel *k, const qgemm_shape *s,
                             const ng_params *p, const qgemm_args *q) {
    int wm = ng_params_get(p, "WG_M", 1), wn = ng_params_get(p, "WG_N", 16);
    int tm = ng_params_get(p, "TM", 4), tn = ng_params_get(p, "TN", 4);
    if (wm < 1 || wn < 1 || tm < 1 || tn < 1 || tm > 16 || tn > 16 ||
        (uint64_t)wm * wn > c->limits.maxComputeWorkGroupInvocations ||
        (uint32_t)wm > c->limits.maxComputeWorkGroupSize[1] ||
        (uint32_t)wn > c->limits.maxComputeWorkGroupSize[0] ||
        (!q->dot && ((q->b_pre && tn * (s->qw_bits ? s->qw_bits : 8) % 32) || (q->a_pre && tm % 4))))
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s': bad quantized gemm parameters WG_M=%d WG_N=%d TM=%d TN=%d",
                        k->node_name, wm, wn, tm, tn);
    qgemm_push push;
    memset(&push, 0, sizeof push);
    ng_buffer *buf[BIND_N + NG_VK_EPI_BINDINGS];
    uint32_t off;
    if (q->a_pre) {
        buf[0] = q->a_pre;
    } else {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, q->ta, bind, &buf[0], &off));
        push.a_off = (int32_t)off;
    }
    if (q->b_pre) {
        buf[1] = q->b_pre;
    } else {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, q->tb, bind, &buf[1], &off));
        push.b_off = (int32_t)off;
    }
    NG_CHECK(ng_vk_tensor_arg(c, k, g, q->ty, bind, &buf[2], &off));
    push.y_off = (int32_t)off;
    buf[3] = q->ch;
    buf[4] = buf[0];
    push.M = s->M; push.N = s->N; push.K = s->K;
    push.sam = s->sam; push.sak = s->sak; push.a_bs = s->a_bs;
    push.sbk = s->sbk; push.sbn = s->sbn; push.b_bs = s->b_bs;
    push.x_zp = q->x_zp; push.y_scale = q->y_scale; push.y_zp = q->y_zp; push.block = q->block;

    int32_t spec[SPEC_N + NG_VK_EPI_SPECS];
    memset(spec, 0, sizeof spec);
    spec[0] = wm; spec[1] = wn; spec[2] = tm; spec[3] = tn; spec[4] = s->qw_bits != 0;
    spec[5] = q->a_pre != NULL; spec[6] = q->b_pre != NULL;
    spec[7] = (q->a_signed != 0) | (q->b_signed != 0) << 1;
    /* float partial sums (qgemm.comp FACC): whole kernels within one flush */
    spec[8] = ng_params_get(p, "FACC", 1) && (!s->conv || s->conv->KH * s->conv->KW <= 256);
    spec[9] = s->qw_bits ? s->qw_bits : 8; spec[10] = q->out;
    spec[11] = s->ch_m;
    spec[19] = !q->a_pre && !s->qw_bits && s->sak == 1 && push.a_off % 4 == 0 && s->sam % 4 == 0 &&
               s->a_bs % 4 == 0 && s->K % 4 == 0;
    int64_t ncols = s->N;
    if (s->conv) {
        const ng_conv_geom *cv = s->conv;
        spec[12] = 1; spec[13] = cv->KH; spec[14] = cv->KW; spec[15] = cv->SH; spec[16] = cv->SW;
        spec[17] = cv->DH; spec[18] = cv->DW;
        push.H = cv->H; push.W = cv->W; push.OW = cv->OW; push.PT = cv->PT; push.PL = cv->PL;
        int span = (tn - 1) * cv->SW + (cv->KW - 1) * cv->DW + 1;
        spec[20] = !q->dot && ng_params_get(p, "ROWS", span < tn * cv->KW && span <= 64);
        if (spec[20]) ncols = (int64_t)cv->OH * ((cv->OW + tn - 1) / tn) * tn;
    }
    if (ncols > INT_MAX || (int64_t)s->batch * s->M * s->N > INT_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': quantized gemm too large", k->node_name);
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + SPEC_N, buf + BIND_N, &push.epi));
    uint32_t groups[3] = {(uint32_t)((ncols + wn * tn - 1) / (wn * tn)),
                          (uint32_t)((s->M + wm * tm - 1) / (wm * tm)), (uint32_t)s->batch};
    const char *shader = q->dot ? ng_vk_qshader(c, p, "qgemm_dot", "qgemm_i8_dot")
                                : ng_vk_qshader(c, p, "qgemm", "qgemm_i8");
    NG_CHECK(ng_vk_dispatch_add(c, k, shader, spec, SPEC_N + NG_VK_EPI_SPECS, buf,
                                BIND_N + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[2 + NG_MAX_EPI], n_reads = 0;
    if (!q->a_pre) reads[n_reads++] = q->ta;
    if (!q->b_pre) reads[n_reads++] = q->tb;
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, q->ty);
    return NNGPU_OK;
}

static int is_8bit(const ng_tensor *t) {
    return t && (t->dtype == NNGPU_DTYPE_INT8 || t->dtype == NNGPU_DTYPE_UINT8);
}

int ng_vk_qlayer_ok(const ng_graph *g, const ng_node *n, const ng_qlayer *q) {
    if (!is_8bit(ng_in(g, n, q->x_input)) || !is_8bit(ng_in(g, n, q->w_input))) return 0;
    if (q->out == NG_QOUT_INT32 && n->n_epi) return 0;
    return ng_vk_epilogue_supported(g, n);
}

nngpu_status ng_vk_qchannels_upload(ng_context *c, ng_kernel *k, const ng_qlayer *q,
                                    const int32_t *wsum, ng_buffer **out) {
    int32_t *t = calloc((size_t)q->n_ch * 4, sizeof *t);
    if (!t) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    for (int i = 0; i < q->n_ch; i++) {
        t[4 * i] = q->mult ? ng_vk_float_bits(q->mult[i]) : 0;
        t[4 * i + 1] = q->bias ? q->bias[i] : 0;
        t[4 * i + 2] = q->w_zp ? q->w_zp[i] : 0;
        t[4 * i + 3] = wsum ? wsum[i] : 0;
    }
    nngpu_status st = ng_vk_upload(c, k, t, (size_t)q->n_ch * 4 * sizeof *t, out);
    free(t);
    return st;
}

/* The _dot shader's operands: weights w packed in blocks of tile channels
 * into *pre, the channel table with their sums into a->ch. */
static nngpu_status upload_dot(ng_context *c, ng_kernel *k, const ng_qlayer *q,
                               const ng_vk_qdot_weights *w, int tile, ng_buffer **pre,
                               qgemm_args *a) {
    int32_t *sums = calloc((size_t)w->n_ch, sizeof *sums);
    size_t bytes = 0;
    uint8_t *packed = sums ? ng_vk_qdot_pack(w, tile, &bytes, sums) : NULL;
    nngpu_status st = upload_packed(c, k, packed, bytes, pre);
    if (st == NNGPU_OK) st = ng_vk_qchannels_upload(c, k, q, sums, &a->ch);
    free(sums);
    a->dot = 1;
    return st;
}

static qgemm_args layer_args(const ng_node *n, const ng_qlayer *q) {
    qgemm_args a;
    memset(&a, 0, sizeof a);
    a.ty = n->out[0];
    a.out = ng_vk_qout_code(q->out);
    a.x_zp = q->x_zp;
    a.y_zp = q->y_zp;
    a.y_scale = q->y_scale;
    a.block = 1;
    return a;
}

nngpu_status ng_vk_qgemm_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                              const ng_binding *bind, ng_kernel *k, const ng_qlayer *q) {
    const ng_conv_geom *cv = &q->conv;
    int plain = cv->KH == 1 && cv->KW == 1 && cv->SH == 1 && cv->SW == 1 && cv->PT == 0 &&
                cv->PL == 0 && cv->OH == cv->H && cv->OW == cv->W;
    qgemm_shape s;
    memset(&s, 0, sizeof s);
    s.M = cv->K;
    s.N = cv->OH * cv->OW;
    s.K = cv->C * cv->KH * cv->KW;
    s.batch = cv->N;
    s.sam = s.K;
    s.sak = 1;
    s.sbk = plain ? cv->H * cv->W : 0; /* CONV: B is indexed in the shader */
    s.sbn = 1;
    s.b_bs = cv->C * cv->H * cv->W;
    s.conv = plain ? NULL : cv;
    s.ch_m = 1;
    ng_params p;
    lookup(c, &s, &p, k);
    qgemm_args a = layer_args(n, q);
    a.ta = n->in[q->w_input];
    a.tb = n->in[q->x_input];
    a.a_signed = q->w_signed;
    a.b_signed = q->x_signed;
    int tm = ng_params_get(&p, "TM", 4);
    const ng_tensor *w = ng_in(g, n, q->w_input);
    if (ng_vk_qdot_on(c, &p) && w->data && tm >= 1) {
        ng_vk_qdot_weights dw = {w->data, s.M, cv->C, cv->KH * cv->KW, q->w_signed,
                                 (size_t)s.K, (size_t)cv->KH * cv->KW, 1};
        NG_CHECK(upload_dot(c, k, q, &dw, tm, &a.a_pre, &a));
    } else {
        NG_CHECK(ng_vk_qchannels_upload(c, k, q, NULL, &a.ch));
    }
    if (!a.dot && tm % 4 == 0 && w->data) {
        size_t bytes = 0;
        uint8_t *packed = pack_a(&s, w->data, tm, &bytes);
        NG_CHECK(upload_packed(c, k, packed, bytes, &a.a_pre));
    }
    NG_CHECK(dispatch(c, g, n, bind, k, &s, &p, &a));
    ng_vk_kernel_name(k, n, a.dot ? (plain ? "qconv2d_1x1_gemm_dot" : "qconv2d_implicit_gemm_dot")
                                  : (plain ? "qconv2d_1x1_gemm" : "qconv2d_implicit_gemm"));
    return NNGPU_OK;
}

/* ---- QLinearMatMul, MatMulInteger ---- */

static int qmatmul_supports(ng_context *c, const ng_graph *g, const ng_node *n, ng_qlayer *q) {
    if (!ng_qlayer_of(g, n, q)) return 0;
    int ok = !q->is_conv && ng_vk_qlayer_ok(g, n, q) &&
             (uint32_t)q->batch <= c->limits.maxComputeWorkGroupCount[2] &&
             (int64_t)q->batch * q->M * q->N <= INT_MAX && q->a_batch_stride <= INT_MAX &&
             q->b_batch_stride <= INT_MAX;
    if (!ok) ng_qlayer_free(q);
    return ok;
}

static nngpu_status qmatmul_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k, ng_qlayer *q) {
    qgemm_shape s;
    memset(&s, 0, sizeof s);
    s.M = q->M; s.N = q->N; s.K = q->K; s.batch = q->batch;
    s.sam = q->K; s.sak = 1; s.a_bs = (int)q->a_batch_stride;
    s.sbk = q->N; s.sbn = 1; s.b_bs = (int)q->b_batch_stride;
    ng_params p;
    lookup(c, &s, &p, k);
    qgemm_args a = layer_args(n, q);
    a.ta = n->in[q->x_input];
    a.tb = n->in[q->w_input];
    a.a_signed = q->x_signed;
    a.b_signed = q->w_signed;
    int tn = ng_params_get(&p, "TN", 4);
    const ng_tensor *w = ng_in(g, n, q->w_input);
    if (ng_vk_qdot_on(c, &p) && w->data && q->w_const && s.b_bs == 0 && tn >= 1) {
        ng_vk_qdot_weights dw = {w->data, s.N, s.K, 1, q->w_signed, 1, (size_t)s.N, 0};
        NG_CHECK(upload_dot(c, k, q, &dw, tn, &a.b_pre, &a));
    } else {
        NG_CHECK(ng_vk_qchannels_upload(c, k, q, NULL, &a.ch));
    }
    if (!a.dot && tn % 4 == 0 && w->data && q->w_const && s.b_bs == 0) {
        size_t bytes = 0;
        uint8_t *packed = pack_b(&s, w->data, 8, tn, &bytes);
        NG_CHECK(upload_packed(c, k, packed, bytes, &a.b_pre));
    }
    NG_CHECK(dispatch(c, g, n, bind, k, &s, &p, &a));
    ng_vk_kernel_name(k, n, a.dot ? "qgemm_dot" : "qgemm");
    return NNGPU_OK;
}

/* ---- MatMulQuantW ---- */

static int qweight_ok(ng_context *c, const ng_graph *g, const ng_node *n, const ng_qweight *w) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    return ng_vk_float_tensor_ok(x) && ng_vk_float_tensor_ok(y) && w->w && w->w->data &&
           (w->bits == 4 || w->bits == 8) && w->block > 0 &&
           (uint32_t)w->batch <= c->limits.maxComputeWorkGroupCount[2] &&
           ng_vk_epilogue_supported(g, n);
}

static nngpu_status qweight_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k, const ng_qweight *w) {
    qgemm_shape s;
    memset(&s, 0, sizeof s);
    s.M = w->M; s.N = w->N; s.K = w->K; s.batch = w->batch;
    s.sam = w->K; s.sak = 1; s.a_bs = w->M * w->K;
    s.qw_bits = w->bits;
    const ng_tensor *x = ng_in(g, n, 0);
    if (ng_numel(x) == (int64_t)w->M * w->K) s.a_bs = 0; /* x broadcast over the batch */
    ng_params p;
    lookup(c, &s, &p, k);
    int tn = ng_params_get(&p, "TN", 8);
    if (tn * w->bits % 32)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': TN=%d does not fill words of %d-bit weights",
                        k->node_name, tn, w->bits);
    qgemm_args a;
    memset(&a, 0, sizeof a);
    a.ta = n->in[0];
    a.ty = n->out[0];
    a.b_signed = w->w_signed;
    a.out = ng_vk_qout_code(NG_QOUT_FLOAT);
    a.block = w->block;
    size_t bytes = 0;
    uint8_t *packed = pack_b(&s, w->w->data, w->bits, tn, &bytes);
    NG_CHECK(upload_packed(c, k, packed, bytes, &a.b_pre));
    size_t cells = (size_t)w->n_groups * (size_t)w->N;
    int32_t *t = calloc(cells * 4, sizeof *t);
    if (!t) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    for (size_t i = 0; i < cells; i++) {
        t[4 * i] = ng_vk_float_bits(w->scale[i]);
        t[4 * i + 2] = w->zp ? w->zp[i] : 0;
    }
    nngpu_status st = ng_vk_upload(c, k, t, cells * 4 * sizeof *t, &a.ch);
    free(t);
    NG_CHECK(st);
    NG_CHECK(dispatch(c, g, n, bind, k, &s, &p, &a));
    ng_vk_kernel_name(k, n, w->bits == 4 ? "qgemm_int4w" : "qgemm_int8w");
    return NNGPU_OK;
}

/* ---- the family ---- */

static int qgemm_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (c->half) return 0; /* no float16 variants: fp16 layers go elsewhere */
    if (n->op == NG_OP_MATMULQW) {
        ng_qweight w;
        if (!ng_qweight_of(g, n, &w)) return 0;
        int ok = qweight_ok(c, g, n, &w);
        ng_qweight_free(&w);
        return ok;
    }
    if (n->op != NG_OP_QLINEARMATMUL && n->op != NG_OP_MATMULINTEGER) return 0;
    ng_qlayer q;
    if (!qmatmul_supports(c, g, n, &q)) return 0;
    ng_qlayer_free(&q);
    return 1;
}

static nngpu_status qgemm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k) {
    nngpu_status st;
    if (n->op == NG_OP_MATMULQW) {
        ng_qweight w;
        if (!ng_qweight_of(g, n, &w))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': MatMulQuantW not supported by vulkan",
                            k->node_name);
        st = qweight_ok(c, g, n, &w)
                 ? qweight_prepare(c, g, n, bind, k, &w)
                 : ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': MatMulQuantW not supported by vulkan",
                            k->node_name);
        ng_qweight_free(&w);
        return st;
    }
    ng_qlayer q;
    if (!qmatmul_supports(c, g, n, &q))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s not supported by vulkan", k->node_name,
                        ng_op_name(n->op));
    st = qmatmul_prepare(c, g, n, bind, k, &q);
    ng_qlayer_free(&q);
    return st;
}

const ng_vk_family ng_vk_family_qgemm = {"qgemm", qgemm_supports, qgemm_prepare};
