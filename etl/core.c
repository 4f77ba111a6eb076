/* core.c - errors, logging, string buffer and small helpers (see core.h). */
#define _POSIX_C_SOURCE 200809L
#include "core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum lr_rc
lr_err_set(struct lr_err *err, enum lr_rc rc, const char *fmt, ...)
{
    va_list ap;

    if (!err || err->rc != LR_OK)
        return rc;
    err->rc = rc;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return rc;
}

void
lr_err_clear(struct lr_err *err)
{
    err->rc = LR_OK;
    err->msg[0] = '\0';
}

int
lr_rc_exit_code(enum lr_rc rc)
{
    switch (rc) {
    case LR_OK:
        return 0;
    case LR_ERR_USAGE:
    case LR_ERR_CONFIG:
        return 2;
    case LR_ERR_INPUT:
        return 3;
    case LR_ERR_WAREHOUSE:
        return 4;
    case LR_ERR_GATE:
        return 5;
    case LR_ERR_INTERRUPTED:
        return 130;
    case LR_ERR_INTERNAL:
    case LR_ERR_NOMEM:
    case LR_ERR_IO:
        break;
    }
    return 1;
}

static enum lr_log_level log_level = LR_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
lr_log_set_level(enum lr_log_level level)
{
    log_level = level;
}

enum lr_log_level
lr_log_get_level(void)
{
    return log_level;
}

void
lr_log(enum lr_log_level level, const char *stage, const char *scope, const char *fmt, ...)
{
    static const char *const names[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };
    char stamp[32];
    char line[2048];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    if (level > log_level)
        return;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_lock);
    if (stage)
        fprintf(stderr, "%s %s [%s%s%s] %s\n", stamp, names[level], stage, scope ? " " : "",
                scope ? scope : "", line);
    else
        fprintf(stderr, "%s %s %s\n", stamp, names[level], line);
    pthread_mutex_unlock(&log_lock);
}

void
lr_buf_init(struct lr_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
lr_buf_release(struct lr_buf *b)
{
    free(b->data);
    lr_buf_init(b);
}

void
lr_buf_reset(struct lr_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum lr_rc
buf_grow(struct lr_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : 64;
    char *p;

    if (need <= b->cap)
        return LR_OK;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        return LR_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return LR_OK;
}

enum lr_rc
lr_buf_add(struct lr_buf *b, const char *s, size_t n)
{
    if (buf_grow(b, n) != LR_OK)
        return LR_ERR_NOMEM;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return LR_OK;
}

enum lr_rc
lr_buf_adds(struct lr_buf *b, const char *s)
{
    return lr_buf_add(b, s, strlen(s));
}

enum lr_rc
lr_buf_addc(struct lr_buf *b, char c)
{
    return lr_buf_add(b, &c, 1);
}

enum lr_rc
lr_buf_addf(struct lr_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_grow(b, (size_t)n) != LR_OK)
        return LR_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return LR_OK;
}

enum lr_rc
lr_buf_add_csv(struct lr_buf *b, const char *s)
{
    const char *p;

    if (!s)
        return LR_OK;
    if (!strpbrk(s, ",\"\r\n"))
        return lr_buf_adds(b, s);
    if (lr_buf_addc(b, '"') != LR_OK)
        return LR_ERR_NOMEM;
    for (p = s; *p; p++) {
        if (*p == '"' && lr_buf_addc(b, '"') != LR_OK)
            return LR_ERR_NOMEM;
        if (lr_buf_addc(b, *p) != LR_OK)
            return LR_ERR_NOMEM;
    }
    return lr_buf_addc(b, '"');
}

char *
lr_buf_detach(struct lr_buf *b)
{
    char *s = b->data;

    if (!s)
        s = calloc(1, 1);
    lr_buf_init(b);
    return s;
}

char *
lr_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *
lr_asprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

char *
lr_path_join(const char *dir, const char *name)
{
    if (!name)
        return NULL;
    if (name[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0)
        return strdup(name);
    return lr_asprintf("%s/%s", dir, name);
}

char *
lr_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int
lr_edit_distance(const char *a, const char *b)
{
    int prev[64], cur[64];
    size_t la = strlen(a), lb = strlen(b);

    if (la > 63 || lb > 63)
        return 255;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb] > 255 ? 255 : prev[lb];
}

double
lr_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
clock_seconds(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
lr_cpu_thread(void)
{
    return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

double
lr_cpu_process(void)
{
    return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}
