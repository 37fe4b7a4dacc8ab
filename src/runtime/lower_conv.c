#include "lower_conv.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int f32(const ng_tensor *t) { return t && t->dtype == NNGPU_DTYPE_FLOAT32 && t->rank >= 0; }

static int known(const ng_tensor *t) { return t && t->rank >= 0; }

int ng_conv_geom_read(const ng_graph *g, const ng_node *n, int w_input, ng_conv_geom *cg) {
    memset(cg, 0, sizeof *cg);
    cg->bias = -1;
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, w_input), *y = ng_out(g, n, 0);
    if (!known(x) || !known(w) || !known(y)) return 0;
    int r = x->rank;
    if ((r != 4 && r != 3) || w->rank != r || y->rank != r) return 0;
    if (ng_numel(x) > INT_MAX || ng_numel(y) > INT_MAX || ng_numel(w) > INT_MAX) return 0;
    int sp = r - 2;
    cg->N = (int)x->dims[0];
    cg->C = (int)x->dims[1];
    cg->H = sp == 2 ? (int)x->dims[2] : 1;
    cg->W = (int)x->dims[r - 1];
    cg->K = (int)w->dims[0];
    cg->KH = sp == 2 ? (int)w->dims[2] : 1;
    cg->KW = (int)w->dims[r - 1];
    cg->OH = sp == 2 ? (int)y->dims[2] : 1;
    cg->OW = (int)y->dims[r - 1];
    cg->G = (int)ng_attr_int(n, "group", 1);
    if (cg->G < 1 || cg->C % cg->G || cg->K % cg->G || w->dims[1] != cg->C / cg->G) return 0;
    if (y->dims[0] != cg->N || y->dims[1] != cg->K) return 0;
    const int64_t *v;
    int64_t s[2] = {1, 1}, d[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    int cnt = ng_attr_ints(n, "strides", &v);
    if (cnt && cnt != sp) return 0;
    for (int i = 0; i < cnt; i++) s[2 - sp + i] = v[i];
    cnt = ng_attr_ints(n, "dilations", &v);
    if (cnt && cnt != sp) return 0;
    for (int i = 0; i < cnt; i++) d[2 - sp + i] = v[i];
    cnt = ng_attr_ints(n, "pads", &v);
    if (cnt && cnt != 2 * sp) return 0;
    if (cnt == 4) {
        p[0] = v[0]; p[1] = v[1]; p[2] = v[2]; p[3] = v[3];
    } else if (cnt == 2) {
        p[1] = v[0]; p[3] = v[1];
    }
    const ng_attr *ks = ng_attr_find(n, "kernel_shape");
    if (ks && (ks->n != sp || ks->ints[sp - 1] != cg->KW || (sp == 2 && ks->ints[0] != cg->KH)))
        return 0;
    if (s[0] < 1 || s[1] < 1 || d[0] < 1 || d[1] < 1 || s[0] > INT_MAX || s[1] > INT_MAX ||
        d[0] > INT_MAX || d[1] > INT_MAX)
        return 0;
    cg->SH = (int)s[0]; cg->SW = (int)s[1]; cg->DH = (int)d[0]; cg->DW = (int)d[1];
    const char *ap = ng_attr_string(n, "auto_pad", "NOTSET");
    int in[2] = {cg->H, cg->W}, out[2] = {cg->OH, cg->OW}, kk[2] = {cg->KH, cg->KW};
    if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
        for (int i = 0; i < 2; i++) {
            int64_t total = (int64_t)(out[i] - 1) * s[i] + (int64_t)(kk[i] - 1) * d[i] + 1 - in[i];
            if (total < 0) total = 0;
            p[i] = ap[5] == 'U' ? total / 2 : total - total / 2;
            p[i + 2] = total - p[i];
        }
    } else if (strcmp(ap, "VALID") == 0) {
        p[0] = p[1] = p[2] = p[3] = 0;
    } else if (strcmp(ap, "NOTSET") != 0) {
        return 0;
    }
    for (int i = 0; i < 4; i++)
        if (p[i] < 0 || p[i] > INT_MAX / 2) return 0;
    cg->PT = (int)p[0];
    cg->PL = (int)p[1];
    for (int i = 0; i < 2; i++) { /* the output size must be what these attributes give */
        int64_t span = (int64_t)(kk[i] - 1) * d[i] + 1;
        int64_t o = (in[i] + p[i] + p[i + 2] - span) / s[i] + 1;
        if (in[i] + p[i] + p[i + 2] < span || o != out[i]) return 0;
    }
    return cg->N > 0 && cg->K > 0 && cg->OH > 0 && cg->OW > 0 && cg->C > 0;
}

int ng_conv_geom_of(const ng_graph *g, const ng_node *n, ng_conv_geom *cg) {
    const ng_tensor *x = ng_in(g, n, 0), *w = ng_in(g, n, 1), *y = ng_out(g, n, 0);
    if (!f32(x) || !f32(w) || !f32(y) || !w->data || !ng_conv_geom_read(g, n, 1, cg)) {
        memset(cg, 0, sizeof *cg);
        return 0;
    }
    if (n->n_main_inputs > 2 && n->in[2] >= 0) {
        const ng_tensor *b = ng_in(g, n, 2);
        if (!f32(b) || ng_numel(b) != cg->K) return 0;
        cg->bias = n->in[2];
    }
    return 1;
}

void *ng_conv_weights_blocked(const ng_conv_geom *cg, const void *w, size_t elem, int oct,
                              size_t *bytes) {
    int cgc = cg->C / cg->G, kg = cg->K / cg->G, nkb = (kg + oct - 1) / oct;
    size_t taps = (size_t)cg->KH * cg->KW;
    size_t total = (size_t)cg->G * nkb * cgc * taps * oct;
    unsigned char *out = calloc(total ? total : 1, elem);
    const unsigned char *src = w;
    if (!out) return NULL;
    for (int gi = 0; gi < cg->G; gi++)
        for (int kl = 0; kl < kg; kl++) {
            int kb = kl / oct, j = kl % oct, k = gi * kg + kl;
            for (int ci = 0; ci < cgc; ci++)
                for (size_t t = 0; t < taps; t++)
                    memcpy(out + (((((size_t)gi * nkb + kb) * cgc + ci) * taps + t) * oct + j) * elem,
                           src + (((size_t)k * cgc + ci) * taps + t) * elem, elem);
        }
    *bytes = total * elem;
    return out;
}
