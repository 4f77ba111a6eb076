/* pg.h - the only user of libpq: connections, statements with $n parameters, COPY FROM STDIN
 * (text, binary and CSV pass-through) and the translation of libpq errors and SQLSTATEs into
 * lr_err messages (LR_ERR_WAREHOUSE).
 *
 * Rules: values only as $n parameters; identifiers only through lr_pg_ident (PQescapeIdentifier).
 * A connection URL is never logged or put in a message as given: lr_pg_mask_url hides its
 * password. Thread rules: a struct lr_pg belongs to one thread. */
#ifndef LR_PG_H
#define LR_PG_H

#include "core.h"

struct lr_pg;

/* Connect to url (a postgresql:// URI or a key=value conninfo string) with client_encoding
 * UTF8, application_name landrec and connect_timeout 10 s unless the url sets one. On failure
 * the message names the masked url and says what to check. Caller frees *out with lr_pg_free. */
enum lr_rc lr_pg_connect(const char *url, struct lr_pg **out, struct lr_err *err);
void lr_pg_free(struct lr_pg *pg);
/* The connection's url with its password masked (owned by pg). */
const char *lr_pg_url(const struct lr_pg *pg);
/* Server version as PQserverVersion (150004 for 15.4). */
int lr_pg_server_version(const struct lr_pg *pg);

/* url with any password replaced by "***" (URI user:password@, password= in a URI query or in
 * a key=value string). Caller frees; NULL on out of memory. */
char *lr_pg_mask_url(const char *url);

/* name quoted as an SQL identifier (PQescapeIdentifier). Caller frees. */
enum lr_rc lr_pg_ident(struct lr_pg *pg, const char *name, char **out, struct lr_err *err);

/* Run sql with n text parameters ($1..$n; a NULL entry is SQL NULL) and discard any rows.
 * With n == 0 sql may hold several statements. what names the step for messages. */
enum lr_rc lr_pg_exec(struct lr_pg *pg, const char *sql, int n, const char *const *params,
                      const char *what, struct lr_err *err);
/* Like lr_pg_exec; *out gets the first column of the first row (caller frees), NULL when there
 * is no row or the value is NULL. */
enum lr_rc lr_pg_value(struct lr_pg *pg, const char *sql, int n, const char *const *params,
                       const char *what, char **out, struct lr_err *err);

/* ---- COPY FROM STDIN ---- */
enum lr_copy_format { LR_COPY_TEXT = 0, LR_COPY_BINARY, LR_COPY_CSV };

/* One COPY in progress. Rows are encoded into buf and sent in blocks of about 256 KiB. */
struct lr_pg_copy {
    struct lr_pg *pg;
    enum lr_copy_format fmt;
    struct lr_buf buf;
    int64_t rows;     /* rows encoded so far */
    int fields;       /* fields written in the current row */
    bool nomem;       /* an encoder ran out of memory: reported by lr_pg_copy_row_end */
    const char *what; /* the step, for messages (not copied) */
};

/* Start "COPY ... FROM STDIN" (sql is the whole statement, matching fmt); binary writes the
 * file header. On error nothing is left to end. */
enum lr_rc lr_pg_copy_begin(struct lr_pg *pg, struct lr_pg_copy *c, const char *sql,
                            enum lr_copy_format fmt, const char *what, struct lr_err *err);
/* Begin a row of nfields fields (text and binary formats). */
void lr_pg_copy_row(struct lr_pg_copy *c, int nfields);
/* Field encoders; a NULL text / !present is SQL NULL. */
void lr_pg_copy_text(struct lr_pg_copy *c, const char *s);
void lr_pg_copy_int4(struct lr_pg_copy *c, int32_t v, bool present);
void lr_pg_copy_int8(struct lr_pg_copy *c, int64_t v, bool present);
/* units / 10^scale as numeric (scale 0..4), e.g. tenths of m^2 with scale 1. */
void lr_pg_copy_decimal(struct lr_pg_copy *c, int64_t units, int scale, bool present);
void lr_pg_copy_bool(struct lr_pg_copy *c, bool v);
/* A geometry as EWKB bytes (binary) or its hex text (text format); NULL bytes is SQL NULL. */
void lr_pg_copy_ewkb(struct lr_pg_copy *c, const unsigned char *ewkb, size_t n);
/* End the row; sends the buffer when it is large. */
enum lr_rc lr_pg_copy_row_end(struct lr_pg_copy *c, struct lr_err *err);
/* Send bytes as they are (CSV pass-through). */
enum lr_rc lr_pg_copy_raw(struct lr_pg_copy *c, const char *data, size_t n, struct lr_err *err);
/* Send what is buffered now (also used before a test pause so the server is mid-COPY). */
enum lr_rc lr_pg_copy_flush(struct lr_pg_copy *c, struct lr_err *err);
/* Is the connection still up? (Reads what the server sent: a terminated backend shows.) */
bool lr_pg_copy_alive(struct lr_pg_copy *c);
/* Finish: send the rest, end the COPY and check the server's result; *rows gets the rows the
 * server stored (may be NULL). Releases c. */
enum lr_rc lr_pg_copy_end(struct lr_pg_copy *c, int64_t *rows, struct lr_err *err);
/* Abandon the COPY (the server fails it with why) and release c. Safe after a failed call. */
void lr_pg_copy_abort(struct lr_pg_copy *c, const char *why);

#endif
