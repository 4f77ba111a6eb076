/* test_value_money.c - the piece-by-piece money functions of the piecewise valuation: the
 * largest-remainder split, the value rounded once, the average price and the residential tax
 * over pieces. Expected numbers are computed by hand in the comment beside them; the tax over
 * pieces is also checked against lr_money_tax_residential (one price) and against the direct
 * __int128 formula where its products fit. */
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

static const int64_t RATES[3] = { 300000, 700000, 1500000 }; /* 0.03 %, 0.07 %, 0.15 % */

#define MAXP 4

struct split_case {
    int64_t total;
    size_t n;
    int64_t w[MAXP];
    int64_t want[MAXP];
};

static void
test_split(void **state)
{
    static const struct split_case cases[] = {
        { 10, 3, { 1, 1, 1 }, { 4, 3, 3 } },         /* 3.33 each; the one left goes to the first */
        { 2510, 2, { 1500, 1000 }, { 1506, 1004 } }, /* exact: 60 % / 40 % */
        /* 3.5, 2.1, 1.4: floors 3, 2, 1; remainders .5 .1 .4: the unit left goes to the first */
        { 7, 3, { 5, 3, 2 }, { 4, 2, 1 } },
        /* 0.7, 2.1, 4.2 -> 0, 2, 4; remainders .7 .1 .2: to the first */
        { 7, 3, { 1, 3, 6 }, { 1, 2, 4 } },
        { 100, 3, { 0, 5, 0 }, { 0, 100, 0 } }, /* one real piece takes everything */
        { 0, 2, { 3, 4 }, { 0, 0 } },
        { 1, 2, { 1, 1 }, { 1, 0 } },             /* a tie: lower index first */
        { 1, 4, { 1, 1, 1, 2 }, { 0, 0, 0, 1 } }, /* 0.2 0.2 0.2 0.4: the largest remainder */
        /* W = 2e13 + 1: 4,999,999,999,999.75 twice and 0.49999...: floors sum to 1e13 - 2;
         * remainders 1.5e13 + 1 (twice) beat 1e13: {5e12, 5e12, 0} */
        { 10000000000000,
          3,
          { 10000000000000, 10000000000000, 1 },
          { 5000000000000, 5000000000000, 0 } },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { LR_OK, "" };
        int64_t got[MAXP] = { -1, -1, -1, -1 }, sum = 0;

        assert_int_equal(lr_money_split_dm2(cases[i].total, cases[i].w, cases[i].n, got, &err),
                         LR_OK);
        for (size_t k = 0; k < cases[i].n; k++) {
            assert_int_equal(got[k], cases[i].want[k]);
            sum += got[k];
        }
        assert_int_equal(sum, cases[i].total);
    }
}

static void
test_split_bad(void **state)
{
    static const struct split_case cases[] = {
        { 10, 2, { 0, 0 }, { 0 } },              /* nothing to split over */
        { 10, 2, { -1, 3 }, { 0 } },             /* negative weight */
        { -1, 1, { 1 }, { 0 } },                 /* negative total */
        { 10000000000001, 1, { 1 }, { 0 } },     /* total above 1e13 */
        { 10, 2, { 10000000000001, 1 }, { 0 } }, /* weight above 1e13 */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { LR_OK, "" };
        int64_t got[MAXP];

        assert_int_equal(lr_money_split_dm2(cases[i].total, cases[i].w, cases[i].n, got, &err),
                         LR_ERR_INTERNAL);
        assert_true(err.msg[0] != '\0');
    }
}

struct pieces_case {
    size_t n;
    int64_t area[MAXP], price[MAXP];
    int64_t want; /* -1: LR_ERR_INTERNAL */
};

static void
test_value_pieces(void **state)
{
    static const struct pieces_case cases[] = {
        /* 150.6 * 1e7 + 100.4 * 6e6 = 1,506,000,000 + 602,400,000 */
        { 2, { 1506, 1004 }, { 10000000, 6000000 }, 2108400000 },
        /* 0.5 + 0.5 = 1 rounded once (each piece rounded alone would give 2) */
        { 2, { 5, 5 }, { 1, 1 }, 1 },
        { 2, { 5, 4 }, { 1, 1 }, 1 }, /* 0.9 -> 1 */
        { 2, { 1, 3 }, { 1, 1 }, 0 }, /* 0.4 -> 0 */
        { 1, { 125 }, { 3 }, 38 },    /* 37.5 -> 38 */
        { 1, { 0 }, { 1000 }, 0 },
        /* 1e12 m2 * 9e5 = 9e17 fits */
        { 1, { 10000000000000 }, { 900000 }, 900000000000000000 },
        { 1, { 10000000000000 }, { 1000000000000000 }, -1 }, /* 1e27: overflows */
        { 2, { 10000000000000, 1 }, { 1, 1 }, -1 },          /* area of the pieces > 1e13 */
        { 1, { 1 }, { 1000000000000001 }, -1 },              /* price above 1e15 */
        { 1, { -1 }, { 1 }, -1 },
        { 0, { 0 }, { 0 }, -1 }, /* no pieces */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { LR_OK, "" };
        int64_t got = -7;
        enum lr_rc rc =
            lr_money_value_pieces(cases[i].area, cases[i].price, cases[i].n, &got, &err);

        if (cases[i].want < 0) {
            assert_int_equal(rc, LR_ERR_INTERNAL);
            assert_int_equal(got, -7);
        } else {
            assert_int_equal(rc, LR_OK);
            assert_int_equal(got, cases[i].want);
        }
    }
}

static void
test_average_price(void **state)
{
    static const struct pieces_case cases[] = {
        /* 200 * 5e6 + 100 * 3e6 = 1.3e9 over 300 m2 = 4,333,333.3 -> 4,333,333 */
        { 2, { 2000, 1000 }, { 5000000, 3000000 }, 4333333 },
        { 2, { 1, 1 }, { 1, 2 }, 2 }, /* 1.5 -> 2 */
        { 2, { 2, 1 }, { 1, 2 }, 1 }, /* 4 / 3 = 1.33 -> 1 */
        { 2, { 0, 0 }, { 7, 9 }, 7 }, /* no area: the first price */
        { 2, { 1506, 1004 }, { 10000000, 6000000 }, 8400000 },
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { LR_OK, "" };
        int64_t got = -1;

        assert_int_equal(
            lr_money_average_price(cases[i].area, cases[i].price, cases[i].n, &got, &err), LR_OK);
        assert_int_equal(got, cases[i].want);
    }
}

struct tax_case {
    size_t n;
    int64_t area[MAXP], price[MAXP];
    int64_t limit;
    int64_t want; /* -1: LR_ERR_INTERNAL */
};

static void
test_tax_pieces(void **state)
{
    static const struct tax_case cases[] = {
        /* 251 m2 at the average 8.4e6: 200 * 8.4e6 * 0.0003 + 51 * 8.4e6 * 0.0007 */
        { 2, { 1506, 1004 }, { 10000000, 6000000 }, 2000, 803880 },
        /* 1.3e9 over 300 m2: (200 * 0.0003 + 100 * 0.0007) * 1.3e9 / 300 = 563,333.3 */
        { 2, { 2000, 1000 }, { 5000000, 3000000 }, 2000, 563333 },
        /* equal prices = one price: 200.1 m2 at 1e7 = 600,000 + 700 */
        { 2, { 1000, 1001 }, { 10000000, 10000000 }, 2000, 600700 },
        /* 600 m2 worth 9e8 (average 1.5e6): 200 * 1.5e6 * 0.0003 + 400 * 1.5e6 * 0.0007 */
        { 2, { 3000, 3000 }, { 1000000, 2000000 }, 2000, 510000 },
        /* 0.2 m2 worth 5,000 VND, all in the first tier: 1.5 -> 2; 4,999.9 -> 1.49997 -> 1 */
        { 2, { 1, 1 }, { 20000, 30000 }, 2000, 2 },
        { 2, { 1, 1 }, { 20000, 29999 }, 2000, 1 },
        { 1, { 10 }, { 1000000 }, 0, 1500 }, /* limit 0: 1 m2 * 1e6 * 0.0015 */
        { 2, { 0, 0 }, { 5, 6 }, 2000, 0 },  /* no area, no tax */
        /* 1e12 m2 at 9e5: tiers 200 / 400 / 1e12 - 600 m2:
         * (200 * 0.0003 + 400 * 0.0007 + (1e12 - 600) * 0.0015) * 9e5
         * = (0.06 + 0.28 + 1,499,999,999.1) * 9e5 = 1,499,999,999.44 * 9e5 = 1,349,999,999,496,000
         */
        { 1, { 10000000000000 }, { 900000 }, 2000, 1349999999496000 },
        { 2, { 5000000000000, 5000000000000 }, { 900000, 900000 }, 2000, 1349999999496000 },
        { 1, { 10000000000000 }, { 1000000000000000 }, 2000, -1 }, /* value overflows */
        { 1, { 10 }, { 1 }, -1, -1 },                              /* negative limit */
    };

    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(cases); i++) {
        struct lr_err err = { LR_OK, "" };
        int64_t got = -7;
        enum lr_rc rc = lr_money_tax_residential_pieces(cases[i].area, cases[i].price, cases[i].n,
                                                        cases[i].limit, RATES, &got, &err);

        print_message("tax case %zu\n", i);
        if (cases[i].want < 0) {
            assert_int_equal(rc, LR_ERR_INTERNAL);
        } else {
            assert_int_equal(rc, LR_OK);
            assert_int_equal(got, cases[i].want);
        }
    }
}

static void
test_tax_pieces_bad_rate(void **state)
{
    static const int64_t bad[3] = { 300000, 1000000001, 0 };
    int64_t area = 10, price = 1, got;
    struct lr_err err = { LR_OK, "" };

    (void)state;
    assert_int_equal(lr_money_tax_residential_pieces(&area, &price, 1, 2000, bad, &got, &err),
                     LR_ERR_INTERNAL);
}

/* One piece (or equal prices) must give exactly lr_money_tax_residential. */
static void
test_tax_pieces_one_price(void **state)
{
    static const int64_t areas[] = { 0,    1,    999,  1000, 1001,  1999,        2000,
                                     2001, 5999, 6000, 6001, 12345, 10000000000, 123456789 };
    static const int64_t prices[] = { 0, 1, 3, 50000, 1234567, 10000000, 900000000 };
    static const int64_t limits[] = { 0, 1000, 2000, 3333 };

    (void)state;
    for (size_t a = 0; a < LR_ARRAY_LEN(areas); a++)
        for (size_t p = 0; p < LR_ARRAY_LEN(prices); p++)
            for (size_t l = 0; l < LR_ARRAY_LEN(limits); l++) {
                struct lr_err err = { LR_OK, "" };
                int64_t one = -1, pieces = -2, two = -3;
                int64_t half[2] = { areas[a] / 2, areas[a] - areas[a] / 2 };
                int64_t pp[2] = { prices[p], prices[p] };

                assert_int_equal(
                    lr_money_tax_residential(areas[a], prices[p], limits[l], RATES, &one, &err),
                    LR_OK);
                assert_int_equal(lr_money_tax_residential_pieces(&areas[a], &prices[p], 1,
                                                                 limits[l], RATES, &pieces, &err),
                                 LR_OK);
                assert_int_equal(
                    lr_money_tax_residential_pieces(half, pp, 2, limits[l], RATES, &two, &err),
                    LR_OK);
                assert_int_equal(pieces, one);
                assert_int_equal(two, one);
            }
}

__extension__ typedef __int128 i128;

/* Direct formula round_half_up(R * N / (A * 1e10)) where R * N fits 127 bits. */
static int64_t
direct_tax(const int64_t *area, const int64_t *price, size_t n, int64_t limit)
{
    i128 a = 0, num = 0, t0, t1, t2, r, den, q;

    for (size_t k = 0; k < n; k++) {
        a += area[k];
        num += (i128)area[k] * price[k];
    }
    if (a == 0)
        return 0;
    t0 = a < limit ? a : limit;
    t1 = (a < 3 * (i128)limit ? a : 3 * (i128)limit) - t0;
    t2 = a - t0 - t1;
    r = t0 * RATES[0] + t1 * RATES[1] + t2 * RATES[2];
    den = a * 10 * LR_NANO;
    q = r * num / den;
    return (int64_t)(2 * (r * num % den) >= den ? q + 1 : q);
}

/* The stepwise reduction agrees with the direct formula on pseudo-random pieces. */
static void
test_tax_pieces_random(void **state)
{
    uint64_t x = 88172645463325252ULL; /* xorshift64, fixed seed */

    (void)state;
    for (int i = 0; i < 200000; i++) {
        int64_t area[3], price[3], limit, got = -1;
        size_t n = 1 + (size_t)(i % 3);
        struct lr_err err = { LR_OK, "" };

        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            area[k] = (int64_t)(x % 100000000); /* up to 1e7 m2 */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            price[k] = (int64_t)(x % 200000000); /* up to 2e8 VND/m2 */
        }
        limit = (int64_t)(x % 20000);
        assert_int_equal(lr_money_tax_residential_pieces(area, price, n, limit, RATES, &got, &err),
                         LR_OK);
        assert_int_equal(got, direct_tax(area, price, n, limit));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_bad),
        cmocka_unit_test(test_value_pieces),
        cmocka_unit_test(test_average_price),
        cmocka_unit_test(test_tax_pieces),
        cmocka_unit_test(test_tax_pieces_bad_rate),
        cmocka_unit_test(test_tax_pieces_one_price),
        cmocka_unit_test(test_tax_pieces_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
