/* test_checkpoint.c - the shard's checkpoint encoding (checkpoint.h): every field of every
 * table survives a round trip; a new field in model.h is noticed (struct sizes); damaged or
 * short data is refused without a crash (run it in the ASan build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h after the system headers it needs */
#include <cmocka.h>
/* the module under test */
#include "checkpoint.h"
#include "geom.h"
#include "io.h"
#include "landuse.h"

static const char *const names[] = { "load",  "reproject", "validate", "match",
                                     "value", "extract",   "publish" };

/* The struct sizes checkpoint.c was written for (x86_64). A different size means a field was
 * added or removed: serialise it in checkpoint.c (put_X and get_X), fill and compare it below,
 * then update the number here. */
static void
test_struct_sizes(void **state)
{
    static const struct {
        const char *name;
        size_t got, want;
    } sizes[] = {
        { "lr_input", sizeof(struct lr_input), 152 },
        { "lr_parcel", sizeof(struct lr_parcel), 272 },
        { "lr_record", sizeof(struct lr_record), 96 },
        { "lr_issue", sizeof(struct lr_issue), 56 },
        { "lr_finding", sizeof(struct lr_finding), 40 },
        { "lr_lineage", sizeof(struct lr_lineage), 32 },
        { "lr_zone", sizeof(struct lr_zone), 48 },
        { "lr_commune", sizeof(struct lr_commune), 40 },
        { "lr_boundary", sizeof(struct lr_boundary), 24 },
        { "lr_stage_stat", sizeof(struct lr_stage_stat), 48 },
        { "lr_shape", sizeof(struct lr_shape), 40 },
        { "lr_shard", sizeof(struct lr_shard), 656 },
        { "lr_landuse_pair", sizeof(struct lr_landuse_pair), 32 },
    };
    int bad = 0;

    (void)state;
    if (sizeof(void *) != 8)
        skip();
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i].got != sizes[i].want) {
            print_error("struct %s is %zu bytes, checkpoint.c knows %zu: a field changed; add it "
                        "to checkpoint.c and to this test\n",
                        sizes[i].name, sizes[i].got, sizes[i].want);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static char *
dup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static void
fill_parcel(struct lr_geom_ctx *g, struct lr_parcel *p)
{
    static const double xy[] = { 0, 0, 10, 0, 10, 10, 0, 0, 2, 2, 3, 2, 3, 3, 2, 2 };

    p->input = 3;
    p->fid = 123456789012LL;
    p->key = (struct lr_key){ 25216, 12, 345 };
    p->land_use = dup("ODT");
    p->land_use_raw = dup("T");
    p->place = dup("Xứ Đồng Lớn");
    p->has_owner = true;
    p->owner_hash = 0xFEDCBA9876543210ULL;
    p->scale = 2000;
    p->area_attr_dm2 = 4121;
    p->shape.nparts = 1;
    p->shape.nrings = 2;
    p->shape.npts = 8;
    p->shape.part_rings = calloc(1, sizeof(uint32_t));
    p->shape.ring_pts = calloc(2, sizeof(uint32_t));
    p->shape.xy = malloc(sizeof(xy));
    assert_true(p->shape.part_rings && p->shape.ring_pts && p->shape.xy);
    p->shape.part_rings[0] = 2;
    p->shape.ring_pts[0] = p->shape.ring_pts[1] = 4;
    memcpy(p->shape.xy, xy, sizeof(xy));
    p->geom = lr_geom_from_wkt(g, "MULTIPOLYGON(((0 0,10 0,10 10,0 0),(2 2,3 2,3 3,2 2)))");
    assert_non_null(p->geom);
    p->area_dm2 = 495;
    p->area_src_dm2 = 494;
    p->ix = 0.1 + 0.2; /* not a short decimal: the bits must survive */
    p->iy = -1e-300;
    p->new_commune = 26001;
    p->geo_commune = 26002;
    p->status = LR_ST_AREA_MISMATCH;
    p->reject = LR_IS_BAD_COORDINATES;
    p->record = 7;
    p->issues = 0x5A5A;
    p->zone = dup("Z-12");
    p->position = 3;
    p->price_vnd = 15000000;
    p->value_vnd = 742500000;
    p->tax_vnd = 222750;
    p->extract_area_dm2 = 4950;
    p->area_from_register = true;
    p->tol_dm2 = 33;
    p->area_ok = true;
    p->confidence_pct = 87;
}

static void
fill_record(struct lr_record *r)
{
    r->input = 4;
    r->row = 99;
    r->key = (struct lr_key){ 25216, 1, 2 };
    r->land_use = dup("CLN");
    r->area_dm2 = 4950;
    r->owner_name = dup("Nguyễn Văn A");
    r->owner_id = dup("070012345678");
    r->certificate = dup("CS01234");
    r->address = dup("Khu phố 1, \"quoted\", phường X");
    r->status = LR_ST_SPLIT;
    r->reject = LR_IS_BAD_KEY;
    r->parcel = 0;
}

static void
fill_tables(struct lr_shard *sh)
{
    sh->findings = calloc(1, sizeof(*sh->findings));
    sh->lineage = calloc(1, sizeof(*sh->lineage));
    sh->issues = calloc(1, sizeof(*sh->issues));
    assert_true(sh->findings && sh->lineage && sh->issues);
    sh->n_findings = sh->cap_findings = sh->n_lineage = sh->cap_lineage = 1;
    sh->n_issues = sh->cap_issues = 1;
    sh->issues[0] = (struct lr_issue){ 0, -1, LR_IS_OVERLAP, 1.5, -2.25, dup("0103"), dup("x") };
    sh->findings[0] = (struct lr_finding){ -1, 0, LR_ST_REGISTER_ONLY, dup("no map"), true };
    sh->lineage[0] = (struct lr_lineage){ 0, 0, LR_REL_MERGED, 66, dup("area 0.98") };
}

static void
fill_refdata(struct lr_geom_ctx *g, struct lr_shard *sh)
{
    sh->zones = calloc(1, sizeof(*sh->zones));
    sh->communes = calloc(2, sizeof(*sh->communes));
    sh->boundaries = calloc(1, sizeof(*sh->boundaries));
    sh->landuse = calloc(1, sizeof(*sh->landuse));
    assert_true(sh->zones && sh->communes && sh->boundaries && sh->landuse);
    sh->n_zones = sh->n_boundaries = 1;
    sh->n_communes = 2;
    sh->zones[0] = (struct lr_zone){
        dup("Z-12"), dup("ODT"), 2, 15000000, lr_geom_from_wkt(g, "POLYGON((0 0,20 0,20 20,0 0))"),
        NULL
    };
    sh->communes[0] =
        (struct lr_commune){ 25216, dup("Xã A"), 26001, dup("Phường B"), dup("TAX-1") };
    sh->communes[1] = (struct lr_commune){ 25217, dup("Xã C"), 26001, dup("Phường B"), NULL };
    sh->boundaries[0] =
        (struct lr_boundary){ 26001, lr_geom_from_wkt(g, "POLYGON((0 0,30 0,0 30,0 0))"), NULL };
    assert_true(sh->zones[0].geom && sh->boundaries[0].geom);
    sh->landuse->pairs = calloc(2, sizeof(*sh->landuse->pairs));
    assert_non_null(sh->landuse->pairs);
    sh->landuse->n = 2;
    strcpy(sh->landuse->pairs[0].legacy, "T");
    strcpy(sh->landuse->pairs[0].current, "ODT");
    strcpy(sh->landuse->pairs[1].legacy, "LUA");
    strcpy(sh->landuse->pairs[1].current, "LUC");
}

/* A shard with every table holding rows whose every field is set. */
static void
fill_shard(struct lr_geom_ctx *g, struct lr_shard *sh, const struct lr_config *cfg)
{
    lr_shard_init(sh, cfg);
    sh->name = dup("shard 1/2");
    assert_non_null(lr_shard_add_input(sh));
    sh->inputs[0] =
        (struct lr_input){ dup("maps/a.shp"),     dup("map"), dup("a"), "", 1479, dup("EPSG:9212"),
                           dup("+proj=pipeline"), true,       NULL,     12, 3 };
    memset(sh->inputs[0].sha256, 'a', 64);
    assert_non_null(lr_shard_add_parcel(sh));
    fill_parcel(g, &sh->parcels[0]);
    assert_non_null(lr_shard_add_parcel(sh)); /* a parcel with nothing but defaults */
    sh->parcels[1].record = -1;
    assert_non_null(lr_shard_add_record(sh));
    fill_record(&sh->records[0]);
    fill_tables(sh);
    fill_refdata(g, sh);
    sh->n_stages = 3;
    for (size_t i = 0; i < 3; i++)
        sh->stages[i] =
            (struct lr_stage_stat){ names[i], 10 + (int64_t)i, 9, 1, 0.125 * (double)i, true };
    sh->repair_area_delta_dm2 = -17;
    sh->map_input = 1479;
    sh->register_input = 1500;
    sh->corrections_rows = 5;
    sh->corrections_applied = 4;
    sh->corrections_stale = 1;
}

static void
same_str(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void
same_geom(struct lr_geom_ctx *g, const void *a, const void *b)
{
    size_t na = 0, nb = 0;
    unsigned char *wa = a ? lr_geom_to_wkb(g, a, &na) : NULL,
                  *wb = b ? lr_geom_to_wkb(g, b, &nb) : NULL;

    assert_int_equal(na, nb);
    if (na)
        assert_memory_equal(wa, wb, na);
    free(wa);
    free(wb);
}

static void
same_parcel(struct lr_geom_ctx *g, const struct lr_parcel *a, const struct lr_parcel *b)
{
    assert_int_equal(a->input, b->input);
    assert_int_equal(a->fid, b->fid);
    assert_int_equal(lr_key_cmp(&a->key, &b->key), 0);
    same_str(a->land_use, b->land_use);
    same_str(a->land_use_raw, b->land_use_raw);
    same_str(a->place, b->place);
    assert_int_equal(a->has_owner, b->has_owner);
    assert_true(a->owner_hash == b->owner_hash);
    assert_int_equal(a->scale, b->scale);
    assert_int_equal(a->area_attr_dm2, b->area_attr_dm2);
    assert_int_equal(a->shape.nparts, b->shape.nparts);
    assert_int_equal(a->shape.nrings, b->shape.nrings);
    assert_int_equal(a->shape.npts, b->shape.npts);
    assert_int_equal(!a->shape.xy, !b->shape.xy);
    if (a->shape.xy) {
        assert_memory_equal(a->shape.part_rings, b->shape.part_rings, 4 * a->shape.nparts);
        assert_memory_equal(a->shape.ring_pts, b->shape.ring_pts, 4 * a->shape.nrings);
        assert_memory_equal(a->shape.xy, b->shape.xy, 16 * (size_t)a->shape.npts);
    }
    same_geom(g, a->geom, b->geom);
    assert_int_equal(a->area_dm2, b->area_dm2);
    assert_int_equal(a->area_src_dm2, b->area_src_dm2);
    assert_memory_equal(&a->ix, &b->ix, sizeof(double));
    assert_memory_equal(&a->iy, &b->iy, sizeof(double));
    assert_int_equal(a->new_commune, b->new_commune);
    assert_int_equal(a->geo_commune, b->geo_commune);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->reject, b->reject);
    assert_int_equal(a->record, b->record);
    assert_int_equal(a->issues, b->issues);
    same_str(a->zone, b->zone);
    assert_int_equal(a->position, b->position);
    assert_int_equal(a->price_vnd, b->price_vnd);
    assert_int_equal(a->value_vnd, b->value_vnd);
    assert_int_equal(a->tax_vnd, b->tax_vnd);
    assert_int_equal(a->extract_area_dm2, b->extract_area_dm2);
    assert_int_equal(a->area_from_register, b->area_from_register);
    assert_int_equal(a->tol_dm2, b->tol_dm2);
    assert_int_equal(a->area_ok, b->area_ok);
    assert_int_equal(a->confidence_pct, b->confidence_pct);
}

static void
same_record(const struct lr_record *a, const struct lr_record *b)
{
    assert_int_equal(a->input, b->input);
    assert_int_equal(a->row, b->row);
    assert_int_equal(lr_key_cmp(&a->key, &b->key), 0);
    same_str(a->land_use, b->land_use);
    assert_int_equal(a->area_dm2, b->area_dm2);
    same_str(a->owner_name, b->owner_name);
    same_str(a->owner_id, b->owner_id);
    same_str(a->certificate, b->certificate);
    same_str(a->address, b->address);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->reject, b->reject);
    assert_int_equal(a->parcel, b->parcel);
}

static void
same_input(const struct lr_input *a, const struct lr_input *b)
{
    same_str(a->path, b->path);
    same_str(a->kind, b->kind);
    same_str(a->layer, b->layer);
    assert_string_equal(a->sha256, b->sha256);
    assert_int_equal(a->features, b->features);
    same_str(a->src_crs, b->src_crs);
    same_str(a->crs_op, b->crs_op);
    assert_int_equal(a->crs_assumed, b->crs_assumed);
    assert_ptr_equal(a->crs_pipeline, b->crs_pipeline); /* the same config string */
    assert_int_equal(a->converted, b->converted);
    assert_int_equal(a->ambiguous, b->ambiguous);
}

static void
same_findings(const struct lr_shard *a, const struct lr_shard *b)
{
    assert_int_equal(a->n_issues, b->n_issues);
    for (size_t i = 0; i < a->n_issues; i++) {
        const struct lr_issue *x = &a->issues[i], *y = &b->issues[i];
        assert_int_equal(x->parcel, y->parcel);
        assert_int_equal(x->record, y->record);
        assert_int_equal(x->cls, y->cls);
        assert_memory_equal(&x->x, &y->x, sizeof(double));
        assert_memory_equal(&x->y, &y->y, sizeof(double));
        same_str(x->wkb_hex, y->wkb_hex);
        same_str(x->detail, y->detail);
    }
    assert_int_equal(a->n_findings, b->n_findings);
    for (size_t i = 0; i < a->n_findings; i++) {
        const struct lr_finding *x = &a->findings[i], *y = &b->findings[i];
        assert_int_equal(x->parcel, y->parcel);
        assert_int_equal(x->record, y->record);
        assert_int_equal(x->cls, y->cls);
        same_str(x->detail, y->detail);
        assert_int_equal(x->acknowledged, y->acknowledged);
    }
    assert_int_equal(a->n_lineage, b->n_lineage);
    for (size_t i = 0; i < a->n_lineage; i++) {
        const struct lr_lineage *x = &a->lineage[i], *y = &b->lineage[i];
        assert_int_equal(x->record, y->record);
        assert_int_equal(x->parcel, y->parcel);
        assert_int_equal(x->relation, y->relation);
        assert_int_equal(x->confidence_pct, y->confidence_pct);
        same_str(x->evidence, y->evidence);
    }
}

static void
same_refdata(struct lr_geom_ctx *g, const struct lr_shard *a, const struct lr_shard *b)
{
    assert_int_equal(a->n_zones, b->n_zones);
    for (size_t i = 0; i < a->n_zones; i++) {
        same_str(a->zones[i].zone, b->zones[i].zone);
        same_str(a->zones[i].land_use, b->zones[i].land_use);
        assert_int_equal(a->zones[i].position, b->zones[i].position);
        assert_int_equal(a->zones[i].price_vnd, b->zones[i].price_vnd);
        same_geom(g, a->zones[i].geom, b->zones[i].geom);
        assert_non_null(b->zones[i].prep); /* rebuilt */
    }
    assert_int_equal(a->n_communes, b->n_communes);
    for (size_t i = 0; i < a->n_communes; i++) {
        assert_int_equal(a->communes[i].old_code, b->communes[i].old_code);
        same_str(a->communes[i].old_name, b->communes[i].old_name);
        assert_int_equal(a->communes[i].new_code, b->communes[i].new_code);
        same_str(a->communes[i].new_name, b->communes[i].new_name);
        same_str(a->communes[i].tax_code, b->communes[i].tax_code);
    }
    assert_int_equal(a->n_boundaries, b->n_boundaries);
    for (size_t i = 0; i < a->n_boundaries; i++) {
        assert_int_equal(a->boundaries[i].new_code, b->boundaries[i].new_code);
        same_geom(g, a->boundaries[i].geom, b->boundaries[i].geom);
        assert_non_null(b->boundaries[i].prep);
    }
    assert_non_null(b->landuse);
    assert_int_equal(a->landuse->n, b->landuse->n);
    assert_memory_equal(a->landuse->pairs, b->landuse->pairs,
                        a->landuse->n * sizeof(*a->landuse->pairs));
}

static void
same_shard(struct lr_geom_ctx *g, const struct lr_shard *a, const struct lr_shard *b)
{
    same_str(a->name, b->name);
    assert_int_equal(a->n_inputs, b->n_inputs);
    for (size_t i = 0; i < a->n_inputs; i++)
        same_input(&a->inputs[i], &b->inputs[i]);
    assert_int_equal(a->n_parcels, b->n_parcels);
    for (size_t i = 0; i < a->n_parcels; i++)
        same_parcel(g, &a->parcels[i], &b->parcels[i]);
    assert_int_equal(a->n_records, b->n_records);
    for (size_t i = 0; i < a->n_records; i++)
        same_record(&a->records[i], &b->records[i]);
    same_findings(a, b);
    same_refdata(g, a, b);
    assert_int_equal(a->n_stages, b->n_stages);
    for (size_t i = 0; i < a->n_stages; i++) {
        assert_ptr_equal(a->stages[i].name, b->stages[i].name); /* the static names */
        assert_int_equal(a->stages[i].in, b->stages[i].in);
        assert_int_equal(a->stages[i].out, b->stages[i].out);
        assert_int_equal(a->stages[i].rejected, b->stages[i].rejected);
        assert_memory_equal(&a->stages[i].seconds, &b->stages[i].seconds, sizeof(double));
        assert_int_equal(a->stages[i].done, b->stages[i].done);
    }
    assert_int_equal(a->repair_area_delta_dm2, b->repair_area_delta_dm2);
    assert_int_equal(a->map_input, b->map_input);
    assert_int_equal(a->register_input, b->register_input);
    assert_int_equal(a->corrections_rows, b->corrections_rows);
    assert_int_equal(a->corrections_applied, b->corrections_applied);
    assert_int_equal(a->corrections_stale, b->corrections_stale);
}

struct fixture {
    struct lr_geom_ctx *g;
    struct lr_source map;
    struct lr_config cfg;
    struct lr_shard sh;
    struct lr_buf enc;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->g = lr_geom_ctx_new();
    assert_non_null(f->g);
    f->map.crs_pipeline = "+proj=pipeline +step +proj=noop";
    f->cfg.maps = &f->map;
    f->cfg.n_maps = 1;
    fill_shard(f->g, &f->sh, &f->cfg);
    f->sh.inputs[0].crs_pipeline = f->map.crs_pipeline;
    lr_buf_init(&f->enc);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    lr_shard_release(&f->sh);
    lr_buf_release(&f->enc);
    lr_geom_ctx_free(f->g);
    free(f);
    return 0;
}

static void
test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    struct lr_shard back;
    struct lr_buf again;

    assert_int_equal(lr_checkpoint_encode_shard(f->g, &f->sh, &f->enc, &err), LR_OK);
    lr_shard_init(&back, &f->cfg);
    assert_int_equal(lr_checkpoint_decode_shard(f->g, (const unsigned char *)f->enc.data,
                                                f->enc.len, &back, names, 7, &err),
                     LR_OK);
    same_shard(f->g, &f->sh, &back);
    lr_buf_init(&again);
    assert_int_equal(lr_checkpoint_encode_shard(f->g, &back, &again, &err), LR_OK);
    assert_int_equal(again.len, f->enc.len); /* encode(decode(x)) == x, byte for byte */
    assert_memory_equal(again.data, f->enc.data, again.len);
    lr_buf_release(&again);
    lr_shard_release(&back);
}

/* Every prefix of a valid encoding, and every single-byte change, is refused or decoded without
 * a crash, a leak or an out-of-bounds read (the ASan build checks); prefixes are all refused. */
static void
test_damage(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    unsigned char *copy;

    assert_int_equal(lr_checkpoint_encode_shard(f->g, &f->sh, &f->enc, &err), LR_OK);
    copy = malloc(f->enc.len);
    assert_non_null(copy);
    for (size_t n = 0; n < f->enc.len; n++) {
        struct lr_shard back;
        lr_shard_init(&back, &f->cfg);
        memcpy(copy, f->enc.data, n);
        lr_err_clear(&err);
        assert_int_equal(lr_checkpoint_decode_shard(f->g, copy, n, &back, names, 7, &err),
                         LR_ERR_INPUT);
        lr_shard_release(&back);
    }
    for (size_t i = 0; i < f->enc.len; i++) {
        struct lr_shard back;
        lr_shard_init(&back, &f->cfg);
        memcpy(copy, f->enc.data, f->enc.len);
        copy[i] ^= (unsigned char)(0x81 + i % 127);
        lr_err_clear(&err);
        (void)lr_checkpoint_decode_shard(f->g, copy, f->enc.len, &back, names, 7, &err);
        lr_shard_release(&back);
    }
    free(copy);
}

/* The file: header with outputs, trailing checksum; any changed byte is refused. */
static void
test_file(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    struct lr_checkpoint_info info, back;
    char *outputs[] = { "tax_extract.csv", "xlsx/26001.xlsx" };
    char sha[2][65];
    struct lr_shard sh;

    memset(&info, 0, sizeof(info));
    memset(sha, 'b', sizeof(sha));
    sha[0][64] = sha[1][64] = '\0';
    info.stage = 5;
    strcpy(info.stage_name, "extract");
    memset(info.config_sha256, 7, 32);
    info.outputs = outputs;
    info.output_sha = sha;
    info.n_outputs = 2;
    assert_int_equal(lr_checkpoint_encode(f->g, &info, &f->sh, &f->enc, &err), LR_OK);
    memset(&back, 0, sizeof(back));
    lr_shard_init(&sh, &f->cfg);
    assert_int_equal(lr_checkpoint_decode(f->g, (const unsigned char *)f->enc.data, f->enc.len,
                                          &back, &sh, names, 7, &err),
                     LR_OK);
    assert_int_equal(back.stage, 5);
    assert_string_equal(back.stage_name, "extract");
    assert_memory_equal(back.config_sha256, info.config_sha256, 32);
    assert_int_equal(back.n_outputs, 2);
    assert_string_equal(back.outputs[1], "xlsx/26001.xlsx");
    assert_string_equal(back.output_sha[1], sha[1]);
    same_shard(f->g, &f->sh, &sh);
    lr_shard_release(&sh);
    lr_checkpoint_info_release(&back);
    for (size_t i = 0; i < f->enc.len; i += 7) {
        f->enc.data[i] ^= 0x20;
        memset(&back, 0, sizeof(back));
        lr_shard_init(&sh, &f->cfg);
        lr_err_clear(&err);
        assert_int_equal(lr_checkpoint_decode(f->g, (const unsigned char *)f->enc.data, f->enc.len,
                                              &back, &sh, names, 7, &err),
                         LR_ERR_INPUT);
        lr_shard_release(&sh);
        lr_checkpoint_info_release(&back);
        f->enc.data[i] ^= 0x20;
    }
}

/* A run checkpoint file (lr_checkpoint_write) into dir/name; its bytes into *data. */
static void
write_run_ckpt(struct fixture *f, const char *dir, const char *name, struct lr_ckpt_chain *refs,
               unsigned char sha[32], unsigned char **data, size_t *n)
{
    struct lr_checkpoint_info info;
    struct lr_err err = { LR_OK, "" };
    char path[512];
    struct lr_out o;
    FILE *fp;
    long len;

    memset(&info, 0, sizeof(info));
    info.stage = 2;
    strcpy(info.stage_name, "validate");
    memset(info.config_sha256, 7, 32);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(lr_out_open(&o, path, &err), LR_OK);
    assert_int_equal(
        lr_checkpoint_write(f->g, &info, &f->sh, LR_CK_ALL, refs, NULL, NULL, &o, sha, &err),
        LR_OK);
    assert_int_equal(lr_out_commit_unsynced(&o, &err), LR_OK);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    len = ftell(fp);
    rewind(fp);
    *data = malloc((size_t)len);
    assert_non_null(*data);
    assert_int_equal(fread(*data, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    assert_memory_equal(*data + *n - 32, sha, 32); /* the trailing sha256 is the one returned */
}

/* A run checkpoint in sections: one holding every section, a second referring to it for most;
 * the shard rebuilt from both is the saved one; a section's bytes are what
 * lr_checkpoint_encode_section gives (the verify mode relies on it); any changed byte is
 * refused. */
static void
test_sections(void **state)
{
    struct fixture *f = *state;
    struct lr_err err = { LR_OK, "" };
    struct lr_ckpt_place pa[LR_CK_NSECTIONS], pb[LR_CK_NSECTIONS];
    struct lr_checkpoint_info ia, ib;
    struct lr_ckpt_chain refs;
    unsigned char sha_a[32], sha_b[32], *a, *b;
    char dir[] = "/tmp/test_checkpoint.XXXXXX", path[512];
    size_t na, nb;
    struct lr_shard back;
    struct lr_buf one, again;

    assert_non_null(mkdtemp(dir));
    write_run_ckpt(f, dir, "00-load.ckpt", NULL, sha_a, &a, &na);
    memset(&ia, 0, sizeof(ia));
    assert_int_equal(lr_checkpoint_open(a, na, &ia, pa, &err), LR_OK);
    lr_buf_init(&one);
    for (int s = 0; s < LR_CK_NSECTIONS; s++) {
        assert_true(pa[s].here);
        lr_buf_reset(&one);
        assert_int_equal(lr_checkpoint_encode_section(f->g, &f->sh, s, &one, &err), LR_OK);
        assert_int_equal(one.len, pa[s].len);
        assert_memory_equal(a + pa[s].off, one.data, one.len);
    }
    lr_buf_release(&one);

    /* the second refers to the first for all but the core, the values and the lineage */
    memset(&refs, 0, sizeof(refs));
    for (int s = 1; s < LR_CK_NSECTIONS; s++) {
        if (s == LR_CK_PVALUE || s == LR_CK_LINEAGE)
            continue;
        strcpy(refs.file[s], "00-load.ckpt");
        memcpy(refs.sha[s], sha_a, 32);
    }
    write_run_ckpt(f, dir, "03-match.ckpt", &refs, sha_b, &b, &nb);
    assert_true(nb < na);
    memset(&ib, 0, sizeof(ib));
    assert_int_equal(lr_checkpoint_open(b, nb, &ib, pb, &err), LR_OK);
    assert_string_equal(ib.stage_name, "validate");
    lr_shard_init(&back, &f->cfg);
    for (int s = 0; s < LR_CK_NSECTIONS; s++) {
        bool here = s == LR_CK_CORE || s == LR_CK_PVALUE || s == LR_CK_LINEAGE;
        assert_int_equal(pb[s].here, here);
        if (!here) {
            assert_string_equal(pb[s].file, "00-load.ckpt");
            assert_memory_equal(pb[s].sha, sha_a, 32);
        }
        assert_int_equal(lr_checkpoint_decode_section(f->g, here ? b : a, here ? &pb[s] : &pa[s], s,
                                                      &back, names, 7, &err),
                         LR_OK);
    }
    same_shard(f->g, &f->sh, &back);
    lr_buf_init(&again);
    assert_int_equal(lr_checkpoint_encode_shard(f->g, &back, &again, &err), LR_OK);
    lr_buf_reset(&f->enc);
    assert_int_equal(lr_checkpoint_encode_shard(f->g, &f->sh, &f->enc, &err), LR_OK);
    assert_int_equal(again.len, f->enc.len);
    assert_memory_equal(again.data, f->enc.data, again.len);
    lr_buf_release(&again);
    lr_shard_release(&back);

    /* a referenced section decoded from the wrong file's place is not taken */
    assert_int_equal(
        lr_checkpoint_decode_section(f->g, b, &pb[LR_CK_GEOM], LR_CK_GEOM, &back, names, 7, &err),
        LR_ERR_INTERNAL);
    /* every changed byte fails the checksum */
    for (size_t i = 0; i < nb; i++) {
        struct lr_checkpoint_info x;
        memset(&x, 0, sizeof(x));
        b[i] ^= 0x10;
        lr_err_clear(&err);
        assert_int_equal(lr_checkpoint_open(b, nb, &x, pb, &err), LR_ERR_INPUT);
        lr_checkpoint_info_release(&x);
        b[i] ^= 0x10;
    }
    lr_checkpoint_info_release(&ib);
    /* the core always travels with its file: the writer takes no reference for it */
    memset(&refs, 0, sizeof(refs));
    strcpy(refs.file[LR_CK_CORE], "00-load.ckpt");
    free(b);
    write_run_ckpt(f, dir, "04-value.ckpt", &refs, sha_b, &b, &nb);
    assert_int_equal(lr_checkpoint_open(b, nb, &ib, pb, &err), LR_OK);
    assert_true(pb[LR_CK_CORE].here);
    lr_checkpoint_info_release(&ib);
    lr_checkpoint_info_release(&ia);
    free(a);
    free(b);
    for (const char *const *n =
             (const char *const[]){ "00-load.ckpt", "03-match.ckpt", "04-value.ckpt", NULL };
         *n; n++) {
        snprintf(path, sizeof(path), "%s/%s", dir, *n);
        remove(path);
    }
    remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_struct_sizes),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sections, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
