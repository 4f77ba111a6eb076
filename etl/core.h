/* core.h - return codes, errors, logging and small string helpers shared by every module.
 *
 * Contract: fallible functions return enum lr_rc (LR_OK == 0) and take struct lr_err *err last.
 * The first error recorded in an lr_err wins; later ones are ignored. Only main.c exits. */
#ifndef LR_CORE_H
#define LR_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lr_rc {
    LR_OK = 0,
    LR_ERR_INTERNAL,    /* any other failure: exit 1 */
    LR_ERR_USAGE,       /* bad command line: exit 2 */
    LR_ERR_CONFIG,      /* bad config: exit 2 */
    LR_ERR_INPUT,       /* an input cannot be read at all: exit 3 */
    LR_ERR_WAREHOUSE,   /* PostgreSQL error: exit 4 */
    LR_ERR_GATE,        /* a quality gate failed: exit 5 */
    LR_ERR_NOMEM,       /* out of memory: exit 1 */
    LR_ERR_IO,          /* writing outputs failed: exit 1 */
    LR_ERR_INTERRUPTED, /* SIGINT/SIGTERM: exit 130 */
};

#define LR_ERR_MSG_MAX 1024

struct lr_err {
    enum lr_rc rc;
    char msg[LR_ERR_MSG_MAX];
};

/* Record an error unless one is recorded already; returns rc (never LR_OK for a real error). */
enum lr_rc lr_err_set(struct lr_err *err, enum lr_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Clear err to LR_OK with an empty message. */
void lr_err_clear(struct lr_err *err);
/* Process exit status for rc, as SPEC.md defines it. */
int lr_rc_exit_code(enum lr_rc rc);

/* ---- logging: stderr, one line per event, no owner data ever ---- */
enum lr_log_level { LR_LOG_ERROR = 0, LR_LOG_WARN, LR_LOG_INFO, LR_LOG_DEBUG };

void lr_log_set_level(enum lr_log_level level);
enum lr_log_level lr_log_get_level(void);
/* Log one line: "2026-11-22T10:55:03Z INFO  [stage scope] message". stage/scope may be NULL. */
void lr_log(enum lr_log_level level, const char *stage, const char *scope, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- growable string buffer (git's strbuf, reduced) ---- */
struct lr_buf {
    char *data; /* always NUL-terminated once anything was added; NULL when empty */
    size_t len;
    size_t cap;
};

void lr_buf_init(struct lr_buf *b);
void lr_buf_release(struct lr_buf *b);
void lr_buf_reset(struct lr_buf *b);
enum lr_rc lr_buf_add(struct lr_buf *b, const char *s, size_t n);
enum lr_rc lr_buf_adds(struct lr_buf *b, const char *s);
enum lr_rc lr_buf_addc(struct lr_buf *b, char c);
enum lr_rc lr_buf_addf(struct lr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a CSV field (quoted when it holds a comma, quote, CR or LF). */
enum lr_rc lr_buf_add_csv(struct lr_buf *b, const char *s);
/* Hand the buffer's string to the caller (caller frees); the buffer is left empty. */
char *lr_buf_detach(struct lr_buf *b);

/* ---- small helpers ---- */
/* strdup that accepts NULL (returns NULL). */
char *lr_strdup(const char *s);
/* malloc'd printf; NULL on out of memory. Caller frees. */
char *lr_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Join dir and name with '/' unless name is absolute. Caller frees. */
char *lr_path_join(const char *dir, const char *name);
/* Directory part of path ("." when none). Caller frees. */
char *lr_path_dir(const char *path);
/* Levenshtein distance of two short ASCII strings (capped at 255). */
int lr_edit_distance(const char *a, const char *b);
/* Monotonic seconds. */
double lr_now(void);
/* CPU seconds used so far by the calling thread / by the whole process (0 if the clock fails):
 * the timings logged beside wall times. */
double lr_cpu_thread(void);
double lr_cpu_process(void);

#define LR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
