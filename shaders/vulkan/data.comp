#version 450
/* Data movement, then the epilogue. KIND 0: contiguous copy; 1: strided copy
 * (reshape, transpose, slice, expand, concat, split); 2: gather; 3: pad
 * (constant, reflect, edge, wrap);
 * 4: resize from host-computed tap tables; 5: gather_elements; 6: grid_sample; 7: resize
 * of the last two dims only, plane by plane (no per-dim loop). Dims and
 * strides sit in the int meta buffer at meta_off (8 slots per list). Values move as NG_REAL;
 * resize and grid_sample interpolate in float. */
#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"
#include "epilogue_ops.h"

layout(local_size_x_id = 0) in;           /* work-group size */
#include "grid.glsl" /* after the local size: gl_WorkGroupSize */
layout(constant_id = 1) const int KIND = 0;
layout(constant_id = 2) const int TAPS = 2;     /* resize / grid_sample taps per dim: 1 nearest, 2 linear, 4 cubic */
layout(constant_id = 3) const int PAD_MODE = 0; /* 0 constant (zeros), 1 reflect, 2 edge (border), 3 wrap */
layout(constant_id = 4) const int IDX64 = 0; /* 1: int64 indices, two little-endian int words each */
#define EPI_SPEC_BASE 5

layout(std430, binding = 0) writeonly buffer Y { NG_FLOAT y[]; };
layout(std430, binding = 1) readonly buffer X { NG_FLOAT x[]; };
layout(std430, binding = 2) readonly buffer Meta { int meta[]; };
layout(std430, binding = 3) readonly buffer Idx { int idx[]; }; /* gather indices, resize table,
                                                                  grid_sample's float grid */
/* idx_off counts int words (two per int64 index). */
#define EPI_BINDING_BASE 4

layout(push_constant) uniform Push {
    uint y_off, x_off, n, y_base, rank, meta_off, idx_off, n_idx, axis_len, inner;
    float value; /* pad constant */
    NG_EPI_PUSH_FIELDS
} p;

#include "epilogue.glsl"

#define M_DIM(k) meta[p.meta_off + (k)]
#define M_A(k) meta[p.meta_off + 8u + (k)]
#define M_B(k) meta[p.meta_off + 16u + (k)]

/* Each kind returns the value of output element gid and sets yi, the index it
 * is stored at (gid but for strided copies); main applies the epilogue once
 * (one inlined copy of it compiles several times faster than one per kind). */

/* meta: dims, x strides, y strides */
NG_REAL copy_strided(uint gid, out uint yi) {
    uint xi = 0u, q = gid;
    yi = 0u;
    for (int k = int(p.rank) - 1; k >= 0; k--) {
        uint d = uint(M_DIM(k));
        uint c = q % d;
        q /= d;
        xi += c * uint(M_A(k));
        yi += c * uint(M_B(k));
    }
    return NG_REAL(x[p.x_off + xi]);
}

/* Index j of idx (int32, or with IDX64 an int64 whose high word must be the
 * low word's sign extension) for an axis of len, negative ones counting from
 * the end; -1 when out of range. */
int index_at(uint j, int len) {
    int id;
    if (IDX64 != 0) {
        id = idx[p.idx_off + 2u * j];
        if (idx[p.idx_off + 2u * j + 1u] != (id >> 31)) return -1;
    } else {
        id = idx[p.idx_off + j];
    }
    if (id < 0) id += len;
    return id < len ? id : -1;
}

/* Output (outer, n_idx, inner) from x (outer, axis_len, inner);
 * out-of-range indices give 0. */
NG_REAL gather(uint gid) {
    uint in_ = gid % p.inner, t = gid / p.inner;
    uint j = t % p.n_idx, o = t / p.n_idx;
    int id = index_at(j, int(p.axis_len));
    return id >= 0 ? NG_REAL(x[p.x_off + (o * p.axis_len + uint(id)) * p.inner + in_]) : NG_REAL(0.0);
}

/* meta: output dims, x strides (0 along the axis); x's axis stride in
 * p.inner. Output element gid reads x at sum(c * xs) + idx[gid] * stride;
 * out-of-range indices give 0. */
NG_REAL gather_elements(uint gid) {
    uint xi = 0u, q = gid;
    for (int k = int(p.rank) - 1; k >= 0; k--) {
        uint d = uint(M_DIM(k));
        xi += (q % d) * uint(M_A(k));
        q /= d;
    }
    int id = index_at(gid, int(p.axis_len));
    return id >= 0 ? NG_REAL(x[p.x_off + xi + uint(id) * p.inner]) : NG_REAL(0.0);
}

/* meta: output dims, input dims, leading pads (may be negative) */
NG_REAL pad(uint gid) {
    uint xi = 0u, xstride = 1u, q = gid;
    bool inside = true;
    for (int k = int(p.rank) - 1; k >= 0; k--) {
        int od = M_DIM(k), len = M_A(k);
        int c = int(q % uint(od)) - M_B(k);
        q /= uint(od);
        if (c < 0 || c >= len) {
            if (PAD_MODE == 0 || len == 0) inside = false;
            else if (PAD_MODE == 2) c = clamp(c, 0, len - 1);
            else if (PAD_MODE == 3) c = ((c % len) + len) % len;
            else if (len == 1) c = 0;
            else
                while (c < 0 || c >= len) c = c < 0 ? -c : 2 * (len - 1) - c;
        }
        if (inside) xi += uint(c) * xstride;
        xstride *= uint(len);
    }
    return inside ? NG_REAL(x[p.x_off + xi]) : NG_REAL(p.value);
}

/* meta: output dims, input dims, table offsets (-1: dim not resized). Table
 * entry e of a resized dim: TAPS clamped source indices, then TAPS weights
 * (float bits), computed on the host exactly as the reference does. */
NG_REAL resize(uint gid) {
    uint ent[8], rstr[8];
    uint q = gid, s = 1u, n_res = 0u, base = 0u, combos = 1u;
    for (int k = int(p.rank) - 1; k >= 0; k--) {
        uint od = uint(M_DIM(k));
        uint c = q % od;
        q /= od;
        int toff = M_B(k);
        if (toff < 0) {
            base += c * s;
        } else {
            ent[n_res] = p.idx_off + (uint(toff) + c) * 2u * uint(TAPS);
            rstr[n_res++] = s;
            combos *= uint(TAPS);
        }
        s *= uint(M_A(k));
    }
    float v = 0.0;
    for (uint t = 0u; t < combos; t++) {
        uint r = t, xi = base;
        float wt = 1.0;
        for (uint j = 0u; j < n_res; j++) {
            uint tap = r % uint(TAPS);
            r /= uint(TAPS);
            xi += uint(idx[ent[j] + tap]) * rstr[j];
            wt *= intBitsToFloat(idx[ent[j] + uint(TAPS) + tap]);
        }
        if (wt != 0.0) v += wt * float(x[p.x_off + xi]);
    }
    return NG_REAL(v);
}

/* KIND 7: only the last two dims resized, both with table entries
 * (ng_resize_table_planar). The same sum as resize(): taps of the last dim
 * fastest, weights multiplied last dim first. */
NG_REAL resize_plane(uint gid) {
    uint r = p.rank, ow = uint(M_DIM(r - 1u)), oh = uint(M_DIM(r - 2u));
    uint iw = uint(M_A(r - 1u)), ih = uint(M_A(r - 2u));
    uint ox = gid % ow, t = gid / ow, oy = t % oh, plane = t / oh;
    uint ey = p.idx_off + (uint(M_B(r - 2u)) + oy) * 2u * uint(TAPS);
    uint ex = p.idx_off + (uint(M_B(r - 1u)) + ox) * 2u * uint(TAPS);
    uint base = p.x_off + plane * ih * iw;
    float v = 0.0;
    for (int ty = 0; ty < TAPS; ty++) {
        uint row = base + uint(idx[ey + uint(ty)]) * iw;
        float wy = intBitsToFloat(idx[ey + uint(TAPS + ty)]);
        for (int tx = 0; tx < TAPS; tx++) {
            float wt = intBitsToFloat(idx[ex + uint(TAPS + tx)]) * wy;
            if (wt != 0.0) v += wt * float(x[row + uint(idx[ex + uint(tx)])]);
        }
    }
    return NG_REAL(v);
}

/* GridSample (src/runtime/lower_grid_sample.h). meta: the rank spatial
 * sizes, outermost first; M_A(0): align_corners. n_idx: points per output
 * plane, inner: elements per input plane, axis_len: channels. Output element
 * gid, plane gid / n_idx of [N * C], samples its plane of x at the grid
 * point (in idx, float bits at idx_off) of its batch. */
float gs_reflect(float v, float lo, float hi) {
    float range = hi - lo;
    if (range <= 0.0) return lo;
    if (v >= lo && v <= hi) return v;
    float d = v < lo ? lo - v : v - hi;
    float k = floor(d / range), r = d - k * range;
    return (mod(k, 2.0) == 0.0) == (v < lo) ? lo + r : hi - r;
}

/* The value at index i of the plane at base, padded per PAD_MODE. */
float gs_voxel(uint base, ivec3 i) {
    int off = 0;
    for (int d = 0; d < int(p.rank); d++) {
        int n = M_DIM(d), c = i[d];
        if (PAD_MODE == 0 && (c < 0 || c >= n)) return 0.0;
        if (PAD_MODE == 1) {
            bool align = M_A(0) != 0;
            c = int(gs_reflect(float(c), align ? 0.0 : -0.5, align ? float(n) - 1.0 : float(n) - 0.5));
        }
        off = off * n + clamp(c, 0, n - 1);
    }
    return float(x[p.x_off + base + uint(off)]);
}

/* Keys' cubic convolution weights (A = -0.75) for the 4 taps around t. */
vec4 gs_cubic(float t) {
    const float a = -0.75;
    vec4 x = vec4(t + 1.0, t, 1.0 - t, 2.0 - t);
    vec4 far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
    vec4 near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    return vec4(far.x, near.y, near.z, far.w);
}

NG_REAL grid_sample(uint gid) {
    uint plane = gid / p.n_idx, point = gid % p.n_idx, nd = p.rank;
    uint gi = p.idx_off + ((plane / p.axis_len) * p.n_idx + point) * nd;
    uint base = plane * p.inner;
    bool align = M_A(0) != 0;
    vec3 pos;
    for (uint d = 0u; d < nd; d++) {
        float g = intBitsToFloat(idx[gi + nd - 1u - d]), n = float(M_DIM(d));
        float v = align ? (g + 1.0) * 0.5 * (n - 1.0) : ((g + 1.0) * n - 1.0) * 0.5;
        pos[d] = isnan(v) ? 1e7 : clamp(v, -1e7, 1e7);
    }
    if (TAPS == 1) return NG_REAL(gs_voxel(base, ivec3(roundEven(pos))));
    vec3 lo = floor(pos), frac = pos - lo;
    ivec3 l = ivec3(lo);
    float v = 0.0;
    if (TAPS == 2) {
        for (uint corner = 0u; corner < 1u << nd; corner++) {
            float w = 1.0;
            ivec3 i = l;
            for (uint d = 0u; d < nd; d++) {
                uint up = corner >> (nd - 1u - d) & 1u;
                i[d] += int(up);
                w *= up != 0u ? frac[d] : 1.0 - frac[d];
            }
            v += w * gs_voxel(base, i);
        }
        return NG_REAL(v);
    }
    vec4 cy = gs_cubic(frac.x), cx = gs_cubic(frac.y); /* cubic: 2-D */
    for (int i = 0; i < 4; i++) {
        float row = 0.0;
        for (int j = 0; j < 4; j++) row += cx[j] * gs_voxel(base, l + ivec3(i - 1, j - 1, 0));
        v += cy[i] * row;
    }
    return NG_REAL(v);
}

void main() {
    uint gid = ng_global_id();
    if (gid >= p.n) return;
    uint yi = gid, ei = gid; /* stored at yi; the epilogue's operands index ei */
    NG_REAL v;
    if (KIND == 0) {
        v = NG_REAL(x[p.x_off + gid]);
        ei = p.y_base + gid;
    } else if (KIND == 1) {
        v = copy_strided(gid, yi);
        ei = p.y_base + yi;
    } else if (KIND == 2) {
        v = gather(gid);
    } else if (KIND == 3) {
        v = pad(gid);
    } else if (KIND == 4) {
        v = resize(gid);
    } else if (KIND == 5) {
        v = gather_elements(gid);
    } else if (KIND == 7) {
        v = resize_plane(gid);
    } else {
        v = grid_sample(gid);
    }
    y[p.y_off + yi] = NG_ST(ng_epilogue(v, ei));
}
