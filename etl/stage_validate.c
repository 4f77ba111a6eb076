/* stage_validate.c - build each parcel's geometry in the target CRS, check validity with GEOS
 * (reason and location), detect duplicate vertices and spikes, repair invalid parcels honestly
 * (area before/after recorded; too much loss is unrepairable), flag slivers, and find the new
 * commune holding each parcel (outside_boundary when none). */
#include "geom.h"
#include "money.h"
#include "stage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum lr_rc
issue(struct lr_shard *sh, size_t i, enum lr_issue_class cls, double x, double y,
      const char *detail, struct lr_err *err)
{
    if (lr_shard_add_issue(sh, (int64_t)i, -1, cls, x, y, detail) != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

/* Angle in degrees at b between segments b->a and b->c. */
static double
vertex_angle(const double *a, const double *b, const double *c)
{
    double ux = a[0] - b[0], uy = a[1] - b[1], vx = c[0] - b[0], vy = c[1] - b[1];
    double d = sqrt((ux * ux + uy * uy) * (vx * vx + vy * vy));

    if (d == 0)
        return 180;
    double cosv = (ux * vx + uy * vy) / d;
    if (cosv > 1)
        cosv = 1;
    if (cosv < -1)
        cosv = -1;
    return acos(cosv) * 180.0 / M_PI;
}

/* Duplicate consecutive vertices and spikes of every ring: one issue per ring and kind. */
static enum lr_rc
check_vertices(struct lr_shard *sh, size_t i, double spike_deg, struct lr_err *err)
{
    const struct lr_shape *s = &sh->parcels[i].shape;
    uint32_t pt = 0;
    enum lr_rc rc = LR_OK;
    char d[96];

    for (uint32_t r = 0; r < s->nrings && rc == LR_OK; r++) {
        const double *xy = s->xy + 2 * (size_t)pt;
        uint32_t n = s->ring_pts[r];
        bool dup = false, spike = false;
        for (uint32_t k = 0; k + 1 < n && rc == LR_OK; k++) {
            const double *b = xy + 2 * k, *c = xy + 2 * (k + 1);
            const double *a = xy + 2 * (k == 0 ? n - 2 : k - 1);
            if (!dup && b[0] == c[0] && b[1] == c[1]) {
                dup = true;
                rc = issue(sh, i, LR_IS_DUPLICATE_VERTEX, b[0], b[1],
                           "vertex repeated consecutively", err);
            } else if (!spike && n > 4 && !(b[0] == c[0] && b[1] == c[1]) &&
                       !(a[0] == b[0] && a[1] == b[1]) && vertex_angle(a, b, c) < spike_deg) {
                spike = true;
                snprintf(d, sizeof(d), "spike: angle %.3f degrees at this vertex",
                         vertex_angle(a, b, c));
                rc = issue(sh, i, LR_IS_SPIKE, b[0], b[1], d, err);
            }
        }
        pt += n;
    }
    return rc;
}

/* Repair an invalid geometry; decides repaired vs unrepairable and replaces p->geom. */
static enum lr_rc
repair(struct lr_ctx *ctx, struct lr_shard *sh, size_t i, const struct lr_validity *v,
       struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[i];
    double before = fabs(lr_geom_area(ctx->geom, p->geom));
    void *fixed = lr_geom_repair(ctx->geom, p->geom, ctx->cfg->repair == LR_REPAIR_LINEWORK);
    struct lr_validity v2 = { .valid = false };
    double after = fixed ? lr_geom_area(ctx->geom, fixed) : 0;
    char d[256];

    if (fixed)
        lr_geom_validate(ctx->geom, fixed, &v2);
    if (!fixed || !v2.valid ||
        (before > 0 && (before - after) / before > ctx->cfg->max_repair_loss)) {
        snprintf(d, sizeof(d), "%s; repair %s (area %.1f m2 before, %.1f after)", v->reason,
                 !fixed      ? "produced no polygon"
                 : !v2.valid ? "stays invalid"
                             : "loses too much",
                 before, after);
        lr_geom_free(fixed);
        return issue(sh, i, LR_IS_UNREPAIRABLE, v->x, v->y, d, err);
    }
    snprintf(d, sizeof(d), "%s; repaired (%s), area %.1f m2 before, %.1f after", v->reason,
             ctx->cfg->repair == LR_REPAIR_LINEWORK ? "linework" : "structure", before, after);
    lr_geom_free(p->geom);
    p->geom = fixed;
    return issue(sh, i, LR_IS_REPAIRED, v->x, v->y, d, err);
}

/* Build, check and repair parcel i. */
static enum lr_rc
validate_one(struct lr_ctx *ctx, struct lr_shard *sh, size_t i, struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[i];
    enum lr_issue_class why = LR_IS_TOO_FEW_POINTS;
    struct lr_validity v;
    enum lr_rc rc;
    double area_raw;

    p->geom = lr_geom_from_shape(ctx->geom, &p->shape, &why);
    if (!p->geom) {
        p->status = LR_ST_REJECTED;
        p->reject = why;
        return issue(sh, i, why, p->shape.npts ? p->shape.xy[0] : 0,
                     p->shape.npts ? p->shape.xy[1] : 0, "a ring has fewer than 4 points", err);
    }
    rc = check_vertices(sh, i, ctx->cfg->spike_angle_deg, err);
    lr_geom_validate(ctx->geom, p->geom, &v);
    if (rc == LR_OK && !v.valid) {
        area_raw = lr_geom_area(ctx->geom, p->geom);
        rc = issue(sh, i, v.cls, v.x, v.y, v.reason, err);
        if (rc == LR_OK)
            rc = repair(ctx, sh, i, &v, err);
        if (rc == LR_OK)
            sh->repair_area_delta_dm2 +=
                lr_money_area_from_double(fabs(lr_geom_area(ctx->geom, p->geom))) -
                lr_money_area_from_double(fabs(area_raw));
    }
    p->area_dm2 = lr_money_area_from_double(fabs(lr_geom_area(ctx->geom, p->geom)));
    if (!lr_geom_interior_point(ctx->geom, p->geom, &p->ix, &p->iy)) {
        p->ix = p->shape.xy[0];
        p->iy = p->shape.xy[1];
    }
    return rc;
}

/* Thinness 4*pi*A/P^2 below the configured threshold is a sliver. */
static enum lr_rc
check_sliver(struct lr_ctx *ctx, struct lr_shard *sh, size_t i, struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[i];
    double a = lr_geom_area(ctx->geom, p->geom), l = lr_geom_length(ctx->geom, p->geom);
    double thin = l > 0 ? 4 * M_PI * a / (l * l) : 0;
    char d[96];

    if (thin >= ctx->cfg->sliver_thinness)
        return LR_OK;
    snprintf(d, sizeof(d), "thinness %.4f below %.4f (area %.1f m2, perimeter %.1f m)", thin,
             ctx->cfg->sliver_thinness, a, l);
    return issue(sh, i, LR_IS_SLIVER, p->ix, p->iy, d, err);
}

/* New commune holding the parcel's interior point (boundaries given). */
static enum lr_rc
locate(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_geom_tree *tree, size_t i,
       struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[i];
    size_t *hits = NULL, n = 0;
    enum lr_rc rc = lr_geom_tree_query_xy(tree, p->ix, p->iy, &hits, &n);

    if (rc != LR_OK) {
        free(hits);
        return lr_err_set(err, rc, "out of memory");
    }
    for (size_t k = 0; k < n; k++) {
        const struct lr_boundary *b = &sh->boundaries[hits[k]];
        if (b->prep && lr_geom_prepared_contains_xy(ctx->geom, b->prep, p->ix, p->iy) == 1 &&
            (p->geo_commune < 0 || b->new_code < p->geo_commune))
            p->geo_commune = b->new_code;
    }
    free(hits);
    if (p->geo_commune < 0)
        return issue(sh, i, LR_IS_OUTSIDE_BOUNDARY, p->ix, p->iy,
                     "the parcel lies outside every new commune boundary", err);
    return LR_OK;
}

enum lr_rc
lr_stage_validate(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    struct lr_geom_tree *tree = lr_geom_tree_new(ctx->geom);
    enum lr_rc rc = LR_OK;

    if (!tree)
        return lr_err_set(err, LR_ERR_NOMEM, "cannot build the boundary index");
    for (size_t b = 0; b < sh->n_boundaries; b++)
        lr_geom_tree_insert(tree, sh->boundaries[b].geom, b);
    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++) {
        if (sh->parcels[i].status == LR_ST_REJECTED)
            continue;
        st->in++;
        rc = validate_one(ctx, sh, i, err);
        if (rc != LR_OK)
            break;
        if (sh->parcels[i].status == LR_ST_REJECTED) {
            st->rejected++;
            continue;
        }
        st->out++;
        rc = check_sliver(ctx, sh, i, err);
        if (rc == LR_OK && sh->n_boundaries)
            rc = locate(ctx, sh, tree, i, err);
    }
    lr_geom_tree_free(tree);
    return rc;
}
