/* The wider op set (normalizations, ConvTranspose, more reductions and
 * activations, index ops) on every device against the CPU reference, with
 * random shapes and data each run (harness/harness.h: seed, filter). */
#include <stdio.h>
#include <string.h>

#include "core/dims.h"
#include "harness/harness.h"

#define TOL 1e-4
#define D(...) ((const int64_t[]){__VA_ARGS__})
#define NAME(...) snprintf(nm, sizeof nm, __VA_ARGS__)

static char nm[256];

/* Ops the OpenCL backend deliberately leaves to the CPU fallback. */
static const char *const cpu_only[] = {
    "TopK", "CumSum", "Trilu",
    "OneHot", "Size", "And", "Or", "Xor", "Not", "LessOrEqual",
    "GreaterOrEqual", NULL};

/* Ops OpenCL runs that the Vulkan backend does not yet (CPU there). */
static const char *const not_on_vulkan[] = {NULL};

static void fallback_if(const char *op) {
    for (int i = 0; cpu_only[i]; i++)
        if (!strcmp(cpu_only[i], op)) th_expect_cpu_fallback();
    for (int i = 0; not_on_vulkan[i]; i++)
        if (!strcmp(not_on_vulkan[i], op)) th_expect_cpu_fallback_on("vulkan");
}

static void shape(int rank, int64_t *d, int hi) {
    for (int i = 0; i < rank; i++) d[i] = th_randint(1, hi);
}

static const char *dims_text(int rank, const int64_t *d) {
    static char buf[2][96]; /* two per message */
    static int next;
    char *b = buf[next++ % 2];
    return rank ? ng_dims_format(d, rank, "x", b, sizeof buf[0]) : "scalar";
}

/* ---- activations ---------------------------------------------------------------- */

static void test_activations(void) {
    static const struct {
        const char *op;
        float lo, hi;
    } ops[] = {{"Sin", -4, 4},   {"Cos", -4, 4},  {"Softplus", -6, 6}, {"Softsign", -4, 4},
               {"Selu", -3, 3},  {"Mish", -5, 5}, {"Sign", -1, 1},     {"Round", -4, 4},
               {"Gelu", -4, 4},  {"Erf", -2, 2},  {"Log", 0.05f, 4},   {"Reciprocal", 0.2f, 3},
               {"Elu", -3, 3},   {"Floor", -4, 4}, {"Ceil", -4, 4}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        for (int rep = 0; rep < 2; rep++) {
            int rank = th_randint(1, 4);
            int64_t d[4];
            shape(rank, d, 9);
            int tanh_approx = rep == 1;
            NAME("%s %s%s", ops[i].op, dims_text(rank, d), !strcmp(ops[i].op, "Gelu") && tanh_approx ? " tanh" : "");
            nngpu_graph *g = th_graph(20);
            fallback_if(ops[i].op);
            th_input_range(g, "x", rank, d, ops[i].lo, ops[i].hi);
            th_node(g, ops[i].op, "x", "y");
            if (!strcmp(ops[i].op, "Selu")) {
                th_attr_float(g, "alpha", th_randf(1, 2));
                th_attr_float(g, "gamma", th_randf(0.8f, 1.2f));
            }
            if (!strcmp(ops[i].op, "Elu")) th_attr_float(g, "alpha", th_randf(0.5f, 1.5f));
            if (!strcmp(ops[i].op, "Gelu") && tanh_approx) th_attr_string(g, "approximate", "tanh");
            th_output(g, "y");
            th_check_graph(nm, g, TOL);
        }
    /* Conv + Gelu / Mish: fused as epilogue steps where the device has the op. */
    static const char *acts[] = {"Gelu", "Mish", "Softplus", "Selu"};
    for (int i = 0; i < 4; i++) {
        int c = th_randint(1, 6), k = th_randint(1, 8), h = th_randint(3, 12), w = th_randint(3, 12);
        NAME("Conv+%s c%d k%d %dx%d", acts[i], c, k, h, w);
        nngpu_graph *g = th_graph(20);
        fallback_if(acts[i]);
        th_input(g, "x", 4, D(1, c, h, w));
        th_const_rand(g, "w", 4, D(k, c, 3, 3), -1, 1);
        th_node(g, "Conv", "x,w", "t");
        th_attr_ints(g, "pads", 4, D(1, 1, 1, 1));
        th_node(g, acts[i], "t", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- variadic and logical -------------------------------------------------------- */

static void test_variadic(void) {
    static const char *ops[] = {"Sum", "Mean", "Max", "Min"};
    for (int i = 0; i < 12; i++) {
        const char *op = ops[i % 4];
        int n_in = th_randint(1, 4);
        int64_t d[4];
        shape(4, d, 7);
        NAME("%s %d inputs %s", op, n_in, dims_text(4, d));
        nngpu_graph *g = th_graph(13);
        if (!strcmp(op, "Mean") && n_in == 4) th_expect_cpu_fallback(); /* 3 epilogue operands */
        char ins[64] = "", name[16];
        for (int k = 0; k < n_in; k++) {
            snprintf(name, sizeof name, "x%d", k);
            int64_t dk[4];
            memcpy(dk, d, sizeof dk);
            if (k == 1) dk[1] = 1; /* broadcast */
            if (k == 2) dk[3] = 1;
            th_input(g, name, 4, dk);
            snprintf(ins + strlen(ins), sizeof ins - strlen(ins), "%s%s", k ? "," : "", name);
        }
        th_node(g, op, ins, "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_logical(void) {
    static const char *ops[] = {"And", "Or", "Xor", "Not", "LessOrEqual", "GreaterOrEqual"};
    for (int i = 0; i < 6; i++) {
        int64_t d[3];
        shape(3, d, 8);
        NAME("%s %s", ops[i], dims_text(3, d));
        nngpu_graph *g = th_graph(16);
        th_expect_cpu_fallback();
        th_input(g, "a", 3, d);
        th_input(g, "b", 2, d + 1);
        float z = 0;
        th_const_f32(g, "zero", 0, NULL, &z);
        if (i >= 4) {
            th_node(g, ops[i], "a,b", "c");
        } else {
            th_node(g, "Greater", "a,zero", "pa");
            th_node(g, "Less", "b,zero", "pb");
            th_node(g, ops[i], i == 3 ? "pa" : "pa,pb", "c");
        }
        th_node(g, "Cast", "c", "y");
        th_attr_int(g, "to", 1);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* Cast between float32, integers and bool, each chain back to float32 for the
 * comparison: on every device, no CPU fallback. ONNX type codes: 1 float,
 * 2 uint8, 3 int8, 6 int32, 7 int64, 9 bool. */
static void test_cast(void) {
    static const struct {
        const char *what;
        nngpu_dtype in;
        int lo, hi;          /* integer inputs' range; float inputs: [lo, hi) */
        int to[2];           /* the casts, then one to float */
        int relu;            /* exact zeros first (float inputs) */
    } cases[] = { /* Vulkan writes no 8-bit or bool outputs (convert.comp): those on its CPU */
        {"int64->float", NNGPU_DTYPE_INT64, -100000, 100000, {1, 0}, 0},
        {"int32->int64->float", NNGPU_DTYPE_INT32, -5000, 5000, {7, 1}, 0},
        {"int64->int32->float", NNGPU_DTYPE_INT64, -5000, 5000, {6, 1}, 0},
        {"uint8->float", NNGPU_DTYPE_UINT8, 0, 255, {1, 0}, 0},
        {"int8->float", NNGPU_DTYPE_INT8, -128, 127, {1, 0}, 0},
        {"int32->bool->float", NNGPU_DTYPE_INT32, -2, 2, {9, 1}, 0},
        {"float->int32->float", NNGPU_DTYPE_FLOAT32, -50, 50, {6, 1}, 0},
        {"float->int64->float", NNGPU_DTYPE_FLOAT32, -50, 50, {7, 1}, 0},
        {"relu(float)->bool->float", NNGPU_DTYPE_FLOAT32, -2, 2, {9, 1}, 1},
        {"int64->uint8->float", NNGPU_DTYPE_INT64, -300, 300, {2, 1}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t d[3];
        shape(3, d, 9);
        NAME("Cast %s %s", cases[i].what, dims_text(3, d));
        nngpu_graph *g = th_graph(13);
        if (cases[i].to[0] == 2 || cases[i].to[0] == 9) th_expect_cpu_fallback_on("vulkan");
        if (cases[i].in == NNGPU_DTYPE_FLOAT32)
            th_input_range(g, "x", 3, d, (float)cases[i].lo, (float)cases[i].hi);
        else if (cases[i].in == NNGPU_DTYPE_INT8 || cases[i].in == NNGPU_DTYPE_UINT8)
            th_input_typed(g, "x", cases[i].in, 3, d);
        else
            th_input_int(g, "x", cases[i].in, 3, d, cases[i].lo, cases[i].hi);
        const char *x = "x";
        if (cases[i].relu) {
            th_node(g, "Relu", "x", "r");
            x = "r";
        }
        th_node(g, "Cast", x, cases[i].to[1] ? "c" : "y");
        th_attr_int(g, "to", cases[i].to[0]);
        if (cases[i].to[1]) {
            th_node(g, "Cast", "c", "y");
            th_attr_int(g, "to", cases[i].to[1]);
        }
        th_output(g, "y");
        th_check_graph(nm, g, 0);
    }
}

/* Where with a bool condition, every operand broadcast in its own way (the
 * causal-mask pattern among them: a constant mask, a scalar fill): on every
 * device, no CPU fallback. */
static void test_where(void) {
    for (int i = 0; i < 6; i++) {
        int64_t d[4], dc[4], dx[4], dy[4];
        shape(4, d, 7);
        for (int k = 0; k < 4; k++) { /* each operand keeps or drops each dim */
            dc[k] = i % 3 == 0 || th_randint(0, 1) ? d[k] : 1;
            dx[k] = i % 3 != 2 || th_randint(0, 1) ? d[k] : 1;
            dy[k] = i % 3 == 0 || th_randint(0, 1) ? d[k] : 1;
        }
        dx[0] = d[0]; /* the output keeps every dim */
        dy[1] = d[1];
        dc[2] = d[2];
        dc[3] = d[3];
        int const_cond = i % 2, scalar_y = i == 3;
        NAME("Where %s%s%s", dims_text(4, d), const_cond ? " const mask" : "",
             scalar_y ? " scalar fill" : "");
        nngpu_graph *g = th_graph(13);
        if (const_cond) {
            uint8_t m[7 * 7 * 7 * 7];
            for (int k = 0; k < 7 * 7 * 7 * 7; k++) m[k] = (uint8_t)th_randint(0, 1);
            th_const_data(g, "c", NNGPU_DTYPE_BOOL, 4, dc, m);
        } else {
            th_input_typed(g, "c", NNGPU_DTYPE_BOOL, 4, dc);
        }
        th_input(g, "x", 4, dx);
        if (scalar_y) th_const_scalar_f32(g, "y", -1e4f);
        else th_input(g, "y", 4, dy);
        th_node(g, "Where", "c,x,y", "w");
        th_output(g, "w");
        th_check_graph(nm, g, 0);
    }
}

/* ---- normalizations ---------------------------------------------------------------- */

static void test_layernorm(void) {
    for (int i = 0; i < 10; i++) {
        int rank = th_randint(2, 4), axis = th_randint(1, rank - 1), bias = i % 3 != 0;
        if (i % 2) axis -= rank; /* negative */
        int64_t d[4];
        shape(rank, d, 9);
        if (i == 9) d[rank - 1] = 768 / 4; /* a transformer-like row */
        int a = axis < 0 ? axis + rank : axis, stats = i % 4 == 1;
        NAME("LayerNormalization %s axis%d%s%s", dims_text(rank, d), axis, bias ? " bias" : "", stats ? " mean/invstd" : "");
        nngpu_graph *g = th_graph(17);
        if (stats) th_expect_cpu_fallback(); /* the device kernel writes Y only */
        fallback_if("LayerNormalization");
        th_input_range(g, "x", rank, d, -3, 5);
        /* every third case: scale/bias with a leading 1 ([1, E], as exporters write) */
        int64_t sd[5] = {1};
        for (int k = a; k < rank; k++) sd[1 + k - a] = d[k];
        int lead = i % 3 == 2;
        th_const_rand(g, "s", rank - a + lead, sd + !lead, 0.5f, 1.5f);
        if (bias) th_const_rand(g, "b", rank - a + lead, sd + !lead, -1, 1);
        th_node(g, "LayerNormalization", bias ? "x,s,b" : "x,s", stats ? "y,m,v" : "y");
        th_attr_int(g, "axis", axis);
        th_attr_float(g, "epsilon", i % 2 ? 1e-5f : 1e-3f);
        th_output(g, "y");
        if (stats) {
            th_output(g, "m");
            th_output(g, "v");
        }
        th_check_graph(nm, g, TOL);
    }
}

static void test_channel_norms(void) {
    for (int i = 0; i < 6; i++) {
        int rank = th_randint(3, 4);
        int64_t d[4];
        shape(rank, d, 9);
        d[1] = th_randint(1, 8);
        NAME("InstanceNormalization %s", dims_text(rank, d));
        nngpu_graph *g = th_graph(17);
        fallback_if("InstanceNormalization");
        th_input_range(g, "x", rank, d, -2, 4);
        th_const_rand(g, "s", 1, d + 1, 0.5f, 1.5f);
        th_const_rand(g, "b", 1, d + 1, -1, 1);
        th_node(g, "InstanceNormalization", "x,s,b", "y");
        th_attr_float(g, "epsilon", 1e-5f);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 6; i++) {
        int groups = th_randint(1, 4), opset = i % 2 ? 18 : 21;
        int64_t d[4] = {th_randint(1, 2), groups * th_randint(1, 3), th_randint(1, 9), th_randint(1, 9)};
        int64_t np = opset == 18 ? groups : d[1];
        NAME("GroupNormalization opset%d %s groups%d", opset, dims_text(4, d), groups);
        nngpu_graph *g = th_graph(opset);
        fallback_if("GroupNormalization");
        th_input_range(g, "x", 4, d, -2, 4);
        th_const_rand(g, "s", 1, D(np), 0.5f, 1.5f);
        th_const_rand(g, "b", 1, D(np), -1, 1);
        th_node(g, "GroupNormalization", "x,s,b", "y");
        th_attr_int(g, "num_groups", groups);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_lrn(void) {
    for (int i = 0; i < 6; i++) { /* from i = 4: planes of 16+ positions (CPU vectors) */
        int size = th_randint(1, 6), rank = i >= 4 ? 4 : th_randint(3, 4);
        int64_t d[4];
        shape(rank, d, 9);
        d[1] = th_randint(1, 12);
        if (i >= 4) {
            d[2] = th_randint(4, 20);
            d[3] = th_randint(4, 20);
        }
        NAME("LRN %s size%d", dims_text(rank, d), size);
        nngpu_graph *g = th_graph(13);
        fallback_if("LRN");
        th_input_range(g, "x", rank, d, -3, 3);
        th_node(g, "LRN", "x", "y");
        th_attr_int(g, "size", size);
        th_attr_float(g, "alpha", th_randf(1e-4f, 0.1f));
        th_attr_float(g, "beta", th_randf(0.5f, 1.0f));
        th_attr_float(g, "bias", th_randf(1.0f, 2.0f));
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_mod(void) {
    int64_t d[3];
    shape(3, d, 7);
    NAME("Mod fmod=1 %s", dims_text(3, d));
    nngpu_graph *g = th_graph(13);
    th_expect_cpu_fallback();
    th_input_range(g, "a", 3, d, -5, 5);
    th_input_range(g, "b", 1, d + 2, 0.5f, 2);
    th_node(g, "Mod", "a,b", "y");
    th_attr_int(g, "fmod", 1);
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

static void test_einsum(void) {
    static const struct {
        const char *eq;
        int ra, rb; /* rb 0: one input */
    } cases[] = {{"bij,bjk->bik", 3, 3}, {"...ij,...jk", 4, 3}, {"ij->ji", 2, 0},
                 {"bhqd,bhkd->bhqk", 4, 4}, {"i,i->", 1, 1}, {"ii->i", 2, 0}, {"bij->bj", 3, 0}};
    for (int i = 0; i < 7; i++) {
        int64_t b = th_randint(1, 3), h = th_randint(1, 3), p = th_randint(1, 6), q = th_randint(1, 6),
                r = th_randint(1, 6), da[4], db[4];
        switch (i) {
        case 0: memcpy(da, D(b, p, q), 24); memcpy(db, D(b, q, r), 24); break;
        case 1: memcpy(da, D(h, b, p, q), 32); memcpy(db, D(b, q, r), 24); break;
        case 2: memcpy(da, D(p, q), 16); break;
        case 3: memcpy(da, D(b, h, p, q), 32); memcpy(db, D(b, h, r, q), 32); break;
        case 4: memcpy(da, D(p), 8); memcpy(db, D(p), 8); break;
        case 5: memcpy(da, D(p, p), 16); break;
        default: memcpy(da, D(b, p, q), 24); break;
        }
        NAME("Einsum %s %s", cases[i].eq, dims_text(cases[i].ra, da));
        nngpu_graph *g = th_graph(12);
        fallback_if("Einsum");
        th_input(g, "a", cases[i].ra, da);
        if (cases[i].rb) th_input(g, "b", cases[i].rb, db);
        th_node(g, "Einsum", cases[i].rb ? "a,b" : "a", "y");
        th_attr_string(g, "equation", cases[i].eq);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- ConvTranspose ------------------------------------------------------------------ */

static void test_convtranspose(void) {
    for (int i = 0; i < 16; i++) {
        int group = i % 5 == 4 ? th_randint(2, 3) : 1;
        int c = group * th_randint(1, 4), mg = th_randint(1, 5);
        int kh = th_randint(1, 4), kw = th_randint(1, 4), sh = th_randint(1, 3), sw = th_randint(1, 3);
        int dh = th_randint(1, 2), dw = i % 3 == 0 ? 2 : 1;
        int h = th_randint(1, 9), w = th_randint(1, 9), bias = th_randint(0, 1);
        int p[4];
        for (int k = 0; k < 4; k++) p[k] = th_randint(0, (k % 2 ? kw : kh) - 1);
        int oph = th_randint(0, (sh > dh ? sh : dh) - 1), opw = th_randint(0, (sw > dw ? sw : dw) - 1);
        int mode = i % 4; /* 0, 1: pads + output_padding; 2: SAME_UPPER; 3: output_shape */
        /* keep at least one output pixel */
        int full_h = sh * (h - 1) + oph + (kh - 1) * dh + 1, full_w = sw * (w - 1) + opw + (kw - 1) * dw + 1;
        if (full_h - p[0] - p[2] < 1) p[0] = p[2] = 0;
        if (full_w - p[1] - p[3] < 1) p[1] = p[3] = 0;
        NAME("ConvTranspose c%d m%d %dx%d ker%dx%d s%d,%d d%d,%d p%d,%d,%d,%d op%d,%d g%d mode%d%s", c,
             mg * group, h, w, kh, kw, sh, sw, dh, dw, p[0], p[1], p[2], p[3], oph, opw, group, mode,
             bias ? " bias" : "");
        nngpu_graph *g = th_graph(17);
        fallback_if("ConvTranspose");
        th_input(g, "x", 4, D(th_randint(1, 2), c, h, w));
        th_const_rand(g, "w", 4, D(c, mg, kh, kw), -1, 1);
        if (bias) th_const_rand(g, "b", 1, D(mg * group), -1, 1);
        th_node(g, "ConvTranspose", bias ? "x,w,b" : "x,w", "y");
        th_attr_ints(g, "strides", 2, D(sh, sw));
        th_attr_ints(g, "dilations", 2, D(dh, dw));
        if (group > 1) th_attr_int(g, "group", group);
        if (mode < 2) {
            th_attr_ints(g, "pads", 4, D(p[0], p[1], p[2], p[3]));
            th_attr_ints(g, "output_padding", 2, D(oph, opw));
        } else if (mode == 2) {
            th_attr_string(g, "auto_pad", "SAME_UPPER");
        } else {
            th_attr_ints(g, "output_shape", 2, D(full_h - oph, full_w - opw + 1));
        }
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* Kernel = m x stride: on devices an m x m Conv of the stride^2 output
     * phases, DepthToSpace and (pads or m > 1) a cropping Slice. The first 4:
     * m = 1 without pads (a 1x1 Conv, U-Net's 2x2 stride 2); the rest m 2-3
     * with random pads (GAN decoders' 4x4 stride 2 pad 1 first). With Add+Relu
     * the per-channel Add joins the bias and the Relu moves before the
     * DepthToSpace. */
    for (int i = 0; i < 10; i++) {
        int one = i < 4, st = th_randint(2, one ? 4 : 3), m = one ? 1 : th_randint(2, 3), k = m * st,
            c = th_randint(1, 20), o = th_randint(1, 20), h = th_randint(1, 8), w = th_randint(1, 8),
            n = th_randint(1, 3), bias = i % 2, act = i % 4 < 2;
        int64_t pads[4];
        for (int q = 0; q < 4; q++) pads[q] = one ? 0 : i == 4 ? st / 2 : th_randint(0, k - 1);
        for (int q = 0; q < 2; q++) /* at least one output row and column */
            while ((q ? w : h) * st - st + k - pads[q] - pads[q + 2] < 1) pads[q + 2]--;
        NAME("ConvTranspose as phase Conv c%d m%d %dx%d n%d ker%d stride%d pads %lld,%lld,%lld,%lld%s%s",
             c, o, h, w, n, k, st, (long long)pads[0], (long long)pads[1], (long long)pads[2],
             (long long)pads[3], bias ? " bias" : "", act ? " +Add+Relu" : "");
        nngpu_graph *g = th_graph(17);
        fallback_if("ConvTranspose");
        th_input(g, "x", 4, D(n, c, h, w));
        th_const_rand(g, "w", 4, D(c, o, k, k), -1, 1);
        if (bias) th_const_rand(g, "b", 1, D(o), -1, 1);
        th_node(g, "ConvTranspose", bias ? "x,w,b" : "x,w", act ? "t" : "y");
        th_attr_ints(g, "strides", 2, D(st, st));
        if (!one) th_attr_ints(g, "pads", 4, pads);
        if (act) {
            th_const_rand(g, "cb", 3, D(o, 1, 1), -1, 1);
            th_node(g, "Add", "t,cb", "u");
            th_node(g, "Relu", "u", "y");
            th_expect_fused("ConvTranspose+Add+Relu");
        }
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    int len = th_randint(3, 20);
    NAME("ConvTranspose1d len%d", len);
    nngpu_graph *g = th_graph(17);
    fallback_if("ConvTranspose");
    th_input(g, "x", 3, D(2, 3, len));
    th_const_rand(g, "w", 3, D(3, 4, 4), -1, 1);
    th_node(g, "ConvTranspose", "x,w", "y");
    th_attr_ints(g, "strides", 1, D(2));
    th_attr_ints(g, "pads", 2, D(1, 1));
    th_output(g, "y");
    th_check_graph(nm, g, TOL);
}

/* ---- reductions, softmax family, arg ops -------------------------------------------- */

static void test_reductions(void) {
    static const char *ops[] = {"ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"};
    for (int i = 0; i < 24; i++) {
        const char *op = ops[i % 6];
        int opset = i < 12 ? 13 : 18, keep = th_randint(0, 1);
        int64_t d[4];
        shape(4, d, 6);
        int64_t axes[3];
        int na = th_randint(0, 3);
        static const int64_t pick[][3] = {{0, 0, 0}, {-1, 0, 0}, {1, 2, 0}, {1, 2, 3}};
        memcpy(axes, pick[na], sizeof axes);
        NAME("%s opset%d %s naxes%d keepdims%d", op, opset, dims_text(4, d), na, keep);
        nngpu_graph *g = th_graph(opset);
        fallback_if(op);
        th_input_range(g, "x", 4, d, !strcmp(op, "ReduceProd") ? 0.6f : -2, !strcmp(op, "ReduceProd") ? 1.5f : 2);
        if (opset >= 18 && na) th_const_i64(g, "axes", 1, D(na), axes);
        th_node(g, op, opset >= 18 && na ? "x,axes" : "x", "y");
        if (opset < 18 && na) th_attr_ints(g, "axes", na, axes);
        th_attr_int(g, "keepdims", keep);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_softmax_family(void) {
    static const char *ops[] = {"LogSoftmax", "Hardmax"};
    for (int i = 0; i < 10; i++) {
        const char *op = ops[i % 2];
        int opset = i % 4 < 2 ? 11 : 13, rank = th_randint(2, 4);
        int64_t d[4];
        shape(rank, d, 9);
        d[rank - 1] = th_randint(1, 40);
        int axis = th_randint(-rank, rank - 1);
        NAME("%s opset%d %s axis%d", op, opset, dims_text(rank, d), axis);
        nngpu_graph *g = th_graph(opset);
        fallback_if(op);
        th_input_range(g, "x", rank, d, -6, 6);
        th_node(g, op, "x", "y");
        th_attr_int(g, "axis", axis);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

static void test_arg_topk(void) {
    for (int i = 0; i < 8; i++) {
        const char *op = i % 2 ? "ArgMin" : "ArgMax";
        int rank = th_randint(1, 4), axis = th_randint(-rank, rank - 1), keep = th_randint(0, 1);
        int64_t d[4];
        shape(rank, d, 8);
        NAME("%s %s axis%d keepdims%d last%d", op, dims_text(rank, d), axis, keep, i / 4);
        nngpu_graph *g = th_graph(13);
        fallback_if(op);
        th_input(g, "x", rank, d);
        th_node(g, op, "x", "y");
        th_attr_int(g, "axis", axis);
        th_attr_int(g, "keepdims", keep);
        th_attr_int(g, "select_last_index", i / 4);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 6; i++) {
        int rank = th_randint(1, 3), axis = th_randint(-rank, rank - 1), largest = i % 2 == 0;
        int64_t d[3];
        shape(rank, d, 9);
        int a = axis < 0 ? axis + rank : axis;
        int64_t k = th_randint(1, (int)d[a]);
        NAME("TopK %s axis%d k%lld largest%d", dims_text(rank, d), axis, (long long)k, largest);
        nngpu_graph *g = th_graph(11);
        fallback_if("TopK");
        th_input(g, "x", rank, d);
        th_const_i64(g, "k", 1, D(1), &k);
        th_node(g, "TopK", "x,k", "v,ix");
        th_attr_int(g, "axis", axis);
        th_attr_int(g, "largest", largest);
        th_output(g, "v");
        th_output(g, "ix");
        th_check_graph(nm, g, TOL);
    }
    /* OneHot of a runtime ArgMax, then Size of the result. */
    int64_t d[2] = {th_randint(1, 6), th_randint(2, 9)}, depth = d[1] + 1;
    float vals[2] = {-0.5f, 2.0f};
    NAME("ArgMax+OneHot+Size %s", dims_text(2, d));
    nngpu_graph *g = th_graph(13);
    th_expect_cpu_fallback();
    th_input(g, "x", 2, d);
    th_const_i64(g, "depth", 0, NULL, &depth);
    th_const_f32(g, "vals", 1, D(2), vals);
    th_node(g, "ArgMax", "x", "ix");
    th_attr_int(g, "axis", 1);
    th_node(g, "OneHot", "ix,depth,vals", "y");
    th_attr_int(g, "axis", -1);
    th_node(g, "Size", "y", "n");
    th_output(g, "y");
    th_output(g, "n");
    th_check_graph(nm, g, TOL);
}

/* ---- index-mapping ops ----------------------------------------------------------------- */

static void test_index_ops(void) {
    for (int i = 0; i < 9; i++) { /* ranks 5 and 6 too; the last as GC ViT's [1, 1, 7, 7, C] */
        int rank = i < 6 ? th_randint(1, 4) : th_randint(5, 6);
        int64_t d[6], rep[6];
        shape(rank, d, rank > 4 ? 3 : 5);
        for (int k = 0; k < rank; k++) rep[k] = th_randint(1, rank > 4 ? 2 : 3);
        if (rank > 4) { /* within the copy kernel's 8 walked dims: extents and repeats over 1 */
            d[0] = 1;
            for (int k = 0; k < rank; k += 2) rep[k] = 1;
        }
        if (i == 8) {
            rank = 5;
            memcpy(d, D(1, 1, 7, 7, 8), sizeof(int64_t) * 5);
            memcpy(rep, D(1, 16, 1, 1, 1), sizeof(int64_t) * 5);
        }
        NAME("Tile %s repeats %s", dims_text(rank, d), dims_text(rank, rep));
        nngpu_graph *g = th_graph(13);
        fallback_if("Tile");
        th_input(g, "x", rank, d);
        th_const_i64(g, "r", 1, D(rank), rep);
        th_node(g, "Tile", "x,r", "y");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    /* Transpose of a Transpose (merged into one; none when they cancel, or the
     * first kept when something else reads it) */
    for (int i = 0; i < 3; i++) {
        int64_t d[4];
        shape(4, d, 6);
        static const int64_t p1[4] = {0, 2, 3, 1}, back[4] = {0, 3, 1, 2}, other[4] = {3, 1, 0, 2};
        const int64_t *p2 = i == 0 ? back : other;
        NAME("Transpose pair %s%s", dims_text(4, d), i == 0 ? " cancelling" : i == 2 ? " first also read" : "");
        nngpu_graph *g = th_graph(13);
        th_input(g, "x", 4, d);
        th_node(g, "Transpose", "x", "t");
        th_attr_ints(g, "perm", 4, p1);
        th_node(g, "Transpose", "t", "y");
        th_attr_ints(g, "perm", 4, p2);
        th_output(g, "y");
        if (i == 2) {
            th_node(g, "Relu", "t", "r");
            th_output(g, "r");
        }
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 6; i++) {
        int b = th_randint(2, 3), d2s = i < 4, crd = i % 2;
        int64_t d[4] = {th_randint(1, 2), th_randint(1, 4), th_randint(1, 6), th_randint(1, 6)};
        if (d2s) d[1] *= b * b;
        else {
            d[2] *= b;
            d[3] *= b;
        }
        const char *op = d2s ? "DepthToSpace" : "SpaceToDepth";
        NAME("%s %s block%d %s", op, dims_text(4, d), b, crd ? "CRD" : "DCR");
        nngpu_graph *g = th_graph(13);
        fallback_if(op);
        th_input(g, "x", 4, d);
        th_node(g, op, "x", "y");
        th_attr_int(g, "blocksize", b);
        if (d2s) th_attr_string(g, "mode", crd ? "CRD" : "DCR");
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 6; i++) {
        int64_t d[3], di[3], idx[256];
        shape(3, d, 6);
        int axis = th_randint(0, 2);
        memcpy(di, d, sizeof di);
        di[axis] = th_randint(1, 5);
        if (i >= 3) di[(axis + 1) % 3] = th_randint(1, (int)d[(axis + 1) % 3]); /* a smaller window */
        int64_t cnt = di[0] * di[1] * di[2];
        for (int64_t k = 0; k < cnt; k++) idx[k] = th_randint((int)-d[axis], (int)d[axis] - 1);
        /* indices: constant, then runtime int64, then runtime int32 */
        int runtime = i % 3;
        nngpu_dtype dt = runtime == 2 ? NNGPU_DTYPE_INT32 : NNGPU_DTYPE_INT64;
        NAME("GatherElements %s axis%d %s indices %s", dims_text(3, d), axis,
             runtime == 0 ? "constant" : runtime == 1 ? "runtime int64" : "runtime int32",
             dims_text(3, di));
        nngpu_graph *g = th_graph(13);
        fallback_if("GatherElements");
        th_input(g, "x", 3, d);
        if (runtime) th_input_int(g, "i", dt, 3, di, (int)-d[axis], (int)d[axis] - 1);
        else th_const_i64(g, "i", 3, di, idx);
        th_node(g, "GatherElements", "x,i", "y");
        th_attr_int(g, "axis", axis);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 4; i++) {
        int rank = th_randint(1, 3), axis = th_randint(-rank, rank - 1);
        int64_t d[3], ax = axis;
        shape(rank, d, 9);
        NAME("CumSum %s axis%d exclusive%d reverse%d", dims_text(rank, d), axis, i % 2, i / 2);
        nngpu_graph *g = th_graph(14);
        fallback_if("CumSum");
        th_input(g, "x", rank, d);
        th_const_i64(g, "a", 0, NULL, &ax);
        th_node(g, "CumSum", "x,a", "y");
        th_attr_int(g, "exclusive", i % 2);
        th_attr_int(g, "reverse", i / 2);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 4; i++) {
        int64_t d[3], k = th_randint(-3, 3);
        shape(3, d, 8);
        NAME("Trilu %s upper%d k%lld", dims_text(3, d), i % 2, (long long)k);
        nngpu_graph *g = th_graph(14);
        fallback_if("Trilu");
        th_input(g, "x", 3, d);
        th_const_i64(g, "k", 0, NULL, &k);
        th_node(g, "Trilu", i < 2 ? "x,k" : "x", "y");
        th_attr_int(g, "upper", i % 2);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- GridSample ------------------------------------------------------------------ */

/* A nearest-mode grid (n_pts points of nd coordinates, x first) whose pixel
 * positions sit 0.1-0.4 away from the rounding ties, some outside the image:
 * the kernels compute positions in float, the reference in double. */
static void nearest_grid(int nd, const int64_t *size, int align, int64_t n_pts, float *grid) {
    for (int64_t i = 0; i < n_pts; i++)
        for (int d = 0; d < nd; d++) {
            int64_t len = size[nd - 1 - d]; /* coordinate d of a point: axis nd - 1 - d */
            float pos = (float)th_randint(-2, (int)len + 1) + th_randf(0.1f, 0.4f) * (th_randint(0, 1) ? 1 : -1);
            grid[i * nd + d] = align ? (len > 1 ? 2 * pos / (float)(len - 1) - 1 : th_randf(-1, 1))
                                     : (2 * pos + 1) / (float)len - 1;
        }
}

static void test_grid_sample(void) {
    static const char *const modes[] = {"bilinear", "nearest", "bicubic"};
    static const char *const pads[] = {"zeros", "border", "reflection"};
    for (int i = 0; i < 13; i++) {
        int nd = i < 9 ? 2 : 3, align = th_randint(0, 1);
        const char *mode = nd == 2 ? modes[i % 3] : modes[i % 2];
        const char *pad = pads[nd == 2 ? i / 3 : i % 3];
        int64_t xd[5], gd[5], size[3], n_pts = 1;
        xd[0] = gd[0] = th_randint(1, 3);
        xd[1] = th_randint(1, 5);
        for (int d = 0; d < nd; d++) {
            xd[2 + d] = size[d] = th_randint(1, nd == 2 ? 12 : 5);
            gd[1 + d] = th_randint(1, nd == 2 ? 9 : 4);
            n_pts *= gd[1 + d];
        }
        gd[1 + nd] = nd;
        if (i == 12) { /* a flow-warp shape: RAFT-like, grid as large as the image */
            memcpy(xd, D(2, 16, 23, 31), sizeof(int64_t) * 4);
            memcpy(gd, D(2, 23, 31, 2), sizeof(int64_t) * 4);
            nd = 2, mode = "bilinear", pad = "zeros";
        }
        /* the grid: computed on the device (Tanh, scaled past the border),
         * or for nearest a constant away from rounding ties */
        int nearest = mode[0] == 'n';
        NAME("GridSample %s %s align%d x %s grid %s%s", mode, pad, align, dims_text(nd + 2, xd),
             dims_text(nd + 2, gd), nearest ? " constant" : " runtime");
        nngpu_graph *g = th_graph(20);
        fallback_if("GridSample");
        th_input(g, "x", nd + 2, xd);
        if (nearest) {
            float grid[2 * 3 * 9 * 9 * 3];
            nearest_grid(nd, size, align, gd[0] * n_pts, grid);
            th_const_f32(g, "grid", nd + 2, gd, grid);
        } else {
            th_input_range(g, "gi", nd + 2, gd, -1.5f, 1.5f);
            th_const_scalar_f32(g, "s", 1.2f);
            th_node(g, "Tanh", "gi", "gt");
            th_node(g, "Mul", "gt,s", "grid");
        }
        th_node(g, "GridSample", "x,grid", "y");
        th_attr_string(g, "mode", mode);
        th_attr_string(g, "padding_mode", pad);
        th_attr_int(g, "align_corners", align);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

/* ---- LSTM, GRU, RNN: the input projection as a MatMul, the recurrence kernel ---- */

static void test_rnn(void) {
    static const char *const cells[] = {"LSTM", "GRU", "GRU", "RNN"};
    static const char *const dirs[] = {"forward", "reverse", "bidirectional"};
    for (int i = 0; i < 12; i++) {
        const char *cell = cells[i % 4], *dir = dirs[th_randint(0, 2)];
        int gates = i % 4 == 0 ? 4 : i % 4 == 3 ? 1 : 3, nd = dir[0] == 'b' ? 2 : 1;
        int lbr = i % 4 == 2, layout = th_randint(0, 1), seq = th_randint(1, 7), batch = th_randint(1, 6);
        int input = th_randint(1, 9);
        /* odd sizes (scalar units), multiples of 4, 8 and 16 (vector units
         * on CPUs), and more units than a work-group holds (several rounds
         * per work-item: 67 scalar, 1040 in vectors of 16) */
        static const int hiddens[] = {3, 5, 8, 20, 48, 67, 132, 48, 1040};
        int hidden = i >= 8 ? hiddens[5 + i % 4] : hiddens[th_randint(0, 4)];
        int opts = th_randint(0, 31); /* bits: B, sequence_lens, initial_h, initial_c + P, clip */
        if (i == 0) opts = 31;
        NAME("%s %s lbr%d layout%d seq%d batch%d input%d hidden%d opts%d", cell, dir, lbr, layout, seq, batch,
             input, hidden, opts);
        nngpu_graph *g = th_graph(14);
        int64_t xd[3] = {seq, batch, input}, hd[3] = {nd, batch, hidden};
        if (layout) xd[0] = batch, xd[1] = seq, hd[0] = batch, hd[1] = nd;
        float ws = 1.0f / (float)hidden;
        th_input(g, "x", 3, xd);
        th_const_rand(g, "w", 3, D(nd, gates * hidden, input), -0.8f, 0.8f);
        th_const_rand(g, "r", 3, D(nd, gates * hidden, hidden), -2 * ws - 0.3f, 2 * ws + 0.3f);
        char ins[64] = "x,w,r,";
        if (opts & 1) th_const_rand(g, "b", 2, D(nd, 2 * gates * hidden), -0.5f, 0.5f), strcat(ins, "b");
        strcat(ins, ",");
        if (opts & 2) th_input_int(g, "lens", NNGPU_DTYPE_INT32, 1, D(batch), 0, seq), strcat(ins, "lens");
        strcat(ins, ",");
        if (opts & 4) th_input(g, "h0", 3, hd), strcat(ins, "h0");
        if (gates == 4 && (opts & 8)) {
            th_input(g, "c0", 3, hd);
            th_const_rand(g, "p", 2, D(nd, 3 * hidden), -0.5f, 0.5f);
            strcat(ins, ",c0,p");
        }
        /* outputs: Y always on odd i, Y_h, and Y_c for LSTM */
        const char *outs = gates == 4 ? (i % 8 == 0 ? "y,yh,yc" : ",yh,yc") : i % 2 ? "y,yh" : "y";
        th_node(g, cell, ins, outs);
        th_attr_int(g, "hidden_size", hidden);
        th_attr_string(g, "direction", dir);
        th_attr_int(g, "layout", layout);
        if (lbr) th_attr_int(g, "linear_before_reset", 1);
        if (opts & 16) th_attr_float(g, "clip", th_randf(0.5f, 3.0f));
        if (i == 4) { /* other activations, with their alpha / beta */
            th_attr_string(g, "activations", "HardSigmoid,Softsign,Softplus");
            nngpu_graph_set_attr_floats(g, "activation_alpha", 1, (const float[]){0.3f});
            nngpu_graph_set_attr_floats(g, "activation_beta", 1, (const float[]){0.4f});
        }
        if (i == 5) { /* GRU: HardSigmoid gates, Elu candidate (bounded gates keep h finite) */
            th_attr_string(g, "activations", "HardSigmoid,Elu");
            nngpu_graph_set_attr_floats(g, "activation_alpha", 2, (const float[]){0.25f, 0.7f});
            nngpu_graph_set_attr_floats(g, "activation_beta", 1, (const float[]){0.45f});
        }
        if (i == 7) { /* RNN: ScaledTanh */
            th_attr_string(g, "activations", "ScaledTanh");
            nngpu_graph_set_attr_floats(g, "activation_alpha", 1, (const float[]){0.9f});
            nngpu_graph_set_attr_floats(g, "activation_beta", 1, (const float[]){1.1f});
        }
        if (i == 8) th_attr_int(g, "input_forget", 1);
        for (const char *o = outs; *o;) {
            size_t len = strcspn(o, ",");
            char name[8];
            snprintf(name, sizeof name, "%.*s", (int)len, o);
            if (len) th_output(g, name);
            o += len + (o[len] == ',');
        }
        th_check_graph(nm, g, TOL);
    }
}

/* ---- fused patterns on the new anchors ------------------------------------------------ */

static void test_fused_anchors(void) {
    int c = th_randint(2, 8), h = th_randint(2, 9), w = th_randint(2, 9);
    NAME("InstanceNormalization+Relu c%d %dx%d", c, h, w);
    nngpu_graph *g = th_graph(17);
    fallback_if("InstanceNormalization");
    th_input(g, "x", 4, D(1, c, h, w));
    th_const_rand(g, "s", 1, D(c), 0.5f, 1.5f);
    th_const_rand(g, "b", 1, D(c), -1, 1);
    th_node(g, "InstanceNormalization", "x,s,b", "t");
    th_node(g, "Relu", "t", "y");
    th_output(g, "y");
    th_expect_fused("InstanceNormalization+Relu");
    th_check_graph(nm, g, TOL);

    NAME("GroupNormalization+SiLU c%d %dx%d", 2 * c, h, w);
    g = th_graph(21);
    fallback_if("GroupNormalization");
    th_input(g, "x", 4, D(2, 2 * c, h, w));
    th_const_rand(g, "s", 1, D(2 * c), 0.5f, 1.5f);
    th_const_rand(g, "b", 1, D(2 * c), -1, 1);
    th_node(g, "GroupNormalization", "x,s,b", "t");
    th_attr_int(g, "num_groups", 2);
    th_node(g, "Sigmoid", "t", "sg");
    th_node(g, "Mul", "t,sg", "y");
    th_output(g, "y");
    th_expect_fused("GroupNormalization+Sigmoid+Mul");
    th_check_graph(nm, g, TOL);

    int tok = th_randint(1, 17), e = th_randint(4, 64);
    NAME("LayerNormalization+Add+Gelu tokens%d e%d", tok, e);
    g = th_graph(20);
    fallback_if("LayerNormalization");
    th_input(g, "x", 3, D(1, tok, e));
    th_input(g, "r", 3, D(1, tok, e));
    th_const_rand(g, "s", 1, D(e), 0.5f, 1.5f);
    th_const_rand(g, "b", 1, D(e), -1, 1);
    th_node(g, "LayerNormalization", "x,s,b", "t");
    th_node(g, "Add", "t,r", "u");
    th_node(g, "Gelu", "u", "y");
    th_output(g, "y");
    th_expect_fused("LayerNormalization+Add+Gelu");
    th_check_graph(nm, g, TOL);

    NAME("ConvTranspose+Add+LeakyRelu c%d %dx%d", c, h, w);
    g = th_graph(17);
    fallback_if("ConvTranspose");
    th_input(g, "x", 4, D(1, c, h, w));
    th_const_rand(g, "w", 4, D(c, 3, 2, 2), -1, 1);
    th_const_rand(g, "bb", 3, D(3, 1, 1), -1, 1);
    th_node(g, "ConvTranspose", "x,w", "t");
    th_attr_ints(g, "strides", 2, D(2, 2));
    th_node(g, "Add", "t,bb", "u");
    th_node(g, "LeakyRelu", "u", "y");
    th_output(g, "y");
    th_expect_fused("ConvTranspose+Add+LeakyRelu");
    th_check_graph(nm, g, TOL);
}

/* ---- spectral transforms ------------------------------------------------------------ */

/* DFT and STFT: devices run them as a MatMul / strided Conv by a constant
 * transform matrix (graph/lower_dft.c); every option of both opsets. */
static void test_spectral(void) {
    for (int i = 0; i < 12; i++) {
        int rank = th_randint(2, 4), opset = i % 3 ? 20 : 17, complex_in = th_randint(0, 1);
        int inverse = th_randint(0, 1), onesided = complex_in ? inverse && th_randint(0, 1) : !inverse && th_randint(0, 1);
        int64_t d[4];
        shape(rank, d, 5);
        int axis = th_randint(0, rank - 2);
        d[axis] = th_randint(2, 40);
        d[rank - 1] = complex_in ? 2 : 1;
        int64_t natural = onesided && inverse ? 2 * (d[axis] - 1) : d[axis];
        int len_kind = th_randint(0, 2); /* none, shorter (truncates), longer (zero pads) */
        int64_t len = len_kind == 1 ? th_randint(1, (int)natural) : len_kind == 2 ? natural + th_randint(1, 9) : natural;
        NAME("DFT opset%d %s axis %d %s%s%s len %lld", opset, dims_text(rank, d), axis,
             complex_in ? "complex" : "real", inverse ? " inverse" : "", onesided ? " onesided" : "",
             (long long)len);
        nngpu_graph *g = th_graph(opset);
        th_input(g, "x", rank, d);
        th_const_scalar_int(g, "len", NNGPU_DTYPE_INT64, (int)len);
        if (opset >= 20) {
            th_const_scalar_int(g, "axis", NNGPU_DTYPE_INT64, th_randint(0, 1) ? axis : axis - rank);
            th_node(g, "DFT", len_kind ? "x,len,axis" : "x,,axis", "y");
            th_attr_int(g, "inverse", inverse);
        } else {
            th_node(g, "DFT", len_kind ? "x,len" : "x", "y");
            th_attr_int(g, "axis", axis);
            th_attr_int(g, "inverse", inverse);
        }
        th_attr_int(g, "onesided", onesided);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
    for (int i = 0; i < 8; i++) {
        int complex_in = i % 4 == 3, window = i % 4 != 2, runtime_window = i == 7;
        int plain = i % 4 == 1; /* a real signal as [batch, samples] (torch's TorchScript export) */
        int64_t b = th_randint(1, 3), frame = th_randint(4, 48), s = frame + th_randint(0, 200);
        int64_t step = th_randint(1, (int)frame), onesided = !complex_in && th_randint(0, 1);
        NAME("STFT %lldx%lld%s frame %lld step %lld %s%s%s", (long long)b, (long long)s,
             plain ? "" : complex_in ? "x2" : "x1",
             (long long)frame, (long long)step, window ? "window" : "no window",
             runtime_window ? " (an input)" : "", onesided ? " onesided" : "");
        nngpu_graph *g = th_graph(17);
        if (plain) th_input(g, "x", 2, D(b, s));
        else th_input(g, "x", 3, D(b, s, complex_in + 1));
        th_const_scalar_int(g, "step", NNGPU_DTYPE_INT64, (int)step);
        th_const_scalar_int(g, "frame", NNGPU_DTYPE_INT64, (int)frame);
        if (runtime_window) {
            th_input(g, "w", 1, D(frame));
            th_expect_cpu_fallback(); /* the transform matrix needs the window's values */
        } else if (window) {
            th_const_rand(g, "w", 1, D(frame), 0.0f, 1.0f);
        }
        th_node(g, "STFT", window ? "x,step,w,frame" : "x,step,,frame", "y");
        th_attr_int(g, "onesided", onesided);
        th_output(g, "y");
        th_check_graph(nm, g, TOL);
    }
}

int main(int argc, char **argv) {
    th_init(argc, argv);
    th_hold_devices();
    test_activations();
    test_variadic();
    test_logical();
    test_cast();
    test_where();
    test_layernorm();
    test_channel_norms();
    test_lrn();
    test_mod();
    test_einsum();
    test_convtranspose();
    test_reductions();
    test_softmax_family();
    test_arg_topk();
    test_index_ops();
    test_grid_sample();
    test_rnn();
    test_spectral();
    test_fused_anchors();
    return th_summary();
}
