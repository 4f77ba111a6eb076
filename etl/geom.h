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

/* Build a (Multi)Polygon from a shape. Returns NULL and sets *why to too_few_points or
 * ring_problem when a ring cannot be built. */
void *lr_geom_from_shape(struct lr_geom_ctx *g, const struct lr_shape *s, enum lr_issue_class *why);
/* Parse WKB bytes (NULL on failure). */
void *lr_geom_from_wkb(struct lr_geom_ctx *g, const unsigned char *wkb, size_t n);
/* Hex WKB of geom; caller frees; NULL on failure. */
char *lr_geom_to_hex(struct lr_geom_ctx *g, const void *geom);
/* WKB of geom; caller frees with free(); NULL on failure. */
unsigned char *lr_geom_to_wkb(struct lr_geom_ctx *g, const void *geom, size_t *n);

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

#endif
