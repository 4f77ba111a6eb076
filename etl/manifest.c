/* manifest.c - manifest.json and conservation counts (see manifest.h). */
#include "manifest.h"

#include "crs.h"
#include "geom.h"
#include "io.h"

#include <gdal.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
count_side(struct lr_conservation_side *s, enum lr_status st, enum lr_issue_class reject)
{
    s->input++;
    if (st == LR_ST_REJECTED) {
        s->rejected++;
        s->rejected_by[reject]++;
    } else if (lr_status_is_matched(st)) {
        s->matched++;
    } else {
        s->unmatched++;
    }
}

void
lr_manifest_conservation(const struct lr_shard *sh, struct lr_conservation *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < sh->n_parcels; i++) {
        count_side(&c->map, sh->parcels[i].status, sh->parcels[i].reject);
        if (sh->parcels[i].issues & (1u << LR_IS_UNREPAIRABLE))
            c->unrepairable++;
    }
    for (size_t i = 0; i < sh->n_records; i++)
        count_side(&c->reg, sh->records[i].status, sh->records[i].reject);
    /* Inputs are counted at load; a feature that never became a parcel would show here. */
    c->map.input = sh->map_input;
    c->reg.input = sh->register_input;
}

bool
lr_manifest_conserved(const struct lr_conservation *c)
{
    return c->map.input == c->map.matched + c->map.unmatched + c->map.rejected &&
           c->reg.input == c->reg.matched + c->reg.unmatched + c->reg.rejected;
}

static json_t *
side_json(const struct lr_conservation_side *s)
{
    json_t *rej = json_object();

    for (int i = 0; i < LR_IS_COUNT; i++)
        if (s->rejected_by[i])
            json_object_set_new(rej, lr_issue_name((enum lr_issue_class)i),
                                json_integer(s->rejected_by[i]));
    return json_pack("{sI sI sI so}", "input", (json_int_t)s->input, "matched",
                     (json_int_t)s->matched, "unmatched", (json_int_t)s->unmatched, "rejected",
                     rej);
}

static json_t *
versions_json(void)
{
    char pq[32];
    int v = PQlibVersion();

    snprintf(pq, sizeof(pq), "%d.%d", v / 10000, v % 100);
    return json_pack("{ss ss ss ss ss}", "landrec", LR_VERSION, "gdal",
                     GDALVersionInfo("RELEASE_NAME"), "proj", lr_crs_version(), "geos",
                     lr_geom_version(), "libpq", pq);
}

static json_t *
inputs_json(const struct lr_shard *sh)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < sh->n_inputs; i++) {
        const struct lr_input *in = &sh->inputs[i];
        json_t *o = json_pack("{ss ss ss sI}", "kind", in->kind, "path", in->path, "sha256",
                              in->sha256, "features", (json_int_t)in->features);
        if (in->layer)
            json_object_set_new(o, "layer", json_string(in->layer));
        if (in->crs_op)
            json_object_set_new(o, "crs_operation", json_string(in->crs_op));
        if (in->src_crs)
            json_object_set_new(o, "crs_assumed", json_boolean(in->crs_assumed));
        if (in->converted || in->ambiguous)
            json_object_set_new(o, "text",
                                json_pack("{sI sI}", "converted", (json_int_t)in->converted,
                                          "ambiguous", (json_int_t)in->ambiguous));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *
stages_json(const struct lr_shard *sh)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < sh->n_stages; i++) {
        const struct lr_stage_stat *s = &sh->stages[i];
        double rate = s->seconds > 0 ? (double)s->in / s->seconds : 0;
        json_array_append_new(arr, json_pack("{ss sI sI sI sf sf sb}", "name", s->name, "in",
                                             (json_int_t)s->in, "out", (json_int_t)s->out,
                                             "rejected", (json_int_t)s->rejected, "seconds",
                                             s->seconds, "rows_per_second", rate, "done", s->done));
    }
    return arr;
}

static json_t *
counts_json(const struct lr_shard *sh)
{
    int64_t st[LR_ST_COUNT] = { 0 }, is[LR_IS_COUNT] = { 0 };
    json_t *jst = json_object(), *jis = json_object();

    for (size_t i = 0; i < sh->n_parcels; i++)
        st[sh->parcels[i].status]++;
    for (size_t i = 0; i < sh->n_records; i++)
        if (sh->records[i].parcel < 0)
            st[sh->records[i].status]++;
    for (size_t i = 0; i < sh->n_issues; i++)
        is[sh->issues[i].cls]++;
    for (int i = 1; i < LR_ST_COUNT; i++)
        if (st[i])
            json_object_set_new(jst, lr_status_name((enum lr_status)i), json_integer(st[i]));
    for (int i = 0; i < LR_IS_COUNT; i++)
        if (is[i])
            json_object_set_new(jis, lr_issue_name((enum lr_issue_class)i), json_integer(is[i]));
    return json_pack("{so so}", "statuses", jst, "issues", jis);
}

static json_t *
build(struct lr_ctx *ctx, const struct lr_shard *sh, const char *status, const char *message)
{
    struct lr_conservation c;
    char cfg_hex[65], finished[32];
    time_t now = time(NULL);
    struct tm tm;
    json_t *outputs = json_array(), *root;

    gmtime_r(&now, &tm);
    strftime(finished, sizeof(finished), "%Y-%m-%dT%H:%M:%SZ", &tm);
    lr_io_sha256_hex(ctx->cfg->sha256, cfg_hex);
    lr_manifest_conservation(sh, &c);
    for (size_t i = 0; i < ctx->n_outputs; i++)
        json_array_append_new(outputs, json_string(ctx->outputs[i]));
    root = json_pack("{ss ss ss ss ss so s{ss ss} so so so s{so so} sI so}", "run_id", ctx->run_id,
                     "name", ctx->cfg->run_name, "status", status, "started", ctx->started,
                     "finished", finished, "versions", versions_json(), "config", "path",
                     ctx->cfg->path, "sha256", cfg_hex, "inputs", inputs_json(sh), "stages",
                     stages_json(sh), "counts", counts_json(sh), "conservation", "map",
                     side_json(&c.map), "register", side_json(&c.reg), "repair_area_change_dm2",
                     (json_int_t)sh->repair_area_delta_dm2, "outputs", outputs);
    if (root && message)
        json_object_set_new(root, "message", json_string(message));
    if (root && ctx->cfg->corrections) /* match: the corrections file's outcome */
        json_object_set_new(root, "corrections",
                            json_pack("{sI sI sI}", "rows", (json_int_t)sh->corrections_rows,
                                      "applied", (json_int_t)sh->corrections_applied, "stale",
                                      (json_int_t)sh->corrections_stale));
    if (root)
        json_object_set_new(
            root, "gates",
            json_pack("{sb ss}", "passed", ctx->gates_passed, "detail", ctx->gate_message));
    return root;
}

enum lr_rc
lr_manifest_write(struct lr_ctx *ctx, const struct lr_shard *sh, const char *status,
                  const char *message, struct lr_err *err)
{
    json_t *root = build(ctx, sh, status, message);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    char *path = lr_path_join(ctx->work_dir, "manifest.json");
    enum lr_rc rc;

    if (!text || !path)
        rc = lr_err_set(err, LR_ERR_NOMEM, "cannot build the manifest");
    else
        rc = lr_io_write_file(path, text, strlen(text), err);
    free(path);
    free(text);
    json_decref(root);
    return rc;
}
