/* ReverseSequence: for each batch entry b, the first sequence_lens[b] steps
 * along time_axis reversed, the rest copied; any dtype (bytes moved). */
#include <string.h>

#include "ref_internal.h"

nngpu_status ng_ref_reverse_sequence(const ng_graph *g, const ng_node *n, const void *const *in,
                                     void *const *out) {
    const ng_tensor *x = ng_in(g, n, 0), *lt = ng_in(g, n, 1);
    int ba = (int)ng_attr_int(n, "batch_axis", 1), ta = (int)ng_attr_int(n, "time_axis", 0);
    int64_t strides[NNGPU_MAX_DIMS];
    ng_ref_strides(x->rank, x->dims, strides);
    size_t es = nngpu_dtype_size(x->dtype);
    const char *src = in[0];
    char *dst = out[0];
    int64_t numel = ng_numel(x), T = x->dims[ta];
    for (int64_t b = 0; b < x->dims[ba]; b++) {
        int64_t len = ng_ref_ldi(lt->dtype, in[1], b);
        if (len < 0 || len > T)
            return ng_ref_err(n, NNGPU_ERR_INVALID_ARG, "sequence_lens[%lld] = %lld is not in [0, %lld]",
                              (long long)b, (long long)len, (long long)T);
    }
    for (int64_t e = 0; e < numel; e++) {
        int64_t t = e / strides[ta] % T, b = e / strides[ba] % x->dims[ba];
        int64_t len = ng_ref_ldi(lt->dtype, in[1], b);
        int64_t from = t < len ? e + (len - 1 - 2 * t) * strides[ta] : e;
        memcpy(dst + (size_t)e * es, src + (size_t)from * es, es);
    }
    return NNGPU_OK;
}
