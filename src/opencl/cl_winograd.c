/* Winograd F(2,3) / F(4,3) for 3x3 stride-1 convolutions: three launches,
 * shaders/opencl/winograd.cl's data transform into scratch V
 * [alpha^2][C][tiles], the batched tiled GEMM of gemm.cl (alpha^2 products
 * U[xi] (K x C) x V[xi] into scratch M [alpha^2][K][tiles]) and the output
 * transform with bias and the fused epilogue. Tiles cover all images,
 * padded to a multiple of 16 (the GEMM's float16 rows on CPUs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_gemm.h"
#include "cl_util.h"
#include "cl_winograd.h"
#include "core/status.h"
#include "runtime/winograd.h"

enum { TILE_PAD = 16 };

static ng_winograd_tiles tiles_of(const ng_conv_geom *cg, int tile) {
    return ng_winograd_tiles_of(cg->N, cg->OH, cg->OW, tile, TILE_PAD);
}

int ng_cl_winograd_fits(const ng_context *c, const ng_conv_geom *cg) {
    return !c->half && cg->G == 1 &&
           ng_winograd_fits(cg->N, cg->C, cg->H, cg->W, cg->K, cg->OH, cg->OW, cg->KH, cg->KW,
                            cg->SH, cg->SW, cg->DH, cg->DW, TILE_PAD);
}

int ng_cl_winograd_default(const ng_context *c, const ng_conv_geom *cg) {
    if (strcmp(c->info.device_type, "gpu") == 0) return 0; /* not measured on GPUs */
    /* Measured on POCL (bench/README.md): with 128 channels and more F(4,3)
     * is up to 1.4x faster than the direct or im2col kernels on 14x14 to
     * 56x56 maps (2.2x at 256); with 64 or fewer its three launches lose
     * (0.5-0.9x) unless the layer is large (64 -> 64 or 128 at 112x112: 1.1-1.25x);
     * F(2,3) where F(4,3)'s GEMMs would get fewer than 16 columns (tiles): 7x7 maps */
    double macs = 9.0 * cg->N * cg->C * cg->K * cg->OH * cg->OW;
    if ((cg->C < 96 || cg->K < 96) && macs < 3e8) return 0;
    return tiles_of(cg, 4).nt >= 16 ? 4 : 2;
}

/* winograd.cl's geometry argument for stage 0 (input) or 1 (output). */
static nngpu_status geometry(ng_context *c, ng_kernel *k, const ng_conv_geom *cg,
                             const ng_winograd_tiles *t, int stage, cl_mem *out) {
    cl_int gm[9] = {stage ? cg->K : cg->C, stage ? cg->OH : cg->H, stage ? cg->OW : cg->W,
                    t->th, t->tw, (cl_int)t->nt, (cl_int)t->ntp, cg->PT, cg->PL};
    return ng_cl_meta_upload(c, k, gm, sizeof gm, out);
}

/* A transform launch (stage 0: input, 1: output) over (tile, channel)
 * work-items, its arguments begun with the geometry. */
static nngpu_status transform_launch(ng_context *c, ng_kernel *k, const ng_conv_geom *cg,
                                     const ng_winograd_tiles *t, int stage, const char *opts,
                                     ng_cl_args *a) {
    cl_mem geom;
    NG_CHECK(geometry(c, k, cg, t, stage, &geom));
    cl_kernel kern;
    NG_CHECK(ng_cl_launch_add(c, k, "winograd.cl", stage ? "winograd_output" : "winograd_input",
                              opts, (size_t)(stage ? t->nt : t->ntp), 0, &kern));
    ng_cl_launch *l = &k->launch[k->n_launches - 1];
    l->dims = 2;
    l->global[1] = (size_t)(stage ? cg->K : cg->C);
    ng_cl_args_begin(a, kern, k->node_name);
    ng_cl_arg_mem(a, geom);
    return NNGPU_OK;
}

static nngpu_status add_input_transform(ng_context *c, const ng_graph *g, const ng_node *n,
                                        const ng_binding *bind, ng_kernel *k,
                                        const ng_conv_geom *cg, const ng_winograd_tiles *t,
                                        const char *opts, cl_mem v) {
    ng_cl_args a;
    NG_CHECK(transform_launch(c, k, cg, t, 0, opts, &a));
    ng_cl_arg_tensor(&a, c, k, g, n->in[0], bind);
    ng_cl_arg_mem(&a, v);
    return a.status;
}

static nngpu_status add_output_transform(ng_context *c, const ng_graph *g, const ng_node *n,
                                         const ng_binding *bind, ng_kernel *k,
                                         const ng_conv_geom *cg, const ng_winograd_tiles *t,
                                         const char *opts, cl_mem m) {
    ng_cl_args a;
    NG_CHECK(transform_launch(c, k, cg, t, 1, opts, &a));
    ng_cl_arg_mem(&a, m);
    if (cg->bias >= 0) {
        ng_cl_arg_tensor(&a, c, k, g, cg->bias, bind);
    } else {
        ng_cl_arg_mem(&a, m); /* unread (HAS_BIAS=0) */
        ng_cl_arg_int(&a, 0);
    }
    ng_cl_arg_tensor(&a, c, k, g, n->out[0], bind);
    ng_cl_arg_epilogue(&a, c, k, g, n, bind);
    return a.status;
}

nngpu_status ng_cl_winograd_conv(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k, const ng_conv_geom *cg,
                                 int tile) {
    const ng_tensor *wt = ng_in(g, n, 1);
    NG_CHECK(ng_winograd_check(k->node_name, tile, ng_cl_winograd_fits(c, cg),
                               "3x3 stride 1, ungrouped, fp32", wt));
    ng_winograd_tiles t = tiles_of(cg, tile);
    size_t planes = (size_t)t.alpha * t.alpha * (size_t)t.ntp;
    cl_mem v, m, u;
    NG_CHECK(ng_cl_alloc_owned(c, k, planes * (size_t)cg->C * sizeof(float), &v));
    NG_CHECK(ng_cl_alloc_owned(c, k, planes * (size_t)cg->K * sizeof(float), &m));
    float *uw = ng_winograd_weights(wt->data, cg->K, cg->C, tile);
    if (!uw) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", k->node_name);
    nngpu_status st = ng_cl_upload_floats(c, k, uw, sizeof(float) * (size_t)t.alpha * t.alpha *
                                                        (size_t)cg->K * (size_t)cg->C, &u);
    free(uw);
    NG_CHECK(st);

    char eopts[1024], opts[1200];
    ng_cl_epilogue_options(g, n, eopts, sizeof eopts);
    snprintf(opts, sizeof opts, "-DTILE=%d -DHAS_BIAS=%d %s", tile, cg->bias >= 0, eopts);
    char iopts[64];
    snprintf(iopts, sizeof iopts, "-DTILE=%d -DNG_EPI=0", tile);
    NG_CHECK(add_input_transform(c, g, n, bind, k, cg, &t, iopts, v));
    NG_CHECK(ng_cl_gemm_scratch(c, k, cg->K, (int)t.ntp, cg->C, t.alpha * t.alpha, u, v, m));
    NG_CHECK(add_output_transform(c, g, n, bind, k, cg, &t, opts, m));
    ng_cl_kernel_name(k, n, tile == 2 ? "conv2d_winograd_f2" : "conv2d_winograd_f4");
    return NNGPU_OK;
}
