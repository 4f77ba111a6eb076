/* model.c - keys, status names and the shard's tables (see model.h). */
#include "model.h"

#include "config.h"
#include "geom.h"
#include "landuse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[LR_ST_COUNT] = {
    [LR_ST_NONE] = "none",
    [LR_ST_MATCHED] = "matched",
    [LR_ST_AREA_MISMATCH] = "area_mismatch",
    [LR_ST_LAND_USE_MISMATCH] = "land_use_mismatch",
    [LR_ST_RENUMBERED] = "renumbered",
    [LR_ST_SPLIT] = "split",
    [LR_ST_MERGED] = "merged",
    [LR_ST_DUPLICATE_KEY] = "duplicate_key",
    [LR_ST_MAP_ONLY] = "map_only",
    [LR_ST_REGISTER_ONLY] = "register_only",
    [LR_ST_COMMUNE_MISMATCH] = "commune_mismatch",
    [LR_ST_REJECTED] = "rejected",
};

static const char *const issue_names[LR_IS_COUNT] = {
    [LR_IS_SELF_INTERSECTION] = "self_intersection",
    [LR_IS_TOO_FEW_POINTS] = "too_few_points",
    [LR_IS_DUPLICATE_VERTEX] = "duplicate_vertex",
    [LR_IS_SPIKE] = "spike",
    [LR_IS_REPAIRED] = "repaired",
    [LR_IS_UNREPAIRABLE] = "unrepairable",
    [LR_IS_OVERLAP] = "overlap",
    [LR_IS_GAP] = "gap",
    [LR_IS_SLIVER] = "sliver",
    [LR_IS_OUTSIDE_BOUNDARY] = "outside_boundary",
    [LR_IS_CRS_ASSUMED] = "crs_assumed",
    [LR_IS_NO_PRICE] = "no_price",
    [LR_IS_RING_PROBLEM] = "ring_problem",
    [LR_IS_BAD_KEY] = "bad_key",
    [LR_IS_BAD_VALUE] = "bad_value",
    [LR_IS_NO_GEOMETRY] = "no_geometry",
    [LR_IS_NOT_POLYGON] = "not_polygon",
    [LR_IS_BAD_COORDINATES] = "bad_coordinates",
    [LR_IS_STRADDLES_ZONES] = "straddles_zones",
    [LR_IS_DUPLICATE_FEATURE] = "duplicate_feature",
};

const char *
lr_relation_name(enum lr_relation r)
{
    static const char *const names[] = { "same", "renumbered", "split", "merged" };
    return (unsigned)r < LR_ARRAY_LEN(names) ? names[r] : "unknown";
}

const char *
lr_status_name(enum lr_status st)
{
    return (unsigned)st < LR_ST_COUNT ? status_names[st] : "unknown";
}

const char *
lr_issue_name(enum lr_issue_class c)
{
    return (unsigned)c < LR_IS_COUNT ? issue_names[c] : "unknown";
}

bool
lr_status_is_matched(enum lr_status st)
{
    switch (st) {
    case LR_ST_MATCHED:
    case LR_ST_AREA_MISMATCH:
    case LR_ST_LAND_USE_MISMATCH:
    case LR_ST_RENUMBERED:
    case LR_ST_SPLIT:
    case LR_ST_MERGED:
    case LR_ST_COMMUNE_MISMATCH:
        return true;
    default:
        return false;
    }
}

/* Parse a trimmed run of decimal digits into [0, max]; false when empty, not digits or too big. */
static bool
parse_uint_field(const char *s, int32_t max, int32_t *out)
{
    const char *p = s, *end;
    int64_t v = 0;

    if (!s)
        return false;
    while (*p == ' ' || *p == '\t')
        p++;
    end = p + strlen(p);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    /* Numeric DBF fields read as text may carry a ".0" decimal part. */
    if (end - p > 2 && end[-2] == '.' && end[-1] == '0')
        end -= 2;
    if (p == end)
        return false;
    for (; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (*p - '0');
        if (v > max)
            return false;
    }
    *out = (int32_t)v;
    return true;
}

bool
lr_key_parse(const char *commune, const char *sheet, const char *parcel, struct lr_key *key)
{
    struct lr_key k = { -1, 0, 0 };

    if (!parse_uint_field(commune, 99999, &k.commune) ||
        !parse_uint_field(sheet, 999999, &k.sheet) ||
        !parse_uint_field(parcel, 99999999, &k.parcel) || k.commune == 0) {
        key->commune = -1;
        key->sheet = 0;
        key->parcel = 0;
        return false;
    }
    *key = k;
    return true;
}

/* The decimal digits of v, at least width of them (zero-padded), at p; returns the end. */
static char *
put_digits(char *p, uint32_t v, int width)
{
    char tmp[16];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *p++ = tmp[--n];
    return p;
}

void
lr_key_format(const struct lr_key *key, char *buf)
{
    char *p = buf;

    if (key->commune < 0) {
        buf[0] = '\0';
        return;
    }
    if (key->commune > 99999 || key->sheet < 0 || key->parcel < 0) { /* not a parsed key */
        snprintf(buf, LR_KEY_STR_MAX, "%05d-%d-%d", (int)key->commune, (int)key->sheet,
                 (int)key->parcel);
        return;
    }
    /* "%05d-%d-%d" by hand: the writers format a key per row, millions of times */
    p = put_digits(p, (uint32_t)key->commune, 5);
    *p++ = '-';
    p = put_digits(p, (uint32_t)key->sheet, 1);
    *p++ = '-';
    p = put_digits(p, (uint32_t)key->parcel, 1);
    *p = '\0';
}

bool
lr_key_parse_str(const char *s, struct lr_key *key)
{
    char parts[3][24];
    size_t n = 0, len = 0;

    for (const char *p = s;; p++) {
        if (*p == '-' || *p == '\0') {
            if (n >= 3)
                return false;
            parts[n][len] = '\0';
            n++;
            len = 0;
            if (!*p)
                break;
            continue;
        }
        if (n >= 3 || len + 1 >= sizeof(parts[0]))
            return false;
        parts[n][len++] = *p;
    }
    if (n != 3)
        return false;
    return lr_key_parse(parts[0], parts[1], parts[2], key);
}

int
lr_key_cmp(const struct lr_key *a, const struct lr_key *b)
{
    if (a->commune != b->commune)
        return a->commune < b->commune ? -1 : 1;
    if (a->sheet != b->sheet)
        return a->sheet < b->sheet ? -1 : 1;
    if (a->parcel != b->parcel)
        return a->parcel < b->parcel ? -1 : 1;
    return 0;
}

uint64_t
lr_key_hash(const struct lr_key *key)
{
    uint64_t h = (uint64_t)(uint32_t)key->commune * 0x9E3779B97F4A7C15ULL;

    h ^= (uint64_t)(uint32_t)key->sheet + 0x7F4A7C15ULL + (h << 6) + (h >> 2);
    h ^= (uint64_t)(uint32_t)key->parcel * 0xBF58476D1CE4E5B9ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    return h;
}

void
lr_shape_release(struct lr_shape *s)
{
    free(s->part_rings);
    free(s->ring_pts);
    free(s->xy);
    memset(s, 0, sizeof(*s));
}

void
lr_shard_drop_coords(struct lr_shard *sh)
{
    for (size_t i = 0; i < sh->n_parcels; i++) {
        struct lr_shape *s = &sh->parcels[i].shape;
        free(s->part_rings);
        free(s->ring_pts);
        free(s->xy);
        s->part_rings = s->ring_pts = NULL;
        s->xy = NULL;
    }
}

bool
lr_parcel_in_extract(const struct lr_shard *sh, const struct lr_parcel *p)
{
    return lr_status_is_matched(p->status) && p->record >= 0 &&
           p->confidence_pct * (LR_NANO / 100) >= sh->cfg->min_confidence_nano;
}

void
lr_shard_init(struct lr_shard *sh, const struct lr_config *cfg)
{
    memset(sh, 0, sizeof(*sh));
    sh->cfg = cfg;
}

static void
parcel_release(struct lr_parcel *p)
{
    free(p->land_use);
    free(p->land_use_raw);
    free(p->place);
    free(p->zone);
    lr_shape_release(&p->shape);
    lr_geom_free(p->geom);
}

static void
record_release(struct lr_record *r)
{
    free(r->land_use);
    free(r->owner_name);
    free(r->owner_id);
    free(r->certificate);
    free(r->address);
}

void
lr_shard_release(struct lr_shard *sh)
{
    for (size_t i = 0; i < sh->n_inputs; i++) {
        free(sh->inputs[i].path);
        free(sh->inputs[i].kind);
        free(sh->inputs[i].layer);
        free(sh->inputs[i].crs_op);
        free(sh->inputs[i].src_crs);
    }
    for (size_t i = 0; i < sh->n_parcels; i++)
        parcel_release(&sh->parcels[i]);
    for (size_t i = 0; i < sh->n_records; i++)
        record_release(&sh->records[i]);
    for (size_t i = 0; i < sh->n_issues; i++) {
        free(sh->issues[i].wkb_hex);
        free(sh->issues[i].detail);
    }
    for (size_t i = 0; i < sh->n_findings; i++)
        free(sh->findings[i].detail);
    for (size_t i = 0; i < sh->n_lineage; i++)
        free(sh->lineage[i].evidence);
    free(sh->findings);
    free(sh->lineage);
    for (size_t i = 0; i < sh->n_zones; i++) {
        free(sh->zones[i].zone);
        free(sh->zones[i].land_use);
        lr_geom_prepared_free(sh->zones[i].prep);
        lr_geom_free(sh->zones[i].geom);
    }
    for (size_t i = 0; i < sh->n_communes; i++) {
        free(sh->communes[i].old_name);
        free(sh->communes[i].new_name);
        free(sh->communes[i].tax_code);
    }
    for (size_t i = 0; i < sh->n_boundaries; i++) {
        lr_geom_prepared_free(sh->boundaries[i].prep);
        lr_geom_free(sh->boundaries[i].geom);
    }
    free(sh->inputs);
    free(sh->parcels);
    free(sh->records);
    free(sh->issues);
    free(sh->zones);
    free(sh->communes);
    free(sh->boundaries);
    if (sh->landuse)
        lr_landuse_release(sh->landuse);
    free(sh->landuse);
    free(sh->name);
    memset(sh, 0, sizeof(*sh));
}

/* Grow *arr (element size sz) to hold one more; returns the new zeroed element or NULL. */
static void *
grow_one(void **arr, size_t *n, size_t *cap, size_t sz)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        void *p = realloc(*arr, ncap * sz);
        if (!p)
            return NULL;
        *arr = p;
        *cap = ncap;
    }
    void *el = (char *)*arr + (*n)++ * sz;
    memset(el, 0, sz);
    return el;
}

struct lr_input *
lr_shard_add_input(struct lr_shard *sh)
{
    return grow_one((void **)&sh->inputs, &sh->n_inputs, &sh->cap_inputs, sizeof(*sh->inputs));
}

struct lr_parcel *
lr_shard_add_parcel(struct lr_shard *sh)
{
    struct lr_parcel *p =
        grow_one((void **)&sh->parcels, &sh->n_parcels, &sh->cap_parcels, sizeof(*sh->parcels));
    if (p) {
        p->record = -1;
        p->area_attr_dm2 = -1;
        p->area_dm2 = -1;
        p->area_src_dm2 = -1;
        p->new_commune = -1;
        p->geo_commune = -1;
        p->price_vnd = -1;
    }
    return p;
}

struct lr_record *
lr_shard_add_record(struct lr_shard *sh)
{
    struct lr_record *r =
        grow_one((void **)&sh->records, &sh->n_records, &sh->cap_records, sizeof(*sh->records));
    if (r) {
        r->parcel = -1;
        r->area_dm2 = -1;
    }
    return r;
}

enum lr_rc
lr_shard_add_issue(struct lr_shard *sh, int64_t parcel, int64_t record, enum lr_issue_class cls,
                   double x, double y, const char *detail)
{
    struct lr_issue *is =
        grow_one((void **)&sh->issues, &sh->n_issues, &sh->cap_issues, sizeof(*sh->issues));

    if (!is)
        return LR_ERR_NOMEM;
    is->parcel = parcel;
    is->record = record;
    is->cls = cls;
    is->x = x;
    is->y = y;
    is->detail = lr_strdup(detail ? detail : "");
    if (!is->detail)
        return LR_ERR_NOMEM;
    if (parcel >= 0 && cls < 32)
        sh->parcels[parcel].issues |= 1u << cls;
    return LR_OK;
}

enum lr_rc
lr_shard_add_finding(struct lr_shard *sh, int64_t parcel, int64_t record, enum lr_status cls,
                     const char *detail)
{
    struct lr_finding *f =
        grow_one((void **)&sh->findings, &sh->n_findings, &sh->cap_findings, sizeof(*sh->findings));

    if (!f)
        return LR_ERR_NOMEM;
    f->parcel = parcel;
    f->record = record;
    f->cls = cls;
    f->detail = lr_strdup(detail ? detail : "");
    return f->detail ? LR_OK : LR_ERR_NOMEM;
}

enum lr_rc
lr_shard_add_lineage(struct lr_shard *sh, int64_t record, int64_t parcel, enum lr_relation rel,
                     int32_t confidence_pct, const char *evidence)
{
    struct lr_lineage *l =
        grow_one((void **)&sh->lineage, &sh->n_lineage, &sh->cap_lineage, sizeof(*sh->lineage));

    if (!l)
        return LR_ERR_NOMEM;
    l->record = record;
    l->parcel = parcel;
    l->relation = rel;
    l->confidence_pct = confidence_pct;
    l->evidence = lr_strdup(evidence ? evidence : "");
    return l->evidence ? LR_OK : LR_ERR_NOMEM;
}

const struct lr_commune *
lr_shard_commune(const struct lr_shard *sh, int32_t old_code)
{
    for (size_t i = 0; i < sh->n_communes; i++)
        if (sh->communes[i].old_code == old_code)
            return &sh->communes[i];
    return NULL;
}
