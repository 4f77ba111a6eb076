/* crs.h - the only user of PROJ: coordinate operations between a source CRS and the target.
 *
 * Thread rules: a struct lr_crs_ctx (PROJ context) and the transforms made from it belong to one
 * thread. Axis order is always traditional GIS order (x = easting/longitude). */
#ifndef LR_CRS_H
#define LR_CRS_H

#include "core.h"

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

#endif
