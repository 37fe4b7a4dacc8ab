/* MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (NCHW, 2-D; 1-D
 * as H=1) from shaders/opencl/pool.cl. */
#include <stdio.h>
#include <string.h>

#include "cl_internal.h"
#include "cl_util.h"
#include "core/status.h"
#include "runtime/lower_pool.h"

static int pool_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    return ng_pool_supported(g, n) && ng_cl_epilogue_supported(g, n);
}

static nngpu_status pool_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    ng_pool_geom pg;
    NG_CHECK(ng_pool_lower(g, n, k->node_name, "opencl", &pg));
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    ng_params p;
    memset(&p, 0, sizeof p);
    char sig[160];
    ng_pool_signature(&pg, sig, sizeof sig);
    /* CPUs, square windows up to 7, stride 1 or 2, no dilation: whole rows of
     * pixel vectors per work-item (pool2d_rows; one output per work-item was
     * 5-20x slower on POCL), vectors as wide as the row's interior allows. */
    int fixed = !pg.global && pg.KH == pg.KW && pg.KH <= 7 && pg.SH == pg.SW && pg.SH <= 2 &&
                pg.DH == 1 && pg.DW == 1;
    if (pg.global) {
        ng_params_set(&p, "LWS", gpu ? (pg.W >= 64 ? 64 : 1) : (pg.W >= 16384 ? 16 : 1));
    } else if (fixed) {
        int vec = ng_cl_row_vec(ng_cl_row_interior(pg.W, pg.PL, pg.KW, pg.SW, pg.OW));
        int rows = 128 / (pg.OW > 0 ? pg.OW : 1);
        ng_params_set(&p, "POOL_ROWS", gpu ? 0 : rows < 1 ? 1 : rows > pg.OH ? pg.OH : rows);
        ng_params_set(&p, "POOL_VEC", vec ? vec : 4); /* short rows: all columns scalar */
    }
    ng_params_lookup(&c->info, c->opts.tuning_db, pg.global ? "global_pool" : "pool", sig, &p);
    k->params_source = p.source;
    int lws = ng_params_get(&p, "LWS", 1);
    if (pg.global && (lws < 1 || (lws & (lws - 1)) || (size_t)lws > c->info.max_work_group_size))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad pool parameter LWS=%d", k->node_name, lws);

    int rows = fixed ? ng_params_get(&p, "POOL_ROWS", 0) : 0, vec = ng_params_get(&p, "POOL_VEC", 4);
    if (rows < 0 || (rows && vec != 4 && vec != 8 && vec != 16))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad pool parameters POOL_ROWS=%d POOL_VEC=%d",
                        k->node_name, rows, vec);
    char popts[200], opts[360];
    ng_cl_params_options(&p, popts, sizeof popts);
    snprintf(opts, sizeof opts, "%s -DIS_MAX=%d -DCOUNT_PAD=%d -DNG_EPI=%d", popts, pg.is_max,
             pg.count_pad, n->n_epi > 0);
    if (rows)
        snprintf(opts + strlen(opts), sizeof opts - strlen(opts), " -DPOOL_K=%d -DPOOL_S=%d", pg.KH,
                 pg.SH);
    const char *kname = pg.global ? "global_pool" : rows ? "pool2d_rows" : "pool2d";
    cl_kernel kern;
    NG_CHECK(ng_cl_kernel_create(c, "pool.cl", kname, opts, &kern));
    ng_cl_launch *l = &k->launch[k->n_launches++];
    l->kernel = kern;
    cl_mem x, y, geom;
    cl_int xo, yo;
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->in[0], bind, &x, &xo));
    NG_CHECK(ng_cl_tensor_arg(c, k, g, n->out[0], bind, &y, &yo));
    cl_uint i = 0;
    const char *nm = k->node_name;
#define ARG(v) NG_CHECK(ng_cl_set_arg(kern, i++, sizeof(v), &(v), nm))
    l->dims = 1;
    if (pg.global) {
        cl_int size = pg.W;
        ARG(size);
        l->global[0] = (size_t)pg.planes * (size_t)lws;
        l->local[0] = (size_t)lws;
        l->use_local = 1;
    } else {
        cl_int gm[14] = {pg.H, pg.W, pg.OH, pg.OW, pg.KH, pg.KW, pg.SH,
                         pg.SW, pg.PT, pg.PL, pg.PB, pg.PR, pg.DH, pg.DW};
        NG_CHECK(ng_cl_meta_upload(c, k, gm, sizeof gm, &geom));
        cl_int total = pg.planes * pg.OH * pg.OW;
        ARG(geom);
        if (rows) {
            ng_cl_launch_plane_rows(c, l, pg.OH, rows, (size_t)pg.planes);
        } else {
            ARG(total);
            l->global[0] = (size_t)total;
            l->use_local = 0;
        }
    }
    ARG(x); ARG(xo); ARG(y); ARG(yo);
#undef ARG
    NG_CHECK(ng_cl_epilogue_args(c, k, g, n, bind, kern, i));
    snprintf(k->name, sizeof k->name, "%s_%s", pg.global ? "global_pool" : "pool2d",
             pg.is_max ? "max" : "avg");
    ng_cl_epilogue_name(n, k->name, sizeof k->name);
    return NNGPU_OK;
}

const ng_cl_family ng_cl_family_pool = {"pool", pool_supports, pool_prepare};
