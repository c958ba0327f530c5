/*
 * pagefile.h - the paging file `mmulab run` gives the guest kernel: a host
 * file attached read-write as disk 1, where the NT-like kernel looks for it
 * (docs/cli.md, "The paging file").  Its contents do not survive a run: the
 * file is created, or emptied, at the size asked for (a sparse file: the
 * host's disk is used only by the pages written), so runs are reproducible.
 * Without --pagefile it is a temporary file, removed as soon as the machine
 * has it open.
 */
#ifndef EMU_PAGEFILE_H
#define EMU_PAGEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGEFILE_MIN_DEFAULT (64ull << 20) /* the default: the RAM size, at least this */
#define PAGEFILE_MAX (16ull << 30)         /* the kernel's largest (pagefile.c) */
#define PAGEFILE_UNIT 4096ull              /* a slot: one page */

/* The default size for a machine of ram bytes. */
uint64_t pagefile_default_size(uint64_t ram);

/* Make the paging file: at path (created or emptied), or, with path NULL, a
 * temporary file (*temporary set; the caller unlinks out once the machine
 * has opened it).  out receives the path to attach.  False, with a message,
 * if the host file cannot be made. */
bool pagefile_create(const char *path, uint64_t size, char *out, size_t outlen, bool *temporary,
                     char *err, size_t errlen);

#endif /* EMU_PAGEFILE_H */
