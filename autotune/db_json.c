/* Tuning DB as JSON lines: export (list) and import (merge, keeping the
 * faster of two results for one key). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "db_internal.h"

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static const char *FIELDS[] = {"backend", "vendor", "device", "driver", "device_type", "family",
                               "source_hash", "signature", "space_version", "params", "best_ms",
                               "default_ms", "candidates", "timestamp", "nngpu_version", "stale"};
enum { F_HASH = 6, F_SPACE = 8, F_BEST = 10, F_DEF, F_CAND, F_TS, F_VER, F_STALE, N_FIELDS };

nngpu_status ng_db_export(ng_db *db, FILE *out) {
    if (db->empty) return NNGPU_OK;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT backend, vendor, device, driver, device_type, family, "
                           "source_hash, signature, space_version, params, best_ms, default_ms, "
                           "candidates, timestamp, nngpu_version, stale FROM results ORDER BY "
                           "backend, vendor, device, family, signature, driver",
                           -1, &st, NULL) != SQLITE_OK)
        return ng_db_fail(db, "preparing the export");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fputc('{', out);
        for (int i = 0; i < N_FIELDS; i++) {
            fprintf(out, "%s\"%s\":", i ? "," : "", FIELDS[i]);
            if (i == F_HASH)
                fprintf(out, "\"%016" PRIx64 "\"", (uint64_t)sqlite3_column_int64(st, i));
            else if (i == F_BEST || i == F_DEF)
                fprintf(out, "%.6g", sqlite3_column_double(st, i));
            else if (i == F_SPACE || i == F_CAND || i == F_TS || i == F_STALE)
                fprintf(out, "%lld", (long long)sqlite3_column_int64(st, i));
            else
                json_str(out, (const char *)sqlite3_column_text(st, i));
        }
        fputs("}\n", out);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return ng_db_fail(db, "exporting");
    if (ferror(out)) return ng_error(NNGPU_ERR_IO, "tuning database %s: export write failed", db->path);
    return NNGPU_OK;
}

/* ---- a flat JSON object reader ------------------------------------------------ */

static const char *ws(const char *p) {
    while (isspace((unsigned char)*p)) p++;
    return p;
}

/* Reads a JSON string at p (after the quote is checked) into buf; NULL on error. */
static const char *read_str(const char *p, char *buf, size_t cap) {
    if (*p++ != '"') return NULL;
    size_t n = 0;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\') {
            c = *p++;
            if (c == 'u') {
                unsigned v;
                if (sscanf(p, "%4x", &v) != 1) return NULL;
                p += 4;
                c = v < 0x80 ? (char)v : '?';
            } else if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c != '"' && c != '\\' && c != '/') return NULL;
        }
        if (n + 1 < cap) buf[n++] = c;
    }
    if (*p != '"') return NULL;
    buf[n] = '\0';
    return p + 1;
}

/* Parses one line into vals[N_FIELDS]; 0 when well formed with every field. */
static int parse_line(const char *line, char vals[][512]) {
    int seen[N_FIELDS] = {0};
    const char *p = ws(line);
    if (*p++ != '{') return -1;
    for (;;) {
        char key[64], val[512];
        p = ws(p);
        if (!(p = read_str(p, key, sizeof key))) return -1;
        p = ws(p);
        if (*p++ != ':') return -1;
        p = ws(p);
        if (*p == '"') {
            if (!(p = read_str(p, val, sizeof val))) return -1;
        } else {
            size_t n = strcspn(p, ",} \t\r\n");
            if (n == 0 || n >= sizeof val) return -1;
            memcpy(val, p, n);
            val[n] = '\0';
            p += n;
        }
        for (int i = 0; i < N_FIELDS; i++)
            if (strcmp(key, FIELDS[i]) == 0) {
                memcpy(vals[i], val, sizeof val);
                seen[i] = 1;
            }
        p = ws(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p++ != '}') return -1;
        break;
    }
    if (*ws(p)) return -1;
    for (int i = 0; i < N_FIELDS; i++)
        if (!seen[i] && i != F_STALE) return -1;
    return 0;
}

static int num(const char *s, double *v) {
    char *end;
    *v = strtod(s, &end);
    return end != s && !*end;
}

/* Imports one parsed row unless the DB holds a better one; *wrote = 1 when written. */
static nngpu_status import_row(ng_db *db, char vals[][512], int *wrote) {
    ng_db_key key = {{vals[0], vals[1], vals[2], vals[3], vals[4]}, vals[5], 0, vals[7], 0};
    ng_db_entry e;
    memset(&e, 0, sizeof e);
    double space, best, def, cand, ts, stale = 0;
    char *end;
    key.source_hash = strtoull(vals[F_HASH], &end, 16);
    if (*end || !*vals[F_HASH] || !num(vals[F_SPACE], &space) || space < 1 ||
        !num(vals[F_BEST], &best) || !num(vals[F_DEF], &def) || !num(vals[F_CAND], &cand) ||
        !num(vals[F_TS], &ts) || (*vals[F_STALE] && !num(vals[F_STALE], &stale)) ||
        ng_db_params_parse(vals[9], &e) != 0)
        return NNGPU_ERR_PARSE;
    key.space_version = (int)space;
    e.best_ms = best;
    e.default_ms = def;
    e.candidates_tried = (int)cand;
    e.timestamp = (int64_t)ts;
    snprintf(e.nngpu_version, sizeof e.nngpu_version, "%s", vals[F_VER]);

    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT best_ms, stale FROM results WHERE backend=:backend AND "
                           "vendor=:vendor AND device=:device AND driver=:driver AND "
                           "device_type=:dtype AND family=:family AND source_hash=:hash AND "
                           "signature=:sig AND space_version=:space",
                           -1, &st, NULL) != SQLITE_OK)
        return ng_db_fail(db, "preparing the import");
    ng_db_bind_key(st, &key);
    int keep_old = 0, rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        double old_best = sqlite3_column_double(st, 0);
        int old_stale = sqlite3_column_int(st, 1);
        keep_old = old_stale != (stale != 0) ? !old_stale : old_best <= best;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ng_db_fail(db, "importing");
    *wrote = 0;
    if (keep_old) return NNGPU_OK;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT OR REPLACE INTO results(backend, vendor, device, driver, "
                           "device_type, family, source_hash, signature, space_version, params, "
                           "best_ms, default_ms, candidates, timestamp, nngpu_version, stale) "
                           "VALUES(:backend, :vendor, :device, :driver, :dtype, :family, :hash, "
                           ":sig, :space, :params, :best, :def, :cand, :ts, :ver, :stale)",
                           -1, &st, NULL) != SQLITE_OK)
        return ng_db_fail(db, "preparing the import");
    ng_db_bind_key(st, &key);
    ng_db_bind_entry(st, &e, stale != 0);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return ng_db_fail(db, "importing");
    *wrote = 1;
    return NNGPU_OK;
}

nngpu_status ng_db_import(ng_db *db, FILE *in, int *imported) {
    *imported = 0;
    if (!db->writable)
        return ng_error(NNGPU_ERR_INVALID_ARG, "tuning database %s: opened read-only", db->path);
    if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ng_db_fail(db, "starting the import");
    char vals[N_FIELDS][512];
    char line[8192];
    int lineno = 0;
    nngpu_status s = NNGPU_OK;
    while (s == NNGPU_OK && fgets(line, sizeof line, in)) {
        lineno++;
        if (!*ws(line)) continue;
        int wrote = 0;
        memset(vals, 0, sizeof vals);
        if (!strchr(line, '\n') && !feof(in))
            s = ng_error(NNGPU_ERR_PARSE, "tuning import: line %d is too long", lineno);
        else if (parse_line(line, vals) != 0)
            s = ng_error(NNGPU_ERR_PARSE, "tuning import: line %d is not a result object", lineno);
        else if ((s = import_row(db, vals, &wrote)) == NNGPU_ERR_PARSE)
            s = ng_error(NNGPU_ERR_PARSE, "tuning import: line %d has a bad value", lineno);
        *imported += wrote;
    }
    /* Rows before a bad line stay imported. */
    if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        nngpu_status c = ng_db_fail(db, "committing the import");
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        *imported = 0;
        return c;
    }
    return s;
}
