#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ng_report_add(ng_report *r, const char *fmt, ...) {
    if (!r) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    if (r->verbose) fprintf(stderr, "nngpu: %s\n", line);
    if (r->len + (size_t)n + 2 > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        while (cap < r->len + (size_t)n + 2) cap *= 2;
        char *t = realloc(r->text, cap);
        if (!t) return;
        r->text = t;
        r->cap = cap;
    }
    memcpy(r->text + r->len, line, (size_t)n);
    r->len += (size_t)n;
    r->text[r->len++] = '\n';
    r->text[r->len] = '\0';
}

void ng_report_add_lines(ng_report *r, const char *text) {
    for (const char *q = text; q && *q;) {
        const char *end = strchr(q, '\n');
        int len = end ? (int)(end - q) : (int)strlen(q);
        ng_report_add(r, "%.*s", len, q);
        q += len + (end != NULL);
    }
}

void ng_report_free(ng_report *r) {
    free(r->text);
    r->text = NULL;
    r->len = r->cap = 0;
}
