/* The kernel autotuner: finds, for one kernel (family + problem signature)
 * of a session, the fastest parameters that give correct results, and
 * stores them in the tuning DB. Candidates run through the public session
 * API (nngpu_options.params_override) on a one-node model that reproduces
 * the fused layer; each is verified against the CPU reference. */
#ifndef NG_TUNER_H
#define NG_TUNER_H

#include <signal.h>

#include "autotune/db.h"
#include "autotune/space.h"
#include "nngpu/nngpu.h"

/* One distinct kernel to tune. */
typedef struct ng_tune_job {
    char family[32];
    char signature[192];
    char layer[64];        /* the first layer it was found in */
    char kernel[96];       /* what the layer runs as, "gemm_tiled+relu" */
    nngpu_model *model;    /* one node: the fused layer, non-constant inputs as graph inputs */
    int uses;              /* layers (over all models) with this kernel */
    ng_params defaults;    /* the backend's built-in parameters for it */
} ng_tune_job;

typedef struct ng_tune_jobs {
    int n, cap;
    ng_tune_job *job;
} ng_tune_jobs;

/* Adds the distinct tunable kernels of model m on device to jobs (kernels
 * already there only count a use). */
nngpu_status ng_tune_collect(const nngpu_model *m, const char *device, ng_tune_jobs *jobs);
/* The same for a session with options o (NULL: defaults): precision INT8,
 * FP16 or weight_bits give the quantized and half kernels. Each job's model
 * holds the compiled layer (QLinearConv, MatMulQuantW, float16 tensors...):
 * it runs as such without these options. */
nngpu_status ng_tune_collect_with(const nngpu_model *m, const char *device,
                                  const nngpu_options *o, ng_tune_jobs *jobs);
void ng_tune_jobs_free(ng_tune_jobs *jobs);
/* A model holding node `node` of compiled graph g alone (constants copied,
 * epilogue kept). */
nngpu_status ng_tune_extract(const void *graph, int node, nngpu_model **out);

typedef enum ng_tune_strategy {
    NG_TUNE_AUTO = 0,    /* exhaustive when the space is small, else search */
    NG_TUNE_EXHAUSTIVE,
    NG_TUNE_SEARCH       /* random start + hill climbing over neighbouring values */
} ng_tune_strategy;

typedef struct ng_tune_opts {
    const char *device;    /* "opencl:0" */
    ng_db *db;             /* NULL: nothing stored */
    ng_tune_strategy strategy;
    double budget_s;       /* wall seconds for this kernel; <= 0: none */
    int max_evals;         /* candidates measured at most; 0: strategy's own limit */
    int auto_exhaustive_max; /* AUTO: exhaustive up to this many candidates (default 24) */
    int warmup, runs;      /* per candidate (defaults 1, 5); more runs while they sum to
                              under 20 ms of device time (tuner.c) */
    unsigned seed;
    volatile sig_atomic_t *stop; /* set (Ctrl-C): no new candidate starts */
    int verbose;           /* 1: one line per candidate on stderr */
    /* Test hook: called on the outputs (n elements of dtype) of every
     * candidate before the check. */
    void (*corrupt)(const ng_params *cand, void *out, size_t n, nngpu_dtype dtype, void *user);
    void *corrupt_user;
} ng_tune_opts;

void ng_tune_opts_init(ng_tune_opts *o);

typedef struct ng_tune_result {
    ng_params best;        /* the chosen parameters (the default when nothing beat it) */
    ng_params defaults;
    double best_ms, default_ms;
    int space_size;        /* valid candidates */
    int tried;             /* candidates measured (re-measurements not counted) */
    int rejected;          /* failed to build or run, or gave wrong results */
    double seconds;        /* wall time spent */
    int stored;            /* 1: written to the DB */
    int complete;          /* 0: stopped by the budget or Ctrl-C before the strategy ended */
    char space_note[64];
} ng_tune_result;

/* Tunes one job. Errors: the job cannot run at all (even its default). */
nngpu_status ng_tune_run(const ng_tune_job *job, const ng_tune_opts *o, ng_tune_result *r);

/* The DB key of a job on a device (strings point into dev and job). */
void ng_tune_key(const nngpu_device_info *dev, const ng_tune_job *job, int space_version,
                 ng_db_key *key);

#endif
