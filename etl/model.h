/* model.h - the shard's tables: what stages read and write. Stages never call each other; each
 * reads the tables earlier stages filled and fills its own columns or tables.
 *
 * Ownership: a shard owns every string, array and geometry it points to; lr_shard_release frees
 * them. Areas are int64 tenths of m^2 (dm2), money int64 whole VND (see money.h). */
#ifndef LR_MODEL_H
#define LR_MODEL_H

#include "config.h"
#include "core.h"

/* ---- the parcel key: OOOOO-S-P ---- */
struct lr_key {
    int32_t commune; /* old commune code, 0..99999; -1 when the key could not be parsed */
    int32_t sheet;
    int32_t parcel;
};

#define LR_KEY_STR_MAX 32

/* Normalise the three raw key fields (SPEC.md): trim, drop leading zeros of sheet/parcel,
 * zero-pad commune to 5. Returns false (key->commune = -1) when a part is not a number in range. */
bool lr_key_parse(const char *commune, const char *sheet, const char *parcel, struct lr_key *key);
/* "25216-12-345" into buf (LR_KEY_STR_MAX); "" for an invalid key. */
void lr_key_format(const struct lr_key *key, char *buf);
/* Parse "25216-12-345" (also with spaces / leading zeros). */
bool lr_key_parse_str(const char *s, struct lr_key *key);
int lr_key_cmp(const struct lr_key *a, const struct lr_key *b);
uint64_t lr_key_hash(const struct lr_key *key);

/* ---- statuses and classes (SPEC.md "Finding classes") ---- */
enum lr_status {
    LR_ST_NONE = 0,
    LR_ST_MATCHED,
    LR_ST_AREA_MISMATCH,
    LR_ST_LAND_USE_MISMATCH,
    LR_ST_RENUMBERED,
    LR_ST_SPLIT,
    LR_ST_MERGED,
    LR_ST_DUPLICATE_KEY,
    LR_ST_MAP_ONLY,
    LR_ST_REGISTER_ONLY,
    LR_ST_COMMUNE_MISMATCH,
    LR_ST_REJECTED, /* map feature or register row rejected with a reason (see reject) */
    LR_ST_COUNT
};

enum lr_issue_class {
    LR_IS_SELF_INTERSECTION = 0,
    LR_IS_TOO_FEW_POINTS,
    LR_IS_DUPLICATE_VERTEX,
    LR_IS_SPIKE,
    LR_IS_REPAIRED,
    LR_IS_UNREPAIRABLE,
    LR_IS_OVERLAP,
    LR_IS_GAP,
    LR_IS_SLIVER,
    LR_IS_OUTSIDE_BOUNDARY,
    LR_IS_CRS_ASSUMED,
    LR_IS_NO_PRICE,
    LR_IS_RING_PROBLEM, /* other GEOS validity reasons (ring self-intersection, nested shells...) */
    LR_IS_BAD_KEY,      /* a key that could not be parsed */
    LR_IS_BAD_VALUE,    /* an attribute that could not be parsed (area, land use) */
    LR_IS_NO_GEOMETRY,  /* reject reason: a map feature without geometry */
    LR_IS_NOT_POLYGON,  /* reject reason: a map feature whose geometry is not polygonal */
    LR_IS_BAD_COORDINATES,   /* reject reason: NaN/Inf or untransformable coordinates */
    LR_IS_STRADDLES_ZONES,   /* valued across >= 2 price zones with a share > 0.5 % each */
    LR_IS_DUPLICATE_FEATURE, /* reject reason: the same parcel (key and coordinates) delivered
                              * again in another file, e.g. by two adjacent sheets */
    LR_IS_COUNT
};

const char *lr_status_name(enum lr_status st);
const char *lr_issue_name(enum lr_issue_class c);
/* Matched family: the parcel/record is reconciled to a counterpart. */
bool lr_status_is_matched(enum lr_status st);

/* ---- polygon coordinates between load and validate ---- */
struct lr_shape {
    uint32_t nparts;      /* polygons */
    uint32_t nrings;      /* rings over all parts */
    uint32_t npts;        /* points over all rings */
    uint32_t *part_rings; /* [nparts] rings per part (first is the shell) */
    uint32_t *ring_pts;   /* [nrings] points per ring (closed: last == first) */
    double *xy;           /* [2*npts] x,y interleaved */
};

void lr_shape_release(struct lr_shape *s);

/* ---- inputs ---- */
struct lr_input {
    char *path;       /* file as read */
    char *kind;       /* "map", "register", "price_zones", "crosswalk", "boundaries", ... */
    char *layer;      /* layer name (NULL for plain files) */
    char sha256[65];  /* hex */
    int64_t features; /* rows/features read */
    char *src_crs;    /* source CRS definition (WKT or config text) for maps */
    char *crs_op;     /* PROJ operation used (maps), NULL otherwise */
    bool crs_assumed;
    const char *crs_pipeline; /* the config's explicit pipeline (not owned), NULL = PROJ's pick */
    int64_t converted;        /* text values decoded from a legacy encoding */
    int64_t ambiguous;        /* text values whose encoding could not be told */
};

/* A map parcel (one input feature). */
struct lr_parcel {
    uint32_t input; /* index into shard inputs */
    int64_t fid;    /* feature id in its layer */
    struct lr_key key;
    char *land_use; /* current code after the legacy mapping, NFC */
    char *land_use_raw;
    char *place;         /* decoded locality name */
    bool has_owner;      /* the map carries an owner name (the name itself never leaves the load) */
    uint64_t owner_hash; /* hash of the NFC owner name, for "names agree" evidence */
    int32_t scale;       /* map scale denominator */
    int64_t area_attr_dm2; /* the map's own area attribute, -1 if none */
    struct lr_shape shape; /* source CRS after load, target CRS after reproject */
    void *geom;            /* repaired GEOSGeometry (MultiPolygon, target CRS), owned; see geom.h */
    int64_t area_dm2;      /* map area: repaired geometry, target CRS; -1 if none */
    int64_t area_src_dm2;  /* area on the source map's own plane */
    double ix, iy;         /* interior point (target CRS) */
    int32_t new_commune;   /* derived new commune code; -1 unknown */
    int32_t geo_commune;   /* new commune holding the interior point; -1 none */
    enum lr_status status;
    enum lr_issue_class reject; /* when status == LR_ST_REJECTED */
    int64_t record;             /* index of the matched register record, -1 none */
    uint32_t issues;            /* bit set of enum lr_issue_class raised on this parcel */
    /* valuation */
    char *zone;
    int32_t position;
    int64_t price_vnd; /* -1 when no price */
    int64_t value_vnd;
    int64_t tax_vnd;
    int64_t extract_area_dm2;
    bool area_from_register;
    /* matching */
    int64_t tol_dm2;        /* area tolerance against the matched record, -1 unknown */
    bool area_ok;           /* map and register areas agree within tolerance */
    int32_t confidence_pct; /* of the match (100 for an exact key) */
};

/* A register record (one input row). */
struct lr_record {
    uint32_t input;
    int64_t row; /* 1-based data row / feature id */
    struct lr_key key;
    char *land_use;
    int64_t area_dm2;                                    /* -1 when missing/unparseable */
    char *owner_name, *owner_id, *certificate, *address; /* personal data: extract only */
    enum lr_status status;
    enum lr_issue_class reject;
    int64_t parcel; /* index of the matched parcel, -1 none */
};

/* A geometry issue or finding with a place. */
struct lr_issue {
    int64_t parcel; /* parcel index or -1 */
    int64_t record; /* record index or -1 */
    enum lr_issue_class cls;
    double x, y;   /* location (target CRS) */
    char *wkb_hex; /* optional polygon geometry (overlap, gap) as hex WKB */
    char *detail;  /* human text, never owner data */
};

/* A match finding: a status other than matched, explained (mismatches.csv). */
struct lr_finding {
    int64_t parcel; /* or -1 */
    int64_t record; /* or -1 */
    enum lr_status cls;
    char *detail; /* never owner data */
    bool acknowledged;
};

enum lr_relation { LR_REL_SAME = 0, LR_REL_RENUMBERED, LR_REL_SPLIT, LR_REL_MERGED };

/* Lineage between a register key (old) and a map key (new), other than an exact match. */
struct lr_lineage {
    int64_t record;
    int64_t parcel;
    enum lr_relation relation;
    int32_t confidence_pct;
    char *evidence;
};

const char *lr_relation_name(enum lr_relation r);

struct lr_zone {
    char *zone;
    char *land_use;
    int32_t position;
    int64_t price_vnd;
    void *geom; /* GEOSGeometry, target CRS */
    void *prep; /* prepared geometry */
};

struct lr_commune {
    int32_t old_code;
    char *old_name;
    int32_t new_code;
    char *new_name;
    char *tax_code; /* the tax office's own code for the new commune (crosswalk column
                     * 'tax_code'), NULL when the crosswalk has none */
};

struct lr_boundary {
    int32_t new_code;
    void *geom;
    void *prep;
};

/* Land-use code table: legacy code -> current code and tax group. */
enum lr_land_group {
    LR_LG_UNKNOWN = 0,
    LR_LG_AGRI,
    LR_LG_RESIDENTIAL,
    LR_LG_NON_AGRI,
    LR_LG_EXEMPT
};

struct lr_stage_stat {
    const char *name;
    int64_t in, out, rejected;
    double seconds;
    bool done;
};

#define LR_STAGE_MAX 8

struct lr_landuse;

/* The unit of work: all communes of a run, or a subset (a shard). */
struct lr_shard {
    const struct lr_config *cfg;
    char *name;
    struct lr_input *inputs;
    size_t n_inputs, cap_inputs;
    struct lr_parcel *parcels;
    size_t n_parcels, cap_parcels;
    struct lr_record *records;
    size_t n_records, cap_records;
    struct lr_issue *issues;
    size_t n_issues, cap_issues;
    struct lr_finding *findings;
    size_t n_findings, cap_findings;
    struct lr_lineage *lineage;
    size_t n_lineage, cap_lineage;
    struct lr_zone *zones;
    size_t n_zones;
    struct lr_commune *communes;
    size_t n_communes;
    struct lr_boundary *boundaries;
    size_t n_boundaries;
    struct lr_stage_stat stages[LR_STAGE_MAX];
    size_t n_stages;
    struct lr_landuse *landuse;    /* legacy code table (load) */
    int64_t repair_area_delta_dm2; /* total area change from repair */
    int64_t map_input, register_input;
    /* match: the corrections file (rows read, applied, stale = reported as no longer applying) */
    int64_t corrections_rows, corrections_applied, corrections_stale;
};

void lr_shard_init(struct lr_shard *sh, const struct lr_config *cfg);
/* Is parcel p a row of the tax extract (matched family, with a record, confident enough)? The
 * one rule the extract, the workbooks and parcels.gpkg's in_extract share. */
bool lr_parcel_in_extract(const struct lr_shard *sh, const struct lr_parcel *p);
/* The parcels' source coordinates (lr_shape) have no reader once the gaps are found (the end of
 * a run's validate, a merge's borders stage): everything after uses the repaired geometries.
 * Free the arrays, keep the counts (a checkpoint keeps "the arrays that exist"): at 1M parcels
 * about 150 MB less memory and less for every later checkpoint to write. */
void lr_shard_drop_coords(struct lr_shard *sh);
void lr_shard_release(struct lr_shard *sh);
/* Append a zeroed element and return it (NULL on out of memory). */
struct lr_input *lr_shard_add_input(struct lr_shard *sh);
struct lr_parcel *lr_shard_add_parcel(struct lr_shard *sh);
struct lr_record *lr_shard_add_record(struct lr_shard *sh);
/* Add an issue; detail is copied. Returns LR_ERR_NOMEM or LR_OK. */
enum lr_rc lr_shard_add_issue(struct lr_shard *sh, int64_t parcel, int64_t record,
                              enum lr_issue_class cls, double x, double y, const char *detail);
/* Add a match finding / a lineage row; detail and evidence are copied. */
enum lr_rc lr_shard_add_finding(struct lr_shard *sh, int64_t parcel, int64_t record,
                                enum lr_status cls, const char *detail);
enum lr_rc lr_shard_add_lineage(struct lr_shard *sh, int64_t record, int64_t parcel,
                                enum lr_relation rel, int32_t confidence_pct, const char *evidence);
/* Commune lookup by old code (NULL when not in the crosswalk). */
const struct lr_commune *lr_shard_commune(const struct lr_shard *sh, int32_t old_code);

#endif
