/* Graph rewrites that change how a model is spelled, on every device against
 * the reference, which runs the graph as written:
 * - layout (graph/sink_transposes.c): NHWC graphs the way tf2onnx writes them
 *   without its transpose optimizer, and random chains of elementwise /
 *   Reduce / Softmax / Concat / Pad ops between a Transpose and its inverse
 *   over ranks 3-5; each case bounds the Transposes left;
 * - activations spelled out in elementwise ops (graph/fuse_activations.c):
 *   each spelling after a MatMul + bias must fuse into it as the one op;
 * - common subexpressions (graph/cse.c): repeated nodes, equal constants
 *   held twice, run once; a different constant keeps its node. */
#include <stdio.h>
#include <string.h>

#include "harness/harness.h"

#define TOL 1e-4
#define D(...) ((const int64_t[]){__VA_ARGS__})
#define NAME(...) snprintf(nm, sizeof nm, __VA_ARGS__)

static char nm[256];
static const int64_t TO_NCHW[4] = {0, 3, 1, 2}, TO_NHWC[4] = {0, 2, 3, 1};

/* Transpose -> Conv (kernel k, same padding unless pad_given) -> Transpose, tf2onnx style. */
static void conv_nhwc(nngpu_graph *g, const char *x, const char *y, int cin, int cout, int k,
                      int stride, int group, int same) {
    char a[64], c[64], w[64], b[64];
    snprintf(a, sizeof a, "%s_nchw", y);
    snprintf(c, sizeof c, "%s_conv", y);
    snprintf(w, sizeof w, "%s_w", y);
    snprintf(b, sizeof b, "%s_b", y);
    th_node(g, "Transpose", x, a);
    th_attr_ints(g, "perm", 4, TO_NCHW);
    th_const_rand(g, w, 4, D(cout, cin / group, k, k), -0.5f, 0.5f);
    th_const_rand(g, b, 1, D(cout), -0.5f, 0.5f);
    char in[200];
    snprintf(in, sizeof in, "%s,%s,%s", a, w, b);
    th_node(g, "Conv", in, c);
    th_attr_ints(g, "strides", 2, D(stride, stride));
    th_attr_int(g, "group", group);
    int p = same ? k / 2 : 0;
    th_attr_ints(g, "pads", 4, D(p, p, p, p));
    th_node(g, "Transpose", c, y);
    th_attr_ints(g, "perm", 4, TO_NHWC);
}

/* x * clip(x + 3, 0, 6) / 6 in NHWC. */
static void hard_swish(nngpu_graph *g, const char *x, const char *y) {
    char t[4][64];
    for (int i = 0; i < 4; i++) snprintf(t[i], sizeof t[i], "%s_hs%d", y, i);
    char in[160];
    snprintf(in, sizeof in, "%s,three", x);
    th_node(g, "Add", in, t[0]);
    snprintf(in, sizeof in, "%s,zero,six", t[0]);
    th_node(g, "Clip", in, t[1]);
    snprintf(in, sizeof in, "%s,%s", x, t[1]);
    th_node(g, "Mul", in, t[2]);
    snprintf(in, sizeof in, "%s,sixth", t[2]);
    th_node(g, "Mul", in, y);
}

/* A MobileNetV3 block in NHWC as tf2onnx writes Keras: per-channel Mul/Add
 * (folded BatchNormalization) after each Conv, hard-swish, squeeze-excite
 * over ReduceMean(axes 1, 2), a residual Add, a stride-2 Conv after a Pad
 * (ZeroPadding2D), a Concat on the channels and a Softmax over them. */
static void test_nhwc_block(void) {
    int n = th_randint(1, 2), h = th_randint(3, 11), w = th_randint(3, 11), c = th_randint(2, 12);
    NAME("NHWC MobileNetV3 block n%d %dx%d c%d", n, h, w, c);
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 4, D(n, h, w, 3));
    th_const_scalar_f32(g, "three", 3.0f);
    th_const_scalar_f32(g, "zero", 0.0f);
    th_const_scalar_f32(g, "six", 6.0f);
    th_const_scalar_f32(g, "sixth", 1.0f / 6.0f);
    th_const_rand(g, "bn_s", 1, D(c), 0.5f, 1.5f);
    th_const_rand(g, "bn_b", 1, D(c), -0.5f, 0.5f);
    conv_nhwc(g, "x", "c1", 3, c, 3, 1, 1, 1);
    th_node(g, "Mul", "c1,bn_s", "m1");
    th_node(g, "Add", "m1,bn_b", "a1");
    hard_swish(g, "a1", "h1");
    /* squeeze-excite */
    th_const_i64(g, "hw_axes", 1, D(2), D(1, 2));
    th_node(g, "ReduceMean", "h1", "se0");
    th_attr_ints(g, "axes", 2, D(1, 2));
    conv_nhwc(g, "se0", "se1", c, c, 1, 1, 1, 1);
    th_node(g, "Relu", "se1", "se2");
    conv_nhwc(g, "se2", "se3", c, c, 1, 1, 1, 1);
    th_node(g, "HardSigmoid", "se3", "se4");
    th_attr_float(g, "alpha", 1.0f / 6.0f);
    th_node(g, "Mul", "h1,se4", "se");
    /* depthwise 3x3 + residual */
    conv_nhwc(g, "se", "d1", c, c, 3, 1, c, 1);
    th_node(g, "Add", "d1,se", "r1");
    /* ZeroPadding2D then a valid stride-2 conv */
    th_const_i64(g, "pads", 1, D(8), D(0, 0, 0, 0, 0, 1, 1, 0));
    th_node(g, "Pad", "r1,pads", "p1");
    conv_nhwc(g, "p1", "s2", c, c, 3, 2, 1, 0);
    th_node(g, "Relu", "s2", "s3");
    /* the same map pooled to the stride-2 size beside it, concatenated on channels */
    th_node(g, "Transpose", "r1", "r1_nchw");
    th_attr_ints(g, "perm", 4, TO_NCHW);
    th_node(g, "MaxPool", "r1_nchw", "mp");
    th_attr_ints(g, "kernel_shape", 2, D(3, 3));
    th_attr_ints(g, "strides", 2, D(2, 2));
    th_attr_ints(g, "pads", 4, D(0, 0, 1, 1));
    th_node(g, "Transpose", "mp", "mp_nhwc");
    th_attr_ints(g, "perm", 4, TO_NHWC);
    th_node(g, "Concat", "s3,mp_nhwc", "cat");
    th_attr_int(g, "axis", 3);
    th_node(g, "Softmax", "cat", "y");
    th_attr_int(g, "axis", -1);
    th_output(g, "y");
    th_expect_at_most("Transpose", 2); /* the input's and the output's */
    th_check_graph(nm, g, TOL);
}

/* ---- random regions ---------------------------------------------------------------- */

typedef struct chain {
    nngpu_graph *g;
    int rank, step, compares; /* compares: Greater makes a bool, which runs on the CPU */
    int64_t dims[6]; /* the current value's shape, in the transposed layout */
    char cur[32];
} chain;

static void next_name(chain *ch, char *out) { snprintf(out, 32, "v%d", ++ch->step); }

/* A constant broadcasting to the current shape: a random suffix of its dims,
 * each kept or set to 1. */
static void add_binary_const(chain *ch, const char *op) {
    int r = th_randint(0, ch->rank);
    int64_t d[6];
    for (int i = 0; i < r; i++) d[i] = th_randint(0, 1) ? ch->dims[ch->rank - r + i] : 1;
    char c[32], y[32], in[80];
    snprintf(c, sizeof c, "k%d", ch->step);
    th_const_rand(ch->g, c, r, d, 0.5f, 1.5f);
    next_name(ch, y);
    if (strcmp(op, "Div") && th_randint(0, 1)) snprintf(in, sizeof in, "%s,%s", c, ch->cur);
    else snprintf(in, sizeof in, "%s,%s", ch->cur, c); /* never divide by the values */
    th_node(ch->g, op, in, y);
    strcpy(ch->cur, y);
}

static void add_unary(chain *ch) {
    static const char *const ops[] = {"Relu", "Sigmoid", "Tanh", "Neg", "Abs"};
    char y[32];
    next_name(ch, y);
    th_node(ch->g, ops[th_randint(0, 4)], ch->cur, y);
    strcpy(ch->cur, y);
}

static void add_reduce(chain *ch) {
    int64_t axes[2];
    int n = th_randint(1, 2);
    axes[0] = th_randint(0, ch->rank - 1);
    axes[1] = (axes[0] + th_randint(1, ch->rank - 1)) % ch->rank - (th_randint(0, 1) ? ch->rank : 0);
    char y[32];
    next_name(ch, y);
    if (th_randint(0, 1)) { /* opset 13 ReduceMean: axes attribute */
        th_node(ch->g, "ReduceMean", ch->cur, y);
        th_attr_ints(ch->g, "axes", n, axes);
    } else { /* ReduceSum: axes input */
        char a[32], in[80];
        snprintf(a, sizeof a, "ax%d", ch->step);
        th_const_i64(ch->g, a, 1, D(n), axes);
        snprintf(in, sizeof in, "%s,%s", ch->cur, a);
        th_node(ch->g, "ReduceSum", in, y);
    }
    for (int i = 0; i < n; i++) ch->dims[(axes[i] + ch->rank) % ch->rank] = 1;
    strcpy(ch->cur, y);
}

static void add_softmax(chain *ch) {
    char y[32];
    next_name(ch, y);
    th_node(ch->g, th_randint(0, 1) ? "Softmax" : "LogSoftmax", ch->cur, y);
    th_attr_int(ch->g, "axis", th_randint(-ch->rank, ch->rank - 1));
    strcpy(ch->cur, y);
}

static void add_pad(chain *ch) {
    int64_t pads[12];
    for (int i = 0; i < 2 * ch->rank; i++) pads[i] = th_randint(0, 2);
    char p[32], y[32], in[80];
    snprintf(p, sizeof p, "pads%d", ch->step);
    th_const_i64(ch->g, p, 1, D(2 * ch->rank), pads);
    next_name(ch, y);
    snprintf(in, sizeof in, "%s,%s", ch->cur, p);
    th_node(ch->g, "Pad", in, y);
    th_attr_string(ch->g, "mode", th_randint(0, 1) ? "constant" : "edge");
    for (int i = 0; i < ch->rank; i++) ch->dims[i] += pads[i] + pads[ch->rank + i];
    strcpy(ch->cur, y);
}

/* Where(cur > 0, cur, constant). */
static void add_where(chain *ch) {
    char z[32], m[32], y[32], in[96];
    snprintf(z, sizeof z, "zero%d", ch->step);
    th_const_scalar_f32(ch->g, z, 0.0f);
    snprintf(m, sizeof m, "mask%d", ch->step);
    snprintf(in, sizeof in, "%s,%s", ch->cur, z);
    th_node(ch->g, "Greater", in, m);
    ch->compares = 1;
    snprintf(z, sizeof z, "alt%d", ch->step);
    th_const_rand(ch->g, z, 1, D(ch->dims[ch->rank - 1]), -1, 1);
    next_name(ch, y);
    snprintf(in, sizeof in, "%s,%s,%s", m, ch->cur, z);
    th_node(ch->g, "Where", in, y);
    strcpy(ch->cur, y);
}

/* Concat with a second input, itself transposed by perm, on a random axis. */
static void add_concat(chain *ch, const int64_t *perm) {
    int axis = th_randint(0, ch->rank - 1);
    int64_t d[6], src[6];
    memcpy(d, ch->dims, sizeof d);
    d[axis] = th_randint(1, 3);
    for (int i = 0; i < ch->rank; i++) src[perm[i]] = d[i]; /* Transpose(src, perm) has dims d */
    char x[32], t[32], y[32], in[80];
    snprintf(x, sizeof x, "x%d", ch->step);
    snprintf(t, sizeof t, "xt%d", ch->step);
    th_input(ch->g, x, ch->rank, src);
    th_node(ch->g, "Transpose", x, t);
    th_attr_ints(ch->g, "perm", ch->rank, perm);
    next_name(ch, y);
    snprintf(in, sizeof in, "%s,%s", ch->cur, t);
    th_node(ch->g, "Concat", in, y);
    th_attr_int(ch->g, "axis", axis - ch->rank * th_randint(0, 1));
    ch->dims[axis] += d[axis];
    strcpy(ch->cur, y);
}

/* Transpose(x, p) -> random chain -> Transpose(p^-1); with a second input read
 * untransposed (a Transpose(p^-1) must come in for it) or a second output
 * taken in the transposed layout (a Transpose(p) must go out for it). */
static void test_random_region(int trial) {
    chain ch = {.rank = th_randint(3, 5)};
    int64_t perm[6], inv[6], xd[6];
    for (int i = 0; i < ch.rank; i++) perm[i] = i;
    do { /* a random non-identity permutation */
        for (int i = ch.rank - 1; i > 0; i--) {
            int j = th_randint(0, i);
            int64_t t = perm[i];
            perm[i] = perm[j], perm[j] = t;
        }
    } while (perm[0] == 0 && perm[1] == 1 && perm[2] == 2 && (ch.rank < 4 || perm[3] == 3));
    for (int i = 0; i < ch.rank; i++) inv[perm[i]] = i;
    for (int i = 0; i < ch.rank; i++) xd[i] = th_randint(1, 5);
    for (int i = 0; i < ch.rank; i++) ch.dims[i] = xd[perm[i]];
    int extra = th_randint(0, 2); /* 0 none, 1 an untransposed input, 2 a transposed output */
    char desc[128] = "";
    ch.g = th_graph(13);
    nngpu_graph *g = ch.g;
    th_input(g, "x", ch.rank, xd);
    th_node(g, "Transpose", "x", "xt");
    th_attr_ints(g, "perm", ch.rank, perm);
    strcpy(ch.cur, "xt");
    int steps = th_randint(3, 7);
    for (int s = 0; s < steps; s++) {
        int kind = th_randint(0, 7);
        static const char *const bin[] = {"Add", "Mul", "Sub", "Div"};
        switch (kind) {
        case 0: case 1: add_binary_const(&ch, bin[th_randint(0, 3)]); break;
        case 2: add_unary(&ch); break;
        case 3: add_reduce(&ch); break;
        case 4: add_softmax(&ch); break;
        case 5: add_pad(&ch); break;
        case 6: add_where(&ch); break;
        default: add_concat(&ch, perm); break;
        }
        snprintf(desc + strlen(desc), sizeof desc - strlen(desc), "%d", kind);
    }
    if (extra == 1) { /* an input of the current (transposed-layout) shape */
        char y[32], in[80];
        th_input(g, "z", ch.rank, ch.dims);
        next_name(&ch, y);
        snprintf(in, sizeof in, "%s,z", ch.cur);
        th_node(g, "Add", in, y);
        strcpy(ch.cur, y);
    }
    if (extra == 2) th_output(g, ch.cur);
    th_node(g, "Transpose", ch.cur, "y");
    th_attr_ints(g, "perm", ch.rank, inv);
    th_output(g, "y");
    NAME("region %d rank%d perm%lld%lld%lld%s steps %s extra %d", trial, ch.rank,
         (long long)perm[0], (long long)perm[1], (long long)perm[2], ch.rank > 3 ? "..." : "",
         desc, extra);
    /* every Transpose reads x or is a Concat's; one stays for the extra input / output */
    th_expect_at_most("Transpose", extra ? 1 : 0);
    if (ch.compares) th_expect_cpu_fallback();
    th_check_graph(nm, g, TOL);
}

/* Nothing to gain: Transpose -> Relu as the graph output stays as it is. */
static void test_no_gain(void) {
    NAME("no gain: Transpose -> Relu -> output");
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 3, D(2, 5, 7));
    th_node(g, "Transpose", "x", "t");
    th_attr_ints(g, "perm", 3, D(0, 2, 1));
    th_node(g, "Relu", "t", "y");
    th_output(g, "y");
    th_expect_at_most("Transpose", 1);
    th_check_graph(nm, g, TOL);
}

/* ---- activations spelled out ------------------------------------------------------ */

/* The nodes of one spelling of act(x) -> y, x being "x" (scalars as needed). */
static void spell(nngpu_graph *g, int form) {
    switch (form) {
    case 0: /* torch GELU: x * 0.5 * (1 + erf(x / sqrt 2)) */
        th_const_scalar_f32(g, "c1", 1.4142135f);
        th_const_scalar_f32(g, "c2", 1.0f);
        th_const_scalar_f32(g, "c3", 0.5f);
        th_node(g, "Div", "x,c1", "a");
        th_node(g, "Erf", "a", "b");
        th_node(g, "Add", "b,c2", "c");
        th_node(g, "Mul", "x,c", "d");
        th_node(g, "Mul", "d,c3", "y");
        break;
    case 1: /* GELU, halved first: (0.5 x) * (1 + erf(0.7071 x)) */
        th_const_scalar_f32(g, "c1", 0.70710678f);
        th_const_scalar_f32(g, "c2", 1.0f);
        th_const_scalar_f32(g, "c3", 0.5f);
        th_node(g, "Mul", "c3,x", "h");
        th_node(g, "Mul", "x,c1", "a");
        th_node(g, "Erf", "a", "b");
        th_node(g, "Add", "c2,b", "c");
        th_node(g, "Mul", "h,c", "y");
        break;
    case 2: /* GPT-2's tanh GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
        th_const_scalar_f32(g, "c0", 3.0f);
        th_const_scalar_f32(g, "c1", 0.044715f);
        th_const_scalar_f32(g, "c2", 0.7978845608f);
        th_const_scalar_f32(g, "c3", 1.0f);
        th_const_scalar_f32(g, "c4", 0.5f);
        th_node(g, "Pow", "x,c0", "p");
        th_node(g, "Mul", "p,c1", "q");
        th_node(g, "Add", "x,q", "r");
        th_node(g, "Mul", "r,c2", "s");
        th_node(g, "Tanh", "s", "t");
        th_node(g, "Add", "t,c3", "u");
        th_node(g, "Mul", "x,c4", "v");
        th_node(g, "Mul", "v,u", "y");
        break;
    case 3: /* Keras HardSwish: x * (relu6(x + 3) * (1 / 6)) */
        th_const_scalar_f32(g, "c0", 3.0f);
        th_const_scalar_f32(g, "c1", 0.0f);
        th_const_scalar_f32(g, "c2", 6.0f);
        th_const_scalar_f32(g, "c3", 1.0f / 6.0f);
        th_node(g, "Add", "x,c0", "a");
        th_node(g, "Clip", "a,c1,c2", "b");
        th_node(g, "Mul", "b,c3", "c");
        th_node(g, "Mul", "x,c", "y");
        break;
    case 4: /* older torch HardSwish: x * HardSigmoid(x; 1/6, 0.5) */
        th_node(g, "HardSigmoid", "x", "a");
        th_attr_float(g, "alpha", 1.0f / 6.0f);
        th_node(g, "Mul", "a,x", "y");
        break;
    case 5: /* Mish: x * tanh(softplus(x)) */
        th_node(g, "Softplus", "x", "a");
        th_node(g, "Tanh", "a", "b");
        th_node(g, "Mul", "x,b", "y");
        break;
    default: /* not an activation of the list: x * relu6(x + 3) / 5 stays as written */
        th_const_scalar_f32(g, "c0", 3.0f);
        th_const_scalar_f32(g, "c1", 0.0f);
        th_const_scalar_f32(g, "c2", 6.0f);
        th_const_scalar_f32(g, "c3", 5.0f);
        th_node(g, "Add", "x,c0", "a");
        th_node(g, "Clip", "a,c1,c2", "b");
        th_node(g, "Mul", "x,b", "c");
        th_node(g, "Div", "c,c3", "y");
        break;
    }
}

static void test_spelled_activations(void) {
    static const char *const names[] = {"Gelu", "Gelu", "Gelu", "HardSwish", "HardSwish", "Mish",
                                        NULL};
    static const char *const covers[] = { /* the ONNX ops the fused layer reports */
        "Div+Erf+Add+Mul+Mul", "Mul+Mul+Erf+Add+Mul", "Pow+Mul+Add+Mul+Tanh+Add+Mul+Mul",
        "Add+Clip+Mul+Mul", "HardSigmoid+Mul", "Softplus+Tanh+Mul", NULL};
    for (int form = 0; form < 7; form++) {
        int m = th_randint(1, 40), k = th_randint(1, 24), n = th_randint(1, 40);
        NAME("MatMul+Add+spelled activation %d (%s) %dx%dx%d", form,
             names[form] ? names[form] : "none", m, k, n);
        nngpu_graph *g = th_graph(17);
        th_input_range(g, "in", 2, D(m, k), -2, 2);
        th_const_rand(g, "w", 2, D(k, n), -1, 1);
        th_const_rand(g, "bias", 1, D(n), -1, 1);
        th_node(g, "MatMul", "in,w", "mm");
        th_node(g, "Add", "mm,bias", "x");
        spell(g, form);
        th_output(g, "y");
        if (names[form]) {
            char fused[96];
            snprintf(fused, sizeof fused, "MatMul+Add+%s", covers[form]);
            th_expect_fused(fused);
        }
        th_check_graph(nm, g, TOL);
    }
}

/* ---- common subexpressions ---------------------------------------------------------- */

/* Sigmoid(x) twice, x * c twice with two equal constants and once with another:
 * one Sigmoid layer and two Mul layers are left. */
static void test_cse(void) {
    NAME("cse: repeated Sigmoid and Mul by equal constants");
    nngpu_graph *g = th_graph(13);
    th_input(g, "x", 3, D(2, 3, 5));
    float c = 0.75f, other = -1.5f;
    nngpu_graph_add_constant(g, "c1", NNGPU_DTYPE_FLOAT32, 1, D(1), &c);
    nngpu_graph_add_constant(g, "c2", NNGPU_DTYPE_FLOAT32, 1, D(1), &c);
    nngpu_graph_add_constant(g, "c3", NNGPU_DTYPE_FLOAT32, 1, D(1), &other);
    th_node(g, "Sigmoid", "x", "s1");
    th_node(g, "Sigmoid", "x", "s2");
    th_node(g, "Mul", "s1,c1", "m1");
    th_node(g, "Mul", "s2,c2", "m2");
    th_node(g, "Mul", "s2,c3", "m3");
    th_node(g, "Sub", "m1,m2", "d");
    th_node(g, "Add", "d,m3", "y");
    th_output(g, "y");
    th_expect_at_most("Sigmoid", 1);
    th_expect_at_most("Mul", 2);
    th_check_graph(nm, g, TOL);
}

int main(int argc, char **argv) {
    th_init(argc, argv);
    th_hold_devices();
    test_nhwc_block();
    for (int i = 0; i < 12; i++) test_random_region(i);
    test_no_gain();
    test_spelled_activations();
    test_cse();
    return th_summary();
}
