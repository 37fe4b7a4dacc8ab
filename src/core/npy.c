/* .npy reader and atomic writer (NumPy format 1.0 - 3.0, little-endian, C order). */
#include "npy.h"

#include "dims.h"
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* descr strings and their dtypes; 1-byte types also accept '<' / '='. */
static const struct {
    const char *descr;
    nngpu_dtype dtype;
} npy_descrs[] = {
    {"<f4", NNGPU_DTYPE_FLOAT32}, {"<f8", NNGPU_DTYPE_FLOAT64}, {"<f2", NNGPU_DTYPE_FLOAT16},
    {"|i1", NNGPU_DTYPE_INT8},    {"|u1", NNGPU_DTYPE_UINT8},   {"<i4", NNGPU_DTYPE_INT32},
    {"<i8", NNGPU_DTYPE_INT64},   {"|b1", NNGPU_DTYPE_BOOL},    {"<i1", NNGPU_DTYPE_INT8},
    {"<u1", NNGPU_DTYPE_UINT8},   {"<b1", NNGPU_DTYPE_BOOL},    {"=i1", NNGPU_DTYPE_INT8},
    {"=u1", NNGPU_DTYPE_UINT8},   {"=b1", NNGPU_DTYPE_BOOL},
};

static const char *npy_descr_of(nngpu_dtype t) {
    for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; i++)
        if (npy_descrs[i].dtype == t) return npy_descrs[i].descr;
    return NULL;
}

/* ---- header dict parsing ------------------------------------------------ */

typedef struct npy_cursor {
    const char *p, *end;
} npy_cursor;

static void npy_skip_ws(npy_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int npy_accept(npy_cursor *c, char ch) {
    npy_skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string literal without escapes; copies at most cap-1 chars. */
static int npy_string(npy_cursor *c, char *buf, size_t cap) {
    npy_skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap) return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    buf[n] = '\0';
    return 1;
}

static int npy_word(npy_cursor *c, const char *w) {
    npy_skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* Shape tuple: "()", "(3,)", "(2, 3)", trailing comma optional for rank > 1. */
static int npy_shape(npy_cursor *c, int *rank, int64_t *dims) {
    if (!npy_accept(c, '(')) return 0;
    *rank = 0;
    if (npy_accept(c, ')')) return 1;
    for (;;) {
        npy_skip_ws(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
        int64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return 0;
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 longs */
        if (*rank >= NNGPU_MAX_DIMS) return 0;
        dims[(*rank)++] = v;
        int comma = npy_accept(c, ',');
        if (npy_accept(c, ')')) return *rank > 1 || comma;
        if (!comma) return 0;
    }
}

static nngpu_status npy_parse_header(const char *path, const char *hdr, size_t len,
                                     nngpu_tensor *out) {
    npy_cursor c = {hdr, hdr + len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!npy_accept(&c, '{')) return ng_error(NNGPU_ERR_PARSE, "%s: npy header is not a dict", path);
    while (!npy_accept(&c, '}')) {
        char key[32], descr[16];
        if (!npy_string(&c, key, sizeof key) || !npy_accept(&c, ':'))
            return ng_error(NNGPU_ERR_PARSE, "%s: malformed npy header dict", path);
        if (strcmp(key, "descr") == 0 && !have_descr) {
            if (!npy_string(&c, descr, sizeof descr))
                return ng_error(NNGPU_ERR_PARSE, "%s: npy 'descr' is not a simple string", path);
            out->dtype = NNGPU_DTYPE_UNDEFINED;
            for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; i++)
                if (strcmp(descr, npy_descrs[i].descr) == 0) out->dtype = npy_descrs[i].dtype;
            if (out->dtype == NNGPU_DTYPE_UNDEFINED)
                return ng_error(NNGPU_ERR_PARSE, "%s: unsupported npy dtype '%s'", path, descr);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (npy_word(&c, "True"))
                return ng_error(NNGPU_ERR_PARSE, "%s: fortran_order arrays are not supported",
                                path);
            if (!npy_word(&c, "False"))
                return ng_error(NNGPU_ERR_PARSE, "%s: malformed npy 'fortran_order'", path);
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (!npy_shape(&c, &out->rank, out->dims))
                return ng_error(NNGPU_ERR_PARSE,
                                "%s: malformed npy 'shape' (or rank above %d)", path,
                                NNGPU_MAX_DIMS);
            have_shape = 1;
        } else {
            return ng_error(NNGPU_ERR_PARSE, "%s: unexpected or repeated npy header key '%s'",
                            path, key);
        }
        if (!npy_accept(&c, ',')) {
            if (!npy_accept(&c, '}'))
                return ng_error(NNGPU_ERR_PARSE, "%s: malformed npy header dict", path);
            break;
        }
    }
    npy_skip_ws(&c);
    if (c.p != c.end)
        return ng_error(NNGPU_ERR_PARSE, "%s: trailing bytes after the npy header dict", path);
    if (!have_descr || !have_order || !have_shape)
        return ng_error(NNGPU_ERR_PARSE, "%s: npy header lacks descr, fortran_order or shape",
                        path);
    return NNGPU_OK;
}

/* ---- reading -------------------------------------------------------------- */

static nngpu_status npy_read_exact(FILE *f, const char *path, void *buf, size_t n,
                                   const char *what) {
    if (n && fread(buf, 1, n, f) != n)
        return ng_error(ferror(f) ? NNGPU_ERR_IO : NNGPU_ERR_PARSE, "%s: %s (%s)", path,
                        ferror(f) ? "read failed" : "file is truncated", what);
    return NNGPU_OK;
}

static nngpu_status npy_read_file(FILE *f, const char *path, nngpu_tensor *out) {
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return ng_error(NNGPU_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return ng_error(NNGPU_ERR_IO, "%s: not a regular file", path);
    uint64_t file_size = (uint64_t)st.st_size;

    unsigned char pre[12];
    if (file_size < 10)
        return ng_error(NNGPU_ERR_PARSE, "%s: too short to be a .npy file (%llu bytes)", path,
                        (unsigned long long)file_size);
    NG_CHECK(npy_read_exact(f, path, pre, 8, "magic"));
    if (memcmp(pre, npy_magic, sizeof npy_magic) != 0)
        return ng_error(NNGPU_ERR_PARSE, "%s: not a .npy file (bad magic)", path);
    unsigned major = pre[6];
    uint64_t hdr_len, offset;
    if (major == 1) {
        NG_CHECK(npy_read_exact(f, path, pre + 8, 2, "header length"));
        hdr_len = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
        offset = 10;
    } else if (major == 2 || major == 3) {
        NG_CHECK(npy_read_exact(f, path, pre + 8, 4, "header length"));
        hdr_len = (uint64_t)pre[8] | (uint64_t)pre[9] << 8 | (uint64_t)pre[10] << 16 |
                  (uint64_t)pre[11] << 24;
        offset = 12;
    } else {
        return ng_error(NNGPU_ERR_PARSE, "%s: unsupported .npy format version %u.%u", path, major,
                        pre[7]);
    }
    if (hdr_len == 0 || hdr_len > file_size - offset || hdr_len > (1u << 24))
        return ng_error(NNGPU_ERR_PARSE, "%s: bad .npy header length %llu", path,
                        (unsigned long long)hdr_len);
    char *hdr = malloc(hdr_len);
    if (!hdr) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: no memory for the header", path);
    nngpu_status s = npy_read_exact(f, path, hdr, hdr_len, "header");
    if (s == NNGPU_OK && hdr[hdr_len - 1] != '\n')
        s = ng_error(NNGPU_ERR_PARSE, "%s: .npy header does not end in a newline", path);
    /* ASCII only (3.0 allows UTF-8); no control bytes. */
    for (uint64_t i = 0; s == NNGPU_OK && i < hdr_len; i++) {
        unsigned char ch = (unsigned char)hdr[i];
        if ((ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') || ch == 0x7f ||
            (ch > 0x7f && major < 3))
            s = ng_error(NNGPU_ERR_PARSE, "%s: byte 0x%02x in the .npy header", path, ch);
    }
    if (s == NNGPU_OK) s = npy_parse_header(path, hdr, hdr_len, out);
    free(hdr);
    NG_CHECK(s);
    offset += hdr_len;

    uint64_t count = 1;
    for (int i = 0; i < out->rank; i++) {
        uint64_t d = (uint64_t)out->dims[i];
        if (d != 0 && count > UINT64_MAX / d)
            return ng_error(NNGPU_ERR_PARSE, "%s: .npy shape overflows", path);
        count *= d;
    }
    size_t esize = nngpu_dtype_size(out->dtype);
    if (count > (uint64_t)SIZE_MAX / esize || count * esize > file_size)
        return ng_error(NNGPU_ERR_PARSE, "%s: .npy shape needs more data than the file holds",
                        path);
    uint64_t bytes = count * esize;
    if (file_size - offset != bytes)
        return ng_error(NNGPU_ERR_PARSE,
                        "%s: .npy data is %llu bytes, shape and dtype need %llu", path,
                        (unsigned long long)(file_size - offset), (unsigned long long)bytes);
    out->data = malloc(bytes ? bytes : 1);
    if (!out->data)
        return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: no memory for %llu bytes", path,
                        (unsigned long long)bytes);
    out->size_bytes = (size_t)bytes;
    s = npy_read_exact(f, path, out->data, (size_t)bytes, "data");
    if (s != NNGPU_OK) {
        free(out->data);
        out->data = NULL;
    }
    return s;
}

nngpu_status ng_npy_read(const char *path, nngpu_tensor *out) {
    if (!path || !out) return ng_error(NNGPU_ERR_INVALID_ARG, "ng_npy_read: NULL argument");
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return ng_error(NNGPU_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    nngpu_status s = npy_read_file(f, path, out);
    fclose(f);
    if (s != NNGPU_OK) memset(out, 0, sizeof *out);
    return s;
}

/* ---- writing -------------------------------------------------------------- */

static int npy_write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Builds the v1.0 preamble + header padded to a multiple of 64 bytes. */
static nngpu_status npy_build_header(const char *path, const nngpu_tensor *t, const char *descr,
                                     char *buf, size_t cap, size_t *len) {
    char shape[NNGPU_MAX_DIMS * 24 + 8];
    ng_dims_format(t->dims, t->rank, ", ", shape, sizeof shape);
    int h = snprintf(buf + 10, cap - 10, "{'descr': '%s', 'fortran_order': False, 'shape': (%s%s), }",
                     descr, shape, t->rank == 1 ? "," : "");
    if (h < 0 || (size_t)h + 10 + 64 > cap)
        return ng_error(NNGPU_ERR_INTERNAL, "%s: npy header too long", path);
    size_t total = 10 + (size_t)h + 1;
    size_t padded = (total + 63) / 64 * 64;
    memset(buf + 10 + h, ' ', padded - total);
    buf[padded - 1] = '\n';
    memcpy(buf, npy_magic, sizeof npy_magic);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)((padded - 10) & 0xff);
    buf[9] = (char)((padded - 10) >> 8);
    *len = padded;
    return NNGPU_OK;
}

nngpu_status ng_npy_write(const char *path, const nngpu_tensor *t) {
    if (!path || !t) return ng_error(NNGPU_ERR_INVALID_ARG, "ng_npy_write: NULL argument");
    const char *descr = npy_descr_of(t->dtype);
    if (!descr)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "%s: cannot write dtype %s to .npy", path,
                        nngpu_dtype_name(t->dtype));
    if (t->rank < 0 || t->rank > NNGPU_MAX_DIMS)
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s: bad rank %d", path, t->rank);
    uint64_t count = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0 || (t->dims[i] && count > UINT64_MAX / (uint64_t)t->dims[i]))
            return ng_error(NNGPU_ERR_INVALID_ARG, "%s: bad dimension %lld", path,
                            (long long)t->dims[i]);
        count *= (uint64_t)t->dims[i];
    }
    uint64_t bytes = count * nngpu_dtype_size(t->dtype);
    if (bytes > t->size_bytes || (bytes && !t->data))
        return ng_error(NNGPU_ERR_INVALID_ARG, "%s: tensor holds %zu bytes, shape needs %llu",
                        path, t->size_bytes, (unsigned long long)bytes);

    char hdr[512];
    size_t hdr_len = 0;
    NG_CHECK(npy_build_header(path, t, descr, hdr, sizeof hdr, &hdr_len));

    size_t tmp_cap = strlen(path) + 32;
    char *tmp = malloc(tmp_cap);
    if (!tmp) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "%s: no memory", path);
    snprintf(tmp, tmp_cap, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        nngpu_status s = ng_error(NNGPU_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    const char *step = NULL;
    if (npy_write_all(fd, hdr, hdr_len) != 0 || npy_write_all(fd, t->data, (size_t)bytes) != 0)
        step = "write";
    else if (fsync(fd) != 0)
        step = "fsync";
    int err = errno;
    if (close(fd) != 0 && !step) {
        step = "close";
        err = errno;
    }
    if (!step && rename(tmp, path) != 0) {
        step = "rename";
        err = errno;
    }
    if (step) {
        unlink(tmp);
        free(tmp);
        return ng_error(NNGPU_ERR_IO, "%s: %s failed: %s", path, step, strerror(err));
    }
    free(tmp);
    return NNGPU_OK;
}
