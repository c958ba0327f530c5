/*
 * tlbglobal.c - global pages (CR4.PGE = 1, G = 1 in the PTE) survive MOV to
 * CR3; non-global ones do not; MOV to CR4 changing PGE and INVLPG remove
 * them (SDM Vol. 3A §4.10.2.4, §4.10.4.1).
 *
 * QEMU flushes its whole TLB at every MOV to CR3, globals included, so
 * without a model the global page is walked again (and the checks fail).
 */
#include "tests/kernels/lib/tlbtest.h"

#define VAG 0x0000005000000000ull /* global */
#define VAN 0x0000005000200000ull /* not global */

void ktest_main(void)
{
    tap_plan(7);
    tap_ok(read_cr4() & X86_CR4_PGE, "CR4.PGE is set");
    uint64_t g1 = marked_page(0x6161), g2 = marked_page(0x6262);
    uint64_t n1 = marked_page(0x4e31), n2 = marked_page(0x4e32);
    ktest_map(VAG, g1, X86_PTE_G | X86_PTE_XD);
    ktest_map(VAN, n1, X86_PTE_XD);
    tap_ok(peek(VAG) == 0x6161 && peek(VAN) == 0x4e31, "both pages as mapped");

    *ktest_pte(VAG) = g2 | X86_PTE_P | X86_PTE_G | X86_PTE_XD; /* no INVLPG */
    *ktest_pte(VAN) = n2 | X86_PTE_P | X86_PTE_XD;
    write_cr3(read_cr3());
    tap_eq(peek(VAG), 0x6161, "the global entry survived MOV to CR3 (old page)");
    tap_eq(peek(VAN), 0x4e32, "the non-global entry did not (new page)");

    uint64_t cr4 = read_cr4();
    write_cr4(cr4 & ~X86_CR4_PGE);
    write_cr4(cr4);
    tap_eq(peek(VAG), 0x6262, "MOV to CR4 clearing PGE removed the global entry");

    *ktest_pte(VAG) = g1 | X86_PTE_P | X86_PTE_G | X86_PTE_XD;
    write_cr3(read_cr3());
    tap_eq(peek(VAG), 0x6262, "global again: the entry survived another MOV to CR3");
    invlpg(VAG);
    tap_eq(peek(VAG), 0x6161, "INVLPG removed the global entry");
}
