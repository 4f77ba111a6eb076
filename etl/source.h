/* source.h - reading inputs through OGR: dataset opening, globs, field lookup, geometry to
 * lr_shape, dataset checksums. Used by the load stage and `landrec check`. */
#ifndef LR_SOURCE_H
#define LR_SOURCE_H

#include "core.h"
#include "model.h"

#include <gdal.h>
#include <ogr_api.h>

/* Expand a path or glob into sorted file names (caller frees each and the array). A plain path
 * that does not exist is returned as is (the open reports it). Zero matches of a glob is
 * LR_ERR_INPUT naming the pattern. */
enum lr_rc lr_source_glob(const char *pattern, char ***paths, size_t *n, struct lr_err *err);
void lr_source_glob_free(char **paths, size_t n);

/* Open a vector dataset read-only; LR_ERR_INPUT with GDAL's reason when it cannot. */
enum lr_rc lr_source_open(const char *path, GDALDatasetH *out, struct lr_err *err);

/* SHA-256 over every file of the dataset (GDALGetFileList, sorted), or of path alone. */
enum lr_rc lr_source_hash(GDALDatasetH ds, const char *path, char hex[65], struct lr_err *err);

/* Index of field `name` in the layer definition, -1 when name is NULL. A name given but absent
 * is LR_ERR_INPUT: "'file' layer 'l': no field 'X' (mapped as 'sheet'); fields are: ..." */
enum lr_rc lr_source_field(OGRLayerH layer, const char *path, const char *name, const char *logical,
                           int *idx, struct lr_err *err);

/* Convert an OGR geometry into a shape (polygonal only; Z/M dropped, curves linearised).
 * Returns LR_OK, or a reject reason in *why (no_geometry, not_polygon, bad_coordinates) with
 * rc LR_ERR_INPUT; LR_ERR_NOMEM on out of memory. */
enum lr_rc lr_source_shape(OGRGeometryH g, struct lr_shape *out, enum lr_issue_class *why);

/* The layer's CRS as WKT2 (caller frees), NULL when the layer has none. */
char *lr_source_layer_crs(OGRLayerH layer);

#endif
