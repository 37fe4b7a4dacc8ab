/* nntune: the autotuner's command line (tools/nntune*.c). */
#ifndef NNTUNE_H
#define NNTUNE_H

#include "autotune/tuner.h"

/* nntune db list|export|import|merge ... ; returns the exit code. */
int nntune_db_main(int argc, char **argv);
/* Adds the built-in set of common CNN layers (MobileNet, ResNet, SqueezeNet)
 * as sessions with options o (NULL: defaults) compile them. */
nngpu_status nntune_builtin_jobs(const char *device, const nngpu_options *o, ng_tune_jobs *jobs);

#endif
