/* Finding what to tune: the distinct (family, signature) kernels a model's
 * session runs, each with a one-node model reproducing its fused layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autotune/tuner.h"
#include "core/status.h"
#include "graph/ir.h"
#include "nngpu/graph.h"
#include "runtime/runtime.h"

static nngpu_status copy_attr(ng_node *d, const ng_attr *s) {
    ng_attr *a = ng_node_add_attr(d, s->name, s->type);
    if (!a) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "attribute '%s'", s->name);
    a->i = s->i;
    a->f = s->f;
    a->n = s->n;
    size_t cnt = s->n > 0 ? (size_t)s->n : 0;
    if (s->ints && !(a->ints = malloc(cnt * sizeof *a->ints + 1))) goto oom;
    if (s->ints) memcpy(a->ints, s->ints, cnt * sizeof *a->ints);
    if (s->floats && !(a->floats = malloc(cnt * sizeof *a->floats + 1))) goto oom;
    if (s->floats) memcpy(a->floats, s->floats, cnt * sizeof *a->floats);
    if (s->s && !(a->s = strdup(s->s))) goto oom;
    a->t_dtype = s->t_dtype;
    a->t_rank = s->t_rank;
    memcpy(a->t_dims, s->t_dims, sizeof a->t_dims);
    if (s->t_data) {
        size_t bytes = nngpu_dtype_size(s->t_dtype);
        for (int i = 0; i < s->t_rank; i++) bytes *= (size_t)s->t_dims[i];
        if (!(a->t_data = malloc(bytes + 1))) goto oom;
        memcpy(a->t_data, s->t_data, bytes);
    }
    return NNGPU_OK;
oom:
    return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "attribute '%s'", s->name);
}

static nngpu_status add_tensor(ng_graph *d, const ng_graph *g, int t, int *out) {
    const ng_tensor *x = &g->tensors[t];
    int id = ng_tensor_find(d, x->name);
    if (id < 0) {
        if (x->data)
            NG_CHECK(nngpu_graph_add_constant(d, x->name, x->dtype, x->rank, x->dims, x->data));
        else
            NG_CHECK(nngpu_graph_add_input(d, x->name, x->dtype, x->rank, x->dims));
        id = ng_tensor_find(d, x->name);
    }
    *out = id;
    return NNGPU_OK;
}

nngpu_status ng_tune_extract(const void *graph, int node, nngpu_model **out) {
    const ng_graph *g = graph;
    const ng_node *n = &g->nodes[node];
    ng_graph *d = nngpu_graph_create();
    if (!d) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "tuning graph");
    nngpu_graph_set_opset(d, g->opset);
    int in[64], outs[16];
    nngpu_status st = NNGPU_OK;
    if (n->n_in > 64 || n->n_out > 16)
        st = ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': too many inputs to tune", n->name);
    for (int i = 0; i < n->n_in && st == NNGPU_OK; i++) {
        in[i] = -1;
        if (n->in[i] >= 0) st = add_tensor(d, g, n->in[i], &in[i]);
    }
    for (int i = 0; i < n->n_out && st == NNGPU_OK; i++) {
        const ng_tensor *y = &g->tensors[n->out[i]];
        outs[i] = ng_tensor_get_or_add(d, y->name);
        if (outs[i] < 0) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "tensor '%s'", y->name);
    }
    int id = -1;
    if (st == NNGPU_OK && (id = ng_node_add(d, n->op, n->name, n->n_in, in, n->n_out, outs)) < 0)
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", n->name);
    if (st == NNGPU_OK) {
        ng_node *c = &d->nodes[id];
        c->opset = n->opset;
        c->n_main_inputs = n->n_main_inputs;
        c->n_epi = n->n_epi;
        memcpy(c->epi, n->epi, sizeof c->epi);
        if (n->fused && !(c->fused = strdup(n->fused)))
            st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s'", n->name);
        for (int a = 0; a < n->n_attr && st == NNGPU_OK; a++) st = copy_attr(c, &n->attrs[a]);
    }
    for (int i = 0; i < n->n_out && st == NNGPU_OK; i++)
        st = nngpu_graph_add_output(d, g->tensors[n->out[i]].name);
    if (st != NNGPU_OK) {
        nngpu_graph_destroy(d);
        return st;
    }
    return nngpu_model_from_graph(d, out);
}

/* The tuner feeds random data of these dtypes (tuner.c). */
static int runtime_dtype_ok(nngpu_dtype dt) {
    return dt == NNGPU_DTYPE_FLOAT32 || dt == NNGPU_DTYPE_FLOAT16 || dt == NNGPU_DTYPE_INT8 ||
           dt == NNGPU_DTYPE_UINT8 || dt == NNGPU_DTYPE_INT32;
}

static int tunable_io(const ng_graph *g, const ng_node *n) {
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && !g->tensors[n->in[i]].data && !runtime_dtype_ok(g->tensors[n->in[i]].dtype))
            return 0;
    for (int i = 0; i < n->n_out; i++)
        if (n->out[i] >= 0 && !runtime_dtype_ok(g->tensors[n->out[i]].dtype)) return 0;
    return 1;
}

nngpu_status ng_tune_collect(const nngpu_model *m, const char *device, ng_tune_jobs *jobs) {
    return ng_tune_collect_with(m, device, NULL, jobs);
}

/* Adds (family, signature) of node `node` to jobs, or counts a use. */
static nngpu_status add_job(ng_tune_jobs *jobs, const nngpu_session *s, int node,
                            const char *kernel_name, const char *family, const char *signature,
                            const ng_params *params) {
    for (int j = 0; j < jobs->n; j++)
        if (!strcmp(jobs->job[j].family, family) && !strcmp(jobs->job[j].signature, signature)) {
            jobs->job[j].uses++;
            return NNGPU_OK;
        }
    if (jobs->n == jobs->cap) {
        int cap = jobs->cap ? jobs->cap * 2 : 16;
        ng_tune_job *grown = realloc(jobs->job, sizeof *grown * (size_t)cap);
        if (!grown) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "tuning jobs");
        jobs->job = grown;
        jobs->cap = cap;
    }
    const ng_node *n = &s->g->nodes[node];
    ng_tune_job *j = &jobs->job[jobs->n];
    memset(j, 0, sizeof *j);
    snprintf(j->family, sizeof j->family, "%s", family);
    snprintf(j->signature, sizeof j->signature, "%s", signature);
    snprintf(j->layer, sizeof j->layer, "%s", n->name ? n->name : "?");
    snprintf(j->kernel, sizeof j->kernel, "%s", kernel_name);
    j->uses = 1;
    j->defaults = *params;
    NG_CHECK(ng_tune_extract(s->g, node, &j->model));
    jobs->n++;
    return NNGPU_OK;
}

/* 1 when a kernel's algorithm lookup (record.algo_*) is worth its own job:
 * its family's space can choose another algorithm there. */
static int algo_tunable(const nngpu_device_info *dev, const ng_params_record *r) {
    ng_space sp;
    if (!r->algo_family[0] ||
        ng_space_init(&sp, r->algo_family, r->algo_signature, dev, &r->algo_params) != NNGPU_OK) {
        ng_error_clear();
        return 0;
    }
    return ng_space_picks_algorithm(&sp);
}

nngpu_status ng_tune_collect_with(const nngpu_model *m, const char *device,
                                  const nngpu_options *base, ng_tune_jobs *jobs) {
    nngpu_options o;
    if (base) o = *base;
    else nngpu_options_init(&o);
    o.params_override = ""; /* built-in defaults: what tuning starts from */
    int idx;
    nngpu_device_info dev;
    NG_CHECK(nngpu_device_find(device, &idx));
    NG_CHECK(nngpu_device_get(idx, &dev));
    nngpu_session *s;
    NG_CHECK(nngpu_session_create(m, device, &o, &s));
    nngpu_status st = NNGPU_OK;
    const ng_backend *be = s->dev ? s->dev->backend : NULL;
    if (!be || !be->kernel_params) {
        nngpu_session_destroy(s);
        return ng_error(NNGPU_ERR_UNSUPPORTED, "device '%s' cannot be tuned (%s)", device,
                        be ? "its backend does not report kernel parameters" : "CPU reference");
    }
    for (int i = 0; i < s->n_steps && st == NNGPU_OK; i++) {
        const ng_step *step = &s->steps[i];
        if (!step->kernel) continue;
        const ng_params_record *r = be->kernel_params(step->kernel);
        if (!r || !r->family[0] || !ng_tune_family_find(r->family)) continue;
        if (!tunable_io(s->g, &s->g->nodes[step->node])) continue;
        /* The algorithm choice first: nntune tunes jobs in order. */
        if (algo_tunable(&dev, r))
            st = add_job(jobs, s, step->node, step->kernel_name, r->algo_family,
                         r->algo_signature, &r->algo_params);
        if (st == NNGPU_OK)
            st = add_job(jobs, s, step->node, step->kernel_name, r->family, r->signature,
                         &r->params);
    }
    nngpu_session_destroy(s);
    return st;
}

void ng_tune_jobs_free(ng_tune_jobs *jobs) {
    for (int i = 0; i < jobs->n; i++) nngpu_model_destroy(jobs->job[i].model);
    free(jobs->job);
    memset(jobs, 0, sizeof *jobs);
}
