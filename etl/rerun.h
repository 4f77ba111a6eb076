/* rerun.h - a rerun with nothing changed: notice it before any stage and do nothing.
 *
 * The runner asks once, under the output folder's lock, before it prepares a work folder. The
 * answer is yes when the run OUTPUT/latest names is complete and was made from the same config
 * bytes (sha256), by the same landrec, GDAL, PROJ and GEOS versions, from the same inputs: every
 * file the config's sources name now (globs expanded) is one the run read, and every input the
 * run read still has the sha256 its manifest records (hashed as the load stage hashes it).
 * Then nothing is run and nothing new is published: OUTPUT/latest keeps naming that run, whose
 * outputs stand; the log says so and stdout reads "unchanged RUN_ID" and "extract: PATH".
 *
 * Only a plain run qualifies: not --resume, --run-id, --no-publish, --commune, --shard, nor a
 * warehouse given by --warehouse or LANDREC_WAREHOUSE over the config's; not a register read by
 * a database query (its rows can change without a file changing). Any doubt (a manifest that
 * cannot be read, a missing output) means "changed": the run goes ahead as usual. */
#ifndef LR_RERUN_H
#define LR_RERUN_H

#include "stage.h"

/* True when this run would repeat the latest published one (see above); it then has logged and
 * printed the outcome, and the caller runs no stage. Never fails: doubt is false. */
bool lr_rerun_unchanged(struct lr_ctx *ctx);

#endif
