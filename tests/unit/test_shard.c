/* test_shard.c - the shard plan (communes dealt by weight, heaviest first into the lightest
 * shard) and keeping a shard's rows (indices of issues follow their rows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "shard.h"

#define MAXC 8

struct weight {
    int32_t code;
    int n; /* parcels of the commune (the plan counts parcels + records) */
};

struct plan_case {
    const char *name;
    struct weight w[MAXC];
    int count;
    int32_t want[MAXC][MAXC]; /* per shard, its codes ascending, 0-terminated */
};

/* A shard with n parcels and n records of each commune (records count too: weight 2n). */
static void
fill(struct lr_shard *sh, const struct weight *w)
{
    for (int c = 0; c < MAXC && w[c].code; c++)
        for (int k = 0; k < w[c].n; k++) {
            struct lr_parcel *p = lr_shard_add_parcel(sh);
            struct lr_record *r = lr_shard_add_record(sh);
            assert_non_null(p);
            assert_non_null(r);
            p->key = (struct lr_key){ w[c].code, 1, k + 1 };
            r->key = p->key;
            p->record = r->parcel = -1;
        }
}

static void
test_plan(void **state)
{
    static const struct plan_case cases[] = {
        { "heaviest first, lightest shard, ties to the lower index",
          { { 25195, 50 }, { 25207, 30 }, { 25219, 20 }, { 25231, 20 } },
          2,
          { { 25195, 25231 }, { 25207, 25219 } } },
        { "equal weights: lower code first",
          { { 25300, 7 }, { 25100, 7 }, { 25200, 7 } },
          3,
          { { 25100 }, { 25200 }, { 25300 } } },
        { "more shards than communes: the rest are empty",
          { { 25195, 5 }, { 25207, 3 } },
          4,
          { { 25195 }, { 25207 }, { 0 }, { 0 } } },
        { "one shard holds everything",
          { { 25207, 1 }, { 25195, 9 }, { 25219, 4 } },
          1,
          { { 25195, 25207, 25219 } } },
        { "a big commune alone, the small ones together",
          { { 25101, 100 }, { 25102, 30 }, { 25103, 30 }, { 25104, 30 }, { 25105, 10 } },
          2,
          { { 25101 }, { 25102, 25103, 25104, 25105 } } },
    };
    struct lr_err err = { LR_OK, "" };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lr_shard sh;
        int64_t total = 0, sum = 0;
        lr_shard_init(&sh, NULL);
        fill(&sh, cases[i].w);
        for (int c = 0; c < MAXC; c++)
            total += 2 * cases[i].w[c].n;
        for (int s = 0; s < cases[i].count; s++) {
            int32_t *codes = NULL;
            size_t n = 0, want_n = 0;
            int64_t weight = -1;
            assert_int_equal(lr_shard_plan(&sh, s, cases[i].count, &codes, &n, &weight, &err),
                             LR_OK);
            while (want_n < MAXC && cases[i].want[s][want_n])
                want_n++;
            if (n != want_n)
                fail_msg("%s: shard %d holds %zu communes, want %zu", cases[i].name, s, n, want_n);
            for (size_t k = 0; k < n; k++)
                assert_int_equal(codes[k], cases[i].want[s][k]);
            sum += weight;
            free(codes);
        }
        assert_int_equal(sum, total); /* every feature in exactly one shard */
        lr_shard_release(&sh);
    }
}

/* --shard 1/2 of communes A (heavy: shard 0) and B (shard 1) plus a keyless parcel: shard 1
 * keeps B's rows, in order, with its issues re-indexed; shard 0 keeps A's and the keyless. */
static void
test_restrict(void **state)
{
    static const struct weight w[MAXC] = { { 25195, 3 }, { 25207, 2 } };
    struct lr_run_opts opts = { .shard_index = 1, .shard_count = 2 };
    struct lr_config cfg;
    struct lr_ctx ctx;
    struct lr_shard sh;
    struct lr_err err = { LR_OK, "" };
    struct lr_parcel *p;
    int64_t *op = NULL, *orr = NULL;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    memset(&ctx, 0, sizeof(ctx));
    cfg.path = "test.yaml";
    ctx.cfg = &cfg;
    ctx.opts = &opts;
    lr_shard_init(&sh, &cfg);
    fill(&sh, w);                 /* parcels 0-2 A, 3-4 B; records the same */
    p = lr_shard_add_parcel(&sh); /* parcel 5: no valid commune */
    p->key.commune = -1;
    p->record = -1;
    p->status = LR_ST_REJECTED;
    assert_int_equal(lr_shard_add_issue(&sh, 1, -1, LR_IS_SPIKE, 0, 0, "A1"), LR_OK);
    assert_int_equal(lr_shard_add_issue(&sh, 4, -1, LR_IS_SPIKE, 0, 0, "B4"), LR_OK);
    assert_int_equal(lr_shard_add_issue(&sh, -1, 3, LR_IS_BAD_VALUE, 0, 0, "rB3"), LR_OK);
    assert_int_equal(lr_shard_add_issue(&sh, 5, -1, LR_IS_BAD_KEY, 0, 0, "K5"), LR_OK);
    sh.map_input = 6;
    sh.register_input = 5;

    assert_int_equal(lr_shard_restrict(&ctx, &sh, &op, &orr, &err), LR_OK);
    assert_int_equal(sh.n_parcels, 2);
    assert_int_equal(sh.n_records, 2);
    assert_int_equal(sh.map_input, 2);
    assert_int_equal(sh.register_input, 2);
    assert_int_equal(op[0], 3);
    assert_int_equal(op[1], 4);
    assert_int_equal(orr[0], 3);
    assert_int_equal(sh.parcels[1].key.parcel, 2);
    assert_int_equal(sh.n_issues, 2);
    assert_string_equal(sh.issues[0].detail, "B4");
    assert_int_equal(sh.issues[0].parcel, 1);
    assert_string_equal(sh.issues[1].detail, "rB3");
    assert_int_equal(sh.issues[1].record, 0);
    free(op);
    free(orr);
    lr_shard_release(&sh);

    /* shard 0 of 2: A and the keyless parcel */
    opts.shard_index = 0;
    lr_shard_init(&sh, &cfg);
    fill(&sh, w);
    p = lr_shard_add_parcel(&sh);
    p->key.commune = -1;
    p->record = -1;
    assert_int_equal(lr_shard_add_issue(&sh, 5, -1, LR_IS_BAD_KEY, 0, 0, "K5"), LR_OK);
    assert_int_equal(lr_shard_restrict(&ctx, &sh, NULL, NULL, &err), LR_OK);
    assert_int_equal(sh.n_parcels, 4);
    assert_int_equal(sh.n_records, 3);
    assert_int_equal(sh.n_issues, 1);
    assert_int_equal(sh.issues[0].parcel, 3);
    lr_shard_release(&sh);
}

/* --commune: only the listed communes; an unknown code is a usage error. */
static void
test_restrict_communes(void **state)
{
    static const struct weight w[MAXC] = { { 25195, 3 }, { 25207, 2 }, { 25219, 1 } };
    static const int32_t pick[] = { 25219, 25195 };
    static const int32_t unknown[] = { 25195, 99999 };
    struct lr_run_opts opts = { .communes = pick, .n_communes = 2 };
    struct lr_config cfg;
    struct lr_ctx ctx;
    struct lr_shard sh;
    struct lr_err err = { LR_OK, "" };

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    memset(&ctx, 0, sizeof(ctx));
    cfg.path = "test.yaml";
    ctx.cfg = &cfg;
    ctx.opts = &opts;
    lr_shard_init(&sh, &cfg);
    fill(&sh, w);
    assert_int_equal(lr_shard_restrict(&ctx, &sh, NULL, NULL, &err), LR_OK);
    assert_int_equal(sh.n_parcels, 4);
    assert_int_equal(sh.parcels[3].key.commune, 25219);
    lr_shard_release(&sh);

    opts.communes = unknown;
    lr_shard_init(&sh, &cfg);
    fill(&sh, w);
    assert_int_equal(lr_shard_restrict(&ctx, &sh, NULL, NULL, &err), LR_ERR_USAGE);
    assert_non_null(strstr(err.msg, "99999"));
    assert_int_equal(sh.n_parcels, 6); /* untouched */
    lr_shard_release(&sh);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_restrict),
        cmocka_unit_test(test_restrict_communes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
