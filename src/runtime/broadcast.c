/* Broadcast index plans (broadcast.h). */
#include "broadcast.h"

#include <string.h>

int ng_bcast_plan(int ro, const int64_t *od, int r, const int64_t *d, ng_bcast *b) {
    memset(b, 0, sizeof *b);
    if (r > ro || ro > NNGPU_MAX_DIMS) return 0;
    int64_t st[NNGPU_MAX_DIMS], s = 1;
    for (int k = r - 1; k >= 0; k--) {
        st[k] = s;
        s *= d[k];
    }
    int lo = -1, hi = -1, same = (r == ro), gap = 0;
    for (int k = 0; k < ro; k++) {
        int j = k - (ro - r);
        int64_t dim = j < 0 ? 1 : d[j];
        if (dim != od[k] && dim != 1) return 0;
        if (dim != od[k]) same = 0;
        b->strides[k] = (dim == 1) ? 0 : st[j];
        if (dim != 1) {
            if (lo < 0) lo = k;
            else if (gap) gap = 2; /* a broadcast dim between used dims */
            hi = k;
        } else if (lo >= 0 && od[k] != 1 && !gap) {
            gap = 1;
        }
    }
    if (same) {
        b->mode = NG_BCAST_SAME;
    } else if (gap != 2) {
        int64_t inner = 1, count = 1;
        for (int k = hi + 1; k < ro; k++) inner *= od[k];
        for (int k = lo; lo >= 0 && k <= hi; k++) count *= od[k];
        if (lo < 0) inner = 1;
        b->mode = NG_BCAST_BLOCK;
        b->inner = inner;
        b->count = count;
    } else {
        b->mode = NG_BCAST_GENERIC;
    }
    return 1;
}
