/* test_store_rtree.c - packed R-trees (store_rtree.c). The packer on a table of cases (sizes
 * around a node's capacity, small nodes for deep trees, equal boxes): every entry in exactly one
 * leaf with its box, every node referenced once, parents' boxes cover their children, all
 * leaves at the root's depth, full nodes but the last of each level, same bytes twice. SQLite's
 * outward rounding. Then through GDAL: SQLite's own rtreecheck() passes, and the index holds the
 * same entries and answers spatial filters like the one GDAL's driver builds itself, for a
 * polygon layer, a layer with NULL geometries, FID gaps and points, and an empty one. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "store_rtree.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>

/* ---- a tiny PRNG (xorshift64), so every case is the same on every machine ---- */
static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double
uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next_rand(s) >> 11) / 9007199254740992.0;
}

/* n boxes of a parcel map in VN-2000 metres: 5..60 m wide, in a 40 x 40 km square; with
 * `same`, every box is the same (ties everywhere). FIDs 1..n, or every third id with gaps. */
static void
fill_entries(struct lr_rtree *t, size_t n, uint64_t seed, bool same, bool gaps)
{
    struct lr_err err = { LR_OK, "" };

    for (size_t i = 0; i < n; i++) {
        double x = same ? 500000.5 : uniform(&seed, 400000, 440000);
        double y = same ? 1300000.25 : uniform(&seed, 1300000, 1340000);
        double w = same ? 20 : uniform(&seed, 5, 60), h = same ? 10 : uniform(&seed, 5, 60);
        int64_t id = gaps ? 3 * (int64_t)i + 7 : (int64_t)i + 1;

        assert_int_equal(lr_rtree_add(t, id, x, x + w, y, y + h, &err), LR_OK);
    }
    assert_false(t->bad);
}

/* ---- reading a node back ---- */
static uint64_t
get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

static float
get_float(const unsigned char *p)
{
    uint32_t u = (uint32_t)get_be(p, 4);
    float f;

    memcpy(&f, &u, sizeof(f));
    return f;
}

struct walk {
    const struct lr_rtree *t;
    const struct lr_rtree_nodes *nd;
    size_t cap;
    int leaf_depth;       /* depth of the leaves below the root, from the root's header */
    unsigned *node_seen;  /* per node */
    unsigned *entry_seen; /* per entry (index in t) */
    size_t *per_level;    /* nodes not full, per depth */
};

/* Check node no at depth d (0 = root) whose parent cell's box is pbox (NULL for the root). */
static void
walk_node(struct walk *w, int64_t no, int d, const float *pbox, int64_t parent)
{
    const unsigned char *b;
    size_t count;

    assert_true(no >= 1 && (size_t)no <= w->nd->n);
    assert_int_equal(w->node_seen[no - 1]++, 0);
    assert_int_equal(w->nd->parent[no - 1], parent);
    b = w->nd->blob + (size_t)(no - 1) * w->nd->size;
    assert_int_equal(get_be(b, 2), d == 0 ? (uint64_t)w->leaf_depth : 0);
    count = (size_t)get_be(b + 2, 2);
    assert_true(count >= 1 && count <= w->cap);
    if (count < w->cap)
        w->per_level[d]++;
    for (size_t c = 0; c < count; c++) {
        const unsigned char *cell = b + 4 + 24 * c;
        int64_t id = (int64_t)get_be(cell, 8);
        float box[4];

        for (int k = 0; k < 4; k++)
            box[k] = get_float(cell + 8 + 4 * k);
        if (pbox)
            assert_true(box[0] >= pbox[0] && box[1] <= pbox[1] && box[2] >= pbox[2] &&
                        box[3] <= pbox[3]);
        if (d < w->leaf_depth) {
            walk_node(w, id, d + 1, box, no);
            continue;
        }
        /* a leaf cell: the entry with that id (ids increase), its box exactly, its leaf */
        size_t lo = 0, hi = w->t->n;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (w->t->e[mid].id <= id)
                lo = mid;
            else
                hi = mid;
        }
        assert_int_equal(w->t->e[lo].id, id);
        assert_int_equal(w->entry_seen[lo]++, 0);
        assert_memory_equal(box, w->t->e[lo].box, sizeof(box));
        assert_int_equal(w->nd->leaf[lo], no);
    }
    for (size_t c = count * 24 + 4; c < w->nd->size; c++)
        assert_int_equal(b[c], 0);
}

static void
check_tree(const struct lr_rtree *t, const struct lr_rtree_nodes *nd, size_t cap)
{
    struct walk w = { t, nd, cap, 0, NULL, NULL, NULL };

    if (t->n == 0) {
        assert_int_equal(nd->n, 0);
        return;
    }
    w.leaf_depth = (int)get_be(nd->blob, 2);
    w.node_seen = calloc(nd->n, sizeof(unsigned));
    w.entry_seen = calloc(t->n, sizeof(unsigned));
    w.per_level = calloc((size_t)w.leaf_depth + 1, sizeof(size_t));
    assert_non_null(w.node_seen);
    assert_non_null(w.entry_seen);
    assert_non_null(w.per_level);
    walk_node(&w, 1, 0, NULL, 0);
    for (size_t i = 0; i < nd->n; i++)
        assert_int_equal(w.node_seen[i], 1);
    for (size_t i = 0; i < t->n; i++)
        assert_int_equal(w.entry_seen[i], 1);
    for (int d = 1; d <= w.leaf_depth; d++) /* packed: one node at most not full per level */
        assert_true(w.per_level[d] <= 1);
    free(w.per_level);
    free(w.entry_seen);
    free(w.node_seen);
}

static void
test_pack_cases(void **state)
{
    static const struct {
        size_t n, size; /* entries, node size in bytes */
        bool same, gaps;
        size_t want_nodes; /* 0: not checked */
    } cases[] = {
        { 0, 1228, false, false, 0 },            /* no entries: no nodes */
        { 1, 1228, false, false, 1 },            /* the root is the only leaf */
        { 51, 1228, false, false, 1 },           /* a full root leaf */
        { 52, 1228, false, false, 3 },           /* two leaves under a root */
        { 51 * 51, 1228, false, false, 52 },     /* 51 full leaves, full root */
        { 51 * 51 + 1, 1228, false, false, 55 }, /* 52 leaves, 2 nodes, root */
        { 20000, 1228, false, true, 0 },         /* 3 levels, ids with gaps */
        { 3000, 1228, true, false, 0 },          /* every box the same */
        { 1000, 4 + 24 * 2, false, false, 0 },   /* 2 cells a node: 10 levels */
        { 777, 4 + 24 * 3, false, false, 0 },    /* 3 cells, last nodes not full */
        { 5000, 4096 - 64, false, false, 0 },    /* larger node size: 51 cells still */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { LR_OK, "" };
        struct lr_rtree t;
        struct lr_rtree_nodes a, b;
        size_t cap = (cases[i].size - 4) / 24;

        lr_rtree_init(&t);
        fill_entries(&t, cases[i].n, 42 + i, cases[i].same, cases[i].gaps);
        assert_int_equal(lr_rtree_pack(&t, cases[i].size, &a, &err), LR_OK);
        check_tree(&t, &a, cap > 51 ? 51 : cap);
        if (cases[i].want_nodes)
            assert_int_equal(a.n, cases[i].want_nodes);
        assert_int_equal(lr_rtree_pack(&t, cases[i].size, &b, &err), LR_OK);
        assert_int_equal(a.n, b.n);
        if (a.n)
            assert_memory_equal(a.blob, b.blob, a.n * a.size);
        lr_rtree_nodes_release(&a);
        lr_rtree_nodes_release(&b);
        lr_rtree_release(&t);
    }
}

static void
test_pack_refuses_tiny_nodes(void **state)
{
    struct lr_err err = { LR_OK, "" };
    struct lr_rtree t;
    struct lr_rtree_nodes nd;

    (void)state;
    lr_rtree_init(&t);
    fill_entries(&t, 10, 1, false, false);
    assert_int_equal(lr_rtree_pack(&t, 4 + 24, &nd, &err), LR_ERR_INTERNAL);
    assert_non_null(strstr(err.msg, "fewer than 2 cells"));
    assert_null(nd.blob);
    lr_rtree_release(&t);
}

/* SQLite's rounding: min down, max up, to a float; exact floats stay; NaN, infinity, min > max
 * and an id not above the last make the set unusable (GDAL then builds). */
static void
test_rounding(void **state)
{
    static const double values[] = { 0.1, -0.1, 412345.678, 1312345.6789, -1e6 - 0.3, 16777217 };
    struct lr_err err = { LR_OK, "" };
    struct lr_rtree t;

    (void)state;
    lr_rtree_init(&t);
    for (size_t i = 0; i < LR_ARRAY_LEN(values); i++) {
        double v = values[i];
        assert_int_equal(lr_rtree_add(&t, (int64_t)i, v, v, v, v, &err), LR_OK);
        assert_true((double)t.e[i].box[0] <= v && (double)t.e[i].box[1] >= v);
        assert_true((double)t.e[i].box[2] <= v && (double)t.e[i].box[3] >= v);
        /* at most one float step away */
        assert_true((double)t.e[i].box[1] - t.e[i].box[0] <= 2.5e-7 * (v < 0 ? -v : v) + 1e-30);
    }
    assert_int_equal(lr_rtree_add(&t, 99, 2.5, 2.5, -8, -8, &err), LR_OK); /* exact floats */
    assert_true(t.e[t.n - 1].box[0] == 2.5f && t.e[t.n - 1].box[1] == 2.5f);
    assert_false(t.bad);
    assert_int_equal(lr_rtree_add(&t, 100, 3, 2, 0, 1, &err), LR_OK); /* min > max */
    assert_true(t.bad);
    lr_rtree_release(&t);
    lr_rtree_init(&t);
    assert_int_equal(lr_rtree_add(&t, 1, 0, 1, NAN, 1, &err), LR_OK);
    assert_true(t.bad);
    lr_rtree_release(&t);
    lr_rtree_init(&t); /* ids must increase (FIDs as rows are written) */
    assert_int_equal(lr_rtree_add(&t, 5, 0, 1, 0, 1, &err), LR_OK);
    assert_false(t.bad);
    assert_int_equal(lr_rtree_add(&t, 5, 0, 1, 0, 1, &err), LR_OK);
    assert_true(t.bad);
    lr_rtree_release(&t);
}

/* ---- through GDAL ---- */
struct gfix {
    char dir[64];
    char path[2][128]; /* ours, GDAL's */
    char scratch[128];
};

static int
gsetup(void **state)
{
    struct gfix *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    snprintf(f->dir, sizeof(f->dir), "/tmp/lr_rtree_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path[0], sizeof(f->path[0]), "%s/ours.gpkg", f->dir);
    snprintf(f->path[1], sizeof(f->path[1]), "%s/gdal.gpkg", f->dir);
    snprintf(f->scratch, sizeof(f->scratch), "%s/ours.rtree.tmp.gpkg", f->dir);
    *state = f;
    return 0;
}

static int
gteardown(void **state)
{
    struct gfix *f = *state;

    for (int i = 0; i < 2; i++)
        unlink(f->path[i]);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void
exec(GDALDatasetH ds, const char *sql)
{
    OGRLayerH res;

    CPLErrorReset();
    res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (res)
        GDALDatasetReleaseResultSet(ds, res);
    assert_true(CPLGetLastErrorType() < CE_Failure);
}

/* All rows of a one-column query, '\n'-separated (caller frees). */
static char *
rows(GDALDatasetH ds, const char *sql)
{
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    OGRFeatureH ft;
    struct lr_buf b;

    assert_non_null(res);
    lr_buf_init(&b);
    assert_int_equal(lr_buf_adds(&b, ""), LR_OK);
    while ((ft = OGR_L_GetNextFeature(res)) != NULL) {
        assert_int_equal(lr_buf_addf(&b, "%s\n", OGR_F_GetFieldAsString(ft, 0)), LR_OK);
        OGR_F_Destroy(ft);
    }
    GDALDatasetReleaseResultSet(ds, res);
    return lr_buf_detach(&b);
}

/* Layer `t` of type gtype in a new GeoPackage at path, SPATIAL_INDEX=NO: n features from
 * seed, every `nulls`-th without geometry (0: none), every `holes`-th deleted afterwards to
 * leave FID gaps (0: none), points when gtype is wkbUnknown. Collects the entries into rt. */
static GDALDatasetH
make_layer(const char *path, OGRwkbGeometryType gtype, size_t n, uint64_t seed, size_t nulls,
           size_t holes, struct lr_rtree *rt)
{
    char *opts[] = { (char *)"FID=fid", (char *)"GEOMETRY_NAME=geom", (char *)"SPATIAL_INDEX=NO",
                     NULL };
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    struct lr_err err = { LR_OK, "" };
    OGRLayerH l;
    OGRFeatureH f;

    assert_non_null(ds);
    assert_int_equal(OSRImportFromEPSG(srs, 5899), OGRERR_NONE);
    assert_int_equal(GDALDatasetStartTransaction(ds, FALSE), OGRERR_NONE);
    l = GDALDatasetCreateLayer(ds, "t", srs, gtype, opts);
    assert_non_null(l);
    f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    for (size_t i = 0; i < n; i++) {
        double x = uniform(&seed, 400000, 440000), y = uniform(&seed, 1300000, 1340000);
        double w = uniform(&seed, 5, 60), h = uniform(&seed, 5, 60);
        OGRGeometryH g = NULL;
        OGREnvelope e;

        if (!(nulls && i % nulls == 0)) {
            char wkt[256];
            snprintf(wkt, sizeof(wkt),
                     gtype == wkbUnknown && i % 2 ? "POINT (%.3f %.3f)"
                                                  : "MULTIPOLYGON (((%.3f %.3f, %.3f %.3f, %.3f "
                                                    "%.3f, %.3f %.3f, %.3f %.3f)))",
                     x, y, x + w, y, x + w, y + h, x, y + h, x, y);
            char *p = wkt;
            assert_int_equal(OGR_G_CreateFromWkt(&p, srs, &g), OGRERR_NONE);
        }
        OGR_F_SetFID(f, OGRNullFID);
        OGR_F_SetGeometryDirectly(f, g);
        assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        if (holes && i % holes == 1) {
            assert_int_equal(OGR_L_DeleteFeature(l, OGR_F_GetFID(f)), OGRERR_NONE);
            continue;
        }
        if (!g)
            continue;
        OGR_G_GetEnvelope(g, &e);
        assert_int_equal(lr_rtree_add(rt, OGR_F_GetFID(f), e.MinX, e.MaxX, e.MinY, e.MaxY, &err),
                         LR_OK);
    }
    OGR_F_Destroy(f);
    assert_int_equal(GDALDatasetCommitTransaction(ds), OGRERR_NONE);
    OSRRelease(srs);
    return ds;
}

/* The same layer twice: ours indexed by lr_store_rtree_write, the other by GDAL. */
static void
check_against_gdal(struct gfix *f, OGRwkbGeometryType gtype, size_t n, size_t nulls, size_t holes)
{
    static const char entries_sql[] = "SELECT id || ' ' || minx || ' ' || maxx || ' ' || miny || "
                                      "' ' || maxy FROM rtree_t_geom ORDER BY id";
    struct lr_err err = { LR_OK, "" };
    struct lr_rtree rt[2];
    GDALDatasetH ds[2];
    char *got[2];
    uint64_t seed = 7;

    for (int i = 0; i < 2; i++) {
        lr_rtree_init(&rt[i]);
        ds[i] = make_layer(f->path[i], gtype, n, 99, nulls, holes, &rt[i]);
    }
    assert_int_equal(lr_store_rtree_write(ds[0], OGR_L_GetSpatialRef(GDALDatasetGetLayer(ds[0], 0)),
                                          "t", "fid", "geom", gtype, &rt[0], f->scratch, &err),
                     LR_OK);
    assert_int_not_equal(access(f->scratch, F_OK), 0); /* removed */
    exec(ds[1], "SELECT CreateSpatialIndex('t', 'geom')");
    for (int i = 0; i < 2; i++) {
        GDALClose(ds[i]);
        ds[i] = GDALOpenEx(f->path[i], GDAL_OF_VECTOR, NULL, NULL, NULL);
        assert_non_null(ds[i]);
        got[i] = rows(ds[i], entries_sql);
    }
    assert_string_equal(got[0], got[1]);
    free(got[0]);
    free(got[1]);
    got[0] = rows(ds[0], "SELECT rtreecheck('rtree_t_geom')");
    assert_string_equal(got[0], "ok\n");
    free(got[0]);
    /* the virtual table, its triggers and its gpkg_extensions row, as GDAL writes them */
    for (int i = 0; i < 2; i++)
        got[i] = rows(ds[i], "SELECT sql FROM sqlite_master WHERE name LIKE 'rtree_t_geom%' "
                             "AND type <> 'table' OR name = 'rtree_t_geom' UNION ALL "
                             "SELECT table_name || column_name || extension_name || definition "
                             "|| scope FROM gpkg_extensions ORDER BY 1");
    assert_string_equal(got[0], got[1]);
    assert_non_null(strstr(got[0], "rtree_t_geom_insert"));
    assert_non_null(strstr(got[0], "gpkg_rtree_index"));
    free(got[0]);
    free(got[1]);
    /* spatial filters answered by each file's index: the same features */
    for (int q = 0; q < 40; q++) {
        double x = uniform(&seed, 399000, 441000), y = uniform(&seed, 1299000, 1341000);
        double s = q < 20 ? 100 : 3000;
        GIntBig sum[2] = { 0, 0 }, cnt[2] = { 0, 0 };

        for (int i = 0; i < 2; i++) {
            OGRLayerH l = GDALDatasetGetLayerByName(ds[i], "t");
            OGRFeatureH ft;

            assert_true(OGR_L_TestCapability(l, OLCFastSpatialFilter));
            OGR_L_SetSpatialFilterRect(l, x, y, x + s, y + s);
            while ((ft = OGR_L_GetNextFeature(l)) != NULL) {
                sum[i] += OGR_F_GetFID(ft) * OGR_F_GetFID(ft);
                cnt[i]++;
                OGR_F_Destroy(ft);
            }
        }
        assert_int_equal(cnt[0], cnt[1]);
        assert_int_equal(sum[0], sum[1]);
    }
    for (int i = 0; i < 2; i++) {
        GDALClose(ds[i]);
        lr_rtree_release(&rt[i]);
    }
}

static void
test_gdal_polygons(void **state)
{
    check_against_gdal(*state, wkbMultiPolygon, 6000, 0, 0);
}

static void
test_gdal_nulls_gaps_points(void **state)
{
    /* every 5th feature without geometry, every 100th deleted: ids with gaps of every size
     * GAP_MAX cuts at, points and polygons */
    check_against_gdal(*state, wkbUnknown, 7000, 5, 100);
}

static void
test_gdal_empty(void **state)
{
    check_against_gdal(*state, wkbMultiPolygon, 0, 0, 0);
}

/* A scratch path that cannot be written: an error naming it, the table without index as before
 * (GDAL can still build one), nothing left behind. */
static void
test_scratch_unwritable(void **state)
{
    struct gfix *f = *state;
    struct lr_err err = { LR_OK, "" };
    struct lr_rtree rt;
    GDALDatasetH ds;
    char *got;

    lr_rtree_init(&rt);
    ds = make_layer(f->path[0], wkbMultiPolygon, 300, 5, 0, 0, &rt);
    assert_int_not_equal(lr_store_rtree_write(ds, NULL, "t", "fid", "geom", wkbMultiPolygon, &rt,
                                              "/nonexistent-dir/x.rtree.tmp.gpkg", &err),
                         LR_OK);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.rtree.tmp.gpkg"));
    got = rows(ds, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'rtree%'");
    assert_string_equal(got, "0\n");
    free(got);
    exec(ds, "SELECT CreateSpatialIndex('t', 'geom')");
    got = rows(ds, "SELECT rtreecheck('rtree_t_geom')");
    assert_string_equal(got, "ok\n");
    free(got);
    GDALClose(ds);
    lr_rtree_release(&rt);
}

/* A second index for the same table fails inside the transaction: rolled back, the scratch
 * file detached and removed, the first index intact. */
static void
test_failure_rolls_back(void **state)
{
    struct gfix *f = *state;
    struct lr_err err = { LR_OK, "" };
    struct lr_rtree rt;
    GDALDatasetH ds;
    char *got;

    lr_rtree_init(&rt);
    ds = make_layer(f->path[0], wkbMultiPolygon, 500, 3, 0, 0, &rt);
    assert_int_equal(
        lr_store_rtree_write(ds, NULL, "t", "fid", "geom", wkbMultiPolygon, &rt, f->scratch, &err),
        LR_OK);
    assert_int_not_equal(
        lr_store_rtree_write(ds, NULL, "t", "fid", "geom", wkbMultiPolygon, &rt, f->scratch, &err),
        LR_OK);
    assert_non_null(strstr(err.msg, "cannot create the spatial index"));
    assert_int_not_equal(access(f->scratch, F_OK), 0);
    got = rows(ds, "SELECT name FROM pragma_database_list ORDER BY seq");
    assert_string_equal(got, "main\n");
    free(got);
    got = rows(ds, "SELECT rtreecheck('rtree_t_geom') || ' ' || (SELECT count(*) FROM "
                   "rtree_t_geom) || ' ' || (SELECT count(*) FROM gpkg_extensions)");
    assert_string_equal(got, "ok 500 1\n");
    free(got);
    GDALClose(ds);
    lr_rtree_release(&rt);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_cases),
        cmocka_unit_test(test_pack_refuses_tiny_nodes),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test_setup_teardown(test_gdal_polygons, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(test_gdal_nulls_gaps_points, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(test_gdal_empty, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(test_scratch_unwritable, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(test_failure_rolls_back, gsetup, gteardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
