/* MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (NCHW, 2-D; 1-D
 * as H=1) from shaders/opencl/pool.cl. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cl_internal.h"
#include "cl_util.h"
#include "core/status.h"

typedef struct pool_geom {
    int planes, H, W, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW;
    int is_max, count_pad, global;
} pool_geom;

static int f32(const ng_tensor *t) { return t && t->dtype == NNGPU_DTYPE_FLOAT32 && t->rank >= 0; }

static int read_pair(const ng_node *n, const char *name, int sp, int64_t def, int64_t out[2]) {
    const int64_t *v;
    out[0] = out[1] = def;
    int cnt = ng_attr_ints(n, name, &v);
    if (cnt && cnt != sp) return 0;
    for (int i = 0; i < cnt; i++) out[2 - sp + i] = v[i];
    return 1;
}

static int pool_geom_of(const ng_graph *g, const ng_node *n, pool_geom *pg) {
    memset(pg, 0, sizeof *pg);
    pg->global = n->op == NG_OP_GLOBALAVGPOOL || n->op == NG_OP_GLOBALMAXPOOL;
    pg->is_max = n->op == NG_OP_MAXPOOL || n->op == NG_OP_GLOBALMAXPOOL;
    if (!pg->global && n->op != NG_OP_MAXPOOL && n->op != NG_OP_AVGPOOL) return 0;
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    if (!f32(x) || !f32(y) || x->rank != y->rank || ng_numel(x) > INT_MAX) return 0;
    if (n->n_out > 1 && n->out[1] >= 0) return 0; /* MaxPool indices */
    int r = x->rank;
    if (pg->global) {
        if (r < 3) return 0;
        int64_t plane = 1;
        for (int i = 2; i < r; i++) plane *= x->dims[i];
        pg->planes = (int)(x->dims[0] * x->dims[1]);
        pg->H = 1;
        pg->W = (int)plane;
        return ng_numel(y) == pg->planes && plane > 0;
    }
    if (r != 4 && r != 3) return 0;
    int sp = r - 2;
    pg->planes = (int)(x->dims[0] * x->dims[1]);
    pg->H = sp == 2 ? (int)x->dims[2] : 1;
    pg->W = (int)x->dims[r - 1];
    pg->OH = sp == 2 ? (int)y->dims[2] : 1;
    pg->OW = (int)y->dims[r - 1];
    if (y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1]) return 0;
    int64_t k[2], s[2], d[2], p[4] = {0, 0, 0, 0};
    const int64_t *v;
    if (!read_pair(n, "kernel_shape", sp, 1, k) || ng_attr_ints(n, "kernel_shape", &v) != sp)
        return 0;
    if (!read_pair(n, "strides", sp, 1, s) || !read_pair(n, "dilations", sp, 1, d)) return 0;
    if (!pg->is_max && (d[0] != 1 || d[1] != 1)) return 0;
    int cnt = ng_attr_ints(n, "pads", &v);
    if (cnt && cnt != 2 * sp) return 0;
    if (cnt == 4) {
        p[0] = v[0]; p[1] = v[1]; p[2] = v[2]; p[3] = v[3];
    } else if (cnt == 2) {
        p[1] = v[0]; p[3] = v[1];
    }
    int ceil_mode = (int)ng_attr_int(n, "ceil_mode", 0);
    const char *ap = ng_attr_string(n, "auto_pad", "NOTSET");
    int in[2] = {pg->H, pg->W}, out[2] = {pg->OH, pg->OW};
    for (int i = 0; i < 2; i++) {
        if (k[i] < 1 || s[i] < 1 || d[i] < 1) return 0;
        int64_t span = (k[i] - 1) * d[i] + 1;
        if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
            int64_t total = (out[i] - 1) * s[i] + span - in[i];
            if (total < 0) total = 0;
            p[i] = ap[5] == 'U' ? total / 2 : total - total / 2;
            p[i + 2] = total - p[i];
        } else if (strcmp(ap, "VALID") == 0) {
            p[i] = p[i + 2] = 0;
        } else if (strcmp(ap, "NOTSET") != 0) {
            return 0;
        } else {
            int64_t room = in[i] + p[i] + p[i + 2] - span;
            if (room < 0 || p[i] < 0 || p[i + 2] < 0) return 0;
            int64_t o = (ceil_mode ? (room + s[i] - 1) / s[i] : room / s[i]) + 1;
            /* ceil_mode: the last window must start inside input or left pad. */
            if (ceil_mode && (o - 1) * s[i] >= in[i] + p[i]) o--;
            if (o != out[i]) return 0;
        }
    }
    pg->KH = (int)k[0]; pg->KW = (int)k[1]; pg->SH = (int)s[0]; pg->SW = (int)s[1];
    pg->DH = (int)d[0]; pg->DW = (int)d[1];
    pg->PT = (int)p[0]; pg->PL = (int)p[1]; pg->PB = (int)p[2]; pg->PR = (int)p[3];
    pg->count_pad = (int)ng_attr_int(n, "count_include_pad", 0);
    return pg->OH > 0 && pg->OW > 0;
}

static int pool_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    pool_geom pg;
    if (!pool_geom_of(g, n, &pg)) return 0;
    return ng_cl_epilogue_supported(g, n);
}

static nngpu_status pool_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    pool_geom pg;
    if (!pool_geom_of(g, n, &pg))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s attributes not supported by opencl",
                        k->node_name, ng_op_name(n->op));
    int gpu = strcmp(c->info.device_type, "gpu") == 0;
    ng_params p;
    memset(&p, 0, sizeof p);
    char sig[160];
    if (pg.global) {
        ng_params_set(&p, "LWS", gpu ? (pg.W >= 64 ? 64 : 1) : (pg.W >= 16384 ? 16 : 1));
        snprintf(sig, sizeof sig, "planes=%d,size=%d,max=%d", pg.planes, pg.W, pg.is_max);
    } else {
        snprintf(sig, sizeof sig, "planes=%d,H=%d,W=%d,k=%dx%d,s=%dx%d,max=%d", pg.planes, pg.H,
                 pg.W, pg.KH, pg.KW, pg.SH, pg.SW, pg.is_max);
    }
    ng_params_lookup(&c->info, c->opts.tuning_db, pg.global ? "global_pool" : "pool", sig, &p);
    k->params_source = p.source;
    int lws = ng_params_get(&p, "LWS", 1);
    if (pg.global && (lws < 1 || (lws & (lws - 1)) || (size_t)lws > c->info.max_work_group_size))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad pool parameter LWS=%d", k->node_name, lws);

    char popts[200], opts[300];
    ng_cl_params_options(&p, popts, sizeof popts);
    snprintf(opts, sizeof opts, "%s -DIS_MAX=%d -DCOUNT_PAD=%d -DNG_EPI=%d", popts, pg.is_max,
             pg.count_pad, n->n_epi > 0);
    const char *kname = pg.global ? "global_pool" : "pool2d";
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
        ARG(total);
        l->global[0] = (size_t)total;
        l->use_local = 0;
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
