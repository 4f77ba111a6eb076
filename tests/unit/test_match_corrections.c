/* test_match_corrections.c - the corrections file: parsing (every bad row named by file and
 * line), and its effect in the match stage: accept acknowledges findings, link makes a match,
 * unlink breaks one, and rows that no longer apply are counted as stale.
 *
 * The sheet: old commune 25216, sheet 1, cells 1..10 in a row 20 m wide, about 500 m2 each,
 * matched on both sides unless a case removes one. */
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
/* the modules under test */
#include "corrections.h"
#include "model.h"
#include "stage.h"

#define HEADER "parcel_key,record_key,class,action,note\n"

/* ---- parsing ---- */

struct bad_case {
    const char *text;
    const char *want; /* part of the message */
};

static void
test_parse_errors(void **state)
{
    static const struct bad_case cases[] = {
        { "foo,bar\n", "'c.csv' line 1: expected the header" },
        { "", "'c.csv' line 1: expected the header" },
        { HEADER "25216-1-1,,map_only,acept,\n", "line 2: unknown action 'acept'" },
        { HEADER "\n25216-x-1,,map_only,accept,\n", "line 3: parcel_key '25216-x-1'" },
        { HEADER "25216-1-1,1-2,map_only,accept,\n", "line 2: record_key '1-2'" },
        { HEADER "25216-1-1,,,link,\n", "line 2: link needs both parcel_key and record_key" },
        { HEADER "25216-1-1,,,unlink,\n", "line 2: unlink needs both" },
        { HEADER "25216-1-1,,mapp_only,accept,\n", "line 2: unknown class 'mapp_only'" },
        { HEADER "25216-1-1,,,accept,\n", "line 2: accept needs the finding's class" },
        { HEADER ",,map_only,accept,\n", "line 2: accept needs parcel_key or record_key" },
        { HEADER "25216-1-1,,map_only,accept,\"never closed\n", "a quoted field is not closed" },
        { HEADER "25216-1-1,,map_only,accept,n,extra\n", "line 2: more than 5 fields" },
        { HEADER "\"25216-1-1\"x,,map_only,accept,\n", "line 2: text after a closing quote" },
        { HEADER "25216-1-1,map_only\n", "line 2: expected 4 or 5 fields" },
        /* a quoted note over two lines: the next row starts on line 4 */
        { HEADER "25216-1-1,,map_only,accept,\"a, b\nc \"\"d\"\"\"\n25216-1-2,,bogus,accept,\n",
          "line 4: unknown class 'bogus'" },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_corrections c;
        struct lr_err err = { LR_OK, "" };
        enum lr_rc rc =
            lr_corrections_parse(&c, "c.csv", cases[i].text, strlen(cases[i].text), &err);
        if (rc != LR_ERR_INPUT || !strstr(err.msg, cases[i].want))
            fail_msg("case %zu: rc %d, message '%s', wanted '%s'", i, (int)rc, err.msg,
                     cases[i].want);
        assert_null(c.rows);
    }
}

static void
test_parse_ok(void **state)
{
    static const char text[] = "\xEF\xBB\xBFParcel_Key, record_key ,class,ACTION,note\r\n"
                               "25216-1-3,,map_only,accept,\"checked, field visit \"\"ok\"\"\"\r\n"
                               "\r\n"
                               "# a comment line\n"
                               " 25216-01-013 ,25216-1-5,,link,\n"
                               "25216-1-7,25216-1-7,area_mismatch,Unlink\n";
    struct lr_corrections c;
    struct lr_err err = { LR_OK, "" };

    (void)state;
    assert_int_equal(lr_corrections_parse(&c, "c.csv", text, strlen(text), &err), LR_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.rows[0].action, LR_CORR_ACCEPT);
    assert_int_equal(c.rows[0].cls, LR_ST_MAP_ONLY);
    assert_true(c.rows[0].has_pkey);
    assert_false(c.rows[0].has_rkey);
    assert_int_equal(c.rows[0].line, 2);
    assert_int_equal(c.rows[1].action, LR_CORR_LINK);
    assert_int_equal(c.rows[1].pkey.parcel, 13); /* leading zeros and blanks normalised */
    assert_int_equal(c.rows[1].rkey.parcel, 5);
    assert_int_equal(c.rows[1].line, 5);
    assert_int_equal(c.rows[2].action, LR_CORR_UNLINK);
    assert_int_equal(c.rows[2].line, 6);
    lr_corrections_release(&c);
}

/* ---- in the match stage ---- */

struct fx {
    struct lr_config cfg;
    struct lr_shard sh;
    char path[64];
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->cfg.tolerance_regulation = true;
    f->cfg.default_scale = 2000;
    f->cfg.min_confidence_nano = 800000000;
    lr_shard_init(&f->sh, &f->cfg);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    lr_shard_release(&f->sh);
    if (f->path[0])
        unlink(f->path);
    free(f);
    return 0;
}

static size_t
add_parcel(struct fx *f, int num, int64_t dm2, double x)
{
    struct lr_parcel *p = lr_shard_add_parcel(&f->sh);

    assert_non_null(p);
    p->key = (struct lr_key){ 25216, 1, num };
    p->area_dm2 = dm2;
    p->ix = x;
    p->iy = 12.5;
    p->scale = 2000;
    p->land_use = strdup("CLN");
    return f->sh.n_parcels - 1;
}

static size_t
add_record(struct fx *f, int num, int64_t dm2)
{
    struct lr_record *r = lr_shard_add_record(&f->sh);

    assert_non_null(r);
    r->key = (struct lr_key){ 25216, 1, num };
    r->area_dm2 = dm2;
    r->land_use = strdup("CLN");
    return f->sh.n_records - 1;
}

/* Cells 1..10 on both sides except those in no_parcel / no_record (0-terminated). */
static void
sheet(struct fx *f, const int *no_parcel, const int *no_record)
{
    for (int i = 1; i <= 10; i++) {
        bool np = false, nr = false;
        for (const int *s = no_parcel; s && *s; s++)
            np |= *s == i;
        for (const int *s = no_record; s && *s; s++)
            nr |= *s == i;
        if (!np)
            add_parcel(f, i, 5000 + 7 * i, 20.0 * i - 10);
        if (!nr)
            add_record(f, i, 5000 + 7 * i);
    }
}

static void
write_corrections(struct fx *f, const char *rows)
{
    int fd;
    FILE *out;

    snprintf(f->path, sizeof(f->path), "/tmp/lr_corr_XXXXXX");
    fd = mkstemp(f->path);
    assert_true(fd >= 0);
    out = fdopen(fd, "w");
    assert_non_null(out);
    fputs(HEADER, out);
    fputs(rows, out);
    fclose(out);
    f->cfg.corrections = f->path;
}

static enum lr_rc
run_match(struct fx *f, struct lr_err *err)
{
    return lr_stage_match(NULL, &f->sh, err);
}

static const struct lr_finding *
finding_of(const struct fx *f, int64_t p, int64_t r, enum lr_status cls)
{
    for (size_t i = 0; i < f->sh.n_findings; i++) {
        const struct lr_finding *x = &f->sh.findings[i];
        if (x->cls == cls && (p < 0 || x->parcel == p) && (r < 0 || x->record == r))
            return x;
    }
    return NULL;
}

static size_t
parcel_index(const struct fx *f, int num)
{
    for (size_t i = 0; i < f->sh.n_parcels; i++)
        if (f->sh.parcels[i].key.parcel == num)
            return i;
    fail_msg("no parcel %d", num);
    return 0;
}

static size_t
record_index(const struct fx *f, int num)
{
    for (size_t i = 0; i < f->sh.n_records; i++)
        if (f->sh.records[i].key.parcel == num)
            return i;
    fail_msg("no record %d", num);
    return 0;
}

/* accept: the named findings are acknowledged (they stay, marked); one row names a finding
 * that does not exist and is stale. */
static void
test_accept(void **state)
{
    struct fx *f = *state;
    static const int no_record[] = { 3, 0 };
    struct lr_err err = { LR_OK, "" };
    const struct lr_finding *mo, *ro;

    sheet(f, NULL, no_record);
    add_record(f, 40, 9000); /* register only, no neighbours on the map */
    write_corrections(f, "25216-1-3,,map_only,accept,known\n"
                         ",25216-1-40,register_only,accept,\n"
                         "25216-1-4,25216-1-4,area_mismatch,accept,gone\n");
    assert_int_equal(run_match(f, &err), LR_OK);
    mo = finding_of(f, (int64_t)parcel_index(f, 3), -1, LR_ST_MAP_ONLY);
    ro = finding_of(f, -1, (int64_t)record_index(f, 40), LR_ST_REGISTER_ONLY);
    assert_non_null(mo);
    assert_non_null(ro);
    assert_true(mo->acknowledged);
    assert_true(ro->acknowledged);
    assert_int_equal(f->sh.corrections_rows, 3);
    assert_int_equal(f->sh.corrections_applied, 2);
    assert_int_equal(f->sh.corrections_stale, 1);
    /* the file is an input of the run, with its checksum */
    assert_string_equal(f->sh.inputs[f->sh.n_inputs - 1].kind, "corrections");
    assert_int_equal(strlen(f->sh.inputs[f->sh.n_inputs - 1].sha256), 64);
}

/* link: a parcel and a record no evidence would pair become a match. */
static void
test_link(void **state)
{
    struct fx *f = *state;
    static const int no_record[] = { 5, 0 }, no_parcel[] = { 5, 0 };
    struct lr_err err = { LR_OK, "" };
    size_t p, r;

    sheet(f, no_parcel, no_record);
    p = add_parcel(f, 13, 5040, 3000); /* 3 km away: lineage would not pair it */
    r = add_record(f, 5, 5035);
    write_corrections(f, "25216-1-13,25216-1-5,,link,surveyed 2025\n");
    assert_int_equal(run_match(f, &err), LR_OK);
    assert_int_equal(f->sh.parcels[p].status, LR_ST_MATCHED);
    assert_int_equal(f->sh.records[r].status, LR_ST_MATCHED);
    assert_int_equal(f->sh.parcels[p].record, (int64_t)r);
    assert_int_equal(f->sh.records[r].parcel, (int64_t)p);
    assert_int_equal(f->sh.parcels[p].confidence_pct, 100);
    assert_int_equal(f->sh.n_lineage, 1);
    assert_int_equal(f->sh.lineage[0].relation, LR_REL_RENUMBERED);
    assert_non_null(strstr(f->sh.lineage[0].evidence, "linked by an analyst"));
    assert_int_equal(f->sh.corrections_applied, 1);
    assert_int_equal(f->sh.corrections_stale, 0);
}

/* link across an exact match: parcel 7 is record 8's land; parcel 7 and record 8 no longer
 * join their own keys. */
static void
test_link_over_exact(void **state)
{
    struct fx *f = *state;
    struct lr_err err = { LR_OK, "" };
    size_t p7, r8;

    sheet(f, NULL, NULL);
    p7 = parcel_index(f, 7);
    r8 = record_index(f, 8);
    write_corrections(f, "25216-1-7,25216-1-8,,link,\n");
    assert_int_equal(run_match(f, &err), LR_OK);
    assert_int_equal(f->sh.parcels[p7].record, (int64_t)r8);
    assert_int_equal(f->sh.records[r8].parcel, (int64_t)p7);
    assert_true(lr_status_is_matched(f->sh.parcels[p7].status));
    assert_true(f->sh.records[record_index(f, 7)].parcel != (int64_t)p7);
    assert_true(f->sh.parcels[parcel_index(f, 8)].record != (int64_t)r8);
}

/* unlink: an exact pair is broken, and the lineage pass does not pair it again although it
 * would fit perfectly. */
static void
test_unlink(void **state)
{
    struct fx *f = *state;
    struct lr_err err = { LR_OK, "" };
    size_t p3, r3;

    sheet(f, NULL, NULL);
    p3 = parcel_index(f, 3);
    r3 = record_index(f, 3);
    write_corrections(f, "25216-1-3,25216-1-3,,unlink,not the same land\n");
    assert_int_equal(run_match(f, &err), LR_OK);
    assert_int_equal(f->sh.parcels[p3].status, LR_ST_MAP_ONLY);
    assert_int_equal(f->sh.records[r3].status, LR_ST_REGISTER_ONLY);
    assert_int_equal(f->sh.parcels[p3].record, -1);
    assert_non_null(finding_of(f, (int64_t)p3, -1, LR_ST_MAP_ONLY));
    assert_int_equal(f->sh.n_lineage, 0);
    assert_int_equal(f->sh.corrections_applied, 1);
}

/* Rows that cannot apply are reported, not kept silently: missing keys, duplicate keys,
 * an unlink of a pair that is not matched, a second link of one parcel, accept of a geometry
 * issue. */
static void
test_stale(void **state)
{
    struct fx *f = *state;
    struct lr_err err = { LR_OK, "" };

    sheet(f, NULL, NULL);
    add_parcel(f, 9, 5063, 500); /* key 9 now held by two map parcels */
    write_corrections(f, "25216-1-99,25216-1-5,,link,\n"
                         "25216-1-9,25216-1-9,,link,\n"
                         "25216-1-2,25216-1-4,,unlink,\n"
                         "25216-1-1,25216-1-2,,link,\n"
                         "25216-1-1,25216-1-3,,link,\n"
                         "25216-1-6,,overlap,accept,\n");
    assert_int_equal(run_match(f, &err), LR_OK);
    assert_int_equal(f->sh.corrections_rows, 6);
    assert_int_equal(f->sh.corrections_applied, 1); /* 25216-1-1 -> record 2 */
    assert_int_equal(f->sh.corrections_stale, 5);
    assert_int_equal(f->sh.parcels[parcel_index(f, 1)].record, (int64_t)record_index(f, 2));
}

static void
test_missing_file(void **state)
{
    struct fx *f = *state;
    struct lr_err err = { LR_OK, "" };

    sheet(f, NULL, NULL);
    f->cfg.corrections = "/nonexistent/corrections.csv";
    assert_int_equal(run_match(f, &err), LR_ERR_INPUT);
    assert_non_null(strstr(err.msg, "'/nonexistent/corrections.csv'"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_over_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
