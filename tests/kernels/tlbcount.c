/*
 * tlbcount.c - a known number of data accesses, for checking that precise
 * mode presents each one to the TLB model exactly once (tlbcount.sh runs it
 * with two counts and compares the model's counters).
 *
 * Command line: the number of rounds N.  Each round makes six accesses to
 * two 4 KB pages: a read and a write that cross from the first page into
 * the second (two accesses each, one per page: the SDM's view, and what the
 * model is shown), an aligned read and an aligned write.  QEMU splits the
 * crossing ones itself and calls Unicorn's access hook more than once for a
 * split read; precise mode must still count two.  Each round begins with
 * QEMU's TLB emptied (MOV to CR0 changing WP: no invalidation for the model),
 * so that the fill hook presents the first accesses and the access hook must
 * not present them again.
 */
#include "tests/kernels/lib/tlbtest.h"

#define VA 0x0000005000000000ull

static uint64_t rounds(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

void ktest_main(void)
{
    tap_plan(1);
    ktest_map(VA, ktest_alloc_page(), X86_PTE_RW | X86_PTE_XD);
    ktest_map(VA + 0x1000, ktest_alloc_page(), X86_PTE_RW | X86_PTE_XD);
    uint64_t n = rounds(ktest_boot->cmdline), sum = 0;
    volatile uint64_t *cross = (volatile uint64_t *)(VA + 0xffc);
    volatile uint64_t *plain = (volatile uint64_t *)(VA + 0x100);
    for (uint64_t i = 0; i < n; i++) {
        qemu_forgets();
        sum += *cross;     /* 2 */
        *cross = sum;      /* 2 */
        sum += *plain;     /* 1 */
        *plain = i;        /* 1 */
    }
    tap_ok(true, "%llu rounds of 6 accesses (sum %llx)", (unsigned long long)n,
           (unsigned long long)sum);
}
