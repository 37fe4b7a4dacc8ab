/* Element access, broadcasting and errors for the reference kernels. */
#include <stdarg.h>
#include <stdio.h>

#include "core/half.h"
#include "core/jobs.h"
#include "ref_internal.h"

nngpu_status ng_ref_err(const ng_node *n, nngpu_status s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ng_error(s, "node '%s' (%s): %s", n->name, ng_op_name(n->op), msg);
}

int ng_ref_is_float(nngpu_dtype t) {
    return t == NNGPU_DTYPE_FLOAT32 || t == NNGPU_DTYPE_FLOAT16 || t == NNGPU_DTYPE_FLOAT64;
}

int ng_ref_is_4bit(nngpu_dtype t) { return t == NNGPU_DTYPE_INT4 || t == NNGPU_DTYPE_UINT4; }

int ng_ref_is_int(nngpu_dtype t) {
    return t == NNGPU_DTYPE_INT8 || t == NNGPU_DTYPE_UINT8 || t == NNGPU_DTYPE_INT32 ||
           t == NNGPU_DTYPE_INT64 || t == NNGPU_DTYPE_BOOL;
}

double ng_ref_ldd(nngpu_dtype t, const void *p, int64_t i) {
    switch (t) {
    case NNGPU_DTYPE_FLOAT32: return ((const float *)p)[i];
    case NNGPU_DTYPE_FLOAT16: return ng_half_to_float(((const uint16_t *)p)[i]);
    case NNGPU_DTYPE_FLOAT64: return ((const double *)p)[i];
    default: return (double)ng_ref_ldi(t, p, i);
    }
}

float ng_ref_ldf(nngpu_dtype t, const void *p, int64_t i) {
    return t == NNGPU_DTYPE_FLOAT32 ? ((const float *)p)[i] : (float)ng_ref_ldd(t, p, i);
}

int64_t ng_ref_ldi(nngpu_dtype t, const void *p, int64_t i) {
    switch (t) {
    case NNGPU_DTYPE_INT8: return ((const int8_t *)p)[i];
    case NNGPU_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    case NNGPU_DTYPE_BOOL: return ((const uint8_t *)p)[i] != 0;
    case NNGPU_DTYPE_INT32: return ((const int32_t *)p)[i];
    case NNGPU_DTYPE_INT64: return ((const int64_t *)p)[i];
    case NNGPU_DTYPE_INT4:
    case NNGPU_DTYPE_UINT4: { /* two per byte, low nibble first */
        int v = (((const uint8_t *)p)[i >> 1] >> (4 * (i & 1))) & 15;
        return t == NNGPU_DTYPE_INT4 && v > 7 ? v - 16 : v;
    }
    case NNGPU_DTYPE_FLOAT32:
    case NNGPU_DTYPE_FLOAT16:
    case NNGPU_DTYPE_FLOAT64: {
        double v = ng_ref_ldd(t, p, i);
        if (v != v) return 0;
        if (v >= 9.2233720368547758e18) return INT64_MAX;
        if (v <= -9.2233720368547758e18) return INT64_MIN;
        return (int64_t)v;
    }
    default: return 0;
    }
}

void ng_ref_sti(nngpu_dtype t, void *p, int64_t i, int64_t v) {
    switch (t) {
    case NNGPU_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case NNGPU_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case NNGPU_DTYPE_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case NNGPU_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case NNGPU_DTYPE_INT64: ((int64_t *)p)[i] = v; break;
    case NNGPU_DTYPE_INT4:
    case NNGPU_DTYPE_UINT4: { /* the other nibble of the byte is kept */
        uint8_t *b = (uint8_t *)p + (i >> 1);
        int sh = 4 * (int)(i & 1);
        *b = (uint8_t)((*b & ~(15 << sh)) | ((v & 15) << sh));
        break;
    }
    default: ng_ref_std(t, p, i, (double)v); break;
    }
}

void ng_ref_std(nngpu_dtype t, void *p, int64_t i, double v) {
    switch (t) {
    case NNGPU_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case NNGPU_DTYPE_FLOAT16: ((uint16_t *)p)[i] = ng_half_from_float((float)v); break;
    case NNGPU_DTYPE_FLOAT64: ((double *)p)[i] = v; break;
    case NNGPU_DTYPE_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    default: {
        /* float -> int: truncate toward zero; out-of-range and nan saturate / give 0 */
        int64_t k = v != v ? 0 : v >= 9.2233720368547758e18 ? INT64_MAX
                             : v <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v;
        ng_ref_sti(t, p, i, k);
    }
    }
}

void ng_ref_stf(nngpu_dtype t, void *p, int64_t i, float v) {
    if (t == NNGPU_DTYPE_FLOAT32) ((float *)p)[i] = v;
    else if (t == NNGPU_DTYPE_FLOAT16) ((uint16_t *)p)[i] = ng_half_from_float(v);
    else ng_ref_std(t, p, i, v);
}

void ng_ref_strides(int r, const int64_t *d, int64_t *s) {
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        s[i] = acc;
        acc *= d[i];
    }
}

void ng_ref_bcast_strides(int rout, const int64_t *dout, int rin, const int64_t *din,
                          int64_t *strides) {
    int64_t acc = 1;
    for (int i = rout - 1; i >= 0; i--) {
        int k = i - (rout - rin);
        if (k < 0) {
            strides[i] = 0;
            continue;
        }
        strides[i] = din[k] == 1 && dout[i] != 1 ? 0 : acc;
        acc *= din[k];
    }
}

int64_t ng_ref_bcast_offset(int rout, const int64_t *dout, const int64_t *strides, int64_t i) {
    int64_t off = 0;
    for (int k = rout - 1; k >= 0; k--) {
        int64_t q = dout[k] ? i % dout[k] : 0;
        i = dout[k] ? i / dout[k] : 0;
        off += q * strides[k];
    }
    return off;
}

int ng_ref_threads(double macs) { return macs < 2e7 ? 1 : ng_jobs_default_threads(16); }
