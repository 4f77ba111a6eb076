/* report_map.c - one small map per new commune (inline SVG, see report_int.h): the repaired
 * parcels coloured by status, simplified to the map's resolution and written as one path per
 * status with integer coordinates. A commune draws at most rp->map_cap parcels: every parcel
 * whose status is not plain matched first, then matched ones in a fixed pseudo-random order (key
 * hash); the rest are shown as filled grid cells. The file stays small on a 1M-parcel run. */
#include "geom.h"
#include "geom_rings.h"
#include "report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MAX     920 /* longer side of the map, user units (2 per CSS px) */
#define MAP_MARGIN  8
#define MAP_CELL    8     /* aggregation cell, user units */
#define MAP_CAP     3000  /* parcels drawn per commune at most */
#define MAP_CAP_MIN 500   /* ... and at least, whatever the number of communes */
#define MAP_BUDGET  60000 /* parcels drawn over the whole report, when communes are many */

/* ---- drawing order ---- */

static int
draw_prio(const struct lr_parcel *p)
{
    return p->status == LR_ST_MATCHED ? 1 : 0;
}

/* What the drawing order compares, gathered first: sorting a million parcels through their
 * own records would chase pointers across the whole shard. */
struct draw_key {
    uint32_t commune; /* -1 (unknown) last */
    uint32_t prio;
    uint64_t hash;
    struct lr_key key;
    uint32_t input;
    int64_t fid;
    size_t idx;
};

static int
cmp_draw(const void *a, const void *b)
{
    const struct draw_key *x = a, *y = b;
    int c;

    if (x->commune != y->commune)
        return x->commune < y->commune ? -1 : 1;
    if (x->prio != y->prio)
        return x->prio < y->prio ? -1 : 1;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    if ((c = lr_key_cmp(&x->key, &y->key)) != 0)
        return c;
    if (x->input != y->input)
        return x->input < y->input ? -1 : 1;
    if (x->fid != y->fid)
        return x->fid < y->fid ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Per new commune, count the parcels of map_idx[0..n) and set map_first / map_n. */
static size_t
slice_communes(struct lr_rp *rp, size_t n)
{
    size_t g = 0, with = 0;

    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)rp->par_new[rp->map_idx[i]];
        while (g < rp->n_news && (uint32_t)rp->news[g].code < c)
            g++;
        if (g == rp->n_news || (uint32_t)rp->news[g].code != c)
            continue; /* cannot happen: every parcel's commune has a group */
        if (rp->news[g].map_n++ == 0) {
            rp->news[g].map_first = i;
            with++;
        }
    }
    return with;
}

enum lr_rc
lr_rp_map_prepare(struct lr_rp *rp, struct lr_err *err)
{
    const struct lr_shard *sh = rp->sh;
    struct draw_key *k = malloc((sh->n_parcels + 1) * sizeof(*k));
    size_t n = 0, with;

    rp->map_idx = malloc((sh->n_parcels + 1) * sizeof(size_t));
    if (!rp->map_idx || !k) {
        free(k);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];
        if (p->geom)
            k[n++] = (struct draw_key){ (uint32_t)rp->par_new[i],
                                        (uint32_t)draw_prio(p),
                                        lr_key_hash(&p->key),
                                        p->key,
                                        p->input,
                                        p->fid,
                                        i };
    }
    qsort(k, n, sizeof(*k), cmp_draw);
    for (size_t i = 0; i < n; i++)
        rp->map_idx[i] = k[i].idx;
    free(k);
    with = slice_communes(rp, n);
    rp->map_cap = with ? MAP_BUDGET / with : MAP_CAP;
    rp->map_cap = rp->map_cap > MAP_CAP ? MAP_CAP : rp->map_cap;
    rp->map_cap = rp->map_cap < MAP_CAP_MIN ? MAP_CAP_MIN : rp->map_cap;
    return LR_OK;
}

/* ---- projection onto the SVG ---- */

struct view {
    struct lr_geom_ctx *g;
    double minx, maxy,
        s; /* world -> user units: X = (x - minx) s + margin, Y = (maxy - y) s + .. */
    int w, h;
    long *q; /* quantised ring scratch */
    size_t qcap;
    struct lr_rings rings;
};

static long
vx(const struct view *v, double x)
{
    return lround((x - v->minx) * v->s) + MAP_MARGIN;
}

static long
vy(const struct view *v, double y)
{
    return lround((v->maxy - y) * v->s) + MAP_MARGIN;
}

/* The extent of the commune's parcels and boundary; false when empty. */
static bool
view_fit(struct view *v, const struct lr_rp *rp, const struct lr_rp_group *grp, const void *bnd)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY, a, b, c, d, ww, hh;

    for (size_t i = 0; i < grp->map_n; i++) {
        const struct lr_parcel *p = &rp->sh->parcels[rp->map_idx[grp->map_first + i]];
        if (!lr_geom_bounds(v->g, p->geom, &a, &b, &c, &d))
            continue;
        minx = fmin(minx, a), miny = fmin(miny, b), maxx = fmax(maxx, c), maxy = fmax(maxy, d);
    }
    if (bnd && lr_geom_bounds(v->g, bnd, &a, &b, &c, &d))
        minx = fmin(minx, a), miny = fmin(miny, b), maxx = fmax(maxx, c), maxy = fmax(maxy, d);
    if (!(maxx >= minx && maxy >= miny))
        return false;
    ww = fmax(maxx - minx, 1.0);
    hh = fmax(maxy - miny, 1.0);
    v->s = (MAP_MAX - 2 * MAP_MARGIN) / fmax(ww, hh);
    v->minx = minx;
    v->maxy = maxy;
    v->w = (int)ceil(ww * v->s) + 2 * MAP_MARGIN;
    v->h = (int)ceil(hh * v->s) + 2 * MAP_MARGIN;
    return true;
}

/* Append number pair (dx, dy) of a relative path ("l" continued): a separator only where the
 * next number has no sign. */
static void
add_pair(struct lr_buf *b, long dx, long dy)
{
    lr_buf_addf(b, dx < 0 ? "%ld" : " %ld", dx);
    lr_buf_addf(b, dy < 0 ? "%ld" : " %ld", dy);
}

/* Signed area of a closed ring (world units): > 0 for a shell (lr_rings orientation). */
static double
ring_area(const double *xy, size_t n)
{
    double a = 0;

    for (size_t i = 0; i + 1 < n; i++)
        a += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
    return a / 2;
}

/* One ring as "M x y l dx dy ... z" on the integer grid; a shell that collapses to fewer than
 * three points becomes a 4-unit (2 px) square so small parcels stay visible; a collapsed hole
 * is dropped. */
static enum lr_rc
ring_path(struct view *v, struct lr_buf *b, const double *xy, size_t n)
{
    size_t k = 0;

    if (2 * n > v->qcap) {
        long *q = realloc(v->q, 2 * n * sizeof(long));
        if (!q)
            return LR_ERR_NOMEM;
        v->q = q;
        v->qcap = 2 * n;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        long x = vx(v, xy[2 * i]), y = vy(v, xy[2 * i + 1]);
        if (k && v->q[2 * k - 2] == x && v->q[2 * k - 1] == y)
            continue;
        v->q[2 * k] = x;
        v->q[2 * k + 1] = y;
        k++;
    }
    while (k > 1 && v->q[0] == v->q[2 * k - 2] && v->q[1] == v->q[2 * k - 1])
        k--;
    if (k < 3) {
        if (ring_area(xy, n) > 0 && k > 0)
            lr_buf_addf(b, "M%ld %ldh4v4h-4z", v->q[0] - 2, v->q[1] - 2);
        return LR_OK;
    }
    lr_buf_addf(b, "M%ld %ldl", v->q[0], v->q[1]);
    for (size_t i = 1; i < k; i++)
        add_pair(b, v->q[2 * i] - v->q[2 * i - 2], v->q[2 * i + 1] - v->q[2 * i - 1]);
    lr_buf_addc(b, 'z');
    return LR_OK;
}

/* geom simplified to tol (world units) and appended as path data to b. */
static enum lr_rc
geom_path(struct view *v, struct lr_buf *b, const void *geom, double tol)
{
    void *simple = lr_geom_simplify(v->g, geom, tol, true);
    size_t nr = 0;
    enum lr_rc rc;

    lr_rings_reset(&v->rings);
    rc = lr_geom_rings(v->g, simple ? simple : geom, &v->rings, &nr);
    for (size_t r = 0; rc == LR_OK && r < v->rings.nrings; r++)
        rc = ring_path(v, b, v->rings.xy + 2 * v->rings.start[r],
                       v->rings.start[r + 1] - v->rings.start[r]);
    lr_geom_free(simple);
    return rc == LR_OK ? LR_OK : LR_ERR_NOMEM;
}

/* ---- the map ---- */

/* The parcels not drawn one by one, as cells of MAP_CELL units holding an interior point. */
static enum lr_rc
cells_path(struct view *v, const struct lr_rp *rp, const struct lr_rp_group *grp, size_t from,
           struct lr_buf *b)
{
    int cw = v->w / MAP_CELL + 1, ch = v->h / MAP_CELL + 1;
    unsigned char *on = from < grp->map_n ? calloc((size_t)cw * (size_t)ch, 1) : NULL;

    if (from >= grp->map_n)
        return LR_OK;
    if (!on)
        return LR_ERR_NOMEM;
    for (size_t i = from; i < grp->map_n; i++) {
        const struct lr_parcel *p = &rp->sh->parcels[rp->map_idx[grp->map_first + i]];
        long cx = vx(v, p->ix) / MAP_CELL, cy = vy(v, p->iy) / MAP_CELL;
        if (cx >= 0 && cy >= 0 && cx < cw && cy < ch)
            on[cy * cw + cx] = 1;
    }
    lr_buf_adds(b, "<path fill=\"#d9e6d5\" d=\"");
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            int x0 = x;
            if (!on[y * cw + x])
                continue;
            while (x + 1 < cw && on[y * cw + x + 1])
                x++;
            lr_buf_addf(b, "M%d %dh%dv%dh%dz", x0 * MAP_CELL, y * MAP_CELL, (x - x0 + 1) * MAP_CELL,
                        MAP_CELL, -(x - x0 + 1) * MAP_CELL);
        }
    lr_buf_adds(b, "\"/>\n");
    free(on);
    return LR_OK;
}

/* The drawn parcels: one path per status, matched first so the others lie on top. */
static enum lr_rc
parcel_paths(struct view *v, const struct lr_rp *rp, const struct lr_rp_group *grp, size_t n,
             struct lr_buf *b)
{
    struct lr_buf per[LR_ST_COUNT];
    enum lr_rc rc = LR_OK;

    for (int s = 0; s < LR_ST_COUNT; s++)
        lr_buf_init(&per[s]);
    for (size_t i = 0; rc == LR_OK && i < n; i++) {
        const struct lr_parcel *p = &rp->sh->parcels[rp->map_idx[grp->map_first + i]];
        rc = geom_path(v, &per[p->status], p->geom, 0.5 / v->s);
    }
    for (int s = 0; s < LR_ST_COUNT; s++) {
        if (rc == LR_OK && per[s].len)
            lr_buf_addf(b, "<path fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"0.6\" d=\"%s\"/>\n",
                        lr_rp_status_color((enum lr_status)s), per[s].data);
        lr_buf_release(&per[s]);
    }
    return rc;
}

/* A scale bar of 1, 2 or 5 x 10^k metres, about a fifth of the map wide. */
static void
scale_bar(struct lr_buf *b, const struct view *v)
{
    double want = v->w / 5.0 / v->s, m = pow(10, floor(log10(want)));
    double len = want >= 5 * m ? 5 * m : want >= 2 * m ? 2 * m : m;
    long px = lround(len * v->s), y = v->h - 12;

    lr_buf_addf(b,
                "<path d=\"M12 %ldv6h%ldv-6\" fill=\"none\" stroke=\"#1d2733\" "
                "stroke-width=\"2\"/><text x=\"%ld\" y=\"%ld\" font-size=\"20\" "
                "text-anchor=\"middle\">",
                y - 6, px, 12 + px / 2, y - 10);
    if (len >= 1000)
        lr_buf_addf(b, "%g km</text>\n", len / 1000);
    else
        lr_buf_addf(b, "%g m</text>\n", len);
}

static const void *
boundary_of(const struct lr_shard *sh, int32_t code)
{
    for (size_t i = 0; code >= 0 && i < sh->n_boundaries; i++)
        if (sh->boundaries[i].new_code == code)
            return sh->boundaries[i].geom;
    return NULL;
}

static void
caption(struct lr_buf *b, const struct lr_rp_group *g, size_t drawn, size_t not_matched)
{
    size_t matched_drawn = drawn > not_matched ? drawn - not_matched : 0;

    lr_buf_adds(b, "<figcaption>Vẽ / drawn: <b>");
    lr_rp_num(b, (int64_t)drawn);
    lr_buf_adds(b, "</b> / ");
    lr_rp_num(b, (int64_t)g->map_n);
    lr_buf_adds(b, " thửa có hình / parcels with a geometry: ");
    lr_rp_num(b, (int64_t)(not_matched < drawn ? not_matched : drawn));
    lr_buf_adds(b, " / ");
    lr_rp_num(b, (int64_t)not_matched);
    lr_buf_adds(b, " khác &#8220;khớp&#8221; / not plain matched, ");
    lr_rp_num(b, (int64_t)matched_drawn);
    lr_buf_adds(b, " / ");
    lr_rp_num(b, (int64_t)(g->map_n - not_matched));
    lr_buf_adds(b, " khớp / matched (mẫu cố định / fixed sample)");
    if (drawn < g->map_n)
        lr_buf_adds(b, "; thửa còn lại gộp thành ô 4 px / the rest as 4 px cells");
    lr_buf_adds(b, ". Hình đã sửa, giản lược / repaired geometry, simplified.");
    if (g->n_map > (int64_t)g->map_n) {
        lr_buf_adds(b, " Không có hình / without a geometry: ");
        lr_rp_num(b, g->n_map - (int64_t)g->map_n);
        lr_buf_adds(b, ".");
    }
    lr_buf_adds(b, "</figcaption></figure>\n");
}

static enum lr_rc
draw(struct view *v, const struct lr_rp *rp, const struct lr_rp_group *g, const void *bnd,
     struct lr_buf *b)
{
    size_t drawn = g->map_n < rp->map_cap ? g->map_n : rp->map_cap, not_matched = 0;
    enum lr_rc rc;

    while (not_matched < g->map_n &&
           draw_prio(&rp->sh->parcels[rp->map_idx[g->map_first + not_matched]]) == 0)
        not_matched++;
    lr_buf_addf(b,
                "<figure><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
                "aria-label=\"map of commune %d\">\n<rect width=\"%d\" height=\"%d\" "
                "fill=\"#fafbfc\" stroke=\"#d5dce4\"/>\n",
                (v->w + 1) / 2, (v->h + 1) / 2, v->w, v->h, (int)g->code, v->w, v->h);
    rc = cells_path(v, rp, g, drawn, b);
    if (rc == LR_OK)
        rc = parcel_paths(v, rp, g, drawn, b);
    if (rc == LR_OK && bnd) {
        lr_buf_adds(b, "<path fill=\"none\" stroke=\"#17324d\" stroke-width=\"2\" d=\"");
        rc = geom_path(v, b, bnd, 1.0 / v->s);
        lr_buf_adds(b, "\"/>\n");
    }
    scale_bar(b, v);
    lr_buf_adds(b, "</svg>");
    caption(b, g, drawn, not_matched);
    return rc;
}

enum lr_rc
lr_rp_map(struct lr_rp *rp, const struct lr_rp_group *g, struct lr_buf *b, struct lr_err *err)
{
    struct view v = { .g = rp->ctx->geom };
    const void *bnd = boundary_of(rp->sh, g->code);
    enum lr_rc rc = LR_OK;

    lr_rings_init(&v.rings);
    if (!g->map_n || !view_fit(&v, rp, g, bnd))
        lr_buf_adds(b, "<p class=\"mut\">Không có thửa có hình / no parcel with a geometry</p>\n");
    else if (draw(&v, rp, g, bnd, b) != LR_OK)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory drawing the map of commune %d",
                        (int)g->code);
    lr_rings_release(&v.rings);
    free(v.q);
    return rc;
}
