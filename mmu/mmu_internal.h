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

/* rights.c */
uint8_t mmu_rights(const struct mmu_paging *p, bool page_w, bool page_x, bool page_u,
                   bool user_access, bool smap_blocks);
uint8_t mmu_pkey_rights(uint32_t pkru, unsigned key, bool user_access, bool wp);

#endif /* MMU_MMU_INTERNAL_H */
