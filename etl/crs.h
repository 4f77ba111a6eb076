/* crs.h - the only user of PROJ: coordinate operations between a source CRS and the target.
 *
 * Thread rules: a struct lr_crs_ctx (PROJ context) and the transforms made from it belong to one
 * thread. Axis order is always traditional GIS order (x = easting/longitude). */
#ifndef LR_CRS_H
#define LR_CRS_H

#include "core.h"

#include <stdbool.h>

struct lr_crs_ctx;
struct lr_crs_transform;

/* PROJ version text. */
const char *lr_crs_version(void);
struct lr_crs_ctx *lr_crs_ctx_new(void);
void lr_crs_ctx_free(struct lr_crs_ctx *c);

/* Create the operation from src (any PROJ-understood definition: "EPSG:9212", WKT, PROJ string)
 * to dst. Refuses (LR_ERR_INPUT) when no operation exists or when a pure projection change on
 * the same datum would get a datum shift. what names the subject for messages. */
enum lr_rc lr_crs_transform_new(struct lr_crs_ctx *c, const char *src, const char *dst,
                                const char *what, struct lr_crs_transform **out,
                                struct lr_err *err);
void lr_crs_transform_free(struct lr_crs_transform *t);
/* The operation as a PROJ pipeline string (owned by t). */
const char *lr_crs_transform_desc(const struct lr_crs_transform *t);
/* Transform n points in place (xy interleaved). Returns the number of points that failed (their
 * coordinates become HUGE_VAL). */
size_t lr_crs_transform_xy(struct lr_crs_transform *t, double *xy, size_t n);

/* ---- ingest safety (the load stage) ---- */

/* An axis-aligned box in a CRS's own units, traditional GIS order. */
struct lr_bbox {
    double minx, miny, maxx, maxy;
};

/* Create the operation from an explicit PROJ pipeline (a source's 'crs_pipeline'), written in
 * easting/northing order. The pipeline is used as given: no datum check. */
enum lr_rc lr_crs_transform_from_pipeline(struct lr_crs_ctx *c, const char *pipeline,
                                          const char *what, struct lr_crs_transform **out,
                                          struct lr_err *err);

/* The operation between a VN-2000-based CRS and a WGS 84-based one (either direction) that goes
 * through EPSG:6960 "VN-2000 to WGS 84 (2)" (Decision 05/2007), whatever PROJ would pick for
 * the area (it prefers EPSG:5194 inside the Mekong blocks, which reach southern Dong Nai).
 * lr_crs_transform_new uses it by itself for such pairs. LR_ERR_INPUT when src/dst are not
 * such a pair or PROJ lacks the operation. */
enum lr_rc lr_crs_transform_vn2000_wgs84(struct lr_crs_ctx *c, const char *src, const char *dst,
                                         const char *what, struct lr_crs_transform **out,
                                         struct lr_err *err);

/* Transform a box (edges densified) with t; false when no point transforms. */
bool lr_crs_transform_bbox(struct lr_crs_transform *t, const struct lr_bbox *in,
                           struct lr_bbox *out);

/* What the safety check of a map source is given. */
struct lr_crs_check {
    const char *src;            /* the source CRS (file's WKT or the config's text) */
    const char *dst;            /* the target CRS */
    const char *pipeline;       /* the config's explicit pipeline, or NULL */
    const struct lr_bbox *data; /* extent of the source's features in src, NULL when empty */
    const struct lr_bbox *ref;  /* where the data belongs, in dst (commune boundaries and price
                                 * zones), NULL when unknown */
    const char *what;           /* subject for messages, e.g. "'maps/a.shp' layer 'a'" */
};

/* Safety checks of a map source's CRS, before any work. LR_ERR_INPUT with a message that says
 * what to do when: the datum is HN-72 or unknown to PROJ (no usable transformation) and no
 * pipeline is given; the definition carries towgs84=0 on a datum other than WGS 84; a VN-2000
 * Transverse Mercator with a TM-3 central meridian has k=0.9996; the data's eastings lie outside
 * 200-800 km on a VN-2000 TM-3 zone; the data lie outside the CRS's area of use (projected
 * onto its plane, 20 km margin), outside the target's, or away from ref (10 km margin). The
 * messages suggest the VN-2000 zone the coordinates fit (lr_crs_suggest). */
enum lr_rc lr_crs_check_source(struct lr_crs_ctx *c, const struct lr_crs_check *chk,
                               struct lr_err *err);

/* Suggest VN-2000 projected CRSs (TM-3 zones, UTM 48N/49N; EPSG reference list) under which
 * data (an extent in an unknown CRS) lands inside that CRS's own area of use, the target's
 * area of use, and ref when given. Writes "EPSG:9212 (VN-2000 / TM-3 106-15)" and up to two
 * more, best first, into buf; returns how many fit (0: buf is ""). */
size_t lr_crs_suggest(struct lr_crs_ctx *c, const struct lr_bbox *data, const char *dst,
                      const struct lr_bbox *ref, char *buf, size_t n);

#endif
