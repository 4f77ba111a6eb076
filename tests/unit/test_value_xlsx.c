/* test_value_xlsx.c - the workbooks written by lr_xlsx_write, read back with GDAL's XLSX driver:
 * one workbook per new commune with the rows in order, cell by cell (text exact, numbers by
 * value, numbers beyond 15 digits as text), continuation sheets when a sheet is full, blank value
 * cells for an unpriced parcel, summary.xlsx with per-commune and total counts and sums, files
 * mode 0640 with no temporary left, and identical bytes whatever the thread count and time. */
#include <cpl_vsi.h>
#include <dirent.h>
#include <gdal.h>
#include <ogr_api.h>
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
#include "money.h"
#include "xlsx.h"

#define NCOLS 19

static const char *const titles[NCOLS] = {
    "Mã xã mới",   "Tên xã mới",   "Mã xã cũ",       "Số tờ",          "Số thửa",
    "Mã thửa",     "Địa chỉ",      "Loại đất",       "Diện tích (m²)", "Nguồn diện tích",
    "Vùng giá",    "Vị trí",       "Đơn giá (đ/m²)", "Giá trị (đ)",    "Thuế (đ)",
    "Chủ sử dụng", "Số định danh", "Số GCN",         "Trạng thái",
};

/* Which columns are numbers (compared by value; "" = blank). */
static const bool numeric[NCOLS] = {
    [3] = true, [4] = true, [8] = true, [11] = true, [12] = true, [13] = true, [14] = true
};

/* The nine rows as tax_extract.csv would hold them (the test builds the shard from them). */
static const char *const rows[][NCOLS] = {
    { "25195", "Xã Tân Lợi", "25216", "1", "1", "25216-1-1", "Ấp 1", "ONT", "100.0", "register",
      "Z1", "1", "1000000", "100000000", "30000", "Nguyễn Văn A", "001234567890", "CS 001",
      "matched" },
    { "25195", "Xã Tân Lợi", "25216", "1", "2", "25216-1-2", "Ấp 1", "ONT", "101.1", "register",
      "Z1", "1", "1000000", "101100000", "30330", "Trần Thị B", "001234567891", "CS 002",
      "matched" },
    { "25195", "Xã Tân Lợi", "25216", "1", "3", "25216-1-3", "Ấp 1", "ONT", "102.2", "map", "Z1",
      "1", "1000000", "102200000", "30660", "Lê Văn C", "001234567892", "CS 003", "area_mismatch" },
    { "25195", "Xã Tân Lợi", "25216", "1", "4", "25216-1-4", "Ấp 1", "CLN", "1030.3", "register",
      "Z1+Z2", "2", "150000", "154545000", "0", "Phạm D", "001234567893", "CS 004", "matched" },
    { "25195", "Xã Tân Lợi", "25216", "1", "5", "25216-1-5", "", "ONT", "104.4", "register", "Z1",
      "1", "1000000", "104400000", "31320", "Hồ E", "", "", "renumbered" },
    { "25195", "Xã Tân Lợi", "25216", "2", "6", "25216-2-6", "Ấp 2", "ONT", "0.0", "register", "Z1",
      "1", "1000000", "0", "0", "Võ F", "001234567895", "CS 006", "matched" },
    { "25195", "Xã Tân Lợi", "25217", "3", "7", "25217-3-7", "Ấp 2", "ONT", "106.6", "register",
      "Z1", "1", "1000000", "106600000", "31980", "Đỗ G", "001234567896", "CS 007", "split" },
    /* unpriced, with a comma and a quote in the address */
    { "25200", "Phường Đồng Xoài", "25218", "2", "10", "25218-2-10", "Tổ 5, khu \"A\"", "SKC",
      "250.5", "map", "", "", "", "", "", "Công ty H", "3600123456", "CT 010", "matched" },
    /* value and tax beyond 15 digits: text cells */
    { "25200", "Phường Đồng Xoài", "25218", "2", "11", "25218-2-11", "Tổ 6", "TMD",
      "999999999999.9", "register", "ZX", "1", "1234567", "1234567890123456789", "5000000000000000",
      "Công ty I", "3600123457", "CT 011", "matched" },
};

#define NROWS LR_ARRAY_LEN(rows)

static int64_t
num(const char *s)
{
    return strtoll(s, NULL, 10);
}

static int64_t
dm2(const char *s)
{
    int64_t v = 0;

    assert_int_equal(lr_money_parse_area(s, &v, NULL), LR_OK);
    return v;
}

static enum lr_status
status_of(const char *name)
{
    for (int st = 0; st < LR_ST_COUNT; st++)
        if (strcmp(lr_status_name((enum lr_status)st), name) == 0)
            return (enum lr_status)st;
    fail_msg("unknown status %s", name);
    return LR_ST_NONE;
}

static char *
dup_or_null(const char *s)
{
    return s[0] ? strdup(s) : NULL;
}

static void
add_row(struct lr_shard *sh, const char *const *r)
{
    struct lr_record *rec = lr_shard_add_record(sh);
    struct lr_parcel *p = lr_shard_add_parcel(sh);

    assert_non_null(rec);
    assert_non_null(p);
    p->key = (struct lr_key){ (int32_t)num(r[2]), (int32_t)num(r[3]), (int32_t)num(r[4]) };
    p->new_commune = (int32_t)num(r[0]);
    p->record = (int64_t)sh->n_records - 1;
    rec->address = dup_or_null(r[6]);
    rec->land_use = strdup(r[7]);
    p->extract_area_dm2 = dm2(r[8]);
    p->area_from_register = strcmp(r[9], "register") == 0;
    p->zone = dup_or_null(r[10]);
    p->price_vnd = r[12][0] ? num(r[12]) : -1;
    p->position = (int32_t)num(r[11]);
    p->value_vnd = num(r[13]);
    p->tax_vnd = num(r[14]);
    rec->owner_name = dup_or_null(r[15]);
    rec->owner_id = dup_or_null(r[16]);
    rec->certificate = dup_or_null(r[17]);
    p->status = status_of(r[18]);
}

static void
build_shard(struct lr_shard *sh, struct lr_config *cfg, size_t **idx)
{
    static const struct {
        int32_t old_code, new_code;
        const char *name;
    } communes[] = { { 25216, 25195, "Xã Tân Lợi" },
                     { 25217, 25195, "Xã Tân Lợi" },
                     { 25218, 25200, "Phường Đồng Xoài" } };

    lr_shard_init(sh, cfg);
    sh->communes = calloc(LR_ARRAY_LEN(communes), sizeof(*sh->communes));
    assert_non_null(sh->communes);
    for (size_t i = 0; i < LR_ARRAY_LEN(communes); i++) {
        sh->communes[i].old_code = communes[i].old_code;
        sh->communes[i].new_code = communes[i].new_code;
        sh->communes[i].old_name = strdup("x");
        sh->communes[i].new_name = strdup(communes[i].name);
        sh->n_communes++;
    }
    *idx = calloc(NROWS, sizeof(**idx));
    assert_non_null(*idx);
    for (size_t i = 0; i < NROWS; i++) {
        add_row(sh, rows[i]);
        (*idx)[i] = i;
    }
}

/* Write the workbooks of rows [0, n) into dir with jobs threads and sheets of sheet_rows. */
static void
write_books(const char *dir, size_t n, int jobs, int64_t sheet_rows, char ***names, size_t *n_names)
{
    struct lr_config cfg;
    struct lr_shard sh;
    struct lr_err err = { LR_OK, "" };
    size_t *idx = NULL;
    struct lr_xlsx_job job;

    memset(&cfg, 0, sizeof(cfg));
    build_shard(&sh, &cfg, &idx);
    job = (struct lr_xlsx_job){ &sh, idx, n, dir, jobs, sheet_rows, NULL };
    assert_int_equal(lr_xlsx_write(&job, names, n_names, &err), LR_OK);
    free(idx);
    lr_shard_release(&sh);
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static GDALDatasetH
open_book(const char *dir, const char *name)
{
    static const char *const drivers[] = { "XLSX", NULL };
    static const char *const opts[] = { "FIELD_TYPES=STRING", "HEADERS=FORCE", NULL };
    char path[512];
    GDALDatasetH ds;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, opts, NULL);
    assert_non_null(ds);
    return ds;
}

static const char *
cell(OGRFeatureH f, int c)
{
    return OGR_F_IsFieldSetAndNotNull(f, c) ? OGR_F_GetFieldAsString(f, c) : "";
}

/* A cell read back equals the CSV field: text exactly, numbers by value. */
static void
check_cell(const char *got, const char *want, bool is_number, const char *where)
{
    if (!is_number || !want[0] || strlen(want) > 16) {
        if (strcmp(got, want) != 0)
            fail_msg("%s: '%s' != '%s'", where, got, want);
        return;
    }
    if (strtod(got, NULL) != strtod(want, NULL) || !got[0])
        fail_msg("%s: %s != %s", where, got, want);
}

/* Layer `sheet` holds rows [first, first + n) with the titles as field names. */
static void
check_sheet(GDALDatasetH ds, const char *sheet, size_t first, size_t n)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, sheet);
    OGRFeatureDefnH defn;
    OGRFeatureH f;
    size_t k = 0;
    char where[128];

    assert_non_null(l);
    defn = OGR_L_GetLayerDefn(l);
    assert_int_equal(OGR_FD_GetFieldCount(defn), NCOLS);
    for (int c = 0; c < NCOLS; c++)
        assert_string_equal(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, c)), titles[c]);
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        assert_true(k < n);
        for (int c = 0; c < NCOLS; c++) {
            snprintf(where, sizeof(where), "%s row %zu col %d", sheet, k, c);
            check_cell(cell(f, c), rows[first + k][c], numeric[c], where);
        }
        OGR_F_Destroy(f);
        k++;
    }
    assert_int_equal(k, n);
}

static char *
make_dir(const char *tag)
{
    char tmpl[128];
    char *d;

    snprintf(tmpl, sizeof(tmpl), "/tmp/lr_xlsx_%s_XXXXXX", tag);
    d = mkdtemp(tmpl);
    assert_non_null(d);
    return lr_path_join(d, "xlsx"); /* lr_xlsx_write creates it */
}

static void
remove_dir(char *dir)
{
    char *parent = lr_path_dir(dir);

    assert_int_equal(lr_io_remove_tree(parent, NULL), LR_OK);
    free(parent);
    free(dir);
}

static void
test_commune_books(void **state)
{
    char *dir = make_dir("books");
    char **names = NULL;
    size_t n = 0;
    GDALDatasetH ds;

    (void)state;
    write_books(dir, NROWS, 2, 3, &names, &n);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "25195.xlsx");
    assert_string_equal(names[1], "25200.xlsx");
    assert_string_equal(names[2], "summary.xlsx");
    ds = open_book(dir, "25195.xlsx"); /* 7 rows, 3 a sheet */
    assert_int_equal(GDALDatasetGetLayerCount(ds), 3);
    check_sheet(ds, "Thửa đất", 0, 3);
    check_sheet(ds, "Thửa đất (2)", 3, 3);
    check_sheet(ds, "Thửa đất (3)", 6, 1);
    GDALClose(ds);
    ds = open_book(dir, "25200.xlsx");
    assert_int_equal(GDALDatasetGetLayerCount(ds), 1);
    check_sheet(ds, "Thửa đất", 7, 2);
    GDALClose(ds);
    free_names(names, n);
    remove_dir(dir);
}

/* The summary: per commune count, priced count, area, value, tax; then the totals. */
static void
test_summary(void **state)
{
    /* 25195: areas 100.0 + 101.1 + 102.2 + 1030.3 + 104.4 + 0.0 + 106.6 = 1544.6;
     *   values 100,000,000 + 101,100,000 + 102,200,000 + 154,545,000 + 104,400,000 + 0 +
     *   106,600,000 = 668,845,000; taxes 30,000 + 30,330 + 30,660 + 0 + 31,320 + 0 + 31,980 =
     *   154,290.
     * 25200: areas 250.5 + 999,999,999,999.9 = 1,000,000,000,250.4; one priced parcel:
     *   value 1,234,567,890,123,456,789 and tax 5,000,000,000,000,000 (both > 15 digits: text).
     * totals: 9 parcels, 8 priced, area 1,000,000,001,795.0, value 1,234,567,890,792,301,789,
     *   tax 5,000,000,000,154,290. */
    static const char *const want[3][7] = {
        { "25195", "Xã Tân Lợi", "7", "7", "1544.6", "668845000", "154290" },
        { "25200", "Phường Đồng Xoài", "2", "1", "1000000000250.4", "1234567890123456789",
          "5000000000000000" },
        { "Tổng cộng", "", "9", "8", "1000000001795", "1234567890792301789", "5000000000154290" },
    };
    static const bool num_col[7] = { false, false, true, true, true, true, true };
    char *dir = make_dir("summary");
    char **names = NULL;
    size_t n = 0, k = 0;
    GDALDatasetH ds;
    OGRLayerH l;
    OGRFeatureH f;
    char where[64];

    (void)state;
    write_books(dir, NROWS, 1, LR_XLSX_SHEET_ROWS, &names, &n);
    ds = open_book(dir, "summary.xlsx");
    l = GDALDatasetGetLayerByName(ds, "Tổng hợp");
    assert_non_null(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        assert_true(k < 3);
        for (int c = 0; c < 7; c++) {
            snprintf(where, sizeof(where), "summary row %zu col %d", k, c);
            check_cell(cell(f, c), want[k][c], num_col[c], where);
        }
        OGR_F_Destroy(f);
        k++;
    }
    assert_int_equal(k, 3);
    GDALClose(ds);
    free_names(names, n);
    remove_dir(dir);
}

static unsigned char *
slurp(const char *dir, const char *name, size_t *len)
{
    char path[512];
    FILE *fp;
    unsigned char *buf;
    long sz;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)sz);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, fp), (size_t)sz);
    fclose(fp);
    *len = (size_t)sz;
    return buf;
}

/* Same bytes with 1 and 3 threads, written more than a second apart; mode 0640; no .tmp. */
static void
test_deterministic_and_private(void **state)
{
    char *a = make_dir("det_a"), *b = make_dir("det_b");
    char **na = NULL, **nb = NULL;
    size_t n = 0, m = 0, files = 0;
    DIR *d;
    struct dirent *e;

    (void)state;
    write_books(a, NROWS, 1, 3, &na, &n);
    sleep(2);
    write_books(b, NROWS, 3, 3, &nb, &m);
    assert_int_equal(n, m);
    for (size_t i = 0; i < n; i++) {
        size_t la, lb;
        unsigned char *ba = slurp(a, na[i], &la), *bb = slurp(b, nb[i], &lb);
        struct stat st;
        char path[512];

        assert_string_equal(na[i], nb[i]);
        assert_int_equal(la, lb);
        assert_memory_equal(ba, bb, la);
        snprintf(path, sizeof(path), "%s/%s", b, nb[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0640);
        free(ba);
        free(bb);
    }
    d = opendir(b);
    assert_non_null(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            assert_null(strstr(e->d_name, ".tmp"));
            files++;
        }
    closedir(d);
    assert_int_equal(files, n); /* libxlsxwriter's temporary files are gone too */
    free_names(na, n);
    free_names(nb, m);
    remove_dir(a);
    remove_dir(b);
}

/* No rows: only the summary, with a zero totals row. */
static void
test_empty(void **state)
{
    char *dir = make_dir("empty");
    char **names = NULL;
    size_t n = 0;
    GDALDatasetH ds;
    OGRLayerH l;
    OGRFeatureH f;

    (void)state;
    write_books(dir, 0, 4, 3, &names, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "summary.xlsx");
    ds = open_book(dir, "summary.xlsx");
    l = GDALDatasetGetLayer(ds, 0);
    f = OGR_L_GetNextFeature(l);
    assert_non_null(f);
    assert_string_equal(cell(f, 0), "Tổng cộng");
    assert_string_equal(cell(f, 2), "0");
    OGR_F_Destroy(f);
    assert_null(OGR_L_GetNextFeature(l));
    GDALClose(ds);
    free_names(names, n);
    remove_dir(dir);
}

/* A part of a workbook (a zip member) as text; caller frees. */
static char *
zip_member(const char *dir, const char *book, const char *member)
{
    char path[512];
    VSILFILE *fp;
    char *buf = calloc(1, 1 << 20);
    size_t n;

    snprintf(path, sizeof(path), "/vsizip/%s/%s/%s", dir, book, member);
    fp = VSIFOpenL(path, "rb");
    assert_non_null(fp);
    assert_non_null(buf);
    n = VSIFReadL(buf, 1, (1 << 20) - 1, fp);
    buf[n] = '\0';
    VSIFCloseL(fp);
    return buf;
}

static void
assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' not found", part);
}

/* Frozen header, autofilter over the rows, landscape fit to width, header repeated on every
 * page, the number formats, typed numeric columns, fixed creation date. */
static void
test_sheet_setup(void **state)
{
    static const char *const drivers[] = { "XLSX", NULL };
    static const char *const opts[] = { "HEADERS=FORCE", NULL };
    char *dir = make_dir("setup"), *x;
    char **names = NULL, path[512];
    size_t n = 0;
    GDALDatasetH ds;
    OGRFeatureDefnH defn;

    (void)state;
    write_books(dir, NROWS, 2, 3, &names, &n);
    x = zip_member(dir, "25195.xlsx", "xl/worksheets/sheet1.xml");
    assert_contains(x, "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" "
                       "state=\"frozen\"/>");
    assert_contains(x, "<autoFilter ref=\"A1:S4\"/>");
    assert_contains(x, "<pageSetUpPr fitToPage=\"1\"/>");
    assert_contains(x, "<pageSetup paperSize=\"9\" fitToHeight=\"0\" orientation=\"landscape\"/>");
    free(x);
    x = zip_member(dir, "25195.xlsx", "xl/worksheets/sheet3.xml"); /* the last sheet: 1 row */
    assert_contains(x, "<autoFilter ref=\"A1:S2\"/>");
    free(x);
    x = zip_member(dir, "25195.xlsx", "xl/workbook.xml");
    assert_contains(x, "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">'Thửa "
                       "đất'!$1:$1</definedName>");
    assert_contains(x, "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"2\">'Thửa đất "
                       "(3)'!$1:$1</definedName>");
    free(x);
    x = zip_member(dir, "25195.xlsx", "xl/styles.xml");
    assert_contains(x, "formatCode=\"#,##0\"");
    assert_contains(x, "formatCode=\"#,##0.0\"");
    free(x);
    x = zip_member(dir, "summary.xlsx", "docProps/core.xml");
    assert_contains(x, "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-01-01T00:00:00Z");
    free(x);
    snprintf(path, sizeof(path), "%s/25195.xlsx", dir);
    ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, opts, NULL);
    assert_non_null(ds);
    defn = OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0));
    for (int c = 0; c < NCOLS; c++) {
        OGRFieldType t = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, c));
        assert_true(numeric[c] ? (t == OFTInteger || t == OFTInteger64 || t == OFTReal)
                               : t == OFTString);
    }
    GDALClose(ds);
    free_names(names, n);
    remove_dir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commune_books),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_deterministic_and_private),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_sheet_setup),
    };

    GDALAllRegister();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
