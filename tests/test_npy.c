/* .npy reader/writer: round trips of every dtype, rejection of malformed
 * files with the right status, and atomic writes that leave no temp file. */
#include "core/npy.h"
#include "harness/harness.h"

#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *dir; /* scratch folder */

static void path_of(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", dir, name);
}

static void write_raw(const char *name, const void *data, size_t n) {
    char p[512];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

/* Writes a v1.0 file with the given header dict text and data size. */
static void write_npy(const char *name, const char *dict, size_t data_bytes) {
    unsigned char buf[1024] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    size_t len = strlen(dict);
    memcpy(buf + 10, dict, len);
    buf[10 + len] = '\n';
    buf[8] = (unsigned char)((len + 1) & 0xff);
    buf[9] = (unsigned char)((len + 1) >> 8);
    write_raw(name, buf, 10 + len + 1 + data_bytes);
}

static void test_round_trip(void) {
    static const nngpu_dtype types[] = {NNGPU_DTYPE_FLOAT32, NNGPU_DTYPE_FLOAT16,
                                        NNGPU_DTYPE_FLOAT64, NNGPU_DTYPE_INT8,
                                        NNGPU_DTYPE_UINT8,   NNGPU_DTYPE_INT32,
                                        NNGPU_DTYPE_INT64,   NNGPU_DTYPE_BOOL};
    static const int64_t shapes[][3] = {{2, 3, 5}, {7, 0, 0}, {0, 3, 0}};
    static const int ranks[] = {3, 1, 2};
    unsigned char data[2 * 3 * 5 * 8];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 37 + 11);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (int s = 0; s < 4; s++) {
            nngpu_tensor in = {.dtype = types[t], .rank = s < 3 ? ranks[s] : 0, .data = data,
                               .size_bytes = sizeof data};
            for (int d = 0; d < in.rank; d++) in.dims[d] = shapes[s][d];
            if (types[t] == NNGPU_DTYPE_BOOL) /* bools must be 0/1 to round trip */
                for (size_t i = 0; i < sizeof data; i++) data[i] &= 1;
            char p[512];
            path_of(p, sizeof p, "rt.npy");
            TH_EXPECT(ng_npy_write(p, &in) == NNGPU_OK, "write %s", nngpu_dtype_name(types[t]));
            nngpu_tensor out;
            TH_EXPECT(ng_npy_read(p, &out) == NNGPU_OK, "read %s", nngpu_dtype_name(types[t]));
            size_t count = 1;
            for (int d = 0; d < in.rank; d++) count *= (size_t)in.dims[d];
            size_t bytes = count * nngpu_dtype_size(types[t]);
            TH_EXPECT(out.dtype == in.dtype && out.rank == in.rank && out.size_bytes == bytes,
                   "%s rank %d: got dtype %s rank %d size %zu", nngpu_dtype_name(types[t]),
                   in.rank, nngpu_dtype_name(out.dtype), out.rank, out.size_bytes);
            TH_EXPECT(!memcmp(out.dims, in.dims, sizeof in.dims[0] * (size_t)in.rank), "dims");
            TH_EXPECT(!bytes || !memcmp(out.data, data, bytes), "data of %s",
                   nngpu_dtype_name(types[t]));
            free(out.data);
        }
}

static void expect_parse_error(const char *name) {
    char p[512];
    nngpu_tensor t;
    path_of(p, sizeof p, name);
    nngpu_status s = ng_npy_read(p, &t);
    TH_EXPECT(s == NNGPU_ERR_PARSE, "%s: status %s, expected parse error", name,
           nngpu_status_name(s));
    TH_EXPECT(strstr(nngpu_last_error(), name) != NULL, "%s: error does not name the file", name);
    TH_EXPECT(t.data == NULL, "%s: data left allocated", name);
}

static void test_malformed(void) {
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    write_npy("good.npy", ok, 24);
    char p[512];
    nngpu_tensor t;
    path_of(p, sizeof p, "good.npy");
    TH_EXPECT(ng_npy_read(p, &t) == NNGPU_OK && t.rank == 2 && t.dims[1] == 3, "good.npy");
    free(t.data);

    write_npy("short_data.npy", ok, 23);
    write_npy("long_data.npy", ok, 25);
    write_npy("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24);
    write_npy("big_endian.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8);
    write_npy("uint16.npy", "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", 4);
    write_npy("no_shape.npy", "{'descr': '<f4', 'fortran_order': False, }", 4);
    write_npy("dup_key.npy", "{'descr': '<f4', 'descr': '<f4', 'shape': (1,), }", 4);
    write_npy("bad_tuple.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1 2), }", 8);
    write_npy("negative.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4);
    write_npy("overflow.npy",
              "{'descr': '<f4', 'fortran_order': False, "
              "'shape': (4294967296, 4294967296, 4294967296), }", 16);
    write_npy("huge_dim.npy",
              "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 4);
    write_npy("too_many_dims.npy",
              "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4);
    write_npy("not_dict.npy", "['descr', '<f4']", 4);
    write_raw("bad_magic.npy", "\x93NUMPZ\x01\x00\x10\x00{}              \n", 26);
    write_raw("bad_version.npy", "\x93NUMPY\x09\x00\x10\x00{}              \n", 26);
    write_raw("header_too_long.npy", "\x93NUMPY\x01\x00\xff\x7f{}\n", 13);
    write_raw("empty.npy", "", 0);
    const char *bad[] = {"short_data.npy", "long_data.npy",  "fortran.npy",
                         "big_endian.npy", "uint16.npy",     "no_shape.npy",
                         "dup_key.npy",    "bad_tuple.npy",  "negative.npy",
                         "overflow.npy",   "huge_dim.npy",   "too_many_dims.npy",
                         "not_dict.npy",   "bad_magic.npy",  "bad_version.npy",
                         "header_too_long.npy", "empty.npy"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_parse_error(bad[i]);

    path_of(p, sizeof p, "missing.npy");
    TH_EXPECT(ng_npy_read(p, &t) == NNGPU_ERR_IO && strstr(nngpu_last_error(), "missing.npy"),
           "missing file must be an i/o error naming it");
}

static int count_files(void) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void test_write_failures(void) {
    float v[4] = {1, 2, 3, 4};
    nngpu_tensor t = {.dtype = NNGPU_DTYPE_FLOAT32, .rank = 1, .dims = {4}, .data = v,
                      .size_bytes = sizeof v};
    char p[512];
    int before = count_files();
    path_of(p, sizeof p, "no_such_dir/out.npy");
    TH_EXPECT(ng_npy_write(p, &t) == NNGPU_ERR_IO, "write into a missing folder");
    path_of(p, sizeof p, "a_dir");
    mkdir(p, 0755);
    TH_EXPECT(ng_npy_write(p, &t) == NNGPU_ERR_IO, "rename onto a folder must fail");
    TH_EXPECT(count_files() == before + 1, "a failed write left a temporary file");
    rmdir(p);
    t.size_bytes = 8;
    path_of(p, sizeof p, "small.npy");
    TH_EXPECT(ng_npy_write(p, &t) == NNGPU_ERR_INVALID_ARG, "too little data");
    TH_EXPECT(access(p, F_OK) != 0, "a rejected write created the file");
}

int main(void) {
    if (!(dir = th_scratch_dir("nngpu_test_npy"))) return 1;
    test_round_trip();
    test_malformed();
    test_write_failures();
    th_scratch_remove();
    if (th_failures()) fprintf(stderr, "test_npy: %d failures\n", th_failures());
    else printf("test_npy: ok\n");
    return th_failures() != 0;
}
