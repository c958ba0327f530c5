/*
 * tlbplant.c - a planted missing invalidation, for --tlb-check.
 *
 * The kernel re-points a page's PTE and goes on reading the page without
 * INVLPG (the bug); it prints what the detector must report (the virtual
 * address, where the PTE is, its value as the TLB cached it and its value
 * now) as a "# planted" line, which tlbcheck.sh compares with the report.
 * With "fixed" on the command line it does the INVLPG, and the detector
 * must stay silent.
 *
 * The stale read is made twice: right after the change (precise mode sees
 * it there), and after a MOV to CR0 changing only WP, which makes QEMU drop
 * its own TLB so that fast mode sees the read too.  Each stale entry is
 * reported once.
 */
#include "tests/kernels/lib/tlbtest.h"

#define VA 0x0000005000000000ull

void ktest_main(void)
{
    bool fixed = strcmp(ktest_boot->cmdline, "fixed") == 0;
    tap_plan(3);
    uint64_t a = marked_page(0xaaaa), b = marked_page(0xbbbb);
    ktest_map(VA, a, X86_PTE_RW | X86_PTE_XD);
    tap_eq(peek(VA), 0xaaaa, "the page as mapped");
    uint64_t *pte = ktest_pte(VA);
    uint64_t cached = *pte; /* with the accessed flag the walk set */
    uint64_t now = b | X86_PTE_P | X86_PTE_RW | X86_PTE_XD;
    *pte = now;
    if (fixed)
        invlpg(VA);
    else
        kprintf("# planted: va 0x%llx pte 0x%llx old 0x%016llx new 0x%016llx\n",
                (unsigned long long)VA,
                (unsigned long long)((uint64_t)pte - ktest_boot->direct_map),
                (unsigned long long)cached, (unsigned long long)now);
    uint64_t v1 = peek(VA);
    qemu_forgets();
    uint64_t v2 = peek(VA);
    uint64_t want = fixed ? 0xbbbb : 0xaaaa;
    tap_eq(v1, want, fixed ? "after INVLPG: the new page" : "no INVLPG: the old page");
    tap_eq(v2, want, "the same after MOV to CR0 (WP only)");
}
