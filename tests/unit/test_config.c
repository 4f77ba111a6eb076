/* test_config.c - lr_config_load against good and bad configs, lr_config_parse_nano. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* cmocka needs the headers above first */
#include "config.h"

#include <cmocka.h>
#include <openssl/evp.h>

struct fixture {
    char dir[64];
    char path[128];
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/lr_test_config_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/cfg.yaml", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void
write_cfg(const struct fixture *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* "<fixture dir>/name", for comparing resolved paths. */
static const char *
in_dir(const struct fixture *f, const char *name)
{
    static char buf[256];

    snprintf(buf, sizeof(buf), "%s/%s", f->dir, name);
    return buf;
}

/* A minimal valid config: lines 1-2 communes, lines 3-11 sources; additions start at line 12. */
#define BASE_COMMUNES "communes:\n  crosswalk: crosswalk.csv\n"
#define BASE_MAPS                                                                                  \
    "  maps:\n"                                                                                    \
    "    - path: maps/*.shp\n"                                                                     \
    "      fields: {commune: MAXA, sheet: SHBANDO, parcel: SOTHUA}\n"
#define BASE_REGISTER                                                                              \
    "  register:\n"                                                                                \
    "    - path: register.csv\n"                                                                   \
    "      fields: {commune: ma_xa, sheet: so_to, parcel: so_thua}\n"
#define BASE_ZONES   "  price_zones:\n    path: zones.gpkg\n"
#define BASE_SOURCES "sources:\n" BASE_MAPS BASE_REGISTER BASE_ZONES
#define BASE         BASE_COMMUNES BASE_SOURCES

struct bad_case {
    const char *name;
    const char *yaml;
    const char *want[3]; /* substrings of the message */
};

static const struct bad_case bad_cases[] = {
    { "unknown top-level key",
      BASE "wharehouse:\n  url: x\n",
      { "cfg.yaml:12: ", "unknown key 'wharehouse' (did you mean 'warehouse'?)" } },
    { "unknown nested key with suggestion",
      BASE "validate:\n  sliver_thines: 0.05\n",
      { "cfg.yaml:13: unknown key 'sliver_thines' in 'validate' (did you mean "
        "'sliver_thinness'?)" } },
    { "unknown key without a near one",
      BASE "gates:\n  foo_bar_baz_qux: 1\n",
      { "cfg.yaml:13: ", "unknown key 'foo_bar_baz_qux' in 'gates'",
        "known keys are max_unmatched_ratio, max_unrepairable_ratio" } },
    { "unknown field name",
      BASE_COMMUNES "sources:\n  maps:\n    - path: m.shp\n"
                    "      fields: {commune: A, sheet: B, parsel: C}\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:6: ", "unknown key 'parsel' in 'sources.maps[0].fields'", "'parcel'" } },
    { "mapping where a value is expected",
      BASE "target_crs: {epsg: 5899}\n",
      { "cfg.yaml:12: ", "'target_crs' must be a single value, not a mapping" } },
    { "value where a section is expected",
      BASE "validate: 5\n",
      { "cfg.yaml:12: ", "'validate' must be a mapping" } },
    { "list where a path is expected",
      "communes:\n  crosswalk: [a.csv, b.csv]\n" BASE_SOURCES,
      { "cfg.yaml:2: ", "'communes.crosswalk' must be a single value, not a list" } },
    { "bad enum",
      BASE "validate:\n  repair: fix\n",
      { "cfg.yaml:13: ", "'validate.repair' must be one of structure, linework, not 'fix'" } },
    { "bad encoding",
      BASE_COMMUNES "sources:\n  maps:\n    - path: m.shp\n      encoding: latin1\n"
                    "      fields: {commune: A, sheet: B, parcel: C}\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:6: ", "'sources.maps[0].encoding' must be one of UTF-8, TCVN3, VNI, CP1258",
        "not 'latin1'" } },
    { "missing crosswalk",
      "communes:\n  boundaries: b.gpkg\n" BASE_SOURCES,
      { "cfg.yaml:1: ", "missing required key 'communes.crosswalk'" } },
    { "missing communes section",
      BASE_SOURCES,
      { "cfg.yaml:1: ", "missing required key 'communes.crosswalk'" } },
    { "missing maps",
      BASE_COMMUNES "sources:\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:3: ", "missing required key 'sources.maps'" } },
    { "empty maps list",
      BASE_COMMUNES "sources:\n  maps: []\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:4: ", "'sources.maps' is empty" } },
    { "maps is a mapping",
      BASE_COMMUNES "sources:\n  maps: {path: m.shp}\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:4: ", "'sources.maps' must be a list of sources" } },
    { "second map without path",
      BASE_COMMUNES "sources:\n" BASE_MAPS "    - layer: parcels\n"
                    "      fields: {commune: A, sheet: B, parcel: C}\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:7: ", "missing required key 'sources.maps[1].path'" } },
    { "map without key field",
      BASE_COMMUNES "sources:\n  maps:\n    - path: m.shp\n"
                    "      fields: {commune: A, sheet: B}\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:6: ", "missing required key 'sources.maps[0].fields.parcel'" } },
    { "missing register",
      BASE_COMMUNES "sources:\n" BASE_MAPS BASE_ZONES,
      { "cfg.yaml:3: ", "missing required key 'sources.register'" } },
    { "register without path or query",
      BASE_COMMUNES "sources:\n" BASE_MAPS "  register:\n"
                    "    - layer: so_dia_chinh\n"
                    "      fields: {commune: a, sheet: b, parcel: c}\n" BASE_ZONES,
      { "cfg.yaml:8: ", "missing required key 'sources.register[0].path'",
        "'query' and a 'url'" } },
    { "register query without url",
      BASE_COMMUNES "sources:\n" BASE_MAPS "  register:\n"
                    "    - query: SELECT * FROM so_dia_chinh\n"
                    "      fields: {commune: a, sheet: b, parcel: c}\n" BASE_ZONES,
      { "cfg.yaml:8: ", "missing required key 'sources.register[0].url'" } },
    { "register path and query",
      BASE_COMMUNES "sources:\n" BASE_MAPS "  register:\n"
                    "    - path: r.csv\n"
                    "      query: SELECT 1\n"
                    "      url: postgresql:///x\n"
                    "      fields: {commune: a, sheet: b, parcel: c}\n" BASE_ZONES,
      { "cfg.yaml:8: ", "'sources.register[0]' has both 'path' and 'query'" } },
    { "missing price zones",
      BASE_COMMUNES "sources:\n" BASE_MAPS BASE_REGISTER,
      { "cfg.yaml:3: ", "missing required key 'sources.price_zones.path'" } },
    { "bad number",
      BASE "run:\n  jobs: abc\n",
      { "cfg.yaml:13: ", "'run.jobs' must be a whole number, not 'abc'" } },
    { "negative jobs",
      BASE "run:\n  jobs: -2\n",
      { "cfg.yaml:13: ", "'run.jobs' must be at least 0, not '-2'" } },
    { "fractional scale",
      BASE "match:\n  default_scale: 2000.5\n",
      { "cfg.yaml:13: ", "'match.default_scale' must be a whole number" } },
    { "syntax error",
      BASE "run:\n  name: [a, b\n",
      { "cfg.yaml:14: invalid yaml", "flow sequence without a closing bracket" } },
    { "duplicate key",
      BASE "run:\n  name: a\n  name: b\n",
      { "cfg.yaml:14: ", "duplicate key 'name'" } },
    { "tax.residential with 2 rates",
      BASE "valuation:\n  tax:\n    residential: [0.0003, 0.0007]\n",
      { "cfg.yaml:14: ", "'valuation.tax.residential' has 2 rates: give exactly 3" } },
    { "tax.residential not a list",
      BASE "valuation:\n  tax:\n    residential: 0.0003\n",
      { "cfg.yaml:14: ", "'valuation.tax.residential' must be a list of 3 rates" } },
    { "rate with 10 decimals",
      BASE "valuation:\n  tax:\n    agricultural: 0.0000000001\n",
      { "cfg.yaml:14: ", "'valuation.tax.agricultural' must be a decimal number" } },
    { "rate in exponent form",
      BASE "valuation:\n  tax:\n    residential: [3e-4, 0.0007, 0.0015]\n",
      { "cfg.yaml:14: ", "'valuation.tax.residential[0]' must be a decimal number", "'3e-4'" } },
    { "confidence above 1",
      BASE "match:\n  min_confidence: 1.5\n",
      { "cfg.yaml:13: ", "'match.min_confidence' must be at most 1, not '1.5'" } },
    { "bad area tolerance",
      BASE "match:\n  area_tolerance: loose\n",
      { "cfg.yaml:13: ", "'match.area_tolerance' must be 'regulation' or a fraction" } },
    { "bad commune code in limits",
      BASE "valuation:\n  residential_limit_m2: {abc: 200}\n",
      { "cfg.yaml:13: ", "keys of 'valuation.residential_limit_m2' must be new commune codes" } },
    { "limit with hundredths",
      BASE "valuation:\n  residential_limit_m2:\n    26041: 200.55\n",
      { "cfg.yaml:14: ", "'valuation.residential_limit_m2.26041' must have at most one decimal" } },
    { "bad bool",
      BASE_COMMUNES "sources:\n  maps:\n    - path: m.shp\n      force: yes\n"
                    "      fields: {commune: A, sheet: B, parcel: C}\n" BASE_REGISTER BASE_ZONES,
      { "cfg.yaml:6: ", "'sources.maps[0].force' must be true or false, not 'yes'" } },
    { "empty path",
      "communes:\n  crosswalk: \"\"\n" BASE_SOURCES,
      { "cfg.yaml:2: ", "'communes.crosswalk' is empty" } },
    { "path without value",
      "communes:\n  crosswalk:\n" BASE_SOURCES,
      { "cfg.yaml:2: ", "'communes.crosswalk' has no value" } },
    { "gate ratio above 1",
      BASE "gates:\n  max_unmatched_ratio: 30\n",
      { "cfg.yaml:13: ", "'gates.max_unmatched_ratio' must be at most 1" } },
    { "bad indentation",
      BASE "run:\n  name: a\n   jobs: 2\n",
      { "cfg.yaml:13: invalid yaml at column 9" } },
    { "tab indentation",
      BASE "run:\n\tname: a\n",
      { "cfg.yaml:13: invalid yaml", "tab character" } },
    { "second document",
      BASE "---\nrun:\n  name: a\n",
      { "cfg.yaml:13: a second yaml document starts here" } },
    { "config is a list",
      "- communes\n- sources\n",
      { "cfg.yaml:1: ", "'config' must be a mapping of keys, not a list" } },
    { "empty config", "# nothing here\n", { "config '", "cfg.yaml' is empty" } },
};

static void
test_bad_configs(void **state)
{
    struct fixture *f = *state;

    for (size_t i = 0; i < LR_ARRAY_LEN(bad_cases); i++) {
        const struct bad_case *bc = &bad_cases[i];
        struct lr_config cfg;
        struct lr_err err;
        enum lr_rc rc;

        lr_err_clear(&err);
        write_cfg(f, bc->yaml);
        rc = lr_config_load(f->path, &cfg, &err);
        if (rc != LR_ERR_CONFIG)
            fail_msg("case '%s': rc %d, message '%s'", bc->name, rc, err.msg);
        for (size_t j = 0; j < LR_ARRAY_LEN(bc->want) && bc->want[j]; j++)
            if (!strstr(err.msg, bc->want[j]))
                fail_msg("case '%s': message '%s' lacks '%s'", bc->name, err.msg, bc->want[j]);
        assert_int_equal(err.rc, LR_ERR_CONFIG);
        assert_null(cfg.maps);   /* load leaves nothing behind on error */
        lr_config_release(&cfg); /* and releasing again is safe */
    }
}

static void
test_missing_file(void **state)
{
    struct fixture *f = *state;
    struct lr_config cfg;
    struct lr_err err;
    char want[256];

    lr_err_clear(&err);
    snprintf(want, sizeof(want), "cannot read config '%s': No such file or directory", f->path);
    assert_int_equal(lr_config_load(f->path, &cfg, &err), LR_ERR_CONFIG);
    assert_string_equal(err.msg, want);
    lr_config_release(&cfg);
}

static const char full_yaml[] =
    "run:\n"
    "  name: dongnai-binhphuoc\n"
    "  output: /var/landrec/out\n"
    "  jobs: 8\n"
    "target_crs: EPSG:5899\n"
    "communes:\n"
    "  crosswalk: crosswalk.csv\n"
    "  boundaries: gis/communes.gpkg\n"
    "sources:\n"
    "  maps:\n"
    "    - path: maps/*.shp\n"
    "      crs: EPSG:9212\n"
    "      encoding: TCVN3\n"
    "      scale: 2000\n"
    "      fields: &mapfields {commune: MAXA, sheet: SHBANDO, parcel: SOTHUA, land_use: LOAIDAT,\n"
    "               area: DIENTICH, scale: TYLEBD, owner_name: TENCHU, place: XUDONG}\n"
    "    - path: /data/extra.gpkg\n"
    "      layer: thua_dat\n"
    "      crs: EPSG:3405\n"
    "      force: true\n"
    "      encoding: utf8\n"
    "      fields: *mapfields\n"
    "  register:\n"
    "    - path: register.csv\n"
    "      encoding: Utf-8\n"
    "      fields: {commune: ma_xa, sheet: so_to, parcel: so_thua, land_use: loai_dat,\n"
    "               area: dien_tich, owner_name: chu_su_dung, owner_id: so_dinh_danh,\n"
    "               certificate: so_gcn, address: dia_chi}\n"
    "    - query: SELECT * FROM so_dia_chinh\n"
    "      url: postgresql:///dkdd\n"
    "      encoding: vni\n"
    "      fields: {commune: ma_xa, sheet: so_to, parcel: so_thua}\n"
    "  price_zones:\n"
    "    path: price_zones.gpkg\n"
    "    layer: zones\n"
    "    fields: {zone: zone_id, land_use: loai, position: vi_tri, price: gia}\n"
    "validate:\n"
    "  repair: linework\n"
    "  sliver_thinness: 0.04\n"
    "  min_overlap_m2: 0.25\n"
    "  min_gap_m2: 1\n"
    "  spike_angle_deg: 2.5\n"
    "  max_repair_loss: 0.02\n"
    "match:\n"
    "  area_tolerance: 0.05\n"
    "  default_scale: 1000\n"
    "  corrections: corrections.csv\n"
    "  land_use_map: /etc/landrec/land_use.csv\n"
    "  min_confidence: 0.75\n"
    "valuation:\n"
    "  method: piecewise\n"
    "  residential_limit_m2:\n"
    "    default: 250\n"
    "    26041: 300.5\n"
    "    25999: 150\n"
    "  tax:\n"
    "    residential: [0.0003, 0.0007, 0.0015]\n"
    "    non_agricultural_other: \"0.0003\"\n"
    "    agricultural: 0\n"
    "gates:\n"
    "  max_unmatched_ratio: 0.25\n"
    "  max_unrepairable_ratio: 0.005\n"
    "warehouse:\n"
    "  url: postgresql:///landrec\n"
    "  schema: lr\n";

static void
check_sha256(const char *text, const unsigned char *got)
{
    unsigned char want[32];
    unsigned int len = 0;

    assert_int_equal(EVP_Digest(text, strlen(text), want, &len, EVP_sha256(), NULL), 1);
    assert_memory_equal(got, want, 32);
}

static void
check_full_sources(const struct fixture *f, const struct lr_config *cfg)
{
    assert_int_equal(cfg->n_maps, 2);
    assert_string_equal(cfg->maps[0].path, in_dir(f, "maps/*.shp"));
    assert_string_equal(cfg->maps[0].crs, "EPSG:9212");
    assert_false(cfg->maps[0].force);
    assert_int_equal(cfg->maps[0].encoding, LR_ENC_TCVN3);
    assert_int_equal(cfg->maps[0].scale, 2000);
    assert_int_equal(cfg->maps[0].line, 11);
    assert_string_equal(cfg->maps[0].fields.place, "XUDONG");
    assert_string_equal(cfg->maps[1].path, "/data/extra.gpkg");
    assert_string_equal(cfg->maps[1].layer, "thua_dat");
    assert_true(cfg->maps[1].force);
    assert_int_equal(cfg->maps[1].encoding, LR_ENC_UTF8);
    assert_string_equal(cfg->maps[1].fields.parcel, "SOTHUA"); /* through the alias */
    assert_null(cfg->maps[1].fields.owner_id);
    assert_int_equal(cfg->n_registers, 2);
    assert_string_equal(cfg->registers[0].path, in_dir(f, "register.csv"));
    assert_int_equal(cfg->registers[0].encoding, LR_ENC_UTF8);
    assert_string_equal(cfg->registers[0].fields.certificate, "so_gcn");
    assert_null(cfg->registers[1].path);
    assert_string_equal(cfg->registers[1].query, "SELECT * FROM so_dia_chinh");
    assert_string_equal(cfg->registers[1].url, "postgresql:///dkdd");
    assert_int_equal(cfg->registers[1].encoding, LR_ENC_VNI);
    assert_int_equal(cfg->registers[1].line, 29);
    assert_string_equal(cfg->price_zones.path, in_dir(f, "price_zones.gpkg"));
    assert_string_equal(cfg->price_zones.layer, "zones");
    assert_string_equal(cfg->zone_fields.position, "vi_tri");
    assert_string_equal(cfg->zone_fields.price, "gia");
}

static void
test_full_config(void **state)
{
    struct fixture *f = *state;
    struct lr_config cfg;
    struct lr_err err;

    lr_err_clear(&err);
    write_cfg(f, full_yaml);
    if (lr_config_load(f->path, &cfg, &err) != LR_OK)
        fail_msg("load: %s", err.msg);
    assert_string_equal(cfg.path, f->path);
    assert_string_equal(cfg.dir, f->dir);
    check_sha256(full_yaml, cfg.sha256);
    assert_string_equal(cfg.run_name, "dongnai-binhphuoc");
    assert_string_equal(cfg.output, "/var/landrec/out");
    assert_int_equal(cfg.jobs, 8);
    assert_string_equal(cfg.crosswalk, in_dir(f, "crosswalk.csv"));
    assert_string_equal(cfg.boundaries, in_dir(f, "gis/communes.gpkg"));
    check_full_sources(f, &cfg);
    assert_int_equal(cfg.repair, LR_REPAIR_LINEWORK);
    assert_true(cfg.sliver_thinness == 0.04 && cfg.min_overlap_m2 == 0.25);
    assert_true(cfg.min_gap_m2 == 1.0 && cfg.spike_angle_deg == 2.5 && cfg.max_repair_loss == 0.02);
    assert_false(cfg.tolerance_regulation);
    assert_int_equal(cfg.tolerance_fraction_nano, 50000000);
    assert_int_equal(cfg.default_scale, 1000);
    assert_string_equal(cfg.corrections, in_dir(f, "corrections.csv"));
    assert_string_equal(cfg.land_use_map, "/etc/landrec/land_use.csv");
    assert_int_equal(cfg.min_confidence_nano, 750000000);
    assert_int_equal(cfg.value_method, LR_VALUE_PIECEWISE);
    assert_int_equal(cfg.residential_limit_dm2, 2500);
    assert_int_equal(cfg.n_commune_limits, 2); /* sorted by code */
    assert_int_equal(cfg.commune_limits[0].new_commune, 25999);
    assert_int_equal(cfg.commune_limits[0].limit_dm2, 1500);
    assert_int_equal(cfg.commune_limits[1].new_commune, 26041);
    assert_int_equal(cfg.commune_limits[1].limit_dm2, 3005);
    assert_int_equal(cfg.tax_residential_nano[0], 300000);
    assert_int_equal(cfg.tax_residential_nano[1], 700000);
    assert_int_equal(cfg.tax_residential_nano[2], 1500000);
    assert_int_equal(cfg.tax_non_agri_nano, 300000);
    assert_int_equal(cfg.tax_agri_nano, 0);
    assert_true(cfg.max_unmatched_ratio == 0.25 && cfg.max_unrepairable_ratio == 0.005);
    assert_string_equal(cfg.warehouse_url, "postgresql:///landrec");
    assert_string_equal(cfg.warehouse_schema, "lr");
    lr_config_release(&cfg);
    assert_null(cfg.maps);
    lr_config_release(&cfg);
}

static void
test_defaults(void **state)
{
    struct fixture *f = *state;
    struct lr_config cfg;
    struct lr_err err;

    lr_err_clear(&err);
    write_cfg(f, BASE);
    if (lr_config_load(f->path, &cfg, &err) != LR_OK)
        fail_msg("load: %s", err.msg);
    check_sha256(BASE, cfg.sha256);
    assert_string_equal(cfg.run_name, "landrec");
    assert_string_equal(cfg.output, in_dir(f, "out"));
    assert_int_equal(cfg.jobs, 0);
    assert_string_equal(cfg.target_crs, "EPSG:5899");
    assert_null(cfg.boundaries);
    assert_int_equal(cfg.maps[0].encoding, LR_ENC_UTF8);
    assert_int_equal(cfg.maps[0].scale, 0);
    assert_null(cfg.maps[0].crs);
    assert_null(cfg.maps[0].layer);
    assert_string_equal(cfg.zone_fields.zone, "zone_id");
    assert_string_equal(cfg.zone_fields.land_use, "land_use");
    assert_string_equal(cfg.zone_fields.position, "position");
    assert_string_equal(cfg.zone_fields.price, "price_vnd_m2");
    assert_int_equal(cfg.repair, LR_REPAIR_STRUCTURE);
    assert_true(cfg.sliver_thinness == 0.05 && cfg.min_overlap_m2 == 0.5 && cfg.min_gap_m2 == 0.5);
    assert_true(cfg.spike_angle_deg == 1.0 && cfg.max_repair_loss == 0.01);
    assert_true(cfg.tolerance_regulation);
    assert_int_equal(cfg.default_scale, 2000);
    assert_null(cfg.corrections);
    assert_null(cfg.land_use_map);
    assert_int_equal(cfg.min_confidence_nano, 800000000);
    assert_int_equal(cfg.value_method, LR_VALUE_INTERIOR_POINT);
    assert_int_equal(cfg.residential_limit_dm2, 2000);
    assert_int_equal(cfg.n_commune_limits, 0);
    assert_int_equal(cfg.tax_residential_nano[0], 300000);
    assert_int_equal(cfg.tax_residential_nano[1], 700000);
    assert_int_equal(cfg.tax_residential_nano[2], 1500000);
    assert_int_equal(cfg.tax_non_agri_nano, 300000);
    assert_int_equal(cfg.tax_agri_nano, 0);
    assert_true(cfg.max_unmatched_ratio == 0.30 && cfg.max_unrepairable_ratio == 0.01);
    assert_null(cfg.warehouse_url);
    assert_string_equal(cfg.warehouse_schema, "landrec");
    lr_config_release(&cfg);
}

/* Small good configs, each checking one value. */
static void
test_good_variants(void **state)
{
    struct fixture *f = *state;
    struct lr_config cfg;
    struct lr_err err;

    lr_err_clear(&err);
    write_cfg(f, BASE "valuation:\n  residential_limit_m2: 180.5\n  tax:\n    agricultural: "
                      "0.0003\nmatch:\n  area_tolerance: Regulation\n");
    if (lr_config_load(f->path, &cfg, &err) != LR_OK)
        fail_msg("load: %s", err.msg);
    assert_int_equal(cfg.residential_limit_dm2, 1805);
    assert_int_equal(cfg.tax_agri_nano, 300000);
    assert_true(cfg.tolerance_regulation);
    lr_config_release(&cfg);

    /* a config named relative to the current directory keeps relative paths */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(f->dir), 0);
    write_cfg(f, BASE "validate:\n  min_gap_m2: 0\n");
    if (lr_config_load("cfg.yaml", &cfg, &err) != LR_OK)
        fail_msg("load: %s", err.msg);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(cfg.dir, ".");
    assert_string_equal(cfg.crosswalk, "crosswalk.csv");
    assert_string_equal(cfg.output, "out");
    assert_true(cfg.min_gap_m2 == 0.0);
    lr_config_release(&cfg);
}

static void
test_release_zeroed(void **state)
{
    struct lr_config cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    lr_config_release(&cfg);
    lr_config_release(NULL);
}

struct nano_case {
    const char *text;
    enum lr_rc rc;
    int64_t want;
};

static const struct nano_case nano_cases[] = {
    { "0.0003", LR_OK, 300000 },
    { "0", LR_OK, 0 },
    { "1", LR_OK, 1000000000 },
    { "0.05", LR_OK, 50000000 },
    { "-0.5", LR_OK, -500000000 },
    { "+2.25", LR_OK, 2250000000 },
    { "0.123456789", LR_OK, 123456789 },
    { "0.000000001", LR_OK, 1 },
    { ".5", LR_OK, 500000000 },
    { "5.", LR_OK, 5000000000 },
    { "0015", LR_OK, 15000000000 },
    { "9223372036.854775807", LR_OK, INT64_MAX },
    { "-9223372036.854775808", LR_OK, INT64_MIN },
    { "9223372036.854775808", LR_ERR_CONFIG, 0 },
    { "99999999999999999999", LR_ERR_CONFIG, 0 },
    { "0.0000000001", LR_ERR_CONFIG, 0 },
    { "", LR_ERR_CONFIG, 0 },
    { "abc", LR_ERR_CONFIG, 0 },
    { "-", LR_ERR_CONFIG, 0 },
    { ".", LR_ERR_CONFIG, 0 },
    { "1e3", LR_ERR_CONFIG, 0 },
    { "1.2.3", LR_ERR_CONFIG, 0 },
    { " 1", LR_ERR_CONFIG, 0 },
    { "1 ", LR_ERR_CONFIG, 0 },
    { "5%", LR_ERR_CONFIG, 0 },
    { "1,5", LR_ERR_CONFIG, 0 },
    { "0x10", LR_ERR_CONFIG, 0 },
    { "--1", LR_ERR_CONFIG, 0 },
};

static void
test_parse_nano(void **state)
{
    (void)state;
    for (size_t i = 0; i < LR_ARRAY_LEN(nano_cases); i++) {
        const struct nano_case *nc = &nano_cases[i];
        struct lr_err err;
        int64_t got = -42;
        enum lr_rc rc;

        lr_err_clear(&err);
        rc = lr_config_parse_nano(nc->text, &got, &err);
        if (rc != nc->rc)
            fail_msg("'%s': rc %d, want %d (%s)", nc->text, rc, nc->rc, err.msg);
        if (rc == LR_OK && got != nc->want)
            fail_msg("'%s': got %lld, want %lld", nc->text, (long long)got, (long long)nc->want);
        if (rc != LR_OK && (got != -42 || !err.msg[0]))
            fail_msg("'%s': output touched or no message", nc->text);
    }
}

static void
test_encoding_name(void **state)
{
    (void)state;
    assert_string_equal(lr_encoding_name(LR_ENC_UTF8), "UTF-8");
    assert_string_equal(lr_encoding_name(LR_ENC_TCVN3), "TCVN3");
    assert_string_equal(lr_encoding_name(LR_ENC_VNI), "VNI");
    assert_string_equal(lr_encoding_name(LR_ENC_CP1258), "CP1258");
    assert_string_equal(lr_encoding_name(LR_ENC_VISCII), "VISCII");
    assert_string_equal(lr_encoding_name(LR_ENC_AUTO), "auto");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_configs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_variants, setup, teardown),
        cmocka_unit_test(test_release_zeroed),
        cmocka_unit_test(test_parse_nano),
        cmocka_unit_test(test_encoding_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
