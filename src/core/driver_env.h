/* Driver settings the command-line tools (nnrun, nntune, bench_gemm) start
 * with; a host application that links the library makes its own choices. */
#ifndef NG_CORE_DRIVER_ENV_H
#define NG_CORE_DRIVER_ENV_H

/* Sets, unless the user already set them: POCL_AFFINITY=1 (PoCL pins its
 * worker threads to cores: MobileNetV2 on the 2-core CI machine ~10% faster
 * median, bench/README.md). Call before the first OpenCL call. */
void ng_driver_env_defaults(void);

#endif
