/* Which kernel file each OpenCL parameter family builds from, and the hash
 * of that source (the tuning DB's source_hash), for runtime/params. */
#ifndef NG_CL_SOURCE_HASH_H
#define NG_CL_SOURCE_HASH_H

#include <stdint.h>

/* Hash of epilogue.cl and the family's .cl file; 0 for an unknown family. */
uint64_t ng_cl_family_source_hash(const char *family);

#endif
