/* config.h - the batch configuration (SPEC.md "Config (YAML)"), parsed strictly with libfyaml.
 *
 * Every path in the struct is already resolved against the config file's folder (absolute or
 * relative to the current directory), except globs, which are resolved but not expanded.
 * Money-related numbers (tax rates, fractions) are kept as fixed-point integers parsed from the
 * YAML scalar's text, never through binary floating point. */
#ifndef LR_CONFIG_H
#define LR_CONFIG_H

#include "core.h"

#define LR_NANO 1000000000LL /* fixed-point scale of rates and fractions: 0.0003 -> 300000 */

enum lr_encoding {
    LR_ENC_UTF8 = 0,
    LR_ENC_TCVN3,
    LR_ENC_VNI,
    LR_ENC_CP1258,
    LR_ENC_VISCII,
    LR_ENC_AUTO,
};

/* Field mapping of a source: the source's column name for each logical field, or NULL. */
struct lr_fieldmap {
    char *commune, *sheet, *parcel, *land_use, *area, *scale, *owner_name, *owner_id, *certificate,
        *address, *place;
};

struct lr_source {
    char *path;  /* resolved path or glob; NULL for a query source */
    char *layer; /* layer name; NULL = every layer (maps) / first layer (register) */
    char *crs;   /* user-given CRS ("EPSG:9212", WKT or PROJ string); NULL if not given */
    bool force;  /* crs overrides the file's own CRS */
    enum lr_encoding encoding; /* text fields; default UTF-8 */
    int32_t scale;             /* map scale denominator; 0 = not given */
    char *query;               /* register only: SQL query (with url) */
    char *url;                 /* register only: PostgreSQL connection URL for query */
    char *sql;          /* file sources: OGR SQL (SQLite dialect) run on the dataset; the field
                         * mapping then names its result columns; NULL = read the layer */
    char *crs_pipeline; /* maps: explicit PROJ pipeline from the source CRS to the target */
    struct lr_fieldmap fields;
    int line; /* line of the source's entry in the config, for messages */
};

struct lr_zone_fields {
    char *zone, *land_use, *position,
        *price; /* defaults zone_id, land_use, position, price_vnd_m2 */
};

enum lr_repair_method { LR_REPAIR_STRUCTURE = 0, LR_REPAIR_LINEWORK };
enum lr_value_method { LR_VALUE_INTERIOR_POINT = 0, LR_VALUE_PIECEWISE };

/* Residential limit for one new commune (valuation.residential_limit_m2 given as a map). */
struct lr_commune_limit {
    int32_t new_commune;
    int64_t limit_dm2; /* tenths of m^2 */
};

struct lr_config {
    char *path;               /* the config file as given */
    char *dir;                /* its folder */
    unsigned char sha256[32]; /* of the file's bytes */

    /* run */
    char *run_name; /* default "landrec" */
    char *output;   /* default "<dir>/out" */
    int jobs;       /* 0 = number of cores */

    char *target_crs; /* default "EPSG:5899" */

    /* communes */
    char *crosswalk;  /* required */
    char *boundaries; /* optional */

    /* sources */
    struct lr_source *maps; /* at least one */
    size_t n_maps;
    struct lr_source *registers; /* at least one */
    size_t n_registers;
    struct lr_source price_zones; /* path required; only path/layer/crs used */
    struct lr_zone_fields zone_fields;

    /* validate */
    enum lr_repair_method repair;
    double sliver_thinness; /* default 0.05 */
    double min_overlap_m2;  /* default 0.5 */
    double min_gap_m2;      /* default 0.5 */
    double spike_angle_deg; /* default 1.0: a vertex angle below this is a spike */
    double max_repair_loss; /* default 0.01: share of area a repair may lose */

    /* match */
    bool tolerance_regulation;       /* true: dP = 0.0004 * M * sqrt(P) */
    int64_t tolerance_fraction_nano; /* when !tolerance_regulation, e.g. 0.05 -> 50000000 */
    int32_t default_scale;           /* scale when a source gives none; default 2000 */
    char *corrections;               /* optional */
    char *land_use_map;              /* optional legacy->current code table; default none */
    int64_t min_confidence_nano;     /* default 0.8 */

    /* valuation */
    enum lr_value_method value_method;
    int64_t residential_limit_dm2;           /* default 2000 (200.0 m^2) */
    struct lr_commune_limit *commune_limits; /* per new commune overrides */
    size_t n_commune_limits;
    int64_t tax_residential_nano[3]; /* default 300000, 700000, 1500000 */
    int64_t tax_non_agri_nano;       /* default 300000 */
    int64_t tax_agri_nano;           /* default 0 */

    /* gates (ratios are not money: plain doubles) */
    double max_unmatched_ratio;    /* default 0.30 */
    double max_unrepairable_ratio; /* default 0.01 */

    /* warehouse */
    char *warehouse_url;              /* optional */
    char *warehouse_schema;           /* default "landrec" */
    int32_t warehouse_retention_runs; /* published runs whose rows are kept; 0 = all; default 30 */
};

/* Parse the YAML file at path into *out (caller releases with lr_config_release).
 * Strict: an unknown key, a wrong type or a missing required key is LR_ERR_CONFIG with a message
 * "FILE:LINE: unknown key 'x' in 'section' (did you mean 'y'?)" and the like. */
enum lr_rc lr_config_load(const char *path, struct lr_config *out, struct lr_err *err);
void lr_config_release(struct lr_config *cfg);

/* Parse a decimal text ("0.0003", "5%" is not accepted) into a fixed-point LR_NANO value.
 * Accepts an optional sign, digits, '.', up to 9 fractional digits. */
enum lr_rc lr_config_parse_nano(const char *text, int64_t *out, struct lr_err *err);

const char *lr_encoding_name(enum lr_encoding enc);

#endif
