/* The rnn family: the Recurrence of LSTM, GRU and RNN (shaders/vulkan/rnn.comp,
 * and its vec4 variant rnn_v4 on CPU devices), one work-group per (direction,
 * BT batch samples); the plan is runtime/lower_rnn.h. */
#include "core/status.h"
#include "runtime/lower_rnn.h"
#include "vk_util.h"

enum {
    SPEC_WG, SPEC_GATES, SPEC_H, SPEC_DIRS, SPEC_REVERSE, SPEC_LAYOUT, SPEC_LBR, SPEC_INPUT_FORGET,
    SPEC_FLAGS, SPEC_ACT0, SPEC_UNITS = SPEC_ACT0 + 3, SPEC_RH_LEN, SPEC_BT, N_SPEC
};

typedef struct rnn_push {
    uint32_t off[NG_RNN_SLOTS]; /* element offsets, in lower_rnn.h's slot order */
    int32_t T, B;
    float clip, alpha[3], beta[3];
} rnn_push;

static int rnn_supports(ng_context *c, const ng_graph *g, const ng_node *n) {
    return !c->half && ng_rnn_supported(&c->info, g, n, 1); /* rnn_v4 needs fewer rounds */
}

static nngpu_status rnn_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                const ng_binding *bind, ng_kernel *k) {
    ng_rnn_plan pl;
    ng_rnn_plan_make(&c->info, g, n, 4, 8, &pl); /* CPU devices: vec4 units (rnn_v4) */
    static const char *cells[] = {"", "rnn", "", "gru", "lstm"};
    ng_vk_kernel_name(k, n, cells[pl.r.gates]);
    if (pl.r.batch == 0) return NNGPU_OK;
    rnn_push push = {0};
    ng_buffer *buf[NG_RNN_SLOTS];
    for (int s = 0; s < NG_RNN_SLOTS; s++) /* each present tensor once (constants upload) */
        if (pl.tensor[s] >= 0) NG_CHECK(ng_vk_tensor_arg(c, k, g, pl.tensor[s], bind, &buf[s], &push.off[s]));
    for (int s = 0; s < NG_RNN_SLOTS; s++) /* absent slots: X.W^T's buffer, never touched */
        if (pl.tensor[s] < 0) buf[s] = buf[3], push.off[s] = push.off[3];
    if (push.off[4] % 4) ng_rnn_plan_make(&c->info, g, n, 1, 8, &pl); /* R^T not readable as vec4s */
    const ng_rnn *r = &pl.r;
    int two_phase = r->gates == 3 && !r->linear_before_reset;
    int32_t spec[N_SPEC] = {
        [SPEC_WG] = pl.wg, [SPEC_GATES] = r->gates, [SPEC_H] = (int32_t)r->hidden, [SPEC_DIRS] = r->dirs,
        [SPEC_REVERSE] = r->reverse, [SPEC_LAYOUT] = r->layout, [SPEC_LBR] = r->linear_before_reset,
        [SPEC_INPUT_FORGET] = r->input_forget, [SPEC_FLAGS] = pl.flags, [SPEC_UNITS] = pl.units,
        [SPEC_RH_LEN] = two_phase ? (int32_t)r->hidden : 1, [SPEC_BT] = pl.bt,
    };
    push.T = (int32_t)r->seq;
    push.B = (int32_t)r->batch;
    push.clip = r->clip;
    for (int a = 0; a < 3; a++) {
        spec[SPEC_ACT0 + a] = a < r->n_act ? (int32_t)r->act[0][a] : 0;
        push.alpha[a] = r->alpha[0][a];
        push.beta[a] = r->beta[0][a];
    }
    uint32_t groups[3];
    ng_vk_groups_1d(c, (uint64_t)pl.groups * (uint64_t)pl.wg, (uint32_t)pl.wg, groups);
    /* three outputs: every binding counts as read and written (no narrowing) */
    return ng_vk_dispatch_add(c, k, pl.vec == 4 ? "rnn_v4" : "rnn", spec, N_SPEC, buf, NG_RNN_SLOTS, &push,
                              sizeof push, groups);
}

const ng_vk_family ng_vk_family_rnn = {"rnn", rnn_supports, rnn_prepare};
