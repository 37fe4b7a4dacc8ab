/* External tensor data: base_dir/location, a relative path that stays inside
 * base_dir (no absolute paths, no '..' components). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/status.h"
#include "onnx_internal.h"

/* 0 when location is relative and has no ".." component. */
static int check_location(const char *loc) {
    if (loc[0] == '/' || loc[0] == '\\') return -1;
    const char *p = loc;
    while (*p) {
        size_t len = strcspn(p, "/\\");
        if (len == 2 && p[0] == '.' && p[1] == '.') return -1;
        p += len;
        if (*p) p++;
    }
    return 0;
}

nngpu_status ng_onnx_read_external(const char *base_dir, const char *location, uint64_t offset,
                                   size_t length, const char *what, void **out) {
    *out = NULL;
    if (check_location(location))
        return ng_error(NNGPU_ERR_PARSE,
                        "%s: external-data location '%s' must be a relative path inside the "
                        "model's folder",
                        what, location);
    if (!base_dir)
        return ng_error(NNGPU_ERR_IO,
                        "%s: external data '%s' needs the model's folder (loaded from memory "
                        "without a base_dir)",
                        what, location);
    size_t plen = strlen(base_dir) + strlen(location) + 2;
    char *path = malloc(plen);
    if (!path) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: path", what);
    snprintf(path, plen, "%s/%s", base_dir[0] ? base_dir : ".", location);

    nngpu_status st = NNGPU_OK;
    void *buf = NULL;
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f) {
        st = ng_error(NNGPU_ERR_IO, "%s: cannot open external data file '%s': %s", what, path,
                      strerror(errno));
        goto done;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = ng_error(NNGPU_ERR_IO, "%s: external data '%s' is not a regular file", what, path);
        goto done;
    }
    if (offset > (uint64_t)sb.st_size || length > (uint64_t)sb.st_size - offset) {
        st = ng_error(NNGPU_ERR_PARSE,
                      "%s: external data file '%s' has %lld bytes, needs %zu at offset %llu",
                      what, path, (long long)sb.st_size, length, (unsigned long long)offset);
        goto done;
    }
    buf = malloc(length ? length : 1);
    if (!buf) {
        st = ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: %zu bytes of external data", what, length);
        goto done;
    }
    if (fseeko(f, (off_t)offset, SEEK_SET) != 0 ||
        (length && fread(buf, 1, length, f) != length)) {
        st = ng_error(NNGPU_ERR_IO, "%s: reading %zu bytes at offset %llu of '%s' failed", what,
                      length, (unsigned long long)offset, path);
        goto done;
    }
done:
    if (f) fclose(f);
    free(path);
    if (st != NNGPU_OK) free(buf);
    else *out = buf;
    return st;
}
