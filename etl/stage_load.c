/* stage_load.c - read every input through OGR into the shard's tables: crosswalk, boundaries,
 * price zones, map parcels (coordinates in their source CRS) and register records. Text is read
 * as raw bytes and decoded here (text.h); keys are normalised (model.h). A bad feature or row
 * becomes a rejected parcel/record with a reason; an unreadable input stops the run (exit 3). */
#include "crs.h"
#include "geom.h"
#include "landuse.h"
#include "money.h"
#include "refdata.h"
#include "source.h"
#include "stage.h"
#include "text.h"

#include <cpl_conv.h>
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
    const struct lr_source *src;
    const char *path;
    OGRLayerH layer;
    struct lr_input *input;
    size_t input_idx;
    int idx[F_COUNT];
    enum lr_encoding enc[F_COUNT];
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

/* Decoded NFC text of field f of feat; NULL when unmapped or null. Caller frees. */
static char *
field_text(struct layer_reader *r, OGRFeatureH feat, enum fld f)
{
    const char *raw;
    size_t bad = 0;

    if (r->idx[f] < 0 || !OGR_F_IsFieldSetAndNotNull(feat, r->idx[f]))
        return NULL;
    raw = OGR_F_GetFieldAsString(feat, r->idx[f]);
    if (lr_text_decode(r->enc[f], raw, strlen(raw), &r->buf, &bad) != LR_OK)
        return NULL;
    if (r->enc[f] != LR_ENC_UTF8) {
        for (const char *p = raw; *p; p++)
            if ((unsigned char)*p >= 0x80) {
                r->input->converted++;
                break;
            }
    }
    return lr_buf_detach(&r->buf);
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

/* For encoding auto: detect each mapped text field's encoding from a sample of the layer. */
static void
detect_encodings(struct layer_reader *r)
{
    enum { SAMPLE = 2000 };
    for (int f = 0; f < F_COUNT; f++) {
        char **vals = calloc(SAMPLE, sizeof(char *));
        size_t n = 0;
        bool ambiguous = false;
        OGRFeatureH feat;
        if (r->enc[f] != LR_ENC_AUTO || r->idx[f] < 0 || !vals) {
            free(vals);
            continue;
        }
        OGR_L_ResetReading(r->layer);
        while (n < SAMPLE && (feat = OGR_L_GetNextFeature(r->layer))) {
            if (OGR_F_IsFieldSetAndNotNull(feat, r->idx[f]))
                vals[n++] = strdup(OGR_F_GetFieldAsString(feat, r->idx[f]));
            OGR_F_Destroy(feat);
        }
        r->enc[f] = lr_text_detect((const char *const *)vals, n, &ambiguous);
        if (ambiguous) {
            r->input->ambiguous += (int64_t)n;
            lr_log(LR_LOG_WARN, "load", NULL,
                   "'%s' layer '%s' field '%s': encoding ambiguous, decoding as %s", r->path,
                   OGR_L_GetName(r->layer), fld_names[f], lr_encoding_name(r->enc[f]));
        }
        for (size_t i = 0; i < n; i++)
            free(vals[i]);
        free(vals);
    }
    OGR_L_ResetReading(r->layer);
}

static enum lr_rc
reader_init(struct layer_reader *r, const char *path, OGRLayerH layer, const struct lr_source *src,
            struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    r->src = src;
    r->path = path;
    r->layer = layer;
    lr_buf_init(&r->buf);
    for (int f = 0; f < F_COUNT && rc == LR_OK; f++) {
        rc = lr_source_field(layer, path, fieldmap_get(&src->fields, (enum fld)f), fld_names[f],
                             &r->idx[f], err);
        r->enc[f] = src->encoding;
    }
    return rc;
}

static enum lr_rc
add_input(struct lr_shard *sh, const char *kind, const char *path, OGRLayerH layer, GDALDatasetH ds,
          struct layer_reader *r, struct lr_err *err)
{
    struct lr_input *in = lr_shard_add_input(sh);

    if (!in)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    in->kind = strdup(kind);
    in->path = strdup(path);
    in->layer = layer ? strdup(OGR_L_GetName(layer)) : NULL;
    if (!in->kind || !in->path)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (r) {
        r->input = in;
        r->input_idx = sh->n_inputs - 1;
    }
    return lr_source_hash(ds, path, in->sha256, err);
}

/* Layers to read from ds: the named one, or every layer. */
static enum lr_rc
pick_layers(GDALDatasetH ds, const char *path, const char *name, bool first_only, OGRLayerH *layers,
            int *n, struct lr_err *err)
{
    int count = GDALDatasetGetLayerCount(ds);

    *n = 0;
    if (name) {
        layers[0] = GDALDatasetGetLayerByName(ds, name);
        if (!layers[0])
            return lr_err_set(err, LR_ERR_INPUT, "'%s': no layer '%s'", path, name);
        *n = 1;
        return LR_OK;
    }
    if (count == 0)
        return lr_err_set(err, LR_ERR_INPUT, "'%s': no layer to read", path);
    for (int i = 0; i < count && *n < 64; i++) {
        layers[(*n)++] = GDALDatasetGetLayer(ds, i);
        if (first_only)
            break;
    }
    return LR_OK;
}

/* Parse the integer text of a map field (scale, commune code). */
static bool
parse_int_text(const char *s, int32_t *out)
{
    struct lr_key k;

    if (!lr_key_parse(s, "1", "1", &k))
        return false;
    *out = k.commune;
    return true;
}

static enum lr_rc
reject_issue(struct lr_shard *sh, int64_t parcel, int64_t record, enum lr_issue_class why,
             const struct layer_reader *r, int64_t fid, const char *what, struct lr_err *err)
{
    char detail[512];

    snprintf(detail, sizeof(detail), "'%s' layer '%s' feature %lld: %s", r->path,
             OGR_L_GetName(r->layer), (long long)fid, what);
    if (lr_shard_add_issue(sh, parcel, record, why, 0, 0, detail) != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

/* Key fields of a feature into key; raw texts kept for the message. */
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

static enum lr_rc
map_attributes(struct lr_shard *sh, struct layer_reader *r, OGRFeatureH feat, struct lr_parcel *p,
               const struct lr_source *src)
{
    char *lu = norm_code(field_text(r, feat, F_LAND_USE));
    char *area = field_text(r, feat, F_AREA), *scale = field_text(r, feat, F_SCALE);
    char *owner = field_text(r, feat, F_OWNER_NAME);
    struct lr_err ignored = { LR_OK, "" };

    p->place = field_text(r, feat, F_PLACE);
    p->land_use_raw = lu;
    p->land_use = lu ? strdup(lr_landuse_current(sh->landuse, lu)) : NULL;
    if (area && lr_money_parse_area(area, &p->area_attr_dm2, &ignored) != LR_OK)
        p->area_attr_dm2 = -1;
    p->scale = src->scale > 0 ? src->scale : sh->cfg->default_scale;
    if (scale) {
        int32_t v;
        if (parse_int_text(scale, &v) && v > 0)
            p->scale = v;
    }
    if (owner && owner[0]) {
        p->has_owner = true;
        p->owner_hash = 1469598103934665603ULL;
        for (const unsigned char *c = (const unsigned char *)owner; *c; c++)
            p->owner_hash = (p->owner_hash ^ *c) * 1099511628211ULL;
    }
    free(area);
    free(scale);
    free(owner);
    return LR_OK;
}

static enum lr_rc
load_map_feature(struct lr_shard *sh, struct layer_reader *r, OGRFeatureH feat,
                 const struct lr_source *src, bool assumed, struct lr_err *err)
{
    struct lr_parcel *p = lr_shard_add_parcel(sh);
    int64_t idx = (int64_t)sh->n_parcels - 1;
    enum lr_issue_class why;
    char msg[256];

    if (!p)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    p->input = (uint32_t)r->input_idx;
    p->fid = OGR_F_GetFID(feat);
    map_attributes(sh, r, feat, p, src);
    if (!read_key(r, feat, &p->key, msg, sizeof(msg))) {
        p->status = LR_ST_REJECTED;
        p->reject = LR_IS_BAD_KEY;
        return reject_issue(sh, idx, -1, LR_IS_BAD_KEY, r, p->fid, msg, err);
    }
    switch (lr_source_shape(OGR_F_GetGeometryRef(feat), &p->shape, &why)) {
    case LR_OK:
        break;
    case LR_ERR_NOMEM:
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    default:
        p->status = LR_ST_REJECTED;
        p->reject = why;
        return reject_issue(sh, idx, -1, why, r, p->fid, lr_issue_name(why), err);
    }
    if (assumed && lr_shard_add_issue(sh, idx, -1, LR_IS_CRS_ASSUMED, 0, 0,
                                      "no CRS in the file; the config's crs was used") != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

/* The CRS a map layer is read in: its own, or the config's (assumed / forced). */
static enum lr_rc
layer_crs(const struct lr_source *src, OGRLayerH layer, const char *path, struct lr_input *in,
          struct lr_err *err)
{
    char *own = lr_source_layer_crs(layer);

    if (own && !src->force) {
        in->src_crs = own;
        return LR_OK;
    }
    free(own);
    if (!src->crs)
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' layer '%s' has no CRS and the config gives none; add 'crs:' "
                          "(e.g. EPSG:9212) to this source",
                          path, OGR_L_GetName(layer));
    in->src_crs = strdup(src->crs);
    in->crs_assumed = !src->force;
    return in->src_crs ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
}

static enum lr_rc
load_map_layer(struct lr_shard *sh, const struct lr_source *src, const char *path, GDALDatasetH ds,
               OGRLayerH layer, struct lr_err *err)
{
    struct layer_reader r;
    OGRFeatureH feat;
    enum lr_rc rc;

    memset(&r, 0, sizeof(r));
    rc = reader_init(&r, path, layer, src, err);
    if (rc == LR_OK && (r.idx[F_SHEET] < 0 || r.idx[F_PARCEL] < 0 || r.idx[F_COMMUNE] < 0))
        rc = lr_err_set(err, LR_ERR_CONFIG,
                        "map source '%s': fields 'commune', 'sheet' and 'parcel' must be mapped",
                        path);
    if (rc == LR_OK)
        rc = add_input(sh, "map", path, layer, ds, &r, err);
    if (rc == LR_OK)
        rc = layer_crs(src, layer, path, r.input, err);
    if (rc == LR_OK)
        detect_encodings(&r);
    OGR_L_ResetReading(layer);
    while (rc == LR_OK && (feat = OGR_L_GetNextFeature(layer))) {
        sh->map_input++;
        r.input->features++;
        rc = load_map_feature(sh, &r, feat, src, r.input->crs_assumed, err);
        OGR_F_Destroy(feat);
    }
    lr_buf_release(&r.buf);
    return rc;
}

typedef enum lr_rc (*layer_fn)(struct lr_shard *sh, const struct lr_source *src, const char *path,
                               GDALDatasetH ds, OGRLayerH layer, struct lr_err *err);

/* Open every file of a source (globs expanded) and run fn on each picked layer. */
static enum lr_rc
for_each_layer(struct lr_shard *sh, const struct lr_source *src, bool first_only, layer_fn fn,
               struct lr_err *err)
{
    char **paths = NULL;
    size_t n = 0;
    enum lr_rc rc = lr_source_glob(src->path, &paths, &n, err);

    for (size_t i = 0; rc == LR_OK && i < n; i++) {
        GDALDatasetH ds = NULL;
        OGRLayerH layers[64];
        int nl = 0;
        rc = lr_source_open(paths[i], &ds, err);
        if (rc == LR_OK)
            rc = pick_layers(ds, paths[i], src->layer, first_only, layers, &nl, err);
        for (int l = 0; rc == LR_OK && l < nl; l++)
            rc = fn(sh, src, paths[i], ds, layers[l], err);
        if (ds)
            GDALClose(ds);
    }
    lr_source_glob_free(paths, n);
    return rc;
}

static enum lr_rc
record_attributes(struct layer_reader *r, OGRFeatureH feat, struct lr_record *rec,
                  struct lr_shard *sh, int64_t idx, struct lr_err *err)
{
    char *lu = norm_code(field_text(r, feat, F_LAND_USE));
    char *area = field_text(r, feat, F_AREA);
    struct lr_err perr = { LR_OK, "" };
    enum lr_rc rc = LR_OK;

    rec->land_use = lu ? strdup(lr_landuse_current(sh->landuse, lu)) : NULL;
    rec->owner_name = field_text(r, feat, F_OWNER_NAME);
    rec->owner_id = field_text(r, feat, F_OWNER_ID);
    rec->certificate = field_text(r, feat, F_CERTIFICATE);
    rec->address = field_text(r, feat, F_ADDRESS);
    if (area && lr_money_parse_area(area, &rec->area_dm2, &perr) != LR_OK) {
        rec->area_dm2 = -1;
        rc = reject_issue(sh, -1, idx, LR_IS_BAD_VALUE, r, rec->row, perr.msg, err);
    } else if (!area && r->idx[F_AREA] >= 0) {
        rc = reject_issue(sh, -1, idx, LR_IS_BAD_VALUE, r, rec->row, "area is empty", err);
    }
    free(lu);
    free(area);
    return rc;
}

static enum lr_rc
load_register_layer(struct lr_shard *sh, const struct lr_source *src, const char *path,
                    GDALDatasetH ds, OGRLayerH layer, struct lr_err *err)
{
    struct layer_reader r;
    OGRFeatureH feat;
    enum lr_rc rc;
    int64_t row = 0;

    memset(&r, 0, sizeof(r));
    rc = reader_init(&r, path, layer, src, err);
    if (rc == LR_OK && (r.idx[F_SHEET] < 0 || r.idx[F_PARCEL] < 0 || r.idx[F_COMMUNE] < 0))
        rc = lr_err_set(err, LR_ERR_CONFIG,
                        "register source '%s': fields 'commune', 'sheet' and 'parcel' must be "
                        "mapped",
                        path);
    if (rc == LR_OK)
        rc = add_input(sh, "register", path, layer, ds, &r, err);
    if (rc == LR_OK)
        detect_encodings(&r);
    while (rc == LR_OK && (feat = OGR_L_GetNextFeature(layer))) {
        struct lr_record *rec = lr_shard_add_record(sh);
        int64_t idx = (int64_t)sh->n_records - 1;
        char msg[256];
        if (!rec) {
            OGR_F_Destroy(feat);
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
            break;
        }
        sh->register_input++;
        r.input->features++;
        rec->input = (uint32_t)r.input_idx;
        rec->row = ++row;
        rc = record_attributes(&r, feat, rec, sh, idx, err);
        if (rc == LR_OK && !read_key(&r, feat, &rec->key, msg, sizeof(msg))) {
            rec->status = LR_ST_REJECTED;
            rec->reject = LR_IS_BAD_KEY;
            rc = reject_issue(sh, -1, idx, LR_IS_BAD_KEY, &r, rec->row, msg, err);
        }
        OGR_F_Destroy(feat);
    }
    lr_buf_release(&r.buf);
    return rc;
}

enum lr_rc
lr_stage_load(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    const struct lr_config *cfg = ctx->cfg;
    enum lr_rc rc = LR_OK;

    sh->landuse = calloc(1, sizeof(*sh->landuse));
    if (!sh->landuse)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = lr_landuse_load(sh->landuse, cfg->land_use_map, err);
    if (rc == LR_OK)
        rc = lr_refdata_load_crosswalk(sh, cfg->crosswalk, err);
    if (rc == LR_OK && cfg->boundaries)
        rc = lr_refdata_load_boundaries(sh, ctx->geom, ctx->crs, cfg->boundaries, err);
    if (rc == LR_OK)
        rc = lr_refdata_load_zones(sh, ctx->geom, ctx->crs, err);
    for (size_t i = 0; rc == LR_OK && i < cfg->n_maps; i++)
        rc = for_each_layer(sh, &cfg->maps[i], false, load_map_layer, err);
    for (size_t i = 0; rc == LR_OK && i < cfg->n_registers; i++) {
        if (!cfg->registers[i].path)
            rc = lr_err_set(err, LR_ERR_CONFIG,
                            "register source %zu: a PostgreSQL query source is not yet "
                            "available; export the register to CSV",
                            i + 1);
        else
            rc = for_each_layer(sh, &cfg->registers[i], true, load_register_layer, err);
    }
    st->in = sh->map_input + sh->register_input;
    for (size_t i = 0; i < sh->n_parcels; i++)
        st->rejected += sh->parcels[i].status == LR_ST_REJECTED;
    for (size_t i = 0; i < sh->n_records; i++)
        st->rejected += sh->records[i].status == LR_ST_REJECTED;
    st->out = st->in - st->rejected;
    return rc;
}
