/* IEEE 754 binary16 <-> binary32 conversion (round to nearest even,
 * subnormals, inf and nan preserved). */
#ifndef NG_HALF_H
#define NG_HALF_H

#include <stdint.h>

uint16_t ng_half_from_float(float f);
float ng_half_to_float(uint16_t h);

#endif
