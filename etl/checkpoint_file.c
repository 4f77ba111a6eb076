/* checkpoint_file.c - checkpoint files on disk: save, find, load with every check, the work
 * folder tidied for a resume, and the checkpoints kept out of what publish renames
 * (see checkpoint.h). */
#include "checkpoint.h"
#include "geom.h"
#include "io.h"
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The checkpoint index of a file name "NN-stage.ckpt", -1 for other names. */
static long
ckpt_index(const char *name)
{
    size_t n = strlen(name);
    char *end;
    long v;

    if (n < 7 || strcmp(name + n - 5, ".ckpt") != 0)
        return -1;
    v = strtol(name, &end, 10);
    return end != name && *end == '-' && v >= 0 ? v : -1;
}

/* Name of the newest checkpoint in dir (caller frees), NULL when none. */
static char *
newest_ckpt(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *best = NULL;
    long best_i = -1;

    while (d && (e = readdir(d))) {
        long i = ckpt_index(e->d_name);
        if (i > best_i) {
            free(best);
            best = strdup(e->d_name);
            best_i = best ? i : -1;
        }
    }
    if (d)
        closedir(d);
    return best;
}

/* A checkpoint's part file "NN-STAGE.ckpt.part" (never the newest checkpoint itself). */
static bool
is_part(const char *name)
{
    size_t n = strlen(name);

    return n > 10 && strcmp(name + n - 10, ".ckpt.part") == 0;
}

/* Remove every checkpoint file of dir that the chain does not name. */
static void
remove_unreferenced(const char *dir, const struct lr_ckpt_chain *ch)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        bool keep = false;

        for (int s = 0; s < LR_CK_NSECTIONS && !keep; s++)
            keep = strcmp(e->d_name, ch->file[s]) == 0;
        if (!keep && (ckpt_index(e->d_name) >= 0 || is_part(e->d_name))) {
            char *p = lr_path_join(dir, e->d_name);
            if (p)
                unlink(p);
            free(p);
        }
    }
    if (d)
        closedir(d);
}

static enum lr_rc
read_all(const char *path, unsigned char **data, size_t *n, struct lr_err *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    enum lr_rc rc = LR_OK;

    *data = NULL;
    if (!f || fstat(fileno(f), &st) != 0 || st.st_size < 0) {
        rc = lr_err_set(err, LR_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
    } else if (!(*data = malloc((size_t)st.st_size + 1))) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory reading '%s'", path);
    } else if (fread(*data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        rc = lr_err_set(err, LR_ERR_INPUT, "cannot read '%s': short read", path);
        free(*data);
        *data = NULL;
    }
    *n = rc == LR_OK ? (size_t)st.st_size : 0;
    if (f)
        fclose(f);
    return rc;
}

static char *
ckpt_dir(const struct lr_ctx *ctx)
{
    return lr_path_join(ctx->work_dir, LR_CHECKPOINT_DIR);
}

/* OUTPUT/.RUN_ID.checkpoints: where checkpoints wait while publish runs. */
static char *
stash_dir(const struct lr_ctx *ctx)
{
    return lr_asprintf("%s/.%s.checkpoints", ctx->output, ctx->run_id);
}

/* sha256 of every output into info (names borrowed from ctx). */
static enum lr_rc
hash_outputs(struct lr_ctx *ctx, struct lr_checkpoint_info *info, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;

    info->outputs = ctx->outputs;
    info->n_outputs = ctx->n_outputs;
    info->output_sha = ctx->n_outputs ? calloc(ctx->n_outputs, sizeof(*info->output_sha)) : NULL;
    if (ctx->n_outputs && !info->output_sha)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == LR_OK && i < ctx->n_outputs; i++) {
        char *p = lr_path_join(ctx->work_dir, ctx->outputs[i]);
        rc = p ? lr_io_sha256_file(p, info->output_sha[i], err)
               : lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        free(p);
    }
    return rc;
}

/* ---- a checkpoint in two files ----
 * With --jobs > 1 and much to write, a second thread writes some of the sections into
 * NN-STAGE.ckpt.part (a run checkpoint file whose other sections are absent) while the main
 * thread writes the rest into NN-STAGE.ckpt, which then refers to the part for its sections:
 * the writing (copying into the page cache, sha256, geometries to WKB) takes half the time. */

#define PART_MIN_BYTES (64u << 10)

/* Roughly the bytes section s takes (per row, as measured at 100k parcels): for the split. */
static double
section_weight(const struct lr_shard *sh, int s)
{
    double np = (double)sh->n_parcels, nr = (double)sh->n_records;
    bool coords = false, geoms = false;

    for (size_t i = 0; i < sh->n_parcels && i < 64; i++) {
        coords = coords || sh->parcels[i].shape.xy;
        geoms = geoms || sh->parcels[i].geom;
    }
    switch (s) {
    case LR_CK_PKEY:
        return 70 * np;
    case LR_CK_SHAPE:
        return (coords ? 130 : 13) * np;
    case LR_CK_GEOM:
        return (geoms ? 130 : 8) * np;
    case LR_CK_PGEO:
        return 40 * np;
    case LR_CK_PSTATE:
        return 33 * np;
    case LR_CK_PVALUE:
        return 41 * np;
    case LR_CK_RKEY:
        return 120 * nr;
    case LR_CK_RSTATE:
        return 16 * nr;
    case LR_CK_ISSUES:
        return 90 * (double)(sh->n_issues + sh->n_findings);
    case LR_CK_LINEAGE:
        return 50 * (double)sh->n_lineage;
    default:
        return 0;
    }
}

/* The sections of todo for the part file: the biggest first, each into the lighter file. 0 when
 * a second thread is not worth it. */
static unsigned
part_sections(const struct lr_ctx *ctx, const struct lr_shard *sh, unsigned todo)
{
    double w[LR_CK_NSECTIONS], in_main = 0, in_part = 0;
    unsigned part = 0, left = todo & ~LR_CK_BIT(LR_CK_CORE);

    if (ctx->jobs < 2)
        return 0;
    for (int s = 0; s < LR_CK_NSECTIONS; s++)
        w[s] = section_weight(sh, s);
    while (left) {
        int best = -1;
        for (int s = 0; s < LR_CK_NSECTIONS; s++)
            if ((left & LR_CK_BIT(s)) && (best < 0 || w[s] > w[best]))
                best = s;
        left &= ~LR_CK_BIT(best);
        if (in_part < in_main) {
            part |= LR_CK_BIT(best);
            in_part += w[best];
        } else {
            in_main += w[best];
        }
    }
    return in_part >= PART_MIN_BYTES ? part : 0;
}

struct part_job {
    struct lr_ctx *ctx;
    const struct lr_shard *sh;
    const struct lr_checkpoint_info *info;
    unsigned sections;
    char *name, *path;
    unsigned char sha[32];
    pthread_t th;
    bool started;
    enum lr_rc rc;
    struct lr_err err;
};

/* Write the part file (own GEOS context: geometries become WKB here too). */
static void *
part_thread(void *arg)
{
    struct part_job *j = arg;
    struct lr_geom_ctx *g = lr_geom_ctx_new();
    struct lr_out o;

    j->rc =
        g ? lr_out_open(&o, j->path, &j->err) : lr_err_set(&j->err, LR_ERR_NOMEM, "out of memory");
    if (j->rc == LR_OK) {
        j->rc = lr_checkpoint_write(g, j->info, j->sh, j->sections, NULL, NULL, NULL, &o, j->sha,
                                    &j->err);
        if (j->rc == LR_OK)
            j->rc = lr_out_commit_unsynced(&o, &j->err);
        else
            lr_out_abort(&o);
    }
    lr_geom_ctx_free(g);
    return NULL;
}

/* Wait for the part file (the checkpoint's before_table): the chain then names it for its
 * sections. */
static enum lr_rc
part_done(void *arg, struct lr_err *err)
{
    struct part_job *j = arg;

    if (!j->started)
        return LR_OK;
    pthread_join(j->th, NULL);
    j->started = false;
    if (j->rc != LR_OK)
        return lr_err_set(err, j->rc, "%s", j->err.msg);
    for (int s = 0; s < LR_CK_NSECTIONS; s++) {
        if (!(j->sections & LR_CK_BIT(s)))
            continue;
        memcpy(j->ctx->ckpt_chain->file[s], j->name, strlen(j->name) + 1);
        memcpy(j->ctx->ckpt_chain->sha[s], j->sha, 32);
    }
    return LR_OK;
}

/* Stream the checkpoint into path (path.tmp, then renamed): the sections todo, some of them
 * through a part file when that pays. */
static enum lr_rc
write_ckpt(struct lr_ctx *ctx, const struct lr_shard *sh, const struct lr_checkpoint_info *info,
           unsigned todo, const char *path, const char *name, off_t *bytes, unsigned char sha[32],
           struct lr_err *err)
{
    struct part_job part = { .ctx = ctx,
                             .sh = sh,
                             .info = info,
                             .sections = part_sections(ctx, sh, todo),
                             .rc = LR_OK,
                             .err = { LR_OK, "" } };
    struct lr_out o;
    struct stat st;
    enum lr_rc rc = LR_OK;

    if (part.sections) {
        part.name = lr_asprintf("%s.part", name);
        part.path = lr_asprintf("%s.part", path);
        part.started = part.name && part.path &&
                       strlen(part.name) < sizeof(ctx->ckpt_chain->file[0]) &&
                       pthread_create(&part.th, NULL, part_thread, &part) == 0;
        if (!part.started)
            part.sections = 0;
    }
    rc = lr_out_open(&o, path, err);
    if (rc == LR_OK) {
        rc = lr_checkpoint_write(ctx->geom, info, sh, todo & ~part.sections, ctx->ckpt_chain,
                                 part_done, &part, &o, sha, err);
        if (rc != LR_OK)
            lr_out_abort(&o);
    }
    if (part.started) { /* the checkpoint failed before it waited for the part */
        pthread_join(part.th, NULL);
        if (part.rc == LR_OK)
            unlink(part.path);
    }
    /* without fsync: a checkpoint is only a resume point, and one a crash leaves torn fails its
     * trailing sha256 at load (the run then starts over), so the run does not wait for hundreds
     * of MB to reach the disk after every stage */
    if (rc == LR_OK)
        rc = lr_out_commit_unsynced(&o, err);
    *bytes = rc == LR_OK && stat(path, &st) == 0 ? st.st_size : 0;
    if (rc == LR_OK && part.sections && stat(part.path, &st) == 0)
        *bytes += st.st_size;
    free(part.name);
    free(part.path);
    return rc;
}

/* LANDREC_CHECKPOINT_VERIFY (checkpoint.h): each section the chain refers to, encoded again,
 * must be the bytes it refers to. LR_ERR_INTERNAL naming the stage and section when not. */
static enum lr_rc
verify_refs(struct lr_ctx *ctx, const struct lr_shard *sh, const char *dir, const char *stage_name,
            struct lr_err *err)
{
    const struct lr_ckpt_chain *ch = ctx->ckpt_chain;
    enum lr_rc rc = LR_OK;
    struct lr_buf b;

    lr_buf_init(&b);
    for (int s = 1; rc == LR_OK && s < LR_CK_NSECTIONS; s++) {
        struct lr_ckpt_place places[LR_CK_NSECTIONS];
        struct lr_checkpoint_info info;
        struct lr_err e = { LR_OK, "" };
        char *path = ch->file[s][0] ? lr_path_join(dir, ch->file[s]) : NULL;
        unsigned char *data = NULL;
        size_t n = 0;
        enum lr_rc r;

        if (!ch->file[s][0])
            continue;
        memset(&info, 0, sizeof(info));
        lr_buf_reset(&b);
        r = path ? read_all(path, &data, &n, &e) : lr_err_set(&e, LR_ERR_NOMEM, "out of memory");
        if (r == LR_OK)
            r = lr_checkpoint_open(data, n, &info, places, &e);
        if (r == LR_OK)
            r = lr_checkpoint_encode_section(ctx->geom, sh, (enum lr_ckpt_section)s, &b, &e);
        if (r == LR_ERR_NOMEM)
            rc = lr_err_set(err, r, "%s", e.msg);
        else if (r != LR_OK)
            rc = lr_err_set(err, LR_ERR_INTERNAL, "checkpoint '%s': %s", path, e.msg);
        else if (!places[s].here || places[s].len != b.len ||
                 memcmp(data + places[s].off, b.data, b.len) != 0)
            rc = lr_err_set(err, LR_ERR_INTERNAL,
                            "stage '%s' changed the checkpoint section '%s' but the runner's "
                            "stage table does not say it may (run.c)",
                            stage_name, lr_checkpoint_section_name((enum lr_ckpt_section)s));
        lr_checkpoint_info_release(&info);
        free(data);
        free(path);
    }
    lr_buf_release(&b);
    return rc;
}

enum lr_rc
lr_checkpoint_save(struct lr_ctx *ctx, const struct lr_shard *sh, size_t stage,
                   const char *stage_name, unsigned changes, struct lr_err *err)
{
    struct lr_checkpoint_info info;
    char *dir = ckpt_dir(ctx), *name = NULL, *path = NULL;
    const char *verify = getenv("LANDREC_CHECKPOINT_VERIFY");
    double t0 = lr_now(), c0 = lr_cpu_thread();
    unsigned char sha[32];
    unsigned todo = 0;
    off_t bytes = 0;
    enum lr_rc rc;

    memset(&info, 0, sizeof(info));
    info.stage = stage;
    snprintf(info.stage_name, sizeof(info.stage_name), "%s", stage_name);
    memcpy(info.config_sha256, ctx->cfg->sha256, 32);
    name = lr_asprintf("%02zu-%s.ckpt", stage, stage_name);
    path = dir && name ? lr_path_join(dir, name) : NULL;
    if (path && !ctx->ckpt_chain)
        ctx->ckpt_chain = calloc(1, sizeof(*ctx->ckpt_chain));
    if (!path || !ctx->ckpt_chain || strlen(name) >= sizeof(ctx->ckpt_chain->file[0])) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* what the stage may have changed is written again, whatever happens below */
    for (int s = 0; s < LR_CK_NSECTIONS; s++)
        if (s == LR_CK_CORE || (changes & LR_CK_BIT(s)))
            ctx->ckpt_chain->file[s][0] = '\0';
    rc = hash_outputs(ctx, &info, err);
    if (rc == LR_OK && mkdir(dir, 0750) != 0 && errno != EEXIST)
        rc = lr_err_set(err, LR_ERR_IO, "cannot create folder '%s': %s", dir, strerror(errno));
    if (rc == LR_OK && verify && strcmp(verify, "1") == 0)
        rc = verify_refs(ctx, sh, dir, stage_name, err);
    for (int s = 0; s < LR_CK_NSECTIONS; s++)
        if (!ctx->ckpt_chain->file[s][0])
            todo |= LR_CK_BIT(s);
    if (rc == LR_OK)
        rc = write_ckpt(ctx, sh, &info, todo, path, name, &bytes, sha, err);
    /* a checkpoint that cannot be written (a geometry GEOS cannot encode, a full disk) only
     * costs the resume point: LR_ERR_INTERNAL stays for verify_refs' finding */
    if (rc == LR_ERR_INTERNAL)
        rc = LR_ERR_IO;
    if (rc == LR_OK) {
        for (int s = 0; s < LR_CK_NSECTIONS; s++) {
            if (ctx->ckpt_chain->file[s][0])
                continue;
            memcpy(ctx->ckpt_chain->file[s], name, strlen(name) + 1);
            memcpy(ctx->ckpt_chain->sha[s], sha, 32);
        }
        remove_unreferenced(dir, ctx->ckpt_chain);
        lr_log(LR_LOG_DEBUG, "run", NULL, "checkpoint '%s': %lld bytes in %.3f s (cpu %.3f s)",
               path, (long long)bytes, lr_now() - t0, lr_cpu_thread() - c0);
    }
#ifdef __GLIBC__
    /* between stages: give the heap pages the stage freed back to the system (glibc keeps them
     * otherwise, and the next stage's peak would stack on top of this one's leftovers) */
    malloc_trim(0);
#endif
out:
    free(info.output_sha);
    free(path);
    free(name);
    free(dir);
    return rc;
}

enum lr_rc
lr_input_changed(const struct lr_input *in, bool *changed, struct lr_err *err)
{
    struct lr_err scratch = { LR_OK, "" };
    GDALDatasetH ds = NULL;
    char hex[65] = "";

    *changed = false;
    if (strstr(in->path, "://")) /* a register query source: rows of a server, not a file */
        return LR_OK;
    if (lr_io_sha256_file(in->path, hex, &scratch) == LR_OK && strcmp(hex, in->sha256) == 0)
        return LR_OK;
    lr_err_clear(&scratch);
    if (lr_source_open(in->path, &ds, &scratch) != LR_OK ||
        lr_source_hash(ds, in->path, hex, &scratch) != LR_OK)
        hex[0] = '\0';
    if (ds)
        GDALClose(ds);
    if (scratch.rc == LR_ERR_NOMEM)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    *changed = strcmp(hex, in->sha256) != 0;
    return LR_OK;
}

/* Inputs and saved outputs still as they were when the checkpoint was written. */
static enum lr_rc
check_unchanged(struct lr_ctx *ctx, const struct lr_shard *sh,
                const struct lr_checkpoint_info *info, struct lr_err *err)
{
    struct lr_err scratch = { LR_OK, "" };
    enum lr_rc rc = LR_OK;
    bool changed = false;
    char hex[65];

    for (size_t i = 0; rc == LR_OK && i < sh->n_inputs; i++) {
        rc = lr_input_changed(&sh->inputs[i], &changed, err);
        if (rc == LR_OK && changed)
            return lr_err_set(err, LR_ERR_INPUT, "input '%s' changed since the checkpoint",
                              sh->inputs[i].path);
    }
    for (size_t i = 0; rc == LR_OK && i < info->n_outputs; i++) {
        char *p = lr_path_join(ctx->work_dir, info->outputs[i]);
        if (!p)
            return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        if (lr_io_sha256_file(p, hex, &scratch) != LR_OK || strcmp(hex, info->output_sha[i]) != 0)
            rc = lr_err_set(err, LR_ERR_INPUT, "output '%s' changed or went missing", p);
        free(p);
    }
    return rc;
}

/* Bring checkpoints parked for publish (a run killed during publish) back into the work
 * folder. */
static void
unpark(struct lr_ctx *ctx, const char *dir)
{
    char *stash = stash_dir(ctx);
    struct stat st;

    if (stash && stat(dir, &st) != 0 && stat(stash, &st) == 0 && rename(stash, dir) == 0)
        lr_log(LR_LOG_INFO, "run", NULL, "checkpoints taken back from '%s'", stash);
    free(stash);
}

/* The newest checkpoint file of the work folder, read whole; *name is its file name. */
static enum lr_rc
read_newest(struct lr_ctx *ctx, char **name, char **path, unsigned char **data, size_t *n,
            struct lr_err *err)
{
    char *dir = ckpt_dir(ctx);
    enum lr_rc rc;

    if (!dir)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    unpark(ctx, dir);
    *name = newest_ckpt(dir);
    *path = *name ? lr_path_join(dir, *name) : NULL;
    if (!*name)
        rc = lr_err_set(err, LR_ERR_INPUT, "no checkpoint in '%s'", dir);
    else if (!*path)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    else
        rc = read_all(*path, data, n, err);
    free(dir);
    return rc;
}

/* The sections the newest checkpoint refers to, from the file places[s] names (and every other
 * section it refers to in the same file); each section's place goes into the chain. */
static enum lr_rc
load_refs(struct lr_ctx *ctx, struct lr_shard *sh, const struct lr_ckpt_place *places, int s,
          bool *done, const char *const *names, size_t n_names, struct lr_err *err)
{
    struct lr_ckpt_place theirs[LR_CK_NSECTIONS];
    struct lr_checkpoint_info info;
    struct lr_err e = { LR_OK, "" };
    char *dir = ckpt_dir(ctx), *path = dir ? lr_path_join(dir, places[s].file) : NULL;
    unsigned char *data = NULL;
    size_t n = 0;
    enum lr_rc rc;

    memset(&info, 0, sizeof(info));
    rc = path ? read_all(path, &data, &n, &e) : lr_err_set(&e, LR_ERR_NOMEM, "out of memory");
    if (rc == LR_OK)
        rc = lr_checkpoint_open(data, n, &info, theirs, &e);
    if (rc == LR_OK && (memcmp(data + n - 32, places[s].sha, 32) != 0 ||
                        memcmp(info.config_sha256, ctx->cfg->sha256, 32) != 0))
        rc = lr_err_set(&e, LR_ERR_INPUT, "not the file it was");
    if (rc != LR_OK)
        lr_err_set(err, rc, "'%s', which the newest checkpoint refers to: %s", path, e.msg);
    for (int t = s; rc == LR_OK && t < LR_CK_NSECTIONS; t++) {
        if (done[t] || strcmp(places[t].file, places[s].file) != 0)
            continue;
        rc = theirs[t].here
                 ? lr_checkpoint_decode_section(ctx->geom, data, &theirs[t],
                                                (enum lr_ckpt_section)t, sh, names, n_names, err)
                 : lr_err_set(err, LR_ERR_INPUT, "'%s' lacks the section it should hold", path);
        done[t] = true;
        memcpy(ctx->ckpt_chain->file[t], places[t].file, sizeof(places[t].file));
        memcpy(ctx->ckpt_chain->sha[t], places[t].sha, 32);
    }
    lr_checkpoint_info_release(&info);
    free(data);
    free(path);
    free(dir);
    return rc;
}

/* The newest checkpoint (data, file name) and the files it refers to into sh and the chain. */
static enum lr_rc
load_sections(struct lr_ctx *ctx, struct lr_shard *sh, const char *name, const unsigned char *data,
              size_t n, struct lr_checkpoint_info *info, const char *const *names, size_t n_names,
              struct lr_err *err)
{
    struct lr_ckpt_place places[LR_CK_NSECTIONS];
    bool done[LR_CK_NSECTIONS] = { false };
    enum lr_rc rc = lr_checkpoint_open(data, n, info, places, err);

    if (rc == LR_OK && memcmp(info->config_sha256, ctx->cfg->sha256, 32) != 0)
        rc = lr_err_set(err, LR_ERR_INPUT, "the config changed since the checkpoint");
    if (rc == LR_OK && !ctx->ckpt_chain && !(ctx->ckpt_chain = calloc(1, sizeof(*ctx->ckpt_chain))))
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (int s = 0; rc == LR_OK && s < LR_CK_NSECTIONS; s++) {
        if (!places[s].here)
            continue;
        rc = lr_checkpoint_decode_section(ctx->geom, data, &places[s], (enum lr_ckpt_section)s, sh,
                                          names, n_names, err);
        done[s] = true;
        snprintf(ctx->ckpt_chain->file[s], sizeof(ctx->ckpt_chain->file[s]), "%s", name);
        memcpy(ctx->ckpt_chain->sha[s], data + n - 32, 32);
    }
    for (int s = 0; rc == LR_OK && s < LR_CK_NSECTIONS; s++)
        if (!done[s])
            rc = load_refs(ctx, sh, places, s, done, names, n_names, err);
    return rc;
}

enum lr_rc
lr_checkpoint_load(struct lr_ctx *ctx, struct lr_shard *sh, const char *const *names,
                   size_t n_names, struct lr_checkpoint_info *info, struct lr_err *err)
{
    unsigned char *data = NULL;
    char *path = NULL, *name = NULL;
    size_t n = 0;
    enum lr_rc rc = read_newest(ctx, &name, &path, &data, &n, err);

    if (rc == LR_OK)
        rc = load_sections(ctx, sh, name, data, n, info, names, n_names, err);
    free(data);
    if (rc == LR_OK &&
        (info->stage >= n_names || strcmp(names[info->stage], info->stage_name) != 0 ||
         sh->n_stages != info->stage + 1))
        rc = lr_err_set(err, LR_ERR_INPUT, "the checkpoint's stage '%s' does not fit this landrec",
                        info->stage_name);
    if (rc == LR_OK)
        rc = check_unchanged(ctx, sh, info, err);
    if (rc == LR_OK)
        lr_log(LR_LOG_INFO, "run", NULL, "resuming from '%s' (stage '%s' complete)", path,
               info->stage_name);
    free(path);
    free(name);
    return rc;
}

static bool run_folder_exists(const char *output, const char *run, size_t n);
static bool latest_names(const char *output, const char *run, size_t n);

/* mtime of the newest checkpoint in dir when it was saved with this config. */
static bool
candidate(const char *dir, const unsigned char sha[32], double *mtime)
{
    char *name = newest_ckpt(dir), *path = name ? lr_path_join(dir, name) : NULL;
    struct lr_checkpoint_info info;
    struct lr_err err = { LR_OK, "" };
    unsigned char *data = NULL;
    struct stat st;
    size_t n;
    bool ok = false;

    memset(&info, 0, sizeof(info));
    if (path && stat(path, &st) == 0 && read_all(path, &data, &n, &err) == LR_OK &&
        lr_checkpoint_decode(NULL, data, n, &info, NULL, NULL, 0, &err) == LR_OK &&
        memcmp(info.config_sha256, sha, 32) == 0) {
        ok = true;
        *mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec * 1e-9;
    }
    lr_checkpoint_info_release(&info);
    free(data);
    free(path);
    free(name);
    return ok;
}

/* The run id of a folder entry that may hold resumable checkpoints (caller frees) and the
 * checkpoint folder to look in: RUN_ID.tmp/checkpoints, or .RUN_ID.checkpoints parked by a run
 * killed during publish whose run folder is not published. */
static char *
resumable(const char *output, const char *entry, char **dir)
{
    size_t n = strlen(entry), ns = strlen(".checkpoints");
    char *id = NULL;

    *dir = NULL;
    if (n > 4 && entry[0] != '.' && strcmp(entry + n - 4, ".tmp") == 0) {
        id = strndup(entry, n - 4);
        *dir = lr_asprintf("%s/%s/%s", output, entry, LR_CHECKPOINT_DIR);
    } else if (n > ns + 1 && entry[0] == '.' && strcmp(entry + n - ns, ".checkpoints") == 0 &&
               run_folder_exists(output, entry + 1, n - ns - 1) &&
               !latest_names(output, entry + 1, n - ns - 1)) {
        id = strndup(entry + 1, n - ns - 1);
        *dir = lr_path_join(output, entry);
    }
    if (id && !*dir) {
        free(id);
        id = NULL;
    }
    return id;
}

char *
lr_checkpoint_find(const char *output, const unsigned char config_sha256[32])
{
    DIR *d = opendir(output);
    struct dirent *e;
    char *best = NULL, *id, *dir;
    double best_t = -1, t;

    while (d && (e = readdir(d))) {
        id = resumable(output, e->d_name, &dir);
        if (id && candidate(dir, config_sha256, &t) &&
            (t > best_t || (t == best_t && best && strcmp(id, best) > 0))) {
            free(best);
            best = id;
            best_t = t;
            id = NULL;
        }
        free(id);
        free(dir);
    }
    if (d)
        closedir(d);
    return best;
}

enum lr_rc
lr_checkpoint_park(struct lr_ctx *ctx, struct lr_err *err)
{
    char *dir = ckpt_dir(ctx), *stash = stash_dir(ctx);
    enum lr_rc rc = LR_OK;

    if (!dir || !stash)
        rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    else if (lr_io_remove_tree(stash, err) == LR_OK && rename(dir, stash) != 0 && errno != ENOENT)
        rc =
            lr_err_set(err, LR_ERR_IO, "cannot move '%s' to '%s': %s", dir, stash, strerror(errno));
    free(dir);
    free(stash);
    return rc;
}

void
lr_checkpoint_unpark(struct lr_ctx *ctx)
{
    char *dir = ckpt_dir(ctx), *stash = stash_dir(ctx);
    struct lr_err ignored = { LR_OK, "" };
    struct stat st;

    if (dir && stash) {
        if (stat(ctx->work_dir, &st) == 0)
            rename(stash, dir); /* publish failed early: keep them for --resume */
        else
            lr_io_remove_tree(stash, &ignored);
    }
    free(dir);
    free(stash);
}

void
lr_checkpoint_discard(struct lr_ctx *ctx)
{
    char *dir = ckpt_dir(ctx), *stash = stash_dir(ctx);
    struct lr_err ignored = { LR_OK, "" };

    if (dir)
        lr_io_remove_tree(dir, &ignored);
    if (stash)
        lr_io_remove_tree(stash, &ignored);
    if (ctx->ckpt_chain)
        memset(ctx->ckpt_chain, 0, sizeof(*ctx->ckpt_chain));
    free(dir);
    free(stash);
}

/* true when OUTPUT/run (length n) is a folder. */
static bool
run_folder_exists(const char *output, const char *run, size_t n)
{
    char *p = lr_asprintf("%s/%.*s", output, (int)n, run);
    struct stat st;
    bool yes = p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);

    free(p);
    return yes;
}

/* true when OUTPUT/latest names run (length n). */
static bool
latest_names(const char *output, const char *run, size_t n)
{
    char *link = lr_path_join(output, "latest"), target[512];
    ssize_t len = link ? readlink(link, target, sizeof(target) - 1) : -1;

    free(link);
    return len >= 0 && (size_t)len == n && strncmp(target, run, n) == 0;
}

void
lr_checkpoint_cleanup(const char *output)
{
    struct lr_err ignored = { LR_OK, "" };
    DIR *d = opendir(output);
    struct dirent *e;
    const char *suffix = ".checkpoints";
    size_t ns = strlen(suffix);

    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        char *tmp, *park;
        struct stat st;

        if (e->d_name[0] != '.' || n <= ns + 1 || strcmp(e->d_name + n - ns, suffix) != 0)
            continue;
        tmp = lr_asprintf("%s/%.*s.tmp", output, (int)(n - ns - 1), e->d_name + 1);
        park = lr_path_join(output, e->d_name);
        /* kept while its run folder exists unpublished: --resume publishes it again */
        if (tmp && park && stat(tmp, &st) != 0 &&
            (!run_folder_exists(output, e->d_name + 1, n - ns - 1) ||
             latest_names(output, e->d_name + 1, n - ns - 1))) {
            lr_io_remove_tree(park, &ignored);
            lr_log(LR_LOG_INFO, "run", NULL, "removed stale checkpoints '%s'", park);
        }
        free(tmp);
        free(park);
    }
    if (d)
        closedir(d);
}

static bool
listed(const struct lr_checkpoint_info *info, const char *rel)
{
    for (size_t i = 0; i < info->n_outputs; i++)
        if (strcmp(info->outputs[i], rel) == 0)
            return true;
    return false;
}

/* Remove what is not listed under dir (rel: its path inside the work folder). */
static enum lr_rc
tidy_dir(const char *dir, const char *rel, const struct lr_checkpoint_info *info,
         struct lr_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    enum lr_rc rc = LR_OK;

    if (!d)
        return lr_err_set(err, LR_ERR_IO, "cannot list '%s': %s", dir, strerror(errno));
    while (rc == LR_OK && (e = readdir(d))) {
        char *p, *r;
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (!rel[0] && strcmp(e->d_name, LR_CHECKPOINT_DIR) == 0))
            continue;
        p = lr_path_join(dir, e->d_name);
        r = rel[0] ? lr_asprintf("%s/%s", rel, e->d_name) : strdup(e->d_name);
        if (!p || !r)
            rc = lr_err_set(err, LR_ERR_NOMEM, "out of memory");
        else if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = tidy_dir(p, r, info, err);
            if (rc == LR_OK)
                rmdir(p); /* fails, harmlessly, when a listed output is inside */
        } else if (!listed(info, r) && unlink(p) != 0)
            rc = lr_err_set(err, LR_ERR_IO, "cannot remove '%s': %s", p, strerror(errno));
        free(p);
        free(r);
    }
    closedir(d);
    return rc;
}

bool
lr_checkpoint_is_published(const struct lr_ctx *ctx)
{
    return latest_names(ctx->output, ctx->run_id, strlen(ctx->run_id));
}

bool
lr_checkpoint_parked(const struct lr_ctx *ctx)
{
    char *stash = stash_dir(ctx);
    struct stat st;
    bool yes = stash && stat(stash, &st) == 0;

    free(stash);
    return yes;
}

enum lr_rc
lr_checkpoint_tidy(struct lr_ctx *ctx, const struct lr_checkpoint_info *info, struct lr_err *err)
{
    return tidy_dir(ctx->work_dir, "", info, err);
}
