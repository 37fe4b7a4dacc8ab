/* The end-to-end accuracy guard shared by reduced precisions (INT8, FP16).
 *
 * Once a session is compiled, its float outputs on up to NG_GUARD_SAMPLES
 * calibration samples (held out from calibration when there are enough;
 * with the policy's perturbed copies, see stretch) are compared with those
 * of an fp32 session on the same device (relative L2 error over the samples,
 * the worst output). Over the
 * policy's tolerance, the policy ranks its reduced-precision layers by how
 * much each hurts alone, and the session is rebuilt with the k worst fp32, k
 * predicted from the scores and the error measured and at least doubled each
 * round, until the error holds or no layer is left: at most log2(layers) + 2
 * compiles. The summary gives the error measured and each layer kept fp32. */
#ifndef NG_PRECISION_GUARD_H
#define NG_PRECISION_GUARD_H

#include "calib_data.h"
#include "runtime.h"

#define NG_GUARD_SAMPLES 4
#define NG_GUARD_NOISE 0.1

typedef struct ng_guard ng_guard;

/* What differs between precisions. */
typedef struct ng_guard_policy {
    const char *name;      /* "int8", "fp16": the message prefix and the layers' precision */
    double tolerance;      /* on the relative L2 error vs fp32 */
    /* Samples calibration saw: the guard measures on those after them when
     * there are more (held out), else on the first ones. */
    int calibrated;
    /* > 0: each sample also runs as a perturbed copy, its float inputs
     * scaled by `stretch` plus Gaussian noise (NG_GUARD_NOISE x their RMS),
     * and the error is the worse of the two sets. */
    double stretch;
    /* The session's layers at reduced precision now. */
    int (*count)(const nngpu_session *s);
    /* Fills gd->layers / n_layers (any order) with each layer's score and
     * detail; `how` gets what the scores are ("sensitivities simulated on 2
     * samples"). */
    nngpu_status (*rank)(ng_guard *gd, char *how, size_t cap);
    /* Marks the first k of gd->layers fp32 in the session-side state that the
     * next compile honours. */
    nngpu_status (*keep)(ng_guard *gd, int k);
} ng_guard_policy;

struct ng_guard {
    const ng_guard_policy *policy;
    nngpu_session *s;
    nngpu_session *ref;   /* fp32, memory sharing off: every tensor readable after a run */
    ng_calib_inputs in;   /* with perturbed copies: sample 2i, then its copy 2i + 1 */
    int held_out;         /* 1: in holds samples calibration did not see */
    int copies;           /* 1: in holds perturbed copies */
    nngpu_tensor *feed;   /* [graph inputs] */
    int n_out;            /* float32 graph outputs compared */
    int *out_k;           /* [n_out]: their index among the graph outputs */
    float **want;         /* [sample * n_out]: fp32 outputs */
    ng_guard_layer *layers;
    int n_layers;
    ng_report lines;      /* what the guard says, added to the final summary */
};

/* Checks s (compiled from m) under policy p and rebuilds it as needed;
 * its lines go to s->report. */
nngpu_status ng_guard_run(nngpu_session *s, const nngpu_model *m, const ng_guard_policy *p);

/* For policies: calibration sample smp through session x (gd->s or gd->ref). */
nngpu_status ng_guard_run_sample(ng_guard *gd, nngpu_session *x, int smp);
/* Float tensor `name` of the fp32 session after a run, into dst. */
nngpu_status ng_guard_read_ref(ng_guard *gd, const char *name, float *dst);

/* A relative L2 error accumulated over samples; non-finite got values make it infinite. */
typedef struct ng_err_sum {
    double num, den;
    int nonfinite;
} ng_err_sum;
void ng_err_add(ng_err_sum *e, const float *got, const float *want, int64_t n);
double ng_err_value(const ng_err_sum *e);

#endif
