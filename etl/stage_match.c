/* stage_match.c - full-outer reconciliation of map parcels and register records.
 *
 * Keys are packed into 64 bits and radix-sorted (O(n), deterministic: ties keep index order),
 * then joined by a merge over the two sorted lists. One key on one parcel and one record is a
 * match, then checked for commune, area (tolerance) and land use; keys held twice on either side
 * are duplicate_key on both sides, neither chosen. What is left is map_only / register_only,
 * which the lineage pass (lineage.c) may explain as renumbered, split or merged. The analysts'
 * corrections (corrections.c) claim pairs before the join (link), veto pairs (unlink) and
 * acknowledge findings (accept). Every parcel and record ends with exactly one status. */
#include "corrections.h"
#include "io.h"
#include "lineage.h"
#include "money.h"
#include "stage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the key-sorted view ---- */

/* Stable LSD radix sort of a by key, 16-bit digits, ping-ponging between a and tmp (n
 * elements each); passes where every key has the same digit are skipped. */
static void
radix_sort(struct lr_keyed *a, struct lr_keyed *tmp, size_t n, size_t *count)
{
    struct lr_keyed *src = a, *dst = tmp;

    for (unsigned shift = 0; n && shift < 64; shift += 16) {
        size_t sum = 0;
        memset(count, 0, 65536 * sizeof(size_t));
        for (size_t i = 0; i < n; i++)
            count[(src[i].key >> shift) & 0xFFFF]++;
        if (count[(src[0].key >> shift) & 0xFFFF] == n)
            continue;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].key >> shift) & 0xFFFF]++] = src[i];
        dst = src;
        src = src == a ? tmp : a;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

enum lr_rc
lr_match_view_leave(size_t **arr, size_t *n, size_t *cap, size_t idx)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        size_t *p = realloc(*arr, ncap * sizeof(*p));
        if (!p)
            return LR_ERR_NOMEM;
        *arr = p;
        *cap = ncap;
    }
    (*arr)[(*n)++] = idx;
    return LR_OK;
}

/* Live parcels into the view; keyless ones are left over at once. */
static enum lr_rc
view_parcels(struct lr_shard *sh, struct lr_match_view *v)
{
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++) {
        struct lr_parcel *p = &sh->parcels[i];
        if (p->status == LR_ST_REJECTED)
            continue;
        if (p->key.commune >= 0) {
            v->parcels[v->n_parcels++] = (struct lr_keyed){ lr_key_pack(&p->key), i };
            continue;
        }
        p->status = LR_ST_MAP_ONLY;
        p->new_commune = p->geo_commune;
        v->n_keyless++;
        rc = lr_match_view_leave(&v->left_parcels, &v->n_left_parcels, &v->cap_left_parcels, i);
    }
    return rc;
}

static enum lr_rc
view_records(struct lr_shard *sh, struct lr_match_view *v)
{
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < sh->n_records; i++) {
        struct lr_record *r = &sh->records[i];
        if (r->status == LR_ST_REJECTED)
            continue;
        if (r->key.commune >= 0) {
            v->records[v->n_records++] = (struct lr_keyed){ lr_key_pack(&r->key), i };
            continue;
        }
        r->status = LR_ST_REGISTER_ONLY;
        v->n_keyless++;
        rc = lr_match_view_leave(&v->left_records, &v->n_left_records, &v->cap_left_records, i);
    }
    return rc;
}

enum lr_rc
lr_match_view_build(struct lr_shard *sh, struct lr_match_view *v, struct lr_err *err)
{
    size_t big = sh->n_parcels > sh->n_records ? sh->n_parcels : sh->n_records;
    struct lr_keyed *tmp = malloc((big + 1) * sizeof(*tmp));
    size_t *count = malloc(65536 * sizeof(size_t));
    enum lr_rc rc = LR_OK;

    memset(v, 0, sizeof(*v));
    v->parcels = malloc((sh->n_parcels + 1) * sizeof(*v->parcels));
    v->records = malloc((sh->n_records + 1) * sizeof(*v->records));
    if (!tmp || !count || !v->parcels || !v->records || view_parcels(sh, v) != LR_OK ||
        view_records(sh, v) != LR_OK) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory sorting keys");
        goto out;
    }
    radix_sort(v->parcels, tmp, v->n_parcels, count);
    radix_sort(v->records, tmp, v->n_records, count);
out:
    free(tmp);
    free(count);
    if (rc != LR_OK)
        lr_match_view_release(v);
    return rc;
}

void
lr_match_view_release(struct lr_match_view *v)
{
    free(v->parcels);
    free(v->records);
    free(v->left_parcels);
    free(v->left_records);
    memset(v, 0, sizeof(*v));
}

size_t
lr_keyed_lower(const struct lr_keyed *a, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- the stage's working state ---- */

/* One crosswalk row: old commune -> new commune, in file order. */
struct xw_row {
    int32_t old_code, new_code;
    size_t order;
};

struct match {
    struct lr_shard *sh;
    struct lr_match_view view;
    struct xw_row *xw; /* sorted by old code, then file order */
    size_t n_xw;
    struct lr_corrections corr;
    bool have_corr;
    size_t n_dup;       /* parcels + records holding a duplicate key */
    size_t n_unmatched; /* map_only + register_only findings written */
};

static int
cmp_xw(const void *a, const void *b)
{
    const struct xw_row *x = a, *y = b;

    if (x->old_code != y->old_code)
        return x->old_code < y->old_code ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static enum lr_rc
xw_build(struct match *m, struct lr_err *err)
{
    const struct lr_shard *sh = m->sh;

    m->xw = malloc((sh->n_communes + 1) * sizeof(*m->xw));
    if (!m->xw)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < sh->n_communes; i++)
        m->xw[i] = (struct xw_row){ sh->communes[i].old_code, sh->communes[i].new_code, i };
    m->n_xw = sh->n_communes;
    qsort(m->xw, m->n_xw, sizeof(*m->xw), cmp_xw);
    return LR_OK;
}

/* First crosswalk row of old commune code (file order), or n_xw. */
static size_t
xw_first(const struct match *m, int32_t old_code)
{
    size_t lo = 0, hi = m->n_xw;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->xw[mid].old_code < old_code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_xw && m->xw[lo].old_code == old_code ? lo : m->n_xw;
}

/* Does the crosswalk allow new commune code for old commune code? */
static bool
crosswalk_allows(const struct match *m, int32_t old_code, int32_t new_code)
{
    for (size_t i = xw_first(m, old_code); i < m->n_xw && m->xw[i].old_code == old_code; i++)
        if (m->xw[i].new_code == new_code)
            return true;
    return false;
}

/* New commune of a parcel: its position when boundaries are given, else the crosswalk. */
static void
derive_commune(const struct match *m, struct lr_parcel *p)
{
    size_t i = xw_first(m, p->key.commune);

    if (p->geo_commune >= 0)
        p->new_commune = p->geo_commune;
    else if (i < m->n_xw)
        p->new_commune = m->xw[i].new_code;
}

static enum lr_rc
finding(struct lr_shard *sh, size_t p, size_t r, enum lr_status cls, const char *detail)
{
    return lr_shard_add_finding(sh, (int64_t)p, (int64_t)r, cls, detail);
}

/* The tolerance exactly as lr_money_tolerance_dm2 computes it (round_half_up of
 * 0.0004 * M * sqrt(P) in tenths: (isqrt(M^2 * 10 A) + 1250) / 2500), with a 64-bit integer
 * square root when M^2 * 10 A fits (every real scale and parcel): the stage's hot path.
 * Fractions and extreme values go to money.c. */
static enum lr_rc
tolerance_dm2(const struct lr_config *cfg, int64_t scale, int64_t area_dm2, int64_t *tol,
              struct lr_err *err)
{
    uint64_t s, r;

    if (!cfg->tolerance_regulation || scale < 1 || scale > 20000 || area_dm2 < 0 ||
        area_dm2 > 1000000000)
        return lr_money_tolerance_dm2(scale, area_dm2, cfg->tolerance_fraction_nano,
                                      cfg->tolerance_regulation, tol, err);
    s = (uint64_t)scale * (uint64_t)scale * 10u * (uint64_t)area_dm2; /* <= 4e18 */
    r = (uint64_t)sqrt((double)s);
    while (r * r > s)
        r--;
    while ((r + 1) * (r + 1) <= s)
        r++;
    *tol = (int64_t)((r + 1250) / 2500);
    return LR_OK;
}

/* Compare areas of a matched pair: sets tol/area_ok; the detail text only when they differ. */
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
    rc = tolerance_dm2(cfg, p->scale, r->area_dm2, &p->tol_dm2, err);
    if (rc != LR_OK)
        return rc;
    diff = p->area_dm2 > r->area_dm2 ? p->area_dm2 - r->area_dm2 : r->area_dm2 - p->area_dm2;
    p->area_ok = diff <= p->tol_dm2;
    if (p->area_ok)
        return LR_OK;
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

/* Status of a matched pair (same key, or linked by an analyst); findings for every
 * disagreement. */
static enum lr_rc
judge_pair(struct match *m, size_t pi, size_t ri, struct lr_err *err)
{
    struct lr_shard *sh = m->sh;
    struct lr_parcel *p = &sh->parcels[pi];
    struct lr_record *r = &sh->records[ri];
    char area_d[160] = "", d[256];
    bool lu_differs = p->land_use && r->land_use && strcmp(p->land_use, r->land_use) != 0;
    bool commune_differs =
        p->geo_commune >= 0 && m->n_xw && !crosswalk_allows(m, p->key.commune, p->geo_commune);
    enum lr_status st = LR_ST_MATCHED;
    enum lr_rc rc = check_area(sh, p, r, area_d, sizeof(area_d), err);

    if (rc != LR_OK)
        return rc;
    p->record = (int64_t)ri;
    r->parcel = (int64_t)pi;
    p->confidence_pct = 100;
    if (commune_differs) {
        st = LR_ST_COMMUNE_MISMATCH;
        snprintf(d, sizeof(d),
                 "crosswalk puts old commune %05d elsewhere; the parcel lies in "
                 "new commune %05d",
                 (int)p->key.commune, (int)p->geo_commune);
        rc = finding(sh, pi, ri, st, d);
    }
    if (rc == LR_OK && area_d[0]) {
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

/* Keys held by several parcels and/or records: every holder is duplicate_key. */
static enum lr_rc
judge_duplicates(struct lr_shard *sh, const struct lr_keyed *ps, size_t np,
                 const struct lr_keyed *rs, size_t nr, struct lr_err *err)
{
    char d[128], k[LR_KEY_STR_MAX];
    enum lr_rc rc = LR_OK;

    lr_key_format(np ? &sh->parcels[ps[0].idx].key : &sh->records[rs[0].idx].key, k);
    snprintf(d, sizeof(d), "key %s held by %zu map parcels and %zu register records", k, np, nr);
    for (size_t i = 0; rc == LR_OK && i < np; i++) {
        sh->parcels[ps[i].idx].status = LR_ST_DUPLICATE_KEY;
        rc = finding(sh, ps[i].idx, (size_t)-1, LR_ST_DUPLICATE_KEY, d);
    }
    for (size_t i = 0; rc == LR_OK && i < nr; i++) {
        sh->records[rs[i].idx].status = LR_ST_DUPLICATE_KEY;
        rc = finding(sh, (size_t)-1, rs[i].idx, LR_ST_DUPLICATE_KEY, d);
    }
    return rc == LR_OK ? LR_OK : lr_err_set(err, rc, "out of memory");
}

/* A key held by np parcels and nr records (np + nr >= 1). Holders an analyst's link claims are
 * left to the links (a claimed key is held once); an unlinked pair stays apart. Leftovers go
 * to the view's lists for the lineage pass. */
static enum lr_rc
judge_group(struct match *m, const struct lr_keyed *ps, size_t np, const struct lr_keyed *rs,
            size_t nr, struct lr_err *err)
{
    struct lr_shard *sh = m->sh;
    struct lr_corrections *c = m->have_corr ? &m->corr : NULL;
    struct lr_match_view *v = &m->view;
    bool pclaim = np == 1 && lr_corrections_parcel_claim(c, ps[0].idx);
    bool rclaim = nr == 1 && lr_corrections_record_claim(c, rs[0].idx);
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; i < np; i++)
        derive_commune(m, &sh->parcels[ps[i].idx]);
    if (np > 1 || nr > 1) {
        m->n_dup += np + nr;
        return judge_duplicates(sh, ps, np, rs, nr, err);
    }
    if (np == 1 && nr == 1 && !pclaim && !rclaim &&
        !lr_corrections_unlinked(c, ps[0].idx, rs[0].idx))
        return judge_pair(m, ps[0].idx, rs[0].idx, err);
    if (np == 1 && !pclaim) {
        sh->parcels[ps[0].idx].status = LR_ST_MAP_ONLY;
        rc = lr_match_view_leave(&v->left_parcels, &v->n_left_parcels, &v->cap_left_parcels,
                                 ps[0].idx);
    }
    if (rc == LR_OK && nr == 1 && !rclaim) {
        sh->records[rs[0].idx].status = LR_ST_REGISTER_ONLY;
        rc = lr_match_view_leave(&v->left_records, &v->n_left_records, &v->cap_left_records,
                                 rs[0].idx);
    }
    return rc == LR_OK ? LR_OK : lr_err_set(err, rc, "out of memory");
}

static enum lr_rc
merge_join(struct match *m, struct lr_err *err)
{
    const struct lr_keyed *pv = m->view.parcels, *rv = m->view.records;
    size_t np = m->view.n_parcels, nr = m->view.n_records, a = 0, b = 0;
    enum lr_rc rc = LR_OK;

    while (rc == LR_OK && (a < np || b < nr)) {
        uint64_t k = b >= nr || (a < np && pv[a].key <= rv[b].key) ? pv[a].key : rv[b].key;
        size_t a2 = a, b2 = b;

        while (a2 < np && pv[a2].key == k)
            a2++;
        while (b2 < nr && rv[b2].key == k)
            b2++;
        rc = judge_group(m, pv + a, a2 - a, rv + b, b2 - b, err);
        a = a2;
        b = b2;
    }
    return rc;
}

/* Apply the analysts' links: each claimed pair is judged like an exact match; a pair under two
 * different keys also gets a lineage row (renumbered, by the analyst). */
static enum lr_rc
apply_links(struct match *m, struct lr_err *err)
{
    struct lr_shard *sh = m->sh;
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && m->have_corr && i < m->corr.n; i++) {
        struct lr_correction *c = &m->corr.rows[i];
        char ev[160];
        if (c->action != LR_CORR_LINK || c->parcel < 0 || c->why[0])
            continue;
        rc = judge_pair(m, (size_t)c->parcel, (size_t)c->record, err);
        c->applied = rc == LR_OK;
        if (rc != LR_OK ||
            lr_key_cmp(&sh->parcels[c->parcel].key, &sh->records[c->record].key) == 0)
            continue;
        snprintf(ev, sizeof(ev), "linked by an analyst (corrections file line %d)", c->line);
        if (lr_shard_add_lineage(sh, c->record, c->parcel, LR_REL_RENUMBERED, 100, ev) != LR_OK)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    return rc;
}

/* Findings for whatever stayed unmatched after the lineage pass (counted). */
static enum lr_rc
unmatched_findings(struct match *m, struct lr_err *err)
{
    struct lr_shard *sh = m->sh;
    char d[128], a[32];
    enum lr_rc rc = LR_OK;

    for (size_t k = 0; rc == LR_OK && k < m->view.n_left_parcels; k++) {
        size_t i = m->view.left_parcels[k];
        const struct lr_parcel *p = &sh->parcels[i];
        if (p->status != LR_ST_MAP_ONLY)
            continue;
        lr_money_format_area(p->area_dm2, a, sizeof(a));
        snprintf(d, sizeof(d), "no register record with this key; map area %s m2, land use %s",
                 p->area_dm2 >= 0 ? a : "-", p->land_use ? p->land_use : "-");
        rc = finding(sh, i, (size_t)-1, LR_ST_MAP_ONLY, d);
        m->n_unmatched++;
    }
    for (size_t k = 0; rc == LR_OK && k < m->view.n_left_records; k++) {
        size_t i = m->view.left_records[k];
        const struct lr_record *r = &sh->records[i];
        if (r->status != LR_ST_REGISTER_ONLY)
            continue;
        lr_money_format_area(r->area_dm2, a, sizeof(a));
        snprintf(d, sizeof(d), "no map parcel with this key; register area %s m2, land use %s",
                 r->area_dm2 >= 0 ? a : "-", r->land_use ? r->land_use : "-");
        rc = finding(sh, (size_t)-1, i, LR_ST_REGISTER_ONLY, d);
        m->n_unmatched++;
    }
    return rc == LR_OK ? LR_OK : lr_err_set(err, rc, "out of memory");
}

/* Load and resolve the corrections file when the config names one. */
static enum lr_rc
load_corrections(struct match *m, struct lr_err *err)
{
    struct lr_input *in;
    enum lr_rc rc;

    if (!m->sh->cfg->corrections)
        return LR_OK;
    rc = lr_corrections_load(&m->corr, m->sh->cfg->corrections, err);
    if (rc != LR_OK)
        return rc;
    m->have_corr = true;
    in = lr_shard_add_input(m->sh);
    if (!in || !(in->path = strdup(m->corr.path)) || !(in->kind = strdup("corrections")))
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    in->features = (int64_t)m->corr.n;
    rc = lr_io_sha256_file(in->path, in->sha256, err);
    if (rc == LR_OK)
        rc = lr_corrections_resolve(&m->corr, m->sh, &m->view, err);
    lr_log(LR_LOG_INFO, "match", NULL, "corrections file '%s': %zu rows", m->corr.path, m->corr.n);
    return rc;
}

/* Join, links, lineage, findings, accept: the stage's steps in order. */
static enum lr_rc
match_steps(struct lr_ctx *ctx, struct match *m, struct lr_err *err)
{
    double t[4];
    enum lr_rc rc = load_corrections(m, err);

    t[0] = lr_now();
    if (rc == LR_OK)
        rc = merge_join(m, err);
    if (rc == LR_OK)
        rc = apply_links(m, err);
    t[1] = lr_now();
    if (rc == LR_OK)
        rc = lr_lineage_explain(m->sh, &m->view, ctx ? ctx->geom : NULL,
                                m->have_corr ? &m->corr : NULL, err);
    t[2] = lr_now();
    if (rc == LR_OK)
        rc = unmatched_findings(m, err);
    if (rc == LR_OK && m->have_corr)
        rc = lr_corrections_accept(&m->corr, m->sh, err);
    if (rc == LR_OK && m->have_corr)
        lr_corrections_report(&m->corr, m->sh);
    t[3] = lr_now();
    lr_log(LR_LOG_DEBUG, "match", NULL, "join %.3f s, lineage %.3f s, findings %.3f s", t[1] - t[0],
           t[2] - t[1], t[3] - t[2]);
    return rc;
}

enum lr_rc
lr_stage_match(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    struct match m;
    double t0, c0 = lr_cpu_thread();
    enum lr_rc rc;

    memset(&m, 0, sizeof(m));
    m.sh = sh;
    lr_shard_drop_coords(sh); /* after a merge's borders stage; a run's validate did already */
    t0 = lr_now();
    rc = lr_match_view_build(sh, &m.view, err);
    if (rc == LR_OK)
        rc = xw_build(&m, err);
    if (rc != LR_OK)
        goto out;
    lr_log(LR_LOG_DEBUG, "match", NULL, "key view %.3f s", lr_now() - t0);
    rc = match_steps(ctx, &m, err);
    if (st) { /* every live one is matched unless a duplicate or left unmatched */
        st->in = (int64_t)(m.view.n_parcels + m.view.n_records + m.view.n_keyless);
        st->out = st->in - (int64_t)(m.n_dup + m.n_unmatched);
    }
    lr_log(LR_LOG_DEBUG, "match", NULL, "%.3f s of this thread's CPU time", lr_cpu_thread() - c0);
out:
    if (m.have_corr)
        lr_corrections_release(&m.corr);
    free(m.xw);
    lr_match_view_release(&m.view);
    return rc;
}
