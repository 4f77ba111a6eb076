/* test_pg.c - the server-free parts of pg.c and warehouse_rows.c: URL masking, COPY field
 * encoding (text escapes, binary numeric, NULLs) and WKB -> EWKB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the modules under test */
#include "pg.h"
#include "warehouse_rows.h"

static void
test_mask_url(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "postgresql://u:secret@db.example:5432/landrec",
          "postgresql://u:***@db.example:5432/landrec" },
        { "postgres://u:p%40ss@/landrec?host=/tmp/s&port=5",
          "postgres://u:***@/landrec?host=/tmp/s&port=5" },
        { "postgresql://u@h/landrec?password=secret&sslmode=require",
          "postgresql://u@h/landrec?password=***&sslmode=require" },
        { "postgresql:///landrec", "postgresql:///landrec" },
        { "postgresql://h:5432/d", "postgresql://h:5432/d" }, /* a port, not a password */
        { "host=h dbname=d password=secret user=u", "host=h dbname=d password=*** user=u" },
        { "host=h password = 'se cr\\'et' user=u", "host=h password = *** user=u" },
        { "dbname=landrec", "dbname=landrec" },
        { "", "" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = lr_pg_mask_url(cases[i].in);
        assert_non_null(got);
        assert_string_equal(got, cases[i].want);
        assert_null(strstr(got, "secret"));
        free(got);
    }
}

/* A copy struct for encoding only (no connection). */
static void
copy_init(struct lr_pg_copy *c, enum lr_copy_format fmt)
{
    memset(c, 0, sizeof(*c));
    c->fmt = fmt;
    lr_buf_init(&c->buf);
}

static void
test_text_fields(void **state)
{
    struct lr_pg_copy c;
    static const unsigned char ewkb[] = { 0x01, 0xAB };

    (void)state;
    copy_init(&c, LR_COPY_TEXT);
    lr_pg_copy_row(&c, 7);
    lr_pg_copy_text(&c, "a\tb\\c\nd\re");
    lr_pg_copy_text(&c, NULL);
    lr_pg_copy_int4(&c, -12, true);
    lr_pg_copy_int8(&c, 0, false);
    lr_pg_copy_decimal(&c, -1234, 1, true);
    lr_pg_copy_decimal(&c, 5, 2, true);
    lr_pg_copy_ewkb(&c, ewkb, sizeof(ewkb));
    assert_false(c.nomem);
    lr_buf_addc(&c.buf, '\n');
    assert_string_equal(c.buf.data, "a\\tb\\\\c\\nd\\re\t\\N\t-12\t\\N\t-123.4\t0.05\t01AB\n");
    lr_buf_release(&c.buf);
}

/* Binary numeric: length, ndigits, weight, sign, dscale, base-10000 digits. */
static void
test_binary_numeric(void **state)
{
    static const struct {
        int64_t units;
        int scale;
        unsigned char want[24];
        size_t n;
    } cases[] = {
        /* 12345.6 -> digits 1, 2345, 6000; weight 1 */
        { 123456, 1, { 0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 1, 0, 1, 0x09, 0x29, 0x17, 0x70 }, 18 },
        /* 0.0 -> no digits */
        { 0, 1, { 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1 }, 12 },
        /* -0.5 -> digit 5000, weight -1, negative */
        { -5, 1, { 0, 0, 0, 10, 0, 1, 0xFF, 0xFF, 0x40, 0, 0, 1, 0x13, 0x88 }, 14 },
        /* 10000.0 -> digits 1 (the trailing 0000 group stripped), weight 1 */
        { 100000, 1, { 0, 0, 0, 10, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1 }, 14 },
        /* 1.00 (confidence) */
        { 100, 2, { 0, 0, 0, 10, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1 }, 14 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lr_pg_copy c;
        copy_init(&c, LR_COPY_BINARY);
        lr_pg_copy_decimal(&c, cases[i].units, cases[i].scale, true);
        assert_int_equal(c.buf.len, cases[i].n);
        assert_memory_equal(c.buf.data, cases[i].want, cases[i].n);
        lr_buf_release(&c.buf);
    }
}

static void
test_binary_row(void **state)
{
    static const unsigned char want[] = {
        0,    3,                                                  /* 3 fields */
        0,    0,    0,    2,    'h', 'i',                         /* text */
        0xFF, 0xFF, 0xFF, 0xFF,                                   /* NULL */
        0,    0,    0,    8,    0,   0,   0, 0, 0, 0, 0x01, 0x00, /* int8 256 */
    };
    struct lr_pg_copy c;

    (void)state;
    copy_init(&c, LR_COPY_BINARY);
    lr_pg_copy_row(&c, 3);
    lr_pg_copy_text(&c, "hi");
    lr_pg_copy_int4(&c, 1, false);
    lr_pg_copy_int8(&c, 256, true);
    assert_int_equal(c.fields, 3);
    assert_int_equal(c.buf.len, sizeof(want));
    assert_memory_equal(c.buf.data, want, sizeof(want));
    lr_buf_release(&c.buf);
}

static void
test_ewkb(void **state)
{
    /* POINT(1 2), little endian WKB */
    static const unsigned char wkb_le[] = { 1,    1,    0, 0, 0, 0, 0, 0, 0, 0,   0,
                                            0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0x40 };
    static const unsigned char wkb_be[] = { 0, 0, 0, 0, 3, 0xAA };
    struct lr_buf out;
    const unsigned char *o;

    (void)state;
    lr_buf_init(&out);
    assert_true(lr_wh_ewkb(wkb_le, sizeof(wkb_le), 5899, &out));
    o = (const unsigned char *)out.data;
    assert_int_equal(out.len, sizeof(wkb_le) + 4);
    assert_int_equal(o[0], 1);
    assert_memory_equal(o + 1, "\x01\x00\x00\x20", 4);          /* type | SRID flag */
    assert_memory_equal(o + 5, "\x0b\x17\x00\x00", 4);          /* 5899 */
    assert_memory_equal(o + 9, wkb_le + 5, sizeof(wkb_le) - 5); /* coordinates */
    assert_true(lr_wh_ewkb(wkb_be, sizeof(wkb_be), 5899, &out));
    o = (const unsigned char *)out.data;
    assert_memory_equal(o, "\x00\x20\x00\x00\x03\x00\x00\x17\x0b\xaa", 10);
    assert_false(lr_wh_ewkb((const unsigned char *)"\x07", 1, 5899, &out));
    lr_buf_release(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_url),       cmocka_unit_test(test_text_fields),
        cmocka_unit_test(test_binary_numeric), cmocka_unit_test(test_binary_row),
        cmocka_unit_test(test_ewkb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
