/* test_report.c - report.html: the text helpers (escaping, digit groups, shares) and a report
 * written from a hand-built shard whose names, paths and messages try to inject markup and whose
 * register holds owner data that must not appear. */
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
#include "geom.h"
#include "io.h"
#include "report.h"
#include "report_int.h"

#define NNBSP "\xe2\x80\xaf" /* U+202F, the digit group separator */

struct text_case {
    const char *in, *want;
};

static void
test_esc(void **state)
{
    static const struct text_case cases[] = {
        { "", "" },
        { "plain Xã Lộc Lập", "plain Xã Lộc Lập" },
        { "<script>", "&lt;script&gt;" },
        { "a & b", "a &amp; b" },
        { "\"q\" 'a'", "&quot;q&quot; &#39;a&#39;" },
        { "&amp;", "&amp;amp;" }, /* escaped again: text, not markup */
        { "x<", "x&lt;" },        /* at the end */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_buf b;
        lr_buf_init(&b);
        lr_buf_adds(&b, "[");
        lr_rp_esc(&b, cases[i].in);
        lr_rp_esc(&b, NULL); /* appends nothing */
        lr_buf_adds(&b, "]");
        assert_true(strncmp(b.data, "[", 1) == 0);
        assert_int_equal(b.len, strlen(cases[i].want) + 2);
        assert_memory_equal(b.data + 1, cases[i].want, strlen(cases[i].want));
        lr_buf_release(&b);
    }
}

static void
test_num_share(void **state)
{
    static const struct {
        int64_t n;
        const char *want;
    } nums[] = {
        { 0, "0" },
        { 7, "7" },
        { 999, "999" },
        { 1000, "1" NNBSP "000" },
        { 1234567, "1" NNBSP "234" NNBSP "567" },
        { -12345, "-12" NNBSP "345" },
    };
    static const struct {
        int64_t n, of;
        const char *want;
    } shares[] = {
        { 0, 0, "\xe2\x80\x93" },     /* nothing to share: a dash */
        { 0, 10, "0%" },              /* none */
        { 1, 10000, "&lt;0.1%" },     /* 0.01 % is not shown as 0.0 % */
        { 9999, 10000, "&gt;99.9%" }, /* 99.99 % is not shown as 100.0 % */
        { 10, 10, "100.0%" },         /* all */
        { 1, 3, "33.3%" },            /* 33.33 */
        { 2, 3, "66.7%" },            /* 66.67 rounds up */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(nums); i++) {
        struct lr_buf b;
        lr_buf_init(&b);
        lr_rp_num(&b, nums[i].n);
        assert_string_equal(b.data, nums[i].want);
        lr_buf_release(&b);
    }
    for (size_t i = 0; i < LR_ARRAY_LEN(shares); i++) {
        struct lr_buf b;
        lr_buf_init(&b);
        lr_rp_share(&b, shares[i].n, shares[i].of);
        assert_string_equal(b.data, shares[i].want);
        lr_buf_release(&b);
    }
}

/* ---- a report from a small shard ---- */

struct fixture {
    struct lr_config cfg;
    struct lr_shard sh;
    struct lr_ctx ctx;
    char dir[64];
};

static char target_crs[] = "EPSG:5899";

static void
add_parcel(struct fixture *f, int sheet, int parcel, enum lr_status st, const char *wkt)
{
    struct lr_parcel *p = lr_shard_add_parcel(&f->sh);

    assert_non_null(p);
    p->key = (struct lr_key){ 25195, sheet, parcel };
    p->status = st;
    p->record = -1;
    p->new_commune = wkt ? 25255 : -1; /* a rejected parcel gets its commune from the crosswalk */
    p->area_dm2 = wkt ? 1000 : -1;
    if (wkt) {
        p->geom = lr_geom_from_wkt(f->ctx.geom, wkt);
        assert_non_null(p->geom);
        assert_true(lr_geom_interior_point(f->ctx.geom, p->geom, &p->ix, &p->iy));
    }
}

static void
add_record(struct fixture *f, int parcel_index, enum lr_status st, int64_t area_dm2)
{
    struct lr_record *r = lr_shard_add_record(&f->sh);

    assert_non_null(r);
    r->key = (struct lr_key){ 25195, 1, 100 + (int)f->sh.n_records };
    r->status = st;
    r->parcel = parcel_index;
    r->area_dm2 = area_dm2;
    r->owner_name = strdup("Nguyễn Văn Riêngtư");
    r->owner_id = strdup("079123456789");
    r->certificate = strdup("CS424242");
    r->address = strdup("Số 9 đường Bímật");
    if (parcel_index >= 0) {
        f->sh.parcels[parcel_index].record = (int64_t)(f->sh.n_records - 1);
        f->sh.parcels[parcel_index].area_ok = true;
    }
}

static void
build_shard(struct fixture *f)
{
    struct lr_input *in;

    f->sh.communes = calloc(1, sizeof(*f->sh.communes));
    assert_non_null(f->sh.communes);
    f->sh.communes[0] = (struct lr_commune){ .old_code = 25195,
                                             .old_name = strdup("Xã <b>\"Q&A'</b>"),
                                             .new_code = 25255,
                                             .new_name = strdup("Phường Phước Lập") };
    f->sh.n_communes = 1;
    add_parcel(f, 1, 1, LR_ST_MATCHED, "MULTIPOLYGON(((0 0,100 0,100 100,0 100,0 0)))");
    add_parcel(f, 1, 2, LR_ST_AREA_MISMATCH,
               "MULTIPOLYGON(((100 0,200 0,200 100,100 100,100 0),(120 20,120 40,140 40,120 20)))");
    add_parcel(f, 1, 3, LR_ST_MAP_ONLY, "MULTIPOLYGON(((0 100,100 100,100 200,0 200,0 100)))");
    add_parcel(f, 1, 4, LR_ST_REJECTED, NULL);
    f->sh.parcels[3].reject = LR_IS_TOO_FEW_POINTS;
    add_record(f, 0, LR_ST_MATCHED, 1000);
    add_record(f, 1, LR_ST_AREA_MISMATCH, 1250);
    add_record(f, -1, LR_ST_REGISTER_ONLY, 500);
    assert_int_equal(lr_shard_add_issue(&f->sh, 1, -1, LR_IS_OVERLAP, 1, 1, "overlaps"), LR_OK);
    in = lr_shard_add_input(&f->sh);
    assert_non_null(in);
    in->path = strdup("maps/a&b <x>.shp");
    in->kind = strdup("map");
    in->crs_op = strdup("+proj=pipeline +step <op>");
    in->src_crs = strdup("PROJCS[\"VN-2000 / TM-3 106-15\",GEOGCS[\"x\"]]");
    strcpy(in->sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    f->sh.map_input = 4;
    f->sh.register_input = 3;
    f->sh.stages[0] = (struct lr_stage_stat){ "load", 7, 7, 0, 0.5, true };
    f->sh.stages[1] = (struct lr_stage_stat){ "publish", 0, 0, 0, 0, false };
    f->sh.n_stages = 2;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->cfg.target_crs = target_crs;
    lr_shard_init(&f->sh, &f->cfg);
    strcpy(f->dir, "/tmp/lr_report_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->ctx.cfg = &f->cfg;
    f->ctx.work_dir = f->dir;
    f->ctx.run_id = "run<1>";
    strcpy(f->ctx.started, "2026-01-01T00:00:00Z");
    f->ctx.geom = lr_geom_ctx_new();
    assert_non_null(f->ctx.geom);
    f->ctx.gates_passed = false;
    strcpy(f->ctx.gate_message, "unmatched ratio 0.5 > 0.3 FAILED & <more>");
    build_shard(f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char *path = lr_path_join(f->dir, LR_REPORT_FILE);

    unlink(path);
    free(path);
    rmdir(f->dir);
    for (size_t i = 0; i < f->ctx.n_outputs; i++)
        free(f->ctx.outputs[i]);
    lr_shard_release(&f->sh);
    lr_geom_ctx_free(f->ctx.geom);
    free(f);
    return 0;
}

static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *s;
    long n;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    s = calloc((size_t)n + 1, 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return s;
}

static void
test_report_file(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { 0 };
    char *path = lr_path_join(f->dir, LR_REPORT_FILE), *html;
    static const char *const absent[] = {
        "Riêngtư",       "079123456789", "CS424242", "Bímật",              /* owner data */
        "<b>\"Q&A'</b>", "a&b <x>",      "<op>",     "run<1>", "& <more>", /* unescaped text */
        "http://",       "https://",     "<script",
    };
    static const char *const present[] = {
        "<html lang=\"vi\">",
        "Xã &lt;b&gt;&quot;Q&amp;A&#39;&lt;/b&gt;", /* the old commune's name, escaped */
        "maps/a&amp;b &lt;x&gt;.shp",
        "+proj=pipeline +step &lt;op&gt;",
        "run&lt;1&gt;",
        "KHÔNG ĐẠT / FAILED",
        "FAILED &amp; &lt;more&gt;",
        "VN-2000 / TM-3 106-15 <small>(WKT)</small>",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "Vẽ / drawn: <b>3</b> / 3 ",      /* every parcel with a geometry drawn */
        "without a geometry: 1.",         /* the rejected one, via the crosswalk */
        "<path fill=\"#f28e2b\" stroke=", /* the area mismatch drawn in its colour */
        "25255 Phường Phước Lập",
        "<small>load</small>",
        "trung vị / median ratio: <b>0.9000</b>", /* (1.0 + 0.8) / 2 */
    };

    assert_int_equal(lr_report_write(&f->ctx, &f->sh, &err), LR_OK);
    assert_int_equal(f->ctx.n_outputs, 1);
    assert_string_equal(f->ctx.outputs[0], LR_REPORT_FILE);
    html = slurp(path);
    for (size_t i = 0; i < LR_ARRAY_LEN(absent); i++)
        if (strstr(html, absent[i]))
            fail_msg("'%s' found in the report", absent[i]);
    for (size_t i = 0; i < LR_ARRAY_LEN(present); i++)
        if (!strstr(html, present[i]))
            fail_msg("'%s' not in the report", present[i]);
    assert_null(strstr(html, "<small>publish</small>")); /* not done: not shown */
    assert_string_equal(html + strlen(html) - 8, "</html>\n");
    free(html);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_esc),
        cmocka_unit_test(test_num_share),
        cmocka_unit_test_setup_teardown(test_report_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
