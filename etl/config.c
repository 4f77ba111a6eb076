/* config.c - strict YAML batch configuration (see config.h and SPEC.md "Config (YAML)").
 *
 * The schema is a tree of tables: each section lists its keys with a kind (text, path, number,
 * decimal, enum, nested section or a handler) and the offset of the field it fills. One walker
 * checks every mapping against its table, so unknown keys, wrong types and missing required keys
 * are reported the same way everywhere: "FILE:LINE: message naming 'the.key.path'". */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_MAX_BYTES (1u << 20) /* a config is a few kB; refuse anything absurd */
#define KEY_PATH_MAX     256
#define MAX_SECTION_KEYS 16
#define NO_MAX           INT64_MAX

struct ctx {
    struct lr_config *cfg;
    const char *file; /* the config path, for messages */
    struct lr_err *err;
};

enum key_kind {
    K_STR,     /* char *, copied */
    K_PATH,    /* char *, resolved against the config's folder */
    K_INT,     /* int, whole number in [lo, hi] */
    K_I32,     /* int32_t, whole number in [lo, hi] */
    K_NANO,    /* int64_t fixed point LR_NANO, in [lo, hi] (nano units) */
    K_DOUBLE,  /* double parsed as an exact decimal, in [lo, hi] (nano units) */
    K_BOOL,    /* bool, true | false */
    K_ENUM,    /* int-sized enum, one of the names of .enums */
    K_SECTION, /* nested mapping, .section, at base + off */
    K_FN,      /* anything else: .fn */
};

#define KF_REQUIRED 1u

struct key_spec;
struct section {
    const struct key_spec *keys;
    size_t n;
};

struct enum_name {
    const char *name;
    int value;
    bool hidden; /* accepted alias, not listed in messages */
};

typedef enum lr_rc (*key_fn)(struct ctx *c, struct fy_node *val, void *base, const char *path,
                             int line);

struct key_spec {
    const char *name;
    enum key_kind kind;
    unsigned flags;
    size_t off;
    int64_t lo, hi;
    const struct section *section;
    const struct enum_name *enums; /* terminated by a NULL name */
    key_fn fn;
};

_Static_assert(sizeof(enum lr_encoding) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum lr_repair_method) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum lr_value_method) == sizeof(int), "enums are stored as int");

/* ---- messages ---- */

static enum lr_rc fail(struct ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record "FILE:LINE: message" as LR_ERR_CONFIG. */
static enum lr_rc
fail(struct ctx *c, int line, const char *fmt, ...)
{
    char msg[LR_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return lr_err_set(c->err, LR_ERR_CONFIG, "%s:%d: %s", c->file, line, msg);
}

static enum lr_rc
nomem(struct ctx *c)
{
    return lr_err_set(c->err, LR_ERR_NOMEM, "out of memory reading config '%s'", c->file);
}

/* ---- nodes ---- */

/* 1-based line of a node: its scalar token, else its first child; fallback when unknown. */
static int
node_line(struct fy_node *n, int fallback)
{
    void *it = NULL;
    struct fy_token *tok;
    struct fy_node_pair *pair;
    struct fy_node *item;

    if (!n)
        return fallback;
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR:
        tok = fy_node_get_scalar_token(n);
        return tok && fy_token_start_mark(tok) ? fy_token_start_mark(tok)->line + 1 : fallback;
    case FYNT_MAPPING:
        pair = fy_node_mapping_iterate(n, &it);
        return pair ? node_line(fy_node_pair_key(pair), fallback) : fallback;
    case FYNT_SEQUENCE:
        item = fy_node_sequence_iterate(n, &it);
        return item ? node_line(item, fallback) : fallback;
    }
    return fallback;
}

static const char *
node_kind_name(struct fy_node *n)
{
    if (fy_node_is_mapping(n))
        return "a mapping";
    if (fy_node_is_sequence(n))
        return "a list";
    return "a single value";
}

/* True for a missing value: no node, an empty plain scalar, '~' or 'null'. */
static bool
node_is_null(struct fy_node *n)
{
    const char *s;

    if (!n)
        return true;
    if (!fy_node_is_scalar(n) || fy_node_get_style(n) != FYNS_PLAIN)
        return false;
    s = fy_node_get_scalar0(n);
    return !s || !s[0] || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0;
}

/* The text of a scalar value into *s; an error naming path when it is missing or not a scalar. */
static enum lr_rc
scalar_text(struct ctx *c, struct fy_node *val, const char *path, int line, const char **s)
{
    if (node_is_null(val))
        return fail(c, line, "'%s' has no value: give one or remove the key", path);
    if (!fy_node_is_scalar(val))
        return fail(c, line, "'%s' must be a single value, not %s", path, node_kind_name(val));
    *s = fy_node_get_scalar0(val);
    return *s ? LR_OK : nomem(c);
}

static void
child_path(char *buf, size_t size, const char *path, const char *name)
{
    snprintf(buf, size, "%s%s%.100s", path, path[0] ? "." : "", name);
}

/* ---- decimals ---- */

/* Format a LR_NANO value as a short decimal ("0.05", "-3"). */
static void
format_nano(int64_t v, char *buf, size_t size)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t frac = mag % (uint64_t)LR_NANO;
    int digits = 9;

    while (frac && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    if (frac)
        snprintf(buf, size, "%s%llu.%0*llu", v < 0 ? "-" : "",
                 (unsigned long long)(mag / (uint64_t)LR_NANO), digits, (unsigned long long)frac);
    else
        snprintf(buf, size, "%s%llu", v < 0 ? "-" : "",
                 (unsigned long long)(mag / (uint64_t)LR_NANO));
}

enum lr_rc
lr_config_parse_nano(const char *text, int64_t *out, struct lr_err *err)
{
    const char *p = text;
    bool neg = false, big = false;
    uint64_t ip = 0, fp = 0, mag, limit;
    int n_int = 0, n_frac = 0;

    if (!text || !text[0])
        return lr_err_set(err, LR_ERR_CONFIG, "empty decimal: give a number such as 0.05");
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    for (; isdigit((unsigned char)*p); p++, n_int++) {
        if (ip > 100000000000ULL)
            big = true;
        else
            ip = ip * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++, n_frac++)
            if (n_frac < 9)
                fp = fp * 10 + (uint64_t)(*p - '0');
    if (*p || n_int + n_frac == 0)
        return lr_err_set(err, LR_ERR_CONFIG,
                          "invalid decimal '%.64s': use digits with an optional '.', e.g. 0.05",
                          text);
    if (n_frac > 9)
        return lr_err_set(err, LR_ERR_CONFIG, "decimal '%.64s' has more than 9 decimals", text);
    for (int i = n_frac; i < 9; i++)
        fp *= 10;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (big || ip > limit / (uint64_t)LR_NANO || ip * (uint64_t)LR_NANO > limit - fp)
        return lr_err_set(err, LR_ERR_CONFIG, "decimal '%.64s' is out of range", text);
    mag = ip * (uint64_t)LR_NANO + fp;
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return LR_OK;
}

/* Parse a decimal scalar into nano units within [lo, hi]. */
static enum lr_rc
get_nano(struct ctx *c, struct fy_node *val, int64_t lo, int64_t hi, int64_t *out, const char *path,
         int line)
{
    struct lr_err scratch;
    const char *s = NULL;
    enum lr_rc rc;
    char bound[48];
    int64_t v;

    rc = scalar_text(c, val, path, line, &s);
    if (rc != LR_OK)
        return rc;
    lr_err_clear(&scratch);
    if (lr_config_parse_nano(s, &v, &scratch) != LR_OK)
        return fail(c, line,
                    "'%s' must be a decimal number such as 0.05 (at most 9 decimals), "
                    "not '%.64s'",
                    path, s);
    if (v < lo || v > hi) {
        format_nano(v < lo ? lo : hi, bound, sizeof(bound));
        return fail(c, line, "'%s' must be at %s %s, not '%.64s'", path, v < lo ? "least" : "most",
                    bound, s);
    }
    *out = v;
    return LR_OK;
}

/* Parse a whole-number scalar within [lo, hi]. */
static enum lr_rc
get_int(struct ctx *c, struct fy_node *val, int64_t lo, int64_t hi, int64_t *out, const char *path,
        int line)
{
    const char *s = NULL;
    enum lr_rc rc;
    char *end = NULL;
    long long v;

    rc = scalar_text(c, val, path, line, &s);
    if (rc != LR_OK)
        return rc;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (!isdigit((unsigned char)s[s[0] == '-' || s[0] == '+']) || *end || errno == ERANGE)
        return fail(c, line, "'%s' must be a whole number, not '%.64s'", path, s);
    if (v < lo || v > hi)
        return fail(c, line, "'%s' must be at %s %lld, not '%.64s'", path,
                    v < lo ? "least" : "most", (long long)(v < lo ? lo : hi), s);
    *out = v;
    return LR_OK;
}

/* ---- scalar keys ---- */

static enum lr_rc
set_string(struct ctx *c, const struct key_spec *k, struct fy_node *val, void *base,
           const char *path, int line)
{
    char **slot = (char **)(void *)((char *)base + k->off);
    const char *s = NULL;
    enum lr_rc rc;
    char *copy;

    rc = scalar_text(c, val, path, line, &s);
    if (rc != LR_OK)
        return rc;
    if (!s[0])
        return fail(c, line, "'%s' is empty: give a value or remove the key", path);
    copy = k->kind == K_PATH ? lr_path_join(c->cfg->dir, s) : lr_strdup(s);
    if (!copy)
        return nomem(c);
    free(*slot);
    *slot = copy;
    return LR_OK;
}

static enum lr_rc
set_enum(struct ctx *c, const struct key_spec *k, struct fy_node *val, void *base, const char *path,
         int line)
{
    const char *s = NULL;
    struct lr_buf names;
    enum lr_rc rc;

    rc = scalar_text(c, val, path, line, &s);
    if (rc != LR_OK)
        return rc;
    for (const struct enum_name *e = k->enums; e->name; e++) {
        if (strcasecmp(e->name, s) == 0) {
            *(int *)(void *)((char *)base + k->off) = e->value;
            return LR_OK;
        }
    }
    lr_buf_init(&names);
    for (const struct enum_name *e = k->enums; e->name; e++)
        if (!e->hidden && lr_buf_addf(&names, "%s%s", names.len ? ", " : "", e->name) != LR_OK)
            break;
    if (!names.data)
        rc = nomem(c);
    else
        rc = fail(c, line, "'%s' must be one of %s, not '%.64s'", path, names.data, s);
    lr_buf_release(&names);
    return rc;
}

static enum lr_rc
set_bool(struct ctx *c, const struct key_spec *k, struct fy_node *val, void *base, const char *path,
         int line)
{
    const char *s = NULL;
    enum lr_rc rc;
    bool *slot = (bool *)(void *)((char *)base + k->off);

    rc = scalar_text(c, val, path, line, &s);
    if (rc != LR_OK)
        return rc;
    if (strcasecmp(s, "true") == 0)
        *slot = true;
    else if (strcasecmp(s, "false") == 0)
        *slot = false;
    else
        return fail(c, line, "'%s' must be true or false, not '%.64s'", path, s);
    return LR_OK;
}

static enum lr_rc
set_number(struct ctx *c, const struct key_spec *k, struct fy_node *val, void *base,
           const char *path, int line)
{
    void *slot = (char *)base + k->off;
    int64_t v = 0;
    enum lr_rc rc;

    if (k->kind == K_INT || k->kind == K_I32)
        rc = get_int(c, val, k->lo, k->hi, &v, path, line);
    else
        rc = get_nano(c, val, k->lo, k->hi, &v, path, line);
    if (rc != LR_OK)
        return rc;
    if (k->kind == K_INT)
        *(int *)slot = (int)v;
    else if (k->kind == K_I32)
        *(int32_t *)slot = (int32_t)v;
    else if (k->kind == K_NANO)
        *(int64_t *)slot = v;
    else
        *(double *)slot = (double)v / (double)LR_NANO; /* not money: thresholds and ratios */
    return LR_OK;
}

/* ---- sections ---- */

static enum lr_rc parse_section(struct ctx *c, struct fy_node *map, const struct section *sec,
                                void *base, const char *path, int line);

static enum lr_rc
parse_value(struct ctx *c, const struct key_spec *k, struct fy_node *val, void *base,
            const char *path, int line)
{
    switch (k->kind) {
    case K_STR:
    case K_PATH:
        return set_string(c, k, val, base, path, line);
    case K_INT:
    case K_I32:
    case K_NANO:
    case K_DOUBLE:
        return set_number(c, k, val, base, path, line);
    case K_BOOL:
        return set_bool(c, k, val, base, path, line);
    case K_ENUM:
        return set_enum(c, k, val, base, path, line);
    case K_SECTION:
        return parse_section(c, val, k->section, (char *)base + k->off, path, line);
    case K_FN:
        return k->fn(c, val, base, path, line);
    }
    return lr_err_set(c->err, LR_ERR_INTERNAL, "config key '%s' has no parser", path);
}

static enum lr_rc
unknown_key(struct ctx *c, const struct section *sec, const char *name, const char *path, int line)
{
    const char *best = NULL;
    int best_d = 1000;
    struct lr_buf known;
    char where[KEY_PATH_MAX + 8] = "";
    enum lr_rc rc;

    if (path[0])
        snprintf(where, sizeof(where), " in '%s'", path);
    for (size_t i = 0; i < sec->n; i++) {
        int d = lr_edit_distance(name, sec->keys[i].name);
        if (d < best_d) {
            best_d = d;
            best = sec->keys[i].name;
        }
    }
    if (best && best_d <= 3 && best_d < (int)strlen(best))
        return fail(c, line, "unknown key '%.64s'%s (did you mean '%s'?)", name, where, best);
    lr_buf_init(&known);
    for (size_t i = 0; i < sec->n; i++)
        if (lr_buf_addf(&known, "%s%s", i ? ", " : "", sec->keys[i].name) != LR_OK)
            break;
    if (!known.data)
        rc = nomem(c);
    else
        rc = fail(c, line, "unknown key '%.64s'%s: known keys are %s", name, where, known.data);
    lr_buf_release(&known);
    return rc;
}

/* Report the first required key of sec that was not seen (a missing required section reports its
 * own first required key). */
static enum lr_rc
check_required(struct ctx *c, const struct section *sec, const bool *seen, void *base,
               const char *path, int line)
{
    char sub[KEY_PATH_MAX];

    for (size_t i = 0; i < sec->n; i++) {
        const struct key_spec *k = &sec->keys[i];
        if (seen[i] || !(k->flags & KF_REQUIRED))
            continue;
        child_path(sub, sizeof(sub), path, k->name);
        if (k->kind == K_SECTION)
            return parse_section(c, NULL, k->section, (char *)base + k->off, sub, line);
        return fail(c, line, "missing required key '%s'", sub);
    }
    return LR_OK;
}

/* Fill base from the mapping map (NULL or null: no keys) as sec describes. */
static enum lr_rc
parse_section(struct ctx *c, struct fy_node *map, const struct section *sec, void *base,
              const char *path, int line)
{
    bool seen[MAX_SECTION_KEYS] = { false };
    char sub[KEY_PATH_MAX];
    struct fy_node_pair *pair;
    void *it = NULL;
    enum lr_rc rc;

    assert(sec->n <= MAX_SECTION_KEYS);
    if (!node_is_null(map) && !fy_node_is_mapping(map))
        return fail(c, line, "'%s' must be a mapping of keys, not %s", path[0] ? path : "config",
                    node_kind_name(map));
    while (map && fy_node_is_mapping(map) && (pair = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *key = fy_node_pair_key(pair);
        int kline = node_line(key, line);
        const char *name = key && fy_node_is_scalar(key) ? fy_node_get_scalar0(key) : NULL;
        size_t i;

        if (!name)
            return fail(c, kline, "keys in '%s' must be plain names", path[0] ? path : "config");
        for (i = 0; i < sec->n && strcmp(sec->keys[i].name, name) != 0; i++)
            ;
        if (i == sec->n)
            return unknown_key(c, sec, name, path, kline);
        seen[i] = true;
        child_path(sub, sizeof(sub), path, name);
        rc = parse_value(c, &sec->keys[i], fy_node_pair_value(pair), base, sub, kline);
        if (rc != LR_OK)
            return rc;
    }
    return check_required(c, sec, seen, base, path, line);
}

/* ---- handlers for keys that are not plain values ---- */

static enum lr_rc
key_area_tolerance(struct ctx *c, struct fy_node *val, void *base, const char *path, int line)
{
    struct lr_config *cfg = base;
    const char *s = NULL;
    enum lr_rc rc;

    rc = scalar_text(c, val, path, line, &s);
    if (rc != LR_OK)
        return rc;
    if (strcasecmp(s, "regulation") == 0) {
        cfg->tolerance_regulation = true;
        return LR_OK;
    }
    if (!isdigit((unsigned char)s[0]) && s[0] != '.')
        return fail(c, line, "'%s' must be 'regulation' or a fraction such as 0.05, not '%.64s'",
                    path, s);
    cfg->tolerance_regulation = false;
    return get_nano(c, val, 1, LR_NANO, &cfg->tolerance_fraction_nano, path, line);
}

/* A limit in m^2 as exact tenths: "200" -> 2000, "200.5" -> 2005. */
static enum lr_rc
get_limit_dm2(struct ctx *c, struct fy_node *val, int64_t *dm2, const char *path, int line)
{
    int64_t nano = 0;
    enum lr_rc rc = get_nano(c, val, 1, NO_MAX, &nano, path, line);

    if (rc != LR_OK)
        return rc;
    if (nano % (LR_NANO / 10) != 0)
        return fail(c, line, "'%s' must have at most one decimal (tenths of m2), not '%.64s'", path,
                    fy_node_get_scalar0(val));
    *dm2 = nano / (LR_NANO / 10);
    return LR_OK;
}

static int
cmp_commune_limit(const void *a, const void *b)
{
    const struct lr_commune_limit *x = a, *y = b;
    return (x->new_commune > y->new_commune) - (x->new_commune < y->new_commune);
}

/* One "CODE: limit" entry of a per-commune residential limit mapping. */
static enum lr_rc
commune_limit_entry(struct ctx *c, struct fy_node_pair *pair, const char *path, int line)
{
    struct lr_config *cfg = c->cfg;
    const char *code = fy_node_get_scalar0(fy_node_pair_key(pair));
    struct lr_commune_limit *lim;
    char sub[KEY_PATH_MAX];
    char *end = NULL;
    enum lr_rc rc;
    long v;

    snprintf(sub, sizeof(sub), "%s.%.32s", path, code ? code : "?");
    if (code && strcmp(code, "default") == 0)
        return get_limit_dm2(c, fy_node_pair_value(pair), &cfg->residential_limit_dm2, sub, line);
    v = code && isdigit((unsigned char)code[0]) && strlen(code) <= 9 ? strtol(code, &end, 10) : -1;
    if (v < 0 || !end || *end)
        return fail(c, line, "keys of '%s' must be new commune codes or 'default', not '%.32s'",
                    path, code ? code : "?");
    for (size_t i = 0; i < cfg->n_commune_limits; i++)
        if (cfg->commune_limits[i].new_commune == (int32_t)v)
            return fail(c, line, "commune '%s' appears twice in '%s'", code, path);
    lim = &cfg->commune_limits[cfg->n_commune_limits];
    lim->new_commune = (int32_t)v;
    rc = get_limit_dm2(c, fy_node_pair_value(pair), &lim->limit_dm2, sub, line);
    if (rc == LR_OK)
        cfg->n_commune_limits++;
    return rc;
}

/* residential_limit_m2: a number, or a mapping new_commune_code -> number with optional default.
 * The per-commune list is sorted by commune code. */
static enum lr_rc
key_residential_limit(struct ctx *c, struct fy_node *val, void *base, const char *path, int line)
{
    struct lr_config *cfg = base;
    struct fy_node_pair *pair;
    void *it = NULL;
    enum lr_rc rc;
    int n;

    if (!val || !fy_node_is_mapping(val))
        return get_limit_dm2(c, val, &cfg->residential_limit_dm2, path, line);
    n = fy_node_mapping_item_count(val);
    free(cfg->commune_limits);
    cfg->n_commune_limits = 0;
    cfg->commune_limits = calloc(n > 0 ? (size_t)n : 1, sizeof(*cfg->commune_limits));
    if (!cfg->commune_limits)
        return nomem(c);
    while ((pair = fy_node_mapping_iterate(val, &it))) {
        rc = commune_limit_entry(c, pair, path, node_line(fy_node_pair_key(pair), line));
        if (rc != LR_OK)
            return rc;
    }
    qsort(cfg->commune_limits, cfg->n_commune_limits, sizeof(*cfg->commune_limits),
          cmp_commune_limit);
    return LR_OK;
}

static enum lr_rc
key_tax_residential(struct ctx *c, struct fy_node *val, void *base, const char *path, int line)
{
    struct lr_config *cfg = base;
    struct fy_node *item;
    char sub[KEY_PATH_MAX];
    void *it = NULL;
    enum lr_rc rc;
    int n = 0;

    if (!val || !fy_node_is_sequence(val))
        return fail(c, line,
                    "'%s' must be a list of 3 rates, e.g. [0.0003, 0.0007, 0.0015], not %s", path,
                    node_is_null(val) ? "nothing" : node_kind_name(val));
    if (fy_node_sequence_item_count(val) != 3)
        return fail(c, line,
                    "'%s' has %d rates: give exactly 3 (up to the limit, up to 3x the limit, "
                    "above), e.g. [0.0003, 0.0007, 0.0015]",
                    path, fy_node_sequence_item_count(val));
    while ((item = fy_node_sequence_iterate(val, &it))) {
        snprintf(sub, sizeof(sub), "%s[%d]", path, n);
        rc = get_nano(c, item, 0, LR_NANO, &cfg->tax_residential_nano[n], sub,
                      node_line(item, line));
        if (rc != LR_OK)
            return rc;
        n++;
    }
    return LR_OK;
}

/* ---- the schema ---- */

#define KEY(n, k, t, f) .name = n, .kind = k, .off = offsetof(t, f)
#define SECTION(keys)   keys, LR_ARRAY_LEN(keys)
/* A section whose keys fill the same struct as its parent. */
#define SUB(n, sec) .name = n, .kind = K_SECTION, .off = 0, .section = sec

static const struct enum_name encoding_names[] = {
    { "UTF-8", LR_ENC_UTF8, false },    { "utf8", LR_ENC_UTF8, true },
    { "TCVN3", LR_ENC_TCVN3, false },   { "VNI", LR_ENC_VNI, false },
    { "CP1258", LR_ENC_CP1258, false }, { "VISCII", LR_ENC_VISCII, false },
    { "auto", LR_ENC_AUTO, false },     { NULL, 0, false },
};
static const struct enum_name repair_names[] = {
    { "structure", LR_REPAIR_STRUCTURE, false },
    { "linework", LR_REPAIR_LINEWORK, false },
    { NULL, 0, false },
};
static const struct enum_name method_names[] = {
    { "interior_point", LR_VALUE_INTERIOR_POINT, false },
    { "piecewise", LR_VALUE_PIECEWISE, false },
    { NULL, 0, false },
};

#define FM(n) KEY(#n, K_STR, struct lr_fieldmap, n)
static const struct key_spec fieldmap_keys[] = {
    { FM(commune), .flags = KF_REQUIRED },
    { FM(sheet), .flags = KF_REQUIRED },
    { FM(parcel), .flags = KF_REQUIRED },
    { FM(land_use) },
    { FM(area) },
    { FM(scale) },
    { FM(owner_name) },
    { FM(owner_id) },
    { FM(certificate) },
    { FM(address) },
    { FM(place) },
};
static const struct section fieldmap_section = { SECTION(fieldmap_keys) };

#define SRC(n, k, f) KEY(n, k, struct lr_source, f)
static const struct key_spec map_keys[] = {
    { SRC("path", K_PATH, path), .flags = KF_REQUIRED },
    { SRC("layer", K_STR, layer) },
    { SRC("crs", K_STR, crs) },
    { SRC("force", K_BOOL, force) },
    { SRC("encoding", K_ENUM, encoding), .enums = encoding_names },
    { SRC("scale", K_I32, scale), .lo = 1, .hi = 100000000 },
    { SRC("sql", K_STR, sql) },
    { SRC("crs_pipeline", K_STR, crs_pipeline) },
    { SRC("fields", K_SECTION, fields), .flags = KF_REQUIRED, .section = &fieldmap_section },
};
static const struct section map_section = { SECTION(map_keys) };

static const struct key_spec register_keys[] = {
    { SRC("path", K_PATH, path) },
    { SRC("layer", K_STR, layer) },
    { SRC("crs", K_STR, crs) },
    { SRC("force", K_BOOL, force) },
    { SRC("encoding", K_ENUM, encoding), .enums = encoding_names },
    { SRC("query", K_STR, query) },
    { SRC("url", K_STR, url) },
    { SRC("sql", K_STR, sql) },
    { SRC("fields", K_SECTION, fields), .flags = KF_REQUIRED, .section = &fieldmap_section },
};
static const struct section register_section = { SECTION(register_keys) };

static const struct key_spec zone_field_keys[] = {
    { KEY("zone", K_STR, struct lr_zone_fields, zone) },
    { KEY("land_use", K_STR, struct lr_zone_fields, land_use) },
    { KEY("position", K_STR, struct lr_zone_fields, position) },
    { KEY("price", K_STR, struct lr_zone_fields, price) },
};
static const struct section zone_field_section = { SECTION(zone_field_keys) };

#define CFG(n, k, f) KEY(n, k, struct lr_config, f)
static const struct key_spec price_zone_keys[] = {
    { CFG("path", K_PATH, price_zones.path), .flags = KF_REQUIRED },
    { CFG("layer", K_STR, price_zones.layer) },
    { CFG("crs", K_STR, price_zones.crs) },
    { CFG("fields", K_SECTION, zone_fields), .section = &zone_field_section },
};
static const struct section price_zone_section = { SECTION(price_zone_keys) };

static enum lr_rc key_maps(struct ctx *c, struct fy_node *val, void *base, const char *path,
                           int line);
static enum lr_rc key_register(struct ctx *c, struct fy_node *val, void *base, const char *path,
                               int line);

static const struct key_spec sources_keys[] = {
    { CFG("maps", K_FN, maps), .flags = KF_REQUIRED, .fn = key_maps },
    { CFG("register", K_FN, registers), .flags = KF_REQUIRED, .fn = key_register },
    { SUB("price_zones", &price_zone_section), .flags = KF_REQUIRED },
};
static const struct section sources_section = { SECTION(sources_keys) };

static const struct key_spec run_keys[] = {
    { CFG("name", K_STR, run_name) },
    { CFG("output", K_PATH, output) },
    { CFG("jobs", K_INT, jobs), .lo = 0, .hi = 4096 },
};
static const struct key_spec communes_keys[] = {
    { CFG("crosswalk", K_PATH, crosswalk), .flags = KF_REQUIRED },
    { CFG("boundaries", K_PATH, boundaries) },
};
static const struct key_spec validate_keys[] = {
    { CFG("repair", K_ENUM, repair), .enums = repair_names },
    { CFG("sliver_thinness", K_DOUBLE, sliver_thinness), .lo = 0, .hi = LR_NANO },
    { CFG("min_overlap_m2", K_DOUBLE, min_overlap_m2), .lo = 0, .hi = NO_MAX },
    { CFG("min_gap_m2", K_DOUBLE, min_gap_m2), .lo = 0, .hi = NO_MAX },
    { CFG("spike_angle_deg", K_DOUBLE, spike_angle_deg), .lo = 0, .hi = 180 * LR_NANO },
    { CFG("max_repair_loss", K_DOUBLE, max_repair_loss), .lo = 0, .hi = LR_NANO },
};
static const struct key_spec match_keys[] = {
    { CFG("area_tolerance", K_FN, tolerance_fraction_nano), .fn = key_area_tolerance },
    { CFG("default_scale", K_I32, default_scale), .lo = 1, .hi = 100000000 },
    { CFG("corrections", K_PATH, corrections) },
    { CFG("land_use_map", K_PATH, land_use_map) },
    { CFG("min_confidence", K_NANO, min_confidence_nano), .lo = 0, .hi = LR_NANO },
};
static const struct key_spec tax_keys[] = {
    { CFG("residential", K_FN, tax_residential_nano), .fn = key_tax_residential },
    { CFG("non_agricultural_other", K_NANO, tax_non_agri_nano), .lo = 0, .hi = LR_NANO },
    { CFG("agricultural", K_NANO, tax_agri_nano), .lo = 0, .hi = LR_NANO },
};
static const struct section tax_section = { SECTION(tax_keys) };
static const struct key_spec valuation_keys[] = {
    { CFG("method", K_ENUM, value_method), .enums = method_names },
    { CFG("residential_limit_m2", K_FN, residential_limit_dm2), .fn = key_residential_limit },
    { SUB("tax", &tax_section) },
};
static const struct key_spec gates_keys[] = {
    { CFG("max_unmatched_ratio", K_DOUBLE, max_unmatched_ratio), .lo = 0, .hi = LR_NANO },
    { CFG("max_unrepairable_ratio", K_DOUBLE, max_unrepairable_ratio), .lo = 0, .hi = LR_NANO },
};
static const struct key_spec warehouse_keys[] = {
    { CFG("url", K_STR, warehouse_url) },
    { CFG("schema", K_STR, warehouse_schema) },
    { CFG("retention_runs", K_I32, warehouse_retention_runs), .lo = 0, .hi = 100000 },
};

static const struct section run_section = { SECTION(run_keys) };
static const struct section communes_section = { SECTION(communes_keys) };
static const struct section validate_section = { SECTION(validate_keys) };
static const struct section match_section = { SECTION(match_keys) };
static const struct section valuation_section = { SECTION(valuation_keys) };
static const struct section gates_section = { SECTION(gates_keys) };
static const struct section warehouse_section = { SECTION(warehouse_keys) };

static const struct key_spec top_keys[] = {
    { SUB("run", &run_section) },
    { CFG("target_crs", K_STR, target_crs) },
    { SUB("communes", &communes_section), .flags = KF_REQUIRED },
    { SUB("sources", &sources_section), .flags = KF_REQUIRED },
    { SUB("validate", &validate_section) },
    { SUB("match", &match_section) },
    { SUB("valuation", &valuation_section) },
    { SUB("gates", &gates_section) },
    { SUB("warehouse", &warehouse_section) },
};
static const struct section top_section = { SECTION(top_keys) };

/* ---- source lists ---- */

/* A register entry names a file (path) or a PostgreSQL query (query + url), not both. */
static enum lr_rc
check_register(struct ctx *c, const struct lr_source *s, const char *path, int line)
{
    if (s->path && (s->query || s->url))
        return fail(c, line, "'%s' has both 'path' and '%s': use a file or a query, not both", path,
                    s->query ? "query" : "url");
    if (s->query && !s->url)
        return fail(c, line, "missing required key '%s.url': a 'query' needs a PostgreSQL 'url'",
                    path);
    if (s->url && !s->query)
        return fail(c, line, "missing required key '%s.query': a 'url' needs an SQL 'query'", path);
    if (!s->path && !s->query)
        return fail(c, line,
                    "missing required key '%s.path': give a 'path', or a 'query' and "
                    "a 'url'",
                    path);
    return LR_OK;
}

static enum lr_rc
parse_sources(struct ctx *c, struct fy_node *seq, bool is_register, const char *path, int line)
{
    const struct section *sec = is_register ? &register_section : &map_section;
    struct lr_source **arr = is_register ? &c->cfg->registers : &c->cfg->maps;
    size_t *n = is_register ? &c->cfg->n_registers : &c->cfg->n_maps;
    char sub[KEY_PATH_MAX];
    struct fy_node *item;
    void *it = NULL;
    enum lr_rc rc;
    int count;

    if (!seq || !fy_node_is_sequence(seq))
        return fail(c, line, "'%s' must be a list of sources ('- path: ...'), not %s", path,
                    node_is_null(seq) ? "nothing" : node_kind_name(seq));
    count = fy_node_sequence_item_count(seq);
    if (count <= 0)
        return fail(c, line, "'%s' is empty: list at least one source", path);
    *arr = calloc((size_t)count, sizeof(**arr));
    if (!*arr)
        return nomem(c);
    *n = (size_t)count;
    for (size_t i = 0; (item = fy_node_sequence_iterate(seq, &it)); i++) {
        struct lr_source *src = &(*arr)[i];
        src->line = node_line(item, line);
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        rc = parse_section(c, item, sec, src, sub, src->line);
        if (rc == LR_OK && is_register)
            rc = check_register(c, src, sub, src->line);
        if (rc != LR_OK)
            return rc;
    }
    return LR_OK;
}

static enum lr_rc
key_maps(struct ctx *c, struct fy_node *val, void *base, const char *path, int line)
{
    (void)base;
    return parse_sources(c, val, false, path, line);
}

static enum lr_rc
key_register(struct ctx *c, struct fy_node *val, void *base, const char *path, int line)
{
    (void)base;
    return parse_sources(c, val, true, path, line);
}

/* ---- loading ---- */

static void
set_defaults(struct lr_config *cfg)
{
    cfg->jobs = 0;
    cfg->repair = LR_REPAIR_STRUCTURE;
    cfg->sliver_thinness = 0.05;
    cfg->min_overlap_m2 = 0.5;
    cfg->min_gap_m2 = 0.5;
    cfg->spike_angle_deg = 1.0;
    cfg->max_repair_loss = 0.01;
    cfg->tolerance_regulation = true;
    cfg->default_scale = 2000;
    cfg->min_confidence_nano = 800000000;
    cfg->value_method = LR_VALUE_INTERIOR_POINT;
    cfg->residential_limit_dm2 = 2000;
    cfg->tax_residential_nano[0] = 300000;
    cfg->tax_residential_nano[1] = 700000;
    cfg->tax_residential_nano[2] = 1500000;
    cfg->tax_non_agri_nano = 300000;
    cfg->tax_agri_nano = 0;
    cfg->max_unmatched_ratio = 0.30;
    cfg->max_unrepairable_ratio = 0.01;
    cfg->warehouse_retention_runs = 30;
}

static bool
default_string(char **slot, const char *value)
{
    if (!*slot)
        *slot = lr_strdup(value);
    return *slot != NULL;
}

/* Text defaults, filled after parsing for keys the file left out. */
static enum lr_rc
set_string_defaults(struct ctx *c)
{
    struct lr_config *cfg = c->cfg;

    if (!cfg->output)
        cfg->output = lr_path_join(cfg->dir, "out");
    if (!cfg->output || !default_string(&cfg->run_name, "landrec") ||
        !default_string(&cfg->target_crs, "EPSG:5899") ||
        !default_string(&cfg->warehouse_schema, "landrec") ||
        !default_string(&cfg->zone_fields.zone, "zone_id") ||
        !default_string(&cfg->zone_fields.land_use, "land_use") ||
        !default_string(&cfg->zone_fields.position, "position") ||
        !default_string(&cfg->zone_fields.price, "price_vnd_m2"))
        return nomem(c);
    return LR_OK;
}

/* The whole file at path into *out (NUL-terminated, caller frees) and *len. */
static enum lr_rc
read_file(const char *path, char **out, size_t *len, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    FILE *f = NULL;
    struct lr_buf b;
    char chunk[8192];
    size_t got;

    lr_buf_init(&b);
    f = fopen(path, "rb");
    if (!f) {
        rc = lr_err_set(err, LR_ERR_CONFIG, "cannot read config '%s': %s", path, strerror(errno));
        goto out;
    }
    while (rc == LR_OK && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + got > CONFIG_MAX_BYTES)
            rc = lr_err_set(err, LR_ERR_CONFIG,
                            "config '%s' is larger than %u bytes: is it the "
                            "right file?",
                            path, CONFIG_MAX_BYTES);
        else if (lr_buf_add(&b, chunk, got) != LR_OK)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory reading config '%s'", path);
    }
    if (rc == LR_OK && ferror(f))
        rc = lr_err_set(err, LR_ERR_CONFIG, "cannot read config '%s': %s", path, strerror(errno));
    if (rc != LR_OK)
        goto out;
    *len = b.len;
    *out = b.data ? lr_buf_detach(&b) : lr_strdup("");
    if (!*out)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory reading config '%s'", path);
out:
    lr_buf_release(&b);
    if (f)
        fclose(f);
    return rc;
}

static enum lr_rc
hash_bytes(const char *text, size_t len, unsigned char md[32], struct lr_err *err)
{
    unsigned int md_len = 0;

    if (!EVP_Digest(text, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
        return lr_err_set(err, LR_ERR_INTERNAL, "cannot compute sha256 of the config");
    return LR_OK;
}

static void
diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

/* The key text at 1-based line/column of text (for "duplicate key 'x'"), into buf. */
static void
key_at(const char *text, int line, int column, char *buf, size_t size)
{
    const char *p = text;
    size_t n = 0;

    for (int l = 1; l < line && (p = strchr(p, '\n')); l++)
        p++;
    if (!p || column < 1 || (size_t)column - 1 > strcspn(p, "\n"))
        p = "";
    else
        p += column - 1;
    if (*p == '"' || *p == '\'')
        p++;
    while (p[n] && !strchr(":,}\"'\n", p[n]) && n + 1 < size)
        n++;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static enum lr_rc
yaml_error(struct ctx *c, struct fy_diag *diag, const char *text)
{
    struct fy_diag_error *e;
    void *it = NULL;
    char key[64];

    while ((e = fy_diag_errors_iterate(diag, &it)))
        if (e->type == FYET_ERROR)
            break;
    if (!e)
        return lr_err_set(c->err, LR_ERR_CONFIG,
                          "config '%s' is empty: see SPEC.md 'Config (YAML)' for the keys",
                          c->file);
    if (e->msg && strcmp(e->msg, "duplicate key") == 0) {
        key_at(text, e->line, e->column, key, sizeof(key));
        return fail(c, e->line, "duplicate key '%s': each key may appear once in a mapping", key);
    }
    return fail(c, e->line, "invalid yaml at column %d: %s", e->column,
                e->msg ? e->msg : "syntax error");
}

/* A diagnostic object that collects errors instead of printing them. */
static struct fy_diag *
diag_new(void)
{
    struct fy_diag_cfg dcfg;
    struct fy_diag *diag;

    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_discard;
    dcfg.level = FYET_ERROR;
    dcfg.colorize = false;
    diag = fy_diag_create(&dcfg);
    if (diag)
        fy_diag_set_collect_errors(diag, true);
    return diag;
}

#define CONFIG_MAX_NODES 100000 /* a config's nodes with every alias expanded */

/* Nodes at and under n with aliases (*name) expanded, counting stops past CONFIG_MAX_NODES:
 * nested aliases expand exponentially ("billion laughs") and would exhaust memory when the
 * document is resolved. An alias that cannot be resolved (a cycle) counts as too many. */
static size_t
expanded_nodes(struct fy_node *n, int hops)
{
    struct fy_node_pair *pair;
    struct fy_node *item;
    void *it = NULL;
    size_t total = 1;

    if (n && fy_node_is_alias(n)) {
        item = hops < 64 ? fy_node_resolve_alias(n) : NULL;
        return item ? expanded_nodes(item, hops + 1) : CONFIG_MAX_NODES + 1;
    }
    if (n && fy_node_is_sequence(n))
        while (total <= CONFIG_MAX_NODES && (item = fy_node_sequence_iterate(n, &it)))
            total += expanded_nodes(item, hops);
    if (n && fy_node_is_mapping(n))
        while (total <= CONFIG_MAX_NODES && (pair = fy_node_mapping_iterate(n, &it))) {
            total += expanded_nodes(fy_node_pair_key(pair), hops);
            if (total <= CONFIG_MAX_NODES) /* stop at once: key and value may both be aliases */
                total += expanded_nodes(fy_node_pair_value(pair), hops);
        }
    return total;
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 when it is not valid UTF-8 (overlong,
 * surrogate, above U+10FFFF or cut short). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
    size_t k = s[0] < 0x80             ? 1
               : (s[0] & 0xE0) == 0xC0 ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    uint32_t cp = k == 2 ? s[0] & 0x1Fu : k == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;

    if (k <= 1 || k > n)
        return k <= n ? k : 0;
    for (size_t j = 1; j < k; j++) {
        if ((s[j] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[j] & 0x3Fu);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* A config is UTF-8 text (YAML: Unicode without control characters but tab and line ends).
 * Checked before parsing: libfyaml 0.7 loops forever on invalid UTF-8 in a '%' directive line
 * and crashes freeing its parser after a NUL byte (both found by fuzz/fuzz_config.c). */
static enum lr_rc
check_utf8(struct ctx *c, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    int line = 1, col = 1;

    for (size_t i = 0, k; i < len; i += k, col++) {
        k = utf8_seq(s + i, len - i);
        if (k == 0)
            return fail(c, line, "byte 0x%02X at column %d is not UTF-8: save the config as UTF-8",
                        s[i], col);
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7F)
            return fail(c, line,
                        "control character 0x%02X at column %d: a config is plain text; remove it",
                        s[i], col);
        if (s[i] == '\n')
            line++, col = 0;
    }
    return LR_OK;
}

/* The line of the first explicit key ('? key' at the start of a line, after any '- '), 0 when
 * none. A config never needs them, and libfyaml 0.7.12 crashes freeing its parser after some
 * ('? 1:<TAB>?', found by fuzz/fuzz_config.c), so they are refused before parsing. */
static int
explicit_key_line(const char *text, size_t len)
{
    int line = 1;

    for (size_t i = 0; i < len; line++) {
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '-'))
            i++;
        if (i < len && text[i] == '?' &&
            (i + 1 == len || text[i + 1] == ' ' || text[i + 1] == '\t' || text[i + 1] == '\n' ||
             text[i + 1] == '\r'))
            return line;
        while (i < len && text[i] != '\n')
            i++;
        i += i < len;
    }
    return 0;
}

/* Parse text as one YAML document and walk it with the schema. */
static enum lr_rc
parse_text(struct ctx *c, const char *text, size_t len)
{
    enum lr_rc rc = LR_OK;
    struct fy_parse_cfg pcfg = { .flags = FYPCF_QUIET };
    struct fy_diag *diag = NULL;
    struct fy_parser *parser = NULL;
    struct fy_document *doc = NULL, *extra = NULL;
    struct fy_node *root;

    diag = diag_new();
    pcfg.diag = diag;
    parser = diag ? fy_parser_create(&pcfg) : NULL;
    if (!parser || fy_parser_set_string(parser, text, len) != 0) {
        rc = nomem(c);
        goto out;
    }
    doc = fy_parse_load_document(parser);
    root = doc ? fy_document_root(doc) : NULL;
    if (root)
        extra = fy_parse_load_document(parser);
    if (!root || fy_diag_got_error(diag)) {
        rc = yaml_error(c, diag, text);
        goto out;
    }
    if (expanded_nodes(root, 0) > CONFIG_MAX_NODES) {
        rc = fail(c, 1,
                  "the config's aliases ('*name') expand to more than %d values, refer to "
                  "themselves or name no anchor: write the values out",
                  CONFIG_MAX_NODES);
        goto out;
    }
    if (fy_document_resolve(doc) != 0 || fy_diag_got_error(diag)) {
        rc = yaml_error(c, diag, text);
        goto out;
    }
    root = fy_document_root(doc);
    if (extra && !node_is_null(fy_document_root(extra))) {
        rc = fail(c, node_line(fy_document_root(extra), 1),
                  "a second yaml document starts here: a config holds one document, remove the "
                  "'---' and what follows");
        goto out;
    }
    rc = parse_section(c, root, &top_section, c->cfg, "", 1);
out:
    if (extra)
        fy_parse_document_destroy(parser, extra);
    if (doc)
        fy_parse_document_destroy(parser, doc);
    if (parser)
        fy_parser_destroy(parser);
    if (diag)
        fy_diag_destroy(diag);
    return rc;
}

enum lr_rc
lr_config_load(const char *path, struct lr_config *out, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    char *text = NULL;
    size_t len = 0;
    struct lr_err scratch;
    struct ctx c = { .cfg = out, .file = path, .err = err ? err : &scratch };

    lr_err_clear(&scratch);
    err = c.err;
    memset(out, 0, sizeof(*out));
    set_defaults(out);
    out->path = lr_strdup(path);
    out->dir = lr_path_dir(path);
    if (!out->path || !out->dir) {
        rc = nomem(&c);
        goto out;
    }
    rc = read_file(path, &text, &len, err);
    if (rc != LR_OK)
        goto out;
    rc = hash_bytes(text, len, out->sha256, err);
    if (rc != LR_OK)
        goto out;
    rc = check_utf8(&c, text, len);
    if (rc == LR_OK && explicit_key_line(text, len))
        rc = fail(&c, explicit_key_line(text, len),
                  "explicit keys ('? key') are not supported in the config: write 'key: value'");
    if (rc == LR_OK)
        rc = parse_text(&c, text, len);
    if (rc != LR_OK)
        goto out;
    rc = set_string_defaults(&c);
out:
    free(text);
    if (rc != LR_OK)
        lr_config_release(out);
    return rc;
}

static void
fieldmap_release(struct lr_fieldmap *f)
{
    char **all[] = { &f->commune,     &f->sheet,   &f->parcel,     &f->land_use,
                     &f->area,        &f->scale,   &f->owner_name, &f->owner_id,
                     &f->certificate, &f->address, &f->place };

    for (size_t i = 0; i < LR_ARRAY_LEN(all); i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
}

static void
source_release(struct lr_source *s)
{
    free(s->path);
    free(s->layer);
    free(s->crs);
    free(s->query);
    free(s->url);
    free(s->sql);
    free(s->crs_pipeline);
    fieldmap_release(&s->fields);
    memset(s, 0, sizeof(*s));
}

static void
sources_free(struct lr_source *arr, size_t n)
{
    for (size_t i = 0; arr && i < n; i++)
        source_release(&arr[i]);
    free(arr);
}

void
lr_config_release(struct lr_config *cfg)
{
    if (!cfg)
        return;

    char *strings[] = { cfg->path,
                        cfg->dir,
                        cfg->run_name,
                        cfg->output,
                        cfg->target_crs,
                        cfg->crosswalk,
                        cfg->boundaries,
                        cfg->corrections,
                        cfg->land_use_map,
                        cfg->warehouse_url,
                        cfg->warehouse_schema,
                        cfg->zone_fields.zone,
                        cfg->zone_fields.land_use,
                        cfg->zone_fields.position,
                        cfg->zone_fields.price };

    for (size_t i = 0; i < LR_ARRAY_LEN(strings); i++)
        free(strings[i]);
    sources_free(cfg->maps, cfg->n_maps);
    sources_free(cfg->registers, cfg->n_registers);
    source_release(&cfg->price_zones);
    free(cfg->commune_limits);
    memset(cfg, 0, sizeof(*cfg));
}

const char *
lr_encoding_name(enum lr_encoding enc)
{
    for (const struct enum_name *e = encoding_names; e->name; e++)
        if (!e->hidden && e->value == (int)enc)
            return e->name;
    return "unknown";
}
