/* test_value.c - the value stage on a hand-built shard: a parcel per tax tier and boundary, the
 * per-commune residential limit, rounding, no_price, huge values, zones overlapping, and parcels
 * straddling zones under both valuation methods. Every expected number is computed by hand in
 * the comment beside it (rates 0.03 % / 0.07 % / 0.15 %, limit 200 m2, flat 0.03 %).
 *
 * Zones (rectangles x0,y0,x1,y1 in metres):
 *   Z1  ONT pos 1  10,000,000  [0,0,100,100]      Z2  ONT pos 2  6,000,000  [100,0,200,100]
 *   ZC  CLN pos 1     150,000  [0,0,200,100]      ZT  TMD pos 1  4,000,000  [0,0,200,100]
 *   ZG  DGT pos 1   1,000,000  [0,0,200,100]      ZR  ONT pos 1  1,234,567  [300,0,400,100]
 *   ZH  ONT pos 1           3  [400,0,500,100]
 *   ZA  ONT pos 1   5,000,000  [0,200,50,300]     ZB  ONT pos 2  3,000,000  [0,200,100,300]
 *   ZX  ONT pos 1 900,000,000  [1000,0,2000,1000]
 *   ZY  ONT pos 1 10^15        [3000,0,4000,1000] */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "geom.h"
#include "money.h"
#include "stage.h"

struct zone_def {
    const char *id, *lu;
    int32_t pos;
    int64_t price;
    double x0, y0, x1, y1;
};

static const struct zone_def zones[] = {
    { "Z1", "ONT", 1, 10000000, 0, 0, 100, 100 },
    { "Z2", "ONT", 2, 6000000, 100, 0, 200, 100 },
    { "ZC", "CLN", 1, 150000, 0, 0, 200, 100 },
    { "ZT", "TMD", 1, 4000000, 0, 0, 200, 100 },
    { "ZG", "DGT", 1, 1000000, 0, 0, 200, 100 },
    { "ZR", "ONT", 1, 1234567, 300, 0, 400, 100 },
    { "ZH", "ONT", 1, 3, 400, 0, 500, 100 },
    { "ZA", "ONT", 1, 5000000, 0, 200, 50, 300 },
    { "ZB", "ONT", 2, 3000000, 0, 200, 100, 300 },
    { "ZX", "ONT", 1, 900000000, 1000, 0, 2000, 1000 },
    { "ZY", "ONT", 1, 1000000000000000, 3000, 0, 4000, 1000 },
};

/* What one method must produce: zone label (NULL = no price), position, price, value, tax. */
struct want {
    const char *zone;
    int32_t pos;
    int64_t price, value, tax;
};

struct parcel_case {
    const char *name;
    double x0, y0, x1, y1; /* geometry */
    const char *lu;
    int64_t area_dm2; /* the register's area (used by the extract: area_ok) */
    int32_t new_commune;
    struct want ip, pw; /* interior_point, piecewise */
    const char *issue;  /* issue expected on the parcel (NULL none) */
    const char *detail; /* part of the issue's detail */
};

/* clang-format off */
static const struct parcel_case cases[] = {
    /* residential tiers in Z1 at 10,000,000 VND/m2 */
    { "tier1", 10, 10, 20, 20, "ONT", 1500, 25200,
      /* 150 m2: value 1.5e9; tax 1.5e9 * 0.0003 = 450,000 */
      { "Z1", 1, 10000000, 1500000000, 450000 }, { "Z1", 1, 10000000, 1500000000, 450000 },
      NULL, NULL },
    { "limit", 10, 10, 20, 20, "ONT", 2000, 25200,
      /* 200 m2 = the limit: 2e9 * 0.0003 = 600,000 */
      { "Z1", 1, 10000000, 2000000000, 600000 }, { "Z1", 1, 10000000, 2000000000, 600000 },
      NULL, NULL },
    { "limit+0.1", 10, 10, 20, 20, "ONT", 2001, 25200,
      /* 200.1 m2: 600,000 + 0.1 * 1e7 * 0.0007 = 600,700 */
      { "Z1", 1, 10000000, 2001000000, 600700 }, { "Z1", 1, 10000000, 2001000000, 600700 },
      NULL, NULL },
    { "3xlimit", 10, 10, 20, 20, "ONT", 6000, 25200,
      /* 600 m2: 600,000 + 400 * 1e7 * 0.0007 = 600,000 + 2,800,000 = 3,400,000 */
      { "Z1", 1, 10000000, 6000000000, 3400000 }, { "Z1", 1, 10000000, 6000000000, 3400000 },
      NULL, NULL },
    { "3xlimit+0.1", 10, 10, 20, 20, "ONT", 6001, 25200,
      /* 600.1 m2: 3,400,000 + 0.1 * 1e7 * 0.0015 = 3,401,500 */
      { "Z1", 1, 10000000, 6001000000, 3401500 }, { "Z1", 1, 10000000, 6001000000, 3401500 },
      NULL, NULL },
    { "tier3", 10, 10, 20, 20, "ONT", 10000, 25200,
      /* 1000 m2: 3,400,000 + 400 * 1e7 * 0.0015 = 9,400,000 */
      { "Z1", 1, 10000000, 10000000000, 9400000 }, { "Z1", 1, 10000000, 10000000000, 9400000 },
      NULL, NULL },
    { "commune-limit", 10, 10, 20, 20, "ONT", 1500, 25195,
      /* 25195's limit is 100 m2: 100 * 1e7 * 0.0003 + 50 * 1e7 * 0.0007 = 300,000 + 350,000 */
      { "Z1", 1, 10000000, 1500000000, 650000 }, { "Z1", 1, 10000000, 1500000000, 650000 },
      NULL, NULL },
    { "zero-area", 10, 10, 20, 20, "ONT", 0, 25200,
      { "Z1", 1, 10000000, 0, 0 }, { "Z1", 1, 10000000, 0, 0 }, NULL, NULL },
    { "rounding", 310, 10, 320, 20, "ONT", 1234, 25200,
      /* 123.4 * 1,234,567 = 152,345,567.8 -> 152,345,568; tax * 0.0003 = 45,703.67034 -> 45,704 */
      { "ZR", 1, 1234567, 152345568, 45704 }, { "ZR", 1, 1234567, 152345568, 45704 }, NULL, NULL },
    { "half-up", 410, 10, 420, 20, "ONT", 125, 25200,
      /* 12.5 * 3 = 37.5 -> 38; tax 37.5 * 0.0003 = 0.01125 -> 0 */
      { "ZH", 1, 3, 38, 0 }, { "ZH", 1, 3, 38, 0 }, NULL, NULL },
    /* other land-use groups */
    { "non-agri", 10, 10, 20, 20, "TMD", 2505, 25200,
      /* 250.5 * 4,000,000 = 1,002,000,000; flat 0.0003 = 300,600 */
      { "ZT", 1, 4000000, 1002000000, 300600 }, { "ZT", 1, 4000000, 1002000000, 300600 },
      NULL, NULL },
    { "agri", 10, 10, 20, 20, "CLN", 10000, 25200,
      /* 1000 * 150,000 = 150,000,000; agricultural rate 0 */
      { "ZC", 1, 150000, 150000000, 0 }, { "ZC", 1, 150000, 150000000, 0 }, NULL, NULL },
    { "exempt", 10, 10, 20, 20, "DGT", 500, 25200,
      /* 50 * 1,000,000 = 50,000,000; exempt */
      { "ZG", 1, 1000000, 50000000, 0 }, { "ZG", 1, 1000000, 50000000, 0 }, NULL, NULL },
    /* no price */
    { "outside", 600, 10, 610, 20, "ONT", 1000, 25200,
      { NULL, 0, -1, 0, 0 }, { NULL, 0, -1, 0, 0 }, "no_price", "no price zone for land use ONT" },
    { "no-zone-for-use", 10, 10, 20, 20, "SKC", 1000, 25200,
      { NULL, 0, -1, 0, 0 }, { NULL, 0, -1, 0, 0 }, "no_price", "land use SKC" },
    /* [190,230] x [10,20]: 100 of its 400 m2 in Z2, interior point (210, 15) outside every zone.
     * piecewise spreads the whole 400 m2 over Z2: 400 * 6e6 = 2.4e9;
     * tax 200 * 6e6 * 0.0003 + 200 * 6e6 * 0.0007 = 360,000 + 840,000 = 1,200,000 */
    { "edge", 190, 10, 230, 20, "ONT", 4000, 25200,
      { NULL, 0, -1, 0, 0 }, { "Z2", 2, 6000000, 2400000000, 1200000 }, "?no_price", NULL },
    /* straddling: [85,110] x [10,20] = 150 m2 in Z1 (60 %), 100 m2 in Z2 (40 %); register 251 m2.
     * interior point (97.5, 15) in Z1: 251 * 1e7 = 2,510,000,000;
     *   tax 200 * 1e7 * 0.0003 + 51 * 1e7 * 0.0007 = 600,000 + 357,000 = 957,000.
     * piecewise: 2510 dm2 split 1506 / 1004: 150.6 * 1e7 + 100.4 * 6e6 = 1,506,000,000 +
     *   602,400,000 = 2,108,400,000; average price 2,108,400,000 / 251 = 8,400,000;
     *   tax 200 * 8.4e6 * 0.0003 + 51 * 8.4e6 * 0.0007 = 504,000 + 299,880 = 803,880 */
    { "straddle", 85, 10, 110, 20, "ONT", 2510, 25200,
      { "Z1", 1, 10000000, 2510000000, 957000 }, { "Z1+Z2", 1, 8400000, 2108400000, 803880 },
      "straddles_zones",
      "shares: Z1 (position 1, 10000000 VND/m2) 60.0%; Z2 (position 2, 6000000 VND/m2) 40.0%; "
      "value interior_point 2510000000 VND (zone Z1), piecewise 2108400000 VND" },
    /* [50.25,100.25] x [0,10]: 2.5 of 500 m2 in Z2 = exactly 0.5 %: not straddling.
     * piecewise 497.5 * 1e7 + 2.5 * 6e6 = 4,975,000,000 + 15,000,000 = 4,990,000,000;
     *   average 9,980,000; tax 200 * 9.98e6 * 0.0003 + 300 * 9.98e6 * 0.0007 = 598,800 +
     *   2,095,800 = 2,694,600. interior: 5e9; 600,000 + 300 * 1e7 * 0.0007 = 2,700,000 */
    { "sliver-0.5%", 50.25, 0, 100.25, 10, "ONT", 5000, 25200,
      { "Z1", 1, 10000000, 5000000000, 2700000 }, { "Z1+Z2", 1, 9980000, 4990000000, 2694600 },
      NULL, NULL },
    /* [50.5,100.5] x [0,10]: 5 of 500 m2 in Z2 = 1 %: straddling */
    { "sliver-1%", 50.5, 0, 100.5, 10, "ONT", 5000, 25200,
      /* piecewise 495 * 1e7 + 5 * 6e6 = 4,980,000,000; average 9,960,000;
       * tax 200 * 9.96e6 * 0.0003 + 300 * 9.96e6 * 0.0007 = 597,600 + 2,091,600 = 2,689,200 */
      { "Z1", 1, 10000000, 5000000000, 2700000 }, { "Z1+Z2", 1, 9960000, 4980000000, 2689200 },
      "straddles_zones", "Z1 (position 1, 10000000 VND/m2) 99.0%; Z2 (position 2, 6000000 VND/m2) 1.0%" },
    /* overlapping zones ZA (pos 1) inside ZB (pos 2): [30,60] x [210,220] = 300 m2.
     * interior (45, 215) is in both: ZA wins: 300 * 5e6 = 1.5e9;
     *   tax 200 * 5e6 * 0.0003 + 100 * 5e6 * 0.0007 = 300,000 + 350,000 = 650,000.
     * piecewise: ZA takes [30,50] = 200 m2, ZB what is left, [50,60] = 100 m2 (not 300):
     *   200 * 5e6 + 100 * 3e6 = 1.3e9; average 1.3e9 / 300 = 4,333,333.3 -> 4,333,333;
     *   tax (200 * 0.0003 + 100 * 0.0007) * 1.3e9 / 300 = 0.13 * 1.3e9 / 300 = 563,333.3 */
    { "overlap", 30, 210, 60, 220, "ONT", 3000, 25200,
      { "ZA", 1, 5000000, 1500000000, 650000 }, { "ZA+ZB", 1, 4333333, 1300000000, 563333 },
      "straddles_zones", "ZA (position 1, 5000000 VND/m2) 66.7%; ZB (position 2, 3000000 VND/m2) 33.3%" },
    /* huge: 1e9 m2 at 9e8 VND/m2 = 9e17 VND (int64 max ~9.22e18);
     * tax 200 * 9e8 * 0.0003 + 400 * 9e8 * 0.0007 + (1e9 - 600) * 9e8 * 0.0015
     *   = 54,000,000 + 252,000,000 + 899,999,460,000,000,000 * 0.0015 (= 1,349,999,190,000,000)
     *   = 1,349,999,496,000,000 */
    { "huge", 1100, 100, 1200, 200, "ONT", 10000000000, 25200,
      { "ZX", 1, 900000000, 900000000000000000, 1349999496000000 },
      { "ZX", 1, 900000000, 900000000000000000, 1349999496000000 }, NULL, NULL },
    /* too huge: 1e6 m2 * 1e15 VND/m2 = 1e21 VND does not fit 64 bits: bad_value, unpriced */
    { "overflow", 3100, 100, 3200, 200, "ONT", 10000000, 25200,
      { NULL, 0, -1, 0, 0 }, { NULL, 0, -1, 0, 0 }, "bad_value", "value overflows 64 bits" },
};
/* clang-format on */

struct fixture {
    struct lr_config cfg;
    struct lr_commune_limit limit;
    struct lr_run_opts opts;
    struct lr_ctx ctx;
    struct lr_shard sh;
};

/* A closed rectangle as a one-part shape, built into a GEOS MultiPolygon. */
static void *
rect(struct lr_geom_ctx *g, double x0, double y0, double x1, double y1)
{
    double xy[10] = { x0, y0, x1, y0, x1, y1, x0, y1, x0, y0 };
    uint32_t part_rings[1] = { 1 }, ring_pts[1] = { 5 };
    struct lr_shape s = { 1, 1, 5, part_rings, ring_pts, xy };
    enum lr_issue_class why;
    void *geom = lr_geom_from_shape(g, &s, &why);

    assert_non_null(geom);
    return geom;
}

static void
add_zones(struct fixture *f)
{
    f->sh.zones = calloc(LR_ARRAY_LEN(zones), sizeof(*f->sh.zones));
    assert_non_null(f->sh.zones);
    for (size_t i = 0; i < LR_ARRAY_LEN(zones); i++) {
        struct lr_zone *z = &f->sh.zones[i];
        const struct zone_def *d = &zones[i];
        z->zone = strdup(d->id);
        z->land_use = strdup(d->lu);
        z->position = d->pos;
        z->price_vnd = d->price;
        z->geom = rect(f->ctx.geom, d->x0, d->y0, d->x1, d->y1);
        z->prep = lr_geom_prepare(f->ctx.geom, z->geom);
        f->sh.n_zones++;
    }
}

/* One matched parcel with its register record (area agreeing, so the extract uses it). */
static void
add_parcel(struct fixture *f, const struct parcel_case *c, int32_t n)
{
    struct lr_record *r = lr_shard_add_record(&f->sh);
    struct lr_parcel *p;

    assert_non_null(r);
    r->key = (struct lr_key){ 25216, 1, n };
    r->land_use = strdup(c->lu);
    r->area_dm2 = c->area_dm2;
    r->parcel = n - 1;
    p = lr_shard_add_parcel(&f->sh);
    assert_non_null(p);
    p->key = r->key;
    p->land_use = strdup(c->lu);
    p->status = LR_ST_MATCHED;
    p->record = n - 1;
    p->area_ok = true;
    p->confidence_pct = 100;
    p->new_commune = c->new_commune;
    p->geom = rect(f->ctx.geom, c->x0, c->y0, c->x1, c->y1);
    p->area_dm2 = lr_money_area_from_double(lr_geom_area(f->ctx.geom, p->geom));
    assert_true(lr_geom_interior_point(f->ctx.geom, p->geom, &p->ix, &p->iy));
}

static struct fixture *
fixture_new(enum lr_value_method method)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->cfg.value_method = method;
    f->cfg.residential_limit_dm2 = 2000;
    f->limit = (struct lr_commune_limit){ 25195, 1000 };
    f->cfg.commune_limits = &f->limit;
    f->cfg.n_commune_limits = 1;
    f->cfg.tax_residential_nano[0] = 300000;
    f->cfg.tax_residential_nano[1] = 700000;
    f->cfg.tax_residential_nano[2] = 1500000;
    f->cfg.tax_non_agri_nano = 300000;
    f->cfg.tax_agri_nano = 0;
    f->ctx.cfg = &f->cfg;
    f->ctx.opts = &f->opts;
    f->ctx.geom = lr_geom_ctx_new();
    assert_non_null(f->ctx.geom);
    lr_shard_init(&f->sh, &f->cfg);
    f->sh.stages[0].name = "value";
    f->sh.n_stages = 1;
    add_zones(f);
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++)
        add_parcel(f, &cases[i], (int32_t)i + 1);
    return f;
}

static void
fixture_free(struct fixture *f)
{
    lr_shard_release(&f->sh);
    lr_geom_ctx_free(f->ctx.geom);
    free(f);
}

/* The issue of class name on parcel i, or NULL. */
static const struct lr_issue *
find_issue(const struct lr_shard *sh, size_t i, const char *name)
{
    for (size_t k = 0; k < sh->n_issues; k++)
        if (sh->issues[k].parcel == (int64_t)i &&
            strcmp(lr_issue_name(sh->issues[k].cls), name) == 0)
            return &sh->issues[k];
    return NULL;
}

static void
check_case(const struct lr_shard *sh, size_t i, const struct want *w, const struct parcel_case *c)
{
    const struct lr_parcel *p = &sh->parcels[i];
    const char *issue = c->issue;

    print_message("case %s\n", c->name);
    if (!w->zone) {
        assert_int_equal(p->price_vnd, -1);
        assert_null(p->zone);
    } else {
        assert_non_null(p->zone);
        assert_string_equal(p->zone, w->zone);
        assert_int_equal(p->position, w->pos);
        assert_int_equal(p->price_vnd, w->price);
        assert_int_equal(p->value_vnd, w->value);
        assert_int_equal(p->tax_vnd, w->tax);
    }
    if (issue && issue[0] == '?') /* an issue that only the method leaving it unpriced raises */
        issue = w->zone ? NULL : issue + 1;
    if (issue) {
        const struct lr_issue *is = find_issue(sh, i, issue);
        assert_non_null(is);
        if (c->detail)
            assert_non_null(strstr(is->detail, c->detail));
    } else {
        assert_null(find_issue(sh, i, "no_price"));
        assert_null(find_issue(sh, i, "straddles_zones"));
        assert_null(find_issue(sh, i, "bad_value"));
    }
}

static void
run_method(enum lr_value_method method)
{
    struct fixture *f = fixture_new(method);
    struct lr_err err = { LR_OK, "" };
    int64_t priced = 0;

    assert_int_equal(lr_stage_value(&f->ctx, &f->sh, &err), LR_OK);
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        const struct want *w = method == LR_VALUE_PIECEWISE ? &cases[i].pw : &cases[i].ip;
        check_case(&f->sh, i, w, &cases[i]);
        priced += w->zone != NULL;
    }
    assert_int_equal(f->sh.stages[0].in, (int64_t)LR_ARRAY_LEN(cases));
    assert_int_equal(f->sh.stages[0].out, priced);
    fixture_free(f);
}

static void
test_interior_point(void **state)
{
    (void)state;
    run_method(LR_VALUE_INTERIOR_POINT);
}

static void
test_piecewise(void **state)
{
    (void)state;
    run_method(LR_VALUE_PIECEWISE);
}

/* Parcels outside the matched family are not valued. */
static void
test_unmatched_not_valued(void **state)
{
    struct fixture *f = fixture_new(LR_VALUE_INTERIOR_POINT);
    struct lr_err err = { LR_OK, "" };

    (void)state;
    f->sh.parcels[0].status = LR_ST_MAP_ONLY;
    assert_int_equal(lr_stage_value(&f->ctx, &f->sh, &err), LR_OK);
    assert_int_equal(f->sh.parcels[0].price_vnd, -1);
    assert_null(f->sh.parcels[0].zone);
    assert_int_equal(f->sh.stages[0].in, (int64_t)LR_ARRAY_LEN(cases) - 1);
    fixture_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interior_point),
        cmocka_unit_test(test_piecewise),
        cmocka_unit_test(test_unmatched_not_valued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
