/* Parameter text ("NAME=V,NAME=V") and signature distance for the tuning DB. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

void ng_db_entry_format(const ng_db_entry *e, char *buf, size_t cap) {
    ng_params p = e->params;
    for (int i = 0; i < p.n && i < NG_MAX_PARAMS; i++)
        if (e->names[i][0]) p.name[i] = e->names[i];
    ng_db_params_format(&p, buf, cap);
}

void ng_db_params_format(const ng_params *p, char *buf, size_t cap) {
    size_t len = 0;
    if (cap) buf[0] = '\0';
    for (int i = 0; i < p->n && len < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s=%d", i ? "," : "", p->name[i], p->value[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
}

int ng_db_params_parse(const char *text, ng_db_entry *e) {
    e->params.n = 0;
    const char *s = text;
    while (s && *s) {
        const char *eq = strchr(s, '=');
        const char *end = strchr(s, ',');
        if (!end) end = s + strlen(s);
        if (!eq || eq > end || eq == s || (size_t)(eq - s) >= sizeof e->names[0] ||
            e->params.n >= NG_MAX_PARAMS)
            return -1;
        char *num_end;
        long v = strtol(eq + 1, &num_end, 10);
        if (num_end != end || num_end == eq + 1) return -1;
        int i = e->params.n++;
        memcpy(e->names[i], s, (size_t)(eq - s));
        e->names[i][eq - s] = '\0';
        e->params.name[i] = e->names[i];
        e->params.value[i] = (int)v;
        s = *end ? end + 1 : end;
    }
    return 0;
}

void ng_db_entry_set_params(ng_db_entry *e, const ng_params *p) {
    e->params.n = 0;
    for (int i = 0; i < p->n && i < NG_MAX_PARAMS; i++) {
        snprintf(e->names[i], sizeof e->names[i], "%s", p->name[i]);
        e->params.name[i] = e->names[i];
        e->params.value[i] = p->value[i];
        e->params.n++;
    }
    e->params.source = p->source;
}

/* Parses "3x3" / "16" / "-1" into nums; returns the count, -1 when not numeric. */
static int numbers(const char *v, size_t len, double *nums, int cap) {
    int n = 0;
    size_t i = 0;
    while (i < len) {
        char tmp[32];
        size_t j = i;
        while (j < len && v[j] != 'x') j++;
        if (j == i || j - i >= sizeof tmp || n >= cap) return -1;
        memcpy(tmp, v + i, j - i);
        tmp[j - i] = '\0';
        char *end;
        nums[n++] = strtod(tmp, &end);
        if (*end || !(isdigit((unsigned char)tmp[0]) || tmp[0] == '-' || tmp[0] == '.'))
            return -1;
        i = j + 1;
        if (j + 1 == len && v[j] == 'x') return -1;
    }
    return n;
}

double ng_db_signature_distance(const char *a, const char *b) {
    double d = 0;
    while (*a || *b) {
        const char *ea = strchr(a, '='), *eb = strchr(b, '=');
        if (!ea || !eb || ea - a != eb - b || strncmp(a, b, (size_t)(ea - a)) != 0) return -1;
        const char *va = ea + 1, *vb = eb + 1;
        size_t la = strcspn(va, ","), lb = strcspn(vb, ",");
        double na[8], nb[8];
        int ca = numbers(va, la, na, 8), cb = numbers(vb, lb, nb, 8);
        if (ca < 0 || cb < 0) {
            if (la != lb || strncmp(va, vb, la) != 0) return -1; /* other kind */
        } else {
            if (ca != cb) return -1;
            for (int i = 0; i < ca; i++) {
                d += fabs(log((fabs(na[i]) + 1) / (fabs(nb[i]) + 1)));
                if ((na[i] < 0) != (nb[i] < 0)) d += 1;
            }
        }
        a = va + la + (va[la] == ',');
        b = vb + lb + (vb[lb] == ',');
    }
    return d;
}
