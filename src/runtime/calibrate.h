/* INT8 calibration: runs the fp32 graph over the calibration inputs on the
 * session's device and turns what the tensors held into ranges (and channel
 * means) for the INT8 rewrite. Results are cached in
 * <ng_cache_dir()>/calib/<key>.txt, key = hash of the model, the bound input
 * shapes, the passes, the calibration files, the method and percentile. */
#ifndef NG_CALIBRATE_H
#define NG_CALIBRATE_H

#include "graph/passes.h"
#include "runtime.h"

#define NG_CALIB_MAX_SAMPLES 32

typedef struct ng_calib_table {
    int n_tensors;          /* of the compiled graph it was made for */
    ng_quant_range *ranges; /* [n_tensors]; means owned */
    int n_samples;
    int cached;             /* 1: read from the cache file */
    char cache_path[1024];  /* "" when there is no cache folder */
} ng_calib_table;

/* Calibrates the tensors ng_quantize_int8_wanted names in g (the session's
 * graph after the fusion passes) for model m on `selector` ("cpu" for the
 * reference). A corrupt or foreign cache file is reported to r and replaced. */
nngpu_status ng_calibrate_int8(const nngpu_model *m, const ng_graph *g, const char *selector,
                               const nngpu_options *o, ng_calib_table *out, ng_report *r);
void ng_calib_table_free(ng_calib_table *t);

/* What INT8 compilation keeps across the accuracy guard's recompiles
 * (nngpu_session.int8): the calibration table, never recomputed, and the
 * layers the guard keeps fp32. */
typedef struct ng_int8_state {
    ng_calib_table table;     /* for the session's graph after the fusion passes */
    unsigned char *keep_fp32; /* [table.n_tensors]: the layer writing tensor t stays fp32 */
} ng_int8_state;
void ng_int8_state_free(ng_int8_state *st); /* and st itself; NULL is fine */

/* options.precision INT8: calibrates (or reads the cache, or takes s->int8's
 * table) and rewrites the session's graph, keeping s->int8's layers fp32;
 * reports the layers, the calibration and its cache in the summary. With the
 * guard on (options.int8_tolerance > 0) the table stays in s->int8. A device
 * without int8 storage runs fp32 (an error when precision_strict). Does
 * nothing for other precisions. */
nngpu_status ng_session_quantize_int8(nngpu_session *s, const nngpu_model *m);

/* The cache file's text format (calib_cache.c). */
nngpu_status ng_calib_cache_write(const char *path, uint64_t key, const ng_graph *g,
                                  const ng_calib_table *t);
/* 0 when path holds no entry for key and g (missing, corrupt, foreign): then
 * *why says what was wrong ("" when the file does not exist). */
int ng_calib_cache_read(const char *path, uint64_t key, const ng_graph *g, ng_calib_table *t,
                        char *why, size_t why_cap);

#endif
