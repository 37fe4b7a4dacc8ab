/* Models: an imported or built graph, and its input shapes. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "onnx/onnx_import.h"
#include "runtime.h"

static nngpu_status read_whole_file(const char *path, void **data, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return ng_error(NNGPU_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return ng_error(NNGPU_ERR_IO, "cannot read '%s': not a regular file", path);
    }
    long len = ftell(f);
    rewind(f);
    if (len < 0) {
        fclose(f);
        return ng_error(NNGPU_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    }
    void *buf = malloc(len ? (size_t)len : 1);
    if (!buf) {
        fclose(f);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "'%s': %ld bytes", path, len);
    }
    size_t got = fread(buf, 1, (size_t)len, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != (size_t)len) {
        free(buf);
        return ng_error(NNGPU_ERR_IO, "cannot read '%s'", path);
    }
    *data = buf;
    *size = got;
    return NNGPU_OK;
}

static nngpu_status wrap(ng_graph *g, nngpu_model **out) {
    nngpu_model *m = calloc(1, sizeof *m);
    if (!m) {
        nngpu_graph_destroy(g);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "model");
    }
    m->g = g;
    atomic_init(&m->refs, 1);
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return NNGPU_OK;
}

nngpu_status nngpu_model_load_file(const char *path, nngpu_model **out) {
    void *data = NULL;
    size_t size = 0;
    NG_CHECK(read_whole_file(path, &data, &size));
    char *dir_copy = strdup(path);
    if (!dir_copy) {
        free(data);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "model path");
    }
    ng_graph *g = NULL;
    nngpu_status s = ng_onnx_import(data, size, dirname(dir_copy), path, &g);
    free(dir_copy);
    free(data);
    if (s != NNGPU_OK) return s;
    return wrap(g, out);
}

nngpu_status nngpu_model_load_memory(const void *data, size_t size, const char *base_dir,
                                     nngpu_model **out) {
    ng_graph *g = NULL;
    NG_CHECK(ng_onnx_import(data, size, base_dir ? base_dir : ".", "<memory>", &g));
    return wrap(g, out);
}

nngpu_status nngpu_model_from_graph(nngpu_graph *g, nngpu_model **out) {
    if (!g) return ng_error(NNGPU_ERR_INVALID_ARG, "nngpu_model_from_graph: NULL graph");
    if (g->n_outputs == 0)
        return ng_error(NNGPU_ERR_INVALID_ARG, "graph has no outputs (nngpu_graph_add_output)");
    if (!g->n_imported_nodes) g->n_imported_nodes = g->n_nodes;
    return wrap(g, out);
}

/* The count is not part of the model's value: a const model is counted too. */
int ng_model_counted(const nngpu_model *m) {
    return atomic_load(&((nngpu_model *)m)->refs) > 0;
}

const nngpu_model *ng_model_retain(const nngpu_model *m) {
    if (!ng_model_counted(m)) return NULL;
    atomic_fetch_add(&((nngpu_model *)m)->refs, 1);
    return m;
}

void ng_model_release(const nngpu_model *m) {
    nngpu_model *w = (nngpu_model *)m;
    if (!w || atomic_load(&w->refs) == 0 || atomic_fetch_sub(&w->refs, 1) != 1) return;
    pthread_mutex_destroy(&w->mu); /* no session holds a prepared graph any more */
    nngpu_graph_destroy(w->g);
    free(w->shapes);
    free(w->shape_set);
    free(w);
}

/* Sessions still running keep the model's constants until they end. */
void nngpu_model_destroy(nngpu_model *m) { ng_model_release(m); }

int nngpu_model_input_count(const nngpu_model *m) { return m->g->n_inputs; }
int nngpu_model_output_count(const nngpu_model *m) { return m->g->n_outputs; }

static void describe(const ng_tensor *t, nngpu_tensor_desc *out) {
    out->name = t->name;
    out->dtype = t->dtype;
    out->rank = t->rank < 0 ? 0 : t->rank;
    for (int i = 0; i < out->rank; i++) out->dims[i] = t->dims[i];
}

nngpu_status nngpu_model_input(const nngpu_model *m, int i, nngpu_tensor_desc *out) {
    if (i < 0 || i >= m->g->n_inputs)
        return ng_error(NNGPU_ERR_NOT_FOUND, "no model input %d (%d inputs)", i, m->g->n_inputs);
    describe(&m->g->tensors[m->g->inputs[i]], out);
    return NNGPU_OK;
}

nngpu_status nngpu_model_output(const nngpu_model *m, int i, nngpu_tensor_desc *out) {
    if (i < 0 || i >= m->g->n_outputs)
        return ng_error(NNGPU_ERR_NOT_FOUND, "no model output %d (%d outputs)", i,
                        m->g->n_outputs);
    describe(&m->g->tensors[m->g->outputs[i]], out);
    return NNGPU_OK;
}

nngpu_status nngpu_model_set_input_shape(nngpu_model *m, const char *name, int rank,
                                         const int64_t *dims) {
    int t = ng_tensor_find(m->g, name ? name : "");
    if (t < 0 || !m->g->tensors[t].is_input)
        return ng_error(NNGPU_ERR_NOT_FOUND, "model has no input '%s'", name ? name : "");
    ng_tensor *x = &m->g->tensors[t];
    if (rank != x->rank)
        return ng_error(NNGPU_ERR_INVALID_ARG, "input '%s': rank %d given, the model has %d",
                        name, rank, x->rank);
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || (x->dims[i] >= 0 && x->dims[i] != dims[i]))
            return ng_error(NNGPU_ERR_INVALID_ARG,
                            "input '%s': dim %d is %lld, the model needs %lld", name, i,
                            (long long)dims[i], (long long)x->dims[i]);
    }
    int k = 0;
    while (m->g->inputs[k] != t) k++;
    if (!m->shapes) {
        m->shapes = calloc((size_t)m->g->n_inputs, sizeof *m->shapes);
        m->shape_set = calloc((size_t)m->g->n_inputs, 1);
        if (!m->shapes || !m->shape_set) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "input shapes");
    }
    for (int i = 0; i < rank; i++) m->shapes[k][i] = dims[i];
    m->shape_set[k] = 1;
    return NNGPU_OK;
}

nngpu_status nngpu_model_freeze_input(nngpu_model *m, const nngpu_tensor *value) {
    ng_graph *g = m->g;
    int t = value && value->name ? ng_tensor_find(g, value->name) : -1;
    int k = 0;
    while (k < g->n_inputs && g->inputs[k] != t) k++;
    if (t < 0 || k == g->n_inputs)
        return ng_error(NNGPU_ERR_NOT_FOUND, "model has no input '%s'",
                        value && value->name ? value->name : "(null)");
    const ng_tensor *x = &g->tensors[t];
    if (value->dtype != x->dtype || value->rank != x->rank)
        return ng_error(NNGPU_ERR_INVALID_ARG, "input '%s': a %s tensor of rank %d is needed",
                        x->name, nngpu_dtype_name(x->dtype), x->rank);
    size_t count = 1;
    for (int i = 0; i < value->rank; i++) count *= (size_t)value->dims[i];
    if (!value->data || value->size_bytes < count * nngpu_dtype_size(value->dtype))
        return ng_error(NNGPU_ERR_INVALID_ARG, "input '%s': too little data", x->name);
    NG_CHECK(ng_tensor_set_const(g, t, value->dtype, value->rank, value->dims, value->data));
    g->tensors[t].is_input = 0;
    for (int i = k + 1; i < g->n_inputs; i++) {
        g->inputs[i - 1] = g->inputs[i];
        if (m->shapes) {
            memcpy(m->shapes[i - 1], m->shapes[i], sizeof m->shapes[i]);
            m->shape_set[i - 1] = m->shape_set[i];
        }
    }
    g->n_inputs--;
    return NNGPU_OK;
}
