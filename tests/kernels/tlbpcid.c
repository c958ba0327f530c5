/*
 * tlbpcid.c - process-context identifiers (CR4.PCIDE = 1): TLB entries are
 * tagged with the PCID they were filled under (CR3 bits 11:0); MOV to CR3
 * invalidates the loaded PCID's entries unless bit 63 of the source is set;
 * INVPCID invalidates by address, by context, everything, or everything
 * but globals (SDM Vol. 3A §4.10.1, §4.10.4.1; Vol. 2A INVPCID).
 *
 * One virtual page is re-pointed between reads without INVLPG; which
 * physical page a read finds tells which entry the CPU used.  QEMU flushes
 * its TLB at every MOV to CR3 and knows no PCIDs, so without a model every
 * read after a MOV to CR3 walks (and the checks fail).  INVPCID is emulated
 * by the machine (QEMU 5.0 raises #UD for it).
 */
#include "tests/kernels/lib/tlbtest.h"

#define VA  0x0000005000000000ull
#define VAG 0x0000005000200000ull

static uint64_t base, pte_flags = X86_PTE_P | X86_PTE_XD;
static uint64_t *pte;
static volatile unsigned gp_hits;

static void point(uint64_t pa) { *pte = pa | pte_flags; } /* no invalidation */
static void cr3(uint64_t pcid, bool keep) { write_cr3(base | pcid | (keep ? X86_CR3_NOFLUSH : 0)); }

/* #GP at an INVPCID (66 0f 38 82 /r): count it and resume after it. */
static void on_gp(struct frame *f)
{
    const uint8_t *p = (const uint8_t *)f->rip;
    if (p[0] != 0x66 || p[1] != 0x0f || p[2] != 0x38 || p[3] != 0x82)
        return; /* not INVPCID: the count stays, the check fails */
    unsigned mod = p[4] >> 6, rm = p[4] & 7, len = 5;
    if (mod != 3 && rm == 4)
        len++; /* SIB */
    len += mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ? 4 : 0;
    gp_hits++;
    f->rip += len;
}

void ktest_main(void)
{
    tap_plan(15);
    ktest_on(13, on_gp);
    uint32_t r[4];
    cpuid(1, 0, r);
    tap_ok(r[2] & (1u << 17), "CPUID offers PCID");
    uint64_t a = marked_page(0xa), b = marked_page(0xb), c = marked_page(0xc);
    uint64_t d = marked_page(0xd), e = marked_page(0xe);
    base = read_cr3() & ~0xfffull;
    write_cr4(read_cr4() | X86_CR4_PCIDE);
    tap_ok(read_cr4() & X86_CR4_PCIDE, "CR4.PCIDE set");

    cr3(1, false);
    ktest_map(VA, a, X86_PTE_XD);
    pte = ktest_pte(VA);
    peek(VA);                  /* PCID 1 caches a */
    cr3(2, false);
    peek(VA);                  /* PCID 2 caches a too */
    point(b);
    cr3(1, true);
    tap_eq(peek(VA), 0xa, "PCID 1's entry survived MOV to CR3 with bit 63 (old page)");
    tap_eq(read_cr3(), base | 1, "CR3 holds PCID 1, not bit 63");
    cr3(2, true);
    tap_eq(peek(VA), 0xa, "PCID 2's own entry survived too");
    cr3(2, false);
    tap_eq(peek(VA), 0xb, "MOV to CR3 without bit 63 invalidated PCID 2's entries");
    cr3(1, true);
    tap_eq(peek(VA), 0xa, "PCID 1 still has its entry");

    invpcid(0, 1, VA);         /* individual address, the current PCID */
    tap_eq(peek(VA), 0xb, "INVPCID type 0 removed PCID 1's entry for the address");
    point(c);
    cr3(2, true);
    tap_eq(peek(VA), 0xb, "PCID 2 kept its entry (filled before the change)");
    invpcid(1, 2, 0);          /* single context: PCID 2 */
    tap_eq(peek(VA), 0xc, "INVPCID type 1 removed PCID 2's entries");

    /* Globals: type 3 keeps them, type 2 does not. */
    ktest_map(VAG, d, X86_PTE_G | X86_PTE_XD);
    peek(VAG);
    *ktest_pte(VAG) = e | X86_PTE_P | X86_PTE_G | X86_PTE_XD;
    point(a);
    invpcid(3, 0, 0);
    tap_ok(peek(VA) == 0xa && peek(VAG) == 0xd,
           "INVPCID type 3 removed non-global entries, kept the global one");
    invpcid(2, 0, 0);
    tap_eq(peek(VAG), 0xe, "INVPCID type 2 removed the global entry too");

    invpcid(4, 0, 0);
    tap_eq(gp_hits, 1, "INVPCID type 4: #GP");
    invpcid(1, 0x1000, 0);
    tap_eq(gp_hits, 2, "INVPCID with descriptor bits 63:12 set: #GP");

    cr3(0, false);
    write_cr4(read_cr4() & ~X86_CR4_PCIDE);
    invpcid(1, 5, 0);
    tap_eq(gp_hits, 3, "INVPCID type 1 with PCID 5 while CR4.PCIDE = 0: #GP");
}
