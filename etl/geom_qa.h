/* geom_qa.h - geometry QA across parcels: overlaps between the parcels of one map, gaps in the
 * parcel coverage of one new commune. Each function works on one group of parcels and writes
 * into lists the caller owns, so that groups can run on different threads (each with its own
 * GEOS context) and the lists be merged in a fixed order afterwards.
 *
 * Thread rules: the parcels of a group, and the areas given with it, are used by one thread at a
 * time; the rest of the shard is only read. */
#ifndef LR_GEOM_QA_H
#define LR_GEOM_QA_H

#include "core.h"
#include "geom.h"
#include "model.h"

/* ---- issue lists ---- */
struct lr_qa_issues {
    struct lr_issue *v;
    size_t n, cap;
};

void lr_qa_issues_init(struct lr_qa_issues *l);
void lr_qa_issues_release(struct lr_qa_issues *l);
/* Append an issue; detail is copied, wkb_hex (may be NULL) is taken over even on failure. */
enum lr_rc lr_qa_issues_add(struct lr_qa_issues *l, int64_t parcel, enum lr_issue_class cls,
                            double x, double y, const char *detail, char *wkb_hex);
/* Move every issue of src to the end of dst; src is left empty. */
enum lr_rc lr_qa_issues_take(struct lr_qa_issues *dst, struct lr_qa_issues *src);
/* Sort by parcel index, class, detail and place: one order whatever the thread count. */
void lr_qa_issues_sort(struct lr_qa_issues *l);
/* Move every issue of l into sh->issues, in l's order, setting the parcels' issue bits; l is
 * left empty. */
enum lr_rc lr_qa_issues_flush(struct lr_qa_issues *l, struct lr_shard *sh, struct lr_err *err);

/* ---- overlaps ---- */

/* Overlaps among parcels idx[0..n) (one map: one old commune). Candidate pairs come from an
 * STRtree of the parcels; a pair is measured with GEOS only when their interiors meet
 * (geom_rings.h), so neighbours that merely share edges cost no overlay. An overlap larger than
 * min_m2 becomes an `overlap` issue on each of the two parcels, naming the other, with the
 * overlap polygon (hex WKB) and a point inside it; near-identical pairs (overlap >= 95 % of
 * both) are reported as duplicated geometry. Parcels without geometry or marked unrepairable
 * are skipped. */
enum lr_rc lr_qa_overlaps(struct lr_geom_ctx *g, const struct lr_shard *sh, const size_t *idx,
                          size_t n, double min_m2, struct lr_qa_issues *out, struct lr_err *err);

/* ---- gaps ---- */

/* A gap found in one group, before the parcels of other groups are taken away. */
struct lr_qa_gap {
    void *geom;       /* the gap polygon, owned */
    int32_t group;    /* the group's code (new commune) */
    int64_t parcel;   /* the adjacent parcel sharing the longest boundary with it, -1 none */
    char beside[192]; /* "25195-3-17 (8.1 m), 25195-3-30 (3.2 m)" */
};

struct lr_qa_gaps {
    struct lr_qa_gap *v;
    size_t n, cap;
};

void lr_qa_gaps_init(struct lr_qa_gaps *l);
void lr_qa_gaps_release(struct lr_qa_gaps *l);
/* Move every gap of src to the end of dst; src is left empty. */
enum lr_rc lr_qa_gaps_take(struct lr_qa_gaps *dst, struct lr_qa_gaps *src);

/* Gaps in the coverage of parcels idx[0..n) (one new commune, code group): the faces of the
 * edges that matter (geom_rings.h: the parcels' edges and the areas' edges that do not cancel),
 * noded and polygonized, that are larger than min_m2, lie inside one of areas[0..nareas) (preps:
 * the same, prepared), and are covered by none of the parcels. With no areas, the holes of the
 * parcels' union. */
enum lr_rc lr_qa_gaps_find(struct lr_geom_ctx *g, const struct lr_shard *sh, const size_t *idx,
                           size_t n, int32_t group, const void *const *areas,
                           const void *const *preps, size_t nareas, double min_m2,
                           struct lr_qa_gaps *out, struct lr_err *err);

/* Take away from each gap the parcels of other groups that reach into it (those with
 * may_cover[i] set, every parcel when may_cover is NULL; group_of[i] is parcel i's group or -1),
 * then write a `gap` issue for each gap still larger than min_m2, on its adjacent parcel. The
 * gaps are consumed (the list is left empty). */
enum lr_rc lr_qa_gaps_finish(struct lr_geom_ctx *g, const struct lr_shard *sh,
                             struct lr_qa_gaps *gaps, const uint8_t *may_cover,
                             const int32_t *group_of, bool bounded, double min_m2,
                             struct lr_qa_issues *out, struct lr_err *err);

#endif
