/*
 * boot.c - the boot hand-off (shared/bootinfo.h describes the contract).
 *
 *   1. the kernel's PT_LOAD segments go to their physical addresses;
 *   2. 4-level page tables in [BOOT_TABLES_PA, BOOT_TABLES_END) map each
 *      segment at its virtual address with its rights (4 KB pages,
 *      supervisor, global), all RAM at BOOT_DIRECT_MAP (2 MB pages where
 *      aligned, RW, NX, global), and the APIC page there too (uncached);
 *   3. a GDT with the kernel and user segments;
 *   4. struct boot_info: memory map, command line, disks, clocks.
 * The tables are built with mmu/ptbuild.c, the inverse of the walker.
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "loader/boot.h"
#include "mmu/ptbuild.h"
#include "shared/devices.h"
#include "shared/x86.h"

#define MIN_RAM (4ull << 20)

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Map one segment page by page, merging rights where segments share a page. */
static bool map_segment(struct ptb *b, const struct elf_segment *s, struct loader_error *err)
{
    uint64_t first = s->vaddr & ~0xfffull, last = (s->vaddr + s->memsz + 0xfff) & ~0xfffull;
    for (uint64_t va = first; va < last; va += 0x1000) {
        uint64_t pa = (s->paddr & ~0xfffull) + (va - first);
        uint64_t epa = ptb_entry_pa(b, va, MMU_PTE);
        if (!epa)
            return loader_fail(err, "boot", "out of page-table space mapping 0x%" PRIx64, va);
        uint64_t e = ptb_get(b, epa);
        uint64_t want = pa | X86_PTE_P | X86_PTE_G | ((s->flags & PF_W) ? X86_PTE_RW : 0) |
                        ((s->flags & PF_X) ? 0 : X86_PTE_XD);
        if (e & X86_PTE_P) {
            if ((e & X86_PTE_ADDR_MASK) != pa)
                return loader_fail(err, "boot",
                                   "virtual page 0x%" PRIx64 " is mapped to two physical pages "
                                   "(program header %u)", va, s->phdr);
            /* Shared page: the union of the rights. */
            want = (e | (want & X86_PTE_RW)) & ~(X86_PTE_XD & ~(want & e));
        }
        ptb_set(b, epa, want);
    }
    return true;
}

static bool map_direct(struct ptb *b, uint64_t ram_size, struct loader_error *err)
{
    uint64_t big = ram_size & ~(X86_PAGE_2M - 1);
    uint64_t flags = X86_PTE_RW | X86_PTE_XD | X86_PTE_G;
    if ((big && !ptb_map(b, BOOT_DIRECT_MAP, 0, big, X86_PAGE_2M, flags)) ||
        (ram_size > big &&
         !ptb_map(b, BOOT_DIRECT_MAP + big, big, (ram_size - big) & ~0xfffull, X86_PAGE_4K, flags)) ||
        !ptb_map(b, BOOT_DIRECT_MAP + DEV_APIC_BASE, DEV_APIC_BASE, 0x1000, X86_PAGE_4K,
                 flags | X86_PTE_PCD | X86_PTE_PWT))
        return loader_fail(err, "boot", "out of page-table space for the direct map of %" PRIu64
                           " MiB", ram_size >> 20);
    return true;
}

static void write_gdt(uint8_t *ram)
{
    uint64_t gdt[6] = {
        0,
        0x00209b0000000000ull, /* 0x08 kernel code, 64-bit */
        0x00cf93000000ffffull, /* 0x10 kernel data */
        0x00cff3000000ffffull, /* 0x18 user data (0x1b) */
        0x0020fb0000000000ull, /* 0x20 user code, 64-bit (0x23) */
        0x00cffb000000ffffull, /* 0x28 user code, 32-bit (0x2b) */
    };
    memcpy(ram + BOOT_GDT_PA, gdt, sizeof gdt);
}

static void add_region(struct boot_info *bi, uint64_t base, uint64_t size, uint32_t type)
{
    if (size && bi->nregions < BOOT_MAX_REGIONS)
        bi->region[bi->nregions++] = (struct boot_mem_region){ base, size, type, 0 };
}

static void write_boot_info(uint8_t *ram, uint64_t ram_size, uint64_t kstart, uint64_t kend,
                            const struct boot_params *p)
{
    struct boot_info *bi = (struct boot_info *)(ram + BOOT_INFO_PA);
    memset(bi, 0, sizeof *bi);
    bi->magic = BOOT_INFO_MAGIC;
    bi->version = BOOT_INFO_VERSION;
    bi->size = sizeof *bi;
    bi->ram_size = ram_size;
    bi->direct_map = BOOT_DIRECT_MAP;
    bi->kernel_phys_start = kstart;
    bi->kernel_phys_end = kend;
    bi->tsc_hz = VTIME_TSC_HZ;
    bi->apic_timer_hz = VTIME_APIC_HZ;
    bi->apic_base = DEV_APIC_BASE;
    /* [0, BOOT_TABLES_END) is the hand-off's; the kernel image follows
     * wherever it was linked; the rest is usable. */
    add_region(bi, 0, BOOT_TABLES_END, BOOT_MEM_RESERVED);
    if (kstart > BOOT_TABLES_END)
        add_region(bi, BOOT_TABLES_END, kstart - BOOT_TABLES_END, BOOT_MEM_USABLE);
    add_region(bi, kstart, kend - kstart, BOOT_MEM_KERNEL);
    add_region(bi, kend, ram_size - kend, BOOT_MEM_USABLE);
    add_region(bi, DEV_APIC_BASE, DEV_APIC_SIZE, BOOT_MEM_DEVICE);
    for (unsigned i = 0; i < 4; i++) {
        if (!p->disk[i].present)
            continue;
        bi->disk[i].present = 1;
        bi->disk[i].read_only = p->disk[i].read_only;
        bi->disk[i].sectors = p->disk[i].sectors;
        snprintf(bi->disk[i].name, sizeof bi->disk[i].name, "%s", p->disk[i].name ? p->disk[i].name : "");
        bi->ndisks = i + 1;
    }
    snprintf(bi->cmdline, sizeof bi->cmdline, "%s", p->cmdline ? p->cmdline : "");
}

bool boot_prepare(uint8_t *ram, uint64_t ram_size, const struct elf_image *k,
                  const struct boot_params *p, struct boot_cpu *cpu, struct loader_error *err)
{
    if (ram_size < MIN_RAM)
        return loader_fail(err, "boot", "%" PRIu64 " KiB of RAM is too little (at least %" PRIu64
                           " MiB)", ram_size >> 10, (uint64_t)(MIN_RAM >> 20));
    uint64_t kstart = UINT64_MAX, kend = 0;
    for (unsigned i = 0; i < k->nsegments; i++) {
        const struct elf_segment *s = &k->seg[i];
        if (overlaps(s->paddr, s->memsz, 0, BOOT_TABLES_END))
            return loader_fail(err, k->name,
                               "program header %u: segment at physical 0x%" PRIx64
                               " overlaps the boot area [0, 0x%llx); link the kernel at 1 MB or above",
                               s->phdr, s->paddr, BOOT_TABLES_END);
        if (overlaps(s->vaddr, s->memsz, BOOT_DIRECT_MAP, ram_size) ||
            s->vaddr + s->memsz > RAISE_VA64)
            return loader_fail(err, k->name,
                               "program header %u: virtual range [0x%" PRIx64 ", 0x%" PRIx64
                               ") collides with the direct map or the machine's reserved range",
                               s->phdr, s->vaddr, s->vaddr + s->memsz);
        if (s->paddr < kstart)
            kstart = s->paddr;
        if (s->paddr + s->memsz > kend)
            kend = (s->paddr + s->memsz + 0xfff) & ~0xfffull;
    }
    if (!elf_image_load(k, ram, ram_size, err))
        return false;

    memset(ram, 0, BOOT_TABLES_END);
    struct ptb b;
    if (!ptb_init(&b, MMU_MODE_4LEVEL, ram, ram_size, BOOT_TABLES_PA,
                  BOOT_TABLES_END - BOOT_TABLES_PA))
        return loader_fail(err, "boot", "cannot start the boot page tables");
    b.table_flags = X86_PTE_RW; /* supervisor only */
    for (unsigned i = 0; i < k->nsegments; i++)
        if (!map_segment(&b, &k->seg[i], err))
            return false;
    if (!map_direct(&b, ram_size, err))
        return false;
    write_gdt(ram);
    write_boot_info(ram, ram_size, kstart, kend, p);

    *cpu = (struct boot_cpu){
        .rip = k->entry,
        .rsp = BOOT_DIRECT_MAP + BOOT_STACK_PA + BOOT_STACK_SIZE,
        .rdi = BOOT_DIRECT_MAP + BOOT_INFO_PA,
        .cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG,
        .cr3 = b.root,
        .cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT,
        .efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
        .gdtr_base = BOOT_DIRECT_MAP + BOOT_GDT_PA,
        .gdtr_limit = 6 * 8 - 1,
        .cs = 0x08,
        .ds = 0x10,
    };
    return true;
}
