/* store.h - the analysts' GeoPackage (SPEC.md "parcels.gpkg"), written through GDAL/OGR's GPKG
 * driver: layer `parcels` (MultiPolygon, target CRS, one feature per map parcel with geometry),
 * layer `issues` (one feature per row of mismatches.csv: geometry issues and match findings, a
 * point, the overlap/gap polygon, or no geometry), table `register_only` (register records with
 * no map parcel), table `lineage` (exact matches as `same` plus the lineage pass's rows), QGIS
 * styles in `layer_styles`, spatial and attribute indexes.
 *
 * No owner data is written: the map's owner name shows only as names_agree yes/no/unknown.
 * Rows are written sorted by key, so the file does not depend on the order of the shard's tables;
 * with OGR_CURRENT_DATE set (lr_init_libraries) two runs give identical bytes. */
#ifndef LR_STORE_H
#define LR_STORE_H

#include "stage.h"

struct lr_geom_ctx;

/* Row counts of what was written (for logs and tests). */
struct lr_store_counts {
    int64_t parcels, issues, register_only, lineage;
    double seconds;
};

/* Names of the GeoPackage's tables and of the file in the run directory. */
#define LR_STORE_FILE          "parcels.gpkg"
#define LR_STORE_PARCELS       "parcels"
#define LR_STORE_ISSUES        "issues"
#define LR_STORE_REGISTER_ONLY "register_only"
#define LR_STORE_LINEAGE       "lineage"

/* Write path (a .gpkg file) from the shard's tables: first to a temporary name beside it
 * ("<path without .gpkg>.tmp.gpkg"), then chmod 0640, fsync and rename over path. g is the
 * calling thread's GEOS context (geometries go GEOS -> WKB -> OGR). counts may be NULL.
 * LR_ERR_IO names the file and GDAL's message; nothing is left at path on failure. */
enum lr_rc lr_store_write_file(const char *path, const struct lr_shard *sh, struct lr_geom_ctx *g,
                               struct lr_store_counts *counts, struct lr_err *err);

/* Stage helper: write ctx->work_dir/parcels.gpkg (the caller records it as an output). */
enum lr_rc lr_store_write(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_err *err);

/* "yes" / "no" / "unknown": does the map's owner name (hashed at load) agree with the register's?
 * Only the verdict ever leaves the run, never a name. */
const char *lr_store_names_agree(const struct lr_parcel *p, const struct lr_record *r);

#endif
