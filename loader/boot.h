/*
 * boot.h - prepare guest RAM and the CPU state for a kernel's entry, as
 * shared/bootinfo.h describes the hand-off.  Host side, no Unicorn: the
 * emulator loads the returned state into the CPU.
 */
#ifndef LOADER_BOOT_H
#define LOADER_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "loader/elf.h"
#include "loader/error.h"
#include "shared/bootinfo.h"

struct boot_disk_desc {
    bool present, read_only;
    uint64_t sectors;
    const char *name;
};

struct boot_params {
    const char *cmdline;                   /* may be NULL */
    struct boot_disk_desc disk[4];
};

/* The CPU state at the kernel's entry point. */
struct boot_cpu {
    uint64_t rip, rsp, rdi;
    uint64_t cr0, cr3, cr4, efer;
    uint64_t gdtr_base;
    uint16_t gdtr_limit;
    uint16_t cs, ds;                       /* SS, ES take ds */
};

/*
 * Load the kernel into ram, build the boot page tables, GDT and boot
 * information, and describe the entry state in *cpu.  False with a message
 * naming the problem (a segment in the boot area, RAM too small, ...).
 */
bool boot_prepare(uint8_t *ram, uint64_t ram_size, const struct elf_image *kernel,
                  const struct boot_params *p, struct boot_cpu *cpu, struct loader_error *err);

#endif /* LOADER_BOOT_H */
