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

/* Open a vector dataset read-only; LR_ERR_INPUT with GDAL's reason when it cannot, and a hint for
 * a DGN v8 file and a CSV without a known delimiter. Text of DBF files comes as raw bytes (the
 * load stage decodes it); closed DXF polylines come as polygons. Thread-safe (thread-local
 * GDAL options). */
enum lr_rc lr_source_open(const char *path, GDALDatasetH *out, struct lr_err *err);

/* What the checks before the open found that is data, not an error: CSV rows with more fields
 * than the header (their extra values are ignored by the reader: a finding per row). */
struct lr_precheck {
    int64_t *wide_rows; /* 1-based data rows */
    int *wide_fields;   /* their field counts */
    size_t n_wide;
    int header_fields;
};

void lr_precheck_release(struct lr_precheck *pc);

/* Checks before the open, for damage GDAL would turn into silently lost rows (LR_ERR_INPUT naming
 * the file and what to do): a .shp without its .dbf; a .dbf whose header lists fewer records
 * than the file (or the .shx) holds; a CSV with unbalanced quotes (lr_source_csv_check). A .dbf
 * header listing more records than exist is only logged. Other files: LR_OK. pc receives what
 * is to become findings (release it). */
enum lr_rc lr_source_precheck(const char *path, struct lr_precheck *pc, struct lr_err *err);

/* Scan a CSV file (RFC 4180 quoting; delimiter ',', ';' or tab taken from the header): a quote
 * never closed, a quoted field running over line breaks with a row's worth of delimiters, or a
 * record over several lines with more fields than the header is LR_ERR_INPUT naming the line
 * where it starts; one-line rows with more fields than the header go to pc. */
enum lr_rc lr_source_csv_check(const char *path, struct lr_precheck *pc, struct lr_err *err);

/* SHA-256 over every file of the dataset (GDALGetFileList, sorted), or of path alone. */
enum lr_rc lr_source_hash(GDALDatasetH ds, const char *path, char hex[65], struct lr_err *err);

/* SHA-256 of a text (a register query source is identified by its query). */
enum lr_rc lr_source_hash_text(const char *text, char hex[65], struct lr_err *err);

/* Index of field `name` in the layer definition, -1 when name is NULL. A name given but absent
 * is LR_ERR_INPUT: "'file' layer 'l': no field 'X' (mapped as 'sheet'); fields are: ..." */
enum lr_rc lr_source_field(OGRLayerH layer, const char *path, const char *name, const char *logical,
                           int *idx, struct lr_err *err);

/* Convert an OGR geometry into a shape (polygonal only; Z/M dropped, curves linearised).
 * Returns LR_OK, or a reject reason in *why (no_geometry, not_polygon, bad_coordinates) with
 * rc LR_ERR_INPUT; LR_ERR_NOMEM on out of memory. */
enum lr_rc lr_source_shape(OGRGeometryH g, struct lr_shape *out, enum lr_issue_class *why);

/* The layer's CRS as WKT2 (caller frees), NULL when the layer has none (a local CRS or
 * GeoPackage's "Undefined" SRS counts as none). */
char *lr_source_layer_crs(OGRLayerH layer);

#endif
