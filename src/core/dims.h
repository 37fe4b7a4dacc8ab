/* Shapes as text, for messages and build options. */
#ifndef NG_DIMS_H
#define NG_DIMS_H

#include <stddef.h>
#include <stdint.h>

/* d[0..n-1] joined by sep ("2,3,4" with ","; "2x3x4" with "x") into buf,
 * truncated to fit; returns buf. */
const char *ng_dims_format(const int64_t *d, int n, const char *sep, char *buf, size_t cap);

#endif
