/* A string -> int map (open addressing), for tensor names. */
#ifndef NG_NAMEMAP_H
#define NG_NAMEMAP_H

typedef struct ng_name_map ng_name_map;

ng_name_map *ng_name_map_create(void);
void ng_name_map_destroy(ng_name_map *m);
/* -1 when absent. */
int ng_name_map_get(const ng_name_map *m, const char *key);
/* The key is copied. Returns 0, or -1 when out of memory. */
int ng_name_map_put(ng_name_map *m, const char *key, int value);

#endif
