/* stage_reproject.c - transform every map parcel's coordinates from its source CRS to the
 * target CRS with PROJ (one operation per input, recorded in the manifest). The area on the
 * source map's own plane is kept for analysts before the coordinates change. */
#include "crs.h"
#include "money.h"
#include "stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Planar area of a shape (shells minus holes, shoelace), in m^2 of its CRS. */
static double
shape_area(const struct lr_shape *s)
{
    double total = 0;
    uint32_t ring = 0, pt = 0;

    for (uint32_t p = 0; p < s->nparts; p++) {
        for (uint32_t r = 0; r < s->part_rings[p]; r++, ring++) {
            const double *xy = s->xy + 2 * (size_t)pt;
            uint32_t n = s->ring_pts[ring];
            double a = 0;
            for (uint32_t i = 0; i + 1 < n; i++)
                a += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
            total += r == 0 ? fabs(a) / 2 : -fabs(a) / 2;
            pt += n;
        }
    }
    return total;
}

/* One transform per input, made on first use. */
static enum lr_rc
input_transform(struct lr_ctx *ctx, struct lr_shard *sh, uint32_t input,
                struct lr_crs_transform **cache, struct lr_err *err)
{
    struct lr_input *in = &sh->inputs[input];
    enum lr_rc rc;

    if (cache[input])
        return LR_OK;
    if (in->crs_pipeline)
        rc = lr_crs_transform_from_pipeline(ctx->crs, in->crs_pipeline, in->path, &cache[input],
                                            err);
    else
        rc = lr_crs_transform_new(ctx->crs, in->src_crs, ctx->cfg->target_crs, in->path,
                                  &cache[input], err);
    if (rc != LR_OK)
        return rc;
    free(in->crs_op);
    in->crs_op = strdup(lr_crs_transform_desc(cache[input]));
    if (!in->crs_op)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    lr_log(LR_LOG_INFO, "reproject", NULL, "'%s': %s", in->path, in->crs_op);
    return LR_OK;
}

enum lr_rc
lr_stage_reproject(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    struct lr_crs_transform **cache = calloc(sh->n_inputs ? sh->n_inputs : 1, sizeof(*cache));
    enum lr_rc rc = LR_OK;

    if (!cache)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++) {
        struct lr_parcel *p = &sh->parcels[i];
        if (p->status == LR_ST_REJECTED)
            continue;
        st->in++;
        rc = input_transform(ctx, sh, p->input, cache, err);
        if (rc != LR_OK)
            break;
        p->area_src_dm2 = lr_money_area_from_double(shape_area(&p->shape));
        if (lr_crs_transform_xy(cache[p->input], p->shape.xy, p->shape.npts) != 0) {
            p->status = LR_ST_REJECTED;
            p->reject = LR_IS_BAD_COORDINATES;
            st->rejected++;
            rc = lr_shard_add_issue(sh, (int64_t)i, -1, LR_IS_BAD_COORDINATES, 0, 0,
                                    "coordinates cannot be transformed to the target CRS");
            if (rc != LR_OK)
                rc = lr_err_set(err, rc, "out of memory");
            continue;
        }
        st->out++;
    }
    for (size_t i = 0; i < sh->n_inputs; i++)
        lr_crs_transform_free(cache[i]);
    free(cache);
    return rc;
}
