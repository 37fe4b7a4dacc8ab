/* ONNX RotaryEmbedding (opset 23) as standard ops, its input shapes known:
 *   X [B, H, S, D], or [B, S, H * D] with num_heads (seen as [B, S, H, D])
 *   cos, sin = cos_cache / sin_cache rows at position_ids ([B, S, r / 2]),
 *              or the caches themselves when there are no position_ids
 *   the first r = rotary_embedding_dim (0: D) of each head rotate in pairs
 *   (x1, x2): the two halves, or even and odd elements (interleaved):
 *     x1' = cos x1 - sin x2,  x2' = sin x1 + cos x2
 *   the other D - r pass through.
 * Slices, Muls, Concats and Gathers: device kernels, fused where they chain.
 * Reference: onnx/reference/ops/op_rotary_embedding.py. */
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "expand.h"

static nngpu_status bad(const ng_node *n, const char *what) {
    return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s' (RotaryEmbedding): %s", n->name, what);
}

nngpu_status ng_expand_rotary(ng_builder *e, const ng_node *n) {
    ng_graph *g = e->g;
    int x = n->n_in > 0 ? n->in[0] : -1, cos_c = n->n_in > 1 ? n->in[1] : -1;
    int sin_c = n->n_in > 2 ? n->in[2] : -1, pos = n->n_in > 3 ? n->in[3] : -1;
    int y = n->n_out > 0 ? n->out[0] : -1;
    if (x < 0 || cos_c < 0 || sin_c < 0 || y < 0) return bad(n, "X, cos_cache, sin_cache and Y are required");
    const ng_tensor *X = &g->tensors[x], *C = &g->tensors[cos_c], *S = &g->tensors[sin_c];
    if ((X->dtype != NNGPU_DTYPE_FLOAT32 && X->dtype != NNGPU_DTYPE_FLOAT16) || C->dtype != X->dtype ||
        S->dtype != X->dtype)
        return bad(n, "X and the caches must all be float32 or all float16");
    if (X->rank != 3 && X->rank != 4) return bad(n, "X must be 3-D or 4-D");
    int64_t B = X->dims[0], H, L, D;
    int from_cache = ng_attr_int(n, "rotary_dim_from_cache", 0) && C->rank >= 1 && C->dims[C->rank - 1] > 0;
    if (X->rank == 3) {
        H = ng_attr_int(n, "num_heads", 0), L = X->dims[1];
        if (H == 0 && from_cache) H = X->dims[2] / (2 * C->dims[C->rank - 1]); /* heads of the cache's width */
        if (H < 1 || X->dims[2] % H) return bad(n, "3-D X needs num_heads dividing its hidden size");
        D = X->dims[2] / H;
    } else {
        H = X->dims[1], L = X->dims[2], D = X->dims[3];
    }
    int64_t r = ng_attr_int(n, "rotary_embedding_dim", 0);
    /* unset: the head size; nngpu's own attribute rotary_dim_from_cache (set by
     * the onnxruntime rewrites: GroupQueryAttention's partial rotary, contrib
     * RotaryEmbedding) takes twice the caches' width */
    if (r == 0) r = from_cache ? 2 * C->dims[C->rank - 1] : D;
    int64_t half = r / 2;
    int interleaved = ng_attr_int(n, "interleaved", 0) != 0;
    if (r < 2 || r % 2 || r > D) return bad(n, "rotary_embedding_dim must be even and at most the head size");
    int want = pos >= 0 ? 2 : 3; /* [positions, r/2], or [B, S, r/2] */
    if (C->rank != want || S->rank != want || C->dims[want - 1] != half || S->dims[want - 1] != half)
        return bad(n, pos >= 0 ? "with position_ids the caches must be [positions, rotary_dim / 2]"
                               : "without position_ids the caches must be [batch, sequence, rotary_dim / 2]");
    int xrank = X->rank; /* X, C, S move as tensors are added below */
    if (pos >= 0 && ng_attr_int(n, "position_offset", 0) && g->tensors[pos].rank <= 1 &&
        (g->tensors[pos].rank == 0 || g->tensors[pos].dims[0] == 1)) {
        /* nngpu's own position_offset (contrib RotaryEmbedding): one position
         * ids value is the first position, pos + s for every sample */
        int64_t *steps = malloc(sizeof *steps * (size_t)(B * L > 0 ? B * L : 1));
        if (!steps) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s' (RotaryEmbedding)", n->name);
        for (int64_t k = 0; k < B * L; k++) steps[k] = k % L;
        const int64_t bl[2] = {B, L}, one[2] = {1, 1};
        int first = ng_nb_reshape(e, pos, 2, one);
        pos = ng_nb_binary(e, NG_OP_ADD, first, ng_nb_i64(e, "steps", 2, bl, steps), -1);
        free(steps);
        if (pos < 0) return NNGPU_OK; /* e->ok is 0: reported by the caller */
        ng_nb_shape(e, pos, NNGPU_DTYPE_INT64, 2, bl);
    }
    if (pos >= 0 && g->tensors[pos].rank == 2 && g->tensors[pos].dims[0] == 1 && B > 1 &&
        g->tensors[pos].dims[1] == L) { /* [1, S] (exported at batch 1): the same for every sample */
        const int64_t bl[2] = {B, L};
        pos = ng_nb_binary(e, NG_OP_EXPAND, pos, ng_nb_ints(e, "batch_positions", 2, bl), -1);
        if (pos < 0) return NNGPU_OK; /* e->ok is 0: reported by the caller */
        ng_nb_shape(e, pos, NNGPU_DTYPE_INT64, 2, bl);
    }
    if (pos >= 0) {
        const ng_tensor *P = &g->tensors[pos];
        if (P->rank != 2 || P->dims[0] != B || P->dims[1] != L) return bad(n, "position_ids must be [batch, sequence]");
        cos_c = ng_nb_binary(e, NG_OP_GATHER, cos_c, pos, -1);
        sin_c = ng_nb_binary(e, NG_OP_GATHER, sin_c, pos, -1);
    } else if (C->dims[0] != B || C->dims[1] != L || S->dims[0] != B || S->dims[1] != L) {
        return bad(n, "the caches must be [batch, sequence, rotary_dim / 2]");
    }
    /* the heads' layout, [B, H, S, .] (4-D X) or [B, S, H, .] */
    int64_t d[5] = {B, H, L, D, 1};
    if (xrank == 3) d[1] = L, d[2] = H;
    int64_t trig[5] = {B, xrank == 4 ? 1 : L, xrank == 4 ? L : 1, half, 1};
    int rank = interleaved ? 5 : 4;
    int xh = xrank == 3 ? ng_nb_reshape(e, x, 4, d) : x;
    int xr = r < D ? ng_nb_slice(e, xh, 3, 0, r) : xh;
    int64_t pairs[5] = {d[0], d[1], d[2], half, 2};
    int x1, x2;
    if (interleaved) {
        int xp = ng_nb_reshape(e, xr, 5, pairs);
        x1 = ng_nb_slice(e, xp, 4, 0, 1), x2 = ng_nb_slice(e, xp, 4, 1, 2);
    } else {
        x1 = ng_nb_slice(e, xr, 3, 0, half), x2 = ng_nb_slice(e, xr, 3, half, r);
    }
    int c = ng_nb_reshape(e, cos_c, rank, trig), s = ng_nb_reshape(e, sin_c, rank, trig);
    int re = ng_nb_binary(e, NG_OP_SUB, ng_nb_binary(e, NG_OP_MUL, c, x1, -1), ng_nb_binary(e, NG_OP_MUL, s, x2, -1), -1);
    int im = ng_nb_binary(e, NG_OP_ADD, ng_nb_binary(e, NG_OP_MUL, s, x1, -1), ng_nb_binary(e, NG_OP_MUL, c, x2, -1), -1);
    int last = !interleaved && r == D && xrank == 4; /* the Concat is the result */
    int rot = ng_nb_concat(e, re, im, rank - 1, last ? y : -1);
    if (last) return NNGPU_OK;
    if (interleaved) {
        last = r == D && xrank == 4;
        const int64_t back[4] = {d[0], d[1], d[2], r};
        rot = ng_nb_binary(e, NG_OP_RESHAPE, rot, ng_nb_ints(e, "rotated_shape", 4, back), last ? y : -1);
        if (last) return NNGPU_OK;
    }
    if (r < D) {
        last = xrank == 4;
        rot = ng_nb_concat(e, rot, ng_nb_slice(e, xh, 3, r, D), 3, last ? y : -1);
        if (last) return NNGPU_OK;
    }
    const int64_t joined[3] = {B, L, H * D};
    ng_nb_binary(e, NG_OP_RESHAPE, rot, ng_nb_ints(e, "joined", 3, joined), y);
    return NNGPU_OK;
}
