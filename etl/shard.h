/* shard.h - sharded runs (`landrec run CONFIG --run-id ID --shard I/N [--commune CODE]...`).
 *
 * The unit of a shard is the old commune (the commune part of the parcel key, one map each):
 * matching, lineage and overlaps never leave it. A shard loads every input (each shard sees the
 * same inputs, so all of them compute the same plan), keeps the parcels and records of its old
 * communes, and runs reproject and validate's phases 1-2 on them. Its result goes to
 * OUTPUT/ID.tmp/shards/I/: shard.ckpt (the shard's tables in checkpoint.h's format), index.bin
 * (each parcel's and record's position in the whole run's load order, and validate's spill flags)
 * and, written last, DONE (text: run id, shard I of N, config path and sha256, counts, communes,
 * sha256 of both files). A failed shard writes FAILED with its error instead.
 * `landrec merge` (merge.h) puts the shards back together in load order and runs the rest.
 *
 * The plan: each old commune weighs its parcels + records (features to process); communes are
 * taken heaviest first (ties: lower code first) into the lightest shard so far (ties: lower
 * index). Rows whose key has no valid commune go to shard 0. --commune with --shard assigns the
 * listed communes to this shard by hand instead; the merge checks that the shards cover every
 * feature exactly once. --commune alone restricts a whole run to those communes. */
#ifndef LR_SHARD_H
#define LR_SHARD_H

#include "stage.h"

#define LR_SHARD_DIR   "shards"
#define LR_SHARD_CKPT  "shard.ckpt"
#define LR_SHARD_INDEX "index.bin"
#define LR_SHARD_DONE  "DONE"
#define LR_SHARD_FAIL  "FAILED"
#define LR_SHARD_MAX   4096

/* The old communes of shard index of count (the plan above) into *codes (sorted, caller frees),
 * their weight into *weight. LR_ERR_NOMEM only. */
enum lr_rc lr_shard_plan(const struct lr_shard *sh, int index, int count, int32_t **codes,
                         size_t *n, int64_t *weight, struct lr_err *err);
/* Keep only the parcels and records ctx->opts selects (--commune, --shard); issues, findings and
 * lineage follow their rows; map_input/register_input become the kept counts. When orig_parcel
 * / orig_record are not NULL they receive each kept row's index before (caller frees). A
 * --commune code with no row in the inputs is LR_ERR_USAGE. */
enum lr_rc lr_shard_restrict(struct lr_ctx *ctx, struct lr_shard *sh, int64_t **orig_parcel,
                             int64_t **orig_record, struct lr_err *err);
/* `landrec run --shard I/N`: the shard's stages and result (above). Needs opts->run_id. */
enum lr_rc lr_shard_run_main(const struct lr_run_opts *opts, struct lr_err *err);

#endif
