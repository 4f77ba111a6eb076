/* geom.c - GEOS wrappers (see geom.h). The only file that includes geos_c.h. */
#include "geom.h"

#include "geom_rings.h"

#include <geos_c.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lr_geom_ctx {
    GEOSContextHandle_t h;
    char msg[256];
    double *xy; /* the WKB encoder's coordinates (aligned) */
    size_t xy_cap;
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
    free(g->xy);
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
    /* one part stays a Polygon: a MultiPolygon around it costs GEOS about 150 bytes per parcel
     * (the collection and its envelope); writers ask lr_geom_to_wkb_multi */
    out = s->nparts == 1 ? polys[0]
                         : GEOSGeom_createCollection_r(g->h, GEOS_MULTIPOLYGON, polys, s->nparts);
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

/* ---- WKB of polygonal geometries, written from the coordinate sequences ----
 * The bytes GEOSWKBWriter gives (little endian, 2D, no SRID) without its stream and copies:
 * checkpoints, parcels.gpkg and the warehouse write a million of these. Other geometry types
 * go through GEOS's writer. */

/* Bytes of the polygon's WKB, 0 when it is not one this encoder writes (it then fails). */
static size_t
poly_wkb_size(GEOSContextHandle_t h, const GEOSGeometry *poly)
{
    int holes = GEOSGetNumInteriorRings_r(h, poly);
    size_t n = 1 + 4 + 4;

    if (holes < 0)
        return 0;
    if (GEOSisEmpty_r(h, poly) == 1)
        return holes == 0 ? n : 0;
    for (int r = -1; r < holes; r++) {
        const GEOSGeometry *ring =
            r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
        const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
        unsigned int pts = 0;
        if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &pts))
            return 0;
        n += 4 + 16 * (size_t)pts;
    }
    return n;
}

static unsigned char *
put_u32le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
    return p + 4;
}

static unsigned char *
put_header(unsigned char *p, uint32_t type, uint32_t count)
{
    *p++ = 1; /* NDR */
    return put_u32le(put_u32le(p, type), count);
}

/* The polygon's WKB at p (poly_wkb_size bytes); NULL on a GEOS or memory failure. */
static unsigned char *
poly_wkb(struct lr_geom_ctx *g, const GEOSGeometry *poly, unsigned char *p)
{
    GEOSContextHandle_t h = g->h;
    int holes = GEOSisEmpty_r(h, poly) == 1 ? -1 : GEOSGetNumInteriorRings_r(h, poly);

    p = put_header(p, 3, (uint32_t)(holes + 1));
    for (int r = -1; r < holes; r++) {
        const GEOSGeometry *ring =
            r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
        const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
        unsigned int pts = 0;
        if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &pts))
            return NULL;
        if (2 * (size_t)pts > g->xy_cap) {
            size_t cap = 2 * (size_t)pts < 4096 ? 4096 : 2 * (size_t)pts;
            double *xy = realloc(g->xy, cap * sizeof(double));
            if (!xy)
                return NULL;
            g->xy = xy;
            g->xy_cap = cap;
        }
        if (pts && !GEOSCoordSeq_copyToBuffer_r(h, seq, g->xy, 0, 0))
            return NULL;
        p = put_u32le(p, pts);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(p, g->xy, 16 * (size_t)pts); /* WKB NDR: little endian doubles */
        p += 16 * (size_t)pts;
#else
        for (size_t k = 0; k < 2 * (size_t)pts; k++) {
            uint64_t u;
            memcpy(&u, &g->xy[k], 8);
            for (int b = 0; b < 8; b++)
                *p++ = (unsigned char)(u >> (8 * b));
        }
#endif
    }
    return p;
}

/* WKB of a Polygon or MultiPolygon by the encoder above; NULL (nothing allocated) for others. */
static unsigned char *
polygonal_wkb(struct lr_geom_ctx *g, const GEOSGeometry *geom, bool as_multi, size_t *n)
{
    GEOSContextHandle_t h = g->h;
    int type = GEOSGeomTypeId_r(h, geom), parts;
    size_t size = 0, one;
    unsigned char *out, *p;

    if (type == GEOS_POLYGON) {
        size = poly_wkb_size(h, geom);
        if (!size)
            return NULL;
        if (as_multi) {
            size += 1 + 4 + 4;
            parts = 1;
        }
    } else if (type == GEOS_MULTIPOLYGON) {
        parts = GEOSGetNumGeometries_r(h, geom);
        if (parts < 0)
            return NULL;
        size = 1 + 4 + 4;
        for (int i = 0; i < parts; i++) {
            if (!(one = poly_wkb_size(h, GEOSGetGeometryN_r(h, geom, i))))
                return NULL;
            size += one;
        }
    } else {
        return NULL;
    }
    if (!(out = malloc(size)))
        return NULL;
    if (type == GEOS_POLYGON && !as_multi) {
        p = poly_wkb(g, geom, out);
    } else if (type == GEOS_POLYGON) {
        p = poly_wkb(g, geom, put_header(out, 6, 1));
    } else {
        p = put_header(out, 6, (uint32_t)parts);
        for (int i = 0; p && i < parts; i++)
            p = poly_wkb(g, GEOSGetGeometryN_r(h, geom, i), p);
    }
    if (p != out + size) {
        free(out);
        return NULL;
    }
    *n = size;
    return out;
}

unsigned char *
lr_geom_to_wkb(struct lr_geom_ctx *g, const void *geom, size_t *n)
{
    unsigned char *out = polygonal_wkb(g, geom, false, n);

    return out ? out : lr_geom_to_wkb_geos(g, geom, n);
}

unsigned char *
lr_geom_to_wkb_multi(struct lr_geom_ctx *g, const void *geom, size_t *n)
{
    unsigned char *out = polygonal_wkb(g, geom, true, n);

    return out ? out : lr_geom_to_wkb_geos(g, geom, n);
}

unsigned char *
lr_geom_to_wkb_geos(struct lr_geom_ctx *g, const void *geom, size_t *n)
{
    GEOSWKBWriter *w;
    unsigned char *buf, *out = NULL;

    if (!(w = GEOSWKBWriter_create_r(g->h)))
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

/* Map GEOS's validity reason text to our class: "Self-intersection" and "Ring
 * Self-intersection" (a self-touching ring) are self-intersections, "Too few distinct points" is
 * too_few_points, the rest (holes outside or nested, disconnected interior, nested shells,
 * invalid coordinates, unclosed rings) are ring problems. */
static enum lr_issue_class
reason_class(const char *reason)
{
    if (strstr(reason, "Self-intersection") || strstr(reason, "self-intersection"))
        return LR_IS_SELF_INTERSECTION;
    if (strstr(reason, "Too few"))
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
    struct lr_repair_info info;

    return lr_geom_repair_info(g, geom, linework, &info);
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
    return GEOSGeom_getExtent_r(g->h, geom, minx, miny, maxx, maxy) == 1;
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

/* Hits appended to *items (n of them already there). The capacity is what the allocator gave
 * the buffer, so a caller reusing it between queries does not reallocate it on every query. */
static struct tree_hits
tree_hits_start(size_t *items, size_t n)
{
    struct tree_hits h = { items, n, n, false };
    size_t cap = items ? malloc_usable_size(items) / sizeof(*items) : 0;

    if (cap > n)
        h.cap = cap;
    return h;
}

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
    struct tree_hits h = tree_hits_start(*items, *n);
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

/* ---- area-weighted valuation (issue 10) ---- */

enum lr_rc
lr_geom_tree_query_geom(struct lr_geom_tree *t, const void *geom, size_t **items, size_t *n)
{
    struct tree_hits h = tree_hits_start(*items, *n);

    GEOSSTRtree_query_r(t->g->h, t->tree, geom, tree_collect, &h);
    *items = h.items;
    *n = h.n;
    return h.oom ? LR_ERR_NOMEM : LR_OK;
}

int
lr_geom_prepared_intersects(struct lr_geom_ctx *g, const void *prep, const void *geom)
{
    char r = GEOSPreparedIntersects_r(g->h, prep, geom);

    return r == 2 ? -1 : r;
}

int
lr_geom_prepared_covers(struct lr_geom_ctx *g, const void *prep, const void *geom)
{
    char r = GEOSPreparedCovers_r(g->h, prep, geom);

    return r == 2 ? -1 : r;
}

void *
lr_geom_intersection(struct lr_geom_ctx *g, const void *a, const void *b)
{
    return GEOSIntersection_r(g->h, a, b);
}

void *
lr_geom_difference(struct lr_geom_ctx *g, const void *a, const void *b)
{
    return GEOSDifference_r(g->h, a, b);
}

/* ---- added for the geometry QA (issue 5) ---- */

void *
lr_geom_from_wkt(struct lr_geom_ctx *g, const char *wkt)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(g->h);
    GEOSGeometry *out;

    if (!r)
        return NULL;
    out = GEOSWKTReader_read_r(g->h, r, wkt);
    GEOSWKTReader_destroy_r(g->h, r);
    return out;
}

char *
lr_geom_to_wkt(struct lr_geom_ctx *g, const void *geom)
{
    GEOSWKTWriter *w = GEOSWKTWriter_create_r(g->h);
    char *txt, *out = NULL;

    if (!w)
        return NULL;
    GEOSWKTWriter_setTrim_r(g->h, w, 1);
    txt = GEOSWKTWriter_write_r(g->h, w, geom);
    if (txt) {
        out = strdup(txt);
        GEOSFree_r(g->h, txt);
    }
    GEOSWKTWriter_destroy_r(g->h, w);
    return out;
}

void *
lr_geom_clone(struct lr_geom_ctx *g, const void *geom)
{
    return GEOSGeom_clone_r(g->h, geom);
}

bool
lr_geom_is_empty(struct lr_geom_ctx *g, const void *geom)
{
    return GEOSisEmpty_r(g->h, geom) != 0;
}

int
lr_geom_num_parts(struct lr_geom_ctx *g, const void *geom)
{
    return GEOSGetNumGeometries_r(g->h, geom);
}

const void *
lr_geom_part(struct lr_geom_ctx *g, const void *geom, int i)
{
    return GEOSGetGeometryN_r(g->h, geom, i);
}

int
lr_geom_num_points(struct lr_geom_ctx *g, const void *geom)
{
    return GEOSGetNumCoordinates_r(g->h, geom);
}

void *
lr_geom_clip_rect(struct lr_geom_ctx *g, const void *geom, double minx, double miny, double maxx,
                  double maxy)
{
    return GEOSClipByRect_r(g->h, geom, minx, miny, maxx, maxy);
}

/* Append one ring of a polygon to r through the scratch buffer *buf (grown as needed). */
static enum lr_rc
add_ring(struct lr_geom_ctx *g, const GEOSGeometry *ring, bool hole, struct lr_rings *r,
         double **buf, size_t *cap, size_t *added)
{
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(g->h, ring);
    unsigned int n = 0;

    if (!seq || !GEOSCoordSeq_getSize_r(g->h, seq, &n))
        return LR_ERR_INTERNAL;
    if (n < 4)
        return LR_OK;
    if (2 * (size_t)n > *cap) {
        double *p = realloc(*buf, 2 * (size_t)n * sizeof(double));
        if (!p)
            return LR_ERR_NOMEM;
        *buf = p;
        *cap = 2 * (size_t)n;
    }
    if (!GEOSCoordSeq_copyToBuffer_r(g->h, seq, *buf, 0, 0))
        return LR_ERR_INTERNAL;
    if (lr_rings_add(r, *buf, n, hole) != LR_OK)
        return LR_ERR_NOMEM;
    (*added)++;
    return LR_OK;
}

static enum lr_rc
add_polygon_rings(struct lr_geom_ctx *g, const GEOSGeometry *poly, struct lr_rings *r, double **buf,
                  size_t *cap, size_t *added)
{
    int nh = GEOSGetNumInteriorRings_r(g->h, poly);
    enum lr_rc rc;

    if (GEOSisEmpty_r(g->h, poly) != 0)
        return LR_OK;
    rc = add_ring(g, GEOSGetExteriorRing_r(g->h, poly), false, r, buf, cap, added);
    for (int i = 0; rc == LR_OK && i < nh; i++)
        rc = add_ring(g, GEOSGetInteriorRingN_r(g->h, poly, i), true, r, buf, cap, added);
    return rc;
}

enum lr_rc
lr_geom_rings(struct lr_geom_ctx *g, const void *geom, struct lr_rings *r, size_t *nrings)
{
    int type = GEOSGeomTypeId_r(g->h, geom);
    double *buf = NULL;
    size_t cap = 0;
    enum lr_rc rc = LR_OK;

    *nrings = 0;
    if (type == GEOS_POLYGON)
        rc = add_polygon_rings(g, geom, r, &buf, &cap, nrings);
    else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int k = GEOSGetNumGeometries_r(g->h, geom);
        for (int i = 0; rc == LR_OK && i < k; i++) {
            const GEOSGeometry *p = GEOSGetGeometryN_r(g->h, geom, i);
            if (GEOSGeomTypeId_r(g->h, p) == GEOS_POLYGON)
                rc = add_polygon_rings(g, p, r, &buf, &cap, nrings);
        }
    }
    free(buf);
    return rc;
}

/* A collection of the segments as 2-point lines plus the areas' boundaries (NULL on failure). */
static GEOSGeometry *
linework(struct lr_geom_ctx *g, const double *seg, size_t nseg, const void *const *areas,
         size_t nareas)
{
    GEOSGeometry **lines = malloc((nseg + nareas + 1) * sizeof(*lines));
    GEOSGeometry *out = NULL;
    size_t n = 0;

    if (!lines)
        return NULL;
    for (; n < nseg; n++) {
        GEOSCoordSequence *s = GEOSCoordSeq_copyFromBuffer_r(g->h, seg + 4 * n, 2, 0, 0);
        lines[n] = s ? GEOSGeom_createLineString_r(g->h, s) : NULL;
        if (!lines[n])
            goto out;
    }
    for (size_t k = 0; k < nareas; k++, n++)
        if (!(lines[n] = GEOSBoundary_r(g->h, areas[k])))
            goto out;
    out = GEOSGeom_createCollection_r(g->h, GEOS_GEOMETRYCOLLECTION, lines, (unsigned)n);
    if (out)
        n = 0;
out:
    destroy_all(g, lines, n);
    free(lines);
    return out;
}

void *
lr_geom_faces(struct lr_geom_ctx *g, const double *seg, size_t nseg, const void *const *areas,
              size_t nareas)
{
    GEOSGeometry *lines = linework(g, seg, nseg, areas, nareas), *noded = NULL, *faces = NULL;
    const GEOSGeometry *arr[1];

    if (lines)
        noded = GEOSUnaryUnion_r(g->h, lines);
    if (noded) {
        arr[0] = noded;
        faces = GEOSPolygonize_r(g->h, arr, 1);
    }
    if (noded)
        GEOSGeom_destroy_r(g->h, noded);
    if (lines)
        GEOSGeom_destroy_r(g->h, lines);
    return faces;
}

/* Count what make-valid produced besides polygons. */
static void
count_dropped(struct lr_geom_ctx *g, const GEOSGeometry *geom, struct lr_repair_info *info)
{
    int type = GEOSGeomTypeId_r(g->h, geom);

    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION ||
        type == GEOS_MULTILINESTRING || type == GEOS_MULTIPOINT) {
        for (int i = 0; i < GEOSGetNumGeometries_r(g->h, geom); i++)
            count_dropped(g, GEOSGetGeometryN_r(g->h, geom, i), info);
    } else if (GEOSisEmpty_r(g->h, geom) != 1) {
        info->dropped_lines += type == GEOS_LINESTRING || type == GEOS_LINEARRING;
        info->dropped_points += type == GEOS_POINT;
    }
}

/* make-valid of geom with the chosen method (NULL on failure). */
static GEOSGeometry *
make_valid(struct lr_geom_ctx *g, const GEOSGeometry *geom, bool linework_method)
{
    GEOSMakeValidParams *params = GEOSMakeValidParams_create_r(g->h);
    GEOSGeometry *fixed;

    if (!params)
        return NULL;
    GEOSMakeValidParams_setMethod_r(
        g->h, params, linework_method ? GEOS_MAKE_VALID_LINEWORK : GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(g->h, params, 0);
    fixed = GEOSMakeValidWithParams_r(g->h, geom, params);
    GEOSMakeValidParams_destroy_r(g->h, params);
    return fixed;
}

/* The polygons of part (repaired when invalid) appended to arr. */
static bool
repair_part(struct lr_geom_ctx *g, const GEOSGeometry *part, bool lw, struct lr_repair_info *info,
            GEOSGeometry ***arr, size_t *n, size_t *cap)
{
    GEOSGeometry *fixed;
    bool ok;

    if (GEOSisValid_r(g->h, part) == 1)
        return collect_polygons(g, part, arr, n, cap);
    info->repaired_parts++;
    fixed = make_valid(g, part, lw);
    if (!fixed)
        return false;
    count_dropped(g, fixed, info);
    ok = collect_polygons(g, fixed, arr, n, cap);
    GEOSGeom_destroy_r(g->h, fixed);
    return ok;
}

/* Repair every polygon of geom separately into one MultiPolygon (NULL: none or failure). */
static GEOSGeometry *
repair_parts(struct lr_geom_ctx *g, const GEOSGeometry *geom, bool lw, struct lr_repair_info *info)
{
    GEOSGeometry **arr = NULL, *out = NULL;
    size_t n = 0, cap = 0;
    int type = GEOSGeomTypeId_r(g->h, geom);
    int k = type == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(g->h, geom);
    bool ok = true;

    for (int i = 0; ok && i < k; i++) {
        const GEOSGeometry *part = type == GEOS_POLYGON ? geom : GEOSGetGeometryN_r(g->h, geom, i);
        if (GEOSGeomTypeId_r(g->h, part) == GEOS_POLYGON)
            ok = repair_part(g, part, lw, info, &arr, &n, &cap);
    }
    if (ok && n > 0)
        out = GEOSGeom_createCollection_r(g->h, GEOS_MULTIPOLYGON, arr, (unsigned)n);
    if (!out)
        destroy_all(g, arr, n);
    free(arr);
    return out;
}

void *
lr_geom_repair_info(struct lr_geom_ctx *g, const void *geom, bool linework_method,
                    struct lr_repair_info *info)
{
    GEOSGeometry *out, *whole, *again;

    memset(info, 0, sizeof(*info));
    GEOSArea_r(g->h, geom, &info->area_before);
    info->area_before = fabs(info->area_before);
    info->parts_before =
        GEOSGeomTypeId_r(g->h, geom) == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(g->h, geom);
    out = repair_parts(g, geom, linework_method, info);
    if (out && GEOSisValid_r(g->h, out) != 1) {
        info->whole = true;
        whole = make_valid(g, out, linework_method);
        again = whole ? lr_geom_to_multipolygon(g, whole) : NULL;
        if (whole) {
            count_dropped(g, whole, info);
            GEOSGeom_destroy_r(g->h, whole);
        }
        GEOSGeom_destroy_r(g->h, out);
        out = again;
    }
    if (out) {
        GEOSArea_r(g->h, out, &info->area_after);
        info->parts_after = GEOSGetNumGeometries_r(g->h, out);
        info->valid = GEOSisValid_r(g->h, out) == 1;
    }
    return out;
}

/* ---- added for the HTML report (issue 12) ---- */
void *
lr_geom_simplify(struct lr_geom_ctx *g, const void *geom, double tol, bool preserve_topology)
{
    return preserve_topology ? GEOSTopologyPreserveSimplify_r(g->h, geom, tol)
                             : GEOSSimplify_r(g->h, geom, tol);
}
