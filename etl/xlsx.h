/* xlsx.h - the tax office's workbooks (SPEC.md "Run directory"), written with libxlsxwriter:
 * xlsx/NEWCODE.xlsx per new commune (the rows of tax_extract.csv for that commune, in the same
 * order and column order, typed cells, Vietnamese titles) and xlsx/summary.xlsx (counts, areas,
 * values and taxes per commune, with a totals row computed in integers).
 *
 * Workbooks are written in parallel, one per worker thread at a time, in libxlsxwriter's
 * constant-memory mode; each goes to NAME.tmp (mode 0640, fsync) and is renamed into place. The
 * bytes depend only on the rows: the document's creation date is fixed (LR_XLSX_CREATED), so a
 * rerun over the same data writes identical files whatever the thread count. */
#ifndef LR_XLSX_H
#define LR_XLSX_H

#include "core.h"
#include "model.h"

#include <pthread.h>

/* Data rows per sheet: Excel's 1,048,576 rows less the header; more continue on a next sheet. */
#define LR_XLSX_SHEET_ROWS 1048575
/* Creation date written into every workbook: 2026-01-01T00:00:00Z. */
#define LR_XLSX_CREATED 1767225600

/* A thread outside the workbook writers that may join them once its own work is done (the
 * extract's GeoPackage thread): lr_xlsx_write announces its tasks here while they run, and
 * lr_xlsx_help works on them. */
struct lr_xlsx_share {
    pthread_mutex_t mu;
    pthread_cond_t idle;
    void *pool;  /* the running writers' tasks, NULL when none run */
    int helpers; /* threads inside lr_xlsx_help's work */
};
void lr_xlsx_share_init(struct lr_xlsx_share *s);
void lr_xlsx_share_destroy(struct lr_xlsx_share *s);
/* Write workbooks of the running lr_xlsx_write until none is left to start; returns at once
 * when none runs. */
void lr_xlsx_help(struct lr_xlsx_share *s);

/* The extract's rows, as stage_extract selected and sorted them. */
struct lr_xlsx_job {
    const struct lr_shard *sh;
    const size_t *rows; /* indexes into sh->parcels, sorted by new commune then key */
    size_t n_rows;
    const char *dir;    /* the xlsx folder (created 0750 when missing) */
    int jobs;           /* worker threads (>= 1) */
    int64_t sheet_rows; /* data rows per sheet: LR_XLSX_SHEET_ROWS (smaller only in tests) */
    struct lr_xlsx_share *share; /* NULL, or where a helper thread finds the tasks */
};

/* Write every commune's workbook and summary.xlsx into job->dir. *names receives the file names
 * written, relative to dir, sorted (caller frees each and the array). On error, files already
 * renamed into place stay (the run folder is not published) and *names is NULL. */
enum lr_rc lr_xlsx_write(const struct lr_xlsx_job *job, char ***names, size_t *n_names,
                         struct lr_err *err);

/* The workbook's file name of a new commune code: "25195.xlsx", "unknown.xlsx" for -1. */
void lr_xlsx_commune_file(int32_t new_commune, char *buf, size_t size);

#endif
