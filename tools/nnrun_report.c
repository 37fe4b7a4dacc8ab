/* nnrun's output: the device list, the text summary and the JSON object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnrun.h"

static void json_string(const char *s) {
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

void nnrun_print_devices(int json) {
    int n = nngpu_device_count();
    if (json) printf("[");
    for (int i = 0; i < n; i++) {
        nngpu_device_info d;
        if (nngpu_device_get(i, &d) != NNGPU_OK) continue;
        if (json) {
            printf("%s{\"index\": %d, \"selector\": ", i ? ", " : "", d.index);
            json_string(d.selector);
            printf(", \"name\": ");
            json_string(d.name);
            printf(", \"vendor\": ");
            json_string(d.vendor);
            printf(", \"driver_version\": ");
            json_string(d.driver_version);
            printf(", \"type\": ");
            json_string(d.device_type);
            printf(", \"compute_units\": %d, \"global_mem_bytes\": %llu, \"local_mem_bytes\": %llu"
                   ", \"max_work_group_size\": %zu, \"fp16\": %s, \"int8_dot\": %s"
                   ", \"int8_dot_accelerated\": %s"
                   ", \"subgroups\": %s, \"subgroup_size\": %d, \"fp16_storage\": %s"
                   ", \"int8_storage\": %s, \"cooperative_matrix\": %s}",
                   d.compute_units, (unsigned long long)d.global_mem_bytes,
                   (unsigned long long)d.local_mem_bytes, d.max_work_group_size,
                   d.has_fp16 ? "true" : "false", d.has_int8_dot ? "true" : "false",
                   d.has_int8_dot_accel ? "true" : "false",
                   d.has_subgroups ? "true" : "false", d.subgroup_size,
                   d.has_fp16_storage ? "true" : "false", d.has_int8_storage ? "true" : "false",
                   d.has_cooperative_matrix ? "true" : "false");
        } else {
            printf("%d  %-10s %s (%s, %s)\n", d.index, d.selector, d.name, d.vendor, d.device_type);
            printf("     driver %s, %d compute units, %.1f GiB, local memory %llu KiB, "
                   "work-group <= %zu\n",
                   d.driver_version, d.compute_units, d.global_mem_bytes / 1073741824.0,
                   (unsigned long long)(d.local_mem_bytes / 1024), d.max_work_group_size);
            printf("     fp16 %s, int8 dot %s, subgroups %s", d.has_fp16 ? "yes" : "no",
                   !d.has_int8_dot ? "no" : d.has_int8_dot_accel ? "yes (accelerated)" : "yes (not accelerated)",
                   d.has_subgroups ? "yes" : "no");
            if (d.subgroup_size > 0) printf(" (size %d)", d.subgroup_size);
            if (d.backend == NNGPU_BACKEND_VULKAN)
                printf(", fp16 storage %s, int8 storage %s, cooperative matrix %s",
                       d.has_fp16_storage ? "yes" : "no", d.has_int8_storage ? "yes" : "no",
                       d.has_cooperative_matrix ? "yes" : "no");
            printf("\n");
        }
    }
    if (json) printf("]\n");
    else if (n == 0) printf("no OpenCL or Vulkan device found (the CPU reference is 'cpu')\n");
}

/* The summary's lines that start with prefix, each printed with lead before it. */
static void print_summary_lines(const nngpu_session *s, const char *prefix, const char *lead) {
    const char *p = nngpu_session_summary(s);
    size_t n = strlen(prefix);
    while (p && *p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len >= n && !strncmp(p, prefix, n)) printf("%s%.*s\n", lead, (int)len, p);
        p = end ? end + 1 : NULL;
    }
}

/* "cached" or "computed" when the session calibrated, else NULL. */
static const char *calibration_state(const nngpu_session *s) {
    const char *p = nngpu_session_summary(s);
    if (p && strstr(p, "calibration: cached")) return "cached";
    if (p && strstr(p, "calibration: computed")) return "computed";
    return NULL;
}

#define GUARD_KEPT "guard: node '"
#define GUARD_KEPT_END "' stays fp32: "

/* The layers the accuracy guards keep fp32, as a JSON array. */
static void print_guard_fp32_layers(const nngpu_session *s) {
    const char *p = nngpu_session_summary(s);
    int n = 0;
    printf("[");
    while (p && (p = strstr(p, GUARD_KEPT)) != NULL) {
        p += strlen(GUARD_KEPT);
        const char *end = strstr(p, GUARD_KEPT_END), *eol = strchr(p, '\n');
        if (!end || (eol && eol < end)) continue;
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(end - p), p);
        printf("%s", n++ ? ", " : "");
        json_string(name);
    }
    printf("]");
}

/* Layer i's device time: nnrun's median when it has one, else the session's. */
static double layer_ms(const nnrun_timing *t, int i, const nngpu_layer_info *l) {
    return t->layer_ms ? t->layer_ms[i] : l->time_ms;
}

void nnrun_print_text(const nnrun_args *a, const nngpu_session *s, const nnrun_timing *t) {
    nngpu_session_stats st;
    nngpu_session_get_stats(s, &st);
    printf("model    %s\n", a->model);
    printf("device   %s (%s)\n", a->device, st.device_name);
    printf("graph    %d ONNX nodes -> %d kernels", st.onnx_nodes, st.kernels);
    if (st.cpu_nodes) printf(" + %d nodes on the CPU", st.cpu_nodes);
    printf(" (%d folded at compile time)\n", st.folded_nodes);
    if (st.tail_kernels)
        printf("tail     the run-time tail ran as %d kernels, compiled for the last run's extents\n",
               st.tail_kernels);
    printf("memory   arena %.1f KiB (tensors %.1f KiB, lower bound %.1f KiB), weights %.1f KiB\n",
           st.arena_bytes / 1024.0, st.tensor_bytes / 1024.0, st.lower_bound_bytes / 1024.0,
           st.weight_bytes / 1024.0);
    printf("precision %s (model weights %.1f KiB)", st.precision, st.model_weight_bytes / 1024.0);
    if (st.precision_error_vs_fp32 >= 0)
        printf(", error vs fp32 %.4g (accuracy guard)", st.precision_error_vs_fp32);
    printf("\n");
    if (!a->verbose) {
        print_summary_lines(s, "calibration:", "          ");
        print_summary_lines(s, "precision:", "          ");
        print_summary_lines(s, "int8 guard:", "          ");
        print_summary_lines(s, "fp16:", "          ");
        print_summary_lines(s, "fp16 guard:", "          ");
        print_summary_lines(s, "weights:", "          ");
        print_summary_lines(s, "cpu_fallback:", "          ");
    }
    if (a->verbose) printf("passes:\n%s", nngpu_session_summary(s));
    int n = nngpu_session_layer_count(s);
    printf("%-4s %-28s %-34s %-5s %-9s %s\n", "#", "layer", "kernel", "prec", "time ms",
           "fused ops");
    for (int i = 0; i < n; i++) {
        nngpu_layer_info l;
        if (nngpu_session_layer(s, i, &l) != NNGPU_OK) continue;
        char tm[32] = "-";
        if (layer_ms(t, i, &l) >= 0) snprintf(tm, sizeof tm, "%.3f", layer_ms(t, i, &l));
        printf("%-4d %-28.28s %-34.34s %-5s %-9s %s\n", i, l.name, l.kernel, l.precision, tm,
               l.fused);
    }
    printf("latency  median %.3f ms, min %.3f ms over %d runs (layer times: median of %d)\n",
           t->median_ms, t->min_ms, t->runs, t->profile_runs);
}

void nnrun_print_json(const nnrun_args *a, const nngpu_session *s, const nnrun_timing *t,
                      double accuracy, int n_correct, int n_samples) {
    nngpu_session_stats st;
    nngpu_session_get_stats(s, &st);
    printf("{\"model\": ");
    json_string(a->model);
    printf(", \"device\": ");
    json_string(a->device);
    printf(", \"device_name\": ");
    json_string(st.device_name);
    printf(", \"latency_ms\": {\"median\": %.6f, \"min\": %.6f, \"mean\": %.6f, \"runs\": %d}",
           t->median_ms, t->min_ms, t->mean_ms, t->runs);
    printf(", \"layer_time_runs\": %d", t->profile_runs);
    printf(", \"nodes\": %d, \"kernels\": %d, \"cpu_nodes\": %d, \"folded_nodes\": %d"
           ", \"tail_kernels\": %d",
           st.onnx_nodes, st.kernels, st.cpu_nodes, st.folded_nodes, st.tail_kernels);
    printf(", \"arena_bytes\": %zu, \"tensor_bytes\": %zu, \"lower_bound_bytes\": %zu"
           ", \"weight_bytes\": %zu",
           st.arena_bytes, st.tensor_bytes, st.lower_bound_bytes, st.weight_bytes);
    printf(", \"model_weight_bytes\": %zu, \"precision\": ", st.model_weight_bytes);
    json_string(st.precision);
    printf(", \"calibration\": ");
    if (calibration_state(s)) json_string(calibration_state(s));
    else printf("null");
    double e = st.precision_error_vs_fp32;
    int int8 = a->precision == NNGPU_PRECISION_INT8;
    printf(", \"precision_error_vs_fp32\": ");
    if (e >= 0 && isfinite(e)) printf("%.6g", e);
    else printf("null");
    printf(", \"guard_fp32_layers\": ");
    print_guard_fp32_layers(s);
    printf(", \"int8_error_vs_fp32\": "); /* the INT8 names of the two above */
    if (int8 && e >= 0 && isfinite(e)) printf("%.6g", e);
    else printf("null");
    printf(", \"int8_fp32_layers\": ");
    if (int8) print_guard_fp32_layers(s);
    else printf("[]");
    if (n_samples > 0)
        printf(", \"accuracy\": %.6f, \"correct\": %d, \"samples\": %d", accuracy, n_correct,
               n_samples);
    printf(", \"layers\": [");
    int n = nngpu_session_layer_count(s);
    for (int i = 0; i < n; i++) {
        nngpu_layer_info l;
        if (nngpu_session_layer(s, i, &l) != NNGPU_OK) continue;
        printf("%s{\"name\": ", i ? ", " : "");
        json_string(l.name);
        printf(", \"kernel\": ");
        json_string(l.kernel);
        printf(", \"fused\": ");
        json_string(l.fused);
        printf(", \"params_source\": ");
        json_string(l.params_source);
        printf(", \"precision\": ");
        json_string(l.precision);
        printf(", \"on_cpu\": %s, \"time_ms\": ", l.on_cpu ? "true" : "false");
        if (layer_ms(t, i, &l) >= 0) printf("%.6f}", layer_ms(t, i, &l));
        else printf("null}");
    }
    printf("]}\n");
}
