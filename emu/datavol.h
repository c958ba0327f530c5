/*
 * datavol.h - `mmulab run --data FILE`: the data volume, checked before boot.
 *
 * FILE is a ustar archive attached read-write as disk DEV_DISK_DATA; the
 * guest kernel opens its regular files by base name (case-insensitively)
 * and rewrites them in place, so they keep their sizes and the archive stays
 * a valid one: after mmulab exits, `tar -x` gives what the guest wrote.
 */
#ifndef EMU_DATAVOL_H
#define EMU_DATAVOL_H

#include <stdbool.h>
#include <stddef.h>

/* Check FILE (a regular file, a whole number of sectors, a valid archive no
 * larger than USTAR_DATA_VOLUME_MAX, base names the kernel can tell apart
 * and hold); false with one line in msg naming the problem. */
bool datavol_check(const char *path, char *msg, size_t msglen);

#endif
