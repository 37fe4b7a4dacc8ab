/* The norm family: LayerNormalization (with its Mean / InvStdDev outputs),
 * InstanceNormalization and GroupNormalization as rows, a work-group each
 * (src/runtime/norm_plan.h: scale / bias read in place where their shape
 * allows, else constants uploaded expanded), and LRN
 * across channels (shaders/vulkan/norm.comp). */
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "runtime/norm_plan.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_KIND, SPEC_STATS, EPI_SPEC = 3 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 6 };
enum { KIND_ROWS, KIND_LRN };

typedef struct norm_push {
    uint32_t y_off, x_off;
    uint32_t rows, len, R, CG, SP;
    float eps;
    uint32_t s_off, s_div, b_off, b_div, mean_off, inv_off;
    uint32_t total, C, lo, hi;
    float alpha_n, beta, k;
    ng_vk_epi_push epi;
} norm_push;

static int lrn_supports(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0);
    return ng_vk_float_tensor_ok(x) && ng_vk_float_tensor_ok(ng_out(g, n, 0)) && x->rank >= 2 &&
           ng_numel(x) == ng_numel(ng_out(g, n, 0)) && ng_attr_int(n, "size", 0) >= 1 &&
           ng_attr_int(n, "size", 0) < (1 << 30) && ng_vk_epilogue_supported(g, n);
}

static int norm_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (n->op == NG_OP_LRN) return lrn_supports(g, n);
    if (n->op != NG_OP_LAYERNORM && n->op != NG_OP_INSTANCENORM && n->op != NG_OP_GROUPNORM) return 0;
    ng_norm_plan p;
    const ng_tensor *x = ng_in(g, n, 0);
    if (!ng_vk_float_tensor_ok(x) || !ng_vk_float_tensor_ok(ng_out(g, n, 0)) ||
        ng_numel(x) != ng_numel(ng_out(g, n, 0)) || !ng_norm_plan_of(g, n, &p) || p.len <= 0)
        return 0;
    for (int i = 1; i < n->n_out; i++) /* LayerNorm Mean / InvStdDev: one per row */
        if (n->out[i] >= 0 && (n->op != NG_OP_LAYERNORM || i > 2 || n->n_epi ||
                               !ng_vk_float_tensor_ok(ng_out(g, n, i)) ||
                               ng_numel(ng_out(g, n, i)) != p.rows))
            return 0;
    for (int i = 1; i < 3 && i < n->n_main_inputs; i++) {
        const ng_tensor *t = ng_in(g, n, i);
        int64_t div;
        if (t && !t->data && !ng_norm_param_direct(g, n, i, &p, &div)) return 0;
    }
    return ng_in(g, n, 1) && ng_vk_epilogue_supported(g, n);
}

/* The dispatch shared by both kinds; push holds the kind's fields. extra:
 * the scale, bias, Mean and InvStdDev buffers (NULL: unused, x's bound);
 * reads: the tensors read besides x; stats: bit 0 Mean, bit 1 InvStdDev
 * written. */
static nngpu_status norm_dispatch(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k, int kind, int wg,
                                  uint64_t items, ng_buffer *const *extra, const int *reads_in,
                                  int n_reads_in, int stats, norm_push *push) {
    int32_t spec[N_SPEC] = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_KIND] = kind;
    spec[SPEC_STATS] = stats;
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push->y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push->x_off));
    for (int i = 0; i < 4; i++) buf[2 + i] = extra && extra[i] ? extra[i] : buf[1];
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push->epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, items, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "norm", spec, N_SPEC, buf, EPI_BINDING + NG_VK_EPI_BINDINGS,
                                push, sizeof *push, groups));
    if (stats) return NNGPU_OK; /* three outputs: every binding counts as written */
    int reads[3 + NG_MAX_EPI] = {n->in[0]}, n_reads = 1;
    for (int i = 0; i < n_reads_in; i++) reads[n_reads++] = reads_in[i];
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

/* Scale (i 1) or bias (i 2) into extra[i - 1]: read in place when its shape
 * allows (a device tensor), else a constant uploaded expanded (a missing
 * bias: zeros). */
static nngpu_status norm_param(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k, const ng_norm_plan *p, int i,
                               ng_buffer **extra, uint32_t *off, uint32_t *div, int *reads,
                               int *n_reads) {
    int present = i < n->n_main_inputs && n->in[i] >= 0;
    int64_t d = 1;
    if (present && !ng_in(g, n, i)->data) {
        if (!ng_norm_param_direct(g, n, i, p, &d))
            return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': %s shape not supported", n->name,
                            i == 1 ? "scale" : "bias");
        *div = (uint32_t)d;
        reads[(*n_reads)++] = n->in[i];
        return ng_vk_tensor_arg(c, k, g, n->in[i], bind, &extra[i - 1], off);
    }
    float *v = ng_norm_param_expand(g, n, present ? i : -1, p);
    if (!v) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", n->name);
    nngpu_status st = ng_vk_upload(c, k, v, sizeof(float) * (size_t)(p->n_par ? p->n_par : 1),
                                   &extra[i - 1]);
    free(v);
    *off = 0;
    *div = 1;
    return st;
}

static nngpu_status lrn_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *x = ng_in(g, n, 0);
    int64_t size = ng_attr_int(n, "size", 1), sp = 1, total = ng_numel(x);
    for (int i = 2; i < x->rank; i++) sp *= x->dims[i];
    ng_vk_kernel_name(k, n, "lrn");
    if (total == 0) return NNGPU_OK;
    ng_params prm = {0};
    ng_params_set(&prm, "WG", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lldx%lld:%lld", (long long)(total / (x->dims[1] * sp)),
             (long long)x->dims[1], (long long)sp, (long long)size);
    ng_params_lookup(&c->info, c->opts.tuning_db, "lrn", sig, &prm);
    k->params_source = prm.source;
    norm_push push = {0};
    push.total = (uint32_t)total;
    push.C = (uint32_t)x->dims[1];
    push.SP = (uint32_t)sp;
    push.lo = (uint32_t)((size - 1) / 2);
    push.hi = (uint32_t)(size - 1 - (size - 1) / 2);
    push.alpha_n = ng_attr_float(n, "alpha", 1e-4f) / (float)size;
    push.beta = ng_attr_float(n, "beta", 0.75f);
    push.k = ng_attr_float(n, "bias", 1.0f);
    int wg = ng_vk_wg(c, &prm, 64);
    return norm_dispatch(c, g, n, bind, k, KIND_LRN, wg, (uint64_t)total, NULL, NULL, 0, 0,
                         &push);
}

static nngpu_status norm_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                 const ng_binding *bind, ng_kernel *k) {
    if (n->op == NG_OP_LRN) return lrn_prepare(c, g, n, bind, k);
    ng_norm_plan p;
    if (!ng_norm_plan_of(g, n, &p))
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad normalization parameters", n->name);
    ng_vk_kernel_name(k, n, n->op == NG_OP_LAYERNORM       ? "layernorm"
                            : n->op == NG_OP_INSTANCENORM ? "instancenorm"
                                                          : "groupnorm");
    ng_params prm = {0};
    ng_params_set(&prm, "WG", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%lldx%lld", (long long)p.rows, (long long)p.len);
    ng_params_lookup(&c->info, c->opts.tuning_db, "norm", sig, &prm);
    k->params_source = prm.source;
    int wg = ng_vk_wg(c, &prm, 64);
    while (wg > 1 && wg / 2 >= p.len) wg >>= 1; /* short rows: a smaller group */
    if (p.rows == 0) return NNGPU_OK;

    norm_push push = {0};
    ng_buffer *extra[4] = {NULL, NULL, NULL, NULL};
    int reads[2], n_reads = 0, stats = 0;
    NG_CHECK(norm_param(c, g, n, bind, k, &p, 1, extra, &push.s_off, &push.s_div, reads, &n_reads));
    NG_CHECK(norm_param(c, g, n, bind, k, &p, 2, extra, &push.b_off, &push.b_div, reads, &n_reads));
    for (int i = 1; i < 3 && i < n->n_out; i++) {
        if (n->out[i] < 0) continue;
        stats |= i;
        NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[i], bind, &extra[1 + i],
                                  i == 1 ? &push.mean_off : &push.inv_off));
    }
    push.rows = (uint32_t)p.rows;
    push.len = (uint32_t)p.len;
    push.R = (uint32_t)p.R;
    push.CG = (uint32_t)p.CG;
    push.SP = (uint32_t)p.SP;
    push.eps = ng_attr_float(n, "epsilon", 1e-5f);
    return norm_dispatch(c, g, n, bind, k, KIND_ROWS, wg, (uint64_t)p.rows * (uint64_t)wg, extra,
                         reads, n_reads, stats, &push);
}

const ng_vk_family ng_vk_family_norm = {"norm", norm_supports, norm_prepare};
