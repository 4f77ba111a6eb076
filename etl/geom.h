/* geom.h - the only door to GEOS (reentrant API). Geometries are opaque void * (GEOSGeometry *).
 *
 * Thread rules: a struct lr_geom_ctx belongs to one thread; a geometry may be handed between
 * threads but is used by one at a time. Every function that takes a geometry takes the ctx of
 * the thread using it. */
#ifndef LR_GEOM_H
#define LR_GEOM_H

#include "core.h"
#include "model.h"

struct lr_geom_ctx;

/* Validity verdict with a reason (GEOSisValidDetail) mapped to an issue class. */
struct lr_validity {
    bool valid;
    enum lr_issue_class cls; /* when !valid */
    char reason[128];        /* GEOS's reason text */
    double x, y;             /* location */
};

/* GEOS version text. */
const char *lr_geom_version(void);
struct lr_geom_ctx *lr_geom_ctx_new(void);
void lr_geom_ctx_free(struct lr_geom_ctx *g);
/* The last GEOS error or notice text of this context ("" if none). */
const char *lr_geom_last_error(const struct lr_geom_ctx *g);

/* Free a geometry (NULL is fine). Uses a process-wide handle: safe from any thread. */
void lr_geom_free(void *geom);
void lr_geom_prepared_free(void *prep);

/* Build a Polygon (one part) or MultiPolygon from a shape. Returns NULL and sets *why to
 * too_few_points or ring_problem when a ring cannot be built. */
void *lr_geom_from_shape(struct lr_geom_ctx *g, const struct lr_shape *s, enum lr_issue_class *why);
/* Parse WKB bytes (NULL on failure). */
void *lr_geom_from_wkb(struct lr_geom_ctx *g, const unsigned char *wkb, size_t n);
/* Hex WKB of geom; caller frees; NULL on failure. */
char *lr_geom_to_hex(struct lr_geom_ctx *g, const void *geom);
/* WKB of geom (little endian, 2D, no SRID: GEOS's WKB writer's bytes; polygons and
 * multipolygons written straight from their coordinate sequences); caller frees with free();
 * NULL on failure. */
unsigned char *lr_geom_to_wkb(struct lr_geom_ctx *g, const void *geom, size_t *n);
/* The same, a Polygon written as a MultiPolygon of one part (a parcel's type in parcels.gpkg
 * and the warehouse). */
unsigned char *lr_geom_to_wkb_multi(struct lr_geom_ctx *g, const void *geom, size_t *n);
/* The same through GEOS's WKB writer (every type; the tests compare the two). */
unsigned char *lr_geom_to_wkb_geos(struct lr_geom_ctx *g, const void *geom, size_t *n);

void lr_geom_validate(struct lr_geom_ctx *g, const void *geom, struct lr_validity *v);
/* Make valid (structure or linework) keeping polygonal parts only, as a MultiPolygon.
 * Returns NULL when nothing polygonal survives or GEOS failed. */
void *lr_geom_repair(struct lr_geom_ctx *g, const void *geom, bool linework);
/* Copy of geom as a MultiPolygon (polygonal parts only); NULL when none. */
void *lr_geom_to_multipolygon(struct lr_geom_ctx *g, const void *geom);

double lr_geom_area(struct lr_geom_ctx *g, const void *geom);
double lr_geom_length(struct lr_geom_ctx *g, const void *geom);
/* A point inside geom (GEOSPointOnSurface); false on failure. */
bool lr_geom_interior_point(struct lr_geom_ctx *g, const void *geom, double *x, double *y);
/* Bounding box; false for empty geometry. */
bool lr_geom_bounds(struct lr_geom_ctx *g, const void *geom, double *minx, double *miny,
                    double *maxx, double *maxy);

void *lr_geom_prepare(struct lr_geom_ctx *g, const void *geom);
/* 1 contains, 0 not, -1 GEOS error. */
int lr_geom_prepared_contains_xy(struct lr_geom_ctx *g, const void *prep, double x, double y);

/* ---- STRtree of envelopes with integer payloads ---- */
struct lr_geom_tree;
struct lr_geom_tree *lr_geom_tree_new(struct lr_geom_ctx *g);
/* Insert item (an index) with geometry geom (kept by reference: must outlive the tree). */
enum lr_rc lr_geom_tree_insert(struct lr_geom_tree *t, const void *geom, size_t item);
/* Items whose envelope intersects the point; results appended to *items (caller frees). */
enum lr_rc lr_geom_tree_query_xy(struct lr_geom_tree *t, double x, double y, size_t **items,
                                 size_t *n);
void lr_geom_tree_free(struct lr_geom_tree *t);

/* ---- area-weighted valuation (stage_value piecewise): added for issue 10 ---- */
/* Items whose envelope intersects geom's envelope; appended to *items (caller frees). */
enum lr_rc lr_geom_tree_query_geom(struct lr_geom_tree *t, const void *geom, size_t **items,
                                   size_t *n);
/* Prepared predicates against a geometry: 1 true, 0 false, -1 GEOS error. */
int lr_geom_prepared_intersects(struct lr_geom_ctx *g, const void *prep, const void *geom);
int lr_geom_prepared_covers(struct lr_geom_ctx *g, const void *prep, const void *geom);
/* a ∩ b and a − b as new geometries (caller frees with lr_geom_free); NULL on GEOS error. */
void *lr_geom_intersection(struct lr_geom_ctx *g, const void *a, const void *b);
void *lr_geom_difference(struct lr_geom_ctx *g, const void *a, const void *b);

/* ---- added for the geometry QA (issue 5) ---- */
struct lr_rings;

/* Parse WKT (NULL on failure; the reason is in lr_geom_last_error). */
void *lr_geom_from_wkt(struct lr_geom_ctx *g, const char *wkt);
/* WKT of geom, trimmed; caller frees; NULL on failure. */
char *lr_geom_to_wkt(struct lr_geom_ctx *g, const void *geom);
/* Deep copy (NULL on failure). */
void *lr_geom_clone(struct lr_geom_ctx *g, const void *geom);
bool lr_geom_is_empty(struct lr_geom_ctx *g, const void *geom);
/* Members of a collection (1 for a single geometry) and member i, borrowed from geom. */
int lr_geom_num_parts(struct lr_geom_ctx *g, const void *geom);
const void *lr_geom_part(struct lr_geom_ctx *g, const void *geom, int i);
/* Number of coordinates of geom (-1 on failure). */
int lr_geom_num_points(struct lr_geom_ctx *g, const void *geom);
/* geom clipped to a rectangle (GEOSClipByRect), caller frees; NULL when GEOS failed. */
void *lr_geom_clip_rect(struct lr_geom_ctx *g, const void *geom, double minx, double miny,
                        double maxx, double maxy);

/* Append the rings of every polygon in geom to r (see geom_rings.h: closed, interior on the
 * left); rings with fewer than 4 points are skipped. *nrings gets the number appended. */
enum lr_rc lr_geom_rings(struct lr_geom_ctx *g, const void *geom, struct lr_rings *r,
                         size_t *nrings);
/* The faces of a linework: nseg segments (x1, y1, x2, y2) plus the boundaries of nareas
 * polygonal areas, noded and polygonized. Returns a collection of polygons (caller frees; see
 * lr_geom_num_parts / lr_geom_part), NULL when GEOS failed. */
void *lr_geom_faces(struct lr_geom_ctx *g, const double *seg, size_t nseg, const void *const *areas,
                    size_t nareas);

/* What a repair did, for an honest report. */
struct lr_repair_info {
    double area_before, area_after;    /* m^2 of the input and of the kept MultiPolygon */
    int parts_before, parts_after;     /* polygons in the input / in the result */
    int repaired_parts;                /* input polygons that were invalid and made valid */
    int dropped_lines, dropped_points; /* collapsed pieces make-valid produced, not kept */
    bool whole;                        /* the parts overlapped: the whole was made valid again */
    bool valid;                        /* the result is valid */
};

/* Make geom valid part by part (valid parts are copied untouched), then the whole when the
 * parts still conflict; keep polygonal output only, as a MultiPolygon; re-validate. Returns NULL
 * when nothing polygonal survives or GEOS failed; info is filled either way. */
void *lr_geom_repair_info(struct lr_geom_ctx *g, const void *geom, bool linework,
                          struct lr_repair_info *info);

/* ---- added for the HTML report (issue 12) ---- */
/* Simplified copy of geom within distance tol (GEOSTopologyPreserveSimplify when
 * preserve_topology: rings never collapse; else GEOSSimplify). Caller frees with lr_geom_free;
 * NULL on GEOS failure. Walk the result's coordinates with lr_geom_rings. */
void *lr_geom_simplify(struct lr_geom_ctx *g, const void *geom, double tol, bool preserve_topology);

#endif
