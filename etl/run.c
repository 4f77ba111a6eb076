/* run.c - the staged runner: run id, work folder, stages in order, failure handling. A sharded
 * run (--shard) goes to shard.c, which uses the parts of run_int.h. */
#include "run.h"

#include "checkpoint.h"
#include "crs.h"
#include "geom.h"
#include "io.h"
#include "lock.h"
#include "manifest.h"
#include "rerun.h"
#include "run_int.h"
#include "shard.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct lr_run_stage stages[] = {
    { "load", lr_stage_load },         { "reproject", lr_stage_reproject },
    { "validate", lr_stage_validate }, { "match", lr_stage_match },
    { "value", lr_stage_value },       { "extract", lr_stage_extract },
    { "publish", lr_stage_publish },
};

/* The checkpoint sections (checkpoint.h) each stage of stages[] may change: its checkpoint
 * writes these and refers to the earlier checkpoints for the rest. The test suite runs with
 * LANDREC_CHECKPOINT_VERIFY=1, which fails a run whose stage changes a section not listed. */
#define CK(s) LR_CK_BIT(LR_CK_##s)
static const unsigned stage_changes[] = {
    /* load */ LR_CK_ALL,
    /* reproject */ CK(SHAPE) | CK(PGEO) | CK(PSTATE) | CK(ISSUES),
    /* validate (drops the coordinates) */ CK(SHAPE) | CK(GEOM) | CK(PGEO) | CK(PSTATE) |
        CK(ISSUES),
    /* match */ CK(SHAPE) | CK(PGEO) | CK(PSTATE) | CK(RSTATE) | CK(ISSUES) | CK(LINEAGE),
    /* value */ CK(PVALUE) | CK(PSTATE) | CK(ISSUES),
    /* extract */ 0,
    /* publish (no checkpoint) */ 0,
};
#undef CK
_Static_assert(LR_ARRAY_LEN(stage_changes) == LR_ARRAY_LEN(stages), "a mask per stage");

const char *const lr_run_stage_names[] = { "load",  "reproject", "validate", "borders",
                                           "match", "value",     "extract",  "publish" };
const size_t lr_run_n_stage_names = LR_ARRAY_LEN(lr_run_stage_names);

static volatile sig_atomic_t interrupted, pause_over;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void
on_usr1(int sig)
{
    (void)sig;
    pause_over = 1;
}

struct lr_stage_stat *
lr_stage_current(struct lr_shard *sh)
{
    return sh->n_stages ? &sh->stages[sh->n_stages - 1] : NULL;
}

enum lr_rc
lr_ctx_add_output(struct lr_ctx *ctx, const char *name, struct lr_err *err)
{
    if (ctx->n_outputs >= LR_ARRAY_LEN(ctx->outputs))
        return lr_err_set(err, LR_ERR_INTERNAL, "too many outputs");
    ctx->outputs[ctx->n_outputs] = strdup(name);
    if (!ctx->outputs[ctx->n_outputs])
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    ctx->n_outputs++;
    return LR_OK;
}

/* Run id: UTC time + the first 8 hex digits of the config's sha256. */
static char *
make_run_id(const struct lr_config *cfg, const char *started)
{
    char hex[65];
    char stamp[32];
    size_t j = 0;

    lr_io_sha256_hex(cfg->sha256, hex);
    for (const char *p = started; *p && j + 1 < sizeof(stamp); p++)
        if (*p != '-' && *p != ':')
            stamp[j++] = *p;
    stamp[j] = '\0';
    return lr_asprintf("%s-%s-%.8s", cfg->run_name, stamp, hex);
}

enum lr_rc
lr_run_ctx_init(struct lr_ctx *ctx, const struct lr_config *cfg, const struct lr_run_opts *opts,
                struct lr_err *err)
{
    time_t now = time(NULL);
    struct tm tm;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = cfg;
    ctx->opts = opts;
    gmtime_r(&now, &tm);
    strftime(ctx->started, sizeof(ctx->started), "%Y-%m-%dT%H:%M:%SZ", &tm);
    ctx->jobs = opts->jobs >= 0 ? opts->jobs : cfg->jobs;
    if (ctx->jobs <= 0)
        ctx->jobs = cores > 0 ? (int)cores : 1;
    ctx->output = strdup(opts->out_dir ? opts->out_dir : cfg->output);
    ctx->run_id = opts->run_id ? strdup(opts->run_id) : make_run_id(cfg, ctx->started);
    if (!ctx->output || !ctx->run_id)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (strchr(ctx->run_id, '/') || ctx->run_id[0] == '.' || !ctx->run_id[0])
        return lr_err_set(err, LR_ERR_USAGE, "run id '%s' must be a plain name", ctx->run_id);
    ctx->work_dir = lr_asprintf("%s/%s.tmp", ctx->output, ctx->run_id);
    ctx->run_dir = lr_asprintf("%s/%s", ctx->output, ctx->run_id);
    ctx->geom = lr_geom_ctx_new();
    ctx->crs = lr_crs_ctx_new();
    if (!ctx->work_dir || !ctx->run_dir || !ctx->geom || !ctx->crs)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

void
lr_run_ctx_release(struct lr_ctx *ctx)
{
    free(ctx->spill);
    free(ctx->ckpt_chain);
    for (size_t i = 0; i < ctx->n_outputs; i++)
        free(ctx->outputs[i]);
    lr_geom_ctx_free(ctx->geom);
    lr_crs_ctx_free(ctx->crs);
    free(ctx->output);
    free(ctx->run_id);
    free(ctx->work_dir);
    free(ctx->run_dir);
}

/* Create OUTPUT and take its lock: one run at a time per output folder (lock.h). */
enum lr_rc
lr_run_lock_output(struct lr_ctx *ctx, struct lr_lock *lk, struct lr_err *err)
{
    struct lr_err mk = { LR_OK, "" };

    if (lr_io_mkdirs(ctx->output, 0750, &mk) != LR_OK)
        return lr_err_set(err, mk.rc == LR_ERR_NOMEM ? LR_ERR_NOMEM : LR_ERR_IO,
                          "%s; check the output folder's path and permissions or choose another "
                          "--out",
                          mk.msg);
    if (access(ctx->output, W_OK | X_OK) != 0)
        return lr_err_set(err, LR_ERR_IO,
                          "cannot write into the output folder '%s': %s; fix its permissions or "
                          "choose another --out",
                          ctx->output, strerror(errno));
    return lr_lock_acquire(lk, ctx->output, err);
}

/* Prepare OUTPUT/RUN_ID.tmp: a fresh folder (an abandoned one is cleared). */
static enum lr_rc
prepare_work_dir(struct lr_ctx *ctx, struct lr_err *err)
{
    struct stat st;
    enum lr_rc rc;

    if (stat(ctx->run_dir, &st) == 0) {
        rc = lr_io_remove_tree(ctx->run_dir, err);
        if (rc != LR_OK)
            return rc;
        lr_log(LR_LOG_WARN, "run", NULL, "replacing the earlier run folder '%s'", ctx->run_dir);
    }
    rc = lr_io_remove_tree(ctx->work_dir, err);
    if (rc == LR_OK && mkdir(ctx->work_dir, 0750) != 0)
        rc = lr_err_set(err, LR_ERR_IO, "cannot create folder '%s': %s", ctx->work_dir,
                        strerror(errno));
    return rc;
}

/* A config CRS PROJ does not know is a config error (exit 2) found before any stage runs. */
static enum lr_rc
check_crs(struct lr_ctx *ctx, const char *crs, const char *key, int line, struct lr_err *err)
{
    struct lr_err scratch = { LR_OK, "" };
    struct lr_crs_transform *t = NULL;
    enum lr_rc rc;

    if (!crs)
        return LR_OK;
    rc = lr_crs_transform_new(ctx->crs, crs, crs, key, &t, &scratch);
    lr_crs_transform_free(t);
    if (rc == LR_ERR_NOMEM)
        return lr_err_set(err, rc, "out of memory");
    if (rc != LR_OK && line > 0)
        return lr_err_set(err, LR_ERR_CONFIG,
                          "%s:%d: %s '%s' is not a coordinate reference system PROJ knows; write "
                          "an EPSG code such as EPSG:9212, or WKT",
                          ctx->cfg->path, line, key, crs);
    if (rc != LR_OK)
        return lr_err_set(err, LR_ERR_CONFIG,
                          "config '%s': %s '%s' is not a coordinate reference system PROJ knows; "
                          "write an EPSG code such as EPSG:5899, or WKT",
                          ctx->cfg->path, key, crs);
    return LR_OK;
}

enum lr_rc
lr_run_check_config_crs(struct lr_ctx *ctx, struct lr_err *err)
{
    const struct lr_config *cfg = ctx->cfg;
    enum lr_rc rc = check_crs(ctx, cfg->target_crs, "target_crs", 0, err);

    for (size_t i = 0; rc == LR_OK && i < cfg->n_maps; i++)
        rc = check_crs(ctx, cfg->maps[i].crs, "crs", cfg->maps[i].line, err);
    return rc;
}

/* Test hook: LANDREC_TEST_PAUSE_STAGE=<stage>:<seconds> sleeps before that stage, so tests can
 * kill the run or change an input at a known point; SIGUSR1 ends the pause early. */
static void
test_pause(const char *stage)
{
    const char *v = getenv("LANDREC_TEST_PAUSE_STAGE");
    size_t n = strlen(stage);
    double until;
    long secs;

    if (!v || strncmp(v, stage, n) != 0 || v[n] != ':')
        return;
    secs = strtol(v + n + 1, NULL, 10);
    pause_over = 0;
    signal(SIGUSR1, on_usr1);
    lr_log(LR_LOG_WARN, "run", NULL, "test hook: pausing %ld s before stage '%s' (pid %ld)", secs,
           stage, (long)getpid());
    until = lr_now() + (double)secs;
    while (!interrupted && !pause_over && lr_now() < until)
        usleep(20000);
    signal(SIGUSR1, SIG_DFL);
}

/* Before anything is published: every input (and the config) must still be what was read. */
static enum lr_rc
recheck_inputs(const struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_err *err)
{
    struct lr_err scratch = { LR_OK, "" };
    char now[65] = "", then[65];
    bool changed = false;
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && !changed && i < sh->n_inputs; i++) {
        rc = lr_input_changed(&sh->inputs[i], &changed, err);
        if (rc == LR_OK && changed)
            return lr_err_set(err, LR_ERR_INPUT,
                              "input '%s' (%s) changed while the run was reading it (sha256 "
                              "%.12s... when read); nothing published: run again once the "
                              "inputs are stable",
                              sh->inputs[i].path, sh->inputs[i].kind, sh->inputs[i].sha256);
    }
    lr_io_sha256_hex(ctx->cfg->sha256, then);
    if (rc == LR_OK &&
        (lr_io_sha256_file(ctx->cfg->path, now, &scratch) != LR_OK || strcmp(now, then) != 0))
        rc = lr_err_set(err, LR_ERR_INPUT,
                        "config '%s' changed during the run; nothing published: run again",
                        ctx->cfg->path);
    return rc;
}

/* Publish with the checkpoints parked outside the folder it renames (checkpoint.h). */
static enum lr_rc
publish(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    enum lr_rc rc = recheck_inputs(ctx, sh, err);

    if (rc == LR_OK)
        rc = lr_checkpoint_park(ctx, err);
    if (rc != LR_OK)
        return rc;
    rc = lr_stage_publish(ctx, sh, err);
    lr_checkpoint_unpark(ctx);
    return rc;
}

/* After a stage: its checkpoint. A checkpoint that cannot be written (a full disk) only costs
 * the resume point: the run goes on from the earlier checkpoint's view. Out of memory, or a
 * stage caught changing a section it does not declare (LANDREC_CHECKPOINT_VERIFY), ends it. */
static enum lr_rc
checkpoint(struct lr_ctx *ctx, struct lr_shard *sh, size_t i, struct lr_err *err)
{
    struct lr_err cerr = { LR_OK, "" };
    enum lr_rc rc = lr_checkpoint_save(ctx, sh, i, stages[i].name, stage_changes[i], &cerr);

    if (rc == LR_ERR_NOMEM || rc == LR_ERR_INTERNAL)
        return lr_err_set(err, rc, "%s", cerr.msg);
    if (rc != LR_OK)
        lr_log(LR_LOG_WARN, "run", NULL,
               "no checkpoint after stage '%s' (%s): --resume would "
               "redo it",
               stages[i].name, cerr.msg);
    return LR_OK;
}

/* Run list[0..n); with checkpoints (ckpt true), list is the run's table from index base on. */
static enum lr_rc
run_list(struct lr_ctx *ctx, struct lr_shard *sh, const struct lr_run_stage *list, size_t n,
         bool ckpt, size_t base, struct lr_err *err)
{
    for (size_t i = 0; i < n; i++) {
        struct lr_stage_stat *st;
        bool last = list[i].fn == lr_stage_publish;
        double t0 = lr_now();
        enum lr_rc rc;

        if (sh->n_stages >= LR_STAGE_MAX)
            return lr_err_set(err, LR_ERR_INTERNAL, "too many stages");
        st = &sh->stages[sh->n_stages++];
        st->name = list[i].name;
        test_pause(list[i].name);
        if (interrupted)
            return lr_err_set(err, LR_ERR_INTERRUPTED, "interrupted before stage '%s'",
                              list[i].name);
        lr_log(LR_LOG_INFO, list[i].name, NULL, "start");
        rc = last ? publish(ctx, sh, err) : list[i].fn(ctx, sh, err);
        /* --commune without --shard: the run keeps only those communes (shard.h) */
        if (rc == LR_OK && list[i].fn == lr_stage_load && ctx->opts->n_communes &&
            !ctx->opts->shard_count)
            rc = lr_shard_restrict(ctx, sh, NULL, NULL, err);
        st->seconds = lr_now() - t0;
        if (rc != LR_OK)
            return rc;
        if (interrupted)
            return lr_err_set(err, LR_ERR_INTERRUPTED, "interrupted during stage '%s'",
                              list[i].name);
        st->done = true;
        lr_log(LR_LOG_INFO, list[i].name, NULL, "done in %.3f s: %lld in, %lld out, %lld rejected",
               st->seconds, (long long)st->in, (long long)st->out, (long long)st->rejected);
        if (ckpt && !last && (rc = checkpoint(ctx, sh, base + i, err)) != LR_OK)
            return rc;
    }
    return LR_OK;
}

enum lr_rc
lr_run_stage_list(struct lr_ctx *ctx, struct lr_shard *sh, const struct lr_run_stage *list,
                  size_t n, struct lr_err *err)
{
    return run_list(ctx, sh, list, n, false, 0, err);
}

/* Run the stages from index first on (0, or the one after a resumed checkpoint). */
static enum lr_rc
run_stages(struct lr_ctx *ctx, struct lr_shard *sh, size_t first, struct lr_err *err)
{
    if (first >= LR_ARRAY_LEN(stages))
        return LR_OK;
    return run_list(ctx, sh, stages + first, LR_ARRAY_LEN(stages) - first, true, first, err);
}

/* --resume: take the shard and outputs of the work folder's checkpoint; *first is the stage to
 * run next. Without a usable checkpoint (none, damaged, inputs or config changed) every stage
 * runs again in the same work folder, with a warning naming the reason. */
static enum lr_rc
resume(struct lr_ctx *ctx, struct lr_shard *sh, size_t *first, struct lr_err *err)
{
    const char *names[LR_ARRAY_LEN(stages)];
    struct lr_checkpoint_info info;
    struct lr_err why = { LR_OK, "" };
    struct stat st;
    enum lr_rc rc;

    *first = 0;
    if (stat(ctx->work_dir, &st) != 0 && stat(ctx->run_dir, &st) == 0) {
        if (lr_checkpoint_is_published(ctx)) {
            lr_log(LR_LOG_INFO, "run", NULL, "run '%s' is complete and published: nothing to do",
                   ctx->run_id);
            *first = LR_ARRAY_LEN(stages);
            return LR_OK;
        }
        if (lr_checkpoint_parked(ctx) && rename(ctx->run_dir, ctx->work_dir) == 0)
            lr_log(LR_LOG_INFO, "run", NULL,
                   "run '%s' was interrupted while publishing: publishing it again", ctx->run_id);
    }
    if (stat(ctx->work_dir, &st) != 0) {
        lr_log(LR_LOG_INFO, "run", NULL, "nothing to resume in '%s': a new run", ctx->work_dir);
        return prepare_work_dir(ctx, err);
    }
    for (size_t i = 0; i < LR_ARRAY_LEN(stages); i++)
        names[i] = stages[i].name;
    memset(&info, 0, sizeof(info));
    rc = lr_checkpoint_load(ctx, sh, names, LR_ARRAY_LEN(names), &info, &why);
    for (size_t i = 0; rc == LR_OK && i < info.n_outputs; i++)
        rc = lr_ctx_add_output(ctx, info.outputs[i], err);
    if (rc == LR_OK)
        rc = lr_checkpoint_tidy(ctx, &info, err);
    if (rc == LR_OK)
        *first = info.stage + 1;
    lr_checkpoint_info_release(&info);
    if (rc == LR_OK || err->rc != LR_OK) /* resumed, or a real error (memory, tidying) */
        return rc;
    if (rc == LR_ERR_NOMEM)
        return lr_err_set(err, rc, "%s", why.msg);
    lr_log(LR_LOG_WARN, "run", NULL, "cannot resume run '%s': %s; running every stage again",
           ctx->run_id, why.msg);
    lr_shard_release(sh);
    lr_shard_init(sh, ctx->cfg);
    for (size_t i = 0; i < ctx->n_outputs; i++)
        free(ctx->outputs[i]);
    ctx->n_outputs = 0;
    lr_checkpoint_discard(ctx);
    return prepare_work_dir(ctx, err);
}

/* Without --run-id, --resume takes the newest OUTPUT/RUN_ID.tmp with a checkpoint of this
 * config (under the lock: no other run is writing there). */
static enum lr_rc
pick_resume_id(struct lr_ctx *ctx, struct lr_err *err)
{
    char *id = lr_checkpoint_find(ctx->output, ctx->cfg->sha256);

    if (!id) {
        lr_log(LR_LOG_INFO, "run", NULL, "no interrupted run of this config in '%s' to resume",
               ctx->output);
        return LR_OK;
    }
    free(ctx->run_id);
    free(ctx->work_dir);
    free(ctx->run_dir);
    ctx->run_id = id;
    ctx->work_dir = lr_asprintf("%s/%s.tmp", ctx->output, ctx->run_id);
    ctx->run_dir = lr_asprintf("%s/%s", ctx->output, ctx->run_id);
    if (!ctx->work_dir || !ctx->run_dir)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

/* The work folder: fresh, or the interrupted one with --resume. */
static enum lr_rc
open_work(struct lr_ctx *ctx, struct lr_shard *sh, size_t *first, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    *first = 0;
    lr_checkpoint_cleanup(ctx->output);
    if (ctx->opts->resume && !ctx->opts->run_id)
        rc = pick_resume_id(ctx, err);
    if (rc == LR_OK && ctx->opts->resume)
        return resume(ctx, sh, first, err);
    if (rc == LR_OK) {
        lr_checkpoint_discard(ctx);
        rc = prepare_work_dir(ctx, err);
    }
    return rc;
}

/* A failed run: its manifest says so (when the work folder is still there), and the log says
 * where the run's files are and that nothing was published. */
void
lr_run_report_failure(struct lr_ctx *ctx, struct lr_shard *sh, enum lr_rc rc,
                      const struct lr_err *err)
{
    struct lr_err ignored = { LR_OK, "" };
    struct stat st;

    if (stat(ctx->work_dir, &st) != 0 && stat(ctx->run_dir, &st) == 0) {
        lr_log(LR_LOG_ERROR, "run", NULL,
               "run complete in '%s' but not published (OUTPUT/latest unchanged)", ctx->run_dir);
        return;
    }
    lr_manifest_write(ctx, sh, "failed", err->msg, &ignored);
    lr_log(LR_LOG_ERROR, "run", NULL,
           "run failed; nothing published; partial work left in '%s'%s%s", ctx->work_dir,
           rc == LR_ERR_IO ? " (writing failed: check the free space and the file size limit "
                             "of the output folder)"
                           : "",
           rc == LR_ERR_INTERRUPTED || rc == LR_ERR_IO || rc == LR_ERR_NOMEM
               ? "; `landrec run --resume` continues it from its last complete stage"
               : "");
}

enum lr_rc
lr_run_setup(const struct lr_run_opts *opts, struct lr_config *cfg, struct lr_ctx *ctx,
             struct lr_err *err)
{
    enum lr_rc rc = lr_config_load(opts->config_path, cfg, err);

    if (rc == LR_OK)
        rc = lr_run_ctx_init(ctx, cfg, opts, err);
    if (rc == LR_OK)
        rc = lr_run_check_config_crs(ctx, err);
    return rc;
}

void
lr_run_signals(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit is a write error (EFBIG), not a silent death */
    umask(027);               /* outputs hold personal data: files 0640, folders 0750 */
}

enum lr_rc
lr_run_main(const struct lr_run_opts *opts, struct lr_err *err)
{
    struct lr_config cfg;
    struct lr_ctx ctx;
    struct lr_shard sh;
    struct lr_lock lock = { -1, NULL };
    size_t first = 0;
    enum lr_rc rc;

    if (opts->shard_count)
        return lr_shard_run_main(opts, err);
    memset(&cfg, 0, sizeof(cfg));
    memset(&ctx, 0, sizeof(ctx));
    lr_shard_init(&sh, &cfg);
    lr_run_signals();
    rc = lr_run_setup(opts, &cfg, &ctx, err);
    if (rc == LR_OK)
        rc = lr_run_lock_output(&ctx, &lock, err);
    if (rc == LR_OK && lr_rerun_unchanged(&ctx)) /* rerun.h: nothing changed, nothing to do */
        goto out;
    if (rc == LR_OK)
        rc = open_work(&ctx, &sh, &first, err);
    if (rc != LR_OK)
        goto out;
    if (first < LR_ARRAY_LEN(stages))
        lr_log(LR_LOG_INFO, "run", NULL, "run '%s' into '%s' with %d jobs%s%s", ctx.run_id,
               ctx.work_dir, ctx.jobs, first ? ", resumed before stage " : "",
               first ? stages[first].name : "");
    rc = run_stages(&ctx, &sh, first, err);
    if (rc != LR_OK && rc != LR_ERR_GATE)
        lr_run_report_failure(&ctx, &sh, rc, err);
out:
    lr_lock_release(&lock);
    lr_shard_release(&sh);
    lr_run_ctx_release(&ctx);
    lr_config_release(&cfg);
    return rc;
}
