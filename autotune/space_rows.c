/* Row kernels: softmax, reduce ("OUTERxLENxINNER") and norm ("ROWSxLEN").
 * WG work-items (a power of two) share a row when the row is at least
 * ROWS_MIN_LEN long (softmax, reduce); shorter rows take one item each. */
#include "space.h"

static void rows_declare(ng_space *sp) {
    NG_SPACE_ADD(sp, "WG", 8, 16, 32, 64, 128, 256);
    NG_SPACE_ADD(sp, "ROWS_MIN_LEN", 16, 64, 256, 1 << 30);
}

static int rows_valid(const ng_space *sp, const ng_params *c) {
    int wg = ng_params_get(c, "WG", 64);
    return wg >= 1 && !(wg & (wg - 1)) && (size_t)wg <= sp->dev.max_work_group_size;
}

/* Rows shorter than ROWS_MIN_LEN never use WG: one canonical WG then. */
static void rows_canonical(const ng_space *sp, ng_params *c) {
    long long len = ng_sig_get(&sp->sig, "1", 0, 1), inner = ng_sig_get(&sp->sig, "2", 0, 1);
    if (inner != 1 || len < ng_params_get(c, "ROWS_MIN_LEN", 64))
        ng_params_set(c, "WG", ng_params_get(&sp->defaults, "WG", 64));
}

static double rows_flops(const ng_sig *s) {
    double n = 1;
    for (int i = 0; i < s->n; i++) n *= (double)s->v[i][0];
    return 3.0 * n;
}

static double rows_bytes(const ng_sig *s) { return 8.0 * rows_flops(s) / 3.0; }

static void norm_declare(ng_space *sp) { NG_SPACE_ADD(sp, "WG", 8, 16, 32, 64, 128, 256); }

const ng_tune_family ng_tune_softmax = {"softmax", 1, rows_declare, rows_valid, rows_canonical,
                                        rows_flops, rows_bytes};
const ng_tune_family ng_tune_reduce = {"reduce", 1, rows_declare, rows_valid, rows_canonical,
                                       rows_flops, rows_bytes};
const ng_tune_family ng_tune_norm = {"norm", 1, norm_declare, rows_valid, NULL, rows_flops, rows_bytes};
