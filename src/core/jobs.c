/* Worker pool (jobs.h): one mutex guards a FIFO of jobs; workers sleep on
 * `work`, the waiter on `idle` until nothing is queued or running. */
#include "core/jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 16

typedef struct job {
    void (*fn)(void *);
    void *arg;
    struct job *next;
} job;

struct ng_jobs {
    pthread_mutex_t mu;
    pthread_cond_t work, idle;
    job *head, *tail;
    int busy; /* jobs queued or running */
    int stop;
    int max_threads, n_threads;
    pthread_t threads[MAX_THREADS];
};

static void *worker(void *p) {
    ng_jobs *j = p;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (!j->head && !j->stop) pthread_cond_wait(&j->work, &j->mu);
        if (!j->head) break; /* stopping and drained */
        job *t = j->head;
        j->head = t->next;
        if (!j->head) j->tail = NULL;
        pthread_mutex_unlock(&j->mu);
        t->fn(t->arg);
        free(t);
        pthread_mutex_lock(&j->mu);
        if (--j->busy == 0) pthread_cond_broadcast(&j->idle);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

ng_jobs *ng_jobs_create(int threads) {
    ng_jobs *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->max_threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->work, NULL);
    pthread_cond_init(&j->idle, NULL);
    return j;
}

void ng_jobs_submit(ng_jobs *j, void (*fn)(void *), void *arg) {
    job *t = j && j->max_threads > 1 ? malloc(sizeof *t) : NULL;
    if (!t) {
        fn(arg);
        return;
    }
    *t = (job){.fn = fn, .arg = arg};
    pthread_mutex_lock(&j->mu);
    /* a new thread while jobs outnumber threads */
    if (j->n_threads < j->max_threads && j->busy >= j->n_threads &&
        pthread_create(&j->threads[j->n_threads], NULL, worker, j) == 0)
        j->n_threads++;
    if (j->n_threads == 0) { /* no thread could be started */
        pthread_mutex_unlock(&j->mu);
        free(t);
        fn(arg);
        return;
    }
    if (j->tail) j->tail->next = t;
    else j->head = t;
    j->tail = t;
    j->busy++;
    pthread_cond_signal(&j->work);
    pthread_mutex_unlock(&j->mu);
}

void ng_jobs_wait(ng_jobs *j) {
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    while (j->busy) pthread_cond_wait(&j->idle, &j->mu);
    pthread_mutex_unlock(&j->mu);
}

void ng_jobs_destroy(ng_jobs *j) {
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    j->stop = 1;
    pthread_cond_broadcast(&j->work);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < j->n_threads; i++) pthread_join(j->threads[i], NULL);
    pthread_cond_destroy(&j->idle);
    pthread_cond_destroy(&j->work);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

int ng_jobs_default_threads(int cap) {
    const char *env = getenv("NNGPU_THREADS");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    double load;
    if (getloadavg(&load, 1) == 1) n -= (long)load; /* busy CPUs: more threads only cost */
    return n < 1 ? 1 : n < cap ? (int)n : cap;
}

typedef struct {
    void (*fn)(void *, int64_t, int64_t);
    void *arg;
    int64_t lo, hi;
} part;

static void *run_part(void *p) {
    part *r = p;
    r->fn(r->arg, r->lo, r->hi);
    return NULL;
}

void ng_parallel_for(int64_t n, int threads, void (*fn)(void *, int64_t, int64_t), void *arg) {
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > n) threads = (int)n;
    if (threads <= 1) {
        if (n > 0) fn(arg, 0, n);
        return;
    }
    part parts[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 0; i < threads; i++)
        parts[i] = (part){fn, arg, n * i / threads, n * (i + 1) / threads};
    for (int i = 1; i < threads; i++)
        started[i] = pthread_create(&tid[i], NULL, run_part, &parts[i]) == 0;
    run_part(&parts[0]);
    for (int i = 1; i < threads; i++) {
        if (started[i]) pthread_join(tid[i], NULL);
        else run_part(&parts[i]);
    }
}
