/* TensorProto -> dtype, shape and bytes: raw_data, the typed repeated fields
 * or external data, each checked against the shape. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "onnx_internal.h"

nngpu_dtype ng_onnx_dtype(int32_t t) {
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return NNGPU_DTYPE_FLOAT32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return NNGPU_DTYPE_FLOAT16;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return NNGPU_DTYPE_FLOAT64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return NNGPU_DTYPE_INT8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return NNGPU_DTYPE_UINT8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return NNGPU_DTYPE_INT32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return NNGPU_DTYPE_INT64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return NNGPU_DTYPE_BOOL;
    case 21: return NNGPU_DTYPE_UINT4; /* ONNX__TENSOR_PROTO__DATA_TYPE__UINT4 (newer onnx.proto) */
    case 22: return NNGPU_DTYPE_INT4;
    default: return NNGPU_DTYPE_UNDEFINED;
    }
}

const char *ng_onnx_dtype_name(int32_t t) {
    static const char *names[] = {"UNDEFINED", "FLOAT",  "UINT8",     "INT8",       "UINT16",
                                  "INT16",     "INT32",  "INT64",     "STRING",     "BOOL",
                                  "FLOAT16",   "DOUBLE", "UINT32",    "UINT64",     "COMPLEX64",
                                  "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
                                  "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"};
    return t >= 0 && t < (int32_t)(sizeof names / sizeof *names) ? names[t] : "unknown";
}

void ng_onnx_tensor_free(ng_onnx_tensor *t) {
    free(t->owned);
    t->owned = NULL;
    t->data = NULL;
}

/* A non-negative decimal integer from an external_data value. */
static int parse_u64(const char *s, uint64_t *v) {
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *v = x;
    return 0;
}

static nngpu_status decode_external(const Onnx__TensorProto *tp, const char *base_dir,
                                    const char *what, ng_onnx_tensor *out) {
    const char *location = NULL;
    uint64_t offset = 0, length = UINT64_MAX;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e || !e->key) continue;
        if (strcmp(e->key, "location") == 0) location = e->value;
        else if (strcmp(e->key, "offset") == 0 && parse_u64(e->value, &offset))
            return ng_error(NNGPU_ERR_PARSE, "%s: bad external-data offset '%s'", what,
                            e->value ? e->value : "");
        else if (strcmp(e->key, "length") == 0 && parse_u64(e->value, &length))
            return ng_error(NNGPU_ERR_PARSE, "%s: bad external-data length '%s'", what,
                            e->value ? e->value : "");
    }
    if (!location || !*location)
        return ng_error(NNGPU_ERR_PARSE, "%s: external data without a 'location'", what);
    if (length != UINT64_MAX && length != out->bytes)
        return ng_error(NNGPU_ERR_PARSE,
                        "%s: external-data length %llu does not match its shape (%zu bytes)",
                        what, (unsigned long long)length, out->bytes);
    NG_CHECK(ng_onnx_read_external(base_dir, location, offset, out->bytes, what, &out->owned));
    out->data = out->owned;
    return NNGPU_OK;
}

/* Converts n int32_data values to dtype dt (int8/uint8/bool/float16/int32; for
 * int4/uint4 each value is one byte of two packed elements). */
static void widen_int32(const int32_t *src, size_t n, nngpu_dtype dt, void *dst) {
    for (size_t i = 0; i < n; i++) {
        switch (dt) {
        case NNGPU_DTYPE_INT8: ((int8_t *)dst)[i] = (int8_t)src[i]; break;
        case NNGPU_DTYPE_UINT8:
        case NNGPU_DTYPE_INT4:
        case NNGPU_DTYPE_UINT4: ((uint8_t *)dst)[i] = (uint8_t)src[i]; break;
        case NNGPU_DTYPE_BOOL: ((uint8_t *)dst)[i] = src[i] != 0; break;
        case NNGPU_DTYPE_FLOAT16: ((uint16_t *)dst)[i] = (uint16_t)src[i]; break;
        default: ((int32_t *)dst)[i] = src[i]; break;
        }
    }
}

/* The typed repeated field holding data of dtype dt: its pointer and count. */
static const void *typed_field(const Onnx__TensorProto *tp, nngpu_dtype dt, size_t *n,
                               int *is_int32) {
    *is_int32 = 0;
    switch (dt) {
    case NNGPU_DTYPE_FLOAT32: *n = tp->n_float_data; return tp->float_data;
    case NNGPU_DTYPE_FLOAT64: *n = tp->n_double_data; return tp->double_data;
    case NNGPU_DTYPE_INT64: *n = tp->n_int64_data; return tp->int64_data;
    default: *is_int32 = 1; *n = tp->n_int32_data; return tp->int32_data;
    }
}

nngpu_status ng_onnx_tensor_decode(const Onnx__TensorProto *tp, const char *base_dir,
                                   const char *what, ng_onnx_tensor *out) {
    memset(out, 0, sizeof *out);
    if (!tp) return ng_error(NNGPU_ERR_PARSE, "%s: missing tensor", what);
    int32_t ot = tp->has_data_type ? tp->data_type : 0;
    out->dtype = ng_onnx_dtype(ot);
    if (out->dtype == NNGPU_DTYPE_UNDEFINED)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "%s: data type %s (%d) is not supported", what,
                        ng_onnx_dtype_name(ot), (int)ot);
    if (tp->n_dims > NNGPU_MAX_DIMS)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "%s: rank %zu is over %d", what, tp->n_dims,
                        NNGPU_MAX_DIMS);
    if (tp->n_dims && !tp->dims) return ng_error(NNGPU_ERR_PARSE, "%s: no dims", what);
    if (tp->segment)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "%s: segmented tensors are not supported", what);
    out->rank = (int)tp->n_dims;
    uint64_t n = 1, bytes;
    for (int i = 0; i < out->rank; i++) {
        if (tp->dims[i] < 0)
            return ng_error(NNGPU_ERR_PARSE, "%s: negative dim %lld", what,
                            (long long)tp->dims[i]);
        out->dims[i] = tp->dims[i];
        if (__builtin_mul_overflow(n, (uint64_t)tp->dims[i], &n))
            return ng_error(NNGPU_ERR_PARSE, "%s: element count overflows", what);
    }
    int packed = out->dtype == NNGPU_DTYPE_INT4 || out->dtype == NNGPU_DTYPE_UINT4;
    uint64_t stored = packed ? n / 2 + n % 2 : n; /* 4-bit: two per byte, also in int32_data */
    if (__builtin_mul_overflow(stored, (uint64_t)nngpu_dtype_size(out->dtype), &bytes) ||
        bytes > SIZE_MAX / 2)
        return ng_error(NNGPU_ERR_PARSE, "%s: size overflows", what);
    out->bytes = (size_t)bytes;

    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return decode_external(tp, base_dir, what, out);
    if (tp->has_raw_data || tp->raw_data.len) {
        if (tp->raw_data.len != out->bytes)
            return ng_error(NNGPU_ERR_PARSE,
                            "%s: raw_data has %zu bytes, its shape and type need %zu", what,
                            tp->raw_data.len, out->bytes);
        if (out->bytes && !tp->raw_data.data)
            return ng_error(NNGPU_ERR_PARSE, "%s: raw_data missing", what);
        out->data = tp->raw_data.data;
        return NNGPU_OK;
    }
    size_t cnt;
    int is_int32;
    const void *src = typed_field(tp, out->dtype, &cnt, &is_int32);
    if (cnt != stored)
        return ng_error(NNGPU_ERR_PARSE, "%s: %zu values stored, its shape needs %llu", what,
                        cnt, (unsigned long long)stored);
    if (cnt && !src) return ng_error(NNGPU_ERR_PARSE, "%s: data missing", what);
    out->owned = malloc(out->bytes ? out->bytes : 1);
    if (!out->owned) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: %zu bytes", what, out->bytes);
    if (is_int32) widen_int32(src, cnt, out->dtype, out->owned);
    else if (cnt) memcpy(out->owned, src, out->bytes);
    out->data = out->owned;
    return NNGPU_OK;
}
