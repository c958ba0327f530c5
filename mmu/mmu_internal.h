/*
 * mmu_internal.h - helpers shared by the files of the MMU library only.
 */
#ifndef MMU_MMU_INTERNAL_H
#define MMU_MMU_INTERNAL_H

#include <string.h>

#include "mmu/mmu.h"

/* Read len bytes of guest-physical memory; false if nothing backs them. */
static inline bool mmu_pmem_read(const struct mmu *m, uint64_t pa, void *buf, unsigned len)
{
    const struct mmu_pmem *pm = &m->pmem;
    if (pm->ram && pa < pm->ram_size && len <= pm->ram_size - pa) {
        memset(buf, 0, 8);
        memcpy(buf, pm->ram + pa, len);
        return true;
    }
    if (pm->read) {
        memset(buf, 0, 8);
        return pm->read(pm->ctx, pa, buf, len);
    }
    return false;
}

static inline bool mmu_pmem_write(const struct mmu *m, uint64_t pa, const void *buf,
                                  unsigned len)
{
    const struct mmu_pmem *pm = &m->pmem;
    if (pm->ram && pa < pm->ram_size && len <= pm->ram_size - pa) {
        memcpy(pm->ram + pa, buf, len);
        return true;
    }
    return pm->write && pm->write(pm->ctx, pa, buf, len);
}

/* Record a failed translation in w. */
static inline void mmu_fail(struct mmu_walk *w, enum mmu_fault fault, enum mmu_why why,
                            unsigned vector, uint32_t error_code)
{
    w->fault = (uint8_t)fault;
    w->why = (uint8_t)why;
    w->vector = (uint8_t)vector;
    w->error_code = error_code;
}

/* A canonical address: bits 63:bits-1 all equal (Vol. 1 §3.3.7.1). */
static inline bool mmu_canonical(uint64_t va, unsigned bits)
{
    unsigned shift = 64 - bits;
    return (uint64_t)((int64_t)(va << shift) >> shift) == va;
}

/* The PCID the current context tags TLB entries with (§4.10.1). */
static inline uint16_t mmu_current_pcid(const struct mmu *m)
{
    return m->paging.pcide ? (uint16_t)(m->regs.cr3 & 0xfff) : 0;
}

/* Where a walk stands: the level about to be read and what is accumulated.
 * A paging-structure-cache entry is exactly such a state (§4.10.3.2). */
struct walk_state {
    unsigned level;
    uint64_t table;   /* physical address of the table to index */
    bool u, w, xd;    /* AND of U/S, AND of R/W, OR of XD so far */
};

/* A translation as a TLB keeps it (§4.10.2.2). */
struct mmu_leaf {
    uint64_t page_base, page_size;
    bool u, w, xd;    /* accumulated controls, as struct walk_state */
    bool dirty, global;
    uint8_t pkey, memtype;
};

/* walk.c */
/*
 * mmu_translate, starting from *start (NULL: from CR3).  If trail is not
 * NULL, trail[i] receives the state after w->step[i] for every step that
 * references a table: what a paging-structure cache may keep of it.
 */
bool mmu_translate_from(struct mmu *m, uint64_t va, enum mmu_access access, unsigned flags,
                        const struct walk_state *start, struct walk_state *trail,
                        struct mmu_walk *w);
/* Complete a translation from a TLB entry: rights for the current context,
 * and the fault a real CPU would raise from the entry if they forbid it. */
bool mmu_translate_cached(struct mmu *m, uint64_t va, enum mmu_access access, unsigned flags,
                          const struct mmu_leaf *leaf, struct mmu_walk *w);

/* rights.c */
uint8_t mmu_rights(const struct mmu_paging *p, bool page_w, bool page_x, bool page_u,
                   bool user_access, bool smap_blocks);
uint8_t mmu_pkey_rights(uint32_t pkru, unsigned key, bool user_access, bool wp);

#endif /* MMU_MMU_INTERNAL_H */
