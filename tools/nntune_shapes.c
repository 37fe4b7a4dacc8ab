/* The built-in tuning set (nntune without models): common CNN layers of
 * MobileNetV2, ResNet-18/50 and SqueezeNet, each as a one-layer model: the
 * convolutions, ResNet's stem max pool and the classifier heads. */
#include <stdio.h>
#include <stdlib.h>

#include "nngpu/graph.h"
#include "nntune.h"

typedef struct conv_shape { int c, h, k, ks, s, g; } conv_shape;

static const conv_shape convs[] = {
    /* MobileNetV2 */
    {3, 224, 32, 3, 2, 1},     {32, 112, 32, 3, 1, 32},  {32, 112, 16, 1, 1, 1},
    {16, 112, 96, 1, 1, 1},    {96, 112, 96, 3, 2, 96},  {96, 56, 24, 1, 1, 1},
    {144, 56, 144, 3, 1, 144}, {144, 28, 32, 1, 1, 1},   {192, 28, 192, 3, 1, 192},
    {384, 14, 384, 3, 1, 384}, {64, 14, 384, 1, 1, 1},   {960, 7, 960, 3, 1, 960},
    {320, 7, 1280, 1, 1, 1},
    /* ResNet-18 / 50 */
    {3, 224, 64, 7, 2, 1},     {64, 56, 64, 3, 1, 1},    {64, 56, 128, 3, 2, 1},
    {128, 28, 128, 3, 1, 1},   {256, 14, 256, 3, 1, 1},  {512, 7, 512, 3, 1, 1},
    {256, 56, 64, 1, 1, 1},
    /* SqueezeNet 1.1 */
    {64, 55, 16, 1, 1, 1},     {16, 55, 64, 3, 1, 1},
};

static float *rand_buf(size_t n, unsigned *seed) {
    float *p = malloc(n * sizeof(float) + 1);
    for (size_t i = 0; p && i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = ((float)(*seed >> 9) / 8388608.0f - 0.5f) * 0.2f;
    }
    return p;
}

static nngpu_status conv_model(const conv_shape *cs, nngpu_model **out) {
    unsigned seed = 7;
    nngpu_graph *g = nngpu_graph_create();
    int64_t xd[4] = {1, cs->c, cs->h, cs->h}, wd[4] = {cs->k, cs->c / cs->g, cs->ks, cs->ks},
            bd[1] = {cs->k};
    float *w = rand_buf((size_t)(wd[0] * wd[1] * wd[2] * wd[3]), &seed), *b = rand_buf((size_t)cs->k, &seed);
    nngpu_status st = w && b ? NNGPU_OK : NNGPU_ERR_OUT_OF_MEMORY;
    const char *in[3] = {"x", "w", "b"}, *mid[1] = {"y"}, *o[1] = {"z"};
    int64_t pads[4] = {cs->ks / 2, cs->ks / 2, cs->ks / 2, cs->ks / 2}, strides[2] = {cs->s, cs->s};
    if (st == NNGPU_OK) st = nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, xd);
    if (st == NNGPU_OK) st = nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 4, wd, w);
    if (st == NNGPU_OK) st = nngpu_graph_add_constant(g, "b", NNGPU_DTYPE_FLOAT32, 1, bd, b);
    if (st == NNGPU_OK) st = nngpu_graph_add_node(g, "Conv", "conv", 3, in, 1, mid);
    if (st == NNGPU_OK) st = nngpu_graph_set_attr_ints(g, "pads", 4, pads);
    if (st == NNGPU_OK) st = nngpu_graph_set_attr_ints(g, "strides", 2, strides);
    if (st == NNGPU_OK) st = nngpu_graph_set_attr_int(g, "group", cs->g);
    if (st == NNGPU_OK) st = nngpu_graph_add_node(g, "Relu", "relu", 1, mid, 1, o);
    if (st == NNGPU_OK) st = nngpu_graph_add_output(g, "z");
    free(w);
    free(b);
    if (st != NNGPU_OK) {
        nngpu_graph_destroy(g);
        return st;
    }
    return nngpu_model_from_graph(g, out);
}

/* Classifier head: global average pool, flatten, Gemm 1280/512 -> 1000. */
static nngpu_status head_model(int c, int hw, nngpu_model **out) {
    unsigned seed = 11;
    nngpu_graph *g = nngpu_graph_create();
    int64_t xd[4] = {1, c, hw, hw}, wd[2] = {1000, c}, bd[1] = {1000};
    float *w = rand_buf((size_t)(1000 * c), &seed), *b = rand_buf(1000, &seed);
    nngpu_status st = w && b ? NNGPU_OK : NNGPU_ERR_OUT_OF_MEMORY;
    const char *x[1] = {"x"}, *p[1] = {"p"}, *f[1] = {"f"}, *gin[3] = {"f", "w", "b"}, *y[1] = {"y"};
    if (st == NNGPU_OK) st = nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, xd);
    if (st == NNGPU_OK) st = nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 2, wd, w);
    if (st == NNGPU_OK) st = nngpu_graph_add_constant(g, "b", NNGPU_DTYPE_FLOAT32, 1, bd, b);
    if (st == NNGPU_OK) st = nngpu_graph_add_node(g, "GlobalAveragePool", "gap", 1, x, 1, p);
    if (st == NNGPU_OK) st = nngpu_graph_add_node(g, "Flatten", "flatten", 1, p, 1, f);
    if (st == NNGPU_OK) st = nngpu_graph_add_node(g, "Gemm", "fc", 3, gin, 1, y);
    if (st == NNGPU_OK) st = nngpu_graph_set_attr_int(g, "transB", 1);
    if (st == NNGPU_OK) st = nngpu_graph_add_output(g, "y");
    free(w);
    free(b);
    if (st != NNGPU_OK) {
        nngpu_graph_destroy(g);
        return st;
    }
    return nngpu_model_from_graph(g, out);
}

/* ResNet's stem: 3x3 stride-2 max pool of 64 x 112 x 112. */
static nngpu_status maxpool_model(nngpu_model **out) {
    nngpu_graph *g = nngpu_graph_create();
    int64_t xd[4] = {1, 64, 112, 112}, k[2] = {3, 3}, s[2] = {2, 2}, pads[4] = {1, 1, 1, 1};
    const char *x[1] = {"x"}, *y[1] = {"y"};
    nngpu_status st = nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, xd);
    if (st == NNGPU_OK) st = nngpu_graph_add_node(g, "MaxPool", "pool", 1, x, 1, y);
    if (st == NNGPU_OK) st = nngpu_graph_set_attr_ints(g, "kernel_shape", 2, k);
    if (st == NNGPU_OK) st = nngpu_graph_set_attr_ints(g, "strides", 2, s);
    if (st == NNGPU_OK) st = nngpu_graph_set_attr_ints(g, "pads", 4, pads);
    if (st == NNGPU_OK) st = nngpu_graph_add_output(g, "y");
    if (st != NNGPU_OK) {
        nngpu_graph_destroy(g);
        return st;
    }
    return nngpu_model_from_graph(g, out);
}

nngpu_status nntune_builtin_jobs(const char *device, const nngpu_options *o, ng_tune_jobs *jobs) {
    size_t nc = sizeof convs / sizeof convs[0];
    for (size_t i = 0; i < nc + 3; i++) {
        nngpu_model *m = NULL;
        nngpu_status st = i < nc       ? conv_model(&convs[i], &m)
                          : i < nc + 2 ? head_model(i == nc ? 1280 : 512, 7, &m)
                                       : maxpool_model(&m);
        if (st == NNGPU_OK) st = ng_tune_collect_with(m, device, o, jobs);
        nngpu_model_destroy(m);
        if (st != NNGPU_OK) return st;
    }
    return NNGPU_OK;
}
