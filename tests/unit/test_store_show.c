/* test_store_show.c - `landrec show` on a parcels.gpkg written from the hand-made shard: a
 * matched key, a split seen from the old and from a new key, a register-only record, a feature
 * rejected without geometry, not found, bad key, unreadable run folder, OUTPUT/latest, owner
 * fields only with --with-owner (and the extract's key column checked, not any text match). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "io.h"
#include "show.h"
#include "store.h"
#include "store_fixture.h"

#include <jansson.h>

/* A decoy first: its address holds ",25216-2-7," but its key column is another parcel's. */
static const char extract_csv[] =
    "new_commune,new_commune_name,old_commune,sheet,parcel,parcel_key,address,land_use,"
    "area_m2,area_source,price_zone,position,unit_price_vnd,value_vnd,tax_vnd,owner_name,"
    "owner_id,certificate,status\n"
    "25210,Phường A,25216,2,30,25216-2-30,\"gần ,25216-2-7, cũ\",ONT,30.0,map,,,,,,"
    "Trần Thị Bích,079987654321,CS 2,split\n"
    "25210,Phường A,25216,2,7,25216-2-7,\"Ấp 3, xã Tân Lập\",ONT,500.4,register,Z01,1,1500000,"
    "750600000,225180,Nguyễn Văn Ánh,079123456789,CS 01234,matched\n";

static const char manifest[] = "{\"run_id\": \"t-1\", \"status\": \"complete\"}";

static int
group_setup(void **state)
{
    struct lr_err err = { LR_OK, "" };
    struct fixture *f;
    char *p;

    if (setup(state) != 0)
        return -1;
    f = *state;
    if (lr_store_write_file(f->path, &f->sh, f->g, NULL, &err) != LR_OK)
        return -1;
    p = lr_path_join(f->dir, "tax_extract.csv");
    if (!p || lr_io_write_file(p, extract_csv, strlen(extract_csv), &err) != LR_OK)
        return -1;
    free(p);
    p = lr_path_join(f->dir, "manifest.json");
    if (!p || lr_io_write_file(p, manifest, strlen(manifest), &err) != LR_OK)
        return -1;
    free(p);
    return 0;
}

/* Run show; on success parse its output (JSON or text kept in *text). */
static enum lr_rc
show(const char *dir, const char *key, bool json, bool owner, json_t **doc, char **text,
     struct lr_err *err)
{
    struct lr_show_opts o = { .key = key, .run_dir = dir, .json = json, .with_owner = owner };
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    enum lr_rc rc;

    assert_non_null(out);
    rc = lr_show_main(&o, out, err);
    fclose(out);
    if (doc)
        *doc = rc == LR_OK && json ? json_loads(buf, 0, NULL) : NULL;
    if (doc && rc == LR_OK && json)
        assert_non_null(*doc);
    if (text)
        *text = buf;
    else
        free(buf);
    return rc;
}

static json_t *
show_ok(void **state, const char *key, bool owner)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    json_t *doc = NULL;

    if (show(f->dir, key, true, owner, &doc, NULL, &err) != LR_OK)
        fail_msg("show %s: %s", key, err.msg);
    return doc;
}

static const char *
str_at(json_t *doc, const char *part, size_t i, const char *field)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(doc, part), i), field));
}

static size_t
count(json_t *doc, const char *part)
{
    return json_array_size(json_object_get(doc, part));
}

static void
test_matched(void **state)
{
    json_t *doc = show_ok(state, " 25216-02-007 ", false);

    assert_string_equal(json_string_value(json_object_get(doc, "key")), "25216-2-7");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "run"), "run_id")),
                        "t-1");
    assert_int_equal(count(doc, "parcels"), 1);
    assert_string_equal(str_at(doc, "parcels", 0, "status"), "matched");
    assert_string_equal(str_at(doc, "parcels", 0, "source_file"), "maps/xa_a.shp");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(doc, "parcels"), 0), "tax_vnd")),
                     225045);
    assert_true(json_is_true(
        json_object_get(json_array_get(json_object_get(doc, "parcels"), 0), "in_extract")));
    assert_int_equal(count(doc, "lineage"), 1);
    assert_string_equal(str_at(doc, "lineage", 0, "relation"), "same");
    assert_int_equal(count(doc, "findings"), 1);
    assert_string_equal(str_at(doc, "findings", 0, "class"), "overlap");
    assert_null(json_object_get(doc, "owners"));
    json_decref(doc);
}

/* From the old key: both children. From a child: the parent and the sibling too. */
static void
test_split_both_ways(void **state)
{
    const char *keys[] = { "25216-2-9", "25216-2-31" };

    for (size_t k = 0; k < 2; k++) {
        json_t *doc = show_ok(state, keys[k], false);
        assert_int_equal(count(doc, "parcels"), 2);
        assert_string_equal(str_at(doc, "parcels", 0, "parcel_key"), "25216-2-30");
        assert_string_equal(str_at(doc, "parcels", 1, "parcel_key"), "25216-2-31");
        assert_string_equal(str_at(doc, "parcels", 1, "status"), "split");
        assert_string_equal(str_at(doc, "parcels", 1, "record_key"), "25216-2-9");
        assert_int_equal(count(doc, "lineage"), 2);
        assert_string_equal(str_at(doc, "lineage", 0, "relation"), "split");
        assert_string_equal(str_at(doc, "lineage", 1, "old_key"), "25216-2-9");
        json_decref(doc);
    }
}

static void
test_register_only_and_rejected(void **state)
{
    json_t *doc = show_ok(state, "25216-5-5", false);

    assert_int_equal(count(doc, "parcels"), 0);
    assert_int_equal(count(doc, "register_only"), 1);
    assert_string_equal(str_at(doc, "register_only", 0, "status"), "register_only");
    assert_string_equal(str_at(doc, "register_only", 0, "source_file"), "register.csv");
    assert_int_equal(count(doc, "findings"), 1);
    assert_string_equal(str_at(doc, "findings", 0, "class"), "register_only");
    json_decref(doc);
    doc = show_ok(state, "25216-3-1", false); /* a map feature without geometry */
    assert_int_equal(count(doc, "parcels"), 0);
    assert_int_equal(count(doc, "findings"), 1);
    assert_string_equal(str_at(doc, "findings", 0, "class"), "too_few_points");
    json_decref(doc);
}

static void
test_errors(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    char missing[160];

    assert_int_equal(show(f->dir, "25216-9-9", true, false, NULL, NULL, &err), LR_ERR_INTERNAL);
    assert_non_null(strstr(err.msg, "not found"));
    lr_err_clear(&err);
    assert_int_equal(show(f->dir, "abc", true, false, NULL, NULL, &err), LR_ERR_USAGE);
    lr_err_clear(&err);
    snprintf(missing, sizeof(missing), "%s/no-such-run", f->dir);
    assert_int_equal(show(missing, "25216-2-7", true, false, NULL, NULL, &err), LR_ERR_INPUT);
    assert_non_null(strstr(err.msg, missing));
}

/* An output folder: its `latest` link is followed. */
static void
test_output_latest(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    char out[128], link_path[160];
    json_t *doc = NULL;

    snprintf(out, sizeof(out), "%s/out", f->dir);
    snprintf(link_path, sizeof(link_path), "%s/latest", out);
    assert_int_equal(lr_io_mkdirs(out, 0755, &err), LR_OK);
    unlink(link_path);
    assert_int_equal(symlink(f->dir, link_path), 0);
    assert_int_equal(show(out, "25216-2-7", true, false, &doc, NULL, &err), LR_OK);
    assert_int_equal(count(doc, "parcels"), 1);
    json_decref(doc);
}

static void
test_owner_only_on_request(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    char *text = NULL;
    json_t *doc;

    /* without --with-owner: no owner string in either output */
    for (int json = 0; json < 2; json++) {
        assert_int_equal(show(f->dir, "25216-2-30", json, false, NULL, &text, &err), LR_OK);
        for (size_t i = 0; i < 3; i++) {
            assert_null(strstr(text, owners[i]));
            assert_null(strstr(text, owner_ids[i]));
        }
        free(text);
    }
    doc = show_ok(state, "25216-2-7", true);
    assert_int_equal(count(doc, "owners"), 1);
    assert_string_equal(str_at(doc, "owners", 0, "owner_name"), owners[0]);
    assert_string_equal(str_at(doc, "owners", 0, "owner_id"), owner_ids[0]);
    assert_string_equal(str_at(doc, "owners", 0, "address"), "Ấp 3, xã Tân Lập");
    json_decref(doc);
    doc = show_ok(state, "25216-2-9", true);   /* both children are taxable */
    assert_int_equal(count(doc, "owners"), 1); /* only 25216-2-30 is in this extract */
    assert_string_equal(str_at(doc, "owners", 0, "owner_name"), owners[1]);
    json_decref(doc);
}

static void
test_text(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    char *text = NULL;

    assert_int_equal(show(f->dir, "25216-2-7", false, false, NULL, &text, &err), LR_OK);
    assert_non_null(strstr(text, "key 25216-2-7   run t-1"));
    assert_non_null(strstr(text, "map parcel 25216-2-7  [matched: Khớp]"));
    assert_non_null(strstr(text, "  area_m2            500.1\n"));
    assert_non_null(strstr(text, "  value_vnd          750150000\n"));
    assert_non_null(strstr(text, "  in_extract         yes\n"));
    assert_non_null(strstr(text, "lineage (old -> new)"));
    assert_non_null(strstr(text, "overlap  overlap 2.0 m2"));
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matched),
        cmocka_unit_test(test_split_both_ways),
        cmocka_unit_test(test_register_only_and_rejected),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_output_latest),
        cmocka_unit_test(test_owner_only_on_request),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, group_setup, teardown);
}
