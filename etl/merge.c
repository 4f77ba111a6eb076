/* merge.c - `landrec merge RUN_DIR` (see merge.h). */
#include "merge.h"

#include "checkpoint.h"
#include "io.h"
#include "run_int.h"
#include "shard.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a shard's DONE (or FAILED) says. */
struct done {
    bool present;
    int index, count;
    char *run_id, *config, *codes;
    char cfg_hex[65], ckpt_hex[65], index_hex[65];
    long long total_p, total_r, parcels, records;
    char failed[256]; /* FAILED's first line, "" when none */
};

static void
done_release(struct done *d)
{
    free(d->run_id);
    free(d->config);
    free(d->codes);
}

/* One "key value" line of DONE into d. */
static void
done_line(struct done *d, const char *key, const char *val)
{
    if (strcmp(key, "run_id") == 0)
        d->run_id = lr_strdup(val);
    else if (strcmp(key, "config") == 0)
        d->config = lr_strdup(val);
    else if (strcmp(key, "communes") == 0)
        d->codes = lr_strdup(val);
    else if (strcmp(key, "shard") == 0)
        d->index = atoi(val);
    else if (strcmp(key, "count") == 0)
        d->count = atoi(val);
    else if (strcmp(key, "total_parcels") == 0)
        d->total_p = atoll(val);
    else if (strcmp(key, "total_records") == 0)
        d->total_r = atoll(val);
    else if (strcmp(key, "parcels") == 0)
        d->parcels = atoll(val);
    else if (strcmp(key, "records") == 0)
        d->records = atoll(val);
    else if (strcmp(key, "config_sha256") == 0)
        snprintf(d->cfg_hex, sizeof(d->cfg_hex), "%s", val);
    else if (strcmp(key, "ckpt_sha256") == 0)
        snprintf(d->ckpt_hex, sizeof(d->ckpt_hex), "%s", val);
    else if (strcmp(key, "index_sha256") == 0)
        snprintf(d->index_hex, sizeof(d->index_hex), "%s", val);
}

/* Read dir/DONE into d (d->present: it exists and names a shard); dir/FAILED's first line. */
static void
read_done(const char *dir, struct done *d)
{
    char *path = lr_path_join(dir, LR_SHARD_DONE);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    FILE *f = path ? fopen(path, "r") : NULL;

    memset(d, 0, sizeof(*d));
    d->index = d->count = -1;
    while (f && (len = getline(&line, &cap, f)) > 0) {
        char *sp = strchr(line, ' ');
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        if (sp) {
            *sp = '\0';
            done_line(d, line, sp + 1);
        }
    }
    d->present = f && d->index >= 0 && d->count > 0 && d->run_id && d->config && d->codes;
    if (f)
        fclose(f);
    free(path);
    path = lr_path_join(dir, LR_SHARD_FAIL);
    f = path ? fopen(path, "r") : NULL;
    if (f && fgets(d->failed, sizeof(d->failed), f))
        d->failed[strcspn(d->failed, "\n")] = '\0';
    if (f)
        fclose(f);
    free(line);
    free(path);
}

/* ---- finding the shards ---- */

struct shards {
    char *dir; /* OUTPUT/ID.tmp/shards */
    struct done *v;
    int n; /* = count */
};

static void
shards_release(struct shards *s)
{
    for (int i = 0; s->v && i < s->n; i++)
        done_release(&s->v[i]);
    free(s->v);
    free(s->dir);
}

/* A folder name that is a shard index. */
static int
index_of(const char *name)
{
    char *end;
    long v = strtol(name, &end, 10);

    return *name && !*end && v >= 0 && v < LR_SHARD_MAX ? (int)v : -1;
}

/* The shard count from the complete shards (they must agree); LR_ERR_INTERNAL without any. */
static enum lr_rc
scan_count(const char *dir, const char *id, int *count, struct lr_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    enum lr_rc rc = LR_OK;

    *count = 0;
    if (!d)
        return lr_err_set(err, LR_ERR_INTERNAL,
                          "run '%s' has no shard results ('%s': %s); run its shards first "
                          "(`landrec run CONFIG --run-id %s --shard I/N`)",
                          id, dir, strerror(errno), id);
    while (rc == LR_OK && (e = readdir(d)) != NULL) {
        struct done one;
        char *sub = index_of(e->d_name) >= 0 ? lr_path_join(dir, e->d_name) : NULL;
        if (!sub)
            continue;
        read_done(sub, &one);
        if (one.present && *count && one.count != *count)
            rc = lr_err_set(err, LR_ERR_INTERNAL,
                            "shards of run '%s' disagree on the shard count (%d and %d); remove "
                            "'%s' and run every shard again with one --shard I/N",
                            id, *count, one.count, dir);
        if (one.present)
            *count = one.count;
        done_release(&one);
        free(sub);
    }
    closedir(d);
    if (rc == LR_OK && *count == 0)
        rc = lr_err_set(err, LR_ERR_INTERNAL,
                        "no shard of run '%s' is complete in '%s'; run its shards first "
                        "(`landrec run CONFIG --run-id %s --shard I/N`)",
                        id, dir, id);
    return rc;
}

/* Missing and failed shards into an error naming the indices to run again. */
static enum lr_rc
missing_error(const struct shards *s, const char *id, struct lr_err *err)
{
    struct lr_buf idx, why;
    int n = 0;
    enum lr_rc rc;

    lr_buf_init(&idx);
    lr_buf_init(&why);
    for (int i = 0; i < s->n; i++) {
        if (s->v[i].present)
            continue;
        lr_buf_addf(&idx, "%s%d", n++ ? "," : "", i);
        if (s->v[i].failed[0] && why.len < 300)
            lr_buf_addf(&why, "; shard %d failed: %s", i, s->v[i].failed);
    }
    rc = lr_err_set(err, LR_ERR_INTERNAL,
                    "run '%s' is incomplete: %d of %d shards missing or failed (indices %s)%s; "
                    "run them again (Slurm: sbatch --array=%s deploy/slurm/landrec.sbatch ...; by "
                    "hand: landrec run CONFIG --run-id %s --shard I/%d), then merge again",
                    id, n, s->n, idx.data ? idx.data : "", why.data ? why.data : "",
                    idx.data ? idx.data : "", id, s->n);
    lr_buf_release(&idx);
    lr_buf_release(&why);
    return rc;
}

/* Every shard's DONE; LR_ERR_INTERNAL when one is missing or they disagree. */
static enum lr_rc
find_shards(const char *work_dir, const char *id, struct shards *s, struct lr_err *err)
{
    enum lr_rc rc;
    int missing = 0;

    s->dir = lr_asprintf("%s/%s", work_dir, LR_SHARD_DIR);
    if (!s->dir)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = scan_count(s->dir, id, &s->n, err);
    if (rc == LR_OK && !(s->v = calloc((size_t)s->n, sizeof(*s->v))))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == LR_OK && i < s->n; i++) {
        char *sub = lr_asprintf("%s/%d", s->dir, i);
        if (!sub)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        read_done(sub, &s->v[i]);
        free(sub);
        if (s->v[i].present &&
            (s->v[i].index != i || s->v[i].count != s->n || strcmp(s->v[i].run_id, id) != 0 ||
             strcmp(s->v[i].cfg_hex, s->v[0].cfg_hex) != 0))
            rc = lr_err_set(err, LR_ERR_INTERNAL,
                            "shard %d of run '%s' does not belong with the others (index, count, "
                            "run id or config differ); run it again",
                            i, id);
        missing += !s->v[i].present;
    }
    if (rc == LR_OK && (missing || !s->v[0].present))
        rc = missing_error(s, id, err);
    return rc;
}

/* ---- reading a shard ---- */

static enum lr_rc
read_all(const char *path, unsigned char **data, size_t *n, struct lr_err *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;

    *data = NULL;
    *n = 0;
    if (!f || fstat(fileno(f), &st) != 0) {
        if (f)
            fclose(f);
        return lr_err_set(err, LR_ERR_INTERNAL, "cannot read shard file '%s': %s", path,
                          strerror(errno));
    }
    *data = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (*data && fread(*data, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
        *n = (size_t)st.st_size;
        fclose(f);
        return LR_OK;
    }
    fclose(f);
    free(*data);
    *data = NULL;
    return lr_err_set(err, LR_ERR_INTERNAL, "cannot read shard file '%s'", path);
}

/* A file of shard i, checked against the sha256 its DONE names. */
static enum lr_rc
read_checked(const struct shards *s, int i, const char *name, const char *want,
             unsigned char **data, size_t *n, struct lr_err *err)
{
    char *path = lr_asprintf("%s/%d/%s", s->dir, i, name);
    char hex[65] = "";
    enum lr_rc rc;

    if (!path)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    rc = lr_io_sha256_file(path, hex, err);
    if (rc == LR_OK && strcmp(hex, want) != 0)
        rc = lr_err_set(err, LR_ERR_INTERNAL,
                        "shard %d: '%s' is not the file its DONE describes (sha256 differs); run "
                        "shard %d again",
                        i, path, i);
    if (rc == LR_OK)
        rc = read_all(path, data, n, err);
    free(path);
    return rc;
}

/* One shard's tables and index. */
struct part {
    struct lr_shard sh;
    int64_t *op, *orr; /* load positions */
    uint8_t *spill;
};

static uint64_t
get_u64le(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* index.bin (shard.c) into p, checked against the decoded tables. */
static enum lr_rc
decode_index(const unsigned char *d, size_t n, struct part *p, int i, struct lr_err *err)
{
    size_t np, nr;

    if (n < 24 || memcmp(d, "LRSHIX01", 8) != 0)
        return lr_err_set(err, LR_ERR_INTERNAL, "shard %d: index.bin is damaged; run it again", i);
    np = (size_t)get_u64le(d + 8);
    nr = (size_t)get_u64le(d + 16);
    if (np != p->sh.n_parcels || nr != p->sh.n_records || n != 24 + 8 * (np + nr) + np)
        return lr_err_set(err, LR_ERR_INTERNAL,
                          "shard %d: index.bin does not fit its tables; run it again", i);
    p->op = malloc((np ? np : 1) * sizeof(int64_t));
    p->orr = malloc((nr ? nr : 1) * sizeof(int64_t));
    p->spill = malloc(np ? np : 1);
    if (!p->op || !p->orr || !p->spill)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < np; k++)
        p->op[k] = (int64_t)get_u64le(d + 24 + 8 * k);
    for (size_t k = 0; k < nr; k++)
        p->orr[k] = (int64_t)get_u64le(d + 24 + 8 * (np + k));
    memcpy(p->spill, d + 24 + 8 * (np + nr), np);
    return LR_OK;
}

static enum lr_rc
read_part(struct lr_ctx *ctx, const struct shards *s, int i, struct part *p, struct lr_err *err)
{
    struct lr_checkpoint_info info;
    unsigned char *data = NULL;
    size_t n = 0;
    enum lr_rc rc = read_checked(s, i, LR_SHARD_CKPT, s->v[i].ckpt_hex, &data, &n, err);

    memset(&info, 0, sizeof(info));
    if (rc == LR_OK)
        rc = lr_checkpoint_decode(ctx->geom, data, n, &info, &p->sh, lr_run_stage_names,
                                  lr_run_n_stage_names, err);
    if (rc == LR_OK && memcmp(info.config_sha256, ctx->cfg->sha256, 32) != 0)
        rc = lr_err_set(err, LR_ERR_INTERNAL, "shard %d was run with another config", i);
    lr_checkpoint_info_release(&info);
    free(data);
    data = NULL;
    if (rc == LR_OK)
        rc = read_checked(s, i, LR_SHARD_INDEX, s->v[i].index_hex, &data, &n, err);
    if (rc == LR_OK)
        rc = decode_index(data, n, p, i, err);
    free(data);
    return rc;
}

static void
part_release(struct part *p)
{
    lr_shard_release(&p->sh);
    free(p->op);
    free(p->orr);
    free(p->spill);
}

/* ---- putting the shards together ---- */

/* Shard i's positions are in range and not taken (seen marks them). */
static enum lr_rc
check_positions(const int64_t *pos, size_t n, int64_t total, uint8_t *seen, int i, const char *what,
                struct lr_err *err)
{
    for (size_t k = 0; k < n; k++) {
        if (pos[k] < 0 || pos[k] >= total)
            return lr_err_set(err, LR_ERR_INTERNAL,
                              "shard %d: a %s outside the run's load (position %lld of %lld); "
                              "were the inputs changed between shards? run every shard again",
                              i, what, (long long)pos[k], (long long)total);
        if (seen[pos[k]])
            return lr_err_set(err, LR_ERR_INTERNAL,
                              "shard %d holds a %s (load position %lld) that another shard holds "
                              "too: the shards' --commune lists overlap; run them again with "
                              "disjoint lists",
                              i, what, (long long)pos[k]);
        seen[pos[k]] = 1;
    }
    return LR_OK;
}

static enum lr_rc
reserve(void **v, size_t *cap, size_t need, size_t size)
{
    void *nv;

    if (need <= *cap)
        return LR_OK;
    nv = realloc(*v, need * size);
    if (!nv)
        return LR_ERR_NOMEM;
    *v = nv;
    *cap = need;
    return LR_OK;
}

static int64_t
pos_of(const int64_t *pos, int64_t i)
{
    return i >= 0 ? pos[i] : -1;
}

/* Move issues, findings and lineage of p into m, indices at their load positions. */
static enum lr_rc
move_rows(struct lr_shard *m, struct part *p)
{
    struct lr_shard *s = &p->sh;

    if (reserve((void **)&m->issues, &m->cap_issues, m->n_issues + s->n_issues,
                sizeof(*m->issues)) != LR_OK ||
        reserve((void **)&m->findings, &m->cap_findings, m->n_findings + s->n_findings,
                sizeof(*m->findings)) != LR_OK ||
        reserve((void **)&m->lineage, &m->cap_lineage, m->n_lineage + s->n_lineage,
                sizeof(*m->lineage)) != LR_OK)
        return LR_ERR_NOMEM;
    for (size_t k = 0; k < s->n_issues; k++) {
        struct lr_issue is = s->issues[k];
        is.parcel = pos_of(p->op, is.parcel);
        is.record = pos_of(p->orr, is.record);
        m->issues[m->n_issues++] = is;
    }
    for (size_t k = 0; k < s->n_findings; k++) {
        struct lr_finding f = s->findings[k];
        f.parcel = pos_of(p->op, f.parcel);
        f.record = pos_of(p->orr, f.record);
        m->findings[m->n_findings++] = f;
    }
    for (size_t k = 0; k < s->n_lineage; k++) {
        struct lr_lineage l = s->lineage[k];
        l.parcel = pos_of(p->op, l.parcel);
        l.record = pos_of(p->orr, l.record);
        m->lineage[m->n_lineage++] = l;
    }
    s->n_issues = s->n_findings = s->n_lineage = 0;
    return LR_OK;
}

/* Move p's parcels and records to their load positions in m, and its spill flags. */
static void
move_tables(struct lr_shard *m, uint8_t *spill, struct part *p)
{
    struct lr_shard *s = &p->sh;

    for (size_t k = 0; k < s->n_parcels; k++) {
        struct lr_parcel *q = &m->parcels[p->op[k]];
        *q = s->parcels[k];
        q->record = pos_of(p->orr, q->record);
        spill[p->op[k]] = p->spill[k];
    }
    for (size_t k = 0; k < s->n_records; k++) {
        struct lr_record *r = &m->records[p->orr[k]];
        *r = s->records[k];
        r->parcel = pos_of(p->op, r->parcel);
    }
    m->map_input += s->map_input;
    m->register_input += s->register_input;
    m->repair_area_delta_dm2 += s->repair_area_delta_dm2;
    s->n_parcels = s->n_records = 0;
}

/* The reference tables, the inputs and the load statistics come from shard 0 (every shard
 * loaded the same inputs: their sha256 must agree); reproject and validate add up. */
static enum lr_rc
take_common(struct lr_shard *m, struct part *parts, int n, struct lr_err *err)
{
    struct lr_shard *s0 = &parts[0].sh;

    for (int i = 1; i < n; i++) {
        const struct lr_shard *s = &parts[i].sh;
        bool same = s->n_inputs == s0->n_inputs;
        for (size_t k = 0; same && k < s->n_inputs; k++)
            same = strcmp(s->inputs[k].sha256, s0->inputs[k].sha256) == 0;
        if (!same)
            return lr_err_set(err, LR_ERR_INPUT,
                              "shard %d read other inputs than shard 0 (an input changed while "
                              "the shards ran); run every shard again once the inputs are "
                              "stable",
                              i);
    }
    /* reproject names an input's operation in the shards that used the input */
    for (size_t k = 0; k < s0->n_inputs; k++)
        for (int i = 1; !s0->inputs[k].crs_op && i < n; i++) {
            s0->inputs[k].crs_op = parts[i].sh.inputs[k].crs_op;
            parts[i].sh.inputs[k].crs_op = NULL;
        }
#define TAKE(f, nf)                                                                                \
    do {                                                                                           \
        m->f = s0->f;                                                                              \
        m->nf = s0->nf;                                                                            \
        s0->f = NULL;                                                                              \
        s0->nf = 0;                                                                                \
    } while (0)
    TAKE(inputs, n_inputs);
    TAKE(zones, n_zones);
    TAKE(communes, n_communes);
    TAKE(boundaries, n_boundaries);
#undef TAKE
    m->cap_inputs = m->n_inputs;
    m->landuse = s0->landuse;
    s0->landuse = NULL;
    for (size_t k = 0; k < s0->n_stages && k < 3; k++) {
        m->stages[k] = s0->stages[k];
        for (int i = 1; k > 0 && i < n; i++) {
            m->stages[k].in += parts[i].sh.stages[k].in;
            m->stages[k].out += parts[i].sh.stages[k].out;
            m->stages[k].rejected += parts[i].sh.stages[k].rejected;
            m->stages[k].seconds += parts[i].sh.stages[k].seconds;
        }
    }
    m->n_stages = s0->n_stages < 3 ? s0->n_stages : 3;
    return LR_OK;
}

/* Every shard into m (in load order) and its spill flags into ctx->spill. */
static enum lr_rc
assemble(struct lr_ctx *ctx, const struct shards *s, struct lr_shard *m, struct lr_err *err)
{
    int64_t tp = s->v[0].total_p, tr = s->v[0].total_r;
    struct part *parts = calloc((size_t)s->n, sizeof(*parts));
    uint8_t *seen_p = calloc(tp ? (size_t)tp : 1, 1), *seen_r = calloc(tr ? (size_t)tr : 1, 1);
    enum lr_rc rc = LR_OK;
    int64_t np = 0, nr = 0;

    m->parcels = calloc(tp ? (size_t)tp : 1, sizeof(*m->parcels));
    m->records = calloc(tr ? (size_t)tr : 1, sizeof(*m->records));
    ctx->spill = calloc(tp ? (size_t)tp : 1, 1);
    if (!parts || !seen_p || !seen_r || !m->parcels || !m->records || !ctx->spill) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory merging %lld parcels", (long long)tp);
        goto out;
    }
    m->cap_parcels = (size_t)tp;
    m->cap_records = (size_t)tr;
    for (int i = 0; i < s->n; i++)
        lr_shard_init(&parts[i].sh, ctx->cfg);
    for (int i = 0; rc == LR_OK && i < s->n; i++) {
        if (s->v[i].total_p != tp || s->v[i].total_r != tr)
            rc = lr_err_set(err, LR_ERR_INPUT,
                            "shard %d loaded %lld map features and %lld register rows, shard 0 "
                            "%lld and %lld: the inputs changed between shards; run every shard "
                            "again",
                            i, s->v[i].total_p, s->v[i].total_r, (long long)tp, (long long)tr);
        if (rc == LR_OK)
            rc = read_part(ctx, s, i, &parts[i], err);
        if (rc == LR_OK)
            rc = check_positions(parts[i].op, parts[i].sh.n_parcels, tp, seen_p, i, "map feature",
                                 err);
        if (rc == LR_OK)
            rc = check_positions(parts[i].orr, parts[i].sh.n_records, tr, seen_r, i, "register row",
                                 err);
        np += (int64_t)parts[i].sh.n_parcels;
        nr += (int64_t)parts[i].sh.n_records;
    }
    if (rc == LR_OK && (np != tp || nr != tr))
        rc = lr_err_set(err, LR_ERR_INTERNAL,
                        "the shards hold %lld of %lld map features and %lld of %lld register "
                        "rows: their --commune lists leave communes out; run the missing "
                        "communes as shards of this run",
                        (long long)np, (long long)tp, (long long)nr, (long long)tr);
    if (rc == LR_OK)
        rc = take_common(m, parts, s->n, err);
    for (int i = 0; rc == LR_OK && i < s->n; i++) {
        move_tables(m, ctx->spill, &parts[i]);
        if (move_rows(m, &parts[i]) != LR_OK)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    if (rc == LR_OK) {
        m->n_parcels = (size_t)tp;
        m->n_records = (size_t)tr;
    }
out:
    for (int i = 0; parts && i < s->n; i++)
        part_release(&parts[i]);
    free(parts);
    free(seen_p);
    free(seen_r);
    return rc;
}

/* ---- the merge ---- */

static const struct lr_run_stage merge_stages[] = {
    { "borders", lr_stage_borders },
    { "match", lr_stage_match },
    { "value", lr_stage_value },
    { "extract", lr_stage_extract },
};
static const struct lr_run_stage publish_stage[] = { { "publish", lr_stage_publish } };

/* RUN_DIR into OUTPUT and RUN_ID (a trailing / and .tmp dropped). */
static enum lr_rc
split_run_dir(const char *run_dir, char **output, char **id, struct lr_err *err)
{
    char *d = lr_strdup(run_dir), *base;
    size_t n;

    if (!d)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    if (n > 4 && strcmp(d + n - 4, ".tmp") == 0)
        d[n -= 4] = '\0';
    base = strrchr(d, '/');
    *id = lr_strdup(base ? base + 1 : d);
    *output = base ? (base == d ? lr_strdup("/") : (*base = '\0', lr_strdup(d))) : lr_strdup(".");
    free(d);
    if (!*id || !*output)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    if (!**id || **id == '.')
        return lr_err_set(err, LR_ERR_USAGE, "'%s' is not a run folder (OUTPUT/RUN_ID)", run_dir);
    return LR_OK;
}

/* Publish with the shards moved out of the work folder (they hold personal data and are no
 * output); afterwards they are deleted, or put back when the work folder is still there. */
static enum lr_rc
publish_parked(struct lr_ctx *ctx, struct lr_shard *sh, const char *shards, struct lr_err *err)
{
    char *parked = lr_asprintf("%s/.%s.shards", ctx->output, ctx->run_id);
    struct lr_err ignored = { LR_OK, "" };
    struct stat st;
    enum lr_rc rc = LR_OK;

    if (!parked)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    lr_io_remove_tree(parked, &ignored);
    if (rename(shards, parked) != 0)
        rc = lr_err_set(err, LR_ERR_IO, "cannot move '%s' aside for publishing: %s", shards,
                        strerror(errno));
    if (rc == LR_OK)
        rc = lr_run_stage_list(ctx, sh, publish_stage, 1, err);
    if (stat(ctx->work_dir, &st) == 0)
        rename(parked, shards);
    else
        lr_io_remove_tree(parked, &ignored);
    free(parked);
    return rc;
}

/* The merge proper, once the shards are found and the config loaded. */
static enum lr_rc
merge_run(struct lr_ctx *ctx, const struct shards *s, struct lr_err *err)
{
    struct lr_shard sh;
    double t0 = lr_now();
    enum lr_rc rc;

    lr_shard_init(&sh, ctx->cfg);
    rc = lr_run_check_config_crs(ctx, err);
    if (rc == LR_OK)
        rc = assemble(ctx, s, &sh, err);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "merge", NULL,
               "run '%s': %d shards, %zu map features, %zu register rows put together in %.3f s",
               ctx->run_id, s->n, sh.n_parcels, sh.n_records, lr_now() - t0);
    if (rc == LR_OK)
        rc = lr_run_stage_list(ctx, &sh, merge_stages, LR_ARRAY_LEN(merge_stages), err);
    if (rc == LR_OK)
        rc = publish_parked(ctx, &sh, s->dir, err);
    if (rc != LR_OK && rc != LR_ERR_GATE && sh.cfg)
        lr_run_report_failure(ctx, &sh, rc, err);
    lr_shard_release(&sh);
    return rc;
}

/* A merge killed while publishing left the shards parked: back into the work folder when it is
 * still there (the merge runs again), else deleted (they hold personal data). */
static enum lr_rc
recover_parked(const char *output, const char *id, const char *work, struct lr_err *err)
{
    char *parked = lr_asprintf("%s/.%s.shards", output, id);
    char *shards = lr_asprintf("%s/%s", work, LR_SHARD_DIR);
    struct lr_err ignored = { LR_OK, "" };
    struct stat st;
    enum lr_rc rc = LR_OK;

    if (!parked || !shards)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    else if (stat(parked, &st) != 0)
        ; /* nothing parked */
    else if (stat(work, &st) == 0 && stat(shards, &st) != 0 && rename(parked, shards) == 0)
        lr_log(LR_LOG_WARN, "merge", NULL,
               "run '%s': an earlier merge stopped while publishing; "
               "merging again",
               id);
    else
        lr_io_remove_tree(parked, &ignored);
    free(parked);
    free(shards);
    return rc;
}

enum lr_rc
lr_merge_main(const struct lr_merge_opts *o, struct lr_err *err)
{
    struct lr_run_opts ro = { .jobs = o->jobs,
                              .no_publish = o->no_publish,
                              .warehouse = o->warehouse };
    struct shards s = { NULL, NULL, 0 };
    struct lr_lock lock = { -1, NULL };
    struct lr_config cfg;
    struct lr_ctx ctx;
    char *output = NULL, *id = NULL, *work = NULL, *done = NULL, cfg_hex[65];
    struct stat st;
    enum lr_rc rc;

    memset(&cfg, 0, sizeof(cfg));
    memset(&ctx, 0, sizeof(ctx));
    lr_run_signals();
    rc = split_run_dir(o->run_dir, &output, &id, err);
    if (rc == LR_OK) {
        work = lr_asprintf("%s/%s.tmp", output, id);
        done = lr_asprintf("%s/%s", output, id);
        if (!work || !done)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    if (rc == LR_OK && stat(output, &st) != 0)
        rc = lr_err_set(err, LR_ERR_USAGE,
                        "no output folder '%s'; name OUTPUT/RUN_ID of a "
                        "sharded run",
                        output);
    if (rc == LR_OK) /* one run or merge at a time per output folder, as `landrec run` */
        rc = lr_lock_acquire(&lock, output, err);
    if (rc == LR_OK)
        rc = recover_parked(output, id, work, err);
    if (rc == LR_OK && stat(work, &st) != 0) {
        if (stat(done, &st) == 0)
            lr_log(LR_LOG_INFO, "merge", NULL, "run '%s' is merged already ('%s'): nothing to do",
                   id, done);
        else
            rc = lr_err_set(err, LR_ERR_USAGE,
                            "no run folder '%s' (nor '%s'); name OUTPUT/RUN_ID of a sharded run",
                            work, done);
        goto out;
    }
    if (rc == LR_OK)
        rc = find_shards(work, id, &s, err);
    ro.config_path = o->config_path ? o->config_path : (rc == LR_OK ? s.v[0].config : NULL);
    ro.out_dir = output;
    ro.run_id = id;
    if (rc == LR_OK)
        rc = lr_config_load(ro.config_path, &cfg, err);
    if (rc == LR_OK) {
        lr_io_sha256_hex(cfg.sha256, cfg_hex);
        if (strcmp(cfg_hex, s.v[0].cfg_hex) != 0)
            rc = lr_err_set(err, LR_ERR_CONFIG,
                            "config '%s' is not the one the shards of run '%s' ran with (sha256 "
                            "%.12s..., they %.12s...); merge with that config or run the shards "
                            "again",
                            ro.config_path, id, cfg_hex, s.v[0].cfg_hex);
    }
    if (rc == LR_OK)
        rc = lr_run_ctx_init(&ctx, &cfg, &ro, err);
    if (rc == LR_OK)
        rc = merge_run(&ctx, &s, err);
out:
    lr_lock_release(&lock);
    lr_run_ctx_release(&ctx);
    lr_config_release(&cfg);
    shards_release(&s);
    free(output);
    free(id);
    free(work);
    free(done);
    return rc;
}
