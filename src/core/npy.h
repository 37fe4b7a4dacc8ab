/* .npy files (NumPy format 1.0-3.0, little-endian, C order). */
#ifndef NG_NPY_H
#define NG_NPY_H

#include "nngpu/nngpu.h"

/* Reads path into a tensor whose data is malloc'd (free it). name is left NULL. */
nngpu_status ng_npy_read(const char *path, nngpu_tensor *out);
/* Writes atomically: a temporary file in the same folder, then rename. */
nngpu_status ng_npy_write(const char *path, const nngpu_tensor *t);

#endif
