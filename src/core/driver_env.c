#include "core/driver_env.h"

#include <stdlib.h>

void ng_driver_env_defaults(void) {
    setenv("POCL_AFFINITY", "1", 0);
}
