/* nntune's budget split (budget.h). */
#include "autotune/budget.h"

#include <math.h>
#include <stdlib.h>

/* Rough device-independent rates: only ratios between jobs matter. */
#define EST_FLOPS_PER_S 1e11
#define EST_BYTES_PER_S 2e10

double ng_tune_job_weight(const ng_tune_job *job) {
    const ng_tune_family *fam = ng_tune_family_find(job->family);
    if (!fam || !fam->flops || !fam->bytes) return 1.0;
    ng_sig sig;
    ng_sig_parse(job->signature, &sig);
    double t = fam->flops(&sig) / EST_FLOPS_PER_S + fam->bytes(&sig) / EST_BYTES_PER_S;
    double w = sqrt((job->uses > 0 ? job->uses : 1) * t * 1e6); /* t in microseconds */
    return w > 1e-3 ? w : 1e-3;
}

void ng_tune_order_by_weight(int *idx, int n, const double *w) {
    for (int i = 1; i < n; i++) { /* insertion sort: stable, n is small */
        int v = idx[i], j = i;
        for (; j > 0 && w[idx[j - 1]] < w[v]; j--) idx[j] = idx[j - 1];
        idx[j] = v;
    }
}

double ng_tune_budget_share(double left, const double *w, int n, double floor_s) {
    if (n <= 0 || left <= 0) return 0;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += w[i];
    double even = left / n, lo = floor_s < even ? floor_s : even;
    /* The floors of the jobs after this one stay reserved. */
    double share = sum > 0 ? (left - lo * (n - 1)) * w[0] / sum : even;
    return share > lo ? share : lo;
}
