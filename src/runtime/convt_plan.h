/* ConvTranspose as a gather over output phases, shared by the backends'
 * direct kernels: output pixel o gets input i through tap k when
 * o = i * s - p + k * d (1-D / 2-D padded to 3-D with leading 1s). */
#ifndef NG_CONVT_PLAN_H
#define NG_CONVT_PLAN_H

#include "graph/ir.h"

/* geo: N C M G, ID IH IW, OD OH OW, KD KH KW, SD SH SW, DD DH DW, PD PH PW,
 * QD QH QW (outputs per phase, ceil(O / s)). */
#define NG_CONVT_GEO 25

/* The geometry of node n, every value within +-INT_MAX/4; 0 when it is not
 * a ConvTranspose the kernels run (more than 3 spatial dims, inconsistent
 * shapes). Tensor dtypes are the caller's to check. */
int ng_convt_geometry(const ng_graph *g, const ng_node *n, int32_t *geo);

#endif
