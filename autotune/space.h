/* Search spaces: for each tunable kernel family (the names backends pass to
 * ng_params_lookup), its parameters, their candidate values, the
 * constraints between them and the work a problem does (CLBlast's
 * declarative tuners, src/tuning/kernels/xgemm.hpp, are the model).
 * One file per family: space_gemm.c, space_conv.c, space_pool.c, ... */
#ifndef NG_TUNE_SPACE_H
#define NG_TUNE_SPACE_H

#include "nngpu/nngpu.h"
#include "runtime/params.h"

#define NG_SPACE_MAX_VALUES 16
#define NG_SIG_MAX 24

/* A parsed problem signature: "M=64,N=3136,K=32" or "k=3x3" (two values)
 * or "64x1000x1" (positional: keys "0", "1", ...). */
typedef struct ng_sig {
    int n;
    char key[NG_SIG_MAX][12];
    long long v[NG_SIG_MAX][2];
} ng_sig;

void ng_sig_parse(const char *text, ng_sig *out);
/* Value `which` (0 or 1) of key, def when absent. */
long long ng_sig_get(const ng_sig *s, const char *key, int which, long long def);

typedef struct ng_space_param {
    const char *name;
    int n;
    int values[NG_SPACE_MAX_VALUES]; /* ascending */
} ng_space_param;

typedef struct ng_tune_family ng_tune_family;

typedef struct ng_space {
    const ng_tune_family *fam;
    ng_sig sig;
    nngpu_device_info dev;
    ng_params defaults;   /* the backend's choice for this problem (always in the space) */
    int n_params;
    ng_space_param param[NG_MAX_PARAMS];
} ng_space;

struct ng_tune_family {
    const char *name;  /* as passed to ng_params_lookup */
    int version;       /* bump when the values or constraints change */
    /* Declares the parameters and candidate values for sp->sig on sp->dev
     * (ng_space_add). Parameters the backend's defaults lack are dropped,
     * and every default value is added to its list. */
    void (*declare)(ng_space *sp);
    /* 1 when the candidate satisfies the constraints. */
    int (*valid)(const ng_space *sp, const ng_params *cand);
    /* Optional: sets parameters a candidate does not use to fixed values
     * (so equivalent candidates collapse into one). */
    void (*canonical)(const ng_space *sp, ng_params *cand);
    /* Work of one run: floating-point operations and bytes moved. */
    double (*flops)(const ng_sig *s);
    double (*bytes)(const ng_sig *s);
};

/* NULL when the family has nothing to tune. */
const ng_tune_family *ng_tune_family_find(const char *name);

/* Builds the space of (family, signature) on dev around the defaults.
 * NNGPU_ERR_NOT_FOUND when the family is not tunable. */
nngpu_status ng_space_init(ng_space *sp, const char *family, const char *signature,
                           const nngpu_device_info *dev, const ng_params *defaults);
/* For declare(): adds a parameter with n candidate values. */
void ng_space_add(ng_space *sp, const char *name, int n, const int *values);
#define NG_SPACE_ADD(sp, name, ...)                                                          \
    ng_space_add(sp, name, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (int[]){__VA_ARGS__})

/* Every valid candidate, canonical and distinct: *out is malloc'd (free()),
 * returns the count (0 on allocation failure). The default comes first. */
int ng_space_enumerate(const ng_space *sp, ng_params **out);
/* 1 when cand (canonicalized) satisfies the constraints and each value is a
 * declared candidate. */
int ng_space_contains(const ng_space *sp, const ng_params *cand);
/* Product of the value counts (before constraints). */
double ng_space_raw_size(const ng_space *sp);
/* Writes "family:NAME=V,..." (nngpu_options.params_override syntax). */
void ng_space_override(const ng_space *sp, const ng_params *cand, char *buf, size_t cap);
/* Writes "NAME=V,..." */
void ng_params_format(const ng_params *p, char *buf, size_t cap);
int ng_params_equal(const ng_params *a, const ng_params *b);

/* 1 when the space chooses between algorithms: a parameter ALGO, IGEMM or
 * WINO with more than one candidate value (the kernel may then run as
 * another family, whose own lookup tunes its tiles). */
int ng_space_picks_algorithm(const ng_space *sp);

/* Helpers for families. */
int ng_space_is_gpu(const ng_space *sp);
long long ng_pow2_ceil(long long v);
/* 1 when a tile (block) of `tile` along an extent of `extent` is not much
 * larger than the extent (at most its next power of two), or no larger than
 * the default's `def`. */
int ng_space_tile_fits(long long tile, long long extent, long long def);
/* 1 when a work-group of `size` invocations fits the device and fills whole
 * subgroups (where the device reports their size), or is the default's `def`. */
int ng_space_group_ok(const ng_space *sp, long long size, long long def);
/* Convolution work (signature N,C,H,W,K,k,s,d,g; float32 data). */
double ng_space_conv_flops(const ng_sig *s);
double ng_space_conv_bytes(const ng_sig *s);

/* OpenCL families */
extern const ng_tune_family ng_tune_gemm, ng_tune_conv_direct, ng_tune_conv_depthwise,
    ng_tune_pool, ng_tune_global_pool, ng_tune_eltwise, ng_tune_softmax, ng_tune_reduce, ng_tune_norm,
    ng_tune_qgemm, ng_tune_gemm_qw;
/* Vulkan families */
extern const ng_tune_family ng_tune_vk_gemm, ng_tune_vk_conv_gemm, ng_tune_vk_conv_wino,
    ng_tune_vk_conv, ng_tune_vk_conv_depthwise, ng_tune_vk_pool, ng_tune_vk_global_pool,
    ng_tune_vk_qgemm, ng_tune_vk_qmatmulw, ng_tune_vk_qconv_gemm, ng_tune_vk_qconv,
    ng_tune_vk_qconv_depthwise;

#endif
