/*
 * tlbinval.c - invalidation of TLBs and paging-structure caches, SDM Vol. 3A
 * §4.10.4.1 "Operations that Invalidate TLBs and Paging-Structure Caches".
 *
 * Every event removes the entries a rule selects, and the rules form a
 * table: which PCIDs, whether only the page of one address, which global
 * entries, and whether paging-structure-cache entries go for every address
 * or only for that one.  The model invalidates exactly what the SDM says an
 * event invalidates, no more, although "the processor is always free to
 * invalidate additional entries": what software fails to invalidate stays
 * observable, which is the point of a model.
 */
#include "mmu/tlb_internal.h"
#include "shared/x86.h"

/* Which global TLB entries a rule removes (PSC entries are never global). */
enum { KEEP_GLOBAL, GLOBAL_OF_PCID, GLOBAL_ANY };

struct rule {
    bool none;        /* the event invalidates nothing */
    bool all_pcids;   /* entries of every PCID; else of the PCID given */
    bool by_va;       /* only TLB entries for the page of the address given */
    uint8_t globals;  /* global entries removed too */
    bool psc_by_va;   /* only PSC entries used for the address; else all of
                         the PCIDs selected */
};

static const struct rule rules[TLB_NEVENTS] = {
    /* INVLPG: the current PCID's entries for the page, and global entries
     * for it regardless of PCID; all PSC entries of the current PCID. */
    [TLB_EV_INVLPG] = { .by_va = true, .globals = GLOBAL_ANY },
    /* INVPCID 0: mappings except global translations for the address and
     * the PCID given; all PSC entries of that PCID. */
    [TLB_EV_INVPCID0] = { .by_va = true, .globals = KEEP_GLOBAL },
    /* INVPCID 1: all mappings except global translations of the PCID. */
    [TLB_EV_INVPCID1] = { .globals = KEEP_GLOBAL },
    /* INVPCID 2: all mappings of every PCID, global translations included. */
    [TLB_EV_INVPCID2] = { .all_pcids = true, .globals = GLOBAL_ANY },
    /* INVPCID 3: all mappings of every PCID except global translations. */
    [TLB_EV_INVPCID3] = { .all_pcids = true, .globals = KEEP_GLOBAL },
    /* MOV to CR3 (CR4.PCIDE = 0, or bit 63 clear): the non-global entries of
     * the PCID loaded (000H without PCIDs) and its PSC entries. */
    [TLB_EV_MOV_CR3] = { .globals = KEEP_GLOBAL },
    /* MOV to CR3 with CR4.PCIDE = 1 and bit 63 set: not required to
     * invalidate anything. */
    [TLB_EV_MOV_CR3_NOFLUSH] = { .none = true },
    /* MOV to CR4 changing PGE, or clearing PCIDE: everything, all PCIDs. */
    [TLB_EV_CR4_ALL] = { .all_pcids = true, .globals = GLOBAL_ANY },
    /* MOV to CR4 changing PAE, or setting SMEP: all TLB entries and PSC
     * entries of the current PCID ("all", so its global ones too). */
    [TLB_EV_CR4_PCID] = { .globals = GLOBAL_OF_PCID },
    /* MOV to CR0 clearing PG: everything, all PCIDs. */
    [TLB_EV_CR0_PG] = { .all_pcids = true, .globals = GLOBAL_ANY },
    /* A #PF invalidates the current PCID's TLB entries for the page of the
     * faulting address and the PSC entries that would be used for it, so
     * the fault does not recur from cached entries.  Global entries for the
     * page go too: a lookup uses them whatever the PCID, and a fault from
     * one must not recur either. */
    [TLB_EV_PAGE_FAULT] = { .by_va = true, .globals = GLOBAL_ANY, .psc_by_va = true },
    [TLB_EV_FAULT_REWALK] = { .by_va = true, .globals = GLOBAL_ANY, .psc_by_va = true },
    [TLB_EV_FLUSH_ALL] = { .all_pcids = true, .globals = GLOBAL_ANY },
};

static bool selected(const struct rule *r, bool by_va, const struct tlb_entry *e,
                     uint16_t pcid, uint64_t va)
{
    if (!e->valid || (by_va && !tlb_covers(e, va)))
        return false;
    bool pcid_ok = r->all_pcids || e->pcid == pcid;
    if (!e->global)
        return pcid_ok;
    return r->globals == GLOBAL_ANY || (r->globals == GLOBAL_OF_PCID && pcid_ok);
}

static void drop_if(struct tlb *t, unsigned si, struct tlb_entry *e, const struct rule *r,
                    bool by_va, uint16_t pcid, uint64_t va)
{
    if (!selected(r, by_va, e, pcid, va))
        return;
    tlb_remove(t, si, e, TLB_DROP_INVALIDATE);
    t->s[si].c.invalidations++;
}

static void sweep(struct tlb *t, unsigned si, const struct rule *r, uint16_t pcid, uint64_t va)
{
    struct tlb_struct *s = &t->s[si];
    bool by_va = s->g.kind == TLB_PSC ? r->psc_by_va : r->by_va;
    /* By address, only the sets the address can occupy at each tag size -
     * unless some entry is a splinter, whose set depends on the part of
     * its page that was accessed. */
    if (by_va && !s->splinters) {
        for (unsigned k = 0; k < s->nshifts; k++) {
            uint32_t set = tlb_set_of(s, va >> s->shifts[k]);
            for (unsigned way = 0; way < s->g.ways; way++)
                drop_if(t, si, tlb_way(s, set, way), r, by_va, pcid, va);
        }
        return;
    }
    for (uint32_t i = 0; i < s->g.entries; i++)
        drop_if(t, si, &s->e[i], r, by_va, pcid, va);
}

void tlb_invalidate(struct tlb *t, enum tlb_event ev, uint16_t pcid, uint64_t va)
{
    const struct rule *r = &rules[ev];
    t->st.events[ev]++;
    if (r->none)
        return;
    for (unsigned si = 0; si < t->n; si++)
        sweep(t, si, r, pcid, va);
}

void tlb_invlpg(struct mmu *m, uint64_t va)
{
    const struct mmu_paging *p = &m->paging;
    if (!m->tlb)
        return;
    if (p->va_bits == 32)
        va = (uint32_t)va;
    else if (!mmu_canonical(va, p->va_bits))
        return; /* "INVLPG is the same as a NOP" (Vol. 2A, INVLPG) */
    tlb_invalidate(m->tlb, TLB_EV_INVLPG, mmu_current_pcid(m), va);
}

bool tlb_invpcid(struct mmu *m, unsigned type, uint64_t pcid, uint64_t va)
{
    /* The #GP(0) conditions of INVPCID (Vol. 2A); type 0 checks the full
     * 64-bit address even outside 64-bit mode. */
    unsigned va_bits = (m->regs.cr4 & X86_CR4_LA57) ? 57 : 48;
    if (type > 3 || (pcid >> 12) || (type == 0 && !mmu_canonical(va, va_bits)) ||
        (!m->paging.pcide && type <= 1 && pcid != 0))
        return false;
    if (m->tlb)
        tlb_invalidate(m->tlb, (enum tlb_event)(TLB_EV_INVPCID0 + type), (uint16_t)pcid, va);
    return true;
}

void tlb_mov_cr3(struct mmu *m, uint64_t value)
{
    if (!m->tlb)
        return;
    /* MOV to CR3 does not change CR4: PCIDE is the current one. */
    if (m->paging.pcide && (value & X86_CR3_NOFLUSH))
        tlb_invalidate(m->tlb, TLB_EV_MOV_CR3_NOFLUSH, 0, 0);
    else
        tlb_invalidate(m->tlb, TLB_EV_MOV_CR3,
                       m->paging.pcide ? (uint16_t)(value & X86_CR3_PCID_MASK) : 0, 0);
}

void tlb_mov_cr4(struct mmu *m, uint64_t old_cr4, uint64_t new_cr4)
{
    uint64_t changed = old_cr4 ^ new_cr4;
    if (!m->tlb)
        return;
    if ((changed & X86_CR4_PGE) || ((old_cr4 & X86_CR4_PCIDE) && !(new_cr4 & X86_CR4_PCIDE))) {
        tlb_invalidate(m->tlb, TLB_EV_CR4_ALL, 0, 0);
    } else if ((changed & X86_CR4_PAE) ||
               (!(old_cr4 & X86_CR4_SMEP) && (new_cr4 & X86_CR4_SMEP))) {
        /* MOV to CR4 does not change CR3: the current PCID is CR3's, if
         * PCIDs were enabled (PAE cannot change while they are). */
        uint16_t pcid = (old_cr4 & X86_CR4_PCIDE) ? (uint16_t)(m->regs.cr3 & X86_CR3_PCID_MASK)
                                                  : 0;
        tlb_invalidate(m->tlb, TLB_EV_CR4_PCID, pcid, 0);
    }
}

void tlb_mov_cr0(struct mmu *m, uint64_t old_cr0, uint64_t new_cr0)
{
    if (m->tlb && (old_cr0 & X86_CR0_PG) && !(new_cr0 & X86_CR0_PG))
        tlb_invalidate(m->tlb, TLB_EV_CR0_PG, 0, 0);
}
