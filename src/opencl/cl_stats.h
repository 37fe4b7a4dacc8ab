/* Process-wide counters of the shared OpenCL devices and their program
 * registries (tests, benchmarks; cl_shared.c, cl_program.c). */
#ifndef NG_CL_STATS_H
#define NG_CL_STATS_H

typedef struct ng_cl_share_stats {
    int built;   /* programs built (from source or a cached binary) */
    int reused;  /* a kernel's program found already built on its device */
    int devices; /* shared devices open now */
} ng_cl_share_stats;

ng_cl_share_stats ng_cl_share_stats_get(void);

#endif
