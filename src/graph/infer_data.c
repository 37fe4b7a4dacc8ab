/* Shape inference: Tile, DepthToSpace, SpaceToDepth, GatherElements, Trilu,
 * OneHot, Size, EyeLike, Det, the windows, MelWeightMatrix and StackedConcat. */
#include <string.h>

#include "infer_internal.h"

#define MAXD NNGPU_MAX_DIMS
#define ERR(...) ng_infer_err(n, __VA_ARGS__)

static nngpu_status infer_tile(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    int64_t rep[MAXD], d[MAXD];
    int c;
    NG_CHECK(ng_infer_ints(g, n, NULL, 1, "repeats", rep, MAXD, &c));
    if (c != x->rank) return ERR(NNGPU_ERR_INVALID_ARG, "repeats has %d values for rank %d", c, x->rank);
    for (int i = 0; i < c; i++) {
        if (rep[i] < 0) return ERR(NNGPU_ERR_INVALID_ARG, "negative repeat %lld", (long long)rep[i]);
        d[i] = x->dims[i] * rep[i];
    }
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, d);
    return NNGPU_OK;
}

static nngpu_status infer_space_depth(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    int64_t b = ng_attr_int(n, "blocksize", 0);
    if (x->rank != 4) return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs 4", x->name, x->rank);
    if (b < 1) return ERR(NNGPU_ERR_INVALID_ARG, "blocksize %lld", (long long)b);
    int64_t d[4] = {x->dims[0], x->dims[1], x->dims[2], x->dims[3]};
    const char *mode = ng_attr_string(n, "mode", "DCR");
    if (strcmp(mode, "DCR") && strcmp(mode, "CRD")) return ERR(NNGPU_ERR_UNSUPPORTED, "mode '%s'", mode);
    if (n->op == NG_OP_DEPTHTOSPACE) {
        if (d[1] % (b * b)) return ERR(NNGPU_ERR_INVALID_ARG, "%lld channels are not a multiple of blocksize^2", (long long)d[1]);
        d[1] /= b * b;
        d[2] *= b;
        d[3] *= b;
    } else {
        if (d[2] % b || d[3] % b) return ERR(NNGPU_ERR_INVALID_ARG, "spatial dims are not multiples of blocksize %lld", (long long)b);
        d[1] *= b * b;
        d[2] /= b;
        d[3] /= b;
    }
    ng_infer_set_out(g, n, 0, x->dtype, 4, d);
    return NNGPU_OK;
}

static int is_index(nngpu_dtype t) { return t == NNGPU_DTYPE_INT32 || t == NNGPU_DTYPE_INT64; }

static nngpu_status infer_gather_elements(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *idx;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    NG_CHECK(ng_infer_need(g, n, 1, &idx));
    if (!is_index(idx->dtype)) return ERR(NNGPU_ERR_INVALID_ARG, "indices '%s' are %s", idx->name, nngpu_dtype_name(idx->dtype));
    if (idx->rank != x->rank || x->rank < 1)
        return ERR(NNGPU_ERR_INVALID_ARG, "indices '%s' have rank %d, data has %d", idx->name, idx->rank, x->rank);
    if (ng_axis(ng_attr_int(n, "axis", 0), x->rank) < 0) return ERR(NNGPU_ERR_INVALID_ARG, "axis is out of range");
    ng_infer_set_out(g, n, 0, x->dtype, idx->rank, idx->dims);
    return NNGPU_OK;
}

static nngpu_status infer_trilu(ng_graph *g, ng_node *n) {
    const ng_tensor *x, *k = ng_infer_opt(g, n, 1);
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (x->rank < 2) return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs >= 2", x->name, x->rank);
    if (k && (!k->data || ng_numel(k) != 1)) return ERR(NNGPU_ERR_UNSUPPORTED, "k '%s' must be a constant scalar", k->name);
    ng_infer_set_out(g, n, 0, x->dtype, x->rank, x->dims);
    return NNGPU_OK;
}

static nngpu_status infer_onehot(ng_graph *g, ng_node *n) {
    const ng_tensor *idx, *depth, *val;
    NG_CHECK(ng_infer_need(g, n, 0, &idx));
    NG_CHECK(ng_infer_need(g, n, 1, &depth));
    NG_CHECK(ng_infer_need(g, n, 2, &val));
    if (!depth->data || ng_numel(depth) != 1) return ERR(NNGPU_ERR_UNSUPPORTED, "depth '%s' must be a constant scalar", depth->name);
    if (ng_numel(val) != 2) return ERR(NNGPU_ERR_INVALID_ARG, "values '%s' must hold 2 values", val->name);
    if (idx->rank + 1 > MAXD) return ERR(NNGPU_ERR_UNSUPPORTED, "rank over %d", MAXD);
    int64_t dep = (int64_t)ng_const_double(depth, 0);
    if (dep < 1) return ERR(NNGPU_ERR_INVALID_ARG, "depth %lld", (long long)dep);
    int ax = ng_axis(ng_attr_int(n, "axis", -1), idx->rank + 1);
    if (ax < 0) return ERR(NNGPU_ERR_INVALID_ARG, "axis is out of range");
    int64_t d[MAXD];
    for (int i = 0, j = 0; i <= idx->rank; i++) d[i] = i == ax ? dep : idx->dims[j++];
    ng_infer_set_out(g, n, 0, val->dtype, idx->rank + 1, d);
    return NNGPU_OK;
}

static nngpu_status infer_size(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    int64_t none = 0;
    ng_infer_set_out(g, n, 0, NNGPU_DTYPE_INT64, 0, &none);
    return NNGPU_OK;
}

/* x's 2-D shape; dtype: the attribute's, else x's. */
static nngpu_status infer_eye_like(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (x->rank != 2) return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' has rank %d, needs 2", x->name, x->rank);
    nngpu_dtype dt = x->dtype;
    if (ng_attr_find(n, "dtype") && (dt = ng_infer_onnx_dtype(ng_attr_int(n, "dtype", 0))) == NNGPU_DTYPE_UNDEFINED)
        return ERR(NNGPU_ERR_UNSUPPORTED, "dtype %lld is not supported", (long long)ng_attr_int(n, "dtype", 0));
    ng_infer_set_out(g, n, 0, dt, 2, x->dims);
    return NNGPU_OK;
}

/* [..., M, M] -> [...]. */
static nngpu_status infer_det(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
        return ERR(NNGPU_ERR_INVALID_ARG, "input '%s' must be [..., M, M]", x->name);
    ng_infer_set_out(g, n, 0, x->dtype, x->rank - 2, x->dims);
    return NNGPU_OK;
}

/* Constant integer scalar input i (the generators' sizes) into *v. */
static nngpu_status const_scalar(const ng_graph *g, const ng_node *n, int i, const char *what, int64_t *v) {
    const ng_tensor *t;
    int cnt;
    NG_CHECK(ng_infer_need(g, n, i, &t));
    NG_CHECK(ng_infer_ints(g, n, NULL, i, what, v, 1, &cnt));
    if (cnt != 1) return ERR(NNGPU_ERR_INVALID_ARG, "%s '%s' must be one value", what, t->name);
    return NNGPU_OK;
}

/* The generators' output_datatype (default float). */
static nngpu_status output_dtype(const ng_node *n, nngpu_dtype *dt) {
    int64_t t = ng_attr_int(n, "output_datatype", 1);
    *dt = ng_infer_onnx_dtype(t);
    if (*dt == NNGPU_DTYPE_UNDEFINED) return ERR(NNGPU_ERR_UNSUPPORTED, "output_datatype %lld", (long long)t);
    return NNGPU_OK;
}

/* Hann/Hamming/BlackmanWindow(size) -> [size]. */
static nngpu_status infer_window(ng_graph *g, ng_node *n) {
    int64_t size;
    nngpu_dtype dt;
    NG_CHECK(const_scalar(g, n, 0, "size", &size));
    NG_CHECK(output_dtype(n, &dt));
    if (size < 0) return ERR(NNGPU_ERR_INVALID_ARG, "size %lld", (long long)size);
    ng_infer_set_out(g, n, 0, dt, 1, &size);
    return NNGPU_OK;
}

/* MelWeightMatrix(num_mel_bins, dft_length, ...) -> [dft_length / 2 + 1, num_mel_bins]. */
static nngpu_status infer_mel(ng_graph *g, ng_node *n) {
    int64_t d[2], mels = 0, len = 0;
    nngpu_dtype dt;
    NG_CHECK(const_scalar(g, n, 0, "num_mel_bins", &mels));
    NG_CHECK(const_scalar(g, n, 1, "dft_length", &len));
    NG_CHECK(output_dtype(n, &dt));
    for (int i = 2; i < 5; i++) {
        const ng_tensor *t;
        NG_CHECK(ng_infer_need(g, n, i, &t));
    }
    if (mels < 1 || len < 1)
        return ERR(NNGPU_ERR_INVALID_ARG, "num_mel_bins %lld and dft_length %lld must be positive",
                   (long long)mels, (long long)len);
    d[0] = len / 2 + 1, d[1] = mels;
    ng_infer_set_out(g, n, 0, dt, 2, d);
    return NNGPU_OK;
}

/* StackedConcat(x[n, e...]; axis, new_axis): e with n inserted at axis, or
 * e with e[axis] * n. */
static nngpu_status infer_stacked_concat(ng_graph *g, ng_node *n) {
    const ng_tensor *x;
    NG_CHECK(ng_infer_need(g, n, 0, &x));
    int new_axis = ng_attr_int(n, "new_axis", 0) != 0, rank = x->rank - !new_axis;
    int64_t axis = ng_attr_int(n, "axis", 0), d[MAXD];
    if (rank < 1 || axis < -rank || axis >= rank)
        return ERR(NNGPU_ERR_INVALID_ARG, "axis %lld is out of range for elements of rank %d",
                   (long long)axis, x->rank - 1);
    int ax = ng_axis(axis, rank);
    for (int i = 0, k = 1; i < rank; i++) d[i] = i == ax && new_axis ? x->dims[0] : x->dims[k++];
    if (!new_axis) d[ax] *= x->dims[0];
    ng_infer_set_out(g, n, 0, x->dtype, rank, d);
    return NNGPU_OK;
}

int ng_infer_data(ng_graph *g, ng_node *n, nngpu_status *st) {
    switch (n->op) {
    case NG_OP_TILE: *st = infer_tile(g, n); return 1;
    case NG_OP_DEPTHTOSPACE:
    case NG_OP_SPACETODEPTH: *st = infer_space_depth(g, n); return 1;
    case NG_OP_GATHERELEMENTS: *st = infer_gather_elements(g, n); return 1;
    case NG_OP_TRILU: *st = infer_trilu(g, n); return 1;
    case NG_OP_ONEHOT: *st = infer_onehot(g, n); return 1;
    case NG_OP_SIZE: *st = infer_size(g, n); return 1;
    case NG_OP_EYELIKE: *st = infer_eye_like(g, n); return 1;
    case NG_OP_DET: *st = infer_det(g, n); return 1;
    case NG_OP_HANNWINDOW:
    case NG_OP_HAMMINGWINDOW:
    case NG_OP_BLACKMANWINDOW: *st = infer_window(g, n); return 1;
    case NG_OP_MELWEIGHTMATRIX: *st = infer_mel(g, n); return 1;
    case NG_OP_STACKED_CONCAT: *st = infer_stacked_concat(g, n); return 1;
    default: return 0;
    }
}
