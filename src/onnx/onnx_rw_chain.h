/* Chains of standard ops built by an import rewrite (onnx_contrib_gqa.c,
 * onnx_contrib_attention.c): each op writes a fresh tensor named after the
 * rewritten node, kept in the chain's arena. A failure is recorded once (in
 * r->failed) and every later op of the chain returns NULL, so a rewrite
 * builds its whole expression and checks the result at the end. */
#ifndef NG_ONNX_RW_CHAIN_H
#define NG_ONNX_RW_CHAIN_H

#include <stdint.h>

#include "onnx_internal.h"

typedef struct ng_rw_chain {
    ng_onnx_rewrite *r;
    char **names; /* each its own allocation: names stay put as more come */
    int n, cap;
} ng_rw_chain;

void ng_chain_init(ng_rw_chain *c, ng_onnx_rewrite *r);
void ng_chain_free(ng_rw_chain *c);
/* The recorded failure, or NNGPU_OK. */
nngpu_status ng_chain_status(const ng_rw_chain *c);

/* A fresh name "<node>/<what><k>" kept by the chain (NULL on OOM, recorded). */
const char *ng_chain_name(ng_rw_chain *c, const char *what);
/* type(ins) -> a fresh tensor (NULL when an input is NULL or on failure);
 * out, when not NULL, names the result instead (main: the rewritten node's
 * own name for the node). */
const char *ng_chain_op(ng_rw_chain *c, const char *type, int n_in, const char *const *ins);
const char *ng_chain_op_to(ng_rw_chain *c, const char *type, int n_in, const char *const *ins,
                           const char *out, int main);
#define NG_OPN(...) (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define NG_OP(c, type, ...) ng_chain_op(c, type, NG_OPN(__VA_ARGS__), (const char *const[]){__VA_ARGS__})

/* Attributes of the node added last (ignored after a failure). */
void ng_chain_attr_int(ng_rw_chain *c, const char *name, int64_t v);
void ng_chain_attr_ints(ng_rw_chain *c, const char *name, int n, const int64_t *v);
void ng_chain_attr_float(ng_rw_chain *c, const char *name, float v);

/* Constants: int64 [n] values, an int64 scalar, a float32 scalar. */
const char *ng_chain_ints(ng_rw_chain *c, int n, const int64_t *v);
const char *ng_chain_int(ng_rw_chain *c, int64_t v);
const char *ng_chain_float(ng_rw_chain *c, float v);
/* x's dims [from, to) as an int64 [to - from] (to 0: to the end). */
const char *ng_chain_dims(ng_rw_chain *c, const char *x, int64_t from, int64_t to);
/* Reshape(x, shape) and Transpose(x, perm) of rank n. */
const char *ng_chain_reshape(ng_rw_chain *c, const char *x, int n, const int64_t *shape);
const char *ng_chain_transpose(ng_rw_chain *c, const char *x, int n, const int64_t *perm);
/* Cast(x, to) (an ONNX dtype number). */
const char *ng_chain_cast(ng_rw_chain *c, const char *x, int64_t to);
/* Clip(x, lo, hi), in the form of the model's opset. */
const char *ng_chain_clip(ng_rw_chain *c, const char *x, float lo, float hi);
/* Concat of n tensors along axis. */
const char *ng_chain_concat(ng_rw_chain *c, int64_t axis, int n, const char *const *ins);
/* Slice of x along axis: [start, end). */
const char *ng_chain_slice(ng_rw_chain *c, const char *x, int64_t axis, int64_t start, int64_t end);

#endif
