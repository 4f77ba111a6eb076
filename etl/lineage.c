/* lineage.c - renumbered / split / merged explanations (see lineage.h).
 *
 * Per (old commune, sheet) holding both unmatched parcels and unmatched records:
 *  1. each record's anchors: the map parcels that hold its key neighbours (the nearest number
 *     below and above, up to LIN_STEPS away) and matched exactly - where its land should lie;
 *  2. hypotheses: for each record, its candidate parcels (near its anchors, or with the same
 *     owner-name hash; at most LIN_CAND, nearest first) and every 1-3 of them whose area, or
 *     area sum, agrees with the record's within tolerance (renumbered, split); for each parcel,
 *     its candidate records (whose anchors lie near it, or with the same owner hash) and every
 *     2-3 of them whose area sum agrees with the parcel's (merged);
 *  3. each hypothesis is scored from its evidence (area agreement, land use, position, numbers
 *     after the sheet's shared numbering, owner names, adjoining pieces). Eligible ones (score
 *     >= LIN_MIN_SCORE and corroborated by position or owner names) are taken best first, each
 *     parcel and record once; a close competitor marks the choice ambiguous and lowers its
 *     confidence. Work per sheet is bounded by the candidate caps: never all pairs of a sheet.
 * Candidates are found by sweeps over x-sorted arrays per sheet; nothing depends on thread
 * count or memory order (ties break on keys). */
#include "lineage.h"

#include "corrections.h"
#include "geom.h"
#include "lineage_int.h"
#include "money.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t
lr_lineage_owner_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL;

    if (!name || !name[0])
        return 0;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h ? h : 1;
}

/* ---- collecting the leftovers ---- */

static void
collect_parcel(struct lin *L, size_t idx)
{
    struct lr_parcel *p = &L->sh->parcels[idx];
    struct lin_parcel *q = &L->allp[L->n_allp++];

    memset(q, 0, sizeof(*q));
    q->idx = idx;
    q->area = p->area_dm2;
    q->x = p->ix;
    q->y = p->iy;
    q->root = lr_lin_root_m2(p->area_dm2);
    if (L->g && p->geom)
        q->has_env = lr_geom_bounds(L->g, p->geom, &q->env[0], &q->env[1], &q->env[2], &q->env[3]);
}

static enum lr_rc
collect(struct lin *L, struct lr_err *err)
{
    const struct lr_match_view *v = L->v;

    L->allp = malloc((v->n_left_parcels + 1) * sizeof(*L->allp));
    L->allr = malloc((v->n_left_records + 1) * sizeof(*L->allr));
    if (!L->allp || !L->allr)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < v->n_left_parcels; i++) {
        const struct lr_parcel *p = &L->sh->parcels[v->left_parcels[i]];
        if (p->status == LR_ST_MAP_ONLY && p->area_dm2 > 0 && p->key.commune >= 0)
            collect_parcel(L, v->left_parcels[i]);
    }
    for (size_t i = 0; i < v->n_left_records; i++) {
        const struct lr_record *r = &L->sh->records[v->left_records[i]];
        struct lin_record *q;
        if (r->status != LR_ST_REGISTER_ONLY || r->area_dm2 <= 0 || r->key.commune < 0)
            continue;
        q = &L->allr[L->n_allr++];
        memset(q, 0, sizeof(*q));
        q->idx = v->left_records[i];
        q->area = r->area_dm2;
        q->owner = lr_lineage_owner_hash(r->owner_name);
    }
    return LR_OK;
}

static enum lr_rc
alloc_scratch(struct lin *L, struct lr_err *err)
{
    size_t np = L->n_allp + 1, nr = L->n_allr + 1;

    L->p_by_x = malloc(np * sizeof(uint32_t));
    L->p_by_owner = malloc(np * sizeof(uint32_t));
    L->r_by_owner = malloc(nr * sizeof(uint32_t));
    L->a_by_x = malloc(2 * nr * sizeof(*L->a_by_x));
    L->ptop = malloc(np * sizeof(*L->ptop));
    L->rtop = malloc(nr * sizeof(*L->rtop));
    if (!L->p_by_x || !L->p_by_owner || !L->r_by_owner || !L->a_by_x || !L->ptop || !L->rtop)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

static void
lin_release(struct lin *L)
{
    free(L->allp);
    free(L->allr);
    free(L->p_by_x);
    free(L->p_by_owner);
    free(L->r_by_owner);
    free(L->a_by_x);
    free(L->ptop);
    free(L->rtop);
    free(L->H);
}

/* ---- the sheet's frame: last shared number, anchors, sorted views ---- */

/* The one live parcel under key that matched its own key exactly, or NULL. */
static const struct lr_parcel *
exact_parcel(const struct lin *L, uint64_t key)
{
    const struct lr_match_view *v = L->v;
    size_t i = lr_keyed_lower(v->parcels, v->n_parcels, key);
    const struct lr_parcel *p;

    if (i >= v->n_parcels || v->parcels[i].key != key ||
        (i + 1 < v->n_parcels && v->parcels[i + 1].key == key))
        return NULL;
    p = &L->sh->parcels[v->parcels[i].idx];
    if (p->record < 0 || !lr_status_is_matched(p->status) || p->area_dm2 <= 0 ||
        lr_key_cmp(&p->key, &L->sh->records[p->record].key) != 0)
        return NULL;
    return p;
}

#define LIN_GAP 6 /* a longer break in the shared numbers ends the sheet's original run */

/* Where the sheet's original numbering ends: the last number of the first run of numbers both
 * sides hold and matched exactly, broken by no gap over LIN_GAP (-1 none). New numbers (split
 * children, renumbered and merged parcels) are given after it; numbers given later still (to
 * both sides) after a gap do not move it. */
static int32_t
last_shared(const struct lin *L)
{
    const struct lr_match_view *v = L->v;
    size_t lo = lr_keyed_lower(v->records, v->n_records, L->sheet << LR_KEY_PARCEL_BITS);
    size_t hi = lr_keyed_lower(v->records, v->n_records, (L->sheet + 1) << LR_KEY_PARCEL_BITS);
    int32_t last = -1;

    for (; lo < hi; lo++) {
        const struct lr_record *r = &L->sh->records[v->records[lo].idx];
        /* statuses of the exact join (an analyst's link under another key is rare and harmless) */
        if (r->parcel < 0 || r->status == LR_ST_RENUMBERED || r->status == LR_ST_SPLIT ||
            r->status == LR_ST_MERGED || !lr_status_is_matched(r->status))
            continue;
        if (last >= 0 && r->key.parcel - last > LIN_GAP)
            break;
        last = r->key.parcel;
    }
    return last;
}

static void
find_anchors(struct lin *L, struct lin_record *q)
{
    const struct lr_record *r = &L->sh->records[q->idx];
    uint64_t base = L->sheet << LR_KEY_PARCEL_BITS;

    q->n_anchor = 0;
    for (int dir = -1; dir <= 1; dir += 2)
        for (int d = 1; d <= LIN_STEPS; d++) {
            int64_t num = (int64_t)r->key.parcel + dir * d;
            const struct lr_parcel *p;
            if (num < 1 || num >= (1LL << LR_KEY_PARCEL_BITS))
                break;
            p = exact_parcel(L, base | (uint64_t)num);
            if (!p)
                continue;
            q->anchor[q->n_anchor++] =
                (struct lin_anchor){ p->ix, p->iy, lr_lin_root_m2(p->area_dm2), (int32_t)num };
            if (q->anchor[q->n_anchor - 1].root > L->max_root)
                L->max_root = q->anchor[q->n_anchor - 1].root;
            break;
        }
}

static int
cmp_p_x(const void *a, const void *b, void *arg)
{
    const struct lin *L = arg;
    const struct lin_parcel *x = &L->P[*(const uint32_t *)a];
    const struct lin_parcel *y = &L->P[*(const uint32_t *)b];

    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int
cmp_p_owner(const void *a, const void *b, void *arg)
{
    const struct lin *L = arg;
    uint64_t x = lr_lin_parcel_owner(&L->sh->parcels[L->P[*(const uint32_t *)a].idx]);
    uint64_t y = lr_lin_parcel_owner(&L->sh->parcels[L->P[*(const uint32_t *)b].idx]);

    if (x != y)
        return x < y ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int
cmp_r_owner(const void *a, const void *b, void *arg)
{
    const struct lin *L = arg;
    uint64_t x = L->R[*(const uint32_t *)a].owner;
    uint64_t y = L->R[*(const uint32_t *)b].owner;

    if (x != y)
        return x < y ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int
cmp_anchor_x(const void *a, const void *b)
{
    const struct lin_anchor_ref *x = a, *y = b;

    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    if (x->rec != y->rec)
        return x->rec < y->rec ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

static void
sheet_frame(struct lin *L)
{
    L->last_shared = last_shared(L);
    L->scale = L->sh->parcels[L->P[0].idx].scale;
    L->max_root = 0;
    L->na = 0;
    for (size_t i = 0; i < L->nr; i++) {
        find_anchors(L, &L->R[i]);
        for (int k = 0; k < L->R[i].n_anchor; k++)
            L->a_by_x[L->na++] =
                (struct lin_anchor_ref){ L->R[i].anchor[k].x, (uint32_t)i, (uint8_t)k };
    }
    for (size_t i = 0; i < L->np; i++)
        L->p_by_x[i] = L->p_by_owner[i] = (uint32_t)i;
    for (size_t i = 0; i < L->nr; i++)
        L->r_by_owner[i] = (uint32_t)i;
    qsort_r(L->p_by_x, L->np, sizeof(uint32_t), cmp_p_x, L);
    qsort_r(L->p_by_owner, L->np, sizeof(uint32_t), cmp_p_owner, L);
    qsort_r(L->r_by_owner, L->nr, sizeof(uint32_t), cmp_r_owner, L);
    qsort(L->a_by_x, L->na, sizeof(*L->a_by_x), cmp_anchor_x);
}

/* ---- candidates ---- */

/* Allowed difference for a register area on this sheet's map scale; -1 when it cannot be
 * computed (the pair is then never explained). */
static int64_t
tolerance(const struct lin *L, int64_t register_dm2)
{
    const struct lr_config *cfg = L->sh->cfg;
    struct lr_err e = { LR_OK, "" };
    int64_t t = -1;

    if (lr_money_tolerance_dm2(L->scale, register_dm2, cfg->tolerance_fraction_nano,
                               cfg->tolerance_regulation, &t, &e) != LR_OK)
        return -1;
    return t;
}

/* Insert (i, ratio) into the list c[0..*n) kept sorted by (ratio, i) with at most cap
 * entries; an entry for i already there keeps the smaller ratio. */
static void
cand_put(struct lin_cand *c, size_t *n, size_t cap, uint32_t i, double ratio)
{
    size_t k;

    for (k = 0; k < *n; k++)
        if (c[k].i == i) {
            if (ratio >= c[k].ratio)
                return;
            memmove(&c[k], &c[k + 1], (*n - k - 1) * sizeof(*c));
            (*n)--;
            break;
        }
    for (k = *n; k > 0 && (c[k - 1].ratio > ratio || (c[k - 1].ratio == ratio && c[k - 1].i > i));
         k--)
        if (k < cap)
            c[k] = c[k - 1];
    if (k >= cap)
        return;
    c[k] = (struct lin_cand){ i, ratio };
    if (*n < cap)
        (*n)++;
}

/* First position in p_by_x whose parcel lies at x or east of it. */
static size_t
p_lower_x(const struct lin *L, double x)
{
    size_t lo = 0, hi = L->np;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (L->P[L->p_by_x[mid]].x < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define LIN_SCAN 256 /* parcels looked at around one anchor */

/* Candidate parcels of record ri: near its anchors (scan outward in x, bounded), then the
 * ones with the same owner-name hash. Parcels larger than the record's area + tol are out. */
static size_t
record_cands(struct lin *L, uint32_t ri, int64_t tol, struct lin_cand *out)
{
    const struct lin_record *r = &L->R[ri];
    double root = lr_lin_root_m2(r->area);
    size_t n = 0, no = 0;
    struct lin_cand own[LIN_OWNER];

    for (int k = 0; k < r->n_anchor; k++) {
        const struct lin_anchor *a = &r->anchor[k];
        double reach = LIN_FAR * LIN_REACH * (root + a->root);
        size_t mid = p_lower_x(L, a->x), lo = mid, hi = mid;
        for (int s = 0; s < LIN_SCAN && (lo > 0 || hi < L->np); s++) {
            bool left = lo > 0 && (hi >= L->np ||
                                   a->x - L->P[L->p_by_x[lo - 1]].x < L->P[L->p_by_x[hi]].x - a->x);
            uint32_t c = left ? L->p_by_x[--lo] : L->p_by_x[hi++];
            double ratio;
            if (fabs(L->P[c].x - a->x) > reach)
                break;
            if (L->P[c].taken || L->P[c].area > r->area + tol)
                continue;
            ratio = lr_lin_ratio(&L->P[c], r, root);
            if (ratio <= LIN_FAR)
                cand_put(out, &n, LIN_CAND - LIN_OWNER, c, ratio);
        }
    }
    if (r->owner) {
        size_t lo = 0, hi = L->np;
        while (lo < hi) {
            size_t m = lo + (hi - lo) / 2;
            if (lr_lin_parcel_owner(&L->sh->parcels[L->P[L->p_by_owner[m]].idx]) < r->owner)
                lo = m + 1;
            else
                hi = m;
        }
        for (; lo < L->np && no < LIN_OWNER; lo++) {
            uint32_t c = L->p_by_owner[lo];
            if (lr_lin_parcel_owner(&L->sh->parcels[L->P[c].idx]) != r->owner)
                break;
            if (!L->P[c].taken && L->P[c].area <= r->area + tol)
                cand_put(own, &no, LIN_OWNER, c, lr_lin_ratio(&L->P[c], r, root));
        }
    }
    for (size_t k = 0; k < no; k++)
        cand_put(out, &n, LIN_CAND, own[k].i, own[k].ratio);
    return n;
}

/* Candidate records of parcel pi (for merges): whose anchors lie near it, then the ones with
 * its owner-name hash. Records larger than the parcel's area + tol are out. */
static size_t
parcel_cands(struct lin *L, uint32_t pi, int64_t tol, struct lin_cand *out)
{
    const struct lin_parcel *p = &L->P[pi];
    uint64_t owner = lr_lin_parcel_owner(&L->sh->parcels[p->idx]);
    double reach = LIN_FAR * LIN_REACH * (p->root + L->max_root);
    size_t lo = 0, hi = L->na, n = 0, no = 0;
    struct lin_cand own[LIN_OWNER];

    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (L->a_by_x[m].x < p->x)
            lo = m + 1;
        else
            hi = m;
    }
    hi = lo;
    for (int s = 0; s < 2 * LIN_SCAN && (lo > 0 || hi < L->na); s++) {
        bool left = lo > 0 && (hi >= L->na || p->x - L->a_by_x[lo - 1].x < L->a_by_x[hi].x - p->x);
        const struct lin_anchor_ref *a = left ? &L->a_by_x[--lo] : &L->a_by_x[hi++];
        const struct lin_record *r = &L->R[a->rec];
        double ratio;
        if (fabs(a->x - p->x) > reach)
            break;
        if (r->taken || r->area > p->area + tol)
            continue;
        ratio = lr_lin_ratio(p, r, p->root);
        if (ratio <= LIN_FAR)
            cand_put(out, &n, LIN_CAND - LIN_OWNER, a->rec, ratio);
    }
    if (owner) {
        lo = 0;
        hi = L->nr;
        while (lo < hi) {
            size_t m = lo + (hi - lo) / 2;
            if (L->R[L->r_by_owner[m]].owner < owner)
                lo = m + 1;
            else
                hi = m;
        }
        for (; lo < L->nr && no < LIN_OWNER && L->R[L->r_by_owner[lo]].owner == owner; lo++) {
            const struct lin_record *r = &L->R[L->r_by_owner[lo]];
            if (!r->taken && r->area <= p->area + tol)
                cand_put(own, &no, LIN_OWNER, L->r_by_owner[lo], lr_lin_ratio(p, r, p->root));
        }
    }
    for (size_t k = 0; k < no; k++)
        cand_put(out, &n, LIN_CAND, own[k].i, own[k].ratio);
    return n;
}

/* May h be taken at all: enough evidence, corroborated, and no analyst's unlink against it? */
static bool
eligible(struct lin *L, const struct lin_hyp *h)
{
    bool veto = false;

    if (h->score < LIN_MIN_SCORE || !(h->ev & (EV_NEAR | EV_OWNER_AGREE)))
        return false;
    for (int k = 0; k < h->n; k++) {
        const struct lin_parcel *p;
        const struct lin_record *r;
        lr_lin_member_pair(L, h, k, &p, &r);
        veto |= lr_corrections_unlinked(L->corr, p->idx, r->idx);
    }
    return !veto;
}

static enum lr_rc
push_hyp(struct lin *L, const struct lin_hyp *h, struct lr_err *err)
{
    if (L->nh >= LIN_MAX_HYP)
        return LR_OK; /* bounded: an extreme sheet keeps its first hypotheses */
    if (L->nh == L->caph) {
        size_t ncap = L->caph ? L->caph * 2 : 64;
        struct lin_hyp *H = realloc(L->H, ncap * sizeof(*H));
        if (!H)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        L->H = H;
        L->caph = ncap;
    }
    L->H[L->nh++] = *h;
    return LR_OK;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Score the hypothesis (one, members) and keep it when eligible. */
static enum lr_rc
consider(struct lin *L, enum lr_relation rel, uint32_t one, const uint32_t *m, int n,
         int64_t one_area, int64_t sum_area, int64_t tol, struct lr_err *err)
{
    struct lin_hyp h;

    memset(&h, 0, sizeof(h));
    h.rel = rel;
    h.one = one;
    h.n = (uint8_t)n;
    memcpy(h.many, m, (size_t)n * sizeof(*m));
    qsort(h.many, (size_t)n, sizeof(*h.many), cmp_u32);
    h.one_area = one_area;
    h.sum_area = sum_area;
    h.tol = tol;
    lr_lin_score(L, &h);
    return eligible(L, &h) ? push_hyp(L, &h, err) : LR_OK;
}

/* ---- hypotheses ---- */

static int64_t
absdiff(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

/* Renumbered (one parcel) and split (2-3 parcels) hypotheses of record ri. */
static enum lr_rc
record_hyps(struct lin *L, uint32_t ri, struct lr_err *err)
{
    const struct lin_record *r = &L->R[ri];
    struct lin_cand c[LIN_CAND];
    int64_t tol = tolerance(L, r->area);
    enum lr_rc rc = LR_OK;
    size_t n;

    if (tol < 0)
        return LR_OK;
    n = record_cands(L, ri, tol, c);
    for (size_t i = 0; rc == LR_OK && i < n; i++) {
        int64_t a = L->P[c[i].i].area;
        uint32_t m[3] = { c[i].i, 0, 0 };
        if (absdiff(a, r->area) <= tol)
            rc = consider(L, LR_REL_RENUMBERED, ri, m, 1, r->area, a, tol, err);
        for (size_t j = i + 1; rc == LR_OK && j < n; j++) {
            int64_t b = a + L->P[c[j].i].area;
            m[1] = c[j].i;
            if (absdiff(b, r->area) <= tol)
                rc = consider(L, LR_REL_SPLIT, ri, m, 2, r->area, b, tol, err);
            for (size_t k = j + 1; rc == LR_OK && k < n && b < r->area + tol; k++) {
                int64_t t = b + L->P[c[k].i].area;
                m[2] = c[k].i;
                if (absdiff(t, r->area) <= tol)
                    rc = consider(L, LR_REL_SPLIT, ri, m, 3, r->area, t, tol, err);
            }
        }
    }
    return rc;
}

/* A merge of records m[0..n) into parcel pi, when their register areas sum to its area. */
static enum lr_rc
merge_check(struct lin *L, uint32_t pi, const uint32_t *m, int n, int64_t sum, int64_t tmax,
            struct lr_err *err)
{
    int64_t area = L->P[pi].area, tol;

    if (absdiff(sum, area) > tmax)
        return LR_OK;
    tol = tolerance(L, sum);
    if (tol < 0 || absdiff(sum, area) > tol)
        return LR_OK;
    return consider(L, LR_REL_MERGED, pi, m, n, area, sum, tol, err);
}

/* Merged hypotheses of parcel pi (2-3 records). */
static enum lr_rc
parcel_hyps(struct lin *L, uint32_t pi, struct lr_err *err)
{
    struct lin_cand c[LIN_CAND];
    int64_t area = L->P[pi].area, tmax = tolerance(L, 2 * area);
    enum lr_rc rc = LR_OK;
    size_t n;

    if (tmax < 0)
        return LR_OK;
    n = parcel_cands(L, pi, tmax, c);
    for (size_t i = 0; rc == LR_OK && i < n; i++)
        for (size_t j = i + 1; rc == LR_OK && j < n; j++) {
            int64_t b = L->R[c[i].i].area + L->R[c[j].i].area;
            uint32_t m[3] = { c[i].i, c[j].i, 0 };
            rc = merge_check(L, pi, m, 2, b, tmax, err);
            for (size_t k = j + 1; rc == LR_OK && k < n && b < area + tmax; k++) {
                m[2] = c[k].i;
                rc = merge_check(L, pi, m, 3, b + L->R[c[k].i].area, tmax, err);
            }
        }
    return rc;
}

/* ---- choosing ---- */

/* Parcels and records of h, sheet-local. */
static void
members(const struct lin_hyp *h, uint32_t *ps, int *nps, uint32_t *rs, int *nrs)
{
    bool merged = h->rel == LR_REL_MERGED;

    *nps = merged ? 1 : h->n;
    *nrs = merged ? h->n : 1;
    memcpy(merged ? rs : ps, h->many, (size_t)h->n * sizeof(*h->many));
    (merged ? ps : rs)[0] = h->one;
}

static void
top_put(struct lin_top *t, int score, size_t h)
{
    if (score > t->s1) {
        t->s2 = t->s1;
        t->s1 = score;
        t->h1 = h;
    } else if (score > t->s2) {
        t->s2 = score;
    }
}

static int
top_other(const struct lin_top *t, size_t h)
{
    return t->h1 == h ? t->s2 : t->s1;
}

/* Best score of another eligible hypothesis sharing a member, for each hypothesis. */
static void
competitors(struct lin *L)
{
    uint32_t ps[3], rs[3];
    int nps, nrs;

    for (size_t i = 0; i < L->np; i++)
        L->ptop[i] = (struct lin_top){ -1000, -1000, SIZE_MAX };
    for (size_t i = 0; i < L->nr; i++)
        L->rtop[i] = (struct lin_top){ -1000, -1000, SIZE_MAX };
    for (size_t h = 0; h < L->nh; h++) {
        members(&L->H[h], ps, &nps, rs, &nrs);
        for (int k = 0; k < nps; k++)
            top_put(&L->ptop[ps[k]], L->H[h].score, h);
        for (int k = 0; k < nrs; k++)
            top_put(&L->rtop[rs[k]], L->H[h].score, h);
    }
    for (size_t h = 0; h < L->nh; h++) {
        int best = -1000;
        members(&L->H[h], ps, &nps, rs, &nrs);
        for (int k = 0; k < nps; k++)
            best = top_other(&L->ptop[ps[k]], h) > best ? top_other(&L->ptop[ps[k]], h) : best;
        for (int k = 0; k < nrs; k++)
            best = top_other(&L->rtop[rs[k]], h) > best ? top_other(&L->rtop[rs[k]], h) : best;
        L->H[h].competitor = best;
    }
}

static int
cmp_hyp(const void *a, const void *b)
{
    const struct lin_hyp *x = a, *y = b;

    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->rel != y->rel)
        return x->rel < y->rel ? -1 : 1;
    if (x->one != y->one)
        return x->one < y->one ? -1 : 1;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    for (int k = 0; k < x->n; k++)
        if (x->many[k] != y->many[k])
            return x->many[k] < y->many[k] ? -1 : 1;
    return 0;
}

static bool
free_members(const struct lin *L, const struct lin_hyp *h)
{
    uint32_t ps[3], rs[3];
    int nps, nrs;

    members(h, ps, &nps, rs, &nrs);
    for (int k = 0; k < nps; k++)
        if (L->P[ps[k]].taken)
            return false;
    for (int k = 0; k < nrs; k++)
        if (L->R[rs[k]].taken)
            return false;
    return true;
}

/* ---- explaining ---- */

static enum lr_status
relation_status(enum lr_relation rel)
{
    return rel == LR_REL_RENUMBERED ? LR_ST_RENUMBERED
           : rel == LR_REL_SPLIT    ? LR_ST_SPLIT
                                    : LR_ST_MERGED;
}

/* Take h: statuses and links on both sides, a finding and a lineage row per link. */
static enum lr_rc
apply_hyp(struct lin *L, struct lin_hyp *h, struct lr_err *err)
{
    enum lr_status st = relation_status(h->rel);
    int conf = h->score > 100 ? 100 : h->score;
    enum lr_rc rc = LR_OK;
    char *text;

    if (h->competitor >= h->score - LIN_AMBIGUITY) {
        h->ev |= EV_AMBIGUOUS; /* into the review band: at most 0.70 */
        conf = conf * 7 / 10 < 1 ? 1 : conf * 7 / 10;
    }
    text = lr_lin_evidence_text(L, h, conf);
    if (!text)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (int k = 0; rc == LR_OK && k < h->n; k++) {
        const struct lin_parcel *lp;
        const struct lin_record *lr;
        lr_lin_member_pair(L, h, k, &lp, &lr);
        struct lr_parcel *p = &L->sh->parcels[lp->idx];
        struct lr_record *r = &L->sh->records[lr->idx];
        p->status = r->status = st;
        if (h->rel == LR_REL_MERGED || k == 0)
            r->parcel = (int64_t)lp->idx;
        if (h->rel != LR_REL_MERGED || k == 0)
            p->record = (int64_t)lr->idx;
        p->confidence_pct = conf;
        p->tol_dm2 = h->tol;
        p->area_ok = h->rel == LR_REL_RENUMBERED && absdiff(h->one_area, h->sum_area) <= h->tol;
        rc = lr_shard_add_finding(L->sh, (int64_t)lp->idx, (int64_t)lr->idx, st, text);
        if (rc == LR_OK)
            rc =
                lr_shard_add_lineage(L->sh, (int64_t)lr->idx, (int64_t)lp->idx, h->rel, conf, text);
    }
    free(text);
    return rc == LR_OK ? LR_OK : lr_err_set(err, rc, "out of memory");
}

static enum lr_rc
explain_sheet(struct lin *L, size_t *taken, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    sheet_frame(L);
    L->nh = 0;
    for (uint32_t i = 0; rc == LR_OK && i < L->nr; i++)
        rc = record_hyps(L, i, err);
    for (uint32_t i = 0; rc == LR_OK && i < L->np; i++)
        rc = parcel_hyps(L, i, err);
    if (rc != LR_OK || !L->nh)
        return rc;
    competitors(L);
    qsort(L->H, L->nh, sizeof(*L->H), cmp_hyp);
    for (size_t h = 0; rc == LR_OK && h < L->nh; h++) {
        uint32_t ps[3], rs[3];
        int nps, nrs;
        if (!free_members(L, &L->H[h]))
            continue;
        members(&L->H[h], ps, &nps, rs, &nrs);
        for (int k = 0; k < nps; k++)
            L->P[ps[k]].taken = true;
        for (int k = 0; k < nrs; k++)
            L->R[rs[k]].taken = true;
        rc = apply_hyp(L, &L->H[h], err);
        taken[L->H[h].rel]++;
    }
    return rc;
}

static uint64_t
parcel_sheet(const struct lin *L, size_t i)
{
    return lr_key_sheet_of(lr_key_pack(&L->sh->parcels[L->allp[i].idx].key));
}

static uint64_t
record_sheet(const struct lin *L, size_t i)
{
    return lr_key_sheet_of(lr_key_pack(&L->sh->records[L->allr[i].idx].key));
}

enum lr_rc
lr_lineage_explain(struct lr_shard *sh, const struct lr_match_view *v, struct lr_geom_ctx *g,
                   struct lr_corrections *corr, struct lr_err *err)
{
    struct lin L;
    size_t a = 0, b = 0, taken[4] = { 0 };
    enum lr_rc rc;

    memset(&L, 0, sizeof(L));
    L.sh = sh;
    L.v = v;
    L.g = g;
    L.corr = corr;
    rc = collect(&L, err);
    if (rc == LR_OK)
        rc = alloc_scratch(&L, err);
    while (rc == LR_OK && a < L.n_allp && b < L.n_allr) {
        uint64_t sp = parcel_sheet(&L, a), sr = record_sheet(&L, b);
        size_t a2 = a, b2 = b;
        while (a2 < L.n_allp && parcel_sheet(&L, a2) == (sp < sr ? sp : sr))
            a2++;
        while (b2 < L.n_allr && record_sheet(&L, b2) == (sp < sr ? sp : sr))
            b2++;
        if (sp == sr) {
            L.sheet = sp;
            L.P = L.allp + a;
            L.np = a2 - a;
            L.R = L.allr + b;
            L.nr = b2 - b;
            rc = explain_sheet(&L, taken, err);
        }
        a = a2;
        b = b2;
    }
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "match", NULL,
               "lineage: %zu renumbered, %zu split, %zu merged (of %zu map-only parcels and "
               "%zu register-only records)",
               taken[LR_REL_RENUMBERED], taken[LR_REL_SPLIT], taken[LR_REL_MERGED], L.n_allp,
               L.n_allr);
    lin_release(&L);
    return rc;
}
