/*
 * elf_internal.h - shared by the files of the ELF loader only.
 */
#ifndef LOADER_ELF_INTERNAL_H
#define LOADER_ELF_INTERNAL_H

#include "loader/elf.h"

/*
 * Validate img->bytes (img->name names it in messages) and fill in entry,
 * phoff, the PT_LOAD segments and the symbol table's section index.
 */
bool elf_check(struct elf_image *img, struct loader_error *err);

#endif
