/* Fused epilogues: the op-code mapping, what the meta encoding can express,
 * building the meta buffer and binding the operand tensors. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cl_util.h"
#include "core/status.h"

enum ng_cl_opcode ng_cl_opcode_of(ng_op op) {
    switch (op) {
    case NG_OP_IDENTITY: return NG_CL_IDENTITY;
    case NG_OP_RELU: return NG_CL_RELU;
    case NG_OP_LEAKYRELU: return NG_CL_LEAKYRELU;
    case NG_OP_CLIP: return NG_CL_CLIP;
    case NG_OP_SIGMOID: return NG_CL_SIGMOID;
    case NG_OP_HARDSIGMOID: return NG_CL_HARDSIGMOID;
    case NG_OP_HARDSWISH: return NG_CL_HARDSWISH;
    case NG_OP_TANH: return NG_CL_TANH;
    case NG_OP_ELU: return NG_CL_ELU;
    case NG_OP_SILU: return NG_CL_SILU;
    case NG_OP_ERF: return NG_CL_ERF;
    case NG_OP_SQRT: return NG_CL_SQRT;
    case NG_OP_EXP: return NG_CL_EXP;
    case NG_OP_LOG: return NG_CL_LOG;
    case NG_OP_NEG: return NG_CL_NEG;
    case NG_OP_ABS: return NG_CL_ABS;
    case NG_OP_RECIPROCAL: return NG_CL_RECIPROCAL;
    case NG_OP_FLOOR: return NG_CL_FLOOR;
    case NG_OP_CEIL: return NG_CL_CEIL;
    case NG_OP_SIN: return NG_CL_SIN;
    case NG_OP_COS: return NG_CL_COS;
    case NG_OP_SOFTPLUS: return NG_CL_SOFTPLUS;
    case NG_OP_SOFTSIGN: return NG_CL_SOFTSIGN;
    case NG_OP_SELU: return NG_CL_SELU;
    case NG_OP_MISH: return NG_CL_MISH;
    case NG_OP_SIGN: return NG_CL_SIGN;
    case NG_OP_ROUND: return NG_CL_ROUND;
    case NG_OP_GELU: return NG_CL_GELU;
    case NG_OP_ADD: return NG_CL_ADD;
    case NG_OP_SUB: return NG_CL_SUB;
    case NG_OP_MUL: return NG_CL_MUL;
    case NG_OP_DIV: return NG_CL_DIV;
    case NG_OP_POW: return NG_CL_POW;
    case NG_OP_PRELU: return NG_CL_PRELU;
    case NG_OP_MAX: return NG_CL_MAX;
    case NG_OP_MIN: return NG_CL_MIN;
    default: return NG_CL_NONE;
    }
}

int ng_cl_opcode_is_binary(enum ng_cl_opcode code) { return code >= NG_CL_ADD; }

/* Operand slot of each step (-1 unary); the distinct operand inputs in
 * slot order. Returns the slot count, -1 when the encoding cannot hold it. */
static int epi_slots(const ng_graph *g, const ng_node *n, int *slot_of_step, int *slot_input) {
    const ng_tensor *y = ng_out(g, n, 0);
    int n_slots = 0;
    for (int s = 0; s < n->n_epi; s++) {
        const ng_epi_step *st = &n->epi[s];
        enum ng_cl_opcode code = ng_cl_opcode_of(st->op);
        if (code == NG_CL_NONE) return -1;
        slot_of_step[s] = -1;
        if (!ng_cl_opcode_is_binary(code)) {
            if (st->operand >= 0) return -1;
            continue;
        }
        if (st->operand < 0 || st->operand >= n->n_in || n->in[st->operand] < 0) return -1;
        const ng_tensor *t = ng_in(g, n, st->operand);
        cl_int desc[NG_META_OPND_SIZE];
        if (!ng_cl_float_tensor_ok(t) || !ng_cl_bcast_desc(y->rank, y->dims, t->rank, t->dims, desc))
            return -1;
        int slot = -1;
        for (int j = 0; j < n_slots; j++)
            if (slot_input[j] == st->operand) slot = j;
        if (slot < 0) {
            if (n_slots == 2) return -1;
            slot = n_slots;
            slot_input[n_slots++] = st->operand;
        }
        slot_of_step[s] = slot;
    }
    return n_slots;
}

/* The output an epilogue writes to: float32, or int8/uint8 of a quantized
 * layer (the epilogue then acts on the real value before requantization). */
static int epi_output_ok(const ng_graph *g, const ng_node *n) {
    const ng_tensor *y = ng_out(g, n, 0);
    if (ng_cl_float_tensor_ok(y)) return 1;
    if (!y || (n->op != NG_OP_QLINEARCONV && n->op != NG_OP_QLINEARMATMUL) ||
        (y->dtype != NNGPU_DTYPE_INT8 && y->dtype != NNGPU_DTYPE_UINT8))
        return 0;
    ng_tensor shape = *y;
    shape.dtype = NNGPU_DTYPE_FLOAT32;
    return ng_cl_float_tensor_ok(&shape);
}

int ng_cl_epilogue_supported(const ng_graph *g, const ng_node *n) {
    if (n->n_epi == 0) return 1;
    if (n->n_epi > NG_META_MAX_STEPS || !epi_output_ok(g, n)) return 0;
    int slot_of_step[NG_MAX_EPI], slot_input[2];
    return epi_slots(g, n, slot_of_step, slot_input) >= 0;
}

static cl_int float_bits(float f) {
    cl_int i;
    memcpy(&i, &f, sizeof i);
    return i;
}

nngpu_status ng_cl_epilogue_args(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_node *n, const ng_binding *bind, cl_kernel kern,
                                 cl_uint first_arg) {
    int slot_of_step[NG_MAX_EPI], slot_input[2] = {-1, -1};
    int n_slots = 0;
    const ng_tensor *y = ng_out(g, n, 0);
    if (n->n_epi > 0) {
        if (n->n_epi > NG_META_MAX_STEPS || !epi_output_ok(g, n) ||
            (n_slots = epi_slots(g, n, slot_of_step, slot_input)) < 0)
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "node '%s': its fused epilogue cannot run on opencl", n->name);
    }
    cl_int meta[NG_META_SIZE];
    memset(meta, 0, sizeof meta);
    meta[NG_META_NSTEPS] = n->n_epi;
    if (y && y->rank >= 0) ng_cl_meta_dims(meta, y->rank, y->dims);
    for (int j = 0; j < n_slots; j++) {
        const ng_tensor *t = ng_in(g, n, slot_input[j]);
        ng_cl_bcast_desc(y->rank, y->dims, t->rank, t->dims, meta + NG_META_OPND + j * NG_META_OPND_SIZE);
    }
    for (int s = 0; s < n->n_epi; s++) {
        cl_int *st = meta + NG_META_STEPS + s * NG_META_STEP_SIZE;
        st[0] = ng_cl_opcode_of(n->epi[s].op);
        st[1] = slot_of_step[s];
        st[2] = n->epi[s].operand_first;
        st[3] = float_bits(n->epi[s].alpha);
        st[4] = float_bits(n->epi[s].beta);
    }
    cl_mem meta_mem;
    NG_CHECK(ng_cl_meta_upload(c, k, meta, sizeof meta, &meta_mem));
    ng_cl_args a;
    ng_cl_args_begin(&a, kern, k->node_name);
    a.next = first_arg;
    ng_cl_arg_mem(&a, meta_mem);
    for (int j = 0; j < 2; j++) {
        if (j < n_slots) {
            ng_cl_arg_tensor(&a, c, k, g, n->in[slot_input[j]], bind);
        } else { /* a dummy the kernel never reads */
            ng_cl_arg_mem(&a, meta_mem);
            ng_cl_arg_int(&a, 0);
        }
    }
    return a.status;
}

void ng_cl_epilogue_name(const ng_node *n, char *name, size_t cap) {
    for (int s = 0; s < n->n_epi; s++) {
        size_t len = strlen(name);
        const char *op = ng_op_name(n->epi[s].op);
        if (len + 2 + strlen(op) >= cap) return;
        name[len++] = '+';
        for (const char *p = op; *p; p++) name[len++] = (char)tolower((unsigned char)*p);
        name[len] = '\0';
    }
}

int ng_cl_epilogue_vec_ok(const ng_graph *g, const ng_node *n, int vec) {
    int slot_of_step[NG_MAX_EPI], slot_input[2] = {-1, -1};
    if (!n || n->n_epi == 0) return 1;
    if (n->n_epi > NG_META_MAX_STEPS || !epi_output_ok(g, n)) return 0;
    int n_slots = epi_slots(g, n, slot_of_step, slot_input);
    if (n_slots < 0) return 0;
    const ng_tensor *y = ng_out(g, n, 0);
    for (int j = 0; j < n_slots; j++) {
        const ng_tensor *t = ng_in(g, n, slot_input[j]);
        cl_int desc[NG_META_OPND_SIZE];
        ng_cl_bcast_desc(y->rank, y->dims, t->rank, t->dims, desc);
        int block_ok = desc[0] == NG_IDX_BLOCK && (desc[2] == 1 || (vec > 1 && desc[1] % vec == 0));
        if (desc[0] != NG_IDX_SAME && !block_ok) return 0;
    }
    return 1;
}

void ng_cl_epilogue_options(const ng_graph *g, const ng_node *n, char *buf, size_t cap) {
    int slot_of_step[NG_MAX_EPI], slot_input[2] = {-1, -1};
    int n_slots = -1;
    const ng_tensor *y = n ? ng_out(g, n, 0) : NULL;
    if (n && n->n_epi > 0 && n->n_epi <= NG_META_MAX_STEPS && epi_output_ok(g, n))
        n_slots = epi_slots(g, n, slot_of_step, slot_input);
    if (n_slots < 0) { /* no steps, or unsupported (ng_cl_epilogue_args reports it) */
        snprintf(buf, cap, "-DNG_EPI=%d", n && n->n_epi > 0);
        return;
    }
    size_t len = 0;
#define PUT(...)                                                                              \
    do {                                                                                      \
        int w_ = snprintf(buf + len, len < cap ? cap - len : 0, __VA_ARGS__);                 \
        if (w_ > 0) len += (size_t)w_;                                                        \
    } while (0)
    PUT("-DNG_EPI=1 -DEPI_N=%d", n->n_epi);
    for (int j = 0; j < n_slots; j++) {
        const ng_tensor *t = ng_in(g, n, slot_input[j]);
        cl_int desc[NG_META_OPND_SIZE];
        ng_cl_bcast_desc(y->rank, y->dims, t->rank, t->dims, desc);
        int mode = desc[0] == NG_IDX_BLOCK && desc[2] == 1 ? NG_IDX_SCALAR : desc[0];
        PUT(" -DEPI_MODE%d=%d", j, mode);
        if (mode == NG_IDX_BLOCK) PUT(" -DEPI_INNER%d=%d -DEPI_COUNT%d=%d", j, desc[1], j, desc[2]);
    }
    if (ng_cl_epilogue_vec_ok(g, n, 0)) PUT(" -DEPI_VEC_OK=1");
    for (int s = 0; s < n->n_epi; s++) {
        const ng_epi_step *st = &n->epi[s];
        PUT(" -DEPI_OP%d=%d -DEPI_SLOT%d=%d -DEPI_FIRST%d=%d", s, (int)ng_cl_opcode_of(st->op), s,
            slot_of_step[s], s, st->operand_first);
        PUT(" -DEPI_A%d=as_float(0x%08xu) -DEPI_B%d=as_float(0x%08xu)", s,
            (unsigned)float_bits(st->alpha), s, (unsigned)float_bits(st->beta));
    }
#undef PUT
    if (len >= cap && cap > 0) buf[0] = '\0'; /* callers size buf; never a cut option */
}
