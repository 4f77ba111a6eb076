/* refdata.c - crosswalk, boundaries and price zones (see refdata.h). */
#include "refdata.h"

#include "crs.h"
#include "geom.h"
#include "money.h"
#include "source.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static const char *
field_str(OGRFeatureH f, int idx)
{
    return idx >= 0 && OGR_F_IsFieldSetAndNotNull(f, idx) ? OGR_F_GetFieldAsString(f, idx) : NULL;
}

static bool
parse_code(const char *s, int32_t *out)
{
    struct lr_key k;

    if (!s || !lr_key_parse(s, "1", "1", &k))
        return false;
    *out = k.commune;
    return true;
}

static enum lr_rc
record_input(struct lr_shard *sh, const char *kind, const char *path, GDALDatasetH ds,
             OGRLayerH layer, struct lr_input **out, struct lr_err *err)
{
    struct lr_input *in = lr_shard_add_input(sh);

    if (!in)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    in->kind = strdup(kind);
    in->path = strdup(path);
    in->layer = strdup(OGR_L_GetName(layer));
    if (!in->kind || !in->path || !in->layer)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    *out = in;
    return lr_source_hash(ds, path, in->sha256, err);
}

static enum lr_rc
open_first_layer(const char *path, const char *layer_name, GDALDatasetH *ds, OGRLayerH *layer,
                 struct lr_err *err)
{
    enum lr_rc rc = lr_source_open(path, ds, err);

    if (rc != LR_OK)
        return rc;
    *layer = layer_name ? GDALDatasetGetLayerByName(*ds, layer_name) : GDALDatasetGetLayer(*ds, 0);
    if (!*layer)
        return lr_err_set(err, LR_ERR_INPUT, "'%s': no layer %s%s%s", path,
                          layer_name ? "'" : "to read", layer_name ? layer_name : "",
                          layer_name ? "'" : "");
    return LR_OK;
}

/* Column indices of the crosswalk: old_code, old_name, new_code, new_name, tax_code (-1 when
 * the crosswalk has no tax office code column). */
enum { XW_OLD_CODE, XW_OLD_NAME, XW_NEW_CODE, XW_NEW_NAME, XW_TAX_CODE, XW_COLS };

static enum lr_rc
crosswalk_row(struct lr_shard *sh, OGRFeatureH f, const int idx[XW_COLS], const char *path,
              int64_t row, struct lr_err *err)
{
    struct lr_commune *c;
    struct lr_commune *arr = realloc(sh->communes, (sh->n_communes + 1) * sizeof(*arr));
    const char *tax = idx[XW_TAX_CODE] >= 0 ? field_str(f, idx[XW_TAX_CODE]) : NULL;

    if (!arr)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    sh->communes = arr;
    c = &arr[sh->n_communes];
    memset(c, 0, sizeof(*c));
    if (!parse_code(field_str(f, idx[XW_OLD_CODE]), &c->old_code) ||
        !parse_code(field_str(f, idx[XW_NEW_CODE]), &c->new_code))
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' row %lld: fields 'old_code'/'new_code' must be commune codes", path,
                          (long long)row);
    c->old_name = lr_text_nfc(field_str(f, idx[XW_OLD_NAME]) ? field_str(f, idx[XW_OLD_NAME]) : "");
    c->new_name = lr_text_nfc(field_str(f, idx[XW_NEW_NAME]) ? field_str(f, idx[XW_NEW_NAME]) : "");
    c->tax_code = tax && tax[0] ? lr_text_nfc(tax) : NULL;
    sh->n_communes++;
    if (!c->old_name || !c->new_name || (tax && tax[0] && !c->tax_code))
        return lr_err_set(err, LR_ERR_INPUT, "'%s' row %lld: names are not valid UTF-8", path,
                          (long long)row);
    return LR_OK;
}

enum lr_rc
lr_refdata_load_crosswalk(struct lr_shard *sh, const char *path, struct lr_err *err)
{
    static const char *const names[XW_COLS] = { "old_code", "old_name", "new_code", "new_name",
                                                "tax_code" };
    GDALDatasetH ds = NULL;
    OGRLayerH layer = NULL;
    OGRFeatureH f;
    struct lr_input *in = NULL;
    int idx[XW_COLS];
    enum lr_rc rc = open_first_layer(path, NULL, &ds, &layer, err);

    if (rc == LR_OK)
        rc = record_input(sh, "crosswalk", path, ds, layer, &in, err);
    for (int i = 0; rc == LR_OK && i < XW_TAX_CODE; i++)
        rc = lr_source_field(layer, path, names[i], names[i], &idx[i], err);
    if (rc == LR_OK)
        idx[XW_TAX_CODE] = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), names[XW_TAX_CODE]);
    while (rc == LR_OK && (f = OGR_L_GetNextFeature(layer))) {
        rc = crosswalk_row(sh, f, idx, path, ++in->features, err);
        OGR_F_Destroy(f);
    }
    if (rc == LR_OK && sh->n_communes == 0)
        rc = lr_err_set(err, LR_ERR_INPUT, "'%s': the crosswalk is empty", path);
    if (ds)
        GDALClose(ds);
    return rc;
}

void
lr_refdata_warn_splits(const struct lr_shard *sh)
{
    for (size_t i = 0; i < sh->n_communes; i++) {
        const struct lr_commune *c = &sh->communes[i];
        size_t n = 0;
        bool first = true;
        for (size_t j = 0; j < sh->n_communes; j++) {
            if (sh->communes[j].old_code != c->old_code)
                continue;
            first = first && j >= i;
            n++;
        }
        if (n < 2 || !first)
            continue;
        if (sh->n_boundaries)
            lr_log(LR_LOG_INFO, "load", NULL,
                   "old commune %05d splits across %zu new communes: each parcel goes to the "
                   "one its position lies in",
                   (int)c->old_code, n);
        else
            lr_log(LR_LOG_WARN, "load", NULL,
                   "old commune %05d splits across %zu new communes and no boundaries are "
                   "given: its parcels all go to %05d (the crosswalk's first row for it); give "
                   "'communes.boundaries' to place them by position",
                   (int)c->old_code, n, (int)c->new_code);
    }
}

/* Read a polygon feature into a valid MultiPolygon geometry in the target CRS. */
static void *
feature_geom(struct lr_geom_ctx *g, struct lr_crs_transform *t, OGRFeatureH f)
{
    struct lr_shape s;
    enum lr_issue_class why;
    void *geom, *fixed;
    struct lr_validity v;

    if (lr_source_shape(OGR_F_GetGeometryRef(f), &s, &why) != LR_OK)
        return NULL;
    if (t && lr_crs_transform_xy(t, s.xy, s.npts) != 0) {
        lr_shape_release(&s);
        return NULL;
    }
    geom = lr_geom_from_shape(g, &s, &why);
    lr_shape_release(&s);
    if (!geom)
        return NULL;
    lr_geom_validate(g, geom, &v);
    if (v.valid)
        return geom;
    fixed = lr_geom_repair(g, geom, false);
    lr_geom_free(geom);
    return fixed;
}

/* The transform from the layer's CRS to the target; NULL (no transform) when it has none. */
static enum lr_rc
layer_transform(struct lr_shard *sh, struct lr_crs_ctx *c, OGRLayerH layer, const char *path,
                struct lr_crs_transform **t, struct lr_err *err)
{
    char *wkt = lr_source_layer_crs(layer);
    enum lr_rc rc = LR_OK;

    *t = NULL;
    if (wkt)
        rc = lr_crs_transform_new(c, wkt, sh->cfg->target_crs, path, t, err);
    free(wkt);
    return rc;
}

enum lr_rc
lr_refdata_load_boundaries(struct lr_shard *sh, struct lr_geom_ctx *g, struct lr_crs_ctx *c,
                           const char *path, struct lr_err *err)
{
    GDALDatasetH ds = NULL;
    OGRLayerH layer = NULL;
    OGRFeatureH f;
    struct lr_crs_transform *t = NULL;
    struct lr_input *in = NULL;
    int idx = -1;
    enum lr_rc rc = open_first_layer(path, NULL, &ds, &layer, err);

    if (rc == LR_OK)
        rc = record_input(sh, "boundaries", path, ds, layer, &in, err);
    if (rc == LR_OK)
        rc = lr_source_field(layer, path, "new_code", "new_code", &idx, err);
    if (rc == LR_OK)
        rc = layer_transform(sh, c, layer, path, &t, err);
    while (rc == LR_OK && (f = OGR_L_GetNextFeature(layer))) {
        struct lr_boundary *arr = realloc(sh->boundaries, (sh->n_boundaries + 1) * sizeof(*arr));
        int32_t code = -1;
        in->features++;
        if (!arr) {
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        } else {
            sh->boundaries = arr;
            arr[sh->n_boundaries].geom = feature_geom(g, t, f);
            arr[sh->n_boundaries].prep = NULL;
            if (!parse_code(field_str(f, idx), &code) || !arr[sh->n_boundaries].geom)
                rc = lr_err_set(err, LR_ERR_INPUT,
                                "'%s' feature %lld: needs a commune code in 'new_code' and a "
                                "polygon",
                                path, (long long)OGR_F_GetFID(f));
            arr[sh->n_boundaries].new_code = code;
            if (arr[sh->n_boundaries].geom)
                arr[sh->n_boundaries].prep = lr_geom_prepare(g, arr[sh->n_boundaries].geom);
            sh->n_boundaries++;
        }
        OGR_F_Destroy(f);
    }
    lr_crs_transform_free(t);
    if (ds)
        GDALClose(ds);
    return rc;
}

/* Fill one zone from a feature; the zone keeps whatever was set for release on error. */
static enum lr_rc
zone_row(struct lr_shard *sh, struct lr_geom_ctx *g, struct lr_crs_transform *t, OGRFeatureH f,
         const int idx[4], const char *path, struct lr_err *err)
{
    struct lr_zone *arr = realloc(sh->zones, (sh->n_zones + 1) * sizeof(*arr));
    struct lr_zone *z;
    const char *price;
    struct lr_key pos;
    struct lr_err perr = { LR_OK, "" };

    if (!arr)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    sh->zones = arr;
    z = &arr[sh->n_zones++];
    memset(z, 0, sizeof(*z));
    z->zone = lr_text_nfc(field_str(f, idx[0]) ? field_str(f, idx[0]) : "");
    z->land_use = lr_strdup(field_str(f, idx[1]));
    z->geom = feature_geom(g, t, f);
    price = field_str(f, idx[3]);
    if (!z->zone || !z->land_use || !z->geom || !price ||
        lr_money_parse_vnd(price, &z->price_vnd, &perr) != LR_OK ||
        !lr_key_parse("1", field_str(f, idx[2]) ? field_str(f, idx[2]) : "0", "1", &pos))
        return lr_err_set(err, LR_ERR_INPUT,
                          "'%s' feature %lld: a price zone needs zone, land_use, position, a "
                          "price in VND and a polygon %s",
                          path, (long long)OGR_F_GetFID(f), perr.msg);
    for (char *c = z->land_use; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    z->position = pos.sheet;
    z->prep = lr_geom_prepare(g, z->geom);
    return LR_OK;
}

enum lr_rc
lr_refdata_load_zones(struct lr_shard *sh, struct lr_geom_ctx *g, struct lr_crs_ctx *c,
                      struct lr_err *err)
{
    const struct lr_source *src = &sh->cfg->price_zones;
    const struct lr_zone_fields *zf = &sh->cfg->zone_fields;
    const char *names[4] = { zf->zone, zf->land_use, zf->position, zf->price };
    static const char *const logical[4] = { "zone", "land_use", "position", "price" };
    GDALDatasetH ds = NULL;
    OGRLayerH layer = NULL;
    OGRFeatureH f;
    struct lr_crs_transform *t = NULL;
    struct lr_input *in = NULL;
    int idx[4];
    enum lr_rc rc = open_first_layer(src->path, src->layer, &ds, &layer, err);

    if (rc == LR_OK)
        rc = record_input(sh, "price_zones", src->path, ds, layer, &in, err);
    for (int i = 0; rc == LR_OK && i < 4; i++)
        rc = lr_source_field(layer, src->path, names[i], logical[i], &idx[i], err);
    if (rc == LR_OK)
        rc = layer_transform(sh, c, layer, src->path, &t, err);
    while (rc == LR_OK && (f = OGR_L_GetNextFeature(layer))) {
        in->features++;
        rc = zone_row(sh, g, t, f, idx, src->path, err);
        OGR_F_Destroy(f);
    }
    lr_crs_transform_free(t);
    if (ds)
        GDALClose(ds);
    return rc;
}
