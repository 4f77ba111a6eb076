/* xlsx.c - the tax office's workbooks (see xlsx.h).
 *
 * Cells: codes, keys, names, owner ids and certificates are text (leading zeros and 12-digit ids
 * survive); sheet, parcel and position are plain integers; areas "#,##0.0"; prices, values and
 * taxes "#,##0". A number with more than 15 significant digits (Excel keeps 15) is written as text
 * so that no digit is lost. An unpriced parcel has blank value cells, as the CSV has empty fields.
 */
#include "xlsx.h"

#include "io.h"
#include "money.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define EXACT_MAX 999999999999999LL /* 15 digits: exact in Excel */

enum col_kind { COL_TEXT, COL_INT, COL_AREA, COL_MONEY };

struct column {
    const char *title;
    enum col_kind kind;
    double width;
};

/* The columns of tax_extract.csv, in its order (SPEC.md "Tax extract columns"). */
static const struct column extract_cols[] = {
    { "Mã xã mới", COL_TEXT, 10 },       /* new_commune */
    { "Tên xã mới", COL_TEXT, 22 },      /* new_commune_name */
    { "Mã xã cũ", COL_TEXT, 10 },        /* old_commune */
    { "Số tờ", COL_INT, 7 },             /* sheet */
    { "Số thửa", COL_INT, 8 },           /* parcel */
    { "Mã thửa", COL_TEXT, 16 },         /* parcel_key */
    { "Địa chỉ", COL_TEXT, 30 },         /* address */
    { "Loại đất", COL_TEXT, 9 },         /* land_use */
    { "Diện tích (m²)", COL_AREA, 13 },  /* area_m2 */
    { "Nguồn diện tích", COL_TEXT, 11 }, /* area_source */
    { "Vùng giá", COL_TEXT, 12 },        /* price_zone */
    { "Vị trí", COL_INT, 7 },            /* position */
    { "Đơn giá (đ/m²)", COL_MONEY, 15 }, /* unit_price_vnd */
    { "Giá trị (đ)", COL_MONEY, 18 },    /* value_vnd */
    { "Thuế (đ)", COL_MONEY, 13 },       /* tax_vnd */
    { "Chủ sử dụng", COL_TEXT, 26 },     /* owner_name */
    { "Số định danh", COL_TEXT, 15 },    /* owner_id */
    { "Số GCN", COL_TEXT, 14 },          /* certificate */
    { "Trạng thái", COL_TEXT, 16 },      /* status */
};

#define N_EXTRACT_COLS ((lxw_col_t)LR_ARRAY_LEN(extract_cols))

static const struct column summary_cols[] = {
    { "Mã xã mới", COL_TEXT, 10 },      { "Tên xã mới", COL_TEXT, 24 },
    { "Số thửa", COL_INT, 10 },         { "Số thửa có giá", COL_INT, 12 },
    { "Diện tích (m²)", COL_AREA, 18 }, { "Giá trị (đ)", COL_MONEY, 24 },
    { "Thuế (đ)", COL_MONEY, 20 },
};

#define N_SUMMARY_COLS ((lxw_col_t)LR_ARRAY_LEN(summary_cols))

/* libxlsxwriter 1.1.4 is not safe with several workbooks written by several threads at once,
 * though each thread has its own workbook: workbook_close() writes docProps/core.xml's created
 * date through gmtime() (glibc's static result buffer; ThreadSanitizer reports the race in
 * _write_dcterms_created), and every temporary file (one per worksheet in constant-memory mode,
 * created by workbook_add_worksheet(), and the packager's at workbook_close()) is named by its
 * bundled tmpfileplus from a `static unsigned seed` and srand()/rand(). The bytes written do not
 * suffer (the created date is the same fixed time for all, and a name taken twice is retried
 * with O_EXCL), but a data race is undefined behaviour: the calls that reach that state, the
 * opening, each new worksheet and the closing (which zips the sheets), hold this lock. The rows
 * themselves, the bulk of the work, are written without it. */
static pthread_mutex_t lxw_global_lock = PTHREAD_MUTEX_INITIALIZER;

/* Formats of one workbook. */
struct formats {
    lxw_format *header, *integer, *area, *money;
};

/* One workbook to write: a commune's rows [start, end) of job->rows, or the summary. */
struct task {
    size_t start, end;
    int32_t new_commune;
    bool summary;
    char name[32];
    struct lr_err err;
};

struct pool {
    const struct lr_xlsx_job *job;
    struct task *tasks;
    size_t n_tasks;
    size_t *order; /* schedule: tasks by descending row count */
    atomic_size_t next;
    atomic_bool failed;
};

void
lr_xlsx_commune_file(int32_t new_commune, char *buf, size_t size)
{
    if (new_commune < 0)
        snprintf(buf, size, "unknown.xlsx");
    else
        snprintf(buf, size, "%05d.xlsx", (int)new_commune);
}

static const char *
commune_name(const struct lr_shard *sh, int32_t code)
{
    for (size_t i = 0; i < sh->n_communes; i++)
        if (sh->communes[i].new_code == code)
            return sh->communes[i].new_name;
    return "";
}

static void
formats_init(lxw_workbook *wb, struct formats *f)
{
    f->header = workbook_add_format(wb);
    format_set_bold(f->header);
    format_set_text_wrap(f->header);
    format_set_bg_color(f->header, 0xD9E1F2);
    format_set_border(f->header, LXW_BORDER_THIN);
    f->integer = workbook_add_format(wb);
    format_set_num_format(f->integer, "0");
    f->area = workbook_add_format(wb);
    format_set_num_format(f->area, "#,##0.0");
    f->money = workbook_add_format(wb);
    format_set_num_format(f->money, "#,##0");
}

/* A worksheet with the header row, frozen, filtered over n data rows, set up for printing. */
static lxw_worksheet *
sheet_new(lxw_workbook *wb, const char *name, const struct column *cols, lxw_col_t ncols,
          lxw_row_t n, const struct formats *f)
{
    lxw_worksheet *ws;

    pthread_mutex_lock(&lxw_global_lock);
    ws = workbook_add_worksheet(wb, name);
    pthread_mutex_unlock(&lxw_global_lock);

    if (!ws)
        return NULL;
    for (lxw_col_t c = 0; c < ncols; c++)
        worksheet_set_column(ws, c, c, cols[c].width, NULL);
    worksheet_set_row(ws, 0, 32, NULL);
    for (lxw_col_t c = 0; c < ncols; c++)
        worksheet_write_string(ws, 0, c, cols[c].title, f->header);
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_autofilter(ws, 0, 0, n, (lxw_col_t)(ncols - 1));
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9); /* A4 */
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_repeat_rows(ws, 0, 0);
    return ws;
}

/* An integer cell: a number when Excel holds it exactly, else its digits as text. */
static lxw_error
write_int(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, int64_t v, double scale, lxw_format *fmt)
{
    char buf[32];

    if (v >= -EXACT_MAX && v <= EXACT_MAX)
        return worksheet_write_number(ws, r, c, (double)v / scale, fmt);
    if (scale == 10)
        lr_money_format_area(v, buf, sizeof(buf));
    else
        snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return worksheet_write_string(ws, r, c, buf, NULL);
}

/* Text cell; NULL and "" stay blank. */
static lxw_error
write_text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s)
{
    size_t i, chars = 0;
    lxw_error e;
    char *cut;

    if (!s || !*s)
        return LXW_NO_ERROR;
    /* Excel holds 32,767 characters in a cell: a longer text (a broken register field) keeps its
     * first ones here (tax_extract.csv has it whole) instead of failing the workbook and the run */
    for (i = 0; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars > 32767)
            break;
    if (!s[i])
        return worksheet_write_string(ws, r, c, s, NULL);
    cut = strndup(s, i);
    if (!cut)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    e = worksheet_write_string(ws, r, c, cut, NULL);
    free(cut);
    return e;
}

/* Keep the first error of a row's cells. */
static void
keep(lxw_error *e, lxw_error x)
{
    if (*e == LXW_NO_ERROR)
        *e = x;
}

/* One extract row, the cells of stage_extract's CSV row in the same order. */
static lxw_error
write_extract_row(lxw_worksheet *ws, lxw_row_t r, const struct formats *f,
                  const struct lr_shard *sh, const struct lr_parcel *p, const char *name)
{
    const struct lr_record *rec = &sh->records[p->record];
    char nc[16], oc[16], key[LR_KEY_STR_MAX];
    bool priced = p->price_vnd >= 0;
    lxw_error e = LXW_NO_ERROR;

    snprintf(nc, sizeof(nc), "%05d", (int)p->new_commune);
    snprintf(oc, sizeof(oc), "%05d", (int)p->key.commune);
    lr_key_format(&p->key, key);
    keep(&e, write_text(ws, r, 0, nc));
    keep(&e, write_text(ws, r, 1, name));
    keep(&e, write_text(ws, r, 2, oc));
    keep(&e, write_int(ws, r, 3, p->key.sheet, 1, f->integer));
    keep(&e, write_int(ws, r, 4, p->key.parcel, 1, f->integer));
    keep(&e, write_text(ws, r, 5, key));
    keep(&e, write_text(ws, r, 6, rec->address));
    keep(&e, write_text(ws, r, 7, rec->land_use ? rec->land_use : p->land_use));
    keep(&e, write_int(ws, r, 8, p->extract_area_dm2, 10, f->area));
    keep(&e, write_text(ws, r, 9, p->area_from_register ? "register" : "map"));
    if (priced) {
        keep(&e, write_text(ws, r, 10, p->zone));
        keep(&e, write_int(ws, r, 11, p->position, 1, f->integer));
        keep(&e, write_int(ws, r, 12, p->price_vnd, 1, f->money));
        keep(&e, write_int(ws, r, 13, p->value_vnd, 1, f->money));
        keep(&e, write_int(ws, r, 14, p->tax_vnd, 1, f->money));
    }
    keep(&e, write_text(ws, r, 15, rec->owner_name));
    keep(&e, write_text(ws, r, 16, rec->owner_id));
    keep(&e, write_text(ws, r, 17, rec->certificate));
    keep(&e, write_text(ws, r, 18, lr_status_name(p->status)));
    return e;
}

/* Sheet k's name: "Thửa đất", then "Thửa đất (2)", ... */
static void
sheet_name(size_t k, char *buf, size_t size)
{
    if (k == 0)
        snprintf(buf, size, "Thửa đất");
    else
        snprintf(buf, size, "Thửa đất (%zu)", k + 1);
}

static enum lr_rc
xlsx_error(struct lr_err *err, const char *path, lxw_error e)
{
    return lr_err_set(err, LR_ERR_IO, "cannot write workbook '%s': %s", path, lxw_strerror(e));
}

/* Open a workbook at tmp_path in constant-memory mode, temporary files in dir. */
static lxw_workbook *
workbook_open(const char *tmp_path, const char *dir, const char *title)
{
    lxw_workbook_options opts = { .constant_memory = LXW_TRUE, .tmpdir = (char *)dir };
    lxw_doc_properties props = { .title = (char *)title,
                                 .author = "landrec",
                                 .created = (time_t)LR_XLSX_CREATED };
    lxw_workbook *wb;

    pthread_mutex_lock(&lxw_global_lock);
    wb = workbook_new_opt(tmp_path, &opts);
    pthread_mutex_unlock(&lxw_global_lock);
    if (wb)
        workbook_set_properties(wb, &props);
    return wb;
}

/* The rows [t->start, t->end) of one commune into an open workbook. */
static lxw_error
commune_sheets(lxw_workbook *wb, const struct lr_xlsx_job *job, const struct task *t)
{
    const struct lr_shard *sh = job->sh;
    const char *name = commune_name(sh, t->new_commune);
    struct formats f;
    lxw_error e = LXW_NO_ERROR;
    size_t n = t->end - t->start, per = (size_t)job->sheet_rows;
    char title[64];

    formats_init(wb, &f);
    for (size_t k = 0, done = 0; e == LXW_NO_ERROR && (done < n || k == 0); k++) {
        size_t rows = n - done < per ? n - done : per;
        lxw_worksheet *ws;

        sheet_name(k, title, sizeof(title));
        ws = sheet_new(wb, title, extract_cols, N_EXTRACT_COLS, (lxw_row_t)rows, &f);
        if (!ws)
            return LXW_ERROR_MEMORY_MALLOC_FAILED;
        for (size_t i = 0; e == LXW_NO_ERROR && i < rows; i++)
            e = write_extract_row(ws, (lxw_row_t)(i + 1), &f, sh,
                                  &sh->parcels[job->rows[t->start + done + i]], name);
        done += rows;
    }
    return e;
}

/* ---- summary.xlsx ---- */

__extension__ typedef __int128 lr_i128;

struct totals {
    int64_t parcels, priced;
    lr_i128 area_dm2, value, tax;
};

/* A sum cell: a number when Excel holds it exactly, else its digits as text. */
static lxw_error
write_sum(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, lr_i128 v, bool area, lxw_format *fmt)
{
    char buf[64], *p = buf + sizeof(buf) - 1;
    lr_i128 m = v < 0 ? -v : v;
    int digits = 0;

    if (m <= EXACT_MAX)
        return write_int(ws, r, c, (int64_t)v, area ? 10 : 1, fmt);
    *p = '\0';
    do {
        *--p = (char)('0' + (int)(m % 10));
        m /= 10;
        if (area && ++digits == 1)
            *--p = '.';
    } while (m > 0 || (area && digits < 2));
    if (v < 0)
        *--p = '-';
    return worksheet_write_string(ws, r, c, p, NULL);
}

static lxw_error
write_totals_row(lxw_worksheet *ws, lxw_row_t r, const struct formats *f, const char *code,
                 const char *name, const struct totals *t)
{
    lxw_error e = LXW_NO_ERROR;

    keep(&e, code ? write_text(ws, r, 0, code)
                  : worksheet_write_string(ws, r, 0, "Tổng cộng", f->header));
    keep(&e, write_text(ws, r, 1, name));
    keep(&e, write_int(ws, r, 2, t->parcels, 1, f->integer));
    keep(&e, write_int(ws, r, 3, t->priced, 1, f->integer));
    keep(&e, write_sum(ws, r, 4, t->area_dm2, true, f->area));
    keep(&e, write_sum(ws, r, 5, t->value, false, f->money));
    keep(&e, write_sum(ws, r, 6, t->tax, false, f->money));
    return e;
}

static void
totals_add(struct totals *t, const struct lr_parcel *p)
{
    t->parcels++;
    t->area_dm2 += p->extract_area_dm2;
    if (p->price_vnd < 0)
        return;
    t->priced++;
    t->value += p->value_vnd;
    t->tax += p->tax_vnd;
}

/* One row per commune (the communes of the extract, in its order), then the totals. */
static lxw_error
summary_sheet(lxw_workbook *wb, const struct lr_xlsx_job *job, const struct task *tasks,
              size_t n_tasks)
{
    const struct lr_shard *sh = job->sh;
    struct totals all = { 0 };
    struct formats f;
    lxw_worksheet *ws;
    lxw_row_t r = 1;
    lxw_error e = LXW_NO_ERROR;
    char code[16];

    formats_init(wb, &f);
    ws = sheet_new(wb, "Tổng hợp", summary_cols, N_SUMMARY_COLS, (lxw_row_t)(n_tasks - 1), &f);
    if (!ws)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    for (size_t k = 0; e == LXW_NO_ERROR && k < n_tasks; k++) {
        struct totals t = { 0 };
        if (tasks[k].summary)
            continue;
        for (size_t i = tasks[k].start; i < tasks[k].end; i++) {
            totals_add(&t, &sh->parcels[job->rows[i]]);
            totals_add(&all, &sh->parcels[job->rows[i]]);
        }
        snprintf(code, sizeof(code), "%05d", (int)tasks[k].new_commune);
        e = write_totals_row(ws, r++, &f, code, commune_name(sh, tasks[k].new_commune), &t);
    }
    if (e == LXW_NO_ERROR)
        e = write_totals_row(ws, r, &f, NULL, NULL, &all);
    return e;
}

/* ---- files and workers ---- */

/* Mode 0640, fsync, rename tmp to path. */
static enum lr_rc
finish_file(const char *tmp, const char *path, struct lr_err *err)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && fchmod(fd, 0640) == 0 && fsync(fd) == 0;
    int e = errno;

    if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, path) == 0)
        return LR_OK;
    e = ok ? errno : e;
    unlink(tmp);
    return lr_err_set(err, LR_ERR_IO, "cannot finish workbook '%s': %s", path, strerror(e));
}

static enum lr_rc
write_task(const struct pool *pl, struct task *t)
{
    const struct lr_xlsx_job *job = pl->job;
    char *path = lr_asprintf("%s/%s", job->dir, t->name);
    char *tmp = lr_asprintf("%s/%s.tmp", job->dir, t->name);
    char title[96];
    lxw_workbook *wb = NULL;
    lxw_error e = LXW_NO_ERROR, ce;
    enum lr_rc rc = LR_OK;

    if (!path || !tmp) {
        rc = lr_err_set(&t->err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (t->summary)
        snprintf(title, sizeof(title), "Tổng hợp thuế sử dụng đất");
    else
        snprintf(title, sizeof(title), "Danh sách thửa đất tính thuế - %05d", (int)t->new_commune);
    wb = workbook_open(tmp, job->dir, title);
    if (!wb) {
        rc = lr_err_set(&t->err, LR_ERR_IO, "cannot create workbook '%s'", tmp);
        goto out;
    }
    e = t->summary ? summary_sheet(wb, job, pl->tasks, pl->n_tasks) : commune_sheets(wb, job, t);
    pthread_mutex_lock(&lxw_global_lock);
    ce = workbook_close(wb); /* frees wb whatever happens */
    pthread_mutex_unlock(&lxw_global_lock);
    if (e == LXW_NO_ERROR)
        e = ce;
    if (e != LXW_NO_ERROR) {
        unlink(tmp);
        rc = xlsx_error(&t->err, path, e);
        goto out;
    }
    rc = finish_file(tmp, path, &t->err);
out:
    free(path);
    free(tmp);
    return rc;
}

/* Take the next task (largest first, see order) until none is left or one failed; returns
 * the number taken. */
static size_t
work(struct pool *pl)
{
    size_t done = 0;

    for (;; done++) {
        size_t k = atomic_fetch_add(&pl->next, 1);
        if (k >= pl->n_tasks || atomic_load(&pl->failed))
            break;
        if (write_task(pl, &pl->tasks[pl->order[k]]) != LR_OK)
            atomic_store(&pl->failed, true);
    }
    return done;
}

static void *
worker(void *arg)
{
    work(arg);
    return NULL;
}

/* One task per commune (contiguous in the sorted rows) plus the summary, last. */
static enum lr_rc
plan_tasks(const struct lr_xlsx_job *job, struct task **tasks, size_t *n, struct lr_err *err)
{
    const struct lr_shard *sh = job->sh;
    size_t cap = 1;
    struct task *t;

    for (size_t i = 1; i < job->n_rows; i++)
        cap += sh->parcels[job->rows[i]].new_commune != sh->parcels[job->rows[i - 1]].new_commune;
    t = calloc(cap + 1, sizeof(*t));
    if (!t)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    *n = 0;
    for (size_t i = 0; i < job->n_rows; i++) {
        int32_t c = sh->parcels[job->rows[i]].new_commune;
        if (*n == 0 || t[*n - 1].new_commune != c) {
            t[*n].start = i;
            t[*n].new_commune = c;
            lr_xlsx_commune_file(c, t[*n].name, sizeof(t[*n].name));
            (*n)++;
        }
        t[*n - 1].end = i + 1;
    }
    t[*n].summary = true;
    snprintf(t[*n].name, sizeof(t[*n].name), "summary.xlsx");
    (*n)++;
    *tasks = t;
    return LR_OK;
}

/* Schedule the largest workbooks first so the workers finish together. */
static void
schedule(struct pool *pl)
{
    for (size_t i = 0; i < pl->n_tasks; i++) {
        size_t j = i, rows = pl->tasks[i].end - pl->tasks[i].start;
        for (; j > 0; j--) {
            const struct task *o = &pl->tasks[pl->order[j - 1]];
            if (o->end - o->start >= rows)
                break;
            pl->order[j] = pl->order[j - 1];
        }
        pl->order[j] = i;
    }
}

void
lr_xlsx_share_init(struct lr_xlsx_share *s)
{
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->pool = NULL;
    s->helpers = 0;
}

void
lr_xlsx_share_destroy(struct lr_xlsx_share *s)
{
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->mu);
}

void
lr_xlsx_help(struct lr_xlsx_share *s)
{
    struct pool *pl;
    size_t n;

    pthread_mutex_lock(&s->mu);
    pl = s->pool;
    s->helpers += pl != NULL;
    pthread_mutex_unlock(&s->mu);
    if (!pl)
        return;
    n = work(pl);
    lr_log(LR_LOG_DEBUG, "extract", NULL, "a helper thread joined the workbooks: %zu written", n);
    pthread_mutex_lock(&s->mu);
    s->helpers--;
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
}

/* Announce the pool to a helper (share), or take it back and wait until the helpers left. */
static void
share_pool(struct lr_xlsx_share *s, struct pool *pl)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->pool = pl;
    while (!pl && s->helpers > 0)
        pthread_cond_wait(&s->idle, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

/* Run the tasks on min(jobs, tasks) threads, and a helper's (share) when one comes; the first
 * error in task order wins. */
static enum lr_rc
run_pool(struct pool *pl, int jobs, struct lr_err *err)
{
    size_t n = jobs < 1 ? 1 : (size_t)jobs, started = 0;
    pthread_t *th;
    enum lr_rc rc = LR_OK;

    n = n < pl->n_tasks ? n : pl->n_tasks;
    th = calloc(n, sizeof(*th));
    if (!th)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    share_pool(pl->job->share, pl);
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, worker, pl) != 0)
            break;
    if (started == 0)
        worker(pl); /* no thread could start: do the work here */
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    share_pool(pl->job->share, NULL);
    free(th);
    for (size_t k = 0; rc == LR_OK && k < pl->n_tasks; k++)
        if (pl->tasks[k].err.rc != LR_OK)
            rc = lr_err_set(err, pl->tasks[k].err.rc, "%s", pl->tasks[k].err.msg);
    return rc;
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the tasks, sorted. */
static enum lr_rc
task_names(const struct pool *pl, char ***names, size_t *n_names, struct lr_err *err)
{
    char **v = calloc(pl->n_tasks, sizeof(*v));

    if (!v)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < pl->n_tasks; k++) {
        v[k] = strdup(pl->tasks[k].name);
        if (!v[k]) {
            for (size_t i = 0; i < k; i++)
                free(v[i]);
            free(v);
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        }
    }
    qsort(v, pl->n_tasks, sizeof(*v), cmp_name);
    *names = v;
    *n_names = pl->n_tasks;
    return LR_OK;
}

enum lr_rc
lr_xlsx_write(const struct lr_xlsx_job *job, char ***names, size_t *n_names, struct lr_err *err)
{
    struct pool pl;
    enum lr_rc rc;

    *names = NULL;
    *n_names = 0;
    memset(&pl, 0, sizeof(pl));
    pl.job = job;
    if (job->sheet_rows < 1)
        return lr_err_set(err, LR_ERR_INTERNAL, "sheet rows must be positive");
    rc = lr_io_mkdirs(job->dir, 0750, err);
    if (rc == LR_OK)
        rc = plan_tasks(job, &pl.tasks, &pl.n_tasks, err);
    if (rc == LR_OK && !(pl.order = calloc(pl.n_tasks, sizeof(*pl.order))))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK) {
        schedule(&pl);
        atomic_init(&pl.next, 0);
        atomic_init(&pl.failed, false);
        rc = run_pool(&pl, job->jobs, err);
    }
    if (rc == LR_OK)
        rc = task_names(&pl, names, n_names, err);
    free(pl.order);
    free(pl.tasks);
    return rc;
}
