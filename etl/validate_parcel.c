/* validate_parcel.c - phase 1 of the validate stage for one parcel (see stage_validate.c):
 * tidy the rings (close open ones, drop ones too short to hold area), build the geometry, flag
 * duplicate vertices and spikes, check validity with GEOS (reason and place; one simple ring is
 * recognised without GEOS), repair honestly (area before/after and the change of parts; too
 * much loss or still invalid is unrepairable and the map geometry is kept), flag slivers, and
 * place the parcel in the new commune boundaries (the commune holding most of its area;
 * outside_boundary when none holds more than half). Also each thread's boundary copies. */
#include "money.h"
#include "validate_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOSTLY_OUTSIDE 0.5 /* share of area outside its new commune that makes a parcel outside */
#define PIECE_POINTS   48  /* boundaries are cut into pieces of at most this many points ... */
#define PIECE_DEPTH    12  /* ... by at most this many quarterings */

static enum lr_rc
issue(struct lr_vworker *w, size_t i, enum lr_issue_class cls, double x, double y,
      const char *detail)
{
    if (lr_qa_issues_add(&w->issues, (int64_t)i, cls, x, y, detail, NULL) != LR_OK)
        return lr_err_set(&w->err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

/* ---- phase 1: one parcel ---- */

/* Angle in degrees at b between segments b->a and b->c. */
static double
vertex_angle(const double *a, const double *b, const double *c)
{
    double ux = a[0] - b[0], uy = a[1] - b[1], vx = c[0] - b[0], vy = c[1] - b[1];
    double d = sqrt((ux * ux + uy * uy) * (vx * vx + vy * vy));
    double cosv;

    if (d == 0)
        return 180;
    cosv = (ux * vx + uy * vy) / d;
    cosv = cosv > 1 ? 1 : cosv < -1 ? -1 : cosv;
    return acos(cosv) * 180.0 / M_PI;
}

static bool
same_xy(const double *a, const double *b)
{
    return a[0] == b[0] && a[1] == b[1];
}

/* Index of the nearest vertex before (step n-2) or after (step 1) k, in a closed ring of n points
 * (the closing point skipped), that differs from vertex k; k itself when none does. */
static uint32_t
distinct_neighbour(const double *xy, uint32_t n, uint32_t k, uint32_t step)
{
    uint32_t m = n - 1, j = (k + step) % m;

    while (j != k && same_xy(xy + 2 * j, xy + 2 * k))
        j = (j + step) % m;
    return j;
}

/* Spike at vertex k of a ring: the angle between its distinct neighbours is below spike_deg. */
static bool
spike_at(const double *xy, uint32_t n, uint32_t k, double spike_deg, double *angle)
{
    uint32_t a = distinct_neighbour(xy, n, k, n - 2), c = distinct_neighbour(xy, n, k, 1);

    if (a == k || c == k || same_xy(xy + 2 * a, xy + 2 * c))
        return false;
    *angle = vertex_angle(xy + 2 * a, xy + 2 * k, xy + 2 * c);
    return *angle < spike_deg;
}

/* Duplicate consecutive vertices and spikes of every ring: one issue per ring and kind. */
static enum lr_rc
check_vertices(struct lr_vworker *w, size_t i, double spike_deg)
{
    const struct lr_shape *s = &w->job->sh->parcels[i].shape;
    uint32_t pt = 0;
    enum lr_rc rc = LR_OK;
    char d[96];

    for (uint32_t r = 0; r < s->nrings && rc == LR_OK; pt += s->ring_pts[r], r++) {
        const double *xy = s->xy + 2 * (size_t)pt;
        uint32_t n = s->ring_pts[r];
        bool dup = false, spike = false;
        double angle;
        for (uint32_t k = 0; n >= 4 && k + 1 < n && rc == LR_OK; k++) {
            if (!dup && same_xy(xy + 2 * k, xy + 2 * (k + 1))) {
                dup = true;
                rc = issue(w, i, LR_IS_DUPLICATE_VERTEX, xy[2 * k], xy[2 * k + 1],
                           "vertex repeated consecutively");
            }
            if (rc == LR_OK && !spike && spike_at(xy, n, k, spike_deg, &angle)) {
                spike = true;
                snprintf(d, sizeof(d), "spike: angle of %.3f degrees at this vertex", angle);
                rc = issue(w, i, LR_IS_SPIKE, xy[2 * k], xy[2 * k + 1], d);
            }
        }
    }
    return rc;
}

/* "1 part -> 2 parts, 1 collapsed line and 0 points dropped" into d. */
static void
repair_change(const struct lr_repair_info *ri, char *d, size_t size)
{
    int used = snprintf(d, size, "%d part%s -> %d part%s", ri->parts_before,
                        ri->parts_before == 1 ? "" : "s", ri->parts_after,
                        ri->parts_after == 1 ? "" : "s");

    if (ri->dropped_lines + ri->dropped_points > 0 && used > 0 && (size_t)used < size)
        snprintf(d + used, size - (size_t)used, ", %d collapsed line%s and %d point%s dropped",
                 ri->dropped_lines, ri->dropped_lines == 1 ? "" : "s", ri->dropped_points,
                 ri->dropped_points == 1 ? "" : "s");
}

/* Repair an invalid parcel: repaired (geometry replaced) or unrepairable (geometry kept). */
static enum lr_rc
repair(struct lr_vworker *w, size_t i, const struct lr_validity *v)
{
    const struct lr_config *cfg = w->job->ctx->cfg;
    struct lr_parcel *p = &w->job->sh->parcels[i];
    bool lw = cfg->repair == LR_REPAIR_LINEWORK;
    struct lr_repair_info ri;
    void *fixed = lr_geom_repair_info(w->g, p->geom, lw, &ri);
    double loss = ri.area_before > 0 ? (ri.area_before - ri.area_after) / ri.area_before : 0;
    char change[128], d[384];

    repair_change(&ri, change, sizeof(change));
    if (!fixed || !ri.valid || loss > cfg->max_repair_loss) {
        snprintf(d, sizeof(d),
                 "%s; %s repair %s (%s; area %.1f m2 before, %.1f after, limit %.1f %% loss); "
                 "the map geometry is kept",
                 v->reason, lw ? "linework" : "structure",
                 !fixed      ? "leaves no polygon"
                 : !ri.valid ? "stays invalid"
                             : "loses too much area",
                 change, ri.area_before, ri.area_after, 100 * cfg->max_repair_loss);
        lr_geom_free(fixed);
        w->unrepairable = true;
        return issue(w, i, LR_IS_UNREPAIRABLE, v->x, v->y, d);
    }
    snprintf(d, sizeof(d), "%s; %s repair: %s; area %.1f m2 before, %.1f after (%+.1f)", v->reason,
             lw ? "linework" : "structure", change, ri.area_before, ri.area_after,
             ri.area_after - ri.area_before);
    w->repair_delta_dm2 +=
        lr_money_area_from_double(ri.area_after) - lr_money_area_from_double(ri.area_before);
    lr_geom_free(p->geom);
    p->geom = fixed;
    return issue(w, i, LR_IS_REPAIRED, v->x, v->y, d);
}

/* Close every ring of s whose last point differs from its first by repeating the first point;
 * returns the number closed, -1 on out of memory. */
static int
close_rings(struct lr_shape *s)
{
    uint32_t open = 0, pt = 0, out = 0;
    double *xy;

    for (uint32_t r = 0; r < s->nrings; pt += s->ring_pts[r], r++)
        open += s->ring_pts[r] > 1 &&
                !same_xy(s->xy + 2 * (size_t)pt, s->xy + 2 * (size_t)(pt + s->ring_pts[r] - 1));
    if (open == 0)
        return 0;
    xy = malloc(2 * ((size_t)s->npts + open) * sizeof(double));
    if (!xy)
        return -1;
    pt = 0;
    for (uint32_t r = 0; r < s->nrings; pt += s->ring_pts[r], r++) {
        const double *src = s->xy + 2 * (size_t)pt;
        uint32_t n = s->ring_pts[r];
        memcpy(xy + 2 * (size_t)out, src, 2 * (size_t)n * sizeof(double));
        out += n;
        if (n > 1 && !same_xy(src, src + 2 * (size_t)(n - 1))) {
            memcpy(xy + 2 * (size_t)out++, src, 2 * sizeof(double));
            s->ring_pts[r]++;
        }
    }
    free(s->xy);
    s->xy = xy;
    s->npts = out;
    return (int)open;
}

/* Drop the holes with fewer than 4 points, and the parts whose shell has fewer than 4 points,
 * when some part keeps a proper shell (they hold no area); returns the number of rings dropped.
 * A shape with no proper shell is left alone: it is rejected when built. */
static int
drop_short_rings(struct lr_shape *s)
{
    uint32_t ring = 0, good = 0, rin = 0, rout = 0, pin = 0, pout = 0, parts = 0;
    int dropped = 0;

    for (uint32_t p = 0; p < s->nparts; ring += s->part_rings[p], p++)
        good += s->part_rings[p] > 0 && s->ring_pts[ring] >= 4;
    if (good == 0)
        return 0;
    for (uint32_t p = 0; p < s->nparts; p++) {
        bool shell_ok = s->part_rings[p] > 0 && s->ring_pts[rin] >= 4;
        uint32_t nr = s->part_rings[p], kept = 0;
        for (uint32_t k = 0; k < nr; k++, rin++) {
            uint32_t n = s->ring_pts[rin];
            if (shell_ok && n >= 4) {
                memmove(s->xy + 2 * (size_t)pout, s->xy + 2 * (size_t)pin,
                        2 * (size_t)n * sizeof(double));
                s->ring_pts[rout++] = n;
                pout += n;
                kept++;
            } else {
                dropped++;
            }
            pin += n;
        }
        if (kept)
            s->part_rings[parts++] = kept;
    }
    s->nparts = parts;
    s->nrings = rout;
    s->npts = pout;
    return dropped;
}

/* Rings left open on the map are closed, rings too short to hold area dropped: repairs of the
 * shape before it is built, each reported; *fixed counts them. */
static enum lr_rc
tidy_shape(struct lr_vworker *w, size_t i, int *fixed)
{
    struct lr_shape *s = &w->job->sh->parcels[i].shape;
    double x = s->npts ? s->xy[0] : 0, y = s->npts ? s->xy[1] : 0;
    int closed = close_rings(s), dropped;
    char d[128];
    enum lr_rc rc = LR_OK;

    if (closed < 0)
        return lr_err_set(&w->err, LR_ERR_NOMEM, "out of memory");
    dropped = drop_short_rings(s);
    *fixed = closed + dropped;
    if (closed > 0) {
        snprintf(d, sizeof(d), "%d ring%s not closed; closed by repeating the first point", closed,
                 closed == 1 ? "" : "s");
        rc = issue(w, i, LR_IS_RING_PROBLEM, x, y, d);
    }
    if (rc == LR_OK && dropped > 0) {
        snprintf(d, sizeof(d), "%d ring%s of fewer than 4 points dropped (no area)", dropped,
                 dropped == 1 ? "" : "s");
        rc = issue(w, i, LR_IS_TOO_FEW_POINTS, x, y, d);
    }
    return rc;
}

/* Build, check and repair parcel i. A parcel whose rings cannot be built is rejected. */
static enum lr_rc
validate_one(struct lr_vworker *w, size_t i)
{
    struct lr_parcel *p = &w->job->sh->parcels[i];
    enum lr_issue_class why = LR_IS_TOO_FEW_POINTS;
    struct lr_validity v;
    char d[128];
    int fixed = 0;
    enum lr_rc rc = tidy_shape(w, i, &fixed);

    if (rc != LR_OK)
        return rc;
    p->geom = lr_geom_from_shape(w->g, &p->shape, &why);
    if (!p->geom) {
        p->status = LR_ST_REJECTED;
        p->reject = why;
        return issue(w, i, why, p->shape.npts ? p->shape.xy[0] : 0,
                     p->shape.npts ? p->shape.xy[1] : 0,
                     why == LR_IS_TOO_FEW_POINTS ? "a ring has fewer than 4 points"
                                                 : "a ring cannot be built");
    }
    rc = check_vertices(w, i, w->job->ctx->cfg->spike_angle_deg);
    if (p->shape.nrings == 1 && lr_ring_is_simple(p->shape.xy, p->shape.npts))
        v.valid = true; /* one simple ring: valid, no need to ask GEOS */
    else
        lr_geom_validate(w->g, p->geom, &v);
    if (rc == LR_OK && !v.valid) {
        rc = issue(w, i, v.cls, v.x, v.y, v.reason);
        if (rc == LR_OK)
            rc = repair(w, i, &v);
    } else if (rc == LR_OK && fixed > 0) {
        snprintf(d, sizeof(d), "rings tidied; area %.1f m2", fabs(lr_geom_area(w->g, p->geom)));
        rc = issue(w, i, LR_IS_REPAIRED, p->shape.xy[0], p->shape.xy[1], d);
    }
    p->area_dm2 = lr_money_area_from_double(fabs(lr_geom_area(w->g, p->geom)));
    if (!lr_geom_interior_point(w->g, p->geom, &p->ix, &p->iy)) {
        p->ix = p->shape.npts ? p->shape.xy[0] : 0;
        p->iy = p->shape.npts ? p->shape.xy[1] : 0;
    }
    return rc;
}

/* Thinness 4*pi*A/P^2 below the configured threshold is a sliver. */
static enum lr_rc
check_sliver(struct lr_vworker *w, size_t i)
{
    const struct lr_config *cfg = w->job->ctx->cfg;
    struct lr_parcel *p = &w->job->sh->parcels[i];
    double a = fabs(lr_geom_area(w->g, p->geom)), l = lr_geom_length(w->g, p->geom);
    double thin = l > 0 ? 4 * M_PI * a / (l * l) : 0;
    char d[128];

    if (thin >= cfg->sliver_thinness)
        return LR_OK;
    snprintf(d, sizeof(d), "thinness %.4f below %.4f (area %.1f m2, perimeter %.1f m)", thin,
             cfg->sliver_thinness, a, l);
    return issue(w, i, LR_IS_SLIVER, p->ix, p->iy, d);
}

/* The boundary holding the interior point (lowest code when several); -1 none. */
static int64_t
boundary_of_point(struct lr_vworker *w, const struct lr_parcel *p, size_t **hits, size_t *nh)
{
    const struct lr_shard *sh = w->job->sh;
    int64_t best = -1;

    *nh = 0;
    if (lr_geom_tree_query_xy(w->btree, p->ix, p->iy, hits, nh) != LR_OK)
        return -1;
    for (size_t k = 0; k < *nh; k++) {
        size_t b = (*hits)[k];
        if (lr_geom_prepared_contains_xy(w->g, w->bprep[b], p->ix, p->iy) == 1 &&
            (best < 0 || sh->boundaries[b].new_code < sh->boundaries[best].new_code))
            best = (int64_t)b;
    }
    return best;
}

/* Largest share of the parcel's area inside one boundary, and that boundary's code: the
 * parcel's overlays with the boundary pieces near it, summed per boundary. */
static double
largest_share(struct lr_vworker *w, const struct lr_parcel *p, size_t **hits, size_t *nh,
              int32_t *code)
{
    const struct lr_shard *sh = w->job->sh;
    double area = fabs(lr_geom_area(w->g, p->geom)), best = 0, sum[8];
    size_t bs[8], nb = 0;

    *nh = 0;
    *code = -1;
    if (area <= 0 || lr_geom_tree_query_geom(w->ptree, p->geom, hits, nh) != LR_OK)
        return 0;
    for (size_t k = 0; k < *nh; k++) {
        const struct lr_vpiece *pc = &w->pieces[(*hits)[k]];
        void *x = lr_geom_intersection(w->g, p->geom, pc->geom);
        double a = x ? lr_geom_area(w->g, x) : 0;
        size_t m = 0;
        lr_geom_free(x);
        while (m < nb && bs[m] != pc->b)
            m++;
        if (m == nb && nb == LR_ARRAY_LEN(bs))
            continue; /* touching more than 8 communes: the rest do not count */
        if (m == nb) {
            bs[nb] = pc->b;
            sum[nb++] = 0;
        }
        sum[m] += a;
    }
    for (size_t m = 0; m < nb; m++) {
        double share = sum[m] / area;
        int32_t c = sh->boundaries[bs[m]].new_code;
        if (share > best || (share == best && share > 0 && c < *code)) {
            best = share;
            *code = c;
        }
    }
    return best;
}

/* Does the outline of boundary b pass through the interior of parcel p? */
static bool
outline_enters(struct lr_vworker *w, size_t b, const struct lr_parcel *p)
{
    struct lr_ringset set;
    size_t nr = 0;

    lr_rings_reset(&w->scratch);
    if (lr_geom_rings(w->g, p->geom, &w->scratch, &nr) != LR_OK || nr == 0)
        return true; /* cannot tell: measure it */
    lr_ringset_make(&set, &w->scratch, 0, nr);
    return lr_seggrid_enters(&w->bgrid[b], &set);
}

/* Place parcel i in the new commune boundaries (geo_commune) and flag it outside_boundary when
 * no commune holds more than half of its area. */
static enum lr_rc
locate(struct lr_vworker *w, size_t i, size_t **hits, size_t *nh)
{
    struct lr_parcel *p = &w->job->sh->parcels[i];
    int64_t b = boundary_of_point(w, p, hits, nh);
    int32_t code;
    double share;
    char d[160];

    p->geo_commune = b >= 0 ? w->job->sh->boundaries[b].new_code : -1;
    /* the interior point inside and the outline nowhere through the parcel: wholly inside (a
     * prepared covers() would fall back to a full relate for every parcel touching the outline) */
    if (b >= 0 && !outline_enters(w, (size_t)b, p))
        return LR_OK;
    if (w->unrepairable) { /* an invalid geometry cannot be measured against the boundaries */
        w->job->spill[i] = 1;
        return b >= 0 ? LR_OK
                      : issue(w, i, LR_IS_OUTSIDE_BOUNDARY, p->ix, p->iy,
                              "the parcel's inner point lies outside every new commune boundary "
                              "(its geometry is invalid: the share outside is not measured)");
    }
    share = largest_share(w, p, hits, nh, &code);
    w->job->spill[i] = share < 1 - 1e-9; /* some of it lies outside its commune */
    if (share >= MOSTLY_OUTSIDE) {
        p->geo_commune = code;
        return LR_OK;
    }
    if (code < 0)
        snprintf(d, sizeof(d), "the parcel lies outside every new commune boundary");
    else
        snprintf(d, sizeof(d), "%.1f %% of the parcel's area lies outside new commune %05d",
                 100 * (1 - share), (int)code);
    return issue(w, i, LR_IS_OUTSIDE_BOUNDARY, p->ix, p->iy, d);
}

enum lr_rc
lr_validate_parcel(struct lr_vworker *w, size_t i, size_t **hits, size_t *nh)
{
    struct lr_parcel *p = &w->job->sh->parcels[i];
    enum lr_rc rc;

    if (p->status == LR_ST_REJECTED)
        return LR_OK;
    w->in++;
    w->unrepairable = false;
    rc = validate_one(w, i);
    if (rc != LR_OK || p->status == LR_ST_REJECTED) {
        w->rejected += p->status == LR_ST_REJECTED;
        return rc;
    }
    w->out++;
    if (!w->unrepairable) /* thinness means nothing for an invalid geometry */
        rc = check_sliver(w, i);
    if (rc == LR_OK && w->btree)
        rc = locate(w, i, hits, nh);
    return rc;
}

/* ---- each thread's boundaries ---- */

/* Cut geom (taken over), lying in the rectangle given, into pieces of boundary b. */
static enum lr_rc
add_pieces(struct lr_vworker *w, size_t b, void *geom, double x0, double y0, double x1, double y1,
           int depth)
{
    double mx = 0.5 * (x0 + x1), my = 0.5 * (y0 + y1);
    const double q[4][4] = {
        { x0, y0, mx, my }, { mx, y0, x1, my }, { x0, my, mx, y1 }, { mx, my, x1, y1 }
    };
    enum lr_rc rc = LR_OK;

    if (lr_geom_is_empty(w->g, geom)) {
        lr_geom_free(geom);
        return LR_OK;
    }
    if (depth >= PIECE_DEPTH || lr_geom_num_points(w->g, geom) <= PIECE_POINTS) {
        if (w->npieces == w->cap_pieces) {
            size_t ncap = w->cap_pieces ? 2 * w->cap_pieces : 64;
            struct lr_vpiece *v = realloc(w->pieces, ncap * sizeof(*v));
            if (!v) {
                lr_geom_free(geom);
                return LR_ERR_NOMEM;
            }
            w->pieces = v;
            w->cap_pieces = ncap;
        }
        w->pieces[w->npieces++] = (struct lr_vpiece){ geom, b };
        return LR_OK;
    }
    for (int k = 0; rc == LR_OK && k < 4; k++) {
        void *part = lr_geom_clip_rect(w->g, geom, q[k][0], q[k][1], q[k][2], q[k][3]);
        rc = part ? add_pieces(w, b, part, q[k][0], q[k][1], q[k][2], q[k][3], depth + 1)
                  : LR_ERR_NOMEM;
    }
    lr_geom_free(geom);
    return rc;
}

/* This thread's boundary pieces and their index. */
static enum lr_rc
make_pieces(struct lr_vworker *w)
{
    double x0, y0, x1, y1;
    enum lr_rc rc = LR_OK;

    for (size_t b = 0; rc == LR_OK && b < w->job->sh->n_boundaries; b++) {
        void *copy = w->bgeom[b] ? lr_geom_clone(w->g, w->bgeom[b]) : NULL;
        if (copy && lr_geom_bounds(w->g, copy, &x0, &y0, &x1, &y1))
            rc = add_pieces(w, b, copy, x0, y0, x1, y1, 0);
        else
            lr_geom_free(copy);
    }
    w->ptree = rc == LR_OK ? lr_geom_tree_new(w->g) : NULL;
    if (!w->ptree)
        return LR_ERR_NOMEM;
    for (size_t k = 0; k < w->npieces; k++)
        lr_geom_tree_insert(w->ptree, w->pieces[k].geom, k);
    return LR_OK;
}

void
lr_validate_worker_release(struct lr_vworker *w, size_t nb)
{
    lr_geom_tree_free(w->ptree);
    for (size_t k = 0; k < w->npieces; k++)
        lr_geom_free(w->pieces[k].geom);
    free(w->pieces);
    lr_geom_tree_free(w->btree);
    for (size_t b = 0; w->bgeom && b < nb; b++) {
        lr_geom_prepared_free(w->bprep[b]);
        lr_geom_free(w->bgeom[b]);
        if (w->bgrid)
            lr_seggrid_release(&w->bgrid[b]);
        if (w->brings)
            lr_rings_release(&w->brings[b]);
    }
    free(w->bgeom);
    free(w->bprep);
    free(w->bgrid);
    free(w->brings);
    lr_rings_release(&w->scratch);
    lr_qa_issues_release(&w->issues);
    lr_qa_gaps_release(&w->gaps);
    lr_geom_ctx_free(w->g);
}

/* A worker with its own GEOS context and its own copies of the boundaries. */
enum lr_rc
lr_validate_worker_init(struct lr_vworker *w, struct lr_vjob *j)
{
    const struct lr_shard *sh = j->sh;
    size_t nr;

    memset(w, 0, sizeof(*w));
    w->job = j;
    lr_qa_issues_init(&w->issues);
    lr_qa_gaps_init(&w->gaps);
    w->g = lr_geom_ctx_new();
    if (!w->g)
        return LR_ERR_NOMEM;
    if (sh->n_boundaries == 0)
        return LR_OK;
    w->bgeom = calloc(sh->n_boundaries, sizeof(void *));
    w->bprep = calloc(sh->n_boundaries, sizeof(void *));
    w->brings = calloc(sh->n_boundaries, sizeof(*w->brings));
    w->bgrid = calloc(sh->n_boundaries, sizeof(*w->bgrid));
    w->btree = lr_geom_tree_new(w->g);
    if (!w->bgeom || !w->bprep || !w->brings || !w->bgrid || !w->btree)
        return LR_ERR_NOMEM;
    for (size_t b = 0; b < sh->n_boundaries; b++) {
        if (!sh->boundaries[b].geom)
            continue;
        w->bgeom[b] = lr_geom_clone(w->g, sh->boundaries[b].geom);
        w->bprep[b] = w->bgeom[b] ? lr_geom_prepare(w->g, w->bgeom[b]) : NULL;
        if (!w->bprep[b] || lr_geom_rings(w->g, w->bgeom[b], &w->brings[b], &nr) != LR_OK ||
            lr_seggrid_build(&w->bgrid[b], &w->brings[b]) != LR_OK)
            return LR_ERR_NOMEM;
        lr_geom_tree_insert(w->btree, w->bgeom[b], b);
    }
    return make_pieces(w);
}
