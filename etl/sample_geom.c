/* sample_geom.c - the sample generator's geometry: deterministic random numbers, the plan of one
 * map sheet (its lattice cut into parcels, injected defects chosen and numbered) and the rings
 * of its parcels with defects applied. Plain coordinates, no GDAL (see sample_int.h). */
#include "sample_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ---- */

static uint64_t
splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t
lr_sample_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t s = seed, h;

    h = splitmix64(&s);
    s = h ^ a;
    h = splitmix64(&s);
    s = h ^ b;
    h = splitmix64(&s);
    s = h ^ c;
    return splitmix64(&s);
}

void
lr_sample_rng_seed(struct lr_sample_rng *r, uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t s = lr_sample_hash(seed, a, b, c);

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&s);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
lr_sample_rng_next(struct lr_sample_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

int
lr_sample_rng_int(struct lr_sample_rng *r, int lo, int hi)
{
    return lo + (int)(lr_sample_rng_next(r) % (uint64_t)(hi - lo + 1));
}

double
lr_sample_rng_unit(struct lr_sample_rng *r)
{
    return (double)(lr_sample_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- classes and land use ---- */

static const struct {
    const char *name;
    int permille; /* per class, of the parcels wanted */
} class_info[LR_SAMPLE_N_CLASSES] = {
    [LR_SAMPLE_NONE] = { "none", 0 },
    [LR_SAMPLE_SELF_INTERSECTION] = { "self_intersection", 3 },
    [LR_SAMPLE_TOO_FEW_POINTS] = { "too_few_points", 2 },
    [LR_SAMPLE_DUPLICATE_VERTEX] = { "duplicate_vertex", 3 },
    [LR_SAMPLE_SPIKE] = { "spike", 3 },
    [LR_SAMPLE_OVERLAP] = { "overlap", 3 },
    [LR_SAMPLE_GAP] = { "gap", 3 },
    [LR_SAMPLE_SLIVER] = { "sliver", 2 },
    [LR_SAMPLE_OUTSIDE_BOUNDARY] = { "outside_boundary", 2 },
    [LR_SAMPLE_COMMUNE_MISMATCH] = { "commune_mismatch", 2 },
    [LR_SAMPLE_AREA_MISMATCH] = { "area_mismatch", 4 },
    [LR_SAMPLE_LAND_USE_MISMATCH] = { "land_use_mismatch", 3 },
    [LR_SAMPLE_RENUMBERED] = { "renumbered", 3 },
    [LR_SAMPLE_SPLIT] = { "split", 2 },
    [LR_SAMPLE_MERGED] = { "merged", 2 },
    [LR_SAMPLE_DUP_KEY_MAP] = { "duplicate_key", 1 },
    [LR_SAMPLE_DUP_KEY_REG] = { "duplicate_key", 1 },
    [LR_SAMPLE_MAP_ONLY] = { "map_only", 4 },
    [LR_SAMPLE_REGISTER_ONLY] = { "register_only", 3 },
    [LR_SAMPLE_NO_PRICE] = { "no_price", 2 },
    [LR_SAMPLE_CRS_ASSUMED] = { "crs_assumed", 0 },
};

const char *const lr_sample_lu_code[LR_SLU_COUNT] = {
    "CLN", "ONT", "ODT", "HNK", "BHK", "NHK", "LUC", "RSX", "TMD", "SKC", "DGT", "TON",
};

const char *
lr_sample_class_name(enum lr_sample_class c)
{
    return c < LR_SAMPLE_N_CLASSES ? class_info[c].name : "?";
}

int64_t
lr_sample_class_count(enum lr_sample_class c, int64_t n)
{
    int64_t k;

    if (c >= LR_SAMPLE_N_CLASSES || class_info[c].permille == 0)
        return 0;
    k = (n * class_info[c].permille + 500) / 1000;
    return k < 2 ? 2 : k;
}

/* ---- lattice nodes ---- */

void
lr_sample_node(const struct lr_sample_commune *c, uint64_t seed, int gi, int gj, double *x,
               double *y)
{
    double px = c->ox + c->xs[gi], py = c->oy - c->ys[gj];

    if (gi > 0 && gj > 0 && gi < LR_SAMPLE_NX(c) && gj < LR_SAMPLE_NY(c)) {
        uint64_t h = lr_sample_hash(seed, (uint64_t)c->code, (uint64_t)gi, (uint64_t)gj);

        px += ((double)(h & 0xffff) / 65535.0 * 2.0 - 1.0) * 0.9;
        py += ((double)((h >> 16) & 0xffff) / 65535.0 * 2.0 - 1.0) * 1.1;
    }
    *x = round(px * 1000.0) / 1000.0;
    *y = round(py * 1000.0) / 1000.0;
}

/* ---- the sheet plan: cells ---- */

void
lr_sample_sheet_init(struct lr_sample_sheet *sh)
{
    memset(sh, 0, sizeof *sh);
}

void
lr_sample_sheet_release(struct lr_sample_sheet *sh)
{
    free(sh->cells);
    free(sh->cellid);
    free(sh->used);
    lr_sample_sheet_init(sh);
}

static enum lr_rc
sheet_reset(struct lr_sample_sheet *sh, const struct lr_sample_commune *com, int index,
            struct lr_err *err)
{
    size_t grid = (size_t)com->nx * (size_t)com->ny;
    size_t nodes = (size_t)(com->nx + 1) * (size_t)(com->ny + 1);

    if (grid > sh->cap_grid) {
        int32_t *p = realloc(sh->cellid, grid * sizeof *p);

        if (!p)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory planning sheet %d", index + 1);
        sh->cellid = p;
        sh->cap_grid = grid;
    }
    if (nodes > sh->cap_used) {
        uint8_t *p = realloc(sh->used, nodes);

        if (!p)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory planning sheet %d", index + 1);
        sh->used = p;
        sh->cap_used = nodes;
    }
    sh->com = com;
    sh->index = index;
    sh->nx = com->nx;
    sh->ny = com->ny;
    sh->gi0 = (index % com->sx) * com->nx;
    sh->gj0 = (index / com->sx) * com->ny;
    sh->n_cells = 0;
    sh->n_outside = sh->n_reg_only = 0;
    sh->n_dropped = 0;
    return LR_OK;
}

static enum lr_rc
add_cell(struct lr_sample_sheet *sh, int i0, int j0, int i1, int j1, int kind, int band,
         struct lr_err *err)
{
    struct lr_sample_cell *c;

    if (sh->n_cells == sh->cap_cells) {
        int cap = sh->cap_cells ? sh->cap_cells * 2 : 256;
        struct lr_sample_cell *p = realloc(sh->cells, (size_t)cap * sizeof *p);

        if (!p)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory planning sheet %d", sh->index + 1);
        sh->cells = p;
        sh->cap_cells = cap;
    }
    c = &sh->cells[sh->n_cells];
    memset(c, 0, sizeof *c);
    c->i0 = (int16_t)i0;
    c->j0 = (int16_t)j0;
    c->i1 = (int16_t)i1;
    c->j1 = (int16_t)j1;
    c->num = sh->n_cells + 1;
    c->partner = -1;
    c->kind = (uint8_t)kind;
    c->band = (uint8_t)(band > 255 ? 255 : band);
    for (int j = j0; j < j1; j++)
        for (int i = i0; i < i1; i++)
            sh->cellid[j * sh->nx + i] = sh->n_cells;
    sh->n_cells++;
    return LR_OK;
}

/* One band of rows [j0, j1): residential lots 1-2 columns wide, or fields 3-6 columns wide. */
static enum lr_rc
build_band(struct lr_sample_sheet *sh, struct lr_sample_rng *rng, int j0, int j1, bool res,
           int band, struct lr_err *err)
{
    int minw = res ? 1 : 3, maxw = res ? 2 : 6;
    enum lr_rc rc = LR_OK;

    for (int i = 0; i < sh->nx && rc == LR_OK;) {
        int w = lr_sample_rng_int(rng, minw, maxw);

        if (sh->nx - i - w < minw)
            w = sh->nx - i;
        rc = add_cell(sh, i, j0, i + w, j1, res ? LR_SAMPLE_RES : LR_SAMPLE_AGRI, band, err);
        i += w;
    }
    return rc;
}

/* Residential band or not: steer the sheet towards its target count. A residential band gives
 * about nx/3 parcels per row, a band of fields about nx/18. */
static bool
choose_res(const struct lr_sample_sheet *sh, struct lr_sample_rng *rng, int64_t target,
           int rows_left)
{
    double need = (double)(target - sh->n_cells) / rows_left;
    double res_row = sh->nx / 3.0, agri_row = sh->nx / 18.0;
    double p = (need - agri_row) / (res_row - agri_row);

    if (p < 0.03)
        p = 0.03;
    if (p > 0.9)
        p = 0.9;
    return lr_sample_rng_unit(rng) < p;
}

static enum lr_rc
build_cells(struct lr_sample_sheet *sh, struct lr_sample_rng *rng, int64_t target,
            struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    int band = 0;

    for (int j = 0; j < sh->ny && rc == LR_OK; band++) {
        int left = sh->ny - j;
        /* the first band of a sheet lines the road on its north edge */
        bool res = band == 0 || choose_res(sh, rng, target, left);
        int h = res ? 2 : lr_sample_rng_int(rng, 3, 5);

        if (left - h < 2)
            h = left;
        rc = build_band(sh, rng, j, j + h, res, band, err);
        j += h;
    }
    return rc;
}

struct lu_share {
    double upto;
    int lu;
};

static int
lu_from_table(const struct lu_share *t, size_t n, double u)
{
    for (size_t k = 0; k < n; k++)
        if (u < t[k].upto)
            return t[k].lu;
    return t[n - 1].lu;
}

/* Land use of a residential lot or a field; CLN dominates, SKC is only ever injected. */
static int
pick_lu(struct lr_sample_rng *rng, int kind, bool ward)
{
    static const struct lu_share res[] = { { 0.88, LR_SLU_ONT },
                                           { 0.94, LR_SLU_TMD },
                                           { 0.955, LR_SLU_TON },
                                           { 0.97, LR_SLU_DGT },
                                           { 1.0, LR_SLU_CLN } };
    static const struct lu_share agri[] = { { 0.66, LR_SLU_CLN }, { 0.74, LR_SLU_HNK },
                                            { 0.76, LR_SLU_BHK }, { 0.78, LR_SLU_NHK },
                                            { 0.85, LR_SLU_LUC }, { 0.93, LR_SLU_RSX },
                                            { 0.96, LR_SLU_DGT }, { 0.97, LR_SLU_TON },
                                            { 1.0, LR_SLU_ONT } };
    double u = lr_sample_rng_unit(rng);
    int lu = kind == LR_SAMPLE_RES ? lu_from_table(res, LR_ARRAY_LEN(res), u)
                                   : lu_from_table(agri, LR_ARRAY_LEN(agri), u);

    return lu == LR_SLU_ONT && ward ? LR_SLU_ODT : lu;
}

/* ---- the sheet plan: defects ---- */

static bool
flagged(const struct lr_sample_cell *c)
{
    return c->cls != LR_SAMPLE_NONE || c->flags != 0;
}

/* No cell touching c (edge or corner), c included, carries or takes part in a defect. */
static bool
region_free(const struct lr_sample_sheet *sh, const struct lr_sample_cell *c)
{
    int i0 = c->i0 > 0 ? c->i0 - 1 : 0, j0 = c->j0 > 0 ? c->j0 - 1 : 0;
    int i1 = c->i1 < sh->nx ? c->i1 : sh->nx - 1, j1 = c->j1 < sh->ny ? c->j1 : sh->ny - 1;

    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++)
            if (flagged(&sh->cells[sh->cellid[j * sh->nx + i]]))
                return false;
    return true;
}

static bool
cell_free(const struct lr_sample_sheet *sh, int idx)
{
    const struct lr_sample_cell *c = &sh->cells[idx];

    return !flagged(c) && c->lu != LR_SLU_SKC && region_free(sh, c);
}

/* Overlap, gap and spike act on the first segment of the south side, shared with one cell. */
static bool
pick_with_below(struct lr_sample_sheet *sh, int idx, enum lr_sample_class cls)
{
    struct lr_sample_cell *c = &sh->cells[idx];
    int below;

    if (c->j1 >= sh->ny)
        return false;
    below = sh->cellid[c->j1 * sh->nx + c->i1 - 1];
    if (!cell_free(sh, below))
        return false;
    c->cls = (uint8_t)cls;
    c->partner = below;
    sh->cells[below].flags |= LR_SAMPLE_INVOLVED;
    return true;
}

/* 2-3 neighbours in the same band, of the same kind, joined into one parcel. */
static bool
pick_merged(struct lr_sample_sheet *sh, struct lr_sample_rng *rng, int idx)
{
    struct lr_sample_cell *c = &sh->cells[idx];
    int parts = lr_sample_rng_int(rng, 2, 3);

    for (; parts >= 2; parts--) {
        bool ok = idx + parts <= sh->n_cells;

        for (int k = 1; ok && k < parts; k++) {
            const struct lr_sample_cell *m = &sh->cells[idx + k];

            ok = m->j0 == c->j0 && m->kind == c->kind && cell_free(sh, idx + k);
        }
        if (ok)
            break;
    }
    if (parts < 2)
        return false;
    c->cls = LR_SAMPLE_MERGED;
    c->parts = (uint8_t)parts;
    for (int k = 1; k < parts; k++)
        sh->cells[idx + k].flags |= LR_SAMPLE_MEMBER;
    return true;
}

/* A second parcel of the sheet (not touching this one) whose key this one takes. */
static bool
pick_dup_key(struct lr_sample_sheet *sh, struct lr_sample_rng *rng, int idx)
{
    struct lr_sample_cell *c = &sh->cells[idx];

    c->cls = LR_SAMPLE_DUP_KEY_MAP;
    for (int t = 0; t < 60; t++) {
        int y = lr_sample_rng_int(rng, 0, sh->n_cells - 1);

        if (y != idx && cell_free(sh, y)) {
            c->partner = y;
            sh->cells[y].flags |= LR_SAMPLE_INVOLVED;
            return true;
        }
    }
    c->cls = LR_SAMPLE_NONE;
    return false;
}

static bool
try_pick(struct lr_sample_sheet *sh, struct lr_sample_rng *rng, enum lr_sample_class cls, int idx)
{
    struct lr_sample_cell *c = &sh->cells[idx];
    int w = c->i1 - c->i0;

    if (!cell_free(sh, idx))
        return false;
    switch (cls) {
    case LR_SAMPLE_SPIKE:
    case LR_SAMPLE_OVERLAP:
    case LR_SAMPLE_GAP:
        return pick_with_below(sh, idx, cls);
    case LR_SAMPLE_MERGED:
        return pick_merged(sh, rng, idx);
    case LR_SAMPLE_DUP_KEY_MAP:
        return pick_dup_key(sh, rng, idx);
    case LR_SAMPLE_SLIVER:
        if (c->kind != LR_SAMPLE_AGRI || w < 3)
            return false;
        break;
    case LR_SAMPLE_SPLIT:
        if (w < 2)
            return false;
        c->parts = (uint8_t)(w >= 3 ? lr_sample_rng_int(rng, 2, 3) : 2);
        break;
    case LR_SAMPLE_NO_PRICE:
        if (c->kind != LR_SAMPLE_AGRI)
            return false;
        c->lu = LR_SLU_SKC;
        break;
    default:
        break;
    }
    c->cls = (uint8_t)cls;
    return true;
}

/* Most constrained first; outside_boundary and register_only need no cell. */
static const enum lr_sample_class pick_order[] = {
    LR_SAMPLE_MERGED,
    LR_SAMPLE_SPLIT,
    LR_SAMPLE_SLIVER,
    LR_SAMPLE_OVERLAP,
    LR_SAMPLE_GAP,
    LR_SAMPLE_SPIKE,
    LR_SAMPLE_DUP_KEY_MAP,
    LR_SAMPLE_NO_PRICE,
    LR_SAMPLE_SELF_INTERSECTION,
    LR_SAMPLE_TOO_FEW_POINTS,
    LR_SAMPLE_DUPLICATE_VERTEX,
    LR_SAMPLE_COMMUNE_MISMATCH,
    LR_SAMPLE_AREA_MISMATCH,
    LR_SAMPLE_LAND_USE_MISMATCH,
    LR_SAMPLE_RENUMBERED,
    LR_SAMPLE_DUP_KEY_REG,
    LR_SAMPLE_MAP_ONLY,
};

static void
pick_defects(struct lr_sample_sheet *sh, struct lr_sample_rng *rng, const uint16_t *quota)
{
    for (size_t k = 0; k < LR_ARRAY_LEN(pick_order); k++) {
        enum lr_sample_class cls = pick_order[k];

        for (int q = 0; q < quota[cls]; q++) {
            bool done = false;

            for (int t = 0; t < 400 && !done; t++)
                done = try_pick(sh, rng, cls, lr_sample_rng_int(rng, 0, sh->n_cells - 1));
            if (!done)
                sh->n_dropped++;
        }
    }
    sh->n_outside = quota[LR_SAMPLE_OUTSIDE_BOUNDARY];
    sh->n_reg_only = quota[LR_SAMPLE_REGISTER_ONLY];
}

/* New numbers come after the sheet's largest, in cell order, then the extras. */
static void
number_new(struct lr_sample_sheet *sh)
{
    int32_t next = sh->n_cells + 1;

    for (int k = 0; k < sh->n_cells; k++) {
        struct lr_sample_cell *c = &sh->cells[k];

        switch (c->cls) {
        case LR_SAMPLE_RENUMBERED:
        case LR_SAMPLE_MERGED:
        case LR_SAMPLE_SLIVER:
        case LR_SAMPLE_TOO_FEW_POINTS:
            c->new_num = next++;
            break;
        case LR_SAMPLE_SPLIT:
            c->new_num = next;
            next += c->parts;
            break;
        default:
            break;
        }
    }
    sh->outside_first = next;
    next += sh->n_outside;
    sh->reg_only_first = next;
    next += sh->n_reg_only;
    sh->max_num = next - 1;
}

int
lr_sample_split_col(const struct lr_sample_cell *c, int k)
{
    return c->i0 + (c->i1 - c->i0) * k / c->parts;
}

/* A node is a ring vertex when it is a corner of a cell (before merging), a split cut's end, or
 * on the sheet's edge (so neighbouring sheets agree without knowing each other's cells). */
static void
mark_used(struct lr_sample_sheet *sh)
{
    int w = sh->nx + 1;

    memset(sh->used, 0, (size_t)w * (size_t)(sh->ny + 1));
    for (int i = 0; i <= sh->nx; i++)
        sh->used[i] = sh->used[sh->ny * w + i] = 1;
    for (int j = 0; j <= sh->ny; j++)
        sh->used[j * w] = sh->used[j * w + sh->nx] = 1;
    for (int k = 0; k < sh->n_cells; k++) {
        const struct lr_sample_cell *c = &sh->cells[k];

        sh->used[c->j0 * w + c->i0] = sh->used[c->j0 * w + c->i1] = 1;
        sh->used[c->j1 * w + c->i0] = sh->used[c->j1 * w + c->i1] = 1;
        if (c->cls != LR_SAMPLE_SPLIT)
            continue;
        for (int p = 1; p < c->parts; p++) {
            int i = lr_sample_split_col(c, p);

            sh->used[c->j0 * w + i] = sh->used[c->j1 * w + i] = 1;
        }
    }
}

enum lr_rc
lr_sample_sheet_plan(struct lr_sample_sheet *sh, const struct lr_sample_commune *com, int index,
                     uint64_t seed, struct lr_err *err)
{
    static const int scales[] = { 500, 1000, 1000, 2000, 2000, 2000 };
    int64_t target = com->target / com->n_sheets + (index < com->target % com->n_sheets);
    struct lr_sample_rng rng;
    enum lr_rc rc;

    if ((rc = sheet_reset(sh, com, index, err)) != LR_OK)
        return rc;
    lr_sample_rng_seed(&rng, seed, (uint64_t)com->code, (uint64_t)index, 1);
    sh->scale = scales[lr_sample_rng_int(&rng, 0, (int)LR_ARRAY_LEN(scales) - 1)];
    if ((rc = build_cells(sh, &rng, target, err)) != LR_OK)
        return rc;
    for (int k = 0; k < sh->n_cells; k++)
        sh->cells[k].lu = (uint8_t)pick_lu(&rng, sh->cells[k].kind, com->ward);
    pick_defects(sh, &rng, com->quota + (size_t)index * LR_SAMPLE_N_CLASSES);
    number_new(sh);
    mark_used(sh);
    return LR_OK;
}

/* ---- rings ---- */

void
lr_sample_ring_init(struct lr_sample_ring *r)
{
    memset(r, 0, sizeof *r);
}

void
lr_sample_ring_release(struct lr_sample_ring *r)
{
    free(r->x);
    free(r->y);
    lr_sample_ring_init(r);
}

static enum lr_rc
ring_reserve(struct lr_sample_ring *r, int n, struct lr_err *err)
{
    int cap = r->cap ? r->cap : 32;
    double *x, *y;

    if (n <= r->cap)
        return LR_OK;
    while (cap < n)
        cap *= 2;
    x = realloc(r->x, (size_t)cap * sizeof *x);
    if (x)
        r->x = x;
    y = x ? realloc(r->y, (size_t)cap * sizeof *y) : NULL;
    if (!y)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory building a ring of %d points", n);
    r->y = y;
    r->cap = cap;
    return LR_OK;
}

enum lr_rc
lr_sample_ring_push(struct lr_sample_ring *r, double x, double y, struct lr_err *err)
{
    enum lr_rc rc = ring_reserve(r, r->n + 1, err);

    if (rc == LR_OK) {
        r->x[r->n] = x;
        r->y[r->n] = y;
        r->n++;
    }
    return rc;
}

/* Insert point (x, y) before index at. */
static enum lr_rc
ring_insert(struct lr_sample_ring *r, int at, double x, double y, struct lr_err *err)
{
    enum lr_rc rc = ring_reserve(r, r->n + 1, err);

    if (rc != LR_OK)
        return rc;
    memmove(r->x + at + 1, r->x + at, (size_t)(r->n - at) * sizeof *r->x);
    memmove(r->y + at + 1, r->y + at, (size_t)(r->n - at) * sizeof *r->y);
    r->x[at] = x;
    r->y[at] = y;
    r->n++;
    return LR_OK;
}

static enum lr_rc
push_node(struct lr_sample_ring *r, const struct lr_sample_sheet *sh, uint64_t seed, int i, int j,
          struct lr_err *err)
{
    double x, y;

    if (!sh->used[j * (sh->nx + 1) + i])
        return LR_OK;
    lr_sample_node(sh->com, seed, sh->gi0 + i, sh->gj0 + j, &x, &y);
    return lr_sample_ring_push(r, x, y, err);
}

enum lr_rc
lr_sample_ring_rect(struct lr_sample_ring *r, const struct lr_sample_sheet *sh, uint64_t seed,
                    int i0, int j0, int i1, int j1, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    r->n = 0;
    r->side[0] = r->n;
    for (int i = i0; i < i1 && rc == LR_OK; i++)
        rc = push_node(r, sh, seed, i, j0, err);
    r->side[1] = r->n;
    for (int j = j0; j < j1 && rc == LR_OK; j++)
        rc = push_node(r, sh, seed, i1, j, err);
    r->side[2] = r->n;
    for (int i = i1; i > i0 && rc == LR_OK; i--)
        rc = push_node(r, sh, seed, i, j1, err);
    r->side[3] = r->n;
    for (int j = j1; j > j0 && rc == LR_OK; j--)
        rc = push_node(r, sh, seed, i0, j, err);
    if (rc == LR_OK)
        rc = lr_sample_ring_push(r, r->x[0], r->y[0], err);
    return rc;
}

/* Frame of segment a -> b: unit direction (ux, uy), length, and the inward normal (vx, vy) of a
 * clockwise ring (the right-hand side). */
struct frame {
    double ax, ay, ux, uy, vx, vy, len;
};

static struct frame
frame_of(const struct lr_sample_ring *r, int a)
{
    struct frame f;
    double dx = r->x[a + 1] - r->x[a], dy = r->y[a + 1] - r->y[a];

    f.ax = r->x[a];
    f.ay = r->y[a];
    f.len = sqrt(dx * dx + dy * dy);
    f.ux = dx / f.len;
    f.uy = dy / f.len;
    f.vx = f.uy;
    f.vy = -f.ux;
    return f;
}

/* Insert the points (u, v) of frame f (u along the segment, v inward) before index at. */
static enum lr_rc
insert_local(struct lr_sample_ring *r, int at, const struct frame *f, const double (*uv)[2], int n,
             struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    for (int k = 0; k < n && rc == LR_OK; k++)
        rc = ring_insert(r, at + k, f->ax + uv[k][0] * f->ux + uv[k][1] * f->vx,
                         f->ay + uv[k][0] * f->uy + uv[k][1] * f->vy, err);
    return rc;
}

enum lr_rc
lr_sample_ring_defect(struct lr_sample_ring *r, enum lr_sample_class cls, struct lr_err *err)
{
    /* bow-tie: A(0.8,0) -> B(1.6,0.8) crosses C(0.8,0.8) -> D(1.6,0) at (1.2,0.4) */
    static const double bowtie[][2] = { { 0.8, 0 }, { 1.6, 0.8 }, { 0.8, 0.8 }, { 1.6, 0 } };
    int s = r->side[2];
    struct frame f = frame_of(r, cls == LR_SAMPLE_SELF_INTERSECTION ? 0 : s);
    double m = f.len / 2;

    switch (cls) {
    case LR_SAMPLE_SELF_INTERSECTION:
        return insert_local(r, 1, &f, bowtie, 4, err);
    case LR_SAMPLE_DUPLICATE_VERTEX:
        return ring_insert(r, s + 1, r->x[s], r->y[s], err);
    case LR_SAMPLE_SPIKE: {
        const double spike[][2] = { { m - 0.02, 0 }, { m, -5.5 }, { m + 0.02, 0 } };

        return insert_local(r, s + 1, &f, spike, 3, err);
    }
    case LR_SAMPLE_OVERLAP: {
        const double bump[][2] = { { m, -3.0 } };

        return insert_local(r, s + 1, &f, bump, 1, err);
    }
    case LR_SAMPLE_GAP: {
        const double notch[][2] = {
            { 0.3 * f.len, 0 }, { 0.3 * f.len, 2.5 }, { 0.7 * f.len, 2.5 }, { 0.7 * f.len, 0 }
        };

        return insert_local(r, s + 1, &f, notch, 4, err);
    }
    default:
        return lr_err_set(err, LR_ERR_INTERNAL, "no ring defect for class '%s'",
                          lr_sample_class_name(cls));
    }
}

/* Point at distance d from ring point a towards ring point b. */
static void
towards(const struct lr_sample_ring *r, int a, int b, double d, double *x, double *y)
{
    double dx = r->x[b] - r->x[a], dy = r->y[b] - r->y[a];
    double len = sqrt(dx * dx + dy * dy);

    *x = r->x[a] + dx / len * d;
    *y = r->y[a] + dy / len * d;
}

enum lr_rc
lr_sample_ring_sliver(struct lr_sample_ring *host, struct lr_sample_ring *strip, struct lr_err *err)
{
    int s2 = host->side[2], s3 = host->side[3];
    double w = 0.005 * hypot(host->x[s3] - host->x[s2], host->y[s3] - host->y[s2]);
    double prx, pry, plx, ply;
    enum lr_rc rc = LR_OK;

    towards(host, s2, s2 - 1, w, &prx, &pry); /* up the east side */
    towards(host, s3, s3 + 1, w, &plx, &ply); /* up the west side */
    /* strip: the south side westwards, up, back east w higher */
    strip->n = 0;
    for (int k = s2; k <= s3 && rc == LR_OK; k++)
        rc = lr_sample_ring_push(strip, host->x[k], host->y[k], err);
    if (rc == LR_OK)
        rc = lr_sample_ring_push(strip, plx, ply, err);
    for (int k = s3 - 1; k > s2 && rc == LR_OK; k--)
        rc = lr_sample_ring_push(strip, host->x[k], host->y[k] + w, err);
    if (rc == LR_OK)
        rc = lr_sample_ring_push(strip, prx, pry, err);
    if (rc == LR_OK)
        rc = lr_sample_ring_push(strip, host->x[s2], host->y[s2], err);
    if (rc != LR_OK)
        return rc;
    /* host: north and east sides, then the strip's north edge, then the west side */
    host->x[s2] = prx;
    host->y[s2] = pry;
    for (int k = s2 + 1; k < s3; k++)
        host->y[k] += w;
    host->x[s3] = plx;
    host->y[s3] = ply;
    return LR_OK;
}

enum lr_rc
lr_sample_ring_box(struct lr_sample_ring *r, double x0, double y0, double x1, double y1,
                   struct lr_err *err)
{
    const double pts[5][2] = { { x0, y1 }, { x1, y1 }, { x1, y0 }, { x0, y0 }, { x0, y1 } };
    enum lr_rc rc = LR_OK;

    r->n = 0;
    for (int k = 0; k < 5 && rc == LR_OK; k++)
        rc = lr_sample_ring_push(r, pts[k][0], pts[k][1], err);
    return rc;
}
