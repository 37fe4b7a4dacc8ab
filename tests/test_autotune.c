/* Autotuner: search-space constraints, verification rejecting a wrong
 * kernel, the budget, and nntune end to end (resumable) on a tiny model on
 * opencl:0; on vulkan:0 the Vulkan and INT8 families' spaces, a sample of
 * each space's candidates built, run and verified, and a small tune written
 * to a DB. A device that is missing reports "skipped". NNGPU_TUNE_SWEEP=1
 * runs every candidate of every Vulkan space instead of a sample (minutes). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "autotune/budget.h"
#include "autotune/tuner.h"
#include "nngpu/graph.h"

static int passed, failed;
#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (cond) passed++;                                \
        else {                                             \
            failed++;                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
        }                                                  \
    } while (0)

static const char *DEV = "opencl:0";

static float *rand_buf(size_t n) {
    float *p = malloc(n * sizeof(float) + 1);
    for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

/* x[1,C,H,H] -> Conv(k, group) + Relu; or Gemm when k == 0. */
static nngpu_model *layer_model(int c, int h, int k_out, int ks, int group) {
    nngpu_graph *g = nngpu_graph_create();
    int64_t xd[4] = {1, c, h, h}, wd[4] = {k_out, c / group, ks, ks}, bd[1] = {k_out};
    float *w = rand_buf((size_t)(ks ? k_out * c * ks * ks : h * k_out)), *b = rand_buf((size_t)k_out);
    const char *in[3] = {"x", "w", "b"}, *y[1] = {"y"}, *z[1] = {"z"};
    int64_t pads[4] = {ks / 2, ks / 2, ks / 2, ks / 2};
    if (ks == 0) { /* Gemm: x[c, h] x w[h, k_out] + b */
        int64_t ad[2] = {c, h}, gw[2] = {h, k_out};
        nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 2, ad);
        nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 2, gw, w);
        nngpu_graph_add_constant(g, "b", NNGPU_DTYPE_FLOAT32, 1, bd, b);
        nngpu_graph_add_node(g, "Gemm", "fc", 3, in, 1, y);
    } else {
        nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, xd);
        nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 4, wd, w);
        nngpu_graph_add_constant(g, "b", NNGPU_DTYPE_FLOAT32, 1, bd, b);
        nngpu_graph_add_node(g, "Conv", "conv", 3, in, 1, y);
        nngpu_graph_set_attr_ints(g, "pads", 4, pads);
        nngpu_graph_set_attr_int(g, "group", group);
    }
    nngpu_graph_add_node(g, "Relu", "relu", 1, y, 1, z);
    nngpu_graph_add_output(g, "z");
    free(w);
    free(b);
    nngpu_model *m = NULL;
    if (nngpu_model_from_graph(g, &m) != NNGPU_OK) return NULL;
    return m;
}

/* x[1,C,H,H] -> GlobalAveragePool, or MaxPool 3x3 stride 2 (pad 1). */
static nngpu_model *pool_model(int c, int h, int global) {
    nngpu_graph *g = nngpu_graph_create();
    int64_t xd[4] = {1, c, h, h}, k[2] = {3, 3}, st[2] = {2, 2}, pads[4] = {1, 1, 1, 1};
    const char *x[1] = {"x"}, *y[1] = {"y"};
    nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 4, xd);
    nngpu_graph_add_node(g, global ? "GlobalAveragePool" : "MaxPool", "pool", 1, x, 1, y);
    if (!global) {
        nngpu_graph_set_attr_ints(g, "kernel_shape", 2, k);
        nngpu_graph_set_attr_ints(g, "strides", 2, st);
        nngpu_graph_set_attr_ints(g, "pads", 4, pads);
    }
    nngpu_graph_add_output(g, "y");
    nngpu_model *m = NULL;
    if (nngpu_model_from_graph(g, &m) != NNGPU_OK) return NULL;
    return m;
}

/* A new, empty tuning DB at a fresh name made from tmpl ("/tmp/nameXXXXXX"). */
static ng_db *temp_db(char *tmpl) {
    int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    unlink(tmpl);
    ng_db *db = NULL;
    CHECK(ng_db_open(tmpl, 1, &db) == NNGPU_OK, "db open: %s", nngpu_last_error());
    return db;
}

/* Removes DB file path and its SQLite side files. */
static void remove_db(const char *path) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-journal %s-wal %s-shm", path, path, path, path);
    if (system(cmd) != 0) printf("cleanup failed\n");
}

/* The largest shared-memory tile a candidate of a GEMM family stages (bytes). */
static unsigned long long shared_bytes(const ng_params *c) {
    if (!ng_params_get(c, "SHARED", 0)) return 0;
    return 4ull * ng_params_get(c, "TK", 1) *
           (unsigned long long)(ng_params_get(c, "WG_M", 1) * ng_params_get(c, "TM", 1) +
                                ng_params_get(c, "WG_N", 1) * ng_params_get(c, "TN", 1));
}

static void test_spaces(const nngpu_device_info *info, ng_tune_jobs *jobs) {
    for (int j = 0; j < jobs->n; j++) {
        const ng_tune_job *job = &jobs->job[j];
        ng_space sp;
        nngpu_status st = ng_space_init(&sp, job->family, job->signature, info, &job->defaults);
        CHECK(st == NNGPU_OK, "space %s %s: %s", job->family, job->signature, nngpu_last_error());
        if (st != NNGPU_OK) continue;
        ng_params *c;
        int n = ng_space_enumerate(&sp, &c);
        CHECK(n > 1, "space %s %s has %d candidates", job->family, job->signature, n);
        CHECK(ng_space_contains(&sp, &job->defaults), "default of %s %s not in its space", job->family,
              job->signature);
        int bad = 0;
        for (int i = 0; i < n; i++) {
            if (!sp.fam->valid(&sp, &c[i])) bad++;
            int wg = 1, tm = 0;
            if (!strcmp(job->family, "gemm")) {
                wg = ng_params_get(&c[i], "WG_M", 1) * ng_params_get(&c[i], "WG_N", 1);
                tm = ng_params_get(&c[i], "TM", 1);
                if (ng_params_get(&c[i], "USE_LOCAL", 0) && ng_params_get(&c[i], "ALGO", 0) == 0) {
                    unsigned long long lm = 4ull * ng_params_get(&c[i], "TK", 1) *
                        (unsigned long long)(ng_params_get(&c[i], "WG_M", 1) * tm +
                         ng_params_get(&c[i], "WG_N", 1) * ng_params_get(&c[i], "VEC", 1) * ng_params_get(&c[i], "NV", 1));
                    if (lm > info->local_mem_bytes) bad++;
                }
            }
            if (!strcmp(job->family, "conv_depthwise")) wg = ng_params_get(&c[i], "WG_DW", 1);
            if (!strncmp(job->family, "vk_", 3)) { /* Vulkan: the checks of vk_*.c */
                int vtm = ng_params_get(&c[i], "TM", 1), tn = ng_params_get(&c[i], "TN", 1);
                int oct = ng_params_get(&c[i], "OC_T", 1), pxt = ng_params_get(&c[i], "PX_T", 1);
                wg = ng_params_get(&c[i], "WG", 1) * ng_params_get(&c[i], "WG_M", 1) *
                     ng_params_get(&c[i], "WG_N", 1);
                if (vtm < 1 || vtm > 16 || tn < 1 || tn > 16 || vtm * tn > 64) bad++;
                if (oct < 1 || oct > 16 || pxt < 1 || pxt > 32 || oct * pxt > 64) bad++;
                if (shared_bytes(&c[i]) > info->local_mem_bytes) bad++;
                if (strstr(job->signature, "k=") && ng_params_get(&c[i], "SHARED", 0)) bad++;
                if (!strcmp(job->family, "vk_qmatmulw") &&
                    tn * ng_sig_get(&sp.sig, "bits", 0, 8) % 32)
                    bad++;
            }
            if (!strcmp(job->family, "conv_direct") && ng_params_get(&c[i], "OC_T", 1) * ng_params_get(&c[i], "PX_T", 1) > 64) bad++;
            if ((size_t)wg > info->max_work_group_size) bad++;
            for (int k = 0; k < i && k < 4096; k++)
                if (ng_params_equal(&c[k], &c[i])) bad++;
        }
        CHECK(bad == 0, "space %s %s: %d candidates break constraints or repeat", job->family,
              job->signature, bad);
        printf("space %-15s %-48s %5d candidates (%.0f before constraints)\n", job->family,
               job->signature, n, ng_space_raw_size(&sp));
        free(c);
    }
}

/* Test hook: a "kernel" that is wrong for OC_T=4 (and build failures come
 * from the tuner itself when a candidate cannot build). */
static void corrupt(const ng_params *cand, void *out, size_t n, nngpu_dtype dt, void *user) {
    (void)user;
    if (ng_params_get(cand, "OC_T", 0) == 4 && n && dt == NNGPU_DTYPE_FLOAT32) ((float *)out)[n / 2] += 1.0f;
}

static void test_verification(ng_tune_job *job, ng_db *db) {
    ng_tune_opts o;
    ng_tune_opts_init(&o);
    o.device = DEV;
    o.db = db;
    o.strategy = NG_TUNE_EXHAUSTIVE;
    o.runs = 2;
    o.corrupt = corrupt;
    ng_tune_result r;
    nngpu_status st = ng_tune_run(job, &o, &r);
    CHECK(st == NNGPU_OK, "tuning %s: %s", job->signature, nngpu_last_error());
    if (st != NNGPU_OK) return;
    CHECK(r.rejected >= 1, "the wrong candidate was not rejected (%d rejected)", r.rejected);
    CHECK(ng_params_get(&r.best, "OC_T", 0) != 4, "a wrong candidate was chosen");
    CHECK(r.complete && r.tried == r.space_size, "exhaustive tried %d of %d", r.tried, r.space_size);
    CHECK(r.stored, "result not stored");
    ng_params wrong = r.best;
    ng_params_set(&wrong, "OC_T", 4);
    ng_db_key key;
    nngpu_device_info info;
    int idx;
    nngpu_device_find(DEV, &idx);
    nngpu_device_get(idx, &info);
    ng_tune_key(&info, job, ng_tune_family_find(job->family)->version, &key);
    CHECK(ng_db_is_rejected(db, &key, &wrong) == 1, "the wrong candidate is not recorded as rejected");
    ng_db_entry e;
    ng_db_match m;
    CHECK(ng_db_lookup(db, &key, &e, &m) == NNGPU_OK && m == NG_DB_EXACT, "result not found in the DB");
    printf("verification: %d tried, %d rejected, default %.4f ms, best %.4f ms\n", r.tried, r.rejected,
           r.default_ms, r.best_ms);
}

static void test_budget(ng_tune_job *job) {
    ng_tune_opts o;
    ng_tune_opts_init(&o);
    o.device = DEV;
    o.strategy = NG_TUNE_EXHAUSTIVE;
    o.budget_s = 3;
    ng_tune_result r;
    nngpu_status st = ng_tune_run(job, &o, &r);
    CHECK(st == NNGPU_OK, "tuning under a budget: %s", nngpu_last_error());
    /* One candidate (a program build) may overrun the deadline. */
    CHECK(r.seconds < o.budget_s + 3.0, "budget 3 s, took %.1f s", r.seconds);
    CHECK(!r.complete && r.tried < r.space_size, "budget should stop the search (%d of %d)", r.tried,
          r.space_size);
    printf("budget: %.1f s for a 3 s budget, %d of %d candidates\n", r.seconds, r.tried, r.space_size);
}

/* The kernel name of model m's first layer with `params_override`. */
static void first_kernel(nngpu_model *m, const char *dev, const char *override, char *out,
                         size_t cap) {
    nngpu_options o;
    nngpu_options_init(&o);
    o.params_override = override;
    nngpu_session *s = NULL;
    nngpu_layer_info li;
    snprintf(out, cap, "?");
    if (nngpu_session_create(m, dev, &o, &s) == NNGPU_OK && nngpu_session_layer(s, 0, &li) == NNGPU_OK)
        snprintf(out, cap, "%s", li.kernel);
    nngpu_session_destroy(s);
}

/* Algorithm choice: an ungrouped 3x3 conv on opencl:0 whose default is
 * im2col + GEMM gives two jobs, the algorithm (conv_direct, first) and the
 * GEMM's tiles; conv_direct's space holds both algorithms, with the direct
 * tiles collapsed into one candidate for ALGO=1; a short search measures
 * and verifies both, and a DB entry choosing direct takes the layer back to
 * the direct kernel. */
/* nntune's budget split: heavier kernels weigh more and go first; shares
 * never exceed what is left and respect the floor. */
static void test_budget_split(void) {
    ng_tune_job job[3];
    memset(job, 0, sizeof job);
    const char *sig[3] = {"M=96,N=12544,K=16,B=1,tA=0,tB=0,C=1", "M=1,N=1000,K=1280,B=1,tA=0,tB=1,C=1",
                          "M=96,N=12544,K=16,B=1,tA=0,tB=0,C=1"};
    for (int i = 0; i < 3; i++) {
        snprintf(job[i].family, sizeof job[i].family, "gemm");
        snprintf(job[i].signature, sizeof job[i].signature, "%s", sig[i]);
        job[i].uses = i == 2 ? 4 : 1;
    }
    double w[3];
    for (int i = 0; i < 3; i++) w[i] = ng_tune_job_weight(&job[i]);
    CHECK(w[0] > 1.3 * w[1], "a large GEMM outweighs a matrix-vector one (%g vs %g)", w[0], w[1]);
    CHECK(w[2] > 1.9 * w[0] && w[2] < 2.1 * w[0], "4 uses weigh sqrt(4) = 2x (%g vs %g)", w[2], w[0]);
    int idx[3] = {1, 0, 2};
    ng_tune_order_by_weight(idx, 3, w);
    CHECK(idx[0] == 2 && idx[1] == 0 && idx[2] == 1, "heaviest first (%d %d %d)", idx[0], idx[1], idx[2]);
    double rest[3] = {w[idx[0]], w[idx[1]], w[idx[2]]}, left = 60, total = 0;
    for (int k = 0; k < 3; k++) {
        double share = ng_tune_budget_share(left, rest + k, 3 - k, 3.0);
        CHECK(share > 0 && share <= left - 3.0 * (2 - k) + 1e-9,
              "share %g of %g left keeps the later jobs' floors", share, left);
        if (k == 0) CHECK(share > 20, "the heaviest gets more than an even share (%g)", share);
        if (k == 2) CHECK(share >= left - 1e-9, "the last gets what is left (%g of %g)", share, left);
        left -= share;
        total += share;
    }
    CHECK(total <= 60 + 1e-9, "shares sum to the budget (%g)", total);
    double tiny[2] = {1e-3, 1e3};
    CHECK(ng_tune_budget_share(60, tiny, 2, 3.0) >= 3.0, "a light kernel still gets the floor");
    CHECK(ng_tune_budget_share(4, tiny, 2, 3.0) >= 2.0 - 1e-9, "the floor shrinks to an even share");
}

static void test_algorithm_choice(const nngpu_device_info *info) {
    nngpu_model *m = layer_model(96, 12, 128, 3, 1);
    ng_tune_jobs jobs = {0};
    CHECK(m && ng_tune_collect(m, DEV, &jobs) == NNGPU_OK, "collect: %s", nngpu_last_error());
    if (!m || jobs.n != 2 || strcmp(jobs.job[0].family, "conv_direct") ||
        strcmp(jobs.job[1].family, "gemm")) {
        CHECK(0, "expected jobs conv_direct then gemm, got %d jobs", jobs.n);
        ng_tune_jobs_free(&jobs);
        nngpu_model_destroy(m);
        return;
    }
    const ng_tune_job *job = &jobs.job[0];
    char k0[96], k1[96], k2[96], k4[96];
    first_kernel(m, DEV, "conv_direct:ALGO=0,WINO=0", k0, sizeof k0);
    first_kernel(m, DEV, "conv_direct:ALGO=1,WINO=0", k1, sizeof k1);
    first_kernel(m, DEV, "conv_direct:WINO=2", k2, sizeof k2);
    first_kernel(m, DEV, "conv_direct:WINO=4", k4, sizeof k4);
    /* 96 -> 128 channels at 12x12: Winograd by default on CPUs, F(2,3) (F(4,3) has 9 tiles) */
    CHECK(ng_params_get(&job->defaults, "ALGO", -1) == 1 && ng_params_get(&job->defaults, "WINO", -1) == 2 &&
              !strncmp(k1, "conv2d_im2col_gemm", 18) && !strncmp(k0, "conv2d_direct", 13) &&
              !strncmp(k2, "conv2d_winograd_f2", 18) && !strncmp(k4, "conv2d_winograd_f4", 18),
          "default ALGO %d WINO %d, kernels %s / %s / %s / %s", ng_params_get(&job->defaults, "ALGO", -1),
          ng_params_get(&job->defaults, "WINO", -1), k0, k1, k2, k4);
    ng_space sp;
    ng_params *c = NULL;
    int n = 0, im2col = 0, wino = 0;
    if (ng_space_init(&sp, job->family, job->signature, info, &job->defaults) == NNGPU_OK)
        n = ng_space_enumerate(&sp, &c);
    for (int i = 0; i < n; i++) {
        im2col += ng_params_get(&c[i], "ALGO", 0) == 1 && ng_params_get(&c[i], "WINO", 0) == 0;
        wino += ng_params_get(&c[i], "WINO", 0) != 0;
    }
    CHECK(n > 3 && im2col == 1 && wino == 2 && ng_space_picks_algorithm(&sp),
          "conv_direct space: %d candidates, %d im2col, %d Winograd", n, im2col, wino);
    free(c);
    char dbp[64] = "/tmp/nngpu_test_algo_XXXXXX";
    ng_db *db = temp_db(dbp);
    ng_tune_opts o;
    ng_tune_opts_init(&o);
    o.device = DEV;
    o.strategy = NG_TUNE_SEARCH;
    o.max_evals = 4;
    o.runs = 2;
    o.seed = 7;
    ng_tune_result r;
    nngpu_status st = ng_tune_run(job, &o, &r);
    CHECK(st == NNGPU_OK && r.rejected == 0 && r.tried >= 2, "tuning the algorithm: %d tried, %d rejected: %s",
          r.tried, r.rejected, st == NNGPU_OK ? "" : nngpu_last_error());
    ng_db_key key;
    ng_tune_key(info, job, sp.fam->version, &key);
    ng_db_entry e;
    memset(&e, 0, sizeof e);
    ng_params direct = job->defaults;
    ng_params_set(&direct, "ALGO", 0);
    ng_params_set(&direct, "WINO", 0);
    ng_db_entry_set_params(&e, &direct);
    e.best_ms = e.default_ms = 1;
    CHECK(db && ng_db_store(db, &key, &e) == NNGPU_OK, "store: %s", nngpu_last_error());
    if (db) ng_db_close(db);
    nngpu_options so;
    nngpu_options_init(&so);
    so.tuning_db = dbp;
    nngpu_session *s = NULL;
    nngpu_layer_info li;
    CHECK(nngpu_session_create(m, DEV, &so, &s) == NNGPU_OK && nngpu_session_layer(s, 0, &li) == NNGPU_OK &&
              !strncmp(li.kernel, "conv2d_direct", 13) && !strcmp(li.params_source, "db:exact"),
          "with ALGO=0 in the DB the layer runs %s (%s)", s ? li.kernel : "?", s ? li.params_source : "?");
    nngpu_session_destroy(s);
    printf("algorithm choice: %s / %s / %s, space %d, search %d tried, best %s\n", k0, k1, k2, n,
           r.tried, ng_params_get(&r.best, "WINO", 0) ? "Winograd"
                    : ng_params_get(&r.best, "ALGO", 0) ? "im2col" : "direct");
    remove_db(dbp);
    ng_tune_jobs_free(&jobs);
    nngpu_model_destroy(m);
}

static int run_cmd(const char *cmd, const char *out_file, char *out, size_t cap) {
    int rc = system(cmd);
    out[0] = '\0';
    FILE *f = fopen(out_file, "r");
    if (f) {
        size_t n = fread(out, 1, cap - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The status nntune --json gave the kernel whose entry begins like `entry`
 * (family, signature and layer) into st; 0 when absent. */
static int status_of(const char *json, const char *entry, size_t entry_len, char *st, size_t cap) {
    for (const char *p = strstr(json, "{\"family\":"); p; p = strstr(p + 1, "{\"family\":")) {
        if (strncmp(p, entry, entry_len) != 0) continue;
        const char *s = strstr(p, "\"status\":\"");
        if (!s) return 0;
        s += strlen("\"status\":\"");
        size_t n = strcspn(s, "\"");
        snprintf(st, cap, "%.*s", (int)(n < cap ? n : cap - 1), s);
        return 1;
    }
    return 0;
}

/* A resumed nntune run: what the first run tuned is skipped, and it tunes
 * only what the first left out of budget (its budget also pays for compiling
 * the model's sessions, which a cold driver makes slow). */
static int resumes(const char *first, const char *second, char *why, size_t cap) {
    int skipped = 0;
    for (const char *p = strstr(second, "{\"family\":"); p; p = strstr(p + 1, "{\"family\":")) {
        const char *u = strstr(p, ",\"uses\":");
        if (!u) break;
        char st1[32] = "", st2[32] = "";
        size_t len = (size_t)(u - p);
        if (!status_of(first, p, len, st1, sizeof st1) || !status_of(second, p, len, st2, sizeof st2)) {
            snprintf(why, cap, "a kernel of the second run is missing from the first: %.*s", (int)len, p);
            return 0;
        }
        skipped += !strcmp(st2, "skipped");
        if (!strcmp(st1, "tuned") ? strcmp(st2, "skipped") != 0 : strcmp(st1, "out of budget") != 0) {
            snprintf(why, cap, "first run '%s', second '%s': %.*s", st1, st2, (int)len, p);
            return 0;
        }
    }
    snprintf(why, cap, "nothing skipped");
    return skipped > 0;
}

static void test_nntune(void) {
    char src[1024], model[1100], cmd[4096], out[65536];
    snprintf(src, sizeof src, "%s", __FILE__);
    snprintf(model, sizeof model, "%s/../models/digits_cnn.onnx", dirname(src));
    const char *bin = getenv("NNTUNE") ? getenv("NNTUNE") : "./nntune";
    if (access(bin, X_OK) != 0 || access(model, R_OK) != 0) {
        printf("nntune end to end: skipped (no %s or %s)\n", bin, model);
        return;
    }
    char db[64] = "/tmp/nngpu_test_tune_XXXXXX";
    int fd = mkstemp(db);
    if (fd >= 0) close(fd);
    unlink(db); /* a path that does not exist yet is an empty DB */
    /* 45 s: on a cold machine (empty driver caches, the other core busy) compiling the
     * sessions alone took 20 s, leaving a 15 s budget nothing to tune with; warm, the
     * first run finishes every space in ~13 s. */
    snprintf(cmd, sizeof cmd, "%s --device %s %s --db %s --budget 45 --json > %s.out 2>%s.err", bin,
             DEV, model, db, db, db);
    char of[128];
    snprintf(of, sizeof of, "%s.out", db);
    int rc = run_cmd(cmd, of, out, sizeof out);
    CHECK(rc == 0, "nntune exited with %d", rc);
    CHECK(strstr(out, "\"status\":\"tuned\"") != NULL, "first run tuned nothing: %s", out);
    static char first[65536];
    snprintf(first, sizeof first, "%s", out);
    rc = run_cmd(cmd, of, out, sizeof out);
    CHECK(rc == 0, "second nntune exited with %d", rc);
    char why[512];
    CHECK(resumes(first, out, why, sizeof why), "second run should skip what the first tuned (%s): %s",
          why, out);
    snprintf(cmd, sizeof cmd, "%s db export --db %s > %s.out", bin, db, db);
    rc = run_cmd(cmd, of, out, sizeof out);
    CHECK(rc == 0 && strstr(out, "\"family\":\"conv_direct\""), "db export: rc %d: %s", rc, out);
    snprintf(cmd, sizeof cmd, "rm -f %s %s.out %s.err %s-journal %s-wal %s-shm", db, db, db, db, db, db);
    if (system(cmd) != 0) printf("cleanup failed\n");
}

/* ---- Vulkan and INT8 families on vulkan:0 ---------------------------------- */

static const char *VK = "vulkan:0";

/* MatMul x[rows, k] x w[k, n] (constant), for weight-only quantization. */
static nngpu_model *matmul_model(int rows, int k, int n) {
    nngpu_graph *g = nngpu_graph_create();
    int64_t xd[2] = {rows, k}, wd[2] = {k, n};
    float *w = rand_buf((size_t)(k * n));
    const char *in[2] = {"x", "w"}, *y[1] = {"y"};
    nngpu_graph_add_input(g, "x", NNGPU_DTYPE_FLOAT32, 2, xd);
    nngpu_graph_add_constant(g, "w", NNGPU_DTYPE_FLOAT32, 2, wd, w);
    nngpu_graph_add_node(g, "MatMul", "mm", 2, in, 1, y);
    nngpu_graph_add_output(g, "y");
    free(w);
    nngpu_model *m = NULL;
    if (nngpu_model_from_graph(g, &m) != NNGPU_OK) return NULL;
    return m;
}

static int has_family(const ng_tune_jobs *jobs, const char *family) {
    for (int j = 0; j < jobs->n; j++)
        if (!strcmp(jobs->job[j].family, family)) return 1;
    return 0;
}

/* The candidate sample's seed: NNGPU_TEST_SEED, else fresh each run (printed),
 * so that runs together cover more of each space than one fixed sample. */
static unsigned cand_seed;

/* Builds, runs and verifies on dev candidates of every job's space: a search of
 * six (random starts and their neighbours), or all of them with
 * NNGPU_TUNE_SWEEP. None may be rejected. */
static void test_candidates(const char *dev, ng_tune_jobs *jobs) {
    int sweep = getenv("NNGPU_TUNE_SWEEP") && atoi(getenv("NNGPU_TUNE_SWEEP"));
    for (int j = 0; j < jobs->n; j++) {
        ng_tune_opts o;
        ng_tune_opts_init(&o);
        o.device = dev;
        o.strategy = sweep ? NG_TUNE_EXHAUSTIVE : NG_TUNE_SEARCH;
        o.max_evals = sweep ? 0 : 6;
        o.runs = 1;
        o.seed = cand_seed + (unsigned)j;
        o.verbose = sweep;
        ng_tune_result r;
        nngpu_status st = ng_tune_run(&jobs->job[j], &o, &r);
        CHECK(st == NNGPU_OK, "tuning %s %s: %s", jobs->job[j].family, jobs->job[j].signature,
              nngpu_last_error());
        if (st != NNGPU_OK) continue;
        CHECK(r.rejected == 0, "%s %s: %d of %d candidates rejected", jobs->job[j].family,
              jobs->job[j].signature, r.rejected, r.tried);
        printf("candidates %-18s %-44.44s %3d run, %d rejected\n", jobs->job[j].family,
               jobs->job[j].signature, r.tried, r.rejected);
    }
}

/* A gemm and a conv shape tuned with a tiny budget into a fresh DB; a
 * session then reads them back as db:exact. */
static void test_vk_tune_db(ng_tune_jobs *jobs) {
    char dbp[64] = "/tmp/nngpu_test_vkdb_XXXXXX";
    ng_db *db = temp_db(dbp);
    if (!db) return;
    const char *want[2] = {"vk_gemm", "vk_conv_gemm"};
    for (int w = 0; w < 2; w++) {
        int j = 0;
        while (j < jobs->n && strcmp(jobs->job[j].family, want[w])) j++;
        CHECK(j < jobs->n, "no %s kernel", want[w]);
        if (j == jobs->n) continue;
        ng_tune_opts o;
        ng_tune_opts_init(&o);
        o.device = VK;
        o.db = db;
        o.budget_s = 4;
        o.runs = 2;
        ng_tune_result r;
        nngpu_status st = ng_tune_run(&jobs->job[j], &o, &r);
        CHECK(st == NNGPU_OK, "tuning %s: %s", want[w], nngpu_last_error());
        if (st != NNGPU_OK) continue;
        CHECK(r.stored && r.tried >= 2 && r.rejected == 0, "%s: stored %d, %d tried, %d rejected",
              want[w], r.stored, r.tried, r.rejected);
        CHECK(r.best_ms > 0 && r.best_ms <= r.default_ms * 1.5, "%s: best %.4f ms, default %.4f ms",
              want[w], r.best_ms, r.default_ms);
        printf("vulkan tune %-12s %d tried in %.1f s, default %.4f ms, best %.4f ms (%s)\n", want[w],
               r.tried, r.seconds, r.default_ms, r.best_ms, r.space_note);
    }
    ng_db_close(db);
    /* A session with the DB: the tuned layers read db:exact. */
    for (int w = 0; w < 2; w++) {
        int j = 0;
        while (j < jobs->n && strcmp(jobs->job[j].family, want[w])) j++;
        if (j == jobs->n) continue;
        nngpu_options so;
        nngpu_options_init(&so);
        so.tuning_db = dbp;
        nngpu_session *s = NULL;
        nngpu_status st = nngpu_session_create(jobs->job[j].model, VK, &so, &s);
        CHECK(st == NNGPU_OK, "session with the DB: %s", nngpu_last_error());
        if (st != NNGPU_OK) continue;
        int exact = 0;
        for (int i = 0; i < nngpu_session_layer_count(s); i++) {
            nngpu_layer_info li;
            if (nngpu_session_layer(s, i, &li) == NNGPU_OK && li.params_source &&
                !strcmp(li.params_source, "db:exact"))
                exact++;
        }
        CHECK(exact == 1, "%s: %d layers read db:exact", want[w], exact);
        nngpu_session_destroy(s);
    }
    remove_db(dbp);
}

static void test_vulkan(void) {
    int idx;
    nngpu_device_info info;
    if (nngpu_device_find(VK, &idx) != NNGPU_OK || nngpu_device_get(idx, &info) != NNGPU_OK) {
        printf("no %s: Vulkan families skipped\n", VK);
        return;
    }
    /* fp32: implicit GEMM (C < 16: no Winograd), Winograd, depthwise, grouped, 1x1, Gemm, pools */
    ng_tune_jobs jobs = {0}, qjobs = {0};
    nngpu_model *ms[8] = {layer_model(8, 12, 16, 3, 1),  layer_model(16, 12, 16, 3, 1),
                          layer_model(16, 12, 16, 3, 16), layer_model(16, 12, 32, 3, 4),
                          layer_model(8, 12, 24, 1, 1),  layer_model(20, 64, 48, 0, 1),
                          pool_model(32, 7, 1),          pool_model(8, 16, 0)};
    nngpu_options q;
    nngpu_options_init(&q);
    q.precision = NNGPU_PRECISION_INT8;
    q.precision_strict = 1;
    q.int8_tolerance = 0; /* random weights: every layer int8 */
    for (int i = 0; i < 8; i++) {
        CHECK(ms[i] != NULL, "model %d", i);
        if (!ms[i]) continue;
        nngpu_status st = ng_tune_collect(ms[i], VK, &jobs);
        CHECK(st == NNGPU_OK, "collect: %s", nngpu_last_error());
        if (i < 6) { /* the convolutions and the Gemm, quantized */
            st = ng_tune_collect_with(ms[i], VK, &q, &qjobs);
            CHECK(st == NNGPU_OK, "collect int8: %s", nngpu_last_error());
        }
        nngpu_model_destroy(ms[i]);
    }
    nngpu_model *mm = matmul_model(4, 64, 32); /* 4-bit weight-only */
    nngpu_options w4;
    nngpu_options_init(&w4);
    w4.weight_bits = 4;
    CHECK(mm && ng_tune_collect_with(mm, VK, &w4, &qjobs) == NNGPU_OK, "collect weight-only: %s",
          nngpu_last_error());
    nngpu_model_destroy(mm);
    const char *fams[] = {"vk_conv_gemm", "vk_conv_wino", "vk_conv_depthwise", "vk_conv",
                          "vk_gemm", "vk_global_pool", "vk_pool"};
    for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++)
        CHECK(has_family(&jobs, fams[f]), "no %s kernel collected", fams[f]);
    const char *qfams[] = {"vk_qconv_gemm", "vk_qconv_depthwise", "vk_qconv", "vk_qgemm", "vk_qmatmulw"};
    for (size_t f = 0; f < sizeof qfams / sizeof qfams[0]; f++)
        CHECK(has_family(&qjobs, qfams[f]), "no %s kernel collected (int8)", qfams[f]);
    /* The algorithm choices: vk_conv jobs of the implicit-GEMM and Winograd layers. */
    int igemm = 0, wino = 0;
    for (int j = 0; j < jobs.n; j++)
        if (!strcmp(jobs.job[j].family, "vk_conv")) {
            igemm += ng_params_get(&jobs.job[j].defaults, "IGEMM", 0) == 1;
            wino += ng_params_get(&jobs.job[j].defaults, "WINO", 0) != 0;
        }
    CHECK(igemm >= 1 && wino >= 1, "vk_conv algorithm jobs: %d implicit GEMM, %d Winograd", igemm, wino);
    test_spaces(&info, &jobs);
    test_spaces(&info, &qjobs);
    test_candidates(VK, &jobs);
    test_candidates(VK, &qjobs);
    test_vk_tune_db(&jobs);
    ng_tune_jobs_free(&jobs);
    ng_tune_jobs_free(&qjobs);
}

/* OpenCL INT8: QLinearMatMul (qgemm) and 4-bit weight-only MatMul (gemm_qw). */
static void test_cl_quant(const nngpu_device_info *info) {
    ng_tune_jobs jobs = {0};
    nngpu_options q;
    nngpu_options_init(&q);
    q.precision = NNGPU_PRECISION_INT8;
    q.int8_tolerance = 0;
    for (int bits = 0; bits <= 4; bits += 4) {
        nngpu_model *m = matmul_model(8, 64, 48);
        q.precision = bits ? NNGPU_PRECISION_FP32 : NNGPU_PRECISION_INT8;
        q.weight_bits = bits;
        CHECK(m && ng_tune_collect_with(m, DEV, &q, &jobs) == NNGPU_OK, "collect: %s", nngpu_last_error());
        nngpu_model_destroy(m);
    }
    CHECK(has_family(&jobs, "qgemm") && has_family(&jobs, "gemm_qw"), "no qgemm or gemm_qw kernel");
    test_spaces(info, &jobs);
    test_candidates(DEV, &jobs);
    ng_tune_jobs_free(&jobs);
}

int main(void) {
    srand(1234);
    const char *seed = getenv("NNGPU_TEST_SEED");
    cand_seed = seed ? (unsigned)strtoul(seed, NULL, 10) : (unsigned)time(NULL);
    printf("candidate seed %u (rerun with NNGPU_TEST_SEED=%u)\n", cand_seed, cand_seed);
    test_budget_split();
    int idx;
    nngpu_device_info info;
    if (nngpu_device_find(DEV, &idx) != NNGPU_OK || nngpu_device_get(idx, &info) != NNGPU_OK) {
        printf("no %s: OpenCL families skipped\n", DEV);
        test_vulkan();
        printf("%d passed, %d failed\n", passed, failed);
        return failed != 0;
    }
    ng_tune_jobs jobs = {0};
    nngpu_model *ms[5] = {layer_model(8, 12, 16, 3, 1), layer_model(16, 12, 16, 3, 16),
                          layer_model(8, 12, 24, 1, 1), layer_model(20, 64, 48, 0, 1),
                          pool_model(8, 40, 0)};
    for (int i = 0; i < 5; i++) {
        CHECK(ms[i] != NULL, "model %d", i);
        if (!ms[i]) continue;
        nngpu_status st = ng_tune_collect(ms[i], DEV, &jobs);
        CHECK(st == NNGPU_OK, "collect: %s", nngpu_last_error());
        nngpu_model_destroy(ms[i]);
    }
    CHECK(jobs.n == 5, "expected 5 distinct kernels, got %d", jobs.n);
    test_spaces(&info, &jobs);
    for (int j = 0; j < jobs.n; j++) /* the pooling rows' candidates, each verified */
        if (!strcmp(jobs.job[j].family, "pool")) {
            ng_tune_jobs one = {.n = 1, .job = &jobs.job[j]};
            test_candidates(DEV, &one);
        }

    char dbp[64] = "/tmp/nngpu_test_db_XXXXXX";
    ng_db *db = temp_db(dbp);
    int conv = -1;
    for (int j = 0; j < jobs.n; j++)
        if (!strcmp(jobs.job[j].family, "conv_direct")) conv = j;
    CHECK(conv >= 0, "no conv_direct kernel");
    if (conv >= 0 && db) {
        test_verification(&jobs.job[conv], db);
    }
    for (int j = 0; j < jobs.n; j++) /* a large space: the budget must stop it */
        if (!strcmp(jobs.job[j].family, "gemm")) {
            test_budget(&jobs.job[j]);
            break;
        }
    if (db) ng_db_close(db);
    unlink(dbp);
    ng_tune_jobs_free(&jobs);
    test_algorithm_choice(&info);
    test_nntune();
    test_cl_quant(&info);
    test_vulkan();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
