/* Kernel tunables (tile sizes, work-group sizes, vector widths): the one
 * place a backend asks for them. Today: built-in defaults per device type;
 * the autotuner's database backs the same call. */
#ifndef NG_PARAMS_H
#define NG_PARAMS_H

#include <stdint.h>

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
 * type). Replaces them with the tuning DB's choice for (device, family,
 * signature) when there is one and sets p->source: "db:exact", "db:stale",
 * "db:vendor" (autotune/db.h explains the fallbacks) or "default".
 * NNGPU_PARAMS="NAME=V,..." overrides for experiments ("env"). The DB read is
 * db_path (options.tuning_db), else $NNGPU_TUNING_DB, else the default file
 * when it exists; a missing or unreadable DB leaves the defaults. */
void ng_params_lookup(const nngpu_device_info *dev, const char *db_path, const char *family,
                      const char *signature, ng_params *p);

/* What one kernel's parameter lookup was: its family, problem signature and
 * final parameters (the autotuner reads these back from prepared kernels). */
typedef struct ng_params_record {
    char family[32];     /* "" when the kernel looked nothing up */
    char signature[192];
    ng_params params;    /* names are static strings */
    /* The scope's first lookup when a later one of another family took its
     * place above: the algorithm choice that led there (conv_direct with
     * ALGO=1 -> gemm, vk_conv with IGEMM or WINO -> vk_conv_gemm/_wino);
     * algo_family "" when none. The tuner tunes both. */
    char algo_family[32];
    char algo_signature[192];
    ng_params algo_params;
} ng_params_record;

/* Backends wrap each node's preparation in a scope (same thread):
 * - override (NULL: none) forces parameters for lookups inside the scope,
 *   in NNGPU_PARAMS syntax ("family:NAME=V,...;..."); when not NULL, even
 *   "", the DB and NNGPU_PARAMS are skipped and p->source is "override"
 *   (nngpu_options.params_override: how the tuner runs a candidate);
 * - rec (may be NULL) receives the family, signature and final parameters
 *   of the scope's last lookup with a non-empty signature (else its last),
 *   and in algo_* the first such lookup when it was of another family. */
void ng_params_scope_begin(const char *override, ng_params_record *rec);
void ng_params_scope_end(void);

typedef struct ng_db ng_db;
/* The read-only DB handle sessions use for db_path (resolved as above),
 * opened once per file per process; *out = NULL (and NNGPU_OK) when there is
 * no DB file. A corrupt or foreign file is an error naming it: session
 * creation calls this first and fails with it. */
nngpu_status ng_params_db_get(const char *db_path, ng_db **out);
/* The DB part of ng_params_lookup: applies the DB's parameters for (device,
 * family, signature) to p; returns "db:exact", "db:stale", "db:vendor", or
 * NULL when the DB has nothing (p untouched). */
const char *ng_params_db_apply(const nngpu_device_info *dev, const char *db_path,
                               const char *family, const char *signature, ng_params *p);
/* The hash of the kernel source a family builds from (the DB key's
 * source_hash); the tuner stores with the same value. */
uint64_t ng_params_source_hash(const nngpu_device_info *dev, const char *family);

#endif
