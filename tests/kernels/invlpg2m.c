/*
 * invlpg2m.c - a 2 MB page changed and invalidated with INVLPG at an
 * address in its middle.  QEMU caches large pages as 4 KB entries and its
 * INVLPG drops only the one 4 KB entry it names; the SDM says INVLPG of any
 * address in a large page invalidates the whole page (§4.10.4.1).  The
 * machine observes INVLPG and flushes QEMU's TLB for large pages; without
 * that, the reads below would still see the old page at other offsets.
 */
#include "tests/kernels/lib/ktest.h"

#define VA 0x0000004000000000ull
#define OLD_PA (8ull << 20)
#define NEW_PA (10ull << 20)

static const uint64_t offsets[] = { 0, 0x1000, 0x80000, 0x100000, 0x1ff000 };
#define N (sizeof offsets / sizeof offsets[0])

void ktest_main(void)
{
    tap_plan(2 * N + 1);
    for (unsigned i = 0; i < N; i++) {
        *(volatile uint64_t *)phys_to_virt(OLD_PA + offsets[i]) = 0xa0a0 + i;
        *(volatile uint64_t *)phys_to_virt(NEW_PA + offsets[i]) = 0xb0b0 + i;
    }
    uint64_t *pde = ktest_map_2m(VA, OLD_PA, X86_PTE_RW | X86_PTE_XD);
    for (unsigned i = 0; i < N; i++) /* each read caches one 4 KB piece in QEMU */
        tap_eq(*(volatile uint64_t *)(VA + offsets[i]), 0xa0a0 + i, "old 2 MB page");
    *pde = NEW_PA | X86_PTE_RW | X86_PTE_XD | X86_PTE_P | X86_PTE_PS;
    invlpg(VA + 0x100000 + 0x123); /* the middle */
    bool all = true;
    for (unsigned i = 0; i < N; i++) {
        uint64_t v = *(volatile uint64_t *)(VA + offsets[i]);
        all &= v == 0xb0b0 + i;
        tap_eq(v, 0xb0b0 + i, "after INVLPG in the middle: the new page at this offset");
    }
    tap_ok(all, "no 4 KB piece of the old 2 MB page survived the INVLPG");
}
