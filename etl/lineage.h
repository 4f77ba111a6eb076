/* lineage.h - the match stage's key-sorted view of the shard, and the lineage pass: explaining
 * unmatched parcels and records as renumbered, split or merged from the evidence other than the
 * key (same sheet, areas and area sums within tolerance, land use, the position against the key
 * neighbours on the map, numbers after the sheet's last shared number, owner-name agreement,
 * adjoining pieces).
 *
 * Ownership: a view owns its two arrays (lr_match_view_release frees them); it points into the
 * shard by index only. */
#ifndef LR_LINEAGE_H
#define LR_LINEAGE_H

#include "model.h"

struct lr_geom_ctx;
struct lr_corrections;

/* Bits of a packed key: commune 17 (< 131072), sheet 20 (< 1048576), parcel 27 (< 134217728);
 * lr_key_parse's ranges fit, and packed keys order as lr_key_cmp. */
#define LR_KEY_PARCEL_BITS 27
#define LR_KEY_SHEET_BITS  20

/* A valid key packed into 64 bits. */
static inline uint64_t
lr_key_pack(const struct lr_key *k)
{
    return (uint64_t)(uint32_t)k->commune << (LR_KEY_PARCEL_BITS + LR_KEY_SHEET_BITS) |
           (uint64_t)(uint32_t)k->sheet << LR_KEY_PARCEL_BITS | (uint64_t)(uint32_t)k->parcel;
}

/* The (commune, sheet) part of a packed key. */
static inline uint64_t
lr_key_sheet_of(uint64_t packed)
{
    return packed >> LR_KEY_PARCEL_BITS;
}

/* One live (not rejected) parcel or record under its packed key. */
struct lr_keyed {
    uint64_t key;
    size_t idx; /* index into sh->parcels or sh->records */
};

/* Live parcels and records sorted by key, then by index (deterministic), and what the exact
 * join left unmatched (map_only parcels, register_only records, in key order; live ones
 * without a valid key first). */
struct lr_match_view {
    struct lr_keyed *parcels;
    size_t n_parcels;
    struct lr_keyed *records;
    size_t n_records;
    size_t *left_parcels, n_left_parcels, cap_left_parcels;
    size_t *left_records, n_left_records, cap_left_records;
    size_t n_keyless; /* live parcels + records without a valid key (unmatched) */
};

/* Build the view of sh (radix sort, O(n)). Live parcels and records without a valid key (the
 * load rejects those; kept for safety) become map_only / register_only leftovers here.
 * LR_ERR_NOMEM only. */
enum lr_rc lr_match_view_build(struct lr_shard *sh, struct lr_match_view *v, struct lr_err *err);
/* Append a leftover index (LR_ERR_NOMEM only). */
enum lr_rc lr_match_view_leave(size_t **arr, size_t *n, size_t *cap, size_t idx);
void lr_match_view_release(struct lr_match_view *v);
/* First position in a[0..n) whose key is >= key (n when none). */
size_t lr_keyed_lower(const struct lr_keyed *a, size_t n, uint64_t key);

/* Runs after the exact key join: looks only at the view's leftovers whose status is still
 * map_only / register_only; sets renumbered/split/merged statuses on both sides, links them
 * (split: every child -> the parent record, the record -> its first child; merged: every record
 * -> the parcel, the parcel -> its first record), sets confidence_pct and writes one lineage row
 * and one finding per (record, parcel) link. g may be NULL (no adjoining test); corr may be NULL
 * (no pair is vetoed by an analyst's unlink). Deterministic; bounded work per sheet. */
enum lr_rc lr_lineage_explain(struct lr_shard *sh, const struct lr_match_view *v,
                              struct lr_geom_ctx *g, struct lr_corrections *corr,
                              struct lr_err *err);

/* Hash of an owner name as the load stage keeps it for map parcels (FNV-1a 64 over the NFC
 * UTF-8 bytes); 0 for NULL or "". */
uint64_t lr_lineage_owner_hash(const char *name);

#endif
