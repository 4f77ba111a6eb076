/* geom_rings.h - polygon rings as flat coordinate arrays, and the few exact planar tests the
 * geometry QA needs in its inner loops, where a GEOS call per pair of neighbours would cost more
 * than everything else (see geom_qa.c). Plain C, no GEOS: geom.c fills the arrays.
 *
 * Every ring is closed (last point == first) and oriented with its polygon's interior on the
 * left: shells counter-clockwise, holes clockwise (y up). Tolerance: a point closer than eps to a
 * segment is on it, eps = 1e-12 * largest |coordinate| + 1e-9 * size of the pair's extent. */
#ifndef LR_GEOM_RINGS_H
#define LR_GEOM_RINGS_H

#include "core.h"

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

/* One polygonal set: rings first .. first + count - 1 of r, with their extent. */
struct lr_ringset {
    const struct lr_rings *r;
    size_t first, count;
    double minx, miny, maxx, maxy;
};

/* Fill s from rings [first, first + count) of r, computing the extent. */
void lr_ringset_make(struct lr_ringset *s, const struct lr_rings *r, size_t first, size_t count);

/* Where (x, y) lies against s: 1 inside, 0 outside, -1 on the boundary (within eps). */
int lr_ringset_locate(const struct lr_ringset *s, double x, double y);

/* true when the interiors of a and b share a point. Exact up to eps: proper crossings of the
 * boundaries, boundary pieces of one strictly inside the other, and boundary pieces shared in the
 * same direction (both interiors on one side: duplicates) all count; neighbours that only share
 * edges or vertices do not. Sets with more than LR_RINGS_MAX_PAIRS edge pairs are not examined
 * and answer true (the caller then measures the intersection itself). */
#define LR_RINGS_MAX_PAIRS 40000
bool lr_ringset_interiors_intersect(const struct lr_ringset *a, const struct lr_ringset *b);

/* The directed edges of every ring of r that no edge of r matches in the opposite direction
 * (same end points): in a clean coverage exactly the boundary of the union; also every edge near
 * an overlap, a gap or an unmatched vertex. Zero-length edges are skipped. Sets *seg to a new
 * array of segments (x1, y1, x2, y2) (caller frees; NULL when none) and *nseg to their count. */
enum lr_rc lr_rings_unmatched_edges(const struct lr_rings *r, double **seg, size_t *nseg);

#endif
