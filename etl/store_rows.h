/* store_rows.h - which rows go into parcels.gpkg's tables and in what order (no GDAL here):
 * parcels with geometry and unlinked register records sorted by key; issue rows in the sense
 * of mismatches.csv (geometry issues and match findings, a finding of a parcel naming its record
 * too) sorted by parcel key, record key, class, detail and place; lineage rows (the lineage
 * pass's, plus `same` for every parcel matched on its own key and `renumbered` for any other
 * linked pair) sorted by old key, new key, relation. Sorting makes the file independent of the
 * order the shard's tables were filled in. Returned arrays are the caller's to free; they point
 * into the shard, which must outlive them. */
#ifndef LR_STORE_ROWS_H
#define LR_STORE_ROWS_H

#include "model.h"

/* One row of the issues layer. */
struct lr_store_issue_row {
    int64_t parcel, record;
    const char *cls;
    const char *detail;
    const char *wkb_hex; /* NULL for a point or none */
    double x, y;
    bool located; /* x, y is a place */
    bool finding;
    bool ack;
};

/* One row of the lineage table: record (old key) -> parcel (new key). */
struct lr_store_lineage_row {
    int64_t record, parcel;
    enum lr_relation rel;
    int32_t confidence_pct;
    const char *evidence;
};

/* The key of parcel / record i, NULL for none (-1) or an unparseable key. */
const struct lr_key *lr_store_parcel_key(const struct lr_shard *sh, int64_t parcel);
const struct lr_key *lr_store_record_key(const struct lr_shard *sh, int64_t record);

/* Indexes of the parcels that have a geometry, by key (NULL on out of memory). */
size_t *lr_store_parcel_order(const struct lr_shard *sh, size_t *n);
/* Indexes of the register records linked to no parcel, by key (NULL on out of memory). */
size_t *lr_store_register_only_order(const struct lr_shard *sh, size_t *n);
/* The issues layer's rows (NULL on out of memory). */
struct lr_store_issue_row *lr_store_issue_rows(const struct lr_shard *sh, size_t *n);
/* The lineage table's rows (NULL on out of memory). */
struct lr_store_lineage_row *lr_store_lineage_rows(const struct lr_shard *sh, size_t *n);

#endif
