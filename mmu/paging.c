/*
 * paging.c - which paging mode the registers select, and what each level of
 * that mode looks like: how many linear-address bits it indexes, whether an
 * entry there may map a page, and which of its bits are reserved.
 *
 * Everything here is derived once per change of CR0/CR3/CR4/EFER so that a
 * walk only indexes tables.  Sources: SDM Vol. 3A §4.1 (modes), §4.3 (32-bit
 * paging, Tables 4-4 to 4-6), §4.4 (PAE, Tables 4-7 to 4-11), §4.5 (4-level
 * and 5-level, Tables 4-14 to 4-20).
 */
#include <string.h>

#include "mmu/mmu.h"
#include "mmu/mmu_internal.h"
#include "shared/x86.h"

/* Bits hi:lo inclusive (hi may be below lo: empty). */
static uint64_t bits(unsigned hi, unsigned lo)
{
    if (hi < lo)
        return 0;
    uint64_t upto_hi = hi >= 63 ? ~0ull : (X86_BIT(hi + 1) - 1);
    return upto_hi & ~(X86_BIT(lo) - 1);
}

void mmu_features_default(struct mmu_features *f)
{
    f->maxphyaddr = 40;
    f->pse36 = true;
    f->gbpages = true;
}

void mmu_init(struct mmu *m, const struct mmu_features *f, const struct mmu_pmem *pmem)
{
    memset(m, 0, sizeof *m);
    m->feat = *f;
    if (m->feat.maxphyaddr < 32)
        m->feat.maxphyaddr = 32;
    if (m->feat.maxphyaddr > 52)
        m->feat.maxphyaddr = 52;
    m->pmem = *pmem;
    m->paging.mode = MMU_MODE_OFF;
    m->paging.va_bits = 32;
}

static enum mmu_mode select_mode(const struct mmu_regs *r)
{
    if (!(r->cr0 & X86_CR0_PG))
        return MMU_MODE_OFF;
    if (!(r->cr4 & X86_CR4_PAE))
        return MMU_MODE_LEGACY;
    if (!(r->efer & X86_EFER_LME))
        return MMU_MODE_PAE;
    return (r->cr4 & X86_CR4_LA57) ? MMU_MODE_5LEVEL : MMU_MODE_4LEVEL;
}

static void level(struct mmu_paging *p, unsigned lv, unsigned shift, unsigned index_bits,
                  bool page_ok, uint64_t rsvd_table, uint64_t rsvd_page)
{
    p->lv[lv] = (struct mmu_level_desc){
        .shift = (uint8_t)shift,
        .index_bits = (uint8_t)index_bits,
        .page_ok = page_ok,
        .rsvd_table = rsvd_table,
        .rsvd_page = rsvd_page,
    };
}

/* 32-bit paging (§4.3): no reserved bits except in 4 MB PDEs. */
static void describe_legacy(struct mmu_paging *p, const struct mmu *m, const struct mmu_regs *r)
{
    /* Bits (M-1):32 of a 4 MB page come from PDE bits (M-20):13, with
     * M = min(MAXPHYADDR, 40), or 32 without PSE-36 (Table 4-5). */
    unsigned m32 = m->feat.pse36 ? (m->feat.maxphyaddr < 40 ? m->feat.maxphyaddr : 40) : 32;
    p->top = MMU_PDE;
    p->width = 4;
    p->va_bits = 32;
    p->addr_mask = 0xfffff000ull;
    level(p, MMU_PDE, 22, 10, r->cr4 & X86_CR4_PSE, 0, X86_BIT(21) | bits(20, m32 - 19));
    level(p, MMU_PTE, 12, 10, false, 0, 0);
}

/* PAE paging (§4.4): bits 62:M are reserved and so is XD without NXE. */
static void describe_pae(struct mmu_paging *p, const struct mmu *m)
{
    unsigned M = m->feat.maxphyaddr;
    uint64_t hi = bits(62, M) | (p->nxe ? 0 : X86_PTE_XD);
    p->top = MMU_PDPTE;
    p->width = 8;
    p->va_bits = 32;
    p->addr_mask = bits(M - 1, 12);
    /* PDPTE registers: bits 2:1, 8:5 and 63:M reserved (Table 4-8). */
    level(p, MMU_PDPTE, 30, 2, false, bits(2, 1) | bits(8, 5) | bits(63, M), 0);
    level(p, MMU_PDE, 21, 9, true, hi, hi | bits(20, 13));
    level(p, MMU_PTE, 12, 9, false, 0, hi);
}

/* 4-level and 5-level paging (§4.5): bits 51:M reserved, 62:52 ignored. */
static void describe_ia32e(struct mmu_paging *p, const struct mmu *m, bool la57)
{
    unsigned M = m->feat.maxphyaddr;
    uint64_t hi = bits(51, M) | (p->nxe ? 0 : X86_PTE_XD);
    bool gb = m->feat.gbpages;
    p->top = la57 ? MMU_PML5E : MMU_PML4E;
    p->width = 8;
    p->va_bits = la57 ? 57 : 48;
    p->addr_mask = bits(M - 1, 12);
    level(p, MMU_PML5E, 48, 9, false, hi | X86_PTE_PS, 0);
    level(p, MMU_PML4E, 39, 9, false, hi | X86_PTE_PS, 0);
    /* Without 1 GB page support PS is reserved in a PDPTE (Table 4-16). */
    level(p, MMU_PDPTE, 30, 9, gb, hi | (gb ? 0 : X86_PTE_PS), hi | bits(29, 13));
    level(p, MMU_PDE, 21, 9, true, hi, hi | bits(20, 13));
    level(p, MMU_PTE, 12, 9, false, 0, hi);
}

static void describe(struct mmu_paging *p, const struct mmu *m, const struct mmu_regs *r)
{
    memset(p, 0, sizeof *p);
    p->mode = (uint8_t)select_mode(r);
    p->wp = r->cr0 & X86_CR0_WP;
    p->smep = r->cr4 & X86_CR4_SMEP;
    p->smap = r->cr4 & X86_CR4_SMAP;
    p->pge = r->cr4 & X86_CR4_PGE;
    p->pae_or_long = r->cr4 & X86_CR4_PAE;
    /* XD exists only with PAE or IA-32e paging (§4.1.3). */
    p->nxe = p->pae_or_long && (r->efer & X86_EFER_NXE);
    switch (p->mode) {
    case MMU_MODE_OFF:
        p->va_bits = 32;
        break;
    case MMU_MODE_LEGACY:
        describe_legacy(p, m, r);
        break;
    case MMU_MODE_PAE:
        describe_pae(p, m);
        break;
    case MMU_MODE_4LEVEL:
    case MMU_MODE_5LEVEL:
        /* Protection keys and PCIDs exist only with IA-32e paging (§4.6.2, §4.10.1). */
        p->pke = r->cr4 & X86_CR4_PKE;
        p->pcide = r->cr4 & X86_CR4_PCIDE;
        describe_ia32e(p, m, p->mode == MMU_MODE_5LEVEL);
        break;
    }
}

/*
 * Load the four PDPTE registers from the 32-byte table CR3 points to
 * (§4.4.1).  A present PDPTE with a reserved bit fails the load: #GP(0).
 */
static bool load_pdptes(struct mmu *m, const struct mmu_paging *p, uint64_t cr3,
                        struct mmu_walk *gp)
{
    uint64_t base = cr3 & 0xffffffe0ull, pdpte[4];
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pa = base + 8 * i;
        if (!mmu_pmem_read(m, pa, &pdpte[i], 8)) {
            if (gp)
                mmu_fail(gp, MMU_FAULT_BUS, MMU_WHY_BUS, 0, 0);
            return false;
        }
        if ((pdpte[i] & X86_PTE_P) && (pdpte[i] & p->lv[MMU_PDPTE].rsvd_table)) {
            if (gp) {
                memset(gp, 0, sizeof *gp);
                gp->mode = MMU_MODE_PAE;
                gp->nsteps = 1;
                gp->step[0] = (struct mmu_step){ .level = MMU_PDPTE, .width = 8,
                    .index = (uint16_t)i, .entry_pa = pa, .value = pdpte[i],
                    .written = pdpte[i] };
                mmu_fail(gp, MMU_FAULT_GP, MMU_WHY_PDPTE, 13, 0);
            }
            return false;
        }
    }
    memcpy(m->pdpte, pdpte, sizeof pdpte);
    return true;
}

bool mmu_set_regs(struct mmu *m, const struct mmu_regs *r, struct mmu_walk *gp)
{
    struct mmu_paging p;
    describe(&p, m, r);
    if (p.mode == MMU_MODE_PAE && !load_pdptes(m, &p, r->cr3, gp))
        return false;
    m->regs = *r;
    m->paging = p;
    return true;
}
