/* The tuning DB as sessions see it: the path they read, one read-only handle
 * per file kept for the process (opened on first use, thread-safe), and the
 * kernel-source hash that keys a family's results. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "autotune/db.h"
#include "core/hash.h"
#include "core/status.h"
#include "opencl/cl_source_hash.h"
#include "params.h"

typedef struct db_slot {
    char path[1024];
    dev_t dev;
    ino_t ino;
    ng_db *db;
    struct db_slot *next;
} db_slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static db_slot *slots; /* never freed: handles live as long as the process */

uint64_t ng_params_source_hash(const nngpu_device_info *dev, const char *family) {
    if (dev->backend == NNGPU_BACKEND_OPENCL) {
        uint64_t h = ng_cl_family_source_hash(family);
        if (h) return h;
    }
    /* Families without a known source file: their name and the nngpu version. */
    return ng_hash_str(ng_hash_str(NG_HASH_INIT, family), NNGPU_VERSION);
}

/* The path a session reads, or NULL: options, $NNGPU_TUNING_DB, the default
 * file when it exists. A missing file is no DB. */
static const char *session_path(const char *opt_path, struct stat *sb) {
    const char *path = opt_path && *opt_path ? opt_path : ng_db_default_path();
    if (!path || stat(path, sb) != 0) return NULL;
    return path;
}

nngpu_status ng_params_db_get(const char *opt_path, ng_db **out) {
    *out = NULL;
    struct stat sb;
    const char *path = session_path(opt_path, &sb);
    if (!path) return NNGPU_OK;
    pthread_mutex_lock(&lock);
    for (db_slot *s = slots; s; s = s->next)
        if (strcmp(s->path, path) == 0 && s->dev == sb.st_dev && s->ino == sb.st_ino) {
            *out = s->db;
            pthread_mutex_unlock(&lock);
            return NNGPU_OK;
        }
    /* First use of this file (or it was replaced): open it read-only. */
    ng_db *db = NULL;
    nngpu_status st = ng_db_open(path, 0, &db);
    if (st == NNGPU_ERR_NOT_FOUND) st = NNGPU_OK; /* removed meanwhile */
    db_slot *s = st == NNGPU_OK && db ? calloc(1, sizeof *s) : NULL;
    if (s) {
        snprintf(s->path, sizeof s->path, "%s", path);
        s->dev = sb.st_dev;
        s->ino = sb.st_ino;
        s->db = db;
        s->next = slots;
        slots = s;
        *out = db;
    } else if (db) {
        ng_db_close(db);
    }
    pthread_mutex_unlock(&lock);
    return st;
}

/* Parameter names read from the DB, kept for the process (p->name points at them). */
static const char *intern(const char *name) {
    static pthread_mutex_t ilock = PTHREAD_MUTEX_INITIALIZER;
    static char names[64][24];
    static int n;
    const char *r = NULL;
    pthread_mutex_lock(&ilock);
    for (int i = 0; i < n && !r; i++)
        if (strcmp(names[i], name) == 0) r = names[i];
    if (!r && n < 64) {
        snprintf(names[n], sizeof names[n], "%s", name);
        r = names[n++];
    }
    pthread_mutex_unlock(&ilock);
    return r;
}

const char *ng_params_db_apply(const nngpu_device_info *dev, const char *db_path,
                               const char *family, const char *signature, ng_params *p) {
    ng_db *db = NULL;
    if (!dev || ng_params_db_get(db_path, &db) != NNGPU_OK || !db) return NULL;
    ng_db_key key;
    memset(&key, 0, sizeof key);
    ng_db_device_of(dev, &key.dev);
    key.family = family;
    key.source_hash = ng_params_source_hash(dev, family);
    key.signature = signature ? signature : "";
    ng_db_entry e;
    ng_db_match m = NG_DB_NONE;
    if (ng_db_lookup(db, &key, &e, &m) != NNGPU_OK || m == NG_DB_NONE || e.params.n == 0)
        return NULL;
    for (int i = 0; i < e.params.n; i++) {
        const char *name = intern(e.params.name[i]);
        if (name) ng_params_set(p, name, e.params.value[i]);
    }
    return m == NG_DB_EXACT ? "db:exact" : m == NG_DB_STALE ? "db:stale" : "db:vendor";
}
