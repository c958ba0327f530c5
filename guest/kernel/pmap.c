/*
 * pmap.c - page tables (4-level paging, SDM Vol. 3A §4.5).
 *
 * Every process has its own PML4.  Entries 0-255 (the lower half, user
 * space) are the process's; entries 256-511 (the upper half, kernel space)
 * are copies of the kernel's own PML4, made when the process is created.
 * They point to the same PDPTs, so every kernel mapping made later below
 * them is seen by every process; the kernel therefore creates, at boot, each
 * upper-half PML4 entry it will ever use:
 *
 *   256  0xffff800000000000  the direct map of all RAM: 2 MB pages, RW, NX
 *                            (and the local APIC's page, uncached)
 *   509  0xfffffe8000000000  the system volume, read from disk 0 at boot
 *   510  0xffffff0000000000  thread kernel stacks, each under an unmapped guard
 *   511  0xffffffff80000000  the kernel image: 4 KB pages, text RX, rodata R,
 *                            data RW (NX where not text)
 *
 * Kernel pages are global (G): a CR3 switch keeps them in the TLB.  Kernel
 * entries are supervisor-only (no US bit anywhere on the way), so user mode
 * cannot touch them.  The last 2 MB of the address space holds the machine's
 * private pages (RAISE_VA64, shared/bootinfo.h): nothing is mapped there,
 * nor at RAISE_VA32 in user space (process.c reserves it in every process).
 *
 * Page-table pages are reached through the direct map.
 */
#include "guest/kernel/kernel.h"
#include "shared/devices.h"

uint64_t kernel_pml4;
static bool pfn_ready;
extern const char __kernel_start[], __etext[], __erodata[], __kernel_end[];

#define ADDR(e) ((e) & X86_PTE_ADDR_MASK)
#define INDEX(va, level) (((va) >> (12 + 9 * ((level) - 1))) & 511)
#define KERNEL_TABLE_FLAGS (X86_PTE_P | X86_PTE_RW)
#define USER_TABLE_FLAGS (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

static uint64_t table_page(void)
{
    return pfn_ready ? pfn_alloc(USE_PAGE_TABLE, true) : early_alloc_page();
}

/* The entry for va at `level` (1 = PTE ... 4 = PML4E) under pml4, creating
 * the tables above it; NULL if a table is missing (and !create) or memory
 * ran out. */
static uint64_t *walk(uint64_t pml4, uint64_t va, int level, bool create)
{
    uint64_t table = pml4;
    bool user = va < 0x0000800000000000ull;
    for (int l = 4; l > level; l--) {
        uint64_t *e = (uint64_t *)P2V(table) + INDEX(va, l);
        if (!(*e & X86_PTE_P)) {
            if (!create)
                return NULL;
            if (!user && l == 4 && pfn_ready)
                panic("kernel PML4 entry %llu was not made at boot",
                      (unsigned long long)INDEX(va, 4));
            uint64_t pa = table_page();
            if (!pa)
                return NULL;
            *e = pa | (user ? USER_TABLE_FLAGS : KERNEL_TABLE_FLAGS);
        }
        if (*e & X86_PTE_PS)
            panic("walk(0x%llx): a large page at level %d", (unsigned long long)va, l);
        table = ADDR(*e);
    }
    return (uint64_t *)P2V(table) + INDEX(va, level);
}

uint64_t *pmap_pte(uint64_t pml4, uint64_t va, bool create)
{
    return walk(pml4, va, 1, create);
}

uint64_t pmap_next_table(uint64_t pml4, uint64_t va)
{
    uint64_t table = pml4;
    for (int l = 4; l > 1; l--) {
        uint64_t e = ((uint64_t *)P2V(table))[INDEX(va, l)];
        if (!(e & X86_PTE_P)) {
            uint64_t span = 1ull << (12 + 9 * (l - 1));
            return (va & ~(span - 1)) + span;
        }
        table = ADDR(e);
    }
    return va;
}

uint64_t pmap_current(void)
{
    return read_cr3() & X86_PTE_ADDR_MASK;
}

void pmap_switch(uint64_t pml4)
{
    if (pmap_current() != pml4)
        write_cr3(pml4);
}

void pmap_flush(uint64_t pml4, uint64_t va)
{
    if (pmap_current() == pml4)
        invlpg(va);
}

void pmap_kmap(uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pte = walk(kernel_pml4, va, 1, true);
    if (!pte)
        panic("no memory for a kernel page table");
    *pte = pa | flags | X86_PTE_P | X86_PTE_G;
    invlpg(va);
}

void pmap_kunmap(uint64_t va)
{
    uint64_t *pte = walk(kernel_pml4, va, 1, false);
    if (pte) {
        *pte = 0;
        invlpg(va);
    }
}

uint64_t pmap_create(void)
{
    uint64_t pml4 = pfn_alloc(USE_PAGE_TABLE, true);
    if (!pml4)
        return 0;
    memcpy((uint64_t *)P2V(pml4) + 256, (uint64_t *)P2V(kernel_pml4) + 256, 256 * 8);
    return pml4;
}

static void free_table(uint64_t table, int level)
{
    uint64_t *t = P2V(table);
    if (level > 1)
        for (unsigned i = 0; i < 512; i++)
            if ((t[i] & X86_PTE_P) && !(t[i] & X86_PTE_PS)) /* a large page is no table */
                free_table(ADDR(t[i]), level - 1);
    pfn_free(table);
}

/* A table with nothing in it, below it included (what a released range
 * leaves behind). */
static bool table_empty(uint64_t table, int level)
{
    const uint64_t *t = P2V(table);
    for (unsigned i = 0; i < 512; i++)
        if (t[i] && (level == 1 || !(t[i] & X86_PTE_P) || (t[i] & X86_PTE_PS) ||
                     !table_empty(ADDR(t[i]), level - 1)))
            return false;
    return true;
}

bool pmap_map_large(uint64_t pml4, uint64_t va, uint64_t pa, int level, uint64_t flags)
{
    KASSERT(va < 0x0000800000000000ull && (level == 2 || level == 3));
    uint64_t *e = walk(pml4, va, level, true);
    if (!e)
        return false;
    if ((*e & X86_PTE_P) && !(*e & X86_PTE_PS)) {
        KASSERT(table_empty(ADDR(*e), level - 1)); /* the range was free */
        free_table(ADDR(*e), level - 1);
    }
    *e = pa | flags | X86_PTE_P | X86_PTE_PS;
    return true;
}

uint64_t *pmap_large_entry(uint64_t pml4, uint64_t va, int level)
{
    return walk(pml4, va, level, false);
}

void pmap_destroy(uint64_t pml4)
{
    KASSERT(pmap_current() != pml4);
    uint64_t *t = P2V(pml4);
    for (unsigned i = 0; i < 256; i++)
        if (t[i] & X86_PTE_P)
            free_table(ADDR(t[i]), 3);
    pfn_free(pml4);
}

static void map_range_4k(uint64_t va, uint64_t end, uint64_t pa, uint64_t flags)
{
    for (; va < end; va += PAGE_SIZE, pa += PAGE_SIZE)
        *walk(kernel_pml4, va, 1, true) = pa | flags | X86_PTE_P | X86_PTE_G;
}

/* Build the kernel's tables and switch to them (before pfn_init: tables
 * come from the early allocator). */
void pmap_init(const struct boot_info *bi)
{
    kernel_pml4 = early_alloc_page();
    uint64_t ram = (bi->ram_size + X86_PAGE_2M - 1) & ~(X86_PAGE_2M - 1);
    for (uint64_t pa = 0; pa < ram; pa += X86_PAGE_2M)
        *walk(kernel_pml4, DMAP + pa, 2, true) =
            pa | X86_PTE_P | X86_PTE_RW | X86_PTE_PS | X86_PTE_G | X86_PTE_XD;
    /* The local APIC, uncached (PCD|PWT: PAT entry 3, UC). */
    map_range_4k(DMAP + DEV_APIC_BASE, DMAP + DEV_APIC_BASE + PAGE_SIZE, DEV_APIC_BASE,
                 X86_PTE_RW | X86_PTE_PCD | X86_PTE_PWT | X86_PTE_XD);
    /* The image, by section. */
    uint64_t off = KERNEL_VMA; /* guest/kernel.ld: physical = virtual - KERNEL_VMA */
    uint64_t ks = PAGE_ROUND_DOWN((uint64_t)__kernel_start), te = PAGE_ROUND_UP((uint64_t)__etext);
    uint64_t re = PAGE_ROUND_UP((uint64_t)__erodata), ke = PAGE_ROUND_UP((uint64_t)__kernel_end);
    map_range_4k(ks, te, ks - off, 0);
    map_range_4k(te, re, te - off, X86_PTE_XD);
    map_range_4k(re, ke, re - off, X86_PTE_RW | X86_PTE_XD);
    /* The upper-half PML4 entries used later, so that every process shares them. */
    walk(kernel_pml4, KSTACK_AREA, 3, true);
    walk(kernel_pml4, VOLUME_AREA, 3, true);
    write_cr3(kernel_pml4);
}

void pmap_pfn_ready(void)
{
    pfn_ready = true;
}
