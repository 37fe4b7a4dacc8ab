/* Quantized ops on every device against the CPU reference (src/ref/ref_quant.c,
 * ref_qlinear.c), random shapes, data, scales and zero points each run.
 *
 * CPU fallback: OpenCL and Vulkan run every case on the device except
 * blocked Quantize/DequantizeLinear whose scales vary across the other dims
 * (see there). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/harness.h"

#define TOL_Q 1e-2   /* int8/uint8 outputs: a rounding difference of one unit passes */
#define TOL_F 1e-5   /* float and int32 outputs */
#define D(...) ((const int64_t[]){__VA_ARGS__})
#define NAME(...) snprintf(nm, sizeof nm, __VA_ARGS__)

static char nm[256];

static const char *dt_name(nngpu_dtype t) { return nngpu_dtype_name(t); }
static int lo_of(nngpu_dtype t) { return t == NNGPU_DTYPE_INT8 ? -128 : t == NNGPU_DTYPE_INT4 ? -8 : 0; }
static int hi_of(nngpu_dtype t) { return t == NNGPU_DTYPE_INT8 ? 127 : t == NNGPU_DTYPE_INT4 ? 7 : t == NNGPU_DTYPE_UINT4 ? 15 : 255; }
/* A zero point well inside the range (never all zeros). */
static int zp_of(nngpu_dtype t) {
    int lo = lo_of(t), hi = hi_of(t), q = (hi - lo + 1) / 4;
    int v = th_randint(lo + q, hi - q);
    return v ? v : 1;
}
static nngpu_dtype pick8(void) { return th_randint(0, 1) ? NNGPU_DTYPE_INT8 : NNGPU_DTYPE_UINT8; }

/* ---- QuantizeLinear / DequantizeLinear ------------------------------------------------ */

/* mode 0: per tensor, 1: per axis, 2: blocked (opset 21). Scales and zero
 * points get the shape the mode needs, for x of shape d. */
static void add_qparams(nngpu_graph *g, int mode, int rank, const int64_t *d, int ax, int block,
                        nngpu_dtype qt, float slo, float shi) {
    if (mode == 0) {
        th_const_scalar_f32(g, "s", th_randf(slo, shi));
        th_const_scalar_int(g, "z", qt, zp_of(qt));
        return;
    }
    int64_t sd[NNGPU_MAX_DIMS];
    int sr = 1;
    if (mode == 1) {
        sd[0] = d[ax];
    } else {
        sr = rank;
        for (int i = 0; i < rank; i++) sd[i] = i == ax ? (d[i] + block - 1) / block : d[i];
    }
    th_const_rand(g, "s", sr, sd, slo, shi);
    int lo = lo_of(qt), hi = hi_of(qt), q = (hi - lo + 1) / 4;
    th_const_int(g, "z", qt, sr, sd, lo + q, hi - q);
}

static void random_shape(int *rank, int64_t *d) {
    *rank = th_randint(1, 4);
    for (int i = 0; i < *rank; i++) d[i] = th_randint(1, 9);
}

static void test_quantize(void) {
    static const nngpu_dtype types[] = {NNGPU_DTYPE_UINT8, NNGPU_DTYPE_INT8, NNGPU_DTYPE_INT4, NNGPU_DTYPE_UINT4};
    for (int mode = 0; mode < 3; mode++)
        for (int ti = 0; ti < 4; ti++) {
            nngpu_dtype qt = types[ti];
            int four = ti >= 2, opset = four || mode == 2 ? 21 : mode == 1 ? 13 : 10;
            int rank;
            int64_t d[NNGPU_MAX_DIMS];
            random_shape(&rank, d);
            int ax = th_randint(0, rank - 1), block = th_randint(1, 4);
            if (mode == 2) d[ax] = th_randint(1, 4) * block + th_randint(0, block - 1);
            for (int dq = 0; dq < 2; dq++) {
                nngpu_graph *g = th_graph(opset);
                if (dq) th_input_typed(g, "x", qt, rank, d);
                else th_input_range(g, "x", rank, d, -4, 4);
                /* quantize: scales that use the range and saturate some values */
                add_qparams(g, mode, rank, d, ax, block, qt, four ? 0.3f : 0.01f, four ? 0.6f : 0.04f);
                th_node(g, dq ? "DequantizeLinear" : "QuantizeLinear", "x,s,z", "y");
                if (mode) th_attr_int(g, "axis", ax - (th_randint(0, 1) ? rank : 0));
                if (mode == 2) th_attr_int(g, "block_size", block);
                th_output(g, "y");
                /* blocked scales that vary across the other dims too: the plan
                 * (ng_qconvert_of) leaves them to the CPU on every device */
                int64_t others = 1;
                for (int i = 0; i < rank; i++) others *= i == ax ? 1 : d[i];
                if (mode == 2 && others > 1) th_expect_cpu_fallback();
                NAME("%s %s %s rank%d axis%d block%d", dq ? "DequantizeLinear" : "QuantizeLinear",
                     mode == 0 ? "per-tensor" : mode == 1 ? "per-axis" : "blocked", dt_name(qt), rank, ax, block);
                th_check_graph(nm, g, dq ? TOL_F : TOL_Q);
            }
        }
    /* no zero point: uint8 by default, output_dtype (opset 21) otherwise */
    for (int i = 0; i < 2; i++) {
        nngpu_graph *g = th_graph(21);
        th_input_range(g, "x", 2, D(3, 7), -2, 2);
        th_const_scalar_f32(g, "s", th_randf(0.01f, 0.03f));
        th_node(g, "QuantizeLinear", "x,s", "y");
        if (i) th_attr_int(g, "output_dtype", 3 /* INT8 */);
        th_output(g, "y");
        th_check_graph(i ? "QuantizeLinear no zero point output_dtype int8" : "QuantizeLinear no zero point", g, TOL_Q);
    }
}

/* ---- QLinearConv / ConvInteger ------------------------------------------------------- */

typedef struct qconv_cfg {
    int n, c, h, w, k, kh, kw, sh, sw, dh, dw, pad, group, bias, per_ch, float_out;
    nngpu_dtype xt, wt, yt;
} qconv_cfg;

static void qconv_random(qconv_cfg *c, int kind) {
    memset(c, 0, sizeof *c);
    c->n = th_randint(1, 2);
    c->group = 1;
    c->c = th_randint(1, 9);
    c->k = th_randint(1, 12);
    c->kh = c->kw = 3;
    c->sh = c->sw = c->dh = c->dw = 1;
    c->pad = th_randint(0, 1);
    switch (kind) {
    case 0: c->kh = c->kw = 1; c->pad = 0; break;                           /* 1x1 */
    case 1: c->pad = 1; c->sh = c->sw = 2; break;                          /* 3x3 pad 1 stride 2 */
    case 2: c->dh = c->dw = 2; break;                                      /* dilation */
    case 3: c->group = c->c; c->k = c->c * th_randint(1, 2); c->pad = 1; break; /* depthwise */
    /* grouped: up to 6 channels per group (the dot path's words of 4 channels, one partial) */
    case 4: c->group = th_randint(2, 3); c->c = c->group * th_randint(1, 6); c->k = c->group * th_randint(1, 3); break;
    default: c->kh = th_randint(1, 5); c->kw = th_randint(1, 5); c->sh = th_randint(1, 3); c->sw = th_randint(1, 3); break;
    }
    c->h = th_randint(c->dh * (c->kh - 1) + 1, 15);
    c->w = th_randint(c->dw * (c->kw - 1) + 1, 15);
    c->bias = th_randint(0, 1);
    c->per_ch = th_randint(0, 1);
    c->xt = pick8();
    c->wt = pick8();
    c->yt = pick8();
}

static void qconv_attrs(nngpu_graph *g, const qconv_cfg *c) {
    th_attr_ints(g, "kernel_shape", 2, D(c->kh, c->kw));
    th_attr_ints(g, "strides", 2, D(c->sh, c->sw));
    th_attr_ints(g, "dilations", 2, D(c->dh, c->dw));
    th_attr_ints(g, "pads", 4, D(c->pad, c->pad, c->pad, c->pad));
    if (c->group != 1) th_attr_int(g, "group", c->group);
}

static void test_qlinearconv(void) {
    for (int rep = 0; rep < 14; rep++) {
        qconv_cfg c;
        qconv_random(&c, rep % 7);
        c.float_out = rep == 13;
        int taps = c.c / c.group * c.kh * c.kw;
        float xs = th_randf(0.005f, 0.05f), ws = th_randf(0.002f, 0.02f);
        /* y_scale so that the outputs spread over about a third of the range */
        float ys = xs * ws * 5476.0f * sqrtf((float)taps) / 40.0f;
        nngpu_graph *g = th_graph(13);
        th_input_typed(g, "x", c.xt, 4, D(c.n, c.c, c.h, c.w));
        th_const_scalar_f32(g, "xs", xs);
        th_const_scalar_int(g, "xz", c.xt, zp_of(c.xt));
        th_const_int(g, "w", c.wt, 4, D(c.k, c.c / c.group, c.kh, c.kw), lo_of(c.wt), hi_of(c.wt));
        if (c.per_ch) {
            th_const_rand(g, "ws", 1, D(c.k), ws * 0.5f, ws * 1.5f);
            th_const_int(g, "wz", c.wt, 1, D(c.k), lo_of(c.wt) + 32, hi_of(c.wt) - 32);
        } else {
            th_const_scalar_f32(g, "ws", ws);
            th_const_scalar_int(g, "wz", c.wt, zp_of(c.wt));
        }
        th_const_scalar_f32(g, "ys", ys);
        th_const_scalar_int(g, "yz", c.yt, zp_of(c.yt));
        int bias_range = (int)(1.0f / (xs * ws));
        if (c.bias) th_const_int(g, "b", NNGPU_DTYPE_INT32, 1, D(c.k), -bias_range, bias_range);
        char ins[128];
        snprintf(ins, sizeof ins, "x,xs,xz,w,ws,wz,%s%s", c.float_out ? ",yz" : "ys,yz", c.bias ? ",b" : "");
        th_node(g, "QLinearConv", ins, "y");
        qconv_attrs(g, &c);
        th_output(g, "y");
        NAME("QLinearConv x%s w%s y%s n%d c%d %dx%d k%d ker%dx%d s%d d%d p%d g%d%s%s", dt_name(c.xt),
             dt_name(c.wt), c.float_out ? "float32" : dt_name(c.yt), c.n, c.c, c.h, c.w, c.k, c.kh, c.kw,
             c.sh, c.dh, c.pad, c.group, c.per_ch ? " per-channel" : "", c.bias ? " bias" : "");
        th_check_graph(nm, g, c.float_out ? TOL_F : TOL_Q);
    }
}

/* The OpenCL specialised paths at sizes the random cases rarely reach:
 * 1x1 GEMM (pixels not a multiple of the tile, wide weights: uint8 with
 * per-channel zero points, C large enough for several exact float chunks)
 * and depthwise with compiled geometry (strides 1/2, pads, odd rows, 5x5). */
static void test_qconv_paths(void) {
    static const int cases[][7] = {/* c, k, h, w, ker, stride, pad */
                                   {300, 20, 7, 9, 1, 1, 0},   {24, 36, 13, 11, 1, 1, 0},
                                   {33, 17, 1, 1, 1, 1, 0},    {40, 40, 17, 15, 3, 1, 1},
                                   {24, 24, 14, 14, 3, 2, 1},  {19, 19, 11, 23, 5, 2, 2},
                                   {16, 16, 9, 7, 3, 1, 0},    {8, 8, 29, 37, 3, 2, 1}};
    for (size_t rep = 0; rep < sizeof cases / sizeof cases[0]; rep++) {
        const int *cs = cases[rep];
        qconv_cfg c;
        memset(&c, 0, sizeof c);
        c.n = (int)(rep % 2) + 1;
        c.c = cs[0];
        c.k = cs[1];
        c.h = cs[2];
        c.w = cs[3];
        c.kh = c.kw = cs[4];
        c.sh = c.sw = cs[5];
        c.dh = c.dw = 1;
        c.pad = cs[6];
        c.group = cs[4] == 1 ? 1 : c.c;
        c.bias = 1;
        c.per_ch = 1;
        c.xt = pick8();
        c.wt = rep == 0 ? NNGPU_DTYPE_UINT8 : pick8();
        c.yt = pick8();
        int taps = c.c / c.group * c.kh * c.kw;
        float xs = th_randf(0.005f, 0.05f), ws = th_randf(0.002f, 0.02f);
        float ys = xs * ws * 5476.0f * sqrtf((float)taps) / 40.0f;
        nngpu_graph *g = th_graph(13);
        th_input_typed(g, "x", c.xt, 4, D(c.n, c.c, c.h, c.w));
        th_const_scalar_f32(g, "xs", xs);
        th_const_scalar_int(g, "xz", c.xt, zp_of(c.xt));
        th_const_int(g, "w", c.wt, 4, D(c.k, c.c / c.group, c.kh, c.kw), lo_of(c.wt), hi_of(c.wt));
        th_const_rand(g, "ws", 1, D(c.k), ws * 0.5f, ws * 1.5f);
        th_const_int(g, "wz", c.wt, 1, D(c.k), lo_of(c.wt) + 32, hi_of(c.wt) - 32);
        th_const_scalar_f32(g, "ys", ys);
        th_const_scalar_int(g, "yz", c.yt, zp_of(c.yt));
        int bias_range = (int)(1.0f / (xs * ws));
        th_const_int(g, "b", NNGPU_DTYPE_INT32, 1, D(c.k), -bias_range, bias_range);
        th_node(g, "QLinearConv", "x,xs,xz,w,ws,wz,ys,yz,b", "y");
        qconv_attrs(g, &c);
        th_output(g, "y");
        NAME("QLinearConv path x%s w%s y%s n%d c%d %dx%d k%d ker%d s%d p%d g%d", dt_name(c.xt),
             dt_name(c.wt), dt_name(c.yt), c.n, c.c, c.h, c.w, c.k, c.kh, c.sh, c.pad, c.group);
        th_check_graph(nm, g, TOL_Q);
    }
}

static void test_convinteger(void) {
    for (int rep = 0; rep < 8; rep++) {
        qconv_cfg c;
        qconv_random(&c, rep % 7);
        int zps = rep % 4; /* bit 0: x zero point, bit 1: w zero point */
        nngpu_graph *g = th_graph(13);
        th_input_typed(g, "x", c.xt, 4, D(c.n, c.c, c.h, c.w));
        th_const_int(g, "w", c.wt, 4, D(c.k, c.c / c.group, c.kh, c.kw), lo_of(c.wt), hi_of(c.wt));
        th_const_scalar_int(g, "xz", c.xt, zp_of(c.xt));
        if (c.per_ch) th_const_int(g, "wz", c.wt, 1, D(c.k), lo_of(c.wt) + 32, hi_of(c.wt) - 32);
        else th_const_scalar_int(g, "wz", c.wt, zp_of(c.wt));
        th_node(g, "ConvInteger", zps == 0 ? "x,w" : zps == 1 ? "x,w,xz" : zps == 2 ? "x,w,,wz" : "x,w,xz,wz", "y");
        qconv_attrs(g, &c);
        th_output(g, "y");
        NAME("ConvInteger x%s w%s n%d c%d %dx%d k%d ker%dx%d s%d d%d p%d g%d zp%d%s", dt_name(c.xt),
             dt_name(c.wt), c.n, c.c, c.h, c.w, c.k, c.kh, c.kw, c.sh, c.dh, c.pad, c.group, zps,
             c.per_ch ? " per-channel" : "");
        th_check_graph(nm, g, TOL_F);
    }
}

/* ---- QLinearMatMul / MatMulInteger --------------------------------------------------- */

/* shape 0: 2-D, 1: batched, 2: batched A with a 2-D B (broadcast), 3: B batch 1 broadcast. */
static void matmul_shapes(int shape, int *ra, int64_t *a, int *rb, int64_t *b, int M, int K, int N) {
    int bt = th_randint(2, 3);
    *ra = shape == 0 ? 2 : 3;
    *rb = shape == 0 || shape == 2 ? 2 : 3;
    int64_t ad[3] = {bt, M, K}, bd[3] = {shape == 3 ? 1 : bt, K, N};
    memcpy(a, *ra == 2 ? ad + 1 : ad, sizeof(int64_t) * (size_t)*ra);
    memcpy(b, *rb == 2 ? bd + 1 : bd, sizeof(int64_t) * (size_t)*rb);
}

static void test_qlinearmatmul(void) {
    for (int rep = 0; rep < 10; rep++) {
        int shape = rep % 4, M = th_randint(1, 17), K = th_randint(1, 40), N = th_randint(1, 19);
        int ra, rb, per_col = th_randint(0, 1), b_const = rep % 3 != 2, float_out = rep == 9;
        int64_t a[3], b[3];
        matmul_shapes(shape, &ra, a, &rb, b, M, K, N);
        nngpu_dtype at = pick8(), bt = pick8(), yt = pick8();
        float as = th_randf(0.005f, 0.05f), bs = th_randf(0.002f, 0.02f);
        nngpu_graph *g = th_graph(13);
        th_input_typed(g, "a", at, ra, a);
        if (b_const) th_const_int(g, "b", bt, rb, b, lo_of(bt), hi_of(bt));
        else th_input_typed(g, "b", bt, rb, b);
        th_const_scalar_f32(g, "as", as);
        th_const_scalar_int(g, "az", at, zp_of(at));
        if (per_col && b_const) {
            th_const_rand(g, "bs", 1, D(N), bs * 0.5f, bs * 1.5f);
            th_const_int(g, "bz", bt, 1, D(N), lo_of(bt) + 32, hi_of(bt) - 32);
        } else {
            th_const_scalar_f32(g, "bs", bs);
            th_const_scalar_int(g, "bz", bt, zp_of(bt));
        }
        th_const_scalar_f32(g, "ys", as * bs * 5476.0f * sqrtf((float)K) / 40.0f);
        th_const_scalar_int(g, "yz", yt, zp_of(yt));
        th_node(g, "QLinearMatMul", float_out ? "a,as,az,b,bs,bz,,yz" : "a,as,az,b,bs,bz,ys,yz", "y");
        th_output(g, "y");
        NAME("QLinearMatMul a%s b%s y%s shape%d M%d K%d N%d%s%s", dt_name(at), dt_name(bt),
             float_out ? "float32" : dt_name(yt), shape, M, K, N, per_col && b_const ? " per-column" : "",
             b_const ? "" : " runtime-b");
        th_check_graph(nm, g, float_out ? TOL_F : TOL_Q);
    }
}

static void test_matmulinteger(void) {
    for (int rep = 0; rep < 8; rep++) {
        int shape = rep % 4, M = th_randint(1, 17), K = th_randint(1, 40), N = th_randint(1, 19), zps = rep % 4;
        int ra, rb;
        int64_t a[3], b[3];
        matmul_shapes(shape, &ra, a, &rb, b, M, K, N);
        nngpu_dtype at = pick8(), bt = pick8();
        nngpu_graph *g = th_graph(13);
        th_input_typed(g, "a", at, ra, a);
        th_const_int(g, "b", bt, rb, b, lo_of(bt), hi_of(bt));
        th_const_scalar_int(g, "az", at, zp_of(at));
        th_const_int(g, "bz", bt, 1, D(N), lo_of(bt) + 32, hi_of(bt) - 32);
        th_node(g, "MatMulInteger", zps == 0 ? "a,b" : zps == 1 ? "a,b,az" : zps == 2 ? "a,b,,bz" : "a,b,az,bz", "y");
        th_output(g, "y");
        NAME("MatMulInteger a%s b%s shape%d M%d K%d N%d zp%d", dt_name(at), dt_name(bt), shape, M, K, N, zps);
        th_check_graph(nm, g, TOL_F);
    }
}

/* Long reductions with the widest products (weights at one end of their
 * range, zero points at the other: |w - wz| = 255), int32 outputs checked
 * exactly: the Vulkan kernels' float partial sums (FACC) flush every 256
 * products, so these cross several flushes. */
static void test_long_k_exact(void) {
    for (int rep = 0; rep < 3; rep++) {
        nngpu_graph *g = th_graph(13);
        if (rep < 2) { /* K a multiple of 4 (word rows) and not */
            int M = th_randint(3, 9), K = rep == 0 ? 700 : 701, N = th_randint(5, 12);
            th_input_typed(g, "a", NNGPU_DTYPE_UINT8, 2, D(M, K));
            th_const_int(g, "b", NNGPU_DTYPE_INT8, 2, D(K, N), -128, -128);
            th_const_scalar_int(g, "az", NNGPU_DTYPE_UINT8, 0);
            th_const_scalar_int(g, "bz", NNGPU_DTYPE_INT8, 127);
            th_node(g, "MatMulInteger", "a,b,az,bz", "y");
            NAME("MatMulInteger exact long K M%d K%d N%d", M, K, N);
        } else {
            int c = 70, k = th_randint(4, 9);
            th_input_typed(g, "x", NNGPU_DTYPE_UINT8, 4, D(1, c, 9, 11));
            th_const_int(g, "w", NNGPU_DTYPE_INT8, 4, D(k, c, 3, 3), 127, 127);
            th_const_scalar_int(g, "xz", NNGPU_DTYPE_UINT8, 0);
            th_const_scalar_int(g, "wz", NNGPU_DTYPE_INT8, -128);
            th_node(g, "ConvInteger", "x,w,xz,wz", "y");
            th_attr_ints(g, "kernel_shape", 2, D(3, 3));
            th_attr_ints(g, "pads", 4, D(1, 1, 1, 1));
            NAME("ConvInteger exact long K c%d k%d ker3x3", c, k);
        }
        th_output(g, "y");
        th_check_graph(nm, g, 0.0);
    }
}

/* Zero points known only at run time, read only by a Cast to float (as
 * onnxruntime's quantize_dynamic writes them): the devices run float layers
 * of the centred integers (graph/fold_dynamic_int.c), and with a
 * DynamicQuantizeLinear in front, that as float ops too; no CPU fallback.
 * The inputs are all-positive, all-negative or mixed (its range holds 0). */
static void test_runtime_zero_point(void) {
    for (int rep = 0; rep < 6; rep++) {
        nngpu_graph *g = th_graph(13);
        int conv = rep % 2, dynamic = rep >= 2;
        int64_t xd[4] = {th_randint(1, 2), th_randint(1, 9), th_randint(3, 9), th_randint(3, 9)};
        int K = (int)xd[3], N = th_randint(1, 12);
        if (dynamic) {
            float lo = rep == 2 ? 0.5f : rep == 3 ? -4.0f : -2.0f, hi = rep == 3 ? -0.5f : 3.0f;
            th_input_range(g, "xf", 4, xd, lo, hi);
            th_node(g, "DynamicQuantizeLinear", "xf", "x,xs,xz");
        } else {
            th_input_typed(g, "x", NNGPU_DTYPE_UINT8, 4, xd);
            th_input_typed(g, "xz", NNGPU_DTYPE_UINT8, 0, NULL);
        }
        if (conv) {
            th_const_int(g, "w", NNGPU_DTYPE_UINT8, 4, D(N, xd[1], 3, 3), 0, 255);
            th_const_int(g, "wz", NNGPU_DTYPE_UINT8, 1, D(N), 100, 150);
            th_node(g, "ConvInteger", "x,w,xz,wz", "acc");
            th_attr_ints(g, "kernel_shape", 2, D(3, 3));
            th_attr_ints(g, "pads", 4, D(1, 0, 1, 2));
        } else {
            th_const_int(g, "w", NNGPU_DTYPE_UINT8, 2, D(K, N), 0, 255);
            th_const_scalar_int(g, "wz", NNGPU_DTYPE_UINT8, 131);
            th_node(g, "MatMulInteger", "x,w,xz,wz", "acc");
        }
        th_node(g, "Cast", "acc", dynamic ? "accf" : "y");
        th_attr_int(g, "to", 1);
        if (dynamic) { /* the rescale onnxruntime writes: acc * (x_scale * w_scale) */
            th_const_scalar_f32(g, "ws", 0.01f);
            th_node(g, "Mul", "xs,ws", "s");
            th_node(g, "Mul", "accf,s", "y");
        }
        th_output(g, "y");
        NAME("%s runtime zero point%s %lldx%lldx%lldx%lld N%d", conv ? "ConvInteger" : "MatMulInteger",
             dynamic ? " from DynamicQuantizeLinear" : "", (long long)xd[0], (long long)xd[1],
             (long long)xd[2], (long long)xd[3], N);
        th_check_graph(nm, g, TOL_F);
    }
}

/* ---- MatMulQuantW ------------------------------------------------------------------- */

static void test_matmul_quant_w(void) {
    static const nngpu_dtype types[] = {NNGPU_DTYPE_INT4, NNGPU_DTYPE_UINT4, NNGPU_DTYPE_INT8, NNGPU_DTYPE_UINT8};
    for (int ti = 0; ti < 4; ti++)
        for (int blocked = 0; blocked < 2; blocked++)
            for (int zp = 0; zp < 2; zp++) {
                nngpu_dtype wt = types[ti];
                int block = blocked ? 2 * th_randint(1, 8) : 0;
                int M = th_randint(1, 9), K = th_randint(1, 48), N = th_randint(1, 21), b = th_randint(1, 2);
                int groups = block ? (K + block - 1) / block : 1;
                nngpu_graph *g = th_graph(13);
                th_input(g, "x", 3, D(b, M, K));
                th_const_int(g, "w", wt, 2, D(K, N), lo_of(wt), hi_of(wt));
                if (block) th_const_rand(g, "s", 2, D(groups, N), 0.01f, 0.1f);
                else th_const_rand(g, "s", 1, D(N), 0.01f, 0.1f);
                if (zp) {
                    int lo = lo_of(wt), hi = hi_of(wt), q = (hi - lo + 1) / 4;
                    if (block) th_const_int(g, "z", wt, 2, D(groups, N), lo + q, hi - q);
                    else th_const_int(g, "z", wt, 1, D(N), lo + q, hi - q);
                }
                th_node(g, "MatMulQuantW", zp ? "x,w,s,z" : "x,w,s", "y");
                if (block) th_attr_int(g, "block_size", block);
                th_output(g, "y");
                char how[32];
                if (block) snprintf(how, sizeof how, "block%d", block);
                else snprintf(how, sizeof how, "per-column");
                NAME("MatMulQuantW w%s %s%s b%d M%d K%d N%d", dt_name(wt), how, zp ? " zero-point" : "", b, M, K, N);
                th_check_graph(nm, g, TOL_F);
            }
}

/* ---- NaN ------------------------------------------------------------------------------ */

/* NaN quantizes to the type's lowest value in QuantizeLinear and in the
 * QLinear ops' requantization alike, as onnxruntime does (src/core/quant.h).
 * QuantizeLinear reads Sqrt of inputs in [-4, 4] (NaN for the negative ones;
 * 17 to 70 values: the vector and tail paths). The QLinear layers get an
 * infinite x_scale: real = inf * acc, NaN in the output channels whose
 * weights all equal their zero point (acc 0), +-inf (saturated) elsewhere;
 * every output is exact. */
static void test_nan(void) {
    static const nngpu_dtype types[] = {NNGPU_DTYPE_UINT8, NNGPU_DTYPE_INT8, NNGPU_DTYPE_INT4, NNGPU_DTYPE_UINT4};
    for (int ti = 0; ti < 4; ti++) {
        nngpu_dtype qt = types[ti];
        nngpu_graph *g = th_graph(ti >= 2 ? 21 : 13);
        th_input_range(g, "x", 1, D(th_randint(17, 70)), -4, 4);
        th_node(g, "Sqrt", "x", "r");
        th_const_scalar_f32(g, "s", th_randf(0.01f, 0.04f));
        th_const_scalar_int(g, "z", qt, zp_of(qt));
        th_node(g, "QuantizeLinear", "r,s,z", "y");
        th_output(g, "y");
        NAME("NaN QuantizeLinear %s", dt_name(qt));
        th_check_graph(nm, g, 0);
    }
    for (int kind = 0; kind < 4; kind++) { /* QLinearMatMul, QLinearConv 1x1, 3x3, depthwise 3x3 */
        int conv = kind > 0, c = th_randint(2, 9), k = kind == 3 ? c : th_randint(2, 12);
        int ks = kind >= 2 ? 3 : 1, per = conv ? c / (kind == 3 ? c : 1) * ks * ks : c;
        nngpu_dtype xt = pick8(), wt = pick8(), yt = pick8();
        int8_t w[12 * 9 * 9], wz[12];
        for (int o = 0; o < k; o++) {
            wz[o] = (int8_t)zp_of(wt);
            for (int e = 0; e < per; e++) {
                int v = o % 2 ? th_randint(lo_of(wt), hi_of(wt)) : wz[o]; /* even: acc 0 */
                w[conv ? o * per + e : e * k + o] = (int8_t)v;
            }
        }
        nngpu_graph *g = th_graph(13);
        if (conv) th_input_typed(g, "x", xt, 4, D(1, c, th_randint(3, 9), th_randint(3, 9)));
        else th_input_typed(g, "x", xt, 2, D(th_randint(1, 9), c));
        th_const_scalar_f32(g, "xs", INFINITY);
        th_const_scalar_int(g, "xz", xt, zp_of(xt));
        if (conv) th_const_data(g, "w", wt, 4, D(k, per / (ks * ks), ks, ks), w);
        else th_const_data(g, "w", wt, 2, D(c, k), w);
        th_const_rand(g, "ws", 1, D(k), 0.002f, 0.02f);
        th_const_data(g, "wz", wt, 1, D(k), wz);
        th_const_scalar_f32(g, "ys", th_randf(0.01f, 0.1f));
        th_const_scalar_int(g, "yz", yt, zp_of(yt));
        th_node(g, conv ? "QLinearConv" : "QLinearMatMul", "x,xs,xz,w,ws,wz,ys,yz", "y");
        if (conv) th_attr_ints(g, "pads", 4, D(ks / 2, ks / 2, ks / 2, ks / 2));
        if (kind == 3) th_attr_int(g, "group", c);
        th_output(g, "y");
        NAME("NaN %s x%s w%s y%s c%d k%d", conv ? "QLinearConv" : "QLinearMatMul", dt_name(xt),
             dt_name(wt), dt_name(yt), c, k);
        if (kind) snprintf(nm + strlen(nm), sizeof nm - strlen(nm), " %dx%d%s", ks, ks, kind == 3 ? " depthwise" : "");
        th_check_graph(nm, g, 0);
    }
}

int main(int argc, char **argv) {
    th_init(argc, argv);
    th_hold_devices();
    test_quantize();
    test_qlinearconv();
    test_qconv_paths();
    test_convinteger();
    test_qlinearmatmul();
    test_matmulinteger();
    test_long_k_exact();
    test_runtime_zero_point();
    test_matmul_quant_w();
    test_nan();
    return th_summary();
}
