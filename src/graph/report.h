/* A growing text report: what the passes did. */
#ifndef NG_REPORT_H
#define NG_REPORT_H

#include <stddef.h>

#include "core/status.h"

typedef struct ng_report {
    char *text;
    size_t len, cap;
    int verbose; /* also print each line to stderr */
} ng_report;

void ng_report_add(ng_report *r, const char *fmt, ...) NG_PRINTF(2, 3);
/* Adds each line of text (another report's), printing them when verbose. */
void ng_report_add_lines(ng_report *r, const char *text);
void ng_report_free(ng_report *r);

#endif
