/* Status codes and the thread-local last-error text. */
#ifndef NG_STATUS_H
#define NG_STATUS_H

#include "nngpu/nngpu.h"

#if defined(__GNUC__)
#define NG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NG_PRINTF(a, b)
#endif

/* Records a formatted message as the last error and returns s. */
nngpu_status ng_error(nngpu_status s, const char *fmt, ...) NG_PRINTF(2, 3);
/* Prepends "context: " to the last error and returns s (for adding the node
 * or file a lower layer did not know). */
nngpu_status ng_error_context(nngpu_status s, const char *fmt, ...) NG_PRINTF(2, 3);
void ng_error_clear(void);

#define NG_CHECK(expr)                                                                         \
    do {                                                                                       \
        nngpu_status ng_check_s_ = (expr);                                                     \
        if (ng_check_s_ != NNGPU_OK) return ng_check_s_;                                       \
    } while (0)

#endif
