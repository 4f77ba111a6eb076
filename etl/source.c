/* source.c - OGR input helpers (see source.h). */
#include "source.h"

#include "io.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <glob.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum lr_rc
lr_source_glob(const char *pattern, char ***paths, size_t *n, struct lr_err *err)
{
    glob_t g;
    int r;

    *paths = NULL;
    *n = 0;
    if (!strpbrk(pattern, "*?[")) {
        *paths = calloc(1, sizeof(char *));
        if (!*paths || !((*paths)[0] = strdup(pattern)))
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        *n = 1;
        return LR_OK;
    }
    r = glob(pattern, 0, NULL, &g);
    if (r == GLOB_NOMATCH)
        return lr_err_set(err, LR_ERR_INPUT, "no file matches '%s'; check the path in the config",
                          pattern);
    if (r != 0)
        return lr_err_set(err, LR_ERR_INPUT, "cannot list '%s'", pattern);
    *paths = calloc(g.gl_pathc, sizeof(char *));
    for (size_t i = 0; *paths && i < g.gl_pathc; i++)
        if (!((*paths)[(*n)++] = strdup(g.gl_pathv[i])))
            break;
    globfree(&g);
    if (!*paths || (*n && !(*paths)[*n - 1]))
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    qsort(*paths, *n, sizeof(char *), cmp_str);
    return LR_OK;
}

void
lr_source_glob_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

enum lr_rc
lr_source_open(const char *path, GDALDatasetH *out, struct lr_err *err)
{
    CPLErrorReset();
    *out = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!*out) {
        const char *why = CPLGetLastErrorMsg();
        return lr_err_set(err, LR_ERR_INPUT, "cannot read '%s': %s", path,
                          why && *why ? why : "not a readable vector dataset");
    }
    return LR_OK;
}

enum lr_rc
lr_source_hash(GDALDatasetH ds, const char *path, char hex[65], struct lr_err *err)
{
    char **files = ds ? GDALGetFileList(ds) : NULL;
    size_t n = (size_t)CSLCount(files);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char digest[32];
    enum lr_rc rc = LR_OK;

    if (!md) {
        CSLDestroy(files);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    if (n <= 1) {
        EVP_MD_CTX_free(md);
        CSLDestroy(files);
        return lr_io_sha256_file(path, hex, err);
    }
    qsort(files, n, sizeof(char *), cmp_str);
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < n && rc == LR_OK; i++) {
        char one[65];
        rc = lr_io_sha256_file(files[i], one, err);
        EVP_DigestUpdate(md, one, 64);
    }
    EVP_DigestFinal_ex(md, digest, NULL);
    lr_io_sha256_hex(digest, hex);
    EVP_MD_CTX_free(md);
    CSLDestroy(files);
    return rc;
}

enum lr_rc
lr_source_field(OGRLayerH layer, const char *path, const char *name, const char *logical, int *idx,
                struct lr_err *err)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    struct lr_buf known;
    enum lr_rc rc;

    *idx = -1;
    if (!name)
        return LR_OK;
    *idx = OGR_FD_GetFieldIndex(defn, name);
    if (*idx >= 0)
        return LR_OK;
    lr_buf_init(&known);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
        lr_buf_addf(&known, "%s%s", i ? ", " : "",
                    OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    rc = lr_err_set(err, LR_ERR_INPUT,
                    "'%s' layer '%s': no field '%s' (mapped as '%s' in the config); the "
                    "layer's fields are: %s",
                    path, OGR_L_GetName(layer), name, logical, known.data ? known.data : "(none)");
    lr_buf_release(&known);
    return rc;
}

/* Count parts, rings and points of a MultiPolygon. */
static void
shape_sizes(OGRGeometryH mp, uint32_t *nparts, uint32_t *nrings, uint32_t *npts)
{
    *nparts = (uint32_t)OGR_G_GetGeometryCount(mp);
    *nrings = *npts = 0;
    for (uint32_t p = 0; p < *nparts; p++) {
        OGRGeometryH poly = OGR_G_GetGeometryRef(mp, (int)p);
        int nr = OGR_G_GetGeometryCount(poly);
        *nrings += (uint32_t)nr;
        for (int r = 0; r < nr; r++)
            *npts += (uint32_t)OGR_G_GetPointCount(OGR_G_GetGeometryRef(poly, r));
    }
}

/* Copy the coordinates of MultiPolygon mp into s (sized already). false on NaN/Inf. */
static bool
shape_fill(OGRGeometryH mp, struct lr_shape *s)
{
    uint32_t ring = 0, pt = 0;

    for (uint32_t p = 0; p < s->nparts; p++) {
        OGRGeometryH poly = OGR_G_GetGeometryRef(mp, (int)p);
        int nr = OGR_G_GetGeometryCount(poly);
        s->part_rings[p] = (uint32_t)nr;
        for (int r = 0; r < nr; r++, ring++) {
            OGRGeometryH lr = OGR_G_GetGeometryRef(poly, r);
            int np = OGR_G_GetPointCount(lr);
            s->ring_pts[ring] = (uint32_t)np;
            OGR_G_GetPoints(lr, s->xy + 2 * (size_t)pt, 2 * sizeof(double),
                            s->xy + 2 * (size_t)pt + 1, 2 * sizeof(double), NULL, 0);
            pt += (uint32_t)np;
        }
    }
    for (size_t i = 0; i < 2 * (size_t)s->npts; i++)
        if (!isfinite(s->xy[i]))
            return false;
    return true;
}

enum lr_rc
lr_source_shape(OGRGeometryH g, struct lr_shape *out, enum lr_issue_class *why)
{
    OGRGeometryH mp = NULL;
    OGRwkbGeometryType t;
    enum lr_rc rc = LR_OK;

    memset(out, 0, sizeof(*out));
    if (!g || OGR_G_IsEmpty(g)) {
        *why = LR_IS_NO_GEOMETRY;
        return LR_ERR_INPUT;
    }
    t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbCurvePolygon && t != wkbMultiSurface) {
        *why = LR_IS_NOT_POLYGON;
        return LR_ERR_INPUT;
    }
    mp = OGR_G_ForceToMultiPolygon(OGR_G_Clone(g));
    if (!mp || wkbFlatten(OGR_G_GetGeometryType(mp)) != wkbMultiPolygon) {
        *why = LR_IS_NOT_POLYGON;
        rc = LR_ERR_INPUT;
        goto out;
    }
    shape_sizes(mp, &out->nparts, &out->nrings, &out->npts);
    out->part_rings = calloc(out->nparts ? out->nparts : 1, sizeof(uint32_t));
    out->ring_pts = calloc(out->nrings ? out->nrings : 1, sizeof(uint32_t));
    out->xy = calloc(out->npts ? 2 * (size_t)out->npts : 1, sizeof(double));
    if (!out->part_rings || !out->ring_pts || !out->xy) {
        rc = LR_ERR_NOMEM;
        goto out;
    }
    if (!shape_fill(mp, out)) {
        *why = LR_IS_BAD_COORDINATES;
        rc = LR_ERR_INPUT;
    }
out:
    if (rc != LR_OK)
        lr_shape_release(out);
    if (mp)
        OGR_G_DestroyGeometry(mp);
    return rc;
}

char *
lr_source_layer_crs(OGRLayerH layer)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    const char *opts[] = { "FORMAT=WKT2_2019", NULL };
    char *wkt = NULL, *out;

    if (!srs)
        return NULL;
    if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        return NULL;
    }
    out = strdup(wkt);
    CPLFree(wkt);
    return out;
}
