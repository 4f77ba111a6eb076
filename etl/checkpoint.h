/* checkpoint.h - stage checkpoints and `landrec run --resume`.
 *
 * After every stage but publish the runner saves the whole shard (every table of model.h,
 * geometries as WKB) and the run's output list (names + sha256) to
 * OUTPUT/RUN_ID.tmp/checkpoints/NN-STAGE.ckpt (NN = index of the last complete stage; streamed
 * into a .tmp a few MB at a time and renamed, not fsynced: one a crash leaves torn fails its
 * checksum; the older checkpoint is then removed). A checkpoint holds personal data like the
 * shard does: mode 0640, and it never reaches a published run folder (the runner moves
 * checkpoints/ out of the work folder before publish and deletes it after).
 *
 * File: "LRCKPT02", format version, landrec version, config sha256, stage index and name, the
 * outputs, the shard, and a trailing sha256 of everything before it. Integers little endian,
 * doubles as their IEEE bits: a restored shard is bit for bit the saved one, so a resumed run
 * writes the same bytes as an uninterrupted one.
 *
 * Adding a field to a struct of model.h: add it to checkpoint.c's put_X/get_X pair and to
 * tests/unit/test_checkpoint.c (which fails when a struct's size changes unseen). */
#ifndef LR_CHECKPOINT_H
#define LR_CHECKPOINT_H

#include "core.h"
#include "io.h"
#include "model.h"
#include "stage.h"

struct lr_geom_ctx;

#define LR_CHECKPOINT_DIR "checkpoints"

/* What a checkpoint says besides the shard. */
struct lr_checkpoint_info {
    size_t stage; /* index of the last complete stage */
    char stage_name[32];
    unsigned char config_sha256[32];
    char **outputs; /* output files (relative to the work folder) when saved */
    char (*output_sha)[65];
    size_t n_outputs;
};

void lr_checkpoint_info_release(struct lr_checkpoint_info *info);

/* Encode the shard (every table) into b. Geometries through g. */
enum lr_rc lr_checkpoint_encode_shard(struct lr_geom_ctx *g, const struct lr_shard *sh,
                                      struct lr_buf *b, struct lr_err *err);
/* Decode data into sh (lr_shard_init'ed with cfg). Stage names are matched against names[]
 * (static strings) so stat rows point at them. LR_ERR_INPUT when the data is not a valid
 * encoding; sh then holds what was decoded and is released by the caller. */
enum lr_rc lr_checkpoint_decode_shard(struct lr_geom_ctx *g, const unsigned char *data, size_t n,
                                      struct lr_shard *sh, const char *const *names, size_t n_names,
                                      struct lr_err *err);

/* A whole checkpoint file: the header (info), the shard, a trailing sha256. */
enum lr_rc lr_checkpoint_encode(struct lr_geom_ctx *g, const struct lr_checkpoint_info *info,
                                const struct lr_shard *sh, struct lr_buf *b, struct lr_err *err);
/* The same bytes as lr_checkpoint_encode, streamed into out (opened by the caller) a few MB at a
 * time, so a checkpoint never sits whole in memory beside the shard. */
enum lr_rc lr_checkpoint_write(struct lr_geom_ctx *g, const struct lr_checkpoint_info *info,
                               const struct lr_shard *sh, struct lr_out *out, struct lr_err *err);
/* Check the file's checksum and version, read the header into info (caller releases it) and,
 * when sh is not NULL, the shard (as lr_checkpoint_decode_shard). LR_ERR_INPUT with the reason
 * when the data is not a usable checkpoint. */
enum lr_rc lr_checkpoint_decode(struct lr_geom_ctx *g, const unsigned char *data, size_t n,
                                struct lr_checkpoint_info *info, struct lr_shard *sh,
                                const char *const *names, size_t n_names, struct lr_err *err);

/* Save the checkpoint after stage `stage` (index into the runner's stage table). */
enum lr_rc lr_checkpoint_save(struct lr_ctx *ctx, const struct lr_shard *sh, size_t stage,
                              const char *stage_name, struct lr_err *err);
/* Read the newest checkpoint of ctx->work_dir into sh and info. LR_ERR_INPUT (with the reason)
 * when there is none or it cannot be used: unreadable, damaged, another landrec version or
 * config, or an input or a saved output changed since. */
enum lr_rc lr_checkpoint_load(struct lr_ctx *ctx, struct lr_shard *sh, const char *const *names,
                              size_t n_names, struct lr_checkpoint_info *info, struct lr_err *err);

/* Has the input changed since it was hashed (in->sha256)? Plain files compare directly;
 * datasets of several files are hashed as the load stage did. Unreadable counts as changed. */
enum lr_rc lr_input_changed(const struct lr_input *in, bool *changed, struct lr_err *err);

/* The run id of the newest OUTPUT/RUN_ID.tmp holding a checkpoint saved with this config
 * (caller frees), NULL when there is none. */
char *lr_checkpoint_find(const char *output, const unsigned char config_sha256[32]);

/* Before publish: move the checkpoints out of the work folder (to OUTPUT/.RUN_ID.checkpoints),
 * so the folder publish renames into a run folder holds none. */
enum lr_rc lr_checkpoint_park(struct lr_ctx *ctx, struct lr_err *err);
/* After publish: delete the parked checkpoints, or put them back when the work folder is still
 * there (publish failed before renaming it: --resume can use them). */
void lr_checkpoint_unpark(struct lr_ctx *ctx);
/* A fresh run in this work folder: delete its checkpoints, parked ones included. */
void lr_checkpoint_discard(struct lr_ctx *ctx);
/* Delete parked checkpoints whose work folder is gone (they hold personal data), unless their
 * run folder exists unpublished (a run killed during publish: --resume publishes it again). */
void lr_checkpoint_cleanup(const char *output);
/* OUTPUT/latest names ctx's run / ctx's checkpoints are parked (killed during publish). */
bool lr_checkpoint_is_published(const struct lr_ctx *ctx);
bool lr_checkpoint_parked(const struct lr_ctx *ctx);
/* Resume: remove from the work folder whatever the interrupted stage left: every file but the
 * checkpoints and the outputs the checkpoint lists (empty folders too). */
enum lr_rc lr_checkpoint_tidy(struct lr_ctx *ctx, const struct lr_checkpoint_info *info,
                              struct lr_err *err);

#endif
