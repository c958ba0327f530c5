/*
 * ustar_write.c - building a ustar volume image (see ustar.h).
 *
 * Fields are written as GNU tar writes them in --format=ustar: numbers as
 * zero-padded octal filling all but the last byte of the field, which is
 * NUL; the checksum as six digits, NUL, space.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/ustar.h"

#define VOLUME "volume" /* who, in messages about the volume as a whole */

void ustar_writer_init(struct ustar_writer *w)
{
    *w = (struct ustar_writer){ 0 };
}

void ustar_writer_free(struct ustar_writer *w)
{
    free(w->buf);
    ustar_writer_init(w);
}

static size_t round_up_block(size_t n)
{
    return (n + USTAR_BLOCK - 1) & ~(size_t)(USTAR_BLOCK - 1);
}

/* Append n zero bytes and return where they start, or NULL. */
static uint8_t *append(struct ustar_writer *w, size_t n, const char *who, struct loader_error *err)
{
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 64 * USTAR_BLOCK;
        while (cap - w->len < n) {
            if (cap > SIZE_MAX / 2) {
                loader_fail(err, who, "the volume would exceed the address space");
                return NULL;
            }
            cap *= 2;
        }
        uint8_t *buf = realloc(w->buf, cap);
        if (!buf) {
            loader_fail(err, who, "out of memory growing the volume to %zu bytes", cap);
            return NULL;
        }
        w->buf = buf;
        w->cap = cap;
    }
    uint8_t *p = w->buf + w->len;
    memset(p, 0, n);
    w->len += n;
    return p;
}

/* Refuse empty, ".", ".." and (except a directory's last) empty components. */
static bool check_components(const char *name, bool dir, struct loader_error *err)
{
    if (!*name)
        return loader_fail(err, "(empty name)", "a volume member needs a name");
    if (*name == '/')
        return loader_fail(err, name, "absolute names are not allowed in a volume");
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        bool last = p[n] == '\0' || (dir && p[n] == '/' && p[n + 1] == '\0');
        if (n == 0)
            return loader_fail(err, name, "empty path component");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return loader_fail(err, name, "'.' and '..' components are not allowed");
        if (!last && p[n] == '/' && p[n + 1] == '\0')
            return loader_fail(err, name, "a file name cannot end with '/'");
        p += n + (p[n] == '/');
        if (last)
            break;
    }
    return true;
}

/*
 * Where to split name into prefix and name fields: 0 if it fits the name
 * field alone, else the index of the '/' that separates them.
 */
static bool split_name(const char *name, size_t *split, struct loader_error *err)
{
    size_t len = strlen(name);
    *split = 0;
    if (len <= USTAR_NAME_LEN)
        return true;
    if (len > USTAR_PATH_MAX)
        return loader_fail(err, name, "name is %zu bytes; ustar holds at most %u (a %u-byte "
                           "prefix, '/', a %u-byte name)", len, USTAR_PATH_MAX,
                           USTAR_PREFIX_LEN, USTAR_NAME_LEN);
    /* The first '/' after which at most 100 bytes (and at least one) remain. */
    for (size_t i = 0; i < len; i++) {
        if (name[i] != '/' || len - i - 1 > USTAR_NAME_LEN || len - i - 1 == 0)
            continue;
        if (i > USTAR_PREFIX_LEN)
            break;
        *split = i;
        return true;
    }
    return loader_fail(err, name, "name is %zu bytes and has no '/' that leaves at most %u "
                       "bytes before it and between 1 and %u after it", len,
                       USTAR_PREFIX_LEN, USTAR_NAME_LEN);
}

/* Zero-padded octal in all but the field's last byte, which stays NUL. */
static void put_octal(char *field, size_t len, uint64_t v)
{
    for (size_t i = len - 1; i-- > 0; v >>= 3)
        field[i] = (char)('0' + (v & 7));
}

static void fill_header(struct ustar_header *h, const char *name, size_t split, char type,
                        uint64_t size, unsigned mode)
{
    if (split) {
        memcpy(h->prefix, name, split);
        name += split + 1;
    }
    memcpy(h->name, name, strlen(name)); /* NUL-padded; no NUL when it is 100 bytes */
    put_octal(h->mode, sizeof h->mode, mode);
    put_octal(h->uid, sizeof h->uid, 0);
    put_octal(h->gid, sizeof h->gid, 0);
    put_octal(h->size, sizeof h->size, size);
    put_octal(h->mtime, sizeof h->mtime, 0);
    h->typeflag = type;
    memcpy(h->magic, "ustar", 6);
    memcpy(h->version, "00", 2);
    put_octal(h->devmajor, sizeof h->devmajor, 0);
    put_octal(h->devminor, sizeof h->devminor, 0);
    put_octal(h->chksum, sizeof h->chksum - 1, ustar_checksum(h, NULL));
    h->chksum[sizeof h->chksum - 1] = ' ';
}

static bool add_member(struct ustar_writer *w, const char *name, char type, const void *data,
                       size_t size, unsigned mode, struct loader_error *err)
{
    size_t split;
    if (w->finished)
        return loader_fail(err, name, "the volume is already finished");
    if (mode > 07777)
        return loader_fail(err, name, "mode 0%o has bits other than permissions (07777)", mode);
    if (size > USTAR_SIZE_MAX)
        return loader_fail(err, name, "%zu bytes is more than a ustar member holds (%llu)",
                           size, USTAR_SIZE_MAX);
    if (!check_components(name, type == USTAR_DIRTYPE, err) || !split_name(name, &split, err))
        return false;
    uint8_t *p = append(w, USTAR_BLOCK + round_up_block(size), name, err);
    if (!p)
        return false;
    fill_header((struct ustar_header *)p, name, split, type, size, mode);
    if (size)
        memcpy(p + USTAR_BLOCK, data, size);
    return true;
}

bool ustar_add_file(struct ustar_writer *w, const char *name, const void *data, size_t size,
                    unsigned mode, struct loader_error *err)
{
    return add_member(w, name, USTAR_REGTYPE, data, size, mode, err);
}

bool ustar_add_dir(struct ustar_writer *w, const char *name, unsigned mode,
                   struct loader_error *err)
{
    size_t len = strlen(name);
    if (len && name[len - 1] == '/')
        return add_member(w, name, USTAR_DIRTYPE, NULL, 0, mode, err);
    char *slashed = malloc(len + 2);
    if (!slashed)
        return loader_fail(err, name, "out of memory");
    memcpy(slashed, name, len);
    memcpy(slashed + len, "/", 2);
    bool ok = add_member(w, slashed, USTAR_DIRTYPE, NULL, 0, mode, err);
    free(slashed);
    return ok;
}

bool ustar_finish(struct ustar_writer *w, size_t multiple, struct loader_error *err)
{
    if (w->finished)
        return loader_fail(err, VOLUME, "already finished");
    if (multiple % USTAR_BLOCK)
        return loader_fail(err, VOLUME, "padding to a multiple of %zu bytes: not a multiple of "
                           "the %u-byte block", multiple, USTAR_BLOCK);
    size_t end = w->len + 2 * USTAR_BLOCK, rem = multiple ? end % multiple : 0;
    if (rem && end > SIZE_MAX - (multiple - rem))
        return loader_fail(err, VOLUME, "padding to a multiple of %zu bytes overflows", multiple);
    if (!append(w, end - w->len + (rem ? multiple - rem : 0), VOLUME, err))
        return false;
    w->finished = true;
    return true;
}
