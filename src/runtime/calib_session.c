/* The INT8 step of session compilation: calibration, then the rewrite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "core/status.h"

static const char *method_text(const nngpu_options *o, char *buf, size_t cap) {
    if (o->calibration_method == NNGPU_CALIBRATION_PERCENTILE)
        snprintf(buf, cap, "percentile %g", (double)o->calibration_percentile);
    else snprintf(buf, cap, "%s", o->calibration_method == NNGPU_CALIBRATION_ENTROPY ? "entropy" : "minmax");
    return buf;
}

void ng_int8_state_free(ng_int8_state *st) {
    if (!st) return;
    ng_calib_table_free(&st->table);
    free(st->keep_fp32);
    free(st);
}

/* The table for s->g: s->int8's when the guard compiled before, else calibrated. */
static nngpu_status table_get(nngpu_session *s, const nngpu_model *m, const char *selector,
                              ng_calib_table *t) {
    if (s->int8 && s->int8->table.ranges) {
        if (s->int8->table.n_tensors != s->g->n_tensors)
            return ng_error(NNGPU_ERR_INTERNAL, "int8 guard: the graph changed between compiles");
        *t = s->int8->table;
        return NNGPU_OK;
    }
    NG_CHECK(ng_calibrate_int8(m, s->g, selector, &s->opts, t, &s->report));
    if (s->opts.int8_tolerance <= 0) return NNGPU_OK;
    if (!s->int8 && !(s->int8 = calloc(1, sizeof *s->int8))) {
        ng_calib_table_free(t);
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "int8 guard state");
    }
    s->int8->table = *t;
    return NNGPU_OK;
}

nngpu_status ng_session_quantize_int8(nngpu_session *s, const nngpu_model *m) {
    if (s->opts.precision != NNGPU_PRECISION_INT8) return NNGPU_OK;
    ng_report *r = &s->report;
    const char *selector = s->dev ? s->dev->info.selector : "cpu";
    if (s->dev && s->dev->info.backend == NNGPU_BACKEND_VULKAN && !s->dev->info.has_int8_storage) {
        if (s->opts.precision_strict)
            return ng_error(NNGPU_ERR_UNSUPPORTED,
                            "%s (%s) has no 8-bit storage buffers: it cannot run int8",
                            selector, s->dev->info.name);
        ng_report_add(r, "precision: int8 asked for, but %s has no 8-bit storage: running fp32",
                      selector);
        return NNGPU_OK;
    }
    ng_calib_table t;
    NG_CHECK(table_get(s, m, selector, &t));
    int owned = !s->int8 || s->int8->table.ranges != t.ranges;
    char method[48];
    ng_report_add(r, "calibration: %s: %d samples of %s, method %s%s%s",
                  t.cached ? "cached" : "computed", t.n_samples,
                  s->opts.calibration ? s->opts.calibration : "random normal inputs",
                  method_text(&s->opts, method, sizeof method), t.cache_path[0] ? ", cache " : "",
                  t.cache_path);
    if (!s->opts.calibration)
        ng_report_add(r, "calibration: warning: no calibration data given: ranges come from "
                         "random normal inputs and may not fit real data");
    int n_int8 = 0, n_fp32 = 0;
    nngpu_status st = ng_pass_quantize_int8(s->g, t.ranges, s->opts.bias_correction,
                                            s->int8 ? s->int8->keep_fp32 : NULL, r, &n_int8,
                                            &n_fp32);
    if (owned) ng_calib_table_free(&t);
    NG_CHECK(st);
    if (n_int8 > 0) snprintf(s->precision, sizeof s->precision, "int8");
    int guarded = 0;
    for (int k = 0; s->int8 && s->int8->keep_fp32 && k < s->int8->table.n_tensors; k++)
        guarded += s->int8->keep_fp32[k];
    ng_report_add(r, "precision: %d layers int8, %d stay fp32%s", n_int8, n_fp32,
                  n_int8 ? ""
                  : guarded ? " (the int8 guard keeps them fp32: the session runs fp32)"
                            : " (nothing to quantize: the session runs fp32)");
    return NNGPU_OK;
}
