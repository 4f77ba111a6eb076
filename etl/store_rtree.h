/* store_rtree.h - the R-tree spatial index of a parcels.gpkg table, packed by us and written
 * straight into SQLite's R*Tree tables through GDAL. GDAL 3.6's GPKG driver fills the index one
 * row at a time through the R*Tree module (about 12 s for 1M parcels); GDAL >= 3.7 bulk-loads
 * it, which Debian 12 does not have.
 *
 * store.c collects one entry per row with a non-empty geometry (its FID and envelope) while it
 * writes the table. lr_rtree_pack sorts the entries into a sort-tile-recursive (STR) tree of
 * full nodes in SQLite's node format. lr_store_rtree_write gives the table its index the way the
 * GPKG driver does (the virtual table, its gpkg_extensions row and its triggers, copied from the
 * driver's own output for an empty copy of the table in a scratch GeoPackage in memory) and fills
 * the virtual table's _node, _parent and _rowid tables: the node blobs through a scratch
 * GeoPackage beside the output (written by OGR, attached, copied with one INSERT ... SELECT: as
 * SQL text they would cost GDAL's ExecuteSQL more than the rest), the number pairs as JSON
 * arrays. The index holds the entries GDAL's own would hold (envelopes rounded outward to float
 * as SQLite rounds them); only the shape of the tree differs. Same entries in, same bytes out. */
#ifndef LR_STORE_RTREE_H
#define LR_STORE_RTREE_H

#include "core.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

/* One indexed row: its FID and its envelope as SQLite stores it (float, rounded outward). */
struct lr_rtree_entry {
    int64_t id;
    float box[4]; /* minx, maxx, miny, maxy: the virtual table's column order */
};

/* Entries being collected for one table, in increasing id order (as a table's rows are
 * written). */
struct lr_rtree {
    struct lr_rtree_entry *e;
    size_t n, cap;
    bool bad; /* an envelope not finite or min > max, or an id not above the last one: the
                 caller lets GDAL build */
};

void lr_rtree_init(struct lr_rtree *t);
void lr_rtree_release(struct lr_rtree *t);
/* Add row id with envelope minx..maxx, miny..maxy. LR_ERR_NOMEM only. */
enum lr_rc lr_rtree_add(struct lr_rtree *t, int64_t id, double minx, double maxx, double miny,
                        double maxy, struct lr_err *err);

/* A packed tree as SQLite stores it: nodes 1 (the root) .. n, numbered level by level from the
 * root, node k's blob at blob + (k - 1) * size; parent[k - 1] is node k's parent (0 for the
 * root); leaf[i] is the leaf holding entry i of the lr_rtree (in its order). */
struct lr_rtree_nodes {
    unsigned char *blob;
    int64_t *parent;
    int64_t *leaf;
    size_t n, size;
};

/* Pack t into nodes of size bytes (SQLite's node size for the table: 4 + 24 * cells, at most
 * 51 cells). Deterministic: ties are broken by entry. No entries: no nodes. LR_ERR_NOMEM, or
 * LR_ERR_INTERNAL for a node size that holds fewer than 2 cells. */
enum lr_rc lr_rtree_pack(const struct lr_rtree *t, size_t size, struct lr_rtree_nodes *out,
                         struct lr_err *err);
void lr_rtree_nodes_release(struct lr_rtree_nodes *nodes);

/* Give table (FID column fid, geometry column geom, type gtype, CRS srs; plain lower-case
 * identifiers) of ds, created with SPATIAL_INDEX=NO and committed, its R-tree holding t's
 * entries, in one transaction of its own. scratch is a path for the scratch file (a .gpkg on the
 * output's file system), created and removed here. No transaction may be open on ds. On failure
 * the transaction is rolled back (the table is as before) and LR_ERR_IO / LR_ERR_NOMEM /
 * LR_ERR_INTERNAL says why: the caller can still let GDAL build the index. */
enum lr_rc lr_store_rtree_write(GDALDatasetH ds, OGRSpatialReferenceH srs, const char *table,
                                const char *fid, const char *geom, OGRwkbGeometryType gtype,
                                const struct lr_rtree *t, const char *scratch, struct lr_err *err);

#endif
