/* The FP16 pass's simulation on the CPU reference (fp16_sim.c): what fp16
 * storage does to each layer, and to the values an fp16 session holds.
 * fp16 storage with fp32 arithmetic makes it exact for our kernels; where the
 * backend computes in half (Vulkan's _h16 shaders) each epilogue step is
 * rounded too, which leaves out only the kernels' fp16 partial sums of a few
 * products (well under the tolerances; fp16_guard.c measures end to end). */
#ifndef NG_FP16_SIM_H
#define NG_FP16_SIM_H

#include "runtime.h"

/* err[i] for each node with fp16[i]: the relative L2 error of its outputs
 * when it alone runs on fp16-rounded float inputs and constants, its outputs
 * rounded, against fp32; over the calibration samples (options.calibration),
 * as many as fit a budget of ~1e9 multiply-adds, at least one. Infinite when
 * a value is not finite. */
nngpu_status ng_fp16_layer_errors(nngpu_session *s, const unsigned char *fp16, double *err,
                                  int *n_samples);

/* acc[i] for each node with fp16[i]: the relative L2 error at its outputs on
 * the first calibration sample when every such node runs so: the error an
 * fp16 session has accumulated there. */
nngpu_status ng_fp16_accumulated_errors(nngpu_session *s, const unsigned char *fp16, double *acc);

#endif
