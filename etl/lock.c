/* lock.c - one run at a time per output folder (see lock.h). */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pid written in the lock file, 0 when there is none. */
static long
read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    char *end;
    long pid;

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

/* true when fd is still the file at path (a releasing holder unlinks it before closing). */
static bool
still_linked(int fd, const char *path)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Open and flock the lock file; *fd = -1 and rc LR_OK when the file was replaced under us. */
static enum lr_rc
try_lock(const char *path, int *fd, struct lr_err *err)
{
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (*fd < 0)
        return lr_err_set(err, LR_ERR_IO, "cannot create the lock file '%s': %s", path,
                          strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long holder = read_pid(*fd);

        close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK)
            return lr_err_set(err, LR_ERR_INTERNAL,
                              "another landrec run (pid %ld) is using this output folder: lock "
                              "'%s' is held; wait for it to finish or use another --out",
                              holder, path);
        return lr_err_set(err, LR_ERR_IO, "cannot lock '%s': %s", path, strerror(e));
    }
    if (!still_linked(*fd, path)) {
        close(*fd);
        *fd = -1;
    }
    return LR_OK;
}

static enum lr_rc
write_pid(int fd, const char *path, struct lr_err *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n || fsync(fd) != 0)
        return lr_err_set(err, LR_ERR_IO, "cannot write the lock file '%s': %s", path,
                          strerror(errno));
    return LR_OK;
}

enum lr_rc
lr_lock_acquire(struct lr_lock *lk, const char *dir, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    long stale;
    int fd = -1;

    lk->fd = -1;
    lk->path = lr_path_join(dir, LR_LOCK_FILE);
    if (!lk->path)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (int attempt = 0; attempt < 16 && fd < 0 && rc == LR_OK; attempt++)
        rc = try_lock(lk->path, &fd, err);
    if (rc == LR_OK && fd < 0)
        rc =
            lr_err_set(err, LR_ERR_IO, "cannot lock '%s': the file keeps being replaced", lk->path);
    if (rc != LR_OK) {
        free(lk->path);
        lk->path = NULL;
        return rc;
    }
    stale = read_pid(fd);
    if (stale > 0 && stale != (long)getpid())
        lr_log(LR_LOG_WARN, "run", NULL,
               "taking over the stale lock '%s' of pid %ld, which no longer holds it", lk->path,
               stale);
    lk->fd = fd;
    rc = write_pid(fd, lk->path, err);
    if (rc != LR_OK)
        lr_lock_release(lk);
    return rc;
}

void
lr_lock_release(struct lr_lock *lk)
{
    if (!lk->path)
        return;
    if (lk->fd >= 0) {
        unlink(lk->path); /* before close: a waiter that opened this file sees it unlinked */
        close(lk->fd);
    }
    free(lk->path);
    lk->path = NULL;
    lk->fd = -1;
}
