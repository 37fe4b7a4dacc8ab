/* Representative inputs for calibration (INT8 ranges, the FP16 guard):
 * options.calibration, an .npy file or a folder of .npy files, matched to
 * the graph's inputs and cut into samples of the session's input shapes.
 * A single-input model takes every file (each an array of the input's shape,
 * or a stack of them along dim 0 whose rows are split into batches); a
 * multi-input model takes the file named after each input (<name>.npy).
 * float64 files are converted to the input's dtype. */
#ifndef NG_CALIB_DATA_H
#define NG_CALIB_DATA_H

#include "graph/ir.h"

typedef struct ng_calib_inputs {
    int n_samples;
    int n_inputs;   /* the graph's runtime inputs, in g->inputs order */
    void ***data;   /* data[sample][input]: the input's dtype and (bound) shape */
} ng_calib_inputs;

/* Loads at most max_samples samples from path for graph g (input shapes
 * bound). path NULL: max_samples deterministic standard-normal samples.
 * Errors name the file and the input. */
nngpu_status ng_calib_inputs_load(const char *path, const ng_graph *g, int max_samples,
                                  ng_calib_inputs *out);
/* The same from sample `first` on when path holds more than `first` samples
 * (held-out samples), else from sample 0; *held_out says which. */
nngpu_status ng_calib_inputs_load_after(const char *path, const ng_graph *g, int first,
                                        int max_samples, ng_calib_inputs *out, int *held_out);
void ng_calib_inputs_free(ng_calib_inputs *c);

/* Deterministic standard-normal values (xorshift + Box-Muller); *state nonzero. */
double ng_calib_normal(uint64_t *state);

/* The .npy files of folder dir, sorted by name (*names and each name
 * malloc'd); an error when there is none. */
nngpu_status ng_calib_list_npy(const char *dir, char ***names, int *n);

#endif
