/* geom_rings.h - polygon rings as flat coordinate arrays, and the few exact planar tests the
 * geometry QA needs in its inner loops, where a GEOS call per pair of neighbours would cost more
 * than everything else (see geom_qa.c). Plain C, no GEOS: geom.c (from a geometry) or
 * lr_rings_add_shape (from a map shape) fills the arrays.
 *
 * Every ring is closed (last point == first) and oriented with its polygon's interior on the
 * left: shells counter-clockwise, holes clockwise (y up). Tolerance: a point closer than eps to a
 * segment is on it, eps = 1e-12 * largest |coordinate| + 1e-9 * size of the pair's extent. */
#ifndef LR_GEOM_RINGS_H
#define LR_GEOM_RINGS_H

#include "core.h"
#include "model.h"

struct lr_rings {
    double *xy; /* [2 * npts] x, y interleaved */
    size_t npts, cap_pts;
    size_t *start; /* [nrings + 1]: ring r holds points start[r] .. start[r + 1] - 1 */
    size_t nrings, cap_rings;
};

void lr_rings_init(struct lr_rings *r);
void lr_rings_release(struct lr_rings *r);
/* Forget every ring, keep the memory. */
void lr_rings_reset(struct lr_rings *r);
/* Append a closed ring of n >= 4 points, reversed when needed so that a shell runs
 * counter-clockwise and a hole clockwise. LR_ERR_NOMEM on out of memory. */
enum lr_rc lr_rings_add(struct lr_rings *r, const double *xy, size_t n, bool hole);

/* true when the closed ring xy[0..n) (n <= LR_RING_SIMPLE_MAX points) is certainly simple:
 * finite, at least 3 distinct points, non-zero area, no edge touching or coming within eps of a
 * non-adjacent one, no edge folding back on the next. A polygon of one such ring is valid in
 * GEOS's sense; false means "not certain", not "invalid". Repeated points are allowed. */
#define LR_RING_SIMPLE_MAX 32
bool lr_ring_is_simple(const double *xy, size_t n);

/* Append the rings of a shape (lr_shape: the first ring of each part is its shell), skipping
 * rings of fewer than 4 points; *nrings gets the number appended. */
enum lr_rc lr_rings_add_shape(struct lr_rings *r, const struct lr_shape *s, size_t *nrings);

/* One polygonal set: rings first .. first + count - 1 of r, with their extent. */
struct lr_ringset {
    const struct lr_rings *r;
    size_t first, count;
    double minx, miny, maxx, maxy;
    bool convex; /* one ring, no reflex vertex: the interior test takes a shortcut */
};

/* Fill s from rings [first, first + count) of r, computing the extent and convexity. */
void lr_ringset_make(struct lr_ringset *s, const struct lr_rings *r, size_t first, size_t count);

/* Where (x, y) lies against s: 1 inside, 0 outside, -1 on the boundary (within eps). */
int lr_ringset_locate(const struct lr_ringset *s, double x, double y);

/* true when the interiors of valid sets a and b share a point. Exact up to eps: proper crossings of
 * the boundaries, boundary pieces of one strictly inside the other, and boundary pieces shared in
 * the same direction (both interiors on one side: duplicates) all count; neighbours that only share
 * edges or vertices do not. Sets with more than LR_RINGS_MAX_PAIRS edge pairs are not examined
 * and answer true (the caller then measures the intersection itself). */
#define LR_RINGS_MAX_PAIRS 40000
bool lr_ringset_interiors_intersect(const struct lr_ringset *a, const struct lr_ringset *b);

/* Length of a's boundary that lies on b's boundary (within eps). */
double lr_ringset_shared_length(const struct lr_ringset *a, const struct lr_ringset *b);

/* ---- a grid of the edges of a ring set (a commune's outline), for local questions ---- */
struct lr_seggrid {
    const struct lr_rings *r;
    double x0, y0, cell;
    size_t nx, ny;
    size_t *start; /* [nx * ny + 1]: cell c holds items[start[c] .. start[c + 1]) */
    size_t *items; /* edge numbers: the index of the edge's first point in r */
};

/* Index every edge of r (r must outlive the grid and not change). */
enum lr_rc lr_seggrid_build(struct lr_seggrid *gr, const struct lr_rings *r);
void lr_seggrid_release(struct lr_seggrid *gr);
/* true when some edge of the grid passes through the interior of s: crosses its boundary
 * properly or has a piece strictly inside it. Edges along s's boundary or touching it at points
 * do not count. */
bool lr_seggrid_enters(const struct lr_seggrid *gr, const struct lr_ringset *s);

/* The edges of the rings of r that matter for a gap search, as segments: rings before
 * first_area are parcels, rings from first_area on are areas (commune boundaries). An edge is
 * left out when parcels lie on both of its sides (an edge matched by one running the other way:
 * shared by neighbours) or when the only things on it are a parcel and an area running the same
 * way (a parcel along the area's edge, on its inside). In a clean coverage that fills its area
 * nothing is left; around an overlap, a gap or an unmatched vertex the edges there are. Zero-length
 * edges are skipped. Sets *seg to a new array of segments (x1, y1, x2, y2) (caller frees) and
 * *nseg to their count. */
enum lr_rc lr_rings_unmatched_edges(const struct lr_rings *r, size_t first_area, double **seg,
                                    size_t *nseg);

#endif
