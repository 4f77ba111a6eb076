/* money.c - exact decimal arithmetic for areas, prices, values, taxes and area tolerances.
 *
 * Everything is int64 at the interfaces and __int128 inside; the only binary floating point is
 * lr_money_area_from_double, which decomposes a GEOS double exactly and rounds in integers.
 *
 * Bounds (every product below stays far under 2^127 ~ 1.7e38):
 *   areas        0 .. 1e13 tenths of m^2 (1e12 m^2)
 *   prices       0 .. 1e15 VND (parsed); lr_money_value accepts any non-negative int64
 *   rates        0 .. 1e9 (LR_NANO, i.e. 100 %)
 *   map scales   1 .. 1e9
 * residential tax numerator <= 1e13 * 1e15 * 1e9 = 1e37; tolerance radicand <= 1e18 * 10 * 1e13
 * = 1e32; value and flat tax products <= (2^63)^2 = 2^126. */
#include "money.h"

#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef __int128 lr_i128;
__extension__ typedef unsigned __int128 lr_u128;

#define AREA_MAX_M2  1000000000000LL    /* 1e12 m^2 */
#define AREA_MAX_DM2 10000000000000LL   /* the same in tenths */
#define VND_MAX      1000000000000000LL /* 1e15 VND */
#define SCALE_MAX    1000000000LL       /* map scale denominator */
#define QUOTE_MAX    64                 /* characters of an input quoted in a message */

_Static_assert(AREA_MAX_DM2 == LR_MONEY_AREA_MAX_DM2, "money.h names the same bound");

/* ---- parsing ---- */

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Strip leading and trailing blanks of text: returns the first kept character, *len its length. */
static const char *
trim(const char *text, size_t *len)
{
    size_t n;

    while (is_blank(*text))
        text++;
    n = strlen(text);
    while (n > 0 && is_blank(text[n - 1]))
        n--;
    *len = n;
    return text;
}

/* True when s[0..n) is one or more decimal digits. */
static bool
all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* Split the trimmed text s[0..n) at its first '.': integer part [s, s+*ni), fractional part
 * [*frac, *frac+*nf). *frac is NULL when there is no '.'. */
static void
split_point(const char *s, size_t n, size_t *ni, const char **frac, size_t *nf)
{
    const char *dot = memchr(s, '.', n);

    *ni = dot ? (size_t)(dot - s) : n;
    *frac = dot ? dot + 1 : NULL;
    *nf = dot ? n - *ni - 1 : 0;
}

/* Value of the digits of s[0..n), skipping ',' (the caller has checked the syntax). Returns false
 * when the value exceeds max; *out is then unspecified. */
static bool
digits_value(const char *s, size_t n, int64_t max, int64_t *out)
{
    int64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',')
            continue;
        if (v > (max - (s[i] - '0')) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static enum lr_rc
input_error(struct lr_err *err, const char *what, const char *text, const char *problem)
{
    return lr_err_set(err, LR_ERR_INPUT, "%s '%.*s%s' %s", what, QUOTE_MAX, text,
                      strlen(text) > QUOTE_MAX ? "..." : "", problem);
}

/* Digits only, no sign, no exponent, no separators; '.' then one or more digits optional.
 * A NULL text is treated as empty. */
enum lr_rc
lr_money_parse_area(const char *text, int64_t *dm2, struct lr_err *err)
{
    const char *s, *frac;
    size_t n, ni, nf;
    int64_t m2, tenths;

    if (!text)
        text = "";
    s = trim(text, &n);
    split_point(s, n, &ni, &frac, &nf);
    if (!all_digits(s, ni) || (frac && !all_digits(frac, nf)))
        return input_error(err, "area", text, "is not a decimal number");
    if (!digits_value(s, ni, AREA_MAX_M2, &m2))
        return input_error(err, "area", text, "is larger than 1000000000000 m2");
    tenths = m2 * 10;
    if (nf >= 1)
        tenths += frac[0] - '0';
    if (nf >= 2 && frac[1] >= '5') /* half up: the rest is >= 0.05 iff the 2nd decimal is >= 5 */
        tenths++;
    if (tenths > AREA_MAX_DM2)
        return input_error(err, "area", text, "is larger than 1000000000000 m2");
    *dm2 = tenths;
    return LR_OK;
}

/* True when s[0..n) is "d", "dd" or "ddd" not starting with '0' followed by one or more ",ddd". */
static bool
grouped_digits(const char *s, size_t n)
{
    const char *comma = memchr(s, ',', n);
    size_t lead = comma ? (size_t)(comma - s) : n;

    if (!comma || lead == 0 || lead > 3 || s[0] == '0' || !all_digits(s, lead))
        return false;
    if ((n - lead) % 4 != 0)
        return false;
    for (size_t i = lead; i < n; i += 4)
        if (s[i] != ',' || !all_digits(s + i + 1, 3))
            return false;
    return true;
}

/* Plain digits or thousands groups ("1,500,000"), then optionally '.' and one or more digits,
 * rounded half up to whole VND. No sign, no other separator. A NULL text is treated as empty. */
enum lr_rc
lr_money_parse_vnd(const char *text, int64_t *vnd, struct lr_err *err)
{
    const char *s, *frac;
    size_t n, ni, nf;
    int64_t v;

    if (!text)
        text = "";
    s = trim(text, &n);
    split_point(s, n, &ni, &frac, &nf);
    if (!(all_digits(s, ni) || grouped_digits(s, ni)) || (frac && !all_digits(frac, nf)))
        return input_error(err, "amount", text, "is not a decimal number");
    if (!digits_value(s, ni, VND_MAX, &v))
        return input_error(err, "amount", text, "is larger than 1000000000000000 VND");
    if (nf >= 1 && frac[0] >= '5')
        v++;
    if (v > VND_MAX)
        return input_error(err, "amount", text, "is larger than 1000000000000000 VND");
    *vnd = v;
    return LR_OK;
}

/* ---- the one double ---- */

/* Exact: m2 is decomposed into mant * 2^e (53-bit integer mantissa) and 10 * m2 is rounded in
 * integers, so the binary value decides ties: 123.45 is stored as 123.4500000000000028... -> 1235,
 * 0.15 as 0.1499999999999999944... -> 1, 0.25 exactly -> 3. NaN, infinities, negative values and
 * values above 1e12 m^2 return -1; -0.0 returns 0. */
int64_t
lr_money_area_from_double(double m2)
{
    int e;
    double f;
    lr_u128 ten;

    if (isnan(m2) || isinf(m2) || m2 < 0 || m2 > (double)AREA_MAX_M2)
        return -1;
    if (m2 == 0)
        return 0;
    f = frexp(m2, &e); /* m2 = f * 2^e, 0.5 <= f < 1 */
    ten = (lr_u128)(uint64_t)ldexp(f, 53) * 10;
    e -= 53;       /* now 10 * m2 = ten * 2^e exactly, ten < 2^57 */
    assert(e < 0); /* m2 <= 1e12 < 2^40 */
    if (-e > 60)   /* ten * 2^e < 2^-3: rounds to 0 */
        return 0;
    return (int64_t)((ten + ((lr_u128)1 << (-e - 1))) >> -e);
}

/* ---- arithmetic ---- */

/* round_half_up(n / d) for n >= 0, d > 0. */
static lr_i128
div_half_up(lr_i128 n, lr_i128 d)
{
    lr_i128 q = n / d, r = n % d;

    assert(n >= 0 && d > 0);
    return r >= d - r ? q + 1 : q;
}

/* LR_ERR_INTERNAL unless lo <= v <= hi. */
static enum lr_rc
check_range(const char *what, int64_t v, int64_t lo, int64_t hi, struct lr_err *err)
{
    if (v < lo || v > hi)
        return lr_err_set(err, LR_ERR_INTERNAL, "%s %" PRId64 " is outside %" PRId64 "..%" PRId64,
                          what, v, lo, hi);
    return LR_OK;
}

/* Store r in *out, or LR_ERR_INTERNAL naming what when it does not fit int64. */
static enum lr_rc
store_i64(lr_i128 r, const char *what, int64_t *out, struct lr_err *err)
{
    if (r > INT64_MAX || r < INT64_MIN)
        return lr_err_set(err, LR_ERR_INTERNAL, "%s overflows 64 bits", what);
    *out = (int64_t)r;
    return LR_OK;
}

/* area_dm2 and price_vnd: any non-negative int64 (else LR_ERR_INTERNAL). */
enum lr_rc
lr_money_value(int64_t area_dm2, int64_t price_vnd, int64_t *value_vnd, struct lr_err *err)
{
    enum lr_rc rc;

    if ((rc = check_range("area", area_dm2, 0, INT64_MAX, err)) ||
        (rc = check_range("unit price", price_vnd, 0, INT64_MAX, err)))
        return rc;
    return store_i64(div_half_up((lr_i128)area_dm2 * price_vnd, 10), "value", value_vnd, err);
}

/* Bounds: area 0..1e13, price 0..1e15, limit >= 0, rates 0..1e9; LR_ERR_INTERNAL otherwise. */
enum lr_rc
lr_money_tax_residential(int64_t area_dm2, int64_t price_vnd, int64_t limit_dm2,
                         const int64_t rates_nano[3], int64_t *tax_vnd, struct lr_err *err)
{
    enum lr_rc rc;
    lr_i128 tier[3], num = 0;

    assert(rates_nano);
    if ((rc = check_range("area", area_dm2, 0, AREA_MAX_DM2, err)) ||
        (rc = check_range("unit price", price_vnd, 0, VND_MAX, err)) ||
        (rc = check_range("residential limit", limit_dm2, 0, INT64_MAX, err)))
        return rc;
    for (int i = 0; i < 3; i++)
        if ((rc = check_range("tax rate", rates_nano[i], 0, LR_NANO, err)))
            return rc;
    tier[0] = area_dm2 < limit_dm2 ? area_dm2 : limit_dm2;
    tier[1] = (area_dm2 < 3 * (lr_i128)limit_dm2 ? area_dm2 : 3 * (lr_i128)limit_dm2) - tier[0];
    tier[2] = area_dm2 - tier[0] - tier[1];
    for (int i = 0; i < 3; i++)
        num += tier[i] * price_vnd * rates_nano[i];
    return store_i64(div_half_up(num, 10 * (lr_i128)LR_NANO), "residential tax", tax_vnd, err);
}

/* Bounds: value >= 0, rate 0..1e9; LR_ERR_INTERNAL otherwise. */
enum lr_rc
lr_money_tax_flat(int64_t value_vnd, int64_t rate_nano, int64_t *tax_vnd, struct lr_err *err)
{
    enum lr_rc rc;

    if ((rc = check_range("value", value_vnd, 0, INT64_MAX, err)) ||
        (rc = check_range("tax rate", rate_nano, 0, LR_NANO, err)))
        return rc;
    return store_i64(div_half_up((lr_i128)value_vnd * rate_nano, LR_NANO), "flat tax", tax_vnd,
                     err);
}

/* floor(sqrt(n)), bit by bit. */
static lr_u128
isqrt_u128(lr_u128 n)
{
    lr_u128 res = 0, bit = (lr_u128)1 << 126;

    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= res + bit) {
            n -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    return res;
}

/* Regulation: with A = area_dm2, P = A / 10 m^2 and sqrt(P) = sqrt(10 A) / 10,
 *   tol_dm2 = round_half_up(10 * 0.0004 * M * sqrt(P)) = round_half_up(sqrt(M^2 * 10 A) / 2500)
 *           = floor((sqrt(S) + 1250) / 2500) = (isqrt(S) + 1250) / 2500,   S = M^2 * 10 A,
 * the last step exact because floor((x + c) / d) = floor((floor(x) + c) / d) for integers c, d. */
enum lr_rc
lr_money_tolerance_dm2(int64_t scale, int64_t area_dm2, int64_t fraction_nano, bool regulation,
                       int64_t *tol_dm2, struct lr_err *err)
{
    enum lr_rc rc;
    lr_u128 s;

    if ((rc = check_range("area", area_dm2, 0, AREA_MAX_DM2, err)))
        return rc;
    if (!regulation) {
        if ((rc = check_range("tolerance fraction", fraction_nano, 0, INT64_MAX, err)))
            return rc;
        return store_i64(div_half_up((lr_i128)area_dm2 * fraction_nano, LR_NANO), "tolerance",
                         tol_dm2, err);
    }
    if ((rc = check_range("map scale", scale, 1, SCALE_MAX, err)))
        return rc;
    s = (lr_u128)scale * (lr_u128)scale * 10 * (lr_u128)area_dm2;
    *tol_dm2 = (int64_t)((isqrt_u128(s) + 1250) / 2500);
    return LR_OK;
}

/* "%d.%d" with exactly one decimal; INT64_MIN and other negatives included. Truncates to size. */
void
lr_money_format_area(int64_t dm2, char *buf, size_t size)
{
    uint64_t mag = dm2 < 0 ? (uint64_t)0 - (uint64_t)dm2 : (uint64_t)dm2;

    assert(buf || size == 0);
    if (size == 0)
        return;
    snprintf(buf, size, "%s%" PRIu64 ".%u", dm2 < 0 ? "-" : "", mag / 10, (unsigned)(mag % 10));
}

/* ---- piece by piece ---- */

/* Largest remainder: pieces get the floors, then the units left go to the largest remainders. */
enum lr_rc
lr_money_split_dm2(int64_t total_dm2, const int64_t *weights, size_t n, int64_t *pieces_dm2,
                   struct lr_err *err)
{
    lr_i128 wsum = 0, given = 0;
    enum lr_rc rc;

    if ((rc = check_range("area", total_dm2, 0, AREA_MAX_DM2, err)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = check_range("piece weight", weights[i], 0, AREA_MAX_DM2, err)))
            return rc;
        wsum += weights[i];
    }
    if (wsum == 0)
        return lr_err_set(err, LR_ERR_INTERNAL, "cannot split an area over zero weights");
    for (size_t i = 0; i < n; i++) {
        pieces_dm2[i] = (int64_t)((lr_i128)total_dm2 * weights[i] / wsum);
        given += pieces_dm2[i];
    }
    for (lr_i128 left = total_dm2 - given; left > 0; left--) { /* left < n */
        size_t best = n;
        lr_i128 best_rem = -1;
        for (size_t i = 0; i < n; i++) {
            lr_i128 rem = (lr_i128)total_dm2 * weights[i] - (lr_i128)pieces_dm2[i] * wsum;
            /* a piece already topped up has rem < 0 */
            if (rem > best_rem) {
                best_rem = rem;
                best = i;
            }
        }
        assert(best < n);
        pieces_dm2[best]++;
    }
    return LR_OK;
}

/* sum(area_i * price_i) into *num after checking the bounds. */
static enum lr_rc
pieces_sum(const int64_t *area_dm2, const int64_t *price_vnd, size_t n, lr_i128 *num, lr_i128 *area,
           struct lr_err *err)
{
    enum lr_rc rc;

    *num = 0;
    *area = 0;
    if (n == 0)
        return lr_err_set(err, LR_ERR_INTERNAL, "no pieces to value");
    for (size_t i = 0; i < n; i++) {
        if ((rc = check_range("area", area_dm2[i], 0, AREA_MAX_DM2, err)) ||
            (rc = check_range("unit price", price_vnd[i], 0, VND_MAX, err)))
            return rc;
        *num += (lr_i128)area_dm2[i] * price_vnd[i]; /* <= 1e28 each */
        *area += area_dm2[i];
    }
    if (*area > AREA_MAX_DM2)
        return lr_err_set(err, LR_ERR_INTERNAL, "area of the pieces exceeds 1e13 dm2");
    return LR_OK;
}

enum lr_rc
lr_money_value_pieces(const int64_t *area_dm2, const int64_t *price_vnd, size_t n,
                      int64_t *value_vnd, struct lr_err *err)
{
    lr_i128 num, area;
    enum lr_rc rc = pieces_sum(area_dm2, price_vnd, n, &num, &area, err);

    if (rc != LR_OK)
        return rc;
    return store_i64(div_half_up(num, 10), "value", value_vnd, err);
}

/* With N = 10 V = sum(area_i * price_i) and R = sum_t tier_t * rate_t (both exact), the tax is
 * round_half_up(R * N / (A * 1e10)). R * N can pass 2^127 (R <= 1e22, N <= 9.3e19 once the value
 * is known to fit int64), so it is reduced in steps that stay below ~1e33: R = q A + r (q <= 1e9),
 * r N = x A + y, then R N / A = q N + x + y / A and Q = q N + x = u 1e10 + v, so R N / (A 1e10) = u
 * + (v A + y) / (A 1e10), all exact. */
enum lr_rc
lr_money_tax_residential_pieces(const int64_t *area_dm2, const int64_t *price_vnd, size_t n,
                                int64_t limit_dm2, const int64_t rates_nano[3], int64_t *tax_vnd,
                                struct lr_err *err)
{
    lr_i128 num, a, tier[3], rsum = 0, q, r, x, y, big, u, v, frac, den;
    enum lr_rc rc = pieces_sum(area_dm2, price_vnd, n, &num, &a, err);

    if (rc == LR_OK)
        rc = check_range("residential limit", limit_dm2, 0, INT64_MAX, err);
    for (int i = 0; rc == LR_OK && i < 3; i++)
        rc = check_range("tax rate", rates_nano[i], 0, LR_NANO, err);
    if (rc != LR_OK)
        return rc;
    if (num > 10 * (lr_i128)INT64_MAX) /* the value itself must fit: keeps r * num < 1e33 */
        return lr_err_set(err, LR_ERR_INTERNAL, "value overflows 64 bits");
    if (a == 0) {
        *tax_vnd = 0;
        return LR_OK;
    }
    tier[0] = a < limit_dm2 ? a : limit_dm2;
    tier[1] = (a < 3 * (lr_i128)limit_dm2 ? a : 3 * (lr_i128)limit_dm2) - tier[0];
    tier[2] = a - tier[0] - tier[1];
    for (int i = 0; i < 3; i++)
        rsum += tier[i] * rates_nano[i]; /* <= 1e22 */
    q = rsum / a, r = rsum % a;          /* q <= 1e9, r < a <= 1e13 */
    x = r * num / a, y = r * num % a;    /* r * num < 1e13 * 9.3e19 */
    big = q * num + x;
    den = 10 * (lr_i128)LR_NANO;
    u = big / den, v = big % den;
    frac = v * a + y; /* < 1e10 * 1e13 + 1e13 */
    return store_i64(u + (2 * frac >= den * a ? 1 : 0), "residential tax", tax_vnd, err);
}

enum lr_rc
lr_money_average_price(const int64_t *area_dm2, const int64_t *price_vnd, size_t n,
                       int64_t *price_out, struct lr_err *err)
{
    lr_i128 num, area;
    enum lr_rc rc = pieces_sum(area_dm2, price_vnd, n, &num, &area, err);

    if (rc != LR_OK)
        return rc;
    if (area == 0) {
        *price_out = price_vnd[0];
        return LR_OK;
    }
    return store_i64(div_half_up(num, area), "average price", price_out, err);
}
