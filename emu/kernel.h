/*
 * kernel.h - load a kernel ELF image into the machine (kernel.c).
 */
#ifndef EMU_KERNEL_H
#define EMU_KERNEL_H

#include "loader/boot.h"
#include "loader/elf.h"

struct machine;

bool machine_load_kernel(struct machine *m, const struct elf_image *k, const struct boot_params *p,
                         struct loader_error *err);

#endif /* EMU_KERNEL_H */
