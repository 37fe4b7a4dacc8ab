/* Program building: the embedded sources, the shared device's registry of
 * built programs keyed by (file, options), kernel creation. storage.cl,
 * epilogue.cl and rows.cl precede every program; fp16 layers add -DNG_F16=1 to the
 * options, so the variant is part of both cache keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_binary_cache.h"
#include "cl_internal.h"
#include "core/status.h"

struct ng_embedded_file {
    const char *name;
    const char *source;
};
extern const struct ng_embedded_file ng_opencl_sources[];

struct ng_cl_program_entry {
    char *file, *options;
    cl_program program;
    ng_cl_program_entry *next;
};

/* Always on; no fast-relaxed-math (results must stay within 1e-4 of the reference).
 * -w: POCL prints its compiler's warnings on stderr (e.g. clang's notes on the
 * AVX ABI of float16 helpers), which a library must not; errors still reach the
 * error message through the build log. */
#define NG_CL_BASE_OPTIONS "-cl-std=CL1.2 -cl-mad-enable -w"

const char *ng_cl_source(const char *file_name) {
    for (const struct ng_embedded_file *f = ng_opencl_sources; f->name; f++)
        if (strcmp(f->name, file_name) == 0) return f->source;
    return NULL;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static nngpu_status build(ng_context *c, const char *file, const char *options,
                          cl_program *out) {
    const char *src = ng_cl_source(file);
    if (!src) return ng_error(NNGPU_ERR_INTERNAL, "opencl: no embedded kernel file '%s'", file);
    /* The storage macros, epilogue and row helpers precede every other program. */
    const char *srcs[4];
    cl_uint n_src = 0;
    static const char *const helpers[] = {"storage.cl", "epilogue.cl", "rows.cl"};
    for (size_t i = 0; i < sizeof helpers / sizeof *helpers; i++)
        if (strcmp(file, helpers[i]) != 0) srcs[n_src++] = ng_cl_source(helpers[i]);
    srcs[n_src++] = src;
    const char *fma = c->fast_fma ? " -DNG_FMA=1" : "";
    size_t olen = strlen(NG_CL_BASE_OPTIONS) + strlen(fma) + strlen(options) + 2;
    char *opts = malloc(olen);
    if (!opts) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "opencl: out of host memory building %s", file);
    snprintf(opts, olen, "%s%s %s", NG_CL_BASE_OPTIONS, fma, options);
    /* The on-disk binary cache first (cl_binary_cache.h). */
    uint64_t key = ng_cl_binary_key(c, srcs, n_src, opts);
    cl_program prog = ng_cl_binary_load(c, key, opts);
    if (prog) {
        free(opts);
        *out = prog;
        return NNGPU_OK;
    }
    cl_int err;
    prog = clCreateProgramWithSource(c->ctx, n_src, srcs, NULL, &err);
    if (err != CL_SUCCESS) {
        free(opts);
        return ng_cl_check(err, "clCreateProgramWithSource", file);
    }
    err = clBuildProgram(prog, 1, &c->device, opts, NULL, NULL);
    if (err != CL_SUCCESS) {
        char log[4096] = "";
        size_t len = 0;
        clGetProgramBuildInfo(prog, c->device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, &len);
        log[sizeof log - 1] = '\0';
        nngpu_status s = ng_error(NNGPU_ERR_DEVICE, "opencl: building %s with '%s' failed (%s):\n%s",
                                  file, opts, ng_cl_error_name(err), log);
        free(opts);
        clReleaseProgram(prog);
        return s;
    }
    ng_cl_binary_store(c, key, prog);
    free(opts);
    *out = prog;
    return NNGPU_OK;
}

static ng_cl_program_entry *entry_find(ng_cl_shared *sh, const char *file, const char *options) {
    for (ng_cl_program_entry *e = sh->programs; e; e = e->next)
        if (strcmp(e->file, file) == 0 && strcmp(e->options, options) == 0) return e;
    return NULL;
}

static void entry_free(ng_cl_program_entry *e) {
    if (e->program) clReleaseProgram(e->program);
    free(e->file);
    free(e->options);
    free(e);
}

/* The shared device's program for (file, options), built on first use. The
 * first asker registers an entry without a program and builds outside the
 * lock; askers meanwhile wait for it (looking the key up again when woken:
 * a failed build leaves the registry, and each waiter then builds itself and
 * reports its own error). */
static nngpu_status program_get(ng_context *c, const char *file, const char *options,
                                cl_program *out) {
    ng_cl_shared *sh = c->shared;
    pthread_mutex_lock(&sh->mu);
    ng_cl_program_entry *e;
    while ((e = entry_find(sh, file, options)) && !e->program) pthread_cond_wait(&sh->built, &sh->mu);
    if (e) {
        *out = e->program;
        pthread_mutex_unlock(&sh->mu);
        ng_cl_shared_count(0);
        return NNGPU_OK;
    }
    e = calloc(1, sizeof *e);
    if (e) {
        e->file = dup_str(file);
        e->options = dup_str(options);
    }
    if (!e || !e->file || !e->options) {
        pthread_mutex_unlock(&sh->mu);
        if (e) entry_free(e);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "opencl: out of host memory");
    }
    e->next = sh->programs;
    sh->programs = e;
    pthread_mutex_unlock(&sh->mu);

    cl_program prog = NULL;
    nngpu_status s = build(c, file, options, &prog);
    pthread_mutex_lock(&sh->mu);
    if (s == NNGPU_OK) {
        e->program = prog;
    } else { /* unlisted: a waiter finds no entry and builds */
        ng_cl_program_entry **pp = &sh->programs;
        while (*pp != e) pp = &(*pp)->next;
        *pp = e->next;
        entry_free(e);
    }
    pthread_cond_broadcast(&sh->built);
    pthread_mutex_unlock(&sh->mu);
    if (s != NNGPU_OK) return s;
    ng_cl_shared_count(1);
    *out = prog;
    return NNGPU_OK;
}

nngpu_status ng_cl_kernel_create(ng_context *c, const char *file, const char *kernel_name,
                                 const char *options, cl_kernel *out) {
    cl_program prog = NULL;
    char half_opts[2048];
    if (c->half) { /* the half-storage variant (storage.cl) */
        if (snprintf(half_opts, sizeof half_opts, "%s -DNG_F16=1", options ? options : "") >=
            (int)sizeof half_opts)
            return ng_error(NNGPU_ERR_INTERNAL, "opencl: build options of %s too long", file);
        options = half_opts;
    }
    NG_CHECK(program_get(c, file, options ? options : "", &prog));
    cl_int err;
    cl_kernel k = clCreateKernel(prog, kernel_name, &err);
    if (err != CL_SUCCESS) {
        char what[160];
        snprintf(what, sizeof what, "clCreateKernel(%s in %s)", kernel_name, file);
        return ng_cl_check(err, what, NULL);
    }
    *out = k;
    return NNGPU_OK;
}

void ng_cl_programs_release(ng_cl_shared *sh) {
    ng_cl_program_entry *e = sh->programs;
    while (e) {
        ng_cl_program_entry *next = e->next;
        entry_free(e);
        e = next;
    }
    sh->programs = NULL;
}

void ng_cl_params_options(const ng_params *p, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->n && len < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s-D%s=%d", len ? " " : "", p->name[i],
                         p->value[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
}
