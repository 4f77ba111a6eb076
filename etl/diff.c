/* diff.c - the delta between two tax extracts (see diff.h). */
#include "diff.h"

#include "io.h"
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FLUSH_BYTES (1 << 20)

/* One record's fields: NUL-separated in text, field i at text + off[i]. */
struct fields {
    struct lr_buf text;
    size_t *off;
    size_t n, cap;
};

/* One data row of an extract. */
struct row {
    const char *start; /* the record's bytes (without the line end) */
    size_t len;
    size_t order; /* position in the file, for a stable sort */
    struct lr_key key;
    bool key_ok;
    char key_str[LR_KEY_STR_MAX];
};

struct extract {
    const char *path;
    char *data;
    size_t len;
    struct fields header;
    size_t key_col;
    struct row *rows;
    size_t n_rows;
};

/* ---- CSV ---- */

/* End of the record starting at p: the first line feed outside quotes, or end. */
static const char *
record_end(const char *p, const char *end)
{
    bool quoted = false;

    for (; p < end; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\n' && !quoted)
            return p;
    }
    return end;
}

static enum lr_rc
fields_push(struct fields *f)
{
    if (f->n == f->cap) {
        size_t ncap = f->cap ? 2 * f->cap : 32;
        size_t *p = realloc(f->off, ncap * sizeof(*p));
        if (!p)
            return LR_ERR_NOMEM;
        f->off = p;
        f->cap = ncap;
    }
    f->off[f->n++] = f->text.len;
    return LR_OK;
}

/* Split the record [p, end) (RFC 4180 quoting; a trailing CR dropped) into f. */
static enum lr_rc
split_fields(const char *p, const char *end, struct fields *f)
{
    bool quoted = false;
    enum lr_rc rc;

    lr_buf_reset(&f->text);
    f->n = 0;
    if (end > p && end[-1] == '\r')
        end--;
    if ((rc = fields_push(f)) != LR_OK)
        return rc;
    for (; p < end; p++) {
        if (*p == '"' && quoted && p + 1 < end && p[1] == '"') {
            rc = lr_buf_addc(&f->text, '"');
            p++;
        } else if (*p == '"') {
            quoted = !quoted;
            continue;
        } else if (*p == ',' && !quoted) {
            rc = lr_buf_addc(&f->text, '\0');
            if (rc == LR_OK)
                rc = fields_push(f);
        } else {
            rc = lr_buf_addc(&f->text, *p);
        }
        if (rc != LR_OK)
            return rc;
    }
    return lr_buf_addc(&f->text, '\0'); /* also makes text.data non-NULL */
}

static const char *
field(const struct fields *f, size_t i)
{
    return i < f->n ? f->text.data + f->off[i] : "";
}

static void
fields_release(struct fields *f)
{
    lr_buf_release(&f->text);
    free(f->off);
    memset(f, 0, sizeof(*f));
}

/* ---- reading an extract ---- */

static enum lr_rc
read_all(struct extract *x, struct lr_err *err)
{
    FILE *fp = fopen(x->path, "rb");
    struct stat st;
    enum lr_rc rc = LR_OK;

    if (!fp)
        return lr_err_set(err, LR_ERR_INPUT, "cannot read extract '%s': %s", x->path,
                          strerror(errno));
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return lr_err_set(err, LR_ERR_INPUT, "'%s' is not a readable file", x->path);
    }
    x->len = (size_t)st.st_size;
    x->data = malloc(x->len + 1);
    if (!x->data)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory reading '%s'", x->path);
    else if (fread(x->data, 1, x->len, fp) != x->len)
        rc =
            lr_err_set(err, LR_ERR_INPUT, "cannot read extract '%s': %s", x->path, strerror(errno));
    else
        x->data[x->len] = '\0';
    fclose(fp);
    return rc;
}

/* Header: the column names and the parcel_key column. Returns the first data byte in *body. */
static enum lr_rc
read_header(struct extract *x, const char **body, struct lr_err *err)
{
    const char *end = x->data + x->len, *e = record_end(x->data, end);
    size_t skip = x->len >= 3 && memcmp(x->data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* BOM */

    if (split_fields(x->data + skip, e, &x->header) != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (x->key_col = 0; x->key_col < x->header.n; x->key_col++)
        if (strcmp(field(&x->header, x->key_col), "parcel_key") == 0)
            break;
    if (x->key_col == x->header.n)
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' has no parcel_key column in its first line: is it a "
                          "tax_extract.csv?",
                          x->path);
    *body = e < end ? e + 1 : end;
    return LR_OK;
}

static enum lr_rc
add_row(struct extract *x, size_t *cap, const char *p, const char *e, struct fields *f)
{
    struct row *r;

    if (x->n_rows == *cap) {
        size_t ncap = *cap ? 2 * *cap : 1024;
        struct row *nr = realloc(x->rows, ncap * sizeof(*nr));
        if (!nr)
            return LR_ERR_NOMEM;
        x->rows = nr;
        *cap = ncap;
    }
    if (split_fields(p, e, f) != LR_OK)
        return LR_ERR_NOMEM;
    r = &x->rows[x->n_rows];
    r->start = p;
    r->len = (size_t)(e - p);
    if (r->len && p[r->len - 1] == '\r')
        r->len--;
    r->order = x->n_rows++;
    snprintf(r->key_str, sizeof(r->key_str), "%s", field(f, x->key_col));
    r->key_ok = lr_key_parse_str(r->key_str, &r->key);
    return LR_OK;
}

static int
cmp_row(const void *a, const void *b)
{
    const struct row *ra = a, *rb = b;
    int c;

    if (ra->key_ok != rb->key_ok)
        return ra->key_ok ? -1 : 1;
    c = ra->key_ok ? lr_key_cmp(&ra->key, &rb->key) : strcmp(ra->key_str, rb->key_str);
    if (c)
        return c;
    return ra->order < rb->order ? -1 : ra->order > rb->order;
}

/* Read the extract at x->path: header, rows (blank lines skipped), sorted by key. */
static enum lr_rc
read_extract(struct extract *x, struct lr_err *err)
{
    struct fields f;
    const char *p = NULL, *end;
    size_t cap = 0;
    enum lr_rc rc;

    memset(&f, 0, sizeof(f));
    rc = read_all(x, err);
    if (rc == LR_OK)
        rc = read_header(x, &p, err);
    if (rc != LR_OK)
        return rc;
    end = x->data + x->len;
    while (rc == LR_OK && p < end) {
        const char *e = record_end(p, end);
        if (e > p && !(e == p + 1 && *p == '\r') && add_row(x, &cap, p, e, &f) != LR_OK)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory reading '%s'", x->path);
        p = e + 1;
    }
    fields_release(&f);
    if (rc == LR_OK)
        qsort(x->rows, x->n_rows, sizeof(*x->rows), cmp_row);
    return rc;
}

static void
extract_release(struct extract *x)
{
    free(x->data);
    free(x->rows);
    fields_release(&x->header);
}

/* ---- comparing ---- */

#define ABSENT SIZE_MAX

/* A compared column: its name and index in each extract (ABSENT when missing there). */
struct colmap {
    const char *name;
    size_t old_i, new_i;
};

struct writer {
    FILE *f; /* stdout, or o.f */
    struct lr_out o;
    bool to_file;
    struct lr_buf b;
};

struct merge {
    struct extract old, new;
    struct colmap *cols;
    size_t n_cols;
    bool same_layout; /* identical headers: identical bytes mean identical rows */
    struct fields fo, fn;
    struct writer w;
    struct lr_diff_counts c;
};

static size_t
column_index(const struct fields *header, const char *name, size_t skip)
{
    for (size_t i = 0; i < header->n; i++)
        if (i != skip && strcmp(field(header, i), name) == 0)
            return i;
    return ABSENT;
}

/* The new extract's columns (but parcel_key) in order, then the old extract's missing ones. */
static enum lr_rc
build_colmap(struct merge *m, struct lr_err *err)
{
    const struct fields *ho = &m->old.header, *hn = &m->new.header;

    m->cols = calloc(ho->n + hn->n, sizeof(*m->cols));
    if (!m->cols)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < hn->n; i++)
        if (i != m->new.key_col)
            m->cols[m->n_cols++] =
                (struct colmap){ field(hn, i), column_index(ho, field(hn, i), m->old.key_col), i };
    for (size_t i = 0; i < ho->n; i++)
        if (i != m->old.key_col && column_index(hn, field(ho, i), m->new.key_col) == ABSENT)
            m->cols[m->n_cols++] = (struct colmap){ field(ho, i), i, ABSENT };
    m->same_layout = ho->n == hn->n && m->old.key_col == m->new.key_col;
    for (size_t i = 0; m->same_layout && i < hn->n; i++)
        m->same_layout = strcmp(field(ho, i), field(hn, i)) == 0;
    return LR_OK;
}

static enum lr_rc
flush(struct writer *w, bool force, struct lr_err *err)
{
    if (w->b.len == 0 || (!force && w->b.len < FLUSH_BYTES))
        return LR_OK;
    if (fwrite(w->b.data, 1, w->b.len, w->f) != w->b.len)
        return lr_err_set(err, LR_ERR_IO, "cannot write the delta: %s", strerror(errno));
    lr_buf_reset(&w->b);
    return LR_OK;
}

static enum lr_rc
emit(struct writer *w, const char *key, const char *change, const char *col, const char *old,
     const char *new, struct lr_err *err)
{
    bool ok = lr_buf_add_csv(&w->b, key) == LR_OK && lr_buf_addc(&w->b, ',') == LR_OK &&
              lr_buf_add_csv(&w->b, change) == LR_OK && lr_buf_addc(&w->b, ',') == LR_OK &&
              lr_buf_add_csv(&w->b, col) == LR_OK && lr_buf_addc(&w->b, ',') == LR_OK &&
              lr_buf_add_csv(&w->b, old) == LR_OK && lr_buf_addc(&w->b, ',') == LR_OK &&
              lr_buf_add_csv(&w->b, new) == LR_OK && lr_buf_addc(&w->b, '\n') == LR_OK;

    if (!ok)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return flush(w, false, err);
}

/* One parcel in both extracts: a "changed" line per differing column. */
static enum lr_rc
compare_pair(struct merge *m, const struct row *ro, const struct row *rn, struct lr_err *err)
{
    int64_t cells = 0;
    enum lr_rc rc = LR_OK;

    if (m->same_layout && ro->len == rn->len && memcmp(ro->start, rn->start, ro->len) == 0) {
        m->c.unchanged++;
        return LR_OK;
    }
    if (split_fields(ro->start, ro->start + ro->len, &m->fo) != LR_OK ||
        split_fields(rn->start, rn->start + rn->len, &m->fn) != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t k = 0; rc == LR_OK && k < m->n_cols; k++) {
        const struct colmap *c = &m->cols[k];
        const char *o = c->old_i == ABSENT ? "" : field(&m->fo, c->old_i);
        const char *n = c->new_i == ABSENT ? "" : field(&m->fn, c->new_i);
        if (strcmp(o, n) != 0) {
            rc = emit(&m->w, rn->key_str, "changed", c->name, o, n, err);
            cells++;
        }
    }
    m->c.cells += cells;
    if (cells)
        m->c.changed++;
    else
        m->c.unchanged++;
    return rc;
}

static int
cmp_key(const struct row *a, const struct row *b)
{
    if (a->key_ok != b->key_ok)
        return a->key_ok ? -1 : 1;
    return a->key_ok ? lr_key_cmp(&a->key, &b->key) : strcmp(a->key_str, b->key_str);
}

/* Merge the two key-sorted row lists. */
static enum lr_rc
merge_rows(struct merge *m, struct lr_err *err)
{
    size_t i = 0, j = 0, no = m->old.n_rows, nn = m->new.n_rows;
    enum lr_rc rc = emit(&m->w, "parcel_key", "change", "column", "old", "new", err);

    while (rc == LR_OK && (i < no || j < nn)) {
        int c = i >= no ? 1 : j >= nn ? -1 : cmp_key(&m->old.rows[i], &m->new.rows[j]);
        if (c < 0) {
            rc = emit(&m->w, m->old.rows[i++].key_str, "removed", "", "", "", err);
            m->c.removed++;
        } else if (c > 0) {
            rc = emit(&m->w, m->new.rows[j++].key_str, "added", "", "", "", err);
            m->c.added++;
        } else {
            rc = compare_pair(m, &m->old.rows[i++], &m->new.rows[j++], err);
        }
    }
    if (rc == LR_OK)
        rc = flush(&m->w, true, err);
    return rc;
}

/* ---- entry points ---- */

static void
merge_release(struct merge *m)
{
    extract_release(&m->old);
    extract_release(&m->new);
    fields_release(&m->fo);
    fields_release(&m->fn);
    lr_buf_release(&m->w.b);
    free(m->cols);
}

enum lr_rc
lr_diff_files(const char *old_csv, const char *new_csv, const char *out_path,
              struct lr_diff_counts *counts, struct lr_err *err)
{
    struct merge m;
    enum lr_rc rc;

    memset(&m, 0, sizeof(m));
    m.old.path = old_csv;
    m.new.path = new_csv;
    rc = read_extract(&m.old, err);
    if (rc == LR_OK)
        rc = read_extract(&m.new, err);
    if (rc == LR_OK)
        rc = build_colmap(&m, err);
    if (rc == LR_OK && out_path) {
        rc = lr_out_open(&m.w.o, out_path, err);
        m.w.f = m.w.o.f;
        m.w.to_file = rc == LR_OK;
    } else {
        m.w.f = stdout;
    }
    if (rc == LR_OK)
        rc = merge_rows(&m, err);
    if (m.w.to_file)
        rc = rc == LR_OK ? lr_out_commit(&m.w.o, err) : (lr_out_abort(&m.w.o), rc);
    else if (rc == LR_OK && fflush(stdout) != 0)
        rc = lr_err_set(err, LR_ERR_IO, "cannot write the delta: %s", strerror(errno));
    if (rc == LR_OK && counts)
        *counts = m.c;
    merge_release(&m);
    return rc;
}

void
lr_diff_summary(const struct lr_diff_counts *c, char *buf, size_t size)
{
    snprintf(buf, size, "%lld added, %lld removed, %lld changed (%lld values), %lld unchanged",
             (long long)c->added, (long long)c->removed, (long long)c->changed, (long long)c->cells,
             (long long)c->unchanged);
}

enum lr_rc
lr_diff_main(const char *old_dir, const char *new_dir, const char *out, struct lr_err *err)
{
    char *old_csv = lr_path_join(old_dir, "tax_extract.csv");
    char *new_csv = lr_path_join(new_dir, "tax_extract.csv");
    struct lr_diff_counts c;
    enum lr_rc rc;
    char line[256];

    if (!old_csv || !new_csv) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = lr_diff_files(old_csv, new_csv, out, &c, err);
    if (rc == LR_OK) {
        lr_diff_summary(&c, line, sizeof(line));
        fprintf(out ? stdout : stderr, "%s\n", line);
    }
out:
    free(old_csv);
    free(new_csv);
    return rc;
}

enum lr_rc
lr_diff_against_latest(const char *output, const char *work_dir, bool *written,
                       struct lr_diff_counts *counts, struct lr_err *err)
{
    char *run = lr_io_latest_run(output), *dir = NULL, *old_csv = NULL, *new_csv = NULL,
         *out = NULL;
    struct lr_err derr = { LR_OK, "" };
    enum lr_rc rc = LR_OK;
    char line[256];

    *written = false;
    if (!run) {
        lr_log(LR_LOG_INFO, "extract", NULL, "no published run in '%s': no delta", output);
        return LR_OK;
    }
    dir = lr_path_join(output, run);
    old_csv = dir ? lr_path_join(dir, "tax_extract.csv") : NULL;
    new_csv = lr_path_join(work_dir, "tax_extract.csv");
    out = lr_path_join(work_dir, "delta.csv");
    if (!old_csv || !new_csv || !out) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = lr_diff_files(old_csv, new_csv, out, counts, &derr);
    if (rc == LR_ERR_INPUT) { /* a broken earlier run does not stop tonight's */
        lr_log(LR_LOG_WARN, "extract", NULL, "no delta against run '%s': %s", run, derr.msg);
        rc = LR_OK;
    } else if (rc != LR_OK) {
        rc = lr_err_set(err, rc, "%s", derr.msg);
    } else {
        *written = true;
        lr_diff_summary(counts, line, sizeof(line));
        lr_log(LR_LOG_INFO, "extract", NULL, "delta against run '%s': %s", run, line);
    }
out:
    free(run);
    free(dir);
    free(old_csv);
    free(new_csv);
    free(out);
    return rc;
}
