/* nngpu: neural-network inference on GPUs through OpenCL (and Vulkan).
 *
 * Typical use:
 *   nngpu_model *m;   nngpu_model_load_file("net.onnx", &m);
 *   nngpu_options o;  nngpu_options_init(&o);
 *   nngpu_session *s; nngpu_session_create(m, "opencl:0", &o, &s);
 *   nngpu_session_run(s, n_in, inputs, n_out, outputs);
 * Every call returns an nngpu_status; on failure nngpu_last_error() says
 * what happened and where (node, tensor or file). */
#ifndef NNGPU_NNGPU_H
#define NNGPU_NNGPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNGPU_VERSION "0.1.0"
#define NNGPU_MAX_DIMS 8

typedef enum nngpu_status {
    NNGPU_OK = 0,
    NNGPU_ERR_INVALID_ARG,   /* a caller passed something wrong: shape, dtype, name */
    NNGPU_ERR_IO,            /* a file could not be read or written */
    NNGPU_ERR_PARSE,         /* a model or data file is malformed */
    NNGPU_ERR_UNSUPPORTED,   /* an op, attribute or dtype nngpu cannot run */
    NNGPU_ERR_DEVICE,        /* the driver failed: build, launch, device lost */
    NNGPU_ERR_OUT_OF_MEMORY, /* host or device allocation failed */
    NNGPU_ERR_NOT_FOUND,     /* no such device, tensor or entry */
    NNGPU_ERR_INTERNAL       /* a bug in nngpu */
} nngpu_status;

typedef enum nngpu_dtype {
    NNGPU_DTYPE_UNDEFINED = 0,
    NNGPU_DTYPE_FLOAT32,
    NNGPU_DTYPE_FLOAT16,
    NNGPU_DTYPE_INT8,
    NNGPU_DTYPE_UINT8,
    NNGPU_DTYPE_INT32,
    NNGPU_DTYPE_INT64,
    NNGPU_DTYPE_BOOL,
    NNGPU_DTYPE_FLOAT64,
    NNGPU_DTYPE_INT4,  /* packed two per byte, low nibble first (ONNX INT4) */
    NNGPU_DTYPE_UINT4, /* packed two per byte, low nibble first (ONNX UINT4) */
    NNGPU_DTYPE_COUNT
} nngpu_dtype;

/* Text of the last error on this thread ("" when none). */
const char *nngpu_last_error(void);
const char *nngpu_status_name(nngpu_status s);
const char *nngpu_dtype_name(nngpu_dtype t);
size_t nngpu_dtype_size(nngpu_dtype t);

/* ---- Devices ------------------------------------------------------------ */

typedef enum nngpu_backend_kind {
    NNGPU_BACKEND_CPU = 0, /* the reference; always present, never listed */
    NNGPU_BACKEND_OPENCL,
    NNGPU_BACKEND_VULKAN
} nngpu_backend_kind;

typedef struct nngpu_device_info {
    int index;                 /* stable index over all backends */
    nngpu_backend_kind backend;
    int backend_index;         /* N in "opencl:N" */
    char selector[32];         /* "opencl:0" */
    char name[128];
    char vendor[128];
    char driver_version[64];
    char device_type[16];      /* "gpu", "cpu", "accelerator", "other" */
    int compute_units;
    uint64_t global_mem_bytes;
    uint64_t local_mem_bytes;  /* shared memory per work-group */
    size_t max_work_group_size;
    int has_fp16;              /* half arithmetic (cl_khr_fp16; Vulkan shaderFloat16) */
    int has_fp16_storage;      /* 16-bit storage buffers (Vulkan storageBuffer16BitAccess) */
    int has_int8_storage;      /* 8-bit storage buffers (Vulkan storageBuffer8BitAccess) */
    int has_cooperative_matrix; /* VK_KHR/NV_cooperative_matrix */
    int has_int8_dot;          /* integer dot product (cl_khr_integer_dot_product) */
    int has_int8_dot_accel;    /* packed 4x8 signed and mixed-sign dot reported accelerated */
    int has_subgroups;         /* cl_khr_subgroups / cl_intel_subgroups */
    int subgroup_size;         /* 0 when unknown */
} nngpu_device_info;

/* Enumerates devices (once, cached). */
int nngpu_device_count(void);
nngpu_status nngpu_device_get(int index, nngpu_device_info *out);
/* Resolves "3", "opencl:0", "vulkan:1" to a device index. */
nngpu_status nngpu_device_find(const char *selector, int *index);

/* ---- Models ------------------------------------------------------------- */

typedef struct nngpu_model nngpu_model;
typedef struct nngpu_graph nngpu_graph; /* see graph.h */

nngpu_status nngpu_model_load_file(const char *path, nngpu_model **out);
/* base_dir resolves external-data files; may be NULL. */
nngpu_status nngpu_model_load_memory(const void *data, size_t size, const char *base_dir,
                                     nngpu_model **out);
/* Takes ownership of a graph built with graph.h. */
nngpu_status nngpu_model_from_graph(nngpu_graph *g, nngpu_model **out);
/* Sessions made from m may outlive it: they keep its weights until they end. */
void nngpu_model_destroy(nngpu_model *m);

int nngpu_model_input_count(const nngpu_model *m);
int nngpu_model_output_count(const nngpu_model *m);
/* Shape of a graph input or output: dims < 0 are symbolic (batch). */
typedef struct nngpu_tensor_desc {
    const char *name;
    nngpu_dtype dtype;
    int rank;
    int64_t dims[NNGPU_MAX_DIMS];
} nngpu_tensor_desc;
nngpu_status nngpu_model_input(const nngpu_model *m, int i, nngpu_tensor_desc *out);
nngpu_status nngpu_model_output(const nngpu_model *m, int i, nngpu_tensor_desc *out);

/* ---- Sessions ----------------------------------------------------------- */

typedef enum nngpu_precision {
    NNGPU_PRECISION_FP32 = 0,
    NNGPU_PRECISION_FP16, /* fp16 storage, fp32 accumulation; layers over the guard stay fp32 */
    NNGPU_PRECISION_INT8  /* post-training INT8: Conv/Gemm/MatMul with constant weights */
} nngpu_precision;

/* How INT8 calibration turns observed activations into a range. */
typedef enum nngpu_calibration_method {
    NNGPU_CALIBRATION_MINMAX = 0, /* the observed min and max */
    NNGPU_CALIBRATION_PERCENTILE, /* clip both tails at options.calibration_percentile */
    NNGPU_CALIBRATION_ENTROPY     /* the clip that minimizes KL divergence (TensorRT's) */
} nngpu_calibration_method;

/* Passes, as bits of nngpu_options.disabled_passes; also switched off by the
 * environment variable NNGPU_DISABLE_PASSES="fold,fuse_bn,...". */
typedef enum nngpu_pass {
    NNGPU_PASS_FOLD_CONSTANTS = 1 << 0, /* evaluate nodes whose inputs are constant */
    NNGPU_PASS_ELIMINATE = 1 << 1,      /* drop Identity / Dropout */
    NNGPU_PASS_FUSE_BATCHNORM = 1 << 2, /* BatchNormalization into Conv/Gemm weights */
    NNGPU_PASS_FUSE_EPILOGUE = 1 << 3,  /* bias, activation, residual Add into Conv/Gemm/MatMul */
    NNGPU_PASS_FUSE_ELEMENTWISE = 1 << 4, /* chains of elementwise ops into one kernel */
    NNGPU_PASS_FUSE_PAD = 1 << 5,       /* Pad into the following Conv/Pool */
    NNGPU_PASS_PLAN_MEMORY = 1 << 6,    /* share one arena by liveness (off: one slot each) */
    NNGPU_PASS_SINK_TRANSPOSES = 1 << 7, /* run elementwise regions between NHWC Transposes untransposed */
    NNGPU_PASS_FUSE_ACTIVATIONS = 1 << 8, /* spelled-out GELU / HardSwish / Mish / SiLU as one op */
    NNGPU_PASS_LOWER_DFT = 1 << 9, /* devices: DFT / STFT as MatMul / Conv by a constant matrix */
    NNGPU_PASS_CSE = 1 << 10       /* a node repeating an earlier one's work reads its result */
} nngpu_pass;

typedef struct nngpu_options {
    nngpu_precision precision;  /* default FP32 */
    int precision_strict;       /* 1: fail when the device cannot run `precision` (no fp16,
                                   no int8 storage); 0: run fp32 and say so (default 0) */
    const char *calibration;    /* an .npy file or a folder of .npy files of representative
                                   inputs, for INT8 ranges and the FP16 guard. NULL: random
                                   normal inputs, with a warning in the summary (INT8). */
    nngpu_calibration_method calibration_method; /* default MINMAX */
    float calibration_percentile; /* PERCENTILE: the kept fraction in percent (default 99.99) */
    int bias_correction;        /* INT8: correct each channel's bias for the mean shift its
                                   weight rounding causes (default 1) */
    float fp16_tolerance;       /* FP16 guard: a layer whose relative L2 error on the
                                   calibration inputs exceeds this stays fp32 (default 1e-3;
                                   0: any error). Then, end to end, the session's outputs on
                                   up to 4 calibration samples are compared with fp32; over
                                   5 x this, the layers adding most to the accumulated error
                                   stay fp32, doubling their number until it holds. The
                                   end-to-end check runs only for 0 < tolerance < 1 (>= 1:
                                   only overflowing layers stay fp32, no end-to-end check) */
    float int8_tolerance;       /* INT8 guard: after compiling, the session's outputs on up
                                   to 4 calibration samples are compared with fp32; over this
                                   relative L2 error, the layers most sensitive to int8 (by
                                   simulation) stay fp32, doubling their number until it
                                   holds. 0: no check (default 0.05) */
    int weight_bits;            /* 4 or 8: weight-only quantization of MatMul/Gemm weights
                                   (float activations, dequantized inside the kernel);
                                   0: off (default) */
    int weight_group_size;      /* weight_bits: scales per group of this many input rows
                                   (a multiple of 2); 0: one scale per output column */
    const char *tuning_db;      /* tuning database path; NULL: $NNGPU_TUNING_DB or none */
    int profiling;              /* 1: record per-layer device times (default 0) */
    int fusion;                 /* 0: no fusion passes at all (default 1) */
    unsigned disabled_passes;   /* nngpu_pass bits switched off (default 0) */
    int allow_cpu_fallback;     /* 1: nodes the device can't run go to the CPU (default 1) */
    int tail_on_host;           /* 1: the run-time tail (nodes whose shapes only a run decides,
                                   after NonZero, NonMaxSuppression, ...) always runs on the
                                   CPU reference. 0 (default): when a run repeats the tail's
                                   input extents, the tail is compiled for them as a device
                                   session of its own and kept while it beats the host */
    int verbose;                /* 1: passes print what they did to stderr (default 0) */
    size_t guard_bytes;         /* testing: poison the arena, pad each tensor with guard
                                   bytes and check them after every run (default 0) */
    const char *params_override; /* tuning: forces kernel parameters at session creation,
                                   "family:NAME=V,NAME=V;family2:..." (NNGPU_PARAMS syntax);
                                   when not NULL (even "") the tuning DB and NNGPU_PARAMS
                                   are not read and every layer's params_source is
                                   "override". Read only during nngpu_session_create.
                                   Default NULL. */
} nngpu_options;

void nngpu_options_init(nngpu_options *o);

typedef struct nngpu_session nngpu_session;

/* selector: see nngpu_device_find; "cpu" runs the reference. */
nngpu_status nngpu_session_create(const nngpu_model *m, const char *selector,
                                  const nngpu_options *o, nngpu_session **out);
void nngpu_session_destroy(nngpu_session *s);

/* Fixes a symbolic input shape before nngpu_session_create (default: every
 * symbolic dim is 1). */
nngpu_status nngpu_model_set_input_shape(nngpu_model *m, const char *name, int rank,
                                         const int64_t *dims);

/* A host tensor: data is owned by the caller. */
typedef struct nngpu_tensor nngpu_tensor;

/* Turns a graph input into a constant with the given value (copied), for
 * inputs that are really parameters (shapes, axes, pads, indices): shapes
 * then resolve at session creation. Before nngpu_session_create. */
nngpu_status nngpu_model_freeze_input(nngpu_model *m, const nngpu_tensor *value);

struct nngpu_tensor {
    const char *name;
    nngpu_dtype dtype;
    int rank;
    int64_t dims[NNGPU_MAX_DIMS];
    void *data;
    size_t size_bytes; /* capacity of data (outputs) or its size (inputs) */
};

/* Runs the session. Inputs are matched by name; every graph input must be
 * given with the shape the session was created for. Outputs are filled in
 * (dtype, rank, dims set; data must have room: see nngpu_session_output).
 * An output given with data NULL gets its shape only; an output whose shape
 * only the run decides (nngpu_session_output gives rank -1 before the first
 * run) can then be read with nngpu_session_read_output into room that fits. */
nngpu_status nngpu_session_run(nngpu_session *s, int n_inputs, const nngpu_tensor *inputs,
                               int n_outputs, nngpu_tensor *outputs);
/* Turns per-layer timing on or off for the following runs (only for a
 * session created with options.profiling = 1). Timing costs time on some
 * drivers: measure latency with it off. */
void nngpu_session_set_profiling(nngpu_session *s, int on);

/* Resolved shape of output i of this session. An output whose extent the
 * values decide (NonMaxSuppression, NonZero of non-constant data) reports its
 * upper bound here, the room its data needs; nngpu_session_run sets the extent
 * each run gives in outputs[i].dims, the data packed to that shape. */
nngpu_status nngpu_session_output(const nngpu_session *s, int i, nngpu_tensor_desc *out);
/* Outputs whose shape only a run decides (behind an If or Loop on run-time
 * values, or behind NonZero / NonMaxSuppression: detection post-processing)
 * are computed on the host after the device graph. nngpu_session_output gives
 * rank -1 for them before the first run, then the last run's shape; this
 * copies the last run's value of output i into out (dtype, rank and dims set;
 * out->data must hold out->size_bytes >= its size). */
nngpu_status nngpu_session_read_output(const nngpu_session *s, int i, nngpu_tensor *out);

typedef struct nngpu_session_stats {
    int onnx_nodes;       /* nodes in the imported graph */
    int kernels;          /* device kernels after fusion */
    int cpu_nodes;        /* nodes run on the CPU (fallback) */
    int folded_nodes;     /* nodes evaluated at compile time */
    size_t arena_bytes;   /* planned intermediate memory */
    size_t tensor_bytes;  /* sum of intermediate tensor sizes */
    size_t lower_bound_bytes; /* largest set of tensors live at once */
    size_t weight_bytes;  /* bytes of constants the kernels read, after quantization */
    size_t model_weight_bytes; /* bytes of the imported model's constants */
    const char *precision;  /* what the session runs: "fp32", "fp16", "int8", "fp32+int4w" */
    /* The accuracy guard's end-to-end error of the session's outputs against
     * fp32 on its samples (relative L2, the worst output), measured on the
     * session as compiled; -1 when no guard measured one. */
    double precision_error_vs_fp32;
    const char *device_name;
    int tail_kernels;     /* device kernels the run-time tail ran in the last run, as a
                             session of its own (options.tail_on_host); 0: it ran on the
                             CPU reference, or the model has none */
} nngpu_session_stats;
void nngpu_session_get_stats(const nngpu_session *s, nngpu_session_stats *out);

/* Per-layer record of the last run (times only when options.profiling). */
typedef struct nngpu_layer_info {
    const char *name;     /* the fused layer's name (its first ONNX node's) */
    const char *kernel;   /* kernel family and variant, "conv2d_direct+relu" */
    const char *fused;    /* the ONNX ops it covers, "Conv+BatchNormalization+Relu" */
    const char *params_source; /* "default", later "db:exact" etc. */
    int on_cpu;           /* 1: ran on the CPU fallback */
    const char *precision; /* the layer's storage: "fp32", "fp16", "int8", "int4w", "int8w" */
    double time_ms;       /* device time (host time for CPU steps), -1 when not profiled */
} nngpu_layer_info;
int nngpu_session_layer_count(const nngpu_session *s);
nngpu_status nngpu_session_layer(const nngpu_session *s, int i, nngpu_layer_info *out);

/* A human-readable summary of what the passes did (fusions, folds, arena). */
const char *nngpu_session_summary(const nngpu_session *s);

#ifdef __cplusplus
}
#endif
#endif
