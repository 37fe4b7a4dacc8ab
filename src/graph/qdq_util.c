/* Quantization parameters of Q/DQ nodes, 4-bit packing, new constants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "qdq.h"

int ng_is_quant_dtype(nngpu_dtype dt) {
    return dt == NNGPU_DTYPE_INT4 || dt == NNGPU_DTYPE_UINT4 || dt == NNGPU_DTYPE_INT8 ||
           dt == NNGPU_DTYPE_UINT8;
}

int ng_nibble_get(const void *data, int64_t i, int is_signed) {
    int v = (((const uint8_t *)data)[i >> 1] >> ((i & 1) * 4)) & 0xF;
    return is_signed && v >= 8 ? v - 16 : v;
}

void ng_nibble_set(void *data, int64_t i, int v) {
    uint8_t *b = &((uint8_t *)data)[i >> 1];
    int shift = (int)(i & 1) * 4;
    *b = (uint8_t)((*b & ~(0xF << shift)) | ((v & 0xF) << shift));
}

int32_t ng_qconst_get(const ng_tensor *t, int64_t i) {
    switch (t->dtype) {
    case NNGPU_DTYPE_INT4: return ng_nibble_get(t->data, i, 1);
    case NNGPU_DTYPE_UINT4: return ng_nibble_get(t->data, i, 0);
    default: return (int32_t)ng_const_int(t, i);
    }
}

void ng_qconst_set(nngpu_dtype dt, void *data, int64_t i, int32_t v) {
    switch (dt) {
    case NNGPU_DTYPE_INT4:
    case NNGPU_DTYPE_UINT4: ng_nibble_set(data, i, v); break;
    case NNGPU_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)v; break;
    case NNGPU_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case NNGPU_DTYPE_INT32: ((int32_t *)data)[i] = v; break;
    default: break;
    }
}

int ng_const_add(ng_graph *g, const char *base, nngpu_dtype dt, int rank, const int64_t *dims,
                 const void *data) {
    char name[256];
    int64_t d[NNGPU_MAX_DIMS];
    snprintf(name, sizeof name, "%s", base); /* base may live in g->tensors, which may move */
    if (rank > 0) memcpy(d, dims, sizeof(int64_t) * (size_t)rank); /* scalars: dims may be NULL */
    int t = ng_tensor_add_unique(g, name);
    if (t < 0 || ng_tensor_set_const(g, t, dt, rank, d, data) != NNGPU_OK) return -1;
    return t;
}

void ng_qparams_free(ng_qparams *p) {
    free(p->scale);
    free(p->zp);
    p->scale = NULL;
    p->zp = NULL;
}

/* The scale's shape against the quantized tensor q: per tensor, per slice
 * along axis, or per block along axis (block_size). */
static int qparams_shape(const ng_node *n, const ng_tensor *q, const ng_tensor *s, ng_qparams *p) {
    p->n = ng_numel(s);
    p->axis = -1;
    p->block = (int)ng_attr_int(n, "block_size", 0);
    if (p->block < 0) return 0;
    if (p->block == 0 && p->n == 1 && s->rank <= 1) return 1;
    if (q->rank < 1) return 0;
    p->axis = ng_axis(ng_attr_int(n, "axis", 1), q->rank);
    if (p->axis < 0) return 0;
    if (p->block == 0) return s->rank == 1 && p->n == q->dims[p->axis];
    if (s->rank != q->rank) return 0;
    for (int d = 0; d < q->rank; d++) {
        int64_t want = d == p->axis ? (q->dims[d] + p->block - 1) / p->block : q->dims[d];
        if (s->dims[d] != want) return 0;
    }
    return 1;
}

int ng_qparams_of(const ng_graph *g, const ng_node *n, ng_qparams *p) {
    memset(p, 0, sizeof *p);
    if (n->op != NG_OP_QUANTIZELINEAR && n->op != NG_OP_DEQUANTIZELINEAR) return 0;
    const ng_tensor *q = n->op == NG_OP_DEQUANTIZELINEAR ? ng_in(g, n, 0) : ng_out(g, n, 0);
    const ng_tensor *s = ng_in(g, n, 1), *z = n->n_in > 2 ? ng_in(g, n, 2) : NULL;
    if (!q || !s || !s->data || (z && !z->data) || q->rank < 0) return 0;
    if (z && ng_numel(z) != ng_numel(s)) return 0;
    if (!qparams_shape(n, q, s, p)) return 0;
    p->q_dtype = q->dtype;
    p->scale = malloc(sizeof(float) * (size_t)p->n);
    p->zp = calloc((size_t)p->n, sizeof(int32_t));
    if (!p->scale || !p->zp) {
        ng_qparams_free(p);
        return 0;
    }
    for (int64_t i = 0; i < p->n; i++) {
        p->scale[i] = (float)ng_const_double(s, i);
        if (z) p->zp[i] = ng_qconst_get(z, i);
    }
    return 1;
}
