/* report.h - report.html: the run's offline summary for managers and analysts (SPEC.md).
 *
 * One self-contained UTF-8 file (inline CSS and SVG, no scripts, fonts, images or links out):
 * statuses and issues per new and per old commune with counts and shares, bar charts, a histogram
 * of map/register area ratios, a simplified map per new commune, the quality gates, per-stage
 * counts and times, the inputs with checksums and the CRS operations used. Never owner names,
 * owner ids, certificates or addresses. Bytes are deterministic except the run's timestamps and
 * the stage times (marked class="v" for tests). */
#ifndef LR_REPORT_H
#define LR_REPORT_H

#include "stage.h"

#define LR_REPORT_FILE "report.html"

/* Write ctx->work_dir/report.html from the shard and ctx's gate results, and register it as an
 * output. Call in the publish stage after the gates, before the manifest: the stages done so far
 * are shown (the publish stage's own time is not known yet). Uses ctx->geom (main thread). */
enum lr_rc lr_report_write(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_err *err);

#endif
