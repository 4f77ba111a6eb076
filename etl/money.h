/* money.h - exact decimal arithmetic for areas, prices, values and taxes.
 *
 * Areas are int64 tenths of a square metre ("dm2" in names: deci-m^2, 12.3 m^2 -> 123).
 * Prices and money are int64 whole VND. Rates are int64 fixed point with LR_NANO (1e9) scale.
 * Nothing here uses binary floating point; intermediate products use __int128 and every result
 * is checked against int64 bounds (LR_ERR_INTERNAL with a message on overflow). */
#ifndef LR_MONEY_H
#define LR_MONEY_H

#include "core.h"

/* The largest area the money functions take, in tenths of m^2 (1e12 m^2). */
#define LR_MONEY_AREA_MAX_DM2 10000000000000LL

/* Parse a decimal area text ("412", "412.05", " 412,5 " is rejected, "1.234,5" rejected) into
 * tenths of m^2, rounding half up at the second decimal. Leading/trailing spaces allowed.
 * Negative, empty or non-numeric text is LR_ERR_INPUT. */
enum lr_rc lr_money_parse_area(const char *text, int64_t *dm2, struct lr_err *err);

/* Parse a price or money text in whole VND ("1500000", "1500000.00", "1,500,000" with commas as
 * thousands separators) into *vnd; a fractional part is rounded half up. LR_ERR_INPUT otherwise. */
enum lr_rc lr_money_parse_vnd(const char *text, int64_t *vnd, struct lr_err *err);

/* Round a geometric area (m^2, from GEOS) to tenths of m^2, half away from zero. The one place a
 * binary double becomes an area; documented so it happens once per parcel. */
int64_t lr_money_area_from_double(double m2);

/* Allowed difference between map and recorded area, in tenths of m^2, for a recorded area of
 * area_dm2 (0..1e13). regulation: round_half_up(0.0004 * scale * sqrt(P) m^2) with P the area in
 * m^2 and scale the map scale denominator (1..1e9), computed exactly with an integer square root
 * (DOMAIN.md "Area tolerance"); otherwise round_half_up(area_dm2 * fraction_nano / 1e9) with
 * fraction_nano >= 0 and scale ignored. Out-of-range arguments are LR_ERR_INTERNAL. */
enum lr_rc lr_money_tolerance_dm2(int64_t scale, int64_t area_dm2, int64_t fraction_nano,
                                  bool regulation, int64_t *tol_dm2, struct lr_err *err);

/* value_vnd = round_half_up(area_dm2 / 10 * price_vnd). */
enum lr_rc lr_money_value(int64_t area_dm2, int64_t price_vnd, int64_t *value_vnd,
                          struct lr_err *err);

/* Residential progressive tax: the value share of the area up to limit at rates[0], from limit to
 * 3*limit at rates[1], above at rates[2]; summed exactly, rounded half up once at the end.
 * Each tier's value is (area in tier) * price; rates in LR_NANO. */
enum lr_rc lr_money_tax_residential(int64_t area_dm2, int64_t price_vnd, int64_t limit_dm2,
                                    const int64_t rates_nano[3], int64_t *tax_vnd,
                                    struct lr_err *err);

/* Flat tax: round_half_up(value_vnd * rate_nano / 1e9). */
enum lr_rc lr_money_tax_flat(int64_t value_vnd, int64_t rate_nano, int64_t *tax_vnd,
                             struct lr_err *err);

/* Format tenths of m^2 as "412.0" into buf (at least 32 bytes). */
void lr_money_format_area(int64_t dm2, char *buf, size_t size);

/* ---- piece by piece (valuation.method: piecewise): added for issue 10 ---- */

/* Split total_dm2 (0..1e13) into n integer pieces proportional to weights (each 0..1e13, not all
 * zero): piece i gets floor(total * w_i / W), and the units still missing go one each to the
 * largest remainders (ties: lower index first), so the pieces sum to total exactly. */
enum lr_rc lr_money_split_dm2(int64_t total_dm2, const int64_t *weights, size_t n,
                              int64_t *pieces_dm2, struct lr_err *err);

/* value_vnd = round_half_up(sum(area_dm2[i] * price_vnd[i]) / 10): the pieces are valued
 * exactly and rounded once. n >= 1; areas 0..1e13, prices 0..1e15. */
enum lr_rc lr_money_value_pieces(const int64_t *area_dm2, const int64_t *price_vnd, size_t n,
                                 int64_t *value_vnd, struct lr_err *err);

/* Residential tax of a parcel valued piece by piece. The tiers are by the whole parcel's area
 * A = sum(area_dm2) against limit_dm2, and every square metre carries the parcel's average unit
 * price V / A, V = sum(area_i * price_i) / 10 the exact value: tax = round_half_up(
 * sum_t tier_t * rate_t * V / (A * 1e9)). Equal to lr_money_tax_residential when all prices are
 * equal (in particular when n == 1). Bounds as lr_money_value_pieces; 0 when A == 0. */
enum lr_rc lr_money_tax_residential_pieces(const int64_t *area_dm2, const int64_t *price_vnd,
                                           size_t n, int64_t limit_dm2, const int64_t rates_nano[3],
                                           int64_t *tax_vnd, struct lr_err *err);

/* Average unit price of pieces: round_half_up(sum(area_i * price_i) / sum(area_i)); the first
 * price when the total area is 0. Bounds as lr_money_value_pieces. */
enum lr_rc lr_money_average_price(const int64_t *area_dm2, const int64_t *price_vnd, size_t n,
                                  int64_t *price_out, struct lr_err *err);

#endif
