/* main.c - argv, the subcommand table and exit codes. No logic lives here. */
#include "core.h"
#include "diff.h"
#include "merge.h"
#include "run.h"
#include "sample.h"
#include "show.h"
#include "version.h"
#include "warehouse.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
};

static int cmd_run(int argc, char **argv);
static int cmd_check(int argc, char **argv);
static int cmd_merge(int argc, char **argv);
static int cmd_sample(int argc, char **argv);
static int cmd_version(int argc, char **argv);
static int cmd_diff(int argc, char **argv);
static int cmd_show(int argc, char **argv);
static int cmd_db(int argc, char **argv);

static const struct cmd cmds[] = {
    { "run", cmd_run,
      "landrec run CONFIG [--out DIR] [--run-id ID] [--jobs N] [--commune CODE]... [--shard I/N]\n"
      "                   [--resume] [--no-publish] [--warehouse URL] [--progress "
      "auto|always|never]"
      " [-q|-v]\n"
      "  Run the batch described by CONFIG: load, reproject, validate, match, value, extract,\n"
      "  publish. Writes OUTPUT/RUN_ID/ and switches OUTPUT/latest when every gate passed.\n"
      "  --commune CODE (repeatable): only these old communes. --shard I/N (0 <= I < N, needs\n"
      "  --run-id): shard I of a sharded run; writes OUTPUT/RUN_ID.tmp/shards/I/ and publishes\n"
      "  nothing (landrec merge does). With --shard, --commune picks the shard's communes by "
      "hand.\n" },
    { "merge", cmd_merge,
      "landrec merge RUN_DIR [--config CONFIG] [--jobs N] [--no-publish] [--warehouse URL] "
      "[-q|-v]\n"
      "  End a sharded run: check every shard in RUN_DIR (OUTPUT/RUN_ID) is complete, put them\n"
      "  together, run the cross-commune checks, extract and publish as `landrec run` does.\n"
      "  A missing or failed shard: exit 1 naming the shard indices to run again.\n" },
    { "check", cmd_check,
      "landrec check CONFIG\n"
      "  Validate the config and probe every input (open, count, CRS); run nothing.\n" },
    { "sample", cmd_sample,
      "landrec sample DIR [--parcels N] [--communes C] [--seed S]\n"
      "  Write a synthetic but realistic input set (maps, register, zones, crosswalk, config,\n"
      "  injected.csv listing every injected defect) into DIR. Defaults: 1500 parcels, 3 "
      "communes, seed 1.\n" },
    { "diff", cmd_diff,
      "landrec diff OLD_RUN_DIR NEW_RUN_DIR [--out FILE]\n"
      "  Delta of the tax extract between two runs: CSV parcel_key,change,column,old,new\n"
      "  (added, removed, changed columns) to FILE, or to stdout; a summary line per kind.\n" },
    { "show", cmd_show,
      "landrec show KEY [RUN_DIR] [--json] [--with-owner]\n"
      "  One parcel's reconciled record for a key in old or new numbering: statuses, findings,\n"
      "  lineage both ways, areas, zone, value, tax and source features. RUN_DIR: a run folder\n"
      "  or an output folder (its latest run); default $LANDREC_OUTPUT/latest, else "
      "./out/latest.\n"
      "  Owner fields only with --with-owner. Exit 0 found, 1 not found, 2 usage, 3 "
      "unreadable.\n" },
    { "db", cmd_db,
      "landrec db init URL [--schema NAME]\n"
      "  Create or migrate the PostGIS warehouse schema (default schema: landrec).\n" },
    { "version", cmd_version,
      "landrec version\n  landrec, GDAL, PROJ, GEOS and libpq versions.\n" },
};

static const struct cmd *
find_cmd(const char *name)
{
    for (size_t i = 0; i < LR_ARRAY_LEN(cmds); i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static void
usage_all(FILE *f)
{
    fprintf(f, "usage: landrec COMMAND [ARGS]   (landrec COMMAND --help for one command)\n\n");
    for (size_t i = 0; i < LR_ARRAY_LEN(cmds); i++)
        fprintf(f, "%s\n", cmds[i].usage);
    fprintf(f, "exit status: 0 success, 2 usage or config error, 3 input unreadable, 4 warehouse "
               "error,\n5 quality gate failed, 1 other failure, 130 interrupted\n");
}

/* --help anywhere prints the command's usage. */
static bool
wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "landrec %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", find_cmd(cmd)->usage);
    return 2;
}

static int
finish(enum lr_rc rc, const struct lr_err *err)
{
    if (rc != LR_OK)
        lr_log(LR_LOG_ERROR, NULL, NULL, "%s", err->msg[0] ? err->msg : "failed");
    return lr_rc_exit_code(rc);
}

static bool
parse_int(const char *s, long long min, long long max, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);

    if (!*s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

#define LR_SHARD_MAX_CLI 4096

/* "I/N" with 0 <= I < N <= LR_SHARD_MAX_CLI. */
static bool
parse_shard(const char *s, int *index, int *count)
{
    const char *slash = strchr(s, '/');
    char head[16];
    long long i, n;

    if (!slash || (size_t)(slash - s) >= sizeof(head))
        return false;
    memcpy(head, s, (size_t)(slash - s));
    head[slash - s] = '\0';
    if (!parse_int(head, 0, LR_SHARD_MAX_CLI - 1, &i) ||
        !parse_int(slash + 1, 1, LR_SHARD_MAX_CLI, &n) || i >= n)
        return false;
    *index = (int)i;
    *count = (int)n;
    return true;
}

static int
cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "out", required_argument, NULL, 'o' },      { "run-id", required_argument, NULL, 'i' },
        { "jobs", required_argument, NULL, 'j' },     { "commune", required_argument, NULL, 'c' },
        { "shard", required_argument, NULL, 's' },    { "resume", no_argument, NULL, 'r' },
        { "no-publish", no_argument, NULL, 'n' },     { "warehouse", required_argument, NULL, 'w' },
        { "progress", required_argument, NULL, 'p' }, { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },        { NULL, 0, NULL, 0 },
    };
    struct lr_run_opts o = { .jobs = -1 };
    struct lr_err err = { LR_OK, "" };
    static int32_t communes[4096];
    size_t ncommunes = 0;
    long long n;
    int c;

    while ((c = getopt_long(argc, argv, "qv", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o.out_dir = optarg;
            break;
        case 'i':
            o.run_id = optarg;
            break;
        case 'j':
            if (!parse_int(optarg, 0, 1024, &n))
                return usage_error("run", "--jobs wants a number from 0 to 1024, not '%s'", optarg);
            o.jobs = (int)n;
            break;
        case 'c':
            if (ncommunes == LR_ARRAY_LEN(communes) || !parse_int(optarg, 0, 99999, &n))
                return usage_error("run",
                                   "--commune wants an old commune code (0-99999, at most "
                                   "%zu of them), not '%s'",
                                   LR_ARRAY_LEN(communes), optarg);
            communes[ncommunes++] = (int32_t)n;
            break;
        case 's':
            if (!parse_shard(optarg, &o.shard_index, &o.shard_count))
                return usage_error("run", "--shard wants I/N with 0 <= I < N <= %d, not '%s'",
                                   LR_SHARD_MAX_CLI, optarg);
            break;
        case 'r':
            o.resume = true;
            break;
        case 'n':
            o.no_publish = true;
            break;
        case 'w':
            o.warehouse = optarg;
            break;
        case 'p':
            break;
        case 'q':
            lr_log_set_level(LR_LOG_WARN);
            break;
        case 'v':
            lr_log_set_level(LR_LOG_DEBUG);
            break;
        default:
            return usage_error("run", "%s", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return usage_error("run", "%s", "wants exactly one CONFIG");
    if (o.shard_count && o.resume)
        return usage_error("run", "%s",
                           "--shard and --resume do not go together: run the shard again");
    o.communes = ncommunes ? communes : NULL;
    o.n_communes = ncommunes;
    o.config_path = argv[optind];
    return finish(lr_run_main(&o, &err), &err);
}

static int
cmd_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },   { "jobs", required_argument, NULL, 'j' },
        { "no-publish", no_argument, NULL, 'n' },     { "warehouse", required_argument, NULL, 'w' },
        { "progress", required_argument, NULL, 'p' }, { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },        { NULL, 0, NULL, 0 },
    };
    struct lr_merge_opts o = { .jobs = -1 };
    struct lr_err err = { LR_OK, "" };
    long long n;
    int c;

    while ((c = getopt_long(argc, argv, "qv", longopts, NULL)) != -1) {
        if (c == 'c')
            o.config_path = optarg;
        else if (c == 'j' && parse_int(optarg, 0, 1024, &n))
            o.jobs = (int)n;
        else if (c == 'n')
            o.no_publish = true;
        else if (c == 'w')
            o.warehouse = optarg;
        else if (c == 'q')
            lr_log_set_level(LR_LOG_WARN);
        else if (c == 'v')
            lr_log_set_level(LR_LOG_DEBUG);
        else if (c != 'p')
            return usage_error("merge", "%s", "unknown option or bad value");
    }
    if (optind + 1 != argc)
        return usage_error("merge", "%s", "wants exactly one RUN_DIR");
    o.run_dir = argv[optind];
    return finish(lr_merge_main(&o, &err), &err);
}

static int
cmd_check(int argc, char **argv)
{
    struct lr_err err = { LR_OK, "" };

    if (argc != 2 || argv[1][0] == '-')
        return usage_error("check", "%s", "wants exactly one CONFIG");
    return finish(lr_check_main(argv[1], &err), &err);
}

static int
cmd_sample(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "parcels", required_argument, NULL, 'p' },
        { "communes", required_argument, NULL, 'c' },
        { "seed", required_argument, NULL, 's' },
        { NULL, 0, NULL, 0 },
    };
    struct lr_sample_opts o = { .parcels = 1500, .communes = 3, .seed = 1 };
    struct lr_err err = { LR_OK, "" };
    long long n;
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'p' && parse_int(optarg, 10, 100000000, &n))
            o.parcels = n;
        else if (c == 'c' && parse_int(optarg, 1, 40, &n))
            o.communes = (int)n;
        else if (c == 's' && parse_int(optarg, 0, INT64_MAX, &n))
            o.seed = (uint64_t)n;
        else
            return usage_error("sample", "bad option or value '%s'", optarg ? optarg : "");
    }
    if (optind + 1 != argc)
        return usage_error("sample", "%s", "wants exactly one DIR");
    o.dir = argv[optind];
    if (lr_sample_write(&o, &err) != LR_OK)
        return finish(err.rc, &err);
    printf("sample written to %s (config: %s/landrec.yaml)\n", o.dir, o.dir);
    return 0;
}

static int
cmd_diff(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "out", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 },
    };
    struct lr_err err = { LR_OK, "" };
    const char *out = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 'o')
            return usage_error("diff", "%s", "unknown option");
        out = optarg;
    }
    if (optind + 2 != argc)
        return usage_error("diff", "%s", "wants OLD_RUN_DIR and NEW_RUN_DIR");
    return finish(lr_diff_main(argv[optind], argv[optind + 1], out, &err), &err);
}

static int
cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return usage_error("version", "%s", "takes no arguments");
    lr_version_print(stdout);
    return 0;
}

static int
cmd_db(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "schema", required_argument, NULL, 's' },
        { NULL, 0, NULL, 0 },
    };
    const char *schema = NULL;
    struct lr_err err = { LR_OK, "" };
    int c;

    if (argc < 2 || strcmp(argv[1], "init") != 0)
        return usage_error("db", "%s", "the only db command is 'init'");
    while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
        if (c != 's')
            return usage_error("db", "%s", "unknown option");
        schema = optarg;
    }
    if (optind + 1 != argc - 1)
        return usage_error("db", "%s", "wants exactly one URL");
    return finish(lr_warehouse_init(argv[1 + optind], schema, &err), &err);
}

static int
cmd_show(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "with-owner", no_argument, NULL, 'w' },
        { NULL, 0, NULL, 0 },
    };
    struct lr_show_opts o = { .json = false };
    struct lr_err err = { LR_OK, "" };
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'j')
            o.json = true;
        else if (c == 'w')
            o.with_owner = true;
        else
            return usage_error("show", "%s", "unknown option");
    }
    if (optind >= argc || argc - optind > 2)
        return usage_error("show", "%s", "wants a KEY and at most one RUN_DIR");
    o.key = argv[optind];
    o.run_dir = optind + 1 < argc ? argv[optind + 1] : NULL;
    return finish(lr_show_main(&o, stdout, &err), &err);
}

int
main(int argc, char **argv)
{
    const struct cmd *cmd;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage_all(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(1, argv + 1);
    cmd = find_cmd(argv[1]);
    if (!cmd) {
        fprintf(stderr, "landrec: unknown command '%s'\n", argv[1]);
        usage_all(stderr);
        return 2;
    }
    if (wants_help(argc - 1, argv + 1)) {
        fputs(cmd->usage, stdout);
        return 0;
    }
    lr_init_libraries();
    return cmd->fn(argc - 1, argv + 1);
}
