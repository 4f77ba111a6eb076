/* geom.c - GEOS wrappers (see geom.h). The only file that includes geos_c.h. */
#include "geom.h"

#include <geos_c.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lr_geom_ctx {
    GEOSContextHandle_t h;
    char msg[256];
};

static void
geos_message(const char *message, void *userdata)
{
    struct lr_geom_ctx *g = userdata;

    snprintf(g->msg, sizeof(g->msg), "%s", message);
}

const char *
lr_geom_version(void)
{
    return GEOSversion();
}

struct lr_geom_ctx *
lr_geom_ctx_new(void)
{
    struct lr_geom_ctx *g = calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    g->h = GEOS_init_r();
    if (!g->h) {
        free(g);
        return NULL;
    }
    GEOSContext_setErrorMessageHandler_r(g->h, geos_message, g);
    GEOSContext_setNoticeMessageHandler_r(g->h, geos_message, g);
    return g;
}

void
lr_geom_ctx_free(struct lr_geom_ctx *g)
{
    if (!g)
        return;
    GEOS_finish_r(g->h);
    free(g);
}

const char *
lr_geom_last_error(const struct lr_geom_ctx *g)
{
    return g->msg;
}

/* A handle for freeing geometries from code that holds no context (shard release). */
static GEOSContextHandle_t free_handle;
static pthread_once_t free_once = PTHREAD_ONCE_INIT;

static void
free_handle_init(void)
{
    free_handle = GEOS_init_r();
}

void
lr_geom_free(void *geom)
{
    if (!geom)
        return;
    pthread_once(&free_once, free_handle_init);
    GEOSGeom_destroy_r(free_handle, geom);
}

void
lr_geom_prepared_free(void *prep)
{
    if (!prep)
        return;
    pthread_once(&free_once, free_handle_init);
    GEOSPreparedGeom_destroy_r(free_handle, prep);
}

/* Build one linear ring from n points at xy; NULL when it has fewer than 4 points. */
static GEOSGeometry *
make_ring(struct lr_geom_ctx *g, const double *xy, uint32_t n)
{
    GEOSCoordSequence *seq;

    if (n < 4)
        return NULL;
    seq = GEOSCoordSeq_copyFromBuffer_r(g->h, xy, n, 0, 0);
    if (!seq)
        return NULL;
    return GEOSGeom_createLinearRing_r(g->h, seq);
}

static void
destroy_all(struct lr_geom_ctx *g, GEOSGeometry **arr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (arr[i])
            GEOSGeom_destroy_r(g->h, arr[i]);
}

/* Build polygon `part` whose rings start at ring index *ring and point offset *pt. */
static GEOSGeometry *
make_polygon(struct lr_geom_ctx *g, const struct lr_shape *s, uint32_t part, uint32_t *ring,
             uint32_t *pt, enum lr_issue_class *why)
{
    uint32_t nr = s->part_rings[part];
    GEOSGeometry **rings = calloc(nr ? nr : 1, sizeof(*rings));
    GEOSGeometry *poly = NULL;

    if (!rings)
        return NULL;
    for (uint32_t r = 0; r < nr; r++) {
        uint32_t n = s->ring_pts[*ring + r];
        rings[r] = make_ring(g, s->xy + 2 * (size_t)*pt, n);
        *pt += n;
        if (!rings[r]) {
            *why = n < 4 ? LR_IS_TOO_FEW_POINTS : LR_IS_RING_PROBLEM;
            destroy_all(g, rings, r);
            goto out;
        }
    }
    poly = GEOSGeom_createPolygon_r(g->h, rings[0], nr > 1 ? rings + 1 : NULL, nr - 1);
    if (!poly) {
        *why = LR_IS_RING_PROBLEM;
        destroy_all(g, rings, nr);
    }
out:
    *ring += nr;
    free(rings);
    return poly;
}

void *
lr_geom_from_shape(struct lr_geom_ctx *g, const struct lr_shape *s, enum lr_issue_class *why)
{
    GEOSGeometry **polys;
    GEOSGeometry *out = NULL;
    uint32_t ring = 0, pt = 0;

    *why = LR_IS_TOO_FEW_POINTS;
    if (s->nparts == 0)
        return NULL;
    polys = calloc(s->nparts, sizeof(*polys));
    if (!polys)
        return NULL;
    for (uint32_t p = 0; p < s->nparts; p++) {
        polys[p] = make_polygon(g, s, p, &ring, &pt, why);
        if (!polys[p]) {
            destroy_all(g, polys, p);
            goto out;
        }
    }
    out = GEOSGeom_createCollection_r(g->h, GEOS_MULTIPOLYGON, polys, s->nparts);
    if (!out) {
        *why = LR_IS_RING_PROBLEM;
        destroy_all(g, polys, s->nparts);
    }
out:
    free(polys);
    return out;
}

void *
lr_geom_from_wkb(struct lr_geom_ctx *g, const unsigned char *wkb, size_t n)
{
    return GEOSGeomFromWKB_buf_r(g->h, wkb, n);
}

unsigned char *
lr_geom_to_wkb(struct lr_geom_ctx *g, const void *geom, size_t *n)
{
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(g->h);
    unsigned char *buf, *out = NULL;

    if (!w)
        return NULL;
    GEOSWKBWriter_setByteOrder_r(g->h, w, GEOS_WKB_NDR);
    buf = GEOSWKBWriter_write_r(g->h, w, geom, n);
    if (buf) {
        out = malloc(*n);
        if (out)
            memcpy(out, buf, *n);
        GEOSFree_r(g->h, buf);
    }
    GEOSWKBWriter_destroy_r(g->h, w);
    return out;
}

char *
lr_geom_to_hex(struct lr_geom_ctx *g, const void *geom)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t n = 0;
    unsigned char *wkb = lr_geom_to_wkb(g, geom, &n);
    char *hex;

    if (!wkb)
        return NULL;
    hex = malloc(2 * n + 1);
    if (hex) {
        for (size_t i = 0; i < n; i++) {
            hex[2 * i] = digits[wkb[i] >> 4];
            hex[2 * i + 1] = digits[wkb[i] & 15];
        }
        hex[2 * n] = '\0';
    }
    free(wkb);
    return hex;
}

/* Map GEOS's validity reason text to our class. */
static enum lr_issue_class
reason_class(const char *reason)
{
    if (strstr(reason, "Self-intersection") || strstr(reason, "self-intersection"))
        return LR_IS_SELF_INTERSECTION;
    if (strstr(reason, "Too few points"))
        return LR_IS_TOO_FEW_POINTS;
    return LR_IS_RING_PROBLEM;
}

void
lr_geom_validate(struct lr_geom_ctx *g, const void *geom, struct lr_validity *v)
{
    char *reason = NULL;
    GEOSGeometry *loc = NULL;
    char r;

    memset(v, 0, sizeof(*v));
    r = GEOSisValidDetail_r(g->h, geom, 0, &reason, &loc);
    v->valid = r == 1;
    if (r == 1)
        return;
    snprintf(v->reason, sizeof(v->reason), "%.120s",
             reason ? reason : (g->msg[0] ? g->msg : "geos error"));
    v->cls = reason ? reason_class(reason) : LR_IS_RING_PROBLEM;
    if (loc) {
        GEOSGeomGetX_r(g->h, loc, &v->x);
        GEOSGeomGetY_r(g->h, loc, &v->y);
        GEOSGeom_destroy_r(g->h, loc);
    }
    if (reason)
        GEOSFree_r(g->h, reason);
}

/* Append the polygons of geom (any type) to arr. */
static bool
collect_polygons(struct lr_geom_ctx *g, const GEOSGeometry *geom, GEOSGeometry ***arr, size_t *n,
                 size_t *cap)
{
    int type = GEOSGeomTypeId_r(g->h, geom);

    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(g->h, geom) == 1)
            return true;
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 4;
            GEOSGeometry **p = realloc(*arr, ncap * sizeof(*p));
            if (!p)
                return false;
            *arr = p;
            *cap = ncap;
        }
        (*arr)[*n] = GEOSGeom_clone_r(g->h, geom);
        return (*arr)[(*n)++] != NULL;
    }
    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int k = GEOSGetNumGeometries_r(g->h, geom);
        for (int i = 0; i < k; i++)
            if (!collect_polygons(g, GEOSGetGeometryN_r(g->h, geom, i), arr, n, cap))
                return false;
    }
    return true;
}

void *
lr_geom_to_multipolygon(struct lr_geom_ctx *g, const void *geom)
{
    GEOSGeometry **arr = NULL, *out = NULL;
    size_t n = 0, cap = 0;

    if (collect_polygons(g, geom, &arr, &n, &cap) && n > 0)
        out = GEOSGeom_createCollection_r(g->h, GEOS_MULTIPOLYGON, arr, (unsigned)n);
    if (!out)
        destroy_all(g, arr, n);
    free(arr);
    return out;
}

void *
lr_geom_repair(struct lr_geom_ctx *g, const void *geom, bool linework)
{
    GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(g->h);
    GEOSGeometry *fixed, *out;

    if (!params)
        return NULL;
    GEOSMakeValidParams_setMethod_r(
        g->h, params, linework ? GEOS_MAKE_VALID_LINEWORK : GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(g->h, params, 0);
    fixed = GEOSMakeValidWithParams_r(g->h, geom, params);
    GEOSMakeValidParams_destroy_r(g->h, params);
    if (!fixed)
        return NULL;
    out = lr_geom_to_multipolygon(g, fixed);
    GEOSGeom_destroy_r(g->h, fixed);
    return out;
}

double
lr_geom_area(struct lr_geom_ctx *g, const void *geom)
{
    double a = 0;

    if (!GEOSArea_r(g->h, geom, &a))
        return -1;
    return a;
}

double
lr_geom_length(struct lr_geom_ctx *g, const void *geom)
{
    double l = 0;

    if (!GEOSLength_r(g->h, geom, &l))
        return -1;
    return l;
}

bool
lr_geom_interior_point(struct lr_geom_ctx *g, const void *geom, double *x, double *y)
{
    GEOSGeometry *pt = GEOSPointOnSurface_r(g->h, geom);
    bool ok = false;

    if (!pt)
        return false;
    if (GEOSisEmpty_r(g->h, pt) == 0)
        ok = GEOSGeomGetX_r(g->h, pt, x) && GEOSGeomGetY_r(g->h, pt, y);
    GEOSGeom_destroy_r(g->h, pt);
    return ok;
}

bool
lr_geom_bounds(struct lr_geom_ctx *g, const void *geom, double *minx, double *miny, double *maxx,
               double *maxy)
{
    if (GEOSisEmpty_r(g->h, geom) != 0)
        return false;
    return GEOSGeom_getXMin_r(g->h, geom, minx) && GEOSGeom_getYMin_r(g->h, geom, miny) &&
           GEOSGeom_getXMax_r(g->h, geom, maxx) && GEOSGeom_getYMax_r(g->h, geom, maxy);
}

void *
lr_geom_prepare(struct lr_geom_ctx *g, const void *geom)
{
    return (void *)GEOSPrepare_r(g->h, geom);
}

int
lr_geom_prepared_contains_xy(struct lr_geom_ctx *g, const void *prep, double x, double y)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(g->h, x, y);
    char r;

    if (!pt)
        return -1;
    r = GEOSPreparedContains_r(g->h, prep, pt);
    GEOSGeom_destroy_r(g->h, pt);
    return r == 2 ? -1 : r;
}

struct lr_geom_tree {
    struct lr_geom_ctx *g;
    GEOSSTRtree *tree;
};

struct lr_geom_tree *
lr_geom_tree_new(struct lr_geom_ctx *g)
{
    struct lr_geom_tree *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->g = g;
    t->tree = GEOSSTRtree_create_r(g->h, 10);
    if (!t->tree) {
        free(t);
        return NULL;
    }
    return t;
}

enum lr_rc
lr_geom_tree_insert(struct lr_geom_tree *t, const void *geom, size_t item)
{
    GEOSSTRtree_insert_r(t->g->h, t->tree, geom, (void *)(uintptr_t)(item + 1));
    return LR_OK;
}

struct tree_hits {
    size_t *items;
    size_t n, cap;
    bool oom;
};

static void
tree_collect(void *item, void *userdata)
{
    struct tree_hits *h = userdata;

    if (h->oom)
        return;
    if (h->n == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 8;
        size_t *p = realloc(h->items, ncap * sizeof(*p));
        if (!p) {
            h->oom = true;
            return;
        }
        h->items = p;
        h->cap = ncap;
    }
    h->items[h->n++] = (size_t)(uintptr_t)item - 1;
}

enum lr_rc
lr_geom_tree_query_xy(struct lr_geom_tree *t, double x, double y, size_t **items, size_t *n)
{
    struct tree_hits h = { *items, *n, *n, false };
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(t->g->h, x, y);

    if (!pt)
        return LR_ERR_NOMEM;
    GEOSSTRtree_query_r(t->g->h, t->tree, pt, tree_collect, &h);
    GEOSGeom_destroy_r(t->g->h, pt);
    *items = h.items;
    *n = h.n;
    return h.oom ? LR_ERR_NOMEM : LR_OK;
}

void
lr_geom_tree_free(struct lr_geom_tree *t)
{
    if (!t)
        return;
    GEOSSTRtree_destroy_r(t->g->h, t->tree);
    free(t);
}
