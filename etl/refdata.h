/* refdata.h - reference inputs of the load stage: the commune crosswalk, the new commune
 * boundaries and the price zones (geometries in the target CRS, prepared for lookups). */
#ifndef LR_REFDATA_H
#define LR_REFDATA_H

#include "core.h"
#include "model.h"

struct lr_geom_ctx;
struct lr_crs_ctx;

/* The crosswalk: columns old_code, old_name, new_code, new_name, and optionally tax_code (the
 * tax office's own code of the new commune, kept in lr_commune.tax_code). */
enum lr_rc lr_refdata_load_crosswalk(struct lr_shard *sh, const char *path, struct lr_err *err);
/* Log the old communes that split across several new ones: placed by position when boundaries
 * are loaded (info), else all to the crosswalk's first row for the old code (warning). */
void lr_refdata_warn_splits(const struct lr_shard *sh);
enum lr_rc lr_refdata_load_boundaries(struct lr_shard *sh, struct lr_geom_ctx *g,
                                      struct lr_crs_ctx *c, const char *path, struct lr_err *err);
enum lr_rc lr_refdata_load_zones(struct lr_shard *sh, struct lr_geom_ctx *g, struct lr_crs_ctx *c,
                                 struct lr_err *err);

#endif
