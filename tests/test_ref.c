/* The CPU reference and shape inference on small hand-checked cases. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "graph/infer.h"
#include "graph/ir.h"
#include "ref/ref.h"
#include "runtime/lower_quant.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (cond) passed++;                                                                    \
        else {                                                                                 \
            failed++;                                                                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                        \
            printf(__VA_ARGS__);                                                               \
            printf("\n");                                                                      \
        }                                                                                      \
    } while (0)

static ng_graph *G;
static void *outbuf[4];

static void reset(int opset) {
    if (G) nngpu_graph_destroy(G);
    G = nngpu_graph_create();
    nngpu_graph_set_opset(G, opset);
    for (int i = 0; i < 4; i++) {
        free(outbuf[i]);
        outbuf[i] = NULL;
    }
}

/* A constant tensor (inputs are constants here, so their data is at hand). */
static int cten(const char *name, nngpu_dtype dt, int rank, const int64_t *dims, const void *data) {
    int t = ng_tensor_get_or_add(G, name);
    ng_tensor_set_const(G, t, dt, rank, dims, data);
    return t;
}
static int f32(const char *name, int rank, const int64_t *dims, const float *data) {
    return cten(name, NNGPU_DTYPE_FLOAT32, rank, dims, data);
}
static int i64(const char *name, int rank, const int64_t *dims, const int64_t *data) {
    return cten(name, NNGPU_DTYPE_INT64, rank, dims, data);
}

static ng_node *node(ng_op op, int n_in, const int *in, int n_out) {
    int out[4];
    char nm[32];
    for (int i = 0; i < n_out; i++) {
        snprintf(nm, sizeof nm, "y%d", i);
        out[i] = ng_tensor_get_or_add(G, nm);
    }
    int id = ng_node_add(G, op, "n", n_in, in, n_out, out);
    return &G->nodes[id];
}

static void attr_i(ng_node *n, const char *name, int64_t v) { ng_node_add_attr(n, name, NG_ATTR_INT)->i = v; }
static void attr_f(ng_node *n, const char *name, float v) { ng_node_add_attr(n, name, NG_ATTR_FLOAT)->f = v; }
static void attr_s(ng_node *n, const char *name, const char *v) { ng_node_add_attr(n, name, NG_ATTR_STRING)->s = strdup(v); }
static void attr_is(ng_node *n, const char *name, int cnt, const int64_t *v) {
    ng_attr *a = ng_node_add_attr(n, name, NG_ATTR_INTS);
    a->n = cnt;
    a->ints = malloc(sizeof(int64_t) * (size_t)cnt);
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
}

/* Infers and runs; returns the status. */
static nngpu_status run(ng_node *n) {
    nngpu_status s = ng_infer_node(G, n);
    if (s != NNGPU_OK) return s;
    const void *in[16];
    for (int i = 0; i < n->n_in; i++) in[i] = n->in[i] >= 0 ? G->tensors[n->in[i]].data : NULL;
    for (int i = 0; i < n->n_out; i++) {
        free(outbuf[i]);
        size_t b = ng_nbytes(ng_out(G, n, i));
        outbuf[i] = malloc(b ? b : 1);
        memset(outbuf[i], 0xcd, b ? b : 1);
    }
    return ng_ref_run(G, n, in, outbuf);
}

static int shape_is(ng_node *n, int i, int rank, const int64_t *d) {
    ng_tensor *y = ng_out(G, n, i);
    if (y->rank != rank) return 0;
    for (int k = 0; k < rank; k++)
        if (y->dims[k] != d[k]) return 0;
    return 1;
}

static int near_all(const float *got, const float *want, int n, float tol) {
    for (int i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= tol)) {
            printf("  [%d] got %g want %g\n", i, got[i], want[i]);
            return 0;
        }
    return 1;
}

#define RUN_OK(n) CHECK(run(n) == NNGPU_OK, "%s: %s", ng_op_name((n)->op), nngpu_last_error())
#define OUT_F(n, ...)                                                                          \
    do {                                                                                       \
        const float want_[] = {__VA_ARGS__};                                                   \
        int cnt_ = (int)(sizeof want_ / sizeof want_[0]);                                      \
        CHECK((int)ng_numel(ng_out(G, n, 0)) == cnt_ && near_all(outbuf[0], want_, cnt_, 1e-5f), \
              "%s values", ng_op_name((n)->op));                                               \
    } while (0)

static const float iota16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const float ones9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};

static void test_conv(void) {
    reset(17);
    int x = f32("x", 4, (int64_t[]){1, 1, 4, 4}, iota16);
    int w = f32("w", 4, (int64_t[]){1, 1, 3, 3}, ones9);
    ng_node *n = node(NG_OP_CONV, 2, (int[]){x, w}, 1);
    attr_is(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    attr_is(n, "strides", 2, (int64_t[]){2, 2});
    RUN_OK(n);
    CHECK(shape_is(n, 0, 4, (int64_t[]){1, 1, 2, 2}), "conv pad/stride shape");
    OUT_F(n, 10, 24, 51, 90);

    reset(17);
    x = f32("x", 4, (int64_t[]){1, 1, 4, 4}, iota16);
    w = f32("w", 4, (int64_t[]){1, 1, 2, 2}, ones9);
    n = node(NG_OP_CONV, 2, (int[]){x, w}, 1);
    attr_is(n, "dilations", 2, (int64_t[]){2, 2});
    RUN_OK(n);
    OUT_F(n, 20, 24, 36, 40);

    reset(17); /* group 2 with bias */
    x = f32("x", 4, (int64_t[]){1, 2, 1, 1}, (float[]){1, 2});
    w = f32("w", 4, (int64_t[]){2, 1, 1, 1}, (float[]){3, 4});
    int b = f32("b", 1, (int64_t[]){2}, (float[]){10, 20});
    n = node(NG_OP_CONV, 3, (int[]){x, w, b}, 1);
    attr_i(n, "group", 2);
    RUN_OK(n);
    OUT_F(n, 13, 28);

    reset(17); /* SAME_UPPER, stride 2 on 5 wide: out 3, total pad 2 -> 1/1 */
    x = f32("x", 4, (int64_t[]){1, 1, 1, 5}, (float[]){1, 2, 3, 4, 5});
    w = f32("w", 4, (int64_t[]){1, 1, 1, 3}, ones9);
    n = node(NG_OP_CONV, 2, (int[]){x, w}, 1);
    attr_s(n, "auto_pad", "SAME_UPPER");
    attr_is(n, "strides", 2, (int64_t[]){1, 2});
    RUN_OK(n);
    OUT_F(n, 3, 9, 9);

    reset(17); /* SAME_LOWER with even kernel: total pad 1 goes before */
    x = f32("x", 3, (int64_t[]){1, 1, 3}, (float[]){1, 2, 3});
    w = f32("w", 3, (int64_t[]){1, 1, 2}, ones9);
    n = node(NG_OP_CONV, 2, (int[]){x, w}, 1);
    attr_s(n, "auto_pad", "SAME_LOWER");
    RUN_OK(n);
    OUT_F(n, 1, 3, 5);
}

static void test_pool(void) {
    reset(17);
    int x = f32("x", 4, (int64_t[]){1, 1, 3, 3}, iota16);
    ng_node *n = node(NG_OP_MAXPOOL, 1, (int[]){x}, 2);
    attr_is(n, "kernel_shape", 2, (int64_t[]){2, 2});
    attr_is(n, "strides", 2, (int64_t[]){2, 2});
    attr_i(n, "ceil_mode", 1);
    RUN_OK(n);
    CHECK(shape_is(n, 0, 4, (int64_t[]){1, 1, 2, 2}), "maxpool ceil shape");
    OUT_F(n, 4, 5, 7, 8);
    const int64_t *idx = outbuf[1];
    CHECK(idx[0] == 4 && idx[1] == 5 && idx[2] == 7 && idx[3] == 8, "maxpool indices");

    reset(17); /* ceil_mode: last window must start inside input + left pad */
    x = f32("x", 3, (int64_t[]){1, 1, 4}, (float[]){1, 2, 3, 4});
    n = node(NG_OP_MAXPOOL, 1, (int[]){x}, 1);
    attr_is(n, "kernel_shape", 1, (int64_t[]){2});
    attr_is(n, "strides", 1, (int64_t[]){2});
    attr_is(n, "pads", 2, (int64_t[]){1, 1});
    attr_i(n, "ceil_mode", 1);
    RUN_OK(n);
    OUT_F(n, 1, 3, 4);

    reset(17); /* padding never wins a max */
    x = f32("x", 3, (int64_t[]){1, 1, 2}, (float[]){-5, -6});
    n = node(NG_OP_MAXPOOL, 1, (int[]){x}, 1);
    attr_is(n, "kernel_shape", 1, (int64_t[]){2});
    attr_is(n, "pads", 2, (int64_t[]){1, 1});
    RUN_OK(n);
    OUT_F(n, -5, -5, -6);

    for (int incl = 0; incl < 2; incl++) {
        reset(17);
        x = f32("x", 4, (int64_t[]){1, 1, 2, 2}, (float[]){1, 2, 3, 4});
        n = node(NG_OP_AVGPOOL, 1, (int[]){x}, 1);
        attr_is(n, "kernel_shape", 2, (int64_t[]){2, 2});
        attr_is(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
        attr_i(n, "count_include_pad", incl);
        RUN_OK(n);
        CHECK(shape_is(n, 0, 4, (int64_t[]){1, 1, 3, 3}), "avgpool shape");
        if (incl) OUT_F(n, 0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1);
        else OUT_F(n, 1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4);
    }

    reset(17);
    x = f32("x", 4, (int64_t[]){1, 2, 2, 2}, iota16);
    n = node(NG_OP_GLOBALAVGPOOL, 1, (int[]){x}, 1);
    RUN_OK(n);
    OUT_F(n, 1.5f, 5.5f);
}

static void test_matmul(void) {
    reset(17);
    int a = f32("a", 2, (int64_t[]){2, 2}, (float[]){1, 3, 2, 4});
    int b = f32("b", 2, (int64_t[]){2, 2}, (float[]){5, 7, 6, 8});
    int c = f32("c", 1, (int64_t[]){2}, (float[]){1, 1});
    ng_node *n = node(NG_OP_GEMM, 3, (int[]){a, b, c}, 1);
    attr_i(n, "transA", 1);
    attr_i(n, "transB", 1);
    attr_f(n, "beta", 2);
    RUN_OK(n);
    OUT_F(n, 21, 24, 45, 52);

    reset(17);
    a = f32("a", 3, (int64_t[]){2, 1, 2}, (float[]){1, 2, 3, 4});
    b = f32("b", 3, (int64_t[]){1, 2, 2}, (float[]){1, 0, 1, 10});
    n = node(NG_OP_MATMUL, 2, (int[]){a, b}, 1);
    RUN_OK(n);
    CHECK(shape_is(n, 0, 3, (int64_t[]){2, 1, 2}), "matmul batch shape");
    OUT_F(n, 3, 20, 7, 40);

    reset(17);
    a = f32("a", 1, (int64_t[]){3}, (float[]){1, 2, 3});
    b = f32("b", 1, (int64_t[]){3}, (float[]){4, 5, 6});
    n = node(NG_OP_MATMUL, 2, (int[]){a, b}, 1);
    RUN_OK(n);
    CHECK(ng_out(G, n, 0)->rank == 0, "1-D matmul is a scalar");
    OUT_F(n, 32);
}

static void test_softmax(void) {
    static const float z[4] = {0, 0, 0, 0};
    reset(11);
    int x = f32("x", 3, (int64_t[]){1, 2, 2}, z);
    ng_node *n = node(NG_OP_SOFTMAX, 1, (int[]){x}, 1);
    RUN_OK(n);
    OUT_F(n, 0.25f, 0.25f, 0.25f, 0.25f);
    reset(13);
    x = f32("x", 3, (int64_t[]){1, 2, 2}, z);
    n = node(NG_OP_SOFTMAX, 1, (int[]){x}, 1);
    RUN_OK(n);
    OUT_F(n, 0.5f, 0.5f, 0.5f, 0.5f);
    reset(13);
    x = f32("x", 2, (int64_t[]){2, 2}, (float[]){1000, 1000, 0, 0});
    n = node(NG_OP_SOFTMAX, 1, (int[]){x}, 1);
    attr_i(n, "axis", 0);
    RUN_OK(n);
    OUT_F(n, 1, 1, 0, 0);
}

/* Resize of x (given shape) to sizes with the given modes. */
static ng_node *resize(int rank, const int64_t *dims, const float *data, const int64_t *sizes,
                       const char *mode, const char *ctm, const char *nearest) {
    reset(13);
    int x = f32("x", rank, dims, data);
    int s = i64("sizes", 1, (int64_t[]){rank}, sizes);
    ng_node *n = node(NG_OP_RESIZE, 4, (int[]){x, -1, -1, s}, 1);
    attr_s(n, "mode", mode);
    attr_s(n, "coordinate_transformation_mode", ctm);
    if (nearest) attr_s(n, "nearest_mode", nearest);
    return n;
}

static void test_resize(void) {
    const int64_t d[4] = {1, 1, 1, 2}, sz[4] = {1, 1, 1, 4};
    const float v[2] = {1, 2};
    ng_node *n = resize(4, d, v, sz, "linear", "half_pixel", NULL);
    RUN_OK(n);
    OUT_F(n, 1, 1.25f, 1.75f, 2);
    n = resize(4, d, v, sz, "linear", "align_corners", NULL);
    RUN_OK(n);
    OUT_F(n, 1, 4 / 3.0f, 5 / 3.0f, 2);
    n = resize(4, d, v, sz, "linear", "asymmetric", NULL);
    RUN_OK(n);
    OUT_F(n, 1, 1.5f, 2, 2);
    n = resize(4, d, v, (int64_t[]){1, 1, 1, 6}, "nearest", "half_pixel", "round_prefer_floor");
    RUN_OK(n);
    OUT_F(n, 1, 1, 1, 2, 2, 2);
    n = resize(4, (int64_t[]){1, 1, 1, 4}, (float[]){1, 2, 3, 4}, (int64_t[]){1, 1, 1, 8}, "nearest",
               "pytorch_half_pixel", "round_prefer_ceil");
    RUN_OK(n);
    OUT_F(n, 1, 1, 2, 2, 3, 3, 4, 4);
    n = resize(4, (int64_t[]){1, 1, 1, 4}, (float[]){1, 2, 3, 4}, (int64_t[]){1, 1, 1, 8}, "nearest",
               "asymmetric", "floor");
    RUN_OK(n);
    OUT_F(n, 1, 1, 2, 2, 3, 3, 4, 4);
    n = resize(4, (int64_t[]){1, 1, 1, 3}, (float[]){1, 2, 3}, (int64_t[]){1, 1, 1, 2}, "nearest",
               "tf_half_pixel_for_nn", "ceil");
    RUN_OK(n); /* x = (o + 0.5) * 1.5 = 0.75, 2.25 -> ceil 1, 3 -> clamped 2 */
    OUT_F(n, 2, 3);
    n = resize(4, (int64_t[]){1, 1, 2, 2}, (float[]){1, 2, 3, 4}, (int64_t[]){1, 1, 4, 4}, "linear",
               "half_pixel", NULL);
    RUN_OK(n);
    OUT_F(n, 1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4);
    /* antialias halving 1 2 3 4: x = 2o + 0.5, taps at distances 0.5 * (-1.5 -0.5 0.5 1.5)
     * weigh 1 - |d| = .25 .75 .75 .25, normalized; edges clamp */
    n = resize(4, (int64_t[]){1, 1, 1, 4}, (float[]){1, 2, 3, 4}, (int64_t[]){1, 1, 1, 2}, "linear",
               "half_pixel", NULL);
    ng_node_add_attr(n, "antialias", NG_ATTR_INT)->i = 1;
    RUN_OK(n);
    OUT_F(n, 1.625f, 3.375f);

    /* output dims from scales in float, as onnxruntime: tf2onnx writes 17 / 9 as
     * 1.8888888f, and 9 * 1.8888888f is 17 in float (16.9999995 in double) */
    reset(13);
    float nine[9 * 11];
    for (int i = 0; i < 9 * 11; i++) nine[i] = (float)i;
    int rx = f32("x", 4, (int64_t[]){1, 1, 9, 11}, nine);
    int rs = f32("scales", 1, (int64_t[]){4}, (float[]){1, 1, 17.0f / 9.0f, 23.0f / 11.0f});
    n = node(NG_OP_RESIZE, 3, (int[]){rx, -1, rs}, 1);
    attr_s(n, "mode", "linear");
    RUN_OK(n);
    const ng_tensor *ry = &G->tensors[n->out[0]];
    CHECK(ry->dims[2] == 17 && ry->dims[3] == 23, "scales 17/9, 23/11 of 9x11: %lldx%lld, not 17x23",
          (long long)ry->dims[2], (long long)ry->dims[3]);

    reset(9); /* Upsample, scales input */
    int x = f32("x", 2, (int64_t[]){1, 2}, v);
    int s = f32("s", 1, (int64_t[]){2}, (float[]){1, 2});
    n = node(NG_OP_UPSAMPLE, 2, (int[]){x, s}, 1);
    RUN_OK(n);
    OUT_F(n, 1, 1, 2, 2);
}

static void test_data(void) {
    const char *modes[3] = {"reflect", "edge", "constant"};
    const float want[3][7] = {{3, 2, 1, 2, 3, 2, 1}, {1, 1, 1, 2, 3, 3, 3}, {9, 9, 1, 2, 3, 9, 9}};
    for (int m = 0; m < 3; m++) {
        reset(13);
        int x = f32("x", 1, (int64_t[]){3}, (float[]){1, 2, 3});
        int p = i64("p", 1, (int64_t[]){2}, (int64_t[]){2, 2});
        int c = f32("c", 0, NULL, (float[]){9});
        ng_node *n = node(NG_OP_PAD, 3, (int[]){x, p, c}, 1);
        attr_s(n, "mode", modes[m]);
        RUN_OK(n);
        CHECK(ng_numel(ng_out(G, n, 0)) == 7 && near_all(outbuf[0], want[m], 7, 0), "pad %s", modes[m]);
    }
    reset(13); /* negative step slice: x[3:0:-2] */
    int x = f32("x", 1, (int64_t[]){5}, iota16);
    ng_node *n = node(NG_OP_SLICE, 5,
                      (int[]){x, i64("s", 1, (int64_t[]){1}, (int64_t[]){-2}), i64("e", 1, (int64_t[]){1}, (int64_t[]){0}),
                              i64("a", 1, (int64_t[]){1}, (int64_t[]){0}), i64("k", 1, (int64_t[]){1}, (int64_t[]){-2})},
                      1);
    RUN_OK(n);
    OUT_F(n, 3, 1);
    reset(9); /* Slice opset < 10 takes attributes; INT64_MAX end clamps */
    x = f32("x", 2, (int64_t[]){2, 3}, iota16);
    n = node(NG_OP_SLICE, 1, (int[]){x}, 1);
    attr_is(n, "starts", 1, (int64_t[]){1});
    attr_is(n, "ends", 1, (int64_t[]){INT64_MAX});
    attr_is(n, "axes", 1, (int64_t[]){1});
    RUN_OK(n);
    OUT_F(n, 1, 2, 4, 5);

    reset(13); /* Gather negative index */
    x = f32("x", 2, (int64_t[]){3, 2}, iota16);
    n = node(NG_OP_GATHER, 2, (int[]){x, i64("i", 1, (int64_t[]){2}, (int64_t[]){-1, 0})}, 1);
    RUN_OK(n);
    OUT_F(n, 4, 5, 0, 1);

    reset(13); /* Reshape 0 and -1 */
    x = f32("x", 3, (int64_t[]){2, 3, 4}, NULL);
    n = node(NG_OP_RESHAPE, 2, (int[]){x, i64("s", 1, (int64_t[]){2}, (int64_t[]){0, -1})}, 1);
    RUN_OK(n);
    CHECK(shape_is(n, 0, 2, (int64_t[]){2, 12}), "reshape 0 -1");

    reset(13); /* non-constant shape input */
    x = f32("x", 1, (int64_t[]){4}, NULL);
    int s = ng_tensor_get_or_add(G, "dyn");
    G->tensors[s].dtype = NNGPU_DTYPE_INT64;
    G->tensors[s].rank = 1;
    G->tensors[s].dims[0] = 1;
    n = node(NG_OP_RESHAPE, 2, (int[]){x, s}, 1);
    CHECK(ng_infer_node(G, n) == NNGPU_ERR_UNSUPPORTED && strstr(nngpu_last_error(), "'dyn' is not constant") &&
              strstr(nngpu_last_error(), "(Reshape)"),
          "reshape message: %s", nngpu_last_error());

    reset(18); /* Split num_outputs 3 over 5 -> 2,2,1 */
    x = f32("x", 1, (int64_t[]){5}, iota16);
    n = node(NG_OP_SPLIT, 1, (int[]){x}, 3);
    attr_i(n, "num_outputs", 3);
    RUN_OK(n);
    CHECK(shape_is(n, 2, 1, (int64_t[]){1}) && ((float *)outbuf[2])[0] == 4 && ((float *)outbuf[1])[1] == 3, "split");

    reset(13);
    x = f32("x", 2, (int64_t[]){2, 3}, iota16);
    n = node(NG_OP_TRANSPOSE, 1, (int[]){x}, 1);
    RUN_OK(n);
    OUT_F(n, 0, 3, 1, 4, 2, 5);

    reset(13);
    x = f32("x", 2, (int64_t[]){1, 2}, (float[]){1, 2});
    n = node(NG_OP_EXPAND, 2, (int[]){x, i64("s", 1, (int64_t[]){2}, (int64_t[]){2, 1})}, 1);
    RUN_OK(n);
    OUT_F(n, 1, 2, 1, 2);

    reset(13);
    x = f32("x", 2, (int64_t[]){2, 3}, iota16);
    n = node(NG_OP_REDUCESUM, 2, (int[]){x, i64("a", 1, (int64_t[]){1}, (int64_t[]){-1})}, 1);
    attr_i(n, "keepdims", 0);
    RUN_OK(n);
    CHECK(shape_is(n, 0, 1, (int64_t[]){2}), "reducesum shape");
    OUT_F(n, 3, 12);
}

static void test_eltwise(void) {
    reset(13);
    int a = f32("a", 2, (int64_t[]){2, 1}, (float[]){10, 20});
    int b = f32("b", 1, (int64_t[]){3}, (float[]){1, 2, 3});
    ng_node *n = node(NG_OP_ADD, 2, (int[]){a, b}, 1);
    RUN_OK(n);
    CHECK(shape_is(n, 0, 2, (int64_t[]){2, 3}), "broadcast shape");
    OUT_F(n, 11, 12, 13, 21, 22, 23);

    reset(13);
    a = i64("a", 1, (int64_t[]){3}, (int64_t[]){7, -7, 5});
    b = i64("b", 1, (int64_t[]){3}, (int64_t[]){2, 2, 0});
    n = node(NG_OP_DIV, 2, (int[]){a, b}, 1);
    RUN_OK(n);
    const int64_t *q = outbuf[0];
    CHECK(q[0] == 3 && q[1] == -3 && q[2] == 0, "int div");

    reset(13);
    n = node(NG_OP_LESS, 2, (int[]){i64("a", 1, (int64_t[]){2}, (int64_t[]){1, 5}), i64("b", 0, NULL, (int64_t[]){3})}, 1);
    RUN_OK(n);
    CHECK(ng_out(G, n, 0)->dtype == NNGPU_DTYPE_BOOL && ((uint8_t *)outbuf[0])[0] == 1 && ((uint8_t *)outbuf[0])[1] == 0, "less");

    reset(13);
    a = f32("a", 1, (int64_t[]){4}, (float[]){-2, -0.5f, 0.5f, 4});
    n = node(NG_OP_HARDSWISH, 1, (int[]){a}, 1);
    RUN_OK(n);
    OUT_F(n, -2 * (1 / 6.0f), -0.5f * (0.5f - 0.5f / 6), 0.5f * (0.5f + 0.5f / 6), 4);
    reset(13);
    a = f32("a", 1, (int64_t[]){2}, (float[]){-1, 1});
    n = node(NG_OP_LEAKYRELU, 1, (int[]){a}, 1);
    RUN_OK(n);
    OUT_F(n, -0.01f, 1);
    reset(13);
    a = f32("a", 1, (int64_t[]){3}, (float[]){-5, 0, 5});
    n = node(NG_OP_CLIP, 3, (int[]){a, -1, f32("mx", 0, NULL, (float[]){1})}, 1);
    RUN_OK(n);
    OUT_F(n, -5, 0, 1);
    reset(13);
    n = node(NG_OP_PRELU, 2,
             (int[]){f32("x", 2, (int64_t[]){2, 2}, (float[]){-1, -1, 1, -2}), f32("s", 1, (int64_t[]){2}, (float[]){0.5f, 2})}, 1);
    RUN_OK(n);
    OUT_F(n, -0.5f, -2, 1, -4);
    reset(13);
    n = node(NG_OP_CAST, 1, (int[]){f32("x", 1, (int64_t[]){3}, (float[]){1.5f, -2.7f, 65520})}, 1);
    attr_i(n, "to", 10);
    RUN_OK(n);
    const uint16_t *h = outbuf[0];
    CHECK(ng_out(G, n, 0)->dtype == NNGPU_DTYPE_FLOAT16 && h[0] == 0x3e00 && h[2] == 0x7c00, "cast to f16");
}

static void test_half(void) {
    struct { float f; uint16_t h; } c[] = {
        {1.0f, 0x3c00}, {-2.0f, 0xc000}, {65504.0f, 0x7bff}, {65519.0f, 0x7bff}, {65520.0f, 0x7c00},
        {0x1p-24f, 0x0001}, {0x1p-25f, 0x0000}, {0x1.8p-25f, 0x0001}, {0x1.8p-24f, 0x0002},
        {0x1p-14f, 0x0400}, {0x1.ffcp-15f, 0x0400}, {-0.0f, 0x8000}, {INFINITY, 0x7c00},
        {1.0f + 0x1p-11f, 0x3c00}, {1.0f + 0x3p-11f, 0x3c02}, {1e-10f, 0}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint16_t h = ng_half_from_float(c[i].f);
        CHECK(h == c[i].h, "half_from_float(%a) = %04x, want %04x", c[i].f, h, c[i].h);
    }
    uint16_t hn = ng_half_from_float(NAN);
    CHECK((hn & 0x7c00) == 0x7c00 && (hn & 0x3ff), "nan stays nan");
    CHECK(ng_half_to_float(0x0001) == 0x1p-24f && ng_half_to_float(0x03ff) == 0x1.ff8p-15f &&
              ng_half_to_float(0x7bff) == 65504.0f && isinf(ng_half_to_float(0xfc00)) &&
              isnan(ng_half_to_float(0x7e00)) && ng_half_to_float(0x3555) == 0x1.554p-2f,
          "half_to_float");
    int ok = 1; /* every finite half round-trips */
    for (uint32_t v = 0; v < 0x10000; v++)
        if ((v & 0x7c00) != 0x7c00 && ng_half_from_float(ng_half_to_float((uint16_t)v)) != v) ok = 0;
    CHECK(ok, "half round trip");
}

static void test_epilogue(void) {
    reset(13); /* y = relu(x @ w + bias) then z = 1 - y */
    int x = f32("x", 2, (int64_t[]){1, 2}, (float[]){1, 2});
    int w = f32("w", 2, (int64_t[]){2, 3}, (float[]){1, 0, -1, 0, 1, -1});
    ng_node *n = node(NG_OP_MATMUL, 2, (int[]){x, w}, 1);
    int bias = f32("bias", 1, (int64_t[]){3}, (float[]){0.5f, -3, 10});
    int one = f32("one", 0, NULL, (float[]){1});
    n->in = realloc(n->in, sizeof(int) * 4);
    n->in[2] = bias;
    n->in[3] = one;
    n->n_in = 4;
    n->epi[0] = (ng_epi_step){NG_OP_ADD, 2, 0, 0, 0};
    n->epi[1] = (ng_epi_step){NG_OP_RELU, -1, 0, 0, 0};
    n->epi[2] = (ng_epi_step){NG_OP_SUB, 3, 1, 0, 0};
    n->epi[3] = (ng_epi_step){NG_OP_CLIP, -1, 0, -4, 0.75f};
    n->n_epi = 4;
    RUN_OK(n); /* x@w = [1, 2, -3]; +bias = [1.5, -1, 7]; relu = [1.5, 0, 7]; 1-y = [-0.5, 1, -6]; clip */
    OUT_F(n, -0.5f, 0.75f, -4);

    reset(13); /* an operand that does not broadcast is refused */
    n = node(NG_OP_RELU, 1, (int[]){f32("x", 1, (int64_t[]){3}, iota16)}, 1);
    n->in = realloc(n->in, sizeof(int) * 2);
    n->in[1] = f32("bad", 1, (int64_t[]){2}, iota16);
    n->n_in = 2;
    n->epi[0] = (ng_epi_step){NG_OP_ADD, 1, 0, 0, 0};
    n->n_epi = 1;
    CHECK(ng_infer_node(G, n) == NNGPU_ERR_INVALID_ARG, "bad epilogue operand");
}

static void test_quant(void) {
    reset(13); /* round half to even and saturation */
    int x = f32("x", 1, (int64_t[]){6}, (float[]){0.5f, 1.5f, 2.5f, -0.5f, 300, -300});
    int sc = f32("s", 0, NULL, (float[]){1});
    int zp = cten("z", NNGPU_DTYPE_INT8, 0, NULL, (int8_t[]){0});
    ng_node *n = node(NG_OP_QUANTIZELINEAR, 3, (int[]){x, sc, zp}, 1);
    RUN_OK(n);
    const int8_t *q = outbuf[0];
    CHECK(ng_out(G, n, 0)->dtype == NNGPU_DTYPE_INT8 && q[0] == 0 && q[1] == 2 && q[2] == 2 &&
          q[3] == 0 && q[4] == 127 && q[5] == -128, "QuantizeLinear int8");

    reset(21); /* int4 output, packed low nibble first: {3, -8, 7} */
    x = f32("x", 1, (int64_t[]){3}, (float[]){1.5f, -9, 7.2f});
    sc = f32("s", 0, NULL, (float[]){1});
    zp = cten("z", NNGPU_DTYPE_INT4, 0, NULL, (uint8_t[]){1});
    n = node(NG_OP_QUANTIZELINEAR, 3, (int[]){x, sc, zp}, 1);
    RUN_OK(n);
    const uint8_t *b = outbuf[0];
    CHECK(ng_nbytes(ng_out(G, n, 0)) == 2 && b[0] == 0x83 && b[1] == 0x07, "QuantizeLinear int4: %02x %02x", b[0], b[1]);

    reset(21); /* blocked DequantizeLinear: [2, 4], blocks of 2 along axis 1 */
    x = cten("x", NNGPU_DTYPE_INT8, 2, (int64_t[]){2, 4}, (int8_t[]){1, 2, 3, 4, 5, 6, 7, 8});
    sc = f32("s", 2, (int64_t[]){2, 2}, (float[]){1, 10, 100, 1000});
    n = node(NG_OP_DEQUANTIZELINEAR, 2, (int[]){x, sc}, 1);
    attr_i(n, "axis", 1);
    attr_i(n, "block_size", 2);
    RUN_OK(n);
    OUT_F(n, 1, 2, 30, 40, 500, 600, 7000, 8000);

    reset(13); /* QLinearMatMul with a fused Add(float residual) + Relu before requantizing */
    int a = cten("a", NNGPU_DTYPE_INT8, 2, (int64_t[]){1, 2}, (int8_t[]){10, -20});
    int as = f32("as", 0, NULL, (float[]){0.5f});
    int az = cten("az", NNGPU_DTYPE_INT8, 0, NULL, (int8_t[]){0});
    int w = cten("w", NNGPU_DTYPE_INT8, 2, (int64_t[]){2, 2}, (int8_t[]){1, 2, 3, 4});
    int ws = f32("ws", 0, NULL, (float[]){0.1f});
    int wz = cten("wz", NNGPU_DTYPE_INT8, 0, NULL, (int8_t[]){0});
    int ys = f32("ys", 0, NULL, (float[]){0.5f});
    int yz = cten("yz", NNGPU_DTYPE_INT8, 0, NULL, (int8_t[]){3});
    int res = f32("res", 2, (int64_t[]){1, 2}, (float[]){4, 1});
    n = node(NG_OP_QLINEARMATMUL, 8, (int[]){a, as, az, w, ws, wz, ys, yz}, 1);
    n->in = realloc(n->in, sizeof(int) * 9);
    n->in[8] = res;
    n->n_in = 9;
    n->epi[0] = (ng_epi_step){NG_OP_ADD, 8, 0, 0, 0};
    n->epi[1] = (ng_epi_step){NG_OP_RELU, -1, 0, 0, 0};
    n->n_epi = 2;
    RUN_OK(n); /* acc [-50, -60]; real [-2.5, -3]; +res [1.5, -2]; relu [1.5, 0]; /0.5 + 3 = [6, 3] */
    q = outbuf[0];
    CHECK(q[0] == 6 && q[1] == 3, "QLinearMatMul epilogue: %d %d", q[0], q[1]);
}

/* The plans of runtime/lower_quant.h read from nodes. */
static void test_quant_plans(void) {
    reset(13); /* QLinearConv uint8 x, int8 w per channel, bias, depthwise 3x3 pad 1 stride 2 */
    int x = cten("x", NNGPU_DTYPE_UINT8, 4, (int64_t[]){2, 2, 5, 5}, NULL);
    int xs = f32("xs", 0, NULL, (float[]){0.5f});
    int xz = cten("xz", NNGPU_DTYPE_UINT8, 0, NULL, (uint8_t[]){7});
    int w = cten("w", NNGPU_DTYPE_INT8, 4, (int64_t[]){2, 1, 3, 3}, NULL);
    int ws = f32("ws", 1, (int64_t[]){2}, (float[]){0.25f, 2});
    int wz = cten("wz", NNGPU_DTYPE_INT8, 1, (int64_t[]){2}, (int8_t[]){-1, 3});
    int ys = f32("ys", 0, NULL, (float[]){0.125f});
    int yz = cten("yz", NNGPU_DTYPE_UINT8, 0, NULL, (uint8_t[]){9});
    int bias = cten("b", NNGPU_DTYPE_INT32, 1, (int64_t[]){2}, (int32_t[]){-5, 6});
    ng_node *n = node(NG_OP_QLINEARCONV, 9, (int[]){x, xs, xz, w, ws, wz, ys, yz, bias}, 1);
    attr_i(n, "group", 2);
    attr_is(n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    attr_is(n, "strides", 2, (int64_t[]){2, 2});
    CHECK(ng_infer_node(G, n) == NNGPU_OK, "QLinearConv infer: %s", nngpu_last_error());
    ng_qlayer q;
    CHECK(ng_qlayer_of(G, n, &q) && q.is_conv && q.conv.OH == 3 && q.conv.G == 2 && q.conv.PT == 1 &&
              q.n_ch == 2 && !q.x_signed && q.w_signed && q.x_zp == 7 && q.w_zp[1] == 3 &&
              q.mult[0] == 0.125f && q.mult[1] == 1 && q.bias[0] == -5 && q.y_scale == 0.125f &&
              q.y_zp == 9 && q.out == NG_QOUT_UINT8 && q.w_input == 3 && q.w_const,
          "QLinearConv plan");
    ng_qlayer_free(&q);

    reset(13); /* MatMulInteger, A [3, 4, 5] . B [5, 6] (broadcast) */
    int a = cten("a", NNGPU_DTYPE_INT8, 3, (int64_t[]){3, 4, 5}, NULL);
    int b = cten("bm", NNGPU_DTYPE_UINT8, 2, (int64_t[]){5, 6}, NULL);
    n = node(NG_OP_MATMULINTEGER, 2, (int[]){a, b}, 1);
    CHECK(ng_infer_node(G, n) == NNGPU_OK, "MatMulInteger infer: %s", nngpu_last_error());
    CHECK(ng_qlayer_of(G, n, &q) && !q.is_conv && q.batch == 3 && q.M == 4 && q.K == 5 && q.N == 6 &&
              q.a_batch_stride == 20 && q.b_batch_stride == 0 && q.out == NG_QOUT_INT32 && q.x_zp == 0,
          "MatMulInteger plan");
    ng_qlayer_free(&q);

    reset(13); /* per-axis QuantizeLinear along axis 1 of [2, 3, 4] */
    x = f32("x", 3, (int64_t[]){2, 3, 4}, NULL);
    int s = f32("s", 1, (int64_t[]){3}, (float[]){1, 2, 3});
    int z = cten("z", NNGPU_DTYPE_INT8, 1, (int64_t[]){3}, (int8_t[]){-1, 0, 1});
    n = node(NG_OP_QUANTIZELINEAR, 3, (int[]){x, s, z}, 1);
    CHECK(ng_infer_node(G, n) == NNGPU_OK, "QuantizeLinear infer: %s", nngpu_last_error());
    ng_qconvert c;
    CHECK(ng_qconvert_of(G, n, &c) && c.quantize && c.outer == 2 && c.axis_len == 3 && c.inner == 4 &&
              c.block == 1 && c.n_scales == 3 && c.scale[2] == 3 && c.zp[0] == -1 &&
              c.y_dtype == NNGPU_DTYPE_INT8,
          "QuantizeLinear plan");
    ng_qconvert_free(&c);

    reset(13); /* MatMulQuantW: int4 W [5, 3], blocks of 2 rows */
    x = f32("x", 3, (int64_t[]){2, 4, 5}, NULL);
    w = cten("w", NNGPU_DTYPE_INT4, 2, (int64_t[]){5, 3}, NULL);
    s = f32("s", 2, (int64_t[]){3, 3}, (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9});
    n = node(NG_OP_MATMULQW, 3, (int[]){x, w, s}, 1);
    attr_i(n, "block_size", 2);
    CHECK(ng_infer_node(G, n) == NNGPU_OK && shape_is(n, 0, 3, (int64_t[]){2, 4, 3}),
          "MatMulQuantW infer: %s", nngpu_last_error());
    ng_qweight qw;
    CHECK(ng_qweight_of(G, n, &qw) && qw.batch == 2 && qw.M == 4 && qw.K == 5 && qw.N == 3 &&
              qw.bits == 4 && qw.w_signed && qw.block == 2 && qw.n_groups == 3 && qw.scale[8] == 9 &&
              qw.zp[4] == 0 && ng_nbytes(qw.w) == 8,
          "MatMulQuantW plan");
    ng_qweight_free(&qw);
}

static void test_infer_errors(void) {
    reset(13);
    ng_node *n = node(NG_OP_ADD, 2,
                      (int[]){f32("a", 1, (int64_t[]){3}, iota16), f32("b", 1, (int64_t[]){2}, iota16)}, 1);
    CHECK(ng_infer_node(G, n) == NNGPU_ERR_INVALID_ARG && strstr(nngpu_last_error(), "node 'n' (Add)"),
          "broadcast error: %s", nngpu_last_error());
    reset(13);
    n = node(NG_OP_CONV, 2,
             (int[]){f32("x", 4, (int64_t[]){1, 3, 4, 4}, NULL), f32("w", 4, (int64_t[]){2, 2, 3, 3}, NULL)}, 1);
    CHECK(ng_infer_node(G, n) == NNGPU_ERR_INVALID_ARG, "conv channel mismatch");
    reset(13);
    n = node(NG_OP_GATHER, 2, (int[]){f32("x", 1, (int64_t[]){3}, iota16), i64("i", 1, (int64_t[]){1}, (int64_t[]){3})}, 1);
    CHECK(ng_infer_node(G, n) == NNGPU_ERR_INVALID_ARG, "gather out of range");
    reset(13);
    n = node(NG_OP_RANGE, 3,
             (int[]){i64("s", 0, NULL, (int64_t[]){10}), i64("l", 0, NULL, (int64_t[]){1}), i64("d", 0, NULL, (int64_t[]){-3})}, 1);
    RUN_OK(n);
    CHECK(shape_is(n, 0, 1, (int64_t[]){3}) && ((int64_t *)outbuf[0])[2] == 4, "range");
    reset(15);
    n = node(NG_OP_SHAPE, 1, (int[]){f32("x", 3, (int64_t[]){2, 3, 4}, NULL)}, 1);
    attr_i(n, "start", -2);
    RUN_OK(n);
    CHECK(shape_is(n, 0, 1, (int64_t[]){2}) && ((int64_t *)outbuf[0])[0] == 3, "shape start");
}

int main(void) {
    test_conv();
    test_pool();
    test_matmul();
    test_softmax();
    test_resize();
    test_data();
    test_eltwise();
    test_half();
    test_epilogue();
    test_quant();
    test_quant_plans();
    test_infer_errors();
    reset(13);
    nngpu_graph_destroy(G);
    for (int i = 0; i < 4; i++) free(outbuf[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
