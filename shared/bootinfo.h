/*
 * bootinfo.h - the boot hand-off from mmulab to a guest kernel (ELF64).
 *
 * At the kernel's entry point:
 *   - long mode, CPL 0, interrupts disabled (RFLAGS = 0x2);
 *   - CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE|PGE|OSFXSR|OSXMMEXCPT,
 *     EFER = LME|LMA|NXE (SCE is the kernel's to set);
 *   - paging with 4-level tables in low memory that map
 *       * every PT_LOAD segment at its virtual address with 4 KB pages and
 *         the segment's rights (R, W, X via XD), supervisor only;
 *       * all RAM at BOOT_DIRECT_MAP (2 MB pages, RW, NX, supervisor);
 *   - GDT at BOOT_GDT_PA (loaded): 0x08 kernel code (64-bit), 0x10 kernel
 *     data, 0x1b user data, 0x23 user code (64-bit), 0x2b user code (32-bit);
 *     CS = 0x08, SS = DS = ES = 0x10;
 *   - RSP = the top of a 16 KB boot stack (direct-map address);
 *   - RDI = the direct-map address of struct boot_info.
 * Everything the hand-off uses below 1 MB is listed as BOOT_MEM_RESERVED in
 * the memory map; the kernel may reclaim it once it has its own tables.
 *
 * Reserved for the machine, never to be mapped by the guest: the linear
 * ranges [RAISE_VA64, 2^64) and [RAISE_VA32, 2^32), and the physical range
 * [RAISE_PA, RAISE_PA + 3 pages) (the machine's privilege-change pages; see
 * emu/raise.c).  The APIC page is also mapped at BOOT_DIRECT_MAP +
 * DEV_APIC_BASE (uncached).
 */
#ifndef SHARED_BOOTINFO_H
#define SHARED_BOOTINFO_H

#include <stdint.h> /* freestanding: provided by the compiler, not libc */

#define BOOT_DIRECT_MAP 0xffff800000000000ull /* physical address 0 */
#define BOOT_INFO_PA    0x1000ull
#define BOOT_GDT_PA     0x2000ull
#define BOOT_STACK_PA   0x4000ull /* 16 KB: [0x4000, 0x8000) */
#define BOOT_STACK_SIZE 0x4000ull
#define BOOT_TABLES_PA  0x10000ull /* boot page tables: [0x10000, 0x90000) */
#define BOOT_TABLES_END 0x90000ull

#define RAISE_VA64  0xffffffffffffd000ull
#define RAISE_VA32  0x00000000ffffd000ull
#define RAISE_PA    0x000000fffffd0000ull
#define RAISE_PAGES 3

#define BOOT_INFO_MAGIC 0x6f6f42626c756d6dull /* "mmulbBoo" */
#define BOOT_INFO_VERSION 1

enum boot_mem_type {
    BOOT_MEM_USABLE = 1,
    BOOT_MEM_RESERVED = 2,   /* boot structures, the boot stack */
    BOOT_MEM_KERNEL = 3,     /* the kernel image */
    BOOT_MEM_DEVICE = 4,     /* memory-mapped devices (the APIC page) */
};

struct boot_mem_region {
    uint64_t base, size;
    uint32_t type;               /* enum boot_mem_type */
    uint32_t reserved;
};

struct boot_disk {
    uint64_t sectors;            /* capacity in 512-byte sectors */
    uint32_t present;
    uint32_t read_only;
    char name[48];          /* the host file's base name, for messages */
};

#define BOOT_MAX_REGIONS 16
#define BOOT_CMDLINE_MAX 1024

struct boot_info {
    uint64_t magic;              /* BOOT_INFO_MAGIC */
    uint32_t version;            /* BOOT_INFO_VERSION */
    uint32_t size;               /* sizeof(struct boot_info) */
    uint64_t ram_size;           /* bytes of RAM, from physical address 0 */
    uint64_t direct_map;         /* BOOT_DIRECT_MAP */
    uint64_t kernel_phys_start, kernel_phys_end;
    uint64_t tsc_hz;             /* VTIME_TSC_HZ */
    uint64_t apic_timer_hz;      /* VTIME_APIC_HZ */
    uint64_t apic_base;          /* DEV_APIC_BASE (physical) */
    uint32_t nregions;
    uint32_t ndisks;
    struct boot_mem_region region[BOOT_MAX_REGIONS];
    struct boot_disk disk[4];      /* DEV_DISK_MAX; disk 0: system volume */
    char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated */
};

#endif /* SHARED_BOOTINFO_H */
