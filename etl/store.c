/* store.c - parcels.gpkg through GDAL/OGR's GPKG driver (see store.h).
 *
 * One table after the other: create it, write its rows (chosen and sorted by store_rows.c) in
 * one transaction, commit. The tables are created without R-tree: while the rows go in, each
 * spatial row's FID and envelope is kept, and right after the table store_rtree.c packs its
 * R-tree and writes it straight into SQLite's tables (GDAL 3.6 fills it row by row: 12 s at 1M;
 * its way stays the fallback). The key indexes show needs come last.
 * Geometries go GEOS -> WKB -> OGR. Styles come from store_style.c. */
#include "store.h"

#include "geom.h"
#include "money.h"
#include "store_rows.h"
#include "store_rtree.h"
#include "store_style.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A column: name, OGR type and subtype, Vietnamese alias (QML). */
struct field_def {
    const char *name;
    OGRFieldType type;
    OGRFieldSubType sub;
    const char *alias;
};

enum {
    PF_PARCEL_KEY,
    PF_OLD_COMMUNE,
    PF_SHEET,
    PF_PARCEL,
    PF_NEW_COMMUNE,
    PF_NEW_COMMUNE_NAME,
    PF_STATUS,
    PF_RECORD_KEY,
    PF_LAND_USE,
    PF_REGISTER_LAND_USE,
    PF_AREA,
    PF_REGISTER_AREA,
    PF_AREA_SRC,
    PF_AREA_SOURCE,
    PF_PRICE_ZONE,
    PF_POSITION,
    PF_UNIT_PRICE,
    PF_VALUE,
    PF_TAX,
    PF_PLACE,
    PF_NAMES_AGREE,
    PF_CONFIDENCE,
    PF_IN_EXTRACT,
    PF_ISSUES,
    PF_SOURCE_FILE,
    PF_SOURCE_LAYER,
    PF_SOURCE_FID,
    PF_REGISTER_FILE,
    PF_REGISTER_ROW,
    PF_COUNT
};

static const struct field_def parcel_fields[PF_COUNT] = {
    [PF_PARCEL_KEY] = { "parcel_key", OFTString, OFSTNone, "Số hiệu thửa (xã cũ-tờ-thửa)" },
    [PF_OLD_COMMUNE] = { "old_commune", OFTString, OFSTNone, "Mã xã cũ" },
    [PF_SHEET] = { "sheet", OFTInteger, OFSTNone, "Số tờ bản đồ" },
    [PF_PARCEL] = { "parcel", OFTInteger, OFSTNone, "Số thửa" },
    [PF_NEW_COMMUNE] = { "new_commune", OFTString, OFSTNone, "Mã xã mới" },
    [PF_NEW_COMMUNE_NAME] = { "new_commune_name", OFTString, OFSTNone, "Tên xã mới" },
    [PF_STATUS] = { "status", OFTString, OFSTNone, "Trạng thái đối soát" },
    [PF_RECORD_KEY] = { "record_key", OFTString, OFSTNone, "Số hiệu thửa trong hồ sơ" },
    [PF_LAND_USE] = { "land_use", OFTString, OFSTNone, "Loại đất (bản đồ)" },
    [PF_REGISTER_LAND_USE] = { "register_land_use", OFTString, OFSTNone, "Loại đất (hồ sơ)" },
    [PF_AREA] = { "area_m2", OFTReal, OFSTNone, "Diện tích bản đồ (m²)" },
    [PF_REGISTER_AREA] = { "register_area_m2", OFTReal, OFSTNone, "Diện tích hồ sơ (m²)" },
    [PF_AREA_SRC] = { "area_src_m2", OFTReal, OFSTNone, "Diện tích trên hệ tọa độ gốc (m²)" },
    [PF_AREA_SOURCE] = { "area_source", OFTString, OFSTNone, "Nguồn diện tích tính thuế" },
    [PF_PRICE_ZONE] = { "price_zone", OFTString, OFSTNone, "Khu vực giá" },
    [PF_POSITION] = { "position", OFTInteger, OFSTNone, "Vị trí" },
    [PF_UNIT_PRICE] = { "unit_price_vnd", OFTInteger64, OFSTNone, "Đơn giá (đồng/m²)" },
    [PF_VALUE] = { "value_vnd", OFTInteger64, OFSTNone, "Giá trị đất (đồng)" },
    [PF_TAX] = { "tax_vnd", OFTInteger64, OFSTNone, "Thuế (đồng)" },
    [PF_PLACE] = { "place", OFTString, OFSTNone, "Xứ đồng" },
    [PF_NAMES_AGREE] = { "names_agree", OFTString, OFSTNone, "Tên chủ khớp hồ sơ" },
    [PF_CONFIDENCE] = { "confidence", OFTReal, OFSTNone, "Độ tin cậy ghép nối" },
    [PF_IN_EXTRACT] = { "in_extract", OFTInteger, OFSTBoolean, "Có trong danh sách thuế" },
    [PF_ISSUES] = { "issues", OFTString, OFSTNone, "Lỗi hình học" },
    [PF_SOURCE_FILE] = { "source_file", OFTString, OFSTNone, "Tệp bản đồ nguồn" },
    [PF_SOURCE_LAYER] = { "source_layer", OFTString, OFSTNone, "Lớp bản đồ nguồn" },
    [PF_SOURCE_FID] = { "source_fid", OFTInteger64, OFSTNone, "Mã đối tượng nguồn" },
    [PF_REGISTER_FILE] = { "register_file", OFTString, OFSTNone, "Tệp hồ sơ nguồn" },
    [PF_REGISTER_ROW] = { "register_row", OFTInteger64, OFSTNone, "Dòng hồ sơ nguồn" },
};

enum { IF_PARCEL_KEY, IF_RECORD_KEY, IF_CLASS, IF_KIND, IF_DETAIL, IF_ACK, IF_COUNT };

static const struct field_def issue_fields[IF_COUNT] = {
    [IF_PARCEL_KEY] = { "parcel_key", OFTString, OFSTNone, "Số hiệu thửa (bản đồ)" },
    [IF_RECORD_KEY] = { "record_key", OFTString, OFSTNone, "Số hiệu thửa (hồ sơ)" },
    [IF_CLASS] = { "class", OFTString, OFSTNone, "Loại lỗi" },
    [IF_KIND] = { "kind", OFTString, OFSTNone, "Nhóm (hình học / đối soát)" },
    [IF_DETAIL] = { "detail", OFTString, OFSTNone, "Chi tiết" },
    [IF_ACK] = { "acknowledged", OFTInteger, OFSTBoolean, "Đã xác nhận" },
};

enum {
    RF_RECORD_KEY,
    RF_OLD_COMMUNE,
    RF_SHEET,
    RF_PARCEL,
    RF_LAND_USE,
    RF_AREA,
    RF_STATUS,
    RF_REASON,
    RF_SOURCE_FILE,
    RF_SOURCE_ROW,
    RF_COUNT
};

static const struct field_def register_fields[RF_COUNT] = {
    [RF_RECORD_KEY] = { "record_key", OFTString, OFSTNone, "Số hiệu thửa (hồ sơ)" },
    [RF_OLD_COMMUNE] = { "old_commune", OFTString, OFSTNone, "Mã xã cũ" },
    [RF_SHEET] = { "sheet", OFTInteger, OFSTNone, "Số tờ bản đồ" },
    [RF_PARCEL] = { "parcel", OFTInteger, OFSTNone, "Số thửa" },
    [RF_LAND_USE] = { "land_use", OFTString, OFSTNone, "Loại đất (hồ sơ)" },
    [RF_AREA] = { "register_area_m2", OFTReal, OFSTNone, "Diện tích hồ sơ (m²)" },
    [RF_STATUS] = { "status", OFTString, OFSTNone, "Trạng thái đối soát" },
    [RF_REASON] = { "reason", OFTString, OFSTNone, "Lý do loại" },
    [RF_SOURCE_FILE] = { "source_file", OFTString, OFSTNone, "Tệp hồ sơ nguồn" },
    [RF_SOURCE_ROW] = { "source_row", OFTInteger64, OFSTNone, "Dòng hồ sơ nguồn" },
};

enum { LF_OLD_KEY, LF_NEW_KEY, LF_RELATION, LF_CONFIDENCE, LF_EVIDENCE, LF_COUNT };

static const struct field_def lineage_fields[LF_COUNT] = {
    [LF_OLD_KEY] = { "old_key", OFTString, OFSTNone, "Số hiệu cũ (hồ sơ)" },
    [LF_NEW_KEY] = { "new_key", OFTString, OFSTNone, "Số hiệu mới (bản đồ)" },
    [LF_RELATION] = { "relation", OFTString, OFSTNone, "Quan hệ (giữ/đổi số/tách/hợp)" },
    [LF_CONFIDENCE] = { "confidence", OFTReal, OFSTNone, "Độ tin cậy (0–1)" },
    [LF_EVIDENCE] = { "evidence", OFTString, OFSTNone, "Căn cứ" },
};

/* A table of the GeoPackage. */
struct table_def {
    const char *name;
    OGRwkbGeometryType gtype;
    const struct field_def *fields;
    size_t n_fields;
    enum lr_style_kind style;
    const char *description;
};

static const struct table_def t_parcels = {
    LR_STORE_PARCELS, wkbMultiPolygon,
    parcel_fields,    PF_COUNT,
    LR_STYLE_PARCELS, "reconciled map parcels with statuses, areas, value and tax",
};
static const struct table_def t_issues = {
    LR_STORE_ISSUES,
    wkbUnknown,
    issue_fields,
    IF_COUNT,
    LR_STYLE_ISSUES,
    "every finding of mismatches.csv, at the problem (point, overlap/gap polygon or none)",
};
static const struct table_def t_register = {
    LR_STORE_REGISTER_ONLY, wkbNone,
    register_fields,        RF_COUNT,
    LR_STYLE_TABLE,         "register records without a map parcel (no owner data)",
};
static const struct table_def t_lineage = {
    LR_STORE_LINEAGE, wkbNone,
    lineage_fields,   LF_COUNT,
    LR_STYLE_TABLE,   "old (register) key to new (map) key: same, renumbered, split, merged",
};

/* Attribute indexes built last (landrec show looks rows up by key). */
static const char *const index_sql[] = {
    "CREATE INDEX idx_parcels_parcel_key ON parcels (parcel_key)",
    "CREATE INDEX idx_parcels_record_key ON parcels (record_key)",
    "CREATE INDEX idx_issues_parcel_key ON issues (parcel_key)",
    "CREATE INDEX idx_issues_record_key ON issues (record_key)",
    "CREATE INDEX idx_register_only_record_key ON register_only (record_key)",
    "CREATE INDEX idx_lineage_old_key ON lineage (old_key)",
    "CREATE INDEX idx_lineage_new_key ON lineage (new_key)",
};

/* The file is written under a temporary name, fsynced once and renamed: SQLite need not sync
 * or keep a journal on disk for each commit (a failed write deletes the file). */
static const char *const pragmas[] = {
    "PRAGMA synchronous = OFF",
    "PRAGMA journal_mode = MEMORY",
};

struct writer {
    const struct lr_shard *sh;
    struct lr_geom_ctx *g;
    const char *path;    /* the temporary file, for messages */
    const char *scratch; /* store_rtree.c's scratch file beside it */
    GDALDatasetH ds;
    OGRSpatialReferenceH srs;
    OGRLayerH layer;
    OGRFeatureH feat;
    const char *table;      /* being written */
    struct lr_rtree *rtree; /* entries of the table being written; NULL: not spatial */
    struct lr_rtree parcels_rtree, issues_rtree;
    bool in_txn;
    struct lr_store_counts counts;
};

static enum lr_rc
gdal_fail(struct writer *w, const char *what, struct lr_err *err)
{
    const char *msg = CPLGetLastErrorMsg();

    return lr_err_set(err, LR_ERR_IO,
                      "cannot write '%s'%s%s%s: %s%s%s; check the free space and permissions of "
                      "the output folder",
                      w->path, w->table ? " table '" : "", w->table ? w->table : "",
                      w->table ? "'" : "", what, msg && *msg ? ": " : "", msg ? msg : "");
}

/* ---- field setters: NULL / negative "absent" values become SQL NULL ---- */
static void
set_str(OGRFeatureH f, int i, const char *s)
{
    if (s && *s)
        OGR_F_SetFieldString(f, i, s);
    else
        OGR_F_SetFieldNull(f, i);
}

static void
set_int(OGRFeatureH f, int i, int64_t v, bool present)
{
    if (present)
        OGR_F_SetFieldInteger64(f, i, v);
    else
        OGR_F_SetFieldNull(f, i);
}

/* An area in tenths of m^2 as the nearest double to its one-decimal text (never computed). */
static void
set_area(OGRFeatureH f, int i, int64_t dm2)
{
    char buf[32];

    if (dm2 < 0) {
        OGR_F_SetFieldNull(f, i);
        return;
    }
    lr_money_format_area(dm2, buf, sizeof(buf));
    OGR_F_SetFieldDouble(f, i, strtod(buf, NULL));
}

static void
set_key(OGRFeatureH f, int i, const struct lr_key *k)
{
    char buf[LR_KEY_STR_MAX];

    if (!k || k->commune < 0) {
        OGR_F_SetFieldNull(f, i);
        return;
    }
    lr_key_format(k, buf);
    set_str(f, i, buf);
}

static void
set_code(OGRFeatureH f, int i, int32_t code)
{
    char buf[16];

    if (code < 0) {
        OGR_F_SetFieldNull(f, i);
        return;
    }
    snprintf(buf, sizeof(buf), "%05d", (int)code);
    OGR_F_SetFieldString(f, i, buf);
}

/* ---- tables ---- */
static enum lr_rc
create_fields(struct writer *w, const struct table_def *t, struct lr_err *err)
{
    for (size_t i = 0; i < t->n_fields; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(t->fields[i].name, t->fields[i].type);
        OGRErr e;

        if (!fd)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        OGR_Fld_SetSubType(fd, t->fields[i].sub);
        e = OGR_L_CreateField(w->layer, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return gdal_fail(w, t->fields[i].name, err);
    }
    return LR_OK;
}

/* Create table t, open a transaction and a feature to fill. */
static enum lr_rc
table_begin(struct writer *w, const struct table_def *t, const char *fid, struct lr_err *err)
{
    char *opts[8] = { NULL };
    char *fid_opt = lr_asprintf("FID=%s", fid);
    char *desc_opt = lr_asprintf("DESCRIPTION=%s", t->description ? t->description : "");
    enum lr_rc rc;

    w->table = t->name;
    if (!fid_opt || !desc_opt) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    opts[0] = fid_opt;
    opts[1] = desc_opt;
    opts[2] = (char *)"GEOMETRY_NAME=geom";
    opts[3] = (char *)"SPATIAL_INDEX=NO"; /* spatial_index() */
    if (GDALDatasetStartTransaction(w->ds, FALSE) != OGRERR_NONE) {
        rc = gdal_fail(w, "cannot start a transaction", err);
        goto out;
    }
    w->in_txn = true;
    w->layer =
        GDALDatasetCreateLayer(w->ds, t->name, t->gtype == wkbNone ? NULL : w->srs, t->gtype, opts);
    if (!w->layer) {
        rc = gdal_fail(w, "cannot create the table", err);
        goto out;
    }
    rc = create_fields(w, t, err);
    if (rc == LR_OK && !(w->feat = OGR_F_Create(OGR_L_GetLayerDefn(w->layer))))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
out:
    free(fid_opt);
    free(desc_opt);
    return rc;
}

/* Write the current feature (with geometry geom, owned; may be NULL) as a new row; keep its
 * FID and envelope for the R-tree when it has a non-empty geometry (what GDAL would index). */
static enum lr_rc
table_put(struct writer *w, OGRGeometryH geom, struct lr_err *err)
{
    OGREnvelope env;

    OGR_F_SetFID(w->feat, OGRNullFID);
    OGR_F_SetGeometryDirectly(w->feat, geom);
    if (OGR_L_CreateFeature(w->layer, w->feat) != OGRERR_NONE)
        return gdal_fail(w, "cannot add a row", err);
    if (!w->rtree || !geom || OGR_G_IsEmpty(geom))
        return LR_OK;
    OGR_G_GetEnvelope(geom, &env);
    return lr_rtree_add(w->rtree, OGR_F_GetFID(w->feat), env.MinX, env.MaxX, env.MinY, env.MaxY,
                        err);
}

static enum lr_rc
table_end(struct writer *w, struct lr_err *err)
{
    if (w->feat)
        OGR_F_Destroy(w->feat);
    w->feat = NULL;
    w->layer = NULL;
    if (!w->in_txn)
        return LR_OK;
    w->in_txn = false;
    if (GDALDatasetCommitTransaction(w->ds) != OGRERR_NONE)
        return gdal_fail(w, "cannot commit", err);
    return LR_OK;
}

/* ---- parcels ---- */
static const char *
new_commune_name(const struct lr_shard *sh, int32_t code)
{
    for (size_t i = 0; code >= 0 && i < sh->n_communes; i++)
        if (sh->communes[i].new_code == code)
            return sh->communes[i].new_name;
    return NULL;
}

/* Comma list of the parcel's issue classes, in class order, into buf. */
static void
issue_list(uint32_t bits, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (int c = 0; c < LR_IS_COUNT && c < 32; c++)
        if (bits & (1u << c))
            len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? "," : "",
                                    lr_issue_name((enum lr_issue_class)c));
    if (len >= size)
        buf[size - 1] = '\0';
}

static void
parcel_match_fields(struct writer *w, const struct lr_parcel *p)
{
    const struct lr_record *r = p->record >= 0 ? &w->sh->records[p->record] : NULL;
    const struct lr_input *rin = r ? &w->sh->inputs[r->input] : NULL;
    OGRFeatureH f = w->feat;

    set_key(f, PF_RECORD_KEY, r ? &r->key : NULL);
    set_str(f, PF_REGISTER_LAND_USE, r ? r->land_use : NULL);
    set_area(f, PF_REGISTER_AREA, r ? r->area_dm2 : -1);
    set_str(f, PF_NAMES_AGREE, lr_store_names_agree(p, r));
    if (r)
        OGR_F_SetFieldDouble(f, PF_CONFIDENCE, p->confidence_pct / 100.0);
    else
        OGR_F_SetFieldNull(f, PF_CONFIDENCE);
    set_int(f, PF_IN_EXTRACT, lr_parcel_in_extract(w->sh, p), true);
    set_str(f, PF_REGISTER_FILE, rin ? rin->path : NULL);
    set_int(f, PF_REGISTER_ROW, r ? r->row : 0, r != NULL);
}

static void
parcel_fields_set(struct writer *w, const struct lr_parcel *p)
{
    const struct lr_input *in = &w->sh->inputs[p->input];
    OGRFeatureH f = w->feat;
    bool priced = p->price_vnd >= 0;
    char issues[512];

    set_key(f, PF_PARCEL_KEY, &p->key);
    set_code(f, PF_OLD_COMMUNE, p->key.commune);
    set_int(f, PF_SHEET, p->key.sheet, p->key.commune >= 0);
    set_int(f, PF_PARCEL, p->key.parcel, p->key.commune >= 0);
    set_code(f, PF_NEW_COMMUNE, p->new_commune);
    set_str(f, PF_NEW_COMMUNE_NAME, new_commune_name(w->sh, p->new_commune));
    set_str(f, PF_STATUS, lr_status_name(p->status));
    set_str(f, PF_LAND_USE, p->land_use);
    set_area(f, PF_AREA, p->area_dm2);
    set_area(f, PF_AREA_SRC, p->area_src_dm2);
    set_str(f, PF_AREA_SOURCE, p->area_from_register ? "register" : "map");
    set_str(f, PF_PRICE_ZONE, priced ? p->zone : NULL);
    set_int(f, PF_POSITION, p->position, priced);
    set_int(f, PF_UNIT_PRICE, p->price_vnd, priced);
    set_int(f, PF_VALUE, p->value_vnd, priced);
    set_int(f, PF_TAX, p->tax_vnd, priced);
    set_str(f, PF_PLACE, p->place);
    issue_list(p->issues, issues, sizeof(issues));
    set_str(f, PF_ISSUES, issues);
    set_str(f, PF_SOURCE_FILE, in->path);
    set_str(f, PF_SOURCE_LAYER, in->layer);
    set_int(f, PF_SOURCE_FID, p->fid, true);
    parcel_match_fields(w, p);
}

/* OGR MultiPolygon from the parcel's GEOS geometry (via WKB); NULL on failure. */
static OGRGeometryH
parcel_geometry(struct writer *w, const struct lr_parcel *p)
{
    size_t n = 0;
    unsigned char *wkb = lr_geom_to_wkb_multi(w->g, p->geom, &n);
    OGRGeometryH og = NULL;

    if (!wkb || n > INT32_MAX || OGR_G_CreateFromWkb(wkb, NULL, &og, (int)n) != OGRERR_NONE) {
        free(wkb);
        return NULL;
    }
    free(wkb);
    if (wkbFlatten(OGR_G_GetGeometryType(og)) != wkbMultiPolygon)
        og = OGR_G_ForceToMultiPolygon(og);
    return og;
}

static enum lr_rc
write_parcels(struct writer *w, struct lr_err *err)
{
    const struct lr_shard *sh = w->sh;
    size_t n = 0, *idx = lr_store_parcel_order(sh, &n);
    enum lr_rc rc;

    if (!idx)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    w->rtree = &w->parcels_rtree;
    rc = table_begin(w, &t_parcels, "fid", err);
    for (size_t k = 0; rc == LR_OK && k < n; k++) {
        const struct lr_parcel *p = &sh->parcels[idx[k]];
        OGRGeometryH og = parcel_geometry(w, p);
        char key[LR_KEY_STR_MAX];

        if (!og) {
            lr_key_format(&p->key, key);
            rc =
                lr_err_set(err, LR_ERR_INTERNAL, "cannot convert the geometry of parcel '%s'", key);
            break;
        }
        parcel_fields_set(w, p);
        rc = table_put(w, og, err);
    }
    if (rc == LR_OK)
        rc = table_end(w, err);
    w->rtree = NULL;
    w->counts.parcels = (int64_t)n;
    free(idx);
    return rc;
}

/* ---- issues: geometry issues and match findings, one row per mismatches.csv line ---- */
static OGRGeometryH
geometry_from_hex(const char *hex)
{
    size_t len = strlen(hex) / 2;
    unsigned char *wkb = malloc(len + 1);
    OGRGeometryH og = NULL;

    if (!wkb || len > INT32_MAX)
        goto out;
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            goto out;
        wkb[i] = (unsigned char)v;
    }
    if (OGR_G_CreateFromWkb(wkb, NULL, &og, (int)len) != OGRERR_NONE)
        og = NULL;
out:
    free(wkb);
    return og;
}

static OGRGeometryH
point(double x, double y)
{
    OGRGeometryH og = OGR_G_CreateGeometry(wkbPoint);

    if (og)
        OGR_G_SetPoint_2D(og, 0, x, y);
    return og;
}

/* Where the row is drawn: its polygon, its point, else the interior point of its parcel (or
 * of its record's parcel), else nowhere (NULL: a register-only record, a feature never read). */
static OGRGeometryH
issue_geometry(const struct lr_shard *sh, const struct lr_store_issue_row *r)
{
    int64_t p = r->parcel;

    if (r->wkb_hex && r->wkb_hex[0]) {
        OGRGeometryH og = geometry_from_hex(r->wkb_hex);
        if (og)
            return og;
    }
    if (r->located)
        return point(r->x, r->y);
    if (p < 0 && r->record >= 0)
        p = sh->records[r->record].parcel;
    if (p >= 0 && sh->parcels[p].geom)
        return point(sh->parcels[p].ix, sh->parcels[p].iy);
    return NULL;
}

static enum lr_rc
write_issues(struct writer *w, struct lr_err *err)
{
    size_t n = 0;
    struct lr_store_issue_row *rows = lr_store_issue_rows(w->sh, &n);
    enum lr_rc rc;

    if (!rows)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    w->rtree = &w->issues_rtree;
    rc = table_begin(w, &t_issues, "fid", err);
    for (size_t k = 0; rc == LR_OK && k < n; k++) {
        const struct lr_store_issue_row *r = &rows[k];

        set_key(w->feat, IF_PARCEL_KEY, lr_store_parcel_key(w->sh, r->parcel));
        set_key(w->feat, IF_RECORD_KEY, lr_store_record_key(w->sh, r->record));
        set_str(w->feat, IF_CLASS, r->cls);
        set_str(w->feat, IF_KIND, r->finding ? "match" : "geometry");
        set_str(w->feat, IF_DETAIL, r->detail);
        set_int(w->feat, IF_ACK, r->ack, true);
        rc = table_put(w, issue_geometry(w->sh, r), err);
    }
    if (rc == LR_OK)
        rc = table_end(w, err);
    w->rtree = NULL;
    w->counts.issues = (int64_t)n;
    free(rows);
    return rc;
}

/* ---- register_only: records without a map parcel; no owner data ---- */
static void
register_fields_set(struct writer *w, const struct lr_record *r)
{
    OGRFeatureH f = w->feat;
    bool key = r->key.commune >= 0;

    set_key(f, RF_RECORD_KEY, &r->key);
    set_code(f, RF_OLD_COMMUNE, r->key.commune);
    set_int(f, RF_SHEET, r->key.sheet, key);
    set_int(f, RF_PARCEL, r->key.parcel, key);
    set_str(f, RF_LAND_USE, r->land_use);
    set_area(f, RF_AREA, r->area_dm2);
    set_str(f, RF_STATUS, lr_status_name(r->status));
    set_str(f, RF_REASON, r->status == LR_ST_REJECTED ? lr_issue_name(r->reject) : NULL);
    set_str(f, RF_SOURCE_FILE, w->sh->inputs[r->input].path);
    set_int(f, RF_SOURCE_ROW, r->row, true);
}

static enum lr_rc
write_register_only(struct writer *w, struct lr_err *err)
{
    const struct lr_shard *sh = w->sh;
    size_t n = 0, *idx = lr_store_register_only_order(sh, &n);
    enum lr_rc rc;

    if (!idx)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = table_begin(w, &t_register, "fid", err);
    for (size_t k = 0; rc == LR_OK && k < n; k++) {
        register_fields_set(w, &sh->records[idx[k]]);
        rc = table_put(w, NULL, err);
    }
    if (rc == LR_OK)
        rc = table_end(w, err);
    w->counts.register_only = (int64_t)n;
    free(idx);
    return rc;
}

/* ---- lineage: the lineage pass's rows, plus every other linked pair ---- */
static enum lr_rc
write_lineage(struct writer *w, struct lr_err *err)
{
    size_t n = 0;
    struct lr_store_lineage_row *rows = lr_store_lineage_rows(w->sh, &n);
    enum lr_rc rc;

    if (!rows)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = table_begin(w, &t_lineage, "fid", err);
    for (size_t k = 0; rc == LR_OK && k < n; k++) {
        const struct lr_store_lineage_row *r = &rows[k];

        set_key(w->feat, LF_OLD_KEY, lr_store_record_key(w->sh, r->record));
        set_key(w->feat, LF_NEW_KEY, lr_store_parcel_key(w->sh, r->parcel));
        set_str(w->feat, LF_RELATION, lr_relation_name(r->rel));
        OGR_F_SetFieldDouble(w->feat, LF_CONFIDENCE, r->confidence_pct / 100.0);
        set_str(w->feat, LF_EVIDENCE, r->evidence);
        rc = table_put(w, NULL, err);
    }
    if (rc == LR_OK)
        rc = table_end(w, err);
    w->counts.lineage = (int64_t)n;
    free(rows);
    return rc;
}

/* ---- layer_styles (QGIS's schema, as QGIS itself creates it through OGR) ---- */
static const struct field_def style_fields[] = {
    { "f_table_catalog", OFTString, OFSTNone, NULL },
    { "f_table_schema", OFTString, OFSTNone, NULL },
    { "f_table_name", OFTString, OFSTNone, NULL },
    { "f_geometry_column", OFTString, OFSTNone, NULL },
    { "styleName", OFTString, OFSTNone, NULL },
    { "styleQML", OFTString, OFSTNone, NULL },
    { "styleSLD", OFTString, OFSTNone, NULL },
    { "useAsDefault", OFTInteger, OFSTBoolean, NULL },
    { "description", OFTString, OFSTNone, NULL },
    { "owner", OFTString, OFSTNone, NULL },
    { "ui", OFTString, OFSTNone, NULL },
    { "update_time", OFTDateTime, OFSTNone, NULL },
};

static const struct table_def t_styles = {
    "layer_styles",      wkbNone, style_fields, LR_ARRAY_LEN(style_fields), LR_STYLE_TABLE,
    "QGIS layer styles",
};

/* One style row for table t: its QML (renderer, legend, aliases) and SLD. */
static enum lr_rc
style_row(struct writer *w, const struct table_def *t, struct lr_err *err)
{
    struct lr_style_field *sf = calloc(t->n_fields + 1, sizeof(*sf));
    char *qml = NULL, *sld = NULL;
    enum lr_rc rc;

    for (size_t i = 0; sf && i < t->n_fields; i++)
        sf[i] = (struct lr_style_field){ t->fields[i].name, t->fields[i].alias };
    qml = sf ? lr_style_qml(t->style, sf, t->n_fields) : NULL;
    sld = lr_style_sld(t->style, t->name);
    if (!qml || !sld) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    OGR_F_SetFieldString(w->feat, 0, "");
    OGR_F_SetFieldString(w->feat, 1, "");
    OGR_F_SetFieldString(w->feat, 2, t->name);
    OGR_F_SetFieldString(w->feat, 3, t->gtype == wkbNone ? "" : "geom");
    OGR_F_SetFieldString(w->feat, 4, t->name);
    OGR_F_SetFieldString(w->feat, 5, qml);
    OGR_F_SetFieldString(w->feat, 6, sld);
    OGR_F_SetFieldInteger(w->feat, 7, 1);
    OGR_F_SetFieldString(w->feat, 8, "landrec default style");
    OGR_F_SetFieldString(w->feat, 9, "");
    OGR_F_SetFieldNull(w->feat, 10);
    /* fixed, like OGR_CURRENT_DATE: identical bytes on a rerun */
    OGR_F_SetFieldDateTimeEx(w->feat, 11, 2000, 1, 1, 0, 0, 0.0f, 100);
    rc = table_put(w, NULL, err);
out:
    free(sf);
    free(qml);
    free(sld);
    return rc;
}

static enum lr_rc
write_styles(struct writer *w, struct lr_err *err)
{
    const struct table_def *styled[] = { &t_parcels, &t_issues, &t_register, &t_lineage };
    enum lr_rc rc = table_begin(w, &t_styles, "id", err);

    for (size_t i = 0; rc == LR_OK && i < LR_ARRAY_LEN(styled); i++)
        rc = style_row(w, styled[i], err);
    if (rc == LR_OK)
        rc = table_end(w, err);
    return rc;
}

/* GDAL's own R-tree for table t (row by row): the fallback. */
static enum lr_rc
gdal_spatial_index(struct writer *w, const struct table_def *t, struct lr_err *err)
{
    char *sql = lr_asprintf("SELECT CreateSpatialIndex('%s', 'geom')", t->name);
    OGRLayerH res = NULL;
    OGRFeatureH f = NULL;
    bool ok = false;

    if (!sql)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    CPLErrorReset();
    res = GDALDatasetExecuteSQL(w->ds, sql, NULL, NULL);
    f = res ? OGR_L_GetNextFeature(res) : NULL;
    ok = f && OGR_F_GetFieldAsInteger(f, 0) == 1 && CPLGetLastErrorType() < CE_Failure;
    if (f)
        OGR_F_Destroy(f);
    if (res)
        GDALDatasetReleaseResultSet(w->ds, res);
    free(sql);
    return ok ? LR_OK : gdal_fail(w, "cannot build the spatial index", err);
}

/* Table t's R-tree, right after its rows (its entries are freed before the next table):
 * packed by store_rtree.c, or by GDAL when that fails (or when LANDREC_GPKG_RTREE=gdal asks
 * for GDAL's own, for comparisons). */
static enum lr_rc
spatial_index(struct writer *w, const struct table_def *t, struct lr_rtree *entries,
              struct lr_err *err)
{
    const char *how = getenv("LANDREC_GPKG_RTREE");
    struct lr_err mine = { LR_OK, "" };
    enum lr_rc rc = LR_OK;

    w->table = t->name;
    if (how && strcmp(how, "gdal") == 0) {
        rc = gdal_spatial_index(w, t, err);
    } else if (lr_store_rtree_write(w->ds, w->srs, t->name, "fid", "geom", t->gtype, entries,
                                    w->scratch, &mine) != LR_OK) {
        lr_log(LR_LOG_WARN, "extract", NULL,
               "%s: cannot pack the spatial index of '%s' (%s); GDAL builds it row by row",
               LR_STORE_FILE, t->name, mine.msg);
        rc = gdal_spatial_index(w, t, err);
    }
    lr_rtree_release(entries);
    w->table = NULL;
    return rc;
}

static enum lr_rc
write_parcels_rtree(struct writer *w, struct lr_err *err)
{
    return spatial_index(w, &t_parcels, &w->parcels_rtree, err);
}

static enum lr_rc
write_issues_rtree(struct writer *w, struct lr_err *err)
{
    return spatial_index(w, &t_issues, &w->issues_rtree, err);
}

static enum lr_rc
write_indexes(struct writer *w, struct lr_err *err)
{
    w->table = NULL;
    for (size_t i = 0; i < LR_ARRAY_LEN(index_sql); i++) {
        CPLErrorReset();
        OGRLayerH res = GDALDatasetExecuteSQL(w->ds, index_sql[i], NULL, NULL);
        if (res)
            GDALDatasetReleaseResultSet(w->ds, res);
        if (CPLGetLastErrorType() >= CE_Failure)
            return gdal_fail(w, index_sql[i], err);
    }
    return LR_OK;
}

/* ---- the file ---- */
static enum lr_rc
open_dataset(struct writer *w, const char *target_crs, struct lr_err *err)
{
    GDALDriverH drv = GDALGetDriverByName("GPKG");

    if (!drv)
        return lr_err_set(err, LR_ERR_INTERNAL, "GDAL has no GPKG driver");
    w->srs = OSRNewSpatialReference(NULL);
    if (!w->srs || OSRSetFromUserInput(w->srs, target_crs) != OGRERR_NONE)
        return lr_err_set(err, LR_ERR_CONFIG, "target CRS '%s' is not understood by GDAL",
                          target_crs);
    OSRSetAxisMappingStrategy(w->srs, OAMS_TRADITIONAL_GIS_ORDER);
    unlink(w->path);
    CPLErrorReset();
    w->ds = GDALCreate(drv, w->path, 0, 0, 0, GDT_Unknown, NULL);
    if (!w->ds)
        return gdal_fail(w, "cannot create the GeoPackage", err);
    for (size_t i = 0; i < LR_ARRAY_LEN(pragmas); i++) {
        OGRLayerH res = GDALDatasetExecuteSQL(w->ds, pragmas[i], NULL, NULL);
        if (res)
            GDALDatasetReleaseResultSet(w->ds, res);
    }
    return LR_OK;
}

static enum lr_rc
write_all(struct writer *w, struct lr_err *err)
{
    static const struct {
        const char *what;
        enum lr_rc (*fn)(struct writer *, struct lr_err *);
    } steps[] = {
        { "parcels", write_parcels },
        { "parcels R-tree", write_parcels_rtree },
        { "issues", write_issues },
        { "issues R-tree", write_issues_rtree },
        { "register_only", write_register_only },
        { "lineage", write_lineage },
        { "layer_styles", write_styles },
        { "key indexes", write_indexes },
    };
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < LR_ARRAY_LEN(steps); i++) {
        double t0 = lr_now(), c0 = lr_cpu_process();
        rc = steps[i].fn(w, err);
        lr_log(LR_LOG_DEBUG, "extract", NULL, "%s: %s in %.3f s (cpu %.3f s)", LR_STORE_FILE,
               steps[i].what, lr_now() - t0, lr_cpu_process() - c0);
    }
    return rc;
}

/* Close the dataset, then 0640, fsync, rename. */
static enum lr_rc
finish_file(struct writer *w, const char *path, struct lr_err *err)
{
    int fd;

    double t0 = lr_now();

    CPLErrorReset();
    GDALClose(w->ds);
    w->ds = NULL;
    w->table = NULL;
    lr_log(LR_LOG_DEBUG, "extract", NULL, "%s: close in %.3f s", LR_STORE_FILE, lr_now() - t0);
    if (CPLGetLastErrorType() >= CE_Failure)
        return gdal_fail(w, "cannot close the GeoPackage", err);
    fd = open(w->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0640) != 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return lr_err_set(err, LR_ERR_IO, "cannot finish '%s': %s", w->path, strerror(e));
    }
    close(fd);
    if (rename(w->path, path) != 0)
        return lr_err_set(err, LR_ERR_IO, "cannot rename '%s' to '%s': %s", w->path, path,
                          strerror(errno));
    return LR_OK;
}

/* "dir/parcels.gpkg" -> "dir/parcels<tag>.gpkg" (the driver wants the .gpkg extension). */
static char *
tmp_name(const char *path, const char *tag)
{
    size_t n = strlen(path);

    if (n > 5 && strcmp(path + n - 5, ".gpkg") == 0)
        return lr_asprintf("%.*s%s.gpkg", (int)(n - 5), path, tag);
    return lr_asprintf("%s%s.gpkg", path, tag);
}

enum lr_rc
lr_store_write_file(const char *path, const struct lr_shard *sh, struct lr_geom_ctx *g,
                    struct lr_store_counts *counts, struct lr_err *err)
{
    struct writer w = { .sh = sh, .g = g };
    char *tmp = tmp_name(path, ".tmp"), *scratch = tmp_name(path, ".rtree.tmp");
    double t0 = lr_now();
    enum lr_rc rc;

    if (!tmp || !scratch) {
        free(tmp);
        free(scratch);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    w.path = tmp;
    w.scratch = scratch;
    rc = open_dataset(&w, sh->cfg->target_crs, err);
    if (rc == LR_OK)
        rc = write_all(&w, err);
    if (rc != LR_OK && w.in_txn)
        GDALDatasetRollbackTransaction(w.ds);
    if (w.feat)
        OGR_F_Destroy(w.feat);
    if (rc == LR_OK)
        rc = finish_file(&w, path, err);
    if (w.ds)
        GDALClose(w.ds);
    if (rc != LR_OK)
        unlink(tmp);
    if (w.srs)
        OSRRelease(w.srs);
    lr_rtree_release(&w.parcels_rtree);
    lr_rtree_release(&w.issues_rtree);
    w.counts.seconds = lr_now() - t0;
    if (counts)
        *counts = w.counts;
    free(scratch);
    free(tmp);
    return rc;
}

enum lr_rc
lr_store_write(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_err *err)
{
    struct lr_store_counts c;
    char *path = lr_path_join(ctx->work_dir, LR_STORE_FILE);
    enum lr_rc rc;

    if (!path)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = lr_store_write_file(path, sh, ctx->geom, &c, err);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "extract", NULL,
               "%s: %lld parcels, %lld issues, %lld register-only, %lld lineage rows in %.2f s",
               LR_STORE_FILE, (long long)c.parcels, (long long)c.issues, (long long)c.register_only,
               (long long)c.lineage, c.seconds);
    free(path);
    return rc;
}
