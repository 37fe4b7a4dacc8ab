/* Session compilation: input shapes, passes, lowering of each fused node to
 * a device kernel or the CPU fallback, memory planning, kernel preparation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "graph/expand.h"
#include "graph/passes.h"
#include "ref/ref.h"
#include "runtime/calibrate.h"
#include "prepared.h"
#include "runtime.h"

static void bind_input_shapes(ng_graph *g, const nngpu_model *m) {
    for (int k = 0; k < g->n_inputs; k++) {
        ng_tensor *x = &g->tensors[g->inputs[k]];
        for (int i = 0; i < x->rank; i++) {
            if (m->shape_set && m->shape_set[k]) x->dims[i] = m->shapes[k][i];
            else if (x->dims[i] < 0) x->dims[i] = 1;
        }
    }
}

static int count_live(const ng_graph *g) {
    int live = 0;
    for (int i = 0; i < g->n_nodes; i++) live += !g->nodes[i].dead;
    return live;
}

/* Nodes shape inference expanded (Attention, ...): replaced, not folded. */
static int count_expanded(const ng_graph *g) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += g->nodes[i].dead && ng_is_expanded(&g->nodes[i]);
    return n;
}

static nngpu_status run_passes(nngpu_session *s) {
    ng_graph *g = s->g;
    unsigned off = ng_disabled_passes(&s->opts);
    ng_report *r = &s->report;
    int before = count_live(g), n_before = g->n_nodes;
    NG_CHECK(ng_pass_infer_fold(g, !(off & NNGPU_PASS_FOLD_CONSTANTS), r));
    /* expansion appended nodes and killed the nodes they stand for */
    s->folded_nodes = before + (g->n_nodes - n_before) - count_expanded(g) - count_live(g);
    NG_CHECK(ng_pass_extract_runtime(g, r));
    NG_CHECK(ng_pass_lower_variadic(g, r));
    if (s->dev) NG_CHECK(ng_pass_split_concat(g, r));
    if (!(off & NNGPU_PASS_ELIMINATE)) NG_CHECK(ng_pass_eliminate(g, r));
    if (!(off & NNGPU_PASS_CSE)) NG_CHECK(ng_pass_cse(g, r));
    /* pre-quantized layers, while their DequantizeLinear weights stand */
    if (!(off & NNGPU_PASS_FUSE_EPILOGUE)) {
        NG_CHECK(ng_pass_fold_qdq(g, r));
        NG_CHECK(ng_pass_fold_dq_matmul(g, r));
        NG_CHECK(ng_pass_fold_dynamic_int(g, r));
    }
    if (!(off & NNGPU_PASS_FOLD_CONSTANTS)) {
        before = count_live(g);
        NG_CHECK(ng_pass_fold_dequantize(g, r));
        s->folded_nodes += before - count_live(g);
    }
    if (!(off & NNGPU_PASS_SINK_TRANSPOSES)) { /* before BatchNormalization folding */
        NG_CHECK(ng_pass_sink_transposes(g, r));
        if (!(off & NNGPU_PASS_ELIMINATE)) NG_CHECK(ng_pass_eliminate(g, r));
    }
    if (!(off & NNGPU_PASS_FUSE_BATCHNORM)) NG_CHECK(ng_pass_fuse_batchnorm(g, r));
    NG_CHECK(ng_pass_lower_batchnorm(g, !(off & NNGPU_PASS_FUSE_BATCHNORM), r));
    if (s->dev) { /* after BatchNormalization folded into the convolutions */
        NG_CHECK(ng_pass_lower_conv3d(g, r));
        NG_CHECK(ng_pass_lower_pool3d(g, r));
        NG_CHECK(ng_pass_lower_convtranspose(g, r));
        if (!(off & NNGPU_PASS_LOWER_DFT)) NG_CHECK(ng_pass_lower_dft(g, r));
    }
    if (!(off & NNGPU_PASS_FUSE_PAD)) NG_CHECK(ng_pass_fuse_pad(g, r));
    if (s->dev) NG_CHECK(ng_pass_trim_conv_taps(g, r)); /* after Pads joined the convolutions */
    if (s->opts.weight_bits) { /* before fusion: bias and activations fuse into MatMulQuantW */
        int count;
        NG_CHECK(ng_pass_quantize_weights(g, s->opts.weight_bits, s->opts.weight_group_size,
                                          &count, r));
        if (count) snprintf(s->precision, sizeof s->precision, "fp32+int%dw", s->opts.weight_bits);
    }
    int heavy = !(off & NNGPU_PASS_FUSE_EPILOGUE), elt = !(off & NNGPU_PASS_FUSE_ELEMENTWISE);
    if (heavy || elt) {
        if (!(off & NNGPU_PASS_FUSE_ACTIVATIONS)) NG_CHECK(ng_pass_fuse_activations(g, r));
        NG_CHECK(ng_pass_fuse_epilogues(g, heavy, elt, r));
    }
    ng_pass_mark_views(g);
    return NNGPU_OK;
}

/* What the passes depend on: input shapes (bound) and the options they read.
 * A model change makes another key: freezing an input removes its group. */
static char *prepared_key(const nngpu_session *s, const ng_graph *bound) {
    size_t cap = 64 + (size_t)bound->n_inputs * NNGPU_MAX_DIMS * 21, len = 0;
    char *key = malloc(cap);
    if (!key) return NULL;
    len += (size_t)snprintf(key, cap, "dev=%d off=%u wbits=%d group=%d", s->dev != NULL,
                            ng_disabled_passes(&s->opts), s->opts.weight_bits,
                            s->opts.weight_group_size);
    for (int k = 0; k < bound->n_inputs; k++) {
        const ng_tensor *x = &bound->tensors[bound->inputs[k]];
        len += (size_t)snprintf(key + len, cap - len, ";");
        for (int i = 0; i < x->rank; i++)
            len += (size_t)snprintf(key + len, cap - len, " %lld", (long long)x->dims[i]);
    }
    return key;
}

/* s->g: a copy of the model's graph after the passes, from a prepared graph
 * another session of these shapes and options made, or from a new one. */
static nngpu_status passed_graph(nngpu_session *s, const nngpu_model *m) {
    /* passes replace constants, never write them; a model that is not held
     * (refs 0) may go before the session: its own constants are copied */
    ng_graph *g = ng_model_counted(m) ? ng_graph_clone_sharing_data(m->g)
                                      : ng_graph_clone_detached(m->g);
    if (!g) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "copying the model's graph");
    bind_input_shapes(g, m);
    char *key = prepared_key(s, g);
    if (!key) {
        nngpu_graph_destroy(g);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "session key");
    }
    ng_prepared *p = ng_prepared_find((nngpu_model *)m, key);
    if (p) { /* what the passes reported, again */
        nngpu_graph_destroy(g);
        s->folded_nodes = p->folded_nodes;
        snprintf(s->precision, sizeof s->precision, "%s", p->precision);
        ng_report_add_lines(&s->report, p->report);
    } else {
        s->g = g; /* the passes report into s */
        nngpu_status st = run_passes(s);
        s->g = NULL;
        if (st == NNGPU_OK) {
            p = ng_prepared_add((nngpu_model *)m, key, g, s->report.text, s->folded_nodes,
                                s->precision); /* takes g */
            st = p ? NNGPU_OK : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "prepared graph");
        } else {
            nngpu_graph_destroy(g);
        }
        if (st != NNGPU_OK) {
            free(key);
            return st;
        }
    }
    free(key);
    s->prepared = p;
    if (!(s->g = ng_graph_clone_sharing_data(p->g)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "copying the prepared graph");
    return NNGPU_OK;
}

static int output_is_view(const ng_graph *g, const ng_node *n) {
    return n->n_out == 1 && g->tensors[n->out[0]].view_of >= 0;
}

/* Decides, for each live node, where it runs. */
static nngpu_status lower(nngpu_session *s) {
    ng_graph *g = s->g;
    s->steps = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof *s->steps);
    if (!s->steps) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "session steps");
    for (int i = 0; i < g->n_nodes; i++) {
        const ng_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < n->n_in; k++) {
            const ng_tensor *t = ng_in(g, n, k);
            if (t && t->is_dynamic && n->op != NG_OP_RUNTIME_TAIL &&
                !(k == 0 && ng_passes_dynamic(n->op)))
                return ng_error(NNGPU_ERR_UNSUPPORTED,
                                "node '%s' (%s): input '%s' has a data-dependent shape (from %s "
                                "'%s'); such tensors can only be graph outputs",
                                n->name, ng_op_name(n->op), t->name,
                                ng_op_name(g->nodes[t->producer].op), g->nodes[t->producer].name);
        }
        ng_step *st = &s->steps[s->n_steps++];
        st->node = i;
        st->time_ms = -1;
        if (output_is_view(g, n)) {
            st->is_view = 1;
            snprintf(st->kernel_name, sizeof st->kernel_name, "view");
            continue;
        }
        if (n->op == NG_OP_RUNTIME_TAIL) {
            if (s->ctx && !s->opts.allow_cpu_fallback)
                return ng_error(NNGPU_ERR_UNSUPPORTED,
                                "node '%s': nodes whose shapes only a run decides run on the host, "
                                "and CPU fallback is off",
                                n->name);
            st->on_cpu = 1;
            snprintf(st->kernel_name, sizeof st->kernel_name, "host:runtime_tail");
            continue;
        }
        int on_device = s->ctx && s->dev->backend->node_supported(s->ctx, g, n);
        if (on_device) continue;
        if (!ng_ref_supported(g, n))
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "node '%s' (%s): no kernel for its dtypes or attributes", n->name,
                            ng_op_name(n->op));
        if (s->ctx && !s->opts.allow_cpu_fallback)
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "node '%s' (%s) cannot run on %s and CPU fallback is off", n->name,
                            ng_op_name(n->op), s->dev->info.selector);
        st->on_cpu = 1;
        snprintf(st->kernel_name, sizeof st->kernel_name, "cpu:%s", ng_op_name(n->op));
        if (s->ctx)
            ng_report_add(&s->report, "cpu_fallback: node '%s' (%s) runs on the CPU", n->name,
                          ng_op_name(n->op));
    }
    return NNGPU_OK;
}

static nngpu_status plan(nngpu_session *s) {
    ng_graph *g = s->g;
    int *order = malloc(sizeof(int) * (size_t)(s->n_steps ? s->n_steps : 1));
    if (!order) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "plan");
    for (int i = 0; i < s->n_steps; i++) order[i] = s->steps[i].node;
    int share = !(ng_disabled_passes(&s->opts) & NNGPU_PASS_PLAN_MEMORY);
    nngpu_status st = ng_plan_memory(g, order, s->n_steps, share, s->opts.guard_bytes, &s->plan,
                                     &s->planned);
    free(order);
    if (st != NNGPU_OK) return st;
    s->arena_size = s->plan.arena_bytes ? s->plan.arena_bytes : NG_PLAN_ALIGN;
    ng_report_add(&s->report, "plan_memory: arena %zu bytes; tensors %zu bytes; lower bound %zu bytes",
                  s->plan.arena_bytes, s->plan.tensor_bytes, s->plan.lower_bound_bytes);
    return NNGPU_OK;
}

static nngpu_status prepare_kernels(nngpu_session *s) {
    ng_graph *g = s->g;
    const ng_backend *be = s->dev->backend;
    ng_binding *bind = calloc((size_t)g->n_tensors, sizeof *bind);
    if (!bind) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "bindings");
    for (int t = 0; t < g->n_tensors; t++)
        if (s->planned[t]) {
            bind[t].buf = s->arena;
            bind[t].offset = g->tensors[t].offset;
        }
    nngpu_status st = NNGPU_OK;
    for (int i = 0; i < s->n_steps && st == NNGPU_OK; i++) {
        ng_step *step = &s->steps[i];
        if (step->is_view || step->on_cpu) continue;
        const ng_node *n = &g->nodes[step->node];
        st = be->node_prepare(s->ctx, g, n, bind, &step->kernel);
        if (st == NNGPU_OK) {
            snprintf(step->kernel_name, sizeof step->kernel_name, "%s",
                     be->kernel_name(step->kernel));
        } else if (st == NNGPU_ERR_UNSUPPORTED && s->opts.allow_cpu_fallback &&
                   ng_ref_supported(g, n)) {
            /* the device claimed the node but cannot build it after all */
            ng_report_add(&s->report, "cpu_fallback: node '%s' (%s) runs on the CPU: %s", n->name,
                          ng_op_name(n->op), nngpu_last_error());
            step->kernel = NULL;
            step->on_cpu = 1;
            snprintf(step->kernel_name, sizeof step->kernel_name, "cpu:%s", ng_op_name(n->op));
            st = NNGPU_OK;
        }
    }
    free(bind);
    if (st == NNGPU_OK && be->prepare_done) st = be->prepare_done(s->ctx);
    return st;
}

static size_t constant_bytes(const ng_graph *g) {
    size_t b = 0;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].data) b += ng_nbytes(&g->tensors[t]);
    return b;
}

nngpu_status ng_session_compile(nngpu_session *s, const nngpu_model *m) {
    s->model_weight_bytes = constant_bytes(m->g);
    snprintf(s->precision, sizeof s->precision, "fp32");
    s->model = ng_model_retain(m);
    s->report.verbose = s->opts.verbose;
    NG_CHECK(passed_graph(s, m));
    if (s->dev) {
        NG_CHECK(s->dev->backend->context_create(s->dev->info.backend_index, &s->opts, &s->ctx));
    }
    NG_CHECK(ng_session_quantize_int8(s, m));
    NG_CHECK(ng_session_apply_fp16(s));
    NG_CHECK(lower(s));
    NG_CHECK(plan(s));
    if (s->dev) {
        nngpu_status st = s->dev->backend->buffer_create(s->ctx, s->arena_size, &s->arena);
        if (st != NNGPU_OK)
            return ng_error_context(st, "allocating the %zu-byte arena on %s", s->arena_size,
                                    s->dev->info.selector);
        NG_CHECK(prepare_kernels(s));
    } else {
        s->host_arena = malloc(s->arena_size);
        if (!s->host_arena)
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "arena of %zu bytes", s->arena_size);
    }
    return NNGPU_OK;
}
