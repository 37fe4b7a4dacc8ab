/* The scalar functions of elementwise ops, shared by the elementwise
 * reference kernels and epilogue application. */
#ifndef NG_REF_MATH_H
#define NG_REF_MATH_H

#include <stdint.h>

#include "graph/ir.h"

/* y = op(x; alpha, beta) for every NG_KIND_ELTWISE_UNARY op, Floor/Ceil and the
 * reference-only functions (Tan ... Atanh, Celu, Shrink, ThresholdedRelu).
 * alpha/beta: LeakyRelu alpha, Clip min/max, HardSigmoid alpha/beta, Elu alpha,
 * Selu alpha/gamma, Gelu alpha = 1 for approximate="tanh", Celu and
 * ThresholdedRelu alpha, Shrink lambd/bias. */
float ng_ref_unary(ng_op op, float x, float alpha, float beta);
/* y = op(a, b) for Add Sub Mul Div Pow PRelu(x, slope) Max Min. */
float ng_ref_binary(ng_op op, float a, float b);
/* Integer forms (division by zero gives 0; Pow by repeated multiplication). */
int64_t ng_ref_binary_int(ng_op op, int64_t a, int64_t b);
/* Default alpha / beta of an op's attributes (LeakyRelu 0.01, HardSigmoid 0.2/0.5, Elu 1,
 * Selu 1.6733/1.0507). */
void ng_ref_unary_defaults(ng_op op, float *alpha, float *beta);
/* alpha / beta of unary node n's step from its attributes (defaults above; Selu gamma
 * as beta, Gelu approximate as alpha). Clip's inputs are not read here. */
void ng_ref_unary_attrs(const ng_node *n, float *alpha, float *beta);

#endif
