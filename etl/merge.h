/* merge.h - `landrec merge RUN_DIR`: the end of a sharded run (shard.h).
 *
 * Checks that every shard of the run is complete (DONE present, its files' sha256 as DONE says,
 * one config, one run id, one shard count, the same inputs), puts the shards' tables back in the
 * whole run's load order (each row at its load position: the shards must cover every map
 * feature and register row exactly once), then runs what crosses old communes and the rest of
 * a run: borders (gaps across old communes, validate's phase 3), match, value, extract, publish.
 * The merged tables are those a single-machine run holds after validate's phase 2, so the
 * outputs are the same bytes. The shards/ folder never reaches the published run folder: it is
 * moved aside for publish and deleted once the work folder is gone. */
#ifndef LR_MERGE_H
#define LR_MERGE_H

#include "core.h"

struct lr_merge_opts {
    const char *run_dir;     /* OUTPUT/RUN_ID or OUTPUT/RUN_ID.tmp */
    const char *config_path; /* NULL: the one the shards recorded */
    int jobs;                /* -1 = config */
    bool no_publish;
    const char *warehouse;
};

/* Missing or failed shards are LR_ERR_INTERNAL (exit 1) naming the indices to run again. */
enum lr_rc lr_merge_main(const struct lr_merge_opts *o, struct lr_err *err);

#endif
