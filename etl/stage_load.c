/* stage_load.c - read every input into the shard's tables: crosswalk, boundaries and price zones
 * (refdata.c, on this thread), then map and register files (load_layer.c) on ctx->jobs threads,
 * one file per task, each thread with its own GDAL datasets and PROJ context. Parts are merged
 * in task order (sources in config order, files sorted), so the shard does not depend on the
 * thread count; of several failing files the first in that order is reported. A bad feature or
 * row becomes a rejected parcel/record with a reason; an unreadable input or an unsafe CRS
 * stops the run (exit 3). */
#include "geom.h"
#include "landuse.h"
#include "load_int.h"
#include "refdata.h"
#include "source.h"
#include "stage.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct task_list {
    struct lr_load_task *v;
    size_t n, cap;
};

static enum lr_rc
task_add(struct task_list *l, const struct lr_source *src, bool is_map, char *path,
         struct lr_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct lr_load_task *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            free(path);
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        }
        l->v = v;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    l->v[l->n].src = src;
    l->v[l->n].is_map = is_map;
    l->v[l->n].path = path;
    l->n++;
    return LR_OK;
}

/* One task per file of each source (globs expanded, sorted), one per query source. */
static enum lr_rc
tasks_build(const struct lr_config *cfg, struct task_list *l, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    for (size_t k = 0; rc == LR_OK && k < cfg->n_maps + cfg->n_registers; k++) {
        bool is_map = k < cfg->n_maps;
        const struct lr_source *src = is_map ? &cfg->maps[k] : &cfg->registers[k - cfg->n_maps];
        char **paths = NULL;
        size_t n = 0;
        if (!src->path) {
            rc = task_add(l, src, false, NULL, err);
            continue;
        }
        rc = lr_source_glob(src->path, &paths, &n, err);
        for (size_t i = 0; rc == LR_OK && i < n; i++) {
            rc = task_add(l, src, is_map, paths[i], err);
            paths[i] = NULL;
        }
        lr_source_glob_free(paths, n);
    }
    return rc;
}

static void
tasks_free(struct task_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        l->v[i].part.landuse = NULL;
        lr_shard_release(&l->v[i].part);
        free(l->v[i].path);
    }
    free(l->v);
}

struct pool {
    const struct lr_load_env *env;
    struct task_list *tasks;
    size_t *order; /* tasks by decreasing size: the big register file does not start last */
    size_t next;
    pthread_mutex_t mu;
};

/* Bytes of a task's file (with a shapefile's .dbf); a query counts as the largest. */
static int64_t
task_size(const struct lr_load_task *t)
{
    struct stat st;
    int64_t n = 0;
    size_t len;

    if (!t->path)
        return INT64_MAX;
    if (stat(t->path, &st) == 0)
        n = st.st_size;
    len = strlen(t->path);
    if (len > 4 && strcasecmp(t->path + len - 4, ".shp") == 0) {
        char *dbf = strdup(t->path);
        if (dbf) {
            memcpy(dbf + len - 3, t->path[len - 3] == 's' ? "dbf" : "DBF", 3);
            if (stat(dbf, &st) == 0)
                n += st.st_size;
        }
        free(dbf);
    }
    return n;
}

/* Bigger tasks first (ties in task order). */
static int
cmp_size(const void *a, const void *b, void *arg)
{
    const int64_t *size = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;

    if (size[i] != size[j])
        return size[i] > size[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* The order workers take the tasks in: by decreasing size. NULL on out of memory. */
static size_t *
task_order(const struct task_list *l)
{
    size_t *order = calloc(l->n ? l->n : 1, sizeof(*order));
    int64_t *size = calloc(l->n ? l->n : 1, sizeof(*size));

    if (order && size) {
        for (size_t i = 0; i < l->n; i++) {
            order[i] = i;
            size[i] = task_size(&l->v[i]);
        }
        qsort_r(order, l->n, sizeof(*order), cmp_size, size);
    } else {
        free(order);
        order = NULL;
    }
    free(size);
    return order;
}

static void *
worker(void *arg)
{
    struct pool *p = arg;
    struct lr_crs_ctx *crs = lr_crs_ctx_new();

    for (;;) {
        size_t i;
        pthread_mutex_lock(&p->mu);
        i = p->next++;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->tasks->n)
            break;
        i = p->order[i];
        if (!crs)
            p->tasks->v[i].rc = lr_err_set(&p->tasks->v[i].err, LR_ERR_NOMEM, "out of memory");
        else
            lr_load_task_run(p->env, crs, &p->tasks->v[i]);
    }
    lr_crs_ctx_free(crs);
    return NULL;
}

/* Run every task on up to jobs threads (this thread works too). */
static enum lr_rc
tasks_run(const struct lr_load_env *env, struct task_list *l, int jobs, struct lr_err *err)
{
    struct pool p = { env, l, NULL, 0, PTHREAD_MUTEX_INITIALIZER };
    size_t nthreads = jobs > 1 ? (size_t)jobs - 1 : 0;
    pthread_t *th;
    size_t started = 0;

    if (nthreads >= l->n)
        nthreads = l->n ? l->n - 1 : 0;
    th = calloc(nthreads ? nthreads : 1, sizeof(*th));
    p.order = task_order(l);
    if (!th || !p.order) {
        free(th);
        free(p.order);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, worker, &p) == 0)
            started++;
    worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(p.order);
    free(th);
    return LR_OK;
}

/* Append n elements of size sz from src to *arr (holding *len, capacity *cap). */
static bool
append_block(void **arr, size_t *len, size_t *cap, const void *src, size_t n, size_t sz)
{
    if (*len + n > *cap) {
        size_t ncap = *cap ? *cap : 256;
        void *p;
        while (ncap < *len + n)
            ncap *= 2;
        p = realloc(*arr, ncap * sz);
        if (!p)
            return false;
        *arr = p;
        *cap = ncap;
    }
    if (n)
        memcpy((char *)*arr + *len * sz, src, n * sz);
    *len += n;
    return true;
}

/* Move a task's part into sh: inputs, parcels, records and issues appended with their
 * cross-references shifted; the part is left owning nothing. */
static enum lr_rc
merge_part(struct lr_shard *sh, struct lr_shard *part, struct lr_err *err)
{
    size_t in0 = sh->n_inputs, p0 = sh->n_parcels, r0 = sh->n_records, i0 = sh->n_issues;

    if (!append_block((void **)&sh->inputs, &sh->n_inputs, &sh->cap_inputs, part->inputs,
                      part->n_inputs, sizeof(*part->inputs)) ||
        !append_block((void **)&sh->parcels, &sh->n_parcels, &sh->cap_parcels, part->parcels,
                      part->n_parcels, sizeof(*part->parcels)) ||
        !append_block((void **)&sh->records, &sh->n_records, &sh->cap_records, part->records,
                      part->n_records, sizeof(*part->records)) ||
        !append_block((void **)&sh->issues, &sh->n_issues, &sh->cap_issues, part->issues,
                      part->n_issues, sizeof(*part->issues))) {
        sh->n_inputs = in0; /* the part still owns everything: nothing is freed twice */
        sh->n_parcels = p0;
        sh->n_records = r0;
        sh->n_issues = i0;
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = p0; i < sh->n_parcels; i++)
        sh->parcels[i].input += (uint32_t)in0;
    for (size_t i = r0; i < sh->n_records; i++)
        sh->records[i].input += (uint32_t)in0;
    for (size_t i = i0; i < sh->n_issues; i++) {
        struct lr_issue *is = &sh->issues[i];
        is->parcel = is->parcel >= 0 ? is->parcel + (int64_t)p0 : -1;
        is->record = is->record >= 0 ? is->record + (int64_t)r0 : -1;
    }
    sh->map_input += part->map_input;
    sh->register_input += part->register_input;
    part->n_inputs = part->n_parcels = part->n_records = part->n_issues = 0;
    return LR_OK;
}

/* ---- the same parcel delivered twice ---- */

struct dup_view {
    const struct lr_shard *sh;
    size_t *idx;
    size_t n;
};

static int
cmp_parcel_key(const void *a, const void *b, void *arg)
{
    const struct lr_shard *sh = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = lr_key_cmp(&sh->parcels[i].key, &sh->parcels[j].key);

    return c ? c : (i < j ? -1 : i > j);
}

/* Same coordinates (to the millimetre) in the same source CRS? */
static bool
same_feature(const struct lr_shard *sh, const struct lr_parcel *a, const struct lr_parcel *b)
{
    const char *ca = sh->inputs[a->input].src_crs, *cb = sh->inputs[b->input].src_crs;

    if (a->input == b->input || !ca || !cb || strcmp(ca, cb) != 0 ||
        a->shape.npts != b->shape.npts || a->shape.nrings != b->shape.nrings)
        return false;
    for (size_t k = 0; k < 2 * (size_t)a->shape.npts; k++)
        if (fabs(a->shape.xy[k] - b->shape.xy[k]) > 1e-3)
            return false;
    return true;
}

static enum lr_rc
reject_copy(struct lr_shard *sh, size_t keep, size_t drop, struct lr_err *err)
{
    struct lr_parcel *p = &sh->parcels[drop];
    char key[LR_KEY_STR_MAX], detail[1024];

    lr_key_format(&p->key, key);
    snprintf(detail, sizeof(detail),
             "'%s' layer '%s' feature %lld: parcel %s is the same feature as '%s' layer '%s' "
             "feature %lld (delivered twice); loaded once",
             sh->inputs[p->input].path, sh->inputs[p->input].layer, (long long)p->fid, key,
             sh->inputs[sh->parcels[keep].input].path, sh->inputs[sh->parcels[keep].input].layer,
             (long long)sh->parcels[keep].fid);
    p->status = LR_ST_REJECTED;
    p->reject = LR_IS_DUPLICATE_FEATURE;
    if (lr_shard_add_issue(sh, (int64_t)drop, -1, LR_IS_DUPLICATE_FEATURE, 0, 0, detail) != LR_OK)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    return LR_OK;
}

/* Map features delivered twice (the same key and the same coordinates in the same CRS, from two
 * files, as adjacent sheets may both carry an edge parcel) are one parcel: each later copy (in
 * task order) is rejected as duplicate_feature naming the first. The same key with another
 * geometry stays for the match stage (duplicate_key). */
static enum lr_rc
dedupe(struct lr_shard *sh, struct lr_err *err)
{
    size_t *idx = malloc((sh->n_parcels + 1) * sizeof(*idx)), n = 0, dropped = 0;
    enum lr_rc rc = LR_OK;

    if (!idx)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < sh->n_parcels; i++)
        if (sh->parcels[i].status != LR_ST_REJECTED)
            idx[n++] = i;
    qsort_r(idx, n, sizeof(*idx), cmp_parcel_key, sh);
    for (size_t a = 0; rc == LR_OK && a < n; a++) {
        const struct lr_parcel *pa = &sh->parcels[idx[a]];
        if (pa->status == LR_ST_REJECTED)
            continue;
        for (size_t b = a + 1;
             rc == LR_OK && b < n && lr_key_cmp(&pa->key, &sh->parcels[idx[b]].key) == 0; b++)
            if (sh->parcels[idx[b]].status != LR_ST_REJECTED &&
                same_feature(sh, pa, &sh->parcels[idx[b]])) {
                rc = reject_copy(sh, idx[a], idx[b], err);
                dropped++;
            }
    }
    if (dropped)
        lr_log(LR_LOG_INFO, "load", NULL, "%zu map features delivered twice were loaded once",
               dropped);
    free(idx);
    return rc;
}

/* Where the province is, in the target CRS: the box around the commune boundaries and the
 * price zones (both already in the target CRS). false when there are none. */
static bool
reference_box(struct lr_ctx *ctx, const struct lr_shard *sh, struct lr_bbox *b)
{
    bool any = false;

    for (size_t i = 0; i < sh->n_boundaries + sh->n_zones; i++) {
        const void *g =
            i < sh->n_boundaries ? sh->boundaries[i].geom : sh->zones[i - sh->n_boundaries].geom;
        struct lr_bbox e;
        if (!g || !lr_geom_bounds(ctx->geom, g, &e.minx, &e.miny, &e.maxx, &e.maxy))
            continue;
        if (!any)
            *b = e;
        any = true;
        b->minx = e.minx < b->minx ? e.minx : b->minx;
        b->miny = e.miny < b->miny ? e.miny : b->miny;
        b->maxx = e.maxx > b->maxx ? e.maxx : b->maxx;
        b->maxy = e.maxy > b->maxy ? e.maxy : b->maxy;
    }
    return any;
}

/* The reference inputs, on this thread. */
static enum lr_rc
load_refdata(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    const struct lr_config *cfg = ctx->cfg;
    enum lr_rc rc;

    sh->landuse = calloc(1, sizeof(*sh->landuse));
    if (!sh->landuse)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = lr_landuse_load(sh->landuse, cfg->land_use_map, err);
    if (rc == LR_OK)
        rc = lr_refdata_load_crosswalk(sh, cfg->crosswalk, err);
    if (rc == LR_OK && cfg->boundaries)
        rc = lr_refdata_load_boundaries(sh, ctx->geom, ctx->crs, cfg->boundaries, err);
    if (rc == LR_OK)
        rc = lr_refdata_load_zones(sh, ctx->geom, ctx->crs, err);
    if (rc == LR_OK)
        lr_refdata_warn_splits(sh);
    return rc;
}

/* Merge every part in task order; the first failed task (in that order) is the error. */
static enum lr_rc
merge_all(struct lr_shard *sh, struct task_list *l, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    for (size_t i = 0; rc == LR_OK && i < l->n; i++) {
        if (l->v[i].rc != LR_OK)
            return lr_err_set(err, l->v[i].rc, "%s", l->v[i].err.msg);
        rc = merge_part(sh, &l->v[i].part, err);
        l->v[i].part.landuse = NULL;     /* the stage's, not the part's */
        lr_shard_release(&l->v[i].part); /* what is left: its empty tables */
    }
    if (rc == LR_OK && sh->map_input == 0)
        rc = lr_err_set(err, LR_ERR_INPUT,
                        "the map sources hold no feature at all; check 'sources.maps' paths "
                        "and layers");
    return rc;
}

static void
count_stage(struct lr_shard *sh)
{
    struct lr_stage_stat *st = lr_stage_current(sh);

    st->in = sh->map_input + sh->register_input;
    for (size_t i = 0; i < sh->n_parcels; i++)
        st->rejected += sh->parcels[i].status == LR_ST_REJECTED;
    for (size_t i = 0; i < sh->n_records; i++)
        st->rejected += sh->records[i].status == LR_ST_REJECTED;
    st->out = st->in - st->rejected;
}

enum lr_rc
lr_stage_load(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct task_list tasks = { NULL, 0, 0 };
    struct lr_bbox ref;
    struct lr_load_env env = { ctx->cfg, NULL, NULL };
    enum lr_rc rc = load_refdata(ctx, sh, err);

    env.landuse = sh->landuse;
    if (rc == LR_OK && reference_box(ctx, sh, &ref))
        env.ref = &ref;
    if (rc == LR_OK)
        rc = tasks_build(ctx->cfg, &tasks, err);
    if (rc == LR_OK)
        rc = tasks_run(&env, &tasks, ctx->jobs, err);
    if (rc == LR_OK)
        rc = merge_all(sh, &tasks, err);
    if (rc == LR_OK)
        rc = dedupe(sh, err);
    tasks_free(&tasks);
    count_stage(sh);
    return rc;
}
