/* nntune: tunes the kernels of models (or a built-in set of CNN layers) on a
 * device and stores the results in the tuning DB.
 *   nntune --device SEL [MODEL.onnx ...] [--db FILE] [--budget SECONDS]
 *          [--strategy auto|exhaustive|search] [--retune] [--json] [-v]
 *          [--precision fp32|fp16|int8] [--calibration PATH] [--weight-bits 4|8]
 *          [--weight-group N]
 *   nntune db list|export|import|merge ... */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/driver_env.h"
#include "autotune/budget.h"
#include "nntune.h"

/* Seconds every kernel gets at least (when the budget allows an even share
 * that large): its default measured and a few candidates built. */
#define BUDGET_FLOOR_S 3.0

static volatile sig_atomic_t stop_flag;
static void on_sigint(int sig) {
    (void)sig;
    stop_flag = 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int usage(void) {
    fprintf(stderr,
            "usage: nntune --device SEL [MODEL.onnx ...] [--db FILE] [--budget SECONDS]\n"
            "              [--strategy auto|exhaustive|search] [--retune] [--json] [-v]\n"
            "              [--precision fp32|fp16|int8] [--calibration PATH]\n"
            "              [--weight-bits 4|8] [--weight-group N]\n"
            "  --precision, --calibration, --weight-bits, --weight-group: as nnrun; the\n"
            "  kernels of such sessions (INT8, FP16, weight-only) are the ones tuned\n"
            "       nntune db list|export|import|merge [--db FILE] [FILE ...]\n");
    return 2;
}

typedef struct row {
    const ng_tune_job *job;
    const char *status; /* "tuned", "skipped", "failed", "interrupted" */
    ng_tune_result r;
    char best[160];
} row;

static void progress(int tty, int done, int total, double t0, const char *what) {
    double el = now_s() - t0, eta = done ? el / done * (total - done) : 0;
    if (tty) {
        int w = 30, fill = total ? done * w / total : w;
        fprintf(stderr, "\r[%.*s%*s] %d/%d  %4.0fs elapsed  ETA %4.0fs  %-40.40s", fill,
                "==============================", w - fill, "", done, total, el, eta, what);
        if (done == total) fputc('\n', stderr);
    } else {
        fprintf(stderr, "nntune: %d/%d %s (%.0fs elapsed, ETA %.0fs)\n", done, total, what, el, eta);
    }
    fflush(stderr);
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s >= 0x20) fputc(*s, f);
    }
    fputc('"', f);
}

static void print_table(const row *rows, int n, double secs) {
    printf("%-16s %-52s %10s %10s %8s %6s  %s\n", "family", "signature", "default_ms", "tuned_ms",
           "speedup", "tried", "status / params");
    double dsum = 0, tsum = 0;
    for (int i = 0; i < n; i++) {
        const row *w = &rows[i];
        const ng_tune_result *r = &w->r;
        if (strcmp(w->status, "tuned") && strcmp(w->status, "interrupted")) {
            printf("%-16s %-52.52s %10s %10s %8s %6s  %s\n", w->job->family, w->job->signature, "-",
                   "-", "-", "-", w->status);
            continue;
        }
        double sp = r->best_ms > 0 ? r->default_ms / r->best_ms : 0;
        dsum += r->default_ms * w->job->uses;
        tsum += r->best_ms * w->job->uses;
        printf("%-16s %-52.52s %10.4f %10.4f %7.2fx %6d  %s %s\n", w->job->family, w->job->signature,
               r->default_ms, r->best_ms, sp, r->tried, w->status, w->best);
    }
    if (tsum > 0)
        printf("total (weighted by uses): default %.3f ms, tuned %.3f ms, %.2fx; %.1f s tuning\n",
               dsum, tsum, dsum / tsum, secs);
}

static void print_json(const row *rows, int n, double secs) {
    printf("{\"seconds\":%.2f,\"kernels\":[", secs);
    for (int i = 0; i < n; i++) {
        const row *w = &rows[i];
        printf("%s\n{\"family\":", i ? "," : "");
        json_str(stdout, w->job->family);
        printf(",\"signature\":");
        json_str(stdout, w->job->signature);
        printf(",\"layer\":");
        json_str(stdout, w->job->layer);
        printf(",\"uses\":%d,\"status\":\"%s\",\"params\":", w->job->uses, w->status);
        json_str(stdout, w->best);
        printf(",\"default_ms\":%.6f,\"tuned_ms\":%.6f,\"candidates_tried\":%d,\"rejected\":%d,"
               "\"space_size\":%d,\"seconds\":%.3f}",
               w->r.default_ms, w->r.best_ms, w->r.tried, w->r.rejected, w->r.space_size, w->r.seconds);
    }
    printf("]}\n");
}

int main(int argc, char **argv) {
    ng_driver_env_defaults();
    if (argc >= 2 && !strcmp(argv[1], "db")) return nntune_db_main(argc - 2, argv + 2);
    const char *device = NULL, *db_path = NULL, *models[256];
    int n_models = 0, retune = 0, json = 0, verbose = 0;
    double budget = 0;
    ng_tune_strategy strategy = NG_TUNE_AUTO;
    nngpu_options sopts; /* the sessions whose kernels are tuned */
    nngpu_options_init(&sopts);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(a, "--precision") && i + 1 < argc) {
            const char *p = argv[++i];
            if (!strcmp(p, "fp32")) sopts.precision = NNGPU_PRECISION_FP32;
            else if (!strcmp(p, "fp16")) sopts.precision = NNGPU_PRECISION_FP16;
            else if (!strcmp(p, "int8")) sopts.precision = NNGPU_PRECISION_INT8;
            else return usage();
        } else if (!strcmp(a, "--calibration") && i + 1 < argc) sopts.calibration = argv[++i];
        else if ((!strcmp(a, "--weight-bits") || !strcmp(a, "--weight-group")) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1 << 20) return usage();
            *(!strcmp(a, "--weight-bits") ? &sopts.weight_bits : &sopts.weight_group_size) = (int)v;
        }
        else if ((!strcmp(a, "--db") || !strcmp(a, "--tuning-db")) && i + 1 < argc) db_path = argv[++i];
        else if (!strcmp(a, "--budget") && i + 1 < argc) budget = atof(argv[++i]);
        else if (!strcmp(a, "--strategy") && i + 1 < argc) {
            const char *s = argv[++i];
            if (!strcmp(s, "exhaustive")) strategy = NG_TUNE_EXHAUSTIVE;
            else if (!strcmp(s, "search")) strategy = NG_TUNE_SEARCH;
            else if (!strcmp(s, "auto")) strategy = NG_TUNE_AUTO;
            else return usage();
        } else if (!strcmp(a, "--retune")) retune = 1;
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = 1;
        else if (a[0] == '-') return usage();
        else if (n_models < 256) models[n_models++] = a;
    }
    if (!device) device = "opencl:0";
    if (!db_path) db_path = ng_db_default_path();
    if (!db_path) {
        fprintf(stderr, "nntune: no cache folder for the tuning DB; give --db FILE\n");
        return 2;
    }
    int dev_index;
    nngpu_device_info info;
    if (nngpu_device_find(device, &dev_index) != NNGPU_OK || nngpu_device_get(dev_index, &info) != NNGPU_OK) {
        fprintf(stderr, "nntune: %s\n", nngpu_last_error());
        return 1;
    }
    ng_db *db;
    if (ng_db_open(db_path, 1, &db) != NNGPU_OK) {
        fprintf(stderr, "nntune: %s\n", nngpu_last_error());
        return 1;
    }
    double t0 = now_s();
    ng_tune_jobs jobs = {0};
    nngpu_status st = NNGPU_OK;
    for (int i = 0; i < n_models && st == NNGPU_OK; i++) {
        nngpu_model *m;
        st = nngpu_model_load_file(models[i], &m);
        if (st == NNGPU_OK) {
            st = ng_tune_collect_with(m, device, &sopts, &jobs);
            nngpu_model_destroy(m);
        }
        if (st != NNGPU_OK) fprintf(stderr, "nntune: %s: %s\n", models[i], nngpu_last_error());
    }
    if (!n_models && st == NNGPU_OK && (st = nntune_builtin_jobs(device, &sopts, &jobs)) != NNGPU_OK)
        fprintf(stderr, "nntune: built-in set: %s\n", nngpu_last_error());
    if (st != NNGPU_OK) {
        ng_tune_jobs_free(&jobs);
        ng_db_close(db);
        return 1;
    }
    fprintf(stderr, "nntune: %d distinct kernels on %s (%s), DB %s%s\n", jobs.n, info.selector,
            info.name, db_path, budget > 0 ? "" : ", no budget");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    row *rows = calloc((size_t)(jobs.n ? jobs.n : 1), sizeof *rows);
    int tty = isatty(2), failed = 0;
    /* Jobs still to tune (not exact and fresh in the DB). */
    int *todo = calloc((size_t)(jobs.n ? jobs.n : 1), sizeof(int)), n_todo = 0;
    for (int i = 0; i < jobs.n; i++) {
        rows[i].job = &jobs.job[i];
        rows[i].status = "pending";
        const ng_tune_family *fam = ng_tune_family_find(jobs.job[i].family);
        ng_db_key key;
        ng_tune_key(&info, &jobs.job[i], fam->version, &key);
        ng_db_entry e;
        ng_db_match match = NG_DB_NONE;
        if (!retune && ng_db_lookup(db, &key, &e, &match) == NNGPU_OK && match == NG_DB_EXACT && !e.stale) {
            rows[i].status = "skipped";
            rows[i].r.best_ms = e.best_ms;
            rows[i].r.default_ms = e.default_ms;
            rows[i].r.tried = e.candidates_tried;
            ng_db_params_format(&e.params, rows[i].best, sizeof rows[i].best);
            continue;
        }
        if (match == NG_DB_STALE) rows[i].status = "stale"; /* revalidated below */
        todo[n_todo++] = i;
    }
    fprintf(stderr, "nntune: %d to tune, %d already tuned%s\n", n_todo, jobs.n - n_todo,
            retune ? "" : " (--retune to redo)");
    /* Heaviest kernels first, each with a share of the budget by weight. */
    double *weight = calloc((size_t)(jobs.n ? jobs.n : 1), sizeof *weight);
    double *rest = calloc((size_t)(n_todo ? n_todo : 1), sizeof *rest);
    if (!weight || !rest) {
        fprintf(stderr, "nntune: out of memory\n");
        return 1;
    }
    for (int k = 0; k < n_todo; k++) weight[todo[k]] = ng_tune_job_weight(&jobs.job[todo[k]]);
    ng_tune_order_by_weight(todo, n_todo, weight);
    for (int k = 0; k < n_todo; k++) rest[k] = weight[todo[k]];
    double t_tune = now_s();
    for (int k = 0; k < n_todo && !stop_flag; k++) {
        row *w = &rows[todo[k]];
        ng_tune_opts o;
        ng_tune_opts_init(&o);
        o.device = device;
        o.db = db;
        o.strategy = strategy;
        o.stop = &stop_flag;
        o.verbose = verbose;
        if (budget > 0) {
            double left = budget - (now_s() - t0);
            if (left <= 0) break;
            o.budget_s = ng_tune_budget_share(left, rest + k, n_todo - k, BUDGET_FLOOR_S);
        }
        char what[256];
        snprintf(what, sizeof what, "%s %s", w->job->family, w->job->signature);
        progress(tty, k, n_todo, t_tune, what);
        if (ng_tune_run(w->job, &o, &w->r) != NNGPU_OK) {
            fprintf(stderr, "%snntune: %s\n", tty ? "\n" : "", nngpu_last_error());
            w->status = "failed";
            failed++;
            continue;
        }
        w->status = stop_flag ? "interrupted" : !strcmp(w->status, "stale") ? "revalidated" : "tuned";
        if (!strcmp(w->status, "revalidated")) w->status = "tuned";
        ng_params_format(&w->r.best, w->best, sizeof w->best);
    }
    if (!stop_flag) progress(tty, n_todo, n_todo, t_tune, "done");
    else fprintf(stderr, "\nnntune: interrupted; every finished kernel is saved in %s\n", db_path);
    for (int i = 0; i < jobs.n; i++)
        if (!strcmp(rows[i].status, "pending") || !strcmp(rows[i].status, "stale"))
            rows[i].status = stop_flag ? "interrupted" : "out of budget";
    double secs = now_s() - t0;
    if (json) print_json(rows, jobs.n, secs);
    else print_table(rows, jobs.n, secs);
    free(todo);
    free(weight);
    free(rest);
    free(rows);
    ng_tune_jobs_free(&jobs);
    ng_db_close(db);
    return stop_flag ? 130 : failed ? 1 : 0;
}
