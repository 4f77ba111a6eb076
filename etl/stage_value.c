/* stage_value.c - value every reconciled parcel from the price zones and compute its tax, in
 * integers (money.h). The zone is the one whose polygon holds the parcel's interior point for
 * the parcel's land use (an STRtree over the zones); no zone is a no_price issue and the parcel
 * stays in the extract without value columns. */
#include "geom.h"
#include "landuse.h"
#include "money.h"
#include "stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Land use the parcel is valued for: the register's (the legal record), else the map's. */
static const char *
value_land_use(const struct lr_shard *sh, const struct lr_parcel *p)
{
    if (p->record >= 0 && sh->records[p->record].land_use)
        return sh->records[p->record].land_use;
    return p->land_use;
}

/* The zone holding (x, y) for land use lu: lowest position, then zone id, on ties. */
static int64_t
find_zone(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_geom_tree *tree, const char *lu,
          double x, double y, size_t **hits, struct lr_err *err)
{
    size_t n = 0;
    int64_t best = -1;

    if (lr_geom_tree_query_xy(tree, x, y, hits, &n) != LR_OK) {
        lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        return -2;
    }
    for (size_t k = 0; k < n; k++) {
        const struct lr_zone *z = &sh->zones[(*hits)[k]];
        if (!lu || strcmp(z->land_use, lu) != 0 || !z->prep)
            continue;
        if (lr_geom_prepared_contains_xy(ctx->geom, z->prep, x, y) != 1)
            continue;
        if (best < 0 || z->position < sh->zones[best].position ||
            (z->position == sh->zones[best].position && strcmp(z->zone, sh->zones[best].zone) < 0))
            best = (int64_t)(*hits)[k];
    }
    return best;
}

static int64_t
residential_limit(const struct lr_config *cfg, int32_t new_commune)
{
    for (size_t i = 0; i < cfg->n_commune_limits; i++)
        if (cfg->commune_limits[i].new_commune == new_commune)
            return cfg->commune_limits[i].limit_dm2;
    return cfg->residential_limit_dm2;
}

static enum lr_rc
compute_tax(const struct lr_config *cfg, struct lr_parcel *p, const char *lu, struct lr_err *err)
{
    switch (lr_landuse_group(lu)) {
    case LR_LG_RESIDENTIAL:
        return lr_money_tax_residential(p->extract_area_dm2, p->price_vnd,
                                        residential_limit(cfg, p->new_commune),
                                        cfg->tax_residential_nano, &p->tax_vnd, err);
    case LR_LG_NON_AGRI:
        return lr_money_tax_flat(p->value_vnd, cfg->tax_non_agri_nano, &p->tax_vnd, err);
    case LR_LG_AGRI:
        return lr_money_tax_flat(p->value_vnd, cfg->tax_agri_nano, &p->tax_vnd, err);
    case LR_LG_EXEMPT:
    case LR_LG_UNKNOWN:
        break;
    }
    p->tax_vnd = 0;
    return LR_OK;
}

/* Area the extract uses: the register's within tolerance (or for an unrepairable parcel with a
 * record), else the map's. */
static void
extract_area(const struct lr_shard *sh, struct lr_parcel *p)
{
    const struct lr_record *r = p->record >= 0 ? &sh->records[p->record] : NULL;
    bool unrepairable = p->issues & (1u << LR_IS_UNREPAIRABLE);

    p->area_from_register = r && r->area_dm2 >= 0 && (p->area_ok || unrepairable) &&
                            p->status != LR_ST_SPLIT && p->status != LR_ST_MERGED;
    p->extract_area_dm2 = p->area_from_register ? r->area_dm2 : p->area_dm2;
}

static enum lr_rc
value_one(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_geom_tree *tree, size_t i,
          size_t **hits, struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[i];
    const char *lu = value_land_use(sh, p);
    int64_t z;
    char d[128];

    extract_area(sh, p);
    z = find_zone(ctx, sh, tree, lu, p->ix, p->iy, hits, err);
    if (z == -2)
        return err->rc;
    if (z < 0) {
        snprintf(d, sizeof(d), "no price zone for land use %s at the parcel's interior point",
                 lu ? lu : "-");
        return lr_shard_add_issue(sh, (int64_t)i, p->record, LR_IS_NO_PRICE, p->ix, p->iy, d) ==
                       LR_OK
                   ? LR_OK
                   : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    p->zone = strdup(sh->zones[z].zone);
    if (!p->zone)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    p->position = sh->zones[z].position;
    p->price_vnd = sh->zones[z].price_vnd;
    if (lr_money_value(p->extract_area_dm2, p->price_vnd, &p->value_vnd, err) != LR_OK)
        return err->rc;
    return compute_tax(ctx->cfg, p, lu, err);
}

enum lr_rc
lr_stage_value(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    struct lr_geom_tree *tree = lr_geom_tree_new(ctx->geom);
    size_t *hits = NULL;
    enum lr_rc rc = LR_OK;

    if (!tree)
        return lr_err_set(err, LR_ERR_NOMEM, "cannot build the price zone index");
    for (size_t z = 0; z < sh->n_zones; z++)
        lr_geom_tree_insert(tree, sh->zones[z].geom, z);
    for (size_t i = 0; rc == LR_OK && i < sh->n_parcels; i++) {
        if (!lr_status_is_matched(sh->parcels[i].status))
            continue;
        st->in++;
        rc = value_one(ctx, sh, tree, i, &hits, err);
        st->out += sh->parcels[i].price_vnd >= 0;
    }
    free(hits);
    lr_geom_tree_free(tree);
    return rc;
}
