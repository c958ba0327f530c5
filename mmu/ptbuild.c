/*
 * ptbuild.c - build page tables for any paging mode (see ptbuild.h).
 */
#include <string.h>

#include "mmu/ptbuild.h"
#include "shared/x86.h"

static unsigned width(const struct ptb *b)
{
    return b->mode == MMU_MODE_LEGACY ? 4 : 8;
}

static unsigned top_level(enum mmu_mode mode)
{
    switch (mode) {
    case MMU_MODE_LEGACY: return MMU_PDE;
    case MMU_MODE_PAE: return MMU_PDPTE;
    case MMU_MODE_4LEVEL: return MMU_PML4E;
    default: return MMU_PML5E;
    }
}

/* Linear-address bit where the index for level starts. */
static unsigned level_shift(enum mmu_mode mode, unsigned level)
{
    if (mode == MMU_MODE_LEGACY)
        return level == MMU_PDE ? 22 : 12;
    return 12 + 9 * (level - 1);
}

static unsigned level_index(enum mmu_mode mode, unsigned level, uint64_t va)
{
    unsigned bits = mode == MMU_MODE_LEGACY ? 10 : (mode == MMU_MODE_PAE && level == MMU_PDPTE) ? 2 : 9;
    return (unsigned)(va >> level_shift(mode, level)) & ((1u << bits) - 1);
}

uint64_t ptb_get(const struct ptb *b, uint64_t entry_pa)
{
    uint64_t v = 0;
    memcpy(&v, b->ram + entry_pa, width(b));
    return v;
}

void ptb_set(struct ptb *b, uint64_t entry_pa, uint64_t value)
{
    memcpy(b->ram + entry_pa, &value, width(b));
}

static uint64_t alloc_table(struct ptb *b)
{
    if (b->next + X86_PAGE_4K > b->limit)
        return 0;
    uint64_t t = b->next;
    b->next += X86_PAGE_4K;
    memset(b->ram + t, 0, X86_PAGE_4K);
    return t;
}

bool ptb_init(struct ptb *b, enum mmu_mode mode, uint8_t *ram, uint64_t ram_size,
              uint64_t pool, uint64_t pool_size)
{
    memset(b, 0, sizeof *b);
    if (mode == MMU_MODE_OFF || mode >= MMU_MODE_COUNT || (pool & 0xfff) ||
        pool > ram_size || pool_size > ram_size - pool)
        return false;
    b->ram = ram;
    b->ram_size = ram_size;
    b->mode = mode;
    b->next = pool;
    b->limit = pool + (pool_size & ~0xfffull);
    b->table_flags = X86_PTE_RW | X86_PTE_US;
    b->root = alloc_table(b);
    if (mode == MMU_MODE_LEGACY && b->root >= (1ull << 32))
        return false;
    return b->root != 0;
}

/* Flags for an entry referencing a table; PAE PDPTEs have only P (Table 4-8). */
static uint64_t table_entry(const struct ptb *b, unsigned level, uint64_t table)
{
    if (b->mode == MMU_MODE_PAE && level == MMU_PDPTE)
        return table | X86_PTE_P;
    return table | X86_PTE_P | b->table_flags;
}

uint64_t ptb_entry_pa(struct ptb *b, uint64_t va, unsigned level)
{
    uint64_t table = b->root;
    for (unsigned lv = top_level(b->mode);; lv--) {
        uint64_t epa = table + (uint64_t)level_index(b->mode, lv, va) * width(b);
        if (lv == level)
            return epa;
        uint64_t e = ptb_get(b, epa);
        if (!(e & X86_PTE_P)) {
            uint64_t t = alloc_table(b);
            if (!t)
                return 0;
            e = table_entry(b, lv, t);
            ptb_set(b, epa, e);
        } else if ((e & X86_PTE_PS) &&
                   (lv == MMU_PDE || (lv == MMU_PDPTE && b->mode >= MMU_MODE_4LEVEL))) {
            return 0; /* a large page occupies this range */
        }
        table = e & (b->mode == MMU_MODE_LEGACY ? 0xfffff000ull : X86_PTE_ADDR_MASK);
    }
}

static unsigned leaf_level(const struct ptb *b, uint64_t page_size)
{
    switch (page_size) {
    case X86_PAGE_4K: return MMU_PTE;
    case X86_PAGE_2M: return b->mode == MMU_MODE_LEGACY ? 0 : MMU_PDE;
    case X86_PAGE_4M: return b->mode == MMU_MODE_LEGACY ? MMU_PDE : 0;
    case X86_PAGE_1G: return b->mode >= MMU_MODE_4LEVEL ? MMU_PDPTE : 0;
    }
    return 0;
}

bool ptb_map(struct ptb *b, uint64_t va, uint64_t pa, uint64_t size, uint64_t page_size,
             uint64_t leaf_flags)
{
    unsigned level = leaf_level(b, page_size);
    if (!level || ((va | pa | size) & (page_size - 1)))
        return false;
    for (uint64_t off = 0; off < size; off += page_size) {
        uint64_t epa = ptb_entry_pa(b, va + off, level);
        if (!epa)
            return false;
        uint64_t frame = pa + off, e;
        if (b->mode == MMU_MODE_LEGACY && level == MMU_PDE)
            e = (frame & 0xffc00000ull) | (((frame >> 32) & 0xff) << 13); /* PSE-36 */
        else
            e = frame;
        e |= X86_PTE_P | leaf_flags | (level == MMU_PTE ? 0 : X86_PTE_PS);
        ptb_set(b, epa, e);
    }
    return true;
}
