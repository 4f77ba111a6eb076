/* stage_match.c - full-outer reconciliation of map parcels and register records.
 *
 * Keys are joined by a sort-merge over normalised keys (O(n log n), deterministic). One key on
 * one parcel and one record is a match, then checked for commune, area (tolerance) and land use;
 * keys held twice on either side are duplicate_key on both sides, neither chosen. What is left
 * is map_only / register_only, which the lineage pass (match_lineage.c) may explain as
 * renumbered, split or merged. Every parcel and record ends with exactly one status. */
#include "lineage.h"
#include "money.h"
#include "stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
cmp_parcel(const void *a, const void *b, void *arg)
{
    const struct lr_shard *sh = arg;
    const struct lr_parcel *pa = &sh->parcels[*(const size_t *)a];
    const struct lr_parcel *pb = &sh->parcels[*(const size_t *)b];
    int c = lr_key_cmp(&pa->key, &pb->key);

    if (c)
        return c;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
cmp_record(const void *a, const void *b, void *arg)
{
    const struct lr_shard *sh = arg;
    const struct lr_record *ra = &sh->records[*(const size_t *)a];
    const struct lr_record *rb = &sh->records[*(const size_t *)b];
    int c = lr_key_cmp(&ra->key, &rb->key);

    if (c)
        return c;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Indices of live (not rejected) parcels and records, sorted by key. */
static enum lr_rc
sorted_indices(const struct lr_shard *sh, size_t **pi, size_t *np, size_t **ri, size_t *nr)
{
    *pi = malloc((sh->n_parcels + 1) * sizeof(size_t));
    *ri = malloc((sh->n_records + 1) * sizeof(size_t));
    *np = *nr = 0;
    if (!*pi || !*ri)
        return LR_ERR_NOMEM;
    for (size_t i = 0; i < sh->n_parcels; i++)
        if (sh->parcels[i].status != LR_ST_REJECTED)
            (*pi)[(*np)++] = i;
    for (size_t i = 0; i < sh->n_records; i++)
        if (sh->records[i].status != LR_ST_REJECTED)
            (*ri)[(*nr)++] = i;
    qsort_r(*pi, *np, sizeof(size_t), cmp_parcel, (void *)sh);
    qsort_r(*ri, *nr, sizeof(size_t), cmp_record, (void *)sh);
    return LR_OK;
}

/* Does the crosswalk allow new commune code for old commune code? */
static bool
crosswalk_allows(const struct lr_shard *sh, int32_t old_code, int32_t new_code)
{
    for (size_t i = 0; i < sh->n_communes; i++)
        if (sh->communes[i].old_code == old_code && sh->communes[i].new_code == new_code)
            return true;
    return false;
}

/* New commune of a parcel: its position when boundaries are given, else the crosswalk. */
static void
derive_commune(const struct lr_shard *sh, struct lr_parcel *p)
{
    const struct lr_commune *c = lr_shard_commune(sh, p->key.commune);

    if (p->geo_commune >= 0)
        p->new_commune = p->geo_commune;
    else if (c)
        p->new_commune = c->new_code;
}

static enum lr_rc
finding(struct lr_shard *sh, size_t p, size_t r, enum lr_status cls, const char *detail)
{
    return lr_shard_add_finding(sh, (int64_t)p, (int64_t)r, cls, detail);
}

/* Compare areas of a matched pair; sets tol/area_ok and writes the area detail. */
static enum lr_rc
check_area(struct lr_shard *sh, struct lr_parcel *p, const struct lr_record *r, char *d, size_t n,
           struct lr_err *err)
{
    const struct lr_config *cfg = sh->cfg;
    char ra[32], ma[32], ta[32];
    int64_t diff;
    enum lr_rc rc;

    p->tol_dm2 = -1;
    p->area_ok = false;
    if (r->area_dm2 < 0 || p->area_dm2 < 0)
        return LR_OK;
    rc = lr_money_tolerance_dm2(p->scale, r->area_dm2, cfg->tolerance_fraction_nano,
                                cfg->tolerance_regulation, &p->tol_dm2, err);
    if (rc != LR_OK)
        return rc;
    diff = p->area_dm2 > r->area_dm2 ? p->area_dm2 - r->area_dm2 : r->area_dm2 - p->area_dm2;
    p->area_ok = diff <= p->tol_dm2;
    lr_money_format_area(r->area_dm2, ra, sizeof(ra));
    lr_money_format_area(p->area_dm2, ma, sizeof(ma));
    lr_money_format_area(p->tol_dm2, ta, sizeof(ta));
    if (cfg->tolerance_regulation)
        snprintf(d, n, "register %s m2, map %s m2, tolerance %s m2 at 1:%d", ra, ma, ta,
                 (int)p->scale);
    else
        snprintf(d, n, "register %s m2, map %s m2, tolerance %s m2", ra, ma, ta);
    return LR_OK;
}

/* Status of an exactly matched pair; findings for every disagreement. */
static enum lr_rc
judge_pair(struct lr_shard *sh, size_t pi, size_t ri, struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[pi];
    struct lr_record *r = &sh->records[ri];
    char area_d[160] = "", d[256];
    bool lu_differs = p->land_use && r->land_use && strcmp(p->land_use, r->land_use) != 0;
    bool commune_differs = p->geo_commune >= 0 && sh->n_communes &&
                           !crosswalk_allows(sh, p->key.commune, p->geo_commune);
    enum lr_status st = LR_ST_MATCHED;
    enum lr_rc rc = check_area(sh, p, r, area_d, sizeof(area_d), err);

    p->record = (int64_t)ri;
    r->parcel = (int64_t)pi;
    p->confidence_pct = 100;
    if (rc == LR_OK && commune_differs) {
        st = LR_ST_COMMUNE_MISMATCH;
        snprintf(d, sizeof(d),
                 "crosswalk puts old commune %05d elsewhere; the parcel lies in "
                 "new commune %05d",
                 (int)p->key.commune, (int)p->geo_commune);
        rc = finding(sh, pi, ri, st, d);
    }
    if (rc == LR_OK && area_d[0] && !p->area_ok) {
        st = st == LR_ST_MATCHED ? LR_ST_AREA_MISMATCH : st;
        rc = finding(sh, pi, ri, LR_ST_AREA_MISMATCH, area_d);
    }
    if (rc == LR_OK && lu_differs) {
        st = st == LR_ST_MATCHED ? LR_ST_LAND_USE_MISMATCH : st;
        snprintf(d, sizeof(d), "register land use %s, map %s", r->land_use, p->land_use);
        rc = finding(sh, pi, ri, LR_ST_LAND_USE_MISMATCH, d);
    }
    p->status = r->status = st;
    return rc == LR_OK ? LR_OK : lr_err_set(err, rc, "cannot record a finding");
}

/* A key held by np parcels and nr records (np + nr >= 1). */
static enum lr_rc
judge_group(struct lr_shard *sh, const size_t *ps, size_t np, const size_t *rs, size_t nr,
            struct lr_err *err)
{
    char d[128], k[LR_KEY_STR_MAX];
    enum lr_rc rc = LR_OK;

    if (np == 1 && nr == 1)
        return judge_pair(sh, ps[0], rs[0], err);
    lr_key_format(np ? &sh->parcels[ps[0]].key : &sh->records[rs[0]].key, k);
    if (np > 1 || nr > 1) {
        snprintf(d, sizeof(d), "key %s held by %zu map parcels and %zu register records", k, np,
                 nr);
        for (size_t i = 0; rc == LR_OK && i < np; i++) {
            sh->parcels[ps[i]].status = LR_ST_DUPLICATE_KEY;
            rc = finding(sh, ps[i], (size_t)-1, LR_ST_DUPLICATE_KEY, d);
        }
        for (size_t i = 0; rc == LR_OK && i < nr; i++) {
            sh->records[rs[i]].status = LR_ST_DUPLICATE_KEY;
            rc = finding(sh, (size_t)-1, rs[i], LR_ST_DUPLICATE_KEY, d);
        }
        return rc == LR_OK ? LR_OK : lr_err_set(err, rc, "out of memory");
    }
    if (np == 1)
        sh->parcels[ps[0]].status = LR_ST_MAP_ONLY;
    else
        sh->records[rs[0]].status = LR_ST_REGISTER_ONLY;
    return LR_OK;
}

static enum lr_rc
merge_join(struct lr_shard *sh, const size_t *pi, size_t np, const size_t *ri, size_t nr,
           struct lr_err *err)
{
    size_t a = 0, b = 0;
    enum lr_rc rc = LR_OK;

    while (rc == LR_OK && (a < np || b < nr)) {
        const struct lr_key *k;
        size_t a2 = a, b2 = b;
        if (b >= nr ||
            (a < np && lr_key_cmp(&sh->parcels[pi[a]].key, &sh->records[ri[b]].key) <= 0))
            k = &sh->parcels[pi[a]].key;
        else
            k = &sh->records[ri[b]].key;
        while (a2 < np && lr_key_cmp(&sh->parcels[pi[a2]].key, k) == 0)
            a2++;
        while (b2 < nr && lr_key_cmp(&sh->records[ri[b2]].key, k) == 0)
            b2++;
        rc = judge_group(sh, pi + a, a2 - a, ri + b, b2 - b, err);
        a = a2;
        b = b2;
    }
    return rc;
}

/* Findings for whatever stayed unmatched after the lineage pass. */
static enum lr_rc
unmatched_findings(struct lr_shard *sh, struct lr_err *err)
{
    char d[128], a[32];
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];
        if (p->status != LR_ST_MAP_ONLY)
            continue;
        lr_money_format_area(p->area_dm2, a, sizeof(a));
        snprintf(d, sizeof(d), "no register record with this key; map area %s m2, land use %s", a,
                 p->land_use ? p->land_use : "-");
        rc = finding(sh, i, (size_t)-1, LR_ST_MAP_ONLY, d);
    }
    for (size_t i = 0; rc == LR_OK && i < sh->n_records; i++) {
        const struct lr_record *r = &sh->records[i];
        if (r->status != LR_ST_REGISTER_ONLY)
            continue;
        lr_money_format_area(r->area_dm2, a, sizeof(a));
        snprintf(d, sizeof(d), "no map parcel with this key; register area %s m2, land use %s",
                 r->area_dm2 >= 0 ? a : "-", r->land_use ? r->land_use : "-");
        rc = finding(sh, (size_t)-1, i, LR_ST_REGISTER_ONLY, d);
    }
    return rc == LR_OK ? LR_OK : lr_err_set(err, rc, "out of memory");
}

enum lr_rc
lr_stage_match(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    size_t *pi = NULL, *ri = NULL, np = 0, nr = 0;
    enum lr_rc rc;

    (void)ctx;
    if (sorted_indices(sh, &pi, &np, &ri, &nr) != LR_OK) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < np; i++)
        derive_commune(sh, &sh->parcels[pi[i]]);
    st->in = (int64_t)(np + nr);
    rc = merge_join(sh, pi, np, ri, nr, err);
    if (rc == LR_OK)
        rc = lr_lineage_explain(sh, err);
    if (rc == LR_OK)
        rc = unmatched_findings(sh, err);
    for (size_t i = 0; i < np; i++)
        st->out += lr_status_is_matched(sh->parcels[pi[i]].status);
    for (size_t i = 0; i < nr; i++)
        st->out += lr_status_is_matched(sh->records[ri[i]].status);
out:
    free(pi);
    free(ri);
    return rc;
}
