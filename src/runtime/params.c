#include "params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ng_params_set(ng_params *p, const char *name, int value) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) {
            p->value[i] = value;
            return;
        }
    if (p->n < NG_MAX_PARAMS) {
        p->name[p->n] = name;
        p->value[p->n++] = value;
    }
}

int ng_params_get(const ng_params *p, const char *name, int def) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) return p->value[i];
    return def;
}

/* The current node-preparation scope (ng_params_scope_begin). */
static _Thread_local const char *scope_override;
static _Thread_local ng_params_record *scope_record;

void ng_params_scope_begin(const char *override, ng_params_record *rec) {
    scope_override = override;
    scope_record = rec;
    if (rec) memset(rec, 0, sizeof *rec);
}

void ng_params_scope_end(void) {
    scope_override = NULL;
    scope_record = NULL;
}

static void scope_note(const char *family, const char *signature, const ng_params *p) {
    ng_params_record *r = scope_record;
    if (!r || (r->family[0] && r->signature[0] && !signature[0])) return;
    if (r->family[0] && r->signature[0] && strcmp(r->family, family) != 0 && !r->algo_family[0]) {
        memcpy(r->algo_family, r->family, sizeof r->algo_family);
        memcpy(r->algo_signature, r->signature, sizeof r->algo_signature);
        r->algo_params = r->params;
    }
    snprintf(r->family, sizeof r->family, "%s", family);
    snprintf(r->signature, sizeof r->signature, "%s", signature);
    r->params = *p;
}

/* spec: "family:NAME=V,NAME=V;family2:..." or "NAME=V" for every family. */
static int apply_spec(const char *env, const char *family, ng_params *p) {
    if (!env || !*env) return 0;
    int applied = 0;
    char buf[512];
    strncpy(buf, env, sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    char *save_group = NULL;
    for (char *grp = strtok_r(buf, ";", &save_group); grp; grp = strtok_r(NULL, ";", &save_group)) {
        char *colon = strchr(grp, ':');
        if (colon) {
            *colon = '\0';
            if (strcmp(grp, family) != 0) continue;
            grp = colon + 1;
        }
        char *save = NULL;
        for (char *kv = strtok_r(grp, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq) continue;
            *eq = '\0';
            for (int i = 0; i < p->n; i++)
                if (strcmp(p->name[i], kv) == 0) {
                    p->value[i] = atoi(eq + 1);
                    applied = 1;
                }
        }
    }
    return applied;
}

void ng_params_lookup(const nngpu_device_info *dev, const char *db_path, const char *family,
                      const char *signature, ng_params *p) {
    if (scope_override) {
        apply_spec(scope_override, family, p);
        p->source = "override";
        scope_note(family, signature ? signature : "", p);
        return;
    }
    const char *db = ng_params_db_apply(dev, db_path, family, signature, p); /* params_db.c */
    p->source = apply_spec(getenv("NNGPU_PARAMS"), family, p) ? "env" : db ? db : "default";
    scope_note(family, signature ? signature : "", p);
}
