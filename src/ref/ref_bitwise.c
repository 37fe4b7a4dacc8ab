/* BitwiseAnd / Or / Xor / Not and BitShift on integer tensors (int4 and
 * uint4 excepted), broadcast like the other binary ops. Exporters use them to
 * unpack packed weights, which then fold. BitShift: left shifts the bits
 * (truncated to the type), right shifts signed types arithmetically; a shift
 * count outside [0, width) gives 0, or -1 right-shifting a negative value. */
#include <string.h>

#include "ref_internal.h"

static int bits_of(nngpu_dtype t) { return 8 * (int)nngpu_dtype_size(t); }

/* a and b as loaded (sign-extended for signed types); the result is
 * truncated to the type on storing. */
static int64_t combine(ng_op op, int64_t a, int64_t b, int right, int bits) {
    switch (op) {
    case NG_OP_BITWISEAND: return a & b;
    case NG_OP_BITWISEOR: return a | b;
    case NG_OP_BITWISEXOR: return a ^ b;
    default: /* BitShift */
        if (b < 0 || b >= bits) return right && a < 0 ? -1 : 0;
        if (!right) return (int64_t)((uint64_t)a << b);
        return a < 0 ? ~(~a >> b) : a >> b; /* arithmetic, without relying on >> of negatives */
    }
}

nngpu_status ng_ref_bitwise(const ng_graph *g, const ng_node *n, const void *const *in,
                            void *const *out) {
    const ng_tensor *ta = ng_in(g, n, 0), *ty = ng_out(g, n, 0);
    int64_t cnt = ng_numel(ty);
    if (n->op == NG_OP_BITWISENOT) {
        for (int64_t i = 0; i < cnt; i++) ng_ref_sti(ty->dtype, out[0], i, ~ng_ref_ldi(ta->dtype, in[0], i));
        return NNGPU_OK;
    }
    const ng_tensor *tb = ng_in(g, n, 1);
    int right = strcmp(ng_attr_string(n, "direction", "LEFT"), "RIGHT") == 0;
    int64_t sa[NNGPU_MAX_DIMS], sb[NNGPU_MAX_DIMS];
    ng_ref_bcast_strides(ty->rank, ty->dims, ta->rank, ta->dims, sa);
    ng_ref_bcast_strides(ty->rank, ty->dims, tb->rank, tb->dims, sb);
    for (int64_t i = 0; i < cnt; i++) {
        int64_t a = ng_ref_ldi(ta->dtype, in[0], ng_ref_bcast_offset(ty->rank, ty->dims, sa, i));
        int64_t b = ng_ref_ldi(tb->dtype, in[1], ng_ref_bcast_offset(ty->rank, ty->dims, sb, i));
        ng_ref_sti(ty->dtype, out[0], i, combine(n->op, a, b, right, bits_of(ty->dtype)));
    }
    return NNGPU_OK;
}
