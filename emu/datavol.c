/*
 * datavol.c - the checks of `mmulab run --data FILE` (see datavol.h).  The
 * archive is mapped, not read: the parser touches its header blocks only,
 * so a volume of gigabytes costs no more than its headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/datavol.h"
#include "loader/ustar.h"
#include "shared/devices.h"

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* The members' base names: too long, or two the kernel cannot tell apart. */
static bool check_names(const char *path, const uint8_t *image, size_t size, char *msg,
                        size_t len)
{
    struct ustar_reader r;
    struct ustar_entry e;
    struct loader_error err;
    char (*names)[USTAR_PATH_MAX + 1] = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    int rc;
    ustar_reader_init(&r, image, size, path);
    while (ok && (rc = ustar_reader_next(&r, &e, &err)) == 1) {
        if (e.type != USTAR_REGTYPE)
            continue;
        const char *b = base_name(e.name);
        if (strlen(b) > USTAR_DATA_NAME_MAX) {
            snprintf(msg, len, "--data %s: %s: a base name longer than %u bytes (the kernel "
                     "keeps %u)", path, e.name, USTAR_DATA_NAME_MAX, USTAR_DATA_NAME_MAX);
            ok = false;
            break;
        }
        for (size_t i = 0; i < n && ok; i++)
            if (strcasecmp(base_name(names[i]), b) == 0) {
                snprintf(msg, len, "--data %s: %s and %s would be one file: the kernel finds "
                         "files by base name, case-insensitively", path, names[i], e.name);
                ok = false;
            }
        if (ok && n == cap) {
            cap = cap ? 2 * cap : 16;
            void *bigger = realloc(names, cap * sizeof *names);
            if (!bigger) {
                snprintf(msg, len, "--data %s: out of memory", path);
                ok = false;
                break;
            }
            names = bigger;
        }
        if (ok)
            snprintf(names[n++], sizeof names[0], "%s", e.name);
    }
    if (ok && rc < 0) {
        snprintf(msg, len, "--data %s", err.msg);
        ok = false;
    }
    free(names);
    return ok;
}

bool datavol_check(const char *path, char *msg, size_t len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(msg, len, "--data %s: cannot open: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = false;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        snprintf(msg, len, "--data %s: not a regular file", path);
    else if (st.st_size == 0 || st.st_size % DISK_SECTOR_SIZE)
        snprintf(msg, len, "--data %s: %lld bytes, not a whole number of %d-byte sectors (a "
                 "ustar archive is)", path, (long long)st.st_size, DISK_SECTOR_SIZE);
    else if ((uint64_t)st.st_size > USTAR_DATA_VOLUME_MAX)
        snprintf(msg, len, "--data %s: %lld bytes; the kernel takes a data volume of at most "
                 "%llu (4 GiB)", path, (long long)st.st_size,
                 (unsigned long long)USTAR_DATA_VOLUME_MAX);
    else
        ok = true;
    if (ok) {
        void *image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (image == MAP_FAILED) {
            snprintf(msg, len, "--data %s: cannot map: %s", path, strerror(errno));
            ok = false;
        } else {
            ok = check_names(path, image, (size_t)st.st_size, msg, len);
            munmap(image, (size_t)st.st_size);
        }
    }
    close(fd);
    return ok;
}
