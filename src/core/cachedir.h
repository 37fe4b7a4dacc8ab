/* nngpu's cache folder: $NNGPU_CACHE_DIR, else $XDG_CACHE_HOME/nngpu, else
 * ~/.cache/nngpu. It holds tuning.db (the default tuning database), cl/ (OpenCL
 * program binaries) and the Vulkan pipeline cache. */
#ifndef NG_CACHEDIR_H
#define NG_CACHEDIR_H

#include <stddef.h>

/* Writes the folder (not created) into buf; 0 when there is none
 * (NNGPU_CACHE_DIR="" or no HOME) or it does not fit. */
int ng_cache_dir(char *buf, size_t cap);
/* mkdir -p; 0 on success (existing folders included), -1 with errno set. */
int ng_mkdirs(const char *dir);
/* Writes header then data to path (in folder dir, created) through a
 * temporary file renamed over it, so readers see the old file or the whole
 * new one; 0 on success, -1 (nothing left behind) on failure. */
int ng_cache_write(const char *dir, const char *path, const void *header, size_t header_bytes,
                   const void *data, size_t bytes);

#endif
