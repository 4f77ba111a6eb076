/* stage_value.c - value every reconciled parcel from the price zones and compute its tax, in
 * integers (money.h).
 *
 * Zones: only zones of the parcel's land use (the register's when matched) count; an STRtree
 * over all zones finds the candidates. Priority among zones of one land use: lowest position,
 * then zone id, then input order.
 *   interior_point: the highest-priority zone holding the parcel's interior point.
 *   piecewise: the parcel is cut by its candidate zones in priority order (a zone takes what
 *     higher-priority zones left, so overlapping zones never count an area twice); the extract
 *     area is split into integer pieces proportional to the cut areas (largest remainder), each
 *     piece valued at its zone's price and the sum rounded once. The part of a parcel outside
 *     every zone is spread proportionally over the pieces. price_zone is "Z1+Z2" (zones by
 *     descending piece, ties by priority), position the largest piece's, unit_price_vnd the
 *     average round_half_up(sum(piece * price) / area). A parcel without geometry falls back to
 *     its interior point.
 * Either way, a parcel with two or more zones holding more than 0.5 % of its area each gets a
 * straddles_zones issue listing the shares and the value under both methods. No zone at all is
 * a no_price issue; the parcel stays in the extract with empty value columns. */
#include "geom.h"
#include "landuse.h"
#include "money.h"
#include "stage.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRADDLE_PERMILLE 5 /* share above which a zone counts as straddled: 0.5 % */
#define LR_VALUE_MAX_JOBS 64

/* An issue raised by a worker, added to the shard in parcel order once the workers are done. */
struct pending_issue {
    int64_t parcel;
    enum lr_issue_class cls;
    char *detail;
};

/* A worker's scratch, reused for every parcel of its range. Each worker has its own GEOS
 * context, zone index and prepared zones (GEOS builds a prepared geometry's indexes on first
 * use, and a context serves one thread). The pieces are one zone's cut of the parcel each, as
 * parallel arrays (the money functions take plain arrays). */
struct value_scratch {
    struct lr_geom_ctx *g;
    struct lr_geom_tree *tree;
    void **prep; /* [n_zones] prepared zone geometries */
    size_t from, to;
    struct pending_issue *issues;
    size_t n_issues, cap_issues;
    int64_t in, out;
    enum lr_rc rc;
    struct lr_err err;
    size_t *hits;
    size_t n_hits;
    size_t n_pieces, cap_pieces;
    size_t *zone;          /* [n_pieces] zone index */
    int64_t *weight;       /* area of the cut (GEOS, rounded once to tenths of m^2) */
    int64_t *area;         /* integer share of the extract area */
    int64_t *price;        /* the zone's unit price */
    int64_t geos_failures; /* parcels whose cut failed in GEOS (fell back to the interior point) */
    int64_t straddling, no_price;
};

static void
scratch_release(struct value_scratch *s)
{
    for (size_t i = 0; i < s->n_issues; i++)
        free(s->issues[i].detail);
    free(s->issues);
    free(s->hits);
    free(s->zone);
    free(s->weight);
    free(s->area);
    free(s->price);
}

/* Land use the parcel is valued for: the register's (the legal record), else the map's. */
static const char *
value_land_use(const struct lr_shard *sh, const struct lr_parcel *p)
{
    if (p->record >= 0 && sh->records[p->record].land_use)
        return sh->records[p->record].land_use;
    return p->land_use;
}

/* Zone priority: negative when zone a comes before zone b. */
static int
zone_cmp(const struct lr_shard *sh, size_t a, size_t b)
{
    const struct lr_zone *za = &sh->zones[a], *zb = &sh->zones[b];
    int c;

    if (za->position != zb->position)
        return za->position < zb->position ? -1 : 1;
    c = strcmp(za->zone, zb->zone);
    if (c)
        return c;
    return a < b ? -1 : a > b;
}

/* Keep the hits of land use lu (with a prepared geometry), in priority order. */
static void
filter_hits(const struct lr_shard *sh, const char *lu, struct value_scratch *s)
{
    size_t k = 0;

    for (size_t i = 0; i < s->n_hits; i++) {
        const struct lr_zone *z = &sh->zones[s->hits[i]];
        if (lu && s->prep[s->hits[i]] && strcmp(z->land_use, lu) == 0)
            s->hits[k++] = s->hits[i];
    }
    s->n_hits = k;
    for (size_t i = 1; i < k; i++) /* insertion sort: a handful of zones */
        for (size_t j = i; j > 0 && zone_cmp(sh, s->hits[j - 1], s->hits[j]) > 0; j--) {
            size_t t = s->hits[j];
            s->hits[j] = s->hits[j - 1];
            s->hits[j - 1] = t;
        }
}

/* Fill s->hits with the zones of land use lu whose envelope meets the parcel's geometry, in
 * priority order; *has_point tells whether they include every zone whose envelope holds the
 * interior point (true when the point is within the geometry's envelope). No geometry: none. */
static enum lr_rc
parcel_hits(const struct lr_shard *sh, const char *lu, const struct lr_parcel *p,
            struct value_scratch *s, bool *has_point, struct lr_err *err)
{
    double x0, y0, x1, y1;

    s->n_hits = 0;
    *has_point = false;
    if (!p->geom)
        return LR_OK;
    if (lr_geom_tree_query_geom(s->tree, p->geom, &s->hits, &s->n_hits) != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    filter_hits(sh, lu, s);
    *has_point = lr_geom_bounds(s->g, p->geom, &x0, &y0, &x1, &y1) && p->ix >= x0 && p->ix <= x1 &&
                 p->iy >= y0 && p->iy <= y1;
    return LR_OK;
}

/* The highest-priority zone of land use lu holding (x, y); -1 none, -2 out of memory. With
 * have_hits, s->hits already holds the candidates (parcel_hits); otherwise they are queried, and
 * s->hits is left holding the point's candidates. */
static int64_t
find_zone(const struct lr_shard *sh, const char *lu, const struct lr_parcel *p,
          struct value_scratch *s, bool have_hits, struct lr_err *err)
{
    if (!have_hits) {
        s->n_hits = 0;
        if (lr_geom_tree_query_xy(s->tree, p->ix, p->iy, &s->hits, &s->n_hits) != LR_OK) {
            lr_err_set(err, LR_ERR_NOMEM, "out of memory");
            return -2;
        }
        filter_hits(sh, lu, s);
    }
    for (size_t k = 0; k < s->n_hits; k++)
        if (lr_geom_prepared_contains_xy(s->g, s->prep[s->hits[k]], p->ix, p->iy) == 1)
            return (int64_t)s->hits[k];
    return -1;
}

static enum lr_rc
add_piece(struct value_scratch *s, size_t zone, int64_t weight, struct lr_err *err)
{
    if (s->n_pieces == s->cap_pieces) {
        size_t ncap = s->cap_pieces ? 2 * s->cap_pieces : 8;
        size_t *z = realloc(s->zone, ncap * sizeof(*z));
        int64_t *w = z ? realloc(s->weight, ncap * sizeof(*w)) : NULL;
        int64_t *a = w ? realloc(s->area, ncap * sizeof(*a)) : NULL;
        int64_t *pr = a ? realloc(s->price, ncap * sizeof(*pr)) : NULL;
        s->zone = z ? z : s->zone;
        s->weight = w ? w : s->weight;
        s->area = a ? a : s->area;
        s->price = pr ? pr : s->price;
        if (!pr)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        s->cap_pieces = ncap;
    }
    s->zone[s->n_pieces] = zone;
    s->weight[s->n_pieces] = weight;
    s->area[s->n_pieces] = 0;
    s->price[s->n_pieces] = 0;
    s->n_pieces++;
    return LR_OK;
}

/* Cut *rest by zone z: a piece for the part inside, *rest becomes the part outside (freed when
 * owned); for the last zone (last) the part outside is not computed, nothing reads it. Returns
 * 1 when nothing is left (or last), 0 to go on, -1 on a GEOS failure, -2 out of memory. */
static int
cut_zone(const struct lr_shard *sh, size_t z, bool last, void **rest, bool *owned,
         struct value_scratch *s, struct lr_err *err)
{
    const struct lr_zone *zone = &sh->zones[z];
    struct lr_geom_ctx *g = s->g;
    int hit = lr_geom_prepared_intersects(g, s->prep[z], *rest);
    void *in, *out;
    int64_t w;

    if (hit <= 0)
        return hit;
    if (lr_geom_prepared_covers(g, s->prep[z], *rest) == 1) {
        w = lr_money_area_from_double(lr_geom_area(g, *rest));
        return w < 0 ? -1 : add_piece(s, z, w, err) == LR_OK ? 1 : -2;
    }
    in = lr_geom_intersection(g, *rest, zone->geom);
    w = in ? lr_money_area_from_double(lr_geom_area(g, in)) : -1;
    lr_geom_free(in);
    if (last && w >= 0)
        return w > 0 && add_piece(s, z, w, err) != LR_OK ? -2 : 1;
    out = w >= 0 ? lr_geom_difference(g, *rest, zone->geom) : NULL;
    if (!out || w < 0) {
        lr_geom_free(out);
        return -1;
    }
    if (*owned)
        lr_geom_free(*rest);
    *rest = out;
    *owned = true;
    if (w > 0 && add_piece(s, z, w, err) != LR_OK)
        return -2;
    return 0;
}

/* Cut the parcel's geometry by every candidate zone of land use lu, in priority order, into
 * s->pieces (weights only). With have_hits, s->hits holds the candidates (parcel_hits). With
 * two_or_none (interior_point valuation: the pieces only tell whether the parcel straddles two
 * zones), a last zone that could only make a single piece is not cut. Returns LR_OK with
 * s->n_pieces == 0 when no zone touches it or GEOS failed (counted in s->geos_failures). */
static enum lr_rc
cut_parcel(const struct lr_shard *sh, const char *lu, const struct lr_parcel *p,
           struct value_scratch *s, bool have_hits, bool two_or_none, struct lr_err *err)
{
    void *rest = p->geom;
    bool owned = false, unused;
    int r = 0;

    s->n_pieces = 0;
    if (!p->geom)
        return LR_OK;
    if (!have_hits && parcel_hits(sh, lu, p, s, &unused, err) != LR_OK)
        return err->rc;
    for (size_t k = 0; r == 0 && k < s->n_hits; k++) {
        bool last = k + 1 == s->n_hits;
        if (last && two_or_none && s->n_pieces == 0)
            break;
        r = cut_zone(sh, s->hits[k], last, &rest, &owned, s, err);
    }
    if (owned)
        lr_geom_free(rest);
    if (r == -2)
        return err->rc;
    if (r == -1) {
        s->n_pieces = 0;
        s->geos_failures++;
    }
    return LR_OK;
}

static int64_t
residential_limit(const struct lr_config *cfg, int32_t new_commune)
{
    for (size_t i = 0; i < cfg->n_commune_limits; i++)
        if (cfg->commune_limits[i].new_commune == new_commune)
            return cfg->commune_limits[i].limit_dm2;
    return cfg->residential_limit_dm2;
}

/* Tax of parcel p (value set) from n pieces (area_dm2[i] at price_vnd[i]). */
static enum lr_rc
compute_tax(const struct lr_config *cfg, struct lr_parcel *p, const char *lu,
            const int64_t *area_dm2, const int64_t *price_vnd, size_t n, struct lr_err *err)
{
    switch (lr_landuse_group(lu)) {
    case LR_LG_RESIDENTIAL:
        return lr_money_tax_residential_pieces(area_dm2, price_vnd, n,
                                               residential_limit(cfg, p->new_commune),
                                               cfg->tax_residential_nano, &p->tax_vnd, err);
    case LR_LG_NON_AGRI:
        return lr_money_tax_flat(p->value_vnd, cfg->tax_non_agri_nano, &p->tax_vnd, err);
    case LR_LG_AGRI:
        return lr_money_tax_flat(p->value_vnd, cfg->tax_agri_nano, &p->tax_vnd, err);
    case LR_LG_EXEMPT:
    case LR_LG_UNKNOWN:
        break;
    }
    p->tax_vnd = 0;
    return LR_OK;
}

/* Area the extract uses: the register's within tolerance (or for an unrepairable parcel with a
 * record), else the map's. */
static void
extract_area(const struct lr_shard *sh, struct lr_parcel *p)
{
    const struct lr_record *r = p->record >= 0 ? &sh->records[p->record] : NULL;
    bool unrepairable = p->issues & (1u << LR_IS_UNREPAIRABLE);

    p->area_from_register = r && r->area_dm2 >= 0 && (p->area_ok || unrepairable) &&
                            p->status != LR_ST_SPLIT && p->status != LR_ST_MERGED;
    p->extract_area_dm2 = p->area_from_register ? r->area_dm2 : p->area_dm2;
}

/* Value p at zone z (interior_point). */
static enum lr_rc
value_at_zone(const struct lr_shard *sh, struct lr_parcel *p, const char *lu, int64_t z,
              struct lr_err *err)
{
    int64_t area = p->extract_area_dm2;

    p->zone = strdup(sh->zones[z].zone);
    if (!p->zone)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    p->position = sh->zones[z].position;
    p->price_vnd = sh->zones[z].price_vnd;
    if (lr_money_value(area, p->price_vnd, &p->value_vnd, err) != LR_OK)
        return err->rc;
    return compute_tax(sh->cfg, p, lu, &area, &p->price_vnd, 1, err);
}

/* Split the extract area over the pieces (s->area) and fill their prices. Drops the pieces when
 * their weights are all zero (a parcel too small to measure). */
static enum lr_rc
split_pieces(const struct lr_shard *sh, const struct lr_parcel *p, struct value_scratch *s,
             struct lr_err *err)
{
    int64_t wsum = 0;

    for (size_t k = 0; k < s->n_pieces; k++) {
        wsum += s->weight[k];
        s->price[k] = sh->zones[s->zone[k]].price_vnd;
    }
    if (wsum == 0) {
        s->n_pieces = 0;
        return LR_OK;
    }
    return lr_money_split_dm2(p->extract_area_dm2, s->weight, s->n_pieces, s->area, err);
}

/* order[k] = index of the k-th piece by descending area, ties in priority (cut) order. */
static void
pieces_by_area(const struct value_scratch *s, size_t *order)
{
    for (size_t i = 0; i < s->n_pieces; i++)
        order[i] = i;
    for (size_t i = 1; i < s->n_pieces; i++)
        for (size_t j = i; j > 0 && s->area[order[j - 1]] < s->area[order[j]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

/* Value p from the split pieces (piecewise). */
static enum lr_rc
value_pieces(const struct lr_shard *sh, struct lr_parcel *p, const char *lu,
             const struct value_scratch *s, struct lr_err *err)
{
    size_t *order = calloc(s->n_pieces, sizeof(*order)), top = 0;
    struct lr_buf label;
    enum lr_rc rc = LR_OK;

    lr_buf_init(&label);
    if (!order)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    pieces_by_area(s, order);
    for (size_t k = 1; k < s->n_pieces; k++) /* the largest piece, first in priority on ties */
        if (s->area[k] > s->area[top])
            top = k;
    for (size_t k = 0; k < s->n_pieces; k++)
        if ((k && lr_buf_addc(&label, '+') != LR_OK) ||
            lr_buf_adds(&label, sh->zones[s->zone[order[k]]].zone) != LR_OK)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    p->zone = lr_buf_detach(&label);
    p->position = sh->zones[s->zone[top]].position;
    free(order);
    if (rc == LR_OK && !p->zone)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = lr_money_average_price(s->area, s->price, s->n_pieces, &p->price_vnd, err);
    if (rc == LR_OK)
        rc = lr_money_value_pieces(s->area, s->price, s->n_pieces, &p->value_vnd, err);
    if (rc == LR_OK)
        rc = compute_tax(sh->cfg, p, lu, s->area, s->price, s->n_pieces, err);
    if (rc != LR_OK)
        p->price_vnd = -1;
    return rc;
}

/* Share of part in whole as "12.3" percent (rounded half up, integers). */
static void
format_share(int64_t part, int64_t whole, char *buf, size_t size)
{
    int64_t tenths = whole > 0 ? (part * 2000 / whole + 1) / 2 : 0; /* part <= whole <= 1e13 */

    snprintf(buf, size, "%lld.%lld%%", (long long)(tenths / 10), (long long)(tenths % 10));
}

/* The whole a share is taken of: the parcel's map area, or the cut total when larger. */
static int64_t
share_whole(const struct lr_parcel *p, const struct value_scratch *s)
{
    int64_t wsum = 0;

    for (size_t k = 0; k < s->n_pieces; k++)
        wsum += s->weight[k];
    return p->area_dm2 > wsum ? p->area_dm2 : wsum;
}

static bool
straddles(const struct lr_parcel *p, const struct value_scratch *s)
{
    int64_t whole = share_whole(p, s);
    size_t big = 0;

    for (size_t k = 0; k < s->n_pieces; k++)
        big += s->weight[k] * 1000 > whole * STRADDLE_PERMILLE;
    return big >= 2;
}

/* An issue on parcel i, kept in s until the workers are done (lr_stage_value adds them to the
 * shard in parcel order). detail is copied. */
static enum lr_rc
add_issue(struct value_scratch *s, size_t i, enum lr_issue_class cls, const char *detail,
          struct lr_err *err)
{
    struct pending_issue *is;

    if (s->n_issues == s->cap_issues) {
        size_t cap = s->cap_issues ? 2 * s->cap_issues : 64;
        struct pending_issue *v = realloc(s->issues, cap * sizeof(*v));
        if (!v)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        s->issues = v;
        s->cap_issues = cap;
    }
    is = &s->issues[s->n_issues];
    is->parcel = (int64_t)i;
    is->cls = cls;
    is->detail = lr_strdup(detail);
    if (!is->detail)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    s->n_issues++;
    return LR_OK;
}

/* The straddles_zones issue: every piece's share of the parcel, and the value both ways. */
static enum lr_rc
straddle_issue(const struct lr_shard *sh, size_t i, int64_t zi, struct value_scratch *s,
               struct lr_err *err)
{
    const struct lr_parcel *p = &sh->parcels[i];
    int64_t whole = share_whole(p, s), covered = 0, v_ip = -1, v_pw = -1;
    struct lr_err ignore = { LR_OK, "" };
    struct lr_buf d;
    char share[32];
    enum lr_rc rc;

    lr_buf_init(&d);
    lr_buf_adds(&d, "shares:");
    for (size_t k = 0; k < s->n_pieces; k++) {
        const struct lr_zone *z = &sh->zones[s->zone[k]];
        format_share(s->weight[k], whole, share, sizeof(share));
        lr_buf_addf(&d, "%s %s (position %d, %lld VND/m2) %s", k ? ";" : "", z->zone,
                    (int)z->position, (long long)z->price_vnd, share);
        covered += s->weight[k];
    }
    if (whole > covered) {
        format_share(whole - covered, whole, share, sizeof(share));
        lr_buf_addf(&d, "; outside every zone %s", share);
    }
    if (zi >= 0)
        lr_money_value(p->extract_area_dm2, sh->zones[zi].price_vnd, &v_ip, &ignore);
    lr_money_value_pieces(s->area, s->price, s->n_pieces, &v_pw, &ignore);
    if (zi >= 0)
        lr_buf_addf(&d, "; value interior_point %lld VND (zone %s)", (long long)v_ip,
                    sh->zones[zi].zone);
    else
        lr_buf_adds(&d, "; value interior_point: no zone at the interior point");
    lr_buf_addf(&d, ", piecewise %lld VND", (long long)v_pw);
    rc = d.data ? add_issue(s, i, LR_IS_STRADDLES_ZONES, d.data, err)
                : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    lr_buf_release(&d);
    return rc;
}

/* A value out of the money bounds (absurd area or price) is data, not a failure: the parcel is
 * left unpriced with a bad_value issue. Other errors go to err. */
static enum lr_rc
money_outcome(struct lr_shard *sh, struct value_scratch *s, size_t i, enum lr_rc rc,
              const struct lr_err *merr, struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[i];
    char d[LR_ERR_MSG_MAX + 32];

    if (rc == LR_OK)
        return LR_OK;
    p->price_vnd = -1;
    free(p->zone);
    p->zone = NULL;
    if (rc != LR_ERR_INTERNAL)
        return lr_err_set(err, rc, "%s", merr->msg);
    snprintf(d, sizeof(d), "not valued: %s", merr->msg);
    return add_issue(s, i, LR_IS_BAD_VALUE, d, err);
}

static enum lr_rc
value_one(const struct lr_ctx *ctx, struct lr_shard *sh, size_t i, struct value_scratch *s,
          struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[i];
    const char *lu = value_land_use(sh, p);
    struct lr_err merr = { LR_OK, "" };
    bool have_hits, two_or_none;
    int64_t zi;
    enum lr_rc rc;
    char d[128];

    extract_area(sh, p);
    if (p->extract_area_dm2 < 0)
        return add_issue(s, i, LR_IS_BAD_VALUE, "no area to value (no geometry, no record area)",
                         err);
    rc = parcel_hits(sh, lu, p, s, &have_hits, err);
    if (rc != LR_OK)
        return rc;
    zi = find_zone(sh, lu, p, s, have_hits, err);
    if (zi == -2)
        return err->rc;
    /* A single piece changes nothing in interior_point valuation, provided splitting the area
     * over it could not have failed (an area within the money bounds). */
    two_or_none = ctx->cfg->value_method != LR_VALUE_PIECEWISE &&
                  p->extract_area_dm2 <= LR_MONEY_AREA_MAX_DM2;
    rc = cut_parcel(sh, lu, p, s, have_hits, two_or_none, err);
    if (rc != LR_OK)
        return rc;
    rc = split_pieces(sh, p, s, &merr);
    if (rc == LR_OK && ctx->cfg->value_method == LR_VALUE_PIECEWISE && s->n_pieces > 0)
        rc = value_pieces(sh, p, lu, s, &merr);
    else if (rc == LR_OK && zi >= 0)
        rc = value_at_zone(sh, p, lu, zi, &merr);
    else if (rc == LR_OK) {
        snprintf(d, sizeof(d), "no price zone for land use %s %s", lu ? lu : "-",
                 ctx->cfg->value_method == LR_VALUE_PIECEWISE ? "touches the parcel"
                                                              : "at the parcel's interior point");
        s->no_price++;
        return add_issue(s, i, LR_IS_NO_PRICE, d, err);
    }
    if (rc != LR_OK)
        return money_outcome(sh, s, i, rc, &merr, err);
    if (straddles(p, s)) {
        s->straddling++;
        rc = straddle_issue(sh, i, zi, s, err);
    }
    return rc;
}

/* A worker: its parcels [from, to). */
struct value_job {
    const struct lr_ctx *ctx;
    struct lr_shard *sh;
    struct value_scratch *s;
};

static void *
value_range(void *arg)
{
    struct value_job *j = arg;
    struct value_scratch *s = j->s;

    for (size_t i = s->from; s->rc == LR_OK && i < s->to; i++) {
        if (!lr_status_is_matched(j->sh->parcels[i].status))
            continue;
        s->in++;
        s->rc = value_one(j->ctx, j->sh, i, s, &s->err);
        s->out += j->sh->parcels[i].price_vnd >= 0;
    }
    return NULL;
}

/* Worker w's GEOS context (the main thread's for worker 0), zone index and prepared zones. */
static enum lr_rc
worker_init(struct lr_ctx *ctx, const struct lr_shard *sh, int w, struct value_scratch *s,
            struct lr_err *err)
{
    s->g = w == 0 ? ctx->geom : lr_geom_ctx_new();
    s->tree = s->g ? lr_geom_tree_new(s->g) : NULL;
    s->prep = calloc(sh->n_zones ? sh->n_zones : 1, sizeof(*s->prep));
    if (!s->g || !s->tree || !s->prep)
        return lr_err_set(err, LR_ERR_NOMEM, "cannot build the price zone index");
    for (size_t z = 0; z < sh->n_zones; z++) {
        if (!sh->zones[z].geom)
            continue;
        lr_geom_tree_insert(s->tree, sh->zones[z].geom, z);
        s->prep[z] = w == 0 ? sh->zones[z].prep : lr_geom_prepare(s->g, sh->zones[z].geom);
        if (sh->zones[z].prep && !s->prep[z])
            return lr_err_set(err, LR_ERR_NOMEM, "cannot prepare price zone %s", sh->zones[z].zone);
    }
    /* GEOS builds the tree on the first query: here, before the threads share nothing */
    s->n_hits = 0;
    return lr_geom_tree_query_xy(s->tree, 0, 0, &s->hits, &s->n_hits) == LR_OK
               ? LR_OK
               : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
}

static void
worker_release(const struct lr_shard *sh, int w, struct value_scratch *s)
{
    for (size_t z = 0; w != 0 && s->prep && z < sh->n_zones; z++)
        lr_geom_prepared_free(s->prep[z]);
    free(s->prep);
    lr_geom_tree_free(s->tree);
    if (w != 0)
        lr_geom_ctx_free(s->g);
    scratch_release(s);
}

/* The parcels in --jobs contiguous ranges of about as many matched parcels each: the workers
 * share nothing but the zones' geometries (read only), and their issues go to the shard in
 * parcel order, so the result does not depend on the number of threads. */
enum lr_rc
lr_stage_value(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    struct value_scratch ws[LR_VALUE_MAX_JOBS];
    struct value_job jobs[LR_VALUE_MAX_JOBS];
    pthread_t th[LR_VALUE_MAX_JOBS];
    bool started[LR_VALUE_MAX_JOBS] = { false };
    int nw = ctx->jobs < 1 ? 1 : ctx->jobs > LR_VALUE_MAX_JOBS ? LR_VALUE_MAX_JOBS : ctx->jobs;
    size_t matched = 0, seen = 0, w = 0;
    int64_t failures = 0, straddling = 0, no_price = 0;
    char geos_msg[256] = "";
    enum lr_rc rc = LR_OK;
    double t0 = lr_now(), c0 = lr_cpu_process();

    memset(ws, 0, sizeof(ws));
    for (size_t i = 0; i < sh->n_parcels; i++)
        matched += lr_status_is_matched(sh->parcels[i].status);
    if (matched < 1000)
        nw = 1; /* a thread is not worth it */
    for (size_t i = 0; i < sh->n_parcels; i++) {
        seen += lr_status_is_matched(sh->parcels[i].status);
        if (w + 1 < (size_t)nw && seen * (size_t)nw >= matched * (w + 1))
            ws[++w].from = i + 1;
    }
    for (int k = 0; k < nw; k++) {
        ws[k].to = k + 1 < nw ? ws[k + 1].from : sh->n_parcels;
        if (rc == LR_OK)
            rc = worker_init(ctx, sh, k, &ws[k], err);
    }
    for (int k = 0; rc == LR_OK && k < nw; k++) {
        jobs[k] = (struct value_job){ ctx, sh, &ws[k] };
        if (k > 0)
            started[k] = pthread_create(&th[k], NULL, value_range, &jobs[k]) == 0;
    }
    for (int k = 0; rc == LR_OK && k < nw; k++)
        if (k == 0 || !started[k])
            value_range(&jobs[k]); /* worker 0, and any whose thread did not start */
    for (int k = 0; k < nw; k++) {
        if (started[k])
            pthread_join(th[k], NULL);
        if (rc == LR_OK && ws[k].rc != LR_OK)
            rc = lr_err_set(err, ws[k].rc, "%s", ws[k].err.msg);
        for (size_t q = 0; rc == LR_OK && q < ws[k].n_issues; q++) {
            const struct pending_issue *is = &ws[k].issues[q];
            const struct lr_parcel *p = &sh->parcels[is->parcel];
            if (lr_shard_add_issue(sh, is->parcel, p->record, is->cls, p->ix, p->iy, is->detail) !=
                LR_OK)
                rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        }
        st->in += ws[k].in;
        st->out += ws[k].out;
        failures += ws[k].geos_failures;
        straddling += ws[k].straddling;
        no_price += ws[k].no_price;
        if (ws[k].geos_failures && !geos_msg[0])
            snprintf(geos_msg, sizeof(geos_msg), "%s", lr_geom_last_error(ws[k].g));
    }
    if (failures)
        lr_log(LR_LOG_WARN, "value", NULL,
               "%lld parcels could not be cut by their price zones (GEOS: %s); valued at their "
               "interior point",
               (long long)failures, geos_msg);
    for (int k = 0; k < nw; k++)
        worker_release(sh, k, &ws[k]);
    lr_log(LR_LOG_INFO, "value", NULL,
           "%s: %lld parcels valued, %lld straddling zones, %lld without a price zone in %.3f s "
           "(cpu %.3f s, %d threads)",
           ctx->cfg->value_method == LR_VALUE_PIECEWISE ? "piecewise" : "interior_point",
           (long long)st->out, (long long)straddling, (long long)no_price, lr_now() - t0,
           lr_cpu_process() - c0, nw);
    return rc;
}
