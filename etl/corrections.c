/* corrections.c - the analysts' corrections file (see corrections.h). */
#include "corrections.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORR_MAX_BYTES (256L << 20) /* a corrections file larger than this is a mistake */
#define CORR_FIELDS    5
#define CORR_FIELD_MAX 4096 /* bytes kept of one field (the note may be long; it is not kept) */

static const char *const header_names[CORR_FIELDS] = { "parcel_key", "record_key", "class",
                                                       "action", "note" };

/* ---- CSV reading (RFC 4180: quoted fields, doubled quotes, CRLF or LF) ---- */

struct csv {
    const char *s;
    size_t len, pos;
    int line; /* current line, 1-based */
};

struct csv_row {
    char field[CORR_FIELDS][CORR_FIELD_MAX];
    size_t n;
    int line; /* line where the row starts */
};

/* Append c to field k of row (silently capped: long notes are not kept). */
static void
row_addc(struct csv_row *row, char c)
{
    char *f = row->field[row->n];
    size_t l = strlen(f);

    if (l + 1 < CORR_FIELD_MAX) {
        f[l] = c;
        f[l + 1] = '\0';
    }
}

/* Read one quoted field's body (after the opening quote); false when it never closes. */
static bool
csv_quoted(struct csv *c, struct csv_row *row)
{
    while (c->pos < c->len) {
        char ch = c->s[c->pos++];
        if (ch == '"') {
            if (c->pos < c->len && c->s[c->pos] == '"') {
                c->pos++;
                row_addc(row, '"');
                continue;
            }
            return true;
        }
        if (ch == '\n')
            c->line++;
        row_addc(row, ch);
    }
    return false;
}

/* Read one row. Returns 1 with a row, 0 at the end, -1 on a syntax error (why set). */
static int
csv_next(struct csv *c, struct csv_row *row, const char **why)
{
    memset(row, 0, sizeof(*row));
    row->line = c->line;
    if (c->pos >= c->len)
        return 0;
    for (;;) {
        char ch = c->pos < c->len ? c->s[c->pos++] : '\n';
        if (ch == '"' && row->field[row->n][0] == '\0') {
            if (!csv_quoted(c, row)) {
                *why = "a quoted field is not closed";
                return -1;
            }
            ch = c->pos < c->len ? c->s[c->pos] : '\n';
            if (ch != ',' && ch != '\n' && ch != '\r') {
                *why = "text after a closing quote";
                return -1;
            }
            continue;
        }
        if (ch == '\r' && c->pos < c->len && c->s[c->pos] == '\n')
            continue;
        if (ch == '\n' || ch == '\r') {
            c->line++;
            row->n++;
            return 1;
        }
        if (ch == ',') {
            if (++row->n >= CORR_FIELDS) {
                *why = "more than 5 fields";
                return -1;
            }
            continue;
        }
        row_addc(row, ch);
    }
}

/* Trim blanks in place; returns s. */
static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

static void
lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* ---- rows ---- */

static enum lr_rc bad_row(const char *path, int line, struct lr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* LR_ERR_INPUT naming the file and the line. */
static enum lr_rc
bad_row(const char *path, int line, struct lr_err *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return lr_err_set(err, LR_ERR_INPUT, "corrections file '%s' line %d: %s", path, line, msg);
}

static bool
is_header(struct csv_row *row)
{
    if (row->n < 4)
        return false;
    for (size_t i = 0; i < row->n; i++) {
        char *f = trim(row->field[i]);
        if (i == 0 && (unsigned char)f[0] == 0xEF && (unsigned char)f[1] == 0xBB &&
            (unsigned char)f[2] == 0xBF)
            f += 3;
        lower(f);
        if (strcmp(f, header_names[i]) != 0)
            return false;
    }
    return true;
}

/* Class name -> match status (finding classes), or a geometry issue name. */
static bool
parse_class(const char *s, struct lr_correction *c)
{
    c->cls = -1;
    c->issue_cls = false;
    if (!*s)
        return true;
    for (int i = LR_ST_AREA_MISMATCH; i <= LR_ST_COMMUNE_MISMATCH; i++)
        if (strcmp(s, lr_status_name((enum lr_status)i)) == 0) {
            c->cls = i;
            return true;
        }
    for (int i = 0; i < LR_IS_COUNT; i++)
        if (strcmp(s, lr_issue_name((enum lr_issue_class)i)) == 0) {
            c->issue_cls = true;
            return true;
        }
    return false;
}

static bool
parse_action(const char *s, enum lr_corr_action *a)
{
    static const char *const names[] = { "accept", "link", "unlink" };

    for (size_t i = 0; i < LR_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0) {
            *a = (enum lr_corr_action)i;
            return true;
        }
    return false;
}

/* Parse a key field: empty is "no key"; otherwise it must be OOOOO-S-P. */
static bool
parse_key_field(const char *s, bool *has, struct lr_key *k)
{
    *has = *s != '\0';
    return !*has || lr_key_parse_str(s, k);
}

/* Check one data row and append it. */
static enum lr_rc
add_row(struct lr_corrections *c, struct csv_row *row, struct lr_err *err)
{
    struct lr_correction x;
    char *pk = trim(row->field[0]), *rk = trim(row->field[1]);
    char *cls = trim(row->field[2]), *act = trim(row->field[3]);

    memset(&x, 0, sizeof(x));
    x.line = row->line;
    x.parcel = x.record = -1;
    lower(cls);
    lower(act);
    if (row->n < 4)
        return bad_row(c->path, x.line, err,
                       "expected 4 or 5 fields (parcel_key,record_key,class,action,note)");
    if (!parse_action(act, &x.action))
        return bad_row(c->path, x.line, err,
                       "unknown action '%.40s' (expected accept, link or unlink)", act);
    if (!parse_key_field(pk, &x.has_pkey, &x.pkey))
        return bad_row(c->path, x.line, err, "parcel_key '%.40s' is not a key like 25216-12-345",
                       pk);
    if (!parse_key_field(rk, &x.has_rkey, &x.rkey))
        return bad_row(c->path, x.line, err, "record_key '%.40s' is not a key like 25216-12-345",
                       rk);
    if (!parse_class(cls, &x))
        return bad_row(c->path, x.line, err,
                       "unknown class '%.40s' (a class of mismatches.csv, e.g. map_only)", cls);
    if (x.action == LR_CORR_ACCEPT && !cls[0])
        return bad_row(c->path, x.line, err, "accept needs the finding's class");
    if (x.action == LR_CORR_ACCEPT && !x.has_pkey && !x.has_rkey)
        return bad_row(c->path, x.line, err, "accept needs parcel_key or record_key");
    if (x.action != LR_CORR_ACCEPT && (!x.has_pkey || !x.has_rkey))
        return bad_row(c->path, x.line, err, "%s needs both parcel_key and record_key",
                       x.action == LR_CORR_LINK ? "link" : "unlink");
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        struct lr_correction *rows = realloc(c->rows, ncap * sizeof(*rows));
        if (!rows)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        c->rows = rows;
        c->cap = ncap;
    }
    c->rows[c->n++] = x;
    return LR_OK;
}

static bool
row_blank(struct csv_row *row)
{
    for (size_t i = 0; i < row->n; i++)
        if (trim(row->field[i])[0])
            return false;
    return true;
}

enum lr_rc
lr_corrections_parse(struct lr_corrections *c, const char *path, const char *text, size_t len,
                     struct lr_err *err)
{
    struct csv cur = { text, len, 0, 1 };
    struct csv_row *row = malloc(sizeof(*row));
    const char *why = NULL;
    enum lr_rc rc = LR_OK;
    int got;

    memset(c, 0, sizeof(*c));
    c->path = lr_strdup(path);
    if (!row || !c->path) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    got = csv_next(&cur, row, &why);
    if (got <= 0 || !is_header(row)) {
        rc = got < 0 ? bad_row(path, row->line, err, "%s", why)
                     : lr_err_set(err, LR_ERR_INPUT,
                                  "corrections file '%s' line 1: expected the header "
                                  "'parcel_key,record_key,class,action,note'",
                                  path);
        goto out;
    }
    while (rc == LR_OK && (got = csv_next(&cur, row, &why)) != 0) {
        if (got < 0)
            rc = bad_row(path, row->line, err, "%s", why);
        else if (!row_blank(row) && trim(row->field[0])[0] != '#')
            rc = add_row(c, row, err);
    }
out:
    free(row);
    if (rc != LR_OK)
        lr_corrections_release(c);
    return rc;
}

enum lr_rc
lr_corrections_load(struct lr_corrections *c, const char *path, struct lr_err *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long len = -1;
    enum lr_rc rc;

    memset(c, 0, sizeof(*c));
    if (f && fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (!f || len < 0 || len > CORR_MAX_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        rc = lr_err_set(err, LR_ERR_INPUT, "cannot read corrections file '%s': %s", path,
                        !f                     ? strerror(errno)
                        : len > CORR_MAX_BYTES ? "too large"
                                               : "seek failed");
        goto out;
    }
    text = malloc((size_t)len + 1);
    if (!text) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (fread(text, 1, (size_t)len, f) != (size_t)len) {
        rc = lr_err_set(err, LR_ERR_INPUT, "cannot read corrections file '%s'", path);
        goto out;
    }
    rc = lr_corrections_parse(c, path, text, (size_t)len, err);
out:
    free(text);
    if (f)
        fclose(f);
    return rc;
}

void
lr_corrections_release(struct lr_corrections *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->rows);
    free(c->pclaim);
    free(c->rclaim);
    free(c->punlink);
    memset(c, 0, sizeof(*c));
}

/* ---- resolving keys ---- */

/* Index of the one element under key in a sorted keyed array; returns how many hold it. */
static size_t
find_unique(const struct lr_keyed *a, size_t n, const struct lr_key *k, size_t *idx)
{
    uint64_t key = lr_key_pack(k);
    size_t i = lr_keyed_lower(a, n, key), j = i;

    while (j < n && a[j].key == key)
        j++;
    if (j > i)
        *idx = a[i].idx;
    return j - i;
}

/* Resolve both keys of a link/unlink row; false (why set) when either is missing or twice. */
static bool
resolve_pair(struct lr_correction *x, const struct lr_match_view *v)
{
    char k[LR_KEY_STR_MAX];
    size_t pi = 0, ri = 0, np = find_unique(v->parcels, v->n_parcels, &x->pkey, &pi);
    size_t nr = find_unique(v->records, v->n_records, &x->rkey, &ri);

    if (np != 1) {
        lr_key_format(&x->pkey, k);
        snprintf(x->why, sizeof(x->why),
                 np ? "map key %s is held by %zu parcels" : "no map parcel %s", k, np);
        return false;
    }
    if (nr != 1) {
        lr_key_format(&x->rkey, k);
        snprintf(x->why, sizeof(x->why),
                 nr ? "register key %s is held by %zu records" : "no register record %s", k, nr);
        return false;
    }
    x->parcel = (int64_t)pi;
    x->record = (int64_t)ri;
    return true;
}

/* Claim a resolved link's parcel and record unless an earlier link holds either. */
static void
resolve_link(struct lr_corrections *c, size_t row)
{
    struct lr_correction *x = &c->rows[row];
    int32_t pc = c->pclaim[x->parcel], rcl = c->rclaim[x->record];

    if (pc || rcl) {
        snprintf(x->why, sizeof(x->why), "the %s is already linked on line %d",
                 pc ? "parcel" : "record", c->rows[(pc ? pc : rcl) - 1].line);
        return;
    }
    c->pclaim[x->parcel] = c->rclaim[x->record] = (int32_t)row + 1;
}

enum lr_rc
lr_corrections_resolve(struct lr_corrections *c, const struct lr_shard *sh,
                       const struct lr_match_view *v, struct lr_err *err)
{
    c->np = sh->n_parcels;
    c->nr = sh->n_records;
    c->pclaim = calloc(c->np + 1, sizeof(*c->pclaim));
    c->rclaim = calloc(c->nr + 1, sizeof(*c->rclaim));
    c->punlink = calloc(c->np + 1, 1);
    if (!c->pclaim || !c->rclaim || !c->punlink)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->n; i++) {
        struct lr_correction *x = &c->rows[i];
        if (x->action == LR_CORR_ACCEPT && x->issue_cls)
            snprintf(x->why, sizeof(x->why),
                     "accept covers match findings only, not geometry issues");
        else if (x->action == LR_CORR_LINK && resolve_pair(x, v))
            resolve_link(c, i);
    }
    for (size_t i = 0; i < c->n; i++) {
        struct lr_correction *x = &c->rows[i];
        int32_t pc;
        if (x->action != LR_CORR_UNLINK || !resolve_pair(x, v))
            continue;
        pc = c->pclaim[x->parcel];
        if (pc && c->rows[pc - 1].record == x->record)
            snprintf(x->why, sizeof(x->why), "contradicts the link on line %d",
                     c->rows[pc - 1].line);
        else
            c->punlink[x->parcel] = 1;
    }
    return LR_OK;
}

int32_t
lr_corrections_parcel_claim(const struct lr_corrections *c, size_t i)
{
    return c && c->pclaim && i < c->np ? c->pclaim[i] : 0;
}

int32_t
lr_corrections_record_claim(const struct lr_corrections *c, size_t i)
{
    return c && c->rclaim && i < c->nr ? c->rclaim[i] : 0;
}

bool
lr_corrections_unlinked(struct lr_corrections *c, size_t p, size_t r)
{
    bool hit = false;

    if (!c || !c->punlink || p >= c->np || !c->punlink[p])
        return false;
    for (size_t i = 0; i < c->n; i++) {
        struct lr_correction *x = &c->rows[i];
        if (x->action == LR_CORR_UNLINK && !x->why[0] && x->parcel == (int64_t)p &&
            x->record == (int64_t)r) {
            x->applied = true;
            hit = true;
        }
    }
    return hit;
}

/* ---- accept ---- */

/* What an accept row or a finding is about, as mismatches.csv shows it. */
struct about {
    int cls;
    uint64_t pkey, rkey; /* packed keys, 0 for none */
    size_t row;
};

static int
cmp_about(const void *a, const void *b)
{
    const struct about *x = a, *y = b;

    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    if (x->pkey != y->pkey)
        return x->pkey < y->pkey ? -1 : 1;
    if (x->rkey != y->rkey)
        return x->rkey < y->rkey ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* The finding's keys: its record, or for a parcel finding the parcel's matched record. */
static struct about
finding_about(const struct lr_shard *sh, const struct lr_finding *f)
{
    struct about a = { (int)f->cls, 0, 0, 0 };
    int64_t rec = f->record;

    if (f->parcel >= 0) {
        a.pkey = lr_key_pack(&sh->parcels[f->parcel].key);
        if (rec < 0)
            rec = sh->parcels[f->parcel].record;
    }
    if (rec >= 0)
        a.rkey = lr_key_pack(&sh->records[rec].key);
    return a;
}

enum lr_rc
lr_corrections_accept(struct lr_corrections *c, struct lr_shard *sh, struct lr_err *err)
{
    struct about *acc = malloc((c->n + 1) * sizeof(*acc));
    size_t n = 0;

    if (!acc)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->n; i++) {
        const struct lr_correction *x = &c->rows[i];
        if (x->action != LR_CORR_ACCEPT || x->why[0])
            continue;
        acc[n++] = (struct about){ x->cls, x->has_pkey ? lr_key_pack(&x->pkey) : 0,
                                   x->has_rkey ? lr_key_pack(&x->rkey) : 0, i };
    }
    qsort(acc, n, sizeof(*acc), cmp_about);
    for (size_t i = 0; n && i < sh->n_findings; i++) {
        struct about f = finding_about(sh, &sh->findings[i]);
        size_t lo = 0, hi = n;
        f.row = 0;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_about(&acc[mid], &f) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < n && acc[lo].cls == f.cls && acc[lo].pkey == f.pkey && acc[lo].rkey == f.rkey;
             lo++) {
            sh->findings[i].acknowledged = true;
            c->rows[acc[lo].row].applied = true;
        }
    }
    free(acc);
    return LR_OK;
}

/* ---- report ---- */

static const char *
action_name(enum lr_corr_action a)
{
    return a == LR_CORR_ACCEPT ? "accept" : a == LR_CORR_LINK ? "link" : "unlink";
}

void
lr_corrections_report(const struct lr_corrections *c, struct lr_shard *sh)
{
    sh->corrections_rows += (int64_t)c->n;
    for (size_t i = 0; i < c->n; i++) {
        const struct lr_correction *x = &c->rows[i];
        char pk[LR_KEY_STR_MAX] = "-", rk[LR_KEY_STR_MAX] = "-";
        const char *why = x->why;
        if (x->applied) {
            sh->corrections_applied++;
            continue;
        }
        sh->corrections_stale++;
        if (x->has_pkey)
            lr_key_format(&x->pkey, pk);
        if (x->has_rkey)
            lr_key_format(&x->rkey, rk);
        if (!why[0])
            why = x->action == LR_CORR_ACCEPT ? "no such finding in this run"
                                              : "the parcel and the record are not matched";
        lr_log(LR_LOG_WARN, "match", NULL,
               "corrections file '%s' line %d: %s%s%s parcel %s record %s no longer applies: %s",
               c->path, x->line, action_name(x->action), x->cls >= 0 ? " " : "",
               x->cls >= 0 ? lr_status_name((enum lr_status)x->cls) : "", pk, rk, why);
    }
}
