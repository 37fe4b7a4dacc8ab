/* Tuning DB reads and writes: lookup with fallbacks, store, rejections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/status.h"
#include "db_internal.h"

#define S(x) ((x) ? (x) : "")

static void bind_text(sqlite3_stmt *st, const char *name, const char *v) {
    int i = sqlite3_bind_parameter_index(st, name);
    if (i) sqlite3_bind_text(st, i, S(v), -1, SQLITE_TRANSIENT);
}

static void bind_int64(sqlite3_stmt *st, const char *name, long long v) {
    int i = sqlite3_bind_parameter_index(st, name);
    if (i) sqlite3_bind_int64(st, i, v);
}

static void bind_double(sqlite3_stmt *st, const char *name, double v) {
    int i = sqlite3_bind_parameter_index(st, name);
    if (i) sqlite3_bind_double(st, i, v);
}

void ng_db_bind_key(sqlite3_stmt *st, const ng_db_key *key) {
    bind_text(st, ":backend", key->dev.backend);
    bind_text(st, ":vendor", key->dev.vendor);
    bind_text(st, ":device", key->dev.name);
    bind_text(st, ":driver", key->dev.driver_version);
    bind_text(st, ":dtype", key->dev.device_type);
    bind_text(st, ":family", key->family);
    bind_int64(st, ":hash", (long long)key->source_hash);
    bind_text(st, ":sig", key->signature);
    bind_int64(st, ":space", key->space_version);
}

void ng_db_bind_entry(sqlite3_stmt *st, const ng_db_entry *e, int stale) {
    char params[512];
    ng_db_entry_format(e, params, sizeof params);
    bind_text(st, ":params", params);
    bind_double(st, ":best", e->best_ms);
    bind_double(st, ":def", e->default_ms);
    bind_int64(st, ":cand", e->candidates_tried);
    bind_int64(st, ":ts", e->timestamp ? e->timestamp : (long long)time(NULL));
    bind_text(st, ":ver", e->nngpu_version[0] ? e->nngpu_version : NNGPU_VERSION);
    bind_int64(st, ":stale", stale);
}

#define COLS "params, best_ms, default_ms, candidates, timestamp, nngpu_version, stale, " \
             "space_version, signature, device"
#define SPACE "(:space = 0 OR space_version = :space)"

static void read_row(sqlite3_stmt *st, ng_db_entry *e) {
    memset(e, 0, sizeof *e);
    const char *params = (const char *)sqlite3_column_text(st, 0);
    if (ng_db_params_parse(params ? params : "", e) != 0) e->params.n = 0;
    e->best_ms = sqlite3_column_double(st, 1);
    e->default_ms = sqlite3_column_double(st, 2);
    e->candidates_tried = sqlite3_column_int(st, 3);
    e->timestamp = sqlite3_column_int64(st, 4);
    snprintf(e->nngpu_version, sizeof e->nngpu_version, "%s",
             S((const char *)sqlite3_column_text(st, 5)));
    e->stale = sqlite3_column_int(st, 6);
    e->space_version = sqlite3_column_int(st, 7);
    snprintf(e->signature, sizeof e->signature, "%s", S((const char *)sqlite3_column_text(st, 8)));
}

/* Runs a lookup query; 1 when a row was read into out. */
static nngpu_status query_one(ng_db *db, const char *sql, const ng_db_key *key, ng_db_entry *out,
                              int *found) {
    sqlite3_stmt *st = NULL;
    *found = 0;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
        return ng_db_fail(db, "preparing a lookup");
    ng_db_bind_key(st, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_row(st, out);
        *found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ng_db_fail(db, "looking up");
    return NNGPU_OK;
}

/* Same backend, vendor and device type: the nearest signature of the same kind. */
static nngpu_status nearest(ng_db *db, const ng_db_key *key, ng_db_entry *out, int *found) {
    static const char *sql =
        "SELECT " COLS " FROM results WHERE backend=:backend AND vendor=:vendor AND "
        "device_type=:dtype AND family=:family AND " SPACE
        " ORDER BY space_version DESC, timestamp DESC";
    sqlite3_stmt *st = NULL;
    *found = 0;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
        return ng_db_fail(db, "preparing a lookup");
    ng_db_bind_key(st, key);
    double best = -1;
    int best_same_dev = 0, best_space = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int space = sqlite3_column_int(st, 7);
        if (*found && space < best_space) break; /* only the newest space version */
        const char *sig = (const char *)sqlite3_column_text(st, 8);
        double d = ng_db_signature_distance(S(key->signature), S(sig));
        if (d < 0) continue;
        int same_dev = strcmp(S((const char *)sqlite3_column_text(st, 9)), S(key->dev.name)) == 0;
        /* Nearer wins; on a tie, this device's row; then the newer (row order). */
        if (!*found || d < best - 1e-9 || (d < best + 1e-9 && same_dev && !best_same_dev)) {
            read_row(st, out);
            best = d;
            best_same_dev = same_dev;
            best_space = space;
            *found = 1;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ng_db_fail(db, "looking up");
    return NNGPU_OK;
}

nngpu_status ng_db_lookup(ng_db *db, const ng_db_key *key, ng_db_entry *out, ng_db_match *match) {
    *match = NG_DB_NONE;
    memset(out, 0, sizeof *out);
    if (db->empty) return NNGPU_OK;
    static const char *exact =
        "SELECT " COLS " FROM results WHERE backend=:backend AND vendor=:vendor AND "
        "device=:device AND driver=:driver AND device_type=:dtype AND family=:family AND "
        "source_hash=:hash AND signature=:sig AND " SPACE " ORDER BY space_version DESC LIMIT 1";
    static const char *stale =
        "SELECT " COLS " FROM results WHERE backend=:backend AND vendor=:vendor AND "
        "device=:device AND device_type=:dtype AND family=:family AND signature=:sig AND " SPACE
        " ORDER BY space_version DESC, stale ASC, timestamp DESC LIMIT 1";
    int found;
    NG_CHECK(query_one(db, exact, key, out, &found));
    if (found) {
        *match = out->stale ? NG_DB_STALE : NG_DB_EXACT;
        return NNGPU_OK;
    }
    NG_CHECK(query_one(db, stale, key, out, &found));
    if (found) {
        *match = NG_DB_STALE;
        return NNGPU_OK;
    }
    NG_CHECK(nearest(db, key, out, &found));
    if (found) *match = NG_DB_VENDOR;
    return NNGPU_OK;
}

static nngpu_status write_check(ng_db *db) {
    if (!db->writable)
        return ng_error(NNGPU_ERR_INVALID_ARG, "tuning database %s: opened read-only", db->path);
    return NNGPU_OK;
}

/* Runs one write statement (its own transaction: autocommit). */
static nngpu_status write_one(ng_db *db, const char *sql, const ng_db_key *key,
                              const ng_db_entry *e, const char *extra_name, const char *extra,
                              const char *what) {
    NG_CHECK(write_check(db));
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
        return ng_db_fail(db, what);
    ng_db_bind_key(st, key);
    if (e) ng_db_bind_entry(st, e, 0);
    if (extra_name) bind_text(st, extra_name, extra);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return ng_db_fail(db, what);
    return NNGPU_OK;
}

#define KEY_COLS "backend, vendor, device, driver, device_type, family, source_hash, " \
                 "signature, space_version"
#define KEY_VALS ":backend, :vendor, :device, :driver, :dtype, :family, :hash, :sig, :space"
#define KEY_MATCH "backend=:backend AND vendor=:vendor AND device=:device AND " \
                  "driver=:driver AND device_type=:dtype AND family=:family AND " \
                  "source_hash=:hash AND signature=:sig AND space_version=:space"

nngpu_status ng_db_store(ng_db *db, const ng_db_key *key, const ng_db_entry *e) {
    return write_one(db,
                     "INSERT OR REPLACE INTO results(" KEY_COLS ", params, best_ms, default_ms, "
                     "candidates, timestamp, nngpu_version, stale) VALUES(" KEY_VALS
                     ", :params, :best, :def, :cand, :ts, :ver, :stale)",
                     key, e, NULL, NULL, "storing a result");
}

nngpu_status ng_db_mark_stale(ng_db *db, const ng_db_key *key) {
    return write_one(db, "UPDATE results SET stale=1 WHERE " KEY_MATCH, key, NULL, NULL, NULL,
                     "marking a result stale");
}

nngpu_status ng_db_reject(ng_db *db, const ng_db_key *key, const ng_params *candidate,
                          const char *reason) {
    ng_db_entry e;
    memset(&e, 0, sizeof e);
    ng_db_entry_set_params(&e, candidate);
    return write_one(db,
                     "INSERT OR REPLACE INTO rejected(" KEY_COLS ", params, reason, timestamp) "
                     "VALUES(" KEY_VALS ", :params, :reason, :ts)",
                     key, &e, ":reason", reason, "recording a rejected candidate");
}

int ng_db_is_rejected(ng_db *db, const ng_db_key *key, const ng_params *candidate) {
    if (db->empty) return 0;
    ng_db_entry e;
    memset(&e, 0, sizeof e);
    ng_db_entry_set_params(&e, candidate);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM rejected WHERE " KEY_MATCH " AND params=:params",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    ng_db_bind_key(st, key);
    ng_db_bind_entry(st, &e, 0);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW;
}
