/* test_geom_cases.c - hand-made parcels through the validate stage, each with the issue set it
 * must raise (and only that set); repair leaves valid parcels untouched; the exact interior test
 * behind the overlap search (geom_rings.c) on small cases.
 *
 * Expected sets are reasoned from the definitions, not read off the program: GEOS's validity
 * reasons ("Self-intersection", "Ring Self-intersection", "Nested shells", "Too few points") map
 * to the classes as geom.c documents; the structure repair of nested shells is their union (a
 * 2x2 shell inside a 10x10 one: 104 m2 -> 100 m2, 3.8 % lost, over the 1 % limit). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include "geom_fixture.h"
#include "geom_rings.h"

#include <cmocka.h>

#define BIT(c) (1u << (c))

struct parcel_case {
    const char *name;
    const char *shape;
    uint32_t want; /* classes raised on the parcel */
    bool rejected;
};

static const struct parcel_case cases[] = {
    { "square", "0 0,0 10,10 10,10 0,0 0", 0, false },
    /* two triangles crossing at (5 5): net signed area 0, repaired into two triangles of 25 */
    { "bow-tie", "0 0,10 10,10 0,0 10,0 0", BIT(LR_IS_SELF_INTERSECTION) | BIT(LR_IS_REPAIRED),
      false },
    /* a 15 m spike 0.1 m wide at its base: angle 2*atan(0.05/15) = 0.38 degrees < 1 */
    { "spike", "0 0,0 10,5 10,5.05 25,5.1 10,10 10,10 0,0 0", BIT(LR_IS_SPIKE), false },
    /* every point on y = 0: a ring running back over itself (a 0 degree turn at 20 0: a spike),
     * nothing polygonal to keep; no sliver verdict on a geometry left invalid */
    { "zero-area ring", "0 0,10 0,20 0,0 0",
      BIT(LR_IS_SELF_INTERSECTION) | BIT(LR_IS_SPIKE) | BIT(LR_IS_UNREPAIRABLE), false },
    /* a hole touching the shell at one point is valid (OGC); alone on its map the hole (6 m2)
     * is a hole in the parcel coverage: a gap, on the parcel around it */
    { "hole touching shell at a point", "0 0,0 10,10 10,10 0,0 0;5 0,7 3,3 3,5 0", BIT(LR_IS_GAP),
      false },
    /* a hole sharing a segment with the shell: the structure repair opens it into a bay,
     * area 100 - 9 = 91 before and after */
    { "hole touching shell along a segment", "0 0,0 10,10 10,10 0,0 0;2 0,8 0,5 3,2 0",
      BIT(LR_IS_SELF_INTERSECTION) | BIT(LR_IS_REPAIRED), false },
    /* the geometry is kept as it is; the inner shell is not a hole in the coverage */
    { "nested shells", "0 0,0 10,10 10,10 0,0 0|2 2,2 4,4 4,4 2,2 2",
      BIT(LR_IS_RING_PROBLEM) | BIT(LR_IS_UNREPAIRABLE), false },
    /* an inverted shell touching itself at (5 0): repaired into a polygon with a hole, same
     * area (94); the hole is a gap as above */
    { "self-touching ring", "0 0,0 10,10 10,10 0,5 0,7 3,3 3,5 0,0 0",
      BIT(LR_IS_SELF_INTERSECTION) | BIT(LR_IS_REPAIRED) | BIT(LR_IS_GAP), false },
    { "duplicate vertex", "0 0,0 10,10 10,10 10,10 0,0 0", BIT(LR_IS_DUPLICATE_VERTEX), false },
    /* 4 points, 2 distinct: GEOS "Too few points"; the repair leaves a line only */
    { "too few distinct points", "0 0,10 0,10 0,0 0",
      BIT(LR_IS_DUPLICATE_VERTEX) | BIT(LR_IS_TOO_FEW_POINTS) | BIT(LR_IS_UNREPAIRABLE), false },
    /* 3 points: no ring can be built at all: rejected with the reason */
    { "ring of 3 points", "0 0,10 0,0 0", BIT(LR_IS_TOO_FEW_POINTS), true },
    /* a ring left open on the map: closed by repeating its first point (PostGIS does the same,
     * test_geom_known.c RT 9) */
    { "unclosed ring", "0 0,0 10,10 10,10 0", BIT(LR_IS_RING_PROBLEM) | BIT(LR_IS_REPAIRED),
      false },
    /* a hole of 3 points holds no area: dropped (PostGIS keeps the shell too, RT 12) */
    { "hole of 3 points", "0 0,0 10,10 10,10 0,0 0;2 2,3 3,2 2",
      BIT(LR_IS_TOO_FEW_POINTS) | BIT(LR_IS_REPAIRED), false },
    /* 100 x 1 m: thinness 4*pi*100/202^2 = 0.031 < 0.05 */
    { "sliver", "0 0,0 1,100 1,100 0,0 0", BIT(LR_IS_SLIVER), false },
    /* 40 x 10 m: thinness 0.503, a normal parcel */
    { "long plot", "0 0,0 10,40 10,40 0,0 0", 0, false },
};

/* Each case alone in a shard, so that nothing but its own geometry can raise an issue. */
static void
test_parcel_cases(void **state)
{
    (void)state;
    for (size_t c = 0; c < LR_ARRAY_LEN(cases); c++) {
        struct gfx f;
        struct lr_err err = { LR_OK, "" };
        char got[256], want[256];

        gfx_init(&f, 1);
        gfx_parcel(&f, 25195, 1, 1, cases[c].shape);
        assert_int_equal(lr_stage_validate(&f.ctx, &f.sh, &err), LR_OK);
        gfx_class_names(gfx_classes(&f, 0), got, sizeof(got));
        gfx_class_names(cases[c].want, want, sizeof(want));
        if (strcmp(got, want) != 0)
            fail_msg("case '%s': issues {%s}, want {%s}", cases[c].name, got, want);
        assert_int_equal(f.sh.parcels[0].status == LR_ST_REJECTED, cases[c].rejected);
        assert_int_equal(f.sh.parcels[0].issues, cases[c].want);
        for (size_t k = 0; k < f.sh.n_issues; k++)
            assert_true(f.sh.issues[k].detail && f.sh.issues[k].detail[0]);
        gfx_release(&f);
    }
}

/* Repaired details carry both areas; the manifest's total is the sum of the changes. */
static void
test_repair_report(void **state)
{
    struct gfx f;
    struct lr_err err = { LR_OK, "" };
    const struct lr_issue *is;

    (void)state;
    gfx_init(&f, 1);
    gfx_parcel(&f, 25195, 1, 1, "0 0,10 10,10 0,0 10,0 0");                        /* 0 -> 50 */
    gfx_parcel(&f, 25195, 1, 2, "20 0,20 10,30 10,30 0,25 0,27 3,23 3,25 0,20 0"); /* 94 -> 94 */
    assert_int_equal(lr_stage_validate(&f.ctx, &f.sh, &err), LR_OK);
    is = gfx_issue(&f, 0, LR_IS_REPAIRED);
    assert_non_null(is);
    assert_non_null(strstr(is->detail, "area 0.0 m2 before, 50.0 after (+50.0)"));
    assert_non_null(strstr(is->detail, "structure repair: 1 part -> 2 parts"));
    assert_int_equal(f.sh.repair_area_delta_dm2, 500);
    assert_int_equal(f.sh.parcels[0].area_dm2, 500);
    assert_int_equal(f.sh.parcels[1].area_dm2, 940);
    gfx_release(&f);
}

/* Every parcel without a validity issue keeps exactly the geometry built from its shape (built
 * here before validate, which frees the coordinates once done). */
static void
test_valid_untouched(void **state)
{
    struct gfx f;
    struct lr_err err = { LR_OK, "" };
    uint32_t invalid = BIT(LR_IS_SELF_INTERSECTION) | BIT(LR_IS_RING_PROBLEM) |
                       BIT(LR_IS_TOO_FEW_POINTS) | BIT(LR_IS_REPAIRED) | BIT(LR_IS_UNREPAIRABLE);
    void *fresh[LR_ARRAY_LEN(cases)];
    int checked = 0;

    (void)state;
    gfx_init(&f, 2);
    for (size_t c = 0; c < LR_ARRAY_LEN(cases); c++)
        gfx_parcel(&f, 25195, 1, (int)c + 1, cases[c].shape);
    assert_int_equal(f.sh.n_parcels, LR_ARRAY_LEN(cases));
    for (size_t i = 0; i < f.sh.n_parcels; i++) {
        enum lr_issue_class why;
        fresh[i] = lr_geom_from_shape(f.g, &f.sh.parcels[i].shape, &why);
    }
    assert_int_equal(lr_stage_validate(&f.ctx, &f.sh, &err), LR_OK);
    for (size_t i = 0; i < f.sh.n_parcels; i++) {
        const struct lr_parcel *p = &f.sh.parcels[i];
        size_t n1 = 0, n2 = 0;
        assert_null(p->shape.xy); /* released: nothing reads them after validate */
        if (p->issues & invalid)
            continue;
        assert_non_null(fresh[i]);
        unsigned char *a = lr_geom_to_wkb(f.g, fresh[i], &n1),
                      *b = lr_geom_to_wkb(f.g, p->geom, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        free(a);
        free(b);
        checked++;
    }
    for (size_t i = 0; i < f.sh.n_parcels; i++)
        lr_geom_free(fresh[i]);
    /* square, spike, hole touching at a point, duplicate vertex, sliver, long plot */
    assert_int_equal(checked, 6);
    gfx_release(&f);
}

/* ---- the interior test behind the overlap search ---- */

struct pair_case {
    const char *name;
    const char *a, *b;
    bool want;
};

static const struct pair_case pairs[] = {
    { "edge neighbours", "0 0,0 1,1 1,1 0,0 0", "1 0,1 1,2 1,2 0,1 0", false },
    { "corner neighbours", "0 0,0 1,1 1,1 0,0 0", "1 1,1 2,2 2,2 1,1 1", false },
    { "apart", "0 0,0 1,1 1,1 0,0 0", "3 0,3 1,4 1,4 0,3 0", false },
    { "shifted", "0 0,0 1,1 1,1 0,0 0", "0.5 0,0.5 1,1.5 1,1.5 0,0.5 0", true },
    { "inside, no contact", "0 0,0 10,10 10,10 0,0 0", "2 2,2 3,3 3,3 2,2 2", true },
    { "inside, sharing an edge", "0 0,0 10,10 10,10 0,0 0", "0 0,0 3,3 3,3 0,0 0", true },
    { "identical", "0 0,0 1,1 1,1 0,0 0", "0 0,0 1,1 1,1 0,0 0", true },
    { "identical, other start and direction", "0 0,0 1,1 1,1 0,0 0", "1 1,0 1,0 0,1 0,1 1", true },
    { "filling a hole", "0 0,0 10,10 10,10 0,0 0;2 2,2 4,4 4,4 2,2 2", "2 2,2 4,4 4,4 2,2 2",
      false },
    { "inside a hole", "0 0,0 10,10 10,10 0,0 0;2 2,2 6,6 6,6 2,2 2", "3 3,3 4,4 4,4 3,3 3",
      false },
    { "bump into the neighbour", "0 0,0 1,1 1,1 0,0.6 0,0.5 -0.3,0.4 0,0 0",
      "0 -1,0 0,1 0,1 -1,0 -1", true },
    { "vertex of one on the other's edge", "0 0,0 1,1 1,1 0.5,1 0,0 0", "1 0,1 1,2 1,2 0,1 0",
      false },
    { "notch beside the neighbour", "0 0,0 1,1 1,1 0,0.7 0,0.7 0.3,0.3 0.3,0.3 0,0 0",
      "0 -1,0 0,1 0,1 -1,0 -1", false },
    { "crossing bars", "0 4,0 6,10 6,10 4,0 4", "4 0,4 10,6 10,6 0,4 0", true },
    { "spike tip inside", "0 0,0 1,0.5 1,0.51 1.5,0.52 1,1 1,1 0,0 0", "0 1,0 2,1 2,1 1,0 1",
      true },
};

static void
test_interiors_intersect(void **state)
{
    (void)state;
    for (size_t c = 0; c < LR_ARRAY_LEN(pairs); c++) {
        struct lr_shape sa, sb;
        struct lr_rings r;
        struct lr_ringset a, b;
        size_t ra = 0, rb = 0;
        enum lr_issue_class why;
        struct lr_geom_ctx *g = lr_geom_ctx_new();
        void *ga, *gb;

        gfx_shape(&sa, pairs[c].a);
        gfx_shape(&sb, pairs[c].b);
        ga = lr_geom_from_shape(g, &sa, &why);
        gb = lr_geom_from_shape(g, &sb, &why);
        assert_non_null(ga);
        assert_non_null(gb);
        lr_rings_init(&r);
        assert_int_equal(lr_geom_rings(g, ga, &r, &ra), LR_OK);
        assert_int_equal(lr_geom_rings(g, gb, &r, &rb), LR_OK);
        lr_ringset_make(&a, &r, 0, ra);
        lr_ringset_make(&b, &r, ra, rb);
        if (lr_ringset_interiors_intersect(&a, &b) != pairs[c].want ||
            lr_ringset_interiors_intersect(&b, &a) != pairs[c].want)
            fail_msg("pair '%s': want %s", pairs[c].name, pairs[c].want ? "true" : "false");
        lr_rings_release(&r);
        lr_geom_free(ga);
        lr_geom_free(gb);
        lr_shape_release(&sa);
        lr_shape_release(&sb);
        lr_geom_ctx_free(g);
    }
}

/* The shortcut that skips GEOS for one simple ring must never call an invalid ring simple:
 * random rings of 4 to 9 points on a 6 x 6 integer grid (repeated points, collinear runs,
 * touching and crossing edges galore), and the same rings scaled and shifted to projected
 * coordinates (x + 500000, y + 1200000, units of 0.37 m). */
static void
test_simple_ring_agrees_with_geos(void **state)
{
    struct lr_geom_ctx *g = lr_geom_ctx_new();
    uint64_t seed = 12345;
    int simple = 0, valid = 0;

    (void)state;
    for (int t = 0; t < 40000; t++) {
        double xy[20];
        struct lr_shape s = { 0 };
        uint32_t part = 1, npts;
        enum lr_issue_class why;
        struct lr_validity v;
        bool projected = t % 2;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        npts = 3 + (uint32_t)((seed >> 33) % 6);
        for (uint32_t k = 0; k < npts; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            xy[2 * k] = (double)((seed >> 33) % 6);
            xy[2 * k + 1] = (double)((seed >> 40) % 6);
            if (projected) {
                xy[2 * k] = 500000 + 0.37 * xy[2 * k];
                xy[2 * k + 1] = 1200000 + 0.37 * xy[2 * k + 1];
            }
        }
        xy[2 * npts] = xy[0];
        xy[2 * npts + 1] = xy[1];
        npts++;
        s.nparts = 1;
        s.nrings = 1;
        s.npts = npts;
        s.part_rings = &part;
        s.ring_pts = &npts;
        s.xy = xy;
        void *geom = lr_geom_from_shape(g, &s, &why);
        if (!geom)
            continue;
        lr_geom_validate(g, geom, &v);
        if (lr_ring_is_simple(xy, npts)) {
            simple++;
            if (!v.valid)
                fail_msg("ring %d called simple, GEOS: %s", t, v.reason);
        }
        valid += v.valid;
        lr_geom_free(geom);
    }
    print_message("random rings: %d valid by GEOS, %d of them recognised as simple\n", valid,
                  simple);
    assert_true(simple > valid / 2); /* the shortcut is taken for most valid rings */
    lr_geom_ctx_free(g);
}

/* A random valid polygon of one ring on a 5 x 5 grid (NULL after 100 tries). */
static void *
random_polygon(struct lr_geom_ctx *g, uint64_t *seed, double *xy, uint32_t *npts)
{
    for (int tries = 0; tries < 100; tries++) {
        struct lr_shape s = { 0 };
        uint32_t part = 1;
        enum lr_issue_class why;
        struct lr_validity v;
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        *npts = 3 + (uint32_t)((*seed >> 33) % 5);
        for (uint32_t k = 0; k < *npts; k++) {
            *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
            xy[2 * k] = (double)((*seed >> 33) % 5);
            xy[2 * k + 1] = (double)((*seed >> 40) % 5);
        }
        xy[2 * *npts] = xy[0];
        xy[2 * *npts + 1] = xy[1];
        (*npts)++;
        s.nparts = s.nrings = 1;
        s.npts = *npts;
        s.part_rings = &part;
        s.ring_pts = npts;
        s.xy = xy;
        void *geom = lr_geom_from_shape(g, &s, &why);
        if (geom)
            lr_geom_validate(g, geom, &v);
        if (geom && v.valid && lr_geom_area(g, geom) > 0)
            return geom;
        lr_geom_free(geom);
    }
    return NULL;
}

/* Compare the filter with GEOS on one pair (a and b are freed): 1 when GEOS finds an
 * intersection with area; fails when the filter misses one, or says yes without area, or
 * answers differently with the arguments swapped. */
static int
compare_pair(struct lr_geom_ctx *g, void *a, void *b)
{
    struct lr_rings r;
    struct lr_ringset sa, sb;
    size_t ra = 0, rb = 0;
    void *x;
    double area;
    bool f;

    assert_non_null(a);
    assert_non_null(b);
    lr_rings_init(&r);
    assert_int_equal(lr_geom_rings(g, a, &r, &ra), LR_OK);
    assert_int_equal(lr_geom_rings(g, b, &r, &rb), LR_OK);
    lr_ringset_make(&sa, &r, 0, ra);
    lr_ringset_make(&sb, &r, ra, rb);
    x = lr_geom_intersection(g, a, b);
    area = x ? lr_geom_area(g, x) : -1;
    f = lr_ringset_interiors_intersect(&sa, &sb);
    assert_true(area >= 0);
    if ((area > 1e-9) != f) /* exact on grid coordinates */
        fail_msg("filter %d, GEOS area %g: %s and %s", f, area, lr_geom_to_wkt(g, a),
                 lr_geom_to_wkt(g, b));
    assert_int_equal(f, lr_ringset_interiors_intersect(&sb, &sa));
    lr_geom_free(x);
    lr_geom_free(a);
    lr_geom_free(b);
    lr_rings_release(&r);
    return area > 1e-9;
}

/* The overlap filter against GEOS on random pairs of valid polygons on a small grid (shared
 * edges, shared vertices, collinear runs, containment, duplicates), then on a holed square and
 * a random polygon: the filter says the interiors meet exactly when GEOS finds an intersection
 * with area. */
static void
test_interiors_against_geos(void **state)
{
    struct lr_geom_ctx *g = lr_geom_ctx_new();
    uint64_t seed = 99;
    int meet = 0, n = 0;
    double xa[20], xb[20];
    uint32_t na, nb;
    char wkt[160];

    (void)state;
    for (; n < 20000; n++)
        meet +=
            compare_pair(g, random_polygon(g, &seed, xa, &na), random_polygon(g, &seed, xb, &nb));
    for (; n < 25000; n++) { /* [0,4]^2 less a random grid rectangle inside it */
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int x0 = 1 + (int)((seed >> 33) % 2), y0 = 1 + (int)((seed >> 37) % 2);
        int x1 = x0 + 1 + (int)((seed >> 41) % (unsigned)(3 - x0));
        int y1 = y0 + 1 + (int)((seed >> 45) % (unsigned)(3 - y0));
        snprintf(wkt, sizeof(wkt), "POLYGON((0 0,0 4,4 4,4 0,0 0),(%d %d,%d %d,%d %d,%d %d,%d %d))",
                 x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
        meet += compare_pair(g, lr_geom_from_wkt(g, wkt), random_polygon(g, &seed, xb, &nb));
    }
    print_message("random pairs: %d, %d overlapping by GEOS, the filter agreeing on all\n", n,
                  meet);
    assert_true(meet > n / 4 && meet < n); /* both answers well represented */
    lr_geom_ctx_free(g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parcel_cases),
        cmocka_unit_test(test_repair_report),
        cmocka_unit_test(test_valid_untouched),
        cmocka_unit_test(test_interiors_intersect),
        cmocka_unit_test(test_simple_ring_agrees_with_geos),
        cmocka_unit_test(test_interiors_against_geos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
