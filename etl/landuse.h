/* landuse.h - land-use codes (Circular 08/2024/TT-BTNMT), their tax groups, and the legacy
 * old->current code table (built-in defaults, extended by match.land_use_map). */
#ifndef LR_LANDUSE_H
#define LR_LANDUSE_H

#include "core.h"
#include "model.h"

struct lr_landuse_pair {
    char legacy[16];
    char current[16];
};

struct lr_landuse {
    struct lr_landuse_pair *pairs;
    size_t n;
};

/* Fill lu with the built-in legacy table, then the CSV file at path (legacy,current) if path is
 * not NULL. LR_ERR_INPUT naming the file and line on a bad row. */
enum lr_rc lr_landuse_load(struct lr_landuse *lu, const char *path, struct lr_err *err);
void lr_landuse_release(struct lr_landuse *lu);
/* Current code for a (trimmed, upper-case) code: the legacy table's answer or code itself. */
const char *lr_landuse_current(const struct lr_landuse *lu, const char *code);
/* Tax group of a current code (LR_LG_UNKNOWN for codes not in the circular). */
enum lr_land_group lr_landuse_group(const char *code);
const char *lr_landuse_group_name(enum lr_land_group g);

#endif
