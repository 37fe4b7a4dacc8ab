/* Prepended to every OpenCL program, before epilogue.cl (cl_program.c): how
 * float tensors are stored in global memory. float by default; with
 * -DNG_F16=1 (fp16 layers: the host's ng_context.half) half, read and written
 * only through vload_half/vstore_half, which are core OpenCL 1.2 (no
 * cl_khr_fp16 needed): storage is half, arithmetic stays float. Kernels declare
 * global float tensors as NG_FLOAT pointers and access them with
 *   NG_LD(p, i)         p[i] as a float
 *   NG_ST(p, i, v)      p[i] = v (half: rounded to nearest even)
 *   NG_LDV(n, i, p)     floatn from p + i * n (n = 2, 4, 8, 16), like vloadn
 *   NG_STV(n, v, i, p)  floatn v to p + i * n, like vstoren
 * Private and local arrays stay float and use plain vloadn/vstoren. */
#ifndef NG_STORAGE_CL
#define NG_STORAGE_CL

#ifndef NG_F16
#define NG_F16 0
#endif

#define NG_SCAT_(a, b) a##b
#define NG_SCAT(a, b) NG_SCAT_(a, b)

#if NG_F16
#define NG_FLOAT half
#define NG_LD(p, i) vload_half((i), (p))
#define NG_ST(p, i, v) vstore_half((v), (i), (p))
#define NG_LDV(n, i, p) NG_SCAT(vload_half, n)((i), (p))
#define NG_STV(n, v, i, p) NG_SCAT(vstore_half, n)((v), (i), (p))
#else
#define NG_FLOAT float
#define NG_LD(p, i) ((p)[(i)])
#define NG_ST(p, i, v) ((p)[(i)] = (v))
#define NG_LDV(n, i, p) NG_SCAT(vload, n)((i), (p))
#define NG_STV(n, v, i, p) NG_SCAT(vstore, n)((v), (i), (p))
#endif

/* NG_MAD(a, b, c): a * b + c as one fused multiply-add where the device
 * has one in hardware (-DNG_FMA=1 from the host when CL_DEVICE_SINGLE_FP_CONFIG
 * has CL_FP_FMA; or FP_FAST_FMAF), else mad(). PoCL compiles mad() as a
 * separate multiply and add even with -cl-mad-enable and defines no
 * FP_FAST_FMAF; fma() doubled its 1x1 GEMMs (AVX-512 vfmadd). */
#if defined(FP_FAST_FMAF) || (defined(NG_FMA) && NG_FMA)
#define NG_MAD(a, b, c) fma((a), (b), (c))
#else
#define NG_MAD(a, b, c) mad((a), (b), (c))
#endif

#endif /* NG_STORAGE_CL */
