/*
 * ustar_read.c - reading and validating a ustar volume on the host: the
 * parser of shared/ustar.h, with its faults turned into sentences.
 */
#include <inttypes.h>
#include <stdio.h>

#include "loader/ustar.h"

#define X "0x%" PRIx64

void ustar_reader_init(struct ustar_reader *r, const void *image, size_t size, const char *name)
{
    ustar_begin(&r->cur, image, size);
    r->name = name;
}

/* A field's bytes as a C string literal body: printable ASCII, else escapes. */
static const char *quote(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < outlen; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\')
            n += (size_t)snprintf(out + n, outlen - n, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, outlen - n, "\\%03o", c); /* 3 digits: unambiguous */
    }
    out[n] = '\0';
    return out;
}

/* The sentence for a fault in a header field. */
static void describe_field(const struct ustar_reader *r, const struct ustar_fault *f,
                           struct loader_error *err)
{
    const uint8_t *img = r->cur.image;
    char q[96], v[16], what[192];
    switch (f->problem) {
    case USTAR_BAD_MAGIC:
        snprintf(what, sizeof what, "is wrong: magic \"%s\", version \"%s\"; expected magic "
                 "\"ustar\\000\" with \"00\" (POSIX) or \"ustar \" with \" \\000\" (GNU)",
                 quote(img + f->header + offsetof(struct ustar_header, magic), 6, q, sizeof q),
                 quote(img + f->header + offsetof(struct ustar_header, version), 2, v, sizeof v));
        break;
    case USTAR_BAD_CHECKSUM:
        snprintf(what, sizeof what, "holds %" PRIo64 " (octal), but the header's bytes sum to %"
                 PRIo64, f->value, f->expected);
        break;
    case USTAR_BAD_NUMBER:
        snprintf(what, sizeof what, "is \"%s\", not an octal number",
                 quote(img + f->offset, f->length, q, sizeof q));
        break;
    case USTAR_SIZE_NOT_ZERO:
        snprintf(what, sizeof what, "is %" PRIu64 ", but a member of type '%c' has no data",
                 f->value, img[f->header + offsetof(struct ustar_header, typeflag)]);
        break;
    case USTAR_DATA_PAST_END:
        snprintf(what, sizeof what, "is %" PRIu64 " bytes, but only %" PRIu64 " bytes of the "
                 "image follow the header", f->value, f->expected);
        break;
    default: /* USTAR_EMPTY_NAME, USTAR_UNTERMINATED */
        snprintf(what, sizeof what, "%s", f->problem == USTAR_EMPTY_NAME ? "is empty"
                                                                        : "has no NUL byte");
        break;
    }
    loader_fail(err, r->name, "header at offset " X ": field %s (offset " X ") %s", f->header,
                f->field, f->offset, what);
}

static void describe(const struct ustar_reader *r, const struct ustar_fault *f,
                     struct loader_error *err)
{
    switch (f->problem) {
    case USTAR_TRUNCATED:
        loader_fail(err, r->name, "truncated: the member at offset " X " needs %" PRIu64
                    " bytes (whole %u-byte blocks), but only %" PRIu64 " are left", f->header,
                    f->expected, USTAR_BLOCK, f->value);
        break;
    case USTAR_NO_END:
        loader_fail(err, r->name, "the image ends at offset " X " without the two zero blocks "
                    "that end an archive", f->header);
        break;
    case USTAR_LONE_ZERO:
        loader_fail(err, r->name, "the zero block at offset " X " is not followed by a second "
                    "one (an archive ends with two)", f->header);
        break;
    default:
        describe_field(r, f, err);
        break;
    }
}

int ustar_reader_next(struct ustar_reader *r, struct ustar_entry *e, struct loader_error *err)
{
    struct ustar_fault f;
    int rc = ustar_next(&r->cur, e, &f);
    if (rc < 0)
        describe(r, &f, err);
    return rc;
}

bool ustar_validate(const void *image, size_t size, const char *name, unsigned *count,
                    struct loader_error *err)
{
    struct ustar_reader r;
    struct ustar_entry e;
    unsigned n = 0;
    int rc;
    ustar_reader_init(&r, image, size, name);
    while ((rc = ustar_reader_next(&r, &e, err)) == 1)
        n++;
    if (count)
        *count = n;
    return rc == 0;
}
