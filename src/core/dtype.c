#include "nngpu/nngpu.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[NNGPU_DTYPE_COUNT] = {
    [NNGPU_DTYPE_UNDEFINED] = {"undefined", 0}, [NNGPU_DTYPE_FLOAT32] = {"float32", 4},
    [NNGPU_DTYPE_FLOAT16] = {"float16", 2},     [NNGPU_DTYPE_INT8] = {"int8", 1},
    [NNGPU_DTYPE_UINT8] = {"uint8", 1},         [NNGPU_DTYPE_INT32] = {"int32", 4},
    [NNGPU_DTYPE_INT64] = {"int64", 8},         [NNGPU_DTYPE_BOOL] = {"bool", 1},
    [NNGPU_DTYPE_FLOAT64] = {"float64", 8},
    /* 4-bit types are packed: their size here is the byte that holds two */
    [NNGPU_DTYPE_INT4] = {"int4", 1},           [NNGPU_DTYPE_UINT4] = {"uint4", 1},
};

const char *nngpu_dtype_name(nngpu_dtype t) {
    return (unsigned)t < NNGPU_DTYPE_COUNT ? dtypes[t].name : "invalid";
}

size_t nngpu_dtype_size(nngpu_dtype t) {
    return (unsigned)t < NNGPU_DTYPE_COUNT ? dtypes[t].size : 0;
}
