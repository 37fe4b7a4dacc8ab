/* The data family's parts (shaders/vulkan/data.comp): copies in vk_data.c,
 * the indexed ops Gather / GatherElements / Pad / Resize in vk_data_index.c,
 * GridSample in vk_grid_sample.c, and the one dispatch helper they share. */
#ifndef NG_VK_DATA_H
#define NG_VK_DATA_H

#include "vk_util.h"

enum {
    NG_VK_DATA_CONTIG,
    NG_VK_DATA_STRIDED,
    NG_VK_DATA_GATHER,
    NG_VK_DATA_PAD,
    NG_VK_DATA_RESIZE,
    NG_VK_DATA_GATHER_ELEMENTS,
    NG_VK_DATA_GRID_SAMPLE,
    NG_VK_DATA_RESIZE_PLANE
};

/* data.comp's push constants. */
typedef struct ng_vk_data_push {
    uint32_t y_off, x_off, n, y_base, rank, meta_off, idx_off, n_idx, axis_len, inner;
    float value;
    ng_vk_epi_push epi;
} ng_vk_data_push;

typedef struct ng_vk_data_call {
    int kind, taps, pad_mode, idx64; /* data.comp's specialization constants */
    ng_buffer *y, *x, *meta, *idx; /* bindings 0..3; meta / idx NULL when unused */
    ng_vk_data_push push;       /* y_off / x_off include any extra offsets */
    int64_t items;              /* invocations */
    int read, write;            /* tensors for hazard tracking */
    int read_idx;               /* runtime indices read (tensor + 1; 0: none) */
} ng_vk_data_call;

/* Adds the dispatch of d, with node epi's epilogue (NULL: none). */
nngpu_status ng_vk_data_dispatch(ng_context *c, ng_kernel *k, const ng_graph *g,
                                 const ng_binding *bind, const ng_node *epi, ng_vk_data_call *d);

int ng_vk_gather_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_vk_gather_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k);
int ng_vk_pad_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_vk_pad_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                               const ng_binding *bind, ng_kernel *k);
int ng_vk_resize_supports(const ng_graph *g, const ng_node *n);
nngpu_status ng_vk_resize_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                  const ng_binding *bind, ng_kernel *k);
int ng_vk_grid_sample_supports(const ng_context *c, const ng_graph *g, const ng_node *n);
nngpu_status ng_vk_grid_sample_prepare(ng_context *c, const ng_graph *g, const ng_node *n,
                                       const ng_binding *bind, ng_kernel *k);

#endif
