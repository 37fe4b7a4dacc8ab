/* INT8 calibration runs and their cache (see calibrate.h). */
#include "calibrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calib_data.h"
#include "calib_stats.h"
#include "core/cachedir.h"
#include "core/hash.h"
#include "core/status.h"

static const char *method_name(nngpu_calibration_method m) {
    return m == NNGPU_CALIBRATION_PERCENTILE ? "percentile"
           : m == NNGPU_CALIBRATION_ENTROPY  ? "entropy"
                                             : "minmax";
}

static uint64_t hash_file(uint64_t h, const char *path) {
    FILE *f = fopen(path, "rb");
    h = ng_hash_str(h, path ? strrchr(path, '/') ? strrchr(path, '/') + 1 : path : "");
    if (!f) return ng_hash_str(h, "unreadable");
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) h = ng_hash_bytes(h, buf, n);
    fclose(f);
    return h;
}

/* The calibration files' bytes: one file, or a folder's .npy files by name. */
static uint64_t hash_calibration(uint64_t h, const char *path) {
    struct stat sb;
    if (!path) return ng_hash_str(h, "random-normal");
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return hash_file(h, path);
    char **names;
    int n;
    if (ng_calib_list_npy(path, &names, &n) != NNGPU_OK) return ng_hash_str(h, "unreadable");
    for (int i = 0; i < n; i++) {
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", path, names[i]);
        h = hash_file(h, file);
        free(names[i]);
    }
    free(names);
    return h;
}

/* The model (tensors, constants, nodes, attributes) and everything that decides the ranges. */
static uint64_t cache_key(const nngpu_model *m, const ng_graph *g, const nngpu_options *o) {
    const ng_graph *mg = m->g;
    uint64_t h = ng_hash_str(NG_HASH_INIT, "nngpu-calibration-2"); /* 2: means of finite values */
    for (int t = 0; t < mg->n_tensors; t++) {
        const ng_tensor *x = &mg->tensors[t];
        h = ng_hash_str(h, x->name);
        h = ng_hash_bytes(h, &x->dtype, sizeof x->dtype);
        h = ng_hash_bytes(h, &x->rank, sizeof x->rank);
        if (x->rank > 0) h = ng_hash_bytes(h, x->dims, sizeof(int64_t) * (size_t)x->rank);
        if (x->data) h = ng_hash_bytes(h, x->data, ng_nbytes(x));
    }
    for (int i = 0; i < mg->n_nodes; i++) {
        const ng_node *n = &mg->nodes[i];
        h = ng_hash_str(h, ng_op_name(n->op));
        h = ng_hash_bytes(h, n->in, sizeof(int) * (size_t)n->n_in);
        h = ng_hash_bytes(h, n->out, sizeof(int) * (size_t)n->n_out);
        for (int a = 0; a < n->n_attr; a++) {
            const ng_attr *at = &n->attrs[a];
            h = ng_hash_str(h, at->name);
            h = ng_hash_bytes(h, &at->i, sizeof at->i);
            h = ng_hash_bytes(h, &at->f, sizeof at->f);
            if (at->ints) h = ng_hash_bytes(h, at->ints, sizeof(int64_t) * (size_t)at->n);
            if (at->floats) h = ng_hash_bytes(h, at->floats, sizeof(float) * (size_t)at->n);
            h = ng_hash_str(h, at->s);
        }
    }
    for (int k = 0; k < g->n_inputs; k++) { /* bound shapes */
        const ng_tensor *x = &g->tensors[g->inputs[k]];
        if (x->rank > 0) h = ng_hash_bytes(h, x->dims, sizeof(int64_t) * (size_t)x->rank);
    }
    unsigned passes = ng_disabled_passes(o) & ~(unsigned)NNGPU_PASS_PLAN_MEMORY;
    h = ng_hash_bytes(h, &passes, sizeof passes);
    /* the tensors observed: a quantizer that learns new layers misses the old entry */
    unsigned char *need = malloc((size_t)(g->n_tensors ? g->n_tensors : 1));
    int *axis = malloc(sizeof(int) * (size_t)(g->n_tensors ? g->n_tensors : 1));
    if (need && axis) {
        ng_quantize_int8_wanted(g, need, axis);
        for (int t = 0; t < g->n_tensors; t++)
            if (need[t]) h = ng_hash_str(h, g->tensors[t].name);
    } else {
        h = ng_hash_str(h, "no-memory"); /* a key no entry has: calibrate again */
    }
    free(need);
    free(axis);
    h = ng_hash_bytes(h, &o->fusion, sizeof o->fusion);
    h = hash_calibration(h, o->calibration);
    h = ng_hash_str(h, method_name(o->calibration_method));
    if (o->calibration_method == NNGPU_CALIBRATION_PERCENTILE)
        h = ng_hash_bytes(h, &o->calibration_percentile, sizeof o->calibration_percentile);
    return h;
}

void ng_calib_table_free(ng_calib_table *t) {
    if (t->ranges)
        for (int i = 0; i < t->n_tensors; i++) free((void *)t->ranges[i].mean);
    free(t->ranges);
    memset(t, 0, sizeof *t);
}

static void table_clear(ng_calib_table *t) {
    for (int i = 0; i < t->n_tensors; i++) {
        free((void *)t->ranges[i].mean);
        memset(&t->ranges[i], 0, sizeof t->ranges[i]);
    }
    t->n_samples = 0;
}

typedef struct observed {
    int t;        /* tensor in g */
    int inner_t;  /* the same tensor in the calibration session's graph */
    ng_calib_observer obs;
} observed;

/* Runs every sample through session cs and feeds the observers. */
static nngpu_status observe_runs(nngpu_session *cs, const ng_calib_inputs *in, observed *ob,
                                 int n_ob) {
    const ng_graph *cg = cs->g;
    nngpu_tensor *inputs = calloc((size_t)(cg->n_inputs ? cg->n_inputs : 1), sizeof *inputs);
    size_t cap = 0;
    for (int i = 0; i < n_ob; i++)
        if (ng_nbytes(&cg->tensors[ob[i].inner_t]) > cap) cap = ng_nbytes(&cg->tensors[ob[i].inner_t]);
    float *buf = malloc(cap ? cap : 1);
    nngpu_status st = inputs && buf ? NNGPU_OK
                                    : ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration buffers");
    for (int s = 0; s < in->n_samples && st == NNGPU_OK; s++) {
        for (int k = 0; k < cg->n_inputs; k++) {
            const ng_tensor *x = &cg->tensors[cg->inputs[k]];
            inputs[k].name = x->name;
            inputs[k].dtype = x->dtype;
            inputs[k].rank = x->rank;
            memcpy(inputs[k].dims, x->dims, sizeof inputs[k].dims);
            inputs[k].data = in->data[s][k];
            inputs[k].size_bytes = ng_nbytes(x);
        }
        st = nngpu_session_run(cs, cg->n_inputs, inputs, 0, NULL);
        for (int i = 0; i < n_ob && st == NNGPU_OK; i++) {
            const ng_tensor *x = &cg->tensors[ob[i].inner_t];
            st = ng_session_read(cs, x->offset, ng_nbytes(x), buf);
            if (st == NNGPU_OK) ng_calib_observe(&ob[i].obs, buf, ng_numel(x), x->rank, x->dims);
        }
    }
    if (st != NNGPU_OK) st = ng_error_context(st, "calibration run");
    free(inputs);
    free(buf);
    return st;
}

/* The float tensors of g to observe, matched by name in the calibration session. */
static nngpu_status pick_observed(const ng_graph *g, const nngpu_session *cs, observed **out,
                                  int *n_out) {
    unsigned char *need = malloc((size_t)(g->n_tensors ? g->n_tensors : 1));
    int *axis = malloc(sizeof(int) * (size_t)(g->n_tensors ? g->n_tensors : 1));
    observed *ob = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof *ob);
    if (!need || !axis || !ob) {
        free(need), free(axis), free(ob);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration observers");
    }
    ng_quantize_int8_wanted(g, need, axis);
    int n = 0;
    nngpu_status st = NNGPU_OK;
    for (int t = 0; t < g->n_tensors && st == NNGPU_OK; t++) {
        if (!need[t]) continue;
        int it = ng_tensor_find(cs->g, g->tensors[t].name);
        if (it < 0 || !cs->planned[it] || cs->g->tensors[it].data ||
            cs->g->tensors[it].dtype != NNGPU_DTYPE_FLOAT32)
            continue; /* no range: the layers reading it stay fp32 */
        const ng_tensor *x = &cs->g->tensors[it];
        int a = axis[t] >= 0 && axis[t] < x->rank ? axis[t] : -1;
        ob[n].t = t;
        ob[n].inner_t = it;
        st = ng_calib_observer_init(&ob[n].obs, a, a >= 0 ? (int)x->dims[a] : 0);
        if (st == NNGPU_OK) n++;
    }
    free(need);
    free(axis);
    *out = ob;
    *n_out = n;
    return st;
}

static nngpu_status compute(const nngpu_model *m, const ng_graph *g, const char *selector,
                            const nngpu_options *o, ng_calib_table *t) {
    nngpu_options co = *o;
    co.precision = NNGPU_PRECISION_FP32;
    co.disabled_passes |= NNGPU_PASS_PLAN_MEMORY;
    co.profiling = 0;
    co.guard_bytes = 0;
    co.verbose = 0;
    ng_calib_inputs in;
    NG_CHECK(ng_calib_inputs_load(o->calibration, g, NG_CALIB_MAX_SAMPLES, &in));
    nngpu_session *cs = NULL;
    nngpu_status st = nngpu_session_create(m, selector, &co, &cs);
    if (st != NNGPU_OK) st = ng_error_context(st, "calibration session");
    observed *ob = NULL;
    int n_ob = 0;
    if (st == NNGPU_OK) st = pick_observed(g, cs, &ob, &n_ob);
    if (st == NNGPU_OK) st = observe_runs(cs, &in, ob, n_ob);
    for (int i = 0; i < n_ob; i++) {
        ng_calib_observer *x = &ob[i].obs;
        ng_quant_range *r = &t->ranges[ob[i].t];
        if (st == NNGPU_OK && x->count > 0) {
            ng_calib_range(x, o->calibration_method, o->calibration_percentile, &r->lo, &r->hi);
            r->known = 1;
            int64_t seen = 0; /* channel values seen: none when the axis never matched */
            for (int c = 0; c < x->n_ch; c++) seen += x->ch_n[c];
            double *mean = seen ? malloc(sizeof(double) * (size_t)x->n_ch) : NULL;
            for (int c = 0; mean && c < x->n_ch; c++) mean[c] = ng_calib_channel_mean(x, c);
            r->mean = mean;
            r->n_ch = mean ? x->n_ch : 0;
        }
        ng_calib_observer_free(x);
    }
    free(ob);
    nngpu_session_destroy(cs);
    t->n_samples = in.n_samples;
    ng_calib_inputs_free(&in);
    return st;
}

nngpu_status ng_calibrate_int8(const nngpu_model *m, const ng_graph *g, const char *selector,
                               const nngpu_options *o, ng_calib_table *out, ng_report *r) {
    memset(out, 0, sizeof *out);
    out->n_tensors = g->n_tensors;
    out->ranges = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof *out->ranges);
    if (!out->ranges) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "calibration ranges");
    uint64_t key = cache_key(m, g, o);
    char dir[900];
    if (ng_cache_dir(dir, sizeof dir - 16)) {
        strcat(dir, "/calib");
        snprintf(out->cache_path, sizeof out->cache_path, "%s/%016llx.txt", dir,
                 (unsigned long long)key);
    }
    char why[300];
    if (out->cache_path[0]) {
        if (ng_calib_cache_read(out->cache_path, key, g, out, why, sizeof why)) {
            out->cached = 1;
            return NNGPU_OK;
        }
        table_clear(out);
        if (why[0])
            ng_report_add(r, "calibration: warning: ignoring the cache file '%s' (%s); recomputing",
                          out->cache_path, why);
    }
    nngpu_status st = compute(m, g, selector, o, out);
    if (st != NNGPU_OK) {
        ng_calib_table_free(out);
        return st;
    }
    if (out->cache_path[0]) {
        if (ng_mkdirs(dir) != 0 || ng_calib_cache_write(out->cache_path, key, g, out) != NNGPU_OK)
            ng_report_add(r, "calibration: warning: could not write the cache file '%s'",
                          out->cache_path);
    }
    return NNGPU_OK;
}
