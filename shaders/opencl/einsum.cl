/* Einsum of one or two inputs: one work-item per output element sums, over
 * every combination of the summed labels, the product of the inputs.
 * meta: [n_out, n_sum, then per output label (size, stride a, stride b),
 * then per summed label (size, stride a, stride b)]; stride 0 where an input
 * lacks the label or broadcasts it. A label in one input only is summed with
 * stride 0 in the other (the product distributes). */

#ifndef TWO
#define TWO 1 /* 0: one input */
#endif

__kernel void einsum(__global float *y, int y_off, __global const float *a, int a_off,
                     __global const float *b, int b_off, __constant int *meta, int total,
                     int n_sum_elems, NG_EPI_PARAMS) {
    int gid = get_global_id(0);
    if (gid >= total) return;
    int no = meta[0], ns = meta[1];
    __constant int *om = meta + 2, *sm = meta + 2 + 3 * no;
    int pa = a_off, pb = b_off, q = gid;
    for (int j = no - 1; j >= 0; j--) {
        int v = q % om[3 * j];
        q /= om[3 * j];
        pa += v * om[3 * j + 1];
        pb += v * om[3 * j + 2];
    }
    int c[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    float acc = 0.0f;
    for (int s = 0; s < n_sum_elems; s++) {
#if TWO
        acc += a[pa] * b[pb];
#else
        acc += a[pa];
#endif
        for (int j = ns - 1; j >= 0; j--) { /* next summed combination */
            pa += sm[3 * j + 1];
            pb += sm[3 * j + 2];
            if (++c[j] < sm[3 * j]) break;
            pa -= sm[3 * j + 1] * sm[3 * j];
            pb -= sm[3 * j + 2] * sm[3 * j];
            c[j] = 0;
        }
    }
    y[y_off + gid] = NG_EPI_APPLY(acc, gid);
}
