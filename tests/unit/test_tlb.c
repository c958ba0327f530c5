/*
 * test_tlb.c - the architectural behaviour of the TLB model (SDM Vol. 3A
 * §4.10) on synthetic page tables: what stays cached, what each event
 * invalidates, what the paging-structure caches save, the detector, the
 * dirty flag and faults from cached entries.  Each case names the rule it
 * checks; expected values are worked out from the rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tlb_fixture.h"
#include "mmu/tlb_internal.h"

/* Small structures of every kind; LRU. */
#define SPEC "l1d:4k=16x4,l1d:2m+1g=8,l1i:4k+2m+1g=16x4,stlb:4k+2m+1g=64x4," \
             "psc:pml5=2,psc:pml4=2,psc:pdpt=4,psc:pd=8"

#define KERNEL 0xffff800000000000ull

/* TLB entries (any structure, any level) for the page of va under pcid. */
static unsigned held(const struct tfx *f, uint64_t va, uint16_t pcid)
{
    unsigned n = 0;
    for (unsigned i = 0; i < f->t->n; i++) {
        const struct tlb_struct *s = &f->t->s[i];
        for (uint32_t k = 0; s->g.kind != TLB_PSC && k < s->g.entries; k++)
            n += tlb_covers(&s->e[k], va) && s->e[k].pcid == pcid;
    }
    return n;
}

/* Valid paging-structure-cache entries of pcid. */
static unsigned psc_held(const struct tfx *f, uint16_t pcid)
{
    unsigned n = 0;
    for (unsigned i = 0; i < f->t->n; i++) {
        const struct tlb_struct *s = &f->t->s[i];
        for (uint32_t k = 0; s->g.kind == TLB_PSC && k < s->g.entries; k++)
            n += s->e[k].valid && s->e[k].pcid == pcid;
    }
    return n;
}

/* Memory references (paging-structure entries read) by one read of va. */
static uint64_t reads_for(struct tfx *f, uint64_t va)
{
    uint64_t before = f->m.stats.entry_reads;
    assert_true(tfx_go(f, va, MMU_READ, 0));
    return f->m.stats.entry_reads - before;
}

/* The usual machine: 4-level paging, page 0x1000 -> 0x5000 with flags,
 * registers loaded; *pte (if pte) gets the address of the page's PTE. */
static struct tfx *one_page(const char *spec, uint64_t flags, uint64_t *pte)
{
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, spec);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, flags);
    tfx_load(f);
    if (pte)
        *pte = tfx_entry_pa(f, 0x1000, MMU_PTE);
    return f;
}

/* MOV to CR3 as the CPU executes it: the TLB event, then the register
 * (bit 63 is not stored). */
static void mov_cr3(struct tfx *f, uint64_t value)
{
    tlb_mov_cr3(&f->m, value);
    f->r.cr3 = value & ~X86_CR3_NOFLUSH;
    tfx_load(f);
}

static void mov_cr4(struct tfx *f, uint64_t value)
{
    tlb_mov_cr4(&f->m, f->r.cr4, value);
    f->r.cr4 = value;
    tfx_load(f);
}

static void mov_cr0(struct tfx *f, uint64_t value)
{
    tlb_mov_cr0(&f->m, f->r.cr0, value);
    f->r.cr0 = value;
    tfx_load(f);
}

/* A machine with PCIDs (and global pages) enabled, CR3 at PCID pcid. */
static struct tfx *pcid_machine(uint16_t pcid)
{
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, SPEC);
    f->r.cr4 |= X86_CR4_PCIDE | X86_CR4_PGE;
    f->r.cr3 = f->b.root | pcid;
    return f;
}

/* ---- without a model, and bypasses ------------------------------------- */

static void test_without_a_model_access_is_translate(void **state)
{
    (void)state;
    struct tfx *f = one_page(NULL, RW, NULL);
    struct mmu_walk w;
    assert_true(mmu_translate(&f->m, 0x1abc, MMU_READ, 0, &w));
    assert_true(tfx_go(f, 0x1abc, MMU_READ, 0));
    assert_int_equal(f->w.pa, w.pa);
    assert_int_equal(f->w.nsteps, 4);
    assert_int_equal(f->w.tlb_hit, -1);
    assert_int_equal(f->m.stats.walks, 2);
    assert_int_equal(f->m.stats.entry_reads, 8);
    tfx_free(f);
}

static void test_inspection_bypasses_the_model(void **state)
{
    (void)state;
    struct tfx *f = one_page(SPEC, RW, NULL);
    assert_true(mmu_access(&f->m, 0x1000, MMU_READ, MMU_DEBUG, &f->w));
    assert_true(mmu_access(&f->m, 0x1000, MMU_READ, MMU_NO_AD, &f->w));
    assert_null(tlb_peek(&f->m, 0x1000, MMU_READ, NULL));
    assert_int_equal(f->t->st.accesses, 0);
    /* A non-canonical address is #GP(0) before any TLB. */
    assert_false(tfx_go(f, 0x0000800000000000ull, MMU_READ, 0));
    assert_int_equal(f->w.fault, MMU_FAULT_GP);
    assert_int_equal(f->t->st.accesses, 0);
    tfx_free(f);
}

/* ---- staleness and INVLPG (§4.10.2.3, §4.10.4.1) ------------------------ */

static void test_stale_translation_until_invlpg(void **state)
{
    (void)state;
    uint64_t pte;
    struct tfx *f = one_page(SPEC, RW, &pte);
    assert_true(tfx_go(f, 0x1010, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x5010);
    /* The OS remaps the page and forgets INVLPG: the TLB still has it. */
    ptb_set(&f->b, pte, 0x6000 | P | RW);
    assert_true(tfx_go(f, 0x1010, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x5010);
    assert_true(f->w.tlb_hit >= 0);
    /* Memory says otherwise, as a walk without the model shows. */
    struct mmu_walk w;
    assert_true(mmu_translate(&f->m, 0x1010, MMU_READ, 0, &w));
    assert_int_equal(w.pa, 0x6010);
    tlb_invlpg(&f->m, 0x1ff0);
    assert_true(tfx_go(f, 0x1010, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x6010);
    assert_int_equal(f->w.tlb_hit, -1);
    assert_int_equal(f->t->st.events[TLB_EV_INVLPG], 1);
    tfx_free(f);
}

static void test_invlpg_inside_a_2m_page(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, SPEC);
    tfx_map(f, 0x40000000, 0x200000, X86_PAGE_2M, RW);
    tfx_load(f);
    uint64_t pde = tfx_entry_pa(f, 0x40000000, MMU_PDE);
    assert_int_equal(tfx_hm(f, 0x40000000), 'm');
    assert_int_equal(tfx_hm(f, 0x401ff000), 'h'); /* one entry for the 2 MB */
    ptb_set(&f->b, pde, 0x400000 | P | RW | X86_PTE_PS);
    assert_true(tfx_go(f, 0x40000000, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x200000);          /* stale */
    /* INVLPG of any address in the page removes the page's entries. */
    tlb_invlpg(&f->m, 0x40123456);
    assert_int_equal(held(f, 0x40000000, 0), 0);
    assert_int_equal(tfx_counters(f, "l1d:2m+1g")->invalidations, 1);
    assert_int_equal(tfx_counters(f, "stlb:4k+2m+1g")->invalidations, 1);
    assert_true(tfx_go(f, 0x40000000, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x400000);
    tfx_free(f);
}

static void test_invlpg_of_a_non_canonical_address_is_a_nop(void **state)
{
    (void)state;
    struct tfx *f = one_page(SPEC, RW, NULL);
    assert_int_equal(tfx_hm(f, 0x1000), 'm');
    tlb_invlpg(&f->m, 0x0000800000001000ull);
    assert_int_equal(tfx_hm(f, 0x1000), 'h');
    assert_int_equal(f->t->st.events[TLB_EV_INVLPG], 0);
    tfx_free(f);
}

static void test_legacy_4m_page_in_the_2m_structure(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_LEGACY, "skylake");
    tfx_map(f, 0x800000, 0x1000000, X86_PAGE_4M, RW);
    tfx_load(f);
    assert_int_equal(tfx_hm(f, 0x800000), 'm');
    assert_int_equal(tfx_hm(f, 0xbffffc), 'h');
    int si;
    const struct tlb_entry *e = tlb_peek(&f->m, 0x900000, MMU_READ, &si);
    assert_non_null(e);
    assert_string_equal(f->t->s[si].name, "l1d:2m");
    assert_int_equal(e->shift, 22);               /* tagged by bits 31:22 */
    tlb_invlpg(&f->m, 0xa00000);                  /* the upper 2 MB of the 4 MB */
    assert_int_equal(tfx_hm(f, 0x800000), 'm');
    tfx_free(f);
}

/* ---- global pages, PCIDs, INVPCID (§4.10.1, §4.10.2.4, §4.10.4.1) ------- */

static void test_global_entries(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, SPEC);
    f->r.cr4 |= X86_CR4_PGE;
    tfx_map(f, KERNEL, 0x5000, X86_PAGE_4K, RW | G);
    tfx_map(f, 0x1000, 0x6000, X86_PAGE_4K, RW | US);
    tfx_load(f);
    tfx_hm(f, KERNEL);
    tfx_hm(f, 0x1000);
    /* MOV to CR3 keeps global entries, flushes the others. */
    mov_cr3(f, f->r.cr3);
    assert_int_equal(tfx_hm(f, KERNEL), 'h');
    assert_int_equal(tfx_hm(f, 0x1000), 'm');
    /* INVPCID type 3 (all contexts, except globals) too. */
    assert_true(tlb_invpcid(&f->m, 3, 0, 0));
    assert_int_equal(tfx_hm(f, KERNEL), 'h');
    assert_int_equal(tfx_hm(f, 0x1000), 'm');
    /* INVPCID type 2 (all contexts, including globals) does not. */
    assert_true(tlb_invpcid(&f->m, 2, 0, 0));
    assert_int_equal(tfx_hm(f, KERNEL), 'm');
    /* Toggling CR4.PGE flushes everything... */
    mov_cr4(f, f->r.cr4 & ~X86_CR4_PGE);
    assert_int_equal(tfx_hm(f, KERNEL), 'm');
    assert_int_equal(f->t->st.events[TLB_EV_CR4_ALL], 1);
    /* ...and without PGE the G flag means nothing: MOV to CR3 flushes it. */
    mov_cr3(f, f->r.cr3);
    assert_int_equal(tfx_hm(f, KERNEL), 'm');
    mov_cr4(f, f->r.cr4 | X86_CR4_PGE);
    assert_int_equal(f->t->st.events[TLB_EV_CR4_ALL], 2);
    tfx_free(f);
}

static void test_pcid_tagging_and_the_no_flush_bit(void **state)
{
    (void)state;
    struct tfx *f = pcid_machine(1);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x2000, 0x6000, X86_PAGE_4K, RW | G);
    tfx_load(f);
    uint64_t root = f->b.root;
    assert_int_equal(tfx_hm(f, 0x1000), 'm');     /* PCID 1 */
    mov_cr3(f, root | 2 | X86_CR3_NOFLUSH);
    assert_int_equal(tfx_hm(f, 0x1000), 'm');     /* PCID 1's entry is not used */
    assert_int_equal(held(f, 0x1000, 1), 2);      /* but kept: L1 and STLB */
    mov_cr3(f, root | 1 | X86_CR3_NOFLUSH);
    assert_int_equal(tfx_hm(f, 0x1000), 'h');
    assert_int_equal(f->t->st.events[TLB_EV_MOV_CR3_NOFLUSH], 2);
    /* Without bit 63, the PCID loaded is flushed, and only it. */
    mov_cr3(f, root | 1);
    assert_int_equal(held(f, 0x1000, 1), 0);
    assert_int_equal(held(f, 0x1000, 2), 2);
    assert_int_equal(tfx_hm(f, 0x1000), 'm');
    mov_cr3(f, root | 2 | X86_CR3_NOFLUSH);
    assert_int_equal(tfx_hm(f, 0x1000), 'h');
    /* A global entry serves every PCID; INVLPG removes it from any PCID,
     * but the current PCID's non-global entries only. */
    assert_int_equal(tfx_hm(f, 0x2000), 'm');     /* filled under PCID 2 */
    mov_cr3(f, root | 1 | X86_CR3_NOFLUSH);
    assert_int_equal(tfx_hm(f, 0x2000), 'h');
    tlb_invlpg(&f->m, 0x2000);
    tlb_invlpg(&f->m, 0x1000);
    assert_int_equal(held(f, 0x1000, 2), 2);
    mov_cr3(f, root | 2 | X86_CR3_NOFLUSH);
    assert_int_equal(tfx_hm(f, 0x2000), 'm');
    assert_int_equal(tfx_hm(f, 0x1000), 'h');
    tfx_free(f);
}

static void test_invpcid_types(void **state)
{
    (void)state;
    struct tfx *f = pcid_machine(1);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x3000, 0x7000, X86_PAGE_4K, RW | G);
    tfx_load(f);
    uint64_t root = f->b.root;
    tfx_hm(f, 0x1000);                             /* X: PCID 1 */
    tfx_hm(f, 0x3000);                             /* K: global, filled under 1 */
    mov_cr3(f, root | 2 | X86_CR3_NOFLUSH);
    tfx_hm(f, 0x1000);                             /* Y: PCID 2 */
    assert_true(psc_held(f, 1) > 0 && psc_held(f, 2) > 0);

    /* Type 0: PCID 1's non-global mapping of the address, and all of
     * PCID 1's PSC entries; PCID 2's mapping of the same address stays. */
    assert_true(tlb_invpcid(&f->m, 0, 1, 0x1000));
    assert_int_equal(held(f, 0x1000, 1), 0);
    assert_int_equal(held(f, 0x1000, 2), 2);
    assert_int_equal(psc_held(f, 1), 0);
    assert_true(psc_held(f, 2) > 0);
    /* Type 0 spares global translations even for its address. */
    assert_true(tlb_invpcid(&f->m, 0, 1, 0x3000));
    assert_int_equal(held(f, 0x3000, 1), 2);
    /* Type 1: all of PCID 2's non-global mappings. */
    assert_true(tlb_invpcid(&f->m, 1, 2, 0));
    assert_int_equal(held(f, 0x1000, 2), 0);
    assert_int_equal(psc_held(f, 2), 0);
    assert_int_equal(held(f, 0x3000, 1), 2);
    /* Type 3: every PCID, globals spared. */
    tfx_hm(f, 0x1000);
    assert_true(tlb_invpcid(&f->m, 3, 0, 0));
    assert_int_equal(held(f, 0x1000, 2), 0);
    assert_int_equal(held(f, 0x3000, 1), 2);
    /* Type 2: everything. */
    assert_true(tlb_invpcid(&f->m, 2, 0, 0));
    assert_int_equal(held(f, 0x3000, 1), 0);
    for (unsigned type = 0; type < 4; type++)
        assert_int_equal(f->t->st.events[TLB_EV_INVPCID0 + type], type == 0 ? 2 : 1);
    tfx_free(f);
}

static void test_invpcid_general_protection(void **state)
{
    (void)state;
    struct tfx *f = pcid_machine(1);
    tfx_load(f);
    assert_false(tlb_invpcid(&f->m, 4, 0, 0));                        /* bad type */
    assert_false(tlb_invpcid(&f->m, 1, 0x1000, 0));                   /* bits 63:12 */
    assert_false(tlb_invpcid(&f->m, 0, 1, 0x0000800000000000ull));    /* non-canonical */
    f->r.cr4 &= ~X86_CR4_PCIDE;
    f->r.cr3 = f->b.root;
    tfx_load(f);
    /* Without PCIDs, types 0 and 1 accept only PCID 000H. */
    assert_false(tlb_invpcid(&f->m, 0, 1, 0x1000));
    assert_false(tlb_invpcid(&f->m, 1, 1, 0));
    assert_true(tlb_invpcid(&f->m, 1, 0, 0));
    assert_true(tlb_invpcid(&f->m, 2, 0, 0));
    assert_int_equal(f->t->st.events[TLB_EV_INVPCID0], 0);
    tfx_free(f);
}

/* ---- MOV to CR4 and CR0 (§4.10.4.1) ------------------------------------- */

static void test_cr4_smep_pae_and_pcide(void **state)
{
    (void)state;
    struct tfx *f = pcid_machine(1);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW | US);
    tfx_map(f, 0x3000, 0x7000, X86_PAGE_4K, RW | G);
    tfx_load(f);
    uint64_t root = f->b.root;
    tfx_hm(f, 0x1000);
    mov_cr3(f, root | 2 | X86_CR3_NOFLUSH);
    tfx_hm(f, 0x1000);
    tfx_hm(f, 0x3000);                             /* global, filled under PCID 2 */
    /* SMEP 0 -> 1: all entries of the current PCID, its globals included;
     * other PCIDs keep theirs. */
    mov_cr4(f, f->r.cr4 | X86_CR4_SMEP);
    assert_int_equal(held(f, 0x1000, 2), 0);
    assert_int_equal(held(f, 0x3000, 2), 0);
    assert_int_equal(psc_held(f, 2), 0);
    assert_int_equal(held(f, 0x1000, 1), 2);
    assert_int_equal(f->t->st.events[TLB_EV_CR4_PCID], 1);
    /* SMEP 1 -> 0, SMAP, PKE: nothing (rights are re-derived anyway). */
    tfx_hm(f, 0x1000);
    mov_cr4(f, (f->r.cr4 & ~X86_CR4_SMEP) | X86_CR4_SMAP | X86_CR4_PKE);
    assert_int_equal(held(f, 0x1000, 2), 2);
    assert_int_equal(f->t->st.events[TLB_EV_CR4_PCID], 1);
    /* PCIDE 1 -> 0 (with CR3[11:0] = 0): everything, every PCID. */
    mov_cr3(f, root | X86_CR3_NOFLUSH);
    mov_cr4(f, f->r.cr4 & ~X86_CR4_PCIDE);
    assert_int_equal(held(f, 0x1000, 1) + held(f, 0x1000, 2), 0);
    assert_int_equal(psc_held(f, 1) + psc_held(f, 2), 0);
    assert_int_equal(f->t->st.events[TLB_EV_CR4_ALL], 1);
    tfx_free(f);

    /* PAE changes (32-bit paging to PAE paging): the current PCID, 000H. */
    f = tfx_new(MMU_MODE_LEGACY, SPEC);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW);
    tfx_load(f);
    tfx_hm(f, 0x1000);
    tlb_mov_cr4(&f->m, f->r.cr4, f->r.cr4 | X86_CR4_PAE);
    assert_int_equal(held(f, 0x1000, 0), 0);
    assert_int_equal(f->t->st.events[TLB_EV_CR4_PCID], 1);
    tfx_free(f);
}

static void test_cr0(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, SPEC);
    f->r.cr4 |= X86_CR4_PGE;
    tfx_map(f, KERNEL, 0x5000, X86_PAGE_4K, RW | G);
    tfx_load(f);
    tfx_hm(f, KERNEL);
    /* WP (and CD, NW) changes need no invalidation: WP applies at use. */
    mov_cr0(f, f->r.cr0 & ~X86_CR0_WP);
    mov_cr0(f, f->r.cr0 | X86_CR0_WP | X86_CR0_CD);
    assert_int_equal(tfx_hm(f, KERNEL), 'h');
    assert_int_equal(f->t->st.events[TLB_EV_CR0_PG], 0);
    /* PG 1 -> 0: everything, globals included. */
    tlb_mov_cr0(&f->m, f->r.cr0, f->r.cr0 & ~X86_CR0_PG);
    assert_int_equal(held(f, KERNEL, 0), 0);
    assert_int_equal(psc_held(f, 0), 0);
    assert_int_equal(f->t->st.events[TLB_EV_CR0_PG], 1);
    tfx_free(f);
}

/* ---- paging-structure caches (§4.10.3) ---------------------------------- */

static void test_psc_cut_memory_references(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, SPEC);
    uint64_t va[] = {
        0x1000,        /* A */
        0x2000,        /* B: A's page table */
        0x200000,      /* C: A's page directory, another PDE */
        0x40000000,    /* D: A's PDPT, another PDPTE */
        0x8000000000,  /* E: another PML4E */
        0x3000,        /* F: A's page table, after INVLPG */
    };
    for (unsigned i = 0; i < 6; i++)
        tfx_map(f, va[i], 0x5000, X86_PAGE_4K, RW);
    tfx_load(f);
    assert_int_equal(reads_for(f, va[0]), 4);     /* PML4E PDPTE PDE PTE */
    assert_int_equal(f->w.psc_level, 0);
    assert_int_equal(reads_for(f, va[1]), 1);     /* PDE cache: the PTE only */
    assert_int_equal(f->w.psc_level, MMU_PDE);
    assert_int_equal(f->w.nsteps, 1);
    assert_int_equal(f->w.step[0].level, MMU_PTE);
    assert_int_equal(reads_for(f, va[2]), 2);     /* PDPTE cache: PDE PTE */
    assert_int_equal(f->w.psc_level, MMU_PDPTE);
    assert_int_equal(reads_for(f, va[3]), 3);     /* PML4E cache: PDPTE PDE PTE */
    assert_int_equal(f->w.psc_level, MMU_PML4E);
    assert_int_equal(reads_for(f, va[4]), 4);
    const struct tlb_stats *st = &f->t->st;
    assert_int_equal(st->walks, 5);
    assert_int_equal(st->walk_reads, 14);
    assert_int_equal(st->reads_saved, 3 + 2 + 1);
    assert_int_equal(st->psc_starts[MMU_PDE], 1);
    assert_int_equal(st->psc_starts[MMU_PDPTE], 1);
    assert_int_equal(st->psc_starts[MMU_PML4E], 1);
    assert_int_equal(st->walks_by_reads[1], 1);
    assert_int_equal(st->walks_by_reads[4], 2);
    /* The PDE cache was searched 5 times and hit once; the PDPTE cache
     * searched after each of its 4 misses; the PML4 cache after 3. */
    assert_int_equal(tfx_counters(f, "psc:pd")->lookups, 5);
    assert_int_equal(tfx_counters(f, "psc:pd")->hits, 1);
    assert_int_equal(tfx_counters(f, "psc:pdpt")->lookups, 4);
    assert_int_equal(tfx_counters(f, "psc:pml4")->lookups, 3);
    /* INVLPG empties the current PCID's paging-structure caches. */
    tlb_invlpg(&f->m, va[0]);
    assert_int_equal(psc_held(f, 0), 0);
    assert_int_equal(reads_for(f, va[5]), 4);
    tfx_free(f);
}

static void test_psc_in_every_mode(void **state)
{
    (void)state;
    /* 5-level: a PML5-cache hit spares the PML5E. */
    struct tfx *f = tfx_new(MMU_MODE_5LEVEL, SPEC);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x8000000000, 0x5000, X86_PAGE_4K, RW); /* PML4 index 1 */
    tfx_map(f, 0x2000, 0x5000, X86_PAGE_4K, RW);
    tfx_load(f);
    assert_int_equal(reads_for(f, 0x1000), 5);
    assert_int_equal(reads_for(f, 0x8000000000), 4);
    assert_int_equal(f->w.psc_level, MMU_PML5E);
    assert_int_equal(reads_for(f, 0x2000), 1);
    tfx_free(f);

    /* PAE: only a PDE cache; the PDPTE comes from a register, never read. */
    f = tfx_new(MMU_MODE_PAE, SPEC);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x2000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x40001000, 0x5000, X86_PAGE_4K, RW);
    tfx_load(f);
    assert_int_equal(reads_for(f, 0x1000), 2);
    assert_int_equal(reads_for(f, 0x2000), 1);
    assert_int_equal(reads_for(f, 0x40001000), 2);
    assert_int_equal(f->w.psc_level, 0);
    assert_int_equal(f->t->st.reads_saved, 1);
    assert_int_equal(tfx_counters(f, "psc:pdpt")->lookups, 0);
    tfx_free(f);

    /* 32-bit paging: the PDE cache is tagged by bits 31:22. */
    f = tfx_new(MMU_MODE_LEGACY, SPEC);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x3ff000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x400000, 0x5000, X86_PAGE_4K, RW);
    tfx_load(f);
    assert_int_equal(reads_for(f, 0x1000), 2);
    assert_int_equal(reads_for(f, 0x3ff000), 1);  /* same PDE (bits 31:22 = 0) */
    assert_int_equal(reads_for(f, 0x400000), 2);  /* PDE 1 */
    tfx_free(f);
}

static void test_psc_entries_come_only_from_successful_walks(void **state)
{
    (void)state;
    struct tfx *f = one_page(SPEC, RW, NULL);
    /* 0x2000's PTE is not present: the walk faults, and the fault leaves
     * no PSC entry for the address (§4.10.4.1). */
    assert_false(tfx_go(f, 0x2000, MMU_READ, 0));
    assert_int_equal(psc_held(f, 0), 0);
    assert_int_equal(f->t->st.events[TLB_EV_PAGE_FAULT], 1);
    assert_int_equal(reads_for(f, 0x1000), 4);
    assert_int_equal(psc_held(f, 0), 3);          /* PML4E, PDPTE, PDE */
    /* A large page's entry is a leaf: a 2 MB page leaves PML4E and PDPTE
     * entries, no PDE entry. */
    tfx_map(f, 0x40000000, 0x200000, X86_PAGE_2M, RW);
    tlb_flush_all(f->t);
    assert_int_equal(reads_for(f, 0x40000000), 3);
    assert_int_equal(psc_held(f, 0), 2);
    tfx_free(f);
}

/* ---- the detector -------------------------------------------------------- */

struct reports {
    unsigned n;
    struct tlb_stale r[8];
};

static void collect(void *ctx, const struct tlb_stale *r)
{
    struct reports *rs = ctx;
    if (rs->n < 8)
        rs->r[rs->n] = *r;
    rs->n++;
}

static void test_detector_reports_a_missing_invalidation(void **state)
{
    (void)state;
    uint64_t pte;
    struct tfx *f = one_page(SPEC, RW, &pte);
    struct reports rs = { 0 };
    tlb_set_detector(f->t, collect, &rs);
    assert_true(tfx_go(f, 0x1000, MMU_READ, 0));
    uint64_t filled = ptb_get(&f->b, pte);
    assert_int_equal(filled, 0x5000 | P | RW | X86_PTE_A);
    /* Planted: the page moves to 0x6000 without INVLPG. */
    ptb_set(&f->b, pte, 0x6000 | P | RW | X86_PTE_A);
    assert_true(tfx_go(f, 0x1010, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x5010);            /* used all the same */
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.r[0].va, 0x1010);
    assert_int_equal(rs.r[0].access, MMU_READ);
    assert_int_equal(rs.r[0].level, MMU_PTE);
    assert_int_equal(rs.r[0].entry_pa, pte);
    assert_int_equal(rs.r[0].old_value, filled);
    assert_int_equal(rs.r[0].new_value, 0x6000 | P | RW | X86_PTE_A);
    assert_string_equal(f->t->s[rs.r[0].structure].name, "l1d:4k");
    assert_int_equal(f->t->st.stale_reports, 1);
    /* Reported once per cached entry; every use while stale is counted. */
    assert_true(tfx_go(f, 0x1018, MMU_READ, 0));
    assert_int_equal(rs.n, 1);
    assert_int_equal(f->t->st.stale_uses, 2);
    /* A write through the clean entry walks to set D, and so picks up
     * the new translation (and sets D in the new PTE). */
    assert_true(tfx_go(f, 0x1008, MMU_WRITE, 0));
    assert_int_equal(f->w.pa, 0x6008);
    tlb_invlpg(&f->m, 0x1000);
    assert_true(tfx_go(f, 0x1010, MMU_READ, 0));
    assert_int_equal(f->w.pa, 0x6010);
    assert_true(tfx_go(f, 0x1010, MMU_READ, 0));
    assert_int_equal(rs.n, 1);
    tfx_free(f);
}

static void test_detector_ignores_what_does_not_matter(void **state)
{
    (void)state;
    uint64_t pte;
    struct tfx *f = one_page(SPEC, RW, &pte);
    struct reports rs = { 0 };
    tlb_set_detector(f->t, collect, &rs);
    tfx_hm(f, 0x1000);
    /* Software clears A (working-set aging), sets an ignored bit: no report. */
    ptb_set(&f->b, pte, (ptb_get(&f->b, pte) & ~X86_PTE_A) | X86_BIT(10));
    assert_int_equal(tfx_hm(f, 0x1000), 'h');
    assert_int_equal(rs.n, 0);
    /* A write sets D through a new walk; the data TLB entry is refilled. */
    assert_true(tfx_go(f, 0x1000, MMU_WRITE, 0));
    assert_int_equal(rs.n, 0);
    /* Clearing D under a dirty cached translation loses later writes'
     * dirty marking: reported. */
    ptb_set(&f->b, pte, ptb_get(&f->b, pte) & ~X86_PTE_D);
    assert_true(tfx_go(f, 0x1000, MMU_WRITE, 0));
    assert_true(f->w.tlb_hit >= 0);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.r[0].old_value ^ rs.r[0].new_value, X86_PTE_D);
    tfx_free(f);
}

static void test_detector_watches_paging_structure_caches(void **state)
{
    (void)state;
    struct tfx *f = one_page(SPEC, RW, NULL);
    struct reports rs = { 0 };
    tlb_set_detector(f->t, collect, &rs);
    tfx_map(f, 0x2000, 0x6000, X86_PAGE_4K, RW);
    /* A second page table for the same 2 MB, mapping 0x2000 elsewhere. */
    tfx_map(f, 0x80002000, 0x7000, X86_PAGE_4K, RW);
    uint64_t pde = tfx_entry_pa(f, 0x1000, MMU_PDE);
    uint64_t other = ptb_get(&f->b, tfx_entry_pa(f, 0x80002000, MMU_PDE));
    tfx_hm(f, 0x1000);
    uint64_t old = ptb_get(&f->b, pde);
    /* The PDE now points at the other table; no invalidation. */
    ptb_set(&f->b, pde, other);
    assert_true(tfx_go(f, 0x2000, MMU_READ, 0));
    assert_int_equal(f->w.psc_level, MMU_PDE);
    assert_int_equal(f->w.pa, 0x6000);            /* through the cached PDE */
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.r[0].level, MMU_PDE);
    assert_int_equal(rs.r[0].entry_pa, pde);
    assert_int_equal(rs.r[0].old_value, old);
    assert_int_equal(rs.r[0].new_value, other);
    assert_string_equal(f->t->s[rs.r[0].structure].name, "psc:pd");
    tfx_free(f);
}

/* ---- dirty flag, faults and rights from cached entries ----------------- */

static void test_write_through_a_clean_entry_walks_and_sets_d(void **state)
{
    (void)state;
    uint64_t pte;
    struct tfx *f = one_page(SPEC, RW, &pte);
    assert_int_equal(tfx_hm(f, 0x1000), 'm');
    assert_false(f->w.dirty);
    assert_true(tfx_go(f, 0x1000, MMU_WRITE, 0));
    assert_int_equal(f->w.tlb_hit, -1);           /* walked */
    assert_true(ptb_get(&f->b, pte) & X86_PTE_D);
    assert_int_equal(f->t->st.dirty_walks, 1);
    assert_true(tfx_go(f, 0x1000, MMU_WRITE, 0));
    assert_true(f->w.tlb_hit >= 0);               /* the refilled entry is dirty */
    assert_int_equal(f->t->st.walks, 2);
    tfx_free(f);
}

static void relaxed_page_write(const char *spec, bool expect_fault)
{
    uint64_t pte;
    struct tfx *f = one_page(spec, 0, &pte);      /* supervisor, read-only */
    tfx_hm(f, 0x1000);
    /* The OS makes the page writable without invalidating (allowed,
     * §4.10.4.3), then writes to it. */
    ptb_set(&f->b, pte, ptb_get(&f->b, pte) | RW);
    bool ok = tfx_go(f, 0x1000, MMU_WRITE, 0);
    assert_int_equal(ok, !expect_fault);
    if (expect_fault) {
        /* A spurious #PF from the cached entry: protection, write. */
        assert_int_equal(f->w.error_code, X86_PF_P | X86_PF_W);
        assert_int_equal(f->w.why, MMU_WHY_READ_ONLY);
        assert_true(f->w.tlb_hit >= 0);
        assert_int_equal(f->t->st.cached_faults, 1);
        /* The fault removed the entry: the retry walks and succeeds. */
        assert_true(tfx_go(f, 0x1000, MMU_WRITE, 0));
        assert_int_equal(f->w.tlb_hit, -1);
    } else {
        assert_int_equal(f->t->st.fault_rewalks, 1);
        assert_int_equal(f->t->st.cached_faults, 0);
    }
    assert_true(ptb_get(&f->b, pte) & X86_PTE_D);
    tfx_free(f);
}

static void test_spurious_fault_or_rewalk_after_relaxing_rights(void **state)
{
    (void)state;
    relaxed_page_write(SPEC, true);
    relaxed_page_write(SPEC ",fault=rewalk", false);
}

static void test_rights_are_rederived_for_the_context(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, SPEC);
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW | US);
    tfx_map(f, 0x2000, 0x6000, X86_PAGE_4K, RW);      /* supervisor */
    f->r.cr4 |= X86_CR4_SMAP;
    tfx_load(f);
    /* Filled by a user read; a supervisor access with AC = 0 is refused
     * by SMAP from the entry; with AC = 1 the same entry serves. */
    assert_true(tfx_go(f, 0x1000, MMU_READ, 3));
    assert_int_equal(f->w.rights, MMU_R | MMU_W | MMU_X);
    mmu_set_privilege(&f->m, 0, true, 0);
    assert_true(mmu_access(&f->m, 0x1000, MMU_READ, 0, &f->w));
    assert_true(f->w.tlb_hit >= 0);
    assert_int_equal(f->w.rights, MMU_R | MMU_W | MMU_X); /* SMEP is off */
    mmu_set_privilege(&f->m, 0, false, 0);
    assert_false(mmu_access(&f->m, 0x1000, MMU_READ, 0, &f->w));
    assert_int_equal(f->w.why, MMU_WHY_SMAP);
    assert_true(f->w.tlb_hit >= 0);
    /* Filled by the kernel; a user read faults from the entry. */
    assert_true(tfx_go(f, 0x2000, MMU_READ, 0));
    assert_false(tfx_go(f, 0x2000, MMU_READ, 3));
    assert_int_equal(f->w.error_code, X86_PF_P | X86_PF_U);
    assert_int_equal(f->w.why, MMU_WHY_USER);
    assert_true(f->w.tlb_hit >= 0);
    /* ...which invalidated it: the kernel's next read walks. */
    assert_int_equal(tfx_hm(f, 0x2000), 'm');
    tfx_free(f);
}

static void test_cr0_wp_applies_to_cached_entries(void **state)
{
    (void)state;
    struct tfx *f = one_page(SPEC, 0, NULL);          /* supervisor read-only */
    f->r.cr0 &= ~X86_CR0_WP;
    tfx_load(f);
    assert_true(tfx_go(f, 0x1000, MMU_WRITE, 0));     /* WP = 0: allowed */
    assert_true(tfx_go(f, 0x1000, MMU_WRITE, 0));
    assert_true(f->w.tlb_hit >= 0);
    mov_cr0(f, f->r.cr0 | X86_CR0_WP);                /* no invalidation */
    assert_false(tfx_go(f, 0x1000, MMU_WRITE, 0));
    assert_true(f->w.tlb_hit >= 0);
    assert_int_equal(f->w.why, MMU_WHY_READ_ONLY);
    tfx_free(f);
}

/* ---- hooks and statistics ------------------------------------------------ */

static void count_drops(void *ctx, int structure, const struct tlb_entry *e,
                        enum tlb_drop why)
{
    (void)structure, (void)e;
    ((unsigned *)ctx)[why]++;
}

static void test_drop_hook_sees_every_departure(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "l1d:4k=2");
    unsigned drops[3] = { 0 };
    tlb_set_drop_hook(f->t, count_drops, drops);
    for (uint64_t va = 0x1000; va <= 0x3000; va += 0x1000)
        tfx_map(f, va, 0x5000, X86_PAGE_4K, RW);
    tfx_load(f);
    tfx_hm(f, 0x1000);
    tfx_hm(f, 0x2000);
    tfx_hm(f, 0x3000);                                /* evicts 0x1000 */
    assert_true(tfx_go(f, 0x3000, MMU_WRITE, 0));     /* refilled dirty */
    tlb_invlpg(&f->m, 0x2000);
    assert_int_equal(drops[TLB_DROP_EVICT], 1);
    assert_int_equal(drops[TLB_DROP_REPLACE], 1);
    assert_int_equal(drops[TLB_DROP_INVALIDATE], 1);
    tfx_free(f);
}

static void test_statistics_print(void **state)
{
    (void)state;
    struct tfx *f = tfx_new(MMU_MODE_4LEVEL, "l1d:4k=4,psc:pd=2");
    tfx_map(f, 0x1000, 0x5000, X86_PAGE_4K, RW);
    tfx_map(f, 0x2000, 0x5000, X86_PAGE_4K, RW);
    tfx_load(f);
    tfx_hm(f, 0x1000);
    tfx_hm(f, 0x1000);
    tfx_hm(f, 0x2000);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    tlb_print_stats(out, f->t);
    fclose(out);
    assert_non_null(strstr(text, "l1d:4k                 4     4     1 lru"));
    assert_non_null(strstr(text, "accesses 3: L1 hits 1 (33.3%), L2 hits 0, walks 2"));
    assert_non_null(strstr(text, "walks read 5 entries (2.50 per walk)"));
    free(text);
    out = open_memstream(&text, &len);
    tlb_print_json(out, f->t);
    fclose(out);
    assert_non_null(strstr(text, "{\"structures\":[{\"name\":\"l1d:4k\",\"entries\":4,"));
    assert_non_null(strstr(text, "\"accesses\":3,\"l1_hits\":1,\"l2_hits\":0,\"walks\":2,"));
    assert_non_null(strstr(text, "\"walks_by_reads\":[0,1,0,0,1,0]"));
    unsigned open = 0, close = 0;
    for (const char *p = text; *p; p++) {
        open += *p == '{' || *p == '[';
        close += *p == '}' || *p == ']';
    }
    assert_int_equal(open, close);
    free(text);
    tfx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_a_model_access_is_translate),
        cmocka_unit_test(test_inspection_bypasses_the_model),
        cmocka_unit_test(test_stale_translation_until_invlpg),
        cmocka_unit_test(test_invlpg_inside_a_2m_page),
        cmocka_unit_test(test_invlpg_of_a_non_canonical_address_is_a_nop),
        cmocka_unit_test(test_legacy_4m_page_in_the_2m_structure),
        cmocka_unit_test(test_global_entries),
        cmocka_unit_test(test_pcid_tagging_and_the_no_flush_bit),
        cmocka_unit_test(test_invpcid_types),
        cmocka_unit_test(test_invpcid_general_protection),
        cmocka_unit_test(test_cr4_smep_pae_and_pcide),
        cmocka_unit_test(test_cr0),
        cmocka_unit_test(test_psc_cut_memory_references),
        cmocka_unit_test(test_psc_in_every_mode),
        cmocka_unit_test(test_psc_entries_come_only_from_successful_walks),
        cmocka_unit_test(test_detector_reports_a_missing_invalidation),
        cmocka_unit_test(test_detector_ignores_what_does_not_matter),
        cmocka_unit_test(test_detector_watches_paging_structure_caches),
        cmocka_unit_test(test_write_through_a_clean_entry_walks_and_sets_d),
        cmocka_unit_test(test_spurious_fault_or_rewalk_after_relaxing_rights),
        cmocka_unit_test(test_rights_are_rederived_for_the_context),
        cmocka_unit_test(test_cr0_wp_applies_to_cached_entries),
        cmocka_unit_test(test_drop_hook_sees_every_departure),
        cmocka_unit_test(test_statistics_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
