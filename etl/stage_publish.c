/* stage_publish.c - check conservation and the quality gates, write manifest.json and
 * SHA256SUMS, move OUTPUT/RUN_ID.tmp to OUTPUT/RUN_ID and switch OUTPUT/latest last.
 * A run that breaks a gate keeps its run folder but is not published (LR_ERR_GATE). */
#include "io.h"
#include "manifest.h"
#include "report.h"
#include "stage.h"
#include "warehouse.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Gate results into ctx->gates_passed / gate_message. */
static void
check_gates(struct lr_ctx *ctx, const struct lr_shard *sh, const struct lr_conservation *c)
{
    const struct lr_config *cfg = ctx->cfg;
    int64_t acknowledged = 0;
    double unmatched, unrepairable;
    int64_t denom = c->map.input + c->reg.input;

    /* an unmatched parcel/record (map_only, register_only, duplicate_key) has one finding */
    for (size_t i = 0; i < sh->n_findings; i++)
        acknowledged += sh->findings[i].acknowledged && !lr_status_is_matched(sh->findings[i].cls);
    unmatched =
        denom ? (double)(c->map.unmatched + c->reg.unmatched - acknowledged) / (double)denom : 0;
    unrepairable = c->map.input ? (double)c->unrepairable / (double)c->map.input : 0;
    ctx->gates_passed =
        unmatched <= cfg->max_unmatched_ratio && unrepairable <= cfg->max_unrepairable_ratio;
    snprintf(ctx->gate_message, sizeof(ctx->gate_message),
             "unmatched ratio %.4f (max %.4f)%s; unrepairable ratio %.4f (max %.4f)%s", unmatched,
             cfg->max_unmatched_ratio, unmatched <= cfg->max_unmatched_ratio ? "" : " FAILED",
             unrepairable, cfg->max_unrepairable_ratio,
             unrepairable <= cfg->max_unrepairable_ratio ? "" : " FAILED");
}

/* One output made 0640 (outputs may hold personal data) and hashed. */
static enum lr_rc
hash_output(const struct lr_ctx *ctx, const char *rel, char hex[65], struct lr_err *err)
{
    char *f = lr_path_join(ctx->work_dir, rel);
    enum lr_rc rc = f ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    if (rc == LR_OK && chmod(f, 0640) != 0)
        rc = lr_err_set(err, LR_ERR_IO, "cannot set mode 0640 on '%s': %s", f, strerror(errno));
    if (rc == LR_OK)
        rc = lr_io_sha256_file(f, hex, err);
    free(f);
    return rc;
}

/* The outputs the stages wrote, hashed on a thread while the report is built (at 1M parcels
 * about 1 GB to hash beside 2 s of report): outputs[0..n) only, which nothing changes now;
 * the report and the manifest are added after them. */
struct sums {
    const struct lr_ctx *ctx;
    size_t n;
    char (*hex)[65];
    enum lr_rc rc;
    struct lr_err err;
};

static void *
sums_thread(void *arg)
{
    struct sums *s = arg;

    for (size_t i = 0; s->rc == LR_OK && i < s->n; i++)
        s->rc = hash_output(s->ctx, s->ctx->outputs[i], s->hex[i], &s->err);
    return NULL;
}

/* SHA256SUMS: the hashes in s for outputs[0..s->n), the others hashed now. */
static enum lr_rc
write_checksums(struct lr_ctx *ctx, const struct sums *s, struct lr_err *err)
{
    struct lr_buf b;
    char hex[65];
    enum lr_rc rc = LR_OK;
    char *path;

    lr_buf_init(&b);
    for (size_t i = 0; rc == LR_OK && i < ctx->n_outputs; i++) {
        if (i >= s->n)
            rc = hash_output(ctx, ctx->outputs[i], hex, err);
        if (rc == LR_OK)
            rc = lr_buf_addf(&b, "%s  %s\n", i < s->n ? s->hex[i] : hex, ctx->outputs[i]);
    }
    path = lr_path_join(ctx->work_dir, "SHA256SUMS");
    if (rc == LR_OK)
        rc = path ? lr_io_write_file(path, b.data ? b.data : "", b.len, err)
                  : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    free(path);
    lr_buf_release(&b);
    return rc;
}

/* Point OUTPUT/latest at the run: a new symlink renamed over the old one (atomic). */
static enum lr_rc
switch_latest(struct lr_ctx *ctx, struct lr_err *err)
{
    char *tmp = lr_asprintf("%s/.latest.%ld", ctx->output, (long)getpid());
    char *latest = lr_asprintf("%s/latest", ctx->output);
    enum lr_rc rc = LR_OK;

    if (!tmp || !latest) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    } else {
        unlink(tmp);
        if (symlink(ctx->run_id, tmp) != 0 || rename(tmp, latest) != 0) {
            rc = lr_err_set(err, LR_ERR_IO, "cannot switch '%s': %s", latest, strerror(errno));
            unlink(tmp);
        }
    }
    if (rc == LR_OK)
        lr_io_sync_dir(ctx->output);
    free(tmp);
    free(latest);
    return rc;
}

enum lr_rc
lr_stage_publish(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    struct lr_conservation c;
    struct sums sums = { 0 };
    pthread_t th;
    bool hashing;
    enum lr_rc rc;

    lr_manifest_conservation(sh, &c);
    if (!lr_manifest_conserved(&c))
        return lr_err_set(
            err, LR_ERR_INTERNAL,
            "conservation broken: map %lld in, %lld out; register %lld in, %lld "
            "out; nothing published",
            (long long)c.map.input, (long long)(c.map.matched + c.map.unmatched + c.map.rejected),
            (long long)c.reg.input, (long long)(c.reg.matched + c.reg.unmatched + c.reg.rejected));
    check_gates(ctx, sh, &c);
    sums.ctx = ctx;
    sums.n = ctx->n_outputs;
    sums.hex = calloc(sums.n ? sums.n : 1, sizeof(*sums.hex));
    sums.rc = sums.hex ? LR_OK : lr_err_set(&sums.err, LR_ERR_NOMEM, "out of memory");
    hashing = sums.hex && ctx->jobs > 1 && pthread_create(&th, NULL, sums_thread, &sums) == 0;
    if (sums.hex && !hashing)
        sums_thread(&sums);
    rc = lr_report_write(ctx, sh, err); /* needs the gates; before the manifest and checksums */
    if (hashing)
        pthread_join(th, NULL);
    if (rc == LR_OK && sums.rc != LR_OK)
        rc = lr_err_set(err, sums.rc, "%s", sums.err.msg);
    if (rc != LR_OK) {
        free(sums.hex);
        return rc;
    }
    st->in = st->out = (int64_t)ctx->n_outputs;
    st->done = true; /* the manifest below records this stage as complete */
    rc = lr_manifest_write(ctx, sh, ctx->gates_passed ? "complete" : "gate_failed",
                           ctx->gates_passed ? NULL : ctx->gate_message, err);
    if (rc == LR_OK)
        rc = lr_ctx_add_output(ctx, "manifest.json", err);
    if (rc == LR_OK)
        rc = write_checksums(ctx, &sums, err);
    free(sums.hex);
    if (rc != LR_OK)
        return rc;
    lr_io_sync_dir(ctx->work_dir);
    if (rename(ctx->work_dir, ctx->run_dir) != 0)
        return lr_err_set(err, LR_ERR_IO, "cannot rename '%s' to '%s': %s", ctx->work_dir,
                          ctx->run_dir, strerror(errno));
    lr_io_sync_dir(ctx->output);
    if (!ctx->gates_passed)
        return lr_err_set(err, LR_ERR_GATE,
                          "quality gate failed: %s; run kept in '%s', not "
                          "published",
                          ctx->gate_message, ctx->run_dir);
    if (ctx->opts->no_publish) {
        lr_log(LR_LOG_INFO, "publish", NULL, "run complete in '%s' (--no-publish)", ctx->run_dir);
        return LR_OK;
    }
    /* The warehouse first: when it fails, OUTPUT/latest stays too, so both show the same run. */
    rc = lr_warehouse_publish(ctx, sh, err);
    if (rc == LR_OK)
        rc = switch_latest(ctx, err);
    if (rc == LR_OK) {
        ctx->published = true;
        printf("published %s\nextract: %s/tax_extract.csv\n", ctx->run_id, ctx->run_dir);
    }
    return rc;
}
