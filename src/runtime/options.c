#include <stdlib.h>
#include <string.h>

#include "runtime.h"

void nngpu_options_init(nngpu_options *o) {
    memset(o, 0, sizeof *o);
    o->precision = NNGPU_PRECISION_FP32;
    o->fusion = 1;
    o->allow_cpu_fallback = 1;
    o->calibration_method = NNGPU_CALIBRATION_MINMAX;
    o->calibration_percentile = 99.99f;
    o->bias_correction = 1;
    o->fp16_tolerance = 1e-3f;
    o->int8_tolerance = 0.05f;
}

static const struct {
    const char *name;
    unsigned bit;
} pass_names[] = {
    {"fold", NNGPU_PASS_FOLD_CONSTANTS},        {"eliminate", NNGPU_PASS_ELIMINATE},
    {"fuse_batchnorm", NNGPU_PASS_FUSE_BATCHNORM}, {"fuse_epilogue", NNGPU_PASS_FUSE_EPILOGUE},
    {"fuse_elementwise", NNGPU_PASS_FUSE_ELEMENTWISE}, {"fuse_pad", NNGPU_PASS_FUSE_PAD},
    {"plan_memory", NNGPU_PASS_PLAN_MEMORY}, {"sink_transposes", NNGPU_PASS_SINK_TRANSPOSES},
    {"fuse_activations", NNGPU_PASS_FUSE_ACTIVATIONS}, {"lower_dft", NNGPU_PASS_LOWER_DFT},
    {"cse", NNGPU_PASS_CSE},
};

unsigned ng_disabled_passes(const nngpu_options *o) {
    unsigned off = o->disabled_passes;
    if (!o->fusion)
        off |= NNGPU_PASS_FUSE_BATCHNORM | NNGPU_PASS_FUSE_EPILOGUE | NNGPU_PASS_FUSE_ELEMENTWISE |
               NNGPU_PASS_FUSE_PAD;
    const char *env = getenv("NNGPU_DISABLE_PASSES");
    if (!env) return off;
    for (size_t i = 0; i < sizeof pass_names / sizeof pass_names[0]; i++) {
        const char *p = strstr(env, pass_names[i].name);
        size_t len = strlen(pass_names[i].name);
        while (p) {
            int starts = p == env || p[-1] == ',';
            int ends = p[len] == '\0' || p[len] == ',';
            if (starts && ends) {
                off |= pass_names[i].bit;
                break;
            }
            p = strstr(p + 1, pass_names[i].name);
        }
        if (strcmp(env, "all") == 0) off |= pass_names[i].bit;
    }
    return off;
}
