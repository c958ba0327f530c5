/*
 * elf.h - loading the guest kernel from an ELF64 executable.
 *
 * The emulator boots a freestanding x86-64 kernel linked as a static
 * ET_EXEC file.  Opening an image validates every header field the loader
 * relies on (see docs/loader.md for the list) and records the PT_LOAD
 * segments; loading copies each segment to its *physical* address (p_paddr)
 * in guest RAM and zeroes the part of it not backed by the file (.bss).
 * Errors name the file, the header and field, its offset and the value.
 *
 * The image owns a private copy of the file's bytes, so a buffer passed to
 * elf_image_open_mem() may be freed as soon as that call returns.
 */
#ifndef LOADER_ELF_H
#define LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/error.h"

#define ELF_MAX_PHDRS    64 /* program headers of any type */
#define ELF_MAX_SEGMENTS 16 /* of which PT_LOAD */

struct elf_segment {
    uint64_t paddr, vaddr;  /* where it goes in physical and in virtual memory */
    uint64_t filesz, memsz; /* bytes from the file; total size (the rest is zeroed) */
    uint64_t offset;        /* of its bytes in the file */
    uint32_t flags;         /* PF_R | PF_W | PF_X */
    unsigned phdr;          /* index of its program header, for messages */
};

struct Elf; /* libelf's handle */

struct elf_image {
    char *name;             /* as given to open, for messages */
    uint8_t *bytes;         /* the whole file (owned) */
    size_t size;
    uint64_t entry;         /* e_entry, a virtual address */
    uint64_t phoff;         /* e_phoff, to name a program header's offset */
    unsigned nsegments;     /* PT_LOAD segments, in program-header order */
    struct elf_segment seg[ELF_MAX_SEGMENTS];
    unsigned symtab;        /* section index of SHT_SYMTAB, 0 if stripped */
    struct Elf *elf;        /* libelf over bytes, for the symbol table */
};

/* Read and validate the ELF file at path. On failure img needs no close. */
bool elf_image_open(struct elf_image *img, const char *path, struct loader_error *err);

/* The same for an image in memory (e.g. a kernel embedded in the binary);
 * name (may be NULL) stands for it in messages. */
bool elf_image_open_mem(struct elf_image *img, const void *buf, size_t len, const char *name,
                        struct loader_error *err);

/*
 * Copy every PT_LOAD segment to guest RAM at p_paddr and zero its bss.
 * Checks first that all segments fit in [0, ram_size): on failure RAM is
 * left untouched.
 */
bool elf_image_load(const struct elf_image *img, uint8_t *ram, uint64_t ram_size,
                    struct loader_error *err);

/* Value of the defined symbol name in the image's symbol table. */
bool elf_image_symbol(const struct elf_image *img, const char *name, uint64_t *value);

void elf_image_close(struct elf_image *img);

#endif
