/* A small pool of worker threads for independent jobs (Vulkan pipeline
 * compiles): jobs run in submission order on up to `threads` threads,
 * started on demand and kept until the pool is destroyed. With threads <= 1,
 * or when no thread or queue entry can be had, a job runs in the submitting
 * thread, so a submission never fails. Jobs must not call ng_error (the last
 * error is thread-local): they leave their result where the submitter reads
 * it after ng_jobs_wait. */
#ifndef NG_JOBS_H
#define NG_JOBS_H

#include <stdint.h>

typedef struct ng_jobs ng_jobs;

/* NULL when out of memory: ng_jobs_submit(NULL, ...) then runs jobs inline. */
ng_jobs *ng_jobs_create(int threads);
void ng_jobs_submit(ng_jobs *j, void (*fn)(void *arg), void *arg);
/* Returns when every job submitted so far has finished. */
void ng_jobs_wait(ng_jobs *j);
/* Waits, then ends the threads. NULL allowed. */
void ng_jobs_destroy(ng_jobs *j);

/* Threads for compile jobs and the reference's large kernels: the idle CPUs
 * (online CPUs less the 1-minute load average), at least 1 and at most `cap`;
 * $NNGPU_THREADS (1..16) overrides (1: jobs run in the submitting thread). */
int ng_jobs_default_threads(int cap);

/* fn(arg, lo, hi) over contiguous parts of [0, n), one per thread, the
 * calling thread taking the first; returns when all are done. threads <= 1,
 * or a thread that cannot be started: those parts run in the calling thread. */
void ng_parallel_for(int64_t n, int threads, void (*fn)(void *arg, int64_t lo, int64_t hi),
                     void *arg);

#endif
