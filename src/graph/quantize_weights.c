/* Weight-only quantization (options.weight_bits): every MatMul / Gemm with a
 * constant 2-D float weight becomes MatMulQuantW with symmetric signed
 * weights, q = round_half_even(w / scale) saturated to [-8, 7] (4 bits,
 * packed two per byte) or [-127, 127] (8 bits), scale = max|w| / 7 or / 127
 * per column, or per column and group of `group` rows. Activations stay
 * float; the kernel dequantizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/quant.h"
#include "core/status.h"
#include "passes.h"
#include "qdq.h"

typedef struct qw_job {
    int64_t K, N, G;  /* G scale rows */
    int bits, block, trans_b;
    float alpha;
} qw_job;

/* Element (k, n) of the [K, N] view of float weight w. */
static float w_at(const float *w, const qw_job *j, int64_t k, int64_t n) {
    return j->trans_b ? w[n * j->K + k] : w[k * j->N + n];
}

/* Quantizes w into q (int4 packed or int8) and s ([G, N], alpha applied). */
static void quantize(const float *w, const qw_job *j, void *q, float *s) {
    int qmax = j->bits == 4 ? 7 : 127, qmin = j->bits == 4 ? -8 : -127;
    nngpu_dtype dt = j->bits == 4 ? NNGPU_DTYPE_INT4 : NNGPU_DTYPE_INT8;
    int64_t rows = j->block ? j->block : j->K;
    for (int64_t r = 0; r < j->G; r++)
        for (int64_t n = 0; n < j->N; n++) {
            int64_t k0 = r * rows, k1 = k0 + rows < j->K ? k0 + rows : j->K;
            int64_t at = j->trans_b ? n * j->K + k0 : k0 * j->N + n, step = j->trans_b ? 1 : j->N;
            float scale = ng_quant_symmetric_scale(w, k1 - k0, at, step, qmax);
            for (int64_t k = k0; k < k1; k++)
                ng_qconst_set(dt, q, k * j->N + n,
                              (int)ng_quantize_value(w_at(w, j, k, n), scale, 0, qmin, qmax));
            s[r * j->N + n] = scale * j->alpha;
        }
}

/* Weights already quantized, so a weight two nodes share is stored once. */
typedef struct qw_done {
    int src, trans_b, w, scale;
    float alpha;
} qw_done;

static const qw_done *find_done(const qw_done *d, int n, int src, const qw_job *j) {
    for (int i = 0; i < n; i++)
        if (d[i].src == src && d[i].trans_b == j->trans_b && d[i].alpha == j->alpha) return &d[i];
    return NULL;
}

/* Rewrites node ni; adds the bytes before and after to *before, *after and
 * records the new constants in *done. */
static nngpu_status quantize_node(ng_graph *g, int ni, qw_job *j, size_t *before, size_t *after,
                                  qw_done *done) {
    ng_node *n = &g->nodes[ni];
    const ng_tensor *wt = ng_in(g, n, 1);
    done->src = n->in[1];
    done->trans_b = j->trans_b;
    done->alpha = j->alpha;
    char base[200];
    snprintf(base, sizeof base, "%s", wt->name);
    int64_t cnt = j->K * j->N;
    size_t qbytes = j->bits == 4 ? (size_t)(cnt + 1) / 2 : (size_t)cnt;
    void *q = calloc(qbytes, 1);
    float *s = malloc(sizeof(float) * (size_t)(j->G * j->N));
    if (!q || !s) {
        free(q);
        free(s);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': quantizing '%s'", n->name, base);
    }
    quantize(wt->data, j, q, s);
    *before += ng_nbytes(wt);
    *after += qbytes + sizeof(float) * (size_t)(j->G * j->N);
    int64_t wdims[2] = {j->K, j->N}, sdims[2] = {j->G, j->N};
    char name[240];
    snprintf(name, sizeof name, "%s_int%d", base, j->bits);
    int w = ng_const_add(g, name, j->bits == 4 ? NNGPU_DTYPE_INT4 : NNGPU_DTYPE_INT8, 2, wdims, q);
    snprintf(name, sizeof name, "%s_scale", base);
    int st = w >= 0 ? ng_const_add(g, name, NNGPU_DTYPE_FLOAT32, j->block ? 2 : 1,
                                   j->block ? sdims : sdims + 1, s)
                    : -1;
    free(q);
    free(s);
    if (st < 0) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': quantized weight", base);
    done->w = w;
    done->scale = st;
    ng_op old = g->nodes[ni].op;
    NG_CHECK(ng_node_to_matmulqw(g, ni, w, st, -1, j->block));
    if (!g->nodes[ni].fused) ng_node_note_fused(&g->nodes[ni], ng_op_name(old));
    return NNGPU_OK;
}

nngpu_status ng_pass_quantize_weights(ng_graph *g, int bits, int group, int *count, ng_report *r) {
    *count = 0;
    if (bits != 4 && bits != 8)
        return ng_error(NNGPU_ERR_INVALID_ARG, "options.weight_bits is %d: use 4 or 8 (0: off)", bits);
    if (group < 0 || group % 2)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "options.weight_group_size is %d: use a positive even row count (0: per column)",
                        group);
    size_t before = 0, after = 0;
    qw_done *done = malloc(sizeof *done * (size_t)(g->n_nodes ? g->n_nodes : 1));
    if (!done) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "weight quantization");
    int n_done = 0;
    nngpu_status status = NNGPU_OK;
    for (int i = 0; i < g->n_nodes && status == NNGPU_OK; i++) {
        qw_job j = {.bits = bits};
        const ng_node *n = &g->nodes[i];
        if (!ng_matmulqw_candidate(g, n, &j.K, &j.N, &j.trans_b, &j.alpha)) continue;
        const ng_tensor *w = ng_in(g, n, 1);
        if (!w->data || w->dtype != NNGPU_DTYPE_FLOAT32 || !ng_const_all_finite(w)) continue;
        j.block = group && group < j.K ? group : 0;
        j.G = j.block ? (j.K + j.block - 1) / j.block : 1;
        const qw_done *same = find_done(done, n_done, n->in[1], &j);
        if (same) {
            ng_op old = n->op;
            status = ng_node_to_matmulqw(g, i, same->w, same->scale, -1, j.block);
            if (!g->nodes[i].fused) ng_node_note_fused(&g->nodes[i], ng_op_name(old));
        } else {
            status = quantize_node(g, i, &j, &before, &after, &done[n_done]);
            n_done += status == NNGPU_OK;
        }
        *count += status == NNGPU_OK;
    }
    free(done);
    NG_CHECK(status);
    char how[32];
    if (group) snprintf(how, sizeof how, "group %d", group);
    else snprintf(how, sizeof how, "per column");
    ng_report_add(r, "weights: %d MatMul/Gemm weights int%d (%s): %zu bytes -> %zu bytes", *count,
                  bits, how, before, after);
    return NNGPU_OK;
}
