/* shard.c - which old communes a shard processes, keeping only them, and a shard's run and
 * result (see shard.h). */
#include "shard.h"

#include "checkpoint.h"
#include "io.h"
#include "run_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the plan ---- */

struct cw {
    int32_t code;
    int64_t weight;
};

static int
cmp_code(const void *pa, const void *pb)
{
    const struct cw *a = pa, *b = pb;

    return (a->code > b->code) - (a->code < b->code);
}

/* Heaviest first, then lower code. */
static int
cmp_weight(const void *pa, const void *pb)
{
    const struct cw *a = pa, *b = pb;

    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return (a->code > b->code) - (a->code < b->code);
}

static int
cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return (x > y) - (x < y);
}

/* Every old commune of the keys with its weight (parcels + records), by code. */
static struct cw *
commune_weights(const struct lr_shard *sh, size_t *n)
{
    size_t total = sh->n_parcels + sh->n_records, m = 0, k = 0;
    struct cw *v = malloc((total ? total : 1) * sizeof(*v));

    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < sh->n_parcels; i++)
        if (sh->parcels[i].key.commune >= 0)
            v[m++] = (struct cw){ sh->parcels[i].key.commune, 1 };
    for (size_t i = 0; i < sh->n_records; i++)
        if (sh->records[i].key.commune >= 0)
            v[m++] = (struct cw){ sh->records[i].key.commune, 1 };
    qsort(v, m, sizeof(*v), cmp_code);
    for (size_t i = 0; i < m; i++) {
        if (k > 0 && v[k - 1].code == v[i].code)
            v[k - 1].weight++;
        else
            v[k++] = v[i];
    }
    *n = k;
    return v;
}

enum lr_rc
lr_shard_plan(const struct lr_shard *sh, int index, int count, int32_t **codes, size_t *n,
              int64_t *weight, struct lr_err *err)
{
    size_t nc = 0, k = 0;
    struct cw *v = commune_weights(sh, &nc);
    int64_t *load = calloc((size_t)count, sizeof(*load));
    int32_t *out = malloc((nc ? nc : 1) * sizeof(*out));

    *codes = NULL;
    *n = 0;
    *weight = 0;
    if (!v || !load || !out) {
        free(v);
        free(load);
        free(out);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory planning the shards");
    }
    qsort(v, nc, sizeof(*v), cmp_weight);
    for (size_t i = 0; i < nc; i++) {
        int best = 0;
        for (int b = 1; b < count; b++)
            if (load[b] < load[best])
                best = b;
        load[best] += v[i].weight;
        if (best == index) {
            out[k++] = v[i].code;
            *weight += v[i].weight;
        }
    }
    qsort(out, k, sizeof(*out), cmp_i32);
    *codes = out;
    *n = k;
    free(v);
    free(load);
    return LR_OK;
}

/* ---- keeping the selected rows ---- */

struct sel {
    int32_t *codes; /* sorted */
    size_t n;
    bool keyless; /* rows without a valid commune */
};

static bool
selected(const struct sel *s, int32_t code)
{
    if (code < 0)
        return s->keyless;
    return bsearch(&code, s->codes, s->n, sizeof(int32_t), cmp_i32) != NULL;
}

/* The selection of ctx->opts; --commune codes must be in the inputs. */
static enum lr_rc
make_sel(struct lr_ctx *ctx, const struct lr_shard *sh, struct sel *s, struct lr_err *err)
{
    const struct lr_run_opts *o = ctx->opts;
    int64_t weight = 0;
    size_t nc = 0;
    struct cw *v;

    s->keyless = o->shard_count > 0 && o->shard_index == 0;
    if (!o->n_communes)
        return lr_shard_plan(sh, o->shard_index, o->shard_count, &s->codes, &s->n, &weight, err);
    s->codes = malloc(o->n_communes * sizeof(*s->codes));
    v = commune_weights(sh, &nc);
    if (!s->codes || !v) {
        free(v);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < o->n_communes; i++) {
        struct cw key = { o->communes[i], 0 };
        if (!bsearch(&key, v, nc, sizeof(*v), cmp_code)) {
            free(v);
            return lr_err_set(err, LR_ERR_USAGE,
                              "--commune %05d: no map feature or register row of old commune "
                              "%05d in the inputs of '%s'; check the code (the old commune, 5 "
                              "digits)",
                              (int)o->communes[i], (int)o->communes[i], ctx->cfg->path);
        }
        s->codes[s->n++] = o->communes[i];
    }
    free(v);
    qsort(s->codes, s->n, sizeof(*s->codes), cmp_i32);
    return LR_OK;
}

/* Index map of a table: new index of each old one, -1 when dropped; *orig the reverse. */
static enum lr_rc
index_map(size_t n, const bool *keep, int64_t **map, int64_t **orig, size_t *kept)
{
    size_t k = 0;

    *map = malloc((n ? n : 1) * sizeof(int64_t));
    *orig = malloc((n ? n : 1) * sizeof(int64_t));
    if (!*map || !*orig)
        return LR_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        (*map)[i] = keep[i] ? (int64_t)k : -1;
        if (keep[i])
            (*orig)[k++] = (int64_t)i;
    }
    *kept = k;
    return LR_OK;
}

static int64_t
remap(const int64_t *map, int64_t i)
{
    return i >= 0 ? map[i] : -1;
}

/* Does a row pointing at (parcel, record) survive? Rows of neither follow the keyless rows. */
static bool
row_kept(const int64_t *pm, const int64_t *rm, int64_t parcel, int64_t record, bool keyless)
{
    if (parcel >= 0)
        return pm[parcel] >= 0;
    if (record >= 0)
        return rm[record] >= 0;
    return keyless;
}

/* Compact issues, findings and lineage; the dropped ones are freed. */
static void
filter_rows(struct lr_shard *sh, const int64_t *pm, const int64_t *rm, bool keyless)
{
    size_t k = 0;

    for (size_t i = 0; i < sh->n_issues; i++) {
        struct lr_issue *is = &sh->issues[i];
        if (!row_kept(pm, rm, is->parcel, is->record, keyless)) {
            free(is->detail);
            free(is->wkb_hex);
            continue;
        }
        is->parcel = remap(pm, is->parcel);
        is->record = remap(rm, is->record);
        sh->issues[k++] = *is;
    }
    sh->n_issues = k;
    k = 0;
    for (size_t i = 0; i < sh->n_findings; i++) {
        struct lr_finding *f = &sh->findings[i];
        if (!row_kept(pm, rm, f->parcel, f->record, keyless)) {
            free(f->detail);
            continue;
        }
        f->parcel = remap(pm, f->parcel);
        f->record = remap(rm, f->record);
        sh->findings[k++] = *f;
    }
    sh->n_findings = k;
    k = 0;
    for (size_t i = 0; i < sh->n_lineage; i++) {
        struct lr_lineage *l = &sh->lineage[i];
        if (!row_kept(pm, rm, l->parcel, l->record, keyless)) {
            free(l->evidence);
            continue;
        }
        l->parcel = remap(pm, l->parcel);
        l->record = remap(rm, l->record);
        sh->lineage[k++] = *l;
    }
    sh->n_lineage = k;
}

/* Move the kept parcels and records down, the dropped ones into junk's tables. */
static void
filter_tables(struct lr_shard *sh, struct lr_shard *junk, const int64_t *pm, const int64_t *rm)
{
    size_t k = 0;

    for (size_t i = 0; i < sh->n_parcels; i++) {
        struct lr_parcel p = sh->parcels[i];
        p.record = remap(rm, p.record);
        if (pm[i] >= 0)
            sh->parcels[k++] = p;
        else
            junk->parcels[junk->n_parcels++] = p;
    }
    sh->n_parcels = k;
    k = 0;
    for (size_t i = 0; i < sh->n_records; i++) {
        struct lr_record r = sh->records[i];
        r.parcel = remap(pm, r.parcel);
        if (rm[i] >= 0)
            sh->records[k++] = r;
        else
            junk->records[junk->n_records++] = r;
    }
    sh->n_records = k;
}

enum lr_rc
lr_shard_restrict(struct lr_ctx *ctx, struct lr_shard *sh, int64_t **orig_parcel,
                  int64_t **orig_record, struct lr_err *err)
{
    struct sel s = { NULL, 0, false };
    struct lr_shard junk;
    bool *keep_p = NULL, *keep_r = NULL;
    int64_t *pm = NULL, *rm = NULL, *op = NULL, *orr = NULL;
    size_t np = 0, nr = 0, total_p = sh->n_parcels, total_r = sh->n_records;
    enum lr_rc rc = make_sel(ctx, sh, &s, err);

    lr_shard_init(&junk, sh->cfg);
    if (rc != LR_OK)
        goto out;
    keep_p = malloc((total_p ? total_p : 1) * sizeof(bool));
    keep_r = malloc((total_r ? total_r : 1) * sizeof(bool));
    junk.parcels = malloc((total_p ? total_p : 1) * sizeof(*junk.parcels));
    junk.records = malloc((total_r ? total_r : 1) * sizeof(*junk.records));
    if (!keep_p || !keep_r || !junk.parcels || !junk.records) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < total_p; i++)
        keep_p[i] = selected(&s, sh->parcels[i].key.commune);
    for (size_t i = 0; i < total_r; i++)
        keep_r[i] = selected(&s, sh->records[i].key.commune);
    if (index_map(total_p, keep_p, &pm, &op, &np) != LR_OK ||
        index_map(total_r, keep_r, &rm, &orr, &nr) != LR_OK) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    filter_rows(sh, pm, rm, s.keyless);
    filter_tables(sh, &junk, pm, rm);
    sh->map_input = (int64_t)sh->n_parcels;
    sh->register_input = (int64_t)sh->n_records;
    lr_log(LR_LOG_INFO, "shard", NULL,
           "%zu old communes%s: %zu of %zu map features, %zu of %zu register rows", s.n,
           s.keyless ? " and the rows without a valid commune" : "", np, total_p, nr, total_r);
    if (orig_parcel) {
        *orig_parcel = op;
        op = NULL;
    }
    if (orig_record) {
        *orig_record = orr;
        orr = NULL;
    }
out:
    lr_shard_release(&junk);
    free(s.codes);
    free(keep_p);
    free(keep_r);
    free(pm);
    free(rm);
    free(op);
    free(orr);
    return rc;
}

/* ---- a shard's run ---- */

static const struct lr_run_stage load_stage[] = { { "load", lr_stage_load } };
static const struct lr_run_stage local_stages[] = { { "reproject", lr_stage_reproject },
                                                    { "validate", lr_stage_validate } };

/* What DONE says besides the files. */
struct done_info {
    int64_t total_parcels, total_records;
    int32_t *codes;
    size_t n_codes;
    double seconds;
};

static void
put_u64le(struct lr_buf *b, uint64_t v, enum lr_rc *rc)
{
    char c[8];

    for (int i = 0; i < 8; i++)
        c[i] = (char)(v >> (8 * i) & 0xFF);
    if (*rc == LR_OK)
        *rc = lr_buf_add(b, c, 8);
}

/* index.bin: "LRSHIX01", parcel and record counts, their load positions, the spill flags. */
static enum lr_rc
encode_index(const struct lr_ctx *ctx, const struct lr_shard *sh, const int64_t *op,
             const int64_t *orr, struct lr_buf *b)
{
    enum lr_rc rc = lr_buf_add(b, "LRSHIX01", 8);

    put_u64le(b, sh->n_parcels, &rc);
    put_u64le(b, sh->n_records, &rc);
    for (size_t i = 0; i < sh->n_parcels; i++)
        put_u64le(b, (uint64_t)op[i], &rc);
    for (size_t i = 0; i < sh->n_records; i++)
        put_u64le(b, (uint64_t)orr[i], &rc);
    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++)
        rc = lr_buf_addc(b, ctx->spill && ctx->spill[i] ? 1 : 0);
    return rc;
}

/* Write a file of the shard's folder and put its sha256 into hex. */
static enum lr_rc
write_part(const char *dir, const char *name, const struct lr_buf *b, char hex[65],
           struct lr_err *err)
{
    char *path = lr_path_join(dir, name);
    enum lr_rc rc = path ? lr_io_write_file(path, b->data ? b->data : "", b->len, err)
                         : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    if (rc == LR_OK)
        rc = lr_io_sha256_file(path, hex, err);
    free(path);
    return rc;
}

static enum lr_rc
write_done(const struct lr_ctx *ctx, const struct lr_shard *sh, const char *dir,
           const struct done_info *d, const char *ckpt_hex, const char *index_hex,
           struct lr_err *err)
{
    const struct lr_run_opts *o = ctx->opts;
    char cfg_hex[65], *cfg_abs = realpath(ctx->cfg->path, NULL);
    struct lr_buf b;
    enum lr_rc rc;

    lr_buf_init(&b);
    lr_io_sha256_hex(ctx->cfg->sha256, cfg_hex);
    lr_buf_addf(&b, "landrec-shard 1\nrun_id %s\nshard %d\ncount %d\nconfig %s\n", ctx->run_id,
                o->shard_index, o->shard_count, cfg_abs ? cfg_abs : ctx->cfg->path);
    lr_buf_addf(&b, "config_sha256 %s\ntotal_parcels %lld\ntotal_records %lld\n", cfg_hex,
                (long long)d->total_parcels, (long long)d->total_records);
    lr_buf_addf(&b, "parcels %zu\nrecords %zu\nkeyless %d\ncommunes", sh->n_parcels, sh->n_records,
                o->shard_index == 0);
    for (size_t i = 0; i < d->n_codes; i++)
        lr_buf_addf(&b, "%c%05d", i ? ',' : ' ', (int)d->codes[i]);
    rc = lr_buf_addf(&b, "%s\nckpt_sha256 %s\nindex_sha256 %s\nseconds %.3f\n",
                     d->n_codes ? "" : " -", ckpt_hex, index_hex, d->seconds);
    free(cfg_abs);
    if (rc != LR_OK) {
        lr_buf_release(&b);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    rc = write_part(dir, LR_SHARD_DONE, &b, cfg_hex, err);
    lr_buf_release(&b);
    return rc;
}

/* The shard's result into dir: shard.ckpt, index.bin, then DONE. */
static enum lr_rc
save_shard(struct lr_ctx *ctx, struct lr_shard *sh, const char *dir, const int64_t *op,
           const int64_t *orr, struct done_info *d, struct lr_err *err)
{
    struct lr_checkpoint_info info;
    char ckpt_hex[65], index_hex[65];
    struct lr_buf b;
    enum lr_rc rc;

    memset(&info, 0, sizeof(info));
    info.stage = 2;
    snprintf(info.stage_name, sizeof(info.stage_name), "validate");
    memcpy(info.config_sha256, ctx->cfg->sha256, 32);
    lr_buf_init(&b);
    rc = lr_checkpoint_encode(ctx->geom, &info, sh, &b, err);
    if (rc == LR_OK)
        rc = write_part(dir, LR_SHARD_CKPT, &b, ckpt_hex, err);
    lr_buf_reset(&b);
    if (rc == LR_OK && encode_index(ctx, sh, op, orr, &b) != LR_OK)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = write_part(dir, LR_SHARD_INDEX, &b, index_hex, err);
    lr_buf_release(&b);
    if (rc == LR_OK)
        rc = write_done(ctx, sh, dir, d, ckpt_hex, index_hex, err);
    if (rc == LR_OK)
        lr_io_sync_dir(dir);
    return rc;
}

/* Remove what an earlier try of this shard left (not the lock). */
static void
clear_shard_dir(const char *dir)
{
    static const char *const names[] = { LR_SHARD_DONE, LR_SHARD_FAIL, LR_SHARD_CKPT,
                                         LR_SHARD_INDEX };

    for (size_t i = 0; i < LR_ARRAY_LEN(names); i++) {
        char *p = lr_path_join(dir, names[i]);
        if (p)
            unlink(p);
        free(p);
    }
}

/* The stages of a shard and its result; the plan is logged. */
static enum lr_rc
shard_stages(struct lr_ctx *ctx, struct lr_shard *sh, const char *dir, struct lr_err *err)
{
    struct done_info d = { 0, 0, NULL, 0, 0 };
    int64_t *op = NULL, *orr = NULL, weight = 0;
    double t0 = lr_now();
    enum lr_rc rc;

    ctx->validate_local = true;
    rc = lr_run_stage_list(ctx, sh, load_stage, 1, err);
    d.total_parcels = (int64_t)sh->n_parcels;
    d.total_records = (int64_t)sh->n_records;
    if (rc == LR_OK && !ctx->opts->n_communes)
        rc = lr_shard_plan(sh, ctx->opts->shard_index, ctx->opts->shard_count, &d.codes, &d.n_codes,
                           &weight, err);
    if (rc == LR_OK && ctx->opts->n_communes) {
        d.codes = malloc(ctx->opts->n_communes * sizeof(*d.codes));
        if (!d.codes)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        for (size_t i = 0; rc == LR_OK && i < ctx->opts->n_communes; i++)
            d.codes[d.n_codes++] = ctx->opts->communes[i];
    }
    if (rc == LR_OK)
        rc = lr_shard_restrict(ctx, sh, &op, &orr, err);
    if (rc == LR_OK)
        rc = lr_run_stage_list(ctx, sh, local_stages, LR_ARRAY_LEN(local_stages), err);
    d.seconds = lr_now() - t0;
    if (rc == LR_OK)
        rc = save_shard(ctx, sh, dir, op, orr, &d, err);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "shard", NULL, "shard %d/%d of run '%s' done in %.1f s: %zu communes",
               ctx->opts->shard_index, ctx->opts->shard_count, ctx->run_id, d.seconds, d.n_codes);
    free(d.codes);
    free(op);
    free(orr);
    return rc;
}

/* The shard's folder OUTPUT/ID.tmp/shards/I, created; refused when the run is published. */
static enum lr_rc
shard_dir(struct lr_ctx *ctx, char **dir, struct lr_err *err)
{
    struct stat st;

    if (stat(ctx->run_dir, &st) == 0)
        return lr_err_set(err, LR_ERR_USAGE,
                          "run '%s' is already merged into '%s'; give the shards of a new run a "
                          "new --run-id",
                          ctx->run_id, ctx->run_dir);
    *dir = lr_asprintf("%s/%s/%d", ctx->work_dir, LR_SHARD_DIR, ctx->opts->shard_index);
    if (!*dir)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return lr_io_mkdirs(*dir, 0750, err);
}

enum lr_rc
lr_shard_run_main(const struct lr_run_opts *opts, struct lr_err *err)
{
    struct lr_config cfg;
    struct lr_ctx ctx;
    struct lr_shard sh;
    struct lr_lock lock = { -1, NULL };
    char *dir = NULL;
    enum lr_rc rc = LR_OK;

    memset(&cfg, 0, sizeof(cfg));
    memset(&ctx, 0, sizeof(ctx));
    lr_shard_init(&sh, &cfg);
    if (!opts->run_id)
        return lr_err_set(err, LR_ERR_USAGE,
                          "--shard needs --run-id: every shard of a run must name the same run "
                          "(deploy/slurm/submit.sh makes one)");
    lr_run_signals();
    rc = lr_run_setup(opts, &cfg, &ctx, err);
    if (rc == LR_OK)
        rc = shard_dir(&ctx, &dir, err);
    if (rc == LR_OK)
        rc = lr_lock_acquire(&lock, dir, err); /* one try of this shard at a time */
    if (rc != LR_OK)
        goto out;
    clear_shard_dir(dir);
    lr_log(LR_LOG_INFO, "shard", NULL, "run '%s' shard %d/%d into '%s' with %d jobs", ctx.run_id,
           opts->shard_index, opts->shard_count, dir, ctx.jobs);
    rc = shard_stages(&ctx, &sh, dir, err);
    if (rc != LR_OK) {
        struct lr_err ignored = { LR_OK, "" };
        char *fail = lr_path_join(dir, LR_SHARD_FAIL);
        char *msg = lr_asprintf("%s\n", err->msg);
        if (fail && msg)
            lr_io_write_file(fail, msg, strlen(msg), &ignored);
        free(fail);
        free(msg);
        lr_log(LR_LOG_ERROR, "shard", NULL,
               "shard %d/%d failed; run it again (the same command) before `landrec merge`",
               opts->shard_index, opts->shard_count);
    }
out:
    lr_lock_release(&lock);
    free(dir);
    lr_shard_release(&sh);
    lr_run_ctx_release(&ctx);
    lr_config_release(&cfg);
    return rc;
}
