/* test_model.c - parcel key normalisation (SPEC.md "The parcel key") and status names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "model.h"

struct key_case {
    const char *commune, *sheet, *parcel;
    const char *want; /* formatted key, or NULL when the key must be refused */
};

static void
test_key_parse(void **state)
{
    static const struct key_case cases[] = {
        { "25216", "12", "345", "25216-12-345" },
        { " 25216 ", " 012 ", "0345\t", "25216-12-345" }, /* trim, leading zeros dropped */
        { "5216", "1", "1", "05216-1-1" },                /* commune zero-padded to 5 */
        { "25216", "12.0", "345.0", "25216-12-345" },     /* numeric DBF text */
        { "25216", "0", "0", "25216-0-0" },
        { "25216", "", "345", NULL },         /* empty sheet */
        { "25216", "12", NULL, NULL },        /* missing parcel */
        { "25216", "12a", "345", NULL },      /* not a number */
        { "25216", "-12", "345", NULL },      /* negative */
        { "252161", "12", "345", NULL },      /* commune too long */
        { "0", "12", "345", NULL },           /* commune 0 is no commune */
        { "25216", "1 2", "345", NULL },      /* inner space */
        { "25216", "12", "999999999", NULL }, /* out of range */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lr_key k;
        char buf[LR_KEY_STR_MAX];
        bool ok = lr_key_parse(cases[i].commune, cases[i].sheet, cases[i].parcel, &k);
        lr_key_format(&k, buf);
        if (cases[i].want) {
            assert_true(ok);
            assert_string_equal(buf, cases[i].want);
        } else {
            assert_false(ok);
            assert_int_equal(k.commune, -1);
            assert_string_equal(buf, "");
        }
    }
}

static void
test_key_parse_str_and_order(void **state)
{
    struct lr_key a, b, c;
    char buf[LR_KEY_STR_MAX];

    (void)state;
    assert_true(lr_key_parse_str("25216-012-0345", &a));
    lr_key_format(&a, buf);
    assert_string_equal(buf, "25216-12-345");
    assert_false(lr_key_parse_str("25216-12", &b));
    assert_false(lr_key_parse_str("25216-12-3-4", &b));
    assert_false(lr_key_parse_str("", &b));
    assert_true(lr_key_parse_str("25216-12-346", &b));
    assert_true(lr_key_parse_str("25216-2-999", &c));
    /* numeric, not text, order: sheet 2 before sheet 12 */
    assert_true(lr_key_cmp(&c, &a) < 0);
    assert_true(lr_key_cmp(&a, &b) < 0);
    assert_int_equal(lr_key_cmp(&a, &a), 0);
    assert_true(lr_key_hash(&a) != lr_key_hash(&b));
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(lr_status_name(LR_ST_AREA_MISMATCH), "area_mismatch");
    assert_string_equal(lr_status_name(LR_ST_REGISTER_ONLY), "register_only");
    assert_string_equal(lr_issue_name(LR_IS_SELF_INTERSECTION), "self_intersection");
    assert_string_equal(lr_issue_name(LR_IS_NO_PRICE), "no_price");
    assert_true(lr_status_is_matched(LR_ST_SPLIT));
    assert_false(lr_status_is_matched(LR_ST_MAP_ONLY));
    assert_false(lr_status_is_matched(LR_ST_DUPLICATE_KEY));
    for (int i = 0; i < LR_IS_COUNT; i++)
        assert_non_null(lr_issue_name((enum lr_issue_class)i));
    for (int i = 0; i < LR_ST_COUNT; i++)
        assert_non_null(lr_status_name((enum lr_status)i));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_key_parse_str_and_order),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
