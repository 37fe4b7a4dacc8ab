/* Winograd F(2,3) / F(4,3) for 3x3 stride-1 convolutions: three dispatches,
 * shaders/vulkan/winograd.comp's data transform into scratch V
 * [alpha^2][C][tiles], the batched GEMM of gemm.comp (alpha^2 products
 * U[xi] (K x C) x V[xi] into scratch M [alpha^2][K][tiles]) and the output
 * transform with bias and the fused epilogue. alpha = tile + 2; tiles cover
 * all images, padded to a multiple of 4 (vec4 B rows in the GEMM). In an
 * fp16 layer (c->half) the transforms are winograd_f16 or _h16 (float16
 * tensors; _h16 with a half epilogue) and the scratch and its GEMM stay
 * float32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "runtime/winograd.h"
#include "vk_device.h"
#include "vk_winograd.h"

enum { SPEC_N = 8, BIND_N = 3 };

typedef struct wino_push {
    int32_t C, H, W, TH, TW, NT, NTP, PT, PL, total, src_off, dst_off, bias_off;
    ng_vk_epi_push epi;
} wino_push;

typedef ng_winograd_tiles wino_tiles;

/* Tiles padded to a multiple of 4: gemm.comp's vec4 B rows. */
static wino_tiles tiles_of(const ng_vk_conv_gemm *v, int tile) {
    return ng_winograd_tiles_of(v->N, v->OH, v->OW, tile, 4);
}

int ng_vk_winograd_fits(const ng_vk_conv_gemm *v) {
    return ng_winograd_fits(v->N, v->C, v->H, v->W, v->K, v->OH, v->OW, v->KH, v->KW, v->SH,
                            v->SW, v->DH, v->DW, 4);
}

int ng_vk_winograd_default(const ng_context *c, const ng_vk_conv_gemm *v) {
    if (strcmp(c->info.device_type, "gpu") == 0) return 0; /* not measured on GPUs */
    if (v->C < 16 || v->K < 16) return 0;
    /* F(4,3) where its GEMMs keep 16 or more columns (tiles); measured on
     * lavapipe: ResNet-18's 14x14 and larger maps, F(2,3) on 7x7 */
    return tiles_of(v, 4).nt >= 16 ? 4 : 2;
}

/* k's last dispatch touches exactly: `read` (a tensor of g, -1: none, plus
 * epilogue operands of n when n), scratch `sread` (NULL: none) and writes
 * tensor `write` or scratch `swrite`. */
static void narrow(ng_context *c, ng_kernel *k, const ng_graph *g, const ng_binding *bind,
                   const ng_node *n, int read, const ng_buffer *sread, int write,
                   const ng_buffer *swrite) {
    int reads[1 + NG_MAX_EPI], n_reads = 0;
    if (read >= 0) reads[n_reads++] = read;
    if (n) n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, write);
    ng_vk_dispatch *d = &k->d[k->n_dispatches - 1];
    if (sread && d->n_reads < NG_VK_MAX_BINDINGS) {
        d->read_lo[d->n_reads] = ng_vk_buffer_address(sread);
        d->read_hi[d->n_reads++] = ng_vk_buffer_address(sread) + sread->size;
    }
    if (swrite) {
        d->write_lo = ng_vk_buffer_address(swrite);
        d->write_hi = d->write_lo + swrite->size;
    }
}

static nngpu_status scratch(ng_context *c, ng_kernel *k, size_t floats, ng_buffer **out) {
    if (k->n_owned >= NG_VK_MAX_OWNED)
        return ng_error(NNGPU_ERR_INTERNAL, "node '%s': more than %d owned buffers",
                        k->node_name, NG_VK_MAX_OWNED);
    nngpu_status s = ng_vk_buffer_create(c, floats * sizeof(float), out);
    if (s != NNGPU_OK) return ng_error_context(s, "node '%s': Winograd scratch", k->node_name);
    k->owned[k->n_owned++] = *out;
    return NNGPU_OK;
}

/* One transform dispatch: stage 0 (x -> V) or 1 (M -> y). */
static nngpu_status add_transform(ng_context *c, ng_kernel *k, const ng_graph *g,
                                  const ng_node *n, const ng_binding *bind,
                                  const ng_vk_conv_gemm *v, const wino_tiles *t, int stage,
                                  ng_buffer *vbuf, ng_buffer *mbuf) {
    ng_buffer *buf[BIND_N + NG_VK_EPI_BINDINGS];
    wino_push push;
    memset(&push, 0, sizeof push);
    uint32_t off;
    push.C = stage == 0 ? v->C : v->K;
    push.H = stage == 0 ? v->H : v->OH;
    push.W = stage == 0 ? v->W : v->OW;
    push.TH = t->th; push.TW = t->tw; push.NT = (int32_t)t->nt; push.NTP = (int32_t)t->ntp;
    push.PT = v->PT; push.PL = v->PL;
    push.total = (int32_t)(push.C * t->ntp);
    if (stage == 0) {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[0], &off));
        push.src_off = (int32_t)off;
        buf[1] = vbuf;
    } else {
        buf[0] = mbuf;
        NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[1], &off));
        push.dst_off = (int32_t)off;
    }
    int has_bias = stage == 1 && v->bias >= 0;
    if (has_bias) {
        NG_CHECK(ng_vk_tensor_arg(c, k, g, v->bias, bind, &buf[2], &off));
        push.bias_off = (int32_t)off;
    } else {
        buf[2] = buf[0];
    }
    ng_params p;
    memset(&p, 0, sizeof p);
    int32_t spec[SPEC_N + NG_VK_EPI_SPECS];
    memset(spec, 0, sizeof spec);
    spec[0] = ng_vk_wg(c, &p, 64); spec[1] = stage; spec[2] = t->tile; spec[3] = has_bias;
    NG_CHECK(ng_vk_epilogue_args(c, k, g, stage == 1 ? n : NULL, bind, buf[0], spec + SPEC_N,
                                 buf + BIND_N, &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)push.total, (uint32_t)spec[0], groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "winograd", spec, SPEC_N + NG_VK_EPI_SPECS, buf,
                                BIND_N + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    if (stage == 0) narrow(c, k, g, bind, NULL, n->in[0], NULL, -1, vbuf);
    else narrow(c, k, g, bind, n, has_bias ? v->bias : -1, mbuf, n->out[0], NULL);
    return NNGPU_OK;
}

typedef struct wino_weights {
    const float *w;
    int K, C, tile;
} wino_weights;

/* The GEMMs' A: the transformed weights, written where the GEMM wants them. */
static void fill_weights(void *arg, float *dst, size_t stride, int pack) {
    const wino_weights *ww = arg;
    ng_winograd_weights_to(ww->w, ww->K, ww->C, ww->tile, dst, stride, pack);
}

nngpu_status ng_vk_winograd_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k, const ng_vk_conv_gemm *v,
                                 int tile) {
    const ng_tensor *wt = ng_in(g, n, 1);
    NG_CHECK(ng_winograd_check(k->node_name, tile, ng_vk_winograd_fits(v), "3x3 stride 1", wt));
    wino_tiles t = tiles_of(v, tile);
    size_t planes = (size_t)t.alpha * t.alpha * (size_t)t.ntp;
    ng_buffer *vbuf, *mbuf;
    NG_CHECK(scratch(c, k, planes * (size_t)v->C, &vbuf));
    NG_CHECK(scratch(c, k, planes * (size_t)v->K, &mbuf));
    NG_CHECK(add_transform(c, k, g, n, bind, v, &t, 0, vbuf, mbuf));

    wino_weights ww = {wt->data, v->K, v->C, tile};
    char recipe[64];
    snprintf(recipe, sizeof recipe, "winograd F(%d,3) K=%d C=%d", tile, v->K, v->C);
    ng_vk_gemm_batched gb = {v->K, (int)t.ntp, v->C, t.alpha * t.alpha, fill_weights, &ww,
                             {wt->data, (size_t)v->K * v->C * 9 * sizeof(float), recipe},
                             vbuf, mbuf};
    char sig[96];
    snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,B=%d", gb.M, gb.N, gb.K, gb.batch);
    int half = c->half; /* V and M are float32 in fp16 layers too: the float32 GEMM */
    c->half = 0;
    nngpu_status s = ng_vk_gemm_batched_add(c, k, &gb, "vk_conv_wino", sig);
    c->half = half;
    NG_CHECK(s);
    narrow(c, k, g, bind, NULL, -1, vbuf, -1, mbuf);

    NG_CHECK(add_transform(c, k, g, n, bind, v, &t, 1, vbuf, mbuf));
    ng_vk_kernel_name(k, n, tile == 2 ? "conv2d_winograd_f2" : "conv2d_winograd_f4");
    return NNGPU_OK;
}
