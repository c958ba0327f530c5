/*
 * pagefile.c - the paging file of `mmulab run` (see pagefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/pagefile.h"

uint64_t pagefile_default_size(uint64_t ram)
{
    uint64_t size = ram > PAGEFILE_MIN_DEFAULT ? ram : PAGEFILE_MIN_DEFAULT;
    return (size + PAGEFILE_UNIT - 1) / PAGEFILE_UNIT * PAGEFILE_UNIT;
}

/* A regular file of size bytes, all zero (truncated, then extended: sparse). */
static bool size_file(int fd, uint64_t size, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "--pagefile %s: not a regular file", path);
        return false;
    }
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)size) != 0) {
        snprintf(err, errlen, "--pagefile %s: cannot make it %llu bytes: %s", path,
                 (unsigned long long)size, strerror(errno));
        return false;
    }
    return true;
}

bool pagefile_create(const char *path, uint64_t size, char *out, size_t outlen, bool *temporary,
                     char *err, size_t errlen)
{
    int fd;
    *temporary = !path;
    if (path) {
        snprintf(out, outlen, "%s", path);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    } else {
        const char *dir = getenv("TMPDIR");
        snprintf(out, outlen, "%s/mmulab-pagefile-XXXXXX",
                 dir && *dir && strlen(dir) < outlen - 32 ? dir : "/tmp");
        fd = mkstemp(out);
    }
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: cannot create: %s", path ? "--pagefile" : "paging file",
                 out, strerror(errno));
        return false;
    }
    bool ok = size_file(fd, size, out, err, errlen);
    close(fd);
    if (!ok && *temporary)
        unlink(out);
    return ok;
}
