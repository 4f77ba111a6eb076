/* warehouse_rows.c - COPY rows of the shard's tables (see warehouse_rows.h). */
#include "warehouse_rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EWKB_SRID_FLAG 0x20000000u

/* ---- EWKB ---- */

static uint32_t
get_u32(const unsigned char *p, bool le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static void
put_u32(unsigned char *p, uint32_t v, bool le)
{
    for (int i = 0; i < 4; i++)
        p[le ? i : 3 - i] = (unsigned char)(v >> (8 * i));
}

bool
lr_wh_ewkb(const unsigned char *wkb, size_t n, int32_t srid, struct lr_buf *out)
{
    unsigned char head[9];
    bool le;
    uint32_t type;

    if (n < 5 || wkb[0] > 1)
        return false;
    le = wkb[0] == 1;
    type = get_u32(wkb + 1, le);
    head[0] = wkb[0];
    put_u32(head + 1, type | EWKB_SRID_FLAG, le);
    put_u32(head + 5, (uint32_t)srid, le);
    lr_buf_reset(out);
    if (type & EWKB_SRID_FLAG)
        return lr_buf_add(out, (const char *)wkb, n) == LR_OK;
    return lr_buf_add(out, (const char *)head, sizeof(head)) == LR_OK &&
           lr_buf_add(out, (const char *)wkb + 5, n - 5) == LR_OK;
}

/* EWKB of a point (little endian). */
static bool
ewkb_point(double x, double y, int32_t srid, struct lr_buf *out)
{
    unsigned char b[25];
    uint64_t u;

    b[0] = 1;
    put_u32(b + 1, 1u | EWKB_SRID_FLAG, true);
    put_u32(b + 5, (uint32_t)srid, true);
    memcpy(&u, &x, 8);
    put_u32(b + 9, (uint32_t)u, true);
    put_u32(b + 13, (uint32_t)(u >> 32), true);
    memcpy(&u, &y, 8);
    put_u32(b + 17, (uint32_t)u, true);
    put_u32(b + 21, (uint32_t)(u >> 32), true);
    lr_buf_reset(out);
    return lr_buf_add(out, (const char *)b, sizeof(b)) == LR_OK;
}

static int
hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* EWKB of hex WKB text. */
static bool
ewkb_hex(const char *hex, int32_t srid, struct lr_buf *out)
{
    size_t n = strlen(hex) / 2;
    unsigned char *wkb = malloc(n ? n : 1);
    bool ok = wkb && strlen(hex) % 2 == 0;

    for (size_t i = 0; ok && i < n; i++) {
        int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        if (ok)
            wkb[i] = (unsigned char)(hi << 4 | lo);
    }
    ok = ok && lr_wh_ewkb(wkb, n, srid, out);
    free(wkb);
    return ok;
}

/* ---- shared field helpers ---- */

static void
key_fields(struct lr_pg_copy *c, const struct lr_key *k, bool with_key)
{
    char key[LR_KEY_STR_MAX], commune[16];
    bool ok = k->commune >= 0;

    lr_key_format(k, key);
    snprintf(commune, sizeof(commune), "%05d", (int)k->commune);
    if (with_key)
        lr_pg_copy_text(c, ok && key[0] ? key : NULL);
    lr_pg_copy_text(c, ok ? commune : NULL);
    lr_pg_copy_int4(c, k->sheet, ok);
    lr_pg_copy_int4(c, k->parcel, ok);
}

static void
key_text(struct lr_pg_copy *c, const struct lr_key *k)
{
    char key[LR_KEY_STR_MAX];

    lr_key_format(k, key);
    lr_pg_copy_text(c, k->commune >= 0 && key[0] ? key : NULL);
}

static const char *
source_name(const struct lr_shard *sh, uint32_t input)
{
    const char *path = input < sh->n_inputs ? sh->inputs[input].path : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;

    return slash ? slash + 1 : path;
}

/* ---- parcels ---- */

static size_t
count_parcels(const struct lr_shard *sh)
{
    return sh->n_parcels;
}

/* The names of the issue classes raised on p, comma-separated, into buf ("" when none). */
static void
issue_list(uint32_t bits, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; i < LR_IS_COUNT && i < 32; i++)
        if (bits & (1u << i))
            len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? "," : "",
                                    lr_issue_name((enum lr_issue_class)i));
}

static void
parcel_match(struct lr_pg_copy *c, const struct lr_shard *sh, const struct lr_parcel *p)
{
    bool rec = p->record >= 0 && (size_t)p->record < sh->n_records;
    bool priced = p->price_vnd >= 0;

    lr_pg_copy_text(c, lr_status_name(p->status));
    lr_pg_copy_text(c, p->status == LR_ST_REJECTED ? lr_issue_name(p->reject) : NULL);
    if (rec)
        key_text(c, &sh->records[p->record].key);
    else
        lr_pg_copy_text(c, NULL);
    lr_pg_copy_decimal(c, p->confidence_pct, 2, rec);
    lr_pg_copy_decimal(c, p->area_dm2, 1, p->area_dm2 >= 0);
    lr_pg_copy_decimal(c, p->area_src_dm2, 1, p->area_src_dm2 >= 0 && p->geom);
    lr_pg_copy_decimal(c, p->area_attr_dm2, 1, p->area_attr_dm2 >= 0);
    lr_pg_copy_decimal(c, p->extract_area_dm2, 1, rec && p->extract_area_dm2 >= 0);
    lr_pg_copy_text(c, rec ? (p->area_from_register ? "register" : "map") : NULL);
    lr_pg_copy_text(c, priced ? p->zone : NULL);
    lr_pg_copy_int4(c, p->position, priced);
    lr_pg_copy_int8(c, p->price_vnd, priced);
    lr_pg_copy_int8(c, p->value_vnd, priced);
    lr_pg_copy_int8(c, p->tax_vnd, priced);
}

static enum lr_rc
parcel_geom(struct lr_wh_rows *r, struct lr_pg_copy *c, const struct lr_parcel *p,
            struct lr_err *err)
{
    unsigned char *wkb;
    size_t n = 0;

    if (!p->geom) {
        lr_pg_copy_ewkb(c, NULL, 0);
        return LR_OK;
    }
    wkb = lr_geom_to_wkb_multi(r->geom, p->geom, &n);
    if (!wkb || !lr_wh_ewkb(wkb, n, LR_WAREHOUSE_SRID, &r->ewkb)) {
        free(wkb);
        return lr_err_set(err, LR_ERR_INTERNAL,
                          "cannot encode the geometry of map feature %lld "
                          "of '%s' for the warehouse",
                          (long long)p->fid, source_name(r->sh, p->input));
    }
    free(wkb);
    lr_pg_copy_ewkb(c, (const unsigned char *)r->ewkb.data, r->ewkb.len);
    return LR_OK;
}

/* Test hook: make the server wait in the middle of the COPY. */
static enum lr_rc
test_pause(struct lr_wh_rows *r, struct lr_pg_copy *c, struct lr_err *err)
{
    enum lr_rc rc = lr_pg_copy_flush(c, err);

    if (rc != LR_OK)
        return rc;
    lr_log(LR_LOG_WARN, "warehouse", NULL,
           "test hook LANDREC_TEST_PAUSE_LOAD: pausing the load for %d s after %lld rows",
           r->pause_seconds, (long long)c->rows);
    for (int i = 0; i < 10 * r->pause_seconds && lr_pg_copy_alive(c); i++)
        usleep(100 * 1000);
    return LR_OK;
}

static enum lr_rc
write_parcels(struct lr_wh_rows *r, struct lr_pg_copy *c, struct lr_err *err)
{
    const struct lr_shard *sh = r->sh;
    enum lr_rc rc = LR_OK;
    char issues[512], commune[16];

    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];

        if (r->pause_seconds > 0 && i == sh->n_parcels / 2 && i > 0)
            rc = test_pause(r, c, err);
        lr_pg_copy_row(c, 27);
        key_fields(c, &p->key, true);
        snprintf(commune, sizeof(commune), "%05d", (int)p->new_commune);
        lr_pg_copy_text(c, p->new_commune >= 0 ? commune : NULL);
        lr_pg_copy_text(c, source_name(sh, p->input));
        lr_pg_copy_int8(c, p->fid, true);
        lr_pg_copy_text(c, p->land_use);
        lr_pg_copy_text(c, p->land_use_raw);
        lr_pg_copy_text(c, p->place);
        lr_pg_copy_int4(c, p->scale, p->scale > 0);
        parcel_match(c, sh, p);
        issue_list(p->issues, issues, sizeof(issues));
        lr_pg_copy_text(c, issues[0] ? issues : NULL);
        if (rc == LR_OK)
            rc = parcel_geom(r, c, p, err);
        if (rc == LR_OK)
            rc = lr_pg_copy_row_end(c, err);
    }
    return rc;
}

/* ---- issues ---- */

static size_t
count_issues(const struct lr_shard *sh)
{
    return sh->n_issues;
}

/* The issue's place: its polygon when it has one, else its point; NULL when unknown. */
static bool
issue_geom(struct lr_wh_rows *r, const struct lr_issue *is)
{
    if (is->wkb_hex && is->wkb_hex[0])
        return ewkb_hex(is->wkb_hex, LR_WAREHOUSE_SRID, &r->ewkb);
    if (!isfinite(is->x) || !isfinite(is->y) || (is->x == 0 && is->y == 0))
        return false;
    return ewkb_point(is->x, is->y, LR_WAREHOUSE_SRID, &r->ewkb);
}

static enum lr_rc
write_issues(struct lr_wh_rows *r, struct lr_pg_copy *c, struct lr_err *err)
{
    const struct lr_shard *sh = r->sh;
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < sh->n_issues; i++) {
        const struct lr_issue *is = &sh->issues[i];
        bool par = is->parcel >= 0 && (size_t)is->parcel < sh->n_parcels;
        int64_t rec = is->record >= 0 ? is->record : par ? sh->parcels[is->parcel].record : -1;

        lr_pg_copy_row(c, 5);
        if (par)
            key_text(c, &sh->parcels[is->parcel].key);
        else
            lr_pg_copy_text(c, NULL);
        if (rec >= 0 && (size_t)rec < sh->n_records)
            key_text(c, &sh->records[rec].key);
        else
            lr_pg_copy_text(c, NULL);
        lr_pg_copy_text(c, lr_issue_name(is->cls));
        lr_pg_copy_text(c, is->detail);
        if (issue_geom(r, is))
            lr_pg_copy_ewkb(c, (const unsigned char *)r->ewkb.data, r->ewkb.len);
        else
            lr_pg_copy_ewkb(c, NULL, 0);
        rc = lr_pg_copy_row_end(c, err);
    }
    return rc;
}

/* ---- register records without geometry ---- */

static bool
record_has_no_geometry(const struct lr_record *rec)
{
    return rec->parcel < 0;
}

static size_t
count_register_only(const struct lr_shard *sh)
{
    size_t n = 0;

    for (size_t i = 0; i < sh->n_records; i++)
        n += record_has_no_geometry(&sh->records[i]);
    return n;
}

static enum lr_rc
write_register_only(struct lr_wh_rows *r, struct lr_pg_copy *c, struct lr_err *err)
{
    const struct lr_shard *sh = r->sh;
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < sh->n_records; i++) {
        const struct lr_record *rec = &sh->records[i];

        if (!record_has_no_geometry(rec))
            continue;
        lr_pg_copy_row(c, 10);
        key_fields(c, &rec->key, true);
        lr_pg_copy_text(c, rec->land_use);
        lr_pg_copy_decimal(c, rec->area_dm2, 1, rec->area_dm2 >= 0);
        lr_pg_copy_text(c, lr_status_name(rec->status));
        lr_pg_copy_text(c, rec->status == LR_ST_REJECTED ? lr_issue_name(rec->reject) : NULL);
        lr_pg_copy_text(c, source_name(sh, rec->input));
        lr_pg_copy_int8(c, rec->row, true);
        rc = lr_pg_copy_row_end(c, err);
    }
    return rc;
}

/* ---- lineage ---- */

static size_t
count_lineage(const struct lr_shard *sh)
{
    return sh->n_lineage;
}

static enum lr_rc
write_lineage(struct lr_wh_rows *r, struct lr_pg_copy *c, struct lr_err *err)
{
    const struct lr_shard *sh = r->sh;
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < sh->n_lineage; i++) {
        const struct lr_lineage *l = &sh->lineage[i];

        lr_pg_copy_row(c, 5);
        if (l->record >= 0 && (size_t)l->record < sh->n_records)
            key_text(c, &sh->records[l->record].key);
        else
            lr_pg_copy_text(c, NULL);
        if (l->parcel >= 0 && (size_t)l->parcel < sh->n_parcels)
            key_text(c, &sh->parcels[l->parcel].key);
        else
            lr_pg_copy_text(c, NULL);
        lr_pg_copy_text(c, lr_relation_name(l->relation));
        lr_pg_copy_decimal(c, l->confidence_pct, 2, true);
        lr_pg_copy_text(c, l->evidence);
        rc = lr_pg_copy_row_end(c, err);
    }
    return rc;
}

const struct lr_wh_writer lr_wh_writers[] = {
    { "parcels",
      "parcel_key, old_commune, sheet, parcel, new_commune, source, fid, land_use, land_use_raw, "
      "place, scale, status, reject_reason, record_key, confidence, area_m2, "
      "area_source_plane_m2, area_attr_m2, extract_area_m2, area_source, price_zone, position, "
      "unit_price_vnd, value_vnd, tax_vnd, issues, geom",
      write_parcels, count_parcels },
    { "issues", "parcel_key, record_key, class, detail, geom", write_issues, count_issues },
    { "register_only",
      "record_key, old_commune, sheet, parcel, land_use, area_m2, status, reject_reason, source, "
      "source_row",
      write_register_only, count_register_only },
    { "lineage", "old_key, new_key, relation, confidence, evidence", write_lineage, count_lineage },
    { NULL, NULL, NULL, NULL },
};
