/* test_store.c - parcels.gpkg from a small hand-made shard: layers and counts, field values,
 * sort order, geometry types, lineage rows, styles, indexes, file mode, identical bytes on a
 * rerun, no owner data in the bytes, and GDAL's own GeoPackage validator; the packed R-trees,
 * and GDAL's own when they cannot be packed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "io.h"
#include "store.h"
#include "store_fixture.h"

#include <gdal.h>
#include <ogr_api.h>

static void
write_ok(struct fixture *f, struct lr_store_counts *c)
{
    struct lr_err err = { LR_OK, "" };
    enum lr_rc rc = lr_store_write_file(f->path, &f->sh, f->g, c, &err);

    if (rc != LR_OK)
        fail_msg("%s", err.msg);
}

static OGRLayerH
layer(GDALDatasetH ds, const char *name)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);

    assert_non_null(l);
    return l;
}

/* One-value SQL query as a string (caller frees). */
static char *
sql1(GDALDatasetH ds, const char *sql)
{
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    OGRFeatureH ft;
    char *out = NULL;

    assert_non_null(res);
    ft = OGR_L_GetNextFeature(res);
    if (ft) {
        out = strdup(OGR_F_GetFieldAsString(ft, 0));
        OGR_F_Destroy(ft);
    }
    GDALDatasetReleaseResultSet(ds, res);
    return out;
}

static void
assert_sql(GDALDatasetH ds, const char *sql, const char *want)
{
    char *got = sql1(ds, sql);

    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", sql, got ? got : "(no row)", want);
    free(got);
}

static void
test_tables_and_counts(void **state)
{
    struct fixture *f = *state;
    struct lr_store_counts c;
    GDALDatasetH ds;

    write_ok(f, &c);
    assert_int_equal(c.parcels, 4);       /* the rejected parcel has no geometry */
    assert_int_equal(c.issues, 5);        /* 3 issues + 2 findings */
    assert_int_equal(c.register_only, 2); /* unlinked record + rejected record */
    assert_int_equal(c.lineage, 3);       /* 1 same + 2 split */
    ds = GDALOpenEx(f->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(OGR_L_GetFeatureCount(layer(ds, "parcels"), TRUE), 4);
    assert_int_equal(OGR_L_GetFeatureCount(layer(ds, "issues"), TRUE), 5);
    assert_int_equal(OGR_L_GetFeatureCount(layer(ds, "register_only"), TRUE), 2);
    assert_int_equal(OGR_L_GetFeatureCount(layer(ds, "lineage"), TRUE), 3);
    assert_int_equal(OGR_L_GetGeomType(layer(ds, "parcels")), wkbMultiPolygon);
    assert_int_equal(OGR_L_GetGeomType(layer(ds, "issues")), wkbUnknown);
    assert_sql(ds, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='parcels'", "5899");
    assert_sql(ds, "SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'",
               "attributes");
    assert_sql(ds, "SELECT data_type FROM gpkg_contents WHERE table_name='lineage'", "attributes");
    assert_sql(ds, "SELECT count(*) FROM rtree_parcels_geom", "4");
    assert_sql(ds, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name LIKE 'idx_%'",
               "7");
    GDALClose(ds);
}

/* The R-trees hold every geometry of their table, pass SQLite's check and serve GDAL's spatial
 * filter; when the scratch file cannot be written (a directory in its place) GDAL builds them
 * instead, with the same entries. */
static char *
rtree_state(const char *path)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    char *s;
    OGRLayerH l;

    assert_non_null(ds);
    assert_sql(ds, "SELECT rtreecheck('rtree_parcels_geom') || rtreecheck('rtree_issues_geom')",
               "okok");
    assert_sql(ds, "SELECT count(*) FROM rtree_issues_geom", "3");
    assert_sql(ds, "SELECT count(*) FROM issues WHERE geom IS NOT NULL", "3");
    l = layer(ds, "parcels");
    assert_true(OGR_L_TestCapability(l, OLCFastSpatialFilter));
    OGR_L_SetSpatialFilterRect(l, -1e9, -1e9, 1e9, 1e9);
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), 4);
    s = sql1(ds, "SELECT group_concat(id || ':' || minx || ':' || maxx || ':' || miny || ':' || "
                 "maxy, ' ') FROM (SELECT * FROM rtree_parcels_geom UNION ALL SELECT * FROM "
                 "rtree_issues_geom ORDER BY 1, 2)");
    GDALClose(ds);
    return s;
}

static void
test_spatial_indexes(void **state)
{
    struct fixture *f = *state;
    char scratch[160];
    char *packed, *gdal;

    write_ok(f, NULL);
    packed = rtree_state(f->path);
    snprintf(scratch, sizeof(scratch), "%s/parcels.rtree.tmp.gpkg", f->dir);
    assert_int_not_equal(access(scratch, F_OK), 0);
    assert_int_equal(mkdir(scratch, 0700), 0);
    write_ok(f, NULL);
    assert_int_equal(rmdir(scratch), 0);
    gdal = rtree_state(f->path);
    assert_string_equal(packed, gdal);
    free(packed);
    free(gdal);
}

static void
test_parcel_values(void **state)
{
    struct fixture *f = *state;
    GDALDatasetH ds;

    write_ok(f, NULL);
    ds = GDALOpenEx(f->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    /* sorted by key: 25216-1-3 first although added second */
    assert_sql(ds, "SELECT parcel_key FROM parcels WHERE fid = 1", "25216-1-3");
    assert_sql(
        ds,
        "SELECT group_concat(parcel_key, ' ') FROM (SELECT parcel_key FROM parcels ORDER BY fid)",
        "25216-1-3 25216-2-7 25216-2-30 25216-2-31");
    assert_sql(ds,
               "SELECT status || '|' || record_key || '|' || area_m2 || '|' || register_area_m2 "
               "|| '|' || area_source || '|' || unit_price_vnd || '|' || value_vnd || '|' || "
               "tax_vnd || '|' || names_agree || '|' || confidence || '|' || in_extract || '|' "
               "|| new_commune || '|' || source_file || '|' || source_layer || '|' || "
               "source_fid || '|' || register_row FROM parcels WHERE parcel_key = '25216-2-7'",
               "matched|25216-2-7|500.1|500.4|register|1500000|750150000|225045|yes|1.0|1|25210|"
               "maps/xa_a.shp|xa_a|101|1");
    assert_sql(ds, "SELECT names_agree FROM parcels WHERE parcel_key = '25216-2-30'", "no");
    assert_sql(ds, "SELECT names_agree FROM parcels WHERE parcel_key = '25216-1-3'", "unknown");
    assert_sql(ds,
               "SELECT coalesce(record_key, 'null') || coalesce(value_vnd, 'null') || in_extract "
               "|| issues FROM parcels WHERE parcel_key = '25216-1-3'",
               "nullnull0spike");
    assert_sql(ds, "SELECT in_extract FROM parcels WHERE parcel_key = '25216-2-31'", "1");
    assert_sql(ds, "SELECT ST_GeometryType(geom) FROM parcels WHERE fid = 1", "MULTIPOLYGON");
    GDALClose(ds);
}

static void
test_issues_register_lineage(void **state)
{
    struct fixture *f = *state;
    GDALDatasetH ds;

    write_ok(f, NULL);
    ds = GDALOpenEx(f->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    /* no key sorts first, then by key: the register-only finding, then 25216-1-3's two */
    assert_sql(ds, "SELECT group_concat(class, ' ') FROM (SELECT class FROM issues ORDER BY fid)",
               "register_only map_only spike overlap too_few_points");
    assert_sql(ds, "SELECT ST_GeometryType(geom) FROM issues WHERE class = 'overlap'", "POLYGON");
    assert_sql(ds, "SELECT ST_GeometryType(geom) FROM issues WHERE class = 'spike'", "POINT");
    /* a finding of a parcel is drawn at its interior point; a rejected feature nowhere */
    assert_sql(ds, "SELECT ST_X(geom) FROM issues WHERE class = 'map_only'", "500110");
    assert_sql(ds, "SELECT geom IS NULL FROM issues WHERE class = 'too_few_points'", "1");
    assert_sql(ds, "SELECT geom IS NULL FROM issues WHERE class = 'register_only'", "1");
    assert_sql(ds, "SELECT record_key FROM issues WHERE class = 'register_only'", "25216-5-5");
    assert_sql(ds,
               "SELECT group_concat(coalesce(record_key, '-') || ':' || status, ' ') FROM "
               "(SELECT * FROM register_only ORDER BY fid)",
               "-:rejected 25216-5-5:register_only");
    assert_sql(ds, "SELECT reason FROM register_only WHERE record_key IS NULL", "bad_key");
    assert_sql(ds,
               "SELECT group_concat(old_key || '>' || new_key || ':' || relation || ':' || "
               "confidence, ' ') FROM (SELECT * FROM lineage ORDER BY fid)",
               "25216-2-7>25216-2-7:same:1.0 25216-2-9>25216-2-30:split:0.85 "
               "25216-2-9>25216-2-31:split:0.85");
    GDALClose(ds);
}

static void
test_styles(void **state)
{
    struct fixture *f = *state;
    GDALDatasetH ds;

    write_ok(f, NULL);
    ds = GDALOpenEx(f->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_sql(ds,
               "SELECT count(*) FROM layer_styles WHERE useAsDefault = 1 AND "
               "f_table_schema = '' AND f_table_catalog = ''",
               "4");
    assert_sql(ds, "SELECT f_geometry_column FROM layer_styles WHERE f_table_name = 'parcels'",
               "geom");
    assert_sql(ds,
               "SELECT instr(styleQML, 'attr=\"status\"') > 0 AND instr(styleQML, "
               "'<category render=\"true\" symbol=\"0\" value=\"matched\" label=\"Khớp "
               "(matched)\"/>') > 0 AND instr(styleQML, '<alias field=\"area_m2\"') > 0 "
               "FROM layer_styles WHERE f_table_name = 'parcels'",
               "1");
    assert_sql(ds,
               "SELECT instr(styleQML, 'Chồng lấn (overlap), vùng') > 0 AND "
               "instr(styleSLD, '<ogc:Literal>gap</ogc:Literal>') > 0 FROM layer_styles "
               "WHERE f_table_name = 'issues'",
               "1");
    assert_sql(ds,
               "SELECT instr(styleQML, 'name=\"Số hiệu cũ (hồ sơ)\"') > 0 FROM layer_styles "
               "WHERE f_table_name = 'lineage'",
               "1");
    GDALClose(ds);
}

static void
sha_of(const char *path, char hex[65])
{
    struct lr_err err = { LR_OK, "" };

    assert_int_equal(lr_io_sha256_file(path, hex, &err), LR_OK);
}

static void
test_file_mode_bytes_and_rerun(void **state)
{
    struct fixture *f = *state;
    char a[65], b[65], tmp[160];
    struct stat st;

    write_ok(f, NULL);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    snprintf(tmp, sizeof(tmp), "%s/parcels.tmp.gpkg", f->dir);
    assert_int_not_equal(access(tmp, F_OK), 0);
    sha_of(f->path, a);
    /* a second write of the same shard, in another order of the tables, same bytes */
    write_ok(f, NULL);
    sha_of(f->path, b);
    assert_string_equal(a, b);
}

/* No owner name or id may appear anywhere in the file's bytes. */
static void
test_no_owner_bytes(void **state)
{
    struct fixture *f = *state;
    FILE *fp;
    char *data;
    long n;

    write_ok(f, NULL);
    fp = fopen(f->path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    data = malloc((size_t)n);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    for (size_t i = 0; i < 3; i++) {
        assert_null(memmem(data, (size_t)n, owners[i], strlen(owners[i])));
        assert_null(memmem(data, (size_t)n, owner_ids[i], strlen(owner_ids[i])));
    }
    assert_null(memmem(data, (size_t)n, "CS 01234", 8));
    assert_null(memmem(data, (size_t)n, "Tân Lập", strlen("Tân Lập")));
    free(data);
}

static void
test_gdal_validator(void **state)
{
    static const char script[] = "/usr/lib/python3/dist-packages/osgeo_utils/samples/"
                                 "validate_gpkg.py";
    struct fixture *f = *state;
    char cmd[512];

    write_ok(f, NULL);
    if (access(script, R_OK) != 0)
        fail_msg("GDAL's validator '%s' is missing (install python3-gdal)", script);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s '%s'", script, f->path);
    assert_int_equal(system(cmd), 0);
}

/* An unwritable place fails with a message naming the file, and leaves nothing behind. */
static void
test_unwritable(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };

    assert_int_not_equal(
        lr_store_write_file("/nonexistent-dir/parcels.gpkg", &f->sh, f->g, NULL, &err), LR_OK);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/parcels.tmp.gpkg"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tables_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spatial_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parcel_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issues_register_lineage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_styles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_bytes_and_rerun, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_owner_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gdal_validator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
