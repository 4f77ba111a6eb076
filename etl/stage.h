/* stage.h - the staged runner's contract: every stage has the same signature, reads the shard's
 * tables that earlier stages filled and fills its own. Stages never call each other.
 *
 * Order: load -> reproject -> validate -> match -> value -> extract -> publish. */
#ifndef LR_STAGE_H
#define LR_STAGE_H

#include "config.h"
#include "core.h"
#include "model.h"

struct lr_geom_ctx;
struct lr_crs_ctx;
struct lr_ckpt_chain;

/* What `landrec run` was asked to do. */
struct lr_run_opts {
    const char *config_path;
    const char *out_dir; /* overrides run.output */
    const char *run_id;  /* overrides the generated id */
    int jobs;            /* -1 = config */
    bool resume;
    bool no_publish;
    const char *warehouse;
    int shard_index, shard_count; /* --shard I/N (0-based I); shard_count 0 = not sharded */
    const int32_t *communes;      /* --commune: old commune codes to process, NULL = all */
    size_t n_communes;
};

/* Per-run context handed to every stage. */
struct lr_ctx {
    const struct lr_config *cfg;
    const struct lr_run_opts *opts;
    char *output; /* output folder (OUTPUT) */
    char *run_id;
    char *work_dir;   /* OUTPUT/RUN_ID.tmp while running */
    char *run_dir;    /* OUTPUT/RUN_ID once complete */
    char started[32]; /* UTC ISO time */
    int jobs;
    struct lr_geom_ctx *geom; /* the main thread's contexts */
    struct lr_crs_ctx *crs;
    /* results of the publish decision */
    bool gates_passed;
    char gate_message[512];
    bool published;
    /* sharded runs (shard.c, merge.c): a shard's validate stops before the gaps (they cross
     * old communes) and hands phase 1's spill flags over; the merge's borders stage takes them */
    bool validate_local;
    uint8_t *spill;     /* [n_parcels], owned by the ctx */
    char *outputs[256]; /* output files written into work_dir, relative names (one workbook
                         * per new commune: the province has 95) */
    size_t n_outputs;
    struct lr_ckpt_chain *ckpt_chain; /* where the checkpoint sections are (checkpoint.h) */
};

typedef enum lr_rc (*lr_stage_fn)(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);

enum lr_rc lr_stage_load(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);
enum lr_rc lr_stage_reproject(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);
enum lr_rc lr_stage_validate(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);
/* The merge's cross-shard pass: gaps along and across the borders of old communes (validate's
 * phase 3) over the merged shard, with ctx->spill from the shards' phase 1. */
enum lr_rc lr_stage_borders(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);
enum lr_rc lr_stage_match(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);
enum lr_rc lr_stage_value(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);
enum lr_rc lr_stage_extract(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);
enum lr_rc lr_stage_publish(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err);

/* The current stage's statistics row (the runner opens it before calling the stage). */
struct lr_stage_stat *lr_stage_current(struct lr_shard *sh);
/* Record an output file name (relative to work_dir) for checksums and the manifest. */
enum lr_rc lr_ctx_add_output(struct lr_ctx *ctx, const char *name, struct lr_err *err);

#endif
