/*
 * tlbstale.c - a TLB entry is used, stale, until it is invalidated.
 *
 * Run with --tlb (either mode).  A 4 KB page and a 2 MB page are read (the
 * TLB caches them), then their page-table entries are pointed elsewhere
 * without INVLPG.  The old translations must stay in use - right after the
 * change, and after a MOV to CR0 that changes only WP, which invalidates
 * nothing but makes QEMU drop its own TLB (so the translation must come
 * from the model) - until INVLPG, which for the 2 MB page is done at an
 * address in its middle and must drop the whole page, including parts never
 * read before.
 *
 * Deterministic in precise mode by construction (every access goes to the
 * model in program order).  In fast mode too here: nothing but these few
 * pages is cached between the reads, so no entry is evicted.  Without a
 * model the checks after the MOV to CR0 fail: QEMU walks again.
 */
#include "tests/kernels/lib/tlbtest.h"

#define VA4K 0x0000005000000000ull
#define VA2M 0x0000006000000000ull
#define OLD2M (16ull << 20)
#define NEW2M (18ull << 20)

static const uint64_t offsets[] = { 0, 0x1000, 0x80000, 0x100000, 0x1ff000 };
#define N (sizeof offsets / sizeof offsets[0])

static void small_page(void)
{
    uint64_t a = marked_page(0xaaaa), b = marked_page(0xbbbb);
    ktest_map(VA4K, a, X86_PTE_RW | X86_PTE_XD);
    tap_eq(peek(VA4K), 0xaaaa, "4 KB: the page as mapped");
    *ktest_pte(VA4K) = b | X86_PTE_P | X86_PTE_RW | X86_PTE_XD;
    tap_eq(peek(VA4K), 0xaaaa, "4 KB: PTE changed without INVLPG: the old page, from the TLB");
    qemu_forgets();
    tap_eq(peek(VA4K), 0xaaaa, "4 KB: still the old page after MOV to CR0 (WP only)");
    invlpg(VA4K);
    tap_eq(peek(VA4K), 0xbbbb, "4 KB: the new page after INVLPG");
}

static void large_page(void)
{
    for (unsigned i = 0; i < N; i++) {
        *(volatile uint64_t *)phys_to_virt(OLD2M + offsets[i]) = 0xa0 + i;
        *(volatile uint64_t *)phys_to_virt(NEW2M + offsets[i]) = 0xb0 + i;
    }
    uint64_t *pde = ktest_map_2m(VA2M, OLD2M, X86_PTE_RW | X86_PTE_XD);
    tap_eq(peek(VA2M), 0xa0, "2 MB: the page as mapped (one read caches the whole page)");
    *pde = NEW2M | X86_PTE_P | X86_PTE_PS | X86_PTE_RW | X86_PTE_XD;
    qemu_forgets();
    bool old = true;
    for (unsigned i = 0; i < N; i++)
        old &= peek(VA2M + offsets[i]) == 0xa0 + i;
    tap_ok(old, "2 MB: PDE changed without INVLPG: the old page at every offset, even unread ones");
    invlpg(VA2M + 0x123456); /* the middle of the page */
    bool fresh = true;
    for (unsigned i = 0; i < N; i++)
        fresh &= peek(VA2M + offsets[i]) == 0xb0 + i;
    tap_ok(fresh, "2 MB: INVLPG in its middle dropped the whole page (model and QEMU)");
}

void ktest_main(void)
{
    tap_plan(7);
    small_page();
    large_page();
}
