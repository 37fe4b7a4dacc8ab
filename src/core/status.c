#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

const char *nngpu_last_error(void) { return last_error; }

void ng_error_clear(void) { last_error[0] = '\0'; }

nngpu_status ng_error(nngpu_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

nngpu_status ng_error_context(nngpu_status s, const char *fmt, ...) {
    char prefix[512], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    size_t plen = strlen(prefix);
    memcpy(last_error, prefix, plen);
    memcpy(last_error + plen, ": ", 2);
    size_t room = sizeof last_error - plen - 3;
    size_t olen = strnlen(old, room);
    memcpy(last_error + plen + 2, old, olen);
    last_error[plen + 2 + olen] = '\0';
    return s;
}

const char *nngpu_status_name(nngpu_status s) {
    switch (s) {
    case NNGPU_OK: return "ok";
    case NNGPU_ERR_INVALID_ARG: return "invalid argument";
    case NNGPU_ERR_IO: return "i/o error";
    case NNGPU_ERR_PARSE: return "parse error";
    case NNGPU_ERR_UNSUPPORTED: return "unsupported";
    case NNGPU_ERR_DEVICE: return "device error";
    case NNGPU_ERR_OUT_OF_MEMORY: return "out of memory";
    case NNGPU_ERR_NOT_FOUND: return "not found";
    case NNGPU_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
