/* Search-space machinery shared by the families: signature parsing, the
 * family table, enumeration of valid candidates. */
#include "space.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

static const ng_tune_family *const families[] = {
    /* OpenCL (eltwise and norm: Vulkan too) */
    &ng_tune_gemm, &ng_tune_conv_direct, &ng_tune_conv_depthwise, &ng_tune_pool, &ng_tune_global_pool,
    &ng_tune_eltwise, &ng_tune_softmax, &ng_tune_reduce, &ng_tune_norm,
    /* Vulkan */
    &ng_tune_vk_gemm, &ng_tune_vk_conv_gemm, &ng_tune_vk_conv_wino, &ng_tune_vk_conv,
    &ng_tune_vk_conv_depthwise, &ng_tune_vk_pool, &ng_tune_vk_global_pool,
    /* INT8: OpenCL, Vulkan */
    &ng_tune_qgemm, &ng_tune_gemm_qw,
    &ng_tune_vk_qgemm, &ng_tune_vk_qmatmulw, &ng_tune_vk_qconv_gemm, &ng_tune_vk_qconv,
    &ng_tune_vk_qconv_depthwise,
};

const ng_tune_family *ng_tune_family_find(const char *name) {
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strcmp(families[i]->name, name) == 0) return families[i];
    return NULL;
}

void ng_sig_parse(const char *text, ng_sig *out) {
    memset(out, 0, sizeof *out);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text ? text : "");
    /* "Op:123" (eltwise) and "64x1000x1" (softmax): positional values. */
    char *colon = strchr(buf, ':');
    if (!strchr(buf, '=')) {
        char *p = colon ? colon + 1 : buf;
        for (char *tok = strtok(p, "x"); tok && out->n < NG_SIG_MAX; tok = strtok(NULL, "x")) {
            snprintf(out->key[out->n], sizeof out->key[0], "%d", out->n);
            out->v[out->n][0] = out->v[out->n][1] = atoll(tok);
            out->n++;
        }
        return;
    }
    char *save = NULL;
    for (char *kv = strtok_r(buf, ",", &save); kv && out->n < NG_SIG_MAX; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) continue;
        *eq = '\0';
        snprintf(out->key[out->n], sizeof out->key[0], "%s", kv);
        char *x = strchr(eq + 1, 'x');
        out->v[out->n][0] = atoll(eq + 1);
        out->v[out->n][1] = x ? atoll(x + 1) : out->v[out->n][0];
        out->n++;
    }
}

long long ng_sig_get(const ng_sig *s, const char *key, int which, long long def) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->key[i], key) == 0) return s->v[i][which ? 1 : 0];
    return def;
}

int ng_space_is_gpu(const ng_space *sp) { return strcmp(sp->dev.device_type, "gpu") == 0; }

long long ng_pow2_ceil(long long v) {
    long long p = 1;
    while (p < v) p <<= 1;
    return p;
}

int ng_space_tile_fits(long long tile, long long extent, long long def) {
    return tile <= ng_pow2_ceil(extent) || tile <= def;
}

int ng_space_group_ok(const ng_space *sp, long long size, long long def) {
    if (size < 1 || (size_t)size > sp->dev.max_work_group_size) return 0;
    return sp->dev.subgroup_size <= 0 || size % sp->dev.subgroup_size == 0 || size == def;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void add_value(ng_space_param *p, int v) {
    for (int i = 0; i < p->n; i++)
        if (p->values[i] == v) return;
    if (p->n < NG_SPACE_MAX_VALUES) p->values[p->n++] = v;
    qsort(p->values, (size_t)p->n, sizeof(int), cmp_int);
}

void ng_space_add(ng_space *sp, const char *name, int n, const int *values) {
    if (sp->n_params >= NG_MAX_PARAMS) return;
    ng_space_param *p = &sp->param[sp->n_params++];
    memset(p, 0, sizeof *p);
    p->name = name;
    for (int i = 0; i < n; i++) add_value(p, values[i]);
}

static int has_param(const ng_params *p, const char *name) {
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) return 1;
    return 0;
}

nngpu_status ng_space_init(ng_space *sp, const char *family, const char *signature,
                           const nngpu_device_info *dev, const ng_params *defaults) {
    memset(sp, 0, sizeof *sp);
    sp->fam = ng_tune_family_find(family);
    if (!sp->fam) return ng_error(NNGPU_ERR_NOT_FOUND, "kernel family '%s' has no search space", family);
    ng_sig_parse(signature, &sp->sig);
    sp->dev = *dev;
    sp->defaults = *defaults;
    sp->fam->declare(sp);
    /* Keep what the backend looks up; make sure its choice is a candidate. */
    int kept = 0;
    for (int i = 0; i < sp->n_params; i++) {
        if (!has_param(defaults, sp->param[i].name)) continue;
        sp->param[kept] = sp->param[i];
        add_value(&sp->param[kept], ng_params_get(defaults, sp->param[i].name, 0));
        kept++;
    }
    sp->n_params = kept;
    if (!kept)
        return ng_error(NNGPU_ERR_NOT_FOUND, "kernel family '%s' (%s): nothing to tune", family,
                        signature);
    return NNGPU_OK;
}

int ng_space_picks_algorithm(const ng_space *sp) {
    static const char *const algo[] = {"ALGO", "IGEMM", "WINO"};
    for (int i = 0; i < sp->n_params; i++)
        for (size_t a = 0; a < sizeof algo / sizeof algo[0]; a++)
            if (strcmp(sp->param[i].name, algo[a]) == 0 && sp->param[i].n > 1) return 1;
    return 0;
}

double ng_space_raw_size(const ng_space *sp) {
    double r = 1;
    for (int i = 0; i < sp->n_params; i++) r *= sp->param[i].n;
    return r;
}

int ng_params_equal(const ng_params *a, const ng_params *b) {
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (ng_params_get(b, a->name[i], a->value[i] + 1) != a->value[i]) return 0;
    return 1;
}

static void canonical(const ng_space *sp, ng_params *c) {
    if (sp->fam->canonical) sp->fam->canonical(sp, c);
}

int ng_space_contains(const ng_space *sp, const ng_params *cand) {
    ng_params c = *cand;
    canonical(sp, &c);
    for (int i = 0; i < sp->n_params; i++) {
        const ng_space_param *p = &sp->param[i];
        int v = ng_params_get(&c, p->name, -999999), found = 0;
        for (int j = 0; j < p->n; j++) found |= p->values[j] == v;
        if (!found) return 0;
    }
    return sp->fam->valid(sp, &c);
}

int ng_space_enumerate(const ng_space *sp, ng_params **out) {
    int cap = 256, n = 0;
    ng_params *list = malloc(sizeof *list * (size_t)cap);
    if (!list) return 0;
    ng_params def = sp->defaults;
    canonical(sp, &def);
    list[n++] = def; /* first, valid or not: it is what runs without tuning */
    int idx[NG_MAX_PARAMS] = {0};
    for (;;) {
        ng_params c = sp->defaults;
        for (int i = 0; i < sp->n_params; i++)
            ng_params_set(&c, sp->param[i].name, sp->param[i].values[idx[i]]);
        canonical(sp, &c);
        if (sp->fam->valid(sp, &c)) {
            int dup = 0;
            for (int j = 0; j < n && !dup; j++) dup = ng_params_equal(&list[j], &c);
            if (!dup) {
                if (n == cap) {
                    ng_params *grown = realloc(list, sizeof *list * (size_t)(cap *= 2));
                    if (!grown) {
                        free(list);
                        return 0;
                    }
                    list = grown;
                }
                list[n++] = c;
            }
        }
        int i = 0;
        while (i < sp->n_params && ++idx[i] == sp->param[i].n) idx[i++] = 0;
        if (i == sp->n_params) break;
    }
    *out = list;
    return n;
}

void ng_params_format(const ng_params *p, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s=%d", i ? "," : "", p->name[i], p->value[i]);
}

void ng_space_override(const ng_space *sp, const ng_params *cand, char *buf, size_t cap) {
    int len = snprintf(buf, cap, "%s:", sp->fam->name);
    if (len > 0 && (size_t)len < cap) ng_params_format(cand, buf + len, cap - (size_t)len);
}
