/* lock.h - one run at a time per output folder: OUTPUT/.landrec.lock holds the holder's pid
 * under an exclusive flock(2). The kernel drops the flock when the holder dies, so a lock file
 * left by a killed run is stale by construction: the next run takes it over with a warning. */
#ifndef LR_LOCK_H
#define LR_LOCK_H

#include "core.h"

#define LR_LOCK_FILE ".landrec.lock"

struct lr_lock {
    int fd;     /* -1 when not held */
    char *path; /* OUTPUT/.landrec.lock */
};

/* Take the lock of folder dir (which must exist). A lock held by a live run is LR_ERR_INTERNAL
 * (exit 1) naming the holder's pid and the lock file; a stale one is taken over with a WARN. */
enum lr_rc lr_lock_acquire(struct lr_lock *lk, const char *dir, struct lr_err *err);
/* Remove the lock file and drop the lock; safe on a zeroed or released lock. */
void lr_lock_release(struct lr_lock *lk);

#endif
