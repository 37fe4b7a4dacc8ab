/* Opening the tuning DB: the read-only check that detects a foreign or
 * corrupt file before anything is written, the schema, the default path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/cachedir.h"
#include "core/status.h"
#include "db_internal.h"

static const char *SCHEMA =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE results("
    " backend TEXT NOT NULL, vendor TEXT NOT NULL, device TEXT NOT NULL,"
    " driver TEXT NOT NULL, device_type TEXT NOT NULL, family TEXT NOT NULL,"
    " source_hash INTEGER NOT NULL, signature TEXT NOT NULL, space_version INTEGER NOT NULL,"
    " params TEXT NOT NULL, best_ms REAL, default_ms REAL, candidates INTEGER,"
    " timestamp INTEGER, nngpu_version TEXT, stale INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(backend, vendor, device, driver, device_type, family, source_hash,"
    "             signature, space_version));"
    "CREATE INDEX results_family ON results(family, backend, vendor, device_type);"
    "CREATE TABLE rejected("
    " backend TEXT NOT NULL, vendor TEXT NOT NULL, device TEXT NOT NULL,"
    " driver TEXT NOT NULL, device_type TEXT NOT NULL, family TEXT NOT NULL,"
    " source_hash INTEGER NOT NULL, signature TEXT NOT NULL, space_version INTEGER NOT NULL,"
    " params TEXT NOT NULL, reason TEXT, timestamp INTEGER,"
    " PRIMARY KEY(backend, vendor, device, driver, device_type, family, source_hash,"
    "             signature, space_version, params));";

nngpu_status ng_db_fail(ng_db *db, const char *what) {
    return ng_error(NNGPU_ERR_IO, "tuning database %s: %s: %s", db->path, what,
                    sqlite3_errmsg(db->h));
}

const char *ng_db_default_path(void) {
    static _Thread_local char buf[1100];
    const char *env = getenv("NNGPU_TUNING_DB");
    if (env && *env) {
        snprintf(buf, sizeof buf, "%s", env);
        return buf;
    }
    char dir[1024];
    if (!ng_cache_dir(dir, sizeof dir)) return NULL;
    snprintf(buf, sizeof buf, "%s/tuning.db", dir);
    return buf;
}

const char *ng_db_path(const ng_db *db) { return db->path; }

static int int_pragma(sqlite3 *h, const char *sql, long long *v, int *rc) {
    sqlite3_stmt *st = NULL;
    *rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (*rc == SQLITE_OK) {
        *rc = sqlite3_step(st);
        if (*rc == SQLITE_ROW) {
            *v = sqlite3_column_int64(st, 0);
            *rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return *rc == SQLITE_OK;
}

static nngpu_status bad_file(const char *path, const char *why) {
    return ng_error(NNGPU_ERR_PARSE,
                    "tuning database %s: %s (not an nngpu tuning database, or corrupt; "
                    "the file was left untouched)",
                    path, why);
}

/* Checks an existing file through a read-only handle. *fresh = 1 for an
 * SQLite file with nothing in it (an empty file included). */
static nngpu_status check_file_in(const char *path, sqlite3 *h, int *fresh);

/* One read transaction: the header and the tables are seen from one
 * snapshot, never half of another process's schema creation. */
static nngpu_status check_file(const char *path, sqlite3 *h, int *fresh) {
    int began = sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    nngpu_status s = check_file_in(path, h, fresh);
    if (began) sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    return s;
}

static nngpu_status check_file_in(const char *path, sqlite3 *h, int *fresh) {
    long long app = 0, ver = 0, n = 0;
    int rc;
    char why[512];
    *fresh = 0;
    /* sqlite_master first: its read starts the transaction's snapshot. */
    if (!int_pragma(h, "SELECT count(*) FROM sqlite_master", &n, &rc) ||
        !int_pragma(h, "PRAGMA application_id", &app, &rc) ||
        !int_pragma(h, "PRAGMA user_version", &ver, &rc)) {
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            return ng_error(NNGPU_ERR_IO, "tuning database %s: %s", path, sqlite3_errmsg(h));
        snprintf(why, sizeof why, "%s", rc == SQLITE_NOTADB ? "not an SQLite database"
                                                            : sqlite3_errmsg(h));
        return bad_file(path, why);
    }
    if (app == 0 && ver == 0 && n == 0) {
        *fresh = 1;
        return NNGPU_OK;
    }
    if (app != NG_DB_APP_ID) {
        snprintf(why, sizeof why, "an SQLite database of another application (application_id %lld)",
                 app);
        return bad_file(path, why);
    }
    if (ver != NG_DB_SCHEMA_VERSION) {
        snprintf(why, sizeof why, "schema version %lld, this nngpu reads version %d", ver,
                 NG_DB_SCHEMA_VERSION);
        return ng_error(NNGPU_ERR_PARSE, "tuning database %s: %s (left untouched)", path, why);
    }
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &st, NULL);
    const char *res = NULL;
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        res = (const char *)sqlite3_column_text(st, 0);
    snprintf(why, sizeof why, "corrupt: %s", res ? res : sqlite3_errmsg(h));
    int ok = res && strcmp(res, "ok") == 0;
    sqlite3_finalize(st);
    if (!ok) return bad_file(path, why);
    if (!int_pragma(h, "SELECT count(*) FROM meta WHERE key='schema_version' AND value='1'", &n,
                    &rc) ||
        n != 1 || !int_pragma(h, "SELECT count(*) FROM results", &n, &rc) ||
        !int_pragma(h, "SELECT count(*) FROM rejected", &n, &rc))
        return bad_file(path, "tables missing or unreadable");
    return NNGPU_OK;
}

static nngpu_status exec(ng_db *db, const char *sql, const char *what) {
    if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK) return ng_db_fail(db, what);
    return NNGPU_OK;
}

/* Creates the schema unless another process did it first. */
static nngpu_status create_schema(ng_db *db) {
    NG_CHECK(exec(db, "BEGIN IMMEDIATE", "starting the schema transaction"));
    long long ver = 0, n = 0;
    int rc;
    if (!int_pragma(db->h, "PRAGMA user_version", &ver, &rc) ||
        !int_pragma(db->h, "SELECT count(*) FROM sqlite_master", &n, &rc)) {
        nngpu_status s = ng_db_fail(db, "reading the schema");
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        return s;
    }
    if (ver == 0 && n == 0) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "PRAGMA application_id=%d; PRAGMA user_version=%d;"
                 "INSERT INTO meta VALUES('schema_version','%d'),('app','nngpu'),"
                 "('created','%lld');",
                 NG_DB_APP_ID, NG_DB_SCHEMA_VERSION, NG_DB_SCHEMA_VERSION,
                 (long long)time(NULL));
        if (sqlite3_exec(db->h, SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK) {
            nngpu_status s = ng_db_fail(db, "creating the schema");
            sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
            return s;
        }
    }
    return exec(db, "COMMIT", "committing the schema");
}

/* Switches to WAL. A writer that meets another one still creating the file
 * can get SQLITE_BUSY here at once (SQLite skips the busy handler where
 * waiting could deadlock), so it retries for up to the busy timeout. */
static nngpu_status wal_mode(ng_db *db) {
    for (int tries = 0;; tries++) {
        int rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL,
                              NULL, NULL);
        if (rc == SQLITE_OK) return NNGPU_OK;
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 1500)
            return ng_db_fail(db, "switching to WAL mode");
        struct timespec pause = {0, 10 * 1000 * 1000}; /* 10 ms; 1500 tries: the 15 s timeout */
        nanosleep(&pause, NULL);
    }
}

static nngpu_status make_parent(const char *path) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return NNGPU_OK;
    *slash = '\0';
    if (ng_mkdirs(dir) != 0)
        return ng_error(NNGPU_ERR_IO, "tuning database %s: cannot create the folder %s: %s", path,
                        dir, strerror(errno));
    return NNGPU_OK;
}

static void db_free(ng_db *db) {
    if (!db) return;
    if (db->h) sqlite3_close_v2(db->h);
    free(db);
}

nngpu_status ng_db_open(const char *path, int writable, ng_db **out) {
    *out = NULL;
    if (!path || !*path) return ng_error(NNGPU_ERR_INVALID_ARG, "tuning database: empty path");
    if (strlen(path) >= sizeof((ng_db *)0)->path)
        return ng_error(NNGPU_ERR_INVALID_ARG, "tuning database %s: path too long", path);
    ng_db *db = calloc(1, sizeof *db);
    if (!db) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "tuning database %s", path);
    snprintf(db->path, sizeof db->path, "%s", path);
    db->writable = writable;
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    nngpu_status s = NNGPU_OK;
    int fresh = 1;
    if (exists && !S_ISREG(sb.st_mode)) {
        s = ng_error(NNGPU_ERR_IO, "tuning database %s: not a regular file", path);
    } else if (exists) {
        /* Read-only first: a foreign or corrupt file is never written to. */
        char wal[1100], shm[1100];
        snprintf(wal, sizeof wal, "%s-wal", path);
        snprintf(shm, sizeof shm, "%s-shm", path);
        int had_wal = access(wal, F_OK) == 0, had_shm = access(shm, F_OK) == 0;
        if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) !=
            SQLITE_OK) {
            s = ng_db_fail(db, "opening");
        } else {
            sqlite3_busy_timeout(db->h, 15000);
            s = check_file(path, db->h, &fresh);
        }
        if (s == NNGPU_ERR_PARSE) {
            /* Leave nothing beside a rejected file: drop the empty WAL/SHM a
             * read-only open of a WAL-mode header creates. */
            sqlite3_close_v2(db->h);
            db->h = NULL;
            struct stat ws;
            if (!had_wal && stat(wal, &ws) == 0 && ws.st_size == 0) unlink(wal);
            if (!had_shm && access(shm, F_OK) == 0) unlink(shm);
        }
        if (s == NNGPU_OK && !writable) {
            db->empty = fresh;
            *out = db;
            return NNGPU_OK;
        }
        sqlite3_close_v2(db->h);
        db->h = NULL;
    } else if (!writable) {
        s = ng_error(NNGPU_ERR_NOT_FOUND, "tuning database %s: no such file", path);
    } else {
        s = make_parent(path);
    }
    if (s == NNGPU_OK &&
        sqlite3_open_v2(path, &db->h,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK)
        s = ng_db_fail(db, "opening for writing");
    if (s == NNGPU_OK) {
        sqlite3_busy_timeout(db->h, 15000);
        s = wal_mode(db);
    }
    if (s == NNGPU_OK && fresh) s = create_schema(db);
    if (s == NNGPU_OK && fresh) {
        /* Re-check: another process may have created something else meanwhile. */
        int again = 0;
        s = check_file(path, db->h, &again);
    }
    if (s != NNGPU_OK) {
        db_free(db);
        return s;
    }
    *out = db;
    return NNGPU_OK;
}

void ng_db_close(ng_db *db) { db_free(db); }

void ng_db_device_of(const nngpu_device_info *info, ng_db_device *d) {
    d->backend = info->backend == NNGPU_BACKEND_OPENCL   ? "opencl"
                 : info->backend == NNGPU_BACKEND_VULKAN ? "vulkan"
                                                         : "cpu";
    d->vendor = info->vendor;
    d->name = info->name;
    d->driver_version = info->driver_version;
    d->device_type = info->device_type;
}
