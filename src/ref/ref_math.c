/* Scalar functions of the elementwise ops (see ref_math.h). */
#include "ref_math.h"

#include <math.h>

static float sigmoid(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* log(1 + e^x) without overflow. */
static float softplus(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

void ng_ref_unary_defaults(ng_op op, float *alpha, float *beta) {
    *alpha = 0;
    *beta = 0;
    switch (op) {
    case NG_OP_LEAKYRELU: *alpha = 0.01f; break;
    case NG_OP_HARDSIGMOID: *alpha = 0.2f; *beta = 0.5f; break;
    case NG_OP_ELU:
    case NG_OP_CELU:
    case NG_OP_THRESHOLDEDRELU: *alpha = 1.0f; break;
    case NG_OP_SHRINK: *alpha = 0.5f; break;
    case NG_OP_SELU: *alpha = 1.67326319217681884765625f; *beta = 1.05070102214813232421875f; break;
    case NG_OP_CLIP: *alpha = -INFINITY; *beta = INFINITY; break;
    default: break;
    }
}

float ng_ref_unary(ng_op op, float x, float alpha, float beta) {
    switch (op) {
    case NG_OP_SQRT: return sqrtf(x);
    case NG_OP_EXP: return expf(x);
    case NG_OP_LOG: return logf(x);
    case NG_OP_NEG: return -x;
    case NG_OP_ABS: return fabsf(x);
    case NG_OP_RECIPROCAL: return 1.0f / x;
    case NG_OP_RELU: return x < 0 ? 0.0f : x;
    case NG_OP_LEAKYRELU: return x < 0 ? alpha * x : x;
    case NG_OP_CLIP: { /* min(max(x, lo), hi): min > max gives max */
        float v = x < alpha ? alpha : x;
        return v > beta ? beta : v;
    }
    case NG_OP_SIGMOID: return sigmoid(x);
    case NG_OP_HARDSIGMOID: {
        float y = alpha * x + beta;
        return y < 0 ? 0.0f : y > 1 ? 1.0f : y;
    }
    case NG_OP_HARDSWISH: {
        float y = x / 6.0f + 0.5f;
        return x * (y < 0 ? 0.0f : y > 1 ? 1.0f : y);
    }
    case NG_OP_TANH: return tanhf(x);
    case NG_OP_ELU: return x < 0 ? alpha * (expf(x) - 1.0f) : x;
    case NG_OP_SILU: return x * sigmoid(x);
    case NG_OP_ERF: return erff(x);
    case NG_OP_SIN: return sinf(x);
    case NG_OP_TAN: return tanf(x);
    case NG_OP_ASIN: return asinf(x);
    case NG_OP_ACOS: return acosf(x);
    case NG_OP_ATAN: return atanf(x);
    case NG_OP_SINH: return sinhf(x);
    case NG_OP_COSH: return coshf(x);
    case NG_OP_ASINH: return asinhf(x);
    case NG_OP_ACOSH: return acoshf(x);
    case NG_OP_ATANH: return atanhf(x);
    case NG_OP_CELU: return x > 0 ? x : alpha * expm1f(x / alpha);
    case NG_OP_SHRINK: return x < -alpha ? x + beta : x > alpha ? x - beta : 0.0f; /* lambd, bias */
    case NG_OP_THRESHOLDEDRELU: return x > alpha ? x : 0.0f;
    case NG_OP_COS: return cosf(x);
    case NG_OP_SOFTPLUS: return softplus(x);
    case NG_OP_SOFTSIGN: return x / (1.0f + fabsf(x));
    case NG_OP_SELU: return x > 0 ? beta * x : beta * alpha * (expf(x) - 1.0f);
    case NG_OP_MISH: return x * tanhf(softplus(x));
    case NG_OP_SIGN: return x > 0 ? 1.0f : x < 0 ? -1.0f : x; /* keeps 0 and nan */
    case NG_OP_ROUND: return rintf(x); /* half to even */
    case NG_OP_GELU: /* alpha 1: the tanh approximation */
        if (alpha != 0)
            return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
        return (float)(0.5 * x * erfc(-x * 0.7071067811865476)); /* 1 + erf without cancellation */
    case NG_OP_FLOOR: return floorf(x);
    case NG_OP_CEIL: return ceilf(x);
    default: return NAN;
    }
}

float ng_ref_binary(ng_op op, float a, float b) {
    switch (op) {
    case NG_OP_ADD: return a + b;
    case NG_OP_SUB: return a - b;
    case NG_OP_MUL: return a * b;
    case NG_OP_DIV: return a / b;
    case NG_OP_POW: return powf(a, b);
    case NG_OP_PRELU: return a < 0 ? a * b : a;
    case NG_OP_MAX: return a != a || b != b ? NAN : a > b ? a : b;
    case NG_OP_MIN: return a != a || b != b ? NAN : a < b ? a : b;
    default: return NAN;
    }
}

int64_t ng_ref_binary_int(ng_op op, int64_t a, int64_t b) {
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b; /* wrap-around without UB */
    switch (op) {
    case NG_OP_ADD: return (int64_t)(ua + ub);
    case NG_OP_SUB: return (int64_t)(ua - ub);
    case NG_OP_MUL: return (int64_t)(ua * ub);
    case NG_OP_DIV:
        if (b == 0) return 0;
        if (b == -1) return (int64_t)(0 - ua);
        return a / b;
    case NG_OP_POW: {
        if (a == -1) return b % 2 ? -1 : 1;
        if (a == 0 || a == 1) return b == 0 ? 1 : a;
        if (b < 0) return 0;
        uint64_t r = 1;
        for (int64_t i = 0; i < b && i < 64; i++) r *= ua;
        return (int64_t)r;
    }
    case NG_OP_PRELU: return a < 0 ? (int64_t)(ua * ub) : a;
    case NG_OP_MAX: return a > b ? a : b;
    case NG_OP_MIN: return a < b ? a : b;
    default: return 0;
    }
}

void ng_ref_unary_attrs(const ng_node *n, float *alpha, float *beta) {
    ng_ref_unary_defaults(n->op, alpha, beta);
    *alpha = ng_attr_float(n, "alpha", *alpha);
    *beta = ng_attr_float(n, "beta", *beta);
    if (n->op == NG_OP_SHRINK) {
        *alpha = ng_attr_float(n, "lambd", *alpha);
        *beta = ng_attr_float(n, "bias", *beta);
    }
    if (n->op == NG_OP_SELU) *beta = ng_attr_float(n, "gamma", *beta);
    if (n->op == NG_OP_GELU) {
        const char *a = ng_attr_string(n, "approximate", "none");
        *alpha = a[0] == 't'; /* "tanh" */
    }
}
