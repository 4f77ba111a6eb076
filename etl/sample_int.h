/* sample_int.h - private to the sample generator: sample.c (the world and the run),
 * sample_geom.c (plans and rings), sample_emit.c (maps, register, injected.csv) and
 * sample_out.c (crosswalk, GeoPackages, config).
 *
 * The synthetic world: each old commune is a block of map sheets; the block is one lattice of
 * nodes (columns 6.5-9.5 m, rows 10.5-13.5 m), interior nodes jittered once (a pure function of
 * the seed and the node), so neighbouring parcels share their edges exactly and the coverage has
 * no gaps. A sheet's plan cuts its part of the lattice into rectangular cells (one parcel each),
 * picks the cells that carry injected defects and numbers what they add. The plan is a pure
 * function of (seed, commune, sheet, quotas): planned once to learn each sheet's largest parcel
 * number, planned again when written. Coordinates are EPSG:9212 metres until a writer transforms
 * them to EPSG:5899 with OGR. */
#ifndef LR_SAMPLE_INT_H
#define LR_SAMPLE_INT_H

#include "core.h"
#include "sample.h"

#include <ogr_api.h>
#include <ogr_srs_api.h>

#define LR_SAMPLE_ROAD_M 40.0 /* road strip between commune blocks */

/* ---- deterministic random numbers: xoshiro256** seeded through splitmix64 ---- */
struct lr_sample_rng {
    uint64_t s[4];
};

/* Seed r from the user's seed and three stream numbers (commune, sheet, purpose). */
void lr_sample_rng_seed(struct lr_sample_rng *r, uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
uint64_t lr_sample_rng_next(struct lr_sample_rng *r);
/* Uniform integer in [lo, hi] (hi >= lo). */
int lr_sample_rng_int(struct lr_sample_rng *r, int lo, int hi);
/* Uniform double in [0, 1). */
double lr_sample_rng_unit(struct lr_sample_rng *r);
/* Stateless 64-bit hash of the seed and three numbers. */
uint64_t lr_sample_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);

/* ---- injected defect classes (internal; duplicate_key has two flavours) ---- */
enum lr_sample_class {
    LR_SAMPLE_NONE = 0,
    LR_SAMPLE_SELF_INTERSECTION,
    LR_SAMPLE_TOO_FEW_POINTS,
    LR_SAMPLE_DUPLICATE_VERTEX,
    LR_SAMPLE_SPIKE,
    LR_SAMPLE_OVERLAP,
    LR_SAMPLE_GAP,
    LR_SAMPLE_SLIVER,
    LR_SAMPLE_OUTSIDE_BOUNDARY,
    LR_SAMPLE_COMMUNE_MISMATCH,
    LR_SAMPLE_AREA_MISMATCH,
    LR_SAMPLE_LAND_USE_MISMATCH,
    LR_SAMPLE_RENUMBERED,
    LR_SAMPLE_SPLIT,
    LR_SAMPLE_MERGED,
    LR_SAMPLE_DUP_KEY_MAP, /* a second map parcel carries an existing key of its sheet */
    LR_SAMPLE_DUP_KEY_REG, /* a register key written twice */
    LR_SAMPLE_MAP_ONLY,
    LR_SAMPLE_REGISTER_ONLY,
    LR_SAMPLE_NO_PRICE,    /* an SKC parcel: no price zone holds SKC */
    LR_SAMPLE_CRS_ASSUMED, /* one line for the map file without .prj; never a quota */
    LR_SAMPLE_N_CLASSES
};

/* The finding class name written to injected.csv ("duplicate_key" for both flavours). */
const char *lr_sample_class_name(enum lr_sample_class c);
/* Defects of class c wanted for n parcels (0.2-0.4 % each, at least 2). */
int64_t lr_sample_class_count(enum lr_sample_class c, int64_t n);

/* ---- land use (Circular 08/2024; BHK and NHK are the legacy names of HNK) ---- */
enum lr_sample_lu {
    LR_SLU_CLN = 0,
    LR_SLU_ONT,
    LR_SLU_ODT,
    LR_SLU_HNK,
    LR_SLU_BHK,
    LR_SLU_NHK,
    LR_SLU_LUC,
    LR_SLU_RSX,
    LR_SLU_TMD,
    LR_SLU_SKC,
    LR_SLU_DGT,
    LR_SLU_TON,
    LR_SLU_COUNT
};

extern const char *const lr_sample_lu_code[LR_SLU_COUNT];

/* ---- the layout of one old commune ---- */
struct lr_sample_commune {
    int code;               /* 5-digit old commune code */
    char name[64];          /* "Xã Tân Lập", UTF-8 NFC */
    const char *short_name; /* points into name, after "Xã " / "Phường " */
    bool ward;              /* phường: urban residential land is ODT */
    int group;              /* index of its new commune */
    int grid_col, grid_row;
    int64_t target;       /* map parcels wanted */
    int sx, sy;           /* sheets across and down */
    int nx, ny;           /* lattice units per sheet */
    int n_sheets;         /* sx * sy; sheet s (0-based) sits at column s % sx, row s / sx */
    double ox, oy;        /* north-west corner of the block, EPSG:9212 metres */
    double *xs;           /* sx*nx+1 offsets east of ox */
    double *ys;           /* sy*ny+1 offsets south of oy */
    int32_t *sheet_max;   /* per sheet: the largest parcel number the plan uses */
    uint16_t *quota;      /* per sheet and class: defects to inject (n_sheets * N_CLASSES) */
    int32_t mismatch_seq; /* commune_mismatch keys handed out on this commune's sheet 1 */
};

/* Lattice size of the whole block. */
#define LR_SAMPLE_NX(c) ((c)->sx * (c)->nx)
#define LR_SAMPLE_NY(c) ((c)->sy * (c)->ny)

/* Coordinates (EPSG:9212, rounded to mm) of lattice node (gi, gj) of commune c; nodes on the
 * block's outline are not jittered. */
void lr_sample_node(const struct lr_sample_commune *c, uint64_t seed, int gi, int gj, double *x,
                    double *y);

/* ---- the plan of one sheet ---- */
enum { LR_SAMPLE_RES = 0, LR_SAMPLE_AGRI = 1 };
enum { LR_SAMPLE_INVOLVED = 1, LR_SAMPLE_MEMBER = 2 };

struct lr_sample_cell {
    int16_t i0, j0, i1, j1; /* lattice rectangle, sheet-local, i east, j south */
    int32_t num;            /* parcel number (1..n_cells, in band order) */
    int32_t new_num; /* renumbered / merged / sliver / too_few: its number; split: first child */
    int32_t partner; /* overlap/gap/spike: the cell below; dup_key_map: the key owner */
    uint8_t kind;    /* LR_SAMPLE_RES or LR_SAMPLE_AGRI */
    uint8_t lu;      /* enum lr_sample_lu on the map */
    uint8_t cls;     /* defect carried (enum lr_sample_class) */
    uint8_t flags;   /* LR_SAMPLE_INVOLVED: partner of a defect; MEMBER: merged away */
    uint8_t parts;   /* split: children; merged: cells joined */
    uint8_t band;
};

struct lr_sample_sheet {
    const struct lr_sample_commune *com;
    int index;            /* 0-based; the sheet number is index + 1 */
    int nx, ny, gi0, gj0; /* lattice size and first node in the block's lattice */
    int scale;            /* map scale denominator: 500, 1000 or 2000 */
    struct lr_sample_cell *cells;
    int n_cells, cap_cells;
    int32_t *cellid; /* ny*nx: the cell covering each lattice unit */
    uint8_t *used;   /* (ny+1)*(nx+1): the node is a vertex of the rings that pass it */
    size_t cap_grid, cap_used;
    int32_t outside_first, n_outside;   /* outside_boundary parcels' numbers */
    int32_t reg_only_first, n_reg_only; /* register_only records' numbers */
    int32_t max_num;                    /* largest number used */
    int n_dropped;                      /* quota not placed (sheet too crowded) */
};

void lr_sample_sheet_init(struct lr_sample_sheet *sh);
void lr_sample_sheet_release(struct lr_sample_sheet *sh);
/* Plan sheet index of commune com (quotas from com->quota). */
enum lr_rc lr_sample_sheet_plan(struct lr_sample_sheet *sh, const struct lr_sample_commune *com,
                                int index, uint64_t seed, struct lr_err *err);
/* Boundary k (0..parts) of a split cell's children, as a sheet-local lattice column. */
int lr_sample_split_col(const struct lr_sample_cell *c, int k);

/* ---- rings (closed: last point == first), clockwise, EPSG:9212 ---- */
struct lr_sample_ring {
    double *x, *y;
    int n, cap;
    int side[4]; /* first point of the north, east, south and west sides (lattice rings) */
};

void lr_sample_ring_init(struct lr_sample_ring *r);
void lr_sample_ring_release(struct lr_sample_ring *r);
enum lr_rc lr_sample_ring_push(struct lr_sample_ring *r, double x, double y, struct lr_err *err);
/* The ring of lattice rectangle [i0,i1]x[j0,j1] of sheet sh through every used node. */
enum lr_rc lr_sample_ring_rect(struct lr_sample_ring *r, const struct lr_sample_sheet *sh,
                               uint64_t seed, int i0, int j0, int i1, int j1, struct lr_err *err);
/* Apply a vertex defect to a fresh lattice ring: self_intersection (bow-tie at the north-west
 * corner), duplicate_vertex, spike (5.5 m, 0.4 degrees), overlap (3 m bump) or gap (2.5 m notch),
 * the last three on the first segment of the south side, shared with the cell below. */
enum lr_rc lr_sample_ring_defect(struct lr_sample_ring *r, enum lr_sample_class cls,
                                 struct lr_err *err);
/* Cut a strip of width 0.5 % of its length off the south side of host (a fresh lattice ring)
 * into strip; thinness 4*pi*A/P^2 is about 0.016. */
enum lr_rc lr_sample_ring_sliver(struct lr_sample_ring *host, struct lr_sample_ring *strip,
                                 struct lr_err *err);
/* Axis-parallel box, clockwise. */
enum lr_rc lr_sample_ring_box(struct lr_sample_ring *r, double x0, double y0, double x1, double y1,
                              struct lr_err *err);

/* ---- the world: old communes, new communes, the CRSs (sample.c builds it) ---- */
struct lr_sample_group {
    int code;         /* new commune code: one predecessor's */
    char name[72];    /* "Xã Tân Lập" / "Phường Tân Phú" */
    int first, count; /* old communes first .. first+count-1, adjacent in one grid row */
    bool ward;
};

struct lr_sample_world {
    const struct lr_sample_opts *o;
    uint64_t seed;
    struct lr_sample_commune *com;
    int n_com;
    struct lr_sample_group *grp;
    int n_grp;
    OGRSpatialReferenceH srs_src;    /* EPSG:9212 */
    OGRSpatialReferenceH srs_dst;    /* EPSG:5899 */
    OGRCoordinateTransformationH ct; /* 9212 -> 5899, traditional GIS order */
};

/* Transform n points in place to EPSG:5899; name is the file being written, for the message. */
enum lr_rc lr_sample_to_target(const struct lr_sample_world *w, double *x, double *y, int n,
                               const char *name, struct lr_err *err);

/* ---- sample_emit.c: maps, register.csv and injected.csv ---- */
struct lr_sample_writer;

/* A two-syllable place name ("Tân Lập") drawn from rng. */
void lr_sample_syllables(struct lr_sample_rng *rng, char *buf, size_t n);
/* Open a writer: maps go to folder stage, register and injected rows to reg_path and inj_path
 * (created here). w's communes must be laid out and planned (sheet_max set). */
enum lr_rc lr_sample_writer_new(struct lr_sample_world *w, const char *stage, const char *reg_path,
                                const char *inj_path, struct lr_sample_writer **out,
                                struct lr_err *err);
/* Write every commune's shapefile with its register and injected rows; close (and sync) the
 * CSV files. */
enum lr_rc lr_sample_writer_run(struct lr_sample_writer *x, struct lr_err *err);
/* One INFO line: counts per injected class, time taken. */
void lr_sample_writer_log(const struct lr_sample_writer *x, double seconds);
void lr_sample_writer_free(struct lr_sample_writer *x);

/* ---- sample_out.c: the files around the maps and the register ---- */
/* crosswalk.csv: old_code,old_name,new_code,new_name. */
enum lr_rc lr_sample_write_crosswalk(const struct lr_sample_world *w, const char *path,
                                     struct lr_err *err);
/* communes.gpkg, layer communes: each new commune the union of its old communes' blocks. */
enum lr_rc lr_sample_write_communes(const struct lr_sample_world *w, const char *path,
                                    struct lr_err *err);
/* price_zones.gpkg, layer price_zones: bands x land uses per new commune. */
enum lr_rc lr_sample_write_zones(const struct lr_sample_world *w, const char *path,
                                 struct lr_err *err);
/* landrec.yaml for the set. */
enum lr_rc lr_sample_write_config(const struct lr_sample_world *w, const char *path,
                                  struct lr_err *err);

#endif
