/* landuse.c - land-use codes and groups (see landuse.h). */
#include "landuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *code;
    enum lr_land_group group;
} codes[] = {
    /* agricultural */
    { "LUC", LR_LG_AGRI },
    { "LUK", LR_LG_AGRI },
    { "LUN", LR_LG_AGRI },
    { "HNK", LR_LG_AGRI },
    { "CLN", LR_LG_AGRI },
    { "RDD", LR_LG_AGRI },
    { "RPH", LR_LG_AGRI },
    { "RSX", LR_LG_AGRI },
    { "NTS", LR_LG_AGRI },
    { "CNT", LR_LG_AGRI },
    { "LMU", LR_LG_AGRI },
    { "NKH", LR_LG_AGRI },
    /* residential */
    { "ONT", LR_LG_RESIDENTIAL },
    { "ODT", LR_LG_RESIDENTIAL },
    /* non-agricultural business */
    { "TMD", LR_LG_NON_AGRI },
    { "SKC", LR_LG_NON_AGRI },
    { "SKK", LR_LG_NON_AGRI },
    { "SKN", LR_LG_NON_AGRI },
    { "SKS", LR_LG_NON_AGRI },
    { "SKX", LR_LG_NON_AGRI },
    /* public and other non-agricultural: exempt */
    { "TSC", LR_LG_EXEMPT },
    { "CQP", LR_LG_EXEMPT },
    { "CAN", LR_LG_EXEMPT },
    { "DGD", LR_LG_EXEMPT },
    { "DYT", LR_LG_EXEMPT },
    { "DVH", LR_LG_EXEMPT },
    { "DTT", LR_LG_EXEMPT },
    { "DGT", LR_LG_EXEMPT },
    { "DTL", LR_LG_EXEMPT },
    { "TON", LR_LG_EXEMPT },
    { "TIN", LR_LG_EXEMPT },
    { "NTD", LR_LG_EXEMPT },
    { "SON", LR_LG_EXEMPT },
    { "MNC", LR_LG_EXEMPT },
    { "PNK", LR_LG_EXEMPT },
    { "DKH", LR_LG_EXEMPT },
    { "DXH", LR_LG_EXEMPT },
    { "DCH", LR_LG_EXEMPT },
    { "DNL", LR_LG_EXEMPT },
    { "DBV", LR_LG_EXEMPT },
    { "DRA", LR_LG_EXEMPT },
    { "DKV", LR_LG_EXEMPT },
    { "DSH", LR_LG_EXEMPT },
    { "DDT", LR_LG_EXEMPT },
    { "DDL", LR_LG_EXEMPT },
    /* unused land */
    { "BCS", LR_LG_EXEMPT },
    { "DCS", LR_LG_EXEMPT },
    { "NCS", LR_LG_EXEMPT },
};

/* Old codes of the 2014-2018 circulars that persist in old data (DOMAIN.md). */
static const struct lr_landuse_pair builtin[] = {
    { "BHK", "HNK" },
    { "NHK", "HNK" },
    { "COC", "HNK" },
    { "LUA", "LUC" },
};

static enum lr_rc
add_pair(struct lr_landuse *lu, const char *legacy, const char *current)
{
    struct lr_landuse_pair *p = realloc(lu->pairs, (lu->n + 1) * sizeof(*p));

    if (!p)
        return LR_ERR_NOMEM;
    lu->pairs = p;
    /* split_pair checked the lengths (< 16): strnlen only keeps the copies in bounds */
    memset(&p[lu->n], 0, sizeof(p[lu->n]));
    memcpy(p[lu->n].legacy, legacy, strnlen(legacy, sizeof(p->legacy) - 1));
    memcpy(p[lu->n].current, current, strnlen(current, sizeof(p->current) - 1));
    lu->n++;
    return LR_OK;
}

/* Split "a,b" into two trimmed upper-case tokens; false when the line is not of that form. */
static bool
split_pair(char *line, char **a, char **b)
{
    char *comma = strchr(line, ',');

    if (!comma)
        return false;
    *comma = '\0';
    *a = line;
    *b = comma + 1;
    for (char **t = a; t; t = t == a ? b : NULL) {
        char *s = *t, *e;
        while (*s == ' ' || *s == '"')
            s++;
        e = s + strlen(s);
        while (e > s && strchr(" \"\r\n", e[-1]))
            *--e = '\0';
        for (char *c = s; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        *t = s;
        if (!*s || strlen(s) >= 16)
            return false;
    }
    return true;
}

enum lr_rc
lr_landuse_load(struct lr_landuse *lu, const char *path, struct lr_err *err)
{
    char line[256];
    FILE *f;
    int ln = 0;

    memset(lu, 0, sizeof(*lu));
    for (size_t i = 0; i < LR_ARRAY_LEN(builtin); i++)
        if (add_pair(lu, builtin[i].legacy, builtin[i].current) != LR_OK)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (!path)
        return LR_OK;
    f = fopen(path, "r");
    if (!f)
        return lr_err_set(err, LR_ERR_INPUT, "cannot read land-use table '%s'", path);
    while (fgets(line, sizeof(line), f)) {
        char *a, *b;
        ln++;
        if (ln == 1 && strncmp(line, "legacy", 6) == 0)
            continue;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (!split_pair(line, &a, &b) || add_pair(lu, a, b) != LR_OK) {
            fclose(f);
            return lr_err_set(err, LR_ERR_INPUT, "'%s' line %d: expected 'legacy,current'", path,
                              ln);
        }
    }
    fclose(f);
    return LR_OK;
}

void
lr_landuse_release(struct lr_landuse *lu)
{
    free(lu->pairs);
    memset(lu, 0, sizeof(*lu));
}

const char *
lr_landuse_current(const struct lr_landuse *lu, const char *code)
{
    /* Later rows (the config's file) win over the built-in ones. */
    for (size_t i = lu->n; i-- > 0;)
        if (strcmp(lu->pairs[i].legacy, code) == 0)
            return lu->pairs[i].current;
    return code;
}

enum lr_land_group
lr_landuse_group(const char *code)
{
    for (size_t i = 0; i < LR_ARRAY_LEN(codes); i++)
        if (strcmp(codes[i].code, code) == 0)
            return codes[i].group;
    return LR_LG_UNKNOWN;
}

const char *
lr_landuse_group_name(enum lr_land_group g)
{
    switch (g) {
    case LR_LG_AGRI:
        return "agricultural";
    case LR_LG_RESIDENTIAL:
        return "residential";
    case LR_LG_NON_AGRI:
        return "non_agricultural_other";
    case LR_LG_EXEMPT:
        return "exempt";
    case LR_LG_UNKNOWN:
        break;
    }
    return "unknown";
}
