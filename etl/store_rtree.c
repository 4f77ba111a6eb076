/* store_rtree.c - packed R-trees for parcels.gpkg (see store_rtree.h).
 *
 * SQLite's R*Tree module keeps a 2-D index in three tables. <name>_node (nodeno, data): one blob
 * of the node size per node: the depth of the tree in the root's first 2 bytes (0 in any other
 * node), the number of cells in the next 2, then per cell an 8-byte id (the row's FID in a leaf,
 * a child's node number above) and minx, maxx, miny, maxy as 4-byte floats, all big-endian, the
 * rest zero. <name>_parent (nodeno, parentnode) for every node but the root (node 1).
 * <name>_rowid (rowid, nodeno): the leaf of every entry. GDAL >= 3.7 writes the same tables
 * (sqlite_rtree_bulk_load.c) through the sqlite3 API. We have only GDAL: the blobs are bound by
 * OGR into a scratch GeoPackage and copied from it attached (as hex literals, 50 MB of SQL at
 * 1M parcels, GDAL's ExecuteSQL would scan the text case-insensitively once per layer and take
 * longer than everything else), the number pairs go as JSON arrays read by json_each. */
#include "store_rtree.h"

#include <cpl_error.h>
#include <cpl_vsi.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_BYTES 24            /* id + 4 floats */
#define MAX_CELLS  51            /* SQLite's RTREE_MAXCELLS */
#define MAX_LEVELS 64            /* with 2 cells a node or more, never reached */
#define SQL_BATCH  (1024 * 1024) /* bytes of SQL text in one statement, about */
#define GAP_MAX    64            /* a longer run of absent ids starts a new statement */

/* ---- entries ---- */
void
lr_rtree_init(struct lr_rtree *t)
{
    memset(t, 0, sizeof(*t));
}

void
lr_rtree_release(struct lr_rtree *t)
{
    free(t->e);
    lr_rtree_init(t);
}

/* SQLite's rounding of a coordinate to the float it stores (rtree.c, rtreeValueDown and
 * rtreeValueUp): the nearest float, moved outward when it lies on the wrong side. */
#define RND_TOWARDS (1.0 - 1.0 / 8388608.0)
#define RND_AWAY    (1.0 + 1.0 / 8388608.0)

static float
value_down(double d)
{
    float f = (float)d;

    if (f > d)
        f = (float)(d * (d < 0 ? RND_AWAY : RND_TOWARDS));
    return f;
}

static float
value_up(double d)
{
    float f = (float)d;

    if (f < d)
        f = (float)(d * (d < 0 ? RND_TOWARDS : RND_AWAY));
    return f;
}

enum lr_rc
lr_rtree_add(struct lr_rtree *t, int64_t id, double minx, double maxx, double miny, double maxy,
             struct lr_err *err)
{
    const double v[4] = { minx, maxx, miny, maxy };
    struct lr_rtree_entry *e;

    for (int i = 0; i < 4; i++)
        if (!(v[i] >= -FLT_MAX / 2 && v[i] <= FLT_MAX / 2))
            t->bad = true;
    if (!(minx <= maxx && miny <= maxy) || (t->n > 0 && id <= t->e[t->n - 1].id))
        t->bad = true;
    if (t->bad)
        return LR_OK;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        e = realloc(t->e, cap * sizeof(*e));
        if (!e)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        t->e = e;
        t->cap = cap;
    }
    e = &t->e[t->n++];
    e->id = id;
    e->box[0] = value_down(minx);
    e->box[1] = value_up(maxx);
    e->box[2] = value_down(miny);
    e->box[3] = value_up(maxy);
    return LR_OK;
}

/* ---- packing: sort-tile-recursive, level by level from the leaves ---- */

/* The cells of one level: level 0's are the entries; item g of a level above is the box of node
 * g of the level below (nodes numbered in that level's item order). perm lists the items in STR
 * order: node g of the level holds items perm[g * cap .. (g + 1) * cap). The last level holds
 * the root's cells. */
struct level {
    float (*box)[4]; /* NULL for level 0 */
    uint32_t *perm;
    size_t k;
};

static const float *
cell_box(const struct lr_rtree *t, const struct level *lv, size_t item)
{
    return lv->box ? lv->box[item] : t->e[item].box;
}

/* A sort record: an order-preserving integer of a float key, and the item it belongs to. */
struct keyed {
    uint32_t key, at;
};

static uint32_t
sort_key(float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    return u >> 31 ? ~u : u ^ UINT32_C(0x80000000);
}

static uint32_t
centre_key(const float *box, int axis)
{
    return sort_key((float)((double)box[2 * axis] + box[2 * axis + 1]));
}

/* Stable LSD radix sort of a[0..k) by key, one byte a pass (passes where every record has the
 * same byte are skipped); tmp holds k records. Returns the array holding the result. */
static struct keyed *
radix_sort(struct keyed *a, struct keyed *tmp, size_t k)
{
    size_t count[256];

    for (int shift = 0; shift < 32 && k > 1; shift += 8) {
        size_t pos = 0;
        struct keyed *swap;

        memset(count, 0, sizeof(count));
        for (size_t i = 0; i < k; i++)
            count[(a[i].key >> shift) & 255]++;
        if (count[(a[0].key >> shift) & 255] == k)
            continue;
        for (int d = 0; d < 256; d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < k; i++)
            tmp[count[(a[i].key >> shift) & 255]++] = a[i];
        swap = a;
        a = tmp;
        tmp = swap;
    }
    return a;
}

/* lv->perm: STR order of the level's items for nodes of cap cells: by x centre into slabs of
 * ceil(sqrt(nodes)) nodes, each slab by y centre. The sorts are stable and start from item
 * order, so ties are broken the same way every time. Every node but the last is full. */
static enum lr_rc
str_sort(const struct lr_rtree *t, struct level *lv, size_t cap, struct lr_err *err)
{
    size_t k = lv->k, nodes = (k + cap - 1) / cap, slabs = 1, slab;
    struct keyed *a = malloc(k * sizeof(*a)), *b = malloc(k * sizeof(*b)), *r;

    lv->perm = malloc(k * sizeof(*lv->perm));
    if (!a || !b || !lv->perm) {
        free(a);
        free(b);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    while (slabs * slabs < nodes)
        slabs++;
    slab = slabs * cap;
    for (size_t i = 0; i < k; i++)
        a[i] = (struct keyed){ centre_key(cell_box(t, lv, i), 0), (uint32_t)i };
    r = radix_sort(a, b, k);
    for (size_t s = 0; s < k; s += slab) {
        size_t n = k - s < slab ? k - s : slab;
        struct keyed *y = r == a ? b : a, *ys;

        for (size_t j = 0; j < n; j++)
            y[s + j] = (struct keyed){ centre_key(cell_box(t, lv, r[s + j].at), 1), r[s + j].at };
        ys = radix_sort(y + s, r + s, n); /* r's slab is read: its room is free */
        for (size_t j = 0; j < n; j++)
            lv->perm[s + j] = ys[j].at;
    }
    free(b);
    free(a);
    return LR_OK;
}

/* Box of node g of lv: the union of its cells' boxes. */
static void
node_box(const struct lr_rtree *t, const struct level *lv, size_t cap, size_t g, float *u)
{
    size_t lo = g * cap, hi = lo + cap < lv->k ? lo + cap : lv->k;

    memcpy(u, cell_box(t, lv, lv->perm[lo]), 4 * sizeof(float));
    for (size_t i = lo + 1; i < hi; i++) {
        const float *b = cell_box(t, lv, lv->perm[i]);
        u[0] = b[0] < u[0] ? b[0] : u[0];
        u[1] = b[1] > u[1] ? b[1] : u[1];
        u[2] = b[2] < u[2] ? b[2] : u[2];
        u[3] = b[3] > u[3] ? b[3] : u[3];
    }
}

/* lv[0] = the entries; each level above one item per node of the one below, until a level
 * fits in the root. *nlev is the number of levels set up (the caller frees them). */
static enum lr_rc
build_levels(const struct lr_rtree *t, size_t cap, struct level *lv, size_t *nlev,
             struct lr_err *err)
{
    size_t l = 0;

    *nlev = 1;
    lv[0].k = t->n;
    for (;;) {
        size_t groups = (lv[l].k + cap - 1) / cap;
        enum lr_rc rc = str_sort(t, &lv[l], cap, err);

        if (rc != LR_OK || groups == 1)
            return rc;
        if (l + 1 == MAX_LEVELS)
            return lr_err_set(err, LR_ERR_INTERNAL, "r-tree deeper than %d levels", MAX_LEVELS);
        lv[l + 1].k = groups;
        lv[l + 1].box = malloc(groups * sizeof(*lv[l + 1].box));
        *nlev = l + 2;
        if (!lv[l + 1].box)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        for (size_t g = 0; g < groups; g++)
            node_box(t, &lv[l], cap, g, lv[l + 1].box[g]);
        l++;
    }
}

static void
put_be(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static void
put_float(unsigned char *p, float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    put_be(p, u, 4);
}

/* Write node p (in numbering order) of level l: the cells of the node that the level above
 * placed at p. first[l] is the number of the level's first node. */
static void
emit_node(const struct lr_rtree *t, const struct level *lv, size_t nlev, const int64_t *first,
          size_t cap, size_t l, size_t p, struct lr_rtree_nodes *out)
{
    size_t top = nlev - 1, g = l == top ? 0 : lv[l + 1].perm[p];
    size_t lo = g * cap, hi = lo + cap < lv[l].k ? lo + cap : lv[l].k;
    int64_t no = first[l] + (int64_t)p;
    unsigned char *b = out->blob + (size_t)(no - 1) * out->size;

    put_be(b, l == top ? top : 0, 2);
    put_be(b + 2, hi - lo, 2);
    for (size_t i = lo; i < hi; i++) {
        uint32_t item = lv[l].perm[i];
        const float *box = cell_box(t, &lv[l], item);
        unsigned char *c = b + 4 + (i - lo) * CELL_BYTES;
        int64_t id;

        if (l == 0) {
            id = t->e[item].id;
            out->leaf[item] = no;
        } else {
            id = first[l - 1] + (int64_t)i; /* the node the level below placed at i */
            out->parent[id - 1] = no;
        }
        put_be(c, (uint64_t)id, 8);
        for (int d = 0; d < 4; d++)
            put_float(c + 8 + 4 * d, box[d]);
    }
}

/* Number the nodes from the root down and write them all. */
static enum lr_rc
emit_nodes(const struct lr_rtree *t, const struct level *lv, size_t nlev, size_t cap,
           struct lr_rtree_nodes *out, struct lr_err *err)
{
    int64_t first[MAX_LEVELS];
    size_t top = nlev - 1, total = 1;

    first[top] = 1;
    for (size_t l = top; l-- > 0;) {
        first[l] = first[l + 1] + (int64_t)(l + 1 == top ? 1 : lv[l + 2].k);
        total += lv[l + 1].k;
    }
    out->n = total;
    out->blob = calloc(total, out->size);
    out->parent = calloc(total, sizeof(*out->parent));
    out->leaf = calloc(t->n, sizeof(*out->leaf));
    if (!out->blob || !out->parent || !out->leaf)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t l = 0; l < nlev; l++) {
        size_t nodes = l == top ? 1 : lv[l + 1].k;
        for (size_t p = 0; p < nodes; p++)
            emit_node(t, lv, nlev, first, cap, l, p, out);
    }
    return LR_OK;
}

enum lr_rc
lr_rtree_pack(const struct lr_rtree *t, size_t size, struct lr_rtree_nodes *out, struct lr_err *err)
{
    struct level lv[MAX_LEVELS];
    size_t nlev = 0, cap = size >= 4 ? (size - 4) / CELL_BYTES : 0;
    enum lr_rc rc;

    memset(out, 0, sizeof(*out));
    memset(lv, 0, sizeof(lv));
    if (cap < 2)
        return lr_err_set(err, LR_ERR_INTERNAL, "r-tree node size %zu holds fewer than 2 cells",
                          size);
    if (t->n > UINT32_MAX)
        return lr_err_set(err, LR_ERR_INTERNAL, "%zu r-tree entries are too many", t->n);
    if (cap > MAX_CELLS)
        cap = MAX_CELLS;
    out->size = size;
    if (t->n == 0)
        return LR_OK;
    rc = build_levels(t, cap, lv, &nlev, err);
    if (rc == LR_OK)
        rc = emit_nodes(t, lv, nlev, cap, out, err);
    for (size_t l = 0; l < nlev; l++) {
        free(lv[l].box);
        free(lv[l].perm);
    }
    if (rc != LR_OK)
        lr_rtree_nodes_release(out);
    return rc;
}

void
lr_rtree_nodes_release(struct lr_rtree_nodes *nodes)
{
    free(nodes->blob);
    free(nodes->parent);
    free(nodes->leaf);
    memset(nodes, 0, sizeof(*nodes));
}

/* ---- SQL through GDAL ---- */
static enum lr_rc
exec_sql(GDALDatasetH ds, const char *sql, const char *what, struct lr_err *err)
{
    OGRLayerH res;

    CPLErrorReset();
    res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (res)
        GDALDatasetReleaseResultSet(ds, res);
    if (CPLGetLastErrorType() >= CE_Failure)
        return lr_err_set(err, LR_ERR_IO, "%s: %s", what, CPLGetLastErrorMsg());
    return LR_OK;
}

/* The integer in the first column of the first row of sql (-1 when there is no row). */
static enum lr_rc
query_int(GDALDatasetH ds, const char *sql, int64_t *out, struct lr_err *err)
{
    OGRLayerH res;
    OGRFeatureH f;

    *out = -1;
    CPLErrorReset();
    res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (!res)
        return lr_err_set(err, LR_ERR_IO, "cannot run '%s': %s", sql, CPLGetLastErrorMsg());
    f = OGR_L_GetNextFeature(res);
    if (f) {
        *out = OGR_F_GetFieldAsInteger64(f, 0);
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(ds, res);
    if (CPLGetLastErrorType() >= CE_Failure)
        return lr_err_set(err, LR_ERR_IO, "cannot run '%s': %s", sql, CPLGetLastErrorMsg());
    return LR_OK;
}

/* ---- the index's schema, as the GPKG driver writes it ---- */
enum sql_kind { SQL_EXT_TABLE, SQL_VTAB, SQL_EXT_ROW, SQL_TRIGGER, SQL_KINDS };

struct schema {
    char **sql;
    enum sql_kind *kind;
    size_t n;
    size_t count[SQL_KINDS];
};

static void
schema_release(struct schema *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->sql[i]);
    free(s->sql);
    free(s->kind);
    memset(s, 0, sizeof(*s));
}

/* In the scratch GeoPackage: the gpkg_extensions table, the virtual table rtree, its
 * gpkg_extensions row (as an INSERT) and its triggers, in that order. */
static const char schema_query[] =
    "SELECT k, s FROM ("
    "SELECT 0 AS k, rowid AS r, sql AS s FROM sqlite_master "
    "WHERE type = 'table' AND name = 'gpkg_extensions' "
    "UNION ALL SELECT 1, rowid, sql FROM sqlite_master WHERE type = 'table' AND name = '%s' "
    "UNION ALL SELECT 2, rowid, 'INSERT INTO gpkg_extensions "
    "(table_name, column_name, extension_name, definition, scope) VALUES (' || "
    "quote(table_name) || ', ' || quote(column_name) || ', ' || quote(extension_name) || ', ' || "
    "quote(definition) || ', ' || quote(scope) || ')' FROM gpkg_extensions "
    "WHERE extension_name = 'gpkg_rtree_index' AND table_name = '%s' "
    "UNION ALL SELECT 3, rowid, sql FROM sqlite_master "
    "WHERE type = 'trigger' AND substr(name, 1, %d) = '%s_') ORDER BY k, r";

static enum lr_rc
schema_read(GDALDatasetH ds, const char *sql, struct schema *s, struct lr_err *err)
{
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    OGRFeatureH f;
    enum lr_rc rc = LR_OK;

    if (!res)
        return lr_err_set(err, LR_ERR_IO, "cannot read the spatial index's schema: %s",
                          CPLGetLastErrorMsg());
    while (rc == LR_OK && (f = OGR_L_GetNextFeature(res)) != NULL) {
        int k = OGR_F_GetFieldAsInteger(f, 0);
        char **sq = realloc(s->sql, (s->n + 1) * sizeof(*sq));
        enum sql_kind *kd = sq ? realloc(s->kind, (s->n + 1) * sizeof(*kd)) : NULL;

        if (sq)
            s->sql = sq;
        if (kd)
            s->kind = kd;
        if (k < 0 || k >= SQL_KINDS)
            rc = lr_err_set(err, LR_ERR_INTERNAL, "unexpected schema row %d", k);
        else if (!sq || !kd || !(s->sql[s->n] = lr_strdup(OGR_F_GetFieldAsString(f, 1))))
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        else {
            s->kind[s->n++] = (enum sql_kind)k;
            s->count[k]++;
        }
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(ds, res);
    if (rc == LR_OK && (s->count[SQL_EXT_TABLE] != 1 || s->count[SQL_VTAB] != 1 ||
                        s->count[SQL_EXT_ROW] != 1 || s->count[SQL_TRIGGER] == 0))
        rc = lr_err_set(err, LR_ERR_INTERNAL,
                        "the GPKG driver wrote an unexpected spatial index schema");
    return rc;
}

/* Let the GPKG driver create table (no rows) with its spatial index in a GeoPackage in memory,
 * and read back the statements that made the index. */
static enum lr_rc
schema_learn(OGRSpatialReferenceH srs, const char *table, const char *fid, const char *geom,
             OGRwkbGeometryType gtype, const char *rtree, struct schema *s, struct lr_err *err)
{
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    char *path = lr_asprintf("/vsimem/landrec-rtree-%p.gpkg", (void *)s);
    char *fid_opt = lr_asprintf("FID=%s", fid), *geom_opt = lr_asprintf("GEOMETRY_NAME=%s", geom);
    char *opts[] = { fid_opt, geom_opt, (char *)"SPATIAL_INDEX=YES", NULL };
    char *sql = lr_asprintf(schema_query, rtree, table, (int)strlen(rtree) + 1, rtree);
    GDALDatasetH ds = NULL;
    OGRLayerH l = NULL;
    enum lr_rc rc;

    if (!path || !fid_opt || !geom_opt || !sql) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    CPLErrorReset();
    ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    if (ds)
        l = GDALDatasetCreateLayer(ds, table, srs, gtype, opts);
    if (!l || OGR_L_SyncToDisk(l) != OGRERR_NONE) {
        rc = lr_err_set(err, LR_ERR_IO, "cannot create a scratch GeoPackage in memory: %s",
                        CPLGetLastErrorMsg());
        goto out;
    }
    rc = schema_read(ds, sql, s, err);
out:
    if (ds)
        GDALClose(ds);
    if (path)
        VSIUnlink(path);
    free(sql);
    free(geom_opt);
    free(fid_opt);
    free(path);
    return rc;
}

/* Run the schema's statements of kind k. */
static enum lr_rc
schema_run(GDALDatasetH ds, const struct schema *s, enum sql_kind k, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < s->n; i++)
        if (s->kind[i] == k)
            rc = exec_sql(ds, s->sql[i], "cannot create the spatial index", err);
    return rc;
}

/* ---- filling the shadow tables ---- */
static bool
add_uint(struct lr_buf *b, uint64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);

    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return lr_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p)) == LR_OK;
}

/* Close and run the statement of put_pairs in b, and empty b. */
static enum lr_rc
pairs_flush(GDALDatasetH ds, struct lr_buf *b, struct lr_err *err)
{
    enum lr_rc rc;

    if (lr_buf_adds(b, "]') WHERE value > 0") != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = exec_sql(ds, b->data, "cannot fill the spatial index", err);
    lr_buf_reset(b);
    return rc;
}

/* INSERT INTO "<rtree>_<table>" (<cols>) n pairs (id, value): ids e[i].id (increasing), or
 * first + i when e is NULL; values v[i] >= 1. As statements "... SELECT base + key, value FROM
 * json_each('[v, 0, v, ...]') WHERE value > 0": the array holds the value of every id from base
 * on, 0 for an id without a pair. */
static enum lr_rc
put_pairs(GDALDatasetH ds, const char *rtree, const char *table, const char *cols,
          const struct lr_rtree_entry *e, int64_t first, const int64_t *v, size_t n,
          struct lr_err *err)
{
    struct lr_buf b;
    enum lr_rc rc = LR_OK;
    int64_t next = 0; /* the id of the array's next element */
    bool ok = true;

    lr_buf_init(&b);
    for (size_t i = 0; ok && rc == LR_OK && i < n; i++) {
        int64_t id = e ? e[i].id : first + (int64_t)i;

        if (b.len && (id - next > GAP_MAX || b.len >= SQL_BATCH) &&
            (rc = pairs_flush(ds, &b, err)) != LR_OK)
            break;
        if (!b.len) {
            ok = lr_buf_addf(&b,
                             "INSERT INTO \"%s_%s\" (%s) SELECT %lld + key, value "
                             "FROM json_each('[",
                             rtree, table, cols, (long long)id) == LR_OK;
            next = id;
        } else {
            ok = lr_buf_addc(&b, ',') == LR_OK;
        }
        for (; ok && next < id; next++)
            ok = lr_buf_adds(&b, "0,") == LR_OK;
        ok = ok && add_uint(&b, (uint64_t)v[i]);
        next = id + 1;
    }
    if (!ok)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK && b.len)
        rc = pairs_flush(ds, &b, err);
    lr_buf_release(&b);
    return rc;
}

/* Replace the empty root the virtual table was created with by the packed nodes (from the
 * attached scratch file), and record every node's parent and every entry's leaf. */
static enum lr_rc
fill(GDALDatasetH ds, const char *rtree, const struct lr_rtree *t, const struct lr_rtree_nodes *nd,
     struct lr_err *err)
{
    char *del = NULL, *copy = NULL;
    enum lr_rc rc;

    if (nd->n == 0) /* no entries: keep the empty root */
        return LR_OK;
    del = lr_asprintf("DELETE FROM \"%s_node\"", rtree);
    copy = lr_asprintf("INSERT INTO \"%s_node\" (nodeno, data) SELECT nodeno, data FROM "
                       "landrec_rtree.nodes ORDER BY nodeno",
                       rtree);
    if (!del || !copy)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    else
        rc = exec_sql(ds, del, "cannot fill the spatial index", err);
    if (rc == LR_OK)
        rc = exec_sql(ds, copy, "cannot fill the spatial index", err);
    if (rc == LR_OK) /* nodes 2 .. n */
        rc = put_pairs(ds, rtree, "parent", "nodeno, parentnode", NULL, 2, nd->parent + 1,
                       nd->n - 1, err);
    if (rc == LR_OK)
        rc = put_pairs(ds, rtree, "rowid", "rowid, nodeno", t->e, 0, nd->leaf, t->n, err);
    free(copy);
    free(del);
    return rc;
}

/* ---- the scratch file: the node blobs, bound by OGR instead of spelt out in SQL ---- */

/* Write the nodes into table `nodes` (nodeno, data) of a new GeoPackage at path. */
static enum lr_rc
scratch_write(const char *path, const struct lr_rtree_nodes *nd, struct lr_err *err)
{
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    char *opts[] = { (char *)"FID=nodeno", NULL };
    GDALDatasetH s = NULL;
    OGRLayerH l = NULL;
    OGRFeatureH f = NULL;
    OGRFieldDefnH fd = OGR_Fld_Create("data", OFTBinary);
    bool ok = false;

    VSIUnlink(path);
    CPLErrorReset();
    if (fd && drv)
        s = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    ok = s &&
         exec_sql(s, "PRAGMA synchronous = OFF", "cannot set up the scratch file", err) == LR_OK &&
         exec_sql(s, "PRAGMA journal_mode = OFF", "cannot set up the scratch file", err) == LR_OK &&
         GDALDatasetStartTransaction(s, FALSE) == OGRERR_NONE &&
         (l = GDALDatasetCreateLayer(s, "nodes", NULL, wkbNone, opts)) != NULL &&
         OGR_L_CreateField(l, fd, TRUE) == OGRERR_NONE &&
         (f = OGR_F_Create(OGR_L_GetLayerDefn(l))) != NULL;
    for (size_t k = 0; ok && k < nd->n; k++) {
        OGR_F_SetFID(f, (GIntBig)k + 1);
        OGR_F_SetFieldBinary(f, 0, (int)nd->size, nd->blob + k * nd->size);
        ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE;
    }
    ok = ok && GDALDatasetCommitTransaction(s) == OGRERR_NONE;
    if (f)
        OGR_F_Destroy(f);
    if (fd)
        OGR_Fld_Destroy(fd);
    if (s)
        GDALClose(s);
    ok = ok && CPLGetLastErrorType() < CE_Failure;
    if (!ok)
        return lr_err_set(err, LR_ERR_IO, "cannot write the scratch file '%s': %s", path,
                          CPLGetLastErrorMsg());
    return LR_OK;
}

/* "ATTACH DATABASE '<path>' AS landrec_rtree" (quotes in path doubled). Caller frees. */
static char *
attach_sql(const char *path)
{
    struct lr_buf b;
    bool ok;

    lr_buf_init(&b);
    ok = lr_buf_adds(&b, "ATTACH DATABASE '") == LR_OK;
    for (const char *c = path; ok && *c; c++)
        ok = lr_buf_addc(&b, *c) == LR_OK && (*c != '\'' || lr_buf_addc(&b, '\'') == LR_OK);
    ok = ok && lr_buf_adds(&b, "' AS landrec_rtree") == LR_OK;
    if (!ok) {
        lr_buf_release(&b);
        return NULL;
    }
    return lr_buf_detach(&b);
}

/* ---- the whole index ---- */

/* One table's index being built. */
struct build {
    GDALDatasetH ds;
    const char *table;
    const struct lr_rtree *t;
    const char *scratch;
    char *rtree; /* rtree_<table>_<geom> */
    struct schema schema;
    struct lr_rtree_nodes nodes;
    size_t size; /* node size expected: SQLite's for the file's page size */
    bool has_ext, attached, txn;
};

/* Before the transaction (ATTACH cannot run inside one): the schema, the packed nodes in the
 * scratch file, attached (no entries: no nodes, no scratch file). */
static enum lr_rc
build_prepare(struct build *b, OGRSpatialReferenceH srs, const char *fid, const char *geom,
              OGRwkbGeometryType gtype, struct lr_err *err)
{
    static const char has_ext_sql[] =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_extensions'";
    int64_t v = 0;
    char *attach = NULL;
    enum lr_rc rc;

    if (b->t->bad)
        return lr_err_set(err, LR_ERR_INTERNAL, "an envelope in table '%s' cannot be indexed",
                          b->table);
    rc = schema_learn(srs, b->table, fid, geom, gtype, b->rtree, &b->schema, err);
    if (rc == LR_OK)
        rc = query_int(b->ds, has_ext_sql, &v, err);
    b->has_ext = v > 0;
    if (rc == LR_OK)
        rc = query_int(b->ds, "PRAGMA page_size", &v, err);
    /* SQLite's R*Tree node: the page size less 64 bytes, at most 51 cells (rtree.c) */
    b->size = v - 64 < 4 + CELL_BYTES * MAX_CELLS ? (size_t)(v > 64 ? v - 64 : 0)
                                                  : 4 + CELL_BYTES * MAX_CELLS;
    if (rc == LR_OK)
        rc = lr_rtree_pack(b->t, b->size, &b->nodes, err);
    if (rc != LR_OK || b->nodes.n == 0)
        return rc;
    rc = scratch_write(b->scratch, &b->nodes, err);
    free(b->nodes.blob); /* in the scratch file now */
    b->nodes.blob = NULL;
    if (rc == LR_OK && !(attach = attach_sql(b->scratch)))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = exec_sql(b->ds, attach, "cannot attach the scratch file", err);
    b->attached = rc == LR_OK;
    free(attach);
    return rc;
}

/* In one transaction: the virtual table (checking its node size), its nodes, parents and rows,
 * then its gpkg_extensions row and triggers, as GDAL orders them. */
static enum lr_rc
build_run(struct build *b, struct lr_err *err)
{
    char *size_sql = lr_asprintf("SELECT length(data) FROM \"%s_node\" WHERE nodeno = 1", b->rtree);
    int64_t size = -1;
    enum lr_rc rc = LR_OK;

    if (!size_sql)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (GDALDatasetStartTransaction(b->ds, FALSE) != OGRERR_NONE)
        rc = lr_err_set(err, LR_ERR_IO, "cannot start a transaction: %s", CPLGetLastErrorMsg());
    b->txn = rc == LR_OK;
    if (rc == LR_OK && !b->has_ext)
        rc = schema_run(b->ds, &b->schema, SQL_EXT_TABLE, err);
    if (rc == LR_OK)
        rc = schema_run(b->ds, &b->schema, SQL_VTAB, err);
    if (rc == LR_OK)
        rc = query_int(b->ds, size_sql, &size, err);
    if (rc == LR_OK && size != (int64_t)b->size)
        rc = lr_err_set(err, LR_ERR_INTERNAL, "'%s' has nodes of %lld bytes, not %zu", b->rtree,
                        (long long)size, b->size);
    if (rc == LR_OK)
        rc = fill(b->ds, b->rtree, b->t, &b->nodes, err);
    if (rc == LR_OK)
        rc = schema_run(b->ds, &b->schema, SQL_EXT_ROW, err);
    if (rc == LR_OK)
        rc = schema_run(b->ds, &b->schema, SQL_TRIGGER, err);
    if (rc == LR_OK && GDALDatasetCommitTransaction(b->ds) != OGRERR_NONE)
        rc = lr_err_set(err, LR_ERR_IO, "cannot commit: %s", CPLGetLastErrorMsg());
    if (rc == LR_OK)
        b->txn = false;
    free(size_sql);
    return rc;
}

enum lr_rc
lr_store_rtree_write(GDALDatasetH ds, OGRSpatialReferenceH srs, const char *table, const char *fid,
                     const char *geom, OGRwkbGeometryType gtype, const struct lr_rtree *t,
                     const char *scratch, struct lr_err *err)
{
    struct build b = { .ds = ds, .table = table, .t = t, .scratch = scratch };
    double t0 = lr_now(), t1;
    enum lr_rc rc = LR_OK;

    b.rtree = lr_asprintf("rtree_%s_%s", table, geom);
    if (!b.rtree)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = build_prepare(&b, srs, fid, geom, gtype, err);
    t1 = lr_now();
    if (rc == LR_OK)
        rc = build_run(&b, err);
    if (rc == LR_OK)
        lr_log(LR_LOG_DEBUG, "extract", NULL,
               "%s: %zu entries in %zu nodes (packed in %.3f s, written in %.3f s)", b.rtree, t->n,
               b.nodes.n, t1 - t0, lr_now() - t1);
    if (b.txn)
        GDALDatasetRollbackTransaction(ds);
    if (b.attached) {
        /* after the commit the index is whole: a scratch file left attached is only closed
         * with the dataset (and already unlinked) */
        struct lr_err ignored = { LR_OK, "" };
        exec_sql(ds, "DETACH DATABASE landrec_rtree", "cannot detach the scratch file", &ignored);
    }
    VSIUnlink(scratch);
    lr_rtree_nodes_release(&b.nodes);
    schema_release(&b.schema);
    free(b.rtree);
    return rc;
}
