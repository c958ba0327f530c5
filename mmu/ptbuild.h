/*
 * ptbuild.h - build page tables in guest-physical memory, for any paging
 * mode.  The inverse of the walker: the boot loader uses it for the kernel's
 * initial tables, tests and benchmarks for synthetic hierarchies.
 */
#ifndef MMU_PTBUILD_H
#define MMU_PTBUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/mmu.h"

struct ptb {
    uint8_t *ram;          /* guest-physical memory [0, ram_size) */
    uint64_t ram_size;
    enum mmu_mode mode;    /* LEGACY, PAE, 4LEVEL or 5LEVEL */
    uint64_t root;         /* the value for CR3 */
    uint64_t next, limit;  /* free table pages: [next, limit) */
    /* Bits given to entries that reference tables (P is always added).
     * Default RW|US, so that rights are decided by the leaf entries. */
    uint64_t table_flags;
};

/*
 * Start an empty hierarchy whose tables are allocated from the page-aligned
 * pool [pool, pool + pool_size) of ram.  False if the pool is unusable.
 */
bool ptb_init(struct ptb *b, enum mmu_mode mode, uint8_t *ram, uint64_t ram_size,
              uint64_t pool, uint64_t pool_size);

/*
 * Map [va, va + size) to [pa, pa + size) with pages of page_size (4 KB,
 * 2 MB, 4 MB in 32-bit paging, 1 GB), each leaf entry being the page address
 * | P | leaf_flags (PS is added for large pages).  False if the pool runs
 * out, an address is misaligned, or a large page would replace a table.
 */
bool ptb_map(struct ptb *b, uint64_t va, uint64_t pa, uint64_t size, uint64_t page_size,
             uint64_t leaf_flags);

/* Physical address of the entry at level for va, creating tables on the way
 * down; 0 if the path is blocked by a large page or the pool is empty. */
uint64_t ptb_entry_pa(struct ptb *b, uint64_t va, unsigned level);

/* Read and write an entry (4 or 8 bytes by mode). */
uint64_t ptb_get(const struct ptb *b, uint64_t entry_pa);
void ptb_set(struct ptb *b, uint64_t entry_pa, uint64_t value);

#endif /* MMU_PTBUILD_H */
