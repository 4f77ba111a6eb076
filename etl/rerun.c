/* rerun.c - notice a rerun with unchanged config and inputs (see rerun.h).
 *
 * Cost: reading one manifest and hashing the inputs once (OpenSSL SHA-256; the sample's 1M
 * parcels are about 400 MB). Inputs are hashed as the load stage hashed them (lr_source_hash:
 * every file of a dataset), each path once. */
#include "rerun.h"

#include "crs.h"
#include "geom.h"
#include "io.h"
#include "source.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Options that change what a run does beyond config and inputs rule the shortcut out. */
static bool
plain_run(const struct lr_ctx *ctx)
{
    const struct lr_run_opts *o = ctx->opts;

    if (o->resume || o->run_id || o->no_publish || o->warehouse || o->shard_count > 0 ||
        o->n_communes > 0 || getenv("LANDREC_WAREHOUSE"))
        return false;
    for (size_t i = 0; i < ctx->cfg->n_registers; i++)
        if (!ctx->cfg->registers[i].path) /* a query source */
            return false;
    return true;
}

static bool
str_is(json_t *o, const char *key, const char *want)
{
    const char *v = json_string_value(json_object_get(o, key));

    return v && want && strcmp(v, want) == 0;
}

/* Complete, same config bytes, same library versions. */
static bool
same_run_header(const struct lr_ctx *ctx, json_t *m)
{
    json_t *v = json_object_get(m, "versions");
    char cfg_hex[65];

    lr_io_sha256_hex(ctx->cfg->sha256, cfg_hex);
    return str_is(m, "status", "complete") &&
           str_is(json_object_get(m, "config"), "sha256", cfg_hex) &&
           str_is(v, "landrec", LR_VERSION) && str_is(v, "gdal", GDALVersionInfo("RELEASE_NAME")) &&
           str_is(v, "proj", lr_crs_version()) && str_is(v, "geos", lr_geom_version());
}

/* Is path one of the manifest's inputs? */
static bool
recorded(json_t *inputs, const char *path)
{
    size_t i;
    json_t *in;

    json_array_foreach(inputs, i, in)
    {
        if (str_is(in, "path", path))
            return true;
    }
    return false;
}

/* Every file the config names now (globs expanded) was an input of the run. */
static bool
same_input_set(const struct lr_config *cfg, json_t *inputs)
{
    const char *single[] = { cfg->crosswalk, cfg->boundaries, cfg->price_zones.path,
                             cfg->corrections, cfg->land_use_map };
    struct lr_err scratch = { LR_OK, "" };
    bool ok = true;

    for (size_t i = 0; ok && i < LR_ARRAY_LEN(single); i++)
        ok = !single[i] || recorded(inputs, single[i]);
    for (size_t s = 0; ok && s < cfg->n_maps + cfg->n_registers; s++) {
        const struct lr_source *src =
            s < cfg->n_maps ? &cfg->maps[s] : &cfg->registers[s - cfg->n_maps];
        char **paths = NULL;
        size_t n = 0;

        if (lr_source_glob(src->path, &paths, &n, &scratch) != LR_OK)
            return false;
        for (size_t i = 0; ok && i < n; i++)
            ok = recorded(inputs, paths[i]);
        lr_source_glob_free(paths, n);
    }
    return ok;
}

/* The sha256 of path as the load stage computes it; false when it cannot be read. */
static bool
hash_input(const char *path, char hex[65])
{
    struct lr_err scratch = { LR_OK, "" };
    GDALDatasetH ds = NULL;
    bool ok;

    if (lr_source_open(path, &ds, &scratch) != LR_OK)
        return false;
    ok = lr_source_hash(ds, path, hex, &scratch) == LR_OK;
    GDALClose(ds);
    return ok;
}

/* The inputs to hash, each path once, on ctx->jobs threads (hashing is most of the check). */
struct hash_job {
    const char **paths, **shas;
    size_t n;
    atomic_size_t next;
    atomic_bool differs;
};

static void *
hash_worker(void *arg)
{
    struct hash_job *j = arg;
    char hex[65];

    for (size_t k; !atomic_load(&j->differs) && (k = atomic_fetch_add(&j->next, 1)) < j->n;)
        if (!hash_input(j->paths[k], hex) || strcmp(hex, j->shas[k]) != 0)
            atomic_store(&j->differs, true);
    return NULL;
}

/* Every input the run read still has its recorded sha256. */
static bool
same_input_bytes(json_t *inputs, int jobs)
{
    size_t n = json_array_size(inputs), i, k, started = 0;
    struct hash_job j;
    pthread_t th[8];
    json_t *in;
    bool ok;

    memset(&j, 0, sizeof(j));
    j.paths = calloc(n + 1, sizeof(char *));
    j.shas = calloc(n + 1, sizeof(char *));
    ok = j.paths && j.shas;

    atomic_init(&j.next, 0);
    atomic_init(&j.differs, false);
    json_array_foreach(inputs, i, in)
    {
        const char *path = json_string_value(json_object_get(in, "path"));
        const char *sha = json_string_value(json_object_get(in, "sha256"));

        if (!ok || !path || !sha || strstr(path, "://")) {
            ok = false;
            break;
        }
        for (k = 0; k < j.n && strcmp(j.paths[k], path) != 0; k++)
            ;
        if (k == j.n) { /* a layer of a dataset hashed already is the same file */
            j.paths[j.n] = path;
            j.shas[j.n++] = sha;
        }
    }
    for (int t = 1; ok && t < jobs && t <= (int)LR_ARRAY_LEN(th); t++)
        if (pthread_create(&th[started], NULL, hash_worker, &j) == 0)
            started++;
    if (ok)
        hash_worker(&j);
    for (k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    ok = ok && !atomic_load(&j.differs);
    free(j.paths);
    free(j.shas);
    return ok;
}

/* Every output the manifest lists is still in the run folder. */
static bool
outputs_present(const char *dir, json_t *m)
{
    json_t *outs = json_object_get(m, "outputs"), *o;
    struct stat st;
    size_t i;

    if (!json_is_array(outs) || json_array_size(outs) == 0)
        return false;
    json_array_foreach(outs, i, o)
    {
        const char *name = json_string_value(o);
        char *p = name ? lr_path_join(dir, name) : NULL;
        bool ok = p && stat(p, &st) == 0;

        free(p);
        if (!ok)
            return false;
    }
    return true;
}

/* The verdict for run folder dir (OUTPUT/RUN). */
static bool
unchanged_since(const struct lr_ctx *ctx, const char *dir)
{
    char *path = lr_path_join(dir, "manifest.json");
    json_t *m = path ? json_load_file(path, 0, NULL) : NULL;
    json_t *inputs = m ? json_object_get(m, "inputs") : NULL;
    bool same = json_is_array(inputs) && json_array_size(inputs) > 0 && same_run_header(ctx, m) &&
                outputs_present(dir, m) && same_input_set(ctx->cfg, inputs) &&
                same_input_bytes(inputs, ctx->jobs);

    json_decref(m);
    free(path);
    return same;
}

bool
lr_rerun_unchanged(struct lr_ctx *ctx)
{
    char *run = NULL, *dir = NULL;
    double t0 = lr_now();
    bool same = false;

    if (!plain_run(ctx) || !(run = lr_io_latest_run(ctx->output)))
        goto out;
    dir = lr_path_join(ctx->output, run);
    same = dir && unchanged_since(ctx, dir);
    if (same) {
        lr_log(LR_LOG_INFO, "run", NULL,
               "nothing changed since run '%s' (same config, same landrec and libraries, every "
               "input identical; checked in %.3f s): nothing to do, its results stand and "
               "OUTPUT/latest still names it",
               run, lr_now() - t0);
        printf("unchanged %s\nextract: %s/tax_extract.csv\n", run, dir);
        fflush(stdout);
    } else {
        lr_log(LR_LOG_DEBUG, "run", NULL, "rerun check: not the same as run '%s' (%.3f s)", run,
               lr_now() - t0);
    }
out:
    free(run);
    free(dir);
    return same;
}
