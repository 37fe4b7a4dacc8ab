/* Resize / Upsample tap tables (resize_table.h): the backend-neutral part of
 * the resize kernels. Nearest, linear and cubic over any dims. */
#include "resize_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "graph/infer.h"
#include "lower_util.h"

enum { C_HALF, C_ASYM, C_ALIGN, C_PYTORCH, C_HALF_SYM };
enum { N_FLOOR_PREF, N_CEIL_PREF, N_FLOOR, N_CEIL, N_LEGACY };

typedef struct resize_plan {
    int mode, coord, near, exclude;
    double cubic_a;
    double scale[NNGPU_MAX_DIMS];
    int64_t od[NNGPU_MAX_DIMS];
} resize_plan;

static int index_of(const char *s, const char *const *names, int n) {
    for (int j = 0; j < n; j++)
        if (strcmp(s, names[j]) == 0) return j;
    return -1;
}

static int resize_plan_of(const ng_graph *g, const ng_node *n, resize_plan *p) {
    const ng_tensor *x = ng_in(g, n, 0);
    int legacy = n->op == NG_OP_UPSAMPLE || n->opset < 11;
    static const char *const modes[] = {"nearest", "linear", "bilinear", "cubic"};
    int m = index_of(ng_attr_string(n, "mode", "nearest"), modes, 4);
    if (m < 0 || (m == 3 && legacy) || ng_attr_int(n, "antialias", 0)) return 0;
    p->mode = m == 0 ? NG_RESIZE_NEAREST : m == 3 ? NG_RESIZE_CUBIC : NG_RESIZE_LINEAR;
    p->cubic_a = ng_attr_float(n, "cubic_coeff_a", -0.75f);
    p->exclude = (int)ng_attr_int(n, "exclude_outside", 0);
    p->coord = C_ASYM;
    p->near = N_LEGACY;
    if (!legacy) {
        static const char *const ctms[] = {"half_pixel", "asymmetric", "align_corners",
                                           "pytorch_half_pixel", "half_pixel_symmetric"};
        static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
        p->coord = index_of(ng_attr_string(n, "coordinate_transformation_mode", "half_pixel"), ctms, 5);
        p->near = index_of(ng_attr_string(n, "nearest_mode", "round_prefer_floor"), nms, 4);
        if (p->coord < 0 || p->near < 0) return 0;
    }
    double roi[2 * NNGPU_MAX_DIMS];
    if (ng_infer_resize(g, n, p->scale, p->od, roi) != NNGPU_OK) return 0;
    for (int k = 0; k < x->rank; k++)
        if (p->scale[k] <= 0 || (p->od[k] > 0 && x->dims[k] == 0)) return 0;
    return 1;
}

/* Source coordinate of output index o along a dim (as the reference). */
static double src_coord(const resize_plan *p, double o, double scale, int64_t in, int64_t out_int) {
    double out_w = scale * (double)in;
    switch (p->coord) {
    case C_ALIGN: return out_w == 1 ? 0.0 : o * (double)(in - 1) / (out_w - 1);
    case C_ASYM: return o / scale;
    case C_PYTORCH: return out_w == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
    case C_HALF_SYM: {
        double adj = (double)out_int / out_w, center = (double)in / 2;
        return center * (1 - adj) + (o + 0.5) / scale - 0.5;
    }
    default: return (o + 0.5) / scale - 0.5;
    }
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Fills one table entry (taps indices, then weight bits) for coordinate x. */
static void taps(const resize_plan *p, double x, double scale, int64_t in, int n_taps,
                 int32_t *e) {
    double fl = floor(x), ratio = x == fl ? 1.0 : x - fl, w[4] = {0, 0, 0, 0};
    int cnt = p->mode == NG_RESIZE_CUBIC ? 4 : 2;
    if (p->mode == NG_RESIZE_CUBIC) {
        double A = p->cubic_a, r = ratio, s = 1 - ratio;
        w[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
        w[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
        w[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
        w[3] = ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A;
    } else if (p->mode == NG_RESIZE_LINEAR) {
        w[0] = 1 - ratio;
        w[1] = ratio;
    } else {
        int up;
        switch (p->near) {
        case N_FLOOR_PREF: up = ratio > 0.5; break;
        case N_CEIL_PREF: up = ratio >= 0.5; break;
        case N_FLOOR: up = 0; break;
        case N_CEIL: up = 1; break;
        default: up = scale < 1; break; /* legacy: floor upsampling, ceil downsampling */
        }
        if (x == fl) up = 1;
        w[0] = !up;
        w[1] = up;
    }
    int64_t first = (int64_t)fl - (cnt / 2 - 1) - (x == fl ? 1 : 0), idx[4];
    double sum = 0;
    for (int i = 0; i < cnt; i++) {
        idx[i] = first + i;
        if (p->exclude && (idx[i] < 0 || idx[i] >= in)) w[i] = 0;
        sum += w[i];
    }
    if (p->exclude && sum != 0)
        for (int i = 0; i < cnt; i++) w[i] /= sum;
    if (n_taps == 1) { /* nearest: the tap with weight 1 */
        idx[0] = w[0] != 0 ? idx[0] : idx[1];
        w[0] = 1;
    }
    for (int i = 0; i < n_taps; i++) {
        float wf = (float)w[i];
        e[i] = (int32_t)clamp64(idx[i], 0, in - 1);
        memcpy(&e[n_taps + i], &wf, sizeof wf);
    }
}

int ng_resize_supported(const ng_graph *g, const ng_node *n) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    resize_plan p;
    return ng_lower_f32_ok(x) && ng_lower_f32_ok(y) && x->rank == y->rank && ng_numel(x) > 0 &&
           resize_plan_of(g, n, &p);
}

nngpu_status ng_resize_table_build(const ng_graph *g, const ng_node *n, ng_resize_table *t) {
    const ng_tensor *x = ng_in(g, n, 0), *y = ng_out(g, n, 0);
    resize_plan p;
    memset(t, 0, sizeof *t);
    if (!resize_plan_of(g, n, &p))
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Resize mode or parameters not supported",
                        n->name);
    t->mode = p.mode;
    t->taps = p.mode == NG_RESIZE_NEAREST ? 1 : p.mode == NG_RESIZE_LINEAR ? 2 : 4;
    for (int d = 0; d < NNGPU_MAX_DIMS; d++) t->toff[d] = -1;
    for (int d = 0; d < x->rank; d++) {
        int ident = fabs(p.scale[d] - 1.0) <= 1e-9 && y->dims[d] == x->dims[d];
        t->toff[d] = ident ? -1 : t->entries;
        if (!ident) t->entries += y->dims[d];
    }
    t->bytes = sizeof(int32_t) * 2 * (size_t)t->taps * (size_t)(t->entries ? t->entries : 1);
    t->tab = calloc(1, t->bytes);
    if (!t->tab) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", n->name);
    for (int d = 0; d < x->rank; d++)
        for (int64_t o = 0; t->toff[d] >= 0 && o < y->dims[d]; o++) {
            double xs = src_coord(&p, (double)o, p.scale[d], x->dims[d], y->dims[d]);
            taps(&p, xs, p.scale[d], x->dims[d], t->taps, t->tab + (t->toff[d] + o) * 2 * t->taps);
        }
    return NNGPU_OK;
}

nngpu_status ng_resize_table_planar(const ng_graph *g, const ng_node *n, ng_resize_table *t,
                                    int *planar) {
    const ng_tensor *y = ng_out(g, n, 0);
    int r = y->rank;
    *planar = r >= 2;
    for (int d = 0; d < r - 2; d++)
        if (t->toff[d] >= 0) *planar = 0;
    if (!*planar) return NNGPU_OK;
    int64_t add = (t->toff[r - 2] < 0 ? y->dims[r - 2] : 0) + (t->toff[r - 1] < 0 ? y->dims[r - 1] : 0);
    if (add == 0) return NNGPU_OK;
    size_t entry = 2 * (size_t)t->taps, old = (size_t)t->entries;
    int32_t *tab = realloc(t->tab, sizeof(int32_t) * entry * (old + (size_t)add));
    if (!tab) return ng_error(NNGPU_ERR_OUT_OF_MEMORY, "node '%s': out of host memory", n->name);
    t->tab = tab;
    for (int d = r - 2; d < r; d++) {
        if (t->toff[d] >= 0) continue;
        t->toff[d] = t->entries;
        for (int64_t o = 0; o < y->dims[d]; o++) { /* index o, weight 1; other taps weigh 0 */
            int32_t *e = tab + (t->entries + o) * (int64_t)entry;
            float one = 1.0f, zero = 0.0f;
            for (int k = 0; k < t->taps; k++) {
                e[k] = (int32_t)o;
                memcpy(&e[t->taps + k], k ? &zero : &one, sizeof(float));
            }
        }
        t->entries += y->dims[d];
    }
    t->bytes = sizeof(int32_t) * entry * (size_t)t->entries;
    return NNGPU_OK;
}

void ng_resize_table_free(ng_resize_table *t) {
    free(t->tab);
    t->tab = NULL;
}
