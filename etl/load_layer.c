/* load_layer.c - one task of the load stage: open a file (or run a register query), pick its
 * layers (by name, every layer, or the result of the source's sql) and read map parcels or
 * register records into the task's part shard. Text is read as raw bytes and decoded here
 * (text.h); keys are normalised (model.h). A bad feature or row becomes a rejected parcel/record
 * or an issue with a reason naming file, layer, feature and field; an unreadable input or an
 * unsafe CRS stops the task with an error (exit 3). See load_int.h. */
#include "landuse.h"
#include "load_int.h"
#include "money.h"
#include "source.h"
#include "text.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Logical text fields of a source, with their column index and encoding. */
enum fld {
    F_COMMUNE,
    F_SHEET,
    F_PARCEL,
    F_LAND_USE,
    F_AREA,
    F_SCALE,
    F_OWNER_NAME,
    F_OWNER_ID,
    F_CERTIFICATE,
    F_ADDRESS,
    F_PLACE,
    F_COUNT
};

static const char *const fld_names[F_COUNT] = {
    "commune",    "sheet",    "parcel",      "land_use", "area",  "scale",
    "owner_name", "owner_id", "certificate", "address",  "place",
};

struct layer_reader {
    const struct lr_load_env *env;
    const struct lr_source *src;
    struct lr_shard *sh; /* the task's part */
    const char *path;
    OGRLayerH layer;
    const char *layer_name;
    struct lr_input *input;
    size_t input_idx;
    int idx[F_COUNT];
    enum lr_encoding enc[F_COUNT];
    bool ambiguous[F_COUNT];
    char warning[512]; /* GDAL's warning while the current feature was read, "" if none */
    struct lr_buf buf;
};

static const char *
fieldmap_get(const struct lr_fieldmap *m, enum fld f)
{
    const char *const v[F_COUNT] = { m->commune,     m->sheet,   m->parcel,     m->land_use,
                                     m->area,        m->scale,   m->owner_name, m->owner_id,
                                     m->certificate, m->address, m->place };
    return v[f];
}

static bool
non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return true;
    return false;
}

/* Decoded NFC text of field f of feat; NULL when unmapped or null (or out of memory). Caller
 * frees. Counts values decoded from a legacy encoding and values of fields whose encoding was
 * ambiguous. r->buf is decoding scratch kept between calls; the result is an exact-size copy. */
static char *
field_text(struct layer_reader *r, OGRFeatureH feat, enum fld f)
{
    const char *raw;
    size_t bad = 0;
    char *text;

    if (r->idx[f] < 0 || !OGR_F_IsFieldSetAndNotNull(feat, r->idx[f]))
        return NULL;
    raw = OGR_F_GetFieldAsString(feat, r->idx[f]);
    if (lr_text_decode(r->enc[f], raw, strlen(raw), &r->buf, &bad) != LR_OK)
        return NULL;
    if (non_ascii(raw)) {
        r->input->converted += r->enc[f] != LR_ENC_UTF8;
        r->input->ambiguous += r->ambiguous[f];
    }
    text = malloc(r->buf.len + 1);
    if (text)
        memcpy(text, r->buf.data, r->buf.len + 1);
    return text;
}

/* Trim and upper-case a code in place. */
static char *
norm_code(char *s)
{
    char *b = s, *e;

    if (!s)
        return NULL;
    while (*b == ' ' || *b == '\t')
        b++;
    e = b + strlen(b);
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    memmove(s, b, (size_t)(e - b));
    s[e - b] = '\0';
    for (char *c = s; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    return s;
}

/* For encoding auto: detect field f's encoding from a sample of the layer's values. */
static void
detect_field(struct layer_reader *r, int f)
{
    enum { SAMPLE = 2000 };
    char **vals = calloc(SAMPLE, sizeof(char *));
    size_t n = 0;
    OGRFeatureH feat;

    if (!vals)
        return;
    OGR_L_ResetReading(r->layer);
    while (n < SAMPLE && (feat = OGR_L_GetNextFeature(r->layer))) {
        if (OGR_F_IsFieldSetAndNotNull(feat, r->idx[f]) &&
            non_ascii(OGR_F_GetFieldAsString(feat, r->idx[f])))
            vals[n++] = strdup(OGR_F_GetFieldAsString(feat, r->idx[f]));
        OGR_F_Destroy(feat);
    }
    r->enc[f] = lr_text_detect((const char *const *)vals, n, &r->ambiguous[f]);
    if (r->ambiguous[f])
        lr_log(LR_LOG_WARN, "load", NULL,
               "'%s' layer '%s' field '%s': encoding ambiguous, decoding as %s", r->path,
               r->layer_name, fieldmap_get(&r->src->fields, (enum fld)f),
               lr_encoding_name(r->enc[f]));
    else if (n)
        lr_log(LR_LOG_INFO, "load", NULL, "'%s' layer '%s' field '%s': detected %s", r->path,
               r->layer_name, fieldmap_get(&r->src->fields, (enum fld)f),
               lr_encoding_name(r->enc[f]));
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
}

static void
detect_encodings(struct layer_reader *r)
{
    for (int f = 0; f < F_COUNT; f++)
        if (r->enc[f] == LR_ENC_AUTO && r->idx[f] >= 0)
            detect_field(r, f);
    for (int f = 0; f < F_COUNT; f++)
        if (r->enc[f] == LR_ENC_AUTO) /* unmapped: never read */
            r->enc[f] = LR_ENC_UTF8;
    OGR_L_ResetReading(r->layer);
}

static enum lr_rc
reader_init(struct layer_reader *r, const struct lr_load_env *env, struct lr_shard *sh,
            const char *path, OGRLayerH layer, const char *layer_name, const struct lr_source *src,
            struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    memset(r, 0, sizeof(*r));
    r->env = env;
    r->sh = sh;
    r->src = src;
    r->path = path;
    r->layer = layer;
    r->layer_name = layer_name;
    lr_buf_init(&r->buf);
    for (int f = 0; f < F_COUNT && rc == LR_OK; f++) {
        rc = lr_source_field(layer, path, fieldmap_get(&src->fields, (enum fld)f), fld_names[f],
                             &r->idx[f], err);
        r->enc[f] = src->encoding;
    }
    if (rc == LR_OK && (r->idx[F_SHEET] < 0 || r->idx[F_PARCEL] < 0 || r->idx[F_COMMUNE] < 0))
        rc = lr_err_set(err, LR_ERR_CONFIG,
                        "source '%s': fields 'commune', 'sheet' and 'parcel' must be mapped", path);
    return rc;
}

static enum lr_rc
add_input(struct layer_reader *r, const char *kind, GDALDatasetH ds, struct lr_err *err)
{
    struct lr_input *in = lr_shard_add_input(r->sh);

    if (!in)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    in->kind = strdup(kind);
    in->path = strdup(r->path);
    in->layer = strdup(r->layer_name);
    if (!in->kind || !in->path || !in->layer)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    r->input = in;
    r->input_idx = r->sh->n_inputs - 1;
    if (!ds) /* a query: the hash is over the query text */
        return lr_source_hash_text(r->src->query, in->sha256, err);
    return lr_source_hash(ds, r->path, in->sha256, err);
}

static enum lr_rc
add_issue(struct layer_reader *r, int64_t parcel, int64_t record, enum lr_issue_class why,
          int64_t fid, const char *what, struct lr_err *err)
{
    char *detail = lr_asprintf("'%s' layer '%s' feature %lld: %s", r->path, r->layer_name,
                               (long long)fid, what);
    enum lr_rc rc =
        detail ? lr_shard_add_issue(r->sh, parcel, record, why, 0, 0, detail) : LR_ERR_NOMEM;

    free(detail);
    return rc == LR_OK ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
}

/* Key fields of a feature into key; the reason in why when they are not a key. */
static bool
read_key(struct layer_reader *r, OGRFeatureH feat, struct lr_key *key, char *why, size_t n)
{
    char *c = field_text(r, feat, F_COMMUNE), *s = field_text(r, feat, F_SHEET),
         *p = field_text(r, feat, F_PARCEL);
    bool ok = lr_key_parse(c, s, p, key);

    if (!ok)
        snprintf(why, n, "fields '%s'/'%s'/'%s' = '%.20s'/'%.20s'/'%.20s' are not a parcel key",
                 fieldmap_get(&r->src->fields, F_COMMUNE), fieldmap_get(&r->src->fields, F_SHEET),
                 fieldmap_get(&r->src->fields, F_PARCEL), c ? c : "", s ? s : "", p ? p : "");
    free(c);
    free(s);
    free(p);
    return ok;
}

/* A land-use code that is neither current nor in the legacy table is a bad_value issue. */
static enum lr_rc
check_land_use(struct layer_reader *r, const char *raw, const char *current, int64_t parcel,
               int64_t record, int64_t fid, struct lr_err *err)
{
    char what[200];

    if (!raw || !raw[0] || lr_landuse_group(current) != LR_LG_UNKNOWN)
        return LR_OK;
    snprintf(what, sizeof(what),
             "field '%s' = '%.20s' is not a land-use code (Circular 08/2024 or the legacy table)",
             fieldmap_get(&r->src->fields, F_LAND_USE), raw);
    return add_issue(r, parcel, record, LR_IS_BAD_VALUE, fid, what, err);
}

/* An area text that does not parse is a bad_value issue (the area counts as missing). */
static enum lr_rc
parse_area(struct layer_reader *r, const char *text, int64_t *dm2, int64_t parcel, int64_t record,
           int64_t fid, struct lr_err *err)
{
    struct lr_err perr = { LR_OK, "" };
    char what[LR_ERR_MSG_MAX + 64];

    *dm2 = -1;
    if (text && !text[strspn(text, " \t")])
        text = NULL;
    if (!text && record >= 0 && r->idx[F_AREA] >= 0) {
        snprintf(what, sizeof(what), "field '%s': area is empty",
                 fieldmap_get(&r->src->fields, F_AREA));
        return add_issue(r, parcel, record, LR_IS_BAD_VALUE, fid, what, err);
    }
    if (!text || lr_money_parse_area(text, dm2, &perr) == LR_OK)
        return LR_OK;
    *dm2 = -1;
    snprintf(what, sizeof(what), "field '%s': %s", fieldmap_get(&r->src->fields, F_AREA), perr.msg);
    return add_issue(r, parcel, record, LR_IS_BAD_VALUE, fid, what, err);
}

static uint64_t
owner_hash(const char *owner)
{
    uint64_t h = 1469598103934665603ULL;

    for (const unsigned char *c = (const unsigned char *)owner; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h;
}

static enum lr_rc
map_attributes(struct layer_reader *r, OGRFeatureH feat, struct lr_parcel *p, int64_t idx,
               struct lr_err *err)
{
    char *lu = norm_code(field_text(r, feat, F_LAND_USE));
    char *area = field_text(r, feat, F_AREA), *scale = field_text(r, feat, F_SCALE);
    char *owner = field_text(r, feat, F_OWNER_NAME);
    enum lr_rc rc;

    p->place = field_text(r, feat, F_PLACE);
    p->land_use_raw = lu;
    p->land_use = lu ? strdup(lr_landuse_current(r->env->landuse, lu)) : NULL;
    rc = check_land_use(r, lu, p->land_use, idx, -1, p->fid, err);
    if (rc == LR_OK)
        rc = parse_area(r, area, &p->area_attr_dm2, idx, -1, p->fid, err);
    p->scale = r->src->scale > 0 ? r->src->scale : r->sh->cfg->default_scale;
    if (scale) {
        struct lr_key k;
        if (lr_key_parse(scale, "1", "1", &k) && k.commune > 0)
            p->scale = k.commune;
    }
    if (owner && owner[0]) {
        p->has_owner = true;
        p->owner_hash = owner_hash(owner);
    }
    free(area);
    free(scale);
    free(owner);
    return rc;
}

/* Next feature; a GDAL failure while reading it goes to read_error, a warning (a value GDAL
 * could not parse) to r->warning. */
static OGRFeatureH
next_feature(struct layer_reader *r, char *read_error, size_t n, bool *failed)
{
    OGRFeatureH feat;
    CPLErr type;

    CPLErrorReset();
    feat = OGR_L_GetNextFeature(r->layer);
    type = CPLGetLastErrorType();
    *failed = type >= CE_Failure;
    r->warning[0] = '\0';
    if (*failed)
        snprintf(read_error, n, "%s", CPLGetLastErrorMsg());
    else if (type == CE_Warning)
        snprintf(r->warning, sizeof(r->warning), "%s", CPLGetLastErrorMsg());
    return feat;
}

/* A GDAL warning while the feature was read (e.g. "x12" in a numeric field, read as 0): on a
 * key field the key is bad (*bad_key, the caller rejects); on another a bad_value issue. */
static enum lr_rc
feature_warning(struct layer_reader *r, int64_t parcel, int64_t record, int64_t fid, bool *bad_key,
                struct lr_err *err)
{
    *bad_key = false;
    if (!r->warning[0])
        return LR_OK;
    for (int f = F_COMMUNE; f <= F_PARCEL; f++) {
        const char *name = fieldmap_get(&r->src->fields, (enum fld)f);
        char pat[128];
        snprintf(pat, sizeof(pat), ".%s ", name ? name : "");
        *bad_key = *bad_key || (name && strstr(r->warning, pat));
    }
    if (*bad_key)
        return LR_OK;
    return add_issue(r, parcel, record, LR_IS_BAD_VALUE, fid, r->warning, err);
}

static enum lr_rc
load_map_feature(struct layer_reader *r, OGRFeatureH feat, const char *read_error,
                 struct lr_err *err)
{
    struct lr_parcel *p = lr_shard_add_parcel(r->sh);
    int64_t idx = (int64_t)r->sh->n_parcels - 1;
    enum lr_issue_class why;
    char msg[640];
    bool warned_key = false;
    enum lr_rc rc;

    if (!p)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    p->input = (uint32_t)r->input_idx;
    p->fid = OGR_F_GetFID(feat);
    rc = map_attributes(r, feat, p, idx, err);
    if (rc == LR_OK)
        rc = feature_warning(r, idx, -1, p->fid, &warned_key, err);
    if (rc != LR_OK)
        return rc;
    if (warned_key)
        snprintf(msg, sizeof(msg), "a key field cannot be read: %s", r->warning);
    if (warned_key || !read_key(r, feat, &p->key, msg, sizeof(msg))) {
        p->key.commune = -1;
        p->status = LR_ST_REJECTED;
        p->reject = LR_IS_BAD_KEY;
        return add_issue(r, idx, -1, LR_IS_BAD_KEY, p->fid, msg, err);
    }
    switch (lr_source_shape(OGR_F_GetGeometryRef(feat), &p->shape, &why)) {
    case LR_OK:
        if (!r->input->crs_assumed)
            return LR_OK;
        return add_issue(r, idx, -1, LR_IS_CRS_ASSUMED, p->fid,
                         "no CRS in the file; the config's crs was used", err);
    case LR_ERR_NOMEM:
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    default:
        break;
    }
    p->status = LR_ST_REJECTED;
    p->reject = why;
    if (read_error)
        snprintf(msg, sizeof(msg),
                 "%s: the geometry cannot be read (%.300s): the file is "
                 "truncated or damaged",
                 lr_issue_name(why), read_error);
    else
        snprintf(msg, sizeof(msg), "%s", lr_issue_name(why));
    return add_issue(r, idx, -1, why, p->fid, msg, err);
}

/* The CRS a map layer is read in: its own, or the config's (assumed / forced); NULL when
 * neither (the caller reports it with a zone suggestion). */
static enum lr_rc
layer_crs(struct layer_reader *r, struct lr_err *err)
{
    char *own = lr_source_layer_crs(r->layer);
    bool had_own = own != NULL;

    r->input->crs_pipeline = r->src->crs_pipeline;
    if (own && !r->src->force) {
        r->input->src_crs = own;
        return LR_OK;
    }
    free(own);
    if (!r->src->crs)
        return LR_OK;
    r->input->src_crs = strdup(r->src->crs);
    r->input->crs_assumed = !had_own;
    return r->input->src_crs ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
}

/* Extent of the parcels of input in sh (source CRS); false when none has a shape. */
static bool
input_extent(const struct lr_shard *sh, size_t first, struct lr_bbox *b)
{
    bool any = false;

    for (size_t i = first; i < sh->n_parcels; i++) {
        const struct lr_shape *s = &sh->parcels[i].shape;
        for (uint32_t k = 0; k < s->npts; k++) {
            double x = s->xy[2 * k], y = s->xy[2 * k + 1];
            if (!any) {
                *b = (struct lr_bbox){ x, y, x, y };
                any = true;
            }
            b->minx = x < b->minx ? x : b->minx;
            b->maxx = x > b->maxx ? x : b->maxx;
            b->miny = y < b->miny ? y : b->miny;
            b->maxy = y > b->maxy ? y : b->maxy;
        }
    }
    return any;
}

/* The CRS safety checks of a map layer, after its features are read and before any work. */
static enum lr_rc
check_layer_crs(struct layer_reader *r, struct lr_crs_ctx *crs, size_t first, struct lr_err *err)
{
    struct lr_bbox box;
    bool have = input_extent(r->sh, first, &box);
    char what[600], sug[400] = "";
    struct lr_crs_check chk = { r->input->src_crs,    r->sh->cfg->target_crs,
                                r->src->crs_pipeline, have ? &box : NULL,
                                r->env->ref,          what };

    snprintf(what, sizeof(what), "'%s' layer '%s'", r->path, r->layer_name);
    if (r->input->src_crs)
        return lr_crs_check_source(crs, &chk, err);
    if (have &&
        lr_crs_suggest(crs, &box, r->sh->cfg->target_crs, r->env->ref, sug, sizeof(sug)) == 0)
        snprintf(sug, sizeof(sug), "the coordinates fit no VN-2000 zone near the province");
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s has no CRS and the config gives none; add 'crs:' to this source%s%s%s%s",
                      what, sug[0] ? " (" : "",
                      sug[0] && strncmp(sug, "EPSG", 4) == 0 ? "likely " : "", sug,
                      sug[0] ? ")" : "");
}

/* After the last feature: a read that stopped on an error, or fewer features than the layer
 * announces, would drop features silently: both are errors. */
static enum lr_rc
check_complete(struct layer_reader *r, bool failed, const char *read_error, struct lr_err *err)
{
    GIntBig announced = OGR_L_TestCapability(r->layer, OLCFastFeatureCount)
                            ? OGR_L_GetFeatureCount(r->layer, FALSE)
                            : -1; /* a CSV would be read twice to count */

    if (failed)
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' layer '%s': reading stopped after %lld features: %s; the file "
                          "is damaged: repair or re-export it",
                          r->path, r->layer_name, (long long)r->input->features, read_error);
    if (announced >= 0 && announced > r->input->features && !r->src->sql && r->src->path)
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' layer '%s': %lld of %lld features could be read; the file is "
                          "damaged: repair or re-export it",
                          r->path, r->layer_name, (long long)r->input->features,
                          (long long)announced);
    if (r->input->features == 0)
        lr_log(LR_LOG_WARN, "load", NULL, "'%s' layer '%s' is empty: nothing loaded from it",
               r->path, r->layer_name);
    return LR_OK;
}

static void
log_zm(const struct layer_reader *r)
{
    OGRwkbGeometryType t = OGR_L_GetGeomType(r->layer);

    if (OGR_GT_HasZ(t) || OGR_GT_HasM(t))
        lr_log(LR_LOG_WARN, "load", NULL,
               "'%s' layer '%s' has %s%s coordinates: they are dropped (areas are planar, 2D)",
               r->path, r->layer_name, OGR_GT_HasZ(t) ? "Z" : "", OGR_GT_HasM(t) ? "M" : "");
}

static enum lr_rc
load_map_layer(const struct lr_load_env *env, struct lr_crs_ctx *crs, struct lr_shard *sh,
               const struct lr_source *src, const char *path, GDALDatasetH ds, OGRLayerH layer,
               const char *layer_name, struct lr_err *err)
{
    struct layer_reader r;
    OGRFeatureH feat;
    size_t first = sh->n_parcels;
    char read_error[512] = "";
    bool failed = false;
    enum lr_rc rc = reader_init(&r, env, sh, path, layer, layer_name, src, err);

    if (rc == LR_OK)
        rc = add_input(&r, "map", ds, err);
    if (rc == LR_OK)
        rc = layer_crs(&r, err);
    if (rc == LR_OK) {
        detect_encodings(&r);
        log_zm(&r);
    }
    while (rc == LR_OK && (feat = next_feature(&r, read_error, sizeof(read_error), &failed))) {
        sh->map_input++;
        r.input->features++;
        rc = load_map_feature(&r, feat, failed ? read_error : NULL, err);
        OGR_F_Destroy(feat);
        failed = false;
    }
    if (rc == LR_OK)
        rc = check_complete(&r, failed, read_error, err);
    if (rc == LR_OK)
        rc = check_layer_crs(&r, crs, first, err);
    lr_buf_release(&r.buf);
    return rc;
}

static enum lr_rc
load_record(struct layer_reader *r, OGRFeatureH feat, int64_t row, struct lr_err *err)
{
    struct lr_record *rec = lr_shard_add_record(r->sh);
    int64_t idx = (int64_t)r->sh->n_records - 1;
    char *lu, *area, msg[640];
    bool warned_key = false;
    enum lr_rc rc;

    if (!rec)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    r->sh->register_input++;
    r->input->features++;
    rec->input = (uint32_t)r->input_idx;
    rec->row = row;
    lu = norm_code(field_text(r, feat, F_LAND_USE));
    area = field_text(r, feat, F_AREA);
    rec->land_use = lu ? strdup(lr_landuse_current(r->env->landuse, lu)) : NULL;
    rec->owner_name = field_text(r, feat, F_OWNER_NAME);
    rec->owner_id = field_text(r, feat, F_OWNER_ID);
    rec->certificate = field_text(r, feat, F_CERTIFICATE);
    rec->address = field_text(r, feat, F_ADDRESS);
    rc = parse_area(r, area, &rec->area_dm2, -1, idx, row, err);
    if (rc == LR_OK)
        rc = check_land_use(r, lu, rec->land_use, -1, idx, row, err);
    if (rc == LR_OK)
        rc = feature_warning(r, -1, idx, row, &warned_key, err);
    if (warned_key)
        snprintf(msg, sizeof(msg), "a key field cannot be read: %s", r->warning);
    if (rc == LR_OK && (warned_key || !read_key(r, feat, &rec->key, msg, sizeof(msg)))) {
        rec->key.commune = -1;
        rec->status = LR_ST_REJECTED;
        rec->reject = LR_IS_BAD_KEY;
        rc = add_issue(r, -1, idx, LR_IS_BAD_KEY, row, msg, err);
    }
    free(lu);
    free(area);
    return rc;
}

static enum lr_rc
load_register_layer(const struct lr_load_env *env, struct lr_crs_ctx *crs, struct lr_shard *sh,
                    const struct lr_source *src, const char *path, GDALDatasetH ds, OGRLayerH layer,
                    const char *layer_name, struct lr_err *err)
{
    struct layer_reader r;
    OGRFeatureH feat;
    int64_t row = 0;
    char read_error[512] = "";
    bool failed = false;
    enum lr_rc rc = reader_init(&r, env, sh, path, layer, layer_name, src, err);

    (void)crs;
    if (rc == LR_OK)
        rc = add_input(&r, "register", ds, err);
    if (rc == LR_OK)
        detect_encodings(&r);
    while (rc == LR_OK && (feat = next_feature(&r, read_error, sizeof(read_error), &failed))) {
        rc = load_record(&r, feat, ++row, err);
        OGR_F_Destroy(feat);
        failed = false;
    }
    if (rc == LR_OK)
        rc = check_complete(&r, failed, read_error, err);
    lr_buf_release(&r.buf);
    return rc;
}

typedef enum lr_rc (*layer_fn)(const struct lr_load_env *env, struct lr_crs_ctx *crs,
                               struct lr_shard *sh, const struct lr_source *src, const char *path,
                               GDALDatasetH ds, OGRLayerH layer, const char *layer_name,
                               struct lr_err *err);

/* The source's sql run on ds (GDAL's SQLite dialect for files, PostgreSQL's for a query). */
static enum lr_rc
run_sql(GDALDatasetH ds, const char *sql, const char *dialect, const char *path, OGRLayerH *out,
        struct lr_err *err)
{
    CPLErrorReset();
    *out = GDALDatasetExecuteSQL(ds, sql, NULL, dialect);
    if (!*out)
        return lr_err_set(err, dialect ? LR_ERR_CONFIG : LR_ERR_INPUT,
                          "'%s': the source's %s failed: %s", path, dialect ? "sql" : "query",
                          CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "no result layer");
    return LR_OK;
}

/* Run fn on the layers of ds the source picks: its sql's result, the named layer, or every
 * layer (maps) / the first layer (registers). */
static enum lr_rc
for_layers(const struct lr_load_env *env, struct lr_crs_ctx *crs, struct lr_load_task *t,
           GDALDatasetH ds, layer_fn fn)
{
    const struct lr_source *src = t->src;
    const char *path = t->path;
    int count = GDALDatasetGetLayerCount(ds);
    OGRLayerH layer = NULL;
    enum lr_rc rc = LR_OK;

    if (src->sql) {
        rc = run_sql(ds, src->sql, "SQLITE", path, &layer, &t->err);
        if (rc == LR_OK)
            rc = fn(env, crs, &t->part, src, path, ds, layer, src->layer ? src->layer : "sql",
                    &t->err);
        if (layer)
            GDALDatasetReleaseResultSet(ds, layer);
        return rc;
    }
    if (src->layer) {
        layer = GDALDatasetGetLayerByName(ds, src->layer);
        if (!layer)
            return lr_err_set(&t->err, LR_ERR_INPUT, "'%s': no layer '%s' (it has %d layers)", path,
                              src->layer, count);
        return fn(env, crs, &t->part, src, path, ds, layer, src->layer, &t->err);
    }
    if (count == 0)
        return lr_err_set(&t->err, LR_ERR_INPUT, "'%s': no layer to read", path);
    for (int i = 0; rc == LR_OK && i < (t->is_map ? count : 1); i++) {
        layer = GDALDatasetGetLayer(ds, i);
        rc = fn(env, crs, &t->part, src, path, ds, layer, OGR_L_GetName(layer), &t->err);
    }
    return rc;
}

/* A connection URL with its password removed (for messages and the manifest). */
static char *
redact_url(const char *url)
{
    char *s = strdup(url), *at, *colon, *pw;

    if (!s)
        return NULL;
    at = strchr(s, '@');
    colon = strstr(s, "://") ? strchr(strstr(s, "://") + 3, ':') : NULL;
    if (at && colon && colon < at)
        memmove(colon, at, strlen(at) + 1);
    while ((pw = strstr(s, "password=")) != NULL) {
        char *end = pw + strcspn(pw, " &");
        memmove(pw, end + (*end ? 1 : 0), strlen(end + (*end ? 1 : 0)) + 1);
    }
    return s;
}

/* Append key='value' (libpq keyword syntax, percent-decoded, quotes and backslashes escaped). */
static void
conninfo_add(struct lr_buf *b, const char *key, size_t klen, const char *v, size_t n)
{
    if (b->len)
        lr_buf_addc(b, ' ');
    lr_buf_add(b, key, klen);
    lr_buf_add(b, "='", 2);
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '%' && i + 2 < n && isxdigit((unsigned char)v[i + 1]) &&
            isxdigit((unsigned char)v[i + 2])) {
            char hex[3] = { v[i + 1], v[i + 2], 0 };
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        if (c == '\'' || c == '\\')
            lr_buf_addc(b, '\\');
        lr_buf_addc(b, c);
    }
    lr_buf_addc(b, '\'');
}

/* "postgresql://user:pw@host:port/db?k=v&..." as libpq keywords (GDAL adds its own options to
 * the connection string, which a URI cannot take); other text is kept as it is. Caller frees. */
static char *
url_to_conninfo(const char *url)
{
    const char *p = url, *end, *at, *colon;
    struct lr_buf b;

    if (strncmp(p, "postgresql://", 13) && strncmp(p, "postgres://", 11))
        return strdup(url);
    lr_buf_init(&b);
    p = strstr(p, "://") + 3;
    end = p + strcspn(p, "/?");
    at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        colon = memchr(p, ':', (size_t)(at - p));
        conninfo_add(&b, "user", 4, p, (size_t)((colon ? colon : at) - p));
        if (colon)
            conninfo_add(&b, "password", 8, colon + 1, (size_t)(at - colon - 1));
        p = at + 1;
    }
    colon = memchr(p, ':', (size_t)(end - p));
    if (end > p)
        conninfo_add(&b, "host", 4, p, (size_t)((colon ? colon : end) - p));
    if (colon)
        conninfo_add(&b, "port", 4, colon + 1, (size_t)(end - colon - 1));
    p = end;
    if (*p == '/') {
        end = p + 1 + strcspn(p + 1, "?");
        if (end > p + 1)
            conninfo_add(&b, "dbname", 6, p + 1, (size_t)(end - p - 1));
        p = end;
    }
    while (*p == '?' || *p == '&') {
        const char *eq = strchr(++p, '='), *amp = p + strcspn(p, "&");
        if (!eq || eq > amp)
            break;
        conninfo_add(&b, p, (size_t)(eq - p), eq + 1, (size_t)(amp - eq - 1));
        p = amp;
    }
    return lr_buf_detach(&b);
}

/* A register query source: OGR's PostgreSQL driver on "PG:" + url, the query in PostgreSQL's
 * own dialect. */
static enum lr_rc
run_query_task(const struct lr_load_env *env, struct lr_crs_ctx *crs, struct lr_load_task *t)
{
    char *info = url_to_conninfo(t->src->url);
    char *conn = info ? lr_asprintf("PG:%s", info) : NULL, *shown = redact_url(t->src->url);
    GDALDatasetH ds = NULL;
    OGRLayerH layer = NULL;
    enum lr_rc rc = LR_OK;

    if (!conn || !shown) {
        rc = lr_err_set(&t->err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    CPLErrorReset();
    ds = GDALOpenEx(conn, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) {
        rc = lr_err_set(&t->err, LR_ERR_INPUT,
                        "register query source '%s': cannot connect: %s; check 'url'", shown,
                        CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "no PostgreSQL driver");
        goto out;
    }
    rc = run_sql(ds, t->src->query, NULL, shown, &layer, &t->err);
    if (rc == LR_OK)
        rc = load_register_layer(env, crs, &t->part, t->src, shown, NULL, layer, "query", &t->err);
out:
    if (layer)
        GDALDatasetReleaseResultSet(ds, layer);
    if (ds)
        GDALClose(ds);
    free(conn);
    free(info);
    free(shown);
    return rc;
}

/* Rows of a CSV register with more fields than its header: the extra values are ignored, each
 * such row gets a bad_value issue. */
static enum lr_rc
wide_rows(struct lr_load_task *t, const struct lr_precheck *pc)
{
    struct lr_shard *sh = &t->part;
    char detail[640];

    for (size_t i = 0; i < pc->n_wide; i++) {
        int64_t rec = pc->wide_rows[i] - 1;
        if (rec < 0 || (size_t)rec >= sh->n_records)
            continue;
        snprintf(detail, sizeof(detail),
                 "'%s' layer '%s' feature %lld: a row of %d fields where the header has %d: "
                 "the extra values are ignored",
                 t->path, sh->inputs[sh->records[rec].input].layer, (long long)sh->records[rec].row,
                 pc->wide_fields[i], pc->header_fields);
        if (lr_shard_add_issue(sh, -1, rec, LR_IS_BAD_VALUE, 0, 0, detail) != LR_OK)
            return lr_err_set(&t->err, LR_ERR_NOMEM, "out of memory");
    }
    return LR_OK;
}

enum lr_rc
lr_load_task_run(const struct lr_load_env *env, struct lr_crs_ctx *crs, struct lr_load_task *task)
{
    struct lr_precheck pc = { NULL, NULL, 0, 0 };
    GDALDatasetH ds = NULL;
    enum lr_rc rc;

    lr_shard_init(&task->part, env->cfg);
    lr_err_clear(&task->err);
    if (!task->path) {
        rc = run_query_task(env, crs, task);
    } else {
        rc = lr_source_precheck(task->path, &pc, &task->err);
        if (rc == LR_OK)
            rc = lr_source_open(task->path, &ds, &task->err);
        if (rc == LR_OK)
            rc =
                for_layers(env, crs, task, ds, task->is_map ? load_map_layer : load_register_layer);
        if (rc == LR_OK && !task->is_map)
            rc = wide_rows(task, &pc);
        lr_precheck_release(&pc);
        if (ds)
            GDALClose(ds);
    }
    task->rc = rc;
    return rc;
}
