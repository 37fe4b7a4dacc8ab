/* The calibration cache file: text, one line per tensor.
 *   nngpu-calibration 1
 *   key <16 hex digits>
 *   samples <n>
 *   tensor <name length> <name> <lo> <hi> <n_ch> <mean 0> ... <mean n_ch-1>
 *   end
 * Written to a temporary name in the same folder, then renamed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "core/status.h"

#define CACHE_MAGIC "nngpu-calibration"
#define CACHE_VERSION 1

nngpu_status ng_calib_cache_write(const char *path, uint64_t key, const ng_graph *g,
                                  const ng_calib_table *t) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp); /* unique even for two sessions of one process */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        nngpu_status st = ng_error(NNGPU_ERR_IO, "calibration cache '%s': %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return st;
    }
    fprintf(f, "%s %d\nkey %016llx\nsamples %d\n", CACHE_MAGIC, CACHE_VERSION,
            (unsigned long long)key, t->n_samples);
    for (int i = 0; i < t->n_tensors && i < g->n_tensors; i++) {
        const ng_quant_range *r = &t->ranges[i];
        if (!r->known) continue;
        const char *name = g->tensors[i].name;
        fprintf(f, "tensor %zu %s %.9g %.9g %d", strlen(name), name, r->lo, r->hi, r->n_ch);
        for (int c = 0; c < r->n_ch; c++) fprintf(f, " %.17g", r->mean[c]);
        fputc('\n', f);
    }
    fprintf(f, "end\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        nngpu_status st = ng_error(NNGPU_ERR_IO, "calibration cache '%s': %s", path,
                                   strerror(errno ? errno : EIO));
        remove(tmp);
        return st;
    }
    return NNGPU_OK;
}

/* One "tensor" line after its keyword; 0 on a malformed line or unknown tensor. */
static int read_tensor(FILE *f, const ng_graph *g, ng_calib_table *t, char *why, size_t cap) {
    size_t len;
    if (fscanf(f, "%zu", &len) != 1 || len == 0 || len > 4096 || fgetc(f) != ' ') {
        snprintf(why, cap, "a malformed tensor line");
        return 0;
    }
    char *name = malloc(len + 1);
    if (!name || fread(name, 1, len, f) != len) {
        free(name);
        snprintf(why, cap, "a truncated tensor name");
        return 0;
    }
    name[len] = '\0';
    int id = ng_tensor_find(g, name);
    if (id < 0 || id >= t->n_tensors) {
        snprintf(why, cap, "tensor '%.200s' is not in this model", name);
        free(name);
        return 0;
    }
    free(name);
    ng_quant_range *r = &t->ranges[id];
    int n_ch;
    if (fscanf(f, "%f %f %d", &r->lo, &r->hi, &n_ch) != 3 || n_ch < 0 || n_ch > (1 << 24) ||
        !(r->lo <= 0) || !(r->hi >= 0)) {
        snprintf(why, cap, "a malformed range");
        return 0;
    }
    double *mean = n_ch ? malloc(sizeof(double) * (size_t)n_ch) : NULL;
    if (n_ch && !mean) {
        snprintf(why, cap, "out of memory");
        return 0;
    }
    for (int c = 0; c < n_ch; c++)
        if (fscanf(f, "%lf", &mean[c]) != 1) {
            free(mean);
            snprintf(why, cap, "truncated channel means");
            return 0;
        }
    free((void *)r->mean);
    r->mean = mean;
    r->n_ch = n_ch;
    r->known = 1;
    return 1;
}

int ng_calib_cache_read(const char *path, uint64_t key, const ng_graph *g, ng_calib_table *t,
                        char *why, size_t cap) {
    why[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char word[32];
    int version = 0, samples = 0;
    unsigned long long file_key = 0;
    int ok = fscanf(f, "%31s %d", word, &version) == 2 && strcmp(word, CACHE_MAGIC) == 0 &&
             version == CACHE_VERSION;
    if (!ok) snprintf(why, cap, "not a version-%d calibration file", CACHE_VERSION);
    if (ok && (fscanf(f, " key %llx samples %d", &file_key, &samples) != 2 ||
               file_key != (unsigned long long)key || samples < 1)) {
        snprintf(why, cap, "its key or sample count does not match");
        ok = 0;
    }
    int ended = 0;
    while (ok && !ended) {
        if (fscanf(f, "%31s", word) != 1) {
            snprintf(why, cap, "it is truncated");
            ok = 0;
        } else if (strcmp(word, "end") == 0) {
            ended = 1;
        } else if (strcmp(word, "tensor") == 0) {
            ok = read_tensor(f, g, t, why, cap);
        } else {
            snprintf(why, cap, "unexpected '%s'", word);
            ok = 0;
        }
    }
    fclose(f);
    if (ok) t->n_samples = samples;
    return ok;
}
