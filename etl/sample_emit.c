/* sample_emit.c - the sample generator's writer: each old commune's shapefile, sheet by sheet,
 * with the register rows and the injected.csv rows of its parcels streamed alongside. Names,
 * places and owners are made up here from Vietnamese (and S'tiêng) name lists; text goes to
 * the maps as TCVN3 bytes, to the register as UTF-8 NFC. */
#include "money.h"
#include "sample_int.h"
#include "text.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const first_syl[] = {
    "Tân",   "Phú", "Minh", "Thanh", "Lộc",   "Bình", "Thuận", "Đồng",  "Long", "Phước", "Hưng",
    "Thiện", "Lợi", "Đức",  "Quang", "Thống", "Tiến", "Nghĩa", "Thành", "Bù",   "Đa",    "Hòa",
};
static const char *const second_syl[] = {
    "Lập",   "Phú",  "Hưng", "Thành", "Lợi", "Tiến", "Hòa",   "Khánh", "Nghĩa", "Bình", "Long",
    "Thạnh", "Xuân", "Quan", "Phong", "An",  "Tâm",  "Thịnh", "Sơn",   "Nhất",  "Kia",  "Đăng",
};

/* Person names: family, middle and given names; no toned capitals are needed but TCVN3 holds
 * them anyway. S'tiêng names follow "Điểu [Thị] X". */
static const char *const family[] = {
    "Nguyễn", "Trần", "Lê",  "Phạm",  "Hoàng", "Huỳnh",  "Phan", "Vũ",  "Võ",  "Đặng", "Bùi",
    "Đỗ",     "Hồ",   "Ngô", "Dương", "Lý",    "Trương", "Đinh", "Lâm", "Mai", "Tô",   "Cao",
};
static const char *const middle_m[] = { "Văn",   "Hữu",   "Minh", "Đức",  "Công",
                                        "Quang", "Thanh", "Ngọc", "Xuân", "Trọng" };
static const char *const middle_f[] = { "Thị", "Thị",   "Thị",  "Ngọc", "Thu",
                                        "Kim", "Thanh", "Bích", "Mỹ",   "Thúy" };
static const char *const given_m[] = {
    "Đức",   "Hùng", "Dũng",  "Tuấn",  "Hải",   "Nam",  "Sơn",  "Phong", "Tâm",
    "Bình",  "Lộc",  "Tài",   "Thắng", "Khoa",  "Long", "Quý",  "Hiếu",  "Trung",
    "Nghĩa", "Phúc", "Thành", "Hưng",  "Cường", "Vinh", "Toàn",
};
static const char *const given_f[] = {
    "Hoà",  "Lan",   "Hương", "Hạnh", "Mai",  "Thảo", "Nga",  "Phượng", "Trang", "Hằng", "Liên",
    "Dung", "Nhung", "Tuyết", "Hiền", "Thuỷ", "Yến",  "Loan", "Vân",    "Xuân",  "Hòa",  "Thủy",
};
static const char *const stieng[] = { "K'Lơi", "Bréc", "Xiêm", "Ton",  "Khâm",  "K'Hoan",
                                      "Srây",  "Lanh", "Đơn",  "Blúi", "Ngheo", "Lành" };
static const char *const dieu[] = { "Điểu" };
static const char *const soc_places[] = { "Sóc Bom Bo", "Sóc Lớn", "Thôn Phú Riềng Đỏ", "Ấp Bù Nho",
                                          "Sóc Bù Đăng" };

enum { L_FAMILY, L_MIDDLE_M, L_MIDDLE_F, L_GIVEN_M, L_GIVEN_F, L_STIENG, L_DIEU, L_COUNT };

static const struct {
    const char *const *s;
    size_t n;
} lists[L_COUNT] = {
    [L_FAMILY] = { family, LR_ARRAY_LEN(family) },
    [L_MIDDLE_M] = { middle_m, LR_ARRAY_LEN(middle_m) },
    [L_MIDDLE_F] = { middle_f, LR_ARRAY_LEN(middle_f) },
    [L_GIVEN_M] = { given_m, LR_ARRAY_LEN(given_m) },
    [L_GIVEN_F] = { given_f, LR_ARRAY_LEN(given_f) },
    [L_STIENG] = { stieng, LR_ARRAY_LEN(stieng) },
    [L_DIEU] = { dieu, LR_ARRAY_LEN(dieu) },
};

/* DBF fields of the maps, in order. */
enum { F_MAXA, F_SHBANDO, F_SOTHUA, F_LOAIDAT, F_DIENTICH, F_TYLEBD, F_TENCHU, F_XUDONG, F_N };

struct sp_owner {
    char name[112]; /* UTF-8 */
    char tcvn[112]; /* the same in TCVN3 bytes */
    char id[16];    /* CCCD, empty for organisations */
    char cert[16];
};

/* One map parcel being written. */
struct sp_parcel {
    int code, sheet, num; /* key on the map */
    int lu;
    const char *tenchu; /* TCVN3 bytes */
};

/* One register row being written. */
struct sp_record {
    int code, sheet, num;
    int lu; /* map land use; legacy codes are recorded as HNK */
    int64_t dm2;
    const struct sp_owner *ow;
    const struct lr_sample_commune *com;
};

struct lr_sample_writer {
    struct lr_sample_world *w;
    char *stage; /* DIR/maps.tmp */
    char *reg_path, *inj_path;
    FILE *reg, *inj;
    char **enc[L_COUNT]; /* TCVN3 bytes of every name in lists[] */
    GDALDatasetH shp;
    OGRLayerH lyr;
    OGRFeatureH feat;
    char *shp_path;
    OGRGeometryH poly_src, poly_dst; /* reused one-ring polygons */
    double *tx, *ty;
    int cap_t;
    struct lr_buf line, enc_buf;
    char place[64];      /* current locality, UTF-8 */
    char place_t[64];    /* and in TCVN3 */
    uint64_t place_band; /* (sheet << 16 | band) + 1 of place, 0 = none */
    struct lr_sample_ring ring, strip;
    struct lr_sample_sheet sheet;
    struct lr_sample_rng out; /* attribute choices of the current sheet */
    int64_t n_features, n_records;
    int64_t rows[LR_SAMPLE_N_CLASSES];
};

/* ---- small helpers ---- */

static void
key_fmt(char *buf, size_t n, int code, int sheet, int num)
{
    snprintf(buf, n, "%05d-%d-%d", code, sheet, num);
}

static const char *
reg_lu(int lu)
{
    return lr_sample_lu_code[lu == LR_SLU_BHK || lu == LR_SLU_NHK ? LR_SLU_HNK : lu];
}

static enum lr_rc
encode(struct lr_sample_writer *x, const char *utf8, char *out, size_t n, struct lr_err *err)
{
    if (lr_text_encode_tcvn3(utf8, &x->enc_buf) != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory encoding TCVN3 text");
    snprintf(out, n, "%s", x->enc_buf.data ? x->enc_buf.data : "");
    return LR_OK;
}

static enum lr_rc
encode_lists(struct lr_sample_writer *x, struct lr_err *err)
{
    for (int l = 0; l < L_COUNT; l++) {
        x->enc[l] = calloc(lists[l].n, sizeof(char *));
        if (!x->enc[l])
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory encoding names");
        for (size_t k = 0; k < lists[l].n; k++) {
            if (lr_text_encode_tcvn3(lists[l].s[k], &x->enc_buf) != LR_OK ||
                !(x->enc[l][k] = lr_strdup(x->enc_buf.data)))
                return lr_err_set(err, LR_ERR_NOMEM, "out of memory encoding names");
        }
    }
    return LR_OK;
}

/* ---- owners and places ---- */

static const char *
pick(struct lr_sample_writer *x, int list, size_t k, char **t)
{
    k %= lists[list].n;
    *t = x->enc[list][k];
    return lists[list].s[k];
}

/* A person: Kinh names, or S'tiêng ones ("Điểu [Thị] X"), mostly in sóc villages. The CCCD
 * starts with 070 (Bình Phước), then century and sex, year of birth, six digits. */
static void
person(struct lr_sample_writer *x, struct lr_sample_rng *r, bool stieng_place, struct sp_owner *ow)
{
    bool female = lr_sample_rng_int(r, 0, 1);
    bool st = lr_sample_rng_int(r, 0, 99) < (stieng_place ? 60 : 4);
    int year = lr_sample_rng_int(r, 1945, 2005);
    double u = lr_sample_rng_unit(r);
    char *tf, *tm, *tg;
    const char *f, *m, *g;

    if (st) {
        g = pick(x, L_STIENG, lr_sample_rng_next(r), &tg);
        snprintf(ow->name, sizeof ow->name, "%s %s%s", dieu[0], female ? "Thị " : "", g);
        snprintf(ow->tcvn, sizeof ow->tcvn, "%s %s%s%s", x->enc[L_DIEU][0],
                 female ? x->enc[L_MIDDLE_F][0] : "", female ? " " : "", tg);
    } else {
        /* the first family names are the commonest */
        f = pick(x, L_FAMILY, (size_t)(u * u * (double)LR_ARRAY_LEN(family)), &tf);
        m = pick(x, female ? L_MIDDLE_F : L_MIDDLE_M, lr_sample_rng_next(r), &tm);
        g = pick(x, female ? L_GIVEN_F : L_GIVEN_M, lr_sample_rng_next(r), &tg);
        snprintf(ow->name, sizeof ow->name, "%s %s %s", f, m, g);
        snprintf(ow->tcvn, sizeof ow->tcvn, "%s %s %s", tf, tm, tg);
    }
    snprintf(ow->id, sizeof ow->id, "070%d%02d%06d", (year >= 2000 ? 2 : 0) + female, year % 100,
             lr_sample_rng_int(r, 0, 999999));
}

/* Owner of a parcel (h: a hash of its key): the commune holds roads, religious bodies TON
 * land, companies SKC and some TMD; people the rest. */
static enum lr_rc
owner_make(struct lr_sample_writer *x, const struct lr_sample_commune *c, int lu, uint64_t h,
           struct sp_owner *ow, struct lr_err *err)
{
    struct lr_sample_rng r;
    const char *syl;

    lr_sample_rng_seed(&r, h, 0, 0, 0);
    syl = second_syl[lr_sample_rng_next(&r) % LR_ARRAY_LEN(second_syl)];
    ow->id[0] = '\0';
    if (lr_sample_rng_int(&r, 0, 9) < 6)
        snprintf(ow->cert, sizeof ow->cert, "CS%05d", lr_sample_rng_int(&r, 0, 99999));
    else
        snprintf(ow->cert, sizeof ow->cert, "BX%06d", lr_sample_rng_int(&r, 0, 999999));
    if (lu == LR_SLU_DGT) {
        snprintf(ow->name, sizeof ow->name, "UBND %s %s", c->ward ? "phường" : "xã", c->short_name);
    } else if (lu == LR_SLU_TON) {
        bool pagoda = lr_sample_rng_int(&r, 0, 1);

        snprintf(ow->name, sizeof ow->name, "%s %s", pagoda ? "Chùa Phước" : "Giáo xứ",
                 pagoda ? syl : c->short_name);
    } else if (lu == LR_SLU_SKC || (lu == LR_SLU_TMD && lr_sample_rng_int(&r, 0, 4) < 2)) {
        snprintf(ow->name, sizeof ow->name, "Công ty TNHH %s %s",
                 first_syl[lr_sample_rng_next(&r) % LR_ARRAY_LEN(first_syl)], syl);
    } else {
        person(x, &r, strncmp(x->place, "Sóc", strlen("Sóc")) == 0, ow);
        return LR_OK;
    }
    return encode(x, ow->name, ow->tcvn, sizeof ow->tcvn, err);
}

/* Locality of a band of a sheet: ấp (hamlets), sóc (S'tiêng villages), thôn; khu phố in wards. */
static enum lr_rc
set_place(struct lr_sample_writer *x, int band, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    uint64_t key = ((uint64_t)sh->index << 16 | (uint64_t)band) + 1;
    uint64_t h = lr_sample_hash(x->w->seed, (uint64_t)sh->com->code, key, 9);

    if (key == x->place_band)
        return LR_OK;
    x->place_band = key;
    if (sh->com->ward)
        snprintf(x->place, sizeof x->place, "Khu phố %d", 1 + (int)(h % 6));
    else if (h % 8 == 0)
        snprintf(x->place, sizeof x->place, "%s", soc_places[(h >> 8) % LR_ARRAY_LEN(soc_places)]);
    else
        snprintf(x->place, sizeof x->place, "Ấp %d", 1 + (int)((h >> 8) % 9));
    return encode(x, x->place, x->place_t, sizeof x->place_t, err);
}

/* ---- the maps: one shapefile per old commune ---- */

static const char *const shp_exts[] = { "shp", "shx", "dbf", "prj", "cpg" };

/* Remove NAME.{shp,shx,dbf,prj,cpg} in folder dir (missing ones are fine). */
static void
unlink_shapefile(const char *dir, int code)
{
    char path[4096];

    for (size_t e = 0; e < LR_ARRAY_LEN(shp_exts); e++) {
        snprintf(path, sizeof path, "%s/%05d.%s", dir, code, shp_exts[e]);
        unlink(path);
    }
}

static enum lr_rc
shp_fields(struct lr_sample_writer *x, struct lr_err *err)
{
    static const struct {
        const char *name;
        OGRFieldType type;
        int width, precision;
    } f[F_N] = {
        [F_MAXA] = { "MAXA", OFTString, 5, 0 },
        [F_SHBANDO] = { "SHBANDO", OFTInteger, 6, 0 },
        [F_SOTHUA] = { "SOTHUA", OFTInteger, 6, 0 },
        [F_LOAIDAT] = { "LOAIDAT", OFTString, 5, 0 },
        [F_DIENTICH] = { "DIENTICH", OFTReal, 12, 1 },
        [F_TYLEBD] = { "TYLEBD", OFTInteger, 6, 0 },
        [F_TENCHU] = { "TENCHU", OFTString, 60, 0 },
        [F_XUDONG] = { "XUDONG", OFTString, 40, 0 },
    };

    for (int k = 0; k < F_N; k++) {
        OGRFieldDefnH d = OGR_Fld_Create(f[k].name, f[k].type);
        OGRErr e;

        OGR_Fld_SetWidth(d, f[k].width);
        OGR_Fld_SetPrecision(d, f[k].precision);
        e = OGR_L_CreateField(x->lyr, d, TRUE);
        OGR_Fld_Destroy(d);
        if (e != OGRERR_NONE)
            return lr_err_set(err, LR_ERR_IO, "cannot create field '%s' in '%s': %s", f[k].name,
                              x->shp_path, CPLGetLastErrorMsg());
    }
    return LR_OK;
}

/* Create maps.tmp/OOOOO.shp; with_prj false leaves the CRS to the config. Text is written raw
 * (ENCODING=""): the caller hands TCVN3 bytes. The DBF date is fixed for reproducible bytes. */
static enum lr_rc
shp_open(struct lr_sample_writer *x, const struct lr_sample_commune *c, bool with_prj,
         struct lr_err *err)
{
    GDALDriverH drv = GDALGetDriverByName("ESRI Shapefile");
    char **opts = NULL;
    char name[16];

    snprintf(name, sizeof name, "%05d", c->code);
    free(x->shp_path);
    if (!(x->shp_path = lr_asprintf("%s/%s.shp", x->stage, name)))
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory opening a map");
    unlink_shapefile(x->stage, c->code);
    if (!drv)
        return lr_err_set(err, LR_ERR_INTERNAL, "GDAL has no 'ESRI Shapefile' driver");
    CPLErrorReset();
    x->shp = GDALCreate(drv, x->shp_path, 0, 0, 0, GDT_Unknown, NULL);
    if (!x->shp)
        return lr_err_set(err, LR_ERR_IO, "cannot create '%s': %s", x->shp_path,
                          CPLGetLastErrorMsg());
    opts = CSLSetNameValue(opts, "ENCODING", "");
    opts = CSLSetNameValue(opts, "DBF_DATE_LAST_UPDATE", "2025-07-01");
    x->lyr =
        GDALDatasetCreateLayer(x->shp, name, with_prj ? x->w->srs_src : NULL, wkbPolygon, opts);
    CSLDestroy(opts);
    if (!x->lyr)
        return lr_err_set(err, LR_ERR_IO, "cannot create layer '%s' in '%s': %s", name, x->shp_path,
                          CPLGetLastErrorMsg());
    if (shp_fields(x, err) != LR_OK)
        return err->rc;
    if (!(x->feat = OGR_F_Create(OGR_L_GetLayerDefn(x->lyr))))
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", x->shp_path);
    return LR_OK;
}

static enum lr_rc
shp_close(struct lr_sample_writer *x, struct lr_err *err)
{
    if (x->feat)
        OGR_F_Destroy(x->feat);
    x->feat = NULL;
    x->lyr = NULL;
    if (!x->shp)
        return LR_OK;
    CPLErrorReset();
    GDALClose(x->shp);
    x->shp = NULL;
    if (CPLGetLastErrorType() >= CE_Failure)
        return lr_err_set(err, LR_ERR_IO, "cannot finish '%s': %s", x->shp_path,
                          CPLGetLastErrorMsg());
    return LR_OK;
}

/* Area of ring r in EPSG:5899 (OGR transform, OGR_G_Area). */
static enum lr_rc
area_target(struct lr_sample_writer *x, const struct lr_sample_ring *r, double *area,
            struct lr_err *err)
{
    if (r->n > x->cap_t) {
        double *tx = realloc(x->tx, (size_t)r->n * sizeof *tx), *ty;

        if (tx)
            x->tx = tx;
        if (!tx || !(ty = realloc(x->ty, (size_t)r->n * sizeof *ty)))
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory transforming a parcel");
        x->ty = ty;
        x->cap_t = r->n;
    }
    memcpy(x->tx, r->x, (size_t)r->n * sizeof *r->x);
    memcpy(x->ty, r->y, (size_t)r->n * sizeof *r->y);
    if (lr_sample_to_target(x->w, x->tx, x->ty, r->n, x->shp_path, err) != LR_OK)
        return err->rc;
    OGR_G_SetPoints(OGR_G_GetGeometryRef(x->poly_dst, 0), r->n, x->tx, sizeof(double), x->ty,
                    sizeof(double), NULL, 0);
    *area = OGR_G_Area(x->poly_dst);
    return LR_OK;
}

/* Write one map parcel; *area gets its area in EPSG:5899. DIENTICH is the area on the map's own
 * plane as digitised, missing or 0 on a few parcels. */
static enum lr_rc
put_feature(struct lr_sample_writer *x, const struct sp_parcel *p, const struct lr_sample_ring *r,
            double *area, struct lr_err *err)
{
    OGRFeatureH f = x->feat;
    char code[16];
    int u = lr_sample_rng_int(&x->out, 0, 99);

    OGR_G_SetPoints(OGR_G_GetGeometryRef(x->poly_src, 0), r->n, r->x, sizeof(double), r->y,
                    sizeof(double), NULL, 0);
    snprintf(code, sizeof code, "%05d", p->code);
    OGR_F_SetFieldString(f, F_MAXA, code);
    OGR_F_SetFieldInteger(f, F_SHBANDO, p->sheet);
    OGR_F_SetFieldInteger(f, F_SOTHUA, p->num);
    OGR_F_SetFieldString(f, F_LOAIDAT, lr_sample_lu_code[p->lu]);
    if (u < 2)
        OGR_F_SetFieldNull(f, F_DIENTICH);
    else
        OGR_F_SetFieldDouble(f, F_DIENTICH,
                             u < 3 ? 0.0 : round(OGR_G_Area(x->poly_src) * 10.0) / 10.0);
    OGR_F_SetFieldInteger(f, F_TYLEBD, x->sheet.scale);
    OGR_F_SetFieldString(f, F_TENCHU, p->tenchu);
    OGR_F_SetFieldString(f, F_XUDONG, x->place_t);
    OGR_F_SetFID(f, OGRNullFID);
    if (OGR_F_SetGeometry(f, x->poly_src) != OGRERR_NONE ||
        OGR_L_CreateFeature(x->lyr, f) != OGRERR_NONE)
        return lr_err_set(err, LR_ERR_IO, "cannot write parcel %05d-%d-%d to '%s': %s", p->code,
                          p->sheet, p->num, x->shp_path, CPLGetLastErrorMsg());
    x->n_features++;
    return area_target(x, r, area, err);
}

/* ---- register.csv and injected.csv ---- */

static enum lr_rc
put_line(struct lr_sample_writer *x, FILE *f, const char *path, struct lr_err *err)
{
    if (!x->line.data || fwrite(x->line.data, 1, x->line.len, f) != x->line.len)
        return lr_err_set(err, LR_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    lr_buf_reset(&x->line);
    return LR_OK;
}

/* The key as a clerk typed it: about 3 % of rows with leading zeros or stray spaces. */
static enum lr_rc
add_sloppy_key(struct lr_sample_writer *x, const struct sp_record *r)
{
    int v = lr_sample_rng_int(&x->out, 0, 199);

    return lr_buf_addf(&x->line, "%s%05d%s,%s%d,%s%d%s", v == 1 ? " " : "", r->code,
                       v == 2 ? " " : "", v == 3 ? "0" : "", r->sheet,
                       v == 4   ? "0"
                       : v == 5 ? " "
                       : v == 6 ? "00"
                                : "",
                       r->num, v == 5 ? " " : "");
}

static enum lr_rc
put_record(struct lr_sample_writer *x, const struct sp_record *r, const char *place,
           struct lr_err *err)
{
    char area[32], addr[192];
    enum lr_rc rc;

    lr_money_format_area(r->dm2, area, sizeof area);
    snprintf(addr, sizeof addr, "%s, %s %s", place, r->com->ward ? "phường" : "xã",
             r->com->short_name);
    rc = add_sloppy_key(x, r);
    if (rc == LR_OK)
        rc = lr_buf_addf(&x->line, ",%s,%s,", reg_lu(r->lu), area);
    if (rc == LR_OK)
        rc = lr_buf_add_csv(&x->line, r->ow->name);
    if (rc == LR_OK)
        rc = lr_buf_addf(&x->line, ",%s,%s,", r->ow->id, r->ow->cert);
    if (rc == LR_OK)
        rc = lr_buf_add_csv(&x->line, addr);
    if (rc == LR_OK)
        rc = lr_buf_addc(&x->line, '\n');
    if (rc != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", x->reg_path);
    x->n_records++;
    return put_line(x, x->reg, x->reg_path, err);
}

static enum lr_rc
put_injected(struct lr_sample_writer *x, enum lr_sample_class cls, const char *pkey,
             const char *rkey, const char *detail, struct lr_err *err)
{
    enum lr_rc rc = lr_buf_addf(&x->line, "%s,%s,%s,", lr_sample_class_name(cls), pkey, rkey);

    if (rc == LR_OK)
        rc = lr_buf_add_csv(&x->line, detail);
    if (rc == LR_OK)
        rc = lr_buf_addc(&x->line, '\n');
    if (rc != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory writing '%s'", x->inj_path);
    x->rows[cls]++;
    return put_line(x, x->inj, x->inj_path, err);
}

/* Recorded area: the map area in EPSG:5899 to 0.1 m^2, off by at most a quarter of the
 * regulation tolerance 0.0004 * M * sqrt(P). */
static enum lr_rc
noisy_area(struct lr_sample_writer *x, double m2, int64_t *dm2, struct lr_err *err)
{
    int64_t a = lr_money_area_from_double(m2), tol = 0;
    int q;

    if (lr_money_tolerance_dm2(x->sheet.scale, a < 0 ? 0 : a, 0, true, &tol, err) != LR_OK)
        return err->rc;
    q = tol >= 8 ? (int)(tol / 4) - 1 : 0; /* rounding to 0.1 m^2 stays inside the quarter */
    a += lr_sample_rng_int(&x->out, -q, q);
    *dm2 = a < 1 ? 1 : a;
    return LR_OK;
}

/* ---- one sheet's parcels and records ---- */

/* Owner of parcel number num of the current sheet (a pure function of the key). */
static enum lr_rc
owner_of(struct lr_sample_writer *x, int num, int lu, struct sp_owner *ow, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    uint64_t h = lr_sample_hash(x->w->seed, (uint64_t)sh->com->code,
                                (uint64_t)sh->index << 32 | (uint32_t)num, 5);

    return owner_make(x, sh->com, lu, h, ow, err);
}

static bool
is_ring_defect(int cls)
{
    return cls == LR_SAMPLE_SELF_INTERSECTION || cls == LR_SAMPLE_DUPLICATE_VERTEX ||
           cls == LR_SAMPLE_SPIKE || cls == LR_SAMPLE_OVERLAP || cls == LR_SAMPLE_GAP;
}

/* The commune whose key a commune_mismatch parcel of commune c carries: the first old commune
 * of the next new commune. */
static struct lr_sample_commune *
mismatch_home(struct lr_sample_writer *x, const struct lr_sample_commune *c)
{
    return &x->w->com[x->w->grp[(c->group + 1) % x->w->n_grp].first];
}

/* The key the map shows for cell c. */
static void
map_key(struct lr_sample_writer *x, const struct lr_sample_cell *c, struct sp_parcel *p,
        const struct lr_sample_commune **home)
{
    *home = x->sheet.com;
    if (c->cls == LR_SAMPLE_RENUMBERED) {
        p->num = c->new_num;
    } else if (c->cls == LR_SAMPLE_DUP_KEY_MAP) {
        p->num = x->sheet.cells[c->partner].num;
    } else if (c->cls == LR_SAMPLE_COMMUNE_MISMATCH) {
        struct lr_sample_commune *a = mismatch_home(x, x->sheet.com);

        p->code = a->code;
        p->sheet = 1;
        p->num = a->sheet_max[0] + 1 + a->mismatch_seq++;
        *home = a;
    }
}

static int
other_lu(const struct lr_sample_writer *x, int lu)
{
    if (lu == LR_SLU_ONT || lu == LR_SLU_ODT)
        return LR_SLU_CLN;
    return x->sheet.com->ward ? LR_SLU_ODT : LR_SLU_ONT;
}

static enum lr_rc
injected_pair(struct lr_sample_writer *x, enum lr_sample_class cls, const char *pkey,
              const char *rkey, const char *what, struct lr_err *err)
{
    char d[96];
    enum lr_rc rc;

    snprintf(d, sizeof d, "%s 1 of 2", what);
    if ((rc = put_injected(x, cls, pkey, rkey, d, err)) != LR_OK)
        return rc;
    snprintf(d, sizeof d, "%s 2 of 2", what);
    return put_injected(x, cls, pkey, rkey, d, err);
}

/* injected.csv rows of a one-cell defect; r is the register row written (if any). */
static enum lr_rc
plain_injected(struct lr_sample_writer *x, const struct lr_sample_cell *c,
               const struct sp_parcel *p, const struct sp_record *r, double area,
               struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    char k[40], rk[40], other[40], d[160], a[32];
    enum lr_sample_class cls = (enum lr_sample_class)c->cls;

    key_fmt(k, sizeof k, p->code, p->sheet, p->num);
    key_fmt(rk, sizeof rk, r->code, r->sheet, r->num);
    key_fmt(other, sizeof other, sh->com->code, sh->index + 1,
            c->partner >= 0 ? sh->cells[c->partner].num : 0);
    switch (cls) {
    case LR_SAMPLE_SELF_INTERSECTION:
        return put_injected(x, cls, k, "", "bow-tie loop at the north-west corner", err);
    case LR_SAMPLE_DUPLICATE_VERTEX:
        return put_injected(x, cls, k, "", "south-east corner repeated", err);
    case LR_SAMPLE_SPIKE:
        snprintf(d, sizeof d, "5.5 m spike of 0.4 degrees into %s", other);
        return put_injected(x, cls, k, "", d, err);
    case LR_SAMPLE_OVERLAP:
        snprintf(d, sizeof d, "with %s", other);
        return put_injected(x, cls, k, "", d, err);
    case LR_SAMPLE_GAP:
        snprintf(d, sizeof d, "2.5 m notch in the edge shared with %s", other);
        return put_injected(x, cls, k, "", d, err);
    case LR_SAMPLE_AREA_MISMATCH:
        lr_money_format_area(r->dm2, a, sizeof a);
        snprintf(d, sizeof d, "register %s m2, map %.1f m2", a, area);
        return put_injected(x, cls, k, rk, d, err);
    case LR_SAMPLE_LAND_USE_MISMATCH:
        snprintf(d, sizeof d, "map %s, register %s", lr_sample_lu_code[c->lu], reg_lu(r->lu));
        return put_injected(x, cls, k, rk, d, err);
    case LR_SAMPLE_RENUMBERED:
        return put_injected(x, cls, k, rk, "same parcel, new number on the map", err);
    case LR_SAMPLE_MAP_ONLY:
        return put_injected(x, cls, k, "", "no register row", err);
    case LR_SAMPLE_DUP_KEY_MAP:
        return injected_pair(x, cls, k, "", "map feature", err);
    case LR_SAMPLE_DUP_KEY_REG:
        return injected_pair(x, cls, "", rk, "register row", err);
    case LR_SAMPLE_COMMUNE_MISMATCH:
        snprintf(d, sizeof d, "lies in new commune %05d; the crosswalk gives %05d",
                 x->w->grp[sh->com->group].code, x->w->grp[r->com->group].code);
        return put_injected(x, cls, k, rk, d, err);
    case LR_SAMPLE_NO_PRICE:
        return put_injected(x, cls, k, "", "SKC has no price zone", err);
    default:
        return LR_OK;
    }
}

/* Register rows of a one-cell parcel (none for map_only and for the duplicate map key). */
static enum lr_rc
plain_records(struct lr_sample_writer *x, const struct lr_sample_cell *c, const struct sp_parcel *p,
              const struct lr_sample_commune *home, const struct sp_owner *ow, double area,
              struct lr_err *err)
{
    struct sp_record r = { p->code, p->sheet, p->num, c->lu, 0, ow, home };
    struct sp_owner second;
    enum lr_rc rc = noisy_area(x, area, &r.dm2, err);

    if (c->cls == LR_SAMPLE_RENUMBERED)
        r.num = c->num;
    if (c->cls == LR_SAMPLE_AREA_MISMATCH) {
        double f = 0.15 + 0.25 * lr_sample_rng_unit(&x->out);

        r.dm2 = llround((double)r.dm2 * (lr_sample_rng_int(&x->out, 0, 1) ? 1.0 + f : 1.0 - f));
    }
    if (c->cls == LR_SAMPLE_LAND_USE_MISMATCH)
        r.lu = other_lu(x, c->lu);
    if (rc == LR_OK && c->cls != LR_SAMPLE_MAP_ONLY && c->cls != LR_SAMPLE_DUP_KEY_MAP)
        rc = put_record(x, &r, x->place, err);
    if (rc == LR_OK && c->cls == LR_SAMPLE_DUP_KEY_REG) {
        struct sp_record r2 = r;

        rc = owner_of(x, c->num + 2000000, c->lu, &second, err);
        r2.ow = &second;
        if (rc == LR_OK)
            rc = put_record(x, &r2, x->place, err);
    }
    if (rc == LR_OK)
        rc = plain_injected(x, c, p, &r, area, err);
    return rc;
}

/* The strip a sliver cell lost: its own parcel (a road strip) with its own record. */
static enum lr_rc
emit_strip(struct lr_sample_writer *x, const struct lr_sample_cell *c, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    struct sp_owner ow;
    struct sp_parcel p = { sh->com->code, sh->index + 1, c->new_num, LR_SLU_DGT, NULL };
    struct sp_record r = { p.code, p.sheet, p.num, p.lu, 0, &ow, sh->com };
    char k[40], host[40], d[96];
    double area;
    enum lr_rc rc = owner_of(x, c->new_num, LR_SLU_DGT, &ow, err);

    p.tenchu = ow.tcvn;
    if (rc == LR_OK)
        rc = put_feature(x, &p, &x->strip, &area, err);
    if (rc == LR_OK)
        rc = noisy_area(x, area, &r.dm2, err);
    if (rc == LR_OK)
        rc = put_record(x, &r, x->place, err);
    key_fmt(k, sizeof k, p.code, p.sheet, p.num);
    key_fmt(host, sizeof host, p.code, p.sheet, c->num);
    snprintf(d, sizeof d, "%.2f m wide strip cut off %s", 0.005 * sqrt(area / 0.005), host);
    return rc == LR_OK ? put_injected(x, LR_SAMPLE_SLIVER, k, "", d, err) : rc;
}

/* A feature whose ring has 3 points, 2 distinct, inside cell c; its record stays. */
static enum lr_rc
emit_degenerate(struct lr_sample_writer *x, const struct lr_sample_cell *c, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    struct sp_owner ow;
    struct sp_parcel p = { sh->com->code, sh->index + 1, c->new_num, c->lu, NULL };
    struct sp_record r = { p.code, p.sheet, p.num, p.lu, 0, &ow, sh->com };
    struct lr_sample_ring *g = &x->ring;
    double nx, ny, area;
    char k[40];
    enum lr_rc rc = owner_of(x, c->new_num, c->lu, &ow, err);

    lr_sample_node(sh->com, x->w->seed, sh->gi0 + c->i0, sh->gj0 + c->j0, &nx, &ny);
    g->n = 0;
    if (rc == LR_OK)
        rc = lr_sample_ring_push(g, nx + 2.0, ny - 2.0, err);
    if (rc == LR_OK)
        rc = lr_sample_ring_push(g, nx + 5.0, ny - 2.0, err);
    if (rc == LR_OK)
        rc = lr_sample_ring_push(g, nx + 2.0, ny - 2.0, err);
    p.tenchu = ow.tcvn;
    if (rc == LR_OK)
        rc = put_feature(x, &p, g, &area, err);
    r.dm2 = lr_sample_rng_int(&x->out, 1500, 6000);
    if (rc == LR_OK)
        rc = put_record(x, &r, x->place, err);
    key_fmt(k, sizeof k, p.code, p.sheet, p.num);
    if (rc == LR_OK)
        rc = put_injected(x, LR_SAMPLE_TOO_FEW_POINTS, k, "", "ring of 3 points, 2 distinct", err);
    if (rc == LR_OK)
        rc = put_injected(x, LR_SAMPLE_REGISTER_ONLY, "", k, "its map feature has too few points",
                          err);
    return rc;
}

static enum lr_rc
emit_plain(struct lr_sample_writer *x, const struct lr_sample_cell *c, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    const struct lr_sample_commune *home;
    struct sp_owner ow, other;
    struct sp_parcel p = { sh->com->code, sh->index + 1, c->num, c->lu, NULL };
    double area;
    enum lr_rc rc;

    rc = lr_sample_ring_rect(&x->ring, sh, x->w->seed, c->i0, c->j0, c->i1, c->j1, err);
    if (rc == LR_OK && is_ring_defect(c->cls))
        rc = lr_sample_ring_defect(&x->ring, (enum lr_sample_class)c->cls, err);
    if (rc == LR_OK && c->cls == LR_SAMPLE_SLIVER)
        rc = lr_sample_ring_sliver(&x->ring, &x->strip, err);
    if (rc == LR_OK)
        rc = owner_of(x, c->num, c->lu, &ow, err);
    p.tenchu = ow.tcvn;
    /* a few maps still name someone else (an earlier owner) */
    if (rc == LR_OK && c->cls == LR_SAMPLE_NONE && !c->flags &&
        lr_sample_rng_int(&x->out, 0, 99) < 3) {
        rc = owner_of(x, c->num + 1000000, c->lu, &other, err);
        p.tenchu = other.tcvn;
    }
    map_key(x, c, &p, &home);
    if (rc == LR_OK)
        rc = put_feature(x, &p, &x->ring, &area, err);
    if (rc == LR_OK)
        rc = plain_records(x, c, &p, home, &ow, area, err);
    if (rc == LR_OK && c->cls == LR_SAMPLE_SLIVER)
        rc = emit_strip(x, c, err);
    if (rc == LR_OK && c->cls == LR_SAMPLE_TOO_FEW_POINTS)
        rc = emit_degenerate(x, c, err);
    return rc;
}

/* A split parcel: the children on the map with new numbers, the parent in the register. */
static enum lr_rc
emit_split(struct lr_sample_writer *x, const struct lr_sample_cell *c, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    struct sp_owner ow;
    struct sp_parcel p = { sh->com->code, sh->index + 1, 0, c->lu, NULL };
    struct sp_record r = { p.code, p.sheet, c->num, c->lu, 0, &ow, sh->com };
    double area, sum = 0;
    char k[40], pk[40], d[64];
    enum lr_rc rc = owner_of(x, c->num, c->lu, &ow, err);

    p.tenchu = ow.tcvn;
    key_fmt(pk, sizeof pk, p.code, p.sheet, c->num);
    for (int t = 0; t < c->parts && rc == LR_OK; t++) {
        rc = lr_sample_ring_rect(&x->ring, sh, x->w->seed, lr_sample_split_col(c, t), c->j0,
                                 lr_sample_split_col(c, t + 1), c->j1, err);
        p.num = c->new_num + t;
        if (rc == LR_OK)
            rc = put_feature(x, &p, &x->ring, &area, err);
        sum += area;
        key_fmt(k, sizeof k, p.code, p.sheet, p.num);
        snprintf(d, sizeof d, "child %d of %d", t + 1, c->parts);
        if (rc == LR_OK)
            rc = put_injected(x, LR_SAMPLE_SPLIT, k, pk, d, err);
    }
    if (rc == LR_OK)
        rc = noisy_area(x, sum, &r.dm2, err);
    return rc == LR_OK ? put_record(x, &r, x->place, err) : rc;
}

/* Cells k .. k+parts-1 joined on the map under a new number; the register keeps each. */
static enum lr_rc
emit_merged(struct lr_sample_writer *x, int k, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    const struct lr_sample_cell *c = &sh->cells[k], *last = &sh->cells[k + c->parts - 1];
    struct sp_owner ow;
    struct sp_parcel p = { sh->com->code, sh->index + 1, c->new_num, c->lu, NULL };
    double area;
    char mk[40], ok[40];
    enum lr_rc rc = owner_of(x, c->num, c->lu, &ow, err);

    p.tenchu = ow.tcvn;
    if (rc == LR_OK)
        rc = lr_sample_ring_rect(&x->ring, sh, x->w->seed, c->i0, c->j0, last->i1, c->j1, err);
    if (rc == LR_OK)
        rc = put_feature(x, &p, &x->ring, &area, err);
    key_fmt(mk, sizeof mk, p.code, p.sheet, p.num);
    for (int m = k; m < k + c->parts && rc == LR_OK; m++) {
        const struct lr_sample_cell *cm = &sh->cells[m];
        struct sp_record r = { p.code, p.sheet, cm->num, cm->lu, 0, &ow, sh->com };

        rc = lr_sample_ring_rect(&x->ring, sh, x->w->seed, cm->i0, cm->j0, cm->i1, cm->j1, err);
        if (rc == LR_OK)
            rc = area_target(x, &x->ring, &area, err);
        if (rc == LR_OK)
            rc = owner_of(x, cm->num, cm->lu, &ow, err);
        if (rc == LR_OK)
            rc = noisy_area(x, area, &r.dm2, err);
        if (rc == LR_OK)
            rc = put_record(x, &r, x->place, err);
        key_fmt(ok, sizeof ok, p.code, p.sheet, cm->num);
        if (rc == LR_OK)
            rc = put_injected(x, LR_SAMPLE_MERGED, mk, ok, "joined on the map", err);
    }
    return rc;
}

/* A parcel digitised in the road strip east of the block: outside every new commune. */
static enum lr_rc
emit_outside(struct lr_sample_writer *x, int t, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    const struct lr_sample_commune *c = sh->com;
    int lu = c->ward ? LR_SLU_ODT : LR_SLU_ONT;
    double east = c->ox + c->xs[LR_SAMPLE_NX(c)];
    double top = c->oy - c->ys[(sh->index / c->sx) * c->ny] - 12.0 - 35.0 * t;
    struct sp_owner ow;
    struct sp_parcel p = { c->code, sh->index + 1, sh->outside_first + t, lu, NULL };
    struct sp_record r = { p.code, p.sheet, p.num, lu, 0, &ow, c };
    double area;
    char k[40];
    enum lr_rc rc = owner_of(x, p.num, lu, &ow, err);

    p.tenchu = ow.tcvn;
    if (rc == LR_OK)
        rc = lr_sample_ring_box(&x->ring, east + 5.0, top - 20.0, east + 17.0, top, err);
    if (rc == LR_OK)
        rc = put_feature(x, &p, &x->ring, &area, err);
    if (rc == LR_OK)
        rc = noisy_area(x, area, &r.dm2, err);
    if (rc == LR_OK)
        rc = put_record(x, &r, x->place, err);
    key_fmt(k, sizeof k, p.code, p.sheet, p.num);
    return rc == LR_OK ? put_injected(x, LR_SAMPLE_OUTSIDE_BOUNDARY, k, "",
                                      "in the road strip east of the commune", err)
                       : rc;
}

/* A register record whose parcel is on no map. */
static enum lr_rc
emit_register_only(struct lr_sample_writer *x, int t, struct lr_err *err)
{
    const struct lr_sample_sheet *sh = &x->sheet;
    int lu = lr_sample_rng_int(&x->out, 0, 9) < 7 ? LR_SLU_CLN
             : sh->com->ward                      ? LR_SLU_ODT
                                                  : LR_SLU_ONT;
    struct sp_owner ow;
    struct sp_record r = {
        sh->com->code, sh->index + 1, sh->reg_only_first + t, lu, 0, &ow, sh->com
    };
    char k[40];
    enum lr_rc rc = owner_of(x, r.num, lu, &ow, err);

    r.dm2 = lr_sample_rng_int(&x->out, 1500, 30000);
    if (rc == LR_OK)
        rc = put_record(x, &r, x->place, err);
    key_fmt(k, sizeof k, r.code, r.sheet, r.num);
    return rc == LR_OK ? put_injected(x, LR_SAMPLE_REGISTER_ONLY, "", k, "no map parcel", err) : rc;
}

static enum lr_rc
emit_sheet(struct lr_sample_writer *x, const struct lr_sample_commune *c, int s, struct lr_err *err)
{
    struct lr_sample_sheet *sh = &x->sheet;
    enum lr_rc rc = lr_sample_sheet_plan(sh, c, s, x->w->seed, err);

    lr_sample_rng_seed(&x->out, x->w->seed, (uint64_t)c->code, (uint64_t)s, 2);
    x->place_band = 0;
    for (int k = 0; k < sh->n_cells && rc == LR_OK; k++) {
        const struct lr_sample_cell *cell = &sh->cells[k];

        if (cell->flags & LR_SAMPLE_MEMBER)
            continue;
        rc = set_place(x, cell->band, err);
        if (rc != LR_OK)
            break;
        if (cell->cls == LR_SAMPLE_SPLIT)
            rc = emit_split(x, cell, err);
        else if (cell->cls == LR_SAMPLE_MERGED)
            rc = emit_merged(x, k, err);
        else
            rc = emit_plain(x, cell, err);
    }
    for (int t = 0; t < sh->n_outside && rc == LR_OK; t++)
        rc = emit_outside(x, t, err);
    for (int t = 0; t < sh->n_reg_only && rc == LR_OK; t++)
        rc = emit_register_only(x, t, err);
    return rc;
}

/* Every commune's shapefile; the register and injected rows stream alongside. */
static enum lr_rc
emit_all(struct lr_sample_writer *x, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    char d[64];

    for (int k = 0; k < x->w->n_com && rc == LR_OK; k++) {
        const struct lr_sample_commune *c = &x->w->com[k];
        bool with_prj = k + 1 < x->w->n_com;

        rc = shp_open(x, c, with_prj, err);
        for (int s = 0; s < c->n_sheets && rc == LR_OK; s++)
            rc = emit_sheet(x, c, s, err);
        if (rc == LR_OK)
            rc = shp_close(x, err);
        if (rc == LR_OK && !with_prj) {
            snprintf(d, sizeof d, "maps/%05d.shp", c->code);
            rc = put_injected(x, LR_SAMPLE_CRS_ASSUMED, "", "", d, err);
        }
    }
    return rc;
}

static enum lr_rc
close_csv(FILE **f, const char *path, struct lr_err *err)
{
    int bad = fflush(*f) != 0 || fsync(fileno(*f)) != 0;

    bad |= fclose(*f) != 0;
    *f = NULL;
    if (bad)
        return lr_err_set(err, LR_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return LR_OK;
}

static enum lr_rc
open_csv(FILE **f, const char *path, const char *header, struct lr_err *err)
{
    if (!(*f = fopen(path, "w")))
        return lr_err_set(err, LR_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    setvbuf(*f, NULL, _IOFBF, 1 << 20);
    if (fputs(header, *f) < 0)
        return lr_err_set(err, LR_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return LR_OK;
}

static OGRGeometryH
one_ring_polygon(void)
{
    OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);

    if (!poly || !ring || OGR_G_AddGeometryDirectly(poly, ring) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(poly);
        OGR_G_DestroyGeometry(ring);
        return NULL;
    }
    return poly;
}

/* ---- the writer ---- */

void
lr_sample_syllables(struct lr_sample_rng *rng, char *buf, size_t n)
{
    const char *a, *b;

    do {
        a = first_syl[lr_sample_rng_int(rng, 0, (int)LR_ARRAY_LEN(first_syl) - 1)];
        b = second_syl[lr_sample_rng_int(rng, 0, (int)LR_ARRAY_LEN(second_syl) - 1)];
    } while (strcmp(a, b) == 0);
    snprintf(buf, n, "%s %s", a, b);
}

enum lr_rc
lr_sample_writer_new(struct lr_sample_world *w, const char *stage, const char *reg_path,
                     const char *inj_path, struct lr_sample_writer **out, struct lr_err *err)
{
    struct lr_sample_writer *x = calloc(1, sizeof *x);
    enum lr_rc rc = LR_OK;

    if (!x)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    x->w = w;
    lr_buf_init(&x->line);
    lr_buf_init(&x->enc_buf);
    lr_sample_ring_init(&x->ring);
    lr_sample_ring_init(&x->strip);
    lr_sample_sheet_init(&x->sheet);
    x->stage = lr_strdup(stage);
    x->reg_path = lr_strdup(reg_path);
    x->inj_path = lr_strdup(inj_path);
    x->poly_src = one_ring_polygon();
    x->poly_dst = one_ring_polygon();
    if (!x->stage || !x->reg_path || !x->inj_path || !x->poly_src || !x->poly_dst)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = encode_lists(x, err);
    if (rc == LR_OK)
        rc = open_csv(&x->reg, x->reg_path,
                      "ma_xa,so_to,so_thua,loai_dat,dien_tich,chu_su_dung,so_dinh_danh,so_gcn,"
                      "dia_chi\n",
                      err);
    if (rc == LR_OK)
        rc = open_csv(&x->inj, x->inj_path, "class,parcel_key,record_key,detail\n", err);
    if (rc != LR_OK) {
        lr_sample_writer_free(x);
        return rc;
    }
    *out = x;
    return LR_OK;
}

enum lr_rc
lr_sample_writer_run(struct lr_sample_writer *x, struct lr_err *err)
{
    enum lr_rc rc = emit_all(x, err);

    if (rc == LR_OK)
        rc = close_csv(&x->reg, x->reg_path, err);
    if (rc == LR_OK)
        rc = close_csv(&x->inj, x->inj_path, err);
    return rc;
}

void
lr_sample_writer_log(const struct lr_sample_writer *x, double seconds)
{
    struct lr_buf b;
    int64_t dup = x->rows[LR_SAMPLE_DUP_KEY_MAP] + x->rows[LR_SAMPLE_DUP_KEY_REG];

    lr_buf_init(&b);
    for (int c = 1; c < LR_SAMPLE_N_CLASSES; c++) {
        int64_t n = c == LR_SAMPLE_DUP_KEY_MAP ? dup : c == LR_SAMPLE_DUP_KEY_REG ? 0 : x->rows[c];

        if (n)
            lr_buf_addf(&b, " %s=%lld", lr_sample_class_name((enum lr_sample_class)c),
                        (long long)n);
    }
    lr_log(LR_LOG_INFO, "sample", NULL,
           "%d communes, %lld map parcels, %lld register rows in %.1f s; injected rows:%s",
           x->w->n_com, (long long)x->n_features, (long long)x->n_records, seconds,
           b.data ? b.data : "");
    lr_buf_release(&b);
}

void
lr_sample_writer_free(struct lr_sample_writer *x)
{
    if (!x)
        return;
    if (x->shp)
        GDALClose(x->shp);
    if (x->feat)
        OGR_F_Destroy(x->feat);
    if (x->reg)
        fclose(x->reg);
    if (x->inj)
        fclose(x->inj);
    for (int l = 0; l < L_COUNT; l++) {
        for (size_t k = 0; x->enc[l] && k < lists[l].n; k++)
            free(x->enc[l][k]);
        free(x->enc[l]);
    }
    OGR_G_DestroyGeometry(x->poly_src);
    OGR_G_DestroyGeometry(x->poly_dst);
    free(x->tx);
    free(x->ty);
    lr_buf_release(&x->line);
    lr_buf_release(&x->enc_buf);
    lr_sample_ring_release(&x->ring);
    lr_sample_ring_release(&x->strip);
    lr_sample_sheet_release(&x->sheet);
    free(x->shp_path);
    free(x->reg_path);
    free(x->inj_path);
    free(x->stage);
    free(x);
}
