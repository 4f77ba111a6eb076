/* run.c - the staged runner: run id, work folder, stages in order, failure handling. */
#include "run.h"

#include "crs.h"
#include "geom.h"
#include "io.h"
#include "manifest.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *name;
    lr_stage_fn fn;
} stages[] = {
    { "load", lr_stage_load },         { "reproject", lr_stage_reproject },
    { "validate", lr_stage_validate }, { "match", lr_stage_match },
    { "value", lr_stage_value },       { "extract", lr_stage_extract },
    { "publish", lr_stage_publish },
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
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

static enum lr_rc
ctx_init(struct lr_ctx *ctx, const struct lr_config *cfg, const struct lr_run_opts *opts,
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

static void
ctx_release(struct lr_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_outputs; i++)
        free(ctx->outputs[i]);
    lr_geom_ctx_free(ctx->geom);
    lr_crs_ctx_free(ctx->crs);
    free(ctx->output);
    free(ctx->run_id);
    free(ctx->work_dir);
    free(ctx->run_dir);
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
    rc = lr_io_mkdirs(ctx->output, 0750, err);
    if (rc == LR_OK)
        rc = lr_io_remove_tree(ctx->work_dir, err);
    if (rc == LR_OK && mkdir(ctx->work_dir, 0750) != 0)
        rc = lr_err_set(err, LR_ERR_IO, "cannot create folder '%s': %s", ctx->work_dir,
                        strerror(errno));
    return rc;
}

static enum lr_rc
run_stages(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    for (size_t i = 0; i < LR_ARRAY_LEN(stages); i++) {
        struct lr_stage_stat *st = &sh->stages[sh->n_stages++];
        double t0 = lr_now();
        enum lr_rc rc;

        st->name = stages[i].name;
        lr_log(LR_LOG_INFO, stages[i].name, NULL, "start");
        rc = stages[i].fn(ctx, sh, err);
        st->seconds = lr_now() - t0;
        if (rc != LR_OK)
            return rc;
        if (interrupted)
            return lr_err_set(err, LR_ERR_INTERRUPTED, "interrupted during stage '%s'",
                              stages[i].name);
        st->done = true;
        lr_log(LR_LOG_INFO, stages[i].name, NULL,
               "done in %.3f s: %lld in, %lld out, %lld rejected", st->seconds, (long long)st->in,
               (long long)st->out, (long long)st->rejected);
    }
    return LR_OK;
}

enum lr_rc
lr_run_main(const struct lr_run_opts *opts, struct lr_err *err)
{
    struct lr_config cfg;
    struct lr_ctx ctx;
    struct lr_shard sh;
    enum lr_rc rc;

    memset(&cfg, 0, sizeof(cfg));
    memset(&ctx, 0, sizeof(ctx));
    lr_shard_init(&sh, &cfg);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = lr_config_load(opts->config_path, &cfg, err);
    if (rc == LR_OK)
        rc = ctx_init(&ctx, &cfg, opts, err);
    if (rc == LR_OK)
        rc = prepare_work_dir(&ctx, err);
    if (rc != LR_OK)
        goto out;
    lr_log(LR_LOG_INFO, "run", NULL, "run '%s' into '%s' with %d jobs", ctx.run_id, ctx.work_dir,
           ctx.jobs);
    rc = run_stages(&ctx, &sh, err);
    if (rc != LR_OK && rc != LR_ERR_GATE) {
        struct lr_err ignored = { LR_OK, "" };
        lr_manifest_write(&ctx, &sh, "failed", err->msg, &ignored);
        lr_log(LR_LOG_ERROR, "run", NULL, "run failed; partial work left in '%s'", ctx.work_dir);
    }
out:
    lr_shard_release(&sh);
    ctx_release(&ctx);
    lr_config_release(&cfg);
    return rc;
}
