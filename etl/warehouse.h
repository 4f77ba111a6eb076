/* warehouse.h - the PostGIS warehouse (SPEC.md "PostGIS warehouse"): `landrec db init URL` and
 * the load + publish of a run.
 *
 * Layout (sql/NNN_*.sql, embedded at build time): schema (default landrec) with runs, loads,
 * published, the data tables parcels, issues, register_only, lineage, findings and
 * tax_extract_rows, each partitioned by load_no, and the views tax_extract, parcels_current and
 * mismatch_summary that show the published load only.
 *
 * A load COPYs the run into fresh tables and attaches them as partitions in one transaction
 * (invisible to the views); a second, short transaction points `published` at the load; a third
 * drops replaced and expired loads. A failure before the second commits leaves the warehouse as
 * it was. Errors are LR_ERR_WAREHOUSE (exit 4) with the URL's password masked. */
#ifndef LR_WAREHOUSE_H
#define LR_WAREHOUSE_H

#include "stage.h"

/* The SQL files, sorted by name, ending with { NULL, NULL } (cmake/embed_sql.cmake). */
struct lr_sql_file {
    const char *name;
    const char *text;
};
extern const struct lr_sql_file lr_sql_files[];

/* Apply the embedded SQL files the database at url lacks to schema (NULL: "landrec"), in one
 * transaction, recording each in schema.schema_version; prints what it did to stdout. */
enum lr_rc lr_warehouse_init(const char *url, const char *schema, struct lr_err *err);

/* The warehouse URL of this run: --warehouse, else env LANDREC_WAREHOUSE, else warehouse.url;
 * NULL when none (or empty). */
const char *lr_warehouse_url(const struct lr_ctx *ctx);

/* Load the run in ctx->run_dir (complete, checksummed) and the shard's tables into the
 * warehouse and publish it. Does nothing when no URL is configured. On failure the published
 * run is unchanged and the message says so. Test hook: env LANDREC_TEST_PAUSE_LOAD=SECONDS
 * pauses in the middle of the parcels COPY; LANDREC_COPY_FORMAT=text|binary picks the COPY
 * format of the shard tables (default binary). */
enum lr_rc lr_warehouse_publish(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_err *err);

#endif
