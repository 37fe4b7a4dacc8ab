/* Gemm and MatMul as one tiled GEMM family (shaders/vulkan/gemm.comp):
 * transA/transB by strides, alpha/beta with C broadcast, MatMul batching with
 * broadcast batch dims (per-batch offset tables) and 1-D operands. 1x1
 * convolutions come here too (ng_vk_gemm_conv1x1). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime/lower_gemm.h"
#include "vk_gemm.h"

/* A Gemm/MatMul node, or a convolution run as an implicit GEMM (conv). */
typedef struct gemm_shape {
    ng_gemm_shape m;
    const ng_vk_conv_gemm *conv; /* implicit-GEMM convolution, NULL: none */
} gemm_shape;

enum { SPEC_N = 16, BIND_N = 8 };

typedef struct gemm_push {
    int32_t M, N, K, a_off, sam, sak, b_off, sbk, sbn, y_off, c_off, scm, scn;
    float alpha, beta;
    int32_t H, W, OW, PT, PL;
    ng_vk_epi_push epi;
} gemm_push;

static int gemm_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    if (n->op != NG_OP_GEMM && n->op != NG_OP_MATMUL) return 0;
    ng_gemm_shape s;
    if (ng_gemm_shape_of(g, n, &s, 0) != 1) return 0;
    if ((uint32_t)s.batch > c->limits.maxComputeWorkGroupCount[2]) return 0;
    return ng_vk_epilogue_supported(g, n);
}

/* GPUs: shared-memory tiles (SHARED=1). CPUs (lavapipe runs each buffer
 * access lane by lane, and barriers switch coroutines): register tiles of
 * TM x TN per invocation with vec4 reads (SHARED=0), 16 invocations (two
 * AVX2 vectors) per work-group; 8x4 measured best on lavapipe (8x8 spills). */
static void gemm_defaults(const ng_context *c, const gemm_shape *s, ng_params *p) {
    memset(p, 0, sizeof *p);
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    if (!gpu) {
        ng_params_set(p, "SHARED", 0);
        ng_params_set(p, "WG_M", 1);
        ng_params_set(p, "WG_N", s->conv ? 8 : 16); /* conv: 8 measured ~5% faster */
        ng_params_set(p, "TM", s->m.M < 8 ? (s->m.M < 4 ? s->m.M : 4) : 8);
        ng_params_set(p, "TN", s->m.M < 4 ? 8 : 4);
        if (s->conv && s->conv->SW == 1 && s->conv->OW >= 32 && s->m.M >= 4) {
            /* wide stride-1 rows: 4 x 8 reads fewer A and B values per FMA */
            ng_params_set(p, "TM", 4);
            ng_params_set(p, "TN", 8);
        }
        ng_params_set(p, "TK", 1);
        ng_params_set(p, "VEC", 1);
        return;
    }
    int wg = 16;
    ng_params_set(p, "SHARED", 1);
    if (s->m.M < 16) { /* matrix-vector-like: one row of invocations */
        ng_params_set(p, "WG_M", 1);
        ng_params_set(p, "TM", s->m.M < 4 ? s->m.M : 4);
        ng_params_set(p, "WG_N", 64);
        ng_params_set(p, "TN", s->m.N >= 256 ? 4 : 1);
    } else if (s->m.N < 16) {
        ng_params_set(p, "WG_M", 64);
        ng_params_set(p, "TM", s->m.M >= 256 ? 4 : 1);
        ng_params_set(p, "WG_N", 1);
        ng_params_set(p, "TN", s->m.N < 4 ? s->m.N : 4);
    } else {
        ng_params_set(p, "WG_M", wg);
        ng_params_set(p, "WG_N", wg);
        ng_params_set(p, "TM", 4);
        ng_params_set(p, "TN", 4);
    }
    ng_params_set(p, "TK", 16);
}

/* A (M x K, row stride sam, unit k stride, batch-invariant, host data) as
 * [ceil(M/tm)][K][tm], zero padded: the vec4 A reads of SHARED=0. */
static float *pack_a(const gemm_shape *s, const float *a, int tm, size_t *bytes) {
    size_t nmb = ((size_t)s->m.M + (size_t)tm - 1) / (size_t)tm, K = (size_t)s->m.K;
    float *out = calloc(nmb * K * (size_t)tm, sizeof(float));
    if (!out) return NULL;
    for (size_t m = 0; m < (size_t)s->m.M; m++)
        for (size_t k = 0; k < K; k++)
            out[((m / (size_t)tm) * K + k) * (size_t)tm + m % (size_t)tm] = a[m * (size_t)s->m.sam + k];
    *bytes = nmb * K * (size_t)tm * sizeof(float);
    return out;
}

/* ta, tb, ty, tc: the tensors playing A, B, Y and C (-1: none); b_pre, when
 * not NULL, replaces tb's storage (offset 0). */
static nngpu_status prepare_tiled(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, const gemm_shape *s,
                                  const ng_params *p, int ta, int tb, int ty, int tc,
                                  ng_buffer *b_pre) {
    int wm = ng_params_get(p, "WG_M", 8), wn = ng_params_get(p, "WG_N", 8);
    int tm = ng_params_get(p, "TM", 4), tn = ng_params_get(p, "TN", 4), tk = ng_params_get(p, "TK", 16);
    int use_shared = ng_params_get(p, "SHARED", 1) != 0;
    uint64_t shared = use_shared ? (uint64_t)tk * ((uint64_t)wm * tm + (uint64_t)wn * tn) * 4 : 0;
    if (wm < 1 || wn < 1 || tm < 1 || tn < 1 || tk < 1 || tm > 16 || tn > 16 ||
        (uint64_t)wm * wn > c->limits.maxComputeWorkGroupInvocations ||
        (uint32_t)wm > c->limits.maxComputeWorkGroupSize[1] ||
        (uint32_t)wn > c->limits.maxComputeWorkGroupSize[0] ||
        shared > c->limits.maxComputeSharedMemorySize)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s': bad gemm parameters WG_M=%d WG_N=%d TM=%d TN=%d TK=%d",
                        k->node_name, wm, wn, tm, tn, tk);
    gemm_push push;
    memset(&push, 0, sizeof push);
    ng_buffer *buf[BIND_N + NG_VK_EPI_BINDINGS];
    uint32_t off;
    /* SHARED=0 vec4 reads where the layout allows (VEC=0 turns them off). */
    int vec = 0;
    if (!use_shared && ng_params_get(p, "VEC", 1)) {
        const ng_tensor *at = (&g->tensors[ta]);
        int a_const = at->data && s->m.sak == 1 && tm % 4 == 0;
        for (int i = 0; a_const && i < s->m.batch; i++) a_const = s->m.a_boff[i] == 0;
        if (a_const) vec |= 2;
        int b_rows = s->m.sbn == 1 && s->m.sbk % 4 == 0 && s->m.N % 4 == 0 && tn % 4 == 0;
        for (int i = 0; b_rows && i < s->m.batch; i++) b_rows = s->m.b_boff[i] % 4 == 0;
        if (b_rows) vec |= 1;
    }
    if (vec & 2) {
        size_t bytes = 0;
        float *packed = pack_a(s, (&g->tensors[ta])->data, tm, &bytes);
        if (!packed)
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
        nngpu_status st = ng_vk_upload_floats(c, k, packed, bytes, &buf[0]);
        free(packed);
        NG_CHECK(st);
        push.a_off = 0;
    } else {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, ta, bind, &buf[0], &off));
        push.a_off = (int32_t)off;
    }
    if (b_pre) {
        buf[1] = b_pre;
        push.b_off = 0;
    } else {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, tb, bind, &buf[1], &off));
        push.b_off = (int32_t)off;
    }
    if (push.b_off % 4 || s->conv) vec &= ~1;
    buf[6] = buf[0];
    buf[7] = buf[1];
    NG_CHECK(ng_vk_tensor_arg(c, k, g, ty, bind, &buf[2], &off));
    push.y_off = (int32_t)off;
    /* vec4 Y rows (not with ROWS, whose columns are row segments: set below) */
    if (!use_shared && ng_params_get(p, "VEC", 1) && tn % 4 == 0 && s->m.N % 4 == 0 && off % 4 == 0)
        vec |= 4;
    if (s->m.has_c) {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, tc, bind, &buf[3], &off));
        push.c_off = (int32_t)off;
    } else {
        buf[3] = buf[0]; /* never read */
    }
    size_t table = sizeof(int) * (size_t)s->m.batch;
    NG_CHECK(ng_vk_upload(c, k, s->m.a_boff, table, &buf[4]));
    NG_CHECK(ng_vk_upload(c, k, s->m.b_boff, table, &buf[5]));
    c->weight_bytes -= 2 * table; /* metadata, not weights */
    push.M = s->m.M; push.N = s->m.N; push.K = s->m.K;
    push.sam = s->m.sam; push.sak = s->m.sak; push.sbk = s->m.sbk; push.sbn = s->m.sbn;
    push.scm = s->m.scm; push.scn = s->m.scn;
    push.alpha = s->m.alpha; push.beta = s->m.beta;

    int32_t spec[SPEC_N + NG_VK_EPI_SPECS];
    memset(spec, 0, sizeof spec);
    spec[0] = wm; spec[1] = wn; spec[2] = tm; spec[3] = tn; spec[4] = tk; spec[5] = s->m.has_c;
    spec[6] = use_shared; spec[7] = vec;
    if (s->conv) {
        const ng_vk_conv_gemm *cv = s->conv;
        spec[8] = 1; spec[9] = cv->KH; spec[10] = cv->KW; spec[11] = cv->SH; spec[12] = cv->SW;
        spec[13] = cv->DH; spec[14] = cv->DW;
        push.H = cv->H; push.W = cv->W; push.OW = cv->OW; push.PT = cv->PT; push.PL = cv->PL;
        /* Row segments where a row's span is fewer reads than TN x KW taps. */
        int span = (tn - 1) * cv->SW + (cv->KW - 1) * cv->DW + 1;
        spec[15] = ng_params_get(p, "ROWS", span < tn * cv->KW && span <= 64);
        if (spec[15]) spec[7] = vec &= ~4;
    }
    /* N counted in columns: row segments of TN pixels with ROWS. */
    int64_t ncols = spec[15] ? (int64_t)s->conv->OH * ((s->conv->OW + tn - 1) / tn) * tn : s->m.N;
    if (ncols > INT_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': convolution too large", k->node_name);
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + SPEC_N, buf + BIND_N, &push.epi));
    uint32_t groups[3] = {(uint32_t)((ncols + wn * tn - 1) / (wn * tn)),
                          (uint32_t)((s->m.M + wm * tm - 1) / (wm * tm)), (uint32_t)s->m.batch};
    NG_CHECK(ng_vk_dispatch_add(c, k, "gemm", spec, SPEC_N + NG_VK_EPI_SPECS, buf,
                                BIND_N + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[3 + NG_MAX_EPI], n_reads = 0;
    if (!(vec & 2)) reads[n_reads++] = ta;
    if (!b_pre) reads[n_reads++] = tb;
    if (s->m.has_c) reads[n_reads++] = tc;
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, ty);
    ng_vk_kernel_name(k, n, s->conv ? "conv2d_implicit_gemm"
                            : n->op == NG_OP_CONV ? "conv2d_1x1_gemm" : "gemm_tiled");
    return NNGPU_OK;
}

/* Gemm with transB and a constant B: uploads B transposed (K x N), so the
 * shared-memory loads of B read rows; s becomes transB=0. */
static nngpu_status pretranspose_b(ng_context *c, const ng_graph *g, const ng_node *n,
                                   ng_kernel *k, gemm_shape *s, ng_buffer **out) {
    const ng_tensor *b = ng_in(g, n, 1);
    *out = NULL;
    if (n->op != NG_OP_GEMM || !s->m.trans_b || !b->data || s->m.batch != 1) return NNGPU_OK;
    size_t K = (size_t)s->m.K, N = (size_t)s->m.N;
    float *bt = malloc(K * N * sizeof(float));
    if (!bt) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    const float *src = b->data; /* (N, K) */
    for (size_t nn = 0; nn < N; nn++)
        for (size_t kk = 0; kk < K; kk++) bt[kk * N + nn] = src[nn * K + kk];
    nngpu_status st = ng_vk_upload_floats(c, k, bt, K * N * sizeof(float), out);
    free(bt);
    NG_CHECK(st);
    s->m.trans_b = 0;
    s->m.sbk = s->m.N;
    s->m.sbn = 1;
    return NNGPU_OK;
}

static void lookup(ng_context *c, const gemm_shape *s, ng_params *p, ng_kernel *k) {
    gemm_defaults(c, s, p);
    char sig[192];
    int len = snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d,tA=%d,tB=%d,C=%d", s->m.M, s->m.N, s->m.K,
                       s->m.batch, s->m.trans_a, s->m.trans_b, s->m.has_c);
    const ng_vk_conv_gemm *cv = s->conv;
    if (cv && len > 0 && (size_t)len < sizeof sig)
        snprintf(sig + len, sizeof sig - (size_t)len, ",HW=%dx%d,k=%dx%d,s=%dx%d,d=%dx%d,p=%dx%d",
                 cv->H, cv->W, cv->KH, cv->KW, cv->SH, cv->SW, cv->DH, cv->DW, cv->PT, cv->PL);
    ng_params_lookup(&c->info, c->opts.tuning_db, cv ? "vk_conv_gemm" : "vk_gemm", sig, p);
    k->params_source = p->source;
}

static nngpu_status gemm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    gemm_shape s = {.conv = NULL};
    int ok = ng_gemm_shape_of(g, n, &s.m, 1);
    nngpu_status st;
    if (ok < 0) {
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    } else if (ok == 0) {
        st = ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s shape not supported by vulkan",
                      k->node_name, ng_op_name(n->op));
    } else {
        ng_params p;
        ng_buffer *b_pre = NULL;
        st = pretranspose_b(c, g, n, k, &s, &b_pre);
        if (st == NNGPU_OK) {
            lookup(c, &s, &p, k);
            st = prepare_tiled(c, g, n, bind, k, &s, &p, n->in[0], n->in[1], n->out[0],
                               s.m.has_c ? n->in[2] : -1, b_pre);
        }
    }
    ng_gemm_shape_free(&s.m);
    return st;
}

nngpu_status ng_vk_gemm_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                             const ng_binding *bind, ng_kernel *k, const ng_vk_conv_gemm *cv) {
    int plain = cv->KH == 1 && cv->KW == 1 && cv->SH == 1 && cv->SW == 1 && cv->PT == 0 &&
                cv->PL == 0 && cv->OH == cv->H && cv->OW == cv->W;
    int pixels = cv->H * cv->W;
    gemm_shape s;
    memset(&s, 0, sizeof s);
    s.m.M = cv->K;
    s.m.N = cv->OH * cv->OW;
    s.m.K = cv->C * cv->KH * cv->KW;
    s.m.batch = cv->N;
    s.m.sam = s.m.K;
    s.m.sak = 1;
    s.m.sbk = plain ? pixels : 0; /* CONV: B is indexed in the shader */
    s.m.sbn = 1;
    s.m.alpha = s.m.beta = 1.0f;
    s.m.has_c = cv->bias >= 0;
    s.m.scm = 1;
    s.m.scn = 0;
    s.conv = plain ? NULL : cv;
    s.m.a_boff = calloc((size_t)cv->N, sizeof(int));
    s.m.b_boff = malloc(sizeof(int) * (size_t)cv->N);
    nngpu_status st;
    if (!s.m.a_boff || !s.m.b_boff) {
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    } else {
        for (int i = 0; i < cv->N; i++) s.m.b_boff[i] = i * cv->C * pixels;
        ng_params p;
        lookup(c, &s, &p, k);
        if (s.conv && ng_params_get(&p, "SHARED", 1) != 0)
            st = ng_error(NNGPU_ERR_INVALID_ARG,
                          "node '%s': implicit-GEMM convolution needs SHARED=0", k->node_name);
        else
            st = prepare_tiled(c, g, n, bind, k, &s, &p, n->in[1], n->in[0], n->out[0],
                               cv->bias, NULL);
    }
    ng_gemm_shape_free(&s.m);
    return st;
}

const ng_vk_family ng_vk_family_gemm = {"gemm", gemm_supports, gemm_prepare};

typedef struct batched_a {
    const ng_vk_gemm_batched *gb;
    size_t stride;
    int pack;
} batched_a;

static void fill_batched_a(void *arg, void *dst) {
    const batched_a *a = arg;
    a->gb->fill_a(a->gb->arg, dst, a->stride, a->pack);
}

nngpu_status ng_vk_gemm_batched_add(ng_context *c, ng_kernel *k, const ng_vk_gemm_batched *gb,
                                    const char *family, const char *signature) {
    gemm_shape s;
    memset(&s, 0, sizeof s);
    s.m.M = gb->M; s.m.N = gb->N; s.m.K = gb->K; s.m.batch = gb->batch;
    s.m.sam = gb->K; s.m.sak = 1; s.m.sbk = gb->N; s.m.sbn = 1;
    s.m.alpha = 1.0f;
    ng_params p;
    gemm_defaults(c, &s, &p);
    if (!ng_params_get(&p, "SHARED", 1)) { /* few columns: the group's lanes along M too */
        int tn = ng_params_get(&p, "TN", 4), wn = ng_params_get(&p, "WG_N", 16), cols = 1;
        while (cols < wn && cols * tn < s.m.N) cols *= 2;
        ng_params_set(&p, "WG_N", cols);
        ng_params_set(&p, "WG_M", wn / cols);
    }
    ng_params_lookup(&c->info, c->opts.tuning_db, family, signature, &p);
    k->params_source = p.source;
    int wm = ng_params_get(&p, "WG_M", 8), wn = ng_params_get(&p, "WG_N", 8);
    int tm = ng_params_get(&p, "TM", 4), tn = ng_params_get(&p, "TN", 4), tk = ng_params_get(&p, "TK", 16);
    int shared = ng_params_get(&p, "SHARED", 1) != 0;
    if (wm < 1 || wn < 1 || tm < 1 || tn < 1 || tk < 1 || tm > 16 || tn > 16 ||
        (uint64_t)wm * wn > c->limits.maxComputeWorkGroupInvocations ||
        (uint32_t)wm > c->limits.maxComputeWorkGroupSize[1] ||
        (uint32_t)wn > c->limits.maxComputeWorkGroupSize[0] ||
        (shared && (uint64_t)tk * ((uint64_t)wm * tm + (uint64_t)wn * tn) * 4 >
                       c->limits.maxComputeSharedMemorySize))
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "node '%s': bad gemm parameters WG_M=%d WG_N=%d TM=%d TN=%d TK=%d",
                        k->node_name, wm, wn, tm, tn, tk);
    /* SHARED=0: A packed per batch for vec4 reads; B rows as vec4. */
    int vec = !shared && ng_params_get(&p, "VEC", 1) ? (tm % 4 == 0 ? 2 : 0) |
                                                           (s.m.N % 4 == 0 && tn % 4 == 0 ? 5 : 0) : 0;
    size_t per = (size_t)s.m.M * s.m.K;
    if (vec & 2) per = ((size_t)s.m.M + (size_t)tm - 1) / (size_t)tm * (size_t)tm * s.m.K;
    if (per * (size_t)s.m.batch > INT_MAX || (int64_t)s.m.batch * s.m.M * s.m.N > INT_MAX)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': batched GEMM too large", k->node_name);
    int *boff = malloc(2 * sizeof(int) * (size_t)s.m.batch);
    if (!boff)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    for (int i = 0; i < s.m.batch; i++) {
        boff[i] = (int)(per * (size_t)i);
        boff[s.m.batch + i] = i * s.m.K * s.m.N;
    }
    ng_buffer *buf[BIND_N + NG_VK_EPI_BINDINGS];
    batched_a fa = {gb, per, vec & 2 ? tm : 1};
    char recipe[160];
    snprintf(recipe, sizeof recipe, "%s pack=%d stride=%zu", gb->a_from.recipe, fa.pack, per);
    ng_vk_const_source from = {gb->a_from.src, gb->a_from.src_bytes, recipe};
    nngpu_status st = ng_vk_upload_with(c, k, per * (size_t)s.m.batch * sizeof(float),
                                        fill_batched_a, &fa, &from, &buf[0]);
    if (st == NNGPU_OK) st = ng_vk_upload(c, k, boff, sizeof(int) * (size_t)s.m.batch, &buf[4]);
    if (st == NNGPU_OK) st = ng_vk_upload(c, k, boff + s.m.batch, sizeof(int) * (size_t)s.m.batch, &buf[5]);
    free(boff);
    NG_CHECK(st);
    c->weight_bytes -= 2 * sizeof(int) * (size_t)s.m.batch; /* metadata, not weights */
    buf[1] = gb->b;
    buf[2] = gb->y;
    buf[3] = buf[6] = buf[0];
    buf[7] = gb->b;
    gemm_push push;
    memset(&push, 0, sizeof push);
    push.M = s.m.M; push.N = s.m.N; push.K = s.m.K;
    push.sam = s.m.sam; push.sak = s.m.sak; push.sbk = s.m.sbk; push.sbn = s.m.sbn;
    push.alpha = 1.0f;
    int32_t spec[SPEC_N + NG_VK_EPI_SPECS];
    memset(spec, 0, sizeof spec);
    spec[0] = wm; spec[1] = wn; spec[2] = tm; spec[3] = tn; spec[4] = tk;
    spec[6] = shared; spec[7] = vec;
    NG_CHECK(ng_vk_epilogue_args(c, k, NULL, NULL, NULL, buf[0], spec + SPEC_N, buf + BIND_N,
                                 &push.epi));
    uint32_t groups[3] = {(uint32_t)((s.m.N + wn * tn - 1) / (wn * tn)),
                          (uint32_t)((s.m.M + wm * tm - 1) / (wm * tm)), (uint32_t)s.m.batch};
    return ng_vk_dispatch_add(c, k, "gemm", spec, SPEC_N + NG_VK_EPI_SPECS, buf,
                              BIND_N + NG_VK_EPI_BINDINGS, &push, sizeof push, groups);
}
