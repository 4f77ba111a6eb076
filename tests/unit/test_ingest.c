/* test_ingest.c - unit tests of etl/source.c's checks before an input is opened: the CSV scan
 * (unbalanced quotes, merged rows, rows wider than the header, delimiters, BOM, CRLF, escaped
 * quotes, quoted line breaks) and the shapefile/DBF record counts, as a table of cases. */
/* cmocka.h needs setjmp.h, stdarg.h, stddef.h and stdint.h first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct csv_case {
    const char *name;
    const char *text;
    enum lr_rc want;
    const char *msg; /* substring of the error, or NULL */
    size_t n_wide;   /* rows wider than the header */
    int64_t first_wide;
};

static const struct csv_case csv_cases[] = {
    { "plain", "a,b,c\n1,2,3\n4,5,6\n", LR_OK, NULL, 0, 0 },
    { "no final newline", "a,b,c\n1,2,3\n4,5,6", LR_OK, NULL, 0, 0 },
    { "crlf", "a,b,c\r\n1,2,3\r\n", LR_OK, NULL, 0, 0 },
    { "bom",
      "\xef\xbb\xbf"
      "a,b,c\n1,2,3\n",
      LR_OK, NULL, 0, 0 },
    { "semicolon", "a;b;c\n1;2,5;3\n", LR_OK, NULL, 0, 0 },
    { "tab", "a\tb\tc\n1\t2\t3\n", LR_OK, NULL, 0, 0 },
    { "quoted comma", "a,b,c\n1,\"x, y\",3\n", LR_OK, NULL, 0, 0 },
    { "escaped quote", "a,b,c\n1,\"say \"\"hi\"\"\",3\n", LR_OK, NULL, 0, 0 },
    { "quoted line break", "a,b,c\n1,\"line one\nline two\",3\n4,5,6\n", LR_OK, NULL, 0, 0 },
    { "short row", "a,b,c\n1,2\n", LR_OK, NULL, 0, 0 },
    { "blank line", "a,b,c\n1,2,3\n\n4,5,6\n", LR_OK, NULL, 0, 0 },
    { "wide row", "a,b,c\n1,2,3\n4,5,6,7\n", LR_OK, NULL, 1, 2 },
    { "wide last row", "a,b,c\n1,2,3,9\n4,5,6\n7,8,9,10,11", LR_OK, NULL, 2, 1 },
    { "never closed", "a,b,c\n1,2,3\n4,\"5,6\n7,8\n", LR_ERR_INPUT,
      "line 3: a quote opened here is never closed", 0, 0 },
    { "swallows rows", "a,b,c\n1,\"x\n2,3,4\n5,6\",7\n", LR_ERR_INPUT,
      "line 2: a quote opened here runs past line", 0, 0 },
    { "merges rows", "a,b,c,d\n1,2,3,\"x\n4,5\",6\n", LR_ERR_INPUT,
      "line 2: a row over several lines with 5 fields where the header has 4", 0, 0 },
};

static char *
write_tmp(const char *name, const char *text, size_t n)
{
    char *path = lr_asprintf("%s/lr_test_ingest_%d_%s", P_tmpdir, (int)getpid(), name);
    FILE *f = path ? fopen(path, "wb") : NULL;

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return path;
}

static void
test_csv_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++) {
        const struct csv_case *k = &csv_cases[i];
        char *path = write_tmp("t.csv", k->text, strlen(k->text));
        struct lr_precheck pc;
        struct lr_err err = { LR_OK, "" };
        enum lr_rc rc = lr_source_precheck(path, &pc, &err);
        if (rc != k->want || (k->msg && !strstr(err.msg, k->msg)) ||
            (rc == LR_OK && pc.n_wide != k->n_wide) ||
            (k->n_wide && pc.wide_rows[0] != k->first_wide))
            fail_msg("case '%s': rc %d (want %d), %zu wide rows (want %zu), message: %s", k->name,
                     rc, k->want, pc.n_wide, k->n_wide, err.msg);
        if (rc != LR_OK && !strstr(err.msg, path))
            fail_msg("case '%s': the message does not name the file: %s", k->name, err.msg);
        lr_precheck_release(&pc);
        unlink(path);
        free(path);
    }
}

/* A dBASE III file of n records of one 4-byte field, header claiming `header` records. */
static char *
write_dbf(const char *name, int n, int header)
{
    unsigned char h[65] = { 3, 126, 1, 1 };
    char buf[4096];
    size_t len = 0;

    h[4] = (unsigned char)(header & 0xff);
    h[5] = (unsigned char)(header >> 8);
    h[8] = 65; /* header length: 32 + 32 + 1 */
    h[10] = 5; /* record length: deletion flag + 4 */
    memcpy(h + 32, "KEY", 3);
    h[32 + 11] = 'C';
    h[32 + 16] = 4;
    h[64] = 0x0d;
    memcpy(buf, h, sizeof(h));
    len = sizeof(h);
    for (int i = 0; i < n; i++) {
        snprintf(buf + len, sizeof(buf) - len, " %04d", i);
        len += 5;
    }
    buf[len++] = 0x1a;
    return write_tmp(name, buf, len);
}

static void
test_dbf_counts(void **state)
{
    struct {
        int n, header;
        enum lr_rc want;
        const char *msg;
    } cases[] = {
        { 10, 10, LR_OK, NULL },
        { 10, 12, LR_OK, NULL }, /* claims more than exist: logged, nothing lost */
        { 10, 7, LR_ERR_INPUT, "lists 7 records but the file holds 10" },
        { 0, 0, LR_OK, NULL },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *path = write_dbf("t.dbf", cases[i].n, cases[i].header);
        struct lr_precheck pc;
        struct lr_err err = { LR_OK, "" };
        enum lr_rc rc = lr_source_precheck(path, &pc, &err);
        if (rc != cases[i].want || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
            fail_msg("dbf case %zu: rc %d, message: %s", i, rc, err.msg);
        lr_precheck_release(&pc);
        unlink(path);
        free(path);
    }
}

/* A .shp with its .dbf missing, and with a .shx indexing more shapes than the .dbf lists. */
static void
test_shapefile_companions(void **state)
{
    char shx[100 + 8 * 12] = { 0 };
    char *shp = write_tmp("s.shp", "not read", 8);
    struct lr_precheck pc;
    struct lr_err err = { LR_OK, "" };
    char *dbf, *shx_path;

    (void)state;
    assert_int_equal(lr_source_precheck(shp, &pc, &err), LR_ERR_INPUT);
    assert_non_null(strstr(err.msg, ".dbf (the attribute table with the parcel keys) is missing"));
    lr_err_clear(&err);
    dbf = write_dbf("s.dbf", 10, 10);
    shx_path = write_tmp("s.shx", shx, sizeof(shx)); /* 12 shapes */
    assert_int_equal(lr_source_precheck(shp, &pc, &err), LR_ERR_INPUT);
    assert_non_null(strstr(err.msg, "the .shx indexes 12"));
    lr_precheck_release(&pc);
    unlink(shp);
    unlink(dbf);
    unlink(shx_path);
    free(shp);
    free(dbf);
    free(shx_path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_table),
        cmocka_unit_test(test_dbf_counts),
        cmocka_unit_test(test_shapefile_companions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
