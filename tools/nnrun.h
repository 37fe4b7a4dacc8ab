/* nnrun internals: options and result printing. */
#ifndef NNRUN_H
#define NNRUN_H

#include "nngpu/nngpu.h"

#define NNRUN_MAX_INPUTS 1024 /* an LLM with its KV cache: 2 per layer */

typedef struct nnrun_args {
    const char *model;        /* NULL: the bundled default model */
    const char *device;
    const char *output_dir;
    const char *tuning_db;
    int n_inputs;
    const char *input_name[NNRUN_MAX_INPUTS];
    const char *input_file[NNRUN_MAX_INPUTS];
    int runs, warmup;
    int json, verbose, list_devices, no_fusion, no_cpu_fallback, tail_on_host;
    nngpu_precision precision;
    int require_precision;    /* options.precision_strict */
    const char *calibration;  /* .npy file or folder */
    nngpu_calibration_method calibration_method;
    float percentile;         /* 0: the default */
    int no_bias_correction;
    int weight_bits, weight_group;
    float fp16_tolerance;     /* applied when fp16_tolerance_set */
    int fp16_tolerance_set;
    float int8_tolerance;     /* with int8_tolerance_set; 0 turns the guard off */
    int int8_tolerance_set;
} nnrun_args;

typedef struct nnrun_timing {
    double median_ms, min_ms, mean_ms;
    int runs;
    double *layer_ms; /* per layer: median device time over profile_runs, -1: none */
    int profile_runs;
} nnrun_timing;

void nnrun_print_devices(int json);
void nnrun_print_text(const nnrun_args *a, const nngpu_session *s, const nnrun_timing *t);
void nnrun_print_json(const nnrun_args *a, const nngpu_session *s, const nnrun_timing *t,
                      double accuracy, int n_correct, int n_samples);

#endif
