/* test_crs.c - unit tests of etl/crs.c's ingest safety: the CRS cases a map source can bring
 * (declared, wrong, refused, zone suggested), the no-datum-shift assertion of 9212 -> 5899 with
 * the ESRI .prj the sample writes, and the EPSG:6960 pin for VN-2000 -> WGS 84.
 *
 * PROJ is called directly only to get the reference answer (PROJ's own default pick). */
/* cmocka.h needs setjmp.h, stdarg.h, stddef.h and stdint.h first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "crs.h"

#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What `landrec sample` writes as maps/NNNNN.prj (ESRI WKT1). */
#define PRJ_SAMPLE                                                                                 \
    "PROJCS[\"VN-2000_TM-3_106-15\",GEOGCS[\"GCS_VN_2000\",DATUM[\"D_Vietnam_2000\","              \
    "SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],"                   \
    "UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"                    \
    "PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],"                     \
    "PARAMETER[\"Central_Meridian\",106.25],PARAMETER[\"Scale_Factor\",0.9999],"                   \
    "PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]"

/* A district office's own .prj: custom names, datum "D_VN_2000" (not an EPSG/ESRI alias). */
#define PRJ_DISTRICT                                                                               \
    "PROJCS[\"BinhPhuoc_DongXoai\",GEOGCS[\"GCS_VN2000\",DATUM[\"D_VN_2000\","                     \
    "SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],"                   \
    "UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"                    \
    "PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],"                     \
    "PARAMETER[\"Central_Meridian\",106.25],PARAMETER[\"Scale_Factor\",0.9999],"                   \
    "PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]"

/* The same with the Decision 05/2007 parameters as TOWGS84 (a bound CRS). */
#define PRJ_TOWGS84                                                                                \
    "PROJCS[\"VN_2000_Binh_Phuoc\",GEOGCS[\"GCS_VN_2000\",DATUM[\"D_Vietnam_2000\","               \
    "SPHEROID[\"WGS_1984\",6378137.0,298.257223563],TOWGS84[-191.90441429,-39.30318279,"           \
    "-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278]],PRIMEM[\"Greenwich\",0.0],"    \
    "UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"                    \
    "PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],"                     \
    "PARAMETER[\"Central_Meridian\",106.25],PARAMETER[\"Scale_Factor\",0.9999],"                   \
    "PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]"

/* A provincial definition with the UTM scale factor on the TM-3 meridian 106-15. */
#define PRJ_K9996                                                                                  \
    "PROJCS[\"VN2000_BinhPhuoc_k\",GEOGCS[\"GCS_VN_2000\",DATUM[\"D_Vietnam_2000\","               \
    "SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],"                   \
    "UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"                    \
    "PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],"                     \
    "PARAMETER[\"Central_Meridian\",106.25],PARAMETER[\"Scale_Factor\",0.9996],"                   \
    "PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]"

#define PROJ_TOWGS84_ZERO                                                                          \
    "+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "                \
    "+towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs"
#define PROJ_NO_DATUM                                                                              \
    "+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m "       \
    "+no_defs +type=crs"

struct fixture {
    struct lr_crs_ctx *c;
    struct lr_bbox bp_9212; /* a block of Binh Phuoc parcels, in EPSG:9212 */
    struct lr_bbox bp_3405; /* the same block in VN-2000 / UTM 48N */
    struct lr_bbox bp_5899; /* ... and in the target EPSG:5899 (the "reference") */
};

/* Transform a lon/lat box from EPSG:4756 into dst (pure conversion on VN-2000). */
static void
from_lonlat(struct lr_crs_ctx *c, const char *dst, double w, double s, double e, double n,
            struct lr_bbox *out)
{
    struct lr_crs_transform *t = NULL;
    struct lr_err err = { LR_OK, "" };
    struct lr_bbox in = { w, s, e, n };

    assert_int_equal(lr_crs_transform_new(c, "EPSG:4756", dst, "test", &t, &err), LR_OK);
    assert_true(lr_crs_transform_bbox(t, &in, out));
    lr_crs_transform_free(t);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->c = lr_crs_ctx_new();
    assert_non_null(f->c);
    /* Dong Xoai area, former Binh Phuoc: 106.85-106.92 E, 11.50-11.56 N */
    from_lonlat(f->c, "EPSG:9212", 106.85, 11.50, 106.92, 11.56, &f->bp_9212);
    from_lonlat(f->c, "EPSG:3405", 106.85, 11.50, 106.92, 11.56, &f->bp_3405);
    from_lonlat(f->c, "EPSG:5899", 106.85, 11.50, 106.92, 11.56, &f->bp_5899);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    lr_crs_ctx_free(f->c);
    free(f);
    return 0;
}

/* ---- the safety checks, table-driven ---- */

enum which_box { BOX_NONE, BOX_9212, BOX_3405, BOX_FAR_EAST };

struct check_case {
    const char *name;
    const char *src;
    const char *pipeline;
    enum which_box data;
    bool with_ref;
    enum lr_rc want;
    const char *msg1, *msg2; /* substrings of the message (NULL: not checked) */
};

#define HN72_PIPELINE                                                                              \
    "+proj=pipeline +step +inv +proj=tmerc +lon_0=105 +k=1 +x_0=500000 +ellps=krass "              \
    "+step +proj=tmerc +lon_0=107.75 +k=0.9999 +x_0=500000 +ellps=WGS84"

static const struct check_case check_cases[] = {
    { "declared EPSG:9212, data in place", "EPSG:9212", NULL, BOX_9212, true, LR_OK, NULL, NULL },
    { "sample .prj (ESRI WKT)", PRJ_SAMPLE, NULL, BOX_9212, true, LR_OK, NULL, NULL },
    { "district .prj, datum D_VN_2000", PRJ_DISTRICT, NULL, BOX_9212, true, LR_OK, NULL, NULL },
    { ".prj with the 6960 TOWGS84", PRJ_TOWGS84, NULL, BOX_9212, true, LR_OK, NULL, NULL },
    { "no data yet: datum checks only", "EPSG:9212", NULL, BOX_NONE, false, LR_OK, NULL, NULL },
    { "HN-72 Gauss-Kruger refused", "EPSG:2045", NULL, BOX_NONE, false, LR_ERR_INPUT, "HN-72",
      "crs_pipeline" },
    { "HN-72 geographic refused", "EPSG:4147", NULL, BOX_NONE, false, LR_ERR_INPUT, "HN-72", NULL },
    { "HN-72 with an explicit pipeline", "EPSG:2045", HN72_PIPELINE, BOX_NONE, false, LR_OK, NULL,
      NULL },
    { "towgs84=0 refused", PROJ_TOWGS84_ZERO, NULL, BOX_9212, false, LR_ERR_INPUT, "towgs84=0",
      "200 m" },
    { "no datum refused", PROJ_NO_DATUM, NULL, BOX_9212, false, LR_ERR_INPUT, "no known datum",
      NULL },
    { "k=0.9996 on a TM-3 meridian refused", PRJ_K9996, NULL, BOX_9212, false, LR_ERR_INPUT,
      "k=0.9996", "k=0.9999" },
    { "UTM 48N itself is fine", "EPSG:3405", NULL, BOX_3405, true, LR_OK, NULL, NULL },
    { "TM-3 eastings beyond 800 km", "EPSG:9212", NULL, BOX_FAR_EAST, false, LR_ERR_INPUT,
      "200-800 km", NULL },
    { "UTM coordinates read as TM-3", "EPSG:9212", NULL, BOX_3405, false, LR_ERR_INPUT,
      "area of use of the source CRS", "EPSG:3405" },
    { "TM-3 coordinates read as UTM", "EPSG:3405", NULL, BOX_9212, true, LR_ERR_INPUT,
      "the CRS is wrong", "EPSG:9212 (VN-2000 / TM-3 106-15)" },
    { "TM-3 106-15 read as 107-45", "EPSG:5899", NULL, BOX_9212, true, LR_ERR_INPUT,
      "away from the commune boundaries", "EPSG:9212" },
};

static void
test_check_table(void **state)
{
    struct fixture *f = *state;
    struct lr_bbox far = f->bp_9212;

    far.minx += 300000;
    far.maxx += 300000;
    for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const struct check_case *k = &check_cases[i];
        const struct lr_bbox *boxes[] = { NULL, &f->bp_9212, &f->bp_3405, &far };
        struct lr_crs_check chk = { k->src,
                                    "EPSG:5899",
                                    k->pipeline,
                                    boxes[k->data],
                                    k->with_ref ? &f->bp_5899 : NULL,
                                    "'t.shp' layer 't'" };
        struct lr_err err = { LR_OK, "" };
        enum lr_rc rc = lr_crs_check_source(f->c, &chk, &err);
        if (rc != k->want || (k->msg1 && !strstr(err.msg, k->msg1)) ||
            (k->msg2 && !strstr(err.msg, k->msg2)))
            fail_msg("case '%s': rc %d (want %d), message: %s", k->name, rc, k->want, err.msg);
        if (rc != LR_OK && !strstr(err.msg, "'t.shp' layer 't'"))
            fail_msg("case '%s': the message does not name the layer: %s", k->name, err.msg);
    }
}

/* With the boundaries as reference, the suggestion for a missing CRS is the Binh Phuoc zone. */
static void
test_suggest_zone(void **state)
{
    struct fixture *f = *state;
    char buf[400];
    size_t n = lr_crs_suggest(f->c, &f->bp_9212, "EPSG:5899", &f->bp_5899, buf, sizeof(buf));

    assert_true(n >= 1);
    assert_true(strncmp(buf, "EPSG:9212 (VN-2000 / TM-3 106-15)", 33) == 0);
    /* UTM coordinates of the same place: UTM 48N comes first */
    n = lr_crs_suggest(f->c, &f->bp_3405, "EPSG:5899", &f->bp_5899, buf, sizeof(buf));
    assert_true(n >= 1);
    assert_true(strncmp(buf, "EPSG:3405", 9) == 0);
    /* coordinates nothing fits (a French Lambert-93 extent) */
    struct lr_bbox fr = { 876996, 6471838, 877863, 6472624 };
    n = lr_crs_suggest(f->c, &fr, "EPSG:5899", &f->bp_5899, buf, sizeof(buf));
    assert_int_equal(n, 0);
    assert_string_equal(buf, "");
}

/* 9212 -> 5899 from the sample's .prj is a pure change of projection. */
static void
test_no_datum_shift_9212_5899(void **state)
{
    struct fixture *f = *state;
    const char *srcs[] = { "EPSG:9212", PRJ_SAMPLE, PRJ_DISTRICT, PRJ_TOWGS84 };

    for (size_t i = 0; i < 4; i++) {
        struct lr_crs_transform *t = NULL;
        struct lr_err err = { LR_OK, "" };
        const char *d;
        assert_int_equal(lr_crs_transform_new(f->c, srcs[i], "EPSG:5899", "t", &t, &err), LR_OK);
        d = lr_crs_transform_desc(t);
        if (strstr(d, "helmert") || strstr(d, "cart") || strstr(d, "gridshift") ||
            !strstr(d, "+lon_0=106.25") || !strstr(d, "+lon_0=107.75"))
            fail_msg("source %zu: not a pure projection change: %s", i, d);
        lr_crs_transform_free(t);
    }
}

/* A point in southern Dong Nai (Nhon Trach, inside the EPSG:5194 Mekong blocks). */
#define DN_LON 107.00
#define DN_LAT 10.75

static double
metres_between(double lon1, double lat1, double lon2, double lat2)
{
    double k = 6378137.0 * M_PI / 180;

    return hypot((lon1 - lon2) * k * cos(lat1 * M_PI / 180), (lat1 - lat2) * k);
}

static void
test_pin_6960(void **state)
{
    struct fixture *f = *state;
    struct lr_crs_transform *pin = NULL, *dflt_ours = NULL;
    struct lr_err err = { LR_OK, "" };
    struct lr_bbox p;
    double xy[2], xy2[2];
    PJ_CONTEXT *pj = proj_context_create();
    PJ *op = proj_create_crs_to_crs(pj, "EPSG:5899", "EPSG:4326", NULL);
    PJ *norm = proj_normalize_for_visualization(pj, op);
    PJ_COORD c;

    from_lonlat(f->c, "EPSG:5899", DN_LON, DN_LAT, DN_LON, DN_LAT, &p);
    assert_int_equal(lr_crs_transform_vn2000_wgs84(f->c, "EPSG:5899", "EPSG:4326", "t", &pin, &err),
                     LR_OK);
    assert_non_null(strstr(lr_crs_transform_desc(pin), "-191.90441429"));
    assert_null(strstr(lr_crs_transform_desc(pin), "-192.873"));
    /* lr_crs_transform_new pins by itself */
    assert_int_equal(lr_crs_transform_new(f->c, "EPSG:5899", "EPSG:4326", "t", &dflt_ours, &err),
                     LR_OK);
    assert_string_equal(lr_crs_transform_desc(dflt_ours), lr_crs_transform_desc(pin));
    xy[0] = xy2[0] = p.minx;
    xy[1] = xy2[1] = p.miny;
    assert_int_equal(lr_crs_transform_xy(pin, xy, 1), 0);
    /* PROJ's own pick for that point */
    c = proj_trans(norm, PJ_FWD, proj_coord(xy2[0], xy2[1], 0, 0));
    double d = metres_between(xy[0], xy[1], c.xy.x, c.xy.y);
    if (d < 0.5 || d > 1.2)
        fail_msg("pinned vs PROJ default differ by %.3f m, want about 0.8 m", d);
    print_message("EPSG:6960 vs PROJ's default pick at %.2fE %.2fN: %.3f m\n", DN_LON, DN_LAT, d);
    /* outside the Mekong blocks PROJ's default is 6960 too: no difference */
    from_lonlat(f->c, "EPSG:5899", 107.2, 11.6, 107.2, 11.6, &p);
    xy[0] = p.minx;
    xy[1] = p.miny;
    c = proj_trans(norm, PJ_FWD, proj_coord(xy[0], xy[1], 0, 0));
    assert_int_equal(lr_crs_transform_xy(pin, xy, 1), 0);
    assert_true(metres_between(xy[0], xy[1], c.xy.x, c.xy.y) < 0.001);
    /* not a VN-2000 / WGS 84 pair */
    lr_err_clear(&err);
    struct lr_crs_transform *none = NULL;
    assert_int_equal(
        lr_crs_transform_vn2000_wgs84(f->c, "EPSG:9212", "EPSG:5899", "t", &none, &err),
        LR_ERR_INPUT);
    assert_null(none);
    proj_destroy(norm);
    proj_destroy(op);
    proj_context_destroy(pj);
    lr_crs_transform_free(pin);
    lr_crs_transform_free(dflt_ours);
}

static void
test_pipeline(void **state)
{
    struct fixture *f = *state;
    struct lr_crs_transform *t = NULL;
    struct lr_err err = { LR_OK, "" };
    double xy[2] = { 500000, 1200000 };

    assert_int_equal(lr_crs_transform_from_pipeline(f->c, HN72_PIPELINE, "t", &t, &err), LR_OK);
    assert_non_null(strstr(lr_crs_transform_desc(t), "+ellps=krass"));
    assert_int_equal(lr_crs_transform_xy(t, xy, 1), 0);
    assert_true(xy[0] < 500000); /* 105 E lies west of 107-45 */
    lr_crs_transform_free(t);
    t = NULL;
    assert_int_equal(lr_crs_transform_from_pipeline(f->c, "EPSG:9212", "'a.shp'", &t, &err),
                     LR_ERR_CONFIG);
    assert_null(t);
    assert_non_null(strstr(err.msg, "crs_pipeline"));
}

/* A legacy French CRS (the EDIGEO sheet's NTF Lambert II) to Lambert-93: a real transformation,
 * not a ballpark; the data's extent passes. */
static void
test_french_legacy(void **state)
{
    struct fixture *f = *state;
    struct lr_bbox d = { 876996.24, 71838.62, 877863.45, 72624.62 };
    struct lr_crs_check chk = { "IGNF:LAMB2", "EPSG:2154", NULL, &d, NULL, "'E000AB01.THF'" };
    struct lr_err err = { LR_OK, "" };

    if (lr_crs_check_source(f->c, &chk, &err) != LR_OK)
        fail_msg("%s", err.msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_suggest_zone),
        cmocka_unit_test(test_no_datum_shift_9212_5899),
        cmocka_unit_test(test_pin_6960),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_french_legacy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
