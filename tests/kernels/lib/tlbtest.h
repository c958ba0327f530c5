/*
 * tlbtest.h - helpers for the test kernels of the TLB model (tlb*.c): they
 * run with `mmulab run --tlb ...` and check, from inside the guest, which
 * translation the CPU uses after page-table changes and invalidations.
 */
#ifndef TLBTEST_H
#define TLBTEST_H

#include "tests/kernels/lib/ktest.h"

/* One read of a 64-bit value through the TLB. */
static inline uint64_t peek(uint64_t va)
{
    return *(volatile uint64_t *)va;
}

/* A page of its own, filled with one 64-bit value (for telling pages apart). */
static inline uint64_t marked_page(uint64_t mark)
{
    uint64_t pa = ktest_alloc_page();
    uint64_t *p = phys_to_virt(pa);
    for (unsigned i = 0; i < 512; i++)
        p[i] = mark;
    return pa;
}

/*
 * Make QEMU forget every translation it cached, without invalidating any
 * TLB entry architecturally: MOV to CR0 changing WP requires no invalidation
 * (SDM Vol. 3A §4.10.4.1), and QEMU flushes its whole TLB for it.  After
 * this, a translation the guest still sees must come from the TLB model;
 * without one, QEMU walks the page tables again.
 */
static inline void qemu_forgets(void)
{
    uint64_t cr0 = read_cr0();
    write_cr0(cr0 ^ X86_CR0_WP);
    write_cr0(cr0);
}

/* INVPCID type, {pcid, va}. */
static inline void invpcid(uint64_t type, uint64_t pcid, uint64_t va)
{
    struct { uint64_t pcid, va; } d = { pcid, va };
    __asm__ volatile("invpcid %0, %1" ::"m"(d), "r"(type) : "memory");
}

#endif /* TLBTEST_H */
