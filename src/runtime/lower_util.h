/* Shape helpers shared by the backends' lowering of the eltwise, softmax,
 * reduce and data families. */
#ifndef NG_LOWER_UTIL_H
#define NG_LOWER_UTIL_H

#include <stdint.h>

#include "graph/ir.h"

/* 1 when tensor t exists, is float32, has a known shape of rank <= 8 and
 * fewer than 2^31 elements (kernels index with 32-bit ints). */
int ng_lower_f32_ok(const ng_tensor *t);

/* Row-major element strides of dims. */
void ng_lower_strides(int rank, const int64_t *dims, int64_t *strides);

/* Collapses a strided iteration space in place: drops size-1 dims and merges
 * neighbours contiguous in both stride sets (ys may be NULL). Returns the new
 * rank (>= 1). */
int ng_lower_collapse(int rank, int64_t *dims, int64_t *xs, int64_t *ys);

/* The row kernels' parameters (reduce, softmax): looks up family's WG and
 * ROWS_MIN_LEN (defaults 64) for the problem (outer, len, inner) in the
 * tuning DB (ng_params_lookup); *wg becomes a power of two within the
 * device's work-group limit, *source the parameters' source. Returns 1 when
 * rows of len elements are long enough for a work-group each. */
int ng_lower_rows_params(const nngpu_device_info *dev, const char *db_path, const char *family,
                         int64_t outer, int64_t len, int64_t inner, int *wg,
                         const char **source);

#endif
