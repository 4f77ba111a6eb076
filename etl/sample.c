/* sample.c - `landrec sample DIR`: a deterministic, realistic synthetic input set.
 *
 * Files written into DIR (each under a temporary name first, fsynced, then renamed):
 *   maps/OOOOO.shp .shx .dbf .prj  one shapefile per old commune, EPSG:9212, DBF text in TCVN3
 *                                  bytes (written raw: layer option ENCODING=""); the last
 *                                  commune has no .prj (the config's crs applies)
 *   register.csv                   the land register, UTF-8, keys sometimes written sloppily
 *   crosswalk.csv                  old -> new communes
 *   communes.gpkg                  layer communes: new commune polygons, EPSG:5899
 *   price_zones.gpkg               layer price_zones, EPSG:5899
 *   landrec.yaml                   a complete config using the files above (relative paths)
 *   injected.csv                   class,parcel_key,record_key,detail: every injected defect
 * The same seed and arguments give the same bytes (DBF date and GeoPackage timestamps fixed).
 * Geometry is streamed sheet by sheet (about 12 s and 60 MB for a million parcels); see
 * sample_int.h for the synthetic world. This file lays the world out, plans every sheet once
 * and moves the finished files into place; sample_emit.c and sample_out.c write them. */
#include "sample_int.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define E0 566000.0  /* west edge of the first block column, EPSG:9212 */
#define N0 1344000.0 /* north edge of the first block row */

/* One run of the generator. */
struct sp_run {
    struct lr_sample_world w;
    char *dir, *stage; /* DIR and DIR/maps.tmp, where the maps are written first */
    struct lr_sample_writer *wr;
};

/* ---- the world: communes, their blocks and the new communes ---- */

enum lr_rc
lr_sample_to_target(const struct lr_sample_world *w, double *x, double *y, int n, const char *name,
                    struct lr_err *err)
{
    if (n > 0 && !OCTTransform(w->ct, n, x, y, NULL))
        return lr_err_set(err, LR_ERR_INTERNAL,
                          "cannot transform coordinates of '%s' from EPSG:9212 to EPSG:5899: %s",
                          name, CPLGetLastErrorMsg());
    return LR_OK;
}

static void
commune_name(struct lr_sample_world *w, int k, struct lr_sample_rng *rng)
{
    struct lr_sample_commune *c = &w->com[k];
    const char *prefix = c->ward ? "Phường " : "Xã ";
    size_t len = strlen(prefix);
    bool dup = true;

    memcpy(c->name, prefix, len);
    c->short_name = c->name + len;
    while (dup) {
        lr_sample_syllables(rng, c->name + len, sizeof c->name - len);
        dup = false;
        for (int j = 0; j < k && !dup; j++)
            dup = strcmp(w->com[j].short_name, c->short_name) == 0;
    }
}

/* Sheets of about 400 parcels in a near-square grid; a sheet's lattice holds about
 * target / 0.074 units (the density of the band mix, see sample_geom.c choose_res). */
static enum lr_rc
commune_lattice(struct lr_sample_commune *c, struct lr_sample_rng *rng, struct lr_err *err)
{
    int64_t s0 = c->target / 400 + (c->target % 400 != 0);
    double units;

    if (s0 < 2)
        s0 = 2;
    c->sx = (int)ceil(sqrt((double)s0));
    c->sy = (int)((s0 + c->sx - 1) / c->sx);
    c->n_sheets = c->sx * c->sy;
    units = (double)c->target / c->n_sheets / 0.074;
    c->ny = (int)lround(sqrt(units / 1.5));
    c->ny = c->ny < 6 ? 6 : c->ny;
    c->nx = (int)lround(units / c->ny);
    c->nx = c->nx < 8 ? 8 : c->nx;
    c->xs = malloc((size_t)(LR_SAMPLE_NX(c) + 1) * sizeof *c->xs);
    c->ys = malloc((size_t)(LR_SAMPLE_NY(c) + 1) * sizeof *c->ys);
    c->sheet_max = calloc((size_t)c->n_sheets, sizeof *c->sheet_max);
    c->quota = calloc((size_t)c->n_sheets * LR_SAMPLE_N_CLASSES, sizeof *c->quota);
    if (!c->xs || !c->ys || !c->sheet_max || !c->quota)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory laying out commune %05d", c->code);
    c->xs[0] = c->ys[0] = 0;
    for (int i = 0; i < LR_SAMPLE_NX(c); i++)
        c->xs[i + 1] = c->xs[i] + round((6.5 + 3.0 * lr_sample_rng_unit(rng)) * 100) / 100;
    for (int j = 0; j < LR_SAMPLE_NY(c); j++)
        c->ys[j + 1] = c->ys[j] + round((10.5 + 3.0 * lr_sample_rng_unit(rng)) * 100) / 100;
    return LR_OK;
}

/* Blocks on a grid, columns as wide as their widest block, a road strip between. */
static enum lr_rc
place_blocks(struct lr_sample_world *w, struct lr_err *err)
{
    int gx = (int)ceil(sqrt((double)w->n_com)), gy = (w->n_com + gx - 1) / gx;
    double *colw = calloc((size_t)gx, sizeof *colw), *rowh = calloc((size_t)gy, sizeof *rowh);
    double x0 = E0, y0 = N0;

    if (!colw || !rowh) {
        free(colw);
        free(rowh);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory laying out communes");
    }
    for (int k = 0; k < w->n_com; k++) {
        struct lr_sample_commune *c = &w->com[k];

        c->grid_col = k % gx;
        c->grid_row = k / gx;
        colw[c->grid_col] = fmax(colw[c->grid_col], c->xs[LR_SAMPLE_NX(c)]);
        rowh[c->grid_row] = fmax(rowh[c->grid_row], c->ys[LR_SAMPLE_NY(c)]);
    }
    for (int k = 0; k < w->n_com; k++) {
        struct lr_sample_commune *c = &w->com[k];

        if (c->grid_col == 0) {
            x0 = E0;
            y0 = k == 0 ? N0 : y0 - rowh[c->grid_row - 1] - LR_SAMPLE_ROAD_M;
        }
        c->ox = x0;
        c->oy = y0;
        x0 += colw[c->grid_col] + LR_SAMPLE_ROAD_M;
    }
    free(colw);
    free(rowh);
    return LR_OK;
}

/* New communes: 1-3 adjacent old communes of one grid row (at least two new communes when
 * there are two old ones); the code and name are one predecessor's. */
static enum lr_rc
make_groups(struct lr_sample_world *w, struct lr_sample_rng *rng, struct lr_err *err)
{
    w->grp = calloc((size_t)w->n_com, sizeof *w->grp);
    if (!w->grp)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory grouping communes");
    for (int k = 0; k < w->n_com;) {
        struct lr_sample_group *g = &w->grp[w->n_grp];
        int size = lr_sample_rng_int(rng, 1, 3), heir;

        while (size > 1 &&
               (k + size > w->n_com || w->com[k + size - 1].grid_row != w->com[k].grid_row))
            size--;
        if (size == w->n_com && size > 1)
            size--;
        heir = k + lr_sample_rng_int(rng, 0, size - 1);
        g->first = k;
        g->count = size;
        g->code = w->com[heir].code;
        for (int j = k; j < k + size; j++) {
            g->ward = g->ward || w->com[j].ward;
            w->com[j].group = w->n_grp;
        }
        snprintf(g->name, sizeof g->name, "%s%s", g->ward ? "Phường " : "Xã ",
                 w->com[heir].short_name);
        w->n_grp++;
        k += size;
    }
    return LR_OK;
}

static enum lr_rc
layout(struct lr_sample_world *w, struct lr_err *err)
{
    struct lr_sample_rng rng;
    double *wt = NULL, sum = 0;
    int64_t given = 0;
    enum lr_rc rc = LR_OK;

    w->n_com = w->o->communes;
    w->com = calloc((size_t)w->n_com, sizeof *w->com);
    wt = calloc((size_t)w->n_com, sizeof *wt);
    if (!w->com || !wt) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory laying out communes");
        goto out;
    }
    lr_sample_rng_seed(&rng, w->seed, 0, 0, 0);
    for (int k = 0; k < w->n_com; k++)
        sum += wt[k] = 0.75 + 0.5 * lr_sample_rng_unit(&rng);
    for (int k = 0; k < w->n_com && rc == LR_OK; k++) {
        struct lr_sample_commune *c = &w->com[k];

        c->code = 25195 + 6 * (k * 40 / w->n_com);
        c->ward = k == 0 || lr_sample_rng_unit(&rng) < 0.15;
        commune_name(w, k, &rng);
        c->target = k + 1 < w->n_com ? (int64_t)((double)w->o->parcels * wt[k] / sum)
                                     : w->o->parcels - given;
        c->target = c->target < 4 ? 4 : c->target;
        given += c->target;
        rc = commune_lattice(c, &rng, err);
    }
    if (rc == LR_OK)
        rc = place_blocks(w, err);
    if (rc == LR_OK)
        rc = make_groups(w, &rng, err);
out:
    free(wt);
    return rc;
}

/* Spread each class's defects round-robin over the communes, at random over their sheets;
 * outside_boundary parcels go in the road strip east of the block, so on an eastern sheet. */
static void
allocate_quotas(struct lr_sample_world *w)
{
    for (int cls = 1; cls < LR_SAMPLE_N_CLASSES; cls++) {
        int64_t k = lr_sample_class_count((enum lr_sample_class)cls, w->o->parcels);

        for (int64_t i = 0; i < k; i++) {
            struct lr_sample_commune *c = &w->com[(i + 3 * cls) % w->n_com];
            uint64_t h = lr_sample_hash(w->seed, 77, (uint64_t)cls, (uint64_t)i);
            int s = (int)(h % (uint64_t)c->n_sheets);
            uint16_t *q;

            if (cls == LR_SAMPLE_COMMUNE_MISMATCH && w->n_grp < 2)
                continue;
            if (cls == LR_SAMPLE_OUTSIDE_BOUNDARY)
                s = (int)(h % (uint64_t)c->sy) * c->sx + c->sx - 1;
            q = &c->quota[(size_t)s * LR_SAMPLE_N_CLASSES + cls];
            if (*q < UINT16_MAX)
                (*q)++;
        }
    }
}

/* First pass: every sheet's largest parcel number (commune_mismatch keys come after it). */
static enum lr_rc
plan_all(struct lr_sample_world *w, struct lr_err *err)
{
    struct lr_sample_sheet sh;
    int64_t dropped = 0;
    enum lr_rc rc = LR_OK;

    lr_sample_sheet_init(&sh);
    for (int k = 0; k < w->n_com && rc == LR_OK; k++) {
        struct lr_sample_commune *c = &w->com[k];

        for (int s = 0; s < c->n_sheets && rc == LR_OK; s++) {
            rc = lr_sample_sheet_plan(&sh, c, s, w->seed, err);
            c->sheet_max[s] = sh.max_num;
            dropped += sh.n_dropped;
        }
    }
    lr_sample_sheet_release(&sh);
    if (dropped)
        lr_log(LR_LOG_WARN, "sample", NULL, "%lld defects not placed (sheets too crowded)",
               (long long)dropped);
    return rc;
}

/* ---- files: temporary names, fsync, rename ---- */

/* What a map is made of: GDAL also writes an empty .cpg for ENCODING="", which we drop. */
static const char *const shp_exts[] = { "shp", "shx", "dbf", "prj", "cpg" };

/* The files written besides the maps: temporary name and final name in DIR. */
static const char *const outputs[][2] = {
    { "register.csv.tmp", "register.csv" },         { "injected.csv.tmp", "injected.csv" },
    { "crosswalk.csv.tmp", "crosswalk.csv" },       { "communes.tmp.gpkg", "communes.gpkg" },
    { "price_zones.tmp.gpkg", "price_zones.gpkg" }, { "landrec.yaml.tmp", "landrec.yaml" },
};

static enum lr_rc
mkdir_p(const char *path, struct lr_err *err)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof buf)
        return lr_err_set(err, LR_ERR_USAGE, "bad output folder '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return lr_err_set(err, LR_ERR_IO, "cannot create folder '%s': %s", buf,
                              strerror(errno));
        buf[i] = path[i];
    }
    return LR_OK;
}

static enum lr_rc
fsync_path(const char *path, struct lr_err *err)
{
    int fd = open(path, O_RDONLY);

    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;

        if (fd >= 0)
            close(fd);
        return lr_err_set(err, LR_ERR_IO, "cannot sync '%s': %s", path, strerror(e));
    }
    close(fd);
    return LR_OK;
}

static enum lr_rc
sync_rename(const char *from, const char *to, struct lr_err *err)
{
    enum lr_rc rc = fsync_path(from, err);

    if (rc == LR_OK && rename(from, to) != 0)
        rc =
            lr_err_set(err, LR_ERR_IO, "cannot rename '%s' to '%s': %s", from, to, strerror(errno));
    return rc;
}

/* A file name this generator writes into maps/: five digits and a shapefile extension. */
static bool
is_sample_map(const char *name)
{
    size_t n = strlen(name);

    if (n < 9 || name[5] != '.' || strspn(name, "0123456789") != 5)
        return false;
    for (size_t e = 0; e < LR_ARRAY_LEN(shp_exts); e++)
        if (strcmp(name + 6, shp_exts[e]) == 0)
            return true;
    return false;
}

/* Remove maps a previous run left in folder (only names this generator writes). */
static void
clear_maps(const char *folder)
{
    DIR *d = opendir(folder);
    struct dirent *e;
    char path[4096];

    if (!d)
        return;
    while ((e = readdir(d)))
        if (is_sample_map(e->d_name)) {
            snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
            unlink(path);
        }
    closedir(d);
}

/* Move the staged maps into DIR/maps (stale ones from an earlier run removed), then the rest. */
static enum lr_rc
publish(struct sp_run *x, struct lr_err *err)
{
    char *maps = lr_path_join(x->dir, "maps"), from[4096], to[4096];
    enum lr_rc rc = maps ? mkdir_p(maps, err) : lr_err_set(err, LR_ERR_NOMEM, "out of memory");

    if (rc == LR_OK)
        clear_maps(maps);
    for (int k = 0; k < x->w.n_com && rc == LR_OK; k++)
        for (size_t e = 0; e < 4 && rc == LR_OK; e++) {
            if (e == 3 && k + 1 == x->w.n_com)
                continue; /* the commune without .prj */
            snprintf(from, sizeof from, "%s/%05d.%s", x->stage, x->w.com[k].code, shp_exts[e]);
            snprintf(to, sizeof to, "%s/%05d.%s", maps, x->w.com[k].code, shp_exts[e]);
            rc = sync_rename(from, to, err);
        }
    if (rc == LR_OK) {
        clear_maps(x->stage); /* the empty .cpg files GDAL writes for ENCODING="" */
        rmdir(x->stage);
    }
    for (size_t k = 0; k < LR_ARRAY_LEN(outputs) && rc == LR_OK; k++) {
        snprintf(from, sizeof from, "%s/%s", x->dir, outputs[k][0]);
        snprintf(to, sizeof to, "%s/%s", x->dir, outputs[k][1]);
        rc = sync_rename(from, to, err);
    }
    if (rc == LR_OK)
        rc = fsync_path(maps, err);
    if (rc == LR_OK)
        rc = fsync_path(x->dir, err);
    free(maps);
    return rc;
}

/* After a failure: remove what was staged, keep what an earlier run published. */
static void
discard(struct sp_run *x)
{
    char path[4096];

    clear_maps(x->stage);
    rmdir(x->stage);
    for (size_t k = 0; k < LR_ARRAY_LEN(outputs); k++) {
        snprintf(path, sizeof path, "%s/%s", x->dir, outputs[k][0]);
        unlink(path);
    }
}

/* ---- context ---- */

static OGRSpatialReferenceH
epsg(int code)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);

    if (srs && OSRImportFromEPSG(srs, code) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return NULL;
    }
    if (srs)
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

static enum lr_rc
run_open(struct sp_run *x, struct lr_err *err)
{
    char *reg = NULL, *inj = NULL;
    enum lr_rc rc = LR_OK;

    GDALAllRegister();
    x->w.srs_src = epsg(9212);
    x->w.srs_dst = epsg(5899);
    if (!x->w.srs_src || !x->w.srs_dst)
        return lr_err_set(err, LR_ERR_INTERNAL, "PROJ does not know EPSG:9212 or EPSG:5899: %s",
                          CPLGetLastErrorMsg());
    x->w.ct = OCTNewCoordinateTransformation(x->w.srs_src, x->w.srs_dst);
    if (!x->w.ct)
        return lr_err_set(err, LR_ERR_INTERNAL, "no transformation EPSG:9212 -> EPSG:5899: %s",
                          CPLGetLastErrorMsg());
    x->stage = lr_path_join(x->dir, "maps.tmp");
    reg = lr_path_join(x->dir, outputs[0][0]);
    inj = lr_path_join(x->dir, outputs[1][0]);
    if (!x->stage || !reg || !inj)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = mkdir_p(x->dir, err);
    if (rc == LR_OK)
        rc = mkdir_p(x->stage, err);
    if (rc == LR_OK) {
        clear_maps(x->stage);
        rc = lr_sample_writer_new(&x->w, x->stage, reg, inj, &x->wr, err);
    }
    free(reg);
    free(inj);
    return rc;
}

static void
run_release(struct sp_run *x)
{
    lr_sample_writer_free(x->wr);
    for (int k = 0; x->w.com && k < x->w.n_com; k++) {
        free(x->w.com[k].xs);
        free(x->w.com[k].ys);
        free(x->w.com[k].sheet_max);
        free(x->w.com[k].quota);
    }
    free(x->w.com);
    free(x->w.grp);
    if (x->w.ct)
        OCTDestroyCoordinateTransformation(x->w.ct);
    OSRDestroySpatialReference(x->w.srs_src);
    OSRDestroySpatialReference(x->w.srs_dst);
    free(x->stage);
    free(x->dir);
}

/* The side files, written under their temporary names. */
static enum lr_rc
write_side_files(struct sp_run *x, struct lr_err *err)
{
    enum lr_rc (*const fn[])(const struct lr_sample_world *, const char *, struct lr_err *) = {
        lr_sample_write_crosswalk,
        lr_sample_write_communes,
        lr_sample_write_zones,
        lr_sample_write_config,
    };
    enum lr_rc rc = LR_OK;

    for (size_t k = 0; k < LR_ARRAY_LEN(fn) && rc == LR_OK; k++) {
        char *path = lr_path_join(x->dir, outputs[2 + k][0]);

        rc = path ? fn[k](&x->w, path, err) : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        free(path);
    }
    return rc;
}

enum lr_rc
lr_sample_write(const struct lr_sample_opts *o, struct lr_err *err)
{
    struct sp_run x;
    double t0 = lr_now();
    enum lr_rc rc = LR_OK;

    memset(&x, 0, sizeof x);
    if (!o->dir || !*o->dir || o->parcels < 10 || o->parcels > 100000000 || o->communes < 1 ||
        o->communes > 40)
        return lr_err_set(err, LR_ERR_USAGE,
                          "sample wants a folder, 10..100000000 parcels and 1..40 communes");
    x.w.o = o;
    x.w.seed = o->seed;
    if (!(x.dir = lr_strdup(o->dir))) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = run_open(&x, err)) != LR_OK || (rc = layout(&x.w, err)) != LR_OK)
        goto out;
    allocate_quotas(&x.w);
    if ((rc = plan_all(&x.w, err)) != LR_OK || (rc = lr_sample_writer_run(x.wr, err)) != LR_OK)
        goto out;
    if ((rc = write_side_files(&x, err)) != LR_OK || (rc = publish(&x, err)) != LR_OK)
        goto out;
    lr_sample_writer_log(x.wr, lr_now() - t0);
out:
    if (rc != LR_OK && x.stage)
        discard(&x);
    run_release(&x);
    return rc;
}
