/* diff.h - the delta between two tax extracts (`landrec diff`, and the nightly delta.csv).
 *
 * Both extracts are read whole, their rows sorted by parcel key (a parcel may change new commune
 * between runs, so the extracts' own order cannot be merged directly) and merged. Columns are
 * matched by header name, so a column added or dropped between versions shows as changed from or
 * to "". The delta is CSV, sorted by parcel key:
 *     parcel_key,change,column,old,new
 *     25216-1-7,added,,,
 *     25216-1-9,removed,,,
 *     25216-2-3,changed,area_m2,412.0,415.5
 * one row per added or removed parcel and one per changed column of a changed parcel (columns in
 * the new extract's order). It carries what the extract carries (owner columns included) and is
 * written with mode 0640 like the extract. */
#ifndef LR_DIFF_H
#define LR_DIFF_H

#include "core.h"

struct lr_diff_counts {
    int64_t added, removed, changed, unchanged;
    int64_t cells; /* changed columns over all changed parcels */
};

/* Compare the extract old_csv with new_csv and write the delta to out_path (tmp + rename, mode
 * 0640), or to stdout when out_path is NULL. LR_ERR_INPUT naming the file when an extract cannot
 * be read or has no parcel_key column. */
enum lr_rc lr_diff_files(const char *old_csv, const char *new_csv, const char *out_path,
                         struct lr_diff_counts *counts, struct lr_err *err);

/* `landrec diff OLD_RUN_DIR NEW_RUN_DIR [--out FILE]`: the delta of the two runs' tax_extract.csv
 * to FILE (summary line on stdout) or, without --out, to stdout (summary line on stderr). */
enum lr_rc lr_diff_main(const char *old_dir, const char *new_dir, const char *out,
                        struct lr_err *err);

/* The nightly delta: when output/latest names a published run, write work_dir/delta.csv against
 * that run's tax_extract.csv and set *written. No published run (or an unreadable one, which is
 * logged) leaves *written false and is not an error. */
enum lr_rc lr_diff_against_latest(const char *output, const char *work_dir, bool *written,
                                  struct lr_diff_counts *counts, struct lr_err *err);

/* "1 added, 2 removed, 3 changed (4 values), 5 unchanged" into buf. */
void lr_diff_summary(const struct lr_diff_counts *c, char *buf, size_t size);

#endif
