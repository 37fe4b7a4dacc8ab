#include "params.h"

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

/* NNGPU_PARAMS="family:NAME=V,NAME=V;family2:..." or "NAME=V" for every family. */
static int apply_env(const char *family, ng_params *p) {
    const char *env = getenv("NNGPU_PARAMS");
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
    (void)dev;
    (void)db_path;
    (void)signature;
    p->source = apply_env(family, p) ? "env" : "default";
}
