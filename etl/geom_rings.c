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

    if (fabs(d) <= eps * hypot(dx, dy))
        return 0;
    return d > 0 ? 1 : -1;
}

/* Distance from p to segment a-b is at most eps. */
static bool
on_segment(const double *p, const double *a, const double *b, double eps)
{
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2 : 0;

    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy)) <= eps;
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

/* Some piece of a's boundary lies strictly inside b, or on b's boundary running the same way. */
static bool
pieces_inside(const struct lr_ringset *a, const struct lr_ringset *b, double eps)
{
    const double *xy = a->r->xy;
    double ts[TS_MAX], dir[2], m[2];

    for (size_t r = a->first; r < a->first + a->count; r++)
        for (size_t i = a->r->start[r]; i + 1 < a->r->start[r + 1]; i++) {
            const double *p = xy + 2 * i, *q = xy + 2 * i + 2;
            double dx = q[0] - p[0], dy = q[1] - p[1], len = hypot(dx, dy);
            if (len <= eps || !edge_meets_set(p, q, b, eps))
                continue;
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

bool
lr_ringset_interiors_intersect(const struct lr_ringset *a, const struct lr_ringset *b)
{
    double eps = set_eps(a, b);
    const double *xy = a->r->xy;

    if (a->minx > b->maxx + eps || b->minx > a->maxx + eps || a->miny > b->maxy + eps ||
        b->miny > a->maxy + eps)
        return false;
    if ((double)set_edges(a) * (double)set_edges(b) > LR_RINGS_MAX_PAIRS)
        return true;
    for (size_t r = a->first; r < a->first + a->count; r++)
        for (size_t i = a->r->start[r]; i + 1 < a->r->start[r + 1]; i++) {
            const double *p = xy + 2 * i, *q = xy + 2 * i + 2;
            if (edge_meets_set(p, q, b, eps) && crosses_set(p, q, b, eps))
                return true;
        }
    return pieces_inside(a, b, eps) || pieces_inside(b, a, eps);
}

/* ---- unmatched edges: an open-addressing hash of undirected edges ---- */

struct edge_table {
    const double *xy;
    uint32_t *slot; /* 0 empty, else 1 + index of the edge's first point */
    uint8_t *dirs;  /* bit 0: seen forward (key order), bit 1: seen backward */
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
table_add(struct edge_table *t, size_t i)
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
    t->dirs[h] |= fwd ? 1 : 2;
}

static bool
zero_length(const double *xy, size_t i)
{
    return xy[2 * i] == xy[2 * i + 2] && xy[2 * i + 1] == xy[2 * i + 3];
}

enum lr_rc
lr_rings_unmatched_edges(const struct lr_rings *r, double **seg, size_t *nseg)
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
                table_add(&t, i);
    for (size_t h = 0; h < cap; h++)
        n += t.slot[h] && t.dirs[h] != 3;
    out = malloc((n ? n : 1) * 4 * sizeof(double));
    if (!out)
        goto oom;
    for (size_t h = 0; h < cap; h++)
        if (t.slot[h] && t.dirs[h] != 3) {
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
