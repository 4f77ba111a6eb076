/* fuzz_register.c - libFuzzer target: the register reader of the load stage (lr_load_task_run
 * on a register task: GDAL's CSV driver, the field mapping, the text decoders, the key
 * normaliser, the area parser, the land-use table). At start a tiny sample set (lr_sample_write)
 * is written to /dev/shm/landrec-fuzz-PID with three configs that read register.csv as UTF-8,
 * TCVN3 and auto; every input becomes register.csv and byte 0 picks the config.
 * Checks: no crash, leak or UB; the task either fails with a message or accounts for every row
 * (each read row is a record, rejected ones with a reason) and keeps every record key valid. */
#include "config.h"
#include "core.h"
#include "crs.h"
#include "geom.h"
#include "io.h"
#include "landuse.h"
#include "load_int.h"
#include "model.h"
#include "sample.h"

#include <assert.h>
#include <gdal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define N_CFG 3

static char dir[128], reg_path[160];
static struct lr_config cfgs[N_CFG];
static struct lr_landuse landuse;
static struct lr_crs_ctx *crs;

/* Write dir/NAME.yaml: the sample config with the register read in encoding enc. */
static void
write_config(const char *text, const char *name, const char *enc, struct lr_config *cfg)
{
    const char *at = strstr(text, "    - path: register.csv\n");
    char path[200];
    struct lr_err err;
    FILE *f;

    assert(at);
    snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
    f = fopen(path, "w");
    assert(f);
    fwrite(text, 1, (size_t)(at - text) + 25, f);
    if (enc)
        fprintf(f, "      encoding: %s\n", enc);
    fputs(at + 25, f);
    fclose(f);
    lr_err_clear(&err);
    if (lr_config_load(path, cfg, &err) != LR_OK) {
        fprintf(stderr, "fuzz_register: %s\n", err.msg);
        abort();
    }
}

/* The sample folder goes when the fuzzer exits (also after a crash report: libFuzzer exits). */
static void
remove_dir(void)
{
    struct lr_err ignored;

    lr_err_clear(&ignored);
    lr_io_remove_tree(dir, &ignored);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct lr_sample_opts so = { dir, 10, 1, 1 };
    struct lr_err err;
    char cfg_path[200], *text;
    FILE *f;
    long n;

    (void)argc;
    (void)argv;
    GDALAllRegister();
    lr_log_set_level(LR_LOG_ERROR);
    snprintf(dir, sizeof(dir), "/dev/shm/landrec-fuzz-%ld", (long)getpid());
    snprintf(reg_path, sizeof(reg_path), "%s/register.csv", dir);
    lr_err_clear(&err);
    atexit(remove_dir);
    if (lr_sample_write(&so, &err) != LR_OK) {
        fprintf(stderr, "fuzz_register: sample: %s\n", err.msg);
        abort();
    }
    snprintf(cfg_path, sizeof(cfg_path), "%s/landrec.yaml", dir);
    f = fopen(cfg_path, "rb");
    assert(f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0);
    text = calloc(1, (size_t)n + 1);
    assert(text && fread(text, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    write_config(text, "utf8", NULL, &cfgs[0]);
    write_config(text, "tcvn3", "TCVN3", &cfgs[1]);
    write_config(text, "auto", "auto", &cfgs[2]);
    free(text);
    crs = lr_crs_ctx_new();
    assert(crs && lr_landuse_load(&landuse, NULL, &err) == LR_OK);
    return 0;
}

static void
check_shard(const struct lr_shard *sh)
{
    int64_t rejected = 0, features = 0;

    for (size_t i = 0; i < sh->n_inputs; i++)
        features += sh->inputs[i].features;
    assert(features >= 0 && (size_t)features == sh->n_records);
    for (size_t i = 0; i < sh->n_records; i++) {
        const struct lr_record *r = &sh->records[i];

        if (r->status == LR_ST_REJECTED) {
            rejected++;
            assert(r->reject < LR_IS_COUNT);
            continue;
        }
        assert(r->key.commune > 0 && r->key.commune <= 99999);
        assert(r->area_dm2 >= -1);
    }
    assert(rejected <= sh->register_input);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const struct lr_config *cfg = &cfgs[size ? data[0] % N_CFG : 0];
    struct lr_load_env env = { cfg, &landuse, NULL };
    struct lr_load_task task;
    FILE *f;

    f = fopen(reg_path, "wb");
    if (!f)
        return 0;
    if (size > 1)
        fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    memset(&task, 0, sizeof(task));
    task.src = &cfg->registers[0];
    task.path = reg_path;
    lr_shard_init(&task.part, cfg);
    lr_err_clear(&task.err);
    if (lr_load_task_run(&env, crs, &task) == LR_OK)
        check_shard(&task.part);
    else
        assert(task.err.msg[0]);
    lr_shard_release(&task.part);
    return 0;
}
