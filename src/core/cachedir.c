#include "cachedir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ng_cache_dir(char *buf, size_t cap) {
    const char *env = getenv("NNGPU_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    int n;
    if (env && !*env) return 0;
    if (env) n = snprintf(buf, cap, "%s", env);
    else if (xdg && *xdg) n = snprintf(buf, cap, "%s/nngpu", xdg);
    else if (home && *home) n = snprintf(buf, cap, "%s/.cache/nngpu", home);
    else return 0;
    return n > 0 && (size_t)n < cap;
}

int ng_mkdirs(const char *dir) {
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    struct stat st;
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
    if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int ng_cache_write(const char *dir, const char *path, const void *header, size_t header_bytes,
                   const void *data, size_t bytes) {
    char tmp[1200];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
        return -1;
    FILE *f = ng_mkdirs(dir) == 0 ? fopen(tmp, "wb") : NULL;
    int ok = f && fwrite(header, 1, header_bytes, f) == header_bytes &&
             fwrite(data, 1, bytes, f) == bytes;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok && f) remove(tmp);
    return ok ? 0 : -1;
}
