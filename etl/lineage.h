/* lineage.h - explaining unmatched parcels and records as renumbered, split or merged, from
 * the evidence other than the key (same sheet, areas and area sums, land use, position). */
#ifndef LR_LINEAGE_H
#define LR_LINEAGE_H

#include "model.h"

/* Runs after the exact key join: looks only at parcels with status map_only and records with
 * status register_only; sets renumbered/split/merged statuses on both sides, links them
 * (parcel->record / record->parcel) and writes lineage rows and findings. */
enum lr_rc lr_lineage_explain(struct lr_shard *sh, struct lr_err *err);

#endif
