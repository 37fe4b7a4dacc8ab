/* Tuning DB and program binary cache: create/open/lookup/store, every
 * lookup fallback, stale entries, concurrent and killed writers, corrupt and
 * foreign files (error, file untouched), export/import, the session hook
 * (ng_params_lookup) and the OpenCL binary cache on disk. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../autotune/db.h"
#include "core/status.h"
#include "opencl/cl_binary_cache.h"
#include "opencl/cl_internal.h"
#include "runtime/params.h"

static int passed, failed;

#define EXPECT(cond, ...)                                                                      \
    do {                                                                                       \
        if (cond) {                                                                            \
            passed++;                                                                          \
        } else {                                                                               \
            failed++;                                                                          \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond);                  \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, " (last error: %s)\n", nngpu_last_error());                        \
        }                                                                                      \
    } while (0)

static char dir[] = "/tmp/nngpu_test_tuning_db_XXXXXX";

static void path_of(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", dir, name);
}

static ng_db_key key_of(const char *dev, const char *driver, const char *family, const char *sig,
                        uint64_t hash, int space) {
    ng_db_key k = {{"opencl", "ACME", dev, driver, "gpu"}, family, hash, sig, space};
    return k;
}

static ng_db_entry entry_of(int tile, int wg, double best) {
    ng_db_entry e;
    memset(&e, 0, sizeof e);
    ng_params p = {0};
    ng_params_set(&p, "TILE", tile);
    ng_params_set(&p, "WG", wg);
    ng_db_entry_set_params(&e, &p);
    e.best_ms = best;
    e.default_ms = best * 2;
    e.candidates_tried = 17;
    return e;
}

static int lookup(ng_db *db, ng_db_key k, ng_db_entry *e) {
    ng_db_match m = NG_DB_NONE;
    if (ng_db_lookup(db, &k, e, &m) != NNGPU_OK) return -1;
    return (int)m;
}

static long count_rows(const char *path) {
    sqlite3 *h;
    long n = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM results", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return n;
}

/* ---- basics and fallbacks ------------------------------------------------------ */

static void test_basics(void) {
    char path[512];
    path_of(path, sizeof path, "new/sub/tuning.db"); /* the folder does not exist yet */
    ng_db *db = NULL;
    EXPECT(ng_db_open(path, 0, &db) == NNGPU_ERR_NOT_FOUND, "read-only open of a missing file");
    EXPECT(ng_db_open(path, 1, &db) == NNGPU_OK && db, "create %s", path);
    if (!db) return;
    ng_db_entry e;
    ng_db_key k = key_of("Card 9", "1.0", "gemm", "M=64,N=64,K=64,B=1", 0x1234, 2);
    EXPECT(lookup(db, k, &e) == NG_DB_NONE, "empty DB has nothing");
    ng_db_entry in = entry_of(8, 64, 1.5);
    EXPECT(ng_db_store(db, &k, &in) == NNGPU_OK, "store");
    EXPECT(lookup(db, k, &e) == NG_DB_EXACT, "exact");
    EXPECT(ng_params_get(&e.params, "TILE", 0) == 8 && ng_params_get(&e.params, "WG", 0) == 64,
           "params back");
    EXPECT(e.best_ms == 1.5 && e.default_ms == 3.0 && e.candidates_tried == 17 && e.timestamp > 0 &&
               strcmp(e.nngpu_version, NNGPU_VERSION) == 0,
           "values back");
    ng_db_key any = k;
    any.space_version = 0;
    EXPECT(lookup(db, any, &e) == NG_DB_EXACT && e.space_version == 2, "space 0: any");
    /* Replacing keeps one row. */
    in = entry_of(16, 128, 1.0);
    EXPECT(ng_db_store(db, &k, &in) == NNGPU_OK, "store again");
    EXPECT(lookup(db, k, &e) == NG_DB_EXACT && ng_params_get(&e.params, "TILE", 0) == 16,
           "replaced");
    /* A newer space version wins an "any" lookup. */
    ng_db_key k3 = k;
    k3.space_version = 3;
    in = entry_of(4, 32, 2.0);
    ng_db_store(db, &k3, &in);
    EXPECT(lookup(db, any, &e) == NG_DB_EXACT && e.space_version == 3 &&
               ng_params_get(&e.params, "TILE", 0) == 4,
           "newest space version");
    /* Rejections. */
    ng_params cand = {0};
    ng_params_set(&cand, "TILE", 32);
    EXPECT(!ng_db_is_rejected(db, &k, &cand), "not rejected yet");
    EXPECT(ng_db_reject(db, &k, &cand, "wrong output") == NNGPU_OK, "reject");
    EXPECT(ng_db_is_rejected(db, &k, &cand), "rejected");
    ng_params_set(&cand, "TILE", 64);
    EXPECT(!ng_db_is_rejected(db, &k, &cand), "another candidate is not");
    ng_db_close(db);
    /* Reopen: still there; read-only handles cannot write. */
    EXPECT(ng_db_open(path, 0, &db) == NNGPU_OK, "reopen read-only");
    if (!db) return;
    EXPECT(lookup(db, k, &e) == NG_DB_EXACT, "persisted");
    EXPECT(ng_db_store(db, &k, &in) != NNGPU_OK, "read-only store refused");
    ng_db_close(db);
}

static void test_fallbacks(void) {
    char path[512];
    path_of(path, sizeof path, "fallback.db");
    ng_db *db = NULL;
    EXPECT(ng_db_open(path, 1, &db) == NNGPU_OK, "create");
    if (!db) return;
    ng_db_entry e, in;
    const char *sig = "N=1,C=32,H=56,W=56,K=64,k=3x3,s=1x1";
    ng_db_key k = key_of("Card 9", "2.0", "conv_direct", sig, 77, 1);
    in = entry_of(4, 64, 1.0);
    ng_db_store(db, &k, &in);
    /* Another driver: stale. */
    ng_db_key other_drv = key_of("Card 9", "3.0", "conv_direct", sig, 77, 1);
    EXPECT(lookup(db, other_drv, &e) == NG_DB_STALE && ng_params_get(&e.params, "TILE", 0) == 4,
           "other driver comes back stale");
    /* Another kernel source: stale. */
    ng_db_key other_src = key_of("Card 9", "2.0", "conv_direct", sig, 78, 1);
    EXPECT(lookup(db, other_src, &e) == NG_DB_STALE, "other source hash comes back stale");
    /* Marked stale. */
    EXPECT(ng_db_mark_stale(db, &k) == NNGPU_OK, "mark stale");
    EXPECT(lookup(db, k, &e) == NG_DB_STALE && e.stale, "marked row comes back stale");
    in = entry_of(4, 64, 0.9);
    ng_db_store(db, &k, &in); /* revalidated by the tuner */
    EXPECT(lookup(db, k, &e) == NG_DB_EXACT && !e.stale, "store clears stale");
    /* Same vendor and type, other device, nearest signature. */
    ng_db_key far = key_of("Card 7", "1.0", "conv_direct", "N=1,C=512,H=7,W=7,K=512,k=3x3,s=1x1",
                           1, 1);
    in = entry_of(2, 16, 1.0);
    ng_db_store(db, &far, &in);
    ng_db_key near = key_of("Card 7", "1.0", "conv_direct",
                            "N=1,C=32,H=64,W=64,K=64,k=3x3,s=1x1", 1, 1);
    in = entry_of(8, 256, 1.0);
    ng_db_store(db, &near, &in);
    ng_db_key q = key_of("Card 8", "5.0", "conv_direct", "N=1,C=32,H=60,W=60,K=48,k=3x3,s=1x1",
                         99, 1);
    EXPECT(lookup(db, q, &e) == NG_DB_VENDOR && ng_params_get(&e.params, "TILE", 0) == 8 &&
               strcmp(e.signature, near.signature) == 0,
           "nearest signature (got %s)", e.signature);
    ng_db_key q2 = key_of("Card 8", "5.0", "conv_direct", "N=1,C=400,H=8,W=8,K=500,k=3x3,s=1x1",
                          99, 1);
    EXPECT(lookup(db, q2, &e) == NG_DB_VENDOR && ng_params_get(&e.params, "TILE", 0) == 2,
           "nearest signature, the other one (got %s)", e.signature);
    /* Other kinds of signature, other family, other vendor or type: none. */
    ng_db_key q3 = key_of("Card 8", "5.0", "conv_direct", "M=32,N=32,K=32", 99, 1);
    EXPECT(lookup(db, q3, &e) == NG_DB_NONE, "other signature kind");
    ng_db_key q4 = key_of("Card 8", "5.0", "gemm", sig, 99, 1);
    EXPECT(lookup(db, q4, &e) == NG_DB_NONE, "other family");
    ng_db_key q5 = q;
    q5.dev.vendor = "Other Corp";
    EXPECT(lookup(db, q5, &e) == NG_DB_NONE, "other vendor");
    ng_db_key q6 = q;
    q6.dev.device_type = "cpu";
    EXPECT(lookup(db, q6, &e) == NG_DB_NONE, "other device type");
    ng_db_key q7 = q;
    q7.space_version = 2;
    EXPECT(lookup(db, q7, &e) == NG_DB_NONE, "other space version");
    ng_db_close(db);

    /* Signature distance. */
    EXPECT(ng_db_signature_distance("M=8,N=8", "M=8,N=8") == 0, "same");
    EXPECT(fabs(ng_db_signature_distance("M=7,N=8", "M=15,N=8") - log(2)) < 1e-12, "log distance");
    EXPECT(ng_db_signature_distance("M=8,N=8", "M=8,K=8") < 0, "other names");
    EXPECT(ng_db_signature_distance("M=8,d=f32", "M=8,d=f16") < 0, "other text value");
    EXPECT(ng_db_signature_distance("k=3x3", "k=3") < 0, "other number count");
    EXPECT(ng_db_signature_distance("k=3x3", "k=5x5") > 0, "numbers in values");
}

/* ---- concurrent and killed writers ------------------------------------------ */

static int store_many(const char *path, const char *dev, int n, int ack_fd) {
    ng_db *db = NULL;
    if (ng_db_open(path, 1, &db) != NNGPU_OK) {
        fprintf(stderr, "child: %s\n", nngpu_last_error());
        return 1;
    }
    for (int i = 0; n < 0 || i < n; i++) {
        char sig[64];
        snprintf(sig, sizeof sig, "M=%d", i);
        ng_db_key k = key_of(dev, "1", "gemm", sig, 5, 1);
        ng_db_entry e = entry_of(i, 1, 1.0);
        if (ng_db_store(db, &k, &e) != NNGPU_OK) {
            fprintf(stderr, "child: %s\n", nngpu_last_error());
            return 1;
        }
        if (ack_fd >= 0 && write(ack_fd, &i, sizeof i) != sizeof i) return 1;
    }
    ng_db_close(db);
    return 0;
}

static void test_concurrent(void) {
    char path[512];
    path_of(path, sizeof path, "concurrent.db");
    const int n = 150;
    pid_t pids[2];
    for (int c = 0; c < 2; c++) {
        pids[c] = fork();
        if (pids[c] == 0) _exit(store_many(path, c ? "B" : "A", n, -1));
    }
    int ok = 1;
    for (int c = 0; c < 2; c++) {
        int status = 0;
        waitpid(pids[c], &status, 0);
        ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    EXPECT(ok, "both writers succeed");
    EXPECT(count_rows(path) == 2 * n, "no store lost: %ld rows of %d", count_rows(path), 2 * n);
}

static void test_killed(void) {
    char path[512];
    path_of(path, sizeof path, "killed.db");
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        _exit(store_many(path, "K", -1, fds[1]));
    }
    close(fds[1]);
    int last = -1, v;
    while (last < 40 && read(fds[0], &v, sizeof v) == sizeof v) last = v;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    while (read(fds[0], &v, sizeof v) == sizeof v) last = v; /* acks already sent */
    close(fds[0]);
    ng_db *db = NULL;
    EXPECT(ng_db_open(path, 1, &db) == NNGPU_OK, "reopen after SIGKILL");
    if (!db) return;
    int missing = 0;
    for (int i = 0; i <= last; i++) {
        char sig[64];
        snprintf(sig, sizeof sig, "M=%d", i);
        ng_db_entry e;
        if (lookup(db, key_of("K", "1", "gemm", sig, 5, 1), &e) != NG_DB_EXACT) missing++;
    }
    EXPECT(last >= 40 && missing == 0, "every committed result kept (%d missing of %d)", missing,
           last + 1);
    ng_db_close(db);
}

/* ---- corrupt and foreign files -------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc(len > 0 ? (size_t)len : 1);
    *n = d ? fread(d, 1, (size_t)len, f) : 0;
    fclose(f);
    return d;
}

static void spit(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(d, 1, n, f);
        fclose(f);
    }
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Opening path (every way) fails naming it and leaves it byte-identical. */
static void expect_rejected(const char *path, const char *what) {
    size_t n0 = 0, n1 = 0;
    unsigned char *before = slurp(path, &n0);
    for (int writable = 0; writable < 2; writable++) {
        ng_db *db = NULL;
        nngpu_status s = ng_db_open(path, writable, &db);
        EXPECT(s == NNGPU_ERR_PARSE && !db && strstr(nngpu_last_error(), path),
               "%s (writable=%d): status %d", what, writable, (int)s);
        if (db) ng_db_close(db);
    }
    ng_db *db = NULL;
    EXPECT(ng_params_db_get(path, &db) == NNGPU_ERR_PARSE && !db &&
               strstr(nngpu_last_error(), path),
           "%s: sessions refuse it", what);
    unsigned char *after = slurp(path, &n1);
    EXPECT(before && after && n0 == n1 && memcmp(before, after, n0) == 0,
           "%s: file left byte-identical", what);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    EXPECT(!exists(wal), "%s: no WAL created beside it", what);
    free(before);
    free(after);
}

static void test_corrupt(void) {
    char path[512];
    /* Random bytes. */
    path_of(path, sizeof path, "random.db");
    unsigned char junk[8192];
    srand(1234);
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)rand();
    spit(path, junk, sizeof junk);
    expect_rejected(path, "random bytes");
    /* Text. */
    path_of(path, sizeof path, "text.db");
    spit(path, "hello, this is not a database\n", 30);
    expect_rejected(path, "a text file");

    /* A truncated DB: a valid one with enough rows for several pages, cut in half. */
    path_of(path, sizeof path, "truncated.db");
    ng_db *db = NULL;
    if (ng_db_open(path, 1, &db) == NNGPU_OK) {
        for (int i = 0; i < 400; i++) {
            char sig[96];
            snprintf(sig, sizeof sig, "M=%d,N=%d,K=%d,a_fairly_long_field_name=%d", i, i, i, i);
            ng_db_key k = key_of("T", "1", "gemm", sig, 5, 1);
            ng_db_entry e = entry_of(i, 1, 1.0);
            ng_db_store(db, &k, &e);
        }
        ng_db_close(db); /* checkpoints the WAL into the file */
    }
    size_t n = 0;
    unsigned char *whole = slurp(path, &n);
    EXPECT(whole && n > 16384, "a DB of several pages (%zu bytes)", n);
    if (whole) {
        spit(path, whole, n / 2);
        expect_rejected(path, "a truncated DB");
        free(whole);
    }

    /* Foreign SQLite DBs: no application id, another application id. */
    const char *sqls[] = {"CREATE TABLE results(x); INSERT INTO results VALUES(1);",
                          "PRAGMA application_id=42; CREATE TABLE t(x);",
                          "PRAGMA application_id=1313231938; PRAGMA user_version=99; "
                          "CREATE TABLE t(x);"};
    const char *names[] = {"foreign1.db", "foreign2.db", "newer_schema.db"};
    for (int i = 0; i < 3; i++) {
        path_of(path, sizeof path, names[i]);
        sqlite3 *h;
        sqlite3_open(path, &h);
        sqlite3_exec(h, sqls[i], NULL, NULL, NULL);
        sqlite3_close(h);
        expect_rejected(path, names[i]);
    }

    /* An empty file is an empty DB (nothing to lose). */
    path_of(path, sizeof path, "empty.db");
    spit(path, "", 0);
    EXPECT(ng_db_open(path, 0, &db) == NNGPU_OK, "empty file opens read-only");
    if (db) {
        ng_db_entry e;
        EXPECT(lookup(db, key_of("X", "1", "gemm", "M=1", 1, 1), &e) == NG_DB_NONE,
               "and has nothing");
        ng_db_close(db);
    }
    EXPECT(ng_db_open(path, 1, &db) == NNGPU_OK, "empty file becomes a DB");
    if (db) ng_db_close(db);
}

/* ---- export / import ------------------------------------------------------------ */

static void test_export_import(void) {
    char a[512], b[512], x1[512], x2[512];
    path_of(a, sizeof a, "export_a.db");
    path_of(b, sizeof b, "export_b.db");
    path_of(x1, sizeof x1, "a.jsonl");
    path_of(x2, sizeof x2, "b.jsonl");
    ng_db *da = NULL, *dbb = NULL;
    if (ng_db_open(a, 1, &da) != NNGPU_OK || ng_db_open(b, 1, &dbb) != NNGPU_OK) {
        EXPECT(0, "open");
        return;
    }
    for (int i = 0; i < 5; i++) {
        char sig[64];
        snprintf(sig, sizeof sig, "M=%d,name=\"q\\%d\"", i, i); /* quotes and backslashes */
        ng_db_key k = key_of("Card \"1\"", "1.0", i % 2 ? "gemm" : "conv_direct", sig,
                             0xfedcba9876543210ull, 1);
        ng_db_entry e = entry_of(i + 1, 64, 1.0 + i);
        ng_db_store(da, &k, &e);
    }
    ng_db_key sk = key_of("Card 1", "1.0", "gemm", "M=1", 3, 1);
    ng_db_entry se = entry_of(2, 2, 0.5);
    ng_db_store(da, &sk, &se);
    ng_db_mark_stale(da, &sk);
    FILE *f = fopen(x1, "w");
    EXPECT(f && ng_db_export(da, f) == NNGPU_OK, "export");
    if (f) fclose(f);
    int imported = 0;
    f = fopen(x1, "r");
    EXPECT(f && ng_db_import(dbb, f, &imported) == NNGPU_OK && imported == 6, "import %d",
           imported);
    if (f) fclose(f);
    f = fopen(x2, "w");
    if (f) {
        ng_db_export(dbb, f);
        fclose(f);
    }
    size_t n1 = 0, n2 = 0;
    unsigned char *t1 = slurp(x1, &n1), *t2 = slurp(x2, &n2);
    EXPECT(t1 && t2 && n1 == n2 && n1 > 0 && memcmp(t1, t2, n1) == 0, "round trip identical");
    free(t1);
    free(t2);
    ng_db_entry e;
    EXPECT(lookup(dbb, sk, &e) == NG_DB_STALE, "stale flag survives the round trip");

    /* Import keeps the faster entry. */
    ng_db_key k = key_of("Card 2", "1.0", "gemm", "M=9", 7, 1);
    ng_db_entry mid = entry_of(4, 4, 2.0);
    ng_db_store(dbb, &k, &mid);
    ng_db_entry fast = entry_of(8, 8, 1.0), slow = entry_of(16, 16, 3.0);
    ng_db *tmp = NULL;
    char tp[512];
    path_of(tp, sizeof tp, "export_tmp.db");
    ng_db_open(tp, 1, &tmp);
    if (tmp) {
        ng_db_store(tmp, &k, &slow);
        f = fopen(x1, "w");
        ng_db_export(tmp, f);
        fclose(f);
        f = fopen(x1, "r");
        ng_db_import(dbb, f, &imported);
        fclose(f);
        EXPECT(imported == 0 && lookup(dbb, k, &e) == NG_DB_EXACT &&
                   ng_params_get(&e.params, "TILE", 0) == 4,
               "a slower import loses");
        ng_db_store(tmp, &k, &fast);
        f = fopen(x1, "w");
        ng_db_export(tmp, f);
        fclose(f);
        f = fopen(x1, "r");
        ng_db_import(dbb, f, &imported);
        fclose(f);
        EXPECT(imported == 1 && lookup(dbb, k, &e) == NG_DB_EXACT &&
                   ng_params_get(&e.params, "TILE", 0) == 8 && e.best_ms == 1.0,
               "a faster import wins");
        ng_db_close(tmp);
    }
    /* A malformed line: an error naming it; earlier lines stay. */
    f = fopen(x1, "w");
    fprintf(f, "{\"backend\":\"opencl\",\"vendor\":\"V\",\"device\":\"D\",\"driver\":\"1\","
               "\"device_type\":\"gpu\",\"family\":\"gemm\",\"source_hash\":\"00000000000000ff\","
               "\"signature\":\"M=1\",\"space_version\":1,\"params\":\"A=1\",\"best_ms\":1,"
               "\"default_ms\":2,\"candidates\":3,\"timestamp\":4,\"nngpu_version\":\"0.1.0\"}\n"
               "{\"backend\": oops}\n");
    fclose(f);
    f = fopen(x1, "r");
    nngpu_status s = ng_db_import(dbb, f, &imported);
    fclose(f);
    EXPECT(s == NNGPU_ERR_PARSE && strstr(nngpu_last_error(), "line 2") && imported == 1,
           "malformed line 2");
    ng_db_key vk = {{"opencl", "V", "D", "1", "gpu"}, "gemm", 0xff, "M=1", 1};
    EXPECT(lookup(dbb, vk, &e) == NG_DB_EXACT, "line 1 kept");
    ng_db_close(da);
    ng_db_close(dbb);
}

/* ---- the session hook ----------------------------------------------------------------- */

static void test_params_hook(void) {
    char path[512];
    path_of(path, sizeof path, "hook.db");
    nngpu_device_info dev;
    memset(&dev, 0, sizeof dev);
    dev.backend = NNGPU_BACKEND_OPENCL;
    snprintf(dev.name, sizeof dev.name, "Hook Card");
    snprintf(dev.vendor, sizeof dev.vendor, "ACME");
    snprintf(dev.driver_version, sizeof dev.driver_version, "4.2");
    snprintf(dev.device_type, sizeof dev.device_type, "gpu");
    ng_params p = {0};
    ng_params_set(&p, "TILE", 1);
    ng_params_lookup(&dev, path, "gemm", "M=32,N=32", &p);
    EXPECT(strcmp(p.source, "default") == 0 && ng_params_get(&p, "TILE", 0) == 1,
           "no DB file: defaults (%s)", p.source);
    EXPECT(!exists(path), "sessions never create the DB");

    ng_db *db = NULL;
    if (ng_db_open(path, 1, &db) != NNGPU_OK) return;
    ng_db_key k;
    memset(&k, 0, sizeof k);
    ng_db_device_of(&dev, &k.dev);
    k.family = "gemm";
    k.source_hash = ng_params_source_hash(&dev, "gemm");
    k.signature = "M=32,N=32";
    k.space_version = 1;
    ng_db_entry e = entry_of(8, 128, 1.0);
    ng_db_store(db, &k, &e);
    k.signature = "M=1000,N=1000";
    e = entry_of(32, 256, 1.0);
    ng_db_store(db, &k, &e);
    ng_db_close(db);

    p = (ng_params){0};
    ng_params_set(&p, "TILE", 1);
    ng_params_lookup(&dev, path, "gemm", "M=32,N=32", &p);
    EXPECT(strcmp(p.source, "db:exact") == 0 && ng_params_get(&p, "TILE", 0) == 8 &&
               ng_params_get(&p, "WG", 0) == 128,
           "db:exact (%s)", p.source);
    p = (ng_params){0};
    snprintf(dev.driver_version, sizeof dev.driver_version, "4.3");
    ng_params_lookup(&dev, path, "gemm", "M=32,N=32", &p);
    EXPECT(strcmp(p.source, "db:stale") == 0 && ng_params_get(&p, "TILE", 0) == 8, "db:stale (%s)",
           p.source);
    p = (ng_params){0};
    snprintf(dev.name, sizeof dev.name, "Hook Card 2");
    ng_params_lookup(&dev, path, "gemm", "M=900,N=800", &p);
    EXPECT(strcmp(p.source, "db:vendor") == 0 && ng_params_get(&p, "TILE", 0) == 32,
           "db:vendor (%s)", p.source);
    p = (ng_params){0};
    ng_params_set(&p, "TILE", 1);
    ng_params_lookup(&dev, path, "conv_direct", "M=900,N=800", &p);
    EXPECT(strcmp(p.source, "default") == 0 && ng_params_get(&p, "TILE", 0) == 1,
           "other family: default (%s)", p.source);
    /* $NNGPU_TUNING_DB when options give none; NNGPU_PARAMS still overrides. */
    setenv("NNGPU_TUNING_DB", path, 1);
    p = (ng_params){0};
    ng_params_lookup(&dev, NULL, "gemm", "M=900,N=800", &p);
    EXPECT(strcmp(p.source, "db:vendor") == 0, "$NNGPU_TUNING_DB (%s)", p.source);
    setenv("NNGPU_PARAMS", "gemm:TILE=2", 1);
    p = (ng_params){0};
    ng_params_lookup(&dev, NULL, "gemm", "M=900,N=800", &p);
    EXPECT(strcmp(p.source, "env") == 0 && ng_params_get(&p, "TILE", 0) == 2, "env wins (%s)",
           p.source);
    unsetenv("NNGPU_PARAMS");
    unsetenv("NNGPU_TUNING_DB");
    /* Source hashes: per family file; conv_direct and conv_depthwise share conv.cl. */
    EXPECT(ng_params_source_hash(&dev, "gemm") != ng_params_source_hash(&dev, "conv_direct") &&
               ng_params_source_hash(&dev, "conv_direct") ==
                   ng_params_source_hash(&dev, "conv_depthwise"),
           "source hashes");
}

/* ---- the OpenCL binary cache ----------------------------------------------------------- */

/* Files in cl_dir whose name holds ext (not temporaries); one of them into `one`. */
static int count_files(const char *cl_dir, const char *ext, char *one, size_t cap) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s 2>/dev/null", cl_dir);
    FILE *p = popen(cmd, "r");
    int n = 0;
    char line[512];
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        if (strstr(line, ext) && !strstr(line, ".tmp")) {
            n++;
            snprintf(one, cap, "%s/%s", cl_dir, line);
        }
    }
    if (p) pclose(p);
    return n;
}

static int count_bins(const char *cl_dir, char *one, size_t cap) {
    return count_files(cl_dir, ".bin", one, cap);
}

/* Builds data.cl's copy_contig in a fresh context, as a new process would
 * (forgetting this process's stamps) unless same_process; 0 on success. */
static int build_in(int same_process, const char *opts) {
    if (ng_backend_opencl.device_count() < 1) return -1;
    if (!same_process) ng_cl_binary_forget_stamps();
    ng_context *c = NULL;
    if (ng_backend_opencl.context_create(0, NULL, &c) != NNGPU_OK) return -1;
    cl_kernel k = NULL;
    nngpu_status s = ng_cl_kernel_create(c, "data.cl", "copy_contig", opts, &k);
    if (k) clReleaseKernel(k);
    ng_backend_opencl.context_destroy(c);
    return s == NNGPU_OK ? 0 : -1;
}

static int build_once(const char *opts) { return build_in(0, opts); }

static void test_binary_cache(void) {
    if (ng_backend_opencl.device_count() < 1) {
        printf("binary cache: no OpenCL device, skipped\n");
        return;
    }
    char cache[512], cl_dir[600], file[700];
    path_of(cache, sizeof cache, "cache");
    snprintf(cl_dir, sizeof cl_dir, "%s/cl", cache);
    setenv("NNGPU_CACHE_DIR", cache, 1);
    const char *opts = "-DNG_TEST_TUNING_DB=1";
    ng_cl_binary_stats s0 = ng_cl_binary_stats_get();
    EXPECT(build_once(opts) == 0, "cold build");
    EXPECT(build_in(1, opts) == 0, "the same program again in this process");
    ng_cl_binary_stats sa = ng_cl_binary_stats_get();
    EXPECT(sa.stored == s0.stored && count_bins(cl_dir, file, sizeof file) == 0 &&
               count_files(cl_dir, ".seen", file, sizeof file) == 1,
           "one process: a stamp, no binary (%d stored)", sa.stored - s0.stored);
    EXPECT(build_once(opts) == 0, "a later process builds it from source again");
    ng_cl_binary_stats s1 = ng_cl_binary_stats_get();
    EXPECT(s1.stored == s0.stored + 1 && count_bins(cl_dir, file, sizeof file) == 1,
           "then a binary file is written (%d stored)", s1.stored - s0.stored);
    EXPECT(build_once(opts) == 0, "warm build");
    ng_cl_binary_stats s2 = ng_cl_binary_stats_get();
    EXPECT(s2.loaded == s1.loaded + 1 && s2.stored == s1.stored, "second build loads it");

    /* A corrupted file: ignored, rebuilt and rewritten. */
    size_t n = 0;
    unsigned char *d = slurp(file, &n);
    if (d && n > 100) {
        for (size_t i = n / 2; i < n / 2 + 16; i++) d[i] ^= 0x5a;
        spit(file, d, n);
        EXPECT(build_once(opts) == 0, "build over a corrupted file");
        ng_cl_binary_stats s3 = ng_cl_binary_stats_get();
        EXPECT(s3.rejected == s2.rejected + 1 && s3.stored == s2.stored + 1, "corrupt file ignored");
        EXPECT(build_once(opts) == 0, "then loads again");
        ng_cl_binary_stats s4 = ng_cl_binary_stats_get();
        EXPECT(s4.loaded == s3.loaded + 1, "rewritten file loads");
        /* A truncated one. */
        spit(file, d, 40);
        EXPECT(build_once(opts) == 0, "build over a truncated file");
        ng_cl_binary_stats s5 = ng_cl_binary_stats_get();
        EXPECT(s5.rejected == s4.rejected + 1 && s5.stored == s4.stored + 1, "truncated ignored");
    }
    free(d);
    /* Off switch. */
    setenv("NNGPU_NO_CACHE", "1", 1);
    ng_cl_binary_stats s6 = ng_cl_binary_stats_get();
    EXPECT(build_once("-DNG_TEST_TUNING_DB=2") == 0, "build without cache");
    ng_cl_binary_stats s7 = ng_cl_binary_stats_get();
    EXPECT(s7.stored == s6.stored && s7.loaded == s6.loaded &&
               count_bins(cl_dir, file, sizeof file) == 1,
           "NNGPU_NO_CACHE=1 writes nothing");
    unsetenv("NNGPU_NO_CACHE");
    unsetenv("NNGPU_CACHE_DIR");
}

int main(void) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_basics();
    test_fallbacks();
    test_concurrent();
    test_killed();
    test_corrupt();
    test_export_import();
    test_params_hook();
    test_binary_cache();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!failed && !getenv("KEEP") && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
