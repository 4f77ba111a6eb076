/* sample_out.c - the sample set's side files: crosswalk.csv, communes.gpkg, price_zones.gpkg
 * and landrec.yaml. Each is written to the path given (a temporary name); sample.c renames.
 * GeoPackages carry a fixed timestamp (OGR_CURRENT_DATE) so the bytes repeat. */
#include "sample_int.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONE_MARGIN_M 20.0  /* zones reach half way across the road strip around the blocks */
#define DENSIFY_M     100.0 /* zone edges get a vertex at least every 100 m */

/* ---- crosswalk.csv ---- */

enum lr_rc
lr_sample_write_crosswalk(const struct lr_sample_world *w, const char *path, struct lr_err *err)
{
    FILE *f = fopen(path, "w");
    struct lr_buf b;
    enum lr_rc rc = LR_OK;

    if (!f)
        return lr_err_set(err, LR_ERR_IO, "cannot create '%s'", path);
    lr_buf_init(&b);
    rc = lr_buf_adds(&b, "old_code,old_name,new_code,new_name\n");
    for (int k = 0; k < w->n_com && rc == LR_OK; k++) {
        const struct lr_sample_commune *c = &w->com[k];
        const struct lr_sample_group *g = &w->grp[c->group];

        rc = lr_buf_addf(&b, "%05d,", c->code);
        if (rc == LR_OK)
            rc = lr_buf_add_csv(&b, c->name);
        if (rc == LR_OK)
            rc = lr_buf_addf(&b, ",%05d,", g->code);
        if (rc == LR_OK)
            rc = lr_buf_add_csv(&b, g->name);
        if (rc == LR_OK)
            rc = lr_buf_addc(&b, '\n');
    }
    if (rc != LR_OK)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", path);
    else if (fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0)
        rc = lr_err_set(err, LR_ERR_IO, "cannot write '%s'", path);
    if (fclose(f) != 0 && rc == LR_OK)
        rc = lr_err_set(err, LR_ERR_IO, "cannot write '%s'", path);
    lr_buf_release(&b);
    return rc;
}

/* ---- GeoPackages ---- */

struct gpkg {
    GDALDatasetH ds;
    OGRLayerH lyr;
    char *saved_date; /* OGR_CURRENT_DATE before we set it */
    const char *path;
};

static enum lr_rc
gpkg_field(struct gpkg *g, const char *name, OGRFieldType type, int width, struct lr_err *err)
{
    OGRFieldDefnH d = OGR_Fld_Create(name, type);
    OGRErr e;

    OGR_Fld_SetWidth(d, width);
    e = OGR_L_CreateField(g->lyr, d, TRUE);
    OGR_Fld_Destroy(d);
    if (e != OGRERR_NONE)
        return lr_err_set(err, LR_ERR_IO, "cannot create field '%s' in '%s': %s", name, g->path,
                          CPLGetLastErrorMsg());
    return LR_OK;
}

/* Create a GeoPackage with one layer (EPSG:5899) and start a transaction. */
static enum lr_rc
gpkg_open(struct gpkg *g, const struct lr_sample_world *w, const char *path, const char *layer,
          OGRwkbGeometryType type, struct lr_err *err)
{
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    const char *old = CPLGetConfigOption("OGR_CURRENT_DATE", NULL);

    memset(g, 0, sizeof *g);
    g->path = path;
    g->saved_date = old ? strdup(old) : NULL;
    CPLSetConfigOption("OGR_CURRENT_DATE", "2025-07-01T00:00:00.000Z");
    if (!drv)
        return lr_err_set(err, LR_ERR_INTERNAL, "GDAL has no GPKG driver");
    unlink(path);
    CPLErrorReset();
    g->ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!g->ds)
        return lr_err_set(err, LR_ERR_IO, "cannot create '%s': %s", path, CPLGetLastErrorMsg());
    g->lyr = GDALDatasetCreateLayer(g->ds, layer, w->srs_dst, type, NULL);
    if (!g->lyr)
        return lr_err_set(err, LR_ERR_IO, "cannot create layer '%s' in '%s': %s", layer, path,
                          CPLGetLastErrorMsg());
    if (GDALDatasetStartTransaction(g->ds, FALSE) != OGRERR_NONE)
        return lr_err_set(err, LR_ERR_IO, "cannot start a transaction in '%s': %s", path,
                          CPLGetLastErrorMsg());
    return LR_OK;
}

/* Commit (when rc is LR_OK), close, restore OGR_CURRENT_DATE. */
static enum lr_rc
gpkg_close(struct gpkg *g, enum lr_rc rc, struct lr_err *err)
{
    if (g->ds && rc == LR_OK && GDALDatasetCommitTransaction(g->ds) != OGRERR_NONE)
        rc = lr_err_set(err, LR_ERR_IO, "cannot commit '%s': %s", g->path, CPLGetLastErrorMsg());
    if (g->ds) {
        CPLErrorReset();
        GDALClose(g->ds);
        if (rc == LR_OK && CPLGetLastErrorType() >= CE_Failure)
            rc =
                lr_err_set(err, LR_ERR_IO, "cannot finish '%s': %s", g->path, CPLGetLastErrorMsg());
    }
    CPLSetConfigOption("OGR_CURRENT_DATE", g->saved_date);
    free(g->saved_date);
    memset(g, 0, sizeof *g);
    return rc;
}

static enum lr_rc
gpkg_put(struct gpkg *g, OGRFeatureH f, OGRGeometryH geom, struct lr_err *err)
{
    if (OGR_F_SetGeometry(f, geom) != OGRERR_NONE || OGR_L_CreateFeature(g->lyr, f) != OGRERR_NONE)
        return lr_err_set(err, LR_ERR_IO, "cannot write a feature to '%s': %s", g->path,
                          CPLGetLastErrorMsg());
    return LR_OK;
}

/* A ring of n points, transformed to EPSG:5899, added to polygon poly. */
static enum lr_rc
add_ring(const struct lr_sample_world *w, OGRGeometryH poly, struct lr_sample_ring *r,
         const char *path, struct lr_err *err)
{
    OGRGeometryH ring;

    if (lr_sample_to_target(w, r->x, r->y, r->n, path, err) != LR_OK)
        return err->rc;
    ring = OGR_G_CreateGeometry(wkbLinearRing);
    if (!ring)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", path);
    OGR_G_SetPoints(ring, r->n, r->x, sizeof(double), r->y, sizeof(double), NULL, 0);
    if (OGR_G_AddGeometryDirectly(poly, ring) != OGRERR_NONE)
        return lr_err_set(err, LR_ERR_INTERNAL, "cannot build a polygon for '%s'", path);
    return LR_OK;
}

/* ---- communes.gpkg ---- */

/* The outline of commune c's block through every lattice node of its edge, exactly the nodes
 * the parcels along the edge use, clockwise. */
static enum lr_rc
block_ring(const struct lr_sample_world *w, const struct lr_sample_commune *c,
           struct lr_sample_ring *r, struct lr_err *err)
{
    int nx = LR_SAMPLE_NX(c), ny = LR_SAMPLE_NY(c);
    double x, y;
    enum lr_rc rc = LR_OK;

    r->n = 0;
    for (int i = 0; i < nx && rc == LR_OK; i++)
        lr_sample_node(c, w->seed, i, 0, &x, &y), rc = lr_sample_ring_push(r, x, y, err);
    for (int j = 0; j < ny && rc == LR_OK; j++)
        lr_sample_node(c, w->seed, nx, j, &x, &y), rc = lr_sample_ring_push(r, x, y, err);
    for (int i = nx; i > 0 && rc == LR_OK; i--)
        lr_sample_node(c, w->seed, i, ny, &x, &y), rc = lr_sample_ring_push(r, x, y, err);
    for (int j = ny; j >= 0 && rc == LR_OK; j--)
        lr_sample_node(c, w->seed, 0, j, &x, &y), rc = lr_sample_ring_push(r, x, y, err);
    return rc;
}

static enum lr_rc
commune_feature(const struct lr_sample_world *w, struct gpkg *g, OGRFeatureH f,
                const struct lr_sample_group *grp, struct lr_sample_ring *r, struct lr_err *err)
{
    OGRGeometryH multi = OGR_G_CreateGeometry(wkbMultiPolygon);
    char code[16];
    enum lr_rc rc = multi ? LR_OK : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    for (int k = grp->first; k < grp->first + grp->count && rc == LR_OK; k++) {
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);

        rc = poly ? block_ring(w, &w->com[k], r, err)
                  : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        if (rc == LR_OK)
            rc = add_ring(w, poly, r, g->path, err);
        if (rc == LR_OK && OGR_G_AddGeometryDirectly(multi, poly) != OGRERR_NONE)
            rc = lr_err_set(err, LR_ERR_INTERNAL, "cannot build commune %05d", grp->code);
        else if (rc != LR_OK)
            OGR_G_DestroyGeometry(poly);
    }
    snprintf(code, sizeof code, "%05d", grp->code);
    OGR_F_SetFieldString(f, 0, code);
    OGR_F_SetFieldString(f, 1, grp->name);
    OGR_F_SetFID(f, OGRNullFID);
    if (rc == LR_OK)
        rc = gpkg_put(g, f, multi, err);
    OGR_G_DestroyGeometry(multi);
    return rc;
}

enum lr_rc
lr_sample_write_communes(const struct lr_sample_world *w, const char *path, struct lr_err *err)
{
    struct gpkg g;
    struct lr_sample_ring r;
    OGRFeatureH f = NULL;
    enum lr_rc rc;

    lr_sample_ring_init(&r);
    rc = gpkg_open(&g, w, path, "communes", wkbMultiPolygon, err);
    if (rc == LR_OK)
        rc = gpkg_field(&g, "new_code", OFTString, 5, err);
    if (rc == LR_OK)
        rc = gpkg_field(&g, "new_name", OFTString, 0, err);
    if (rc == LR_OK && !(f = OGR_F_Create(OGR_L_GetLayerDefn(g.lyr))))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", path);
    for (int k = 0; k < w->n_grp && rc == LR_OK; k++)
        rc = commune_feature(w, &g, f, &w->grp[k], &r, err);
    if (f)
        OGR_F_Destroy(f);
    rc = gpkg_close(&g, rc, err);
    lr_sample_ring_release(&r);
    return rc;
}

/* ---- price_zones.gpkg ---- */

static const struct {
    int lu;
    int64_t lo, hi; /* VND per m^2 */
} price_ranges[] = {
    { LR_SLU_CLN, 120000, 400000 },    { LR_SLU_ONT, 800000, 4000000 },
    { LR_SLU_ODT, 3000000, 12000000 }, { LR_SLU_HNK, 90000, 250000 },
    { LR_SLU_LUC, 90000, 250000 },     { LR_SLU_RSX, 50000, 90000 },
    { LR_SLU_TMD, 1000000, 5000000 },  { LR_SLU_DGT, 150000, 600000 },
    { LR_SLU_TON, 500000, 2000000 },
};

/* A band [ybot, ytop] x [x0, x1], clockwise, with a vertex at least every DENSIFY_M; the
 * horizontal edges' vertices depend only on x0, x1 and y, so neighbouring bands share them. */
static enum lr_rc
band_ring(struct lr_sample_ring *r, double x0, double x1, double ytop, double ybot,
          struct lr_err *err)
{
    int nh = (int)ceil((x1 - x0) / DENSIFY_M), nv = (int)ceil((ytop - ybot) / DENSIFY_M);
    enum lr_rc rc = LR_OK;

    r->n = 0;
    for (int t = 0; t < nh && rc == LR_OK; t++)
        rc = lr_sample_ring_push(r, x0 + (x1 - x0) * t / nh, ytop, err);
    for (int t = 0; t < nv && rc == LR_OK; t++)
        rc = lr_sample_ring_push(r, x1, ytop - (ytop - ybot) * t / nv, err);
    for (int t = nh; t > 0 && rc == LR_OK; t--)
        rc = lr_sample_ring_push(r, x0 + (x1 - x0) * t / nh, ybot, err);
    for (int t = nv; t >= 0 && rc == LR_OK; t--)
        rc = lr_sample_ring_push(r, x0, ytop - (ytop - ybot) * t / nv, err);
    return rc;
}

/* Price at position pos (1 = best) of n: base drawn in the upper half of the range, lower
 * positions towards the bottom of the range; whole thousands of VND. */
static int64_t
zone_price(struct lr_sample_rng *rng, int64_t lo, int64_t hi, int pos)
{
    static const double factor[] = { 1.0, 0.6, 0.3 };
    double base = (double)lo + (double)(hi - lo) * (0.5 + 0.5 * lr_sample_rng_unit(rng));
    double p = (double)lo + (base - (double)lo) * factor[pos - 1];

    return llround(p / 1000.0) * 1000;
}

/* Bounding box of a new commune's blocks plus ZONE_MARGIN_M, EPSG:9212. */
static void
group_box(const struct lr_sample_world *w, const struct lr_sample_group *g, double box[4])
{
    const struct lr_sample_commune *c = &w->com[g->first];

    box[0] = c->ox - ZONE_MARGIN_M;
    box[1] = c->ox + c->xs[LR_SAMPLE_NX(c)];
    box[2] = c->oy + ZONE_MARGIN_M;
    box[3] = c->oy - c->ys[LR_SAMPLE_NY(c)];
    for (int k = g->first + 1; k < g->first + g->count; k++) {
        c = &w->com[k];
        box[1] = fmax(box[1], c->ox + c->xs[LR_SAMPLE_NX(c)]);
        box[3] = fmin(box[3], c->oy - c->ys[LR_SAMPLE_NY(c)]);
    }
    box[1] += ZONE_MARGIN_M;
    box[3] -= ZONE_MARGIN_M;
}

static enum lr_rc
zone_features(struct gpkg *g, OGRFeatureH f, OGRGeometryH poly, const struct lr_sample_group *grp,
              struct lr_sample_rng *rng, int pos, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    char id[32];

    for (size_t k = 0; k < LR_ARRAY_LEN(price_ranges) && rc == LR_OK; k++) {
        const char *lu = lr_sample_lu_code[price_ranges[k].lu];

        snprintf(id, sizeof id, "%05d-%s-%d", grp->code, lu, pos);
        OGR_F_SetFieldString(f, 0, id);
        OGR_F_SetFieldString(f, 1, lu);
        OGR_F_SetFieldInteger(f, 2, pos);
        OGR_F_SetFieldInteger64(f, 3, zone_price(rng, price_ranges[k].lo, price_ranges[k].hi, pos));
        OGR_F_SetFID(f, OGRNullFID);
        rc = gpkg_put(g, f, poly, err);
    }
    return rc;
}

/* 2-3 bands (positions 1..3) from north to south; band borders fall at arbitrary northings, so
 * some parcels straddle two zones. Each band holds one zone per land use (none for SKC). */
static enum lr_rc
group_zones(const struct lr_sample_world *w, struct gpkg *g, OGRFeatureH f, int k,
            struct lr_sample_ring *r, struct lr_err *err)
{
    const struct lr_sample_group *grp = &w->grp[k];
    struct lr_sample_rng rng;
    double box[4], ytop, ybot;
    int nb;
    enum lr_rc rc = LR_OK;

    lr_sample_rng_seed(&rng, w->seed, (uint64_t)grp->code, 0, 3);
    group_box(w, grp, box);
    nb = lr_sample_rng_int(&rng, 2, 3);
    ybot = box[2];
    for (int b = 1; b <= nb && rc == LR_OK; b++) {
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
        double frac = (b + (lr_sample_rng_unit(&rng) - 0.5) * 0.3) / nb;

        ytop = ybot;
        ybot = b == nb ? box[3] : round((box[2] - (box[2] - box[3]) * frac) * 100) / 100 + 0.37;
        rc = poly ? band_ring(r, box[0], box[1], ytop, ybot, err)
                  : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        if (rc == LR_OK)
            rc = add_ring(w, poly, r, g->path, err);
        if (rc == LR_OK)
            rc = zone_features(g, f, poly, grp, &rng, b, err);
        OGR_G_DestroyGeometry(poly);
    }
    return rc;
}

enum lr_rc
lr_sample_write_zones(const struct lr_sample_world *w, const char *path, struct lr_err *err)
{
    struct gpkg g;
    struct lr_sample_ring r;
    OGRFeatureH f = NULL;
    enum lr_rc rc;

    lr_sample_ring_init(&r);
    rc = gpkg_open(&g, w, path, "price_zones", wkbPolygon, err);
    if (rc == LR_OK)
        rc = gpkg_field(&g, "zone_id", OFTString, 0, err);
    if (rc == LR_OK)
        rc = gpkg_field(&g, "land_use", OFTString, 5, err);
    if (rc == LR_OK)
        rc = gpkg_field(&g, "position", OFTInteger, 0, err);
    if (rc == LR_OK)
        rc = gpkg_field(&g, "price_vnd_m2", OFTInteger64, 0, err);
    if (rc == LR_OK && !(f = OGR_F_Create(OGR_L_GetLayerDefn(g.lyr))))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", path);
    for (int k = 0; k < w->n_grp && rc == LR_OK; k++)
        rc = group_zones(w, &g, f, k, &r, err);
    if (f)
        OGR_F_Destroy(f);
    rc = gpkg_close(&g, rc, err);
    lr_sample_ring_release(&r);
    return rc;
}

/* ---- landrec.yaml ---- */

static const char config_text[] =
    "run:\n"
    "  name: sample\n"
    "  output: out\n"
    "  jobs: 0\n"
    "target_crs: EPSG:5899\n"
    "communes:\n"
    "  crosswalk: crosswalk.csv\n"
    "  boundaries: communes.gpkg\n"
    "sources:\n"
    "  maps:\n"
    "    - path: maps/*.shp\n"
    "      crs: EPSG:9212\n"
    "      encoding: TCVN3\n"
    "      scale: 2000\n"
    "      fields: {commune: MAXA, sheet: SHBANDO, parcel: SOTHUA, land_use: LOAIDAT, "
    "area: DIENTICH,\n"
    "               scale: TYLEBD, owner_name: TENCHU, place: XUDONG}\n"
    "  register:\n"
    "    - path: register.csv\n"
    "      fields: {commune: ma_xa, sheet: so_to, parcel: so_thua, land_use: loai_dat, "
    "area: dien_tich,\n"
    "               owner_name: chu_su_dung, owner_id: so_dinh_danh, certificate: so_gcn,\n"
    "               address: dia_chi}\n"
    "  price_zones:\n"
    "    path: price_zones.gpkg\n"
    "    fields: {zone: zone_id, land_use: land_use, position: position, price: price_vnd_m2}\n"
    "validate:\n"
    "  repair: structure\n"
    "  sliver_thinness: 0.05\n"
    "  min_overlap_m2: 0.5\n"
    "  min_gap_m2: 0.5\n"
    "match:\n"
    "  area_tolerance: regulation\n"
    "valuation:\n"
    "  method: interior_point\n"
    "  residential_limit_m2: 200\n"
    "  tax:\n"
    "    residential: [0.0003, 0.0007, 0.0015]\n"
    "    non_agricultural_other: 0.0003\n"
    "    agricultural: 0\n"
    "gates:\n"
    "  max_unmatched_ratio: 0.30\n"
    "  max_unrepairable_ratio: 0.01\n";

enum lr_rc
lr_sample_write_config(const struct lr_sample_world *w, const char *path, struct lr_err *err)
{
    FILE *f = fopen(path, "w");
    int bad;

    if (!f)
        return lr_err_set(err, LR_ERR_IO, "cannot create '%s'", path);
    bad = fprintf(f,
                  "# landrec sample set: %lld parcels wanted, %d old communes, seed %llu\n"
                  "# (written by `landrec sample`; injected defects are listed in "
                  "injected.csv)\n",
                  (long long)w->o->parcels, w->o->communes, (unsigned long long)w->seed) < 0;
    bad |= fputs(config_text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad)
        return lr_err_set(err, LR_ERR_IO, "cannot write '%s'", path);
    return LR_OK;
}
