/* Every op and every fused pattern on every device against the CPU reference,
 * with random shapes and data each run (see harness/harness.h for the seed,
 * the filter and what is checked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

#define TOL 1e-4
#define D(...) ((const int64_t[]){__VA_ARGS__})
#define NAME(...) snprintf(nm, sizeof nm, __VA_ARGS__)

static char nm[256];

/* ---- Conv ----------------------------------------------------------------------- */

typedef struct conv_cfg {
    int n, c, h, w, k, kh, kw, sh, sw, dh, dw, pads[4], group, bias;
    const char *auto_pad; /* NULL: explicit pads */
} conv_cfg;

static void conv_random(conv_cfg *c, int force_depthwise) {
    static const int kern[][2] = {{1, 1}, {3, 3}, {5, 5}, {1, 3}, {7, 1}, {3, 3}, {2, 2}};
    memset(c, 0, sizeof *c);
    int ki = th_randint(0, 6);
    c->kh = kern[ki][0];
    c->kw = kern[ki][1];
    c->n = th_randint(1, 2);
    int mode = force_depthwise ? 3 : th_randint(0, 4); /* 0-2: plain, 3: depthwise, 4: grouped */
    if (mode == 3) {
        c->c = th_randint(1, 9);
        c->group = c->c;
        c->k = c->c * th_randint(1, 2);
    } else if (mode == 4) {
        c->group = th_randint(2, 3);
        c->c = c->group * th_randint(1, 3);
        c->k = c->group * th_randint(1, 4);
    } else {
        c->group = 1;
        c->c = th_randint(1, 9);
        c->k = th_randint(1, 13);
    }
    c->sh = th_randint(1, 3);
    c->sw = th_randint(1, 3);
    c->dh = c->kh > 1 ? th_randint(1, 2) : 1;
    c->dw = c->kw > 1 ? th_randint(1, 2) : 1;
    for (int i = 0; i < 4; i++) c->pads[i] = th_randint(0, 2);
    int ap = th_randint(0, 7);
    c->auto_pad = ap == 0 ? "SAME_UPPER" : ap == 1 ? "VALID" : NULL;
    if (c->auto_pad) memset(c->pads, 0, sizeof c->pads);
    c->h = th_randint(1, 19);
    c->w = th_randint(1, 19);
    /* at least one output pixel */
    int need_h = c->dh * (c->kh - 1) + 1 - c->pads[0] - c->pads[2];
    int need_w = c->dw * (c->kw - 1) + 1 - c->pads[1] - c->pads[3];
    if (c->h < need_h) c->h = need_h;
    if (c->w < need_w) c->w = need_w;
    c->bias = th_randint(0, 1);
}

static void conv_name(const conv_cfg *c, const char *what) {
    NAME("%s n%d c%d %dx%d k%d ker%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d%s%s%s", what, c->n, c->c,
         c->h, c->w, c->k, c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->pads[0], c->pads[1],
         c->pads[2], c->pads[3], c->group, c->bias ? " bias" : "", c->auto_pad ? " " : "",
         c->auto_pad ? c->auto_pad : "");
}

/* Adds Conv x -> out with weights "<out>_w" (and bias). */
static void add_conv(nngpu_graph *g, const conv_cfg *c, const char *x, const char *out) {
    char w[64], b[64], ins[200];
    snprintf(w, sizeof w, "%s_w", out);
    snprintf(b, sizeof b, "%s_b", out);
    th_const_rand(g, w, 4, D(c->k, c->c / c->group, c->kh, c->kw), -1, 1);
    if (c->bias) th_const_rand(g, b, 1, D(c->k), -1, 1);
    snprintf(ins, sizeof ins, "%s,%s%s%s", x, w, c->bias ? "," : "", c->bias ? b : "");
    th_node(g, "Conv", ins, out);
    th_attr_ints(g, "kernel_shape", 2, D(c->kh, c->kw));
    th_attr_ints(g, "strides", 2, D(c->sh, c->sw));
    th_attr_ints(g, "dilations", 2, D(c->dh, c->dw));
    if (c->group != 1) th_attr_int(g, "group", c->group);
    if (c->auto_pad) th_attr_string(g, "auto_pad", c->auto_pad);
    else th_attr_ints(g, "pads", 4, D(c->pads[0], c->pads[1], c->pads[2], c->pads[3]));
}

/* Checks the single Conv c, named `what`. */
static void check_conv(const conv_cfg *c, const char *what) {
    conv_name(c, what);
    nngpu_graph *g = th_graph(17);
    th_input(g, "x", 4, D(c->n, c->c, c->h, c->w));
    add_conv(g, c, "x", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

static void test_conv(void) {
    conv_cfg c;
    for (int i = 0; i < 20; i++) {
        conv_random(&c, i % 6 == 5);
        check_conv(&c, "Conv");
    }
    /* Conv with runtime weights and a 1-D conv. */
    conv_random(&c, 0);
    c.group = 1;
    c.c = th_randint(1, 6);
    NAME("Conv weights as input c%d k%d", c.c, c.k);
    nngpu_graph *g = th_graph(17);
    th_expect_cpu_fallback(); /* OpenCL re-lays constant weights out: runtime ones run on the CPU */
    th_input(g, "x", 4, D(1, c.c, 9, 8));
    th_input(g, "w", 4, D(c.k, c.c, 3, 3));
    th_node(g, "Conv", "x,w", "y");
    th_attr_ints(g, "pads", 4, D(1, 1, 1, 1));
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* Dilated kernels whose outer taps read only padding: devices cut them
     * (trim_conv_taps.c), the reference keeps them. ASPP-like first (only the
     * centre is live: a 1x1), then random geometries, some depthwise. */
    for (int i = 0; i < 9; i++) {
        int h = th_randint(1, 9), w = th_randint(1, 9), kh = i ? 2 * th_randint(1, 2) + 1 : 3;
        int kw = i ? th_randint(1, 5) : 3, dh = i ? th_randint(2, 8) : 12, dw = i ? th_randint(1, 8) : 18;
        int sh = i ? th_randint(1, 2) : 1, sw = 1, dwise = i % 3 == 2;
        int cin = th_randint(1, 12), cout = dwise ? cin : th_randint(1, 12), n = th_randint(1, 3);
        int64_t pads[4] = {i ? th_randint(0, dh * (kh - 1)) : 12, i ? th_randint(0, dw * (kw - 1)) : 18,
                           i ? th_randint(0, dh * (kh - 1)) : 12, i ? th_randint(0, dw * (kw - 1)) : 18};
        if (h + pads[0] + pads[2] < dh * (kh - 1) + 1) pads[2] = dh * (kh - 1) + 1 - h - pads[0];
        if (w + pads[1] + pads[3] < dw * (kw - 1) + 1) pads[3] = dw * (kw - 1) + 1 - w - pads[1];
        NAME("Conv dilated padding-only taps n%d c%d->%d %dx%d k%dx%d d%dx%d s%d pads %lld,%lld,%lld,%lld%s",
             n, cin, cout, h, w, kh, kw, dh, dw, sh, (long long)pads[0], (long long)pads[1],
             (long long)pads[2], (long long)pads[3], dwise ? " depthwise" : "");
        g = th_graph(17);
        th_input(g, "x", 4, D(n, cin, h, w));
        th_const_rand(g, "w", 4, D(cout, dwise ? 1 : cin, kh, kw), -1, 1);
        th_const_rand(g, "b", 1, D(cout), -1, 1);
        th_node(g, "Conv", "x,w,b", "t");
        th_attr_ints(g, "dilations", 2, D(dh, dw));
        th_attr_ints(g, "strides", 2, D(sh, sw));
        th_attr_ints(g, "pads", 4, pads);
        if (dwise) th_attr_int(g, "group", cin);
        th_node(g, "Relu", "t", "y");
        th_expect_fused("Conv+Relu");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }

    int len = th_randint(5, 30), k = th_randint(1, 5);
    NAME("Conv1d len%d k%d", len, k);
    g = th_graph(17);
    th_input(g, "x", 3, D(2, 3, len));
    th_const_rand(g, "w", 3, D(k, 3, 3), -1, 1);
    th_node(g, "Conv", "x,w", "y");
    th_attr_ints(g, "pads", 2, D(1, 0));
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

/* ---- Gemm and MatMul -------------------------------------------------------------- */

static void test_gemm(void) {
    static const char *cnames[] = {"none", "scalar", "row", "col", "full"};
    for (int i = 0; i < 12; i++) {
        int m = th_randint(1, 17), k = th_randint(1, 23), n = th_randint(1, 19);
        int ta = th_randint(0, 1), tb = th_randint(0, 1), cm = i % 5, b_in = th_randint(0, 2) == 0;
        float alpha = th_randint(0, 1) ? 1.0f : th_randf(-2, 2);
        float beta = th_randint(0, 1) ? 1.0f : th_randf(-2, 2);
        NAME("Gemm m%d k%d n%d tA%d tB%d C=%s alpha%.2f beta%.2f%s", m, k, n, ta, tb, cnames[cm],
             alpha, beta, b_in ? " B input" : "");
        nngpu_graph *g = th_graph(13);
        th_input(g, "a", 2, ta ? D(k, m) : D(m, k));
        if (b_in) th_input(g, "b", 2, tb ? D(n, k) : D(k, n));
        else th_const_rand(g, "b", 2, tb ? D(n, k) : D(k, n), -1, 1);
        if (cm == 1) th_const_rand(g, "c", 1, D(1), -1, 1);
        if (cm == 2) th_const_rand(g, "c", 1, D(n), -1, 1);
        if (cm == 3) th_const_rand(g, "c", 2, D(m, 1), -1, 1);
        if (cm == 4) th_const_rand(g, "c", 2, D(m, n), -1, 1);
        th_node(g, "Gemm", cm ? "a,b,c" : "a,b", "y");
        th_attr_int(g, "transA", ta);
        th_attr_int(g, "transB", tb);
        th_attr_float(g, "alpha", alpha);
        if (cm) th_attr_float(g, "beta", beta);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_matmul(void) {
    for (int i = 0; i < 14; i++) {
        int m = th_randint(1, 13), k = th_randint(1, 21), n = th_randint(1, 15);
        int b1 = th_randint(1, 3), b2 = th_randint(2, 3), kind = i % 7;
        int b_const = th_randint(0, 1);
        int ra = 2, rb = 2;
        int64_t da[4], db[4];
        const char *what = "";
        switch (kind) {
        case 0: what = "2-D"; da[0] = m; da[1] = k; db[0] = k; db[1] = n; break;
        case 1: what = "batched"; ra = rb = 3;
            da[0] = b1; da[1] = m; da[2] = k; db[0] = b1; db[1] = k; db[2] = n; break;
        case 2: what = "batch x 2-D"; ra = 3;
            da[0] = b1; da[1] = m; da[2] = k; db[0] = k; db[1] = n; break;
        case 3: what = "broadcast batch"; ra = 4; rb = 3;
            da[0] = b2; da[1] = 1; da[2] = m; da[3] = k; db[0] = b1; db[1] = k; db[2] = n; break;
        case 4: what = "1-D A"; ra = 1; da[0] = k; db[0] = k; db[1] = n; break;
        case 5: what = "1-D B"; rb = 1; da[0] = m; da[1] = k; db[0] = k; break;
        default: what = "2-D x batched"; rb = 3;
            da[0] = m; da[1] = k; db[0] = b2; db[1] = k; db[2] = n; break;
        }
        NAME("MatMul %s m%d k%d n%d b%d,%d%s", what, m, k, n, b1, b2, b_const ? " B const" : "");
        nngpu_graph *g = th_graph(13);
        th_input(g, "a", ra, da);
        if (b_const) th_const_rand(g, "b", rb, db, -1, 1);
        else th_input(g, "b", rb, db);
        th_node(g, "MatMul", "a,b", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- pools ---------------------------------------------------------------------- */

static void test_pool(void) {
    for (int i = 0; i < 16; i++) {
        int is_max = i % 2 == 0;
        int kh = th_randint(1, 3), kw = th_randint(1, 3);
        if (i % 4 == 0) kh = kw = 2;
        int sh = th_randint(1, 3), sw = th_randint(1, 3);
        int dh = is_max && i % 3 == 0 ? 2 : 1, dw = is_max && i % 3 == 0 ? th_randint(1, 2) : 1;
        int p[4];
        for (int k = 0; k < 4; k++) p[k] = th_randint(0, (k % 2 ? kw : kh) - 1);
        int ceil_mode = th_randint(0, 1), cip = !is_max && th_randint(0, 1);
        int n = th_randint(1, 2), c = th_randint(1, 7);
        int h = th_randint(dh * (kh - 1) + 1, 17), w = th_randint(dw * (kw - 1) + 1, 17);
        NAME("%s n%d c%d %dx%d ker%dx%d s%d,%d d%d,%d p%d,%d,%d,%d ceil%d cip%d",
             is_max ? "MaxPool" : "AveragePool", n, c, h, w, kh, kw, sh, sw, dh, dw, p[0], p[1],
             p[2], p[3], ceil_mode, cip);
        nngpu_graph *g = th_graph(17);
        th_input(g, "x", 4, D(n, c, h, w));
        th_node(g, is_max ? "MaxPool" : "AveragePool", "x", "y");
        th_attr_ints(g, "kernel_shape", 2, D(kh, kw));
        th_attr_ints(g, "strides", 2, D(sh, sw));
        th_attr_ints(g, "pads", 4, D(p[0], p[1], p[2], p[3]));
        th_attr_int(g, "ceil_mode", ceil_mode);
        if (is_max) th_attr_ints(g, "dilations", 2, D(dh, dw));
        else th_attr_int(g, "count_include_pad", cip);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* Square windows up to 7 at stride 1 or 2 on rows wide enough for 4-,
     * 8- and 16-wide interior vectors (CPUs: pool.cl's whole-row kernel),
     * padding, ceil_mode, count_include_pad, batch 2, rows not dividing
     * POOL_ROWS; a Relu after the pool. */
    for (int i = 0; i < 8; i++) {
        int is_max = i % 2 == 0, k = th_randint(2, 7), s = th_randint(1, 2);
        int p[4];
        for (int e = 0; e < 4; e++) p[e] = th_randint(0, (k - 1) / 2);
        int ceil_mode = th_randint(0, 1), cip = !is_max && th_randint(0, 1);
        int n = th_randint(1, 2), c = th_randint(1, 5), h = th_randint(k, 20), w = th_randint(k + 8, 90);
        NAME("%s rows n%d c%d %dx%d ker%d s%d p%d,%d,%d,%d ceil%d cip%d%s",
             is_max ? "MaxPool" : "AveragePool", n, c, h, w, k, s, p[0], p[1], p[2], p[3],
             ceil_mode, cip, i >= 6 ? " + Relu" : "");
        nngpu_graph *g = th_graph(17);
        th_input(g, "x", 4, D(n, c, h, w));
        th_node(g, is_max ? "MaxPool" : "AveragePool", "x", i >= 6 ? "p" : "y");
        th_attr_ints(g, "kernel_shape", 2, D(k, k));
        th_attr_ints(g, "strides", 2, D(s, s));
        th_attr_ints(g, "pads", 4, D(p[0], p[1], p[2], p[3]));
        th_attr_int(g, "ceil_mode", ceil_mode);
        if (!is_max) th_attr_int(g, "count_include_pad", cip);
        if (i >= 6) th_node(g, "Relu", "p", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* ceil_mode with a window larger than the map: one output over what the
     * map holds (Hugging Face EfficientNet's pooler: AvgPool2d(1280) on 7x7) */
    for (int i = 0; i < 3; i++) {
        int is_max = i == 2, k = th_randint(6, 12), h = th_randint(1, k - 1), w = th_randint(1, k);
        int pad = i == 1, cip = i == 1;
        NAME("%s ceil window %d past a %dx%d map pad%d cip%d", is_max ? "MaxPool" : "AveragePool",
             k, h, w, pad, cip);
        nngpu_graph *g = th_graph(17);
        th_input(g, "x", 4, D(2, 5, h, w));
        th_node(g, is_max ? "MaxPool" : "AveragePool", "x", "y");
        th_attr_ints(g, "kernel_shape", 2, D(k, k));
        th_attr_ints(g, "strides", 2, D(k, k));
        th_attr_ints(g, "pads", 4, D(pad, pad, 0, pad));
        th_attr_int(g, "ceil_mode", 1);
        if (!is_max) th_attr_int(g, "count_include_pad", cip);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* 3-D pools (video models), lowered for devices to a 2-D pool per frame and
     * one along the frames: every window option, batch up to 2 */
    for (int i = 0; i < 8; i++) {
        int is_max = i % 2 == 0, k[3], s[3], d[3], p[6], dims[3];
        for (int a = 0; a < 3; a++) {
            k[a] = th_randint(1, 3), s[a] = th_randint(1, 2);
            d[a] = is_max && i % 4 == 0 ? th_randint(1, 2) : 1;
            p[a] = th_randint(0, k[a] - 1), p[a + 3] = th_randint(0, k[a] - 1);
            dims[a] = th_randint(d[a] * (k[a] - 1) + 1, 9);
        }
        int ceil_mode = th_randint(0, 1), cip = !is_max && th_randint(0, 1), n = th_randint(1, 2);
        int c = th_randint(1, 5);
        NAME("%s3d n%d c%d %dx%dx%d ker%dx%dx%d s%d,%d,%d d%d,%d,%d p%d,%d,%d,%d,%d,%d ceil%d cip%d",
             is_max ? "MaxPool" : "AveragePool", n, c, dims[0], dims[1], dims[2], k[0], k[1], k[2], s[0],
             s[1], s[2], d[0], d[1], d[2], p[0], p[1], p[2], p[3], p[4], p[5], ceil_mode, cip);
        nngpu_graph *g = th_graph(19);
        th_input(g, "x", 5, D(n, c, dims[0], dims[1], dims[2]));
        th_node(g, is_max ? "MaxPool" : "AveragePool", "x", "y");
        th_attr_ints(g, "kernel_shape", 3, D(k[0], k[1], k[2]));
        th_attr_ints(g, "strides", 3, D(s[0], s[1], s[2]));
        th_attr_ints(g, "dilations", 3, D(d[0], d[1], d[2]));
        th_attr_ints(g, "pads", 6, D(p[0], p[1], p[2], p[3], p[4], p[5]));
        th_attr_int(g, "ceil_mode", ceil_mode);
        if (!is_max) th_attr_int(g, "count_include_pad", cip);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    const char *ap[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
    for (int i = 0; i < 3; i++) {
        int h = th_randint(3, 15), w = th_randint(3, 15);
        NAME("MaxPool auto_pad %s %dx%d", ap[i], h, w);
        nngpu_graph *g = th_graph(17);
        th_input(g, "x", 4, D(1, 3, h, w));
        th_node(g, i == 1 ? "AveragePool" : "MaxPool", "x", "y");
        th_attr_ints(g, "kernel_shape", 2, D(3, 3));
        th_attr_ints(g, "strides", 2, D(2, 2));
        th_attr_string(g, "auto_pad", ap[i]);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 4; i++) {
        int n = th_randint(1, 2), c = th_randint(1, 17), h = th_randint(1, 13), w = th_randint(1, 13);
        const char *op = i % 2 ? "GlobalMaxPool" : "GlobalAveragePool";
        NAME("%s n%d c%d %dx%d", op, n, c, h, w);
        nngpu_graph *g = th_graph(17);
        th_input(g, "x", 4, D(n, c, h, w));
        th_node(g, op, "x", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- elementwise ------------------------------------------------------------------ */

static void random_shape4(int64_t *d) {
    d[0] = th_randint(1, 2);
    d[1] = th_randint(1, 7);
    d[2] = th_randint(1, 11);
    d[3] = th_randint(1, 13);
}

static void test_unary(void) {
    static const struct {
        const char *op;
        float lo, hi;
    } ops[] = {{"Relu", -1, 1},  {"Sigmoid", -4, 4}, {"Tanh", -3, 3},     {"Exp", -3, 3},
               {"Neg", -1, 1},   {"Abs", -1, 1},     {"Sqrt", 0.01f, 4},  {"LeakyRelu", -1, 1},
               {"HardSigmoid", -4, 4}, {"HardSwish", -4, 4}, {"Clip", -2, 2}, {"Cast", -1, 1},
               /* tiny results, where relative error shows (llvmpipe's tanh errs by 7e-8) */
               {"Tanh", -1e-5f, 1e-5f}, {"Softplus", -30, -10}, {"Mish", -20, -10}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        for (int rep = 0; rep < 2; rep++) {
            int64_t d[4];
            random_shape4(d);
            int rank = rep ? th_randint(1, 4) : 4;
            const int64_t *dd = d + 4 - rank;
            float alpha = th_randf(0.05f, 0.5f), beta = th_randf(0.3f, 0.7f);
            NAME("%s rank%d %lldx%lldx%lldx%lld alpha%.3f", ops[i].op, rank, (long long)d[0],
                 (long long)d[1], (long long)d[2], (long long)d[3], alpha);
            nngpu_graph *g = th_graph(17);
            th_input_range(g, "x", rank, dd, ops[i].lo, ops[i].hi);
            if (!strcmp(ops[i].op, "Clip")) {
                float lo = th_randf(-1, 0), hi = th_randf(0.1f, 1);
                th_const_f32(g, "lo", 0, NULL, &lo);
                th_const_f32(g, "hi", 0, NULL, &hi);
                th_node(g, "Clip", rep ? "x,,hi" : "x,lo,hi", "y");
            } else {
                th_node(g, ops[i].op, "x", "y");
            }
            if (!strcmp(ops[i].op, "LeakyRelu")) th_attr_float(g, "alpha", alpha);
            if (!strcmp(ops[i].op, "HardSigmoid")) {
                th_attr_float(g, "alpha", alpha);
                th_attr_float(g, "beta", beta);
            }
            if (!strcmp(ops[i].op, "Cast")) th_attr_int(g, "to", 1);
            th_output(g, "y");
            th_check_graph(nm, g, TOL);
        }
    }
    /* Clip with attributes (opset 6), Relu6 style. */
    nngpu_graph *g = th_graph(6);
    th_input_range(g, "x", 2, D(5, 7), -8, 8);
    th_node(g, "Clip", "x", "y");
    th_attr_float(g, "min", 0);
    th_attr_float(g, "max", 6);
    th_output(g, "y");
    th_check_graph("Clip opset6 attributes 0..6", g, TOL);
}

/* Shapes of a broadcasting pair, from a full shape d. */
static const char *bcast_pair(int kind, const int64_t *d, int *ra, int64_t *da, int *rb,
                              int64_t *db) {
    *ra = 4;
    memcpy(da, d, 4 * sizeof *d);
    switch (kind) {
    case 0: *rb = 4; memcpy(db, d, 4 * sizeof *d); return "full";
    case 1: *rb = 0; return "scalar";
    case 2: *rb = 3; db[0] = d[1]; db[1] = 1; db[2] = 1; return "per-channel";
    case 3: *rb = 1; db[0] = d[3]; return "row";
    case 4: *rb = 2; db[0] = d[2]; db[1] = 1; return "column";
    case 5: *rb = 2; db[0] = d[2]; db[1] = d[3]; return "rank-mismatched";
    case 6: /* both sides broadcast */
        *rb = 4; db[0] = 1; db[1] = d[1]; db[2] = 1; db[3] = d[3];
        da[1] = 1; da[3] = 1; return "both";
    default: *rb = 1; db[0] = 1; return "[1]";
    }
}

static void test_binary(void) {
    static const struct {
        const char *op;
        float alo, ahi, blo, bhi;
    } ops[] = {{"Add", -1, 1, -1, 1},     {"Sub", -1, 1, -1, 1},    {"Mul", -1, 1, -1, 1},
               {"Div", -1, 1, 0.5f, 2},   {"Pow", 0.1f, 2, -2, 2}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        for (int kind = 0; kind < 8; kind++) {
            int64_t d[4], da[4], db[4];
            int ra, rb;
            random_shape4(d);
            const char *what = bcast_pair(kind, d, &ra, da, &rb, db);
            int swap = kind > 0 && kind % 3 == 0, b_const = kind % 2;
            NAME("%s %s%s %lldx%lldx%lldx%lld%s", ops[i].op, what, swap ? " swapped" : "",
                 (long long)d[0], (long long)d[1], (long long)d[2], (long long)d[3],
                 b_const ? " const" : "");
            /* a is the op's first input; when swapped it has the broadcast shape */
            nngpu_graph *g = th_graph(17);
            int r1 = swap ? rb : ra, r2 = swap ? ra : rb;
            const int64_t *d1 = swap ? db : da, *d2 = swap ? da : db;
            if (b_const && swap) th_const_rand(g, "a", r1, d1, ops[i].alo, ops[i].ahi);
            else th_input_range(g, "a", r1, d1, ops[i].alo, ops[i].ahi);
            if (b_const && !swap) th_const_rand(g, "b", r2, d2, ops[i].blo, ops[i].bhi);
            else th_input_range(g, "b", r2, d2, ops[i].blo, ops[i].bhi);
            th_node(g, ops[i].op, "a,b", "y");
            th_output(g, "y");
            th_check_graph(nm, g, TOL);
        }
    }
    /* A bias along the last axis (NHWC, [B, S, D]): runs of the operand as vectors. */
    for (int i = 0; i < 4; i++) {
        int64_t c = (int64_t)th_randint(1, 6) * (i < 2 ? 16 : 6), rows = th_randint(1, 40);
        NAME("%s last-axis bias %lldx%lld", i % 2 ? "Mul" : "Add", (long long)rows, (long long)c);
        nngpu_graph *g = th_graph(17);
        th_input(g, "a", 3, D(2, rows, c));
        if (i < 2) th_const_rand(g, "b", 1, D(c), -1, 1);
        else th_input(g, "b", 2, D(1, c));
        th_node(g, i % 2 ? "Mul" : "Add", "a,b", "t");
        th_node(g, "Relu", "t", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* PRelu: per-channel and scalar slopes, slopes as input. */
    for (int i = 0; i < 3; i++) {
        int64_t d[4];
        random_shape4(d);
        NAME("PRelu %s c%lld", i == 0 ? "per-channel" : i == 1 ? "scalar" : "input slope",
             (long long)d[1]);
        nngpu_graph *g = th_graph(17);
        th_input(g, "x", 4, d);
        if (i == 0) th_const_rand(g, "s", 3, D(d[1], 1, 1), 0, 0.5f);
        else if (i == 1) th_const_rand(g, "s", 1, D(1), 0, 0.5f);
        else th_input(g, "s", 3, D(d[1], 1, 1));
        th_node(g, "PRelu", "x,s", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- Softmax and reductions ----------------------------------------------------- */

static void test_softmax(void) {
    for (int i = 0; i < 8; i++) {
        int opset = i % 2 ? 11 : 13, rank = th_randint(2, 4);
        int64_t d[4] = {th_randint(1, 4), th_randint(1, 9), th_randint(1, 11), th_randint(1, 33)};
        int axis = th_randint(-rank, rank - 1);
        int given = i < 6;
        NAME("Softmax opset%d rank%d %lldx%lldx%lldx%lld axis%d%s", opset, rank, (long long)d[0],
             (long long)d[1], (long long)d[2], (long long)d[3], given ? axis : -99,
             given ? "" : " (default)");
        nngpu_graph *g = th_graph(opset);
        th_input_range(g, "x", rank, d, -5, 5);
        th_node(g, "Softmax", "x", "y");
        if (given) th_attr_int(g, "axis", axis);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_reduce(void) {
    static const char *ops[] = {"ReduceMean", "ReduceSum", "ReduceMax"};
    for (int i = 0; i < 18; i++) {
        const char *op = ops[i % 3];
        int opset = i % 6 < 3 ? 13 : 18, keep = th_randint(0, 1);
        int64_t d[4];
        random_shape4(d);
        int64_t axes[4];
        int na = 0;
        int pattern = th_randint(0, 5);
        if (pattern == 0) na = 0; /* all */
        else if (pattern == 1) { axes[0] = -1; na = 1; }
        else if (pattern == 2) { axes[0] = 2; axes[1] = 3; na = 2; }
        else if (pattern == 3) { axes[0] = 1; na = 1; }
        else if (pattern == 4) { axes[0] = 0; axes[1] = -2; na = 2; }
        else { axes[0] = 1; axes[1] = 2; axes[2] = 3; na = 3; }
        char ax[64] = "";
        for (int k = 0; k < na; k++) snprintf(ax + strlen(ax), sizeof ax - strlen(ax), "%s%lld", k ? "," : "", (long long)axes[k]);
        NAME("%s opset%d %lldx%lldx%lldx%lld axes[%s] keepdims%d", op, opset, (long long)d[0],
             (long long)d[1], (long long)d[2], (long long)d[3], na ? ax : "all", keep);
        nngpu_graph *g = th_graph(opset);
        /* values around 0.5: signed ones can sum to near 0, where the normalized
         * error measures summation order, not the kernel (a mean of 3e-6 over
         * 110 values of size 1 failed by 5e-4 on one seed) */
        th_input_range(g, "x", 4, d, -0.5f, 1.5f);
        int as_input = opset >= 18 || !strcmp(op, "ReduceSum");
        if (as_input && na) th_const_i64(g, "axes", 1, D(na), axes);
        th_node(g, op, as_input && na ? "x,axes" : "x", "y");
        if (!as_input && na) th_attr_ints(g, "axes", na, axes);
        th_attr_int(g, "keepdims", keep);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- data movement ---------------------------------------------------------------- */

static void test_concat(void) {
    for (int i = 0; i < 10; i++) {
        int axis = i % 4, n_in = th_randint(2, 4), neg = th_randint(0, 1);
        int64_t d[4];
        random_shape4(d);
        nngpu_graph *g = th_graph(13);
        char ins[64] = "", sizes[64] = "";
        for (int k = 0; k < n_in; k++) {
            int64_t dk[4] = {d[0], d[1], d[2], d[3]};
            dk[axis] = th_randint(1, 5);
            char name[16];
            snprintf(name, sizeof name, "x%d", k);
            if (k == 1 && i % 3 == 0) th_const_rand(g, name, 4, dk, -1, 1);
            else th_input(g, name, 4, dk);
            snprintf(ins + strlen(ins), sizeof ins - strlen(ins), "%s%s", k ? "," : "", name);
            snprintf(sizes + strlen(sizes), sizeof sizes - strlen(sizes), "%s%lld", k ? "," : "", (long long)dk[axis]);
        }
        NAME("Concat axis%d %d inputs sizes %s%s", neg ? axis - 4 : axis, n_in, sizes,
             i % 3 == 0 ? " (one const)" : "");
        th_node(g, "Concat", ins, "y");
        th_attr_int(g, "axis", neg ? axis - 4 : axis);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* More inputs than a device Concat takes (NG_CONCAT_MAX_PARTS, 32): a tree
 * of Concats, two levels past 1024 inputs (SSD heads concatenate ~90). The
 * inputs are x + c_k (c_k of random extent along the axis) or c_k itself. */
static void test_concat_wide(void) {
    static const int counts[] = {33, 90, 1100};
    static char names[1100][16];
    for (int i = 0; i < 3; i++) {
        int n_in = counts[i], axis = th_randint(0, 2);
        int64_t dx[3] = {2, 3, 2};
        dx[axis] = 1;
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 3, dx);
        const char *in[1100], *out[1] = {"y"};
        for (int k = 0; k < n_in; k++) {
            int64_t dk[3] = {2, 3, 2};
            dk[axis] = th_randint(1, 3);
            char c[16];
            snprintf(c, sizeof c, "c%d", k);
            th_const_rand(g, c, 3, dk, -1, 1);
            snprintf(names[k], sizeof names[k], "a%d", k);
            if (k % 7 == 3) snprintf(names[k], sizeof names[k], "%s", c);
            else th_node(g, "Add", (snprintf(nm, sizeof nm, "x,%s", c), nm), names[k]);
            in[k] = names[k];
        }
        if (nngpu_graph_add_node(g, "Concat", "wide", n_in, in, 1, out) != NNGPU_OK)
            th_fail(__FILE__, __LINE__, "adding a Concat of %d inputs", n_in);
        th_attr_int(g, "axis", axis);
        th_node(g, "Relu", "y", "r");
        th_output(g, "r");
        NAME("Concat of %d inputs axis %d, then Relu", n_in, axis);
        th_check_graph(nm, g, TOL);
    }
}

static void test_split(void) {
    for (int i = 0; i < 8; i++) {
        int axis = th_randint(0, 3), n_out = th_randint(2, 3), given = i % 2;
        int64_t d[4];
        random_shape4(d);
        int64_t sizes[3];
        int64_t total = 0;
        for (int k = 0; k < n_out; k++) total += sizes[k] = th_randint(1, 4);
        if (!given) {
            int64_t each = th_randint(1, 4);
            for (int k = 0; k < n_out; k++) sizes[k] = each;
            total = each * n_out;
        }
        d[axis] = total;
        NAME("Split axis%d %d outputs %s %lld,%lld,%lld", axis, n_out, given ? "given" : "equal",
             (long long)sizes[0], (long long)sizes[1], (long long)(n_out > 2 ? sizes[2] : 0));
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, d);
        if (given) th_const_i64(g, "split", 1, D(n_out), sizes);
        th_node(g, "Split", given ? "x,split" : "x", n_out == 2 ? "y0,y1" : "y0,y1,y2");
        th_attr_int(g, "axis", axis);
        th_output(g, "y0");
        th_output(g, "y1");
        if (n_out > 2) th_output(g, "y2");
        th_check_graph(nm, g, TOL);
    }
    /* opset 18: num_outputs with a shorter last chunk */
    int len = th_randint(5, 11);
    NAME("Split opset18 num_outputs3 len%d", len);
    nngpu_graph *g = th_graph(18);
    th_input(g, "x", 2, D(3, len));
    th_node(g, "Split", "x", "y0,y1,y2");
    th_attr_int(g, "axis", 1);
    th_attr_int(g, "num_outputs", 3);
    th_output(g, "y0");
    th_output(g, "y1");
    th_output(g, "y2");
    th_check_graph(nm, g, TOL);
}

static void test_slice(void) {
    static const struct {
        const char *what;
        int n;
        int64_t starts[2], ends[2], axes[2], steps[2];
    } cases[] = {
        {"simple", 2, {1, 0}, {3, 2}, {2, 3}, {1, 1}},
        {"negative", 2, {-3, -4}, {-1, 1000}, {2, -1}, {1, 1}},
        {"stepped", 2, {0, 1}, {100, 100}, {2, 3}, {2, 3}},
        {"reversed", 1, {-1, 0}, {-1000, 0}, {3, 0}, {-1, 1}},
        {"reversed step2", 1, {100, 0}, {0, 0}, {2, 0}, {-2, 1}},
        {"clamped", 2, {-100, 2}, {100, 1000}, {1, 3}, {1, 1}},
        {"channel", 1, {1, 0}, {2, 0}, {1, 0}, {1, 1}},
        {"batch", 1, {0, 0}, {1, 0}, {0, 0}, {1, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t d[4];
        random_shape4(d);
        d[2] = th_randint(4, 11);
        d[3] = th_randint(5, 13);
        d[1] = th_randint(2, 6);
        NAME("Slice %s %lldx%lldx%lldx%lld", cases[i].what, (long long)d[0], (long long)d[1],
             (long long)d[2], (long long)d[3]);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, d);
        int n = cases[i].n;
        th_const_i64(g, "st", 1, D(n), cases[i].starts);
        th_const_i64(g, "en", 1, D(n), cases[i].ends);
        th_const_i64(g, "ax", 1, D(n), cases[i].axes);
        th_const_i64(g, "sp", 1, D(n), cases[i].steps);
        th_node(g, "Slice", i == 0 ? "x,st,en" : "x,st,en,ax,sp", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_transpose(void) {
    for (int i = 0; i < 8; i++) {
        int rank = th_randint(2, 5);
        int64_t d[5], perm[5];
        for (int k = 0; k < rank; k++) {
            d[k] = th_randint(1, rank > 3 ? 6 : 13);
            perm[k] = k;
        }
        for (int k = rank - 1; k > 0; k--) {
            int j = th_randint(0, k);
            int64_t t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        char ps[32] = "";
        for (int k = 0; k < rank; k++) snprintf(ps + strlen(ps), sizeof ps - strlen(ps), "%lld", (long long)perm[k]);
        NAME("Transpose rank%d perm%s", rank, ps);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", rank, d);
        th_node(g, "Transpose", "x", "y");
        if (i != 7) th_attr_ints(g, "perm", rank, perm); /* default: reversed */
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* Reshape-like ops between two real ops (so views are exercised). */
static void test_views(void) {
    int64_t d[4];
    for (int i = 0; i < 8; i++) {
        random_shape4(d);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, d);
        th_node(g, "Relu", "x", "r");
        switch (i % 4) {
        case 0: {
            NAME("Reshape 0,-1 between ops %lldx%lldx%lldx%lld", (long long)d[0], (long long)d[1], (long long)d[2], (long long)d[3]);
            th_const_i64(g, "shape", 1, D(2), D(0, -1));
            th_node(g, "Reshape", "r,shape", "v");
            th_const_rand(g, "k", 1, D(d[1] * d[2] * d[3]), -1, 1);
            break;
        }
        case 1: {
            int axis = th_randint(0, 3);
            NAME("Flatten axis%d between ops", axis);
            th_node(g, "Flatten", "r", "v");
            th_attr_int(g, "axis", axis);
            int64_t cols = 1;
            for (int k = axis; k < 4; k++) cols *= d[k];
            th_const_rand(g, "k", 1, D(cols), -1, 1);
            break;
        }
        case 2: {
            d[2] = 1;
            nngpu_graph_destroy(g);
            g = th_graph(13);
            th_input(g, "x", 4, d);
            th_node(g, "Relu", "x", "r");
            NAME("Squeeze axis2 between ops c%lld", (long long)d[1]);
            th_const_i64(g, "axes", 1, D(1), D(2));
            th_node(g, "Squeeze", "r,axes", "v");
            th_const_rand(g, "k", 1, D(d[3]), -1, 1);
            break;
        }
        default: {
            NAME("Unsqueeze axes0,-1 between ops");
            th_const_i64(g, "axes", 1, D(2), D(0, -1));
            th_node(g, "Unsqueeze", "r,axes", "v");
            th_const_rand(g, "k", 1, D(1), -1, 1);
            break;
        }
        }
        th_node(g, "Mul", "v,k", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* A reshape as the graph output, and a reshape of the graph input. */
    random_shape4(d);
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 4, d);
    th_node(g, "Sigmoid", "x", "s");
    th_const_i64(g, "shape", 1, D(1), D(-1));
    th_node(g, "Reshape", "s,shape", "y");
    th_output(g, "y");
    th_check_graph("Reshape as the graph output", g, TOL);

    g = th_graph(13);
    th_input(g, "x", 4, d);
    th_const_i64(g, "shape", 1, D(2), D(-1, d[3]));
    th_node(g, "Reshape", "x,shape", "v");
    th_node(g, "Tanh", "v", "y");
    th_output(g, "y");
    th_check_graph("Reshape of the graph input", g, TOL);
}

static void test_gather(void) {
    for (int i = 0; i < 8; i++) {
        int64_t d[4];
        random_shape4(d);
        int axis = th_randint(-4, 3), ax = axis < 0 ? axis + 4 : axis;
        int irank = th_randint(0, 2);
        int64_t idims[2] = {th_randint(1, 4), th_randint(1, 3)}, idx[12];
        int64_t cnt = irank == 0 ? 1 : irank == 1 ? idims[0] : idims[0] * idims[1];
        for (int k = 0; k < cnt; k++) idx[k] = th_randint((int)-d[ax], (int)d[ax] - 1);
        NAME("Gather axis%d indices rank%d %lldx%lldx%lldx%lld idx0=%lld", axis, irank,
             (long long)d[0], (long long)d[1], (long long)d[2], (long long)d[3], (long long)idx[0]);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, d);
        th_const_i64(g, "i", irank, idims, idx);
        th_node(g, "Gather", "x,i", "y");
        th_attr_int(g, "axis", axis);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* Gather with indices computed at run time (int64 and int32 graph inputs,
 * ids from ArgMax) on every device, no CPU fallback: negative indices, axis
 * 0/1/-1, indices of rank 0-3, and the embedding lookup of every transformer. */
static void test_gather_runtime(void) {
    static const nngpu_dtype types[] = {NNGPU_DTYPE_INT64, NNGPU_DTYPE_INT32};
    for (int i = 0; i < 8; i++) {
        nngpu_dtype dt = types[i % 4 == 3];
        int rank = th_randint(1, 3), axis = th_randint(-rank, rank - 1), ax = axis < 0 ? axis + rank : axis;
        if (i < 2) axis = ax = i < rank ? i : 0; /* axis 0 and 1 every run */
        int irank = i % 4, len;
        int64_t d[3], di[3];
        for (int k = 0; k < rank; k++) d[k] = th_randint(1, 7);
        for (int k = 0; k < irank; k++) di[k] = th_randint(1, 4);
        len = (int)d[ax];
        NAME("Gather runtime %s indices rank%d axis%d x %lldx%lldx%lld", dt == NNGPU_DTYPE_INT64 ? "int64" : "int32",
             irank, axis, (long long)d[0], (long long)(rank > 1 ? d[1] : 1), (long long)(rank > 2 ? d[2] : 1));
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", rank, d);
        th_input_int(g, "i", dt, irank, di, -len, len - 1);
        th_node(g, "Gather", "x,i", "y");
        th_attr_int(g, "axis", axis);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int rep = 0; rep < 2; rep++) { /* ids [B, T] into a [V, D] table, + positions */
        int64_t v = th_randint(8, 300), dm = th_pick(3, (const int[]){8, 16, 24}), t = th_randint(1, 9);
        NAME("Gather embedding ids 2x%lld int64 into %lldx%lld + positions", (long long)t, (long long)v, (long long)dm);
        nngpu_graph *g = th_graph(13);
        th_input_int(g, "ids", NNGPU_DTYPE_INT64, 2, D(2, t), (int)-v, (int)v - 1);
        th_const_rand(g, "emb", 2, D(v, dm), -1, 1);
        th_const_rand(g, "pos", 2, D(t, dm), -1, 1);
        th_node(g, "Gather", "emb,ids", "e");
        th_node(g, "Add", "e,pos", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    int64_t d[3] = {2, th_randint(2, 6), th_randint(3, 9)};
    NAME("Gather of ArgMax ids (int64 computed on the device) %lldx%lldx%lld", (long long)d[0],
         (long long)d[1], (long long)d[2]);
    nngpu_graph *g = th_graph(13);
    th_input(g, "s", 3, d);
    th_const_rand(g, "table", 2, D(d[2], 5), -1, 1);
    th_node(g, "ArgMax", "s", "ids");
    th_attr_int(g, "axis", -1);
    th_attr_int(g, "keepdims", 0);
    th_node(g, "Gather", "table,ids", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

/* Runtime indices out of range (ONNX: an error; the reference refuses them)
 * read as 0 on the devices, without reading or writing out of bounds (guard
 * bytes): past the end, before -len, and int64s beyond int32. */
static int oob_failures;

static void gather_out_of_range_on(const char *sel, const char *op) {
    static const int64_t ids[8] = {1, -1, 4, -5, ((int64_t)1 << 32) | 1, INT64_MIN, -((int64_t)1 << 32) + 2, 2};
    static const int rows[8] = {1, 3, -1, -1, -1, -1, -1, 2}; /* -1: reads 0 */
    int elements = !strcmp(op, "GatherElements");
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 2, elements ? D(4, 8) : D(4, 3));
    th_input_typed(g, "i", NNGPU_DTYPE_INT64, elements ? 2 : 1, elements ? D(1, 8) : D(8));
    th_node(g, op, "x,i", "y");
    th_output(g, "y");
    float x[32], y[32];
    th_fill(x, 32, -1, 1);
    nngpu_tensor in[2] = {{"x", NNGPU_DTYPE_FLOAT32, 2, {4, elements ? 8 : 3}, x, sizeof(float) * (elements ? 32 : 12)},
                          {"i", NNGPU_DTYPE_INT64, elements ? 2 : 1, {elements ? 1 : 8, 8}, (void *)ids, sizeof ids}};
    nngpu_tensor out = {"y", NNGPU_DTYPE_FLOAT32, 0, {0}, y, sizeof y};
    nngpu_options o;
    nngpu_options_init(&o);
    o.allow_cpu_fallback = 0;
    o.guard_bytes = 64;
    nngpu_model *m = NULL;
    nngpu_session *s = NULL;
    int ok = nngpu_model_from_graph(g, &m) == NNGPU_OK &&
             nngpu_session_create(m, sel, &o, &s) == NNGPU_OK &&
             nngpu_session_run(s, 2, in, 1, &out) == NNGPU_OK;
    char why[160] = "";
    if (!ok) snprintf(why, sizeof why, ": %s", nngpu_last_error());
    for (int j = 0; ok && j < 8; j++) {
        int w = elements ? 1 : 3; /* GatherElements axis 0: y[0][j] = x[ids[j]][j] */
        for (int c = 0; c < w; c++) {
            float want = rows[j] < 0 ? 0.0f : elements ? x[rows[j] * 8 + j] : x[rows[j] * 3 + c];
            if (y[j * w + c] != want) {
                snprintf(why, sizeof why, ": index %d gives %g, not %g", j, y[j * w + c], want);
                ok = 0;
            }
        }
    }
    printf("%s %s on %s%s\n", ok ? "ok  " : "FAIL", nm, sel, why);
    oob_failures += !ok;
    nngpu_session_destroy(s);
    nngpu_model_destroy(m);
}

static void gather_out_of_range(void) {
    static const char *const ops[] = {"Gather", "GatherElements"};
    for (int k = 0; k < 2; k++) {
        NAME("%s runtime int64 indices out of range read 0", ops[k]);
        if (!th_selected(nm)) continue;
        for (int d = 0; d < nngpu_device_count(); d++) {
            nngpu_device_info info;
            if (th_device(d, &info)) gather_out_of_range_on(info.selector, ops[k]);
        }
    }
}

static void test_pad(void) {
    static const char *modes[] = {"constant", "reflect", "edge"};
    for (int i = 0; i < 9; i++) {
        const char *mode = modes[i % 3];
        int64_t d[4];
        random_shape4(d);
        d[2] = th_randint(3, 9);
        d[3] = th_randint(3, 9);
        int64_t p[8] = {0};
        for (int k = 2; k < 4; k++) {
            p[k] = th_randint(0, 2);
            p[k + 4] = th_randint(0, 2);
        }
        if (i % 3 == 0 && i > 0) p[1] = 1; /* a channel pad */
        float value = th_randf(-1, 1);
        NAME("Pad %s %lldx%lldx%lldx%lld pads %lld,%lld,%lld / %lld,%lld,%lld value%.2f", mode,
             (long long)d[0], (long long)d[1], (long long)d[2], (long long)d[3], (long long)p[1],
             (long long)p[2], (long long)p[3], (long long)p[5], (long long)p[6], (long long)p[7],
             value);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, d);
        th_const_i64(g, "pads", 1, D(8), p);
        th_const_f32(g, "v", 0, NULL, &value);
        th_node(g, "Pad", i % 3 == 0 ? "x,pads,v" : "x,pads", "y");
        th_attr_string(g, "mode", mode);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* wide innermost rows (the CPU row kernel): NHWC pads on H and W only, and
     * each mode padding (or cropping) a long last axis */
    for (int i = 0; i < 4; i++) {
        const char *mode = modes[i % 3];
        int64_t c = th_randint(8, 40), h = th_randint(2, 7);
        int64_t p[8] = {0, i == 0, i == 0, 0, 0, i == 0 ? 2 : 0, i == 0, 0};
        if (i) p[3] = th_randint(0, 3), p[7] = i == 3 ? -2 : th_randint(1, 3);
        NAME("Pad %s rows 1x%lldx5x%lld pads %lld,%lld,%lld / %lld,%lld,%lld", mode, (long long)h,
             (long long)c, (long long)p[1], (long long)p[2], (long long)p[3], (long long)p[5],
             (long long)p[6], (long long)p[7]);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, D(1, h, 5, c));
        th_const_i64(g, "pads", 1, D(8), p);
        th_node(g, "Pad", "x,pads", "y");
        th_attr_string(g, "mode", mode);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_resize(void) {
    static const struct {
        const char *mode, *ctm, *nearest;
    } cfg[] = {
        {"nearest", "asymmetric", "floor"},
        {"nearest", "half_pixel", "round_prefer_floor"},
        {"nearest", "align_corners", "round_prefer_ceil"},
        {"nearest", "asymmetric", "ceil"},
        {"nearest", "tf_half_pixel_for_nn", "round_prefer_floor"},
        {"linear", "half_pixel", NULL},
        {"linear", "align_corners", NULL},
        {"linear", "asymmetric", NULL},
        {"linear", "pytorch_half_pixel", NULL},
    };
    static const float scales[] = {2.0f, 0.5f, 1.5f, 3.0f, 1.0f, 0.75f};
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        for (int by_size = 0; by_size < 2; by_size++) {
            int64_t d[4];
            random_shape4(d);
            d[2] = th_randint(2, 9);
            d[3] = th_randint(2, 9);
            float sh = scales[th_randint(0, 5)], sw = scales[th_randint(0, 5)];
            int64_t oh = th_randint(1, 17), ow = th_randint(1, 17);
            if (by_size)
                NAME("Resize %s %s %s %lldx%lld -> sizes %lldx%lld", cfg[i].mode, cfg[i].ctm,
                     cfg[i].nearest ? cfg[i].nearest : "", (long long)d[2], (long long)d[3],
                     (long long)oh, (long long)ow);
            else
                NAME("Resize %s %s %s %lldx%lld scales %.2f,%.2f", cfg[i].mode, cfg[i].ctm,
                     cfg[i].nearest ? cfg[i].nearest : "", (long long)d[2], (long long)d[3], sh, sw);
            nngpu_graph *g = th_graph(13);
            th_input(g, "x", 4, d);
            if (by_size) {
                th_const_i64(g, "sizes", 1, D(4), D(d[0], d[1], oh, ow));
                th_node(g, "Resize", "x,,,sizes", "y");
            } else {
                th_const_f32(g, "scales", 1, D(4), (const float[]){1, 1, sh, sw});
                th_node(g, "Resize", "x,,scales", "y");
            }
            th_attr_string(g, "mode", cfg[i].mode);
            th_attr_string(g, "coordinate_transformation_mode", cfg[i].ctm);
            /* a TF1 mode no other exporter emits: the CPU may run it */
            if (!strcmp(cfg[i].ctm, "tf_half_pixel_for_nn")) th_expect_cpu_fallback();
            if (cfg[i].nearest) th_attr_string(g, "nearest_mode", cfg[i].nearest);
            th_output(g, "y");
            th_check_graph(nm, g, TOL);
        }
    }
    /* Kernels interpolate planes when only the last two dims are resized
     * (one of them may keep its size) and walk every dim otherwise. */
    static const struct {
        const char *mode;
        int rank;
        float scales[4];
    } dims[] = {
        {"cubic", 3, {1, 1, 1.5f}},     /* planes, the row dim kept */
        {"linear", 4, {1, 2, 1, 0.5f}}, /* channels resized: every dim */
        {"nearest", 4, {2, 1, 3, 1}},
        {"cubic", 4, {1, 1, 0.75f, 2}},
    };
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        int64_t d[4] = {th_randint(1, 3), th_randint(2, 7), th_randint(2, 9), th_randint(2, 9)};
        NAME("Resize %s rank%d scales %.2f,%.2f,%.2f,%.2f", dims[i].mode, dims[i].rank,
             dims[i].scales[0], dims[i].scales[1], dims[i].scales[2], dims[i].scales[3]);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", dims[i].rank, d);
        th_const_f32(g, "scales", 1, D(dims[i].rank), dims[i].scales);
        th_node(g, "Resize", "x,,scales", "y");
        th_attr_string(g, "mode", dims[i].mode);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* Upsample (opset 9) as exporters of old models emit it: nearest x2. */
    nngpu_graph *g = th_graph(9);
    th_input(g, "x", 4, D(1, 3, 5, 4));
    th_const_f32(g, "scales", 1, D(4), (const float[]){1, 1, 2, 2});
    th_node(g, "Upsample", "x,scales", "y");
    th_attr_string(g, "mode", "nearest");
    th_output(g, "y");
    th_check_graph("Upsample opset9 nearest x2", g, TOL);
}

static void add_bn(nngpu_graph *g, const char *x, int c, const char *out) {
    char s[64], b[64], m[64], v[64], ins[320];
    snprintf(s, sizeof s, "%s_scale", out);
    snprintf(b, sizeof b, "%s_bias", out);
    snprintf(m, sizeof m, "%s_mean", out);
    snprintf(v, sizeof v, "%s_var", out);
    th_const_rand(g, s, 1, D(c), 0.5f, 1.5f);
    th_const_rand(g, b, 1, D(c), -1, 1);
    th_const_rand(g, m, 1, D(c), -1, 1);
    th_const_rand(g, v, 1, D(c), 0.2f, 2);
    snprintf(ins, sizeof ins, "%s,%s,%s,%s,%s", x, s, b, m, v);
    th_node(g, "BatchNormalization", ins, out);
    th_attr_float(g, "epsilon", th_randf(1e-5f, 1e-3f));
}

static void test_batchnorm(void) {
    for (int i = 0; i < 4; i++) {
        int64_t d[4];
        random_shape4(d);
        int rank = i == 3 ? 2 : 4;
        NAME("BatchNormalization rank%d c%lld", rank, (long long)d[1]);
        nngpu_graph *g = th_graph(15);
        th_input(g, "x", rank, d);
        add_bn(g, "x", (int)d[1], "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- fused patterns ---------------------------------------------------------------- */

/* Conv -> tail; the tail reads "c" and writes "y". */
static nngpu_graph *conv_graph(conv_cfg *c, int force_bias) {
    conv_random(c, 0);
    if (force_bias) c->bias = 1;
    nngpu_graph *g = th_graph(17);
    th_input(g, "x", 4, D(c->n, c->c, c->h, c->w));
    add_conv(g, c, "x", "c");
    return g;
}

static void fused_conv_activations(void) {
    static const char *acts[] = {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish",
                                 "Tanh", "Clip", "PRelu"};
    conv_cfg c;
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        nngpu_graph *g = conv_graph(&c, 0);
        char buf[64];
        snprintf(buf, sizeof buf, "Conv+%s", acts[i]);
        conv_name(&c, buf);
        if (!strcmp(acts[i], "Clip")) {
            th_const_f32(g, "lo", 0, NULL, (const float[]){0});
            th_const_f32(g, "hi", 0, NULL, (const float[]){6});
            th_node(g, "Clip", "c,lo,hi", "y");
        } else if (!strcmp(acts[i], "PRelu")) {
            th_const_rand(g, "slope", 3, D(c.k, 1, 1), 0, 0.5f);
            th_node(g, "PRelu", "c,slope", "y");
        } else {
            th_node(g, acts[i], "c", "y");
        }
        if (!strcmp(acts[i], "LeakyRelu")) th_attr_float(g, "alpha", 0.1f);
        th_output(g, "y");
        th_expect_fused(buf);
        th_check_graph(nm, g, TOL);
    }
    /* x * sigmoid(x) (SiLU / Swish) */
    nngpu_graph *g = conv_graph(&c, 1);
    conv_name(&c, "Conv+x*sigmoid(x)");
    th_node(g, "Sigmoid", "c", "s");
    th_node(g, "Mul", "c,s", "y");
    th_output(g, "y");
    th_expect_fused("Conv+Sigmoid+Mul");
    th_check_graph(nm, g, TOL);
}

static void fused_conv_bn(void) {
    conv_cfg c;
    for (int i = 0; i < 3; i++) {
        nngpu_graph *g = conv_graph(&c, i == 1);
        conv_name(&c, i == 2 ? "Conv+BN+Clip(0,6)" : "Conv+BN+Relu");
        add_bn(g, "c", c.k, "bn");
        if (i == 2) {
            th_const_f32(g, "lo", 0, NULL, (const float[]){0});
            th_const_f32(g, "hi", 0, NULL, (const float[]){6});
            th_node(g, "Clip", "bn,lo,hi", "y");
            th_expect_fused("Conv+BatchNormalization+Clip");
        } else {
            th_node(g, "Relu", "bn", "y");
            th_expect_fused("Conv+BatchNormalization+Relu");
        }
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* Conv + BN where the Conv output is also a graph output: must not fold. */
    nngpu_graph *g = conv_graph(&c, 0);
    conv_name(&c, "Conv+BN, conv also an output");
    add_bn(g, "c", c.k, "y");
    th_output(g, "y");
    th_output(g, "c");
    th_check_graph(nm, g, TOL);
}

/* Per-channel affine ops after a Conv, a Gemm or a standalone BN (Caffe's
 * Scale layer as Mul and Add, Sub, Div; constants [K,1,1], [1,K,1,1] or
 * scalars) fold into it: one kernel. A constant varying along another axis
 * is not per channel and stays an elementwise op. */
static void fused_affine(void) {
    conv_cfg c;
    for (int i = 0; i < 3; i++) {
        nngpu_graph *g = conv_graph(&c, i == 1);
        conv_name(&c, i == 0 ? "Conv+Mul+Add(per channel)+Relu" : i == 1 ? "Conv+BN+Sub+Div"
                                                                        : "Conv+Mul(per width)");
        if (i == 0) {
            th_const_rand(g, "s", 3, D(c.k, 1, 1), 0.5f, 2);
            th_const_rand(g, "b", 4, D(1, c.k, 1, 1), -1, 1);
            th_node(g, "Mul", "c,s", "m");
            th_node(g, "Add", "b,m", "a");
            th_node(g, "Relu", "a", "y");
            th_expect_fused("Conv+Mul+Add+Relu");
        } else if (i == 1) {
            add_bn(g, "c", c.k, "bn");
            th_const_rand(g, "t", 3, D(c.k, 1, 1), -1, 1);
            th_const_f32(g, "d", 0, NULL, (const float[]){th_randf(0.5f, 2)});
            th_node(g, "Sub", "t,bn", "m"); /* t - x */
            th_node(g, "Div", "m,d", "y");
            th_expect_fused("Conv+BatchNormalization+Sub+Div");
        } else {
            int ow = (c.w + c.pads[1] + c.pads[3] - c.dw * (c.kw - 1) - 1) / c.sw + 1;
            if (c.auto_pad && strncmp(c.auto_pad, "SAME", 4) == 0) ow = (c.w + c.sw - 1) / c.sw;
            th_const_rand(g, "s", 3, D(1, 1, ow), 0.5f, 2);
            th_node(g, "Mul", "c,s", "y");
            th_expect_fused("Conv+Mul"); /* the epilogue, not folded into the weights */
        }
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* Standalone BN (after an Add) then Mul, Add and Relu: one kernel. */
    int64_t d[4];
    random_shape4(d);
    NAME("Add+BN+Mul+Add+Relu c%lld", (long long)d[1]);
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 4, d);
    th_input(g, "z", 4, d);
    th_node(g, "Add", "x,z", "s");
    add_bn(g, "s", (int)d[1], "bn");
    th_const_rand(g, "m", 3, D(d[1], 1, 1), 0.5f, 2);
    th_const_rand(g, "b", 3, D(d[1], 1, 1), -1, 1);
    th_node(g, "Mul", "bn,m", "p");
    th_node(g, "Add", "p,b", "q");
    th_node(g, "Relu", "q", "y");
    th_expect_fused("BatchNormalization+Mul+Add+Relu");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
    /* Gemm then a per-column Mul: folded into B. */
    int m = th_randint(1, 9), k = th_randint(1, 33), n = th_randint(2, 21);
    NAME("Gemm+Mul(per column)+Add m%d k%d n%d", m, k, n);
    g = th_graph(13);
    th_input(g, "x", 2, D(m, k));
    th_const_rand(g, "w", 2, D(k, n), -1, 1);
    th_const_rand(g, "s", 1, D(n), 0.5f, 2);
    th_const_rand(g, "b", 2, D(1, n), -1, 1);
    th_node(g, "Gemm", "x,w", "c");
    th_node(g, "Mul", "c,s", "p");
    th_node(g, "Add", "p,b", "y");
    th_expect_fused("Gemm+Mul+Add");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

static void fused_conv_residual(void) {
    conv_cfg c;
    for (int i = 0; i < 4; i++) {
        conv_random(&c, 0);
        c.group = 1;
        c.c = th_randint(1, 8);
        c.k = c.c;
        c.sh = c.sw = 1;
        c.dh = c.dw = 1;
        c.kh = c.kw = 3;
        c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1;
        c.auto_pad = i == 3 ? "SAME_UPPER" : NULL;
        conv_name(&c, i % 2 ? "Conv+Add(residual, x first)+Relu" : "Conv+Add(residual)+Relu");
        nngpu_graph *g = th_graph(17);
        th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
        add_conv(g, &c, "x", "c");
        th_node(g, "Add", i % 2 ? "x,c" : "c,x", "a");
        th_node(g, "Relu", "a", "y");
        th_output(g, "y");
        th_expect_fused("Conv+Add+Relu");
        th_check_graph(nm, g, TOL);
    }
}

/* Conv 3x3 stride 1, pads 1, batch 2, bias, + Add(x) + Relu fused: the
 * residual epilogue of a `channels`-channel block, named `what`. */
static void conv_residual_relu(int channels, const char *what) {
    conv_cfg c;
    memset(&c, 0, sizeof c);
    c.n = 2;
    c.c = c.k = channels;
    c.h = th_randint(5, 20);
    c.w = th_randint(5, 20);
    c.kh = c.kw = 3;
    c.sh = c.sw = c.dh = c.dw = 1;
    c.group = 1;
    c.bias = 1;
    c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1;
    conv_name(&c, what);
    nngpu_graph *g = th_graph(17);
    th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
    add_conv(g, &c, "x", "c");
    th_node(g, "Add", "c,x", "a");
    th_node(g, "Relu", "a", "y");
    th_output(g, "y");
    th_expect_fused("Conv+Add+Relu");
    th_check_graph(nm, g, TOL);
}

/* Forces kernel parameters (NNGPU_PARAMS syntax; NULL: the caller's own
 * NNGPU_PARAMS) for the cases until params_restore(). */
static char params_saved[512];
static int params_had;
static void params_force(const char *spec) {
    static int saved_once;
    if (!saved_once) {
        const char *prev = getenv("NNGPU_PARAMS");
        params_had = prev != NULL;
        snprintf(params_saved, sizeof params_saved, "%s", prev ? prev : "");
        saved_once = 1;
    }
    if (spec) setenv("NNGPU_PARAMS", spec, 1);
    else if (params_had) setenv("NNGPU_PARAMS", params_saved, 1);
    else unsetenv("NNGPU_PARAMS");
}
static void params_restore(void) { params_force(NULL); }

/* Winograd 3x3 stride-1 convolutions (parameter WINO of vulkan's vk_conv and
 * opencl's conv_direct, forced to F(2,3) and F(4,3) through NNGPU_PARAMS,
 * then the defaults, which pick Winograd from 16 channels on lavapipe and
 * from 96 (or large layers) on POCL):
 * odd sizes, maps smaller than a tile, padding 0 or 1 per side, channels not
 * multiples of 4, batch 2, residual epilogue. */
static void conv_winograd(void) {
    static const char *forced[] = {"vk_conv:WINO=2;conv_direct:WINO=2",
                                   "vk_conv:WINO=4;conv_direct:WINO=4", NULL};
    static const char *tags[] = {"F(2,3)", "F(4,3)", "default"};
    for (int f = 0; f < 3; f++) {
        params_force(forced[f]);
        const char *tag = tags[f];
        for (int i = 0; i < 4; i++) {
            conv_cfg c;
            memset(&c, 0, sizeof c);
            c.n = i % 2 ? 2 : 1;
            c.c = forced[f] ? 1 + 2 * th_randint(0, 9) : 17 + 2 * th_randint(0, 3);
            c.k = forced[f] ? 1 + 2 * th_randint(0, 9) : 17 + 2 * th_randint(0, 3);
            c.kh = c.kw = 3;
            c.sh = c.sw = c.dh = c.dw = 1;
            c.group = 1;
            c.bias = i != 1;
            for (int j = 0; j < 4; j++) c.pads[j] = th_randint(0, 1);
            c.h = i == 3 ? 3 + th_randint(0, 1) : 2 * th_randint(2, 11) + 1;
            c.w = i == 3 ? 3 + th_randint(0, 1) : 2 * th_randint(2, 11) + 1;
            char what[64];
            snprintf(what, sizeof what, "Conv Winograd (%s)", tag);
            conv_name(&c, what);
            nngpu_graph *g = th_graph(17);
            th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
            add_conv(g, &c, "x", "y");
            th_output(g, "y");
            th_check_graph(nm, g, TOL);
        }
        char what[64];
        snprintf(what, sizeof what, "Conv Winograd+Add(residual)+Relu (%s)", tag);
        conv_residual_relu(forced[f] ? 3 + 2 * th_randint(0, 6) : 19, what);
    }
    params_restore();
}

/* Each algorithm for ungrouped convolutions, forced per backend through
 * NNGPU_PARAMS (the tuner picks them per layer): OpenCL direct / im2col +
 * GEMM (conv_direct ALGO), Vulkan direct / implicit GEMM (vk_conv IGEMM,
 * Winograd off); random geometry (strides, dilations, pads, batch 2) and a
 * fused residual epilogue. */
static void conv_algorithms(void) {
    static const char *forced[] = {"conv_direct:ALGO=1;vk_conv:IGEMM=1,WINO=0",
                                   "conv_direct:ALGO=0;vk_conv:IGEMM=0,WINO=0"};
    static const char *tags[] = {"im2col/igemm", "direct"};
    for (int f = 0; f < 2; f++) {
        params_force(forced[f]);
        for (int i = 0; i < 6; i++) {
            conv_cfg c;
            do conv_random(&c, 0);
            while (c.group != 1 || (c.kh == 1 && c.kw == 1));
            char what[64];
            snprintf(what, sizeof what, "Conv %s", tags[f]);
            check_conv(&c, what);
        }
        char what[64];
        snprintf(what, sizeof what, "Conv+Add(residual)+Relu %s", tags[f]);
        conv_residual_relu(th_randint(3, 20), what);
    }
    params_restore();
}

/* The CPU depthwise row kernel's two sources, forced on every row shape:
 * a zero-padded private window (DW_PAD=1, by default stride 1 only) and
 * straight global reads with scalar edge pixels (DW_PAD=0); kernels 3/5/7,
 * strides 1 and 2, asymmetric pads, batch 2, rows not dividing DW_ROWS. */
static void conv_depthwise_windows(void) {
    static const char *forced[] = {"conv_depthwise:DW_PAD=1", "conv_depthwise:DW_PAD=0",
                                   "conv_depthwise:DW_PAD=1,DW_ROWS=4"};
    for (int f = 0; f < 3; f++) {
        params_force(forced[f]);
        for (int i = 0; i < 4; i++) {
            conv_cfg c;
            memset(&c, 0, sizeof c);
            c.n = th_randint(1, 2); c.c = c.k = c.group = th_randint(2, 9);
            c.kh = c.kw = th_pick(3, (const int[]){3, 5, 7});
            c.sh = c.sw = 1 + i % 2; c.dh = c.dw = 1; c.bias = th_randint(0, 1);
            for (int e = 0; e < 4; e++) c.pads[e] = th_randint(0, c.kh / 2);
            c.h = th_randint(c.kh, 30); c.w = th_randint(c.kw + 8, 80);
            char what[64];
            snprintf(what, sizeof what, "Conv depthwise %s", forced[f] + 15);
            check_conv(&c, what);
        }
    }
    params_restore();
    /* Stride 1 with a fused residual Add and Mish: the epilogue on whole
     * pixel vectors (EPI_VEC_OK), its operand read as vectors too. */
    conv_cfg c;
    memset(&c, 0, sizeof c);
    c.n = 2; c.c = c.k = c.group = th_randint(2, 9);
    c.kh = c.kw = 3; c.sh = c.sw = c.dh = c.dw = 1; c.bias = 1;
    for (int e = 0; e < 4; e++) c.pads[e] = 1;
    c.h = th_randint(3, 20); c.w = th_randint(9, 70);
    conv_name(&c, "Conv depthwise+Add+Mish");
    nngpu_graph *g = th_graph(17);
    th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
    th_input(g, "z", 4, D(c.n, c.k, c.h, c.w));
    add_conv(g, &c, "x", "c");
    th_node(g, "Add", "c,z", "a");
    th_node(g, "Mish", "a", "y");
    th_expect_fused("Conv+Add+Mish");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

static void fused_gemm(void) {
    for (int i = 0; i < 4; i++) {
        int m = th_randint(1, 9), k = th_randint(1, 33), n = th_randint(1, 21);
        nngpu_graph *g = th_graph(15);
        th_input(g, "x", 2, D(m, k));
        th_const_rand(g, "w", 2, D(n, k), -1, 1);
        th_const_rand(g, "b", 1, D(n), -1, 1);
        th_node(g, "Gemm", "x,w,b", "c");
        th_attr_int(g, "transB", 1);
        if (i % 2 == 0) {
            NAME("Gemm+BN m%d k%d n%d", m, k, n);
            add_bn(g, "c", n, "y");
            th_expect_fused("Gemm+BatchNormalization");
        } else {
            NAME("Gemm+Relu m%d k%d n%d", m, k, n);
            th_node(g, "Relu", "c", "y");
            th_expect_fused("Gemm+Relu");
        }
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 3; i++) {
        int b = th_randint(1, 3), m = th_randint(1, 9), k = th_randint(1, 33), n = th_randint(1, 21);
        NAME("MatMul+Add(bias)+Relu b%d m%d k%d n%d", b, m, k, n);
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 3, D(b, m, k));
        th_const_rand(g, "w", 2, D(k, n), -1, 1);
        th_const_rand(g, "bias", 1, D(n), -1, 1);
        th_node(g, "MatMul", "x,w", "mm");
        th_node(g, "Add", i == 2 ? "bias,mm" : "mm,bias", "a");
        th_node(g, "Relu", "a", "y");
        th_output(g, "y");
        th_expect_fused("MatMul+Add+Relu");
        th_check_graph(nm, g, TOL);
    }
}

static void fused_pad(void) {
    for (int i = 0; i < 4; i++) {
        int64_t d[4];
        random_shape4(d);
        d[2] = th_randint(3, 12);
        d[3] = th_randint(3, 12);
        int64_t p[8] = {0, 0, th_randint(0, 2), th_randint(0, 2), 0, 0, th_randint(0, 2), th_randint(0, 2)};
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, d);
        th_const_i64(g, "pads", 1, D(8), p);
        th_node(g, "Pad", "x,pads", "p");
        if (i < 2) {
            int k = th_randint(1, 6);
            NAME("Pad+Conv %lldx%lldx%lldx%lld pads %lld,%lld,%lld,%lld k%d", (long long)d[0],
                 (long long)d[1], (long long)d[2], (long long)d[3], (long long)p[2], (long long)p[3],
                 (long long)p[6], (long long)p[7], k);
            th_const_rand(g, "w", 4, D(k, d[1], 3, 3), -1, 1);
            th_node(g, "Conv", "p,w", "y");
            th_attr_ints(g, "pads", 4, D(0, 1, 1, 0));
            th_expect_fused("Pad+Conv");
        } else {
            NAME("Pad+AveragePool(cip=1) %lldx%lldx%lldx%lld pads %lld,%lld,%lld,%lld", (long long)d[0],
                 (long long)d[1], (long long)d[2], (long long)d[3], (long long)p[2], (long long)p[3],
                 (long long)p[6], (long long)p[7]);
            th_node(g, "AveragePool", "p", "y");
            th_attr_ints(g, "kernel_shape", 2, D(3, 3));
            th_attr_ints(g, "strides", 2, D(i == 2 ? 1 : 2, 1));
            th_attr_int(g, "count_include_pad", 1);
            th_expect_fused("Pad+AveragePool");
        }
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void fused_chains(void) {
    int64_t d[4];
    for (int i = 0; i < 2; i++) {
        random_shape4(d);
        NAME("chain Add->Relu->Mul(scalar) %lldx%lldx%lldx%lld", (long long)d[0], (long long)d[1],
             (long long)d[2], (long long)d[3]);
        nngpu_graph *g = th_graph(13);
        th_input(g, "a", 4, d);
        th_input(g, "b", i ? 3 : 4, i ? D(d[1], 1, 1) : d);
        th_const_f32(g, "s", 0, NULL, (const float[]){th_randf(-2, 2)});
        th_node(g, "Add", "a,b", "t");
        th_node(g, "Relu", "t", "r");
        th_node(g, "Mul", "r,s", "y");
        th_output(g, "y");
        th_expect_fused("Add+Relu+Mul");
        th_check_graph(nm, g, TOL);

        random_shape4(d);
        NAME("chain Sub->Abs->Sqrt %lldx%lldx%lldx%lld", (long long)d[0], (long long)d[1],
             (long long)d[2], (long long)d[3]);
        g = th_graph(13);
        th_input(g, "a", 4, d);
        th_input(g, "b", 1, D(d[3]));
        th_node(g, "Sub", "a,b", "t");
        th_node(g, "Abs", "t", "r");
        th_node(g, "Sqrt", "r", "y");
        th_output(g, "y");
        th_expect_fused("Sub+Abs+Sqrt");
        th_check_graph(nm, g, TOL);
    }
    /* A chain whose middle tensor is also an output: it must stay. */
    random_shape4(d);
    nngpu_graph *g = th_graph(13);
    th_input(g, "a", 4, d);
    th_node(g, "Neg", "a", "t");
    th_node(g, "Exp", "t", "y");
    th_output(g, "y");
    th_output(g, "t");
    th_check_graph("chain Neg->Exp, middle also an output", g, TOL);
}

static void fused_shuffle_and_block(void) {
    /* channel shuffle: Reshape [n,g,c/g,h,w] -> Transpose -> Reshape */
    int groups = th_randint(2, 3), cpg = th_randint(1, 4), h = th_randint(1, 9), w = th_randint(1, 9);
    int c = groups * cpg;
    NAME("channel shuffle g%d c%d %dx%d", groups, c, h, w);
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 4, D(1, c, h, w));
    th_node(g, "Relu", "x", "r");
    th_const_i64(g, "s1", 1, D(5), D(1, groups, cpg, h, w));
    th_node(g, "Reshape", "r,s1", "v");
    th_node(g, "Transpose", "v", "t");
    th_attr_ints(g, "perm", 5, D(0, 2, 1, 3, 4));
    th_const_i64(g, "s2", 1, D(4), D(1, c, h, w));
    th_node(g, "Reshape", "t,s2", "u");
    th_node(g, "Sigmoid", "u", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* residual block: conv-bn-relu, conv-bn, add, relu, then GAP + Flatten + Gemm + Softmax */
    int ch = th_randint(2, 8), hh = th_randint(4, 12), ww = th_randint(4, 12), classes = th_randint(2, 10);
    NAME("residual block c%d %dx%d classes%d", ch, hh, ww, classes);
    g = th_graph(13);
    th_input(g, "x", 4, D(2, ch, hh, ww));
    conv_cfg cc;
    memset(&cc, 0, sizeof cc);
    cc.n = 2; cc.c = ch; cc.h = hh; cc.w = ww; cc.k = ch; cc.kh = cc.kw = 3;
    cc.sh = cc.sw = cc.dh = cc.dw = 1; cc.group = 1; cc.bias = 1;
    cc.pads[0] = cc.pads[1] = cc.pads[2] = cc.pads[3] = 1;
    add_conv(g, &cc, "x", "c1");
    add_bn(g, "c1", ch, "b1");
    th_node(g, "Relu", "b1", "r1");
    add_conv(g, &cc, "r1", "c2");
    add_bn(g, "c2", ch, "b2");
    th_node(g, "Add", "b2,x", "s");
    th_node(g, "Relu", "s", "r2");
    th_node(g, "GlobalAveragePool", "r2", "gp");
    th_node(g, "Flatten", "gp", "f");
    th_const_rand(g, "fw", 2, D(classes, ch), -1, 1);
    th_const_rand(g, "fb", 1, D(classes), -1, 1);
    th_node(g, "Gemm", "f,fw,fb", "logits");
    th_attr_int(g, "transB", 1);
    th_node(g, "Softmax", "logits", "y");
    th_output(g, "y");
    th_expect_fused("Conv+BatchNormalization+Relu");
    th_expect_fused("Conv+BatchNormalization+Add+Relu");
    th_check_graph(nm, g, TOL);
}


/* ---- larger shapes and awkward graphs ------------------------------------------------ */

static void test_larger(void) {
    /* tiled paths: bigger GEMM, 1x1 conv as GEMM with a batch, wider conv */
    int m = th_randint(33, 90), k = th_randint(60, 150), n = th_randint(40, 120);
    NAME("Gemm large m%d k%d n%d transB", m, k, n);
    nngpu_graph *g = th_graph(13);
    th_input(g, "a", 2, D(m, k));
    th_const_rand(g, "b", 2, D(n, k), -1, 1);
    th_const_rand(g, "c", 1, D(n), -1, 1);
    th_node(g, "Gemm", "a,b,c", "y");
    th_attr_int(g, "transB", 1);
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    int b = th_randint(2, 4);
    NAME("MatMul large batched b%d m%d k%d n%d", b, m, k, n);
    g = th_graph(13);
    th_input(g, "a", 3, D(b, m, k));
    th_input(g, "b", 3, D(b, k, n));
    th_node(g, "MatMul", "a,b", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    for (int i = 0; i < 3; i++) {
        conv_cfg c;
        memset(&c, 0, sizeof c);
        c.n = i == 0 ? 3 : th_randint(1, 2);
        c.c = th_randint(8, 40);
        c.k = th_randint(8, 40);
        c.h = th_randint(8, 30);
        c.w = th_randint(8, 30);
        c.kh = c.kw = i == 0 ? 1 : 3;
        c.sh = c.sw = i == 2 ? 2 : 1;
        c.dh = c.dw = 1;
        c.group = 1;
        c.bias = 1;
        if (i) c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1;
        conv_name(&c, i == 0 ? "Conv 1x1 batch (GEMM path)" : "Conv large");
        g = th_graph(17);
        th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
        add_conv(g, &c, "x", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* depthwise, wide */
    conv_cfg c;
    memset(&c, 0, sizeof c);
    c.n = 1; c.c = c.k = c.group = th_randint(16, 48); c.h = th_randint(9, 28); c.w = th_randint(9, 28);
    c.kh = c.kw = 3; c.sh = c.sw = th_randint(1, 2); c.dh = c.dw = 1; c.bias = 1;
    c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1;
    conv_name(&c, "Conv depthwise wide");
    g = th_graph(17);
    th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
    add_conv(g, &c, "x", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* Depthwise and direct convolutions with compiled-in geometry over widths
     * whose interiors take 4-, 8- and 16-wide vectors (CPUs: whole rows per
     * work-item), odd and asymmetric pads, batch 2, groups, rows not dividing
     * the work-item's block, output channels not dividing OC_T. */
    for (int i = 0; i < 10; i++) {
        memset(&c, 0, sizeof c);
        c.n = th_randint(1, 2); c.c = c.k = c.group = th_randint(2, 12);
        c.kh = c.kw = th_pick(3, (const int[]){3, 5, 7});
        c.sh = c.sw = th_randint(1, 2); c.dh = c.dw = 1; c.bias = th_randint(0, 1);
        for (int e = 0; e < 4; e++) c.pads[e] = th_randint(0, c.kh / 2);
        c.h = th_randint(c.kh, 20); c.w = th_randint(c.kw + 4, 70);
        if (i % 2) { /* the direct row kernel: few input channels, grouped or not */
            c.group = th_randint(1, 2);
            c.c = c.group * th_randint(1, 7);
            c.k = c.group * th_randint(1, 20);
        }
        conv_name(&c, i % 2 ? "Conv direct rows" : "Conv depthwise rows");
        g = th_graph(17);
        th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
        add_conv(g, &c, "x", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }

    /* Shapes that pick the CPU variants: depthwise stride 2 on rows of >= 28
     * outputs (float8 rows, the last one shifted), a 1x1 expand (short K,
     * M a few times K), a direct conv on rows of >= 64 outputs (PX_T 8). */
    for (int i = 0; i < 3; i++) {
        memset(&c, 0, sizeof c);
        c.n = 1; c.dh = c.dw = 1; c.bias = 1; c.group = 1;
        if (i == 0) {
            c.c = c.k = c.group = th_randint(4, 16);
            c.h = th_randint(5, 12); c.w = th_randint(56, 75);
            c.kh = c.kw = 3; c.sh = c.sw = 2;
        } else if (i == 1) {
            c.c = th_randint(8, 24); c.k = c.c * th_randint(4, 6);
            c.h = th_randint(14, 20); c.w = th_randint(14, 20);
            c.kh = c.kw = 1; c.sh = c.sw = 1;
        } else {
            c.c = 3; c.k = th_randint(8, 16);
            c.h = th_randint(5, 9); c.w = th_randint(130, 150);
            c.kh = c.kw = 3; c.sh = c.sw = 2;
        }
        if (c.kh == 3) c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 1;
        conv_name(&c, i == 0 ? "Conv depthwise s2 wide rows" : i == 1 ? "Conv 1x1 expand"
                                                                     : "Conv direct wide rows");
        g = th_graph(17);
        th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
        add_conv(g, &c, "x", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }

    int len = th_randint(500, 1500);
    NAME("Softmax long axis %d", len);
    g = th_graph(13);
    th_input_range(g, "x", 2, D(3, len), -10, 10);
    th_node(g, "Softmax", "x", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    NAME("ReduceMean large 2x%dx%d axes 2,3", 5, len);
    g = th_graph(13);
    th_input(g, "x", 4, D(2, 5, len / 20, 23));
    th_node(g, "ReduceMean", "x", "y");
    th_attr_ints(g, "axes", 2, D(2, 3));
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    NAME("GlobalAveragePool large 1x%dx%dx%d", 7, len / 30, 31);
    g = th_graph(13);
    th_input(g, "x", 4, D(1, 7, len / 30, 31));
    th_node(g, "GlobalAveragePool", "x", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

static void test_awkward(void) {
    conv_cfg c;
    /* a conv output read by two nodes: no epilogue may swallow it */
    nngpu_graph *g = conv_graph(&c, 1);
    conv_name(&c, "Conv with two consumers");
    th_node(g, "Relu", "c", "r");
    th_node(g, "Sigmoid", "c", "s");
    th_node(g, "Add", "r,s", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* Conv + Add(per-channel constant) + Mul(scalar) */
    g = conv_graph(&c, 0);
    conv_name(&c, "Conv+Add(channel const)+Mul(scalar)");
    th_const_rand(g, "cb", 3, D(c.k, 1, 1), -1, 1);
    th_const_f32(g, "sc", 0, NULL, (const float[]){th_randf(-2, 2)});
    th_node(g, "Add", "c,cb", "a");
    th_node(g, "Mul", "a,sc", "y");
    th_output(g, "y");
    th_expect_fused("Conv+Add+Mul");
    th_check_graph(nm, g, TOL);

    /* a chain longer than one epilogue holds */
    int64_t d[4];
    random_shape4(d);
    NAME("chain of 11 elementwise ops %lldx%lldx%lldx%lld", (long long)d[0], (long long)d[1],
         (long long)d[2], (long long)d[3]);
    g = th_graph(13);
    th_input(g, "x", 4, d);
    th_const_f32(g, "h", 0, NULL, (const float[]){0.5f});
    static const char *chain[] = {"Relu", "Neg", "Exp", "Sqrt", "Tanh", "Abs", "Sigmoid",
                                  "HardSwish", "Neg", "Sigmoid", "Relu"};
    char prev[16] = "x", next[16];
    for (int i = 0; i < 11; i++) {
        snprintf(next, sizeof next, i == 10 ? "y" : "t%d", i);
        char ins[40];
        snprintf(ins, sizeof ins, "%s", prev);
        th_node(g, chain[i], ins, next);
        snprintf(prev, sizeof prev, "%s", next);
    }
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* a chain anchored on an op whose output is larger than its first input */
    random_shape4(d);
    NAME("chain Add(small,big)->Relu %lldx%lldx%lldx%lld", (long long)d[0], (long long)d[1],
         (long long)d[2], (long long)d[3]);
    g = th_graph(13);
    th_input(g, "a", 4, D(1, d[1], 1, 1));
    th_input(g, "b", 4, d);
    th_node(g, "Add", "a,b", "t");
    th_node(g, "Relu", "t", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* Add(x, x), Concat(x, x), Split feeding ops */
    random_shape4(d);
    g = th_graph(13);
    th_input(g, "x", 4, d);
    th_node(g, "Add", "x,x", "a");
    th_node(g, "Concat", "a,x", "y");
    th_attr_int(g, "axis", 1);
    th_output(g, "y");
    th_check_graph("Add(x,x) then Concat(a,x)", g, TOL);

    g = th_graph(13);
    d[1] = 2 * th_randint(1, 4);
    th_input(g, "x", 4, d);
    th_node(g, "Split", "x", "p,q");
    th_attr_int(g, "axis", 1);
    th_node(g, "Sigmoid", "p", "sp");
    th_node(g, "Mul", "sp,q", "y");
    th_output(g, "y");
    th_check_graph("Split feeding Sigmoid and Mul (GLU)", g, TOL);

    /* Gemm whose C is a runtime input, and MatMul + residual Add of a runtime input */
    int m = th_randint(1, 12), k = th_randint(1, 20), n = th_randint(1, 16);
    NAME("Gemm C as input m%d k%d n%d", m, k, n);
    g = th_graph(13);
    th_input(g, "a", 2, D(m, k));
    th_const_rand(g, "b", 2, D(k, n), -1, 1);
    th_input(g, "c", 2, D(m, n));
    th_node(g, "Gemm", "a,b,c", "y");
    th_attr_float(g, "beta", 0.5f);
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    NAME("MatMul+Add(residual input) m%d k%d n%d", m, k, n);
    g = th_graph(13);
    th_input(g, "a", 2, D(m, k));
    th_const_rand(g, "b", 2, D(k, n), -1, 1);
    th_input(g, "r", 2, D(m, n));
    th_node(g, "MatMul", "a,b", "mm");
    th_node(g, "Add", "mm,r", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* Conv + BN + Relu with SAME_LOWER, and Conv 1-D SAME_UPPER */
    memset(&c, 0, sizeof c);
    c.n = 1; c.c = th_randint(1, 6); c.k = th_randint(1, 9); c.h = th_randint(2, 12); c.w = th_randint(2, 12);
    c.kh = c.kw = th_pick(2, (const int[]){2, 4}); c.sh = c.sw = th_randint(1, 2); c.dh = c.dw = 1;
    c.group = 1; c.bias = 1; c.auto_pad = "SAME_LOWER";
    conv_name(&c, "Conv+BN+Relu");
    g = th_graph(17);
    th_input(g, "x", 4, D(c.n, c.c, c.h, c.w));
    add_conv(g, &c, "x", "c");
    add_bn(g, "c", c.k, "bn");
    th_node(g, "Relu", "bn", "y");
    th_output(g, "y");
    th_expect_fused("Conv+BatchNormalization+Relu");
    th_check_graph(nm, g, TOL);

    int len = th_randint(4, 25);
    NAME("Conv1d SAME_UPPER stride2 len%d", len);
    g = th_graph(17);
    th_input(g, "x", 3, D(1, 4, len));
    th_const_rand(g, "w", 3, D(5, 4, 4), -1, 1);
    th_node(g, "Conv", "x,w", "y");
    th_attr_string(g, "auto_pad", "SAME_UPPER");
    th_attr_ints(g, "strides", 1, D(2));
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

/* ---- more unary ops, epilogues, variadic Max/Min, Where, Expand; older opsets ------- */

static void test_extra_ops(void) {
    static const struct {
        const char *op;
        float lo, hi;
    } un[] = {{"Log", 0.05f, 4}, {"Reciprocal", 0.25f, 2}, {"Elu", -2, 2}, {"Erf", -2, 2},
              {"Floor", -3, 3}, {"Ceil", -3, 3}};
    int64_t d[4];
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++) {
        random_shape4(d);
        NAME("%s %lldx%lldx%lldx%lld", un[i].op, (long long)d[0],
             (long long)d[1], (long long)d[2], (long long)d[3]);
        nngpu_graph *g = th_graph(13);
        th_input_range(g, "x", 4, d, un[i].lo, un[i].hi);
        th_node(g, un[i].op, "x", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* Conv + Elu, and GELU (erf form) after MatMul, as epilogues */
    conv_cfg c;
    nngpu_graph *g = conv_graph(&c, 1);
    conv_name(&c, "Conv+Elu");
    th_node(g, "Elu", "c", "y");
    th_attr_float(g, "alpha", 0.7f);
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    int m = th_randint(1, 9), k = th_randint(1, 20), n = th_randint(1, 16);
    NAME("MatMul+GELU(erf) m%d k%d n%d", m, k, n);
    g = th_graph(13);
    th_input(g, "x", 2, D(m, k));
    th_const_rand(g, "w", 2, D(k, n), -1, 1);
    th_const_f32(g, "r2", 0, NULL, (const float[]){1.41421356f});
    th_const_f32(g, "one", 0, NULL, (const float[]){1.0f});
    th_const_f32(g, "half", 0, NULL, (const float[]){0.5f});
    th_node(g, "MatMul", "x,w", "h");
    th_node(g, "Div", "h,r2", "t0");
    th_node(g, "Erf", "t0", "t1");
    th_node(g, "Add", "t1,one", "t2");
    th_node(g, "Mul", "h,t2", "t3");
    th_node(g, "Mul", "t3,half", "y");
    th_output(g, "y");
    th_check_graph(nm, g, TOL);

    /* Max / Min (variadic), Where, Expand */
    random_shape4(d);
    g = th_graph(13);
    th_input(g, "a", 4, d);
    th_input(g, "b", 1, D(d[3]));
    th_input(g, "c", 3, D(d[1], 1, 1));
    th_node(g, "Max", "a,b,c", "mx");
    th_node(g, "Min", "mx,b", "y");
    th_output(g, "y");
    th_check_graph("Max(3 inputs)+Min", g, TOL);

    g = th_graph(13);
    th_input(g, "a", 4, d);
    th_input(g, "b", 4, d);
    th_node(g, "Greater", "a,b", "gt");
    th_node(g, "Where", "gt,a,b", "y");
    th_output(g, "y");
    th_expect_cpu_fallback();
    th_check_graph("Where(Greater(a,b), a, b) (Greater on the CPU)", g, TOL);

    g = th_graph(13);
    th_input(g, "a", 3, D(d[1], 1, 1));
    th_const_i64(g, "shape", 1, D(4), d);
    th_node(g, "Expand", "a,shape", "e");
    th_node(g, "Relu", "e", "y");
    th_output(g, "y");
    th_check_graph("Expand then Relu", g, TOL);

    /* Identity and Dropout between ops are removed */
    g = conv_graph(&c, 1);
    conv_name(&c, "Conv+Identity+Dropout+Relu");
    th_node(g, "Identity", "c", "i");
    th_node(g, "Dropout", "i", "dr");
    th_node(g, "Relu", "dr", "y");
    th_output(g, "y");
    th_expect_fused("Conv+Relu");
    th_check_graph(nm, g, TOL);
}

static void test_old_opsets(void) {
    int64_t d[4];
    random_shape4(d);
    d[2] = 1;
    nngpu_graph *g = th_graph(11);
    th_input(g, "x", 4, d);
    th_node(g, "Squeeze", "x", "s");
    th_attr_ints(g, "axes", 1, D(2));
    th_node(g, "Unsqueeze", "s", "u");
    th_attr_ints(g, "axes", 1, D(0));
    th_node(g, "Relu", "u", "y");
    th_output(g, "y");
    th_check_graph("Squeeze/Unsqueeze opset11 attributes", g, TOL);

    random_shape4(d);
    d[1] = th_randint(3, 7);
    g = th_graph(11);
    th_input(g, "x", 4, d);
    th_node(g, "Split", "x", "a,b");
    th_attr_int(g, "axis", 1);
    th_attr_ints(g, "split", 2, D(1, d[1] - 1));
    th_node(g, "ReduceSum", "b", "y");
    th_attr_ints(g, "axes", 1, D(1));
    th_output(g, "a");
    th_output(g, "y");
    th_check_graph("Split+ReduceSum opset11 attributes", g, TOL);

    random_shape4(d);
    g = th_graph(2);
    th_input(g, "x", 4, d);
    th_node(g, "Pad", "x", "y");
    th_attr_ints(g, "pads", 8, D(0, 0, 1, 2, 0, 0, 2, 1));
    th_attr_string(g, "mode", "edge");
    th_output(g, "y");
    th_check_graph("Pad opset2 attributes edge", g, TOL);

    g = th_graph(9);
    d[3] = th_randint(4, 13);
    th_input(g, "x", 4, d);
    th_node(g, "Slice", "x", "y"); /* opset < 10: starts/ends as attributes */
    th_attr_ints(g, "starts", 1, D(1));
    th_attr_ints(g, "ends", 1, D(-1));
    th_attr_ints(g, "axes", 1, D(3));
    th_output(g, "y");
    th_check_graph("Slice opset9 attributes", g, TOL);

    g = th_graph(9);
    th_input(g, "x", 3, D(2, 3, 7));
    th_node(g, "Softmax", "x", "y"); /* opset < 13: flattens from axis 1 */
    th_output(g, "y");
    th_check_graph("Softmax opset9 default axis (2-D coercion)", g, TOL);
}

int main(int argc, char **argv) {
    th_init(argc, argv);
    th_hold_devices();
    test_conv();
    test_gemm();
    test_matmul();
    test_pool();
    test_unary();
    test_binary();
    test_softmax();
    test_reduce();
    test_concat();
    test_concat_wide();
    test_split();
    test_slice();
    test_transpose();
    test_views();
    test_gather();
    test_gather_runtime();
    gather_out_of_range();
    test_pad();
    test_resize();
    test_batchnorm();
    fused_conv_activations();
    fused_conv_bn();
    fused_affine();
    fused_conv_residual();
    conv_winograd();
    conv_algorithms();
    conv_depthwise_windows();
    fused_gemm();
    fused_pad();
    fused_chains();
    fused_shuffle_and_block();
    test_larger();
    test_awkward();
    test_extra_ops();
    test_old_opsets();
    int rc = th_summary();
    return rc ? rc : oob_failures != 0;
}
