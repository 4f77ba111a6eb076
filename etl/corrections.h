/* corrections.h - analysts' decisions (SPEC.md "Corrections file"), applied on every run.
 *
 * The file is CSV, UTF-8, with the header parcel_key,record_key,class,action[,note]:
 *   accept  the finding (class, parcel_key, record_key as mismatches.csv shows them) is known: it
 *           stays in mismatches.csv marked acknowledged and no longer counts against the gates;
 *   link    match this map parcel to this register record (both keys, each held once);
 *   unlink  never match this parcel and this record (breaks an exact or a lineage match).
 * A row that no longer applies (its finding is gone, a key is not found or is held twice, the
 * pair is not matched anyway) is stale: logged as a warning naming the file and line, and
 * counted (sh->corrections_stale, shown in the manifest). The note is never logged.
 *
 * Order in the match stage: load, resolve (keys -> indices), the exact join (skips claimed
 * parcels/records and unlinked pairs), links, lineage (skips unlinked pairs), findings, accept,
 * report. Ownership: struct lr_corrections owns its rows and flag arrays. */
#ifndef LR_CORRECTIONS_H
#define LR_CORRECTIONS_H

#include "lineage.h"
#include "model.h"

enum lr_corr_action { LR_CORR_ACCEPT = 0, LR_CORR_LINK, LR_CORR_UNLINK };

struct lr_correction {
    int line; /* line of the row in the file (1 = header) */
    enum lr_corr_action action;
    bool has_pkey, has_rkey;
    struct lr_key pkey, rkey;
    int cls;        /* enum lr_status for match classes; -1 none/geometry issue */
    bool issue_cls; /* class names a geometry issue (accept does not cover those) */
    int64_t parcel; /* resolved indices (link/unlink), -1 */
    int64_t record;
    bool applied;
    char why[160]; /* why the row did not apply (stale rows) */
};

struct lr_corrections {
    char *path;
    struct lr_correction *rows;
    size_t n, cap;
    int32_t *pclaim;  /* [n_parcels] 1 + row index of the link claiming the parcel, 0 none */
    int32_t *rclaim;  /* [n_records] likewise for records */
    uint8_t *punlink; /* [n_parcels] the parcel appears in an unlink row */
    size_t np, nr;
};

/* Read and check the file at path into c (c is initialised here). LR_ERR_INPUT naming the file
 * and line for an unreadable file or a bad row. */
enum lr_rc lr_corrections_load(struct lr_corrections *c, const char *path, struct lr_err *err);
/* The same from text in memory (len bytes); path names it in messages. */
enum lr_rc lr_corrections_parse(struct lr_corrections *c, const char *path, const char *text,
                                size_t len, struct lr_err *err);
void lr_corrections_release(struct lr_corrections *c);

/* Resolve link/unlink keys against the view; rows that cannot apply are marked stale. */
enum lr_rc lr_corrections_resolve(struct lr_corrections *c, const struct lr_shard *sh,
                                  const struct lr_match_view *v, struct lr_err *err);
/* Row index + 1 of the link claiming parcel i / record i, 0 when none. c may be NULL. */
int32_t lr_corrections_parcel_claim(const struct lr_corrections *c, size_t i);
int32_t lr_corrections_record_claim(const struct lr_corrections *c, size_t i);
/* Does an unlink row forbid pairing parcel p with record r? Marks that row applied. c may be
 * NULL. */
bool lr_corrections_unlinked(struct lr_corrections *c, size_t p, size_t r);
/* Mark the findings named by accept rows acknowledged (rows that match none stay stale). */
enum lr_rc lr_corrections_accept(struct lr_corrections *c, struct lr_shard *sh, struct lr_err *err);
/* Log every row that did not apply and count rows/applied/stale into sh. */
void lr_corrections_report(const struct lr_corrections *c, struct lr_shard *sh);

#endif
