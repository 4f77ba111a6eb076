/* stage_extract.c - write the tax office's extract (tax_extract.csv, SPEC.md columns, sorted by
 * new commune then key) and the analysts' findings (mismatches.csv: no owner data). */
#include "diff.h"
#include "io.h"
#include "money.h"
#include "stage.h"
#include "store.h"
#include "xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char extract_header[] =
    "new_commune,new_commune_name,old_commune,sheet,parcel,parcel_key,address,land_use,"
    "area_m2,area_source,price_zone,position,unit_price_vnd,value_vnd,tax_vnd,owner_name,"
    "owner_id,certificate,status\n";

static const char mismatch_header[] = "parcel_key,record_key,class,detail,acknowledged\n";

/* Is parcel p a row of the tax extract? */
static bool
in_extract(const struct lr_shard *sh, const struct lr_parcel *p)
{
    return lr_status_is_matched(p->status) && p->record >= 0 &&
           p->confidence_pct * (LR_NANO / 100) >= sh->cfg->min_confidence_nano;
}

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

static void
add_int(struct lr_buf *b, int64_t v, bool present)
{
    if (present)
        lr_buf_addf(b, "%lld", (long long)v);
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
    lr_buf_addf(b, "%05d,", (int)p->new_commune);
    lr_buf_add_csv(b, new_commune_name(sh, p->new_commune));
    lr_buf_addf(b, ",%05d,%d,%d,%s,", (int)p->key.commune, (int)p->key.sheet, (int)p->key.parcel,
                key);
    lr_buf_add_csv(b, r->address);
    lr_buf_addc(b, ',');
    lr_buf_add_csv(b, r->land_use ? r->land_use : p->land_use);
    lr_buf_addf(b, ",%s,%s,", area, p->area_from_register ? "register" : "map");
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
    lr_buf_addf(b, ",%s\n", lr_status_name(p->status));
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
        if (in_extract(sh, &sh->parcels[i]))
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
                struct lr_err *err)
{
    char *dir = lr_path_join(ctx->work_dir, "xlsx"), **names = NULL, name[64];
    struct lr_xlsx_job job = { sh, rows, n, dir, ctx->jobs, LR_XLSX_SHEET_ROWS };
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

/* CPU seconds of the process (all threads), for the timings logged. */
static double
cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

enum lr_rc
lr_stage_extract(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    int64_t extract_rows = 0, mismatch_rows = 0;
    size_t *sorted = NULL;
    double t0 = lr_now(), c0 = cpu_now(), t1, c1, t2, c2;
    enum lr_rc rc;

    st->in = (int64_t)sh->n_parcels;
    rc = write_extract(ctx, sh, &extract_rows, &sorted, err);
    t1 = lr_now(), c1 = cpu_now();
    if (rc == LR_OK)
        rc = write_workbooks(ctx, sh, sorted, (size_t)extract_rows, err);
    t2 = lr_now(), c2 = cpu_now();
    free(sorted);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "extract", NULL,
               "tax_extract.csv in %.3f s (cpu %.3f s), workbooks in %.3f s (cpu %.3f s, %d jobs)",
               t1 - t0, c1 - c0, t2 - t1, c2 - c1, ctx->jobs);
    if (rc == LR_OK)
        rc = write_delta(ctx, err);
    if (rc == LR_OK)
        rc = write_mismatches(ctx, sh, &mismatch_rows, err);
    if (rc == LR_OK)
        rc = lr_store_write(ctx, sh, err);
    if (rc == LR_OK)
        rc = lr_ctx_add_output(ctx, LR_STORE_FILE, err);
    st->out = extract_rows;
    lr_log(LR_LOG_INFO, "extract", NULL, "%lld extract rows, %lld findings",
           (long long)extract_rows, (long long)mismatch_rows);
    return rc;
}
