/*
 * ustar.h - building and validating ustar volume images on the host.
 *
 * The guest's system volume is a POSIX ustar archive (see shared/ustar.h
 * for the format and the parser the guest kernel shares), so `tar` can
 * create and read one as well.  The writer is deterministic: mtime, uid and
 * gid are 0 and owner names empty, so the same members in the same order
 * give byte-identical volumes.
 */
#ifndef LOADER_USTAR_H
#define LOADER_USTAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/error.h"
#include "shared/ustar.h"

/* ---- writer ---- */

struct ustar_writer {
    uint8_t *buf;     /* the volume so far (malloc'd) */
    size_t len, cap;
    bool finished;    /* the end-of-archive blocks are written */
};

void ustar_writer_init(struct ustar_writer *w);
void ustar_writer_free(struct ustar_writer *w);

/*
 * Append a regular file.  name is a relative path of at most 100 bytes, or
 * at most 256 if it can be split at a '/' into a prefix of at most 155 bytes
 * and a final part of at most 100; no "." or ".." components, no empty ones.
 * mode holds permission bits only (at most 07777).  data may be NULL when
 * size is 0.
 */
bool ustar_add_file(struct ustar_writer *w, const char *name, const void *data, size_t size,
                    unsigned mode, struct loader_error *err);

/* Append a directory; a '/' is added to name if it has none at the end. */
bool ustar_add_dir(struct ustar_writer *w, const char *name, unsigned mode,
                   struct loader_error *err);

/*
 * Write the two zero blocks that end the archive, then zeros up to a
 * multiple of `multiple` bytes (0 for none; else a multiple of 512, such as
 * a sector or a disk size).  The volume is then w->buf[0 .. w->len).
 */
bool ustar_finish(struct ustar_writer *w, size_t multiple, struct loader_error *err);

/* ---- reader ---- */

struct ustar_reader {
    struct ustar_cursor cur;
    const char *name;  /* of the image, for messages */
};

void ustar_reader_init(struct ustar_reader *r, const void *image, size_t size, const char *name);

/*
 * The next member: 1 with *e filled (e->data points into the image), 0 at
 * the end of the archive, -1 with err naming the offset, field and value.
 */
int ustar_reader_next(struct ustar_reader *r, struct ustar_entry *e, struct loader_error *err);

/* Read a whole image; *count (if not NULL) gets the number of members. */
bool ustar_validate(const void *image, size_t size, const char *name, unsigned *count,
                    struct loader_error *err);

#endif
