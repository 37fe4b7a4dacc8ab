/* The recurrence plan (lower_rnn.h). */
#include <string.h>

#include "lower_rnn.h"
#include "lower_util.h"

enum { MAX_UNITS = 32 }; /* rounds of units per work-item: private state c, z */

static int is_gpu(const nngpu_device_info *dev) { return strcmp(dev->device_type, "gpu") == 0; }

static int shared_floats(const ng_rnn *r) {
    return (int)r->hidden * (r->gates == 3 && !r->linear_before_reset ? 3 : 2);
}

static void choose(const nngpu_device_info *dev, const ng_rnn *r, int vec_max, int *wg, int *vec, int *units) {
    int64_t h = r->hidden;
    *vec = 1; /* CPUs: the widest vector dividing h (16: a cache line per gate and k) */
    for (int v = vec_max; v >= 4 && !is_gpu(dev); v /= 2)
        if (h % v == 0 && h / v >= 2) {
            *vec = v;
            break;
        }
    int64_t per = (h + *vec - 1) / *vec, cap = is_gpu(dev) ? 256 : 64;
    if ((int64_t)dev->max_work_group_size < cap) cap = (int64_t)dev->max_work_group_size;
    int w = 1;
    while (w < per && w * 2 <= cap) w *= 2;
    *wg = w;
    *units = (int)((per + w - 1) / w);
}

int ng_rnn_supported(const nngpu_device_info *dev, const ng_graph *g, const ng_node *n, int vec_max) {
    ng_rnn r;
    if (n->op != NG_OP_RECURRENCE || ng_infer_rnn(g, n, &r) != NNGPU_OK || r.hidden < 1) return 0;
    for (int i = 0; i < n->n_in && i < 8; i++) {
        const ng_tensor *t = ng_in(g, n, i);
        if (t && i != 4 && !ng_lower_f32_ok(t)) return 0;
        if (t && i == 4 && (t->dtype != NNGPU_DTYPE_INT32 || ng_numel(t) < 0)) return 0;
    }
    for (int i = 0; i < n->n_out; i++)
        if (ng_out(g, n, i) && !ng_lower_f32_ok(ng_out(g, n, i))) return 0;
    if (r.dirs == 2)
        for (int k = 0; k < r.n_act; k++)
            if (r.act[1][k] != r.act[0][k] || r.alpha[1][k] != r.alpha[0][k] || r.beta[1][k] != r.beta[0][k])
                return 0;
    int wg, vec, units;
    choose(dev, &r, vec_max, &wg, &vec, &units);
    uint64_t need = sizeof(float) * (uint64_t)shared_floats(&r) + 1024;
    return units <= MAX_UNITS && need <= dev->local_mem_bytes; /* 32-bit indexing: ng_lower_f32_ok */
}

/* Samples per work-group: on CPUs enough that the groups just fill the
 * compute units (each group reads R^T once a step for all its samples), as
 * long as the private state (units x samples) and the accumulators (gates x
 * samples x vec) stay small and the samples' h fit shared memory; GPUs keep
 * one sample per group (the groups run side by side, R^T stays in cache). */
static int samples_per_group(const nngpu_device_info *dev, const ng_rnn *r, int vec, int units, int bt_max) {
    int cu = dev->compute_units > 0 ? dev->compute_units : 1;
    int64_t want = (r->batch * r->dirs + cu - 1) / cu;
    int bt = 1; /* a power of two: POCL 3.1's work-item loops assert on 3, 5, 6, 7 samples */
    while (!is_gpu(dev) && bt < want && bt < r->batch && bt * 2 <= bt_max) bt *= 2; /* B 6 on 2 units: 4 + 2 */
    while (bt > 1 && (bt * units > MAX_UNITS || bt * r->gates * vec > 256 ||
                      sizeof(float) * (uint64_t)(bt * shared_floats(r)) + 1024 > dev->local_mem_bytes))
        bt /= 2;
    return bt;
}

void ng_rnn_plan_make(const nngpu_device_info *dev, const ng_graph *g, const ng_node *n, int vec_max,
                      int bt_max, ng_rnn_plan *p) {
    memset(p, 0, sizeof *p);
    ng_infer_rnn(g, n, &p->r);
    choose(dev, &p->r, vec_max, &p->wg, &p->vec, &p->units);
    p->bt = samples_per_group(dev, &p->r, p->vec, p->units, bt_max);
    p->groups = p->r.dirs * (int)((p->r.batch + p->bt - 1) / p->bt);
    static const int in_slot[8] = {3, -1, 4, 5, 6, 7, 8, 9}; /* input i's slot */
    for (int s = 0; s < NG_RNN_SLOTS; s++) p->tensor[s] = -1;
    for (int i = 0; i < n->n_in && i < 8; i++)
        if (in_slot[i] >= 0 && (i < 6 || p->r.gates == 4)) p->tensor[in_slot[i]] = n->in[i]; /* c0, P: LSTM */
    for (int i = 0; i < n->n_out && i < 3; i++)
        if (i < 2 || p->r.gates == 4) p->tensor[i] = n->out[i];
    for (int s = 0; s < NG_RNN_SLOTS; s++) p->flags |= (p->tensor[s] >= 0) << s;
}
