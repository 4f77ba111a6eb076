/* run_int.h - the runner's parts that the sharded run (shard.c) and the merge (merge.c) share
 * with `landrec run` (run.c). Private to those three files. */
#ifndef LR_RUN_INT_H
#define LR_RUN_INT_H

#include "lock.h"
#include "stage.h"

/* A stage of a stage list: its name (a static string) and function. */
struct lr_run_stage {
    const char *name;
    lr_stage_fn fn;
};

/* Set up ctx for cfg and opts: run id (opts->run_id or generated), folders, contexts. ctx is
 * released with lr_run_ctx_release even when this fails. */
enum lr_rc lr_run_ctx_init(struct lr_ctx *ctx, const struct lr_config *cfg,
                           const struct lr_run_opts *opts, struct lr_err *err);
void lr_run_ctx_release(struct lr_ctx *ctx);
/* SIGINT/SIGTERM handlers (the run stops between stages with LR_ERR_INTERRUPTED), umask. */
void lr_run_signals(void);
/* Config CRSs PROJ does not know: LR_ERR_CONFIG before any stage runs. */
enum lr_rc lr_run_check_config_crs(struct lr_ctx *ctx, struct lr_err *err);
/* The start of a run or a shard: load opts->config_path into cfg, lr_run_ctx_init, check the
 * config's CRSs. */
enum lr_rc lr_run_setup(const struct lr_run_opts *opts, struct lr_config *cfg, struct lr_ctx *ctx,
                        struct lr_err *err);
/* Create OUTPUT and take its lock (one run or merge at a time per output folder). */
enum lr_rc lr_run_lock_output(struct lr_ctx *ctx, struct lr_lock *lk, struct lr_err *err);
/* Run stages[0..n) in order: a statistics row each, the test pause hook, logs, interruption;
 * no checkpoints (a shard is redone whole; a merge starts again from the shards). The publish
 * stage re-checks the inputs first and parks checkpoints as in a run. */
enum lr_rc lr_run_stage_list(struct lr_ctx *ctx, struct lr_shard *sh,
                             const struct lr_run_stage *stages, size_t n, struct lr_err *err);
/* A failed run: its manifest says so, the log says where its files are. */
void lr_run_report_failure(struct lr_ctx *ctx, struct lr_shard *sh, enum lr_rc rc,
                           const struct lr_err *err);
/* The names of every stage a run or a merge can hold, for decoding checkpoints and shards. */
extern const char *const lr_run_stage_names[];
extern const size_t lr_run_n_stage_names;

#endif
