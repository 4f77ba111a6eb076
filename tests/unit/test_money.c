/* test_money.c - exact decimal arithmetic: parsing, value, taxes, tolerance, the one double.
 * Every expected number is computed by hand in the comment beside it, or (tolerances, doubles)
 * with Python's decimal module at 80 digits. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "config.h"
#include "money.h"

/* Rates of DOMAIN.md "Land value and tax": 0.03 %, 0.07 %, 0.15 %. */
static const int64_t RES_RATES[3] = { 300000, 700000, 1500000 };

/* ---- parsing ---- */

struct parse_ok {
    const char *text;
    int64_t want;
};

struct parse_bad {
    const char *text;
    const char *why; /* expected part of the message after the quoted text */
};

static void
test_parse_area_ok(void **state)
{
    static const struct parse_ok cases[] = {
        { "412", 4120 },                       /* 412.0 m2 */
        { "412.05", 4121 },                    /* 2nd decimal 5: half up to 412.1 */
        { "412.04999", 4120 },                 /* rest 0.04999 < 0.05 */
        { "412.1", 4121 },                     /* one decimal kept as is */
        { "412.15", 4122 },                    /* 412.15 -> 412.2 */
        { "12.35", 124 },                      /* 12.35 -> 12.4 */
        { "12.34", 123 },                      /* 12.34 -> 12.3 */
        { "0.04", 0 },                         /* below half a tenth */
        { "0.05", 1 },                         /* exactly half a tenth: up */
        { "0.96", 10 },                        /* carry into the units: 1.0 */
        { "99.99", 1000 },                     /* carry through: 100.0 */
        { " 7.5 ", 75 },                       /* blanks around are allowed */
        { "\t7.5", 75 },                       /* a tab is a blank */
        { "0", 0 },                            /* zero area */
        { "007", 70 },                         /* leading zeros */
        { "1000000000000", 10000000000000 },   /* the maximum, 1e12 m2 */
        { "999999999999.95", 10000000000000 }, /* rounds up to the maximum */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { 0 };
        int64_t got = -1;

        assert_int_equal(lr_money_parse_area(cases[i].text, &got, &err), LR_OK);
        assert_int_equal(got, cases[i].want);
        assert_int_equal(err.rc, LR_OK);
    }
}

static void
test_parse_area_bad(void **state)
{
    static const struct parse_bad cases[] = {
        { "", "is not a decimal number" },
        { "   ", "is not a decimal number" },
        { "-1", "is not a decimal number" },
        { "+1", "is not a decimal number" },
        { "1e3", "is not a decimal number" },
        { "12,5", "is not a decimal number" },
        { "1.234,5", "is not a decimal number" },
        { "1,234.5", "is not a decimal number" },
        { "abc", "is not a decimal number" },
        { "1.2.3", "is not a decimal number" },
        { "12.", "is not a decimal number" },
        { ".5", "is not a decimal number" },
        { "1 2", "is not a decimal number" },
        { "nan", "is not a decimal number" },
        { "1000000000000.05", "is larger than 1000000000000 m2" }, /* 1e13 + 1 tenths */
        { "1000000000001", "is larger than 1000000000000 m2" },
        { "99999999999999999999999999", "is larger than 1000000000000 m2" },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { 0 };
        int64_t got = 42;
        char want[256];

        assert_int_equal(lr_money_parse_area(cases[i].text, &got, &err), LR_ERR_INPUT);
        assert_int_equal(err.rc, LR_ERR_INPUT);
        assert_int_equal(got, 42); /* untouched on error */
        snprintf(want, sizeof(want), "area '%s' %s", cases[i].text, cases[i].why);
        assert_string_equal(err.msg, want);
    }
}

static void
test_parse_quote_truncated(void **state)
{
    struct lr_err err = { 0 };
    char text[200];
    int64_t got;

    (void)state;
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(lr_money_parse_area(text, &got, &err), LR_ERR_INPUT);
    /* "area '" + 64 characters + "...' is not a decimal number" */
    assert_int_equal(strlen(err.msg), 6 + 64 + 3 + strlen("' is not a decimal number"));
    assert_non_null(strstr(err.msg, "...' is not a decimal number"));

    lr_err_clear(&err);
    assert_int_equal(lr_money_parse_area(NULL, &got, &err), LR_ERR_INPUT);
    assert_string_equal(err.msg, "area '' is not a decimal number");
}

static void
test_parse_vnd_ok(void **state)
{
    static const struct parse_ok cases[] = {
        { "1,500,000", 1500000 },
        { "1500000", 1500000 },
        { "1500000.00", 1500000 },
        { "1500000.5", 1500001 },  /* half up */
        { "1500000.49", 1500000 }, /* below half */
        { "1,500,000.5", 1500001 },
        { " 250,000 ", 250000 },
        { "999", 999 },
        { "0", 0 },
        { "0.5", 1 },
        { "12,345", 12345 },
        { "123,456,789", 123456789 },
        { "1000000000000000", 1000000000000000 },      /* the maximum, 1e15 */
        { "1,000,000,000,000,000", 1000000000000000 }, /* the same, grouped */
        { "999999999999999.5", 1000000000000000 },     /* rounds up to the maximum */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { 0 };
        int64_t got = -1;

        assert_int_equal(lr_money_parse_vnd(cases[i].text, &got, &err), LR_OK);
        assert_int_equal(got, cases[i].want);
    }
}

static void
test_parse_vnd_bad(void **state)
{
    static const struct parse_bad cases[] = {
        { "", "is not a decimal number" },
        { "1,50,000", "is not a decimal number" },  /* Indian grouping */
        { "1,500,00", "is not a decimal number" },  /* short last group */
        { "1,5000", "is not a decimal number" },    /* long group */
        { "1500,000", "is not a decimal number" },  /* lead group of 4 */
        { ",500", "is not a decimal number" },      /* no lead group */
        { "1,500,", "is not a decimal number" },    /* trailing comma */
        { "1,,500", "is not a decimal number" },    /* double comma */
        { "0,500", "is not a decimal number" },     /* grouped with a leading zero */
        { "1.500.000", "is not a decimal number" }, /* dots as separators */
        { "1 500 000", "is not a decimal number" }, /* spaces as separators */
        { "1500000.", "is not a decimal number" },
        { "-1", "is not a decimal number" },
        { "1e6", "is not a decimal number" },
        { "VND 100", "is not a decimal number" },
        { "1000000000000001", "is larger than 1000000000000000 VND" },
        { "1000000000000000.5", "is larger than 1000000000000000 VND" },
        { "99999999999999999999999", "is larger than 1000000000000000 VND" },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { 0 };
        int64_t got = 42;
        char want[256];

        assert_int_equal(lr_money_parse_vnd(cases[i].text, &got, &err), LR_ERR_INPUT);
        assert_int_equal(got, 42);
        snprintf(want, sizeof(want), "amount '%s' %s", cases[i].text, cases[i].why);
        assert_string_equal(err.msg, want);
    }
}

/* ---- value ---- */

struct value_case {
    int64_t area_dm2, price;
    enum lr_rc rc;
    int64_t want;
};

static void
test_value(void **state)
{
    static const struct value_case cases[] = {
        { 125, 3, LR_OK, 38 },                                   /* 12.5 m2 * 3 = 37.5 -> 38 */
        { 124, 3, LR_OK, 37 },                                   /* 12.4 * 3 = 37.2 -> 37 */
        { 1, 5, LR_OK, 1 },                                      /* 0.1 * 5 = 0.5 -> 1 */
        { 1, 4, LR_OK, 0 },                                      /* 0.4 -> 0 */
        { 4120, 1500000, LR_OK, 618000000 },                     /* 412 * 1.5e6 */
        { 0, 1500000, LR_OK, 0 },                                /* zero area */
        { 4120, 0, LR_OK, 0 },                                   /* zero price */
        { 10000000000000, 9223372, LR_OK, 9223372000000000000 }, /* 1e12 m2 * 9223372 */
        { 10, INT64_MAX, LR_OK, INT64_MAX },                     /* 1 m2 at the largest price */
        { 10000000000000, 9223373, LR_ERR_INTERNAL, 0 },         /* 9.223373e18 > INT64_MAX */
        { 11, INT64_MAX, LR_ERR_INTERNAL, 0 },                   /* 1.1 * INT64_MAX */
        { INT64_MAX, INT64_MAX, LR_ERR_INTERNAL, 0 },            /* product ~2^126, still exact */
        { -1, 5, LR_ERR_INTERNAL, 0 },                           /* negative area */
        { 5, -1, LR_ERR_INTERNAL, 0 },                           /* negative price */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { 0 };
        int64_t got = -7;

        assert_int_equal(lr_money_value(cases[i].area_dm2, cases[i].price, &got, &err),
                         cases[i].rc);
        assert_int_equal(err.rc, cases[i].rc);
        if (cases[i].rc == LR_OK)
            assert_int_equal(got, cases[i].want);
        else
            assert_int_equal(got, -7);
    }
}

/* ---- taxes ---- */

struct res_case {
    int64_t area_dm2, price, limit_dm2;
    int64_t rates[3];
    enum lr_rc rc;
    int64_t want;
};

static void
test_tax_residential(void **state)
{
    /* limit 200 m2, price 10,000,000 VND/m2: 0.1 m2 is worth 1,000,000 VND, taxed 300, 700 or
     * 1,500 VND by tier; 200 m2 in tier 1 are 2e9 VND, taxed 600,000. */
    static const struct res_case cases[] = {
        { 0, 10000000, 2000, { 300000, 700000, 1500000 }, LR_OK, 0 },
        { 2000, 10000000, 2000, { 300000, 700000, 1500000 }, LR_OK, 600000 }, /* limit */
        { 2001, 10000000, 2000, { 300000, 700000, 1500000 }, LR_OK, 600700 }, /* + 700 */
        /* 3 * limit: 600,000 + 400 m2 * 1e7 * 0.0007 = 600,000 + 2,800,000 */
        { 6000, 10000000, 2000, { 300000, 700000, 1500000 }, LR_OK, 3400000 },
        { 6001, 10000000, 2000, { 300000, 700000, 1500000 }, LR_OK, 3401500 }, /* + 1,500 */
        /* 1,000 m2: 600,000 + 2,800,000 + 400 m2 * 1e7 * 0.0015 = 6,000,000 -> 9,400,000 */
        { 10000, 10000000, 2000, { 300000, 700000, 1500000 }, LR_OK, 9400000 },
        /* limit 0: everything in tier 3; 100 m2 * 1e6 * 0.0015 = 150,000 */
        { 1000, 1000000, 0, { 300000, 700000, 1500000 }, LR_OK, 150000 },
        /* huge limit: everything in tier 1 */
        { 1000, 1000000, INT64_MAX, { 300000, 700000, 1500000 }, LR_OK, 30000 },
        /* 1 m2 * 5,000 * 0.0003 = 1.5 -> 2 (half up); 4,999 -> 1.4997 -> 1 */
        { 10, 5000, 2000, { 300000, 700000, 1500000 }, LR_OK, 2 },
        { 10, 4999, 2000, { 300000, 700000, 1500000 }, LR_OK, 1 },
        /* rounded once: tiers 0.4 + 0.4 = 0.8 -> 1 (per-tier rounding would give 0) */
        { 20, 1000, 10, { 400000, 400000, 0 }, LR_OK, 1 },
        /* 1e12 m2 at 1e6, limit 200 m2: 6e14 + 2.8e15 + (1e13 - 6000) * 1.5e12 over 1e10 */
        { 10000000000000, 1000000, 2000, { 300000, 700000, 1500000 }, LR_OK, 1499999999440000 },
        /* the bounds: 1e13 * 1e15 * 1e9 / 1e10 = 1e27 does not fit */
        { 10000000000000, 1000000000000000, 2000, { 0, 0, 1000000000 }, LR_ERR_INTERNAL, 0 },
        { -1, 1000, 2000, { 300000, 700000, 1500000 }, LR_ERR_INTERNAL, 0 },
        { 10000000000001, 1000, 2000, { 300000, 700000, 1500000 }, LR_ERR_INTERNAL, 0 },
        { 10, 1000000000000001, 2000, { 300000, 700000, 1500000 }, LR_ERR_INTERNAL, 0 },
        { 10, 1000, -1, { 300000, 700000, 1500000 }, LR_ERR_INTERNAL, 0 },
        { 10, 1000, 2000, { 300000, -1, 1500000 }, LR_ERR_INTERNAL, 0 },
        { 10, 1000, 2000, { 300000, 700000, 1000000001 }, LR_ERR_INTERNAL, 0 },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        const struct res_case *c = &cases[i];
        struct lr_err err = { 0 };
        int64_t got = -7;

        assert_int_equal(
            lr_money_tax_residential(c->area_dm2, c->price, c->limit_dm2, c->rates, &got, &err),
            c->rc);
        assert_int_equal(got, c->rc == LR_OK ? c->want : -7);
        if (c->rc != LR_OK)
            assert_true(strlen(err.msg) > 0);
    }
}

static void
test_tax_residential_rates_const(void **state)
{
    struct lr_err err = { 0 };
    int64_t tax;

    (void)state;
    /* 150 m2 at 2,000,000 within a limit of 200 m2: 3e8 * 0.0003 = 90,000 */
    assert_int_equal(lr_money_tax_residential(1500, 2000000, 2000, RES_RATES, &tax, &err), LR_OK);
    assert_int_equal(tax, 90000);
}

struct flat_case {
    int64_t value, rate;
    enum lr_rc rc;
    int64_t want;
};

static void
test_tax_flat(void **state)
{
    static const struct flat_case cases[] = {
        { 1000000000, 300000, LR_OK, 300000 }, /* 1e9 * 0.0003 */
        { 5000, 300000, LR_OK, 2 },            /* 1.5 -> 2 */
        { 4999, 300000, LR_OK, 1 },            /* 1.4997 -> 1 */
        { 100, 5000000, LR_OK, 1 },            /* 0.5 % of 100 = 0.5 -> 1 */
        { 99, 5000000, LR_OK, 0 },             /* 0.495 -> 0 */
        { 0, 300000, LR_OK, 0 },
        { 123456789, 0, LR_OK, 0 },                     /* exempt */
        { INT64_MAX, LR_NANO, LR_OK, INT64_MAX },       /* 100 % of the largest value */
        { INT64_MAX, 300000, LR_OK, 2767011611056433 }, /* 9223372036854775807 * 3e-4 = ...432.7 */
        { -1, 300000, LR_ERR_INTERNAL, 0 },
        { 1000, -1, LR_ERR_INTERNAL, 0 },
        { 1000, LR_NANO + 1, LR_ERR_INTERNAL, 0 },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { 0 };
        int64_t got = -7;

        assert_int_equal(lr_money_tax_flat(cases[i].value, cases[i].rate, &got, &err), cases[i].rc);
        assert_int_equal(got, cases[i].rc == LR_OK ? cases[i].want : -7);
    }
}

/* ---- tolerance ---- */

struct tol_case {
    int64_t scale, area_dm2, fraction;
    bool regulation;
    enum lr_rc rc;
    int64_t want;
};

static void
test_tolerance(void **state)
{
    /* Regulation values: round_half_up(10 * 0.0004 * M * sqrt(A / 10)) evaluated with Python's
     * decimal module at 80 digits; the value before rounding is in each comment. */
    static const struct tol_case cases[] = {
        { 1000, 5000, 0, true, LR_OK, 89 },   /* DOMAIN.md: 500 m2 at 1:1000 -> 8.9 m2 (89.44) */
        { 2000, 50000, 0, true, LR_OK, 566 }, /* DOMAIN.md: 5000 m2 at 1:2000 -> 56.6 (565.69) */
        { 125, 10, 0, true, LR_OK, 1 },       /* exact tie 0.5 -> 1 */
        { 375, 10, 0, true, LR_OK, 2 },       /* exact tie 1.5 -> 2 */
        { 375, 810, 0, true, LR_OK, 14 },     /* exact tie 13.5 -> 14; naive doubles give 13 */
        { 1, 1406250, 0, true, LR_OK, 2 },    /* exact tie 1.5 */
        { 1, 1406249, 0, true, LR_OK, 1 },    /* 1.49999946666657 */
        { 1, 9997500156250, 0, true, LR_OK, 4000 },                    /* exact tie 3999.5 */
        { 1, 9997500156249, 0, true, LR_OK, 3999 },                    /* 3999.49999999979997 */
        { 500, 8116658549, 0, true, LR_OK, 56979 },                    /* 56979.4999942961942 */
        { 2000, 4494744507, 0, true, LR_OK, 169607 },                  /* 169606.5000075174006 */
        { 2000, 4963900450, 0, true, LR_OK, 178238 },                  /* 178238.4999936882323 */
        { 500, 1, 0, true, LR_OK, 1 },                                 /* 0.632455532 */
        { 1, 1, 0, true, LR_OK, 0 },                                   /* 0.001264911 */
        { 200, 1234567, 0, true, LR_OK, 281 },                         /* 281.091244972 */
        { 1000, 10, 0, true, LR_OK, 4 },                               /* 1 m2: 0.4 m2 exactly */
        { 5000, 0, 0, true, LR_OK, 0 },                                /* zero area */
        { 10000, 10000000000000, 0, true, LR_OK, 40000000 },           /* 1e12 m2: 4e7 exactly */
        { 1000000000, 10000000000000, 0, true, LR_OK, 4000000000000 }, /* both bounds */
        /* fraction: round_half_up(A * f / 1e9); 1 % = 10,000,000 nano; scale ignored */
        { 0, 5000, 10000000, false, LR_OK, 50 }, /* 1 % of 500 m2 = 5.0 m2 */
        { 0, 50, 10000000, false, LR_OK, 1 },    /* 0.5 -> 1 */
        { 0, 49, 10000000, false, LR_OK, 0 },    /* 0.49 -> 0 */
        { 0, 5000, 0, false, LR_OK, 0 },
        { 0, 10000000000000, LR_NANO, false, LR_OK, 10000000000000 }, /* 100 % */
        /* out of range */
        { 0, 5000, 0, true, LR_ERR_INTERNAL, 0 },
        { 1000000001, 5000, 0, true, LR_ERR_INTERNAL, 0 },
        { 1000, -1, 0, true, LR_ERR_INTERNAL, 0 },
        { 1000, 10000000000001, 0, true, LR_ERR_INTERNAL, 0 },
        { 0, 5000, -1, false, LR_ERR_INTERNAL, 0 },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        const struct tol_case *c = &cases[i];
        struct lr_err err = { 0 };
        int64_t got = -7;

        assert_int_equal(
            lr_money_tolerance_dm2(c->scale, c->area_dm2, c->fraction, c->regulation, &got, &err),
            c->rc);
        assert_int_equal(got, c->rc == LR_OK ? c->want : -7);
    }
}

/* ---- the one double ---- */

struct double_case {
    double m2;
    int64_t want;
};

static void
test_area_from_double(void **state)
{
    /* The exact binary value decides (Python: Decimal(x) shows it). */
    static const struct double_case cases[] = {
        { 0.05, 1 },      /* 0.05000000000000000277 -> 0.5000000000000000277 tenths */
        { 0.04999, 0 },   /* 0.49990 tenths */
        { 123.45, 1235 }, /* 123.4500000000000028 */
        { 0.15, 1 },      /* 0.1499999999999999944: down (x * 10 in doubles gives 1.5) */
        { 0.35, 3 },      /* 0.3499999999999999778 */
        { 0.45, 5 },      /* 0.4500000000000000111 */
        { 0.25, 3 },      /* exactly 2.5 tenths: half away from zero */
        { 2.675, 27 },    /* 26.749999... tenths */
        { 0.95, 9 },      /* 0.9499999999999999556 */
        { 412.0, 4120 },
        { 0.0, 0 },
        { -0.0, 0 },
        { 5e-324, 0 },            /* smallest subnormal */
        { 1e12, 10000000000000 }, /* the maximum */
        { 1e12 + 0.5, -1 },       /* above the maximum */
        { -0.01, -1 },
        { -1e300, -1 },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++)
        assert_int_equal(lr_money_area_from_double(cases[i].m2), cases[i].want);
    assert_int_equal(lr_money_area_from_double(NAN), -1);
    assert_int_equal(lr_money_area_from_double(INFINITY), -1);
    assert_int_equal(lr_money_area_from_double(-INFINITY), -1);
}

/* ---- formatting ---- */

struct format_case {
    int64_t dm2;
    const char *want;
};

static void
test_format_area(void **state)
{
    static const struct format_case cases[] = {
        { 4120, "412.0" },
        { 4121, "412.1" },
        { 0, "0.0" },
        { 5, "0.5" },
        { -5, "-0.5" },
        { -15, "-1.5" },
        { INT64_MAX, "922337203685477580.7" },
        { INT64_MIN, "-922337203685477580.8" },
    };
    char buf[32];

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        lr_money_format_area(cases[i].dm2, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].want);
    }
    lr_money_format_area(4120, buf, 4); /* truncated, still terminated */
    assert_string_equal(buf, "412");
    lr_money_format_area(4120, NULL, 0);
}

/* The first error recorded wins: a second failure keeps the first message. */
static void
test_first_error_wins(void **state)
{
    struct lr_err err = { 0 };
    int64_t v;

    (void)state;
    assert_int_equal(lr_money_parse_area("x", &v, &err), LR_ERR_INPUT);
    assert_int_equal(lr_money_value(-1, 1, &v, &err), LR_ERR_INTERNAL);
    assert_int_equal(err.rc, LR_ERR_INPUT);
    assert_string_equal(err.msg, "area 'x' is not a decimal number");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_area_ok),
        cmocka_unit_test(test_parse_area_bad),
        cmocka_unit_test(test_parse_quote_truncated),
        cmocka_unit_test(test_parse_vnd_ok),
        cmocka_unit_test(test_parse_vnd_bad),
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_tax_residential),
        cmocka_unit_test(test_tax_residential_rates_const),
        cmocka_unit_test(test_tax_flat),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_area_from_double),
        cmocka_unit_test(test_format_area),
        cmocka_unit_test(test_first_error_wins),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
