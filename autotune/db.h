/* The tuning database (SQLite): for each device, kernel family and problem
 * signature, the best parameters found by the tuner. Sessions read it at
 * creation (through ng_params_lookup); only the tuner writes.
 *
 * Interface notes for the tuner (changes since the first sketch, all additive):
 * - ng_db_key.space_version 0 in a lookup means "any space version, the
 *   highest first" (sessions do not know the spaces); the tuner passes its
 *   own version (>= 1) in lookups and stores.
 * - ng_db_key.source_hash: use ng_params_source_hash(dev, family)
 *   (runtime/params.h), the same value sessions look up with.
 * - ng_db_device_of() fills the identity from an nngpu_device_info.
 * - ng_db_entry_set_params() / ng_db_params_format() / ng_db_params_parse():
 *   params <-> "NAME=V,NAME=V" (the stored text).
 * - ng_db_is_rejected(): whether a candidate was rejected before for a key.
 * - ng_db_entry.stale / .signature: what a lookup matched.
 * - ng_db_open on a missing path with writable=0 is NNGPU_ERR_NOT_FOUND.
 *
 * Schema (version NG_DB_SCHEMA_VERSION; PRAGMA application_id = NG_DB_APP_ID
 * and user_version = schema version mark the file as ours):
 *   meta(key PRIMARY KEY, value)   schema_version, app, created
 *   results(backend, vendor, device, driver, device_type, family, source_hash,
 *           signature, space_version | params, best_ms, default_ms,
 *           candidates, timestamp, nngpu_version, stale)
 *   rejected(same key columns, params | reason, timestamp)
 * WAL journal, busy_timeout 15 s: concurrent tuners wait, never lose a store. */
#ifndef NG_TUNING_DB_H
#define NG_TUNING_DB_H

#include <stdint.h>
#include <stdio.h>

#include "nngpu/nngpu.h"
#include "runtime/params.h"

#define NG_DB_SCHEMA_VERSION 1
#define NG_DB_APP_ID 0x4E475442 /* "NGTB" */

typedef struct ng_db ng_db;

/* The identity a result belongs to. */
typedef struct ng_db_device {
    const char *backend;        /* "opencl", "vulkan" */
    const char *vendor;
    const char *name;
    const char *driver_version;
    const char *device_type;    /* "gpu", "cpu", ... */
} ng_db_device;

typedef struct ng_db_key {
    ng_db_device dev;
    const char *family;         /* "gemm", "conv_direct", ... */
    uint64_t source_hash;       /* hash of the kernel family's source */
    const char *signature;      /* "NAME=V,NAME=V": shapes, strides, dtype, fused epilogue */
    int space_version;          /* the family's search-space version; 0 in lookups: any */
} ng_db_key;

typedef struct ng_db_entry {
    ng_params params;           /* names point into static storage or the entry's names[] */
    double best_ms, default_ms;
    int candidates_tried;
    int64_t timestamp;          /* unix seconds */
    char nngpu_version[16];
    char names[NG_MAX_PARAMS][24]; /* storage for params.name; a non-empty names[i]
                                      is the name of value[i] (so an entry copied by
                                      value keeps its names) */
    /* Filled by lookups: */
    int stale;                  /* the row's stale flag */
    int space_version;          /* the row's space version */
    char signature[256];        /* the signature matched (differs for NG_DB_VENDOR) */
} ng_db_entry;

typedef enum ng_db_match {
    NG_DB_NONE = 0,
    NG_DB_EXACT,        /* same device, driver, family source, signature, space version */
    NG_DB_STALE,        /* same device, another driver (or family source), or a row
                           marked stale: used, revalidated by nntune */
    NG_DB_VENDOR,       /* same backend, vendor and device type, nearest signature of
                           the same family and kind (see ng_db_signature_distance) */
} ng_db_match;

/* Default path: $NNGPU_TUNING_DB, else <cache dir>/tuning.db (core/cachedir.h);
 * NULL when there is no cache folder. Returns a static buffer. */
const char *ng_db_default_path(void);
/* Opens path. writable=1 creates it (and its folder) when absent: a path that
 * does not exist yet is an empty DB. writable=0 never creates anything
 * (NNGPU_ERR_NOT_FOUND when absent). A corrupt or foreign file (not SQLite,
 * another application id, another schema version, failing quick_check) is
 * NNGPU_ERR_PARSE naming it, and is never written to. */
nngpu_status ng_db_open(const char *path, int writable, ng_db **out);
void ng_db_close(ng_db *db);
const char *ng_db_path(const ng_db *db);

/* Fills d from a device's info (strings point into info). */
void ng_db_device_of(const nngpu_device_info *info, ng_db_device *d);

/* Best match with fallbacks: exact -> stale -> same vendor/type nearest
 * signature. *match = NG_DB_NONE (and NNGPU_OK) when nothing fits. */
nngpu_status ng_db_lookup(ng_db *db, const ng_db_key *key, ng_db_entry *out, ng_db_match *match);
/* Inserts or replaces the key's result (stale cleared), in its own
 * transaction: a tuner killed afterwards keeps it. timestamp 0: now;
 * nngpu_version "": this build's. */
nngpu_status ng_db_store(ng_db *db, const ng_db_key *key, const ng_db_entry *e);
/* Sets the stale flag of the key's exact row (no-op when absent). */
nngpu_status ng_db_mark_stale(ng_db *db, const ng_db_key *key);
/* Records a rejected candidate (build failure, crash, wrong output). */
nngpu_status ng_db_reject(ng_db *db, const ng_db_key *key, const ng_params *candidate,
                          const char *reason);
/* 1 when this exact candidate was rejected for the key, 0 otherwise. */
int ng_db_is_rejected(ng_db *db, const ng_db_key *key, const ng_params *candidate);

/* JSON lines, one result per line (nntune db list|export|import|merge):
 * {"backend":..,"vendor":..,"device":..,"driver":..,"device_type":..,"family":..,
 *  "source_hash":"16 hex","signature":..,"space_version":N,"params":"A=1,B=2",
 *  "best_ms":x,"default_ms":x,"candidates":N,"timestamp":N,"nngpu_version":..,"stale":0} */
nngpu_status ng_db_export(ng_db *db, FILE *out);
/* Keeps the faster of two results for one key (a stale row loses to a fresh
 * one); *imported counts rows written. A malformed line is NNGPU_ERR_PARSE
 * naming its number; rows before it stay imported. */
nngpu_status ng_db_import(ng_db *db, FILE *in, int *imported);

/* ---- helpers ---- */
/* "NAME=V,NAME=V" of p into buf. */
void ng_db_params_format(const ng_params *p, char *buf, size_t cap);
/* Parses text into e->params (names stored in e->names); -1 when malformed. */
int ng_db_params_parse(const char *text, ng_db_entry *e);
/* Copies p into e->params (names copied into e->names). */
void ng_db_entry_set_params(ng_db_entry *e, const ng_params *p);
/* Distance between two signatures "NAME=V,...": the sum over fields of
 * |log((a+1)/(b+1))| over the numbers in each value ("3x3" is two numbers);
 * negative when they are of different kinds (other field names or order, a
 * non-numeric value that differs, other counts of numbers). */
double ng_db_signature_distance(const char *a, const char *b);

#endif
