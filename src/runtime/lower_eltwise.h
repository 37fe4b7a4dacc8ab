/* The eltwise family's backend-neutral decisions: which nodes it takes, the
 * unary op's constant parameters and the operands' broadcast plans; the same
 * for Where, the where family's. */
#ifndef NG_LOWER_ELTWISE_H
#define NG_LOWER_ELTWISE_H

#include "graph/ir.h"
#include "runtime/broadcast.h"

/* 1 for the elementwise unary/binary ops, two-input Max/Min, Floor, Ceil. */
int ng_eltwise_is(const ng_node *n);

/* The unary op's parameters (alpha, gamma, Clip bounds, ...; 0 when unused);
 * returns 0 when they come from non-constant inputs. */
int ng_eltwise_params(const ng_graph *g, const ng_node *n, float *p0, float *p1);

/* 1 when eltwise node n with nin (1 or 2) operands has float32 operands and
 * output (ng_lower_f32_ok), operands that broadcast to the output and
 * constant parameters. The backend checks its op code and epilogue. */
int ng_eltwise_supported(const ng_graph *g, const ng_node *n, int nin);

typedef struct ng_eltwise_view {
    int nin;          /* operands: 1 or 2 */
    ng_bcast bc[2];   /* each operand's broadcast to the output */
    float p0, p1;     /* ng_eltwise_params */
    int64_t total;    /* output elements */
    char name[48];    /* kernel name: "eltwise_<op>" in lower case */
} ng_eltwise_view;

/* The plan of eltwise node n with nin operands; an error naming the node
 * when an operand does not broadcast or Clip's bounds are not constant. */
nngpu_status ng_eltwise_plan(const ng_graph *g, const ng_node *n, int nin, ng_eltwise_view *v);

/* Where(cond, x, y): a bool cond and float32 x, y and output, all
 * broadcasting to the output, no epilogue. */
int ng_where_supported(const ng_graph *g, const ng_node *n);
/* The broadcast plans of cond, x and y to the output, in that order. */
nngpu_status ng_where_plan(const ng_graph *g, const ng_node *n, ng_bcast bc[3]);

#endif
