/* Process-wide counters of the Vulkan pipeline registry and the shared
 * constants (tests, benchmarks; vk_pipeline.c, vk_shared.c, vk_consts.c). */
#ifndef NG_VK_STATS_H
#define NG_VK_STATS_H

typedef struct ng_vk_pipeline_stats {
    int compiled;   /* pipeline builds started (vkCreateComputePipelines) */
    int reused;     /* a context got a pipeline another context had made */
    int registered; /* pipelines in the registries now (failed builds leave) */
    int devices;    /* shared devices open now */
} ng_vk_pipeline_stats;

ng_vk_pipeline_stats ng_vk_pipeline_stats_get(void);

typedef struct ng_vk_const_stats {
    int made;   /* shared constant buffers made */
    int reused; /* a context took one another context had made */
    int live;   /* shared constant buffers alive now */
} ng_vk_const_stats;

ng_vk_const_stats ng_vk_const_stats_get(void);

#endif
