/* warehouse_rows.h - COPY rows of the shard's tables for the warehouse (internal to
 * warehouse.c). Each writer encodes every row of its table into an open COPY whose column list
 * is the writer's `columns`. No owner data leaves through these tables. */
#ifndef LR_WAREHOUSE_ROWS_H
#define LR_WAREHOUSE_ROWS_H

#include "geom.h"
#include "pg.h"

#define LR_WAREHOUSE_SRID 5899

struct lr_wh_rows {
    const struct lr_shard *sh;
    struct lr_geom_ctx *geom; /* the calling thread's GEOS context */
    struct lr_buf ewkb;       /* scratch */
    int pause_seconds;        /* test hook: pause in the middle of the parcels COPY */
};

struct lr_wh_writer {
    const char *table;
    const char *columns;
    enum lr_rc (*write)(struct lr_wh_rows *r, struct lr_pg_copy *c, struct lr_err *err);
    size_t (*count)(const struct lr_shard *sh); /* rows the writer sends */
};

/* The writers of parcels, issues, register_only and lineage, ending with a NULL table. */
extern const struct lr_wh_writer lr_wh_writers[];

/* EWKB (with SRID) of WKB bytes, into out (replaced). false when wkb is not WKB. */
bool lr_wh_ewkb(const unsigned char *wkb, size_t n, int32_t srid, struct lr_buf *out);

#endif
