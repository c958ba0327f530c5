/*
 * ustar.h - the POSIX ustar archive format (IEEE Std 1003.1, pax, "ustar
 * Interchange Format"), the format of the guest's system volume.
 *
 * Shared by the host, which builds volumes (loader/ustar.h) and validates
 * them, and the guest kernel, which reads its volume from an emulated disk
 * with the very same parsing code.  Hence this header is freestanding: it
 * includes only <stdbool.h>, <stddef.h> and <stdint.h>, calls no library
 * function, allocates nothing and never reads outside the image it is given.
 * (GCC may still emit calls to memset/memcpy for structure assignments; a
 * freestanding kernel provides those, as GCC requires.)
 *
 * An archive is a sequence of 512-byte blocks: for each member a header
 * block, then its data padded to a whole block; after the last member two
 * zero blocks.  What follows them (padding to a disk size) is ignored.
 * Numbers are octal ASCII.  GNU tar's "ustar  \0" magic is accepted too; its
 * old-GNU fields (atime, ctime, sparse maps) overlay the POSIX prefix field,
 * so with that magic the prefix is not used.  pax ('x', 'g') and GNU long
 * name ('L', 'K') members are reported as members of their own type, not
 * interpreted.
 */
#ifndef SHARED_USTAR_H
#define SHARED_USTAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USTAR_BLOCK      512u
#define USTAR_NAME_LEN   100u /* name field */
#define USTAR_PREFIX_LEN 155u /* prefix field: directories before the name */
#define USTAR_PATH_MAX   (USTAR_PREFIX_LEN + 1 + USTAR_NAME_LEN) /* prefix '/' name */
#define USTAR_SIZE_MAX   077777777777ull /* 11 octal digits: 8 GiB - 1 */

/* typeflag values */
#define USTAR_REGTYPE  '0'
#define USTAR_AREGTYPE '\0' /* regular file, from pre-POSIX writers */
#define USTAR_LNKTYPE  '1'  /* hard link */
#define USTAR_SYMTYPE  '2'
#define USTAR_CHRTYPE  '3'
#define USTAR_BLKTYPE  '4'
#define USTAR_DIRTYPE  '5'
#define USTAR_FIFOTYPE '6'
#define USTAR_CONTTYPE '7'

/* One header block.  Every field is ASCII; numbers are octal. */
struct ustar_header {
    char name[100];     /*   0 */
    char mode[8];       /* 100 */
    char uid[8];        /* 108 */
    char gid[8];        /* 116 */
    char size[12];      /* 124 */
    char mtime[12];     /* 136 */
    char chksum[8];     /* 148 */
    char typeflag;      /* 156 */
    char linkname[100]; /* 157 */
    char magic[6];      /* 257: "ustar\0" (POSIX) or "ustar " (GNU) */
    char version[2];    /* 263: "00" (POSIX) or " \0" (GNU) */
    char uname[32];     /* 265 */
    char gname[32];     /* 297 */
    char devmajor[8];   /* 329 */
    char devminor[8];   /* 337 */
    char prefix[155];   /* 345 */
    char pad[12];       /* 500 */
};
_Static_assert(sizeof(struct ustar_header) == USTAR_BLOCK, "a header is one block");

/* offset, length of a header field: for error reports */
#define USTAR_FIELD(f) offsetof(struct ustar_header, f), sizeof(((struct ustar_header *)0)->f)

/* A member as the parser found it. */
struct ustar_entry {
    uint64_t offset;                 /* of its header block in the image */
    char name[USTAR_PATH_MAX + 1];   /* prefix '/' name, NUL-terminated */
    char linkname[USTAR_NAME_LEN + 1];
    char type;                       /* typeflag, with '\0' reported as '0' */
    bool gnu;                        /* GNU magic "ustar  \0" */
    uint32_t mode, uid, gid, devmajor, devminor;
    uint64_t size, mtime;
    const uint8_t *data;             /* size bytes, inside the image */
};

enum ustar_problem {
    USTAR_OK,
    USTAR_TRUNCATED,      /* the image ends inside a header block */
    USTAR_NO_END,         /* the image ends without the two zero blocks */
    USTAR_LONE_ZERO,      /* a zero block not followed by a second one */
    USTAR_BAD_MAGIC,      /* magic or version is neither POSIX nor GNU */
    USTAR_BAD_CHECKSUM,   /* chksum does not match the header's bytes */
    USTAR_BAD_NUMBER,     /* a numeric field that is not octal */
    USTAR_EMPTY_NAME,     /* name is empty */
    USTAR_UNTERMINATED,   /* uname or gname has no NUL */
    USTAR_SIZE_NOT_ZERO,  /* a link, directory, device or FIFO claims data */
    USTAR_DATA_PAST_END,  /* the member's data runs past the end of the image */
};

/* What is wrong, and where; the host turns this into a sentence. */
struct ustar_fault {
    enum ustar_problem problem;
    uint64_t header;        /* offset of the header block concerned */
    const char *field;      /* the header field at fault, or NULL */
    uint64_t offset;        /* offset of that field (or of the problem) in the image */
    uint32_t length;        /* of that field */
    uint64_t value;         /* the value found (checksum, size, bytes left) */
    uint64_t expected;      /* what was expected (computed checksum, bytes available) */
};

struct ustar_cursor {
    const uint8_t *image;
    uint64_t size;
    uint64_t pos;           /* offset of the next header block */
    bool done;              /* the end-of-archive blocks were read */
};

static inline void ustar_begin(struct ustar_cursor *c, const void *image, uint64_t size)
{
    c->image = (const uint8_t *)image;
    c->size = size;
    c->pos = 0;
    c->done = false;
}

static inline const char *ustar_problem_text(enum ustar_problem p)
{
    switch (p) {
    case USTAR_OK:            return "no problem";
    case USTAR_TRUNCATED:     return "the image ends inside a header block";
    case USTAR_NO_END:        return "the image ends without the two zero blocks that end an archive";
    case USTAR_LONE_ZERO:     return "a zero block is not followed by a second one";
    case USTAR_BAD_MAGIC:     return "bad magic or version";
    case USTAR_BAD_CHECKSUM:  return "header checksum mismatch";
    case USTAR_BAD_NUMBER:    return "a numeric field is not an octal number";
    case USTAR_EMPTY_NAME:    return "empty name";
    case USTAR_UNTERMINATED:  return "a name field is not NUL-terminated";
    case USTAR_SIZE_NOT_ZERO: return "this type of member has no data, but its size is not 0";
    case USTAR_DATA_PAST_END: return "the member's data runs past the end of the image";
    }
    return "unknown problem";
}

static inline bool ustar_bytes_equal(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static inline bool ustar_is_zero_block(const uint8_t *b)
{
    for (unsigned i = 0; i < USTAR_BLOCK; i++)
        if (b[i])
            return false;
    return true;
}

/*
 * The header checksum: the sum of its 512 bytes as unsigned values, with the
 * chksum field counted as eight spaces.  Some historic writers summed signed
 * chars; *signed_sum (if not NULL) receives that variant, which GNU tar also
 * accepts.
 */
static inline uint32_t ustar_checksum(const struct ustar_header *h, int32_t *signed_sum)
{
    const uint8_t *b = (const uint8_t *)h;
    const size_t lo = offsetof(struct ustar_header, chksum), hi = lo + sizeof h->chksum;
    uint32_t u = 0;
    int32_t s = 0;
    for (size_t i = 0; i < USTAR_BLOCK; i++) {
        uint8_t c = i >= lo && i < hi ? (uint8_t)' ' : b[i];
        u += c;
        s += (int8_t)c;
    }
    if (signed_sum)
        *signed_sum = s;
    return u;
}

/*
 * An octal field: optional leading spaces, octal digits (they may fill the
 * field), then only NULs and spaces.  A field of only NULs and spaces is 0
 * when empty_ok; GNU base-256 numbers are refused.
 */
static inline bool ustar_octal(const char *f, size_t len, bool empty_ok, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    bool digits = false;
    while (i < len && f[i] == ' ')
        i++;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
        v = v << 3 | (uint64_t)(f[i] - '0'); /* at most 12 digits: no overflow */
        digits = true;
    }
    for (; i < len; i++)
        if (f[i] != '\0' && f[i] != ' ')
            return false;
    if (!digits && !empty_ok)
        return false;
    *out = v;
    return true;
}

/* Copy a name field up to its first NUL (it may have none); return its length. */
static inline size_t ustar_copy_name(char *dst, const char *src, size_t len)
{
    size_t n = 0;
    while (n < len && src[n]) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
    return n;
}

static inline bool ustar_has_nul(const char *f, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!f[i])
            return true;
    return false;
}

/* Record a fault about field (offset off, length len) of the header at c->pos. */
static inline int ustar_fail(const struct ustar_cursor *c, struct ustar_fault *f,
                             enum ustar_problem p, const char *field, size_t off, size_t len,
                             uint64_t value, uint64_t expected)
{
    f->problem = p;
    f->header = c->pos;
    f->field = field;
    f->offset = c->pos + off;
    f->length = (uint32_t)len;
    f->value = value;
    f->expected = expected;
    return -1;
}

/* Parse the numeric field at off (length len) of h. */
static inline int ustar_number(const struct ustar_cursor *c, struct ustar_fault *f,
                               const struct ustar_header *h, const char *field, size_t off,
                               size_t len, bool empty_ok, uint64_t *out)
{
    if (!ustar_octal((const char *)h + off, len, empty_ok, out))
        return ustar_fail(c, f, USTAR_BAD_NUMBER, field, off, len, 0, 0);
    return 0;
}

/* The end of the archive: two zero blocks (the first is at c->pos). */
static inline int ustar_end(struct ustar_cursor *c, struct ustar_fault *f)
{
    uint64_t left = c->size - c->pos;
    if (left < 2 * USTAR_BLOCK || !ustar_is_zero_block(c->image + c->pos + USTAR_BLOCK))
        return ustar_fail(c, f, USTAR_LONE_ZERO, NULL, 0, 0, 0, 0);
    c->pos += 2 * USTAR_BLOCK;
    c->done = true;
    return 0;
}

static inline int ustar_check_magic(const struct ustar_cursor *c, struct ustar_fault *f,
                                    const struct ustar_header *h, bool *gnu)
{
    *gnu = ustar_bytes_equal(h->magic, "ustar ", 6) && ustar_bytes_equal(h->version, " \0", 2);
    if (*gnu)
        return 0;
    if (!ustar_bytes_equal(h->magic, "ustar\0", 6))
        return ustar_fail(c, f, USTAR_BAD_MAGIC, "magic", USTAR_FIELD(magic), 0, 0);
    if (!ustar_bytes_equal(h->version, "00", 2))
        return ustar_fail(c, f, USTAR_BAD_MAGIC, "version", USTAR_FIELD(version), 0, 0);
    return 0;
}

static inline int ustar_check_sum(const struct ustar_cursor *c, struct ustar_fault *f,
                                  const struct ustar_header *h)
{
    uint64_t stored;
    if (ustar_number(c, f, h, "chksum", USTAR_FIELD(chksum), false, &stored))
        return -1;
    int32_t s;
    uint32_t u = ustar_checksum(h, &s);
    if (stored != u && stored != (uint64_t)(uint32_t)s)
        return ustar_fail(c, f, USTAR_BAD_CHECKSUM, "chksum", USTAR_FIELD(chksum), stored, u);
    return 0;
}

/* The numeric fields.  8-byte fields hold at most 8 octal digits: 24 bits. */
static inline int ustar_numbers(const struct ustar_cursor *c, struct ustar_fault *f,
                                const struct ustar_header *h, struct ustar_entry *e)
{
    static const struct {
        const char *name;
        size_t off, len;
        bool empty_ok; /* only the size must be written out */
    } nf[] = {
        { "mode", USTAR_FIELD(mode), true },         { "uid", USTAR_FIELD(uid), true },
        { "gid", USTAR_FIELD(gid), true },           { "size", USTAR_FIELD(size), false },
        { "mtime", USTAR_FIELD(mtime), true },       { "devmajor", USTAR_FIELD(devmajor), true },
        { "devminor", USTAR_FIELD(devminor), true },
    };
    uint64_t v[sizeof nf / sizeof nf[0]];
    for (size_t i = 0; i < sizeof nf / sizeof nf[0]; i++)
        if (ustar_number(c, f, h, nf[i].name, nf[i].off, nf[i].len, nf[i].empty_ok, &v[i]))
            return -1;
    e->mode = (uint32_t)v[0];
    e->uid = (uint32_t)v[1];
    e->gid = (uint32_t)v[2];
    e->size = v[3];
    e->mtime = v[4];
    e->devmajor = (uint32_t)v[5];
    e->devminor = (uint32_t)v[6];
    return 0;
}

static inline int ustar_names(const struct ustar_cursor *c, struct ustar_fault *f,
                              const struct ustar_header *h, struct ustar_entry *e)
{
    if (!h->name[0])
        return ustar_fail(c, f, USTAR_EMPTY_NAME, "name", USTAR_FIELD(name), 0, 0);
    if (!ustar_has_nul(h->uname, sizeof h->uname))
        return ustar_fail(c, f, USTAR_UNTERMINATED, "uname", USTAR_FIELD(uname), 0, 0);
    if (!ustar_has_nul(h->gname, sizeof h->gname))
        return ustar_fail(c, f, USTAR_UNTERMINATED, "gname", USTAR_FIELD(gname), 0, 0);
    size_t n = 0;
    if (!e->gnu && h->prefix[0]) {
        n = ustar_copy_name(e->name, h->prefix, sizeof h->prefix);
        e->name[n++] = '/';
    }
    ustar_copy_name(e->name + n, h->name, sizeof h->name);
    ustar_copy_name(e->linkname, h->linkname, sizeof h->linkname);
    return 0;
}

/* Members of these types have no data: their size must be 0. */
static inline bool ustar_type_has_data(char type)
{
    return type < USTAR_LNKTYPE || type > USTAR_FIFOTYPE;
}

/*
 * Read the member at the cursor and advance past its data.
 * Returns 1 with *e filled, 0 at the end of the archive (and on every call
 * after it), or -1 with *f saying what is wrong; the cursor then stays put.
 */
static inline int ustar_next(struct ustar_cursor *c, struct ustar_entry *e, struct ustar_fault *f)
{
    if (c->done)
        return 0;
    uint64_t left = c->size - c->pos;
    if (left < USTAR_BLOCK)
        return ustar_fail(c, f, left ? USTAR_TRUNCATED : USTAR_NO_END, NULL, 0, 0, left,
                          USTAR_BLOCK);
    const uint8_t *b = c->image + c->pos;
    if (ustar_is_zero_block(b))
        return ustar_end(c, f);
    const struct ustar_header *h = (const struct ustar_header *)b;
    e->offset = c->pos;
    e->type = h->typeflag ? h->typeflag : USTAR_REGTYPE;
    if (ustar_check_magic(c, f, h, &e->gnu) || ustar_check_sum(c, f, h) ||
        ustar_numbers(c, f, h, e) || ustar_names(c, f, h, e))
        return -1;
    if (e->size && !ustar_type_has_data(e->type))
        return ustar_fail(c, f, USTAR_SIZE_NOT_ZERO, "size", USTAR_FIELD(size), e->size, 0);
    /* e->size < 2^36 (12 octal digits): the sums below cannot wrap. */
    uint64_t data = (e->size + USTAR_BLOCK - 1) & ~(uint64_t)(USTAR_BLOCK - 1);
    if (e->size > left - USTAR_BLOCK)
        return ustar_fail(c, f, USTAR_DATA_PAST_END, "size", USTAR_FIELD(size), e->size,
                          left - USTAR_BLOCK);
    if (data > left - USTAR_BLOCK) /* the last block's padding is missing */
        return ustar_fail(c, f, USTAR_TRUNCATED, NULL, 0, 0, left, USTAR_BLOCK + data);
    e->data = b + USTAR_BLOCK;
    c->pos += USTAR_BLOCK + data;
    return 1;
}

static inline bool ustar_name_equal(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Find the member called name: 1 found, 0 not in the archive, -1 *f says why. */
static inline int ustar_find(const void *image, uint64_t size, const char *name,
                             struct ustar_entry *e, struct ustar_fault *f)
{
    struct ustar_cursor c;
    ustar_begin(&c, image, size);
    int r;
    while ((r = ustar_next(&c, e, f)) == 1)
        if (ustar_name_equal(e->name, name))
            return 1;
    return r;
}

/* The largest system volume the guest kernel reads (guest/kernel/volume.c);
 * mmulab refuses a larger one before boot (emu/program.c). */
#define USTAR_VOLUME_MAX (64ull << 20)

/* The data volume (disk DEV_DISK_DATA, `mmulab run --data FILE`): a ustar
 * archive whose regular files the guest opens by base name and rewrites in
 * place (they keep their sizes).  The kernel maps the pages holding its
 * headers (guest/kernel/volume.c), so it has a size limit too, checked by
 * mmulab before boot (emu/datavol.c), and so has a file's base name. */
#define USTAR_DATA_VOLUME_MAX (4ull << 30)
#define USTAR_DATA_NAME_MAX   63u

#endif
