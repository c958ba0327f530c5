/*
 * pe.h - the PE32+ parser and validator (pe.c): pure functions over bytes,
 * shared by the kernel's image loader and the host's unit and fuzz tests.
 * Freestanding: no library calls, no allocation, every read checked.
 *
 * Two levels, as Windows has them:
 *   - pe_parse_headers() checks the headers and the section table, from the
 *     first bytes of the file (what an image section needs: its layout).
 *   - the table walkers read the image *as mapped* (by RVA) through a
 *     reader: the kernel's reads page the image in from its section, the
 *     host's read a flat file (pe_flat_read).  They check base relocations,
 *     imports and exports while they walk them.
 * Every failure fills a struct pe_error naming the field, where it is and
 * the value found.
 */
#ifndef GUEST_KERNEL_PE_H
#define GUEST_KERNEL_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/nt/status.h"
#include "shared/pe.h"

#define PE_MAX_SECTIONS 96u            /* Windows's limit */
#define PE_HEADER_BYTES 4096u          /* the headers the kernel reads: one page */
#define PE_MAX_IMAGE (512u << 20)      /* largest SizeOfImage accepted */
#define PE_NAME_MAX 256u               /* DLL and export names, NUL included */
#define PE_MAX_IMPORT_DLLS 256u
#define PE_MAX_THUNKS 65536u           /* per imported DLL */
#define PE_MAX_EXPORTS 65536u
#define PE_USER_TOP 0x7fffffff0000ull  /* an image must fit below (shared/nt/memory.h) */

struct pe_error {
    ntk_status status;
    const char *field;          /* e.g. "OptionalHeader.SectionAlignment" */
    int index;                  /* section / descriptor / entry number, or -1 */
    bool rva;                   /* offset is an RVA (else a file offset) */
    uint64_t offset;
    uint64_t value;
};

/* One section as mapped: [va, va + extent) of the image, whose first
 * file_bytes come from the file at raw_offset (the rest is zero). */
struct pe_section {
    uint32_t va, extent;
    uint32_t raw_offset, file_bytes;
    uint32_t characteristics;
    uint32_t protect;           /* NTK_PAGE_* (contract item 8) */
};

struct pe_info {
    uint64_t file_size;
    uint64_t image_base;
    uint32_t size_of_image;     /* rounded up to SectionAlignment */
    uint32_t size_of_headers;
    uint32_t entry;             /* AddressOfEntryPoint (RVA; 0: none) */
    uint32_t section_alignment, file_alignment;
    uint16_t characteristics, dll_characteristics, subsystem;
    uint64_t stack_reserve, stack_commit;
    struct pe_data_directory dir[PE_NUMBEROF_DIRECTORY_ENTRIES]; /* absent: 0, 0 */
    unsigned nsections;
    struct pe_section sec[PE_MAX_SECTIONS];
};

/* Reads len bytes of the mapped image at rva (inside SizeOfImage); false on
 * an error (the kernel: an in-page error; *status says which). */
struct pe_reader {
    void *ctx;
    bool (*read)(void *ctx, uint32_t rva, void *dst, uint32_t len);
};

/* Headers and section table from the first hdr_len bytes of a file of
 * file_size bytes.  0 or -1 (and *err). */
int pe_parse_headers(const uint8_t *hdr, uint64_t hdr_len, uint64_t file_size,
                     struct pe_info *info, struct pe_error *err);

/* The protection of the page at rva (headers: PAGE_READONLY). */
uint32_t pe_page_protection(const struct pe_info *info, uint32_t rva);
/* Where the page at rva comes from: *file_off, *len bytes (0: all zero). */
void pe_page_source(const struct pe_info *info, uint32_t rva, uint32_t *file_off,
                    uint32_t *len);

/* Base relocations: calls fix(ctx, rva) for each DIR64 entry (fix may be
 * NULL: only check).  A fix returning a status other than 0 stops the walk
 * with that status in err->status. */
int pe_walk_relocations(const struct pe_info *info, const struct pe_reader *r,
                        ntk_status (*fix)(void *ctx, uint32_t rva), void *ctx,
                        struct pe_error *err);

/* Imports: calls each(ctx, dll, name, ordinal, iat_rva) for every thunk;
 * name is NULL for an import by ordinal.  each returns 0 to go on, or a
 * status that stops the walk (returned in err->status, -1 returned). */
struct pe_import {
    const char *dll;
    const char *name;           /* NULL: by ordinal */
    uint16_t ordinal, hint;
    uint32_t iat_rva;           /* the 8-byte slot to fill */
};
int pe_walk_imports(const struct pe_info *info, const struct pe_reader *r,
                    ntk_status (*each)(void *ctx, const struct pe_import *imp), void *ctx,
                    struct pe_error *err);

/* Exports: check the export directory (names, ordinals, address table,
 * forwarders rejected); find a name or an ordinal.  pe_find_export returns
 * 0 with *rva, or -1: err->status is STATUS_ENTRYPOINT_NOT_FOUND /
 * STATUS_ORDINAL_NOT_FOUND when the image simply lacks it. */
int pe_check_exports(const struct pe_info *info, const struct pe_reader *r,
                     struct pe_error *err);
int pe_find_export(const struct pe_info *info, const struct pe_reader *r, const char *name,
                   uint16_t ordinal, uint32_t *rva, struct pe_error *err);

/* A flat file as the reader of its mapped image (host tests, fuzzing). */
struct pe_flat {
    const uint8_t *bytes;
    uint64_t size;
    const struct pe_info *info;
};
bool pe_flat_read(void *flat, uint32_t rva, void *dst, uint32_t len);
/* Everything, over a whole file in memory: headers, relocations, imports
 * (their structure), exports. */
int pe_check_file(const uint8_t *bytes, uint64_t size, struct pe_info *info,
                  struct pe_error *err);

#endif /* GUEST_KERNEL_PE_H */
