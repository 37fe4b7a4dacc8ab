/* Splitting nntune's --budget over the kernels to tune: heavier kernels
 * (estimated time of one run x layers using it) get a larger share, and go
 * first, so a short budget goes where the model spends its time. */
#ifndef NG_TUNE_BUDGET_H
#define NG_TUNE_BUDGET_H

#include "autotune/tuner.h"

/* The job's weight: sqrt(uses x a roofline estimate of one run from the
 * family's FLOP and byte counts); 1 for families that do not count work.
 * The square root spreads time wider than the estimate alone: the spaces of
 * small kernels are small, but not free to search. */
double ng_tune_job_weight(const ng_tune_job *job);

/* Orders idx[0..n) by descending weight w[idx[i]] (stable). */
void ng_tune_order_by_weight(int *idx, int n, const double *w);

/* Seconds for the next of the remaining jobs with weights w[0..n) (the next
 * is w[0]) out of `left` seconds: every job is owed min(floor_s, an even
 * share), so every kernel gets measured; this one gets at least that, or its
 * weighted share of what the later jobs' floors leave. */
double ng_tune_budget_share(double left, const double *w, int n, double floor_s);

#endif
