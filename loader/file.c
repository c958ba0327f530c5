/*
 * file.c - whole-file input and output (see file.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader/file.h"

/* Size of an open regular file, refusing what we cannot hold in one buffer. */
static bool regular_file_size(FILE *f, const char *path, size_t *size, struct loader_error *err)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return loader_fail(err, path, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return loader_fail(err, path, "not a regular file");
    if ((unsigned long long)st.st_size > LOADER_FILE_MAX)
        return loader_fail(err, path, "file is %lld bytes; the loader reads at most %llu",
                           (long long)st.st_size, LOADER_FILE_MAX);
    *size = (size_t)st.st_size;
    return true;
}

bool loader_read_file(const char *path, uint8_t **data, size_t *size, struct loader_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return loader_fail(err, path, "cannot open: %s", strerror(errno));
    size_t n = 0;
    uint8_t *buf = NULL;
    bool ok = regular_file_size(f, path, &n, err);
    if (ok && !(buf = malloc(n ? n : 1)))
        ok = loader_fail(err, path, "out of memory reading %zu bytes", n);
    /* A file that shrinks under us reads short: report it, never use stale bytes. */
    if (ok && fread(buf, 1, n, f) != n)
        ok = loader_fail(err, path, "read error: %s", ferror(f) ? strerror(errno)
                                                              : "file shrank while reading");
    fclose(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *data = buf;
    *size = n;
    return true;
}

bool loader_write_file(const char *path, const void *data, size_t size, struct loader_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return loader_fail(err, path, "cannot create: %s", strerror(errno));
    bool ok = fwrite(data, 1, size, f) == size;
    if (!ok)
        loader_fail(err, path, "write error: %s", strerror(errno));
    if (fclose(f) != 0 && ok)
        ok = loader_fail(err, path, "write error on close: %s", strerror(errno));
    return ok;
}
