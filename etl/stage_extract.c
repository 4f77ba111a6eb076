/* stage_extract.c - write the tax office's extract (tax_extract.csv, SPEC.md columns, sorted by
 * new commune then key) and the analysts' findings (mismatches.csv: no owner data). */
#include "diff.h"
#include "geom.h"
#include "io.h"
#include "money.h"
#include "stage.h"
#include "store.h"
#include "xlsx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char extract_header[] =
    "new_commune,new_commune_name,old_commune,sheet,parcel,parcel_key,address,land_use,"
    "area_m2,area_source,price_zone,position,unit_price_vnd,value_vnd,tax_vnd,owner_name,"
    "owner_id,certificate,status\n";

static const char mismatch_header[] = "parcel_key,record_key,class,detail,acknowledged\n";

static int
cmp_extract(const void *a, const void *b, void *arg)
{
    const struct lr_shard *sh = arg;
    const struct lr_parcel *pa = &sh->parcels[*(const size_t *)a];
    const struct lr_parcel *pb = &sh->parcels[*(const size_t *)b];

    if (pa->new_commune != pb->new_commune)
        return pa->new_commune < pb->new_commune ? -1 : 1;
    int c = lr_key_cmp(&pa->key, &pb->key);
    if (c)
        return c;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static const char *
new_commune_name(const struct lr_shard *sh, int32_t code)
{
    for (size_t i = 0; i < sh->n_communes; i++)
        if (sh->communes[i].new_code == code)
            return sh->communes[i].new_name;
    return "";
}

/* Decimal v (printf's "%lld") appended to b: the extract formats millions of numbers. */
static void
add_dec(struct lr_buf *b, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        *--p = '-';
    lr_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* A commune code as "%05d". */
static void
add_code(struct lr_buf *b, int32_t code)
{
    if (code < 0 || code > 99999) {
        lr_buf_addf(b, "%05d", (int)code);
        return;
    }
    for (int32_t d = 10000; d > 0; d /= 10)
        lr_buf_addc(b, (char)('0' + code / d % 10));
}

static void
add_int(struct lr_buf *b, int64_t v, bool present)
{
    if (present)
        add_dec(b, v);
    lr_buf_addc(b, ',');
}

static void
extract_row(const struct lr_shard *sh, const struct lr_parcel *p, struct lr_buf *b)
{
    const struct lr_record *r = &sh->records[p->record];
    char key[LR_KEY_STR_MAX], area[32];
    bool priced = p->price_vnd >= 0;

    lr_key_format(&p->key, key);
    lr_money_format_area(p->extract_area_dm2, area, sizeof(area));
    add_code(b, p->new_commune);
    lr_buf_addc(b, ',');
    lr_buf_add_csv(b, new_commune_name(sh, p->new_commune));
    lr_buf_addc(b, ',');
    add_code(b, p->key.commune);
    lr_buf_addc(b, ',');
    add_int(b, p->key.sheet, true);
    add_int(b, p->key.parcel, true);
    lr_buf_adds(b, key);
    lr_buf_addc(b, ',');
    lr_buf_add_csv(b, r->address);
    lr_buf_addc(b, ',');
    lr_buf_add_csv(b, r->land_use ? r->land_use : p->land_use);
    lr_buf_addc(b, ',');
    lr_buf_adds(b, area);
    lr_buf_adds(b, p->area_from_register ? ",register," : ",map,");
    lr_buf_add_csv(b, priced ? p->zone : "");
    lr_buf_addc(b, ',');
    add_int(b, p->position, priced);
    add_int(b, p->price_vnd, priced);
    add_int(b, p->value_vnd, priced);
    add_int(b, p->tax_vnd, priced);
    lr_buf_add_csv(b, r->owner_name);
    lr_buf_addc(b, ',');
    lr_buf_add_csv(b, r->owner_id);
    lr_buf_addc(b, ',');
    lr_buf_add_csv(b, r->certificate);
    lr_buf_addc(b, ',');
    lr_buf_adds(b, lr_status_name(p->status));
    lr_buf_addc(b, '\n');
}

/* On success *sorted receives the rows written (parcel indexes, in file order; caller frees). */
static enum lr_rc
write_extract(struct lr_ctx *ctx, struct lr_shard *sh, int64_t *rows, size_t **sorted,
              struct lr_err *err)
{
    size_t *idx = malloc((sh->n_parcels + 1) * sizeof(size_t)), n = 0;
    char *path = lr_path_join(ctx->work_dir, "tax_extract.csv");
    struct lr_buf b;
    struct lr_out o;
    enum lr_rc rc = LR_OK;

    lr_buf_init(&b);
    if (!idx || !path) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < sh->n_parcels; i++)
        if (lr_parcel_in_extract(sh, &sh->parcels[i]))
            idx[n++] = i;
    qsort_r(idx, n, sizeof(size_t), cmp_extract, sh);
    rc = lr_out_open(&o, path, err);
    if (rc != LR_OK)
        goto out;
    rc = lr_out_write(&o, extract_header, sizeof(extract_header) - 1, err);
    for (size_t i = 0; rc == LR_OK && i < n; i++) {
        extract_row(sh, &sh->parcels[idx[i]], &b);
        if (b.len > (1 << 20) || i + 1 == n) {
            rc = lr_out_write(&o, b.data, b.len, err);
            lr_buf_reset(&b);
        }
    }
    rc = rc == LR_OK ? lr_out_commit(&o, err) : (lr_out_abort(&o), rc);
    *rows = (int64_t)n;
    if (rc == LR_OK)
        rc = lr_ctx_add_output(ctx, "tax_extract.csv", err);
    if (rc == LR_OK) {
        *sorted = idx;
        idx = NULL;
    }
out:
    lr_buf_release(&b);
    free(path);
    free(idx);
    return rc;
}

/* The workbooks of the extract's rows (xlsx.h), written in parallel into xlsx/. */
static enum lr_rc
write_workbooks(struct lr_ctx *ctx, struct lr_shard *sh, const size_t *rows, size_t n,
                struct lr_xlsx_share *share, struct lr_err *err)
{
    char *dir = lr_path_join(ctx->work_dir, "xlsx"), **names = NULL, name[64];
    struct lr_xlsx_job job = { sh, rows, n, dir, ctx->jobs, LR_XLSX_SHEET_ROWS, share };
    size_t n_names = 0;
    enum lr_rc rc = dir ? lr_xlsx_write(&job, &names, &n_names, err)
                        : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    for (size_t i = 0; i < n_names; i++) {
        snprintf(name, sizeof(name), "xlsx/%s", names[i]);
        if (rc == LR_OK)
            rc = lr_ctx_add_output(ctx, name, err);
        free(names[i]);
    }
    free(names);
    free(dir);
    return rc;
}

/* delta.csv against the run OUTPUT/latest names, when there is one (diff.h). */
static enum lr_rc
write_delta(struct lr_ctx *ctx, struct lr_err *err)
{
    struct lr_diff_counts c;
    bool written = false;
    enum lr_rc rc = lr_diff_against_latest(ctx->output, ctx->work_dir, &written, &c, err);

    if (rc == LR_OK && written)
        rc = lr_ctx_add_output(ctx, "delta.csv", err);
    return rc;
}

/* One mismatches.csv line (without the newline) for sorting. */
static char *
finding_line(const struct lr_shard *sh, int64_t parcel, int64_t record, const char *cls,
             const char *detail, bool ack)
{
    char pk[LR_KEY_STR_MAX] = "", rk[LR_KEY_STR_MAX] = "";
    struct lr_buf b;

    if (parcel >= 0) {
        lr_key_format(&sh->parcels[parcel].key, pk);
        if (record < 0)
            record = sh->parcels[parcel].record;
    }
    if (record >= 0)
        lr_key_format(&sh->records[record].key, rk);
    lr_buf_init(&b);
    lr_buf_addf(&b, "%s,%s,%s,", pk, rk, cls);
    lr_buf_add_csv(&b, detail);
    lr_buf_addf(&b, ",%s", ack ? "yes" : "no");
    return lr_buf_detach(&b);
}

static int
cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum lr_rc
write_mismatches(struct lr_ctx *ctx, struct lr_shard *sh, int64_t *rows, struct lr_err *err)
{
    size_t n = sh->n_findings + sh->n_issues, k = 0;
    char **lines = calloc(n + 1, sizeof(char *));
    char *path = lr_path_join(ctx->work_dir, "mismatches.csv");
    struct lr_out o;
    enum lr_rc rc = LR_OK;

    if (!lines || !path) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < sh->n_findings; i++, k++) {
        const struct lr_finding *f = &sh->findings[i];
        lines[k] = finding_line(sh, f->parcel, f->record, lr_status_name(f->cls), f->detail,
                                f->acknowledged);
    }
    for (size_t i = 0; i < sh->n_issues; i++, k++) {
        const struct lr_issue *is = &sh->issues[i];
        lines[k] =
            finding_line(sh, is->parcel, is->record, lr_issue_name(is->cls), is->detail, false);
    }
    qsort(lines, n, sizeof(char *), cmp_line);
    rc = lr_out_open(&o, path, err);
    if (rc == LR_OK)
        rc = lr_out_write(&o, mismatch_header, sizeof(mismatch_header) - 1, err);
    for (size_t i = 0; rc == LR_OK && i < n; i++) {
        rc = lr_out_write(&o, lines[i], strlen(lines[i]), err);
        if (rc == LR_OK)
            rc = lr_out_write(&o, "\n", 1, err);
    }
    if (rc == LR_OK)
        rc = lr_out_commit(&o, err);
    else
        lr_out_abort(&o);
    *rows = (int64_t)n;
    if (rc == LR_OK)
        rc = lr_ctx_add_output(ctx, "mismatches.csv", err);
out:
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
    free(path);
    return rc;
}

/* parcels.gpkg on a thread of its own, beside the CSV and workbook writers: the writers do not
 * wait for each other (the GeoPackage is the longest of them). The thread has its own GEOS
 * context and GDAL dataset; it only reads the shard, like the other writers. */
struct store_job {
    struct lr_ctx *ctx;
    const struct lr_shard *sh;
    char *path;
    struct lr_store_counts counts;
    struct lr_err err;
    enum lr_rc rc;
    struct lr_xlsx_share share; /* once the file is written the thread joins the workbooks */
};

static void *
store_thread(void *arg)
{
    struct store_job *j = arg;
    struct lr_geom_ctx *g = lr_geom_ctx_new();

    j->rc = g ? lr_store_write_file(j->path, j->sh, g, &j->counts, &j->err)
              : lr_err_set(&j->err, LR_ERR_NOMEM, "out of memory");
    lr_geom_ctx_free(g);
    lr_xlsx_help(&j->share);
    return NULL;
}

/* Start the GeoPackage writer; *started false means it did not (write it afterwards). */
static enum lr_rc
store_start(struct lr_ctx *ctx, const struct lr_shard *sh, struct store_job *j, pthread_t *th,
            bool *started, struct lr_err *err)
{
    memset(j, 0, sizeof(*j));
    j->ctx = ctx;
    j->sh = sh;
    lr_xlsx_share_init(&j->share);
    j->path = lr_path_join(ctx->work_dir, LR_STORE_FILE);
    *started = false;
    if (!j->path)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (ctx->jobs > 1)
        *started = pthread_create(th, NULL, store_thread, j) == 0;
    return LR_OK;
}

/* Wait for (or, when it never started, run) the GeoPackage writer; its error is rc's when
 * rc is still LR_OK. */
static enum lr_rc
store_finish(struct store_job *j, pthread_t th, bool started, enum lr_rc rc, struct lr_err *err)
{
    if (started)
        pthread_join(th, NULL);
    else if (j->path && rc == LR_OK)
        store_thread(j);
    if (rc == LR_OK && j->path && j->rc != LR_OK)
        rc = lr_err_set(err, j->rc, "%s", j->err.msg);
    if (rc == LR_OK && j->path)
        lr_log(LR_LOG_INFO, "extract", NULL,
               "%s: %lld parcels, %lld issues, %lld register-only, %lld lineage rows in %.2f s",
               LR_STORE_FILE, (long long)j->counts.parcels, (long long)j->counts.issues,
               (long long)j->counts.register_only, (long long)j->counts.lineage, j->counts.seconds);
    free(j->path);
    j->path = NULL;
    lr_xlsx_share_destroy(&j->share);
    return rc;
}

enum lr_rc
lr_stage_extract(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    int64_t extract_rows = 0, mismatch_rows = 0;
    size_t *sorted = NULL;
    struct store_job store;
    pthread_t store_th;
    bool store_on = false;
    int jobs = ctx->jobs;
    double t0, c0, t1, c1, t2, c2;
    enum lr_rc rc;

    st->in = (int64_t)sh->n_parcels;
    rc = store_start(ctx, sh, &store, &store_th, &store_on, err);
    t0 = lr_now(), c0 = lr_cpu_process();
    if (rc == LR_OK)
        rc = write_extract(ctx, sh, &extract_rows, &sorted, err);
    t1 = lr_now(), c1 = lr_cpu_process();
    /* one core goes to the GeoPackage while it is written */
    ctx->jobs = store_on && jobs > 1 ? jobs - 1 : jobs;
    if (rc == LR_OK)
        rc = write_workbooks(ctx, sh, sorted, (size_t)extract_rows, store_on ? &store.share : NULL,
                             err);
    ctx->jobs = jobs;
    t2 = lr_now(), c2 = lr_cpu_process();
    free(sorted);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "extract", NULL,
               "tax_extract.csv in %.3f s (cpu %.3f s), workbooks in %.3f s (cpu %.3f s, %d "
               "jobs%s)",
               t1 - t0, c1 - c0, t2 - t1, c2 - c1, store_on && jobs > 1 ? jobs - 1 : jobs,
               store_on ? ", parcels.gpkg beside them" : "");
    if (rc == LR_OK)
        rc = write_delta(ctx, err);
    if (rc == LR_OK)
        rc = write_mismatches(ctx, sh, &mismatch_rows, err);
    rc = store_finish(&store, store_th, store_on, rc, err);
    if (rc == LR_OK)
        rc = lr_ctx_add_output(ctx, LR_STORE_FILE, err);
    st->out = extract_rows;
    lr_log(LR_LOG_INFO, "extract", NULL, "%lld extract rows, %lld findings",
           (long long)extract_rows, (long long)mismatch_rows);
    return rc;
}
