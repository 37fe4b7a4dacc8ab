/* Shared by the tuning DB's files (db_open.c, db.c, db_json.c). */
#ifndef NG_DB_INTERNAL_H
#define NG_DB_INTERNAL_H

#include <sqlite3.h>

#include "db.h"

struct ng_db {
    sqlite3 *h;
    int writable;
    int empty;        /* read-only view of a file with no schema yet: no rows */
    char path[1024];
};

/* Status for a failed SQLite call on db, naming the file and what was done. */
nngpu_status ng_db_fail(ng_db *db, const char *what);
/* Binds every named key parameter the statement has (:backend :vendor
 * :device :driver :dtype :family :hash :sig :space). */
void ng_db_bind_key(sqlite3_stmt *st, const ng_db_key *key);
/* e's params as text, names from e->names where set. */
void ng_db_entry_format(const ng_db_entry *e, char *buf, size_t cap);
/* Binds :params :best :def :cand :ts :ver :stale from e. */
void ng_db_bind_entry(sqlite3_stmt *st, const ng_db_entry *e, int stale);

#endif
