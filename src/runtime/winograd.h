/* Winograd F(m x m, 3 x 3) for 3x3 stride-1 convolutions, the parts both
 * backends share: the tiling of the output and the weight transform. A
 * backend runs three steps: the data transform V = B^T d B per input tile
 * into [alpha^2][C][tiles], alpha^2 GEMMs U[xi] (K x C) x V[xi] (C x tiles),
 * and the output transform A^T M A (+ bias, epilogue). alpha = m + 2. */
#ifndef NG_WINOGRAD_H
#define NG_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "graph/ir.h"

typedef struct ng_winograd_tiles {
    int tile, alpha; /* m and m + 2 */
    int th, tw;      /* tiles per image along H and W */
    int64_t nt, ntp; /* tiles of all images; padded to a multiple of `pad` */
} ng_winograd_tiles;

/* The tiling of an N x OH x OW output into tile x tile (2 or 4) tiles, the
 * tile count rounded up to a multiple of pad (the GEMMs' vector width). */
ng_winograd_tiles ng_winograd_tiles_of(int N, int OH, int OW, int tile, int pad);

/* 1 when a kernel kh x kw, stride sh x sw, dilation dh x dw convolution is one
 * Winograd runs (3x3, stride 1, undilated) and its transformed buffers
 * (F(2,3)'s, the larger) keep within 32-bit indices. */
int ng_winograd_fits(int N, int C, int H, int W, int K, int OH, int OW, int kh, int kw, int sh,
                     int sw, int dh, int dw, int pad);

/* Checks a backend's Winograd request for node `node`: tile 2 or 4, `fits`
 * (the backend's own fits test; `needs` says what it requires, for the
 * message) and constant weights w. NNGPU_OK or an error naming the node. */
nngpu_status ng_winograd_check(const char *node, int tile, int fits, const char *needs,
                               const ng_tensor *w);

/* U[xi][k][c] = (G g[k][c] G^T)[xi] of weights w [K][C][3][3], computed in
 * double, written into dst: plane xi at dst + xi * plane_stride, its K x C
 * matrix in panels of `pack` rows, element (k, c) at
 * ((k / pack) * C + c) * pack + k % pack (pack 1: row-major); the rows that
 * pad K to a multiple of pack are zeroed. */
void ng_winograd_weights_to(const float *w, int K, int C, int tile, float *dst,
                            size_t plane_stride, int pack);

/* The same, row-major into a malloc'ed array (alpha^2 K C floats), NULL
 * when out of memory. */
float *ng_winograd_weights(const float *w, int K, int C, int tile);

#endif
