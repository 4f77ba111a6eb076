/* geom_rings.c - flat polygon rings and exact planar tests (see geom_rings.h). */
#include "geom_rings.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TS_MAX 64 /* split points per edge examined; more and the pair is left to GEOS */

void
lr_rings_init(struct lr_rings *r)
{
    memset(r, 0, sizeof(*r));
}

void
lr_rings_release(struct lr_rings *r)
{
    free(r->xy);
    free(r->start);
    memset(r, 0, sizeof(*r));
}

void
lr_rings_reset(struct lr_rings *r)
{
    r->npts = 0;
    r->nrings = 0;
}

/* Twice the signed area of a closed ring (positive: counter-clockwise), relative to its first
 * point so that large projected coordinates lose no precision. */
static double
ring_area2(const double *xy, size_t n)
{
    double s = 0;

    for (size_t i = 1; i + 1 < n; i++)
        s += (xy[2 * i] - xy[0]) * (xy[2 * i + 3] - xy[1]) -
             (xy[2 * i + 2] - xy[0]) * (xy[2 * i + 1] - xy[1]);
    return s;
}

static enum lr_rc
grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap : 64;
    void *q;

    if (need <= *cap)
        return LR_OK;
    while (ncap < need)
        ncap *= 2;
    q = realloc(*p, ncap * size);
    if (!q)
        return LR_ERR_NOMEM;
    *p = q;
    *cap = ncap;
    return LR_OK;
}

enum lr_rc
lr_rings_add(struct lr_rings *r, const double *xy, size_t n, bool hole)
{
    double *dst;
    bool reverse;

    if (grow((void **)&r->xy, &r->cap_pts, 2 * (r->npts + n), sizeof(double)) != LR_OK ||
        grow((void **)&r->start, &r->cap_rings, r->nrings + 2, sizeof(size_t)) != LR_OK)
        return LR_ERR_NOMEM;
    if (r->nrings == 0)
        r->start[0] = 0;
    dst = r->xy + 2 * r->npts;
    reverse = (ring_area2(xy, n) > 0) == hole;
    for (size_t i = 0; i < n; i++) {
        size_t k = reverse ? n - 1 - i : i;
        dst[2 * i] = xy[2 * k];
        dst[2 * i + 1] = xy[2 * k + 1];
    }
    r->npts += n;
    r->start[++r->nrings] = r->npts;
    return LR_OK;
}

enum lr_rc
lr_rings_add_shape(struct lr_rings *r, const struct lr_shape *s, size_t *nrings)
{
    uint32_t ring = 0, pt = 0;

    *nrings = 0;
    for (uint32_t p = 0; p < s->nparts; p++)
        for (uint32_t k = 0; k < s->part_rings[p]; k++, ring++) {
            uint32_t n = s->ring_pts[ring];
            if (n >= 4) {
                if (lr_rings_add(r, s->xy + 2 * (size_t)pt, n, k > 0) != LR_OK)
                    return LR_ERR_NOMEM;
                (*nrings)++;
            }
            pt += n;
        }
    return LR_OK;
}

/* One ring turning one way only (collinear runs allowed, repeated points skipped), its
 * interior on the left. */
static bool
ring_convex(const double *xy, size_t n)
{
    size_t idx[LR_RING_SIMPLE_MAX], m = 0;

    if (n < 4 || n > LR_RING_SIMPLE_MAX)
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (m == 0 || xy[2 * i] != xy[2 * idx[m - 1]] || xy[2 * i + 1] != xy[2 * idx[m - 1] + 1])
            idx[m++] = i;
    while (m > 1 && xy[2 * idx[0]] == xy[2 * idx[m - 1]] &&
           xy[2 * idx[0] + 1] == xy[2 * idx[m - 1] + 1])
        m--;
    if (m < 3)
        return false;
    for (size_t i = 0; i < m; i++) {
        const double *a = xy + 2 * idx[i], *b = xy + 2 * idx[(i + 1) % m];
        const double *c = xy + 2 * idx[(i + 2) % m];
        double ux = b[0] - a[0], uy = b[1] - a[1], vx = c[0] - b[0], vy = c[1] - b[1];
        double cross = ux * vy - uy * vx;
        if (cross < 0 || (cross == 0 && ux * vx + uy * vy < 0))
            return false;
    }
    return true;
}

void
lr_ringset_make(struct lr_ringset *s, const struct lr_rings *r, size_t first, size_t count)
{
    size_t a = count ? r->start[first] : 0, b = count ? r->start[first + count] : 0;

    s->r = r;
    s->first = first;
    s->count = count;
    s->minx = s->miny = INFINITY;
    s->maxx = s->maxy = -INFINITY;
    for (size_t i = a; i < b; i++) {
        double x = r->xy[2 * i], y = r->xy[2 * i + 1];
        s->minx = fmin(s->minx, x);
        s->maxx = fmax(s->maxx, x);
        s->miny = fmin(s->miny, y);
        s->maxy = fmax(s->maxy, y);
    }
    s->convex = count == 1 && ring_convex(r->xy + 2 * a, b - a);
}

/* Points of the set: [*lo, *hi). */
static void
set_points(const struct lr_ringset *s, size_t *lo, size_t *hi)
{
    *lo = s->count ? s->r->start[s->first] : 0;
    *hi = s->count ? s->r->start[s->first + s->count] : 0;
}

/* The tolerance for a pair of sets (geom_rings.h). */
static double
set_eps(const struct lr_ringset *a, const struct lr_ringset *b)
{
    double minx = fmin(a->minx, b->minx), maxx = fmax(a->maxx, b->maxx);
    double miny = fmin(a->miny, b->miny), maxy = fmax(a->maxy, b->maxy);
    double big = fmax(fmax(fabs(minx), fabs(maxx)), fmax(fabs(miny), fabs(maxy)));

    return 1e-12 * big + 1e-9 * hypot(maxx - minx, maxy - miny);
}

/* Side of c against the line a->b: 1 left, -1 right, 0 within eps of the line. */
static int
side(const double *a, const double *b, const double *c, double eps)
{
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double d = dx * (c[1] - a[1]) - dy * (c[0] - a[0]);

    if (d * d <= eps * eps * (dx * dx + dy * dy))
        return 0;
    return d > 0 ? 1 : -1;
}

/* Distance from p to segment a-b is at most eps. */
static bool
on_segment(const double *p, const double *a, const double *b, double eps)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2 : 0;

    double ex, ey;

    t = t < 0 ? 0 : t > 1 ? 1 : t;
    ex = p[0] - (a[0] + t * dx);
    ey = p[1] - (a[1] + t * dy);
    return ex * ex + ey * ey <= eps * eps;
}

/* Locate p in s; on the boundary, *dir gets the direction of the edge holding p. */
static int
locate_eps(const struct lr_ringset *s, const double *p, double eps, double *dir)
{
    bool inside = false;

    if (p[0] < s->minx - eps || p[0] > s->maxx + eps || p[1] < s->miny - eps ||
        p[1] > s->maxy + eps)
        return 0;
    for (size_t r = s->first; r < s->first + s->count; r++) {
        const double *xy = s->r->xy;
        for (size_t i = s->r->start[r]; i + 1 < s->r->start[r + 1]; i++) {
            const double *a = xy + 2 * i, *b = xy + 2 * i + 2;
            if (on_segment(p, a, b, eps)) {
                dir[0] = b[0] - a[0];
                dir[1] = b[1] - a[1];
                return -1;
            }
            if ((a[1] > p[1]) != (b[1] > p[1]) &&
                p[0] < a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]))
                inside = !inside;
        }
    }
    return inside ? 1 : 0;
}

int
lr_ringset_locate(const struct lr_ringset *s, double x, double y)
{
    double p[2] = { x, y }, dir[2];

    return locate_eps(s, p, set_eps(s, s), dir);
}

static bool
boxes_overlap(const double *a, const double *b, const double *c, const double *d, double eps)
{
    return fmin(a[0], b[0]) <= fmax(c[0], d[0]) + eps &&
           fmin(c[0], d[0]) <= fmax(a[0], b[0]) + eps &&
           fmin(a[1], b[1]) <= fmax(c[1], d[1]) + eps && fmin(c[1], d[1]) <= fmax(a[1], b[1]) + eps;
}

static bool
edge_meets_set(const double *a, const double *b, const struct lr_ringset *s, double eps)
{
    return fmin(a[0], b[0]) <= s->maxx + eps && fmax(a[0], b[0]) >= s->minx - eps &&
           fmin(a[1], b[1]) <= s->maxy + eps && fmax(a[1], b[1]) >= s->miny - eps;
}

/* An edge a->b of one set properly crosses an edge of s (both strictly straddle). */
static bool
crosses_set(const double *a, const double *b, const struct lr_ringset *s, double eps)
{
    const double *xy = s->r->xy;

    for (size_t r = s->first; r < s->first + s->count; r++)
        for (size_t i = s->r->start[r]; i + 1 < s->r->start[r + 1]; i++) {
            const double *c = xy + 2 * i, *d = xy + 2 * i + 2;
            if (!boxes_overlap(a, b, c, d, eps))
                continue;
            if (side(c, d, a, eps) * side(c, d, b, eps) < 0 &&
                side(a, b, c, eps) * side(a, b, d, eps) < 0)
                return true;
        }
    return false;
}

/* Parameters along a->b (strictly between the ends) of the vertices of s lying on it, sorted,
 * with 0 and 1 around them. Returns the count, or 0 when there are more than TS_MAX. */
static size_t
split_points(const double *a, const double *b, const struct lr_ringset *s, double eps, double *ts)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double tiny = eps / sqrt(l2);
    size_t lo, hi, n = 1;

    ts[0] = 0;
    set_points(s, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const double *v = s->r->xy + 2 * i;
        double t = ((v[0] - a[0]) * dx + (v[1] - a[1]) * dy) / l2;
        if (t <= tiny || t >= 1 - tiny || !on_segment(v, a, b, eps))
            continue;
        if (n + 1 >= TS_MAX)
            return 0;
        size_t k = n++;
        while (k > 1 && ts[k - 1] > t) {
            ts[k] = ts[k - 1];
            k--;
        }
        ts[k] = t;
    }
    ts[n++] = 1;
    return n;
}

/* b has the edge q->p exactly (an edge shared by neighbours, run the other way). */
static bool
has_reverse_edge(const struct lr_ringset *b, const double *p, const double *q)
{
    for (size_t r = b->first; r < b->first + b->count; r++)
        for (size_t k = b->r->start[r]; k + 1 < b->r->start[r + 1]; k++) {
            const double *c = b->r->xy + 2 * k;
            if (c[0] == q[0] && c[1] == q[1] && c[2] == p[0] && c[3] == p[1])
                return true;
        }
    return false;
}

/* Some edge of a meets b's interior: crosses b's boundary properly (checked when cross is set),
 * or has a piece strictly inside b, or on b's boundary running the same way. An edge b has
 * exactly, the other way round, is shared by neighbours and skipped: nothing of b crosses it
 * (b is valid), nothing of it is inside b. */
static bool
edges_meet(const struct lr_ringset *a, const struct lr_ringset *b, double eps, bool cross)
{
    const double *xy = a->r->xy;
    double ts[TS_MAX], dir[2], m[2];

    for (size_t r = a->first; r < a->first + a->count; r++)
        for (size_t i = a->r->start[r]; i + 1 < a->r->start[r + 1]; i++) {
            const double *p = xy + 2 * i, *q = xy + 2 * i + 2;
            double dx = q[0] - p[0], dy = q[1] - p[1], len = sqrt(dx * dx + dy * dy);
            if (len <= eps || !edge_meets_set(p, q, b, eps) || has_reverse_edge(b, p, q))
                continue;
            if (cross && crosses_set(p, q, b, eps))
                return true;
            size_t n = split_points(p, q, b, eps, ts);
            if (n == 0)
                return true; /* too many contacts to examine: let the caller measure */
            for (size_t k = 0; k + 1 < n; k++) {
                if ((ts[k + 1] - ts[k]) * len <= 2 * eps)
                    continue;
                m[0] = p[0] + 0.5 * (ts[k] + ts[k + 1]) * dx;
                m[1] = p[1] + 0.5 * (ts[k] + ts[k + 1]) * dy;
                int loc = locate_eps(b, m, eps, dir);
                if (loc == 1 || (loc == -1 && dir[0] * dx + dir[1] * dy > 0))
                    return true;
            }
        }
    return false;
}

static size_t
set_edges(const struct lr_ringset *s)
{
    size_t lo, hi;

    set_points(s, &lo, &hi);
    return hi - lo - s->count;
}

/* Some edge of convex a has every point of b on or right of its line: a separating line. */
static bool
separated_by_edge_of(const struct lr_ringset *a, const struct lr_ringset *b, double eps)
{
    size_t lo, hi, blo, bhi;

    set_points(a, &lo, &hi);
    set_points(b, &blo, &bhi);
    for (size_t i = lo; i + 1 < hi; i++) {
        const double *p = a->r->xy + 2 * i, *q = p + 2;
        size_t k = blo;
        if (p[0] == q[0] && p[1] == q[1])
            continue;
        while (k < bhi && side(p, q, b->r->xy + 2 * k, eps) <= 0)
            k++;
        if (k == bhi)
            return true;
    }
    return false;
}

bool
lr_ringset_interiors_intersect(const struct lr_ringset *a, const struct lr_ringset *b)
{
    double eps = set_eps(a, b);

    if (a->minx > b->maxx + eps || b->minx > a->maxx + eps || a->miny > b->maxy + eps ||
        b->miny > a->maxy + eps)
        return false;
    /* two convex rings: their interiors are apart exactly when an edge of one separates them */
    if (a->convex && b->convex)
        return !separated_by_edge_of(a, b, eps) && !separated_by_edge_of(b, a, eps);
    if ((double)set_edges(a) * (double)set_edges(b) > LR_RINGS_MAX_PAIRS)
        return true;
    return edges_meet(a, b, eps, true) || edges_meet(b, a, eps, false);
}

double
lr_ringset_shared_length(const struct lr_ringset *a, const struct lr_ringset *b)
{
    double eps = set_eps(a, b), ts[TS_MAX], dir[2], m[2], total = 0;
    const double *xy = a->r->xy;

    for (size_t r = a->first; r < a->first + a->count; r++)
        for (size_t i = a->r->start[r]; i + 1 < a->r->start[r + 1]; i++) {
            const double *p = xy + 2 * i, *q = xy + 2 * i + 2;
            double dx = q[0] - p[0], dy = q[1] - p[1], len = sqrt(dx * dx + dy * dy);
            size_t n;
            if (len <= eps || !edge_meets_set(p, q, b, eps))
                continue;
            n = split_points(p, q, b, eps, ts);
            for (size_t k = 0; k + 1 < n; k++) {
                m[0] = p[0] + 0.5 * (ts[k] + ts[k + 1]) * dx;
                m[1] = p[1] + 0.5 * (ts[k] + ts[k + 1]) * dy;
                if (locate_eps(b, m, eps, dir) == -1)
                    total += (ts[k + 1] - ts[k]) * len;
            }
        }
    return total;
}

/* ---- simple rings ---- */

/* Segments a-b and c-d are apart by more than eps (no contact, no near contact). */
static bool
segments_apart(const double *a, const double *b, const double *c, const double *d, double eps)
{
    int s1, s2, s3, s4;

    if (!boxes_overlap(a, b, c, d, eps))
        return true;
    s1 = side(a, b, c, eps);
    s2 = side(a, b, d, eps);
    s3 = side(c, d, a, eps);
    s4 = side(c, d, b, eps);
    if (s1 == 0 || s2 == 0 || s3 == 0 || s4 == 0)
        return false; /* too close to call */
    return s1 == s2 || s3 == s4;
}

bool
lr_ring_is_simple(const double *xy, size_t n)
{
    double v[2 * LR_RING_SIMPLE_MAX], big = 0, minx = INFINITY, maxx = -INFINITY;
    double miny = INFINITY, maxy = -INFINITY, eps;
    size_t m = 0;

    if (n < 4 || n > LR_RING_SIMPLE_MAX || xy[0] != xy[2 * n - 2] || xy[1] != xy[2 * n - 1])
        return false;
    for (size_t i = 0; i + 1 < n; i++) { /* distinct consecutive points, closing one left out */
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return false;
        if (m == 0 || xy[2 * i] != v[2 * m - 2] || xy[2 * i + 1] != v[2 * m - 1]) {
            v[2 * m] = xy[2 * i];
            v[2 * m + 1] = xy[2 * i + 1];
            m++;
        }
    }
    while (m > 1 && v[0] == v[2 * m - 2] && v[1] == v[2 * m - 1])
        m--;
    if (m < 3 || ring_area2(xy, n) == 0)
        return false;
    for (size_t i = 0; i < m; i++) {
        minx = fmin(minx, v[2 * i]);
        maxx = fmax(maxx, v[2 * i]);
        miny = fmin(miny, v[2 * i + 1]);
        maxy = fmax(maxy, v[2 * i + 1]);
    }
    big = fmax(fmax(fabs(minx), fabs(maxx)), fmax(fabs(miny), fabs(maxy)));
    eps = 1e-12 * big + 1e-9 * hypot(maxx - minx, maxy - miny);
    for (size_t i = 0; i < m; i++) {
        const double *a = v + 2 * i, *b = v + 2 * ((i + 1) % m), *c = v + 2 * ((i + 2) % m);
        /* adjacent edges a-b, b-c must not fold back over each other */
        if (side(a, b, c, eps) == 0 &&
            (c[0] - b[0]) * (b[0] - a[0]) + (c[1] - b[1]) * (b[1] - a[1]) <= 0)
            return false;
        for (size_t j = i + 2; j < m; j++) {
            if (i == 0 && j == m - 1)
                continue; /* the closing edge is adjacent to the first */
            if (!segments_apart(a, b, v + 2 * j, v + 2 * ((j + 1) % m), eps))
                return false;
        }
    }
    return true;
}

/* ---- a grid of edges ---- */

enum lr_rc
lr_seggrid_build(struct lr_seggrid *gr, const struct lr_rings *r)
{
    struct lr_ringset all;
    size_t ne = 0, cells;

    memset(gr, 0, sizeof(*gr));
    gr->r = r;
    if (r->nrings == 0)
        return LR_OK; /* an empty grid: nothing enters anything */
    lr_ringset_make(&all, r, 0, r->nrings);
    ne = r->npts - r->nrings;
    gr->cell = fmax(fmax(all.maxx - all.minx, all.maxy - all.miny) / sqrt((double)(ne + 1)), 1e-9);
    gr->x0 = all.minx;
    gr->y0 = all.miny;
    gr->nx = (size_t)((all.maxx - all.minx) / gr->cell) + 1;
    gr->ny = (size_t)((all.maxy - all.miny) / gr->cell) + 1;
    cells = gr->nx * gr->ny;
    gr->start = calloc(cells + 1, sizeof(size_t));
    if (!gr->start)
        return LR_ERR_NOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t ring = 0; ring < r->nrings; ring++)
            for (size_t i = r->start[ring]; i + 1 < r->start[ring + 1]; i++) {
                const double *p = r->xy + 2 * i, *q = p + 2;
                size_t cx0 = (size_t)((fmin(p[0], q[0]) - gr->x0) / gr->cell);
                size_t cx1 = (size_t)((fmax(p[0], q[0]) - gr->x0) / gr->cell);
                size_t cy0 = (size_t)((fmin(p[1], q[1]) - gr->y0) / gr->cell);
                size_t cy1 = (size_t)((fmax(p[1], q[1]) - gr->y0) / gr->cell);
                for (size_t cy = cy0; cy <= cy1 && cy < gr->ny; cy++)
                    for (size_t cx = cx0; cx <= cx1 && cx < gr->nx; cx++) {
                        size_t c = cy * gr->nx + cx;
                        if (pass == 0)
                            gr->start[c + 1]++;
                        else
                            gr->items[gr->start[c]++] = i;
                    }
            }
        if (pass == 0) {
            for (size_t c = 0; c < cells; c++)
                gr->start[c + 1] += gr->start[c];
            gr->items = malloc((gr->start[cells] ? gr->start[cells] : 1) * sizeof(size_t));
            if (!gr->items)
                return LR_ERR_NOMEM;
        }
    }
    for (size_t c = cells; c > 0; c--) /* pass 1 moved every start one cell on */
        gr->start[c] = gr->start[c - 1];
    gr->start[0] = 0;
    return LR_OK;
}

void
lr_seggrid_release(struct lr_seggrid *gr)
{
    free(gr->start);
    free(gr->items);
    memset(gr, 0, sizeof(*gr));
}

/* Edge c->d crosses s's boundary properly or has a piece strictly inside s. */
static bool
edge_enters(const double *c, const double *d, const struct lr_ringset *s, double eps)
{
    double ts[TS_MAX], dir[2], m[2], dx = d[0] - c[0], dy = d[1] - c[1];
    size_t n;

    if (!edge_meets_set(c, d, s, eps) || dx * dx + dy * dy <= eps * eps)
        return false;
    if (crosses_set(c, d, s, eps))
        return true;
    n = split_points(c, d, s, eps, ts);
    if (n == 0)
        return true; /* too many contacts to examine: say yes, the caller measures */
    for (size_t k = 0; k + 1 < n; k++) {
        m[0] = c[0] + 0.5 * (ts[k] + ts[k + 1]) * dx;
        m[1] = c[1] + 0.5 * (ts[k] + ts[k + 1]) * dy;
        if (locate_eps(s, m, eps, dir) == 1)
            return true;
    }
    return false;
}

bool
lr_seggrid_enters(const struct lr_seggrid *gr, const struct lr_ringset *s)
{
    double eps = set_eps(s, s);
    double fx0 = (s->minx - eps - gr->x0) / gr->cell, fx1 = (s->maxx + eps - gr->x0) / gr->cell;
    double fy0 = (s->miny - eps - gr->y0) / gr->cell, fy1 = (s->maxy + eps - gr->y0) / gr->cell;
    size_t cx0, cx1, cy0, cy1;

    if (!gr->start || fx1 < 0 || fy1 < 0 || fx0 >= (double)gr->nx || fy0 >= (double)gr->ny)
        return false;
    cx0 = fx0 < 0 ? 0 : (size_t)fx0;
    cy0 = fy0 < 0 ? 0 : (size_t)fy0;
    cx1 = fx1 >= (double)gr->nx ? gr->nx - 1 : (size_t)fx1;
    cy1 = fy1 >= (double)gr->ny ? gr->ny - 1 : (size_t)fy1;
    for (size_t cy = cy0; cy <= cy1; cy++)
        for (size_t cx = cx0; cx <= cx1; cx++) {
            size_t c = cy * gr->nx + cx;
            for (size_t k = gr->start[c]; k < gr->start[c + 1]; k++) {
                const double *p = gr->r->xy + 2 * gr->items[k];
                if (edge_enters(p, p + 2, s, eps))
                    return true;
            }
        }
    return false;
}

/* ---- unmatched edges: an open-addressing hash of undirected edges ---- */

struct edge_table {
    const double *xy;
    uint32_t *slot; /* 0 empty, else 1 + index of the edge's first point */
    uint8_t *dirs;  /* bits: 1 parcel forward (key order), 2 parcel backward, 4 area forward,
                       8 area backward */
    size_t mask;
};

/* Key of edge i: its end points in lexicographic order; *fwd tells whether that is i's order. */
static void
edge_key(const double *xy, size_t i, double *k, bool *fwd)
{
    const double *p = xy + 2 * i, *q = p + 2;

    *fwd = p[0] < q[0] || (p[0] == q[0] && p[1] < q[1]);
    if (!*fwd) {
        const double *t = p;
        p = q;
        q = t;
    }
    k[0] = p[0] + 0.0;
    k[1] = p[1] + 0.0;
    k[2] = q[0] + 0.0;
    k[3] = q[1] + 0.0;
}

static uint64_t
key_hash(const double *k)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;

    for (int i = 0; i < 4; i++) {
        uint64_t v;
        memcpy(&v, &k[i], sizeof(v));
        h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
    }
    return h ^ (h >> 33);
}

static void
table_add(struct edge_table *t, size_t i, bool area)
{
    double k[4], k2[4];
    bool fwd, fwd2;
    size_t h;

    edge_key(t->xy, i, k, &fwd);
    for (h = key_hash(k) & t->mask; t->slot[h]; h = (h + 1) & t->mask) {
        edge_key(t->xy, t->slot[h] - 1, k2, &fwd2);
        if (memcmp(k, k2, sizeof(k)) == 0)
            break;
    }
    if (!t->slot[h])
        t->slot[h] = (uint32_t)(i + 1);
    t->dirs[h] |= (uint8_t)((fwd ? 1 : 2) << (area ? 2 : 0));
}

static bool
zero_length(const double *xy, size_t i)
{
    return xy[2 * i] == xy[2 * i + 2] && xy[2 * i + 1] == xy[2 * i + 3];
}

/* Does an edge with these sightings separate regions that may differ for the gap search? Not
 * when parcels lie on both sides, nor when a parcel and an area run the same way on it alone
 * (covered and inside on one side, uncovered and outside on the other). */
static bool
edge_matters(uint8_t d)
{
    if ((d & 3) == 3)
        return false;
    if (d == (1 | 4) || d == (2 | 8))
        return false;
    return d != 0;
}

enum lr_rc
lr_rings_unmatched_edges(const struct lr_rings *r, size_t first_area, double **seg, size_t *nseg)
{
    struct edge_table t = { r->xy, NULL, NULL, 0 };
    size_t cap = 16, n = 0, k = 0;
    double *out = NULL;

    *seg = NULL;
    *nseg = 0;
    if (r->npts >= UINT32_MAX)
        return LR_ERR_INTERNAL;
    while (cap < 2 * r->npts)
        cap *= 2;
    t.mask = cap - 1;
    t.slot = calloc(cap, sizeof(*t.slot));
    t.dirs = calloc(cap, 1);
    if (!t.slot || !t.dirs)
        goto oom;
    for (size_t ring = 0; ring < r->nrings; ring++)
        for (size_t i = r->start[ring]; i + 1 < r->start[ring + 1]; i++)
            if (!zero_length(r->xy, i))
                table_add(&t, i, ring >= first_area);
    for (size_t h = 0; h < cap; h++)
        n += t.slot[h] && edge_matters(t.dirs[h]);
    out = malloc((n ? n : 1) * 4 * sizeof(double));
    if (!out)
        goto oom;
    for (size_t h = 0; h < cap; h++)
        if (t.slot[h] && edge_matters(t.dirs[h])) {
            memcpy(out + 4 * k, r->xy + 2 * (t.slot[h] - 1), 4 * sizeof(double));
            k++;
        }
    free(t.slot);
    free(t.dirs);
    *seg = out;
    *nseg = n;
    return LR_OK;
oom:
    free(t.slot);
    free(t.dirs);
    return LR_ERR_NOMEM;
}
