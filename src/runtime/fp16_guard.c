/* The FP16 policy of the end-to-end accuracy guard (the shared machinery is
 * precision_guard.c). Per-layer errors under options.fp16_tolerance still add
 * up over deep networks, so the compiled session's outputs are checked
 * against fp32 at 5 x fp16_tolerance. A layer's score comes from the FP16
 * pass's simulation on the CPU reference: the error it makes alone
 * (fp16-rounded inputs, constants and output) over the error accumulated at
 * its output with every layer fp16, the share it adds there. Per-layer
 * errors alone rank poorly: fp16 rounding is about the same everywhere, but
 * an early layer's error is amplified by the layers after it. Scores stay in
 * s->fp16 with the pass's fp16 layers; layers are kept fp32 through
 * s->fp16->keep_fp32, which the pass honours when the session is rebuilt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "precision_guard.h"

#define END_TO_END_FACTOR 5.0

double ng_fp16_end_to_end_tolerance(const nngpu_options *o) {
    double t = o->fp16_tolerance;
    return t > 0 && t < 1 ? END_TO_END_FACTOR * t : 0;
}

void ng_fp16_state_free(ng_fp16_state *st) {
    if (!st) return;
    for (int i = 0; i < st->n_layers; i++) free(st->layers[i].name);
    free(st->layers);
    free(st->error);
    free(st->accumulated);
    free(st->keep_fp32);
    free(st);
}

static int count_fp16_layers(const nngpu_session *s) { return s->fp16->n_layers; }

/* The fp16 layers of the first compile, scored by the FP16 pass. */
static nngpu_status simulated_errors(ng_guard *gd, char *how, size_t cap) {
    const ng_fp16_state *fs = gd->s->fp16;
    if (!(gd->layers = calloc((size_t)fs->n_layers + 1, sizeof *gd->layers)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    for (int i = 0; i < fs->n_layers; i++) {
        gd->layers[i] = fs->layers[i];
        if (!(gd->layers[i].name = strdup(fs->layers[i].name)))
            return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
        gd->n_layers++;
    }
    snprintf(how, cap, "layer errors simulated on %d sample%s, accumulated on 1", fs->n_samples,
             fs->n_samples == 1 ? "" : "s");
    return NNGPU_OK;
}

/* Marks the k best-scored layers fp32 for the next compile. */
static nngpu_status keep_fp32(ng_guard *gd, int k) {
    ng_fp16_state *fs = gd->s->fp16;
    size_t n = (size_t)fs->n_tensors;
    if (!fs->keep_fp32 && !(fs->keep_fp32 = malloc(n ? n : 1)))
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "fp16 guard");
    memset(fs->keep_fp32, 0, n);
    for (int i = 0; i < k; i++)
        if (gd->layers[i].y < (int)n) fs->keep_fp32[gd->layers[i].y] = 1;
    return NNGPU_OK;
}

nngpu_status ng_session_guard_fp16(nngpu_session *s, const nngpu_model *m) {
    nngpu_status st = NNGPU_OK;
    double tol = ng_fp16_end_to_end_tolerance(&s->opts);
    if (s->opts.precision == NNGPU_PRECISION_FP16 && tol > 0 && s->fp16 &&
        strcmp(s->precision, "fp16") == 0) {
        const ng_guard_policy p = {.name = "fp16", .tolerance = tol,
                                   .count = count_fp16_layers, .rank = simulated_errors,
                                   .keep = keep_fp32};
        st = ng_guard_run(s, m, &p);
    }
    ng_fp16_state_free(s->fp16);
    s->fp16 = NULL;
    return st;
}
