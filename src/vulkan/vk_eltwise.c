/* The eltwise family: every elementwise unary/binary op (plus two-input
 * Max/Min, Floor, Ceil) with NumPy broadcasting and the fused epilogue
 * (shaders/vulkan/eltwise.comp). */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "core/status.h"
#include "vk_util.h"

enum { SPEC_WG, SPEC_OP, SPEC_BINARY, SPEC_MODE_A, SPEC_MODE_B, SPEC_P0, SPEC_P1, EPI_SPEC = 8 };
enum { N_SPEC = EPI_SPEC + NG_VK_EPI_SPECS, EPI_BINDING = 4 };

typedef struct eltwise_push {
    uint32_t y_off, a_off, b_off, n;
    uint32_t inner_a, count_a, inner_b, count_b;
    ng_vk_epi_push epi;
} eltwise_push;

static int is_eltwise(const ng_node *n) {
    switch (ng_op_kind_of(n->op)) {
    case NG_KIND_ELTWISE_UNARY:
    case NG_KIND_ELTWISE_BINARY: return 1;
    default: return n->op == NG_OP_MAX || n->op == NG_OP_MIN || n->op == NG_OP_FLOOR ||
                    n->op == NG_OP_CEIL;
    }
}

/* The unary op's parameters; 0 when they come from non-constant inputs. */
static int unary_params(const ng_graph *g, const ng_node *n, float *p0, float *p1) {
    *p0 = *p1 = 0.0f;
    switch (n->op) {
    case NG_OP_LEAKYRELU: *p0 = ng_attr_float(n, "alpha", 0.01f); return 1;
    case NG_OP_ELU: *p0 = ng_attr_float(n, "alpha", 1.0f); return 1;
    case NG_OP_SELU:
        *p0 = ng_attr_float(n, "alpha", 1.67326319217681884765625f);
        *p1 = ng_attr_float(n, "gamma", 1.05070102214813232421875f);
        return 1;
    case NG_OP_GELU: *p0 = ng_attr_string(n, "approximate", "none")[0] == 't'; return 1;
    case NG_OP_HARDSIGMOID:
        *p0 = ng_attr_float(n, "alpha", 0.2f);
        *p1 = ng_attr_float(n, "beta", 0.5f);
        return 1;
    case NG_OP_CLIP:
        if (n->opset < 11) {
            *p0 = ng_attr_float(n, "min", -FLT_MAX);
            *p1 = ng_attr_float(n, "max", FLT_MAX);
            return 1;
        }
        *p0 = -INFINITY;
        *p1 = INFINITY;
        for (int j = 1; j <= 2; j++) {
            const ng_tensor *t = ng_in(g, n, j);
            if (!t || j >= n->n_main_inputs) continue;
            if (!t->data || ng_numel(t) != 1) return 0;
            float v = (float)ng_const_double(t, 0);
            if (j == 1) *p0 = v;
            else *p1 = v;
        }
        return 1;
    default: return 1;
    }
}

static int n_operands(const ng_node *n) {
    return ng_vk_opcode_is_binary(ng_vk_opcode_of(n->op)) ? 2 : 1;
}

static int eltwise_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    (void)c;
    if (!is_eltwise(n) || ng_vk_opcode_of(n->op) == NG_VK_OP_NONE) return 0;
    const ng_tensor *y = ng_out(g, n, 0);
    if (!ng_vk_float_tensor_ok(y) || !ng_vk_epilogue_supported(g, n)) return 0;
    int nin = n_operands(n);
    if (nin == 2 && n->n_main_inputs != 2) return 0;
    for (int j = 0; j < nin; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        ng_bcast b;
        if (!ng_vk_float_tensor_ok(t) || !ng_bcast_plan(y->rank, y->dims, t->rank, t->dims, &b))
            return 0;
    }
    float p0, p1;
    return unary_params(g, n, &p0, &p1);
}

static nngpu_status eltwise_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                    const ng_binding *bind, ng_kernel *k) {
    const ng_tensor *y = ng_out(g, n, 0);
    int nin = n_operands(n);
    ng_bcast bc[2];
    for (int j = 0; j < nin; j++) {
        const ng_tensor *t = ng_in(g, n, j);
        if (!ng_bcast_plan(y->rank, y->dims, t->rank, t->dims, &bc[j]))
            return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': input '%s' does not broadcast to '%s'",
                            n->name, t->name, y->name);
    }
    float p0, p1;
    if (!unary_params(g, n, &p0, &p1))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Clip bounds must be constant scalars",
                        n->name);
    int64_t total = ng_numel(y);
    char base[48];
    snprintf(base, sizeof base, "eltwise_%s", ng_op_name(n->op));
    for (char *s = base; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
    ng_vk_kernel_name(k, n, base);
    if (total == 0) return NNGPU_OK;

    ng_params p = {0};
    ng_params_set(&p, "WG", 64);
    char sig[64];
    snprintf(sig, sizeof sig, "%s:%lld", ng_op_name(n->op), (long long)total);
    ng_params_lookup(&c->info, c->opts.tuning_db, "eltwise", sig, &p);
    k->params_source = p.source;
    int wg = ng_vk_wg(c, &p, 64);

    int32_t spec[N_SPEC] = {0};
    eltwise_push push = {0};
    ng_buffer *buf[EPI_BINDING + NG_VK_EPI_BINDINGS];
    spec[SPEC_WG] = wg;
    spec[SPEC_OP] = ng_vk_opcode_of(n->op);
    spec[SPEC_BINARY] = nin == 2;
    spec[SPEC_P0] = ng_vk_float_bits(p0);
    spec[SPEC_P1] = ng_vk_float_bits(p1);
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->out[0], bind, &buf[0], &push.y_off));
    NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[0], bind, &buf[1], &push.a_off));
    buf[2] = buf[1];
    if (nin == 2) NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[1], bind, &buf[2], &push.b_off));
    buf[3] = buf[0];
    int generic = 0;
    for (int j = 0; j < nin; j++) {
        int mode = ng_vk_bcast_mode(&bc[j]);
        spec[SPEC_MODE_A + j] = mode;
        generic |= mode == NG_VK_IDX_GENERIC;
    }
    push.inner_a = (uint32_t)(bc[0].inner > 0 ? bc[0].inner : 1);
    push.count_a = (uint32_t)(bc[0].count > 0 ? bc[0].count : 1);
    push.inner_b = (uint32_t)(nin == 2 && bc[1].inner > 0 ? bc[1].inner : 1);
    push.count_b = (uint32_t)(nin == 2 && bc[1].count > 0 ? bc[1].count : 1);
    push.n = (uint32_t)total;
    if (generic) {
        int32_t meta[NG_VK_META_SIZE(2)];
        const ng_bcast *plans[2] = {&bc[0], nin == 2 ? &bc[1] : NULL};
        ng_vk_bcast_meta(meta, y->rank, y->dims, plans, 2);
        NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &buf[3]));
    }
    NG_CHECK(ng_vk_epilogue_args(c, k, g, n, bind, buf[0], spec + EPI_SPEC, buf + EPI_BINDING,
                                 &push.epi));
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)total, (uint32_t)wg, groups);
    NG_CHECK(ng_vk_dispatch_add(c, k, "eltwise", spec, N_SPEC, buf, EPI_BINDING + NG_VK_EPI_BINDINGS,
                                &push, sizeof push, groups));
    int reads[2 + NG_MAX_EPI];
    int n_reads = 0;
    for (int j = 0; j < nin; j++) reads[n_reads++] = n->in[j];
    n_reads += ng_vk_epilogue_reads(n, reads + n_reads);
    ng_vk_dispatch_tensors(c, k, g, bind, reads, n_reads, n->out[0]);
    return NNGPU_OK;
}

const ng_vk_family ng_vk_family_eltwise = {"eltwise", eltwise_supports, eltwise_prepare};
