/* warehouse.c - `landrec db init` and a run's load + publish (see warehouse.h). */
#include "warehouse.h"

#include "io.h"
#include "pg.h"
#include "warehouse_rows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCHEMA_PLACEHOLDER "@schema@"
#define DEFAULT_SCHEMA     "landrec"
#define CLEANUP_LOCK_WAIT  "5s"

/* One warehouse session. */
struct wh {
    struct lr_pg *pg;
    const char *schema; /* as configured */
    char *q;            /* quoted with PQescapeIdentifier */
};

static void
wh_release(struct wh *w)
{
    lr_pg_free(w->pg);
    free(w->q);
    memset(w, 0, sizeof(*w));
}

/* Schema names go into DDL as quoted identifiers, also inside $fn$-quoted function bodies:
 * refuse '$', control characters and names PostgreSQL would truncate. */
static enum lr_rc
check_schema_name(const char *schema, struct lr_err *err)
{
    size_t n = strlen(schema);

    if (n == 0 || n > 63)
        return lr_err_set(err, LR_ERR_CONFIG, "warehouse schema '%s' must have 1 to 63 bytes",
                          schema);
    for (const unsigned char *p = (const unsigned char *)schema; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '$')
            return lr_err_set(err, LR_ERR_CONFIG,
                              "warehouse schema '%s' must not hold '$' or control characters",
                              schema);
    return LR_OK;
}

/* Connect and take the schema's advisory lock (one landrec writer per schema at a time; the
 * lock goes with the connection). */
static enum lr_rc
wh_open(struct wh *w, const char *url, const char *schema, struct lr_err *err)
{
    char *key = lr_asprintf("landrec warehouse %s", schema);
    const char *params[1] = { key };
    char *got = NULL;
    enum lr_rc rc;

    memset(w, 0, sizeof(*w));
    w->schema = schema;
    rc = key ? check_schema_name(schema, err) : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = lr_pg_connect(url, &w->pg, err);
    if (rc == LR_OK)
        rc = lr_pg_ident(w->pg, schema, &w->q, err);
    if (rc == LR_OK)
        rc = lr_pg_value(w->pg, "SELECT pg_try_advisory_lock(hashtext($1))", 1, params,
                         "taking the warehouse lock", &got, err);
    if (rc == LR_OK && (!got || strcmp(got, "t") != 0)) {
        lr_log(LR_LOG_INFO, "warehouse", NULL,
               "another landrec is writing schema '%s'; waiting for it", schema);
        rc = lr_pg_exec(w->pg, "SELECT pg_advisory_lock(hashtext($1))", 1, params,
                        "waiting for the warehouse lock", err);
    }
    free(got);
    free(key);
    return rc;
}

/* text with @schema@ replaced by the quoted schema. Caller frees; NULL on out of memory. */
static char *
with_schema(const char *text, const char *q)
{
    struct lr_buf b;
    const char *p = text, *hit;
    bool ok = true;

    lr_buf_init(&b);
    while (ok && (hit = strstr(p, SCHEMA_PLACEHOLDER)) != NULL) {
        ok = lr_buf_add(&b, p, (size_t)(hit - p)) == LR_OK && lr_buf_adds(&b, q) == LR_OK;
        p = hit + strlen(SCHEMA_PLACEHOLDER);
    }
    ok = ok && lr_buf_adds(&b, p) == LR_OK;
    if (!ok) {
        lr_buf_release(&b);
        return NULL;
    }
    return lr_buf_detach(&b);
}

/* Run a statement template (with @schema@) taking n parameters. */
static enum lr_rc
wh_exec(struct wh *w, const char *tmpl, int n, const char *const *params, const char *what,
        struct lr_err *err)
{
    char *sql = with_schema(tmpl, w->q);
    enum lr_rc rc = sql ? lr_pg_exec(w->pg, sql, n, params, what, err)
                        : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    free(sql);
    return rc;
}

static enum lr_rc
wh_value(struct wh *w, const char *tmpl, int n, const char *const *params, const char *what,
         char **out, struct lr_err *err)
{
    char *sql = with_schema(tmpl, w->q);
    enum lr_rc rc = sql ? lr_pg_value(w->pg, sql, n, params, what, out, err)
                        : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    free(sql);
    return rc;
}

/* ---- db init ---- */

/* Version of a file "NNN_name.sql" (0 when the name has no number). */
static int
file_version(const char *name)
{
    return atoi(name);
}

static int
latest_version(void)
{
    int v = 0;

    for (const struct lr_sql_file *f = lr_sql_files; f->name; f++)
        if (file_version(f->name) > v)
            v = file_version(f->name);
    return v;
}

/* Has version v been applied? *changed when its recorded sha256 differs from text's. */
static enum lr_rc
applied(struct wh *w, bool have_table, const struct lr_sql_file *f, bool *yes, bool *changed,
        struct lr_err *err)
{
    char ver[16];
    const char *params[2] = { ver, f->text };
    char *same = NULL;
    enum lr_rc rc = LR_OK;

    *yes = *changed = false;
    if (!have_table)
        return LR_OK;
    snprintf(ver, sizeof(ver), "%d", file_version(f->name));
    rc = wh_value(w,
                  "SELECT (sha256 = encode(sha256(convert_to($2::text, 'UTF8')), 'hex'))::text "
                  "FROM @schema@.schema_version WHERE version = $1::integer",
                  2, params, "reading the schema version", &same, err);
    if (rc == LR_OK && same) {
        *yes = true;
        *changed = strcmp(same, "true") != 0;
    }
    free(same);
    return rc;
}

static enum lr_rc
apply_file(struct wh *w, const struct lr_sql_file *f, struct lr_err *err)
{
    char ver[16], what[160];
    const char *params[3] = { ver, f->name, f->text };
    char *sql = with_schema(f->text, w->q);
    enum lr_rc rc;

    snprintf(ver, sizeof(ver), "%d", file_version(f->name));
    snprintf(what, sizeof(what), "applying sql/%s", f->name);
    rc = sql ? lr_pg_exec(w->pg, sql, 0, NULL, what, err)
             : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = wh_exec(w,
                     "INSERT INTO @schema@.schema_version (version, name, sha256) "
                     "VALUES ($1::integer, $2, encode(sha256(convert_to($3::text, 'UTF8')), "
                     "'hex'))",
                     3, params, "recording the schema version", err);
    free(sql);
    return rc;
}

/* Does schema.schema_version exist? */
static enum lr_rc
have_version_table(struct wh *w, bool *yes, struct lr_err *err)
{
    const char *params[1] = { w->schema };
    char *reg = NULL;
    enum lr_rc rc = lr_pg_value(w->pg, "SELECT to_regclass(format('%I.schema_version', $1::text))",
                                1, params, "looking for the warehouse schema", &reg, err);

    *yes = reg != NULL;
    free(reg);
    return rc;
}

static enum lr_rc
apply_missing(struct wh *w, struct lr_buf *done, struct lr_err *err)
{
    bool have = false, yes, changed;
    enum lr_rc rc = have_version_table(w, &have, err);

    for (const struct lr_sql_file *f = lr_sql_files; rc == LR_OK && f->name; f++) {
        if (file_version(f->name) <= 0)
            continue;
        rc = applied(w, have, f, &yes, &changed, err);
        if (rc == LR_OK && yes && changed)
            lr_log(LR_LOG_WARN, "warehouse", NULL,
                   "sql/%s changed after it was applied to schema '%s'; it is not applied again "
                   "(put changes in a new sql/NNN file)",
                   f->name, w->schema);
        if (rc != LR_OK || yes)
            continue;
        rc = apply_file(w, f, err);
        have = true;
        if (rc == LR_OK)
            lr_buf_addf(done, "%s%s", done->len ? ", " : "", f->name);
    }
    return rc;
}

enum lr_rc
lr_warehouse_init(const char *url, const char *schema, struct lr_err *err)
{
    struct wh w;
    struct lr_buf done;
    enum lr_rc rc;

    lr_buf_init(&done);
    rc = wh_open(&w, url, schema ? schema : DEFAULT_SCHEMA, err);
    if (rc == LR_OK)
        rc = lr_pg_exec(w.pg, "BEGIN", 0, NULL, "starting db init", err);
    if (rc == LR_OK)
        rc = apply_missing(&w, &done, err);
    if (rc == LR_OK)
        rc = lr_pg_exec(w.pg, "COMMIT", 0, NULL, "committing db init", err);
    if (rc == LR_OK && done.len)
        printf("warehouse schema '%s' in '%s' is at version %d; applied %s\n", w.schema,
               lr_pg_url(w.pg), latest_version(), done.data);
    else if (rc == LR_OK)
        printf("warehouse schema '%s' in '%s' is at version %d; nothing to apply\n", w.schema,
               lr_pg_url(w.pg), latest_version());
    wh_release(&w);
    lr_buf_release(&done);
    return rc;
}

/* ---- load ---- */

const char *
lr_warehouse_url(const struct lr_ctx *ctx)
{
    const char *env = getenv("LANDREC_WAREHOUSE");

    if (ctx->opts && ctx->opts->warehouse && ctx->opts->warehouse[0])
        return ctx->opts->warehouse;
    if (env && env[0])
        return env;
    if (ctx->cfg->warehouse_url && ctx->cfg->warehouse_url[0])
        return ctx->cfg->warehouse_url;
    return NULL;
}

/* The schema must be initialised at this landrec's version, with PostGIS. */
static enum lr_rc
check_ready(struct wh *w, struct lr_err *err)
{
    bool have = false;
    char *ver = NULL, *postgis = NULL;
    enum lr_rc rc = have_version_table(w, &have, err);

    if (rc == LR_OK && !have)
        rc = lr_err_set(err, LR_ERR_WAREHOUSE,
                        "warehouse '%s' has no landrec schema '%s': run 'landrec db init URL' "
                        "first",
                        lr_pg_url(w->pg), w->schema);
    if (rc == LR_OK)
        rc = lr_pg_value(w->pg, "SELECT extversion FROM pg_extension WHERE extname = 'postgis'", 0,
                         NULL, "looking for PostGIS", &postgis, err);
    if (rc == LR_OK && !postgis)
        rc = lr_err_set(err, LR_ERR_WAREHOUSE,
                        "warehouse '%s' lacks the PostGIS extension although schema '%s' "
                        "exists (dropped after db init?): a superuser must run CREATE EXTENSION "
                        "postgis (the server needs PostGIS installed); if the geometry columns "
                        "went with it, recreate the schema (DROP SCHEMA ... CASCADE, then "
                        "'landrec db init URL')",
                        lr_pg_url(w->pg), w->schema);
    if (rc == LR_OK)
        rc = wh_value(w, "SELECT max(version)::text FROM @schema@.schema_version", 0, NULL,
                      "reading the schema version", &ver, err);
    if (rc == LR_OK && (!ver || atoi(ver) != latest_version()))
        rc =
            lr_err_set(err, LR_ERR_WAREHOUSE,
                       "warehouse schema '%s' in '%s' is at version %s, this landrec needs %d: "
                       "%s",
                       w->schema, lr_pg_url(w->pg), ver ? ver : "none", latest_version(),
                       ver && atoi(ver) > latest_version() ? "a newer landrec made it; use that one"
                                                           : "run 'landrec db init URL'");
    free(ver);
    free(postgis);
    return rc;
}

/* What a load is doing, for messages and the runs row. */
struct load {
    struct lr_ctx *ctx;
    const struct lr_shard *sh;
    char *load_no;
    enum lr_copy_format fmt;
    int64_t rows[8]; /* per table, in the order loaded */
    size_t n_tables;
    int64_t total;
};

/* Create TABLE_lLOAD; *q_part gets its quoted, schema-qualified name. */
static enum lr_rc
make_part(struct wh *w, struct load *l, const char *table, char **q_part, struct lr_err *err)
{
    const char *params[4] = { w->schema, table, l->load_no, l->ctx->run_id };
    char *part = NULL, *q = NULL;
    enum lr_rc rc;

    rc = wh_value(w, "SELECT @schema@.lr_load_table($1::text, $2::text, $3::bigint, $4::text)", 4,
                  params, "creating a load table", &part, err);
    if (rc == LR_OK && !part)
        rc = lr_err_set(err, LR_ERR_WAREHOUSE, "warehouse: lr_load_table returned nothing");
    if (rc == LR_OK)
        rc = lr_pg_ident(w->pg, part, &q, err);
    if (rc == LR_OK) {
        *q_part = lr_asprintf("%s.%s", w->q, q);
        if (!*q_part)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    free(part);
    free(q);
    return rc;
}

static enum lr_rc
check_rows(const char *table, int64_t sent, int64_t stored, struct lr_err *err)
{
    if (sent == stored)
        return LR_OK;
    return lr_err_set(err, LR_ERR_WAREHOUSE,
                      "warehouse: table '%s' stored %lld rows of the %lld sent", table,
                      (long long)stored, (long long)sent);
}

/* Record a table's stored rows and say how long it took. */
static void
loaded(struct load *l, const char *table, int64_t stored, double t0)
{
    l->rows[l->n_tables++] = stored;
    lr_log(LR_LOG_DEBUG, "warehouse", NULL, "%s: %lld rows in %.3f s", table, (long long)stored,
           lr_now() - t0);
}

/* COPY one shard table into its load table. */
static enum lr_rc
load_shard_table(struct wh *w, struct load *l, struct lr_wh_rows *r, const struct lr_wh_writer *wr,
                 struct lr_err *err)
{
    char *part = NULL, *sql = NULL, what[96];
    struct lr_pg_copy c;
    int64_t stored = -1;
    double t0 = lr_now();
    enum lr_rc rc = make_part(w, l, wr->table, &part, err);

    snprintf(what, sizeof(what), "loading %s", wr->table);
    if (rc == LR_OK) {
        sql = lr_asprintf("COPY %s (%s) FROM STDIN WITH (FORMAT %s, FREEZE true)", part,
                          wr->columns, l->fmt == LR_COPY_BINARY ? "binary" : "text");
        rc = sql ? lr_pg_copy_begin(w->pg, &c, sql, l->fmt, what, err)
                 : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    if (rc == LR_OK) {
        rc = wr->write(r, &c, err);
        if (rc == LR_OK)
            rc = lr_pg_copy_end(&c, &stored, err);
        else
            lr_pg_copy_abort(&c, "landrec stopped the load");
    }
    if (rc == LR_OK)
        rc = check_rows(wr->table, (int64_t)wr->count(l->sh), stored, err);
    if (rc == LR_OK)
        loaded(l, wr->table, stored, t0);
    free(sql);
    free(part);
    return rc;
}

/* The SHA-256 SHA256SUMS lists for name in the run folder ("" when not listed). */
static enum lr_rc
listed_sum(const char *run_dir, const char *name, char hex[65], struct lr_err *err)
{
    char *path = lr_path_join(run_dir, "SHA256SUMS");
    FILE *f = path ? fopen(path, "r") : NULL;
    char line[512];
    enum lr_rc rc = LR_OK;

    hex[0] = '\0';
    if (!f) {
        rc = lr_err_set(err, LR_ERR_IO, "cannot read '%s': %s", path ? path : "SHA256SUMS",
                        strerror(errno));
        free(path);
        return rc;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strlen(line) > 66 && strcmp(line + 66, name) == 0 && line[64] == ' ') {
            memcpy(hex, line, 64);
            hex[64] = '\0';
        }
    }
    fclose(f);
    free(path);
    return rc;
}

/* The file is the one SHA256SUMS lists: it goes into the warehouse as checked. */
static enum lr_rc
check_file(const char *run_dir, const char *name, const char *path, struct lr_err *err)
{
    char want[65], got[65];
    enum lr_rc rc = listed_sum(run_dir, name, want, err);

    if (rc == LR_OK)
        rc = lr_io_sha256_file(path, got, err);
    if (rc == LR_OK && strcmp(want, got) != 0)
        rc = lr_err_set(err, LR_ERR_IO,
                        "'%s' does not match its line in SHA256SUMS: not loading it into the "
                        "warehouse",
                        path);
    return rc;
}

static enum lr_rc
stream_file(struct lr_pg_copy *c, const char *path, struct lr_err *err)
{
    enum { BLOCK = 256 * 1024 };
    FILE *f = fopen(path, "rb");
    char *block = malloc(BLOCK);
    size_t n;
    enum lr_rc rc = LR_OK;

    if (!f || !block) {
        rc = !block ? lr_err_set(err, LR_ERR_NOMEM, "out of memory")
                    : lr_err_set(err, LR_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    while (rc == LR_OK && (n = fread(block, 1, BLOCK, f)) > 0)
        rc = lr_pg_copy_raw(c, block, n, err);
    if (rc == LR_OK && ferror(f))
        rc = lr_err_set(err, LR_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
out:
    if (f)
        fclose(f);
    free(block);
    return rc;
}

/* COPY a CSV of the run folder (header checked against the columns on PostgreSQL 15+). */
static enum lr_rc
load_csv(struct wh *w, struct load *l, const char *table, const char *file, const char *columns,
         int64_t expected, struct lr_err *err)
{
    char *path = lr_path_join(l->ctx->run_dir, file), *part = NULL, *sql = NULL, what[96];
    struct lr_pg_copy c;
    int64_t stored = -1;
    double t0 = lr_now();
    enum lr_rc rc = path ? check_file(l->ctx->run_dir, file, path, err)
                         : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    snprintf(what, sizeof(what), "loading %s", file);
    if (rc == LR_OK)
        rc = make_part(w, l, table, &part, err);
    if (rc == LR_OK) {
        sql = lr_asprintf("COPY %s (%s) FROM STDIN WITH (FORMAT csv, HEADER %s, FREEZE true)", part,
                          columns, lr_pg_server_version(w->pg) >= 150000 ? "MATCH" : "true");
        rc = sql ? lr_pg_copy_begin(w->pg, &c, sql, LR_COPY_CSV, what, err)
                 : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    if (rc == LR_OK) {
        rc = stream_file(&c, path, err);
        rc = rc == LR_OK ? lr_pg_copy_end(&c, &stored, err)
                         : (lr_pg_copy_abort(&c, "landrec stopped the load"), rc);
    }
    if (rc == LR_OK)
        rc = check_rows(table, expected, stored, err);
    if (rc == LR_OK)
        loaded(l, table, stored, t0);
    free(sql);
    free(part);
    free(path);
    return rc;
}

static const char extract_columns[] =
    "new_commune, new_commune_name, old_commune, sheet, parcel, parcel_key, address, land_use, "
    "area_m2, area_source, price_zone, position, unit_price_vnd, value_vnd, tax_vnd, owner_name, "
    "owner_id, certificate, status";
static const char findings_columns[] = "parcel_key, record_key, class, detail, acknowledged";

/* Rows the extract stage wrote to tax_extract.csv. */
static int64_t
extract_rows(const struct lr_shard *sh)
{
    for (size_t i = 0; i < sh->n_stages; i++)
        if (sh->stages[i].name && strcmp(sh->stages[i].name, "extract") == 0)
            return sh->stages[i].out;
    return -1;
}

/* Attach every load table (builds their indexes); still invisible to the views. */
static enum lr_rc
attach_all(struct wh *w, struct load *l, struct lr_err *err)
{
    static const char *const tables[] = { "parcels", "issues",           "register_only",
                                          "lineage", "tax_extract_rows", "findings" };
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < LR_ARRAY_LEN(tables); i++) {
        const char *params[3] = { w->schema, tables[i], l->load_no };
        double t0 = lr_now();
        rc = wh_exec(w, "SELECT @schema@.lr_attach_table($1::text, $2::text, $3::bigint)", 3,
                     params, "attaching a load table", err);
        lr_log(LR_LOG_DEBUG, "warehouse", NULL, "%s: attached (indexes, statistics) in %.3f s",
               tables[i], lr_now() - t0);
    }
    return rc;
}

/* Transaction 1: COPY everything into new tables of a new load and attach them. */
static enum lr_rc
load_run(struct wh *w, struct load *l, struct lr_err *err)
{
    const char *params[2] = { NULL, l->ctx->run_id };
    struct lr_wh_rows r = { .sh = l->sh, .geom = l->ctx->geom };
    const char *pause = getenv("LANDREC_TEST_PAUSE_LOAD");
    enum lr_rc rc = lr_pg_exec(w->pg, "BEGIN", 0, NULL, "starting the load", err);

    lr_buf_init(&r.ewkb);
    r.pause_seconds = pause ? atoi(pause) : 0;
    if (rc == LR_OK)
        rc = wh_value(w, "SELECT nextval('@schema@.load_seq')::text", 0, NULL, "numbering the load",
                      &l->load_no, err);
    params[0] = l->load_no;
    if (rc == LR_OK)
        rc = wh_exec(w, "INSERT INTO @schema@.loads (load_no, run_id) VALUES ($1::bigint, $2)", 2,
                     params, "recording the load", err);
    for (const struct lr_wh_writer *wr = lr_wh_writers; rc == LR_OK && wr->table; wr++)
        rc = load_shard_table(w, l, &r, wr, err);
    if (rc == LR_OK)
        rc = load_csv(w, l, "tax_extract_rows", "tax_extract.csv", extract_columns,
                      extract_rows(l->sh), err);
    if (rc == LR_OK)
        rc = load_csv(w, l, "findings", "mismatches.csv", findings_columns,
                      (int64_t)(l->sh->n_findings + l->sh->n_issues), err);
    if (rc == LR_OK)
        rc = attach_all(w, l, err);
    if (rc == LR_OK)
        rc = lr_pg_exec(w->pg, "COMMIT", 0, NULL, "committing the load", err);
    for (size_t i = 0; i < l->n_tables; i++)
        l->total += l->rows[i];
    lr_buf_release(&r.ewkb);
    return rc;
}

/* The runs row's counts as JSON. */
static char *
counts_json(const struct load *l)
{
    static const char *const names[] = { "parcels", "issues",      "register_only",
                                         "lineage", "tax_extract", "findings" };
    struct lr_buf b;

    lr_buf_init(&b);
    lr_buf_addc(&b, '{');
    for (size_t i = 0; i < l->n_tables && i < LR_ARRAY_LEN(names); i++)
        lr_buf_addf(&b, "%s\"%s\": %lld", i ? ", " : "", names[i], (long long)l->rows[i]);
    if (lr_buf_addc(&b, '}') != LR_OK) {
        lr_buf_release(&b);
        return NULL;
    }
    return lr_buf_detach(&b);
}

/* Transaction 2: the published run becomes this load (the views switch at COMMIT). */
static enum lr_rc
publish_run(struct wh *w, struct load *l, struct lr_err *err)
{
    char sha[65];
    char *counts = counts_json(l);
    const char *params[6] = {
        l->ctx->run_id, l->load_no, l->ctx->started, sha, LR_VERSION, counts
    };
    enum lr_rc rc = counts ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    lr_io_sha256_hex(l->ctx->cfg->sha256, sha);
    if (rc == LR_OK)
        rc = lr_pg_exec(w->pg, "BEGIN", 0, NULL, "starting the publish", err);
    if (rc == LR_OK)
        rc = wh_exec(w,
                     "UPDATE @schema@.runs SET status = 'superseded' "
                     "WHERE status = 'published' AND run_id <> $1",
                     1, params, "publishing the run", err);
    if (rc == LR_OK)
        rc = wh_exec(
            w,
            "INSERT INTO @schema@.runs (run_id, load_no, status, started, finished, "
            "config_sha256, landrec_version, counts, loaded_at, published_at) "
            "SELECT $1, $2::bigint, 'published', $3::timestamptz, now(), $4, $5, $6::jsonb, "
            "d.loaded_at, now() FROM @schema@.loads AS d WHERE d.load_no = $2::bigint "
            "ON CONFLICT (run_id) DO UPDATE SET load_no = EXCLUDED.load_no, status = 'published', "
            "started = EXCLUDED.started, finished = EXCLUDED.finished, "
            "config_sha256 = EXCLUDED.config_sha256, landrec_version = EXCLUDED.landrec_version, "
            "counts = EXCLUDED.counts, loaded_at = EXCLUDED.loaded_at, "
            "published_at = EXCLUDED.published_at",
            6, params, "publishing the run", err);
    if (rc == LR_OK)
        rc = wh_exec(w,
                     "INSERT INTO @schema@.published (only_row, run_id, load_no, published_at) "
                     "VALUES (true, $1, $2::bigint, now()) ON CONFLICT (only_row) DO UPDATE SET "
                     "run_id = EXCLUDED.run_id, load_no = EXCLUDED.load_no, "
                     "published_at = EXCLUDED.published_at",
                     2, params, "publishing the run", err);
    if (rc == LR_OK)
        rc = lr_pg_exec(w->pg, "COMMIT", 0, NULL, "committing the publish", err);
    free(counts);
    return rc;
}

/* Transaction 3: drop replaced, orphaned and expired loads. Dropping a partition waits for
 * readers of the table; after CLEANUP_LOCK_WAIT it gives up until the next run (a warning, not
 * an error: the publish is done). */
static void
cleanup(struct wh *w, const struct lr_config *cfg)
{
    char keep[16], *dropped = NULL;
    const char *params[2] = { w->schema, keep };
    struct lr_err err = { LR_OK, "" };
    enum lr_rc rc;

    snprintf(keep, sizeof(keep), "%d", (int)cfg->warehouse_retention_runs);
    rc = lr_pg_exec(w->pg, "BEGIN; SET LOCAL lock_timeout = '" CLEANUP_LOCK_WAIT "'", 0, NULL,
                    "starting the cleanup", &err);
    if (rc == LR_OK)
        rc = wh_value(w, "SELECT @schema@.lr_cleanup($1::text, $2::integer)::text", 2, params,
                      "dropping old loads", &dropped, &err);
    if (rc == LR_OK)
        rc = lr_pg_exec(w->pg, "COMMIT", 0, NULL, "committing the cleanup", &err);
    if (rc == LR_OK && dropped && atoi(dropped) > 0)
        lr_log(LR_LOG_INFO, "warehouse", NULL, "dropped %s old load(s)", dropped);
    if (rc != LR_OK)
        lr_log(LR_LOG_WARN, "warehouse", NULL, "old loads stay until the next run: %s", err.msg);
    free(dropped);
}

/* Append to the recorded message (lr_err keeps the first error; this completes it). */
static void
err_append(struct lr_err *err, const char *text)
{
    size_t len = strlen(err->msg);

    snprintf(err->msg + len, sizeof(err->msg) - len, "%s", text);
}

static enum lr_copy_format
copy_format(void)
{
    const char *f = getenv("LANDREC_COPY_FORMAT");

    return f && strcmp(f, "text") == 0 ? LR_COPY_TEXT : LR_COPY_BINARY;
}

static enum lr_rc
check_target_crs(const struct lr_config *cfg, struct lr_err *err)
{
    if (cfg->target_crs && strcasecmp(cfg->target_crs, "EPSG:5899") == 0)
        return LR_OK;
    return lr_err_set(err, LR_ERR_WAREHOUSE,
                      "the warehouse's geometry columns are EPSG:5899 but target_crs is '%s': "
                      "set target_crs to EPSG:5899 or run without a warehouse",
                      cfg->target_crs ? cfg->target_crs : "");
}

enum lr_rc
lr_warehouse_publish(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_err *err)
{
    const char *url = lr_warehouse_url(ctx);
    struct load l = { .ctx = ctx, .sh = sh, .fmt = copy_format() };
    struct wh w = { 0 };
    double t0 = lr_now(), t1 = t0, t2;
    bool published = false;
    enum lr_rc rc;

    if (!url)
        return LR_OK;
    rc = check_target_crs(ctx->cfg, err);
    if (rc == LR_OK)
        rc = wh_open(&w, url, ctx->cfg->warehouse_schema, err);
    if (rc == LR_OK) {
        lr_log(LR_LOG_INFO, "warehouse", NULL, "loading run '%s' into '%s' schema '%s' (%s COPY)",
               ctx->run_id, lr_pg_url(w.pg), w.schema, l.fmt == LR_COPY_BINARY ? "binary" : "text");
        rc = check_ready(&w, err);
    }
    if (rc == LR_OK)
        rc = load_run(&w, &l, err);
    t1 = lr_now();
    if (rc == LR_OK) {
        lr_log(LR_LOG_INFO, "warehouse", NULL,
               "loaded %lld rows (%lld parcels) as load %s in %.3f s: %.0f parcels/s",
               (long long)l.total, (long long)l.rows[0], l.load_no, t1 - t0,
               t1 > t0 ? (double)l.rows[0] / (t1 - t0) : 0.0);
        rc = publish_run(&w, &l, err);
    }
    t2 = lr_now();
    if (rc == LR_OK) {
        published = true;
        lr_log(LR_LOG_INFO, "warehouse", NULL, "published run '%s' in %.1f ms", ctx->run_id,
               (t2 - t1) * 1000);
        cleanup(&w, ctx->cfg);
    }
    if (!published && rc != LR_OK)
        err_append(err, "; nothing was published: the warehouse still shows its previous run "
                        "and OUTPUT/latest was not switched");
    free(l.load_no);
    wh_release(&w);
    return rc;
}
