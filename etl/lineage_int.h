/* lineage_int.h - private to the lineage pass (lineage.c: candidates, hypotheses, choice;
 * lineage_evidence.c: evidence, scores and texts). See lineage.h for the contract. */
#ifndef LR_LINEAGE_INT_H
#define LR_LINEAGE_INT_H

#include "lineage.h"

#include <math.h>

#define LIN_STEPS     3    /* key neighbours looked at each way */
#define LIN_CAND      12   /* candidates per record / parcel */
#define LIN_OWNER     6    /* of which found by owner-name hash */
#define LIN_MAX_HYP   8192 /* eligible hypotheses kept per sheet */
#define LIN_MIN_SCORE 60
#define LIN_AMBIGUITY 10  /* a competitor this close makes the choice ambiguous */
#define LIN_REACH     1.5 /* near: within 1.5 x (sqrt(area) + sqrt(neighbour's area)) */
#define LIN_FAR       2.0 /* far: beyond twice that */
#define LIN_ADJOIN_M  0.5 /* envelopes this close count as adjoining */

enum {
    EV_LU_AGREE = 1 << 0,
    EV_LU_DIFFER = 1 << 1,
    EV_AFTER_MAX = 1 << 2,
    EV_NEAR = 1 << 3,
    EV_FAR = 1 << 4,
    EV_OWNER_AGREE = 1 << 5,
    EV_OWNER_DIFFER = 1 << 6,
    EV_ADJOIN = 1 << 7,
    EV_APART = 1 << 8,
    EV_AMBIGUOUS = 1 << 9,
    EV_LU_SOME = 1 << 10,    /* merged: some records' land use is the parcel's */
    EV_OWNER_SOME = 1 << 11, /* merged: some records' owner names agree */
};

/* An unmatched map parcel. */
struct lin_parcel {
    size_t idx;
    int64_t area;      /* dm2 */
    double x, y, root; /* interior point; sqrt(area in m2) */
    double env[4];     /* minx, miny, maxx, maxy */
    bool has_env, taken;
};

/* Where a record's key neighbour lies on the map. */
struct lin_anchor {
    double x, y, root;
    int32_t num;
};

/* An unmatched register record. */
struct lin_record {
    size_t idx;
    int64_t area;
    uint64_t owner; /* 0: no owner name */
    int n_anchor;
    struct lin_anchor anchor[2];
    bool taken;
};

struct lin_hyp {
    enum lr_relation rel;
    int score, competitor;
    uint32_t one;     /* record (renumbered, split) or parcel (merged), sheet-local */
    uint32_t many[3]; /* parcels (renumbered, split) or records (merged), ascending */
    uint8_t n;
    uint16_t ev;
    int8_t closeness; /* near: 0..10, how close to the neighbours (mean over the members) */
    int64_t one_area, sum_area, tol;
};

/* A candidate with its position ratio (distance / reach; HUGE_VAL unknown). */
struct lin_cand {
    uint32_t i;
    double ratio;
};

/* Anchor of record rec, for sweeps over x. */
struct lin_anchor_ref {
    double x;
    uint32_t rec;
    uint8_t k;
};

/* Best scores of eligible hypotheses holding one member. */
struct lin_top {
    int s1, s2;
    size_t h1;
};

struct lin {
    struct lr_shard *sh;
    const struct lr_match_view *v;
    struct lr_geom_ctx *g;
    struct lr_corrections *corr;
    struct lin_parcel *allp;
    struct lin_record *allr;
    size_t n_allp, n_allr;
    /* the sheet being explained */
    uint64_t sheet;
    int32_t last_shared, scale;
    struct lin_parcel *P;
    struct lin_record *R;
    size_t np, nr;
    uint32_t *p_by_x, *p_by_owner, *r_by_owner; /* sheet-local indices, sorted */
    struct lin_anchor_ref *a_by_x;
    size_t na;
    struct lin_top *ptop, *rtop;
    struct lin_hyp *H;
    size_t nh, caph;
    double max_root;
};

static inline uint64_t
lr_lin_parcel_owner(const struct lr_parcel *p)
{
    return p->has_owner ? (p->owner_hash ? p->owner_hash : 1) : 0;
}

static inline double
lr_lin_root_m2(int64_t dm2)
{
    return sqrt((double)dm2 / 10.0);
}

/* Distance of parcel c to the nearest anchor of r over the reach (root_one: sqrt(m2) of the
 * land the anchors border); HUGE_VAL when r has no anchors. */
double lr_lin_ratio(const struct lin_parcel *c, const struct lin_record *r, double root_one);
/* The parcel and the record of member k of h (the pair the evidence compares). */
void lr_lin_member_pair(const struct lin *L, const struct lin_hyp *h, int k,
                        const struct lin_parcel **p, const struct lin_record **r);
/* Evidence flags and score of h (its members, areas and tolerance set). */
void lr_lin_score(const struct lin *L, struct lin_hyp *h);
/* Evidence text of h at confidence conf (percent); caller frees; NULL on out of memory. */
char *lr_lin_evidence_text(const struct lin *L, const struct lin_hyp *h, int conf);

#endif
