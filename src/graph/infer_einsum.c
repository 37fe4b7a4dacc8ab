/* Einsum equations: parsing into label ids (explicit and implicit output,
 * ellipsis), extents and the output shape. */
#include <ctype.h>
#include <string.h>

#include "infer_internal.h"

#define ERR(...) ng_infer_err(n, __VA_ARGS__)

/* Letters of term [s, e) (spaces skipped); *ell: "..." seen. -1 on a bad char. */
static int term_letters(const char *s, const char *e, char *out, int *ell) {
    int c = 0;
    *ell = 0;
    while (s < e) {
        if (*s == ' ') { s++; continue; }
        if (*s == '.') {
            if (e - s < 3 || s[1] != '.' || s[2] != '.' || *ell) return -1;
            *ell = 1;
            out[c++] = '.';
            s += 3;
            continue;
        }
        if (!isalpha((unsigned char)*s) || c >= NNGPU_MAX_DIMS + 1) return -1;
        out[c++] = *s++;
    }
    return c;
}

static int letter_id(int *ids, char ch) { return ids[(unsigned char)ch]; }

nngpu_status ng_infer_einsum(const ng_graph *g, const ng_node *n, ng_einsum *e) {
    const char *eq = ng_attr_string(n, "equation", NULL);
    if (!eq) return ERR(NNGPU_ERR_INVALID_ARG, "attribute 'equation' is required");
    memset(e, 0, sizeof *e);
    e->n_in = n->n_main_inputs;
    if (e->n_in < 1 || e->n_in > NG_EINSUM_MAX_IN) return ERR(NNGPU_ERR_UNSUPPORTED, "%d inputs (1..%d)", e->n_in, NG_EINSUM_MAX_IN);
    const char *arrow = strstr(eq, "->"), *lhs_end = arrow ? arrow : eq + strlen(eq);
    char terms[NG_EINSUM_MAX_IN][NNGPU_MAX_DIMS + 2];
    int tl[NG_EINSUM_MAX_IN], tell[NG_EINSUM_MAX_IN], k = 0;
    const ng_tensor *x[NG_EINSUM_MAX_IN];
    for (const char *s = eq; k < e->n_in; k++) {
        const char *c = memchr(s, ',', (size_t)(lhs_end - s));
        const char *te = c ? c : lhs_end;
        NG_CHECK(ng_infer_need(g, n, k, &x[k]));
        tl[k] = term_letters(s, te, terms[k], &tell[k]);
        if (tl[k] < 0) return ERR(NNGPU_ERR_INVALID_ARG, "bad equation '%s'", eq);
        if (!c && k + 1 < e->n_in) return ERR(NNGPU_ERR_INVALID_ARG, "equation '%s' has fewer terms than %d inputs", eq, e->n_in);
        s = c ? c + 1 : te;
        if (k + 1 == e->n_in && c)
            return ERR(NNGPU_ERR_INVALID_ARG, "equation '%s' has more terms than %d inputs", eq, e->n_in);
    }
    /* ellipsis extent per input, then label ids */
    int ell[NG_EINSUM_MAX_IN];
    for (k = 0; k < e->n_in; k++) {
        ell[k] = x[k]->rank - (tl[k] - tell[k]);
        if (ell[k] < 0 || (!tell[k] && ell[k] != 0))
            return ERR(NNGPU_ERR_INVALID_ARG, "term %d of '%s' does not match rank %d of '%s'", k, eq, x[k]->rank, x[k]->name);
        if (ell[k] > e->n_ell) e->n_ell = ell[k];
    }
    int ids[256], count[256] = {0};
    for (int i = 0; i < 256; i++) ids[i] = -1;
    e->n_labels = e->n_ell;
    for (k = 0; k < e->n_in; k++) {
        int r = 0;
        for (int j = 0; j < tl[k]; j++) {
            char ch = terms[k][j];
            if (ch == '.') {
                for (int q = 0; q < ell[k]; q++) e->in_lab[k][r++] = e->n_ell - ell[k] + q;
                continue;
            }
            if (ids[(unsigned char)ch] < 0) ids[(unsigned char)ch] = e->n_labels++;
            count[(unsigned char)ch]++;
            e->in_lab[k][r++] = letter_id(ids, ch);
        }
        e->in_rank[k] = r;
    }
    for (int i = 0; i < e->n_labels; i++) e->size[i] = 1;
    for (k = 0; k < e->n_in; k++)
        for (int j = 0; j < e->in_rank[k]; j++) {
            int64_t d = x[k]->dims[j], *sz = &e->size[e->in_lab[k][j]];
            if (d != 1 && *sz != 1 && d != *sz)
                return ERR(NNGPU_ERR_INVALID_ARG, "label extents %lld and %lld differ in '%s'", (long long)d, (long long)*sz, eq);
            if (d != 1) *sz = d;
        }
    if (arrow) {
        char out[NNGPU_MAX_DIMS + 2];
        int oell, ol = term_letters(arrow + 2, arrow + strlen(arrow), out, &oell);
        if (ol < 0) return ERR(NNGPU_ERR_INVALID_ARG, "bad equation '%s'", eq);
        for (int j = 0; j < ol; j++) {
            if (out[j] == '.') {
                for (int q = 0; q < e->n_ell && e->out_rank < NNGPU_MAX_DIMS; q++) e->out_lab[e->out_rank++] = q;
                continue;
            }
            int id = letter_id(ids, out[j]);
            if (id < 0) return ERR(NNGPU_ERR_INVALID_ARG, "output label '%c' is in no input", out[j]);
            if (e->out_rank >= NNGPU_MAX_DIMS) return ERR(NNGPU_ERR_UNSUPPORTED, "output rank over %d", NNGPU_MAX_DIMS);
            e->out_lab[e->out_rank++] = id;
        }
    } else { /* implicit: ellipsis, then the letters seen once, alphabetically */
        for (int q = 0; q < e->n_ell; q++) e->out_lab[e->out_rank++] = q;
        for (int ch = 'A'; ch <= 'z'; ch++)
            if (count[ch] == 1 && e->out_rank < NNGPU_MAX_DIMS) e->out_lab[e->out_rank++] = ids[ch];
    }
    return NNGPU_OK;
}
