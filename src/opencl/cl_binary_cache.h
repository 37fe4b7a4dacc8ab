/* OpenCL program binaries on disk, in <cache dir>/cl/<key>.bin (core/cachedir.h;
 * NNGPU_NO_CACHE=1 switches it off). The key hashes the sources, the build
 * options, the device name, the driver and the platform version. Files are
 * written to a temporary name and renamed; one that fails its checks or its
 * build is ignored (the program is built from source and the file rewritten). */
#ifndef NG_CL_BINARY_CACHE_H
#define NG_CL_BINARY_CACHE_H

#include <stdint.h>

#include "cl_internal.h"

uint64_t ng_cl_binary_key(ng_context *c, const char *const *srcs, cl_uint n_src,
                          const char *options);
/* A built program from the cache, or NULL. */
cl_program ng_cl_binary_load(ng_context *c, uint64_t key, const char *options);
/* Saves a built program's binary (failures only warn) once the program proves
 * reused: the first process to build it from source leaves a stamp
 * (<key>.seen), a later one exports the binary. On POCL an export compiles every
 * kernel of the program once more (for any work-group size), which doubled
 * the first session's build time; one-off programs (tuning candidates, test
 * shapes) no longer pay it. */
void ng_cl_binary_store(ng_context *c, uint64_t key, cl_program prog);
/* Tests: forgets this process's stamps, as a new process would. */
void ng_cl_binary_forget_stamps(void);

/* Process-wide counters (tests, benchmarks): programs loaded from / stored to disk. */
typedef struct ng_cl_binary_stats {
    int loaded, stored, rejected;
} ng_cl_binary_stats;
ng_cl_binary_stats ng_cl_binary_stats_get(void);

#endif
