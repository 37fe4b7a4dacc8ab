/* Fused epilogues: the op-code mapping, what the encoding can express and
 * the specialization constants, buffers and push fields of a node's steps
 * (applied by shaders/vulkan/epilogue.glsl). */
#include <ctype.h>
#include <string.h>

#include "core/status.h"
#include "vk_util.h"

int ng_vk_opcode_of(ng_op op) {
    switch (op) {
    case NG_OP_IDENTITY: return NG_VK_OP_IDENTITY;
    case NG_OP_RELU: return NG_VK_OP_RELU;
    case NG_OP_LEAKYRELU: return NG_VK_OP_LEAKYRELU;
    case NG_OP_CLIP: return NG_VK_OP_CLIP;
    case NG_OP_SIGMOID: return NG_VK_OP_SIGMOID;
    case NG_OP_HARDSIGMOID: return NG_VK_OP_HARDSIGMOID;
    case NG_OP_HARDSWISH: return NG_VK_OP_HARDSWISH;
    case NG_OP_TANH: return NG_VK_OP_TANH;
    case NG_OP_ELU: return NG_VK_OP_ELU;
    case NG_OP_SILU: return NG_VK_OP_SILU;
    case NG_OP_ERF: return NG_VK_OP_ERF;
    case NG_OP_SQRT: return NG_VK_OP_SQRT;
    case NG_OP_EXP: return NG_VK_OP_EXP;
    case NG_OP_LOG: return NG_VK_OP_LOG;
    case NG_OP_NEG: return NG_VK_OP_NEG;
    case NG_OP_ABS: return NG_VK_OP_ABS;
    case NG_OP_RECIPROCAL: return NG_VK_OP_RECIPROCAL;
    case NG_OP_FLOOR: return NG_VK_OP_FLOOR;
    case NG_OP_CEIL: return NG_VK_OP_CEIL;
    case NG_OP_SIN: return NG_VK_OP_SIN;
    case NG_OP_COS: return NG_VK_OP_COS;
    case NG_OP_SOFTPLUS: return NG_VK_OP_SOFTPLUS;
    case NG_OP_SOFTSIGN: return NG_VK_OP_SOFTSIGN;
    case NG_OP_SELU: return NG_VK_OP_SELU;
    case NG_OP_MISH: return NG_VK_OP_MISH;
    case NG_OP_SIGN: return NG_VK_OP_SIGN;
    case NG_OP_ROUND: return NG_VK_OP_ROUND;
    case NG_OP_GELU: return NG_VK_OP_GELU;
    case NG_OP_ADD: return NG_VK_OP_ADD;
    case NG_OP_SUB: return NG_VK_OP_SUB;
    case NG_OP_MUL: return NG_VK_OP_MUL;
    case NG_OP_DIV: return NG_VK_OP_DIV;
    case NG_OP_POW: return NG_VK_OP_POW;
    case NG_OP_PRELU: return NG_VK_OP_PRELU;
    case NG_OP_MAX: return NG_VK_OP_MAX;
    case NG_OP_MIN: return NG_VK_OP_MIN;
    default: return NG_VK_OP_NONE;
    }
}

int ng_vk_opcode_is_binary(int code) { return code >= NG_VK_OP_ADD; }

/* The output's shape: float, or the 8-bit output of a quantized layer (whose
 * epilogue runs on the float value before requantization). */
static int shape_ok(const ng_tensor *y) {
    if (!y) return 0;
    ng_tensor f = *y;
    f.dtype = NNGPU_DTYPE_FLOAT32;
    return ng_vk_float_tensor_ok(&f);
}

/* Operand slot of each step (-1 unary) and the distinct operand inputs in
 * slot order (plans in bc). Returns the slot count, -1 when the encoding
 * cannot hold the epilogue. */
static int epi_slots(const ng_graph *g, const ng_node *n, int *slot_of_step, int *slot_input,
                     ng_bcast *bc) {
    const ng_tensor *y = ng_out(g, n, 0);
    if (n->n_epi > NG_VK_EPI_MAX_STEPS || !shape_ok(y)) return -1;
    int n_slots = 0;
    for (int s = 0; s < n->n_epi; s++) {
        const ng_epi_step *st = &n->epi[s];
        int code = ng_vk_opcode_of(st->op);
        if (code == NG_VK_OP_NONE) return -1;
        slot_of_step[s] = -1;
        if (!ng_vk_opcode_is_binary(code)) {
            if (st->operand >= 0) return -1;
            continue;
        }
        if (st->operand < 0 || st->operand >= n->n_in || n->in[st->operand] < 0) return -1;
        const ng_tensor *t = ng_in(g, n, st->operand);
        ng_bcast b;
        if (!ng_vk_float_tensor_ok(t) || !ng_bcast_plan(y->rank, y->dims, t->rank, t->dims, &b))
            return -1;
        int slot = -1;
        for (int j = 0; j < n_slots; j++)
            if (slot_input[j] == st->operand) slot = j;
        if (slot < 0) {
            if (n_slots == 2) return -1;
            slot = n_slots;
            bc[n_slots] = b;
            slot_input[n_slots++] = st->operand;
        }
        slot_of_step[s] = slot;
    }
    return n_slots;
}

int ng_vk_epilogue_supported(const ng_graph *g, const ng_node *n) {
    if (n->n_epi == 0) return 1;
    int slot_of_step[NG_MAX_EPI], slot_input[2];
    ng_bcast bc[2];
    return epi_slots(g, n, slot_of_step, slot_input, bc) >= 0;
}

int ng_vk_epilogue_reads(const ng_node *n, int *reads) {
    int cnt = 0;
    for (int s = 0; n && s < n->n_epi; s++) {
        int op = n->epi[s].operand;
        if (op < 0 || op >= n->n_in || n->in[op] < 0) continue;
        int seen = 0;
        for (int j = 0; j < cnt; j++) seen |= reads[j] == n->in[op];
        if (!seen) reads[cnt++] = n->in[op];
    }
    return cnt;
}

nngpu_status ng_vk_epilogue_args(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_node *n, const ng_binding *bind, ng_buffer *dummy,
                                 int32_t *spec, ng_buffer **buffers, ng_vk_epi_push *push) {
    memset(spec, 0, sizeof(int32_t) * NG_VK_EPI_SPECS);
    memset(push, 0, sizeof *push);
    for (int j = 0; j < NG_VK_EPI_BINDINGS; j++) buffers[j] = dummy;
    for (int s = 0; s < NG_VK_EPI_MAX_STEPS; s++) spec[NG_VK_EPI_SPEC_STEP(s) + 1] = -1;
    if (!n || n->n_epi == 0) return NNGPU_OK;
    int slot_of_step[NG_MAX_EPI], slot_input[2];
    ng_bcast bc[2];
    int n_slots = epi_slots(g, n, slot_of_step, slot_input, bc);
    if (n_slots < 0)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': its fused epilogue cannot run on vulkan",
                        n->name);
    const ng_tensor *y = ng_out(g, n, 0);
    spec[NG_VK_EPI_SPEC_N] = n->n_epi;
    int generic = 0;
    for (int j = 0; j < n_slots; j++) {
        int mode = ng_vk_bcast_mode(&bc[j]);
        spec[NG_VK_EPI_SPEC_MODE0 + j] = mode;
        generic |= mode == NG_VK_IDX_GENERIC;
        push->inner[j] = (uint32_t)(bc[j].inner > 0 ? bc[j].inner : 1);
        push->count[j] = (uint32_t)(bc[j].count > 0 ? bc[j].count : 1);
        NG_CHECK(ng_vk_tensor_arg(c, k, g, n->in[slot_input[j]], bind, &buffers[j], &push->off[j]));
    }
    if (generic) {
        int32_t meta[NG_VK_META_SIZE(2)];
        const ng_bcast *plans[2] = {n_slots > 0 ? &bc[0] : NULL, n_slots > 1 ? &bc[1] : NULL};
        ng_vk_bcast_meta(meta, y->rank, y->dims, plans, 2);
        NG_CHECK(ng_vk_upload(c, k, meta, sizeof meta, &buffers[2]));
    }
    for (int s = 0; s < n->n_epi; s++) {
        int32_t *st = spec + NG_VK_EPI_SPEC_STEP(s);
        st[0] = ng_vk_opcode_of(n->epi[s].op);
        st[1] = slot_of_step[s];
        st[2] = n->epi[s].operand_first;
        st[3] = ng_vk_float_bits(n->epi[s].alpha);
        st[4] = ng_vk_float_bits(n->epi[s].beta);
    }
    return NNGPU_OK;
}

void ng_vk_epilogue_name(const ng_node *n, char *name, size_t cap) {
    for (int s = 0; n && s < n->n_epi; s++) {
        size_t len = strlen(name);
        const char *op = ng_op_name(n->epi[s].op);
        if (len + 2 + strlen(op) >= cap) return;
        name[len++] = '+';
        for (const char *p = op; *p; p++) name[len++] = (char)tolower((unsigned char)*p);
        name[len] = '\0';
    }
}
