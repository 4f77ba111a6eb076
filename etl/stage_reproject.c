/* stage_reproject.c - transform every map parcel's coordinates from its source CRS to the
 * target CRS with PROJ (one operation per input, recorded in the manifest). The area on the
 * source map's own plane is kept for analysts before the coordinates change. Parcels are
 * transformed on ctx->jobs threads, each with its own PROJ context; the result does not depend
 * on the thread count (each parcel's operation is the same deterministic pick). */
#include "crs.h"
#include "money.h"
#include "stage.h"

#include <math.h>
#include <pthread.h>
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

/* The operation of one input: the config's explicit pipeline, or PROJ's pick (crs.c). */
static enum lr_rc
make_transform(struct lr_crs_ctx *c, const struct lr_config *cfg, const struct lr_input *in,
               struct lr_crs_transform **out, struct lr_err *err)
{
    if (in->crs_pipeline)
        return lr_crs_transform_from_pipeline(c, in->crs_pipeline, in->path, out, err);
    return lr_crs_transform_new(c, in->src_crs, cfg->target_crs, in->path, out, err);
}

/* On this thread, in input order: every map input's operation, recorded in the manifest. An
 * input that cannot be transformed stops the run here, before the parallel pass. */
static enum lr_rc
record_operations(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    bool *used = calloc(sh->n_inputs ? sh->n_inputs : 1, sizeof(*used));
    enum lr_rc rc = LR_OK;

    if (!used)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < sh->n_parcels; i++)
        if (sh->parcels[i].status != LR_ST_REJECTED)
            used[sh->parcels[i].input] = true;
    for (size_t i = 0; rc == LR_OK && i < sh->n_inputs; i++) {
        struct lr_input *in = &sh->inputs[i];
        struct lr_crs_transform *t = NULL;
        if (!used[i])
            continue;
        rc = make_transform(ctx->crs, ctx->cfg, in, &t, err);
        if (rc != LR_OK)
            break;
        free(in->crs_op);
        in->crs_op = strdup(lr_crs_transform_desc(t));
        lr_crs_transform_free(t);
        if (!in->crs_op)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        else
            lr_log(LR_LOG_INFO, "reproject", NULL, "'%s': %s", in->path, in->crs_op);
    }
    free(used);
    return rc;
}

/* One thread's share: parcels lo..hi, with its own PROJ context and operations. A parcel whose
 * coordinates do not transform is only marked here (bad[i]); issues are added afterwards. */
struct slice {
    struct lr_ctx *ctx;
    struct lr_shard *sh;
    size_t lo, hi;
    bool *bad;
    enum lr_rc rc;
    struct lr_err err;
};

static void *
reproject_slice(void *arg)
{
    struct slice *w = arg;
    struct lr_shard *sh = w->sh;
    struct lr_crs_ctx *c = lr_crs_ctx_new();
    struct lr_crs_transform **cache = calloc(sh->n_inputs ? sh->n_inputs : 1, sizeof(*cache));

    if (!c || !cache)
        w->rc = lr_err_set(&w->err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = w->lo; w->rc == LR_OK && i < w->hi; i++) {
        struct lr_parcel *p = &sh->parcels[i];
        if (p->status == LR_ST_REJECTED)
            continue;
        if (!cache[p->input])
            w->rc =
                make_transform(c, w->ctx->cfg, &sh->inputs[p->input], &cache[p->input], &w->err);
        if (w->rc != LR_OK)
            break;
        p->area_src_dm2 = lr_money_area_from_double(shape_area(&p->shape));
        w->bad[i] = lr_crs_transform_xy(cache[p->input], p->shape.xy, p->shape.npts) != 0;
    }
    for (size_t i = 0; cache && i < sh->n_inputs; i++)
        lr_crs_transform_free(cache[i]);
    free(cache);
    lr_crs_ctx_free(c);
    return NULL;
}

/* Run the slices on ctx->jobs threads (this one included); the first failed slice's error. */
static enum lr_rc
run_slices(struct lr_ctx *ctx, struct lr_shard *sh, bool *bad, struct lr_err *err)
{
    size_t n = ctx->jobs > 1 ? (size_t)ctx->jobs : 1, per;
    struct slice *w;
    pthread_t *th;
    bool *started;
    enum lr_rc rc = LR_OK;

    if (n > sh->n_parcels / 1000 + 1)
        n = sh->n_parcels / 1000 + 1; /* small shards: not worth a thread */
    per = (sh->n_parcels + n - 1) / n;
    w = calloc(n, sizeof(*w));
    th = calloc(n, sizeof(*th));
    started = calloc(n, sizeof(*started));
    if (!w || !th || !started) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        w[k] = (struct slice){ ctx, sh, k * per, (k + 1) * per, bad, LR_OK, { LR_OK, "" } };
        if (w[k].hi > sh->n_parcels)
            w[k].hi = sh->n_parcels;
        if (k > 0)
            started[k] = pthread_create(&th[k], NULL, reproject_slice, &w[k]) == 0;
        if (k > 0 && !started[k])
            reproject_slice(&w[k]);
    }
    reproject_slice(&w[0]);
    for (size_t k = 1; k < n; k++)
        if (started[k])
            pthread_join(th[k], NULL);
    for (size_t k = 0; k < n && rc == LR_OK; k++)
        if (w[k].rc != LR_OK)
            rc = lr_err_set(err, w[k].rc, "%s", w[k].err.msg);
out:
    free(started);
    free(th);
    free(w);
    return rc;
}

enum lr_rc
lr_stage_reproject(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    bool *bad = calloc(sh->n_parcels ? sh->n_parcels : 1, sizeof(*bad));
    enum lr_rc rc;

    if (!bad)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = record_operations(ctx, sh, err);
    if (rc == LR_OK)
        rc = run_slices(ctx, sh, bad, err);
    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++) {
        struct lr_parcel *p = &sh->parcels[i];
        if (p->status == LR_ST_REJECTED)
            continue;
        st->in++;
        if (!bad[i]) {
            st->out++;
            continue;
        }
        p->status = LR_ST_REJECTED;
        p->reject = LR_IS_BAD_COORDINATES;
        st->rejected++;
        if (lr_shard_add_issue(sh, (int64_t)i, -1, LR_IS_BAD_COORDINATES, 0, 0,
                               "coordinates cannot be transformed to the target CRS") != LR_OK)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    free(bad);
    return rc;
}
