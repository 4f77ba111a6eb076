/* refdata.h - reference inputs of the load stage: the commune crosswalk, the new commune
 * boundaries and the price zones (geometries in the target CRS, prepared for lookups). */
#ifndef LR_REFDATA_H
#define LR_REFDATA_H

#include "core.h"
#include "model.h"

struct lr_geom_ctx;
struct lr_crs_ctx;

enum lr_rc lr_refdata_load_crosswalk(struct lr_shard *sh, const char *path, struct lr_err *err);
enum lr_rc lr_refdata_load_boundaries(struct lr_shard *sh, struct lr_geom_ctx *g,
                                      struct lr_crs_ctx *c, const char *path, struct lr_err *err);
enum lr_rc lr_refdata_load_zones(struct lr_shard *sh, struct lr_geom_ctx *g, struct lr_crs_ctx *c,
                                 struct lr_err *err);

#endif
