/* Winograd F(2,3) / F(4,3): tiling and weight transform (Lavin's matrices,
 * points 0, +-1 for F(2,3); 0, +-1, +-2 for F(4,3)). */
#include <limits.h>
#include <stdlib.h>

#include "core/status.h"
#include "runtime/winograd.h"

ng_winograd_tiles ng_winograd_tiles_of(int N, int OH, int OW, int tile, int pad) {
    ng_winograd_tiles t;
    t.tile = tile;
    t.alpha = tile + 2;
    t.th = (OH + tile - 1) / tile;
    t.tw = (OW + tile - 1) / tile;
    t.nt = (int64_t)N * t.th * t.tw;
    t.ntp = (t.nt + pad - 1) / pad * pad;
    return t;
}

int ng_winograd_fits(int N, int C, int H, int W, int K, int OH, int OW, int kh, int kw, int sh,
                     int sw, int dh, int dw, int pad) {
    if (kh != 3 || kw != 3 || sh != 1 || sw != 1 || dh != 1 || dw != 1) return 0;
    ng_winograd_tiles t = ng_winograd_tiles_of(N, OH, OW, 2, pad); /* 16 NT(2) >= 36 NT(4) */
    int64_t ch = C > K ? C : K;
    return (int64_t)t.alpha * t.alpha * ch * t.ntp <= INT_MAX &&
           (int64_t)N * C * H * W <= INT_MAX && (int64_t)N * K * OH * OW <= INT_MAX;
}

nngpu_status ng_winograd_check(const char *node, int tile, int fits, const char *needs,
                               const ng_tensor *w) {
    if ((tile != 2 && tile != 4) || !fits)
        return ng_error(NNGPU_ERR_INVALID_ARG, "node '%s': bad Winograd tile WINO=%d for this "
                        "convolution (2 or 4; %s)", node, tile, needs);
    if (!w->data)
        return ng_error(NNGPU_ERR_UNSUPPORTED, "node '%s': Winograd needs constant weights", node);
    return NNGPU_OK;
}

void ng_winograd_weights_to(const float *w, int K, int C, int tile, float *dst,
                            size_t plane_stride, int pack) {
    static const double g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    static const double g4[6][3] = {{1.0 / 4, 0, 0},
                                    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                    {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                    {0, 0, 1}};
    const int alpha = tile + 2;
    const double(*G)[3] = tile == 2 ? g2 : g4;
    const size_t kc = (size_t)K * C, P = (size_t)pack, kp = ((size_t)K + P - 1) / P * P;
    /* Blocks of QB filters (k, c), c fastest, so that the loops over a block
     * vectorize and its stores go to consecutive (pack 1) or nearby places. */
    enum { QB = 64 };
    double g[9][QB], gt[6][3][QB]; /* the block's filters; G g */
    size_t at[QB];                 /* where each filter lands in a plane */
    for (size_t q0 = 0; q0 < kc; q0 += QB) {
        size_t nq = kc - q0 < QB ? kc - q0 : QB;
        for (size_t i = 0; i < nq; i++) {
            size_t kk = (q0 + i) / (size_t)C, cc = (q0 + i) % (size_t)C;
            at[i] = ((kk / P) * (size_t)C + cc) * P + kk % P;
            for (int j = 0; j < 9; j++) g[j][i] = w[(q0 + i) * 9 + j];
        }
        for (int a = 0; a < alpha; a++)
            for (int j = 0; j < 3; j++)
                for (size_t i = 0; i < nq; i++)
                    gt[a][j][i] = G[a][0] * g[j][i] + G[a][1] * g[3 + j][i] + G[a][2] * g[6 + j][i];
        for (int a = 0; a < alpha; a++)
            for (int b = 0; b < alpha; b++) {
                float *plane = dst + (size_t)(a * alpha + b) * plane_stride;
                for (size_t i = 0; i < nq; i++)
                    plane[at[i]] = (float)(gt[a][0][i] * G[b][0] + gt[a][1][i] * G[b][1] +
                                           gt[a][2][i] * G[b][2]);
            }
    }
    for (int xi = 0; xi < alpha * alpha; xi++) /* the rows padding K to a multiple of pack */
        for (size_t kk = (size_t)K; kk < kp; kk++)
            for (size_t cc = 0; cc < (size_t)C; cc++)
                dst[(size_t)xi * plane_stride + ((kk / P) * (size_t)C + cc) * P + kk % P] = 0.0f;
}

float *ng_winograd_weights(const float *w, int K, int C, int tile) {
    size_t kc = (size_t)K * C;
    float *u = malloc(sizeof(float) * (size_t)(tile + 2) * (size_t)(tile + 2) * kc);
    if (u) ng_winograd_weights_to(w, K, C, tile, u, kc, 1);
    return u;
}
