/* report_int.h - what report.c (aggregation, tables) shares with report_svg.c (charts) and
 * report_map.c (maps). Internal to the report: nothing else includes it. */
#ifndef LR_REPORT_INT_H
#define LR_REPORT_INT_H

#include "stage.h"

/* Area ratio histogram, bins of 0.01 centred on 0.80, 0.81, ... 1.20 ([1..41]), [0] below 0.795,
 * [42] 1.205 and above. Ratios are integers x 10^4. */
#define LR_RP_BINS     43
#define LR_RP_BIN_LO   7950 /* where bin 1 starts */
#define LR_RP_BIN_STEP 100  /* width of a bin */

/* Counts of one commune (new or old), or of the whole run. */
struct lr_rp_group {
    int32_t code;     /* commune code; -1 = unknown (no crosswalk row / unparseable key) */
    const char *name; /* borrowed from the shard; NULL when not in the crosswalk */
    int64_t n_map;    /* map parcels */
    int64_t n_reg;    /* register records */
    int64_t n_items;  /* map parcels + register records without a parcel */
    int64_t map_st[LR_ST_COUNT];   /* map parcels by status */
    int64_t reg_st[LR_ST_COUNT];   /* register records by status */
    int64_t item_st[LR_ST_COUNT];  /* parcels + records without a parcel, by status */
    int64_t issues[LR_IS_COUNT];   /* findings of sh->issues */
    int64_t affected[LR_IS_COUNT]; /* map parcels carrying the issue */
    /* maps (report_map.c): this commune's parcels with a geometry in map_idx[first, first+n) */
    size_t map_first, map_n;
};

struct lr_rp {
    struct lr_ctx *ctx;
    const struct lr_shard *sh;
    struct lr_rp_group *news, *olds; /* sorted by code, unknown (-1) last */
    size_t n_news, n_olds;
    struct lr_rp_group total;
    int32_t *par_new; /* [n_parcels] new commune of each parcel, -1 unknown */
    int32_t *rec_new; /* [n_records] new commune of each record, -1 unknown */
    bool st_used[LR_ST_COUNT], is_used[LR_IS_COUNT];
    /* map/register area ratios of matched parcels with both areas */
    int64_t hist[LR_RP_BINS];
    int64_t ratio_n, ratio_within, ratio_median_e4;
    /* maps: parcel indexes grouped by new commune, drawing priority first (report_map.c) */
    size_t *map_idx;
    size_t map_cap; /* parcels drawn at most per commune map */
};

/* ---- report.c: text helpers ---- */
/* Append s escaped for HTML text and attribute values (& < > " '). NULL appends nothing. */
void lr_rp_esc(struct lr_buf *b, const char *s);
/* Append n with digit groups ("1 234 567", U+202F between groups). */
void lr_rp_num(struct lr_buf *b, int64_t n);
/* Append n / of as a percentage ("12.3%", "<0.1%", "–" when of is 0). */
void lr_rp_share(struct lr_buf *b, int64_t n, int64_t of);
/* Vietnamese label, fill colour of a status; Vietnamese label of an issue class. */
const char *lr_rp_status_vi(enum lr_status st);
const char *lr_rp_status_color(enum lr_status st);
const char *lr_rp_issue_vi(enum lr_issue_class c);
/* "25195 Xã Tân Lập" label of a group (escaped); "Không rõ / unknown" for code -1. */
void lr_rp_group_label(struct lr_buf *b, const struct lr_rp_group *g);

/* ---- report_html.c: the page ---- */
/* The whole page into b (rp counted, maps prepared). */
enum lr_rc lr_rp_html(struct lr_rp *rp, struct lr_buf *b, struct lr_err *err);

/* ---- report_svg.c: charts ---- */
/* Stacked bars per new commune: status shares, and the counts of every status but matched. */
void lr_rp_svg_status_bars(struct lr_buf *b, const struct lr_rp *rp);
/* Histogram of map/register area ratios (log scale counts). */
void lr_rp_svg_histogram(struct lr_buf *b, const struct lr_rp *rp);
/* HTML legend of the statuses in use (colour swatches). */
void lr_rp_legend(struct lr_buf *b, const struct lr_rp *rp, bool map_only_statuses);

/* ---- report_map.c: maps ---- */
/* Group the parcels with a geometry by new commune in drawing order into rp->map_idx, and set
 * every new commune's map_first / map_n and rp->map_cap. */
enum lr_rc lr_rp_map_prepare(struct lr_rp *rp, struct lr_err *err);
/* The simplified map of new commune g (inline SVG with its caption). */
enum lr_rc lr_rp_map(struct lr_rp *rp, const struct lr_rp_group *g, struct lr_buf *b,
                     struct lr_err *err);

#endif
