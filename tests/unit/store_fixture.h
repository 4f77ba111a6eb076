/* store_fixture.h - a small hand-made shard for the parcels.gpkg and `landrec show` tests:
 * five map parcels (matched, map-only, two split children, one rejected without geometry), four
 * register records (matched, split parent, register-only, rejected), issues, findings, lineage.
 * Included by test_store*.c only; every function is static inline so unused ones cost nothing. */
#ifndef LR_TEST_STORE_FIXTURE_H
#define LR_TEST_STORE_FIXTURE_H

#include "geom.h"
#include "model.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const owners[] = { "Nguyễn Văn Ánh", "Trần Thị Bích", "Lê Hoàng Cường" };
static const char *const owner_ids[] = { "079123456789", "079987654321", "075111222333" };

struct fixture {
    struct lr_config cfg;
    struct lr_shard sh;
    struct lr_geom_ctx *g;
    char dir[64];
    char path[128];
};

/* WKB (little endian) of the rectangle x0,y0 - x1,y1 as a Polygon. */
static inline void *
rect(struct lr_geom_ctx *g, double x0, double y0, double x1, double y1)
{
    unsigned char wkb[1 + 4 + 4 + 4 + 5 * 16], *p = wkb;
    const double xy[10] = { x0, y0, x1, y0, x1, y1, x0, y1, x0, y0 };
    const uint32_t head[3] = { 3, 1, 5 };

    *p++ = 1;
    for (int i = 0; i < 3; i++, p += 4)
        memcpy(p, &head[i], 4);
    for (int i = 0; i < 10; i++, p += 8)
        memcpy(p, &xy[i], 8);
    return lr_geom_from_wkb(g, wkb, sizeof(wkb));
}

static inline void
add_input(struct lr_shard *sh, const char *path, const char *kind, const char *layer)
{
    struct lr_input *in = lr_shard_add_input(sh);

    assert_non_null(in);
    in->path = strdup(path);
    in->kind = strdup(kind);
    in->layer = layer ? strdup(layer) : NULL;
}

static inline struct lr_parcel *
add_parcel(struct fixture *f, const char *key, double x, int64_t area_dm2)
{
    struct lr_parcel *p = lr_shard_add_parcel(&f->sh);

    assert_non_null(p);
    assert_true(lr_key_parse_str(key, &p->key));
    p->input = 0;
    p->fid = (int64_t)f->sh.n_parcels + 100;
    p->land_use = strdup("ONT");
    p->place = strdup("Xứ Đồng Bàu");
    p->geom = rect(f->g, x, 1000000, x + 20, 1000025);
    p->ix = x + 10;
    p->iy = 1000012.5;
    p->area_dm2 = area_dm2;
    p->area_src_dm2 = area_dm2 - 2;
    p->new_commune = 25210;
    p->status = LR_ST_MAP_ONLY;
    return p;
}

static inline struct lr_record *
add_record(struct fixture *f, const char *key, int owner)
{
    struct lr_record *r = lr_shard_add_record(&f->sh);

    assert_non_null(r);
    if (key)
        assert_true(lr_key_parse_str(key, &r->key));
    else
        r->key.commune = -1;
    r->input = 1;
    r->row = (int64_t)f->sh.n_records;
    r->land_use = strdup("ONT");
    r->area_dm2 = 5004;
    r->owner_name = strdup(owners[owner]);
    r->owner_id = strdup(owner_ids[owner]);
    r->certificate = strdup("CS 01234");
    r->address = strdup("Ấp 3, xã Tân Lập");
    r->status = LR_ST_REGISTER_ONLY;
    return r;
}

static inline void
link_pair(struct fixture *f, size_t p, size_t r, enum lr_status st, int32_t conf)
{
    f->sh.parcels[p].record = (int64_t)r;
    f->sh.parcels[p].status = st;
    f->sh.parcels[p].confidence_pct = conf;
    f->sh.records[r].parcel = (int64_t)p;
    f->sh.records[r].status = st;
}

static inline uint64_t
fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h;
}

/* Parcels are added out of key order on purpose; the file must come out sorted. */
static inline void
build_shard(struct fixture *f)
{
    struct lr_parcel *p;
    char *hex;

    add_input(&f->sh, "maps/xa_a.shp", "map", "xa_a");
    add_input(&f->sh, "register.csv", "register", NULL);
    p = add_parcel(f, "25216-2-7", 500000, 5001); /* 0: matched, priced, owner agrees */
    p->has_owner = true;
    p->owner_hash = fnv(owners[0]);
    p->zone = strdup("Z01");
    p->position = 1;
    p->price_vnd = 1500000;
    p->value_vnd = 750150000;
    p->tax_vnd = 225045;
    p->area_from_register = true;
    add_parcel(f, "25216-1-3", 500100, 4000);      /* 1: map only, later */
    p = add_parcel(f, "25216-2-30", 500200, 3000); /* 2: split child of 25216-2-9 */
    p->has_owner = true;
    p->owner_hash = fnv("someone else");
    add_parcel(f, "25216-2-31", 500300, 2000); /* 3: split child */
    p = lr_shard_add_parcel(&f->sh);           /* 4: rejected, no geometry */
    assert_true(lr_key_parse_str("25216-3-1", &p->key));
    p->status = LR_ST_REJECTED;
    p->reject = LR_IS_TOO_FEW_POINTS;
    add_record(f, "25216-2-7", 0); /* 0 */
    add_record(f, "25216-2-9", 1); /* 1: split into 2 and 3 */
    add_record(f, "25216-5-5", 2); /* 2: register only */
    add_record(f, NULL, 2);        /* 3: rejected, bad key */
    f->sh.records[3].status = LR_ST_REJECTED;
    f->sh.records[3].reject = LR_IS_BAD_KEY;
    link_pair(f, 0, 0, LR_ST_MATCHED, 100);
    link_pair(f, 2, 1, LR_ST_SPLIT, 85);
    link_pair(f, 3, 1, LR_ST_SPLIT, 85);
    assert_int_equal(lr_shard_add_lineage(&f->sh, 1, 2, LR_REL_SPLIT, 85, "area sum 50.0 m2"),
                     LR_OK);
    assert_int_equal(lr_shard_add_lineage(&f->sh, 1, 3, LR_REL_SPLIT, 85, "area sum 50.0 m2"),
                     LR_OK);
    assert_int_equal(lr_shard_add_issue(&f->sh, 4, -1, LR_IS_TOO_FEW_POINTS, 0, 0, "no ring"),
                     LR_OK);
    assert_int_equal(lr_shard_add_issue(&f->sh, 1, -1, LR_IS_SPIKE, 500101, 1000001, "spike"),
                     LR_OK);
    assert_int_equal(lr_shard_add_issue(&f->sh, 0, -1, LR_IS_OVERLAP, 1, 1, "overlap 2.0 m2"),
                     LR_OK);
    hex = lr_geom_to_hex(f->g, f->sh.parcels[3].geom);
    assert_non_null(hex);
    f->sh.issues[f->sh.n_issues - 1].wkb_hex = hex;
    assert_int_equal(lr_shard_add_finding(&f->sh, 1, -1, LR_ST_MAP_ONLY, "no record"), LR_OK);
    assert_int_equal(lr_shard_add_finding(&f->sh, -1, 2, LR_ST_REGISTER_ONLY, "no parcel"), LR_OK);
}

static inline int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    lr_init_libraries();
    f->cfg.target_crs = (char *)"EPSG:5899";
    f->cfg.min_confidence_nano = 800000000;
    lr_shard_init(&f->sh, &f->cfg);
    f->g = lr_geom_ctx_new();
    strcpy(f->dir, "/tmp/test_store_XXXXXX");
    if (!f->g || !mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/parcels.gpkg", f->dir);
    build_shard(f);
    *state = f;
    return 0;
}

static inline int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];

    lr_shard_release(&f->sh);
    lr_geom_ctx_free(f->g);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

#endif
