/* stage_validate.c - geometry QA of every map parcel, in three phases on ctx->jobs threads:
 *
 * 1. per parcel (chunks of the parcel table): validate_parcel.c builds, checks, repairs,
 *    measures and places each parcel;
 * 2. overlaps, per map (old commune): geom_qa.c;
 * 3. gaps, per new commune: geom_qa.c, then, on one thread, the parts of other communes'
 *    parcels reaching into a gap are taken away.
 *
 * A shard of a sharded run (shard.c) runs phases 1 and 2 only: both stay within one old
 * commune. Phase 3 crosses old communes (a new commune joins several), so the merge runs it
 * over every shard's parcels as its borders stage (lr_stage_borders, merge.c).
 *
 * Thread rules: every thread has its own GEOS context and its own copies of the boundaries; in
 * each phase a parcel belongs to one task, so one thread at a time uses its geometry. Issues go
 * to per-thread lists, sorted and added to the shard after each phase: the output does not
 * depend on the number of threads. */
#include "validate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 2048 /* parcels per phase-1 task */

/* ---- tasks and threads ---- */

/* The areas of new commune code in this thread's copies. */
static size_t
areas_of(struct lr_vworker *w, int32_t code, const void **areas, const void **preps, size_t max)
{
    const struct lr_shard *sh = w->job->sh;
    size_t n = 0;

    for (size_t b = 0; b < sh->n_boundaries && n < max; b++)
        if (sh->boundaries[b].new_code == code && w->bgeom[b]) {
            areas[n] = w->bgeom[b];
            preps[n++] = w->bprep[b];
        }
    return n;
}

static enum lr_rc
run_task(struct lr_vworker *w, size_t t)
{
    struct lr_vjob *j = w->job;
    const struct lr_config *cfg = j->ctx->cfg;
    const struct lr_vgroup *gr = &j->groups[t];
    const void *areas[16], *preps[16];
    size_t *hits = NULL, nh = 0, na;
    enum lr_rc rc = LR_OK;

    switch (j->phase) {
    case LR_VPH_PARCELS:
        for (size_t i = t * CHUNK; rc == LR_OK && i < j->sh->n_parcels && i < (t + 1) * CHUNK; i++)
            rc = lr_validate_parcel(w, i, &hits, &nh);
        free(hits);
        return rc;
    case LR_VPH_OVERLAPS:
        return lr_qa_overlaps(w->g, j->sh, gr->idx, gr->n, cfg->min_overlap_m2, &w->issues,
                              &w->err);
    case LR_VPH_GAPS:
        na = gr->bounded ? areas_of(w, gr->code, areas, preps, LR_ARRAY_LEN(areas)) : 0;
        return lr_qa_gaps_find(w->g, j->sh, gr->idx, gr->n, gr->code, areas, preps, na,
                               cfg->min_gap_m2, &w->gaps, &w->err);
    }
    return LR_OK;
}

static void *
worker_main(void *arg)
{
    struct lr_vworker *w = arg;
    struct lr_vjob *j = w->job;
    double c0 = lr_cpu_thread();
    size_t t;

    while (w->rc == LR_OK && !atomic_load(&j->failed) &&
           (t = atomic_fetch_add(&j->next, 1)) < j->ntasks) {
        w->rc = run_task(w, t);
        if (w->rc != LR_OK)
            atomic_store(&j->failed, 1);
    }
    w->phase_cpu = lr_cpu_thread() - c0;
    return NULL;
}

/* Run the job's current phase on nw workers: workers 1.. on new threads, worker 0 here. The
 * busiest worker's CPU time beyond worker 0's goes to j->idle_cpu (see run_all). */
static enum lr_rc
run_phase(struct lr_vjob *j, struct lr_vworker *ws, int nw, struct lr_err *err)
{
    int started = 1;
    double busiest = 0;

    atomic_store(&j->next, 0);
    for (int k = 1; k < nw; k++, started++)
        if (pthread_create(&ws[k].th, NULL, worker_main, &ws[k]) != 0)
            break;
    worker_main(&ws[0]);
    for (int k = 1; k < started; k++)
        pthread_join(ws[k].th, NULL);
    for (int k = 0; k < started; k++)
        busiest = ws[k].phase_cpu > busiest ? ws[k].phase_cpu : busiest;
    j->extra_cpu += busiest - ws[0].phase_cpu;
    for (int k = 0; k < nw; k++)
        if (ws[k].rc != LR_OK)
            return lr_err_set(err, ws[k].rc, "%s", ws[k].err.msg);
    return LR_OK;
}

/* ---- groups ---- */

struct keyed {
    int32_t code;
    size_t i;
};

static int
cmp_keyed(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;

    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Largest groups first, so that the threads finish together. */
static int
cmp_group_size(const void *pa, const void *pb)
{
    const struct lr_vgroup *a = pa, *b = pb;

    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return a->code < b->code ? -1 : a->code > b->code;
}

/* Group the parcels with code[i] >= 0 by code; every group's idx points into *all. */
static enum lr_rc
make_groups(const int32_t *code, size_t n, struct lr_vgroup **out, size_t *ngroups, size_t **all)
{
    struct keyed *kv = NULL;
    size_t m = 0, ng = 0;

    *out = NULL;
    *ngroups = 0;
    *all = malloc((n ? n : 1) * sizeof(size_t));
    kv = malloc((n ? n : 1) * sizeof(*kv));
    if (!*all || !kv)
        goto oom;
    for (size_t i = 0; i < n; i++)
        if (code[i] >= 0)
            kv[m++] = (struct keyed){ code[i], i };
    qsort(kv, m, sizeof(*kv), cmp_keyed);
    for (size_t k = 0; k < m; k++)
        ng += k == 0 || kv[k].code != kv[k - 1].code;
    *out = calloc(ng ? ng : 1, sizeof(**out));
    if (!*out)
        goto oom;
    for (size_t k = 0, g = 0; k < m; k++) {
        if (k > 0 && kv[k].code != kv[k - 1].code)
            g++;
        if ((*out)[g].n == 0) {
            (*out)[g].code = kv[k].code;
            (*out)[g].idx = *all + k;
        }
        (*all)[k] = kv[k].i;
        (*out)[g].n++;
    }
    qsort(*out, ng, sizeof(**out), cmp_group_size);
    *ngroups = ng;
    free(kv);
    return LR_OK;
oom:
    free(kv);
    free(*all);
    *all = NULL;
    return LR_ERR_NOMEM;
}

static bool
usable(const struct lr_parcel *p)
{
    return p->geom && p->status != LR_ST_REJECTED && !(p->issues & (1u << LR_IS_UNREPAIRABLE));
}

/* Phase-2 groups: the usable parcels of each map (old commune). */
static enum lr_rc
overlap_groups(struct lr_vjob *j, struct lr_vgroup **out, size_t *n, size_t **all)
{
    for (size_t i = 0; i < j->sh->n_parcels; i++)
        j->group_of[i] = usable(&j->sh->parcels[i]) ? j->sh->parcels[i].key.commune : -1;
    return make_groups(j->group_of, j->sh->n_parcels, out, n, all);
}

static int
cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return (x > y) - (x < y);
}

/* Gaps are looked for against new commune code's boundary only when the run holds a map of
 * every old commune the crosswalk puts in it (present: the old codes on the maps, sorted);
 * else within the parcels' union. */
static bool
bounded(const struct lr_shard *sh, int32_t code, const int32_t *present, size_t np)
{
    for (size_t c = 0; c < sh->n_communes; c++) {
        if (sh->communes[c].new_code != code ||
            bsearch(&sh->communes[c].old_code, present, np, sizeof(int32_t), cmp_i32))
            continue;
        lr_log(LR_LOG_WARN, "validate", NULL,
               "new commune %05d: no map of old commune %05d in this run; gaps are looked for "
               "inside the parcels' union only",
               (int)code, (int)sh->communes[c].old_code);
        return false;
    }
    return true;
}

/* The old commune codes on the maps, sorted and unique (caller frees). */
static int32_t *
present_communes(const struct lr_shard *sh, size_t *np)
{
    int32_t *v = malloc((sh->n_parcels ? sh->n_parcels : 1) * sizeof(*v));
    size_t n = 0;

    *np = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < sh->n_parcels; i++)
        if (n == 0 || v[n - 1] != sh->parcels[i].key.commune)
            v[n++] = sh->parcels[i].key.commune;
    qsort(v, n, sizeof(*v), cmp_i32);
    for (size_t i = 0; i < n; i++)
        if (*np == 0 || v[*np - 1] != v[i])
            v[(*np)++] = v[i];
    return v;
}

/* Phase-3 groups: parcels by new commune (boundaries) or by the crosswalk's new commune. */
static enum lr_rc
gap_groups(struct lr_vjob *j, struct lr_vgroup **out, size_t *n, size_t **all)
{
    const struct lr_shard *sh = j->sh;
    int32_t *present;
    size_t np;
    enum lr_rc rc;

    for (size_t i = 0; i < sh->n_parcels; i++) {
        const struct lr_parcel *p = &sh->parcels[i];
        const struct lr_commune *c = lr_shard_commune(sh, p->key.commune);
        j->group_of[i] = !p->geom || p->status == LR_ST_REJECTED ? -1
                         : sh->n_boundaries                      ? p->geo_commune
                         : c                                     ? c->new_code
                                                                 : p->key.commune;
    }
    rc = make_groups(j->group_of, sh->n_parcels, out, n, all);
    if (rc != LR_OK || sh->n_boundaries == 0)
        return rc;
    present = present_communes(sh, &np);
    if (!present)
        return LR_ERR_NOMEM;
    for (size_t g = 0; g < *n; g++)
        (*out)[g].bounded = bounded(sh, (*out)[g].code, present, np);
    free(present);
    return LR_OK;
}

/* ---- the stage ---- */

/* Sort every worker's issues together and add them to the shard. */
static enum lr_rc
flush_issues(struct lr_vworker *ws, int nw, struct lr_qa_issues *extra, struct lr_shard *sh,
             struct lr_err *err)
{
    struct lr_qa_issues all;
    enum lr_rc rc = LR_OK;

    lr_qa_issues_init(&all);
    for (int k = 0; rc == LR_OK && k < nw; k++)
        rc = lr_qa_issues_take(&all, &ws[k].issues);
    if (rc == LR_OK && extra)
        rc = lr_qa_issues_take(&all, extra);
    if (rc != LR_OK)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    lr_qa_issues_sort(&all);
    if (rc == LR_OK)
        rc = lr_qa_issues_flush(&all, sh, err);
    lr_qa_issues_release(&all);
    return rc;
}

/* Phase 1 on every thread, then its issues into the shard and its counts into the stage. */
static enum lr_rc
phase_parcels(struct lr_vjob *j, struct lr_vworker *ws, int nw, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(j->sh);
    enum lr_rc rc;

    j->phase = LR_VPH_PARCELS;
    j->ntasks = (j->sh->n_parcels + CHUNK - 1) / CHUNK;
    rc = run_phase(j, ws, nw, err);
    for (int k = 0; k < nw; k++) {
        j->sh->repair_area_delta_dm2 += ws[k].repair_delta_dm2;
        if (st) {
            st->in += ws[k].in;
            st->out += ws[k].out;
            st->rejected += ws[k].rejected;
        }
    }
    return rc == LR_OK ? flush_issues(ws, nw, NULL, j->sh, err) : rc;
}

/* Phase 2 or 3 over the groups that make_fn builds. */
static enum lr_rc
phase_groups(struct lr_vjob *j, struct lr_vworker *ws, int nw, enum lr_vphase ph,
             enum lr_rc (*make_fn)(struct lr_vjob *, struct lr_vgroup **, size_t *, size_t **),
             size_t *ngroups, struct lr_err *err)
{
    struct lr_vgroup *groups = NULL;
    size_t *all = NULL;
    enum lr_rc rc = make_fn(j, &groups, ngroups, &all);

    if (rc != LR_OK)
        return lr_err_set(err, rc, "out of memory grouping parcels");
    j->phase = ph;
    j->groups = groups;
    j->ntasks = *ngroups;
    rc = run_phase(j, ws, nw, err);
    j->groups = NULL;
    free(groups);
    free(all);
    return rc;
}

/* Gaps of every thread, less the other communes' parcels, as issues; then every issue of
 * phases 2 and 3 into the shard. Runs on this thread with worker 0's context. */
static enum lr_rc
finish_gaps(struct lr_vjob *j, struct lr_vworker *ws, int nw, struct lr_err *err)
{
    const struct lr_config *cfg = j->ctx->cfg;
    struct lr_qa_gaps gaps;
    struct lr_qa_issues out;
    bool bnd = j->sh->n_boundaries > 0;
    enum lr_rc rc = LR_OK;

    lr_qa_gaps_init(&gaps);
    lr_qa_issues_init(&out);
    for (int k = 0; rc == LR_OK && k < nw; k++)
        rc = lr_qa_gaps_take(&gaps, &ws[k].gaps);
    if (rc != LR_OK)
        rc = lr_err_set(err, rc, "out of memory");
    if (rc == LR_OK)
        rc = lr_qa_gaps_finish(ws[0].g, j->sh, &gaps, bnd ? j->spill : NULL, j->group_of, bnd,
                               cfg->min_gap_m2, &out, err);
    if (rc == LR_OK)
        rc = flush_issues(ws, nw, &out, j->sh, err);
    lr_qa_gaps_release(&gaps);
    lr_qa_issues_release(&out);
    return rc;
}

static int
thread_count(const struct lr_ctx *ctx)
{
    int n = ctx->jobs > 0 ? ctx->jobs : 1;

    return n > 64 ? 64 : n;
}

/* What one call does: every phase (a whole run), phases 1-2 (a shard: gaps cross old communes)
 * or phase 3 (the merge's borders stage). */
enum vpart { VP_ALL = 0, VP_LOCAL, VP_BORDERS };

static enum lr_rc
run_all(struct lr_vjob *j, struct lr_vworker *ws, int nw, enum vpart part, struct lr_err *err)
{
    double t0 = lr_now(), c0 = lr_cpu_thread(), t1, t2;
    size_t nmaps = 0, ncommunes = 0;
    enum lr_rc rc = part == VP_BORDERS ? LR_OK : phase_parcels(j, ws, nw, err);

    t1 = lr_now();
    if (rc == LR_OK && part != VP_BORDERS)
        rc = phase_groups(j, ws, nw, LR_VPH_OVERLAPS, overlap_groups, &nmaps, err);
    t2 = lr_now();
    if (rc == LR_OK && part == VP_LOCAL)
        rc = flush_issues(ws, nw, NULL, j->sh, err);
    if (rc == LR_OK && part != VP_LOCAL)
        rc = phase_groups(j, ws, nw, LR_VPH_GAPS, gap_groups, &ncommunes, err);
    if (rc == LR_OK && part != VP_LOCAL)
        rc = finish_gaps(j, ws, nw, err);
    /* critical path in CPU time: this thread's (worker 0 and the serial parts) plus, in each
     * phase, what the busiest worker used beyond worker 0: the wall time on free cores */
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, part == VP_BORDERS ? "borders" : "validate", NULL,
               "%zu parcels on %d threads: checks %.3f s, overlaps %.3f s (%zu maps), gaps "
               "%.3f s (%zu communes); critical path %.3f s of CPU",
               j->sh->n_parcels, nw, t1 - t0, t2 - t1, nmaps, lr_now() - t2, ncommunes,
               lr_cpu_thread() - c0 + j->extra_cpu);
    return rc;
}

/* Validate (part) the shard. VP_LOCAL hands phase 1's spill flags to ctx->spill; VP_BORDERS
 * borrows them from there. */
static enum lr_rc
validate(struct lr_ctx *ctx, struct lr_shard *sh, enum vpart part, struct lr_err *err)
{
    struct lr_vjob j;
    struct lr_vworker *ws = NULL;
    int nw = thread_count(ctx), ready = 0;
    enum lr_rc rc = LR_OK;

    memset(&j, 0, sizeof(j));
    j.ctx = ctx;
    j.sh = sh;
    if (part == VP_BORDERS && !ctx->spill && sh->n_parcels)
        return lr_err_set(err, LR_ERR_INTERNAL, "borders: the shards' spill flags are missing");
    j.spill = part == VP_BORDERS ? ctx->spill : calloc(sh->n_parcels ? sh->n_parcels : 1, 1);
    j.group_of = calloc(sh->n_parcels ? sh->n_parcels : 1, sizeof(int32_t));
    ws = calloc((size_t)nw, sizeof(*ws));
    if (!j.spill || !j.group_of || !ws) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (; ready < nw; ready++)
        if (lr_validate_worker_init(&ws[ready], &j) != LR_OK) {
            rc = lr_err_set(err, LR_ERR_NOMEM, "cannot set up validation thread %d", ready);
            ready++;
            goto out;
        }
    rc = run_all(&j, ws, nw, part, err);
    if (rc == LR_OK && part == VP_LOCAL) {
        free(ctx->spill);
        ctx->spill = j.spill;
        j.spill = NULL;
    }
out:
    for (int k = 0; k < ready; k++)
        lr_validate_worker_release(&ws[k], sh->n_boundaries);
    free(ws);
    if (part != VP_BORDERS)
        free(j.spill);
    free(j.group_of);
    return rc;
}

enum lr_rc
lr_stage_validate(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    enum lr_rc rc = validate(ctx, sh, ctx->validate_local ? VP_LOCAL : VP_ALL, err);

    /* a shard keeps them for the merge's borders stage */
    if (rc == LR_OK && !ctx->validate_local)
        lr_shard_drop_coords(sh);
    return rc;
}

enum lr_rc
lr_stage_borders(struct lr_ctx *ctx, struct lr_shard *sh, struct lr_err *err)
{
    struct lr_stage_stat *st = lr_stage_current(sh);
    enum lr_rc rc = validate(ctx, sh, VP_BORDERS, err);

    if (st) {
        st->in = st->out = (int64_t)sh->n_parcels;
        for (size_t i = 0; i < sh->n_parcels; i++)
            st->in -= sh->parcels[i].status == LR_ST_REJECTED;
        st->out = st->in;
    }
    return rc;
}
