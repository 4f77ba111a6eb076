/* crs.c - PROJ wrappers (see crs.h). */
#include "crs.h"

#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A CRS's area of use on its own plane, remembered per definition (PROJ's database lookups
 * behind it cost tens of milliseconds; a batch checks the same few CRSs for every file). */
struct plane_memo {
    char *def;
    bool ok;
    struct lr_bbox box;
};

#define PLANE_MEMO_MAX 32

struct lr_crs_ctx {
    PJ_CONTEXT *pj;
    struct plane_memo planes[PLANE_MEMO_MAX];
    size_t n_planes;
};

struct lr_crs_transform {
    struct lr_crs_ctx *c;
    PJ *op;
    char *desc;
};

const char *
lr_crs_version(void)
{
    return proj_info().release;
}

struct lr_crs_ctx *
lr_crs_ctx_new(void)
{
    struct lr_crs_ctx *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->pj = proj_context_create();
    if (!c->pj) {
        free(c);
        return NULL;
    }
    proj_log_level(c->pj, PJ_LOG_NONE);
    return c;
}

void
lr_crs_ctx_free(struct lr_crs_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_planes; i++)
        free(c->planes[i].def);
    proj_context_destroy(c->pj);
    free(c);
}

/* ---- datums ---- */

/* A datum as far as the checks need it: its EPSG code when PROJ knows it, and its name reduced
 * for comparison (see datum_key). */
struct datum_id {
    char code[16];
    char key[96];
};

/* Reduce a datum name for comparison: ESRI's "D_" prefix dropped, lower-case letters and digits
 * only, known aliases folded. ESRI WKT says "D_Vietnam_2000" or "D_VN_2000" where EPSG says
 * "Vietnam 2000"; a WGS 84 ensemble is still WGS 84. */
static void
datum_key(const char *name, char *out, size_t n)
{
    static const char *const alias[][2] = {
        { "vn2000", "vietnam2000" },
        { "wgs1984", "worldgeodeticsystem1984" },
        { "wgs84", "worldgeodeticsystem1984" },
        { "worldgeodeticsystem1984ensemble", "worldgeodeticsystem1984" },
        { "hn72", "hanoi1972" },
    };
    size_t j = 0;

    if ((name[0] == 'D' || name[0] == 'd') && name[1] == '_')
        name += 2;
    for (const char *p = name; *p && j + 1 < n; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            out[j++] = *p;
        else if (*p >= 'A' && *p <= 'Z')
            out[j++] = (char)(*p - 'A' + 'a');
    out[j] = '\0';
    for (size_t i = 0; i < LR_ARRAY_LEN(alias); i++)
        if (strcmp(out, alias[i][0]) == 0)
            snprintf(out, n, "%s", alias[i][1]);
}

/* The CRS itself, or the base CRS of a bound CRS (one carrying a towgs84). Caller destroys. */
static PJ *
crs_base(PJ_CONTEXT *pj, const PJ *crs)
{
    if (proj_get_type(crs) == PJ_TYPE_BOUND_CRS)
        return proj_get_source_crs(pj, crs);
    return proj_clone(pj, crs);
}

static void
datum_ident(PJ_CONTEXT *pj, const PJ *crs, struct datum_id *d)
{
    PJ *base = crs_base(pj, crs);
    PJ *geod = base ? proj_crs_get_geodetic_crs(pj, base) : NULL;
    PJ *datum = geod ? proj_crs_get_datum_forced(pj, geod) : NULL;
    const char *auth = datum ? proj_get_id_auth_name(datum, 0) : NULL;
    const char *code = datum ? proj_get_id_code(datum, 0) : NULL;
    const char *name = datum ? proj_get_name(datum) : NULL;

    memset(d, 0, sizeof(*d));
    if (auth && code && strcmp(auth, "EPSG") == 0)
        snprintf(d->code, sizeof(d->code), "%s", code);
    datum_key(name ? name : "", d->key, sizeof(d->key));
    if (!d->code[0] && strcmp(d->key, "vietnam2000") == 0)
        snprintf(d->code, sizeof(d->code), "6756");
    proj_destroy(datum);
    proj_destroy(geod);
    proj_destroy(base);
}

static bool
datum_known(const struct datum_id *d)
{
    return d->code[0] || (d->key[0] && strncmp(d->key, "unknown", 7) != 0 &&
                          strncmp(d->key, "unnamed", 7) != 0 && strcmp(d->key, "unknown") != 0);
}

static bool
datum_same(const struct datum_id *a, const struct datum_id *b)
{
    if (a->code[0] && b->code[0])
        return strcmp(a->code, b->code) == 0;
    return datum_known(a) && strcmp(a->key, b->key) == 0;
}

static bool
datum_is(const struct datum_id *d, const char *code, const char *key)
{
    return strcmp(d->code, code) == 0 || strcmp(d->key, key) == 0;
}

/* When both CRSs share a datum the pipeline must not hold a datum shift. */
static enum lr_rc
check_no_datum_shift(struct lr_crs_ctx *c, PJ *a, PJ *b, const char *desc, const char *what,
                     struct lr_err *err)
{
    static const char *const shifts[] = { "helmert",    "gridshift",  "towgs84",
                                          "molodensky", "+proj=cart", "deformation" };
    struct datum_id da, db;

    datum_ident(c->pj, a, &da);
    datum_ident(c->pj, b, &db);
    if (!datum_same(&da, &db))
        return LR_OK;
    for (size_t i = 0; i < LR_ARRAY_LEN(shifts); i++)
        if (strstr(desc, shifts[i]))
            return lr_err_set(err, LR_ERR_INPUT,
                              "%s: the operation from the source CRS to the target holds a datum "
                              "shift ('%s') although both use the same datum (%s%s); check the "
                              "source's CRS definition",
                              what, shifts[i], da.code[0] ? "EPSG:" : "",
                              da.code[0] ? da.code : da.key);
    return LR_OK;
}

/* ---- choosing one operation ---- */

/* Does op (or one of its steps) use the operation named name / with id EPSG:code? */
static bool
op_uses(PJ_CONTEXT *pj, const PJ *op, const char *code, const char *name)
{
    const char *auth = proj_get_id_auth_name(op, 0), *id = proj_get_id_code(op, 0);
    const char *nm = proj_get_name(op);
    int n = proj_get_type(op) == PJ_TYPE_CONCATENATED_OPERATION
                ? proj_concatoperation_get_step_count(pj, op)
                : 0;
    bool found = (auth && id && strcmp(auth, "EPSG") == 0 && strcmp(id, code) == 0) ||
                 (nm && strstr(nm, name));

    for (int i = 0; i < n && !found; i++) {
        PJ *step = proj_concatoperation_get_step(pj, op, i);
        found = step && op_uses(pj, step, code, name);
        proj_destroy(step);
    }
    return found;
}

/* The best instantiable operation from a to b (PROJ's order), optionally only one that goes
 * through EPSG:6960. aoi: west, south, east, north in degrees, or NULL. Caller destroys. */
static PJ *
pick_op(PJ_CONTEXT *pj, const PJ *a, const PJ *b, const double *aoi, bool pin6960)
{
    PJ_OPERATION_FACTORY_CONTEXT *f = proj_create_operation_factory_context(pj, NULL);
    PJ_OBJ_LIST *ops = NULL;
    PJ *op = NULL;

    if (!f)
        return NULL;
    proj_operation_factory_context_set_spatial_criterion(
        pj, f, PROJ_SPATIAL_CRITERION_PARTIAL_INTERSECTION);
    proj_operation_factory_context_set_grid_availability_use(
        pj, f, PROJ_GRID_AVAILABILITY_DISCARD_OPERATION_IF_MISSING_GRID);
    if (aoi)
        proj_operation_factory_context_set_area_of_interest(pj, f, aoi[0], aoi[1], aoi[2], aoi[3]);
    ops = proj_create_operations(pj, a, b, f);
    for (int i = 0; ops && i < proj_list_get_count(ops) && !op; i++) {
        PJ *cand = proj_list_get(pj, ops, i);
        if (cand && proj_coordoperation_is_instantiable(pj, cand) &&
            (!pin6960 || op_uses(pj, cand, "6960", "VN-2000 to WGS 84 (2)")))
            op = cand;
        else
            proj_destroy(cand);
    }
    proj_list_destroy(ops);
    proj_operation_factory_context_destroy(f);
    return op;
}

/* VN-2000 on one side and WGS 84 on the other? */
static bool
vn2000_wgs84_pair(PJ_CONTEXT *pj, const PJ *a, const PJ *b)
{
    struct datum_id da, db;

    datum_ident(pj, a, &da);
    datum_ident(pj, b, &db);
    return (datum_is(&da, "6756", "vietnam2000") &&
            datum_is(&db, "6326", "worldgeodeticsystem1984")) ||
           (datum_is(&db, "6756", "vietnam2000") &&
            datum_is(&da, "6326", "worldgeodeticsystem1984"));
}

/* Hand op (consumed) to t in traditional GIS order, with its PROJ string as description. */
static enum lr_rc
set_op(struct lr_crs_ctx *c, PJ *op, bool normalize, const char *what, struct lr_crs_transform *t,
       struct lr_err *err)
{
    const char *desc;

    t->op = normalize ? proj_normalize_for_visualization(c->pj, op) : op;
    if (normalize)
        proj_destroy(op);
    if (!t->op)
        return lr_err_set(err, LR_ERR_INPUT, "%s: cannot normalise the axis order", what);
    desc = proj_as_proj_string(c->pj, t->op, PJ_PROJ_5, NULL);
    t->desc = strdup(desc ? desc : proj_get_name(t->op));
    if (!t->desc)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

static enum lr_rc
make_op(struct lr_crs_ctx *c, PJ *a, PJ *b, const char *what, bool pin_only,
        struct lr_crs_transform *t, struct lr_err *err)
{
    bool pin = vn2000_wgs84_pair(c->pj, a, b);
    PJ *op;
    enum lr_rc rc;

    if (pin_only && !pin)
        return lr_err_set(err, LR_ERR_INPUT, "%s: not a pair of a VN-2000 CRS and a WGS 84 CRS",
                          what);
    op = pick_op(c->pj, a, b, NULL, pin);
    if (!op)
        return lr_err_set(err, LR_ERR_INPUT,
                          "%s: no coordinate operation from the source CRS to the target%s; "
                          "give an explicit CRS in the config",
                          what, pin ? " through EPSG:6960 (VN-2000 to WGS 84 (2))" : "");
    rc = set_op(c, op, true, what, t, err);
    if (rc == LR_OK)
        rc = check_no_datum_shift(c, a, b, t->desc, what, err);
    return rc;
}

static enum lr_rc
transform_new(struct lr_crs_ctx *c, const char *src, const char *dst, const char *what,
              bool pin_only, struct lr_crs_transform **out, struct lr_err *err)
{
    PJ *a = NULL, *b = NULL;
    struct lr_crs_transform *t = NULL;
    enum lr_rc rc = LR_OK;

    a = proj_create(c->pj, src);
    b = proj_create(c->pj, dst);
    if (!a || !b) {
        rc = lr_err_set(err, LR_ERR_INPUT, "%s: PROJ does not understand the CRS '%.80s'", what,
                        !a ? src : dst);
        goto out;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    t->c = c;
    rc = make_op(c, a, b, what, pin_only, t, err);
    if (rc != LR_OK)
        goto out;
    *out = t;
    t = NULL;
out:
    lr_crs_transform_free(t);
    proj_destroy(a);
    proj_destroy(b);
    return rc;
}

enum lr_rc
lr_crs_transform_new(struct lr_crs_ctx *c, const char *src, const char *dst, const char *what,
                     struct lr_crs_transform **out, struct lr_err *err)
{
    return transform_new(c, src, dst, what, false, out, err);
}

enum lr_rc
lr_crs_transform_vn2000_wgs84(struct lr_crs_ctx *c, const char *src, const char *dst,
                              const char *what, struct lr_crs_transform **out, struct lr_err *err)
{
    return transform_new(c, src, dst, what, true, out, err);
}

enum lr_rc
lr_crs_transform_from_pipeline(struct lr_crs_ctx *c, const char *pipeline, const char *what,
                               struct lr_crs_transform **out, struct lr_err *err)
{
    struct lr_crs_transform *t = calloc(1, sizeof(*t));
    PJ *op;
    enum lr_rc rc;

    if (!t)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    t->c = c;
    op = proj_create(c->pj, pipeline);
    if (!op || proj_is_crs(op)) {
        proj_destroy(op);
        lr_crs_transform_free(t);
        return lr_err_set(err, LR_ERR_CONFIG,
                          "%s: 'crs_pipeline' is not a PROJ coordinate operation: '%.120s'", what,
                          pipeline);
    }
    rc = set_op(c, op, false, what, t, err);
    if (rc != LR_OK) {
        lr_crs_transform_free(t);
        return rc;
    }
    *out = t;
    return LR_OK;
}

void
lr_crs_transform_free(struct lr_crs_transform *t)
{
    if (!t)
        return;
    proj_destroy(t->op);
    free(t->desc);
    free(t);
}

const char *
lr_crs_transform_desc(const struct lr_crs_transform *t)
{
    return t->desc;
}

size_t
lr_crs_transform_xy(struct lr_crs_transform *t, double *xy, size_t n)
{
    size_t bad = 0;

    if (n == 0)
        return 0;
    proj_trans_generic(t->op, PJ_FWD, xy, 2 * sizeof(double), n, xy + 1, 2 * sizeof(double), n,
                       NULL, 0, 0, NULL, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]) || xy[2 * i] == HUGE_VAL)
            bad++;
    return bad;
}

/* ---- ingest safety checks ---- */

#define AREA_MARGIN_M   20000.0 /* data may lie this far outside a CRS's area of use */
#define AREA_MARGIN_DEG 0.2
#define REF_MARGIN_M    10000.0 /* ... and this far from where the province's reference data is */

/* The parameters the checks need, read from the CRS's PROJ string (decimal degrees even where
 * EPSG stores sexagesimal values). */
struct crs_params {
    bool known; /* PROJ could write the CRS as a PROJ string */
    bool geographic;
    bool tmerc; /* Transverse Mercator, UTM included */
    double lon_0, k, x_0;
    bool towgs84, towgs84_zero;
};

static double
pstr_value(const char *s, const char *key, double dflt)
{
    const char *p = strstr(s, key);

    return p ? strtod(p + strlen(key), NULL) : dflt;
}

static void
towgs84_params(const char *s, struct crs_params *p)
{
    const char *tw = strstr(s, "+towgs84=");
    char *end;

    if (!tw)
        return;
    p->towgs84 = p->towgs84_zero = true;
    for (const char *q = tw + 9; *q && *q != ' ';) {
        if (strtod(q, &end) != 0)
            p->towgs84_zero = false;
        if (end == q)
            break;
        q = *end == ',' ? end + 1 : end;
    }
}

static void
crs_params(PJ_CONTEXT *pj, const PJ *crs, struct crs_params *p)
{
    PJ_TYPE t = proj_get_type(crs);
    const char *s = proj_as_proj_string(pj, crs, PJ_PROJ_4, NULL);

    memset(p, 0, sizeof(*p));
    p->geographic = t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS;
    if (!s)
        return;
    p->known = true;
    if (strstr(s, "+proj=utm")) {
        double zone = pstr_value(s, "+zone=", 0);
        p->tmerc = zone > 0 && !strstr(s, "+south");
        p->lon_0 = zone * 6 - 183;
        p->k = 0.9996;
        p->x_0 = 500000;
    } else if (strstr(s, "+proj=tmerc")) {
        p->tmerc = true;
        p->lon_0 = pstr_value(s, "+lon_0=", 0);
        p->k = pstr_value(s, strstr(s, "+k_0=") ? "+k_0=" : "+k=", 1);
        p->x_0 = pstr_value(s, "+x_0=", 0);
    }
    towgs84_params(s, p);
}

static bool
near(double a, double b)
{
    return fabs(a - b) < 1e-7;
}

/* UTM central meridians: 3, 9, ... 105, 111, ... */
static bool
utm_meridian(double lon_0)
{
    double r = fmod(lon_0 + 183, 6);

    return near(r, 0) || near(r, 6);
}

static double
margin_of(const PJ *crs, double metres)
{
    PJ_TYPE t = proj_get_type(crs);
    bool geog = t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS;

    return geog ? AREA_MARGIN_DEG * metres / AREA_MARGIN_M : metres;
}

/* The operation from longitude/latitude in degrees (OGC:CRS84; areas of use are given so) to
 * the CRS, in traditional GIS order. The datum shift on the way does not matter at the margins
 * the checks use. Caller destroys. */
static PJ *
geog_op(PJ_CONTEXT *pj, const PJ *crs)
{
    PJ *base = crs_base(pj, crs);
    PJ *geog = base ? proj_create(pj, "OGC:CRS84") : NULL;
    PJ *op = geog ? proj_create_crs_to_crs_from_pj(pj, geog, base, NULL, NULL) : NULL;
    PJ *norm = op ? proj_normalize_for_visualization(pj, op) : NULL;

    proj_destroy(op);
    proj_destroy(geog);
    proj_destroy(base);
    return norm;
}

/* The CRS's area of use on its own plane (edges densified); false when unknown. */
static bool
area_plane(PJ_CONTEXT *pj, const PJ *crs, struct lr_bbox *out)
{
    double w, s, e, n;
    PJ *base = crs_base(pj, crs);
    PJ *op = NULL;
    bool ok = base && proj_get_area_of_use(pj, base, &w, &s, &e, &n, NULL) && w < e &&
              w > -180 + 1e-9 && e < 180 - 1e-9;

    if (ok)
        op = geog_op(pj, base);
    ok = ok && op &&
         proj_trans_bounds(pj, op, PJ_FWD, w, s, e, n, &out->minx, &out->miny, &out->maxx,
                           &out->maxy, 21) &&
         isfinite(out->minx) && isfinite(out->maxx) && isfinite(out->miny) && isfinite(out->maxy);
    proj_destroy(op);
    proj_destroy(base);
    return ok;
}

/* area_plane of the CRS crs defined by def, remembered in c. */
static bool
area_plane_memo(struct lr_crs_ctx *c, const char *def, const PJ *crs, struct lr_bbox *out)
{
    struct plane_memo *m;

    for (size_t i = 0; i < c->n_planes; i++)
        if (strcmp(c->planes[i].def, def) == 0) {
            *out = c->planes[i].box;
            return c->planes[i].ok;
        }
    if (c->n_planes == PLANE_MEMO_MAX)
        return area_plane(c->pj, crs, out);
    m = &c->planes[c->n_planes];
    m->def = strdup(def);
    if (!m->def)
        return area_plane(c->pj, crs, out);
    m->ok = area_plane(c->pj, crs, &m->box);
    c->n_planes++;
    *out = m->box;
    return m->ok;
}

static bool
bbox_inside(const struct lr_bbox *a, const struct lr_bbox *b, double margin)
{
    return a->minx >= b->minx - margin && a->maxx <= b->maxx + margin &&
           a->miny >= b->miny - margin && a->maxy <= b->maxy + margin;
}

static bool
bbox_meets(const struct lr_bbox *a, const struct lr_bbox *b, double margin)
{
    return a->minx <= b->maxx + margin && a->maxx >= b->minx - margin &&
           a->miny <= b->maxy + margin && a->maxy >= b->miny - margin;
}

bool
lr_crs_transform_bbox(struct lr_crs_transform *t, const struct lr_bbox *in, struct lr_bbox *out)
{
    return proj_trans_bounds(t->c->pj, t->op, PJ_FWD, in->minx, in->miny, in->maxx, in->maxy,
                             &out->minx, &out->miny, &out->maxx, &out->maxy, 21) &&
           isfinite(out->minx) && isfinite(out->maxx) && isfinite(out->miny) && isfinite(out->maxy);
}

/* VN-2000 projected CRSs to try when suggesting a zone: the TM-3 zones and UTM 48N/49N of the
 * EPSG Dataset (shared/realdata/vn2000-epsg-reference; deprecated 6956-6959 left out). */
static const int vn2000_crs[] = { 9205, 9206, 9207, 9208, 9209, 9210, 9211, 9212, 9213, 9214,
                                  9215, 9216, 9217, 9218, 5896, 5897, 5898, 5899, 3405, 3406 };

struct zone_fit {
    int code;
    double score;
    char name[80];
};

/* Does data, read in EPSG:code, land inside that CRS's area of use, the target's area of use
 * (dst_area, may be NULL) and near ref (may be NULL)? score ranks the fits. */
static bool
zone_fits(PJ_CONTEXT *pj, int code, const struct lr_bbox *data, const PJ *dst,
          const struct lr_bbox *dst_area, const struct lr_bbox *ref, struct zone_fit *fit)
{
    char def[32];
    PJ *crs, *op = NULL, *norm = NULL;
    struct lr_bbox plane, tb;
    bool ok;

    snprintf(def, sizeof(def), "EPSG:%d", code);
    crs = proj_create(pj, def);
    ok = crs && area_plane(pj, crs, &plane) && bbox_inside(data, &plane, AREA_MARGIN_M);
    op = ok ? pick_op(pj, crs, dst, NULL, false) : NULL;
    norm = op ? proj_normalize_for_visualization(pj, op) : NULL;
    ok = norm && proj_trans_bounds(pj, norm, PJ_FWD, data->minx, data->miny, data->maxx, data->maxy,
                                   &tb.minx, &tb.miny, &tb.maxx, &tb.maxy, 21);
    ok = ok && (!dst_area || bbox_inside(&tb, dst_area, margin_of(dst, AREA_MARGIN_M)));
    ok = ok && (!ref || bbox_meets(&tb, ref, margin_of(dst, REF_MARGIN_M)));
    if (ok) {
        double cx = (tb.minx + tb.maxx) / 2, cy = (tb.miny + tb.maxy) / 2;
        fit->code = code;
        snprintf(fit->name, sizeof(fit->name), "%s", proj_get_name(crs));
        fit->score = bbox_inside(data, &plane, 0) ? 1e12 : 0;
        if (ref)
            fit->score -= hypot(cx - (ref->minx + ref->maxx) / 2, cy - (ref->miny + ref->maxy) / 2);
        else
            fit->score -= fabs((data->minx + data->maxx) / 2 - (plane.minx + plane.maxx) / 2);
    }
    proj_destroy(norm);
    proj_destroy(op);
    proj_destroy(crs);
    return ok;
}

static int
cmp_fit(const void *a, const void *b)
{
    const struct zone_fit *x = a, *y = b;

    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->code - y->code;
}

size_t
lr_crs_suggest(struct lr_crs_ctx *c, const struct lr_bbox *data, const char *dst,
               const struct lr_bbox *ref, char *buf, size_t n)
{
    struct zone_fit fits[LR_ARRAY_LEN(vn2000_crs)];
    struct lr_bbox dst_area;
    PJ *b = proj_create(c->pj, dst);
    bool have_area = b && area_plane(c->pj, b, &dst_area);
    size_t nfit = 0, len = 0;

    if (n)
        buf[0] = '\0';
    for (size_t i = 0; b && data && i < LR_ARRAY_LEN(vn2000_crs); i++)
        if (zone_fits(c->pj, vn2000_crs[i], data, b, have_area ? &dst_area : NULL, ref,
                      &fits[nfit]))
            nfit++;
    qsort(fits, nfit, sizeof(fits[0]), cmp_fit);
    for (size_t i = 0; i < nfit && i < 3 && len < n; i++) {
        int w = snprintf(buf + len, n - len, "%sEPSG:%d (%s)", i ? ", or " : "", fits[i].code,
                         fits[i].name);
        len += w > 0 ? (size_t)w : 0;
    }
    proj_destroy(b);
    return nfit;
}

/* " the coordinates fit EPSG:X (...): set ..." or "" when nothing fits. */
static void
suggestion(struct lr_crs_ctx *c, const struct lr_crs_check *chk, char *buf, size_t n)
{
    char fits[400];

    buf[0] = '\0';
    if (!chk->data || lr_crs_suggest(c, chk->data, chk->dst, chk->ref, fits, sizeof(fits)) == 0)
        return;
    snprintf(buf, n,
             "; the coordinates fit %s: set 'crs:' to it for this source (with 'force: true' "
             "when the file declares another CRS)",
             fits);
}

/* Datum refusals: HN-72, towgs84=0 on a datum that is not WGS 84, no datum at all. */
static enum lr_rc
check_datum(const struct lr_crs_check *chk, const struct datum_id *da, const struct crs_params *pa,
            struct lr_err *err)
{
    if (datum_is(da, "6147", "hanoi1972"))
        return lr_err_set(err, LR_ERR_INPUT,
                          "%s: the CRS uses the Hanoi 1972 (HN-72) datum; PROJ has no usable "
                          "transformation from HN-72 to VN-2000: convert the map to VN-2000 "
                          "first, or give this source an explicit PROJ pipeline to the target "
                          "in 'crs_pipeline:'",
                          chk->what);
    if (pa->towgs84_zero && !datum_is(da, "6326", "worldgeodeticsystem1984"))
        return lr_err_set(err, LR_ERR_INPUT,
                          "%s: the CRS definition carries towgs84=0 on datum '%s', which makes "
                          "PROJ treat it as WGS 84 and shift every point by about 200 m "
                          "against VN-2000; remove the towgs84, or set 'crs:' (e.g. "
                          "EPSG:9212) with 'force: true' for this source",
                          chk->what, da->key);
    if (datum_is(da, "6326", "worldgeodeticsystem1984") && pa->tmerc && near(pa->k, 0.9999) &&
        near(pa->x_0, 500000) && pa->lon_0 > 102 && pa->lon_0 < 110 && !utm_meridian(pa->lon_0))
        return lr_err_set(err, LR_ERR_INPUT,
                          "%s: a VN-2000 TM-3 zone (central meridian %.4f, k=0.9999) on datum "
                          "WGS 84 (as MapInfo and some converters write it): PROJ would shift "
                          "every point by about 200 m against VN-2000; set 'crs:' (e.g. "
                          "EPSG:9212) with 'force: true' for this source",
                          chk->what, pa->lon_0);
    if (!datum_known(da))
        return lr_err_set(err, LR_ERR_INPUT,
                          "%s: the CRS has no known datum ('%s'): there is no usable "
                          "transformation to the target; set 'crs:' (e.g. EPSG:9212) with "
                          "'force: true' if the map is VN-2000, or give 'crs_pipeline:'",
                          chk->what, da->key[0] ? da->key : "none");
    return LR_OK;
}

/* Projection refusals: k=0.9996 on a TM-3 meridian; TM-3 eastings outside 200-800 km. */
static enum lr_rc
check_projection(struct lr_crs_ctx *c, const struct lr_crs_check *chk, const struct datum_id *da,
                 const struct crs_params *pa, struct lr_err *err)
{
    bool vn = datum_is(da, "6756", "vietnam2000");
    char sug[600];

    if (!vn || !pa->tmerc)
        return LR_OK;
    if (near(pa->k, 0.9996) && !utm_meridian(pa->lon_0))
        return lr_err_set(err, LR_ERR_INPUT,
                          "%s: a VN-2000 Transverse Mercator on central meridian %.4f with "
                          "k=0.9996; TM-3 zones use k=0.9999 (k=0.9996 is UTM, central "
                          "meridians 105 and 111): fix the definition, or set 'crs:' (e.g. "
                          "EPSG:9212) with 'force: true' for this source",
                          chk->what, pa->lon_0);
    if (!chk->data || !near(pa->k, 0.9999) || !near(pa->x_0, 500000))
        return LR_OK;
    if (chk->data->minx >= 200000 && chk->data->maxx <= 800000)
        return LR_OK;
    suggestion(c, chk, sug, sizeof(sug));
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: eastings %.1f to %.1f km lie outside 200-800 km, implausible for "
                      "the VN-2000 TM-3 zone on meridian %.4f%s",
                      chk->what, chk->data->minx / 1000, chk->data->maxx / 1000, pa->lon_0, sug);
}

/* Where the data lie: inside the source CRS's area of use, and once transformed inside the
 * target's and near ref. */
static enum lr_rc
check_extent(struct lr_crs_ctx *c, const struct lr_crs_check *chk, const PJ *a, const PJ *b,
             struct lr_crs_transform *t, struct lr_err *err)
{
    const struct lr_bbox *d = chk->data;
    struct lr_bbox plane, tb;
    const char *why = NULL;
    char sug[600];

    if (area_plane_memo(c, chk->src, a, &plane) &&
        !bbox_inside(d, &plane, margin_of(a, AREA_MARGIN_M)))
        why = "lie outside the area of use of the source CRS";
    else if (!lr_crs_transform_bbox(t, d, &tb))
        why = "cannot be transformed to the target CRS";
    else if (area_plane_memo(c, chk->dst, b, &plane) &&
             !bbox_inside(&tb, &plane, margin_of(b, AREA_MARGIN_M)))
        why = "land outside the area of use of the target CRS once transformed";
    else if (chk->ref && !bbox_meets(&tb, chk->ref, margin_of(b, REF_MARGIN_M)))
        why = "land away from the commune boundaries and price zones once transformed";
    if (!why)
        return LR_OK;
    suggestion(c, chk, sug, sizeof(sug));
    return lr_err_set(err, LR_ERR_INPUT,
                      "%s: the coordinates (x %.1f to %.1f, y %.1f to %.1f) %s '%s': the CRS is "
                      "wrong (UTM read as TM-3, or another zone?)%s",
                      chk->what, d->minx, d->maxx, d->miny, d->maxy, why, proj_get_name(a), sug);
}

enum lr_rc
lr_crs_check_source(struct lr_crs_ctx *c, const struct lr_crs_check *chk, struct lr_err *err)
{
    PJ *a = proj_create(c->pj, chk->src), *b = proj_create(c->pj, chk->dst);
    struct lr_crs_transform *t = NULL;
    struct datum_id da, db;
    struct crs_params pa;
    enum lr_rc rc = LR_OK;

    if (!a || !b) {
        rc = lr_err_set(err, LR_ERR_INPUT, "%s: PROJ does not understand the CRS '%.80s'",
                        chk->what, !a ? chk->src : chk->dst);
        goto out;
    }
    datum_ident(c->pj, a, &da);
    datum_ident(c->pj, b, &db);
    crs_params(c->pj, a, &pa);
    if (!chk->pipeline)
        rc = check_datum(chk, &da, &pa, err);
    if (rc == LR_OK)
        rc = check_projection(c, chk, &da, &pa, err);
    if (rc == LR_OK)
        rc = chk->pipeline ? lr_crs_transform_from_pipeline(c, chk->pipeline, chk->what, &t, err)
                           : lr_crs_transform_new(c, chk->src, chk->dst, chk->what, &t, err);
    if (rc == LR_OK && !chk->pipeline && !datum_same(&da, &db) &&
        proj_coordoperation_has_ballpark_transformation(c->pj, t->op))
        rc = lr_err_set(err, LR_ERR_INPUT,
                        "%s: no usable transformation from datum '%s' to the target's datum "
                        "'%s' (PROJ knows only a ballpark offset); set 'crs:' with 'force: "
                        "true' if the map is on the target's datum, or give 'crs_pipeline:'",
                        chk->what, da.key, db.key);
    if (rc == LR_OK && chk->data)
        rc = check_extent(c, chk, a, b, t, err);
out:
    lr_crs_transform_free(t);
    proj_destroy(a);
    proj_destroy(b);
    return rc;
}
