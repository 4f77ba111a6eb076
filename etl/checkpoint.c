/* checkpoint.c - the shard's binary encoding for checkpoints (see checkpoint.h).
 *
 * Every table of model.h is written field by field, in declaration order, by a put_X function
 * and read back by its get_X twin. Reading never trusts the data: counts are checked against
 * the bytes left, enums against their ranges, strings and geometries are copied; a short or
 * damaged encoding is LR_ERR_INPUT, never a crash. */
#include "checkpoint.h"

#include "geom.h"
#include "io.h"
#include "landuse.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC          "LRCKPT03"
#define FORMAT_VERSION 1

/* What follows a file's header */
#define LAYOUT_SHARD 0 /* the whole shard, encode_shard */
#define LAYOUT_SECTIONS                                                                            \
    1 /* sections, then their table: kind, then offset and length or the                           \
       * referenced file's name and sha256; then the table's offset */
#define PLACE_HERE   1
#define PLACE_REF    2
#define PLACE_ABSENT 3 /* in a part file: a section the checkpoint holds elsewhere */

#define NONE32 UINT32_MAX
#define NONE64 UINT64_MAX

/* ---- writing ---- */

/* Streaming (lr_checkpoint_write): once the buffer holds this much it goes to the file. */
#define FLUSH_BYTES (4u << 20)

struct wr {
    struct lr_buf *b;
    struct lr_geom_ctx *g;
    enum lr_rc rc;
    struct lr_out *out; /* streaming: flush b here, hashed into md; NULL = keep all in b */
    EVP_MD_CTX *md;
    struct lr_err *io_err; /* streaming: the write error */
    uint64_t flushed;      /* streaming: bytes already written to out */
};

/* Streaming: hash what b holds, write it to the file and empty b. */
static void
flush(struct wr *w)
{
    if (w->rc != LR_OK || !w->out || w->b->len == 0)
        return;
    if (EVP_DigestUpdate(w->md, w->b->data, w->b->len) != 1)
        w->rc = LR_ERR_INTERNAL;
    else
        w->rc = lr_out_write(w->out, w->b->data, w->b->len, w->io_err);
    w->flushed += w->b->len;
    w->b->len = 0;
    w->b->data[0] = '\0';
}

static void
put(struct wr *w, const void *p, size_t n)
{
    struct lr_buf *b = w->b;

    if (w->rc != LR_OK)
        return;
    if (b->data && b->len + n < b->cap) { /* the common case: room left (and for the NUL) */
        if (n)
            memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        w->rc = lr_buf_add(b, p, n);
    }
    if (w->out && b->len >= FLUSH_BYTES)
        flush(w);
}

/* Arrays of u32 / f64 as put_u32 / put_f64 would write them one by one: one copy when the host
 * is little endian (the encoding's byte order). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_IS_ENCODING 1
#else
#define HOST_IS_ENCODING 0
#endif

static void
put_u64(struct wr *w, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

static void
put_u32(struct wr *w, uint32_t v)
{
    unsigned char b[4];

    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 4);
}

static void
put_u8(struct wr *w, unsigned v)
{
    unsigned char c = (unsigned char)v;

    put(w, &c, 1);
}

static void
put_i64(struct wr *w, int64_t v)
{
    put_u64(w, (uint64_t)v);
}

static void
put_i32(struct wr *w, int32_t v)
{
    put_u32(w, (uint32_t)v);
}

static void
put_f64(struct wr *w, double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    put_u64(w, u);
}

static void
put_str(struct wr *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n >= NONE32 && w->rc == LR_OK)
        w->rc = LR_ERR_INTERNAL;
    put_u32(w, s ? (uint32_t)n : NONE32);
    put(w, s, n);
}

static void
put_geom(struct wr *w, const void *geom)
{
    unsigned char *wkb;
    size_t n = 0;

    if (!geom) {
        put_u64(w, NONE64);
        return;
    }
    wkb = w->rc == LR_OK ? lr_geom_to_wkb(w->g, geom, &n) : NULL;
    if (!wkb && w->rc == LR_OK)
        w->rc = LR_ERR_INTERNAL;
    put_u64(w, n);
    put(w, wkb, n);
    free(wkb);
}

static void
put_key(struct wr *w, const struct lr_key *k)
{
    put_i32(w, k->commune);
    put_i32(w, k->sheet);
    put_i32(w, k->parcel);
}

static void
put_input(struct wr *w, const struct lr_input *in)
{
    put_str(w, in->path);
    put_str(w, in->kind);
    put_str(w, in->layer);
    put_str(w, in->sha256);
    put_i64(w, in->features);
    put_str(w, in->src_crs);
    put_str(w, in->crs_op);
    put_u8(w, in->crs_assumed);
    put_str(w, in->crs_pipeline); /* not owned: re-pointed into the config on reading */
    put_i64(w, in->converted);
    put_i64(w, in->ambiguous);
}

/* Counts, then the arrays that exist (a stage may free them and keep the counts). */
static void
put_shape(struct wr *w, const struct lr_shape *s)
{
    put_u8(w, (s->part_rings ? 1u : 0) | (s->ring_pts ? 2u : 0) | (s->xy ? 4u : 0));
    put_u32(w, s->nparts);
    put_u32(w, s->nrings);
    put_u32(w, s->npts);
    if (HOST_IS_ENCODING) {
        if (s->part_rings)
            put(w, s->part_rings, sizeof(uint32_t) * s->nparts);
        if (s->ring_pts)
            put(w, s->ring_pts, sizeof(uint32_t) * s->nrings);
        if (s->xy)
            put(w, s->xy, sizeof(double) * 2 * (size_t)s->npts);
        return;
    }
    for (uint32_t i = 0; s->part_rings && i < s->nparts; i++)
        put_u32(w, s->part_rings[i]);
    for (uint32_t i = 0; s->ring_pts && i < s->nrings; i++)
        put_u32(w, s->ring_pts[i]);
    for (uint64_t i = 0; s->xy && i < 2 * (uint64_t)s->npts; i++)
        put_f64(w, s->xy[i]);
}

/* A parcel's fields in the groups of the checkpoint sections (checkpoint.h): as loaded, ... */
static void
put_parcel_key(struct wr *w, const struct lr_parcel *p)
{
    put_u32(w, p->input);
    put_i64(w, p->fid);
    put_key(w, &p->key);
    put_str(w, p->land_use);
    put_str(w, p->land_use_raw);
    put_str(w, p->place);
    put_u8(w, p->has_owner);
    put_u64(w, p->owner_hash);
    put_i32(w, p->scale);
    put_i64(w, p->area_attr_dm2);
}

/* ... areas, interior point and communes ... */
static void
put_parcel_geo(struct wr *w, const struct lr_parcel *p)
{
    put_i64(w, p->area_dm2);
    put_i64(w, p->area_src_dm2);
    put_f64(w, p->ix);
    put_f64(w, p->iy);
    put_i32(w, p->new_commune);
    put_i32(w, p->geo_commune);
}

/* ... the match's state ... */
static void
put_parcel_state(struct wr *w, const struct lr_parcel *p)
{
    put_u32(w, (uint32_t)p->status);
    put_u32(w, (uint32_t)p->reject);
    put_i64(w, p->record);
    put_u32(w, p->issues);
    put_i64(w, p->tol_dm2);
    put_u8(w, p->area_ok);
    put_i32(w, p->confidence_pct);
}

/* ... and the valuation. */
static void
put_parcel_value(struct wr *w, const struct lr_parcel *p)
{
    put_str(w, p->zone);
    put_i32(w, p->position);
    put_i64(w, p->price_vnd);
    put_i64(w, p->value_vnd);
    put_i64(w, p->tax_vnd);
    put_i64(w, p->extract_area_dm2);
    put_u8(w, p->area_from_register);
}

static void
put_parcel(struct wr *w, const struct lr_parcel *p)
{
    put_parcel_key(w, p);
    put_shape(w, &p->shape);
    put_geom(w, p->geom);
    put_parcel_geo(w, p);
    put_parcel_state(w, p);
    put_parcel_value(w, p);
}

static void
put_record_key(struct wr *w, const struct lr_record *r)
{
    put_u32(w, r->input);
    put_i64(w, r->row);
    put_key(w, &r->key);
    put_str(w, r->land_use);
    put_i64(w, r->area_dm2);
    put_str(w, r->owner_name);
    put_str(w, r->owner_id);
    put_str(w, r->certificate);
    put_str(w, r->address);
}

static void
put_record_state(struct wr *w, const struct lr_record *r)
{
    put_u32(w, (uint32_t)r->status);
    put_u32(w, (uint32_t)r->reject);
    put_i64(w, r->parcel);
}

static void
put_record(struct wr *w, const struct lr_record *r)
{
    put_record_key(w, r);
    put_record_state(w, r);
}

static void
put_issues(struct wr *w, const struct lr_shard *sh)
{
    put_u64(w, sh->n_issues);
    for (size_t i = 0; i < sh->n_issues; i++) {
        const struct lr_issue *is = &sh->issues[i];
        put_i64(w, is->parcel);
        put_i64(w, is->record);
        put_u32(w, (uint32_t)is->cls);
        put_f64(w, is->x);
        put_f64(w, is->y);
        put_str(w, is->wkb_hex);
        put_str(w, is->detail);
    }
    put_u64(w, sh->n_findings);
    for (size_t i = 0; i < sh->n_findings; i++) {
        const struct lr_finding *f = &sh->findings[i];
        put_i64(w, f->parcel);
        put_i64(w, f->record);
        put_u32(w, (uint32_t)f->cls);
        put_str(w, f->detail);
        put_u8(w, f->acknowledged);
    }
}

static void
put_lineage(struct wr *w, const struct lr_shard *sh)
{
    put_u64(w, sh->n_lineage);
    for (size_t i = 0; i < sh->n_lineage; i++) {
        const struct lr_lineage *l = &sh->lineage[i];
        put_i64(w, l->record);
        put_i64(w, l->parcel);
        put_u32(w, (uint32_t)l->relation);
        put_i32(w, l->confidence_pct);
        put_str(w, l->evidence);
    }
}

static void
put_refdata(struct wr *w, const struct lr_shard *sh)
{
    put_u64(w, sh->n_zones);
    for (size_t i = 0; i < sh->n_zones; i++) {
        put_str(w, sh->zones[i].zone);
        put_str(w, sh->zones[i].land_use);
        put_i32(w, sh->zones[i].position);
        put_i64(w, sh->zones[i].price_vnd);
        put_geom(w, sh->zones[i].geom); /* prep is rebuilt on reading */
    }
    put_u64(w, sh->n_communes);
    for (size_t i = 0; i < sh->n_communes; i++) {
        put_i32(w, sh->communes[i].old_code);
        put_str(w, sh->communes[i].old_name);
        put_i32(w, sh->communes[i].new_code);
        put_str(w, sh->communes[i].new_name);
        put_str(w, sh->communes[i].tax_code);
    }
    put_u64(w, sh->n_boundaries);
    for (size_t i = 0; i < sh->n_boundaries; i++) {
        put_i32(w, sh->boundaries[i].new_code);
        put_geom(w, sh->boundaries[i].geom);
    }
    put_u8(w, sh->landuse != NULL);
    put_u64(w, sh->landuse ? sh->landuse->n : 0);
    for (size_t i = 0; sh->landuse && i < sh->landuse->n; i++) {
        put(w, sh->landuse->pairs[i].legacy, sizeof(sh->landuse->pairs[i].legacy));
        put(w, sh->landuse->pairs[i].current, sizeof(sh->landuse->pairs[i].current));
    }
}

static void
put_stats(struct wr *w, const struct lr_shard *sh)
{
    put_u64(w, sh->n_stages);
    for (size_t i = 0; i < sh->n_stages; i++) {
        const struct lr_stage_stat *st = &sh->stages[i];
        put_str(w, st->name);
        put_i64(w, st->in);
        put_i64(w, st->out);
        put_i64(w, st->rejected);
        put_f64(w, st->seconds);
        put_u8(w, st->done);
    }
    put_i64(w, sh->repair_area_delta_dm2);
    put_i64(w, sh->map_input);
    put_i64(w, sh->register_input);
    put_i64(w, sh->corrections_rows);
    put_i64(w, sh->corrections_applied);
    put_i64(w, sh->corrections_stale);
}

/* The outcome of a write: w->rc as an error with its message. */
static enum lr_rc
wr_result(const struct wr *w, struct lr_err *err)
{
    if (w->rc == LR_ERR_NOMEM)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory writing a checkpoint");
    if (w->rc == LR_ERR_IO && w->io_err && w->io_err->rc != LR_OK)
        return lr_err_set(err, LR_ERR_IO, "%s", w->io_err->msg);
    if (w->rc != LR_OK)
        return lr_err_set(err, LR_ERR_INTERNAL,
                          "cannot encode the checkpoint (a geometry GEOS cannot write as WKB)");
    return LR_OK;
}

static enum lr_rc
encode_shard(struct wr *w, const struct lr_shard *sh, struct lr_err *err)
{
    put_str(w, sh->name);
    put_u64(w, sh->n_inputs);
    for (size_t i = 0; i < sh->n_inputs; i++)
        put_input(w, &sh->inputs[i]);
    put_u64(w, sh->n_parcels);
    for (size_t i = 0; i < sh->n_parcels; i++)
        put_parcel(w, &sh->parcels[i]);
    put_u64(w, sh->n_records);
    for (size_t i = 0; i < sh->n_records; i++)
        put_record(w, &sh->records[i]);
    put_issues(w, sh);
    put_lineage(w, sh);
    put_refdata(w, sh);
    put_stats(w, sh);
    return wr_result(w, err);
}

/* Section s of a run checkpoint (checkpoint.h): the core, or one group of every parcel's or
 * record's fields, or the issues, or the lineage. */
static void
put_section(struct wr *w, const struct lr_shard *sh, enum lr_ckpt_section s)
{
    const struct lr_parcel *p = sh->parcels;
    const struct lr_record *r = sh->records;

    switch (s) {
    case LR_CK_CORE:
        put_str(w, sh->name);
        put_u64(w, sh->n_inputs);
        for (size_t i = 0; i < sh->n_inputs; i++)
            put_input(w, &sh->inputs[i]);
        put_u64(w, sh->n_parcels);
        put_u64(w, sh->n_records);
        put_refdata(w, sh);
        put_stats(w, sh);
        return;
    case LR_CK_ISSUES:
        put_issues(w, sh);
        return;
    case LR_CK_LINEAGE:
        put_lineage(w, sh);
        return;
    case LR_CK_RKEY:
    case LR_CK_RSTATE:
        put_u64(w, sh->n_records);
        for (size_t i = 0; i < sh->n_records; i++)
            (s == LR_CK_RKEY ? put_record_key : put_record_state)(w, &r[i]);
        return;
    default:
        break;
    }
    put_u64(w, sh->n_parcels);
    for (size_t i = 0; i < sh->n_parcels; i++) {
        switch (s) {
        case LR_CK_PKEY:
            put_parcel_key(w, &p[i]);
            break;
        case LR_CK_SHAPE:
            put_shape(w, &p[i].shape);
            break;
        case LR_CK_GEOM:
            put_geom(w, p[i].geom);
            break;
        case LR_CK_PGEO:
            put_parcel_geo(w, &p[i]);
            break;
        case LR_CK_PSTATE:
            put_parcel_state(w, &p[i]);
            break;
        default:
            put_parcel_value(w, &p[i]);
            break;
        }
    }
}

enum lr_rc
lr_checkpoint_encode_section(struct lr_geom_ctx *g, const struct lr_shard *sh,
                             enum lr_ckpt_section s, struct lr_buf *b, struct lr_err *err)
{
    struct wr w = { b, g, LR_OK, NULL, NULL, NULL, 0 };

    put_section(&w, sh, s);
    return wr_result(&w, err);
}

enum lr_rc
lr_checkpoint_encode_shard(struct lr_geom_ctx *g, const struct lr_shard *sh, struct lr_buf *b,
                           struct lr_err *err)
{
    struct wr w = { b, g, LR_OK, NULL, NULL, NULL, 0 };

    return encode_shard(&w, sh, err);
}

/* ---- reading ---- */

struct rd {
    const unsigned char *p, *end;
    struct lr_geom_ctx *g;
    bool bad, nomem;
};

static const unsigned char *
take(struct rd *r, size_t n)
{
    const unsigned char *q = r->p;

    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    r->p += n;
    return q;
}

static uint64_t
get_u64(struct rd *r)
{
    const unsigned char *b = take(r, 8);
    uint64_t v = 0;

    for (int i = 7; b && i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static uint32_t
get_u32(struct rd *r)
{
    const unsigned char *b = take(r, 4);

    return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
             : 0;
}

static bool
get_bool(struct rd *r)
{
    const unsigned char *b = take(r, 1);

    if (b && *b > 1)
        r->bad = true;
    return b && *b == 1;
}

static int64_t
get_i64(struct rd *r)
{
    return (int64_t)get_u64(r);
}

static int32_t
get_i32(struct rd *r)
{
    return (int32_t)get_u32(r);
}

static double
get_f64(struct rd *r)
{
    uint64_t u = get_u64(r);
    double v;

    memcpy(&v, &u, sizeof(v));
    return v;
}

/* An enum value below limit. */
static unsigned
get_enum(struct rd *r, unsigned limit)
{
    uint32_t v = get_u32(r);

    if (v >= limit)
        r->bad = true;
    return v < limit ? v : 0;
}

static char *
get_str(struct rd *r)
{
    uint32_t n = get_u32(r);
    const unsigned char *s;
    char *out;

    if (r->bad || n == NONE32)
        return NULL;
    s = take(r, n);
    if (!s)
        return NULL;
    if (memchr(s, 0, n)) {
        r->bad = true;
        return NULL;
    }
    out = malloc((size_t)n + 1);
    if (!out) {
        r->bad = r->nomem = true;
        return NULL;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

static void *
get_geom(struct rd *r)
{
    uint64_t n = get_u64(r);
    const unsigned char *wkb;
    void *geom;

    if (r->bad || n == NONE64)
        return NULL;
    wkb = n <= (uint64_t)(r->end - r->p) ? take(r, (size_t)n) : (r->bad = true, NULL);
    geom = wkb ? lr_geom_from_wkb(r->g, wkb, (size_t)n) : NULL;
    if (wkb && !geom)
        r->bad = true;
    return geom;
}

/* An element count: each element takes at least min_bytes, so a count larger than the bytes
 * left is damage (and no huge allocation is tried). */
static size_t
get_count(struct rd *r, size_t min_bytes)
{
    uint64_t n = get_u64(r);

    if (r->bad || n > (uint64_t)(r->end - r->p) / min_bytes) {
        r->bad = true;
        return 0;
    }
    return (size_t)n;
}

/* calloc for n elements; n == 0 is NULL and fine. */
static void *
get_array(struct rd *r, size_t n, size_t size)
{
    void *p;

    if (r->bad || n == 0)
        return NULL;
    p = calloc(n, size);
    if (!p)
        r->bad = r->nomem = true;
    return p;
}

static void
get_key(struct rd *r, struct lr_key *k)
{
    k->commune = get_i32(r);
    k->sheet = get_i32(r);
    k->parcel = get_i32(r);
}

/* The config's pipeline text equal to s (inputs keep a borrowed pointer to it). */
static const char *
config_pipeline(const struct lr_config *cfg, const char *s)
{
    for (size_t i = 0; s && cfg && i < cfg->n_maps; i++)
        if (cfg->maps[i].crs_pipeline && strcmp(cfg->maps[i].crs_pipeline, s) == 0)
            return cfg->maps[i].crs_pipeline;
    return NULL;
}

static void
get_input(struct rd *r, const struct lr_config *cfg, struct lr_input *in)
{
    char *sha = NULL, *pipeline = NULL;

    in->path = get_str(r);
    in->kind = get_str(r);
    in->layer = get_str(r);
    sha = get_str(r);
    if (sha && strlen(sha) < sizeof(in->sha256))
        memcpy(in->sha256, sha, strlen(sha) + 1);
    else if (!r->bad)
        r->bad = true;
    in->features = get_i64(r);
    in->src_crs = get_str(r);
    in->crs_op = get_str(r);
    in->crs_assumed = get_bool(r);
    pipeline = get_str(r);
    in->crs_pipeline = config_pipeline(cfg, pipeline);
    if (pipeline && !in->crs_pipeline)
        r->bad = true; /* the config no longer has it */
    in->converted = get_i64(r);
    in->ambiguous = get_i64(r);
    free(sha);
    free(pipeline);
}

static void
get_shape(struct rd *r, struct lr_shape *s)
{
    const unsigned char *flags = take(r, 1);
    unsigned present = flags ? *flags : 0;
    uint64_t need;

    s->nparts = get_u32(r);
    s->nrings = get_u32(r);
    s->npts = get_u32(r);
    need = (present & 1 ? (uint64_t)s->nparts * 4 : 0) +
           (present & 2 ? (uint64_t)s->nrings * 4 : 0) + (present & 4 ? (uint64_t)s->npts * 16 : 0);
    if (r->bad || present > 7 || need > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        return;
    }
    s->part_rings = present & 1 ? get_array(r, s->nparts, sizeof(uint32_t)) : NULL;
    for (uint32_t i = 0; s->part_rings && i < s->nparts; i++)
        s->part_rings[i] = get_u32(r);
    s->ring_pts = present & 2 ? get_array(r, s->nrings, sizeof(uint32_t)) : NULL;
    for (uint32_t i = 0; s->ring_pts && i < s->nrings; i++)
        s->ring_pts[i] = get_u32(r);
    s->xy = present & 4 ? get_array(r, 2 * (size_t)s->npts, sizeof(double)) : NULL;
    for (uint64_t i = 0; s->xy && i < 2 * (uint64_t)s->npts; i++)
        s->xy[i] = get_f64(r);
    /* an array present with a count of 0 was an allocation of 0 bytes: it reads back as NULL */
    if ((present & 1 && s->nparts && !s->part_rings) ||
        (present & 2 && s->nrings && !s->ring_pts) || (present & 4 && s->npts && !s->xy))
        r->bad = true;
}

static void
get_parcel_key(struct rd *r, struct lr_parcel *p)
{
    p->input = get_u32(r);
    p->fid = get_i64(r);
    get_key(r, &p->key);
    p->land_use = get_str(r);
    p->land_use_raw = get_str(r);
    p->place = get_str(r);
    p->has_owner = get_bool(r);
    p->owner_hash = get_u64(r);
    p->scale = get_i32(r);
    p->area_attr_dm2 = get_i64(r);
}

static void
get_parcel_geo(struct rd *r, struct lr_parcel *p)
{
    p->area_dm2 = get_i64(r);
    p->area_src_dm2 = get_i64(r);
    p->ix = get_f64(r);
    p->iy = get_f64(r);
    p->new_commune = get_i32(r);
    p->geo_commune = get_i32(r);
}

static void
get_parcel_state(struct rd *r, struct lr_parcel *p)
{
    p->status = (enum lr_status)get_enum(r, LR_ST_COUNT);
    p->reject = (enum lr_issue_class)get_enum(r, LR_IS_COUNT);
    p->record = get_i64(r);
    p->issues = get_u32(r);
    p->tol_dm2 = get_i64(r);
    p->area_ok = get_bool(r);
    p->confidence_pct = get_i32(r);
}

static void
get_parcel_value(struct rd *r, struct lr_parcel *p)
{
    p->zone = get_str(r);
    p->position = get_i32(r);
    p->price_vnd = get_i64(r);
    p->value_vnd = get_i64(r);
    p->tax_vnd = get_i64(r);
    p->extract_area_dm2 = get_i64(r);
    p->area_from_register = get_bool(r);
}

static void
get_parcel(struct rd *r, struct lr_parcel *p)
{
    get_parcel_key(r, p);
    get_shape(r, &p->shape);
    p->geom = get_geom(r);
    get_parcel_geo(r, p);
    get_parcel_state(r, p);
    get_parcel_value(r, p);
}

static void
get_record_key(struct rd *r, struct lr_record *rec)
{
    rec->input = get_u32(r);
    rec->row = get_i64(r);
    get_key(r, &rec->key);
    rec->land_use = get_str(r);
    rec->area_dm2 = get_i64(r);
    rec->owner_name = get_str(r);
    rec->owner_id = get_str(r);
    rec->certificate = get_str(r);
    rec->address = get_str(r);
}

static void
get_record_state(struct rd *r, struct lr_record *rec)
{
    rec->status = (enum lr_status)get_enum(r, LR_ST_COUNT);
    rec->reject = (enum lr_issue_class)get_enum(r, LR_IS_COUNT);
    rec->parcel = get_i64(r);
}

static void
get_record(struct rd *r, struct lr_record *rec)
{
    get_record_key(r, rec);
    get_record_state(r, rec);
}

static void
get_issues(struct rd *r, struct lr_shard *sh)
{
    sh->n_issues = sh->cap_issues = get_count(r, 36);
    sh->issues = get_array(r, sh->n_issues, sizeof(*sh->issues));
    if (!sh->issues)
        sh->n_issues = sh->cap_issues = 0;
    for (size_t i = 0; i < sh->n_issues; i++) {
        struct lr_issue *is = &sh->issues[i];
        is->parcel = get_i64(r);
        is->record = get_i64(r);
        is->cls = (enum lr_issue_class)get_enum(r, LR_IS_COUNT);
        is->x = get_f64(r);
        is->y = get_f64(r);
        is->wkb_hex = get_str(r);
        is->detail = get_str(r);
    }
    sh->n_findings = sh->cap_findings = get_count(r, 25);
    sh->findings = get_array(r, sh->n_findings, sizeof(*sh->findings));
    if (!sh->findings)
        sh->n_findings = sh->cap_findings = 0;
    for (size_t i = 0; i < sh->n_findings; i++) {
        struct lr_finding *f = &sh->findings[i];
        f->parcel = get_i64(r);
        f->record = get_i64(r);
        f->cls = (enum lr_status)get_enum(r, LR_ST_COUNT);
        f->detail = get_str(r);
        f->acknowledged = get_bool(r);
    }
}

static void
get_lineage(struct rd *r, struct lr_shard *sh)
{
    sh->n_lineage = sh->cap_lineage = get_count(r, 28);
    sh->lineage = get_array(r, sh->n_lineage, sizeof(*sh->lineage));
    if (!sh->lineage)
        sh->n_lineage = sh->cap_lineage = 0;
    for (size_t i = 0; i < sh->n_lineage; i++) {
        struct lr_lineage *l = &sh->lineage[i];
        l->record = get_i64(r);
        l->parcel = get_i64(r);
        l->relation = (enum lr_relation)get_enum(r, LR_REL_MERGED + 1);
        l->confidence_pct = get_i32(r);
        l->evidence = get_str(r);
    }
}

static void
get_zones(struct rd *r, struct lr_shard *sh)
{
    sh->n_zones = get_count(r, 24);
    sh->zones = get_array(r, sh->n_zones, sizeof(*sh->zones));
    if (!sh->zones)
        sh->n_zones = 0;
    for (size_t i = 0; i < sh->n_zones; i++) {
        struct lr_zone *z = &sh->zones[i];
        z->zone = get_str(r);
        z->land_use = get_str(r);
        z->position = get_i32(r);
        z->price_vnd = get_i64(r);
        z->geom = get_geom(r);
        z->prep = z->geom ? lr_geom_prepare(r->g, z->geom) : NULL;
        if (z->geom && !z->prep)
            r->bad = true;
    }
}

static void
get_refdata(struct rd *r, struct lr_shard *sh)
{
    get_zones(r, sh);
    sh->n_communes = get_count(r, 20);
    sh->communes = get_array(r, sh->n_communes, sizeof(*sh->communes));
    if (!sh->communes)
        sh->n_communes = 0;
    for (size_t i = 0; i < sh->n_communes; i++) {
        sh->communes[i].old_code = get_i32(r);
        sh->communes[i].old_name = get_str(r);
        sh->communes[i].new_code = get_i32(r);
        sh->communes[i].new_name = get_str(r);
        sh->communes[i].tax_code = get_str(r);
    }
    sh->n_boundaries = get_count(r, 12);
    sh->boundaries = get_array(r, sh->n_boundaries, sizeof(*sh->boundaries));
    if (!sh->boundaries)
        sh->n_boundaries = 0;
    for (size_t i = 0; i < sh->n_boundaries; i++) {
        struct lr_boundary *bd = &sh->boundaries[i];
        bd->new_code = get_i32(r);
        bd->geom = get_geom(r);
        bd->prep = bd->geom ? lr_geom_prepare(r->g, bd->geom) : NULL;
        if (bd->geom && !bd->prep)
            r->bad = true;
    }
}

static void
get_landuse(struct rd *r, struct lr_shard *sh)
{
    bool present = get_bool(r);
    size_t n = get_count(r, sizeof(struct lr_landuse_pair));

    if (r->bad || !present) {
        if (n)
            r->bad = true;
        return;
    }
    sh->landuse = get_array(r, 1, sizeof(*sh->landuse));
    if (!sh->landuse)
        return;
    sh->landuse->pairs = get_array(r, n, sizeof(*sh->landuse->pairs));
    sh->landuse->n = sh->landuse->pairs ? n : 0;
    for (size_t i = 0; i < sh->landuse->n; i++) {
        struct lr_landuse_pair *lp = &sh->landuse->pairs[i];
        const unsigned char *a = take(r, sizeof(lp->legacy)), *b = take(r, sizeof(lp->current));
        if (!a || !b)
            break;
        memcpy(lp->legacy, a, sizeof(lp->legacy));
        memcpy(lp->current, b, sizeof(lp->current));
        if (!memchr(lp->legacy, 0, sizeof(lp->legacy)) ||
            !memchr(lp->current, 0, sizeof(lp->current)))
            r->bad = true;
    }
}

static void
get_stats(struct rd *r, struct lr_shard *sh, const char *const *names, size_t n_names)
{
    size_t n = get_count(r, 37);

    if (n > LR_STAGE_MAX)
        r->bad = true;
    for (size_t i = 0; !r->bad && i < n; i++) {
        struct lr_stage_stat *st = &sh->stages[i];
        char *name = get_str(r);

        for (size_t k = 0; name && k < n_names; k++)
            if (strcmp(names[k], name) == 0)
                st->name = names[k];
        if (!st->name)
            r->bad = true; /* a stage this landrec does not have */
        free(name);
        st->in = get_i64(r);
        st->out = get_i64(r);
        st->rejected = get_i64(r);
        st->seconds = get_f64(r);
        st->done = get_bool(r);
        sh->n_stages = i + 1;
    }
    sh->repair_area_delta_dm2 = get_i64(r);
    sh->map_input = get_i64(r);
    sh->register_input = get_i64(r);
    sh->corrections_rows = get_i64(r);
    sh->corrections_applied = get_i64(r);
    sh->corrections_stale = get_i64(r);
}

/* Inputs, parcels and records. */
static void
get_tables(struct rd *r, struct lr_shard *sh)
{
    sh->n_inputs = sh->cap_inputs = get_count(r, 44);
    sh->inputs = get_array(r, sh->n_inputs, sizeof(*sh->inputs));
    for (size_t i = 0; sh->inputs && i < sh->n_inputs; i++)
        get_input(r, sh->cfg, &sh->inputs[i]);
    sh->n_parcels = sh->cap_parcels = get_count(r, 100);
    sh->parcels = get_array(r, sh->n_parcels, sizeof(*sh->parcels));
    for (size_t i = 0; sh->parcels && i < sh->n_parcels; i++)
        get_parcel(r, &sh->parcels[i]);
    sh->n_records = sh->cap_records = get_count(r, 60);
    sh->records = get_array(r, sh->n_records, sizeof(*sh->records));
    for (size_t i = 0; sh->records && i < sh->n_records; i++)
        get_record(r, &sh->records[i]);
}

enum lr_rc
lr_checkpoint_decode_shard(struct lr_geom_ctx *g, const unsigned char *data, size_t n,
                           struct lr_shard *sh, const char *const *names, size_t n_names,
                           struct lr_err *err)
{
    struct rd r = { data, data + n, g, false, false };

    sh->name = get_str(&r);
    get_tables(&r, sh);
    /* a failed allocation above leaves a NULL array: its count must not claim elements */
    if (!sh->inputs)
        sh->n_inputs = sh->cap_inputs = 0;
    if (!sh->parcels)
        sh->n_parcels = sh->cap_parcels = 0;
    if (!sh->records)
        sh->n_records = sh->cap_records = 0;
    get_issues(&r, sh);
    get_lineage(&r, sh);
    get_refdata(&r, sh);
    get_landuse(&r, sh);
    get_stats(&r, sh, names, n_names);
    if (r.nomem)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory reading a checkpoint");
    if (r.bad || r.p != r.end)
        return lr_err_set(err, LR_ERR_INPUT, "the checkpoint is damaged (at byte %zu of %zu)",
                          (size_t)(r.p - data), n);
    return LR_OK;
}

/* Section s (checkpoint.h) into sh, which the core section sized (it comes first). */
static void
get_section(struct rd *r, struct lr_shard *sh, enum lr_ckpt_section s, const char *const *names,
            size_t n_names)
{
    uint64_t np, nr;

    switch (s) {
    case LR_CK_CORE:
        sh->name = get_str(r);
        sh->n_inputs = sh->cap_inputs = get_count(r, 44);
        sh->inputs = get_array(r, sh->n_inputs, sizeof(*sh->inputs));
        if (!sh->inputs)
            sh->n_inputs = sh->cap_inputs = 0;
        for (size_t i = 0; i < sh->n_inputs; i++)
            get_input(r, sh->cfg, &sh->inputs[i]);
        np = get_u64(r);
        nr = get_u64(r);
        if (np > UINT32_MAX || nr > UINT32_MAX)
            r->bad = true;
        sh->parcels = get_array(r, (size_t)np, sizeof(*sh->parcels));
        sh->n_parcels = sh->cap_parcels = sh->parcels ? (size_t)np : 0;
        sh->records = get_array(r, (size_t)nr, sizeof(*sh->records));
        sh->n_records = sh->cap_records = sh->records ? (size_t)nr : 0;
        get_refdata(r, sh);
        get_landuse(r, sh);
        get_stats(r, sh, names, n_names);
        return;
    case LR_CK_ISSUES:
        get_issues(r, sh);
        return;
    case LR_CK_LINEAGE:
        get_lineage(r, sh);
        return;
    case LR_CK_RKEY:
    case LR_CK_RSTATE:
        if (get_u64(r) != sh->n_records)
            r->bad = true;
        for (size_t i = 0; !r->bad && i < sh->n_records; i++)
            (s == LR_CK_RKEY ? get_record_key : get_record_state)(r, &sh->records[i]);
        return;
    default:
        break;
    }
    if (get_u64(r) != sh->n_parcels)
        r->bad = true;
    for (size_t i = 0; !r->bad && i < sh->n_parcels; i++) {
        struct lr_parcel *p = &sh->parcels[i];
        switch (s) {
        case LR_CK_PKEY:
            get_parcel_key(r, p);
            break;
        case LR_CK_SHAPE:
            get_shape(r, &p->shape);
            break;
        case LR_CK_GEOM:
            p->geom = get_geom(r);
            break;
        case LR_CK_PGEO:
            get_parcel_geo(r, p);
            break;
        case LR_CK_PSTATE:
            get_parcel_state(r, p);
            break;
        default:
            get_parcel_value(r, p);
            break;
        }
    }
}

enum lr_rc
lr_checkpoint_decode_section(struct lr_geom_ctx *g, const unsigned char *data,
                             const struct lr_ckpt_place *place, enum lr_ckpt_section s,
                             struct lr_shard *sh, const char *const *names, size_t n_names,
                             struct lr_err *err)
{
    struct rd r = { data + place->off, data + place->off + place->len, g, false, false };

    if (!place->here)
        return lr_err_set(err, LR_ERR_INTERNAL, "checkpoint section %d is not in this file", s);
    get_section(&r, sh, s, names, n_names);
    if (r.nomem)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory reading a checkpoint");
    if (r.bad || r.p != r.end)
        return lr_err_set(err, LR_ERR_INPUT, "the checkpoint is damaged (section '%s')",
                          lr_checkpoint_section_name(s));
    return LR_OK;
}

const char *
lr_checkpoint_section_name(enum lr_ckpt_section s)
{
    static const char *const names[] = {
        "core",          "parcel keys",   "parcel coordinates", "parcel geometries", "parcel areas",
        "parcel states", "parcel values", "register rows",      "register states",   "issues",
        "lineage"
    };

    return (unsigned)s < LR_ARRAY_LEN(names) ? names[s] : "?";
}

/* ---- the whole file: header, a layout byte, then the shard (a sharded run's shard.ckpt) or
 * the sections and their table (a run's checkpoint), a trailing sha256 ---- */

void
lr_checkpoint_info_release(struct lr_checkpoint_info *info)
{
    for (size_t i = 0; i < info->n_outputs; i++)
        free(info->outputs[i]);
    free(info->outputs);
    free(info->output_sha);
    memset(info, 0, sizeof(*info));
}

static bool
sha256(const unsigned char *data, size_t n, unsigned char out[32])
{
    unsigned int len = 0;

    return EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

/* The header fields of info. */
static void
put_header(struct wr *w, const struct lr_checkpoint_info *info)
{
    put(w, MAGIC, 8);
    put_u32(w, FORMAT_VERSION);
    put_str(w, LR_VERSION);
    put(w, info->config_sha256, 32);
    put_u32(w, (uint32_t)info->stage);
    put_str(w, info->stage_name);
    put_u32(w, (uint32_t)info->n_outputs);
    for (size_t i = 0; i < info->n_outputs; i++) {
        put_str(w, info->outputs[i]);
        put_str(w, info->output_sha[i]);
    }
}

enum lr_rc
lr_checkpoint_write(struct lr_geom_ctx *g, const struct lr_checkpoint_info *info,
                    const struct lr_shard *sh, unsigned here, struct lr_ckpt_chain *refs,
                    enum lr_rc (*before_table)(void *arg, struct lr_err *err), void *arg,
                    struct lr_out *out, unsigned char sha[32], struct lr_err *err)
{
    struct lr_err io_err = { LR_OK, "" };
    struct lr_buf b;
    struct wr w = { &b, g, LR_OK, out, EVP_MD_CTX_new(), &io_err, 0 };
    uint64_t off[LR_CK_NSECTIONS], len[LR_CK_NSECTIONS], table;
    bool written[LR_CK_NSECTIONS] = { false };
    unsigned int dlen = 0;
    enum lr_rc rc = LR_OK;

    lr_buf_init(&b);
    if (!w.md || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(w.md);
        return lr_err_set(err, LR_ERR_NOMEM, "cannot start sha256");
    }
    put_header(&w, info);
    put_u8(&w, LAYOUT_SECTIONS);
    for (int s = 0; s < LR_CK_NSECTIONS; s++) {
        if (s != LR_CK_CORE && (!(here & LR_CK_BIT(s)) || (refs && refs->file[s][0])))
            continue;
        off[s] = w.flushed + b.len;
        put_section(&w, sh, (enum lr_ckpt_section)s);
        len[s] = w.flushed + b.len - off[s];
        written[s] = true;
    }
    if (w.rc == LR_OK && before_table)
        rc = before_table(arg, err);
    table = w.flushed + b.len;
    for (int s = 0; rc == LR_OK && s < LR_CK_NSECTIONS; s++) {
        if (written[s]) {
            put_u8(&w, PLACE_HERE);
            put_u64(&w, off[s]);
            put_u64(&w, len[s]);
        } else if (refs && refs->file[s][0]) {
            put_u8(&w, PLACE_REF);
            put_str(&w, refs->file[s]);
            put(&w, refs->sha[s], 32);
        } else {
            put_u8(&w, PLACE_ABSENT);
        }
    }
    if (rc != LR_OK) {
        EVP_MD_CTX_free(w.md);
        lr_buf_release(&b);
        return rc;
    }
    put_u64(&w, table);
    flush(&w);
    if (w.rc != LR_OK)
        rc = wr_result(&w, err);
    if (rc == LR_OK && (EVP_DigestFinal_ex(w.md, sha, &dlen) != 1 || dlen != 32))
        rc = lr_err_set(err, LR_ERR_INTERNAL, "cannot compute sha256 of a checkpoint");
    if (rc == LR_OK)
        rc = lr_out_write(out, (const char *)sha, 32, err);
    EVP_MD_CTX_free(w.md);
    lr_buf_release(&b);
    return rc;
}

enum lr_rc
lr_checkpoint_encode(struct lr_geom_ctx *g, const struct lr_checkpoint_info *info,
                     const struct lr_shard *sh, struct lr_buf *b, struct lr_err *err)
{
    struct wr w = { b, g, LR_OK, NULL, NULL, NULL, 0 };
    unsigned char digest[32];
    enum lr_rc rc;

    put_header(&w, info);
    put_u8(&w, LAYOUT_SHARD);
    if (w.rc != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory writing a checkpoint");
    rc = encode_shard(&w, sh, err);
    if (rc == LR_OK && !sha256((const unsigned char *)b->data, b->len, digest))
        rc = lr_err_set(err, LR_ERR_INTERNAL, "cannot compute sha256 of a checkpoint");
    if (rc == LR_OK)
        put(&w, digest, 32);
    if (rc == LR_OK && w.rc != LR_OK)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory writing a checkpoint");
    return rc;
}

static void
get_outputs(struct rd *r, struct lr_checkpoint_info *info)
{
    uint32_t n = get_u32(r);

    if (r->bad || n > (size_t)(r->end - r->p) / 8) {
        r->bad = true;
        return;
    }
    info->outputs = get_array(r, n, sizeof(char *));
    info->output_sha = get_array(r, n, sizeof(*info->output_sha));
    if (n && (!info->outputs || !info->output_sha))
        return;
    info->n_outputs = n;
    for (uint32_t i = 0; i < n; i++) {
        char *sha;

        info->outputs[i] = get_str(r);
        sha = get_str(r);
        if (!info->outputs[i] || !sha || strlen(sha) != 64)
            r->bad = true;
        else
            memcpy(info->output_sha[i], sha, 65);
        free(sha);
    }
}

/* Header fields into info; r is left at the shard. */
static enum lr_rc
get_header(struct rd *r, size_t n, struct lr_checkpoint_info *info, struct lr_err *err)
{
    const unsigned char *magic = take(r, 8), *cfg_sha;
    unsigned char digest[32];
    char *version = NULL, *name = NULL;
    uint32_t format;

    if (!magic || memcmp(magic, MAGIC, 8) != 0)
        return lr_err_set(err, LR_ERR_INPUT, "not a landrec checkpoint");
    if (n < 8 + 32 || !sha256(r->p - 8, n - 32, digest) || memcmp(digest, r->end - 32, 32) != 0)
        return lr_err_set(err, LR_ERR_INPUT, "the checkpoint is damaged (checksum)");
    r->end -= 32;
    format = get_u32(r);
    version = get_str(r);
    if (r->bad || format != FORMAT_VERSION || !version || strcmp(version, LR_VERSION) != 0) {
        lr_err_set(err, LR_ERR_INPUT, "the checkpoint was written by landrec %s (format %u)",
                   version ? version : "?", (unsigned)format);
        free(version);
        return LR_ERR_INPUT;
    }
    free(version);
    cfg_sha = take(r, 32);
    if (cfg_sha)
        memcpy(info->config_sha256, cfg_sha, 32);
    info->stage = get_u32(r);
    name = get_str(r);
    if (name && strlen(name) < sizeof(info->stage_name))
        memcpy(info->stage_name, name, strlen(name) + 1);
    else
        r->bad = true;
    free(name);
    get_outputs(r, info);
    if (r->nomem)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory reading a checkpoint");
    return r->bad ? lr_err_set(err, LR_ERR_INPUT, "the checkpoint is damaged (header)") : LR_OK;
}

/* The table of a sections file (r at the first section, r->end before the sha256). */
static void
get_places(struct rd *r, const unsigned char *data, struct lr_ckpt_place places[LR_CK_NSECTIONS])
{
    uint64_t first = (uint64_t)(r->p - data), table;
    struct rd t = { NULL, NULL, NULL, false, false };

    if ((size_t)(r->end - r->p) < 8) {
        r->bad = true;
        return;
    }
    t.p = r->end - 8;
    t.end = r->end;
    table = get_u64(&t);
    if (table < first || table > (uint64_t)(r->end - data) - 8) {
        r->bad = true;
        return;
    }
    t.p = data + table;
    t.end = r->end - 8;
    for (int s = 0; !t.bad && s < LR_CK_NSECTIONS; s++) {
        struct lr_ckpt_place *pl = &places[s];
        const unsigned char *kind = take(&t, 1), *sha;
        char *file;

        memset(pl, 0, sizeof(*pl));
        if (kind && *kind == PLACE_HERE) {
            uint64_t off = get_u64(&t), len = get_u64(&t);
            if (off < first || off > table || len > table - off)
                t.bad = true;
            pl->here = true;
            pl->off = (size_t)off;
            pl->len = (size_t)len;
        } else if (kind && *kind == PLACE_REF && s != LR_CK_CORE) {
            file = get_str(&t);
            sha = take(&t, 32);
            if (!file || !sha || !file[0] || strlen(file) >= sizeof(pl->file) || strchr(file, '/'))
                t.bad = true;
            else {
                memcpy(pl->file, file, strlen(file) + 1);
                memcpy(pl->sha, sha, 32);
            }
            free(file);
        } else if (!kind || *kind != PLACE_ABSENT || s == LR_CK_CORE) {
            t.bad = true;
        }
    }
    if (t.bad || t.p != t.end)
        r->bad = true;
    r->nomem = r->nomem || t.nomem;
}

enum lr_rc
lr_checkpoint_open(const unsigned char *data, size_t n, struct lr_checkpoint_info *info,
                   struct lr_ckpt_place places[LR_CK_NSECTIONS], struct lr_err *err)
{
    struct rd r = { data, data + n, NULL, false, false };
    enum lr_rc rc = get_header(&r, n, info, err);
    const unsigned char *layout;

    if (rc != LR_OK)
        return rc;
    layout = take(&r, 1);
    if (!layout || *layout != LAYOUT_SECTIONS)
        return lr_err_set(err, LR_ERR_INPUT, "not a run checkpoint");
    get_places(&r, data, places);
    if (r.nomem)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory reading a checkpoint");
    return r.bad ? lr_err_set(err, LR_ERR_INPUT, "the checkpoint is damaged (section table)")
                 : LR_OK;
}

enum lr_rc
lr_checkpoint_decode(struct lr_geom_ctx *g, const unsigned char *data, size_t n,
                     struct lr_checkpoint_info *info, struct lr_shard *sh, const char *const *names,
                     size_t n_names, struct lr_err *err)
{
    struct rd r = { data, data + n, g, false, false };
    enum lr_rc rc = get_header(&r, n, info, err);
    const unsigned char *layout;

    if (rc != LR_OK || !sh)
        return rc;
    layout = take(&r, 1);
    if (!layout || *layout != LAYOUT_SHARD)
        return lr_err_set(err, LR_ERR_INPUT, "not a shard checkpoint");
    return lr_checkpoint_decode_shard(g, r.p, (size_t)(r.end - r.p), sh, names, n_names, err);
}
