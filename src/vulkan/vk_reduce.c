/* The reduce family: ReduceSum / Mean / Max / Min / Prod / L1 / L2 /
 * SumSquare / LogSumExp over any axes
 * (shaders/vulkan/reduce.comp). The input is collapsed to groups of
 * neighbouring dims that are all kept or all reduced; one reduced group runs
 * as (outer, len, inner), more as generic. */
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_KIND, SPEC_RED, EPI_SPEC = 3 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 3 };
enum { KIND_ROWS, KIND_STRIDED, KIND_GENERIC };

typedef struct reduce_push {
    uint32_t y_off, x_off, outer, len, inner, n_out, nk, nr;
    ng_vk_epi_push epi;
} reduce_push;

typedef struct reduce_view {
    int n;                 /* groups */
    int64_t size[NNGPU_MAX_DIMS], stride[NNGPU_MAX_DIMS];
    int reduced[NNGPU_MAX_DIMS];
    int64_t len;           /* reduced elements per output */
} reduce_view;

/* 0 when the axes are not constant or out of range. */
static int reduce_view_of(const ng_graph *g, const ng_node *n, reduce_view *v) {
    const ng_tensor *x = ng_in(g, n, 0);
    int64_t axes[NNGPU_MAX_DIMS];
    int na = ng_node_ints(g, n, "axes", 1, axes, NNGPU_MAX_DIMS);
    if (na < 0) return 0;
    int mask[NNGPU_MAX_DIMS] = {0};
    if (na == 0 && !ng_attr_int(n, "noop_with_empty_axes", 0))
        for (int k = 0; k < x->rank; k++) mask[k] = 1;
    for (int j = 0; j < na; j++) {
        int a = ng_axis(axes[j], x->rank);
        if (a < 0) return 0;
        mask[a] = 1;
    }
    memset(v, 0, sizeof *v);
    v->len = 1;
    for (int k = 0; k < x->rank; k++) {
        if (mask[k]) v->len *= x->dims[k];
        if (x->dims[k] == 1) continue;
        if (v->n > 0 && v->reduced[v->n - 1] == mask[k]) {
            v->size[v->n - 1] *= x->dims[k];
        } else {
            v->size[v->n] = x->dims[k];
            v->reduced[v->n++] = mask[k];
        }
    }
    int64_t s = 1;
    for (int k = v->n - 1; k >= 0; k--) {
        v->stride[k] = s;
        s *= v->size[k];
    }
    return 1;
}

/* reduce.comp's RED code of an op; -1 for other ops. */
static int red_code(ng_op op) {
    switch (op) {
    case NG_OP_REDUCESUM: return 0;
    case NG_OP_REDUCEMEAN: return 1;
    case NG_OP_REDUCEMAX: return 2;
    case NG_OP_REDUCEMIN: return 3;
    case NG_OP_REDUCEPROD: return 4;
    case NG_OP_REDUCEL1: return 5;
    case NG_OP_REDUCEL2: return 6;
    case NG_OP_REDUCESUMSQUARE: return 7;
    case NG_OP_REDUCELOGSUMEXP: return 8;
    default: return -1;
    }
}

static int reduce_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    reduce_view v;
    const ng_tensor *x = ng_in(g, n, 0);
    return red_code(n->op) >= 0 && ng_vk_float_tensor_ok(x) && ng_numel(x) > 0 &&
           ng_vk_float_tensor_ok(ng_out(g, n, 0)) && reduce_view_of(g, n, &v) &&
           ng_numel(ng_out(g, n, 0)) * v.len == ng_numel(x) && ng_vk_epilogue_supported(g, n);
}

static nngpu_status reduce_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                   const ng_binding *bind, ng_kernel *k) {
    reduce_view v;
    if (!reduce_view_of(g, n, &v))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': reduce axes must be constant and in range",
                        n->name);
    int n_red = 0, first = -1;
    for (int j = 0; j < v.n; j++)
        if (v.reduced[j] && (j == 0 || !v.reduced[j - 1])) {
            n_red++;
            if (first < 0) first = j;
        }
    int64_t outer = 1, inner = 1;
    for (int j = 0; j < v.n; j++) {
        if (v.reduced[j]) continue;
        if (first < 0 || j < first) outer *= v.size[j];
        else inner *= v.size[j];
    }
    int64_t n_out = ng_numel(ng_out(g, n, 0));

    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    ng_params_set(&p, "ROWS_MIN_LEN", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lldx%lld", (long long)outer, (long long)v.len, (long long)inner);
    ng_params_lookup(&c->info, c->opts.tuning_db, "reduce", sig, &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);
    int kind = n_red == 1 && inner == 1 && v.len >= ng_params_get(&p, "ROWS_MIN_LEN", 64) && wg > 1
                   ? KIND_ROWS
               : n_red <= 1 ? KIND_STRIDED
                            : KIND_GENERIC;
    static const char *names[] = {"reduce_rows", "reduce_strided", "reduce_generic"};
    ng_vk_kernel_name(k, n, names[kind]);
    if (n_out == 0) return NNGPU_OK;

    int32_t spec[N_SPEC] = {0};
    reduce_push push = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_KIND] = kind;
    spec[SPEC_RED] = red_code(n->op);
    push.outer = (uint32_t)outer;
    push.len = (uint32_t)v.len;
    push.inner = (uint32_t)inner;
    push.n_out = (uint32_t)n_out;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.x_off));
    buf[2] = buf[0];
    if (kind == KIND_GENERIC) { /* kept dims, strides; reduced dims, strides */
        int32_t meta[32] = {0};
        int nk = 0, nr = 0;
        for (int j = 0; j < v.n; j++) {
            if (v.reduced[j]) {
                meta[16 + nr] = (int32_t)v.size[j];
                meta[24 + nr++] = (int32_t)v.stride[j];
            } else {
                meta[nk] = (int32_t)v.size[j];
                meta[8 + nk++] = (int32_t)v.stride[j];
            }
        }
        push.nk = (uint32_t)nk;
        push.nr = (uint32_t)nr;
        NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &buf[2]));
    }
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, kind == KIND_ROWS ? (uint64_t)n_out * (uint64_t)wg : (uint64_t)n_out,
                    (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "reduce", spec, N_SPEC, buf,
                                EPI_BINDING + NG_VK_EPI_BINDINGS, &push, sizeof push, groups));
    int reads[1 + NG_MAX_EPI] = {n->in[0]};
    int n_reads = 1 + ng_vk_epilogue_reads(n, reads + 1);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_reduce = {"reduce", reduce_supports, reduce_prepare};
