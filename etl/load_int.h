/* load_int.h - internals of the load stage shared by stage_load.c (inputs, threads, merge,
 * checks across files) and load_layer.c (reading one file's layers into a shard).
 *
 * A task is one file of a map or register source (globs expanded), or one query source. Tasks
 * run on ctx->jobs threads, each into its own part shard; parts are merged in task order, so the
 * shard does not depend on the thread count. */
#ifndef LR_LOAD_INT_H
#define LR_LOAD_INT_H

#include "config.h"
#include "core.h"
#include "crs.h"
#include "model.h"

struct lr_landuse;

/* Read-only during the parallel part. */
struct lr_load_env {
    const struct lr_config *cfg;
    const struct lr_landuse *landuse;
    const struct lr_bbox *ref; /* where the province is, in the target CRS; NULL if unknown */
};

struct lr_load_task {
    const struct lr_source *src;
    bool is_map;
    char *path;           /* the file, or NULL for a query source */
    struct lr_shard part; /* what the task loaded (its inputs, parcels, records, issues) */
    struct lr_err err;
    enum lr_rc rc;
};

/* Load the task's file (or query) into task->part; errors go to task->err. Uses its own GDAL
 * datasets and the given PROJ context (the calling thread's). */
enum lr_rc lr_load_task_run(const struct lr_load_env *env, struct lr_crs_ctx *crs,
                            struct lr_load_task *task);

#endif
