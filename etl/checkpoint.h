/* checkpoint.h - stage checkpoints and `landrec run --resume`.
 *
 * After every stage but publish the runner saves the shard (every table of model.h, geometries
 * as WKB) and the run's output list (names + sha256) to
 * OUTPUT/RUN_ID.tmp/checkpoints/NN-STAGE.ckpt (NN = index of the last complete stage; streamed
 * into a .tmp a few MB at a time and renamed, not fsynced: one a crash leaves torn fails its
 * checksum). A checkpoint holds personal data like the shard does: mode 0640, and it never
 * reaches a published run folder (the runner moves checkpoints/ out of the work folder before
 * publish and deletes it after).
 *
 * A run's checkpoint is cut into sections (enum lr_ckpt_section): the core, then groups of the
 * parcels' and records' fields, the issues, the lineage. Each stage of the runner's table says
 * which sections it may change; a checkpoint writes those (and the core) and refers, by file
 * name and sha256, to the earlier checkpoint of the same run that holds each other section. So
 * the checkpoint after match does not write the coordinates and geometries again. The files a
 * newer checkpoint refers to are kept until publish. With LANDREC_CHECKPOINT_VERIFY=1 in the
 * environment (the test suite sets it) every referred section is encoded again and compared
 * with the bytes it refers to: a stage that changes a section it does not declare fails the run.
 *
 * File: "LRCKPT03", format version, landrec version, config sha256, stage index and name, the
 * outputs, a layout byte, then either the whole shard (a sharded run's shard.ckpt) or the
 * sections and their table; a trailing sha256 of everything before it. Integers little endian,
 * doubles as their IEEE bits: a restored shard is bit for bit the saved one, so a resumed run
 * writes the same bytes as an uninterrupted one.
 *
 * Adding a field to a struct of model.h: add it to checkpoint.c's put_X/get_X pair (and so to
 * a section) and to tests/unit/test_checkpoint.c (which fails when a struct's size changes
 * unseen). */
#ifndef LR_CHECKPOINT_H
#define LR_CHECKPOINT_H

#include "core.h"
#include "io.h"
#include "model.h"
#include "stage.h"

struct lr_geom_ctx;

#define LR_CHECKPOINT_DIR "checkpoints"

/* The sections of a run checkpoint, in file order. */
enum lr_ckpt_section {
    LR_CK_CORE,    /* name, inputs, table sizes, reference data, stage statistics: always written */
    LR_CK_PKEY,    /* parcels as loaded: input, fid, key, land use, place, owner hash, scale */
    LR_CK_SHAPE,   /* parcels' coordinates */
    LR_CK_GEOM,    /* parcels' repaired geometries */
    LR_CK_PGEO,    /* areas, interior point, communes */
    LR_CK_PSTATE,  /* status, reject, matched record, issue bits, tolerance, confidence */
    LR_CK_PVALUE,  /* zone, position, price, value, tax, extract area */
    LR_CK_RKEY,    /* register records as loaded */
    LR_CK_RSTATE,  /* their status, reject, matched parcel */
    LR_CK_ISSUES,  /* geometry issues and match findings */
    LR_CK_LINEAGE, /* split, merge, renumbering */
    LR_CK_NSECTIONS
};
#define LR_CK_BIT(s) (1u << (s))
#define LR_CK_ALL    ((1u << LR_CK_NSECTIONS) - 1u)

const char *lr_checkpoint_section_name(enum lr_ckpt_section s);

/* Where each section's current content is saved: the checkpoint file (a name in the run's
 * checkpoints folder, "" when none holds it) and that file's trailing sha256. */
struct lr_ckpt_chain {
    char file[LR_CK_NSECTIONS][64];
    unsigned char sha[LR_CK_NSECTIONS][32];
};

/* Where a section of a run checkpoint file is: here at [off, off + len), or in another file
 * (file), or absent (neither: the other sections of a part file). */
struct lr_ckpt_place {
    bool here;
    size_t off, len;
    char file[64];
    unsigned char sha[32];
};

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

/* A sharded run's checkpoint file (shard.ckpt): the header (info), the whole shard, a trailing
 * sha256. */
enum lr_rc lr_checkpoint_encode(struct lr_geom_ctx *g, const struct lr_checkpoint_info *info,
                                const struct lr_shard *sh, struct lr_buf *b, struct lr_err *err);
/* Check the file's checksum and version, read the header into info (caller releases it) and,
 * when sh is not NULL, the shard of a file lr_checkpoint_encode wrote (as
 * lr_checkpoint_decode_shard). LR_ERR_INPUT with the reason when the data is not a usable
 * checkpoint. With sh NULL it reads the header of a run checkpoint as well. */
enum lr_rc lr_checkpoint_decode(struct lr_geom_ctx *g, const unsigned char *data, size_t n,
                                struct lr_checkpoint_info *info, struct lr_shard *sh,
                                const char *const *names, size_t n_names, struct lr_err *err);

/* A run's checkpoint file, streamed into out (opened by the caller) a few MB at a time: the
 * header; the core and every section of the mask `here` that refs does not name; then, after
 * before_table (when not NULL; it may fill refs, and an error from it fails the write), the
 * table: each section here, referred to (refs names a file), or absent (a part file's other
 * sections); the trailing sha256, also returned in sha. */
enum lr_rc lr_checkpoint_write(struct lr_geom_ctx *g, const struct lr_checkpoint_info *info,
                               const struct lr_shard *sh, unsigned here, struct lr_ckpt_chain *refs,
                               enum lr_rc (*before_table)(void *arg, struct lr_err *err), void *arg,
                               struct lr_out *out, unsigned char sha[32], struct lr_err *err);
/* Section s of sh, encoded as a checkpoint holds it (LANDREC_CHECKPOINT_VERIFY). */
enum lr_rc lr_checkpoint_encode_section(struct lr_geom_ctx *g, const struct lr_shard *sh,
                                        enum lr_ckpt_section s, struct lr_buf *b,
                                        struct lr_err *err);
/* Check a run checkpoint file's checksum and version; its header into info (caller releases)
 * and where each section is into places. */
enum lr_rc lr_checkpoint_open(const unsigned char *data, size_t n, struct lr_checkpoint_info *info,
                              struct lr_ckpt_place places[LR_CK_NSECTIONS], struct lr_err *err);
/* Decode section s of the opened file data (place->here) into sh: the core first, into a shard
 * lr_shard_init'ed with the config; stage names as for lr_checkpoint_decode_shard. */
enum lr_rc lr_checkpoint_decode_section(struct lr_geom_ctx *g, const unsigned char *data,
                                        const struct lr_ckpt_place *place, enum lr_ckpt_section s,
                                        struct lr_shard *sh, const char *const *names,
                                        size_t n_names, struct lr_err *err);

/* Save the checkpoint after stage `stage` (index into the runner's stage table), which may
 * have changed the sections of the mask `changes` (LR_CK_BIT of each). LR_ERR_INTERNAL only
 * when LANDREC_CHECKPOINT_VERIFY finds a section changed that the mask does not name; any other
 * failure to write it is LR_ERR_IO (or LR_ERR_NOMEM) with the reason. */
enum lr_rc lr_checkpoint_save(struct lr_ctx *ctx, const struct lr_shard *sh, size_t stage,
                              const char *stage_name, unsigned changes, struct lr_err *err);
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
