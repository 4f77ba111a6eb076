/* stage_validate.c - geometry QA of every map parcel, in three phases on ctx->jobs threads:
 *
 * 1. per parcel (chunks of the parcel table): build the geometry in the target CRS, flag
 *    duplicate vertices and spikes, check validity with GEOS (reason and place), repair invalid
 *    parcels honestly (area before/after and the type change recorded; too much loss or still
 *    invalid is unrepairable and the map geometry is kept), flag slivers, and place the parcel
 *    in the new commune boundaries (the commune holding most of its area; outside_boundary when
 *    none holds more than half);
 * 2. overlaps, per map (old commune): geom_qa.c;
 * 3. gaps, per new commune: geom_qa.c, then, on one thread, the parts of other communes'
 *    parcels reaching into a gap are taken away.
 *
 * Thread rules: every thread has its own GEOS context and its own copies of the boundaries; in
 * each phase a parcel belongs to one task, so one thread at a time uses its geometry. Issues go
 * to per-thread lists, sorted and added to the shard after each phase: the output does not
 * depend on the number of threads. */
#include "geom.h"
#include "geom_qa.h"
#include "money.h"
#include "stage.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK          2048 /* parcels per phase-1 task */
#define MOSTLY_OUTSIDE 0.5  /* share of area outside its new commune that makes a parcel outside */

enum phase { PH_PARCELS = 0, PH_OVERLAPS, PH_GAPS };

/* Parcels idx[0..n) of one map (phase 2) or one new commune (phase 3). */
struct group {
    int32_t code;
    size_t *idx;
    size_t n;
    bool bounded; /* phase 3: gaps against the commune's boundary (else holes of the union) */
};

struct job {
    struct lr_ctx *ctx;
    struct lr_shard *sh;
    enum phase phase;
    size_t ntasks;
    struct group *groups; /* phase 2 and 3 tasks */
    atomic_size_t next;
    atomic_int failed;
    uint8_t *spill;    /* [n_parcels] not covered by its own commune's boundary */
    int32_t *group_of; /* [n_parcels] phase-3 group code, -1 none */
};

struct worker {
    struct job *job;
    struct lr_geom_ctx *g;
    void **bgeom, **bprep; /* this thread's copies of the boundaries, [n_boundaries] */
    struct lr_geom_tree *btree;
    struct lr_qa_issues issues;
    struct lr_qa_gaps gaps;
    int64_t repair_delta_dm2, in, out, rejected;
    bool unrepairable; /* the parcel being checked could not be repaired */
    enum lr_rc rc;
    struct lr_err err;
    pthread_t th;
};

static enum lr_rc
issue(struct worker *w, size_t i, enum lr_issue_class cls, double x, double y, const char *detail)
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
check_vertices(struct worker *w, size_t i, double spike_deg)
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
            } else if (!spike && spike_at(xy, n, k, spike_deg, &angle)) {
                spike = true;
                snprintf(d, sizeof(d), "spike: angle of %.3f degrees at this vertex", angle);
                rc = issue(w, i, LR_IS_SPIKE, xy[2 * k], xy[2 * k + 1], d);
            }
        }
    }
    return rc;
}

/* "MultiPolygon of 1 part -> MultiPolygon of 2 parts, 1 collapsed line dropped" into d. */
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
repair(struct worker *w, size_t i, const struct lr_validity *v)
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
tidy_shape(struct worker *w, size_t i, int *fixed)
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
validate_one(struct worker *w, size_t i)
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
check_sliver(struct worker *w, size_t i)
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
boundary_of_point(struct worker *w, const struct lr_parcel *p, size_t **hits, size_t *nh)
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

/* Largest share of the parcel's area inside one boundary, and that boundary's code. */
static double
largest_share(struct worker *w, const struct lr_parcel *p, size_t **hits, size_t *nh, int32_t *code)
{
    const struct lr_shard *sh = w->job->sh;
    double area = fabs(lr_geom_area(w->g, p->geom)), best = 0;

    *nh = 0;
    *code = -1;
    if (area <= 0 || lr_geom_tree_query_geom(w->btree, p->geom, hits, nh) != LR_OK)
        return 0;
    for (size_t k = 0; k < *nh; k++) {
        size_t b = (*hits)[k];
        void *x = lr_geom_intersection(w->g, p->geom, w->bgeom[b]);
        double share = x ? lr_geom_area(w->g, x) / area : 0;
        lr_geom_free(x);
        if (share > best || (share == best && share > 0 && sh->boundaries[b].new_code < *code)) {
            best = share;
            *code = sh->boundaries[b].new_code;
        }
    }
    return best;
}

/* Place parcel i in the new commune boundaries (geo_commune) and flag it outside_boundary when
 * no commune holds more than half of its area. */
static enum lr_rc
locate(struct worker *w, size_t i, size_t **hits, size_t *nh)
{
    struct lr_parcel *p = &w->job->sh->parcels[i];
    int64_t b = boundary_of_point(w, p, hits, nh);
    int32_t code;
    double share;
    char d[160];

    p->geo_commune = b >= 0 ? w->job->sh->boundaries[b].new_code : -1;
    if (b >= 0 && lr_geom_prepared_covers(w->g, w->bprep[b], p->geom) == 1)
        return LR_OK;
    w->job->spill[i] = 1;
    if (w->unrepairable)
        return LR_OK; /* an invalid geometry cannot be measured against the boundaries */
    share = largest_share(w, p, hits, nh, &code);
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

static enum lr_rc
check_parcel(struct worker *w, size_t i, size_t **hits, size_t *nh)
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

/* ---- tasks and threads ---- */

/* The areas of new commune code in this thread's copies. */
static size_t
areas_of(struct worker *w, int32_t code, const void **areas, const void **preps, size_t max)
{
    const struct lr_shard *sh = w->job->sh;
    size_t n = 0;

    for (size_t b = 0; b < sh->n_boundaries && n < max; b++)
        if (sh->boundaries[b].new_code == code && w->bgeom[b]) {
            areas[n] = w->bgeom[b];
            preps[n++] = w->bprep[b];
        }
    return n;
}

static enum lr_rc
run_task(struct worker *w, size_t t)
{
    struct job *j = w->job;
    const struct lr_config *cfg = j->ctx->cfg;
    const struct group *gr = &j->groups[t];
    const void *areas[16], *preps[16];
    size_t *hits = NULL, nh = 0, na;
    enum lr_rc rc = LR_OK;

    switch (j->phase) {
    case PH_PARCELS:
        for (size_t i = t * CHUNK; rc == LR_OK && i < j->sh->n_parcels && i < (t + 1) * CHUNK; i++)
            rc = check_parcel(w, i, &hits, &nh);
        free(hits);
        return rc;
    case PH_OVERLAPS:
        return lr_qa_overlaps(w->g, j->sh, gr->idx, gr->n, cfg->min_overlap_m2, &w->issues,
                              &w->err);
    case PH_GAPS:
        na = gr->bounded ? areas_of(w, gr->code, areas, preps, LR_ARRAY_LEN(areas)) : 0;
        return lr_qa_gaps_find(w->g, j->sh, gr->idx, gr->n, gr->code, areas, preps, na,
                               cfg->min_gap_m2, &w->gaps, &w->err);
    }
    return LR_OK;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct job *j = w->job;
    size_t t;

    while (w->rc == LR_OK && !atomic_load(&j->failed) &&
           (t = atomic_fetch_add(&j->next, 1)) < j->ntasks) {
        w->rc = run_task(w, t);
        if (w->rc != LR_OK)
            atomic_store(&j->failed, 1);
    }
    return NULL;
}

/* Run the job's current phase on nw workers: workers 1.. on new threads, worker 0 here. */
static enum lr_rc
run_phase(struct job *j, struct worker *ws, int nw, struct lr_err *err)
{
    int started = 1;

    atomic_store(&j->next, 0);
    for (int k = 1; k < nw; k++, started++)
        if (pthread_create(&ws[k].th, NULL, worker_main, &ws[k]) != 0)
            break;
    worker_main(&ws[0]);
    for (int k = 1; k < started; k++)
        pthread_join(ws[k].th, NULL);
    for (int k = 0; k < nw; k++)
        if (ws[k].rc != LR_OK)
            return lr_err_set(err, ws[k].rc, "%s", ws[k].err.msg);
    return LR_OK;
}

static void
worker_release(struct worker *w, size_t nb)
{
    lr_geom_tree_free(w->btree);
    for (size_t b = 0; w->bgeom && b < nb; b++) {
        lr_geom_prepared_free(w->bprep[b]);
        lr_geom_free(w->bgeom[b]);
    }
    free(w->bgeom);
    free(w->bprep);
    lr_qa_issues_release(&w->issues);
    lr_qa_gaps_release(&w->gaps);
    lr_geom_ctx_free(w->g);
}

/* A worker with its own GEOS context and its own copies of the boundaries. */
static enum lr_rc
worker_init(struct worker *w, struct job *j)
{
    const struct lr_shard *sh = j->sh;

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
    w->btree = lr_geom_tree_new(w->g);
    if (!w->bgeom || !w->bprep || !w->btree)
        return LR_ERR_NOMEM;
    for (size_t b = 0; b < sh->n_boundaries; b++) {
        if (!sh->boundaries[b].geom)
            continue;
        w->bgeom[b] = lr_geom_clone(w->g, sh->boundaries[b].geom);
        w->bprep[b] = w->bgeom[b] ? lr_geom_prepare(w->g, w->bgeom[b]) : NULL;
        if (!w->bprep[b])
            return LR_ERR_NOMEM;
        lr_geom_tree_insert(w->btree, w->bgeom[b], b);
    }
    return LR_OK;
}

/* ---- groups ---- */

struct keyed {
    int32_t code;
    size_t i;
};

static int
cmp_keyed(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;

    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Largest groups first, so that the threads finish together. */
static int
cmp_group_size(const void *pa, const void *pb)
{
    const struct group *a = pa, *b = pb;

    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return a->code < b->code ? -1 : a->code > b->code;
}

/* Group the parcels with code[i] >= 0 by code; every group's idx points into *all. */
static enum lr_rc
make_groups(const int32_t *code, size_t n, struct group **out, size_t *ngroups, size_t **all)
{
    struct keyed *kv = NULL;
    size_t m = 0, ng = 0;

    *out = NULL;
    *ngroups = 0;
    *all = malloc((n ? n : 1) * sizeof(size_t));
    kv = malloc((n ? n : 1) * sizeof(*kv));
    if (!*all || !kv)
        goto oom;
    for (size_t i = 0; i < n; i++)
        if (code[i] >= 0)
            kv[m++] = (struct keyed){ code[i], i };
    qsort(kv, m, sizeof(*kv), cmp_keyed);
    for (size_t k = 0; k < m; k++)
        ng += k == 0 || kv[k].code != kv[k - 1].code;
    *out = calloc(ng ? ng : 1, sizeof(**out));
    if (!*out)
        goto oom;
    for (size_t k = 0, g = 0; k < m; k++) {
        if (k > 0 && kv[k].code != kv[k - 1].code)
            g++;
        if ((*out)[g].n == 0) {
            (*out)[g].code = kv[k].code;
            (*out)[g].idx = *all + k;
        }
        (*all)[k] = kv[k].i;
        (*out)[g].n++;
    }
    qsort(*out, ng, sizeof(**out), cmp_group_size);
    *ngroups = ng;
    free(kv);
    return LR_OK;
oom:
    free(kv);
    free(*all);
    *all = NULL;
    return LR_ERR_NOMEM;
}

static bool
usable(const struct lr_parcel *p)
{
    return p->geom && p->status != LR_ST_REJECTED && !(p->issues & (1u << LR_IS_UNREPAIRABLE));
}

/* Phase-2 groups: the usable parcels of each map (old commune). */
static enum lr_rc
overlap_groups(struct job *j, struct group **out, size_t *n, size_t **all)
{
    for (size_t i = 0; i < j->sh->n_parcels; i++)
        j->group_of[i] = usable(&j->sh->parcels[i]) ? j->sh->parcels[i].key.commune : -1;
    return make_groups(j->group_of, j->sh->n_parcels, out, n, all);
}

static int
cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return (x > y) - (x < y);
}

/* Gaps are looked for against new commune code's boundary only when the run holds a map of
 * every old commune the crosswalk puts in it (present: the old codes on the maps, sorted);
 * else within the parcels' union. */
static bool
bounded(const struct lr_shard *sh, int32_t code, const int32_t *present, size_t np)
{
    for (size_t c = 0; c < sh->n_communes; c++) {
        if (sh->communes[c].new_code != code ||
            bsearch(&sh->communes[c].old_code, present, np, sizeof(int32_t), cmp_i32))
            continue;
        lr_log(LR_LOG_WARN, "validate", NULL,
               "new commune %05d: no map of old commune %05d in this run; gaps are looked for "
               "inside the parcels' union only",
               (int)code, (int)sh->communes[c].old_code);
        return false;
    }
    return true;
}

/* The old commune codes on the maps, sorted and unique (caller frees). */
static int32_t *
present_communes(const struct lr_shard *sh, size_t *np)
{
    int32_t *v = malloc((sh->n_parcels ? sh->n_parcels : 1) * sizeof(*v));
    size_t n = 0;

    *np = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < sh->n_parcels; i++)
        if (n == 0 || v[n - 1] != sh->parcels[i].key.commune)
            v[n++] = sh->parcels[i].key.commune;
    qsort(v, n, sizeof(*v), cmp_i32);
    for (size_t i = 0; i < n; i++)
        if (*np == 0 || v[*np - 1] != v[i])
            v[(*np)++] = v[i];
    return v;
}

/* Phase-3 groups: parcels by new commune (boundaries) or by the crosswalk's new commune. */
static enum lr_rc
gap_groups(struct job *j, struct group **out, size_t *n, size_t **all)
{
    const struct lr_shard *sh = j->sh;
    int32_t *present;
    size_t np;
    enum lr_rc rc;

    for (size_t i = 0; i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];
        const struct lr_commune *c = lr_shard_commune(sh, p->key.commune);
        j->group_of[i] = !p->geom || p->status == LR_ST_REJECTED ? -1
                         : sh->n_boundaries                      ? p->geo_commune
                         : c                                     ? c->new_code
                                                                 : p->key.commune;
    }
    rc = make_groups(j->group_of, sh->n_parcels, out, n, all);
    if (rc != LR_OK || sh->n_boundaries == 0)
        return rc;
    present = present_communes(sh, &np);
    if (!present)
        return LR_ERR_NOMEM;
    for (size_t g = 0; g < *n; g++)
        (*out)[g].bounded = bounded(sh, (*out)[g].code, present, np);
    free(present);
    return LR_OK;
}

/* ---- the stage ---- */

/* Sort every worker's issues together and add them to the shard. */
static enum lr_rc
flush_issues(struct worker *ws, int nw, struct lr_qa_issues *extra, struct lr_shard *sh,
             struct lr_err *err)
{
    struct lr_qa_issues all;
    enum lr_rc rc = LR_OK;

    lr_qa_issues_init(&all);
    for (int k = 0; rc == LR_OK && k < nw; k++)
        rc = lr_qa_issues_take(&all, &ws[k].issues);
    if (rc == LR_OK && extra)
        rc = lr_qa_issues_take(&all, extra);
    if (rc != LR_OK)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    lr_qa_issues_sort(&all);
    if (rc == LR_OK)
        rc = lr_qa_issues_flush(&all, sh, err);
    lr_qa_issues_release(&all);
    return rc;
}

/* Phase 1 on every thread, then its issues into the shard and its counts into the stage. */
static enum lr_rc
phase_parcels(struct job *j, struct worker *ws, int nw, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(j->sh);
    enum lr_rc rc;

    j->phase = PH_PARCELS;
    j->ntasks = (j->sh->n_parcels + CHUNK - 1) / CHUNK;
    rc = run_phase(j, ws, nw, err);
    for (int k = 0; k < nw; k++) {
        j->sh->repair_area_delta_dm2 += ws[k].repair_delta_dm2;
        if (st) {
            st->in += ws[k].in;
            st->out += ws[k].out;
            st->rejected += ws[k].rejected;
        }
    }
    return rc == LR_OK ? flush_issues(ws, nw, NULL, j->sh, err) : rc;
}

/* Phase 2 or 3 over the groups that make_fn builds. */
static enum lr_rc
phase_groups(struct job *j, struct worker *ws, int nw, enum phase ph,
             enum lr_rc (*make_fn)(struct job *, struct group **, size_t *, size_t **),
             size_t *ngroups, struct lr_err *err)
{
    struct group *groups = NULL;
    size_t *all = NULL;
    enum lr_rc rc = make_fn(j, &groups, ngroups, &all);

    if (rc != LR_OK)
        return lr_err_set(err, rc, "out of memory grouping parcels");
    j->phase = ph;
    j->groups = groups;
    j->ntasks = *ngroups;
    rc = run_phase(j, ws, nw, err);
    j->groups = NULL;
    free(groups);
    free(all);
    return rc;
}

/* Gaps of every thread, less the other communes' parcels, as issues; then every issue of
 * phases 2 and 3 into the shard. Runs on this thread with worker 0's context. */
static enum lr_rc
finish_gaps(struct job *j, struct worker *ws, int nw, struct lr_err *err)
{
    const struct lr_config *cfg = j->ctx->cfg;
    struct lr_qa_gaps gaps;
    struct lr_qa_issues out;
    bool bnd = j->sh->n_boundaries > 0;
    enum lr_rc rc = LR_OK;

    lr_qa_gaps_init(&gaps);
    lr_qa_issues_init(&out);
    for (int k = 0; rc == LR_OK && k < nw; k++)
        rc = lr_qa_gaps_take(&gaps, &ws[k].gaps);
    if (rc != LR_OK)
        rc = lr_err_set(err, rc, "out of memory");
    if (rc == LR_OK)
        rc = lr_qa_gaps_finish(ws[0].g, j->sh, &gaps, bnd ? j->spill : NULL, j->group_of, bnd,
                               cfg->min_gap_m2, &out, err);
    if (rc == LR_OK)
        rc = flush_issues(ws, nw, &out, j->sh, err);
    lr_qa_gaps_release(&gaps);
    lr_qa_issues_release(&out);
    return rc;
}

static int
thread_count(const struct lr_ctx *ctx)
{
    int n = ctx->jobs > 0 ? ctx->jobs : 1;

    return n > 64 ? 64 : n;
}

static enum lr_rc
run_all(struct job *j, struct worker *ws, int nw, struct lr_err *err)
{
    double t0 = lr_now(), t1, t2;
    size_t nmaps = 0, ncommunes = 0;
    enum lr_rc rc = phase_parcels(j, ws, nw, err);

    t1 = lr_now();
    if (rc == LR_OK)
        rc = phase_groups(j, ws, nw, PH_OVERLAPS, overlap_groups, &nmaps, err);
    t2 = lr_now();
    if (rc == LR_OK)
        rc = phase_groups(j, ws, nw, PH_GAPS, gap_groups, &ncommunes, err);
    if (rc == LR_OK)
        rc = finish_gaps(j, ws, nw, err);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "validate", NULL,
               "%zu parcels on %d threads: checks %.3f s, overlaps %.3f s (%zu maps), gaps "
               "%.3f s (%zu communes)",
               j->sh->n_parcels, nw, t1 - t0, t2 - t1, nmaps, lr_now() - t2, ncommunes);
    return rc;
}

enum lr_rc
lr_stage_validate(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct job j;
    struct worker *ws = NULL;
    int nw = thread_count(ctx), ready = 0;
    enum lr_rc rc = LR_OK;

    memset(&j, 0, sizeof(j));
    j.ctx = ctx;
    j.sh = sh;
    j.spill = calloc(sh->n_parcels ? sh->n_parcels : 1, 1);
    j.group_of = calloc(sh->n_parcels ? sh->n_parcels : 1, sizeof(int32_t));
    ws = calloc((size_t)nw, sizeof(*ws));
    if (!j.spill || !j.group_of || !ws) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (; ready < nw; ready++)
        if (worker_init(&ws[ready], &j) != LR_OK) {
            rc = lr_err_set(err, LR_ERR_NOMEM, "cannot set up validation thread %d", ready);
            ready++;
            goto out;
        }
    rc = run_all(&j, ws, nw, err);
out:
    for (int k = 0; k < ready; k++)
        worker_release(&ws[k], sh->n_boundaries);
    free(ws);
    free(j.spill);
    free(j.group_of);
    return rc;
}
