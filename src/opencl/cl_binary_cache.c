#include "cl_binary_cache.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cachedir.h"
#include "core/hash.h"

#define MAGIC "NGCLBIN1"
#define MAX_BINARY ((uint64_t)256 << 20)

typedef struct bin_header {
    char magic[8];
    uint64_t key, size, hash; /* hash: of the binary that follows */
} bin_header;

static atomic_int n_loaded, n_stored, n_rejected;

ng_cl_binary_stats ng_cl_binary_stats_get(void) {
    ng_cl_binary_stats s = {atomic_load(&n_loaded), atomic_load(&n_stored),
                            atomic_load(&n_rejected)};
    return s;
}

/* Keys this process stamped (built from source with no stamp on disk yet). */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *seen;
static size_t n_seen, cap_seen;

/* seen_here and remember: with seen_mu held. */
static int seen_here(uint64_t key) {
    int found = 0;
    for (size_t i = 0; i < n_seen && !found; i++) found = seen[i] == key;
    return found;
}

static void remember(uint64_t key) {
    if (n_seen == cap_seen) {
        size_t cap = cap_seen ? 2 * cap_seen : 64;
        uint64_t *g = realloc(seen, cap * sizeof *g);
        if (g) {
            seen = g;
            cap_seen = cap;
        }
    }
    if (n_seen < cap_seen) seen[n_seen++] = key;
}

void ng_cl_binary_forget_stamps(void) {
    pthread_mutex_lock(&seen_mu);
    n_seen = 0;
    pthread_mutex_unlock(&seen_mu);
}

static int enabled(void) {
    const char *e = getenv("NNGPU_NO_CACHE");
    return !(e && *e && strcmp(e, "0") != 0);
}

/* <cache dir>/cl into dir; 0 when there is none. */
static int cache_folder(char *dir, size_t cap) {
    char root[900];
    if (!enabled() || !ng_cache_dir(root, sizeof root)) return 0;
    return snprintf(dir, cap, "%s/cl", root) < (int)cap;
}

/* <cache dir>/cl/<key><ext> into path; 0 when there is none. */
static int file_of(uint64_t key, const char *ext, char *path, size_t cap) {
    char dir[1000];
    if (!cache_folder(dir, sizeof dir)) return 0;
    return snprintf(path, cap, "%s/%016llx%s", dir, (unsigned long long)key, ext) < (int)cap;
}

/* Whether an earlier process built this program from source too (its stamp is
 * on disk); otherwise stamps it. A program used once (a test shape, a tuning
 * candidate) is never exported; one built again by a later process is. */
static int reused_across_processes(const char *dir, uint64_t key) {
    char path[1100];
    if (!file_of(key, ".seen", path, sizeof path)) return 0;
    pthread_mutex_lock(&seen_mu); /* check and stamp at once: threads of one process */
    int reused = !seen_here(key) && access(path, F_OK) == 0;
    if (!reused && !seen_here(key)) {
        int fd = ng_mkdirs(dir) == 0 ? open(path, O_WRONLY | O_CREAT | O_EXCL, 0644) : -1;
        if (fd >= 0) close(fd);
        remember(key);
    }
    pthread_mutex_unlock(&seen_mu);
    return reused;
}

uint64_t ng_cl_binary_key(ng_context *c, const char *const *srcs, cl_uint n_src,
                          const char *options) {
    char plat[256] = "";
    clGetPlatformInfo(c->platform, CL_PLATFORM_VERSION, sizeof plat - 1, plat, NULL);
    uint64_t h = ng_hash_str(NG_HASH_INIT, MAGIC);
    for (cl_uint i = 0; i < n_src; i++) h = ng_hash_str(h, srcs[i]);
    h = ng_hash_str(h, options);
    h = ng_hash_str(h, c->info.name);
    h = ng_hash_str(h, c->info.driver_version);
    return ng_hash_str(h, plat);
}

/* Reads and checks the file; the binary (malloc'd) or NULL. */
static unsigned char *read_file(const char *path, uint64_t key, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    bin_header h;
    unsigned char *data = NULL;
    int ok = fread(&h, sizeof h, 1, f) == 1 && memcmp(h.magic, MAGIC, 8) == 0 && h.key == key &&
             h.size > 0 && h.size <= MAX_BINARY && (data = malloc((size_t)h.size)) &&
             fread(data, 1, (size_t)h.size, f) == h.size && fgetc(f) == EOF &&
             ng_hash_bytes(NG_HASH_INIT, data, (size_t)h.size) == h.hash;
    fclose(f);
    if (!ok) {
        free(data);
        atomic_fetch_add(&n_rejected, 1);
        return NULL;
    }
    *size = (size_t)h.size;
    return data;
}

cl_program ng_cl_binary_load(ng_context *c, uint64_t key, const char *options) {
    char path[1100];
    size_t size = 0;
    if (!file_of(key, ".bin", path, sizeof path)) return NULL;
    unsigned char *data = read_file(path, key, &size);
    if (!data) return NULL;
    const unsigned char *bins[1] = {data};
    cl_int bin_status = CL_SUCCESS, err;
    cl_program prog =
        clCreateProgramWithBinary(c->ctx, 1, &c->device, &size, bins, &bin_status, &err);
    free(data);
    if (err == CL_SUCCESS && bin_status == CL_SUCCESS &&
        clBuildProgram(prog, 1, &c->device, options, NULL, NULL) == CL_SUCCESS) {
        atomic_fetch_add(&n_loaded, 1);
        return prog;
    }
    if (err == CL_SUCCESS) clReleaseProgram(prog);
    atomic_fetch_add(&n_rejected, 1);
    return NULL; /* the driver refused it: rebuilt from source, then overwritten */
}

void ng_cl_binary_store(ng_context *c, uint64_t key, cl_program prog) {
    char dir[1000], path[1100];
    if (!cache_folder(dir, sizeof dir) || !file_of(key, ".bin", path, sizeof path) ||
        !reused_across_processes(dir, key))
        return;
    size_t size = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0 || size > MAX_BINARY)
        return;
    unsigned char *data = malloc(size);
    if (!data) return;
    unsigned char *bins[1] = {data};
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) != CL_SUCCESS) {
        free(data);
        return;
    }
    bin_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.key = key;
    h.size = size;
    h.hash = ng_hash_bytes(NG_HASH_INIT, data, size);
    if (ng_cache_write(dir, path, &h, sizeof h, data, size) != 0) {
        static atomic_int warned;
        if (!atomic_exchange(&warned, 1))
            fprintf(stderr, "nngpu: warning: could not write the OpenCL program cache %s\n", path);
    } else {
        atomic_fetch_add(&n_stored, 1);
    }
    free(data);
}
