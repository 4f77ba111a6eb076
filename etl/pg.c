/* pg.c - libpq wrapper (see pg.h). */
#include "pg.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BLOCK (256 * 1024)

struct lr_pg {
    PGconn *conn;
    char *masked; /* url with the password hidden */
};

/* ---- url masking ---- */

static bool
has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* URI: hide user:PASSWORD@ and password=VALUE in the query. */
static void
mask_uri(const char *url, struct lr_buf *b)
{
    const char *auth = strstr(url, "://") + 3;
    size_t auth_len = strcspn(auth, "/?");
    const char *at = NULL, *colon = NULL, *q;

    for (const char *p = auth; p < auth + auth_len; p++)
        if (*p == '@')
            at = p;
    for (const char *p = auth; at && p < at; p++)
        if (*p == ':') {
            colon = p;
            break;
        }
    if (colon) {
        lr_buf_add(b, url, (size_t)(colon + 1 - url));
        lr_buf_adds(b, "***");
        url = at;
    }
    q = strchr(url, '?');
    if (!q) {
        lr_buf_adds(b, url);
        return;
    }
    lr_buf_add(b, url, (size_t)(q + 1 - url));
    for (const char *p = q + 1; *p;) {
        size_t n = strcspn(p, "&");
        if (n >= 9 && strncmp(p, "password=", 9) == 0)
            lr_buf_adds(b, "password=***");
        else
            lr_buf_add(b, p, n);
        p += n;
        if (*p == '&')
            lr_buf_addc(b, *p++);
    }
}

/* key=value string: hide the value of password (quoted values may hold spaces and \'). */
static void
mask_conninfo(const char *s, struct lr_buf *b)
{
    const char *p = s;

    while (*p) {
        const char *key = p, *val;
        size_t klen;

        while (*p && !isspace((unsigned char)*p) && *p != '=')
            p++;
        klen = (size_t)(p - key);
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '=') {
            lr_buf_add(b, key, (size_t)(p - key));
            if (p == key && *p)
                lr_buf_addc(b, *p++);
            continue;
        }
        p++;
        while (isspace((unsigned char)*p))
            p++;
        val = p;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else {
            while (*p && !isspace((unsigned char)*p))
                p++;
        }
        lr_buf_add(b, key, (size_t)(val - key));
        if (klen == 8 && strncmp(key, "password", 8) == 0)
            lr_buf_adds(b, "***");
        else
            lr_buf_add(b, val, (size_t)(p - val));
        while (isspace((unsigned char)*p))
            lr_buf_addc(b, *p++);
    }
}

char *
lr_pg_mask_url(const char *url)
{
    struct lr_buf b;

    lr_buf_init(&b);
    if (!url)
        url = "";
    if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://"))
        mask_uri(url, &b);
    else
        mask_conninfo(url, &b);
    if (lr_buf_add(&b, "", 0) != LR_OK) { /* make sure data exists even for "" */
        lr_buf_release(&b);
        return NULL;
    }
    return lr_buf_detach(&b);
}

/* ---- errors ---- */

/* Collapse libpq's multi-line text into one line without the trailing newline. */
static void
one_line(const char *in, char *out, size_t size)
{
    size_t j = 0;
    bool space = false;

    for (const char *p = in ? in : ""; *p && j + 1 < size; p++) {
        if (isspace((unsigned char)*p)) {
            space = j > 0;
            continue;
        }
        if (space && j + 2 < size)
            out[j++] = ' ';
        space = false;
        out[j++] = *p;
    }
    out[j] = '\0';
}

/* What to do about an error, by SQLSTATE (or by the connection's state when there is none). */
static const char *
advice(const char *state, const PGconn *conn)
{
    static const struct {
        const char *prefix, *text;
    } table[] = {
        { "53100", "the database server's disk is full: free space on the server and run again" },
        { "53", "the database server ran out of resources" },
        { "57P01",
          "the server ended the connection (terminated by an administrator or shut down)" },
        { "57P", "the server is shutting down or restarting" },
        { "08", "the connection to the server was lost" },
        { "28", "check the user and password (prefer ~/.pgpass or PGPASSWORD to a password in "
                "the URL)" },
        { "42501", "the role lacks a privilege: run 'landrec db init' as the schema's owner or a "
                   "superuser" },
        { "3F000", "the warehouse schema is missing: run 'landrec db init URL' first" },
        { "42P01", "a warehouse table is missing: run 'landrec db init URL' first" },
        { "42883", "a warehouse function is missing: run 'landrec db init URL' first" },
        { "58P01", "a server file is missing: is PostGIS installed on the server "
                   "(Debian: postgresql-15-postgis-3)?" },
        { "0A000", "is PostGIS installed on the server (Debian: postgresql-15-postgis-3)?" },
    };

    if (!state || !*state)
        return PQstatus(conn) == CONNECTION_BAD ? "the connection to the server was lost" : NULL;
    for (size_t i = 0; i < LR_ARRAY_LEN(table); i++)
        if (has_prefix(state, table[i].prefix))
            return table[i].text;
    return NULL;
}

/* Record the failure of step what from res (or the connection's message when res has none),
 * with what to do about it. */
static enum lr_rc
pg_fail(struct lr_pg *pg, const PGresult *res, const char *what, struct lr_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *todo = advice(state, pg->conn);
    char msg[400], hint1[200];

    one_line(primary ? primary : PQerrorMessage(pg->conn), msg, sizeof(msg));
    one_line(hint, hint1, sizeof(hint1));
    return lr_err_set(err, LR_ERR_WAREHOUSE, "warehouse '%s': %s failed: %s%s%s%s%s%s%s%s",
                      pg->masked, what, msg[0] ? msg : "unknown error", state ? " (SQLSTATE " : "",
                      state ? state : "", state ? ")" : "", hint1[0] ? "; hint: " : "", hint1,
                      todo ? "; " : "", todo ? todo : "");
}

static void
on_notice(void *arg, const char *message)
{
    char line[400];

    (void)arg;
    one_line(message, line, sizeof(line));
    lr_log(LR_LOG_DEBUG, "warehouse", NULL, "server: %s", line);
}

/* ---- connections ---- */

static const char *
connect_advice(const char *msg)
{
    if (strstr(msg, "password"))
        return "check the user and password (prefer ~/.pgpass or PGPASSWORD to a password in the "
               "URL)";
    if (strstr(msg, "does not exist"))
        return "check the database and user names in the URL";
    return "check that the server is running and that the URL's host, port and database are "
           "right";
}

enum lr_rc
lr_pg_connect(const char *url, struct lr_pg **out, struct lr_err *err)
{
    const char *keys[] = { "connect_timeout", "application_name", "dbname", "client_encoding",
                           NULL };
    const char *vals[] = { "10", "landrec", url, "UTF8", NULL };
    struct lr_pg *pg = calloc(1, sizeof(*pg));
    char msg[400];
    enum lr_rc rc = LR_OK;

    if (!pg || !(pg->masked = lr_pg_mask_url(url))) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    pg->conn = PQconnectdbParams(keys, vals, 1);
    if (!pg->conn) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        one_line(PQerrorMessage(pg->conn), msg, sizeof(msg));
        rc = lr_err_set(err, LR_ERR_WAREHOUSE, "cannot connect to the warehouse '%s': %s; %s",
                        pg->masked, msg, connect_advice(msg));
        goto out;
    }
    PQsetNoticeProcessor(pg->conn, on_notice, NULL);
    *out = pg;
    pg = NULL;
out:
    lr_pg_free(pg);
    return rc;
}

void
lr_pg_free(struct lr_pg *pg)
{
    if (!pg)
        return;
    if (pg->conn)
        PQfinish(pg->conn);
    free(pg->masked);
    free(pg);
}

const char *
lr_pg_url(const struct lr_pg *pg)
{
    return pg->masked;
}

int
lr_pg_server_version(const struct lr_pg *pg)
{
    return PQserverVersion(pg->conn);
}

enum lr_rc
lr_pg_ident(struct lr_pg *pg, const char *name, char **out, struct lr_err *err)
{
    char *q = PQescapeIdentifier(pg->conn, name, strlen(name));
    char msg[200];

    if (!q) {
        one_line(PQerrorMessage(pg->conn), msg, sizeof(msg));
        return lr_err_set(err, LR_ERR_WAREHOUSE, "cannot quote the identifier '%s': %s", name, msg);
    }
    *out = strdup(q);
    PQfreemem(q);
    return *out ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
}

/* ---- statements ---- */

static enum lr_rc
run(struct lr_pg *pg, const char *sql, int n, const char *const *params, const char *what,
    PGresult **out, struct lr_err *err)
{
    PGresult *res = n == 0 ? PQexec(pg->conn, sql)
                           : PQexecParams(pg->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    enum lr_rc rc = LR_OK;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_fail(pg, res, what, err);
        PQclear(res);
        return rc;
    }
    *out = res;
    return rc;
}

enum lr_rc
lr_pg_exec(struct lr_pg *pg, const char *sql, int n, const char *const *params, const char *what,
           struct lr_err *err)
{
    PGresult *res = NULL;
    enum lr_rc rc = run(pg, sql, n, params, what, &res, err);

    PQclear(res);
    return rc;
}

enum lr_rc
lr_pg_value(struct lr_pg *pg, const char *sql, int n, const char *const *params, const char *what,
            char **out, struct lr_err *err)
{
    PGresult *res = NULL;
    enum lr_rc rc = run(pg, sql, n, params, what, &res, err);

    *out = NULL;
    if (rc == LR_OK && PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
        *out = strdup(PQgetvalue(res, 0, 0));
        if (!*out)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    PQclear(res);
    return rc;
}

/* ---- COPY ---- */

static void
put_be(struct lr_pg_copy *c, uint64_t v, int bytes)
{
    char b[8];

    for (int i = 0; i < bytes; i++)
        b[i] = (char)(v >> (8 * (bytes - 1 - i)));
    if (lr_buf_add(&c->buf, b, (size_t)bytes) != LR_OK)
        c->nomem = true;
}

static void
add(struct lr_pg_copy *c, const char *s, size_t n)
{
    if (lr_buf_add(&c->buf, s, n) != LR_OK)
        c->nomem = true;
}

enum lr_rc
lr_pg_copy_begin(struct lr_pg *pg, struct lr_pg_copy *c, const char *sql, enum lr_copy_format fmt,
                 const char *what, struct lr_err *err)
{
    static const char header[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    PGresult *res = PQexec(pg->conn, sql);
    enum lr_rc rc = LR_OK;

    memset(c, 0, sizeof(*c));
    c->pg = pg;
    c->fmt = fmt;
    c->what = what;
    lr_buf_init(&c->buf);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        rc = pg_fail(pg, res, what, err);
    PQclear(res);
    if (rc == LR_OK && fmt == LR_COPY_BINARY)
        add(c, header, sizeof(header) - 1); /* signature, flags, header extension length */
    if (rc == LR_OK && c->nomem)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc != LR_OK)
        lr_buf_release(&c->buf);
    return rc;
}

void
lr_pg_copy_row(struct lr_pg_copy *c, int nfields)
{
    c->fields = 0;
    if (c->fmt == LR_COPY_BINARY)
        put_be(c, (uint16_t)nfields, 2);
}

/* Text format: the field separator before every field but the first. */
static void
text_sep(struct lr_pg_copy *c)
{
    if (c->fields++ > 0)
        add(c, "\t", 1);
}

static void
put_null(struct lr_pg_copy *c)
{
    if (c->fmt == LR_COPY_BINARY) {
        c->fields++;
        put_be(c, 0xFFFFFFFFu, 4);
    } else {
        text_sep(c);
        add(c, "\\N", 2);
    }
}

void
lr_pg_copy_text(struct lr_pg_copy *c, const char *s)
{
    size_t n;

    if (!s) {
        put_null(c);
        return;
    }
    n = strlen(s);
    if (c->fmt == LR_COPY_BINARY) {
        c->fields++;
        put_be(c, (uint32_t)n, 4);
        add(c, s, n);
        return;
    }
    text_sep(c);
    for (const char *p = s; *p;) {
        size_t run_len = strcspn(p, "\\\t\n\r");
        add(c, p, run_len);
        p += run_len;
        if (!*p)
            break;
        add(c, *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n" : "\\r", 2);
        p++;
    }
}

void
lr_pg_copy_int4(struct lr_pg_copy *c, int32_t v, bool present)
{
    char t[16];

    if (!present) {
        put_null(c);
        return;
    }
    if (c->fmt == LR_COPY_BINARY) {
        c->fields++;
        put_be(c, 4, 4);
        put_be(c, (uint32_t)v, 4);
        return;
    }
    text_sep(c);
    add(c, t, (size_t)snprintf(t, sizeof(t), "%d", (int)v));
}

void
lr_pg_copy_int8(struct lr_pg_copy *c, int64_t v, bool present)
{
    char t[24];

    if (!present) {
        put_null(c);
        return;
    }
    if (c->fmt == LR_COPY_BINARY) {
        c->fields++;
        put_be(c, 8, 4);
        put_be(c, (uint64_t)v, 8);
        return;
    }
    text_sep(c);
    add(c, t, (size_t)snprintf(t, sizeof(t), "%lld", (long long)v));
}

/* numeric's binary form: ndigits, weight, sign, dscale, then base-10000 digits (most
 * significant first) of units / 10^scale. */
static void
put_numeric(struct lr_pg_copy *c, int64_t units, int scale)
{
    static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000 };
    uint64_t mag = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
    uint64_t ip = mag / pow10[scale], frac = (mag % pow10[scale]) * pow10[4 - scale];
    uint16_t digits[8];
    int nint = 0, nd;

    for (uint64_t v = ip; v > 0; v /= 10000)
        nint++;
    for (int i = nint - 1, j = 0; i >= 0; i--, j++) {
        uint64_t v = ip;
        for (int k = 0; k < i; k++)
            v /= 10000;
        digits[j] = (uint16_t)(v % 10000);
    }
    nd = nint;
    if (frac)
        digits[nd++] = (uint16_t)frac;
    while (nd > 0 && digits[nd - 1] == 0)
        nd--;
    put_be(c, (uint32_t)(8 + 2 * nd), 4);
    put_be(c, (uint16_t)nd, 2);
    put_be(c, (uint16_t)(nd ? nint - 1 : 0), 2);
    put_be(c, units < 0 ? 0x4000 : 0, 2);
    put_be(c, (uint16_t)scale, 2);
    for (int i = 0; i < nd; i++)
        put_be(c, digits[i], 2);
}

void
lr_pg_copy_decimal(struct lr_pg_copy *c, int64_t units, int scale, bool present)
{
    char t[32];
    uint64_t mag = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
    uint64_t p = 1;

    if (!present || scale < 0 || scale > 4) {
        put_null(c);
        return;
    }
    if (c->fmt == LR_COPY_BINARY) {
        c->fields++;
        put_numeric(c, units, scale);
        return;
    }
    for (int i = 0; i < scale; i++)
        p *= 10;
    text_sep(c);
    if (scale == 0)
        add(c, t,
            (size_t)snprintf(t, sizeof(t), "%s%llu", units < 0 ? "-" : "",
                             (unsigned long long)mag));
    else
        add(c, t,
            (size_t)snprintf(t, sizeof(t), "%s%llu.%0*llu", units < 0 ? "-" : "",
                             (unsigned long long)(mag / p), scale, (unsigned long long)(mag % p)));
}

void
lr_pg_copy_bool(struct lr_pg_copy *c, bool v)
{
    if (c->fmt == LR_COPY_BINARY) {
        c->fields++;
        put_be(c, 1, 4);
        add(c, v ? "\1" : "\0", 1);
        return;
    }
    text_sep(c);
    add(c, v ? "t" : "f", 1);
}

void
lr_pg_copy_ewkb(struct lr_pg_copy *c, const unsigned char *ewkb, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    char hex[512];
    size_t k = 0;

    if (!ewkb) {
        put_null(c);
        return;
    }
    if (c->fmt == LR_COPY_BINARY) {
        c->fields++;
        put_be(c, (uint32_t)n, 4);
        add(c, (const char *)ewkb, n);
        return;
    }
    text_sep(c);
    for (size_t i = 0; i < n; i++) {
        hex[k++] = digits[ewkb[i] >> 4];
        hex[k++] = digits[ewkb[i] & 15];
        if (k == sizeof(hex)) {
            add(c, hex, k);
            k = 0;
        }
    }
    add(c, hex, k);
}

static enum lr_rc
send_buf(struct lr_pg_copy *c, struct lr_err *err)
{
    if (c->buf.len == 0)
        return LR_OK;
    if (PQputCopyData(c->pg->conn, c->buf.data, (int)c->buf.len) != 1)
        return pg_fail(c->pg, NULL, c->what, err);
    lr_buf_reset(&c->buf);
    return LR_OK;
}

enum lr_rc
lr_pg_copy_row_end(struct lr_pg_copy *c, struct lr_err *err)
{
    if (c->fmt != LR_COPY_BINARY)
        add(c, "\n", 1);
    if (c->nomem)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    c->rows++;
    return c->buf.len >= COPY_BLOCK ? send_buf(c, err) : LR_OK;
}

enum lr_rc
lr_pg_copy_raw(struct lr_pg_copy *c, const char *data, size_t n, struct lr_err *err)
{
    add(c, data, n);
    if (c->nomem)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return c->buf.len >= COPY_BLOCK ? send_buf(c, err) : LR_OK;
}

enum lr_rc
lr_pg_copy_flush(struct lr_pg_copy *c, struct lr_err *err)
{
    enum lr_rc rc = send_buf(c, err);

    if (rc == LR_OK && PQflush(c->pg->conn) != 0)
        rc = pg_fail(c->pg, NULL, c->what, err);
    return rc;
}

bool
lr_pg_copy_alive(struct lr_pg_copy *c)
{
    return PQconsumeInput(c->pg->conn) == 1 && PQstatus(c->pg->conn) == CONNECTION_OK;
}

/* Collect the COPY's results; the first one tells how it went. */
static enum lr_rc
copy_result(struct lr_pg_copy *c, int64_t *rows, struct lr_err *err)
{
    PGresult *res;
    enum lr_rc rc = LR_OK;
    bool first = true;

    while ((res = PQgetResult(c->pg->conn)) != NULL) {
        if (first && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_fail(c->pg, res, c->what, err);
        else if (first && rows)
            *rows = strtoll(PQcmdTuples(res), NULL, 10);
        first = false;
        PQclear(res);
    }
    if (first && rc == LR_OK)
        rc = pg_fail(c->pg, NULL, c->what, err);
    return rc;
}

enum lr_rc
lr_pg_copy_end(struct lr_pg_copy *c, int64_t *rows, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    if (c->fmt == LR_COPY_BINARY)
        put_be(c, 0xFFFF, 2);
    if (c->nomem)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = send_buf(c, err);
    if (rc != LR_OK) {
        lr_pg_copy_abort(c, "landrec stopped the load");
        return rc;
    }
    if (PQputCopyEnd(c->pg->conn, NULL) != 1)
        rc = pg_fail(c->pg, NULL, c->what, err);
    if (rc == LR_OK)
        rc = copy_result(c, rows, err);
    lr_buf_release(&c->buf);
    return rc;
}

void
lr_pg_copy_abort(struct lr_pg_copy *c, const char *why)
{
    PGresult *res;

    if (c->pg && c->pg->conn && PQstatus(c->pg->conn) == CONNECTION_OK &&
        PQputCopyEnd(c->pg->conn, why) == 1)
        while ((res = PQgetResult(c->pg->conn)) != NULL)
            PQclear(res);
    lr_buf_release(&c->buf);
}
