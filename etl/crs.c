/* crs.c - PROJ wrappers (see crs.h). */
#include "crs.h"

#include <math.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

struct lr_crs_ctx {
    PJ_CONTEXT *pj;
};

struct lr_crs_transform {
    struct lr_crs_ctx *c;
    PJ *op;
    char *desc;
};

const char *
lr_crs_version(void)
{
    return proj_info().release;
}

struct lr_crs_ctx *
lr_crs_ctx_new(void)
{
    struct lr_crs_ctx *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->pj = proj_context_create();
    if (!c->pj) {
        free(c);
        return NULL;
    }
    proj_log_level(c->pj, PJ_LOG_NONE);
    return c;
}

void
lr_crs_ctx_free(struct lr_crs_ctx *c)
{
    if (!c)
        return;
    proj_context_destroy(c->pj);
    free(c);
}

/* Name of the datum of a CRS (geodetic CRS's datum), or "" if unknown. Caller frees. */
static char *
datum_name(PJ_CONTEXT *pj, const PJ *crs)
{
    PJ *geod = proj_crs_get_geodetic_crs(pj, crs);
    PJ *datum = geod ? proj_crs_get_datum_forced(pj, geod) : NULL;
    const char *name = datum ? proj_get_name(datum) : NULL;
    char *out = strdup(name ? name : "");

    proj_destroy(datum);
    proj_destroy(geod);
    return out;
}

/* When both CRSs share a datum the pipeline must not hold a datum shift. */
static enum lr_rc
check_no_datum_shift(struct lr_crs_ctx *c, PJ *a, PJ *b, const char *desc, const char *what,
                     struct lr_err *err)
{
    char *da = datum_name(c->pj, a), *db = datum_name(c->pj, b);
    enum lr_rc rc = LR_OK;

    if (!da || !db)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    else if (da[0] && strcmp(da, db) == 0 &&
             (strstr(desc, "helmert") || strstr(desc, "hgridshift") || strstr(desc, "towgs84")))
        rc = lr_err_set(err, LR_ERR_INPUT,
                        "%s: the operation from the source CRS to the target holds a datum shift "
                        "although both use datum '%s'; check the source's CRS definition",
                        what, da);
    free(da);
    free(db);
    return rc;
}

static enum lr_rc
make_op(struct lr_crs_ctx *c, PJ *a, PJ *b, const char *what, struct lr_crs_transform *t,
        struct lr_err *err)
{
    PJ *op = proj_create_crs_to_crs_from_pj(c->pj, a, b, NULL, NULL);
    const char *desc;

    if (!op)
        return lr_err_set(err, LR_ERR_INPUT,
                          "%s: no coordinate operation from the source CRS to the target; give "
                          "an explicit CRS in the config",
                          what);
    t->op = proj_normalize_for_visualization(c->pj, op);
    proj_destroy(op);
    if (!t->op)
        return lr_err_set(err, LR_ERR_INPUT, "%s: cannot normalise the axis order", what);
    desc = proj_as_proj_string(c->pj, t->op, PJ_PROJ_5, NULL);
    t->desc = strdup(desc ? desc : proj_get_name(t->op));
    if (!t->desc)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return check_no_datum_shift(c, a, b, t->desc, what, err);
}

enum lr_rc
lr_crs_transform_new(struct lr_crs_ctx *c, const char *src, const char *dst, const char *what,
                     struct lr_crs_transform **out, struct lr_err *err)
{
    PJ *a = NULL, *b = NULL;
    struct lr_crs_transform *t = NULL;
    enum lr_rc rc = LR_OK;

    a = proj_create(c->pj, src);
    b = proj_create(c->pj, dst);
    if (!a || !b) {
        rc = lr_err_set(err, LR_ERR_INPUT, "%s: PROJ does not understand the CRS '%.80s'", what,
                        !a ? src : dst);
        goto out;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    t->c = c;
    rc = make_op(c, a, b, what, t, err);
    if (rc != LR_OK)
        goto out;
    *out = t;
    t = NULL;
out:
    lr_crs_transform_free(t);
    proj_destroy(a);
    proj_destroy(b);
    return rc;
}

void
lr_crs_transform_free(struct lr_crs_transform *t)
{
    if (!t)
        return;
    proj_destroy(t->op);
    free(t->desc);
    free(t);
}

const char *
lr_crs_transform_desc(const struct lr_crs_transform *t)
{
    return t->desc;
}

size_t
lr_crs_transform_xy(struct lr_crs_transform *t, double *xy, size_t n)
{
    size_t bad = 0;

    if (n == 0)
        return 0;
    proj_trans_generic(t->op, PJ_FWD, xy, 2 * sizeof(double), n, xy + 1, 2 * sizeof(double), n,
                       NULL, 0, 0, NULL, 0, 0);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]) || xy[2 * i] == HUGE_VAL)
            bad++;
    return bad;
}
