/* io.c - safe output files and checksums (see io.h). */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum lr_rc
lr_out_open(struct lr_out *o, const char *path, struct lr_err *err)
{
    int fd;

    memset(o, 0, sizeof(*o));
    o->path = strdup(path);
    o->tmp_path = lr_asprintf("%s.tmp", path);
    if (!o->path || !o->tmp_path) {
        lr_out_abort(o);
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    }
    fd = open(o->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        lr_err_set(err, LR_ERR_IO, "cannot create '%s': %s", o->tmp_path, strerror(e));
        lr_out_abort(o);
        return LR_ERR_IO;
    }
    return LR_OK;
}

enum lr_rc
lr_out_write(struct lr_out *o, const char *data, size_t n, struct lr_err *err)
{
    if (n && fwrite(data, 1, n, o->f) != n)
        return lr_err_set(err, LR_ERR_IO, "cannot write '%s': %s", o->tmp_path, strerror(errno));
    return LR_OK;
}

static enum lr_rc
commit(struct lr_out *o, bool sync, struct lr_err *err)
{
    enum lr_rc rc = LR_OK;
    FILE *f = o->f;

    o->f = NULL;
    if (fflush(f) != 0 || (sync && fsync(fileno(f)) != 0))
        rc = lr_err_set(err, LR_ERR_IO, "cannot write '%s': %s", o->tmp_path, strerror(errno));
    if (fclose(f) != 0 && rc == LR_OK)
        rc = lr_err_set(err, LR_ERR_IO, "cannot close '%s': %s", o->tmp_path, strerror(errno));
    if (rc == LR_OK && rename(o->tmp_path, o->path) != 0)
        rc = lr_err_set(err, LR_ERR_IO, "cannot rename '%s': %s", o->tmp_path, strerror(errno));
    if (rc != LR_OK)
        unlink(o->tmp_path);
    free(o->path);
    free(o->tmp_path);
    memset(o, 0, sizeof(*o));
    return rc;
}

enum lr_rc
lr_out_commit(struct lr_out *o, struct lr_err *err)
{
    return commit(o, true, err);
}

enum lr_rc
lr_out_commit_unsynced(struct lr_out *o, struct lr_err *err)
{
    return commit(o, false, err);
}

void
lr_out_abort(struct lr_out *o)
{
    if (o->f) {
        fclose(o->f);
        unlink(o->tmp_path);
    }
    free(o->path);
    free(o->tmp_path);
    memset(o, 0, sizeof(*o));
}

enum lr_rc
lr_io_write_file(const char *path, const char *data, size_t n, struct lr_err *err)
{
    struct lr_out o;
    enum lr_rc rc = lr_out_open(&o, path, err);

    if (rc != LR_OK)
        return rc;
    rc = lr_out_write(&o, data, n, err);
    if (rc != LR_OK) {
        lr_out_abort(&o);
        return rc;
    }
    return lr_out_commit(&o, err);
}

void
lr_io_sha256_hex(const unsigned char digest[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

enum lr_rc
lr_io_sha256_file(const char *path, char hex[65], struct lr_err *err)
{
    unsigned char buf[1 << 16], digest[32];
    EVP_MD_CTX *md = NULL;
    FILE *f = NULL;
    enum lr_rc rc = LR_OK;
    size_t n;

    f = fopen(path, "rb");
    if (!f)
        return lr_err_set(err, LR_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = lr_err_set(err, LR_ERR_NOMEM, "cannot start sha256");
        goto out;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    if (ferror(f)) {
        rc = lr_err_set(err, LR_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    EVP_DigestFinal_ex(md, digest, NULL);
    lr_io_sha256_hex(digest, hex);
out:
    EVP_MD_CTX_free(md);
    fclose(f);
    return rc;
}

enum lr_rc
lr_io_mkdirs(const char *path, int mode, struct lr_err *err)
{
    char *p = strdup(path);

    if (!p)
        return lr_err_set(err, LR_ERR_NOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                lr_err_set(err, LR_ERR_IO, "cannot create folder '%s': %s", p, strerror(errno));
                free(p);
                return LR_ERR_IO;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return LR_OK;
}

void
lr_io_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

enum lr_rc
lr_io_remove_tree(const char *path, struct lr_err *err)
{
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return lr_err_set(err, LR_ERR_IO, "cannot remove '%s': %s", path, strerror(errno));
    return LR_OK;
}

char *
lr_io_latest_run(const char *output)
{
    char *link = lr_asprintf("%s/latest", output);
    char target[PATH_MAX];
    ssize_t n = link ? readlink(link, target, sizeof(target) - 1) : -1;

    free(link);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    return strchr(target, '/') ? NULL : strdup(target);
}
