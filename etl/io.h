/* io.h - output files written safely (NAME.tmp, flush, fsync, close, rename) and checksums. */
#ifndef LR_IO_H
#define LR_IO_H

#include "core.h"

#include <stdio.h>

/* An output file being written. Mode 0640: outputs may hold personal data. */
struct lr_out {
    FILE *f;
    char *path;     /* final path */
    char *tmp_path; /* path + ".tmp" */
};

enum lr_rc lr_out_open(struct lr_out *o, const char *path, struct lr_err *err);
/* Flush, fsync, close and rename into place. On error the .tmp is removed. */
enum lr_rc lr_out_commit(struct lr_out *o, struct lr_err *err);
/* The same without fsync: for files a crash may tear because a checksum catches it. */
enum lr_rc lr_out_commit_unsynced(struct lr_out *o, struct lr_err *err);
/* Abandon (close and remove the .tmp); safe on an unopened/zeroed struct. */
void lr_out_abort(struct lr_out *o);
enum lr_rc lr_out_write(struct lr_out *o, const char *data, size_t n, struct lr_err *err);

/* Write a whole file atomically. */
enum lr_rc lr_io_write_file(const char *path, const char *data, size_t n, struct lr_err *err);
/* SHA-256 of a file as 64 lower-case hex digits + NUL. LR_ERR_INPUT when unreadable. */
enum lr_rc lr_io_sha256_file(const char *path, char hex[65], struct lr_err *err);
void lr_io_sha256_hex(const unsigned char digest[32], char hex[65]);
/* mkdir -p with mode. */
enum lr_rc lr_io_mkdirs(const char *path, int mode, struct lr_err *err);
/* fsync a directory (after renames into it). */
void lr_io_sync_dir(const char *path);
/* Remove a directory tree (used for abandoned work dirs). */
enum lr_rc lr_io_remove_tree(const char *path, struct lr_err *err);
/* The run folder name OUTPUT/latest points to (caller frees); NULL when there is none or the
 * link is not a plain name in OUTPUT (landrec writes only those). */
char *lr_io_latest_run(const char *output);

#endif
