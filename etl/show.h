/* show.h - `landrec show KEY [RUN_DIR] [--json] [--with-owner]`: one parcel's reconciled record
 * from a run's files, by indexed lookups in parcels.gpkg (no full scan): the map parcels and
 * register records carrying the key (old or new numbering), lineage both ways, statuses, areas,
 * zone, value, tax, every finding with its detail and the source features. Owner fields come
 * only with --with-owner, from the run's tax_extract.csv (taxable parcels only). */
#ifndef LR_SHOW_H
#define LR_SHOW_H

#include "core.h"

#include <stdio.h>

struct lr_show_opts {
    const char *key;     /* "25216-12-345" (spaces and leading zeros allowed) */
    const char *run_dir; /* a run folder, or an OUTPUT folder holding `latest`; NULL: default */
    bool json;           /* machine output (one JSON document) instead of text */
    bool with_owner;     /* add owner name, id, certificate and address from the tax extract */
};

/* The run folder used when none is given: $LANDREC_OUTPUT/latest, else ./out/latest. */
const char *lr_show_default_run_dir(void);

/* Print the record for o->key to out. Returns LR_OK when something carries the key;
 * LR_ERR_USAGE for a key that is not OOOOO-S-P; LR_ERR_INPUT when the run folder or its
 * parcels.gpkg (or, with --with-owner, its tax_extract.csv) cannot be read; LR_ERR_INTERNAL
 * ("not found", exit 1) when nothing in the run carries the key. Never logs owner data. */
enum lr_rc lr_show_main(const struct lr_show_opts *o, FILE *out, struct lr_err *err);

#endif
