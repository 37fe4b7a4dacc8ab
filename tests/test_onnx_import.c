/* The graph builder and the ONNX importer: a small model built in memory with
 * the protobuf-c structs (Conv+Relu+Mul+Add, initializers in raw_data, typed
 * fields and an external file, a Constant node), its errors (unknown op, bad
 * opset, missing external file, cycle, ...), and fuzzing: every truncation
 * and 2000 random bit flips must give OK or an error with a message; INT4/UINT4
 * tensors decode packed (raw_data, int32_data) and are sized packed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "graph/ir.h"
#include "onnx/onnx.pb-c.h"
#include "onnx/onnx_import.h"
#include "onnx/onnx_internal.h"

static int n_pass, n_fail;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (cond) n_pass++;                                                                    \
        else {                                                                                 \
            n_fail++;                                                                          \
            printf("FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond,             \
                   nngpu_last_error());                                                        \
        }                                                                                      \
    } while (0)

static char tmp_dir[] = "/tmp/ng_onnx_test_XXXXXX";
static char empty_dir[] = "/tmp/ng_onnx_empty_XXXXXX";

/* ---- building a model with protobuf-c ------------------------------------------ */

#define W_N (3 * 2 * 3 * 3)
static float w_data[W_N];
static const float b_data[3] = {0.5f, -0.25f, 1.0f};
static const float scale_data[3] = {2.0f, 3.0f, 4.0f};

/* Knobs for error variants. */
typedef struct model_opts {
    const char *conv_op;       /* op type of the conv node */
    const char *conv_name;     /* NULL: unnamed */
    const char *domain;        /* domain of the Relu node */
    int64_t opset;
    const char *ext_location;  /* external file of 'scale' */
    int reverse_nodes;         /* store nodes in reverse order */
    int cycle;                 /* Relu reads the output of Add */
    int bad_raw;               /* raw_data of W one byte short */
    const char *dangling;      /* Mul reads this name instead of 'scale' */
    int dup_output;            /* Relu writes 'c' like the Conv */
} model_opts;

static void default_opts(model_opts *o) {
    memset(o, 0, sizeof *o);
    o->conv_op = "Conv";
    o->conv_name = "conv1";
    o->opset = 13;
    o->ext_location = "weights.bin";
}

static Onnx__AttributeProto *attr_ints(const char *name, size_t n, int64_t *v) {
    Onnx__AttributeProto *a = calloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = n;
    a->ints = v;
    return a;
}

static Onnx__AttributeProto *attr_int(const char *name, int64_t v) {
    Onnx__AttributeProto *a = calloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = a->has_i = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->i = v;
    return a;
}

static Onnx__AttributeProto *attr_str(const char *name, const char *v) {
    Onnx__AttributeProto *a = calloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = a->has_s = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    a->s.data = (uint8_t *)v;
    a->s.len = strlen(v);
    return a;
}

static Onnx__NodeProto *node(const char *op, const char *name, const char *domain, size_t n_in,
                             const char **in, const char *out) {
    Onnx__NodeProto *n = calloc(1, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = (char *)name;
    n->domain = (char *)domain;
    n->n_input = n_in;
    n->input = (char **)in;
    n->n_output = 1;
    n->output = calloc(1, sizeof(char *));
    n->output[0] = (char *)out;
    return n;
}

static void free_node(Onnx__NodeProto *n) {
    for (size_t i = 0; i < n->n_attribute; i++) {
        if (n->attribute[i]->t) free(n->attribute[i]->t);
        free(n->attribute[i]);
    }
    free(n->attribute);
    free(n->output);
    free(n);
}

static Onnx__TensorProto *tensor(const char *name, int32_t type, size_t rank, int64_t *dims) {
    Onnx__TensorProto *t = calloc(1, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = type;
    t->n_dims = rank;
    t->dims = dims;
    return t;
}

/* Serializes the model; *size gets its length. */
static uint8_t *build_model(const model_opts *o, size_t *size) {
    static int64_t w_dims[4] = {3, 2, 3, 3}, b_dims[1] = {3}, s_dims[3] = {3, 1, 1};
    static int64_t h_dims[1] = {2}, q_dims[2] = {2, 2};
    static int64_t ks[2] = {3, 3}, pads[4] = {1, 1, 1, 1};
    static int32_t h_vals[2] = {0x3c00, 0xc000}; /* float16 1.0, -2.0 */
    static int32_t q_vals[4] = {-3, 127, -128, 5};
    static float k_val = 0.125f;

    Onnx__TensorProto *w = tensor("W", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, w_dims);
    w->has_raw_data = 1;
    w->raw_data.data = (uint8_t *)w_data;
    w->raw_data.len = sizeof w_data - (o->bad_raw ? 1 : 0);
    Onnx__TensorProto *b = tensor("B", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, b_dims);
    b->n_float_data = 3;
    b->float_data = (float *)b_data;
    Onnx__TensorProto *s = tensor("scale", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3, s_dims);
    Onnx__StringStringEntryProto loc = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    Onnx__StringStringEntryProto off = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    Onnx__StringStringEntryProto len = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    loc.key = "location";
    loc.value = (char *)o->ext_location;
    off.key = "offset";
    off.value = "8";
    len.key = "length";
    len.value = "12";
    Onnx__StringStringEntryProto *ext[3] = {&loc, &off, &len};
    s->has_data_location = 1;
    s->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    s->n_external_data = 3;
    s->external_data = ext;
    Onnx__TensorProto *h = tensor("H", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, 1, h_dims);
    h->n_int32_data = 2;
    h->int32_data = h_vals;
    Onnx__TensorProto *q = tensor("Q", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 2, q_dims);
    q->n_int32_data = 4;
    q->int32_data = q_vals;
    Onnx__TensorProto *inits[5] = {w, b, s, h, q};

    /* x: [N, 2, 5, 5] */
    Onnx__TensorShapeProto__Dimension d[4];
    Onnx__TensorShapeProto__Dimension *dp[4];
    for (int i = 0; i < 4; i++) {
        onnx__tensor_shape_proto__dimension__init(&d[i]);
        dp[i] = &d[i];
        d[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    }
    d[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
    d[0].dim_param = "N";
    d[1].dim_value = 2;
    d[2].dim_value = d[3].dim_value = 5;
    Onnx__TensorShapeProto shape = ONNX__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 4;
    shape.dim = dp;
    Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
    tt.has_elem_type = 1;
    tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt.shape = &shape;
    Onnx__TypeProto type = ONNX__TYPE_PROTO__INIT;
    type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type.tensor_type = &tt;
    Onnx__ValueInfoProto x = ONNX__VALUE_INFO_PROTO__INIT, y = ONNX__VALUE_INFO_PROTO__INIT;
    Onnx__ValueInfoProto w_in = ONNX__VALUE_INFO_PROTO__INIT; /* an initializer listed as input */
    x.name = "x";
    x.type = &type;
    w_in.name = "W";
    y.name = "y";
    Onnx__ValueInfoProto *inputs[2] = {&x, &w_in}, *outputs[1] = {&y};

    static const char *conv_in[3] = {"x", "W", "B"}, *relu_in[1] = {"c"};
    static const char *relu_cycle_in[1] = {"y"};
    const char *mul_in[2] = {"r", o->dangling ? o->dangling : "scale"};
    static const char *add_in[2] = {"m", "k"};
    Onnx__NodeProto *conv = node(o->conv_op, o->conv_name, NULL, 3, conv_in, "c");
    Onnx__AttributeProto *conv_attrs[4] = {attr_ints("kernel_shape", 2, ks),
                                           attr_ints("pads", 4, pads), attr_int("group", 1),
                                           attr_str("auto_pad", "NOTSET")};
    conv->n_attribute = 4;
    conv->attribute = malloc(sizeof conv_attrs);
    memcpy(conv->attribute, conv_attrs, sizeof conv_attrs);
    Onnx__NodeProto *relu =
        node("Relu", NULL, o->domain, 1, o->cycle ? relu_cycle_in : relu_in,
             o->dup_output ? "c" : "r");
    Onnx__NodeProto *kc = node("Constant", "kconst", NULL, 0, NULL, "k");
    Onnx__TensorProto *kt = tensor("k", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 0, NULL);
    kt->n_float_data = 1;
    kt->float_data = &k_val;
    Onnx__AttributeProto *kv = calloc(1, sizeof *kv);
    onnx__attribute_proto__init(kv);
    kv->name = "value";
    kv->has_type = 1;
    kv->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    kv->t = kt;
    kc->n_attribute = 1;
    kc->attribute = malloc(sizeof(void *));
    kc->attribute[0] = kv;
    Onnx__NodeProto *mul = node("Mul", "mul", NULL, 2, mul_in, "m");
    Onnx__NodeProto *add = node("Add", "add", "ai.onnx", 2, add_in, "y");
    Onnx__NodeProto *nodes[5] = {conv, relu, kc, mul, add};
    if (o->reverse_nodes)
        for (int i = 0; i < 2; i++) {
            Onnx__NodeProto *t = nodes[i];
            nodes[i] = nodes[4 - i];
            nodes[4 - i] = t;
        }

    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    graph.name = "test";
    graph.n_node = 5;
    graph.node = nodes;
    graph.n_initializer = 5;
    graph.initializer = inits;
    graph.n_input = 2;
    graph.input = inputs;
    graph.n_output = 1;
    graph.output = outputs;
    Onnx__OperatorSetIdProto ops = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    ops.domain = "";
    ops.has_version = 1;
    ops.version = o->opset;
    Onnx__OperatorSetIdProto ml = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    ml.domain = "ai.onnx.ml";
    ml.has_version = 1;
    ml.version = 3;
    Onnx__OperatorSetIdProto *opsets[2] = {&ml, &ops};
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 2;
    m.opset_import = opsets;
    m.graph = &graph;

    *size = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(*size);
    onnx__model_proto__pack(&m, buf);
    for (int i = 0; i < 5; i++) {
        free(inits[i]);
        free_node(nodes[i]);
    }
    return buf;
}

/* ---- checks ------------------------------------------------------------------- */

static int find_node(const ng_graph *g, const char *name) {
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0) return i;
    return -1;
}

static void check_graph(const ng_graph *g) {
    CHECK(g->opset == 13);
    CHECK(g->n_nodes == 4 && g->n_imported_nodes == 4);
    CHECK(g->n_inputs == 1);
    if (g->n_inputs == 1) {
        const ng_tensor *x = &g->tensors[g->inputs[0]];
        CHECK(strcmp(x->name, "x") == 0 && x->is_input && x->dtype == NNGPU_DTYPE_FLOAT32);
        CHECK(x->rank == 4 && x->dims[0] == -1 && x->dims[1] == 2 && x->dims[3] == 5);
    }
    CHECK(g->n_outputs == 1 && strcmp(g->tensors[g->outputs[0]].name, "y") == 0);
    int w = ng_tensor_find(g, "W"), b = ng_tensor_find(g, "B"), s = ng_tensor_find(g, "scale");
    int h = ng_tensor_find(g, "H"), q = ng_tensor_find(g, "Q"), k = ng_tensor_find(g, "k");
    CHECK(ng_is_const(g, w) && !g->tensors[w].is_input && g->tensors[w].rank == 4);
    CHECK(w >= 0 && memcmp(g->tensors[w].data, w_data, sizeof w_data) == 0);
    CHECK(ng_is_const(g, b) && memcmp(g->tensors[b].data, b_data, sizeof b_data) == 0);
    CHECK(ng_is_const(g, s) && g->tensors[s].rank == 3 &&
          memcmp(g->tensors[s].data, scale_data, sizeof scale_data) == 0);
    CHECK(ng_is_const(g, h) && g->tensors[h].dtype == NNGPU_DTYPE_FLOAT16 &&
          ((uint16_t *)g->tensors[h].data)[1] == 0xc000);
    CHECK(ng_is_const(g, q) && g->tensors[q].dtype == NNGPU_DTYPE_INT8 &&
          ((int8_t *)g->tensors[q].data)[2] == -128);
    CHECK(ng_is_const(g, k) && g->tensors[k].rank == 0 &&
          *(float *)g->tensors[k].data == 0.125f);
    int c = find_node(g, "conv1"), r = find_node(g, "Relu_1"), m = find_node(g, "mul");
    int a = find_node(g, "add");
    CHECK(c >= 0 && r >= 0 && m >= 0 && a >= 0);
    if (c < 0 || r < 0 || m < 0 || a < 0) return;
    CHECK(c < r && r < m && m < a); /* topological */
    const ng_node *cn = &g->nodes[c];
    CHECK(cn->op == NG_OP_CONV && cn->opset == 13 && cn->n_in == 3 && cn->in[1] == w);
    const int64_t *v;
    CHECK(ng_attr_ints(cn, "pads", &v) == 4 && v[3] == 1);
    CHECK(ng_attr_int(cn, "group", 0) == 1);
    CHECK(strcmp(ng_attr_string(cn, "auto_pad", ""), "NOTSET") == 0);
    CHECK(g->nodes[r].op == NG_OP_RELU && g->nodes[a].op == NG_OP_ADD);
    CHECK(g->tensors[g->nodes[a].out[0]].producer == a);
}

static void check_clone(const ng_graph *g) {
    ng_graph *c = ng_graph_clone(g);
    CHECK(c != NULL);
    if (!c) return;
    CHECK(c->n_tensors == g->n_tensors && c->n_nodes == g->n_nodes);
    CHECK(c->n_inputs == g->n_inputs && c->n_outputs == g->n_outputs);
    int w = ng_tensor_find(c, "W");
    CHECK(w >= 0 && c->tensors[w].data != g->tensors[w].data &&
          memcmp(c->tensors[w].data, w_data, sizeof w_data) == 0);
    int cv = find_node(c, "conv1");
    const int64_t *v;
    CHECK(cv >= 0 && ng_attr_ints(&c->nodes[cv], "kernel_shape", &v) == 2 && v[0] == 3);
    CHECK(cv >= 0 && c->nodes[cv].attrs != g->nodes[cv].attrs);
    check_graph(c);
    nngpu_graph_destroy(c);
}

static nngpu_status import_opts(const model_opts *o, const char *dir, ng_graph **g) {
    size_t size;
    uint8_t *buf = build_model(o, &size);
    ng_error_clear();
    nngpu_status st = ng_onnx_import(buf, size, dir, "test.onnx", g);
    free(buf);
    return st;
}

/* Imports a variant that must fail with status want and a message holding
 * both needles. */
static void expect_error(const model_opts *o, const char *dir, nngpu_status want,
                         const char *needle1, const char *needle2) {
    ng_graph *g = (ng_graph *)1;
    nngpu_status st = import_opts(o, dir, &g);
    const char *e = nngpu_last_error();
    int ok = st == want && g == NULL && strstr(e, needle1) && (!needle2 || strstr(e, needle2)) &&
             strstr(e, "test.onnx");
    if (!ok)
        printf("  expected %s with '%s'/'%s', got %s: %s\n", nngpu_status_name(want), needle1,
               needle2 ? needle2 : "", nngpu_status_name(st), e);
    CHECK(ok);
    if (st == NNGPU_OK) nngpu_graph_destroy(g);
}

static void test_model(void) {
    model_opts o;
    default_opts(&o);
    ng_graph *g = NULL;
    nngpu_status st = import_opts(&o, tmp_dir, &g);
    CHECK(st == NNGPU_OK);
    if (st == NNGPU_OK) {
        check_graph(g);
        check_clone(g);
        nngpu_graph_destroy(g);
    }
    /* nodes stored out of order are sorted */
    o.reverse_nodes = 1;
    st = import_opts(&o, tmp_dir, &g);
    CHECK(st == NNGPU_OK);
    if (st == NNGPU_OK) {
        CHECK(find_node(g, "Relu_3") >= 0); /* unnamed: named by file index */
        CHECK(find_node(g, "conv1") < find_node(g, "mul"));
        CHECK(find_node(g, "mul") < find_node(g, "add"));
        nngpu_graph_destroy(g);
    }
    /* an opset newer than 21 loads with a warning */
    default_opts(&o);
    o.opset = 23;
    st = import_opts(&o, tmp_dir, &g);
    CHECK(st == NNGPU_OK);
    if (st == NNGPU_OK) nngpu_graph_destroy(g);
    /* opsets 1-6 are imported as opset 7 (tests/legacy_models.py checks the rewrites) */
    o.opset = 5;
    st = import_opts(&o, tmp_dir, &g);
    CHECK(st == NNGPU_OK);
    if (st == NNGPU_OK) {
        CHECK(g->opset == 7 && g->nodes[find_node(g, "conv1")].opset == 7);
        nngpu_graph_destroy(g);
    }
}

static void test_errors(void) {
    model_opts o;
    default_opts(&o);
    o.conv_op = "FooBar";
    expect_error(&o, tmp_dir, NNGPU_ERR_UNSUPPORTED, "unsupported op 'FooBar'", "node 'conv1'");
    o.conv_name = NULL;
    expect_error(&o, tmp_dir, NNGPU_ERR_UNSUPPORTED, "unsupported op 'FooBar'", "#0");
    default_opts(&o);
    o.domain = "com.microsoft";
    expect_error(&o, tmp_dir, NNGPU_ERR_UNSUPPORTED, "com.microsoft", "Relu");
    default_opts(&o);
    o.opset = 0;
    expect_error(&o, tmp_dir, NNGPU_ERR_UNSUPPORTED, "opset 0", NULL);
    o.opset = 99;
    expect_error(&o, tmp_dir, NNGPU_ERR_UNSUPPORTED, "opset 99", NULL);
    default_opts(&o);
    expect_error(&o, empty_dir, NNGPU_ERR_IO, "weights.bin", "'scale'");
    expect_error(&o, NULL, NNGPU_ERR_IO, "weights.bin", "'scale'");
    o.ext_location = "../weights.bin";
    expect_error(&o, tmp_dir, NNGPU_ERR_PARSE, "../weights.bin", "'scale'");
    o.ext_location = "/etc/passwd";
    expect_error(&o, tmp_dir, NNGPU_ERR_PARSE, "/etc/passwd", "'scale'");
    default_opts(&o);
    o.cycle = 1;
    expect_error(&o, tmp_dir, NNGPU_ERR_PARSE, "cycle", "'y'");
    default_opts(&o);
    o.dangling = "nowhere";
    expect_error(&o, tmp_dir, NNGPU_ERR_PARSE, "node 'mul'", "'nowhere'");
    default_opts(&o);
    o.dup_output = 1;
    expect_error(&o, tmp_dir, NNGPU_ERR_PARSE, "'c' is produced by node 'conv1'", "Relu_1");
    default_opts(&o);
    o.bad_raw = 1;
    expect_error(&o, tmp_dir, NNGPU_ERR_PARSE, "'W'", "raw_data");

    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12};
    ng_graph *g = (ng_graph *)1;
    CHECK(ng_onnx_import(junk, sizeof junk, NULL, "junk.onnx", &g) == NNGPU_ERR_PARSE &&
          g == NULL && strstr(nngpu_last_error(), "'junk.onnx': not a valid ONNX model"));
    /* empty input: a valid empty protobuf, but no graph */
    CHECK(ng_onnx_import("", 0, NULL, "empty.onnx", &g) != NNGPU_OK && nngpu_last_error()[0]);
}

static void test_builder(void) {
    ng_graph *g = nngpu_graph_create();
    int64_t dims[9] = {1, 3, 4, 4, 1, 1, 1, 1, 1};
    float w[3] = {1, 2, 3};
    const char *in1[1] = {"x"}, *out1[1] = {"y"}, *in_bad[1] = {"nope"}, *out_x[1] = {"x"};
    CHECK(nngpu_graph_set_attr_int(g, "axis", 1) == NNGPU_ERR_INVALID_ARG);
    CHECK(nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, dims) == NNGPU_OK);
    CHECK(nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, dims) == NNGPU_ERR_INVALID_ARG);
    CHECK(nngpu_graph_add_input(g, "", NNGPU_DTYPE_FLOAT32, 4, dims) == NNGPU_ERR_INVALID_ARG);
    CHECK(nngpu_graph_add_input(g, "big", NNGPU_DTYPE_FLOAT32, 9, dims) != NNGPU_OK);
    CHECK(nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 1, dims + 1, w) == NNGPU_OK);
    CHECK(nngpu_graph_add_input(g, "w", NNGPU_DTYPE_FLOAT32, 1, dims) == NNGPU_ERR_INVALID_ARG &&
          strstr(nngpu_last_error(), "constant"));
    CHECK(nngpu_graph_add_node(g, "Foo", "bar", 1, in1, 1, out1) == NNGPU_ERR_UNSUPPORTED &&
          strcmp(nngpu_last_error(), "unsupported op 'Foo' (node 'bar')") == 0);
    CHECK(nngpu_graph_add_node(g, "Relu", "r", 1, in_bad, 1, out1) == NNGPU_ERR_INVALID_ARG &&
          strstr(nngpu_last_error(), "'r'") && strstr(nngpu_last_error(), "'nope'"));
    CHECK(nngpu_graph_add_node(g, "Relu", "r", 1, in1, 1, out_x) == NNGPU_ERR_INVALID_ARG);
    CHECK(nngpu_graph_add_node(g, "Relu", "r", 1, in1, 1, out1) == NNGPU_OK);
    CHECK(nngpu_graph_add_node(g, "Relu", "r2", 1, in1, 1, out1) == NNGPU_ERR_INVALID_ARG &&
          strstr(nngpu_last_error(), "'y'"));
    CHECK(nngpu_graph_set_attr_float(g, "alpha", 0.5f) == NNGPU_OK);
    CHECK(nngpu_graph_set_attr_ints(g, "perm", 2, (const int64_t[]){1, 0}) == NNGPU_OK);
    CHECK(nngpu_graph_set_attr_tensor(g, "value", NNGPU_DTYPE_FLOAT32, 1, dims + 1, w) ==
          NNGPU_OK);
    CHECK(g->n_nodes == 1 && g->nodes[0].n_attr == 3 && g->nodes[0].opset == g->opset);
    CHECK(nngpu_graph_add_output(g, "zzz") == NNGPU_ERR_INVALID_ARG);
    CHECK(nngpu_graph_add_output(g, "y") == NNGPU_OK);
    CHECK(g->n_outputs == 1 && g->tensors[g->outputs[0]].producer == 0);
    ng_graph *c = ng_graph_clone(g);
    CHECK(c && c->nodes[0].n_attr == 3 && c->nodes[0].attrs[2].t_data != NULL &&
          ((float *)c->nodes[0].attrs[2].t_data)[2] == 3.0f && ng_tensor_find(c, "y") >= 0);
    nngpu_graph_destroy(c);
    nngpu_graph_destroy(g);
}

/* Truncations and bit flips: never a crash, never an error without text. */
static void test_fuzz(void) {
    model_opts o;
    default_opts(&o);
    size_t size;
    uint8_t *buf = build_model(&o, &size);
    uint8_t *mut = malloc(size);
    int bad = 0, ok = 0, n = 0;
    for (size_t len = 0; len < size; len++) {
        ng_graph *g = NULL;
        ng_error_clear();
        nngpu_status st = ng_onnx_import(buf, len, tmp_dir, "trunc.onnx", &g);
        if (st == NNGPU_OK) ok++, nngpu_graph_destroy(g);
        else if (!nngpu_last_error()[0] || g) bad++;
        n++;
    }
    uint64_t seed = 12345;
    for (int it = 0; it < 2000; it++) {
        memcpy(mut, buf, size);
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int flips = 1 + (int)((seed >> 33) % 4);
        for (int f = 0; f < flips; f++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            size_t bit = (size_t)((seed >> 20) % (size * 8));
            mut[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        ng_graph *g = NULL;
        ng_error_clear();
        nngpu_status st = ng_onnx_import(mut, size, tmp_dir, "mutant.onnx", &g);
        if (st == NNGPU_OK) ok++, nngpu_graph_destroy(g);
        else if (!nngpu_last_error()[0] || g) bad++;
        n++;
    }
    printf("fuzz: %d imports, %d ok, %d errors without a message\n", n, ok, bad);
    CHECK(bad == 0);
    free(mut);
    free(buf);
}

/* INT4 / UINT4 tensors: packed two per byte, low nibble first, in raw_data or
 * one byte per int32_data value; sized packed by the importer and the builder. */
static void test_int4(void) {
    static int64_t d5[1] = {5}, d3[1] = {3};
    /* int4 [5] = {1, -2, 7, -8, 3}: bytes 0xE1, 0x87, 0x03 */
    static uint8_t packed[3] = {0xE1, 0x87, 0x03};
    static int32_t packed32[3] = {0xE1, 0x87, 0x03};
    static const int64_t want[5] = {1, -2, 7, -8, 3};
    Onnx__TensorProto *t = tensor("q4", 22, 1, d5);
    t->has_raw_data = 1;
    t->raw_data.data = packed;
    t->raw_data.len = 3;
    ng_onnx_tensor ot;
    CHECK(ng_onnx_tensor_decode(t, tmp_dir, "q4", &ot) == NNGPU_OK);
    CHECK(ot.dtype == NNGPU_DTYPE_INT4 && ot.bytes == 3 && ot.rank == 1 && ot.dims[0] == 5);
    ng_graph *g = nngpu_graph_create();
    CHECK(g && nngpu_graph_add_constant(g, "q4", ot.dtype, 1, d5, ot.data) == NNGPU_OK);
    const ng_tensor *c = g ? &g->tensors[ng_tensor_find(g, "q4")] : NULL;
    CHECK(c && ng_nbytes(c) == 3);
    for (int i = 0; c && i < 5; i++) CHECK(ng_const_int(c, i) == want[i]);
    ng_onnx_tensor_free(&ot);
    t->raw_data.len = 5; /* one byte per element is wrong */
    CHECK(ng_onnx_tensor_decode(t, tmp_dir, "q4", &ot) == NNGPU_ERR_PARSE);
    t->has_raw_data = 0;
    t->raw_data.len = 0;
    t->n_int32_data = 3;
    t->int32_data = packed32;
    CHECK(ng_onnx_tensor_decode(t, tmp_dir, "q4", &ot) == NNGPU_OK);
    CHECK(ot.bytes == 3 && ot.data && memcmp(ot.data, packed, 3) == 0);
    ng_onnx_tensor_free(&ot);
    t->n_int32_data = 5;
    CHECK(ng_onnx_tensor_decode(t, tmp_dir, "q4", &ot) == NNGPU_ERR_PARSE);
    free(t);
    /* uint4 [3] = {1, 14, 8}: bytes 0xE1, 0x08 */
    static uint8_t u[2] = {0xE1, 0x08};
    t = tensor("u4", 21, 1, d3);
    t->has_raw_data = 1;
    t->raw_data.data = u;
    t->raw_data.len = 2;
    CHECK(ng_onnx_tensor_decode(t, tmp_dir, "u4", &ot) == NNGPU_OK);
    CHECK(ot.dtype == NNGPU_DTYPE_UINT4 && ot.bytes == 2);
    CHECK(g && nngpu_graph_add_constant(g, "u4", ot.dtype, 1, d3, ot.data) == NNGPU_OK);
    c = g ? &g->tensors[ng_tensor_find(g, "u4")] : NULL;
    CHECK(c && ng_nbytes(c) == 2 && ng_const_int(c, 0) == 1 && ng_const_int(c, 1) == 14 &&
          ng_const_int(c, 2) == 8);
    ng_onnx_tensor_free(&ot);
    free(t);
    if (g) nngpu_graph_destroy(g);
}

int main(void) {
    for (int i = 0; i < W_N; i++) w_data[i] = (float)(i % 7) * 0.25f - 0.5f;
    if (!mkdtemp(tmp_dir) || !mkdtemp(empty_dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/weights.bin", tmp_dir);
    FILE *f = fopen(path, "wb");
    float pad[2] = {-1, -1};
    if (!f || fwrite(pad, sizeof pad, 1, f) != 1 ||
        fwrite(scale_data, sizeof scale_data, 1, f) != 1) {
        perror(path);
        return 1;
    }
    fclose(f);

    test_builder();
    test_model();
    test_errors();
    test_fuzz();
    test_int4();

    remove(path);
    rmdir(tmp_dir);
    rmdir(empty_dir);
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail != 0;
}
