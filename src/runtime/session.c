/* Sessions: creation, runs, and what they report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dims.h"
#include "core/status.h"
#include "ref/ref.h"
#include "calibrate.h"
#include "params.h"
#include "prepared.h"
#include "runtime.h"

#define POISON 0xFF /* every float32 made of it is a NaN */

double ng_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The options a run may still read (the run-time tail compiles sessions with
 * them): the caller's strings are only promised during creation, so the
 * tuning DB path is copied and the creation-only ones dropped. */
static nngpu_status keep_options(nngpu_session *s) {
    s->opts.calibration = NULL;
    s->opts.params_override = NULL;
    if (!s->opts.tuning_db) return NNGPU_OK;
    s->tuning_db_copy = strdup(s->opts.tuning_db);
    if (!s->tuning_db_copy) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "session options");
    s->opts.tuning_db = s->tuning_db_copy;
    return NNGPU_OK;
}

nngpu_status nngpu_session_create(const nngpu_model *m, const char *selector,
                                  const nngpu_options *o, nngpu_session **out) {
    *out = NULL;
    if (!m) return ng_error(NNGPU_ERR_INVALID_ARG, "nngpu_session_create: NULL model");
    const ng_device_entry *dev;
    NG_CHECK(ng_device_resolve(selector ? selector : "0", &dev));
    nngpu_session *s = calloc(1, sizeof *s);
    if (!s) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "session");
    if (o) s->opts = *o;
    else nngpu_options_init(&s->opts);
    s->dev = dev;
    s->can_profile = s->opts.profiling;
    /* A corrupt or foreign tuning DB fails here, naming the file; none is fine. */
    ng_db *db = NULL;
    nngpu_status st = dev ? ng_params_db_get(s->opts.tuning_db, &db) : NNGPU_OK;
    if (st == NNGPU_OK) st = ng_session_compile(s, m);
    if (st == NNGPU_OK) st = ng_session_guard_int8(s, m);
    if (st == NNGPU_OK) st = ng_session_guard_fp16(s, m);
    if (st == NNGPU_OK) st = keep_options(s);
    if (st != NNGPU_OK) {
        nngpu_session_destroy(s);
        return st;
    }
    *out = s;
    return NNGPU_OK;
}

/* What compilation made: kernels, arena, context, graph, report. */
static void release_compiled(nngpu_session *s) {
    if (s->dev && s->ctx) {
        const ng_backend *be = s->dev->backend;
        for (int i = 0; i < s->n_steps; i++)
            if (s->steps[i].kernel) be->kernel_destroy(s->ctx, s->steps[i].kernel);
        if (s->arena) be->buffer_destroy(s->ctx, s->arena);
        be->context_destroy(s->ctx);
    }
    free(s->steps);
    free(s->planned);
    free(s->host_arena);
    ng_report_free(&s->report);
    ng_session_tail_free(s);
    ng_tail_sessions_free(s->tail_sessions);
    nngpu_graph_destroy(s->g);
    ng_prepared_release(s->prepared); /* its constants, which g borrowed */
    if (s->model) ng_model_release(s->model);
    ng_int8_state_free(s->int8);
    ng_fp16_state_free(s->fp16);
}

void nngpu_session_destroy(nngpu_session *s) {
    if (!s) return;
    release_compiled(s);
    free(s->tuning_db_copy);
    free(s);
}

nngpu_status ng_session_rebuild(nngpu_session *s, const nngpu_model *m) {
    nngpu_session *fresh = calloc(1, sizeof *fresh);
    if (!fresh) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "session");
    fresh->opts = s->opts;
    fresh->dev = s->dev;
    fresh->can_profile = s->can_profile;
    fresh->int8 = s->int8;
    fresh->fp16 = s->fp16;
    nngpu_status st = ng_session_compile(fresh, m);
    fresh->int8 = NULL;
    fresh->fp16 = NULL;
    if (st != NNGPU_OK) {
        nngpu_session_destroy(fresh);
        return st;
    }
    struct ng_int8_state *keep = s->int8;
    ng_fp16_state *keep16 = s->fp16;
    s->int8 = NULL;
    s->fp16 = NULL;
    release_compiled(s);
    *s = *fresh;
    s->int8 = keep;
    s->fp16 = keep16;
    free(fresh);
    return NNGPU_OK;
}

nngpu_status ng_session_write(nngpu_session *s, size_t offset, size_t bytes, const void *src) {
    if (!bytes) return NNGPU_OK;
    if (!s->dev) {
        memcpy(s->host_arena + offset, src, bytes);
        return NNGPU_OK;
    }
    return s->dev->backend->buffer_write(s->ctx, s->arena, offset, bytes, src);
}

nngpu_status ng_session_read(nngpu_session *s, size_t offset, size_t bytes, void *dst) {
    if (!bytes) return NNGPU_OK;
    if (!s->dev) {
        memcpy(dst, s->host_arena + offset, bytes);
        return NNGPU_OK;
    }
    return s->dev->backend->buffer_read(s->ctx, s->arena, offset, bytes, dst);
}

/* ---- one run --------------------------------------------------------------- */

static nngpu_status check_input(const ng_tensor *want, const nngpu_tensor *in) {
    if (in->dtype != want->dtype)
        return ng_error(NNGPU_ERR_INVALID_ARG, "input '%s': dtype %s given, the model needs %s",
                        want->name, nngpu_dtype_name(in->dtype), nngpu_dtype_name(want->dtype));
    int same = in->rank == want->rank;
    for (int i = 0; same && i < want->rank; i++) same = in->dims[i] == want->dims[i];
    if (!same) {
        char a[200], b[200];
        int rank = in->rank < 0 ? 0 : in->rank > NNGPU_MAX_DIMS ? NNGPU_MAX_DIMS : in->rank;
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "input '%s': shape [%s] given, the session was created for [%s]",
                        want->name, ng_dims_format(in->dims, rank, "x", a, sizeof a),
                        ng_dims_format(want->dims, want->rank, "x", b, sizeof b));
    }
    size_t bytes = ng_nbytes(want);
    if (!in->data || in->size_bytes < bytes)
        return ng_error(NNGPU_ERR_INVALID_ARG, "input '%s': %zu bytes given, %zu needed",
                        want->name, in->size_bytes, bytes);
    return NNGPU_OK;
}

static nngpu_status write_inputs(nngpu_session *s, int n, const nngpu_tensor *inputs) {
    ng_graph *g = s->g;
    for (int k = 0; k < g->n_inputs; k++) {
        const ng_tensor *want = &g->tensors[g->inputs[k]];
        const nngpu_tensor *given = NULL;
        for (int i = 0; i < n; i++)
            if (inputs[i].name && strcmp(inputs[i].name, want->name) == 0) given = &inputs[i];
        if (!given) return ng_error(NNGPU_ERR_INVALID_ARG, "input '%s' was not given", want->name);
        NG_CHECK(check_input(want, given));
        if (s->planned[g->inputs[k]])
            NG_CHECK(ng_session_write(s, want->offset, ng_nbytes(want), given->data));
    }
    for (int i = 0; i < n; i++) {
        int t = inputs[i].name ? ng_tensor_find(g, inputs[i].name) : -1;
        if (t < 0 || !g->tensors[t].is_input)
            return ng_error(NNGPU_ERR_INVALID_ARG, "the model has no input '%s'",
                            inputs[i].name ? inputs[i].name : "(null)");
    }
    return NNGPU_OK;
}

/* A node on the CPU reference: inputs copied out of the arena, outputs back.
 * `ptrs` holds in[], out[] and the copies it owns (any count: a Concat may
 * take hundreds of inputs). */
static nngpu_status run_on_cpu(nngpu_session *s, const ng_node *n) {
    ng_graph *g = s->g;
    int n_ptrs = 2 * (n->n_in + n->n_out);
    void **ptrs = calloc((size_t)(n_ptrs ? n_ptrs : 1), sizeof *ptrs);
    if (!ptrs) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': operand list", n->name);
    const void **in = (const void **)ptrs;
    void **out = ptrs + n->n_in, **owned = ptrs + n->n_in + n->n_out;
    int n_owned = 0;
    nngpu_status st = NNGPU_OK;
    for (int k = 0; k < n->n_in && st == NNGPU_OK; k++) {
        const ng_tensor *t = ng_in(g, n, k);
        if (!t) continue;
        if (t->data) in[k] = t->data;
        else if (!s->dev) in[k] = s->host_arena + t->offset;
        else {
            void *buf = malloc(ng_nbytes(t) ? ng_nbytes(t) : 1);
            if (!buf) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': input copy", n->name);
            else {
                owned[n_owned++] = buf;
                in[k] = buf;
                st = ng_session_read(s, t->offset, ng_nbytes(t), buf);
            }
        }
    }
    for (int k = 0; k < n->n_out && st == NNGPU_OK; k++) {
        const ng_tensor *t = ng_out(g, n, k);
        if (!t) continue;
        if (!s->dev) out[k] = s->host_arena + t->offset;
        else { /* zeroed: a dynamic output fills only its extent */
            out[k] = calloc(ng_nbytes(t) ? ng_nbytes(t) : 1, 1);
            if (!out[k]) st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': output", n->name);
            else owned[n_owned++] = out[k];
        }
    }
    if (st == NNGPU_OK && ng_ref_is_dynamic_op(n->op)) {
        int64_t extent = 0;
        st = ng_ref_run_dynamic(g, n, in, out, &extent);
        for (int k = 0; k < n->n_out && st == NNGPU_OK; k++) { /* Unique: three share it */
            ng_tensor *y = ng_out(g, n, k);
            if (y && y->is_dynamic) y->dyn_len = extent;
        }
    } else if (st == NNGPU_OK) {
        st = ng_ref_run(g, n, in, out);
    }
    for (int k = 0; k < n->n_out && st == NNGPU_OK && s->dev; k++) {
        const ng_tensor *t = ng_out(g, n, k);
        if (t && s->planned[n->out[k]]) st = ng_session_write(s, t->offset, ng_nbytes(t), out[k]);
    }
    for (int i = 0; i < n_owned; i++) free(owned[i]);
    free(ptrs);
    return st;
}

/* Checked runs (options.guard_bytes): before each step its outputs and the
 * guard bytes around them are poisoned; after it the guards must still hold
 * the poison. Per step, because planned tensors share memory over time. */
static nngpu_status poison_outputs(nngpu_session *s, const ng_node *n, unsigned char **scratch,
                                   size_t *cap) {
    size_t gb = s->opts.guard_bytes;
    for (int k = 0; k < n->n_out; k++) {
        const ng_tensor *t = ng_out(s->g, n, k);
        if (!t || !s->planned[n->out[k]] || t->view_of >= 0) continue;
        size_t span = ng_nbytes(t) + 2 * gb;
        if (span > *cap) {
            unsigned char *p = realloc(*scratch, span);
            if (!p) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "guard bytes");
            *scratch = p;
            *cap = span;
        }
        memset(*scratch, POISON, span);
        NG_CHECK(ng_session_write(s, t->offset - gb, span, *scratch));
    }
    return NNGPU_OK;
}

static nngpu_status check_output_guards(nngpu_session *s, const ng_node *n, unsigned char *scratch) {
    size_t gb = s->opts.guard_bytes;
    for (int k = 0; k < n->n_out; k++) {
        const ng_tensor *t = ng_out(s->g, n, k);
        if (!t || !s->planned[n->out[k]] || t->view_of >= 0) continue;
        size_t bytes = ng_nbytes(t);
        NG_CHECK(ng_session_read(s, t->offset - gb, bytes + 2 * gb, scratch));
        for (size_t i = 0; i < gb; i++)
            if (scratch[i] != POISON || scratch[gb + bytes + i] != POISON)
                return ng_error(NNGPU_ERR_INTERNAL,
                                "node '%s' wrote outside its output '%s' (guard bytes %s it "
                                "were overwritten)",
                                n->name, t->name, scratch[i] != POISON ? "before" : "after");
    }
    return NNGPU_OK;
}

static nngpu_status run_steps(nngpu_session *s) {
    const ng_backend *be = s->dev ? s->dev->backend : NULL;
    int checked = s->opts.guard_bytes > 0;
    unsigned char *scratch = NULL;
    size_t cap = 0;
    nngpu_status r = NNGPU_OK;
    for (int i = 0; i < s->n_steps && r == NNGPU_OK; i++) {
        ng_step *st = &s->steps[i];
        const ng_node *n = &s->g->nodes[st->node];
        if (ng_passes_dynamic(n->op) && ng_out(s->g, n, 0)->is_dynamic) /* copy or view */
            ng_out(s->g, n, 0)->dyn_len = ng_in(s->g, n, 0)->dyn_len;
        if (st->is_view) continue;
        if (checked && (r = poison_outputs(s, n, &scratch, &cap)) != NNGPU_OK) break;
        if (st->on_cpu) {
            if (be && (r = be->finish(s->ctx)) != NNGPU_OK) break;
            double t0 = ng_now_ms();
            r = n->op == NG_OP_RUNTIME_TAIL ? ng_session_run_tail(s, n) : run_on_cpu(s, n);
            if (s->opts.profiling) st->time_ms = ng_now_ms() - t0; /* host time, copies included */
        } else {
            r = be->kernel_enqueue(s->ctx, st->kernel);
            if (r != NNGPU_OK) r = ng_error_context(r, "running node '%s'", n->name);
            else if (checked) r = be->finish(s->ctx);
        }
        if (r == NNGPU_OK && checked) r = check_output_guards(s, n, scratch);
    }
    free(scratch);
    if (r != NNGPU_OK || !be) return r;
    NG_CHECK(be->finish(s->ctx));
    for (int i = 0; i < s->n_steps; i++)
        if (s->steps[i].kernel) s->steps[i].time_ms = be->kernel_time_ms(s->ctx, s->steps[i].kernel);
    return NNGPU_OK;
}

/* An output of the run-time tail: this run's shape, and its data when o has room. */
static nngpu_status read_tail_output(const nngpu_session *s, const ng_tensor *t, nngpu_tensor *o) {
    const ng_value *v = ng_session_tail_value(s, (int)(t - s->g->tensors));
    if (!v) return ng_error(NNGPU_ERR_INTERNAL, "output '%s' was not computed", t->name);
    o->name = t->name;
    o->dtype = v->dtype;
    o->rank = v->rank;
    memcpy(o->dims, v->dims, sizeof o->dims);
    size_t bytes = ng_value_bytes(v);
    if (!o->data) return NNGPU_OK; /* the shape only */
    if (o->size_bytes < bytes)
        return ng_error(NNGPU_ERR_INVALID_ARG, "output '%s' needs %zu bytes this run, %zu given",
                        t->name, bytes, o->size_bytes);
    if (bytes) memcpy(o->data, v->data, bytes);
    return NNGPU_OK;
}

nngpu_status ng_session_read_outputs(nngpu_session *s, int n, nngpu_tensor *outputs) {
    ng_graph *g = s->g;
    if (n > g->n_outputs)
        return ng_error(NNGPU_ERR_INVALID_ARG, "%d outputs asked for, the model has %d", n,
                        g->n_outputs);
    for (int k = 0; k < n; k++) {
        const ng_tensor *t = &g->tensors[g->outputs[k]];
        nngpu_tensor *o = &outputs[k];
        if (t->rt_shape) {
            NG_CHECK(read_tail_output(s, t, o));
            continue;
        }
        o->name = t->name;
        o->dtype = t->dtype;
        o->rank = t->rank;
        for (int i = 0; i < t->rank; i++) o->dims[i] = t->dims[i];
        if (t->is_dynamic) o->dims[t->dyn_axis] = t->dyn_len; /* this run's extent */
        size_t bytes = ng_nbytes(t);
        if (t->is_dynamic && t->dims[t->dyn_axis] > 0)
            bytes = bytes / (size_t)t->dims[t->dyn_axis] * (size_t)t->dyn_len;
        if (!o->data) continue; /* the shape only */
        if (o->size_bytes < bytes)
            return ng_error(NNGPU_ERR_INVALID_ARG, "output '%s' needs %zu bytes, %zu given",
                            t->name, bytes, o->size_bytes);
        if (t->data) memcpy(o->data, t->data, bytes);
        else NG_CHECK(ng_session_read(s, t->offset, bytes, o->data));
    }
    return NNGPU_OK;
}

nngpu_status nngpu_session_run(nngpu_session *s, int n_inputs, const nngpu_tensor *inputs,
                               int n_outputs, nngpu_tensor *outputs) {
    if (!s) return ng_error(NNGPU_ERR_INVALID_ARG, "nngpu_session_run: NULL session");
    NG_CHECK(write_inputs(s, n_inputs, inputs));
    NG_CHECK(run_steps(s));
    return ng_session_read_outputs(s, n_outputs, outputs);
}

/* ---- what a session reports ------------------------------------------------- */

nngpu_status nngpu_session_output(const nngpu_session *s, int i, nngpu_tensor_desc *out) {
    if (i < 0 || i >= s->g->n_outputs)
        return ng_error(NNGPU_ERR_NOT_FOUND, "no output %d (%d outputs)", i, s->g->n_outputs);
    const ng_tensor *t = &s->g->tensors[s->g->outputs[i]];
    out->name = t->name;
    out->dtype = t->dtype;
    out->rank = t->rank;
    for (int k = 0; k < t->rank; k++) out->dims[k] = t->dims[k];
    const ng_value *v = t->rt_shape ? ng_session_tail_value(s, s->g->outputs[i]) : NULL;
    if (v) { /* shape known per run: the last run's */
        out->dtype = v->dtype;
        out->rank = v->rank;
        memcpy(out->dims, v->dims, sizeof out->dims);
    }
    return NNGPU_OK;
}

nngpu_status nngpu_session_read_output(const nngpu_session *s, int i, nngpu_tensor *out) {
    if (!s || !out || i < 0 || i >= s->g->n_outputs)
        return ng_error(NNGPU_ERR_INVALID_ARG, "nngpu_session_read_output: no output %d", i);
    const ng_tensor *t = &s->g->tensors[s->g->outputs[i]];
    if (!t->rt_shape)
        return ng_error(NNGPU_ERR_INVALID_ARG,
                        "output '%s' has a fixed shape: nngpu_session_run reads it", t->name);
    return read_tail_output(s, t, out);
}

void nngpu_session_get_stats(const nngpu_session *s, nngpu_session_stats *out) {
    memset(out, 0, sizeof *out);
    out->onnx_nodes = s->g->n_imported_nodes;
    for (int i = 0; i < s->n_steps; i++) {
        if (s->steps[i].on_cpu) out->cpu_nodes++;
        else if (!s->steps[i].is_view && s->dev) out->kernels++;
    }
    out->folded_nodes = s->folded_nodes;
    out->arena_bytes = s->plan.arena_bytes;
    out->tensor_bytes = s->plan.tensor_bytes;
    out->lower_bound_bytes = s->plan.lower_bound_bytes;
    out->weight_bytes = s->dev ? s->dev->backend->weight_bytes(s->ctx) : 0;
    out->model_weight_bytes = s->model_weight_bytes;
    out->precision = s->precision[0] ? s->precision : "fp32";
    out->precision_error_vs_fp32 = s->guard_measured ? s->guard_error : -1;
    out->device_name = s->dev ? s->dev->info.name : "CPU reference";
    out->tail_kernels = s->tail_kernels;
}

void nngpu_session_set_profiling(nngpu_session *s, int on) {
    on = on && s->can_profile;
    s->opts.profiling = on;
    if (s->dev && s->dev->backend->set_profiling) s->dev->backend->set_profiling(s->ctx, on);
    for (int i = 0; i < s->n_steps; i++) s->steps[i].time_ms = -1;
}

int nngpu_session_layer_count(const nngpu_session *s) { return s->n_steps; }

nngpu_status nngpu_session_layer(const nngpu_session *s, int i, nngpu_layer_info *out) {
    if (i < 0 || i >= s->n_steps)
        return ng_error(NNGPU_ERR_NOT_FOUND, "no layer %d (%d layers)", i, s->n_steps);
    const ng_step *st = &s->steps[i];
    const ng_node *n = &s->g->nodes[st->node];
    out->name = n->name;
    out->kernel = st->kernel_name;
    out->fused = n->fused ? n->fused : ng_op_name(n->op);
    out->params_source = st->kernel ? s->dev->backend->kernel_params_source(st->kernel) : "-";
    out->on_cpu = st->on_cpu;
    out->precision = ng_node_precision(s->g, n);
    out->time_ms = st->time_ms;
    return NNGPU_OK;
}

const char *nngpu_session_summary(const nngpu_session *s) {
    return s->report.text ? s->report.text : "";
}
