/* Prepended to every OpenCL program after storage.cl and epilogue.cl
 * (cl_program.c): helpers of the CPU row kernels (conv.cl's DW_ROWS and
 * ROW_VEC, pool.cl's POOL_ROWS), where a work-item computes whole output
 * rows as pixel vectors. Macros only. ROW_INTERIOR reads the kernel's PL_,
 * W_ and OW_; ROW_STORE writes the kernel's y + y_off. */
#ifndef NG_ROWS_CL
#define NG_ROWS_CL

#define NG_CAT_(a, b) a##b
#define NG_CAT(a, b) NG_CAT_(a, b)

/* n input pixels at stride s (1 or 2) from
 * p as one floatn; stride 2 takes the even lanes of one load and the odd
 * lanes of a second that ends at the last pixel read (never past it). */
#define ROW_TAP(n, s, p) \
    ((s) == 1 ? NG_LDV(n, 0, (p)) \
              : (NG_CAT(float, n))(NG_LDV(n, 0, (p)).even, NG_LDV(n, 0, (p) + (n) - 1).odd))
/* A row's interior output columns [il, ir) (every tap of a k-wide kernel at
 * stride s inside the input row; cl_util.c's ng_cl_row_interior counts the same)
 * and the n-wide vectors covering it (0 when shorter than one vector). */
#define ROW_INTERIOR(k, s, n)                                                       \
    const int il = (PL_ + (s) - 1) / (s);                                           \
    const int ir = min(OW_, W_ + PL_ >= (k) ? (W_ + PL_ - (k)) / (s) + 1 : 0);      \
    const int nvec = ir - il >= (n) ? (ir - il + (n) - 1) / (n) : 0
/* Stores floatn v at y + y_off + base after the epilogue: on the vector
 * when its operands allow (EPI_VEC_OK), else on each lane. */
#ifdef EPI_VEC_OK
#define ROW_STORE(n, v, base) NG_STV(n, NG_EPI_APPLY((v), (base)), 0, y + y_off + (base))
#else
#define ROW_STORE(n, v, base)                                                   \
    do {                                                                        \
        float out_[n];                                                          \
        NG_CAT(vstore, n)((v), 0, out_);                                        \
        _Pragma("unroll") for (int p_ = 0; p_ < (n); p_++)                     \
            out_[p_] = NG_EPI_APPLY(out_[p_], (base) + p_);                     \
        NG_STV(n, NG_CAT(vload, n)(0, out_), 0, y + y_off + (base));           \
    } while (0)
#endif

#endif /* NG_ROWS_CL */
