/* test_geom_qa.c - overlaps, gaps and commune placement on a small hand-made map, with the
 * answers worked out by hand, and the same answers whatever the number of threads.
 *
 * Commune 25195 is the rectangle [0,80] x [0,60] (a grid of 10 m cells, rows r = 0..5 from the
 * south, columns c = 0..7, parcel 25195-1-(8r+c+1)); commune 25300 is [80,120] x [0,60] (columns
 * 8..11 of old commune 25300). Defects:
 *  - cell (2,2) has a bump 3 m down into cell (1,2): an overlap of 10*3/2 = 15 m2, on both;
 *  - parcel 25195-1-99 repeats cell (3,6): duplicated geometry, 100 m2, on both;
 *  - cell (4,5) has a 4 x 2.5 m notch in its south side: a gap of 10 m2 inside the coverage; the
 *    notched cell shares 2.5 + 4 + 2.5 = 9 m of it, cell (3,5) 4 m;
 *  - cell (0,4) has the same notch on the commune's own edge: a gap of 10 m2 against the
 *    boundary (a hole only when boundaries are given);
 *  - cell (1,3) is cut into a host and a 0.1 m strip (25195-1-98): the strip is a sliver
 *    (thinness 4*pi*1/20.2^2 = 0.031); the cut makes T-junctions with cells (1,2) and (1,4) but
 *    no gap;
 *  - cell (5,7) reaches 3 m into commune 25300, whose cell (5,8) starts 3 m later: no gap there;
 *  - cell (0,0) starts at x = 3 and parcel 25195-1-97 covers [-7,3] x [0,10]: 30 % inside the
 *    commune, so outside_boundary ("70.0 %"), and the strip [0,3] is no gap. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include "geom_fixture.h"

#include <cmocka.h>

#define A 25195
#define B 25300

/* Shape text of cell (r, c), clockwise from the south-west corner, with a defect. */
enum cell_kind { PLAIN, BUMP, NOTCH, HOST, STRIP, WIDE, SHORT_WEST, NARROW_WEST };

static void
cell_text(char *buf, size_t size, int r, int c, enum cell_kind k)
{
    double x0 = 10.0 * c, x1 = x0 + 10, y0 = 10.0 * r, y1 = y0 + 10;

    switch (k) {
    case BUMP: /* x1 y0 -> (x0+5, y0-3) -> x0 y0 */
        snprintf(buf, size, "%g %g,%g %g,%g %g,%g %g,%g %g,%g %g", x0, y0, x0, y1, x1, y1, x1, y0,
                 x0 + 5, y0 - 3, x0, y0);
        return;
    case NOTCH:
        snprintf(buf, size, "%g %g,%g %g,%g %g,%g %g,%g %g,%g %g,%g %g,%g %g,%g %g", x0, y0, x0, y1,
                 x1, y1, x1, y0, x0 + 7, y0, x0 + 7, y0 + 2.5, x0 + 3, y0 + 2.5, x0 + 3, y0, x0,
                 y0);
        return;
    case HOST:
        y0 += 0.1;
        break;
    case STRIP:
        y1 = y0 + 0.1;
        break;
    case WIDE:
        x1 += 3;
        break;
    case SHORT_WEST:
        x0 += 3;
        break;
    case NARROW_WEST: /* the outside parcel: [-7,3] */
        x0 = -7;
        x1 = 3;
        break;
    case PLAIN:
        break;
    }
    snprintf(buf, size, "%g %g,%g %g,%g %g,%g %g,%g %g", x0, y0, x0, y1, x1, y1, x1, y0, x0, y0);
}

static enum cell_kind
kind_of(int r, int c)
{
    if (r == 2 && c == 2)
        return BUMP;
    if ((r == 4 && c == 5) || (r == 0 && c == 4))
        return NOTCH;
    if (r == 1 && c == 3)
        return HOST;
    if (r == 5 && c == 7)
        return WIDE;
    if ((r == 0 && c == 0) || (r == 5 && c == 8))
        return SHORT_WEST;
    return PLAIN;
}

/* The map above; returns the fixture ready to run. */
static void
build_map(struct gfx *f, int jobs, bool boundaries)
{
    char t[512];

    gfx_init(f, jobs);
    for (int r = 0; r < 6; r++)
        for (int c = 0; c < 12; c++) {
            cell_text(t, sizeof(t), r, c, kind_of(r, c));
            if (c < 8)
                gfx_parcel(f, A, 1, 8 * r + c + 1, t);
            else
                gfx_parcel(f, B, 1, 4 * r + c - 7, t);
        }
    cell_text(t, sizeof(t), 3, 6, PLAIN);
    gfx_parcel(f, A, 1, 99, t);
    cell_text(t, sizeof(t), 1, 3, STRIP);
    gfx_parcel(f, A, 1, 98, t);
    cell_text(t, sizeof(t), 0, 0, NARROW_WEST);
    gfx_parcel(f, A, 1, 97, t);
    if (boundaries) {
        gfx_boundary(f, A, "POLYGON((0 0,0 60,80 60,80 0,0 0))");
        gfx_boundary(f, B, "POLYGON((80 0,80 60,120 60,120 0,80 0))");
    }
}

/* Index of parcel commune-1-number. */
static int64_t
find(const struct gfx *f, int commune, int number)
{
    for (size_t i = 0; i < f->sh.n_parcels; i++)
        if (f->sh.parcels[i].key.commune == commune && f->sh.parcels[i].key.parcel == number)
            return (int64_t)i;
    fail_msg("no parcel %d-1-%d", commune, number);
    return -1;
}

static int
count_class(const struct gfx *f, enum lr_issue_class c)
{
    int n = 0;

    for (size_t k = 0; k < f->sh.n_issues; k++)
        n += f->sh.issues[k].cls == c;
    return n;
}

static void
expect_detail(const struct gfx *f, int64_t i, enum lr_issue_class c, const char *part)
{
    const struct lr_issue *is = gfx_issue(f, i, c);

    if (!is)
        fail_msg("no %s on parcel %lld", lr_issue_name(c), (long long)i);
    if (!strstr(is->detail, part))
        fail_msg("%s on parcel %lld: '%s' lacks '%s'", lr_issue_name(c), (long long)i, is->detail,
                 part);
}

static void
run(struct gfx *f)
{
    struct lr_err err = { LR_OK, "" };

    if (lr_stage_validate(&f->ctx, &f->sh, &err) != LR_OK)
        fail_msg("validate failed: %s", err.msg);
}

static void
test_with_boundaries(void **state)
{
    struct gfx f;
    int64_t bump, below, dup, twin, notched, under, edge, strip, out, wide;

    (void)state;
    build_map(&f, 2, true);
    run(&f);
    bump = find(&f, A, 8 * 2 + 2 + 1);
    below = find(&f, A, 8 * 1 + 2 + 1);
    twin = find(&f, A, 8 * 3 + 6 + 1);
    dup = find(&f, A, 99);
    notched = find(&f, A, 8 * 4 + 5 + 1);
    under = find(&f, A, 8 * 3 + 5 + 1);
    edge = find(&f, A, 0 + 4 + 1);
    strip = find(&f, A, 98);
    out = find(&f, A, 97);
    wide = find(&f, A, 8 * 5 + 7 + 1);
    expect_detail(&f, bump, LR_IS_OVERLAP, "overlaps 25195-1-11 by 15.0 m2");
    expect_detail(&f, below, LR_IS_OVERLAP, "overlaps 25195-1-19 by 15.0 m2");
    expect_detail(&f, twin, LR_IS_OVERLAP, "duplicated geometry: overlaps 25195-1-99 by 100.0 m2");
    expect_detail(&f, dup, LR_IS_OVERLAP, "duplicated geometry: overlaps 25195-1-31 by 100.0 m2");
    expect_detail(&f, notched, LR_IS_GAP, "gap of 10.0 m2");
    expect_detail(&f, notched, LR_IS_GAP, "beside 25195-1-38 (9.0 m), 25195-1-30 (4.0 m)");
    assert_int_equal(gfx_count_issues(&f, under, LR_IS_GAP), 0); /* one gap, one parcel */
    expect_detail(&f, edge, LR_IS_GAP, "gap of 10.0 m2");
    expect_detail(&f, strip, LR_IS_SLIVER, "thinness 0.03");
    expect_detail(&f, out, LR_IS_OUTSIDE_BOUNDARY, "70.0 % of the parcel's area lies outside");
    assert_int_equal(count_class(&f, LR_IS_OVERLAP), 4);
    assert_int_equal(count_class(&f, LR_IS_GAP), 2);
    assert_int_equal(count_class(&f, LR_IS_SLIVER), 1);
    assert_int_equal(count_class(&f, LR_IS_OUTSIDE_BOUNDARY), 1);
    assert_int_equal(f.sh.n_issues, 8);
    /* the overlap polygon and the gap polygon travel with their issues */
    assert_non_null(gfx_issue(&f, bump, LR_IS_OVERLAP)->wkb_hex);
    assert_non_null(gfx_issue(&f, notched, LR_IS_GAP)->wkb_hex);
    /* placement: the wide cell is mostly in 25195, the outside parcel in none */
    assert_int_equal(f.sh.parcels[wide].geo_commune, A);
    assert_int_equal(f.sh.parcels[find(&f, B, 4 * 5 + 8 - 7)].geo_commune, B);
    assert_int_equal(f.sh.parcels[out].geo_commune, -1);
    gfx_release(&f);
}

/* Without boundaries gaps are the holes of the coverage: the notch inside is one, the notch on
 * the edge is not; nothing is outside. */
static void
test_without_boundaries(void **state)
{
    struct gfx f;

    (void)state;
    build_map(&f, 2, false);
    run(&f);
    assert_int_equal(count_class(&f, LR_IS_GAP), 1);
    expect_detail(&f, find(&f, A, 8 * 4 + 5 + 1), LR_IS_GAP, "hole of 10.0 m2");
    assert_int_equal(count_class(&f, LR_IS_OVERLAP), 4);
    assert_int_equal(count_class(&f, LR_IS_OUTSIDE_BOUNDARY), 0);
    gfx_release(&f);
}

/* One thread or three: the same issues in the same order, the same placements. */
static void
test_thread_count(void **state)
{
    struct gfx one, three;

    (void)state;
    build_map(&one, 1, true);
    build_map(&three, 3, true);
    run(&one);
    run(&three);
    assert_int_equal(one.sh.n_issues, three.sh.n_issues);
    for (size_t k = 0; k < one.sh.n_issues; k++) {
        const struct lr_issue *a = &one.sh.issues[k], *b = &three.sh.issues[k];
        assert_int_equal(a->parcel, b->parcel);
        assert_int_equal(a->cls, b->cls);
        assert_string_equal(a->detail, b->detail);
        assert_true(a->x == b->x && a->y == b->y);
        assert_string_equal(a->wkb_hex ? a->wkb_hex : "", b->wkb_hex ? b->wkb_hex : "");
    }
    for (size_t i = 0; i < one.sh.n_parcels; i++) {
        assert_int_equal(one.sh.parcels[i].geo_commune, three.sh.parcels[i].geo_commune);
        assert_int_equal(one.sh.parcels[i].area_dm2, three.sh.parcels[i].area_dm2);
    }
    gfx_release(&one);
    gfx_release(&three);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_with_boundaries),
        cmocka_unit_test(test_without_boundaries),
        cmocka_unit_test(test_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
