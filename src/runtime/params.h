/* Kernel tunables (tile sizes, work-group sizes, vector widths): the one
 * place a backend asks for them. Today: built-in defaults per device type;
 * the autotuner's database backs the same call. */
#ifndef NG_PARAMS_H
#define NG_PARAMS_H

#include "nngpu/nngpu.h"

#define NG_MAX_PARAMS 12

typedef struct ng_params {
    int n;
    const char *name[NG_MAX_PARAMS];
    int value[NG_MAX_PARAMS];
    const char *source; /* "default", "env", later "db:exact", "db:stale", ... */
} ng_params;

/* Adds or replaces a parameter. */
void ng_params_set(ng_params *p, const char *name, int value);
int ng_params_get(const ng_params *p, const char *name, int def);

/* p holds the family's defaults on entry (set by the backend for the device
 * type). Replaces them with a better-known choice for (device, family,
 * signature) when there is one and sets p->source. NNGPU_PARAMS="NAME=V,..."
 * overrides for experiments. */
void ng_params_lookup(const nngpu_device_info *dev, const char *db_path, const char *family,
                      const char *signature, ng_params *p);

#endif
