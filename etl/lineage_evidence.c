/* lineage_evidence.c - the lineage pass's evidence: land use, owner names, position against
 * the key neighbours, numbers after the sheet's shared numbering, adjoining pieces; the
 * score they add up to, and the text a person reads (see lineage.c). Never owner data: names
 * are compared by hash and reported as agree/differ only. */
#include "lineage_int.h"
#include "money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double
lr_lin_ratio(const struct lin_parcel *c, const struct lin_record *r, double root_one)
{
    double best = HUGE_VAL;

    for (int k = 0; k < r->n_anchor; k++) {
        const struct lin_anchor *a = &r->anchor[k];
        double d = hypot(c->x - a->x, c->y - a->y) / (LIN_REACH * (root_one + a->root));
        if (d < best)
            best = d;
    }
    return best;
}

/* ---- evidence and scores ---- */

void
lr_lin_member_pair(const struct lin *L, const struct lin_hyp *h, int k, const struct lin_parcel **p,
                   const struct lin_record **r)
{
    if (h->rel == LR_REL_MERGED) {
        *p = &L->P[h->one];
        *r = &L->R[h->many[k]];
    } else {
        *p = &L->P[h->many[k]];
        *r = &L->R[h->one];
    }
}

/* Land use and owner names, pair by pair: agree when every known pair agrees. */
static void
attribute_ev(const struct lin *L, struct lin_hyp *h)
{
    int lu_same = 0, lu_diff = 0, ow_same = 0, ow_diff = 0;

    for (int k = 0; k < h->n; k++) {
        const struct lin_parcel *p;
        const struct lin_record *r;
        const char *pl, *rl;
        uint64_t po;
        lr_lin_member_pair(L, h, k, &p, &r);
        pl = L->sh->parcels[p->idx].land_use;
        rl = L->sh->records[r->idx].land_use;
        po = lr_lin_parcel_owner(&L->sh->parcels[p->idx]);
        if (pl && rl)
            *(strcmp(pl, rl) == 0 ? &lu_same : &lu_diff) += 1;
        if (po && r->owner)
            *(po == r->owner ? &ow_same : &ow_diff) += 1;
    }
    h->ev |= lu_same && !lu_diff ? EV_LU_AGREE : lu_diff && !lu_same ? EV_LU_DIFFER : 0;
    h->ev |= ow_same && !ow_diff ? EV_OWNER_AGREE : ow_diff && !ow_same ? EV_OWNER_DIFFER : 0;
    /* A merged parcel keeps one use and one owner: some of its records agreeing is evidence;
     * split pieces and renumbered parcels must agree throughout. */
    if (h->rel == LR_REL_MERGED) {
        h->ev |= lu_same && lu_diff ? EV_LU_SOME : 0;
        h->ev |= ow_same && ow_diff ? EV_OWNER_SOME : 0;
    } else if (lu_same && lu_diff) {
        h->ev |= EV_LU_DIFFER;
    }
}

/* Position against the key neighbours: near when the land lies beside where the record's
 * neighbours are on the map (closeness grades how close, for choosing among look-alikes), far
 * when clearly elsewhere. */
static void
position_ev(const struct lin *L, struct lin_hyp *h)
{
    double lo = HUGE_VAL, hi = 0, sum = 0;
    int anchored = 0;

    for (int k = 0; k < h->n; k++) {
        const struct lin_parcel *p;
        const struct lin_record *r;
        double ratio;
        lr_lin_member_pair(L, h, k, &p, &r);
        if (!r->n_anchor)
            continue;
        anchored++;
        ratio = lr_lin_ratio(p, r, h->rel == LR_REL_MERGED ? p->root : lr_lin_root_m2(r->area));
        lo = ratio < lo ? ratio : lo;
        hi = ratio > hi ? ratio : hi;
        sum += ratio < 1.0 ? ratio : 1.0;
    }
    if (!anchored)
        return;
    if (h->rel == LR_REL_MERGED)
        h->ev |= hi <= 1.0 ? EV_NEAR : hi > LIN_FAR ? EV_FAR : 0;
    else
        h->ev |= lo <= 1.0 && hi <= LIN_FAR ? EV_NEAR : lo > LIN_FAR ? EV_FAR : 0;
    if (h->ev & EV_NEAR)
        h->closeness = (int8_t)(10.0 * (1.0 - sum / anchored) + 0.5);
}

static bool
env_touch(const struct lin_parcel *a, const struct lin_parcel *b)
{
    return a->env[0] <= b->env[2] + LIN_ADJOIN_M && b->env[0] <= a->env[2] + LIN_ADJOIN_M &&
           a->env[1] <= b->env[3] + LIN_ADJOIN_M && b->env[1] <= a->env[3] + LIN_ADJOIN_M;
}

/* Split pieces: do their outlines (envelopes) connect? */
static void
adjoin_ev(const struct lin *L, struct lin_hyp *h)
{
    const struct lin_parcel *c[3];
    int links = 0;

    if (h->rel != LR_REL_SPLIT)
        return;
    for (int k = 0; k < h->n; k++) {
        c[k] = &L->P[h->many[k]];
        if (!c[k]->has_env)
            return;
    }
    for (int i = 0; i < h->n; i++)
        for (int j = i + 1; j < h->n; j++)
            links += env_touch(c[i], c[j]);
    /* two pieces: one link; three pieces: connected needs two links of the three */
    h->ev |= links >= h->n - 1 ? EV_ADJOIN : EV_APART;
}

/* Points (a hypothesis needs LIN_MIN_SCORE = 60, corroborated by position or owner names; the
 * confidence is the score capped at 100, into the review band below min_confidence):
 *   area (sum) within tolerance        40 .. 50 (closer, more)
 *   land use agrees / some / differs   +15 / +5 (merged) / -25
 *   new numbers after the shared run   +10
 *   near the key neighbours / far      +20 .. +30 (closer, more) / -30
 *   owner names agree / some / differ  +20 / +10 (merged) / -40
 *   split pieces adjoin / apart        +10 / -20
 *   each member beyond the first       -3 (the simpler explanation first) */
void
lr_lin_score(const struct lin *L, struct lin_hyp *h)
{
    int64_t diff =
        h->one_area > h->sum_area ? h->one_area - h->sum_area : h->sum_area - h->one_area;
    bool after = L->last_shared >= 0;
    int s;

    attribute_ev(L, h);
    position_ev(L, h);
    adjoin_ev(L, h);
    for (int k = 0; k < (h->rel == LR_REL_MERGED ? 1 : h->n); k++) {
        uint32_t pi = h->rel == LR_REL_MERGED ? h->one : h->many[k];
        after = after && L->sh->parcels[L->P[pi].idx].key.parcel > L->last_shared;
    }
    h->ev |= after ? EV_AFTER_MAX : 0;
    s = 40 + (h->tol > 0 ? (int)(10 * (h->tol - diff) / h->tol) : 10);
    s += h->ev & EV_LU_AGREE ? 15 : h->ev & EV_LU_SOME ? 5 : h->ev & EV_LU_DIFFER ? -25 : 0;
    s += h->ev & EV_AFTER_MAX ? 10 : 0;
    s += h->ev & EV_NEAR ? 20 + h->closeness : h->ev & EV_FAR ? -30 : 0;
    s += h->ev & EV_OWNER_AGREE    ? 20
         : h->ev & EV_OWNER_SOME   ? 10
         : h->ev & EV_OWNER_DIFFER ? -40
                                   : 0;
    s += h->ev & EV_ADJOIN ? 10 : h->ev & EV_APART ? -20 : 0;
    h->score = s - 3 * (h->n - 1);
}

/* ---- evidence text ---- */

static void
add_key(struct lr_buf *b, const struct lr_key *k, const char *sep)
{
    char s[LR_KEY_STR_MAX];

    lr_key_format(k, s);
    lr_buf_adds(b, sep);
    lr_buf_adds(b, s);
}

/* "register A is map B" part and the areas. */
static void
text_head(const struct lin *L, const struct lin_hyp *h, struct lr_buf *b)
{
    static const char *const verb[] = { "", " renumbered as map", " split into map",
                                        " merged into map" };
    const struct lr_config *cfg = L->sh->cfg;
    bool merged = h->rel == LR_REL_MERGED;
    char one[32], sum[32], tol[32];

    lr_buf_adds(b, "register");
    for (int k = 0; k < (merged ? h->n : 1); k++)
        add_key(b, &L->sh->records[L->R[merged ? h->many[k] : h->one].idx].key, k ? ", " : " ");
    lr_buf_adds(b, verb[h->rel]);
    for (int k = 0; k < (merged ? 1 : h->n); k++)
        add_key(b, &L->sh->parcels[L->P[merged ? h->one : h->many[k]].idx].key, k ? ", " : " ");
    lr_money_format_area(h->one_area, one, sizeof(one));
    lr_money_format_area(h->sum_area, sum, sizeof(sum));
    lr_money_format_area(h->tol, tol, sizeof(tol));
    if (merged)
        lr_buf_addf(b, ": register %s m2 in all, map %s m2", sum, one);
    else if (h->n > 1)
        lr_buf_addf(b, ": register %s m2, map pieces %s m2 in all", one, sum);
    else
        lr_buf_addf(b, ": register %s m2, map %s m2", one, sum);
    lr_buf_addf(b, ", tolerance %s m2", tol);
    if (cfg->tolerance_regulation)
        lr_buf_addf(b, " at 1:%d", (int)L->scale);
}

/* The record's key neighbours that place the land (numbers only, each once). */
static void
text_anchors(const struct lin *L, const struct lin_hyp *h, struct lr_buf *b)
{
    int32_t seen[6];
    int n = 0;

    for (int k = 0; k < h->n; k++) {
        const struct lin_parcel *p;
        const struct lin_record *r;
        lr_lin_member_pair(L, h, k, &p, &r);
        for (int a = 0; a < r->n_anchor; a++) {
            bool dup = false;
            for (int s = 0; s < n; s++)
                dup |= seen[s] == r->anchor[a].num;
            if (!dup && n < 6) {
                lr_buf_addf(b, "%s%d", n ? ", " : "; lies beside ", (int)r->anchor[a].num);
                seen[n++] = r->anchor[a].num;
            }
        }
        if (h->rel != LR_REL_MERGED)
            break;
    }
    lr_buf_adds(b, ", where the register's neighbouring numbers lie on the map");
}

/* Evidence text a person understands; never owner data (names agree: yes/no only). */
char *
lr_lin_evidence_text(const struct lin *L, const struct lin_hyp *h, int conf)
{
    const struct lr_parcel *p0 =
        &L->sh->parcels[L->P[h->rel == LR_REL_MERGED ? h->one : h->many[0]].idx];
    const struct lr_record *r0 =
        &L->sh->records[L->R[h->rel == LR_REL_MERGED ? h->many[0] : h->one].idx];
    struct lr_buf b;

    lr_buf_init(&b);
    text_head(L, h, &b);
    if (h->ev & EV_LU_AGREE)
        lr_buf_addf(&b, "; land use %s on both sides", p0->land_use);
    if (h->ev & EV_LU_SOME)
        lr_buf_addf(&b, "; land use %s on the map and on some of the records", p0->land_use);
    if (h->ev & EV_LU_DIFFER)
        lr_buf_addf(&b, "; land use differs (register %s, map %s)",
                    r0->land_use ? r0->land_use : "-", p0->land_use ? p0->land_use : "-");
    if (h->ev & EV_AFTER_MAX)
        lr_buf_addf(&b, "; map numbers come after the sheet's shared numbering (to %d)",
                    (int)L->last_shared);
    if (h->ev & EV_NEAR)
        text_anchors(L, h, &b);
    if (h->ev & EV_FAR)
        lr_buf_adds(&b, "; far from where the register's neighbouring numbers lie");
    if (h->ev & (EV_OWNER_AGREE | EV_OWNER_DIFFER))
        lr_buf_addf(&b, "; owner names %s", h->ev & EV_OWNER_AGREE ? "agree" : "differ");
    if (h->ev & EV_OWNER_SOME)
        lr_buf_adds(&b, "; owner names agree for some of the records");
    if (h->ev & (EV_ADJOIN | EV_APART))
        lr_buf_addf(&b, "; the pieces %s", h->ev & EV_ADJOIN ? "adjoin" : "do not adjoin");
    if (h->ev & EV_AMBIGUOUS)
        lr_buf_adds(&b, "; another explanation scores nearly as well: review");
    lr_buf_addf(&b, "; confidence %d.%02d", conf / 100, conf % 100);
    return lr_buf_detach(&b);
}
